//! Database URLs (docs/reference.md, "Configuration"): every accepted spelling, the URL handed to sqlx,
//! and the redacted form, which is the only way a URL is ever shown.
//!
//! Pure: no file, env or database access, except [`DbUrl::check_sqlite_folder`].
//! [`DbUrl`] has no `Display` and its `Debug` is redacted, so a password cannot
//! reach a message by accident; driver errors go through [`DbUrl::scrub`].

mod server;
mod sqlite;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

pub use crate::dialect::Dialect;

/// What a URL connects to, normalised so that two spellings of the same
/// database compare equal (`postgresql+asyncpg://h/db` and `postgres://h:5432/db`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConnectionTarget {
    Server {
        kind: Dialect,
        /// Lower-cased host, or the socket folder.
        host: String,
        port: u16,
        database: String,
    },
    /// An absolute, lexically normalised SQLite file path.
    SqliteFile(PathBuf),
    /// An in-memory SQLite database: private to its connection, never shared.
    Memory,
}

/// A database URL whose password can't be printed: no `Display`, a redacted
/// `Debug`, and [`DbUrl::redacted`] for messages.
#[derive(Clone)]
pub struct DbUrl {
    kind: Dialect,
    connect: String,
    redacted: RedactedUrl,
    target: ConnectionTarget,
    sqlite_path: Option<PathBuf>,
    password: Option<String>,
    /// The URL exactly as given, for [`DbUrl::scrub`].
    raw: String,
    /// Every spelling of every secret in the URL (longest first), for [`DbUrl::scrub`].
    secrets: Vec<String>,
}

/// A URL with its password (and password-like query values) replaced by `***`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl Serialize for RedactedUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Why a URL can't be used. No variant holds any part of the URL that could
/// be a password: at most the scheme, a numeric port or a folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error(
        "not a database URL: expected a scheme such as `postgres://`, `mysql://` or `sqlite:` \
         followed by the location"
    )]
    NotAUrl,
    #[error(
        "unknown URL scheme `{scheme}`: supported are `postgres://`, `postgresql://`, \
         `mysql://`, `mariadb://` and `sqlite:`, each optionally with a `+driver` suffix \
         (such as `postgresql+asyncpg://`)"
    )]
    UnknownScheme { scheme: String },
    #[error("malformed {kind} URL: {reason}")]
    Malformed { kind: Dialect, reason: String },
    #[error("{}", port_message(port.as_deref()))]
    PortOutOfRange { port: Option<String> },
    #[error(
        "{kind} URL has no host: write it as `{example}` (a Unix socket folder may be given \
         as `?host=/path`)"
    )]
    MissingHost {
        kind: Dialect,
        example: &'static str,
    },
    #[error(
        "MySQL URL names no database: write it as `mysql://user@host:3306/app`; the version \
         table and the lock belong to that database"
    )]
    MysqlNoDatabase,
    #[error(
        "unknown `ssl` value in the URL: use `require`, `verify-ca`, `verify-full`, `prefer`, \
         `allow` or `disable` (or `sslmode=...`)"
    )]
    BadSsl,
    #[error(
        "SQLite URL has no file name: write `sqlite://relative/app.db`, \
         `sqlite:///absolute/app.db` or `sqlite::memory:`"
    )]
    SqliteNoPath,
    #[error(
        "`{scheme}:` URLs follow SQLAlchemy's rule and have no host: write \
         `{scheme}:///relative/app.db` (three slashes) or `{scheme}:////absolute/app.db` (four)"
    )]
    SqliteHost { scheme: String },
    #[error(
        "the folder of the SQLite database, `{}`, does not exist: create it, or fix the path \
         in the URL",
        folder.display()
    )]
    SqliteFolderMissing { folder: PathBuf },
}

fn port_message(port: Option<&str>) -> String {
    match port {
        Some(p) => format!("port `{p}` is out of range: use a number from 1 to 65535"),
        None => "the port is not a number from 1 to 65535".to_owned(),
    }
}

impl DbUrl {
    /// Parses any accepted URL form. A relative SQLite path is made absolute
    /// against `relative_base` (the config folder for `default_url`, the
    /// current folder for a URL from the environment: docs/reference.md, "Configuration").
    ///
    /// # Errors
    /// A [`UrlError`] that never contains the password.
    pub fn parse(raw: &str, relative_base: &Path) -> Result<Self, UrlError> {
        let trimmed = raw.trim();
        let (scheme, rest) = split_scheme(trimmed)?;
        let lower = scheme.to_ascii_lowercase();
        let (base, driver) = match lower.split_once('+') {
            Some((base, driver)) => (base, Some(driver)),
            None => (lower.as_str(), None),
        };
        let parts = match base {
            "postgres" | "postgresql" => server::parse(Dialect::Postgres, rest, driver, scheme)?,
            "mysql" | "mariadb" => server::parse(Dialect::Mysql, rest, driver, scheme)?,
            "sqlite" => sqlite::parse(rest, driver.is_some(), &lower, relative_base)?,
            _ => return Err(UrlError::UnknownScheme { scheme: lower }),
        };
        let mut secrets = parts.secrets;
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Ok(Self {
            kind: parts.kind,
            connect: parts.connect,
            redacted: RedactedUrl(parts.redacted),
            target: parts.target,
            sqlite_path: parts.sqlite_path,
            password: parts.password,
            raw: trimmed.to_owned(),
            secrets,
        })
    }

    pub fn kind(&self) -> Dialect {
        self.kind
    }

    /// The URL to give sqlx: scheme normalised, `+driver` dropped, asyncpg's
    /// `ssl=` read as `sslmode=`, a SQLite path absolute with `mode=rwc`
    /// unless a mode was given (the file is created if missing).
    pub fn connect_url(&self) -> &str {
        &self.connect
    }

    /// The form to show anywhere: `postgres://user:***@host:port/db`.
    pub fn redacted(&self) -> RedactedUrl {
        self.redacted.clone()
    }

    /// What this URL connects to, for telling two databases apart.
    pub fn target(&self) -> &ConnectionTarget {
        &self.target
    }

    /// True when both URLs reach the same database. In-memory SQLite
    /// databases are private to their connection, so they never do.
    pub fn same_target(&self, other: &DbUrl) -> bool {
        self.target != ConnectionTarget::Memory && self.target == other.target
    }

    /// The absolute SQLite file; `None` for other engines and for memory.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.sqlite_path.as_deref()
    }

    pub fn is_memory(&self) -> bool {
        self.target == ConnectionTarget::Memory
    }

    /// The decoded password, from the user-info or a `password=` parameter.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// Replaces the full URL (as given and as sent to sqlx) with the redacted
    /// form, then every spelling of the password with `***`, in any text
    /// (driver error messages may quote either).
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for url in [&self.raw, &self.connect] {
            if !url.is_empty() && out.contains(url.as_str()) {
                out = out.replace(url.as_str(), self.redacted.as_str());
            }
        }
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// I/O: checks that the folder of a SQLite file exists (the file itself
    /// is created on first use, its folder is not).
    ///
    /// # Errors
    /// [`UrlError::SqliteFolderMissing`] naming the folder.
    pub fn check_sqlite_folder(&self) -> Result<(), UrlError> {
        let Some(folder) = self.sqlite_path.as_deref().and_then(Path::parent) else {
            return Ok(());
        };
        if folder.as_os_str().is_empty() || folder.is_dir() {
            Ok(())
        } else {
            Err(UrlError::SqliteFolderMissing {
                folder: folder.to_path_buf(),
            })
        }
    }
}

impl fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DbUrl").field(&self.redacted).finish()
    }
}

/// What a scheme-specific parser hands back to [`DbUrl::parse`].
struct Parts {
    kind: Dialect,
    connect: String,
    redacted: String,
    target: ConnectionTarget,
    sqlite_path: Option<PathBuf>,
    password: Option<String>,
    secrets: Vec<String>,
}

/// Splits `scheme:rest`, checking the scheme's characters (RFC 3986).
fn split_scheme(raw: &str) -> Result<(&str, &str), UrlError> {
    let (scheme, rest) = raw.split_once(':').ok_or(UrlError::NotAUrl)?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if first_ok && rest_ok && scheme.len() <= 64 {
        Ok((scheme, rest))
    } else {
        Err(UrlError::NotAUrl)
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays as is.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                // Two hex digits are at most 255.
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True for query parameter names whose value is a secret.
fn is_secret_param(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("pass") || n.contains("secret") || n.contains("token") || n == "pwd"
}

/// A query string with the values of secret-looking parameters replaced by `***`.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if is_secret_param(&percent_decode(k)) => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The values of secret-looking query parameters, as written and decoded.
fn query_secrets(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for pair in query.split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && is_secret_param(&percent_decode(k))
        {
            out.push(v.to_owned());
            out.push(percent_decode(v));
            out.push(percent_decode(&v.replace('+', " ")));
        }
    }
    out
}

#[cfg(test)]
mod tests;
