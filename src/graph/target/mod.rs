//! Targets (docs/reference.md, "The graph"): what a user types where a revision is expected,
//! parsed with [`FromStr`]; `resolve.rs` resolves them against a graph.
//!
//! Pure: no file, env, clock or database access.

mod error;
mod resolve;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub(crate) use error::{StepAmbiguity, TargetError};

use crate::revision::RevisionId;

/// Shorter prefixes only match exactly: 3 characters collide too often.
const MIN_PREFIX: usize = 4;

/// A parsed target. Ids are kept as typed (they may be prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `head`: the single head.
    Head,
    /// `heads`: every head.
    Heads,
    /// `base`: before every revision.
    Base,
    /// A full id, or a prefix of at least 4 characters.
    Revision(String),
    /// `ID+N`: N steps along child edges.
    Forward { from: String, steps: usize },
    /// `ID-N`: N steps along parent edges.
    Backward { from: String, steps: usize },
    /// `head-N`: N steps along parent edges from the single head.
    HeadBackward { steps: usize },
    /// `+N`: N steps up from the single applied head (or onto the base).
    AppliedForward { steps: usize },
    /// `-N`: N steps down from the single applied head.
    AppliedBackward { steps: usize },
    /// `LABEL@head`: the head of the branch carrying LABEL.
    LabelHead { label: String },
}

/// What a target resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// Below every revision: `up` applies nothing, `down` reverts all.
    Base,
    /// These revisions, sorted by id (empty for `head` of an empty graph).
    Revisions(Vec<RevisionId>),
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: &str| TargetError::Invalid {
            input: shortened(input),
            reason: reason.to_owned(),
        };
        match input {
            "" => return Err(invalid("it is empty")),
            "head" => return Ok(Self::Head),
            "heads" => return Ok(Self::Heads),
            "base" => return Ok(Self::Base),
            "current" => return Err(invalid("`current` is a command, not a target")),
            _ => {}
        }
        if let Some(label) = input.strip_suffix("@head") {
            if label.is_empty() || label.contains(|c: char| c == '@' || c.is_whitespace()) {
                return Err(invalid("a label is a single word before `@head`"));
            }
            return Ok(Self::LabelHead {
                label: label.to_owned(),
            });
        }
        let Some(sign_at) = input.rfind(['+', '-']) else {
            return if is_id_text(input) {
                Ok(Self::Revision(input.to_owned()))
            } else {
                Err(invalid("an id is 1 to 64 letters, digits or `_`"))
            };
        };
        // `+` and `-` are ASCII, so these byte slices fall on char boundaries.
        let (from, sign, count) = (
            &input[..sign_at],
            &input[sign_at..=sign_at],
            &input[sign_at + 1..],
        );
        let steps = parse_steps(count).map_err(&invalid)?;
        match (from, sign) {
            ("", "+") => Ok(Self::AppliedForward { steps }),
            ("", _) => Ok(Self::AppliedBackward { steps }),
            ("head", "-") => Ok(Self::HeadBackward { steps }),
            ("head" | "heads" | "base", _) => Err(invalid("only `head-N` steps from a keyword")),
            (id, _) if !is_id_text(id) => Err(invalid("an id is 1 to 64 letters, digits or `_`")),
            (id, "+") => Ok(Self::Forward {
                from: id.to_owned(),
                steps,
            }),
            (id, _) => Ok(Self::Backward {
                from: id.to_owned(),
                steps,
            }),
        }
    }
}

fn parse_steps(count: &str) -> Result<usize, &'static str> {
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a step count is a number after `+` or `-`");
    }
    match count.parse::<usize>() {
        Ok(0) => Err("a step count is at least 1"),
        Ok(n) => Ok(n),
        Err(_) => Err("the step count is too large"),
    }
}

fn is_id_text(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Hostile input stays readable in messages.
pub(super) fn shortened(input: &str) -> String {
    const MAX: usize = 80;
    if input.chars().count() <= MAX {
        input.to_owned()
    } else {
        let mut s: String = input.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Heads => f.write_str("heads"),
            Self::Base => f.write_str("base"),
            Self::Revision(id) => f.write_str(id),
            Self::Forward { from, steps } => write!(f, "{from}+{steps}"),
            Self::Backward { from, steps } => write!(f, "{from}-{steps}"),
            Self::HeadBackward { steps } => write!(f, "head-{steps}"),
            Self::AppliedForward { steps } => write!(f, "+{steps}"),
            Self::AppliedBackward { steps } => write!(f, "-{steps}"),
            Self::LabelHead { label } => write!(f, "{label}@head"),
        }
    }
}
