//! SQLite URLs, under two path rules (docs/reference.md, "Configuration"):
//! - sqlx's, for plain `sqlite:`: `sqlite://rel/x.db` and `sqlite:rel.db` are
//!   relative, `sqlite:///abs/x.db` absolute;
//! - SQLAlchemy's, for `sqlite+<driver>:`: `sqlite+aiosqlite:///app.db` is
//!   relative, four slashes absolute, an empty path is memory.
//!
//! Pure: a relative path is joined to a base given by the caller.

use std::path::{Component, Path, PathBuf};

use super::{ConnectionTarget, Dialect, Parts, UrlError, percent_decode};

/// Query parameters sqlx's SQLite driver accepts (it rejects any other).
const SQLX_PARAMS: &[&str] = &["mode", "cache", "immutable", "vfs"];

/// Characters escaped in the path of the URL given to sqlx, which
/// percent-decodes the path (so `%` itself must be escaped too).
const PATH_ESCAPED: &[u8] = b" \"#%<>?`{}";

/// Parses everything after `sqlite:` / `sqlite+driver:`.
pub(super) fn parse(
    rest: &str,
    sqlalchemy: bool,
    scheme: &str,
    base: &Path,
) -> Result<Parts, UrlError> {
    let (body, query) = match rest.split_once('?') {
        Some((body, query)) => (body, Some(query)),
        None => (rest, None),
    };
    let body = body.split('#').next().unwrap_or_default();
    let query = query.map(|q| q.split('#').next().unwrap_or_default());
    let query = query
        .map(|q| keep_params(q, sqlalchemy))
        .filter(|q| !q.is_empty());
    let memory_mode = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p == "mode=memory"));

    let name = if sqlalchemy {
        sqlalchemy_name(body, scheme)?
    } else {
        Some(body.strip_prefix("//").unwrap_or(body))
            .filter(|name| !name.is_empty() || memory_mode)
            .ok_or(UrlError::SqliteNoPath)?
    };
    if name.is_empty() || name == ":memory:" || memory_mode {
        return Ok(memory(query));
    }
    let path = normalize(&base.join(percent_decode(name)));
    Ok(file(path, query))
}

/// SQLAlchemy: `//` then an empty host, then `/path`; `//` alone is memory.
fn sqlalchemy_name<'a>(body: &'a str, scheme: &str) -> Result<&'a str, UrlError> {
    let after = body.strip_prefix("//").ok_or(UrlError::Malformed {
        kind: Dialect::Sqlite,
        reason: format!("write `{scheme}:///relative/app.db` or `{scheme}:////absolute/app.db`"),
    })?;
    if after.is_empty() {
        return Ok("");
    }
    after.strip_prefix('/').ok_or_else(|| UrlError::SqliteHost {
        scheme: scheme.to_owned(),
    })
}

/// A SQLAlchemy URL's query holds the Python driver's options
/// (`check_same_thread`, `timeout`, ...), which sqlx would reject.
fn keep_params(query: &str, sqlalchemy: bool) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            !sqlalchemy || SQLX_PARAMS.contains(&key)
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn memory(query: Option<String>) -> Parts {
    let suffix = query.map(|q| format!("?{q}")).unwrap_or_default();
    let url = format!("sqlite::memory:{suffix}");
    Parts {
        kind: Dialect::Sqlite,
        connect: url.clone(),
        redacted: url,
        target: ConnectionTarget::Memory,
        sqlite_path: None,
        password: None,
        secrets: Vec::new(),
    }
}

fn file(path: PathBuf, query: Option<String>) -> Parts {
    let shown = path.to_string_lossy().into_owned();
    let escaped = escape_path(&shown);
    let has_mode = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("mode=")));
    // docs/reference.md, "Configuration": the file is created if missing, which sqlx does only with `rwc`.
    let connect_query = match (&query, has_mode) {
        (Some(q), true) => format!("?{q}"),
        (Some(q), false) => format!("?{q}&mode=rwc"),
        (None, _) => "?mode=rwc".to_owned(),
    };
    let shown_query = query.map(|q| format!("?{q}")).unwrap_or_default();
    Parts {
        kind: Dialect::Sqlite,
        connect: format!("sqlite://{escaped}{connect_query}"),
        redacted: format!("sqlite://{shown}{shown_query}"),
        target: ConnectionTarget::SqliteFile(path.clone()),
        sqlite_path: Some(path),
        password: None,
        secrets: Vec::new(),
    }
}

fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match u8::try_from(c) {
            Ok(b) if b.is_ascii_control() || PATH_ESCAPED.contains(&b) => {
                out.push_str(&format!("%{b:02X}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Drops `.` and folds `..` without touching the filesystem, so that two
/// spellings of one file compare equal.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                // A relative path keeps its leading `..`s.
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out
}
