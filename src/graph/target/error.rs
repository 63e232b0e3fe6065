//! Why a target cannot be parsed or resolved (docs/reference.md, "The graph").
//!
//! Pure: no file, env, clock or database access.

use std::fmt;

use super::MIN_PREFIX;
use crate::graph::{and_ticked, or_ticked};
use crate::revision::RevisionId;

/// Why a step is ambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StepAmbiguity {
    BranchPoint { at: RevisionId },
    MergePoint { at: RevisionId },
    SeveralAppliedHeads,
    SeveralBases,
}

impl fmt::Display for StepAmbiguity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BranchPoint { at } => write!(f, "`{at}` is a branch point with children"),
            Self::MergePoint { at } => write!(f, "`{at}` is a merge point with parents"),
            Self::SeveralAppliedHeads => f.write_str("the database has several applied heads,"),
            Self::SeveralBases => {
                f.write_str("nothing is applied and the graph has several bases,")
            }
        }
    }
}

/// Why a target cannot be parsed or resolved. Each message lists the
/// choices and says what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TargetError {
    #[error(
        "`{input}` is not a valid target ({reason}); use `head`, `heads`, `base`, an id or a prefix of 4+ characters, `ID+N`, `ID-N`, `head-N`, `+N`, `-N` or `LABEL@head`"
    )]
    Invalid { input: String, reason: String },

    #[error(
        "`head` is ambiguous: the graph has {} heads, {}; name one of them, use `heads`, or join them with `migrate merge`",
        .heads.len(),
        and_ticked(.heads)
    )]
    MultipleHeads { heads: Vec<RevisionId> },

    #[error("no revision carries the label `{label}`; check the `-- migrate:labels` lines")]
    UnknownLabel { label: String },

    #[error(
        "`{label}@head` is ambiguous: the branch labelled `{label}` has heads {}; name one of them",
        and_ticked(.heads)
    )]
    LabelMultipleHeads {
        label: String,
        heads: Vec<RevisionId>,
    },

    #[error(
        "revision prefix `{prefix}` matches {}; type more characters of the id",
        and_ticked(.candidates)
    )]
    Ambiguous {
        prefix: String,
        candidates: Vec<RevisionId>,
    },

    #[error("{}", unknown_message(.input, *.too_short))]
    Unknown { input: String, too_short: bool },

    #[error(
        "target `{input}` is ambiguous: {reason} {}; type {} instead",
        and_ticked(.choices),
        or_ticked(.instead)
    )]
    AmbiguousStep {
        input: String,
        reason: StepAmbiguity,
        choices: Vec<RevisionId>,
        /// The targets that would have been unambiguous, one per choice.
        instead: Vec<String>,
    },

    #[error(
        "target `{input}` goes past a head: {}, which has no children; use fewer steps, or `{reached}`",
        got(.steps_done, .reached)
    )]
    PastHead {
        input: String,
        reached: RevisionId,
        steps_done: usize,
    },

    #[error(
        "target `{input}` goes below a base: {}, a base, and one step below it already means `base`; use fewer steps, or `base` to revert everything",
        got(.steps_done, .reached)
    )]
    PastBase {
        input: String,
        reached: RevisionId,
        steps_done: usize,
    },

    #[error(
        "target `{input}` ends just below base `{base}`, which would mean `base`, but the graph has several bases ({}) and `base` reverts every branch; type `base` if you mean that",
        and_ticked(.bases)
    )]
    BelowBase {
        input: String,
        base: RevisionId,
        bases: Vec<RevisionId>,
    },

    #[error("target `{input}` steps down from the applied head, but nothing is applied")]
    NothingApplied { input: String },

    #[error("target `{input}` has nothing to step from: the graph has no revisions")]
    NoRevisions { input: String },
}

fn unknown_message(input: &str, too_short: bool) -> String {
    if too_short {
        format!(
            "no revision is called `{input}`; a prefix needs at least {MIN_PREFIX} characters: type more of the id"
        )
    } else {
        format!(
            "no revision is called or starts with `{input}`; `migrate history` lists the revisions"
        )
    }
}

/// How far a walk got: "it starts at `x`" or "got 2 steps, to `x`".
fn got(steps_done: &usize, reached: &RevisionId) -> String {
    match steps_done {
        0 => format!("it starts at `{reached}`"),
        1 => format!("got 1 step, to `{reached}`"),
        n => format!("got {n} steps, to `{reached}`"),
    }
}
