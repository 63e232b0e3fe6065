//! The input of the graph drawings: one revision as the drawing code sees it.
//!
//! Pure: no file, env, clock or database access. The drawings take a slice of
//! [`GraphNode`] rather than the graph type so that they stay independent of
//! it; the `graph` and `history` commands build the slice.

use super::marks::Mark;

/// One revision to draw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GraphNode {
    /// The revision id.
    pub id: String,
    /// Parent ids in file order. Ids that are not in the drawn slice (outside
    /// a `--range`) are not drawn.
    pub parents: Vec<String>,
    /// `depends-on` ids: never drawn as lanes, listed as `needs: X` or as
    /// dashed edges.
    pub depends_on: Vec<String>,
    /// The one-line message.
    pub message: String,
    /// Words shown after the message: the [`Mark`] words in their order,
    /// then `label: NAME` for each label.
    pub marks: Vec<String>,
}

/// How many characters of an id the drawings show (Alembic ids are 12 long).
pub(crate) const SHORT_ID_LEN: usize = 12;

impl GraphNode {
    /// A node with the given id, parents and message, and no marks.
    #[cfg(test)]
    pub(crate) fn new(id: &str, parents: &[&str], message: &str) -> Self {
        Self {
            id: id.to_owned(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            depends_on: Vec::new(),
            message: message.to_owned(),
            marks: Vec::new(),
        }
    }

    /// True when `mark` is among the node's marks.
    pub(crate) fn has_mark(&self, mark: Mark) -> bool {
        self.marks.iter().any(|m| m == mark.word())
    }
}

/// `id` cut to [`SHORT_ID_LEN`] characters (on a char boundary).
pub(crate) fn short_id(id: &str) -> String {
    one_line(id).chars().take(SHORT_ID_LEN).collect()
}

/// `text` with every control character (newlines, tabs, escapes) made a
/// space, so that hostile text cannot break a drawing's layout or a terminal.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
