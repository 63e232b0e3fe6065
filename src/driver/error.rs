//! Driver errors, and how a database's own error becomes one.
//!
//! Pure. Messages carry the database's own text unchanged; the caller scrubs
//! passwords from them (they are plain strings for that reason).

use std::fmt;
use std::time::Duration;

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
        crate::human::duration(*waited)
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
    /// The connection reaches a transaction pooler: a session of its own
    /// (for a session lock, a `transaction off` revision) cannot be had.
    #[error("the connection goes through a transaction pooler: {evidence}")]
    Pooled { evidence: String },
    /// The server accepts no writes (checked before any lock).
    #[error(
        "{host} is {}: nothing can be written there{}",
        if *standby {
            "a standby (in recovery)"
        } else {
            "read-only (`default_transaction_read_only` is on; on MySQL, `read_only` or `innodb_read_only`)"
        },
        if *standby { "; it may become writable after a failover" } else { "" }
    )]
    NotWritable { host: String, standby: bool },
    /// A revision body this database's client could not cut into
    /// statements (an unclosed quote, a bad `DELIMITER` line): bad input,
    /// found before anything of it ran or was recorded.
    #[error("`{file}` line {line}: {message}")]
    BadBody {
        file: String,
        line: usize,
        message: String,
    },
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
    /// with `dirty = true` and `repair` must resolve it (docs/reference.md, "The version table").
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

/// A statement the database refused, as every driver reports it: the
/// server's own words (with its detail, hint and SQLSTATE), and where in
/// the text sent it stopped, when the server says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerError {
    pub message: String,
    /// 0-based character position in the text that was sent.
    pub position: Option<usize>,
}

impl ServerError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            position: None,
        }
    }
}

impl From<ServerError> for DriverError {
    fn from(e: ServerError) -> Self {
        DriverError::Sql { message: e.message }
    }
}

/// A sqlx error (SQLite) in the words of its database, with its code.
pub(crate) fn from_sqlx(err: &sqlx::Error) -> ServerError {
    let Some(db) = err.as_database_error() else {
        return ServerError::new(err.to_string());
    };
    let mut text = db.message().to_owned();
    if let Some(code) = db.code() {
        text.push_str(&format!(" (SQLSTATE {code})"));
    }
    ServerError::new(text)
}

/// A failed sqlx query on an open connection.
pub(crate) fn sql(err: &sqlx::Error) -> DriverError {
    from_sqlx(err).into()
}

/// SQLSTATEs a server sends while it cannot serve yet or is full.
pub(crate) fn is_transient_sqlstate(code: &str) -> bool {
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
    fn transient_sqlstates_are_the_ones_worth_waiting_for() {
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
