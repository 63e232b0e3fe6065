//! Checks the text of `migrate.toml` and builds a [`Config`] (docs/reference.md, "Configuration").
//!
//! Pure: no file, env or clock access. Every error carries the line it is
//! about, found from the spans the TOML parser keeps.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, ConfigErrorKind};
use super::{Config, DatabaseConfig, Settings, suggest};
use crate::url::DbUrl;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    settings: Option<RawSettings>,
    databases: Option<BTreeMap<Spanned<String>, Spanned<RawDatabase>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    lock_timeout: Option<Spanned<toml::Value>>,
    wait: Option<Spanned<toml::Value>>,
    ddl_lock_timeout: Option<Spanned<toml::Value>>,
    statement_timeout: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url_env: Option<Spanned<String>>,
    #[serde(default)]
    fallback_env: Vec<Spanned<String>>,
    default_url: Option<Spanned<String>>,
    direct_url_env: Option<Spanned<String>>,
    migrations: Option<Spanned<String>>,
    version_table: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    #[serde(default)]
    after: Vec<Spanned<String>>,
    shadow_url_env: Option<Spanned<String>>,
}

/// Longest value quoted back in a message.
const QUOTE_MAX: usize = 80;

/// Parses and checks `text`, the contents of the file at `path` (which
/// should be absolute: its folder becomes [`Config::dir`]).
///
/// # Errors
/// The first problem found, with the file and line: TOML syntax, an unknown
/// key, a bad name, duration, identifier or `default_url`, a missing
/// `url_env`/`migrations`, a bad `after`, or no databases at all.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let ctx = Ctx { path, text };
    let raw: RawFile = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let settings = settings(&ctx, raw.settings)?;
    let raw_dbs = raw.databases.unwrap_or_default();
    if raw_dbs.is_empty() {
        return Err(ctx.error(None, ConfigErrorKind::NoDatabases));
    }
    let names: Vec<&str> = raw_dbs.keys().map(|k| k.get_ref().as_str()).collect();
    let mut databases = BTreeMap::new();
    for (name, db) in &raw_dbs {
        let checked = database(&ctx, &dir, name, db, &names)?;
        databases.insert(checked.name.clone(), checked);
    }
    check_cycles(&ctx, &raw_dbs)?;
    Ok(Config {
        path: path.to_path_buf(),
        dir,
        settings,
        databases,
    })
}

/// The file being parsed, for locating errors.
struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&self, offset: Option<usize>, kind: ConfigErrorKind) -> ConfigError {
        ConfigError::new(self.path, offset.map(|o| self.line(o)), kind)
    }

    fn at<T>(&self, spanned: &Spanned<T>, kind: ConfigErrorKind) -> ConfigError {
        self.error(Some(spanned.span().start), kind)
    }

    fn toml_error(&self, err: &toml::de::Error) -> ConfigError {
        let offset = err.span().map(|s| s.start);
        let message = err.message().trim_end().to_owned();
        let kind = match unknown_key(&message) {
            Some((key, expected)) => ConfigErrorKind::UnknownKey {
                key,
                table: self.table_at(offset.unwrap_or(0)),
                expected,
            },
            None => ConfigErrorKind::Syntax { message },
        };
        self.error(offset, kind)
    }

    /// The `[table]` header in force at `offset`, as users wrote it.
    fn table_at(&self, offset: usize) -> String {
        let end = offset.min(self.text.len());
        let before = String::from_utf8_lossy(&self.text.as_bytes()[..end]);
        // A key inside a header (`[database.core]`) is a top-level key.
        if before
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim_start().starts_with('['))
        {
            return "the top level".to_owned();
        }
        before
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| l.starts_with('['))
            .and_then(|l| l.split(']').next())
            .map(|l| format!("`{}]`", clip(l)))
            .unwrap_or_else(|| "the top level".to_owned())
    }
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" message.
fn unknown_key(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (key, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((clip(key), expected))
}

/// `s`, cut to [`QUOTE_MAX`] characters, so hostile input stays readable.
fn clip(s: &str) -> String {
    if s.chars().count() <= QUOTE_MAX {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(QUOTE_MAX).collect::<String>())
    }
}

fn settings(ctx: &Ctx<'_>, raw: Option<RawSettings>) -> Result<Settings, ConfigError> {
    let defaults = Settings::default();
    let Some(raw) = raw else {
        return Ok(defaults);
    };
    let duration = |key: &str, value: Option<Spanned<toml::Value>>| {
        value.map(|v| parse_duration(ctx, key, &v)).transpose()
    };
    Ok(Settings {
        lock_timeout: duration("lock_timeout", raw.lock_timeout)?.unwrap_or(defaults.lock_timeout),
        wait: duration("wait", raw.wait)?.unwrap_or(defaults.wait),
        ddl_lock_timeout: duration("ddl_lock_timeout", raw.ddl_lock_timeout)?,
        statement_timeout: duration("statement_timeout", raw.statement_timeout)?,
    })
}

fn parse_duration(
    ctx: &Ctx<'_>,
    key: &str,
    value: &Spanned<toml::Value>,
) -> Result<Duration, ConfigError> {
    let bad = |shown: String, reason: String| {
        let key = key.to_owned();
        let value_text = clip(&shown);
        ctx.at(
            value,
            ConfigErrorKind::BadDuration {
                key,
                value: value_text,
                // humantime's reason quotes the bad unit, which can be huge.
                reason: clip(&reason),
            },
        )
    };
    match value.get_ref() {
        toml::Value::String(s) => {
            humantime::parse_duration(s).map_err(|e| bad(format!("\"{s}\""), e.to_string()))
        }
        toml::Value::Integer(n) => Err(bad(n.to_string(), "a number needs a unit".to_owned())),
        other => Err(bad(other.type_str().to_owned(), "not a string".to_owned())),
    }
}

fn database(
    ctx: &Ctx<'_>,
    dir: &Path,
    name: &Spanned<String>,
    raw: &Spanned<RawDatabase>,
    names: &[&str],
) -> Result<DatabaseConfig, ConfigError> {
    let db = name.get_ref().clone();
    if !is_database_name(&db) {
        let kind = ConfigErrorKind::BadDatabaseName { name: clip(&db) };
        return Err(ctx.at(name, kind));
    }
    let table = raw.get_ref();
    let missing = |key, example| {
        let kind = ConfigErrorKind::MissingKey {
            db: db.clone(),
            key,
            example,
        };
        ctx.at(name, kind)
    };
    let url_env = table
        .url_env
        .as_ref()
        .ok_or_else(|| missing("url_env", "\"DATABASE_URL\""))?;
    let named = std::iter::once((url_env, "url_env"))
        .chain(table.fallback_env.iter().map(|v| (v, "fallback_env")))
        .chain(table.direct_url_env.iter().map(|v| (v, "direct_url_env")))
        .chain(table.shadow_url_env.iter().map(|v| (v, "shadow_url_env")));
    for (var, key) in named {
        if !is_identifier(var.get_ref()) {
            return Err(ctx.at(
                var,
                ConfigErrorKind::BadEnvName {
                    db: db.clone(),
                    key,
                },
            ));
        }
    }
    let migrations = table
        .migrations
        .as_ref()
        .filter(|m| !m.get_ref().trim().is_empty())
        .ok_or_else(|| missing("migrations", "\"migrations\""))?;
    if let Some(url) = &table.default_url {
        DbUrl::parse(url.get_ref(), dir).map_err(|e| {
            let kind = ConfigErrorKind::BadDefaultUrl {
                db: db.clone(),
                reason: e.to_string(),
            };
            ctx.at(url, kind)
        })?;
    }
    let version_table = match &table.version_table {
        Some(t) => identifier(ctx, &db, "version_table", t)?,
        None => {
            let default = format!("_migrate_{db}");
            if default.len() > 63 {
                let kind = ConfigErrorKind::BadDatabaseName { name: clip(&db) };
                return Err(ctx.at(name, kind));
            }
            default
        }
    };
    let schema = match &table.schema {
        Some(s) => Some(identifier(ctx, &db, "schema", s)?),
        None => None,
    };
    for dep in &table.after {
        check_after(ctx, &db, dep, names)?;
    }
    let written = PathBuf::from(migrations.get_ref());
    Ok(DatabaseConfig {
        name: db,
        url_env: url_env.get_ref().clone(),
        fallback_env: table
            .fallback_env
            .iter()
            .map(|v| v.get_ref().clone())
            .collect(),
        default_url: table.default_url.as_ref().map(|u| u.get_ref().clone()),
        direct_url_env: table.direct_url_env.as_ref().map(|v| v.get_ref().clone()),
        migrations: dir.join(&written),
        migrations_display: written,
        version_table,
        schema,
        after: table.after.iter().map(|d| d.get_ref().clone()).collect(),
        shadow_url_env: table.shadow_url_env.as_ref().map(|v| v.get_ref().clone()),
    })
}

fn check_after(
    ctx: &Ctx<'_>,
    db: &str,
    dep: &Spanned<String>,
    names: &[&str],
) -> Result<(), ConfigError> {
    let dep_name = dep.get_ref().as_str();
    if dep_name == db {
        return Err(ctx.at(dep, ConfigErrorKind::AfterSelf { db: db.to_owned() }));
    }
    if names.contains(&dep_name) {
        return Ok(());
    }
    let others = names.iter().copied().filter(|n| *n != db);
    let suggestion = suggest::closest(dep_name, others).map(str::to_owned);
    let kind = ConfigErrorKind::UnknownAfter {
        db: db.to_owned(),
        dep: clip(dep_name),
        suggestion,
    };
    Err(ctx.at(dep, kind))
}

/// Finds a cycle through `after` by depth-first search, in name order so the
/// same file always reports the same cycle.
fn check_cycles(
    ctx: &Ctx<'_>,
    dbs: &BTreeMap<Spanned<String>, Spanned<RawDatabase>>,
) -> Result<(), ConfigError> {
    let edges: BTreeMap<&str, Vec<&Spanned<String>>> = dbs
        .iter()
        .map(|(name, db)| (name.get_ref().as_str(), db.get_ref().after.iter().collect()))
        .collect();
    let mut done: Vec<&str> = Vec::new();
    for &start in edges.keys() {
        // Each entry: a database and the index of its next `after` to visit.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some(top) = path.last_mut() {
            let (node, index) = *top;
            top.1 += 1;
            let deps = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some(dep) = deps.get(index) else {
                done.push(node);
                path.pop();
                continue;
            };
            let dep_name = dep.get_ref().as_str();
            if let Some(i) = path.iter().position(|(n, _)| *n == dep_name) {
                let mut cycle: Vec<String> =
                    path.iter().skip(i).map(|(n, _)| (*n).to_owned()).collect();
                cycle.push(dep_name.to_owned());
                return Err(ctx.at(dep, ConfigErrorKind::AfterCycle { cycle }));
            }
            if !done.contains(&dep_name) {
                path.push((dep_name, 0));
            }
        }
    }
    Ok(())
}

fn identifier(
    ctx: &Ctx<'_>,
    db: &str,
    key: &'static str,
    value: &Spanned<String>,
) -> Result<String, ConfigError> {
    let v = value.get_ref();
    if is_identifier(v) && v.len() <= 63 {
        return Ok(v.clone());
    }
    let kind = ConfigErrorKind::BadIdentifier {
        db: db.to_owned(),
        key,
        value: clip(v),
    };
    Err(ctx.at(value, kind))
}

/// `[a-z][a-z0-9_]*`, at most 63 characters.
pub fn is_database_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 63
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `[A-Za-z_][A-Za-z0-9_]*`: SQL identifiers and environment variable names.
fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
