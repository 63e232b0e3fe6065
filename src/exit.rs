//! Exit codes, decided in one place (the table is in README.md, "Exit codes").
//!
//! Every error a command returns is sorted into a [`Category`] by walking its
//! chain for a typed error that knows its category; anything unknown is a
//! plain failure. When several databases report, the highest code wins.

use std::fmt;
use std::process::ExitCode;

/// What kind of failure ended a run; the discriminant is the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Success = 0,
    /// The operation ran and failed or found problems.
    Failed = 1,
    /// Bad input: command line, migrate.toml, a revision file, the graph.
    BadInput = 2,
    /// A database could not be reached within `--wait`, or its lock not taken in time.
    Unavailable = 3,
    /// A bug: a state the code never expects (a panic exits with the same
    /// code, as Rust's runtime does).
    Internal = 101,
}

impl Category {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Combines the results of several databases: the highest code wins.
    pub fn worst(self, other: Self) -> Self {
        self.max(other)
    }
}

impl From<Category> for ExitCode {
    fn from(c: Category) -> Self {
        ExitCode::from(c.code())
    }
}

/// An error that carries its own exit category, a location and a hint.
///
/// Commands raise it for conditions they detect themselves; errors from the
/// core and the drivers are mapped by [`category`].
#[derive(Debug)]
pub(crate) struct Fail {
    pub category: Category,
    pub message: String,
    pub hint: Option<String>,
}

impl Fail {
    pub(crate) fn new(category: Category, message: impl Into<String>) -> Self {
        Self {
            category,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn bad_input(message: impl Into<String>) -> Self {
        Self::new(Category::BadInput, message)
    }

    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self::new(Category::Failed, message)
    }

    #[must_use]
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

/// A state the code never expects: a bug, never bad input and never a
/// silent success.
#[derive(Debug)]
pub(crate) struct Internal(String);

impl Internal {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: {}; this is a bug: please report it with the command you ran",
            self.0
        )
    }
}

impl std::error::Error for Internal {}

/// What the user can do next: the first hint in the error's chain.
pub(crate) fn hint(err: &anyhow::Error) -> Option<String> {
    // A `Fail` given as context is not in `chain()` as itself.
    if let Some(hint) = err.downcast_ref::<Fail>().and_then(|f| f.hint.clone()) {
        return Some(hint);
    }
    err.chain().find_map(|cause| {
        if let Some(f) = cause.downcast_ref::<Fail>() {
            return f.hint.clone();
        }
        cause
            .downcast_ref::<crate::driver::DriverError>()
            .and_then(|d| d.hint().map(str::to_owned))
    })
}

/// The exit category of an error: the first typed error in its chain decides.
pub(crate) fn category(err: &anyhow::Error) -> Category {
    if let Some(f) = err.downcast_ref::<Fail>() {
        return f.category;
    }
    for cause in err.chain() {
        if let Some(c) = category_of(cause) {
            return c;
        }
    }
    Category::Failed
}

fn category_of(cause: &(dyn std::error::Error + 'static)) -> Option<Category> {
    use crate::config::ConfigError;
    use crate::driver::{ApplyError, DriverError};
    use crate::graph::GraphError;
    use crate::graph::target::TargetError;
    use crate::plan::PlanError;
    use crate::revision::ParseError;
    use crate::revision::load::LoadError;

    if let Some(f) = cause.downcast_ref::<Fail>() {
        return Some(f.category);
    }
    if cause.is::<Internal>() {
        return Some(Category::Internal);
    }
    if cause.is::<ParseError>()
        || cause.is::<LoadError>()
        || cause.is::<GraphError>()
        || cause.is::<TargetError>()
        || cause.is::<ConfigError>()
        || cause.is::<crate::config::ResolveError>()
        || cause.is::<crate::url::UrlError>()
    {
        return Some(Category::BadInput);
    }
    if let Some(d) = cause.downcast_ref::<DriverError>() {
        return Some(match d {
            DriverError::Unreachable { .. }
            | DriverError::LockTimeout { .. }
            | DriverError::NotWritable { .. } => Category::Unavailable,
            DriverError::Pooled { .. } | DriverError::BadBody { .. } => Category::BadInput,
            DriverError::Rejected { .. } => Category::Unavailable,
            _ => Category::Failed,
        });
    }
    if let Some(step) = cause.downcast_ref::<crate::driver::StepError>() {
        return match step {
            crate::driver::StepError::Apply(_) => Some(Category::Failed),
            crate::driver::StepError::Driver(d) => category_of(d),
        };
    }
    if cause.is::<ApplyError>() || cause.is::<PlanError>() {
        return Some(Category::Failed);
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>()
        && io.kind() == std::io::ErrorKind::BrokenPipe
    {
        return Some(Category::Success);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_code_wins() {
        assert_eq!(
            Category::Failed.worst(Category::Unavailable),
            Category::Unavailable
        );
        assert_eq!(
            Category::BadInput.worst(Category::Failed),
            Category::BadInput
        );
        assert_eq!(
            Category::Success.worst(Category::Success),
            Category::Success
        );
    }

    #[test]
    fn fail_inside_context_decides() {
        let err = anyhow::Error::new(Fail::bad_input("bad")).context("database `core`");
        assert_eq!(category(&err), Category::BadInput);
        assert_eq!(category(&anyhow::anyhow!("plain")), Category::Failed);
    }
}
