//! Pure: the JSON records the Python helper (`alembic.py`) prints, one a
//! line. Field names are the helper's; nothing here is decided, only read.

use std::path::PathBuf;

use serde::Deserialize;

/// One line of the helper's output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Record {
    Project(Project),
    Revision(Listed),
    /// Every revision has been listed; the helper now reads ids to render.
    Listed,
    Rendered(Rendered),
    Done,
    Error(HelperError),
}

/// The Alembic project as Alembic sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Project {
    /// Alembic's version, e.g. `1.20.1`.
    pub alembic: String,
    pub sqlalchemy: String,
    pub python: String,
    /// The script directory, absolute with symlinks resolved.
    pub script_location: PathBuf,
    /// Where revision modules are read from (`version_locations`, or
    /// `<script_location>/versions`), absolute with symlinks resolved.
    pub version_locations: Vec<PathBuf>,
}

/// One Alembic revision, before any rendering.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Listed {
    pub id: String,
    /// `down_revision`, as a list in the module's order: empty for a base.
    pub down_revision: Vec<String>,
    /// The `branch_labels` this module declares (not those it inherits).
    pub branch_labels: Vec<String>,
    /// `depends_on` resolved by Alembic to revision ids.
    pub depends_on: Vec<String>,
    /// The first paragraph of the module's docstring (Alembic's `doc`).
    pub message: String,
    /// The text after `Create Date:` in the docstring, if any.
    pub create_date: Option<String>,
    /// The version location holding the module (the deepest, when nested).
    pub location: Option<PathBuf>,
    /// The module's path relative to `location`, `/`-separated.
    pub path: String,
    /// The engines of Alembic's multidb template (`upgrade_<engine>()`),
    /// when `upgrade()` takes an engine name; empty otherwise.
    #[serde(default)]
    pub engines: Vec<String>,
}

/// What rendering one revision offline gave.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Rendered {
    pub id: String,
    /// `upgrade()` entered `autocommit_block()`.
    pub autocommit_block: bool,
    /// The SQL `upgrade()` emitted; `None` when it failed (see `upgrade_error`).
    pub upgrade_sql: Option<String>,
    /// Why `upgrade()` could not be rendered.
    pub upgrade_error: Option<String>,
    /// The source of `upgrade()`, given when it could not be rendered.
    pub upgrade_source: Option<String>,
    pub downgrade_sql: Option<String>,
    /// Why `downgrade()` could not be rendered (it raised).
    pub downgrade_error: Option<String>,
}

/// The helper stopped before listing: which step failed, and how.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct HelperError {
    /// `import` (Alembic is not importable), `scripts` (the ini or the
    /// script directory), `load` (a revision module failed to load) or
    /// `graph` (Alembic rejects the history).
    pub stage: String,
    /// `ExceptionType: message`.
    pub message: String,
    /// `file:line` in the revision module where it failed, if it did there.
    #[serde(default)]
    pub r#where: Option<String>,
    pub traceback: String,
}

/// Reads one line of the helper's output.
///
/// # Errors
/// The line is not one of the records above.
pub(crate) fn parse_line(line: &str) -> Result<Record, serde_json::Error> {
    serde_json::from_str(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_records_the_helper_prints() {
        let listed = r#"{"branch_labels": ["reports"], "create_date": "2024-01-20 10:00:00.000000", "depends_on": [], "down_revision": ["8808f08ddce9"], "engines": [], "id": "6c8c67ef16ff", "kind": "revision", "location": "/p/alembic/versions", "message": "create reports", "path": "6c8c67ef16ff_create_reports.py"}"#;
        let Record::Revision(r) = parse_line(listed).unwrap() else {
            panic!("not a revision")
        };
        assert_eq!(r.branch_labels, ["reports"]);
        assert_eq!(
            r.location.as_deref(),
            Some(std::path::Path::new("/p/alembic/versions"))
        );
        assert_eq!(parse_line(r#"{"kind": "listed"}"#).unwrap(), Record::Listed);
        let rendered = r#"{"autocommit_block": true, "downgrade_error": "line 3: NotImplementedError: no", "downgrade_sql": null, "id": "a1", "kind": "rendered", "upgrade_error": null, "upgrade_source": null, "upgrade_sql": "CREATE INDEX CONCURRENTLY i ON t (x);\n\n"}"#;
        let Record::Rendered(r) = parse_line(rendered).unwrap() else {
            panic!("not rendered")
        };
        assert!(r.autocommit_block && r.downgrade_sql.is_none());
        assert!(parse_line(r#"{"kind": "surprise"}"#).is_err());
    }
}
