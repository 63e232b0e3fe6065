//! Targets (SPEC §3): what a user types where a revision is expected, parsed
//! with [`FromStr`] and resolved against a [`Graph`] and an applied set.
//!
//! Pure: no file, env, clock or database access.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::{Graph, and_ticked, or_ticked};
use crate::revision::RevisionId;

/// Shorter prefixes only match exactly: 3 characters collide too often.
const MIN_PREFIX: usize = 4;

/// A parsed target. Ids are kept as typed (they may be prefixes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
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
pub enum Resolved {
    /// Below every revision: `up` applies nothing, `down` reverts all.
    Base,
    /// These revisions, sorted by id (empty for `head` of an empty graph).
    Revisions(Vec<RevisionId>),
}

/// Why a step is ambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepAmbiguity {
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
pub enum TargetError {
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
        "target `{input}` goes past a head: got {}, to `{reached}`, which has no children; use a smaller step, or `{reached}`",
        steps(.steps_done)
    )]
    PastHead {
        input: String,
        reached: RevisionId,
        steps_done: usize,
    },

    #[error(
        "target `{input}` goes below a base: got {}, to base `{reached}`, and one more step already means `base`; use a smaller step, or `base` to revert everything",
        steps(.steps_done)
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

fn steps(n: &usize) -> String {
    if *n == 1 {
        "1 step".to_owned()
    } else {
        format!("{n} steps")
    }
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
        let steps = parse_steps(count).map_err(|reason| invalid(reason))?;
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
fn shortened(input: &str) -> String {
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

impl Target {
    /// Resolves the target against `graph`, with `applied` (the database's
    /// applied ids; unknown ones are ignored) for `+N` and `-N`.
    ///
    /// # Errors
    /// See [`TargetError`]: several heads for `head`, an ambiguous or
    /// unknown id, an ambiguous step, a step past a head or below a base.
    pub fn resolve(
        &self,
        graph: &Graph,
        applied: &BTreeSet<RevisionId>,
    ) -> Result<Resolved, TargetError> {
        let walk = Walk {
            graph,
            input: self.to_string(),
        };
        match self {
            Self::Head => Ok(Resolved::Revisions(
                single_head(graph)?.into_iter().collect(),
            )),
            Self::Heads => Ok(Resolved::Revisions(graph.heads())),
            Self::Base => Ok(Resolved::Base),
            Self::Revision(id) => Ok(walk.found(lookup(graph, id)?)),
            Self::Forward { from, steps } => walk.up(lookup(graph, from)?, *steps),
            Self::Backward { from, steps } => walk.down(lookup(graph, from)?, *steps),
            Self::HeadBackward { steps } => match single_head(graph)? {
                Some(head) => walk.down(lookup(graph, head.as_str())?, *steps),
                None => Err(TargetError::NoRevisions { input: walk.input }),
            },
            Self::AppliedForward { steps } => walk.applied_up(applied, *steps),
            Self::AppliedBackward { steps } => walk.applied_down(applied, *steps),
            Self::LabelHead { label } => {
                let heads = graph.label_heads(label);
                match heads.len() {
                    0 => Err(TargetError::UnknownLabel {
                        label: label.clone(),
                    }),
                    1 => Ok(Resolved::Revisions(heads)),
                    _ => Err(TargetError::LabelMultipleHeads {
                        label: label.clone(),
                        heads,
                    }),
                }
            }
        }
    }
}

/// The single head; `None` for an empty graph.
fn single_head(graph: &Graph) -> Result<Option<RevisionId>, TargetError> {
    let mut heads = graph.heads();
    if heads.len() > 1 {
        return Err(TargetError::MultipleHeads { heads });
    }
    Ok(heads.pop())
}

/// An exact id of any length, else a unique prefix of 4+ characters.
fn lookup(graph: &Graph, text: &str) -> Result<usize, TargetError> {
    if let Some(i) = graph.index_of(text) {
        return Ok(i);
    }
    let mut candidates = graph.ids_with_prefix(text);
    if text.len() < MIN_PREFIX || candidates.is_empty() {
        return Err(TargetError::Unknown {
            input: shortened(text),
            too_short: !candidates.is_empty(),
        });
    }
    if candidates.len() > 1 {
        return Err(TargetError::Ambiguous {
            prefix: text.to_owned(),
            candidates,
        });
    }
    candidates
        .pop()
        .and_then(|id| graph.index_of(id.as_str()))
        .ok_or_else(|| TargetError::Unknown {
            input: shortened(text),
            too_short: false,
        })
}

/// Relative steps over one graph, for one typed target.
struct Walk<'g> {
    graph: &'g Graph,
    input: String,
}

impl Walk<'_> {
    fn found(&self, i: usize) -> Resolved {
        Resolved::Revisions(vec![self.graph.id_at(i).clone()])
    }

    fn ids(&self, indices: &[usize]) -> Vec<RevisionId> {
        indices
            .iter()
            .map(|&i| self.graph.id_at(i).clone())
            .collect()
    }

    /// `steps` along child edges from `start`.
    fn up(&self, start: usize, steps: usize) -> Result<Resolved, TargetError> {
        let mut current = start;
        for done in 0..steps {
            match self.graph.child_indices(current) {
                [] => {
                    return Err(TargetError::PastHead {
                        input: self.input.clone(),
                        reached: self.graph.id_at(current).clone(),
                        steps_done: done,
                    });
                }
                [only] => current = *only,
                several => {
                    let at = self.graph.id_at(current).clone();
                    return Err(self.ambiguous(
                        StepAmbiguity::BranchPoint { at },
                        self.ids(several),
                        '+',
                        steps - done - 1,
                    ));
                }
            }
        }
        Ok(self.found(current))
    }

    /// `steps` along parent edges from `start`; just below the single base
    /// is `base`.
    fn down(&self, start: usize, steps: usize) -> Result<Resolved, TargetError> {
        let mut current = start;
        for done in 0..steps {
            match self.graph.parent_indices(current) {
                [] if steps - done > 1 => {
                    return Err(TargetError::PastBase {
                        input: self.input.clone(),
                        reached: self.graph.id_at(current).clone(),
                        steps_done: done,
                    });
                }
                [] => {
                    let bases = self.graph.bases();
                    if bases.len() == 1 {
                        return Ok(Resolved::Base);
                    }
                    return Err(TargetError::BelowBase {
                        input: self.input.clone(),
                        base: self.graph.id_at(current).clone(),
                        bases,
                    });
                }
                [only] => current = *only,
                several => {
                    let at = self.graph.id_at(current).clone();
                    return Err(self.ambiguous(
                        StepAmbiguity::MergePoint { at },
                        self.ids(several),
                        '-',
                        steps - done - 1,
                    ));
                }
            }
        }
        Ok(self.found(current))
    }

    /// `+N`: up from the single applied head; from nothing, `+1` is the
    /// single base.
    fn applied_up(
        &self,
        applied: &BTreeSet<RevisionId>,
        steps: usize,
    ) -> Result<Resolved, TargetError> {
        let heads = self.graph.applied_heads(applied);
        match heads.as_slice() {
            [head] => self.up(self.index(head)?, steps),
            [] => match self.graph.bases().as_slice() {
                [] => Err(TargetError::NoRevisions {
                    input: self.input.clone(),
                }),
                [base] => self.up(self.index(base)?, steps.saturating_sub(1)),
                bases => Err(self.ambiguous(
                    StepAmbiguity::SeveralBases,
                    bases.to_vec(),
                    '+',
                    steps.saturating_sub(1),
                )),
            },
            several => Err(self.ambiguous(
                StepAmbiguity::SeveralAppliedHeads,
                several.to_vec(),
                '+',
                steps,
            )),
        }
    }

    /// `-N`: down from the single applied head.
    fn applied_down(
        &self,
        applied: &BTreeSet<RevisionId>,
        steps: usize,
    ) -> Result<Resolved, TargetError> {
        let heads = self.graph.applied_heads(applied);
        match heads.as_slice() {
            [head] => self.down(self.index(head)?, steps),
            [] => Err(TargetError::NothingApplied {
                input: self.input.clone(),
            }),
            several => Err(self.ambiguous(
                StepAmbiguity::SeveralAppliedHeads,
                several.to_vec(),
                '-',
                steps,
            )),
        }
    }

    fn index(&self, id: &RevisionId) -> Result<usize, TargetError> {
        lookup(self.graph, id.as_str())
    }

    /// The error for a step with several ways on; `instead` continues
    /// each way with the steps that were left.
    fn ambiguous(
        &self,
        reason: StepAmbiguity,
        choices: Vec<RevisionId>,
        sign: char,
        left: usize,
    ) -> TargetError {
        let instead = choices
            .iter()
            .map(|c| {
                if left == 0 {
                    c.to_string()
                } else {
                    format!("{c}{sign}{left}")
                }
            })
            .collect();
        TargetError::AmbiguousStep {
            input: self.input.clone(),
            reason,
            choices,
            instead,
        }
    }
}
