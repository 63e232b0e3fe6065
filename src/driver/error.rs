//! Driver errors, and how a `sqlx::Error` becomes one.
//!
//! Pure. Messages carry the database's own text unchanged; the caller scrubs
//! passwords from them (they are plain strings for that reason).

use std::fmt;
use std::time::Duration;

use sqlx::postgres::PgDatabaseError;

/// What went wrong talking to a database, outside of running a revision.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// Worth retrying within `--wait`: refused, timed out, DNS, starting up.
    #[error("database unreachable: {message}")]
    Unreachable { message: String },
    /// Not worth retrying: authentication, missing database, TLS required...
    #[error("database refused the connection: {message}")]
    Rejected { message: String },
    /// Another run holds the lock; `holder_hint` says who and how to free it.
    #[error(
        "another run holds the migration lock; gave up after {}",
        humantime::format_duration(*waited)
    )]
    LockTimeout {
        waited: Duration,
        holder_hint: String,
    },
    #[error("{message}")]
    Sql { message: String },
    /// The version table exists but was not made by `migrate`.
    #[error(
        "version table `{table}` was not created by migrate: column `{column}` {problem}; \
         rename or drop that table, or set `version_table` in migrate.toml"
    )]
    TableShape {
        table: String,
        column: String,
        problem: String,
    },
    #[error("{message}")]
    Io { message: String },
}

impl DriverError {
    /// True for errors that `--wait` retries.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }

    /// What the user can do next, when there is something specific.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::LockTimeout { holder_hint, .. } => Some(holder_hint),
            _ => None,
        }
    }
}

/// A revision's SQL failed (or its bookkeeping did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub revision: String,
    /// 0-based index of the failing statement in the body, when known.
    pub statement_index: Option<usize>,
    /// The failing statement's first 200 characters, when known.
    pub statement: Option<String>,
    /// The line in the revision file, when known.
    pub line: Option<usize>,
    /// The database's message.
    pub message: String,
    /// True when the database was left dirty: the revision's row is recorded
    /// with `dirty = true` and `repair` must resolve it (SPEC §4).
    pub dirty: bool,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "revision `{}` failed", self.revision)?;
        match (self.statement_index, self.line) {
            (Some(i), Some(line)) => write!(f, " at statement {} (line {line})", i + 1)?,
            (Some(i), None) => write!(f, " at statement {}", i + 1)?,
            (None, Some(line)) => write!(f, " at line {line}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)?;
        if self.dirty {
            write!(f, " (the database is left dirty)")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApplyError {}

/// The first `max` characters of `s`, cut on a character boundary.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}...", &s[..end]),
        None => s.to_owned(),
    }
}

/// The database's message with its code, detail and hint.
pub(crate) fn message(err: &sqlx::Error) -> String {
    let Some(db) = err.as_database_error() else {
        return err.to_string();
    };
    let mut text = db.message().to_owned();
    if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
        if let Some(detail) = pg.detail() {
            text.push_str("\nDETAIL: ");
            text.push_str(detail);
        }
        if let Some(hint) = pg.hint() {
            text.push_str("\nHINT: ");
            text.push_str(hint);
        }
    }
    if let Some(code) = db.code() {
        text.push_str(&format!(" (SQLSTATE {code})"));
    }
    text
}

/// A failed query on an open connection.
pub(crate) fn sql(err: &sqlx::Error) -> DriverError {
    DriverError::Sql {
        message: message(err),
    }
}

/// A failed connection attempt, sorted into retryable or not.
pub(crate) fn connect(err: &sqlx::Error) -> DriverError {
    let message = message(err);
    let retryable = match err {
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| is_transient_sqlstate(&c)),
        _ => false,
    };
    if retryable {
        DriverError::Unreachable { message }
    } else {
        DriverError::Rejected { message }
    }
}

/// SQLSTATEs a server sends while it cannot serve yet or is full.
fn is_transient_sqlstate(code: &str) -> bool {
    // 57P03 cannot_connect_now (starting up, shutting down, recovery);
    // 53300 too_many_connections; 08xxx connection exceptions;
    // 57P01 admin_shutdown (a restart in progress).
    matches!(code, "57P03" | "53300" | "57P01") || code.starts_with("08")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé...");
        assert_eq!(truncate_chars("héllo", 5), "héllo");
        assert_eq!(truncate_chars("", 3), "");
    }

    #[test]
    fn io_errors_are_retryable_and_others_are_not() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(connect(&refused).is_retryable());
        let config = sqlx::Error::Configuration("bad sslmode".into());
        assert!(matches!(connect(&config), DriverError::Rejected { .. }));
        assert!(is_transient_sqlstate("57P03"));
        assert!(is_transient_sqlstate("08006"));
        assert!(!is_transient_sqlstate("28P01"));
        assert!(!is_transient_sqlstate("3D000"));
    }

    #[test]
    fn apply_error_names_statement_and_line() {
        let err = ApplyError {
            revision: "abc".into(),
            statement_index: Some(1),
            statement: Some("CREATE x".into()),
            line: Some(12),
            message: "syntax error".into(),
            dirty: true,
        };
        assert_eq!(
            err.to_string(),
            "revision `abc` failed at statement 2 (line 12): syntax error (the database is left dirty)"
        );
    }
}
