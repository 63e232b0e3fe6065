//! What can be wrong with a database's applied state, and how it reads.
//!
//! Pure.

use std::fmt;
use std::path::PathBuf;

use crate::graph::and_ticked;

/// A problem with the applied state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StateIssue {
    /// An applied revision no file defines (code older than the database).
    Unknown { revision: String },
    /// An applied revision lacking applied parents or dependencies.
    NotClosed {
        revision: String,
        missing: Vec<String>,
    },
    /// The `up` section changed since it was applied.
    ChecksumChanged {
        revision: String,
        path: PathBuf,
        recorded: String,
        file: String,
    },
    /// Re-parented after it was applied: a warning.
    ParentsChanged {
        revision: String,
        path: PathBuf,
        recorded: Vec<String>,
        file: Vec<String>,
    },
    /// A failed non-transactional run left it half applied.
    Dirty { revision: String },
}

impl StateIssue {
    /// True for what must stop `up` (a changed checksum, a dirty revision,
    /// an applied set not closed); false for warnings (an unknown applied
    /// revision, changed parents).
    pub(crate) fn blocks_up(&self) -> bool {
        matches!(
            self,
            Self::NotClosed { .. } | Self::ChecksumChanged { .. } | Self::Dirty { .. }
        )
    }

    /// The revision the issue is about.
    pub(crate) fn revision(&self) -> &str {
        match self {
            Self::Unknown { revision }
            | Self::NotClosed { revision, .. }
            | Self::ChecksumChanged { revision, .. }
            | Self::ParentsChanged { revision, .. }
            | Self::Dirty { revision } => revision,
        }
    }

    /// The message, with the commands to fix it naming database `db`.
    pub(crate) fn render(&self, db: &str) -> String {
        match self {
            Self::Unknown { revision } => format!(
                "revision `{revision}` is applied but no file defines it (is this code older than the database?); nothing that needs it is applied; restore its file, or if it was undone by hand run `migrate repair {db} {revision} --forget`"
            ),
            Self::NotClosed { revision, missing } => format!(
                "applied revision `{revision}` lacks {}, which must be applied before it; if their changes are in the schema run `migrate stamp {db} {}`, else run `migrate repair {db} {revision} --forget` and apply again",
                and_ticked(missing),
                missing.join(" ")
            ),
            Self::ChecksumChanged {
                revision,
                path,
                recorded,
                file,
            } => format!(
                "the `up` section of `{}` changed after revision `{revision}` was applied (checksum {} then, {} now); undo the edit, or accept it with `migrate repair {db} {revision} --applied`",
                path.display(),
                short(recorded),
                short(file)
            ),
            Self::ParentsChanged {
                revision,
                path,
                recorded,
                file,
            } => format!(
                "revision `{revision}` was applied with parents {} but `{}` now lists {}; it was re-parented after it ran",
                parent_list(recorded),
                path.display(),
                parent_list(file)
            ),
            Self::Dirty { revision } => format!(
                "revision `{revision}` failed part-way and left the database dirty; {}",
                repair_advice(db, revision)
            ),
        }
    }
}

impl fmt::Display for StateIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("DB"))
    }
}

/// What to do about a revision left dirty (it ran outside a transaction
/// and stopped part-way): the same words wherever one is reported.
pub(crate) fn repair_advice(db: &str, revision: &str) -> String {
    format!(
        "check what ran and fix the schema by hand, then run `migrate repair {db} {revision} --applied` \
         if its changes are all in place, or `--forget` if none are"
    )
}

/// The first 12 hex digits: enough to tell two checksums apart.
fn short(checksum: &str) -> String {
    checksum.chars().take(12).collect()
}

fn parent_list(parents: &[String]) -> String {
    if parents.is_empty() {
        "(none)".to_owned()
    } else {
        and_ticked(parents)
    }
}

/// How many ids an aggregated sentence lists.
const MAX_IDS: usize = 10;

/// Every issue as a sentence naming database `db`, in revision order. The
/// applied revisions that no file defines (thousands, after the code was
/// rolled back past a long branch) make one sentence listing their ids,
/// sorted, capped, with the count. Past
/// [`MAX_LISTED`](crate::human::MAX_LISTED) sentences the rest are counted.
pub(crate) fn sentences<'a>(
    issues: impl IntoIterator<Item = &'a StateIssue>,
    db: &str,
) -> Vec<String> {
    let mut unknown = Vec::new();
    let mut lines = Vec::new();
    for issue in issues {
        match issue {
            StateIssue::Unknown { revision } => unknown.push(revision.as_str()),
            other => lines.push(other.render(db)),
        }
    }
    match unknown.as_slice() {
        [] => {}
        [one] => lines.insert(
            0,
            StateIssue::Unknown {
                revision: (*one).to_owned(),
            }
            .render(db),
        ),
        many => {
            let mut ids = many.to_vec();
            ids.sort_unstable();
            lines.insert(0, unknown_sentence(&ids, db));
        }
    }
    crate::human::capped(lines, db)
}

fn unknown_sentence(ids: &[&str], db: &str) -> String {
    let shown: Vec<&str> = ids.iter().take(MAX_IDS).copied().collect();
    let rest = ids.len() - shown.len();
    let more = if rest > 0 {
        format!(" and {rest} more (`migrate verify {db}` lists them all)")
    } else {
        String::new()
    };
    format!(
        "{} applied revisions have no file (is this code older than the database?): {}{more}; \
         nothing that needs them is applied; restore their files, or if they were undone by hand \
         run `migrate repair {db} ID --forget` for each",
        ids.len(),
        and_ticked(&shown)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(id: &str) -> StateIssue {
        StateIssue::Unknown {
            revision: id.to_owned(),
        }
    }

    #[test]
    fn many_unknown_revisions_make_one_sorted_capped_sentence() {
        let issues: Vec<StateIssue> = (0..25)
            .rev()
            .map(|i| unknown(&format!("r{i:02}")))
            .collect();
        let lines = sentences(&issues, "core");
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert!(
            line.starts_with("25 applied revisions have no file"),
            "{line}"
        );
        assert!(line.contains("`r00`, `r01`"), "{line}");
        assert!(line.contains("`r09` and 15 more"), "{line}");
        assert!(!line.contains("r10"), "{line}");
    }

    #[test]
    fn one_unknown_revision_reads_as_before_and_other_issues_follow() {
        let issues = [
            StateIssue::Dirty {
                revision: "b".into(),
            },
            unknown("a"),
        ];
        let lines = sentences(&issues, "core");
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("revision `a` is applied but no file defines it"));
        assert!(lines[1].contains("`b` failed part-way"));
    }
}
