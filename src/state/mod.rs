//! The applied state of one database: the version-table rows checked
//! against the graph, giving the applied set, the applied heads (`current`:
//! applied revisions no other applied revision needs) and every problem that
//! `up`, `status` or `verify` report (see docs/reference.md, "The version
//! table").
//!
//! Pure: no file, env, clock or database access; the driver reads the rows.

mod issue;

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::Graph;
use crate::revision::{RecordedChecksum, RevisionId};

pub(crate) use issue::{StateIssue, repair_advice, sentences};

/// One row of the version table, as the driver read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRow {
    pub revision: Box<str>,
    /// Parent ids recorded at apply time, separated by spaces as stored
    /// (one string, not a list: there may be tens of thousands of rows).
    pub parents: Box<str>,
    pub checksum: RecordedChecksum,
    pub dirty: bool,
}

impl AppliedRow {
    pub fn parents(&self) -> impl Iterator<Item = &str> {
        self.parents.split_whitespace()
    }
}

/// What the rows say, checked against the graph.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct AppliedState {
    /// Applied revisions that have a file and are not dirty.
    pub applied: BTreeSet<RevisionId>,
    /// The applied heads, sorted: non-dirty rows that no other non-dirty
    /// row names as a parent or in `depends-on`. A row without a file is
    /// included, placed by its recorded parents.
    pub current: Vec<String>,
    /// Sorted by revision.
    pub issues: Vec<StateIssue>,
}

/// Checks the version-table rows against the graph.
///
/// Runs on every start of every replica, so it works on graph positions,
/// not ids: one lookup per row, then flags. A row the graph knows is found
/// by position; a row it does not know (rare) by id.
pub(crate) fn analyse(graph: &Graph, rows: &[AppliedRow]) -> AppliedState {
    let rows = Rows::index(graph, rows);
    let mut issues = Vec::new();
    // What some live row needs: such a row is not an applied head.
    let mut named = vec![false; graph.len()];
    let mut named_unknown: BTreeSet<&str> = BTreeSet::new();
    for (at, row) in rows.all() {
        if row.dirty {
            issues.push(StateIssue::Dirty {
                revision: row.revision.to_string(),
            });
            continue;
        }
        let missing = match at {
            Some(i) => {
                drift(row, &graph.revisions()[i], &mut issues);
                let needs = graph.need_indices(i);
                needs.iter().for_each(|&n| named[n] = true);
                needs
                    .iter()
                    .filter(|&&n| !rows.live_at(n))
                    .map(|&n| graph.id_at(n).to_string())
                    .collect()
            }
            None => {
                issues.push(StateIssue::Unknown {
                    revision: row.revision.to_string(),
                });
                for parent in row.parents() {
                    match graph.index_of(parent) {
                        Some(n) => named[n] = true,
                        None => _ = named_unknown.insert(parent),
                    }
                }
                row.parents()
                    .filter(|p| !rows.is_live(graph, p))
                    .map(str::to_owned)
                    .collect()
            }
        };
        not_closed(row, missing, &mut issues);
    }
    // Stable: a revision's own issues keep the order they were found in.
    issues.sort_by(|a, b| a.revision().cmp(b.revision()));
    let mut current: Vec<String> = (0..graph.len())
        .filter(|&i| rows.live_at(i) && !named[i])
        .map(|i| graph.id_at(i).to_string())
        .chain(
            rows.unknown
                .iter()
                .filter(|(id, row)| !row.dirty && !named_unknown.contains(*id))
                .map(|(id, _)| (*id).to_owned()),
        )
        .collect();
    current.sort_unstable();
    AppliedState {
        // Positions are in id order, so this is a sorted bulk build.
        applied: (0..graph.len())
            .filter(|&i| rows.live_at(i))
            .map(|i| graph.id_at(i).clone())
            .collect(),
        current,
        issues,
    }
}

/// The rows of one version table, placed against the graph. Should two
/// rows share an id, the later one counts.
struct Rows<'a> {
    /// The row of each graph position, if any.
    at: Vec<Option<&'a AppliedRow>>,
    /// Rows of ids the graph does not know (rare).
    unknown: BTreeMap<&'a str, &'a AppliedRow>,
}

impl<'a> Rows<'a> {
    fn index(graph: &Graph, rows: &'a [AppliedRow]) -> Self {
        let mut at = vec![None; graph.len()];
        let mut unknown = BTreeMap::new();
        for row in rows {
            match graph.index_of(&row.revision) {
                Some(i) => at[i] = Some(row),
                None => _ = unknown.insert(&*row.revision, row),
            }
        }
        Rows { at, unknown }
    }

    /// Every row with its graph position, if known.
    fn all(&self) -> impl Iterator<Item = (Option<usize>, &'a AppliedRow)> + '_ {
        let known = (self.at.iter().enumerate()).filter_map(|(i, r)| r.map(|r| (Some(i), r)));
        known.chain(self.unknown.values().map(|r| (None, *r)))
    }

    /// Position `i` has a row that is not dirty.
    fn live_at(&self, i: usize) -> bool {
        self.at[i].is_some_and(|r| !r.dirty)
    }

    fn is_live(&self, graph: &Graph, id: &str) -> bool {
        match graph.index_of(id) {
            Some(i) => self.live_at(i),
            None => self.unknown.get(id).is_some_and(|r| !r.dirty),
        }
    }
}

/// Records that `row` lacks `missing` (ids, in any order), if it does.
fn not_closed(row: &AppliedRow, mut missing: Vec<String>, issues: &mut Vec<StateIssue>) {
    if missing.is_empty() {
        return;
    }
    missing.sort();
    missing.dedup();
    issues.push(StateIssue::NotClosed {
        revision: row.revision.to_string(),
        missing,
    });
}

/// Changes in a known revision's file since its row was written.
fn drift(row: &AppliedRow, revision: &crate::revision::Revision, issues: &mut Vec<StateIssue>) {
    // A stamp of an id without a file recorded no checksum to compare.
    if !row.checksum.matches(&revision.checksum) {
        issues.push(StateIssue::ChecksumChanged {
            revision: row.revision.to_string(),
            path: revision.path.clone(),
            recorded: row.checksum.to_string(),
            file: revision.checksum.to_string(),
        });
    }
    if !same_ids(row, &revision.parents) {
        let mut recorded: Vec<String> = row.parents().map(str::to_owned).collect();
        recorded.sort();
        let mut file: Vec<String> = revision.parents.iter().map(ToString::to_string).collect();
        file.sort();
        issues.push(StateIssue::ParentsChanged {
            revision: row.revision.to_string(),
            path: revision.path.clone(),
            recorded,
            file,
        });
    }
}

/// The row's parents are the file's, in any order; without allocating for
/// the usual one parent.
fn same_ids(row: &AppliedRow, file: &[RevisionId]) -> bool {
    let mut recorded = row.parents();
    match file {
        [] => recorded.next().is_none(),
        [only] => recorded.next() == Some(only.as_str()) && recorded.next().is_none(),
        _ => {
            let mut a: Vec<&str> = recorded.collect();
            let mut b: Vec<&str> = file.iter().map(RevisionId::as_str).collect();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_support::{graph, ids};

    /// What `graph` gives revision `id` as its checksum.
    fn file_checksum(id: &str) -> crate::revision::Checksum {
        crate::revision::checksum(&format!("-- up {id}\n"))
    }

    fn row(revision: &str, parents: &str) -> AppliedRow {
        AppliedRow {
            revision: revision.into(),
            parents: parents.into(),
            checksum: RecordedChecksum::Sha256(file_checksum(revision)),
            dirty: false,
        }
    }

    #[test]
    fn clean_rows_give_the_applied_set_and_heads() {
        let g = graph("a; b<a; c<a; x; y<x dep=b");
        let state = analyse(
            &g,
            &[row("a", ""), row("b", "a"), row("c", "a"), row("x", "")],
        );
        assert!(state.issues.is_empty(), "{:?}", state.issues);
        assert_eq!(
            state.applied,
            ids(&["a", "b", "c", "x"]).into_iter().collect()
        );
        assert_eq!(state.current, ["b", "c", "x"]);
        let all = analyse(
            &g,
            &[
                row("a", ""),
                row("b", "a"),
                row("c", "a"),
                row("x", ""),
                row("y", "x"),
            ],
        );
        assert_eq!(all.current, ["c", "y"]);
    }

    #[test]
    fn unknown_rows_warn_and_count_as_heads_through_recorded_parents() {
        let g = graph("a; b<a");
        let state = analyse(&g, &[row("a", ""), row("b", "a"), row("zz", "b")]);
        assert_eq!(
            state.issues,
            vec![StateIssue::Unknown {
                revision: "zz".into()
            }]
        );
        assert!(!state.issues.iter().any(StateIssue::blocks_up));
        assert_eq!(state.current, ["zz"]);
        assert_eq!(state.applied.len(), 2);
        assert!(
            state.issues[0]
                .render("core")
                .contains("`migrate repair core zz --forget`")
        );
    }

    #[test]
    fn missing_applied_parent_or_dependency_blocks() {
        let g = graph("a; b<a; x dep=a");
        let state = analyse(&g, &[row("b", "a"), row("x", "")]);
        assert_eq!(
            state.issues,
            vec![
                StateIssue::NotClosed {
                    revision: "b".into(),
                    missing: vec!["a".into()]
                },
                StateIssue::NotClosed {
                    revision: "x".into(),
                    missing: vec!["a".into()]
                },
            ]
        );
        assert!(state.issues.iter().any(StateIssue::blocks_up));
        assert!(
            state.issues[0].to_string().contains("`migrate stamp DB a`"),
            "{}",
            state.issues[0]
        );
    }

    #[test]
    fn changed_checksum_blocks_and_names_the_file() {
        let g = graph("a; b<a");
        let mut changed = row("b", "a");
        changed.checksum = RecordedChecksum::parse("0123456789abcdef0123");
        let state = analyse(&g, &[row("a", ""), changed]);
        assert_eq!(
            state.issues,
            vec![StateIssue::ChecksumChanged {
                revision: "b".into(),
                path: "b.sql".into(),
                recorded: "0123456789abcdef0123".into(),
                file: file_checksum("b").to_string(),
            }]
        );
        assert!(state.issues.iter().any(StateIssue::blocks_up));
        let text = state.issues[0].render("core");
        assert!(
            text.contains("`b.sql`") && text.contains("0123456789ab then"),
            "{text}"
        );
        assert!(text.contains("`migrate repair core b --applied`"), "{text}");
    }

    #[test]
    fn empty_recorded_checksum_is_not_compared() {
        let g = graph("a");
        let mut stamped = row("a", "");
        stamped.checksum = RecordedChecksum::None;
        assert!(analyse(&g, &[stamped]).issues.is_empty());
    }

    #[test]
    fn changed_parents_warn_with_both_lists() {
        let g = graph("a; x; b<x");
        let state = analyse(&g, &[row("a", ""), row("x", ""), row("b", "a")]);
        assert_eq!(
            state.issues,
            vec![StateIssue::ParentsChanged {
                revision: "b".into(),
                path: "b.sql".into(),
                recorded: vec!["a".into()],
                file: vec!["x".into()],
            }]
        );
        assert!(!state.issues.iter().any(StateIssue::blocks_up));
        assert!(
            state.issues[0]
                .to_string()
                .contains("parents `a` but `b.sql` now lists `x`")
        );
    }

    #[test]
    fn merge_parent_order_is_not_a_change() {
        let g = graph("a; b<a; c<a; m<b,c");
        let rows = [row("a", ""), row("b", "a"), row("c", "a"), row("m", "c b")];
        assert!(analyse(&g, &rows).issues.is_empty());
    }

    #[test]
    fn dirty_rows_block_and_are_not_applied() {
        let g = graph("a; b<a");
        let mut dirty = row("b", "a");
        dirty.dirty = true;
        let state = analyse(&g, &[row("a", ""), dirty]);
        assert_eq!(
            state.issues,
            vec![StateIssue::Dirty {
                revision: "b".into()
            }]
        );
        assert!(state.issues.iter().any(StateIssue::blocks_up));
        assert_eq!(state.applied, ids(&["a"]).into_iter().collect());
        assert_eq!(state.current, ["a"]);
    }
}
