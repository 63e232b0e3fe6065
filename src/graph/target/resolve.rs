//! Resolving a [`Target`] against a graph and an applied set (docs/reference.md, "The graph"):
//! prefixes, relative steps and their errors.
//!
//! Pure: no file, env, clock or database access.

use std::collections::BTreeSet;

use super::{MIN_PREFIX, Resolved, StepAmbiguity, Target, TargetError, shortened};
use crate::graph::Graph;
use crate::revision::RevisionId;

impl Target {
    /// Resolves the target against `graph`, with `applied` (the database's
    /// applied ids; unknown ones are ignored) for `+N` and `-N`.
    ///
    /// # Errors
    /// See [`TargetError`]: several heads for `head`, an ambiguous or
    /// unknown id, an ambiguous step, a step past a head or below a base.
    pub(crate) fn resolve(
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
