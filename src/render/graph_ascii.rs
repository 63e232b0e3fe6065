//! The revision graph as text, in the style of `git log --graph`.
//!
//! Pure: no file, env, clock or database access.
//!
//! One line per revision, newest first, with connector lines between them
//! where lanes branch, merge or move:
//!
//! ```text
//! o   5d2e8f7a1b3c merge chains (head, mergepoint)
//! |\
//! | o 9a4b1c7d2e6f add feedback
//! o | 1e7c9b3a5d2f add notes
//! |/
//! * 3f1c2a9d4b70 create users (branchpoint, applied)
//! ```
//!
//! - `*` is an applied revision, `o` one that is not;
//! - `|` is a lane: an edge on its way down to a parent;
//! - `/` and `\` move an edge one column; `_` carries an edge sideways under
//!   the lanes it crosses (`|_|/` joins the rightmost lane into the leftmost);
//! - `depends-on` edges are not lanes: they are listed as `needs: ID`.
//!
//! A parent that is not in the slice (below a `--range`) gets no lane.
//! The work per revision is proportional to the number of open lanes, never
//! to the size of the graph.

use std::collections::HashSet;

use super::graph_node::{GraphNode, one_line, short_id};
use super::marks::Mark;

/// Draws `nodes`, given newest first (every node before its parents).
///
/// Nodes out of that order, unknown parents and duplicate ids are drawn as
/// well as they can be; nothing panics.
pub(crate) fn draw(nodes: &[GraphNode]) -> String {
    let mut drawing = Drawing {
        lanes: Vec::new(),
        pending: nodes.iter().map(|n| n.id.as_str()).collect(),
        out: String::new(),
    };
    for node in nodes {
        drawing.place(node);
    }
    drawing.out
}

/// The state between two rows: which parent each open lane is heading to.
struct Drawing<'a> {
    /// Column `k` holds the id the lane drawn at character `2k` leads to.
    /// There are no gaps: a lane that ends is removed and the lanes to its
    /// right shift left (drawn with `/`).
    lanes: Vec<&'a str>,
    /// Ids in the slice not drawn yet: only they may receive a lane.
    pending: HashSet<&'a str>,
    out: String,
}

impl<'a> Drawing<'a> {
    fn place(&mut self, node: &'a GraphNode) {
        let id = node.id.as_str();
        self.pending.remove(id);
        let column = match self.column_of(id, usize::MAX) {
            Some(column) => column,
            None => {
                // A head (or a node whose children are not in the slice).
                self.lanes.push(id);
                self.lanes.len() - 1
            }
        };
        self.node_row(column, node);

        let mut parents: Vec<&'a str> = Vec::with_capacity(node.parents.len());
        for parent in &node.parents {
            let parent = parent.as_str();
            if self.pending.contains(parent) && !parents.contains(&parent) {
                parents.push(parent);
            }
        }
        let Some((&first, others)) = parents.split_first() else {
            // A base: its lane ends here.
            self.end_lane(column);
            return;
        };
        self.lanes[column] = first;
        // Later parents fan out to the right; inserted last-first so that the
        // second parent ends up nearest to the node.
        for &parent in others.iter().rev() {
            self.add_edge(column, parent);
        }
        self.join_duplicate(column);
    }

    /// The column whose lane leads to `id`, other than `except`.
    fn column_of(&self, id: &str, except: usize) -> Option<usize> {
        self.lanes
            .iter()
            .enumerate()
            .find(|&(k, lane)| k != except && *lane == id)
            .map(|(k, _)| k)
    }

    /// An edge from the node at `column` to `parent`, while the node's own
    /// lane goes on: to the parent's lane if it has one, else to a new lane
    /// right of the node.
    fn add_edge(&mut self, column: usize, parent: &'a str) {
        if let Some(target) = self.column_of(parent, usize::MAX) {
            self.edge_row(column, target, false);
            return;
        }
        // Fan out: the new lane takes `column + 1`, lanes right of it shift.
        let mut row = self.lane_chars(self.lanes.len() + 1);
        for k in (column + 1..self.lanes.len()).rev() {
            row[2 * k] = ' ';
            row[2 * k + 1] = '\\';
        }
        row[2 * column + 1] = '\\';
        self.push_row(&row);
        self.lanes.insert(column + 1, parent);
    }

    /// When the lane at `column` now leads to a parent that another lane
    /// already leads to, the two become one, in the leftmost column.
    fn join_duplicate(&mut self, column: usize) {
        let Some(&parent) = self.lanes.get(column) else {
            return;
        };
        match self.column_of(parent, column) {
            Some(other) if other < column => self.edge_row(column, other, true),
            Some(other) => self.edge_row(other, column, true),
            None => {}
        }
    }

    /// A lane ends without an edge (a base): lanes right of it shift left.
    fn end_lane(&mut self, column: usize) {
        if column + 1 < self.lanes.len() {
            let mut row = self.lane_chars(self.lanes.len());
            row[2 * column] = ' ';
            shift_left_after(&mut row, column, self.lanes.len());
            self.push_row(&row);
        }
        if column < self.lanes.len() {
            self.lanes.remove(column);
        }
    }

    /// One connector row carrying an edge from column `from` to column `to`.
    /// With `from_ends`, the lane at `from` stops there and the lanes right
    /// of it shift left in the same row.
    fn edge_row(&mut self, from: usize, to: usize, from_ends: bool) {
        let width = self.lanes.len().max(from + 1).max(to + 1);
        let mut row = self.lane_chars(width);
        if from_ends {
            row[2 * from] = ' ';
            shift_left_after(&mut row, from, self.lanes.len());
        }
        let (first, last) = if to < from {
            (2 * to + 1, 2 * from - 1)
        } else {
            (2 * from + 1, 2 * to - 1)
        };
        for (p, cell) in row.iter_mut().enumerate().take(last + 1).skip(first) {
            *cell = if to < from && p == last {
                '/'
            } else if to > from && p == first {
                '\\'
            } else if p % 2 == 1 || *cell == ' ' {
                '_'
            } else {
                *cell
            };
        }
        self.push_row(&row);
        if from_ends && from < self.lanes.len() {
            self.lanes.remove(from);
        }
    }

    fn node_row(&mut self, column: usize, node: &GraphNode) {
        let mut row = self.lane_chars(self.lanes.len());
        row[2 * column] = if node.has_mark(Mark::Applied) {
            '*'
        } else {
            'o'
        };
        let text = node_text(node);
        let mut line: String = row.iter().collect();
        line.truncate(line.trim_end().len());
        line.push(' ');
        line.push_str(&text);
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }

    /// `|` for every open lane, spaced one apart, `width` columns wide
    /// (plus one character so that a `\` may follow the last column).
    fn lane_chars(&self, width: usize) -> Vec<char> {
        let mut row = vec![' '; 2 * width.max(self.lanes.len()) + 1];
        for k in 0..self.lanes.len() {
            row[2 * k] = '|';
        }
        row
    }

    fn push_row(&mut self, row: &[char]) {
        let line: String = row.iter().collect();
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }
}

/// Draws every lane right of `column` (up to `len`) moving one column left.
fn shift_left_after(row: &mut [char], column: usize, len: usize) {
    for k in column + 1..len {
        row[2 * k] = ' ';
        row[2 * k - 1] = '/';
    }
}

/// `short-id message (marks, needs: ids)`, on one line.
fn node_text(node: &GraphNode) -> String {
    let mut text = short_id(&node.id);
    let message = one_line(&node.message);
    let message = message.trim();
    if !message.is_empty() {
        text.push(' ');
        text.push_str(message);
    }
    let mut notes: Vec<String> = node.marks.iter().map(|m| one_line(m)).collect();
    if !node.depends_on.is_empty() {
        let needs: Vec<String> = node.depends_on.iter().map(|d| short_id(d)).collect();
        notes.push(format!("needs: {}", needs.join(" ")));
    }
    if !notes.is_empty() {
        text.push_str(" (");
        text.push_str(&notes.join(", "));
        text.push(')');
    }
    text
}

#[cfg(test)]
#[path = "graph_ascii_tests.rs"]
mod tests;
