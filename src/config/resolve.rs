//! Which URL each database uses (docs/reference.md, "Configuration"): its `url_env`, else its
//! `fallback_env` in order, else its `default_url`; and the check that two
//! databases don't share one version table.
//!
//! Pure: the environment is an [`Env`] value, the folders are arguments.

use std::path::Path;

use super::DatabaseConfig;
use super::dotenv::Env;
use crate::url::{DbUrl, Dialect, UrlError};

/// A database's URL and where it came from.
#[derive(Clone, Debug)]
pub struct ResolvedUrl {
    pub url: DbUrl,
    pub source: UrlSource,
    /// The database's `direct_url_env`, when it is configured but unset:
    /// migrations then go through the application's (maybe pooled) URL.
    pub direct_missing: Option<String>,
}

/// Where a URL came from. Anything but `Primary` is a local-development
/// convenience: a warning, or with `--strict` an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlSource {
    /// The database's own `url_env`.
    Primary { var: String },
    /// Its `direct_url_env`: a direct URL for migrations, while the
    /// application keeps `url_env`'s (often pooled) one.
    Direct { var: String },
    /// `missing` (the `url_env`) is unset; `used` is the `fallback_env` entry used.
    Fallback { missing: String, used: String },
    /// `missing` (the `url_env`) and every fallback are unset; `default_url` was used.
    Default { missing: String },
}

impl UrlSource {
    /// The stderr warning for a URL that is not the database's own.
    pub fn warning(&self, db: &str) -> Option<String> {
        let (missing, used) = self.fallback()?;
        Some(format!(
            "database `{db}`: `{missing}` is not set; using {used} — set `{missing}` in \
             production, where --strict makes this an error"
        ))
    }

    /// The unset variable and a description of what was used instead.
    fn fallback(&self) -> Option<(&str, String)> {
        match self {
            Self::Primary { .. } | Self::Direct { .. } => None,
            Self::Fallback { missing, used } => {
                Some((missing.as_str(), format!("`{used}` (fallback_env)")))
            }
            Self::Default { missing } => Some((
                missing.as_str(),
                "`default_url` from migrate.toml".to_owned(),
            )),
        }
    }
}

impl ResolvedUrl {
    /// The stderr warnings for a URL that is not what production should
    /// use: a fallback or default (see [`UrlSource::warning`]), or a
    /// configured `direct_url_env` that is unset.
    pub fn warnings(&self, db: &str) -> Vec<String> {
        let mut out: Vec<String> = self.source.warning(db).into_iter().collect();
        if let Some(var) = &self.direct_missing {
            out.push(format!(
                "database `{db}`: `{var}` (its `direct_url_env`) is not set; migrations go \
                 through the application's URL, which may be a pooled one"
            ));
        }
        out
    }

    /// Under `--strict` every database must have its own variables set.
    ///
    /// # Errors
    /// [`ResolveError::Strict`] when the URL came from a fallback or
    /// default, or a configured `direct_url_env` is unset.
    pub fn check_strict(&self, db: &str) -> Result<(), ResolveError> {
        if let Some((missing, used)) = self.source.fallback() {
            return Err(ResolveError::Strict {
                db: db.to_owned(),
                missing: missing.to_owned(),
                used,
            });
        }
        match &self.direct_missing {
            Some(var) => Err(ResolveError::Strict {
                db: db.to_owned(),
                missing: var.clone(),
                used: "the application's URL for migrations".to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// Why a database has no usable URL. All are bad input (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("database `{db}`: `{var}` is set but empty: set it to the database URL, or unset it")]
    EmptyVar { db: String, var: String },
    #[error(
        "database `{db}` has no URL: {}, and it has no `default_url`; set `{url_env}` \
         (its `url_env`) to the database URL",
        none_set(tried)
    )]
    NoUrl {
        db: String,
        url_env: String,
        /// Every variable tried, in order.
        tried: Vec<String>,
    },
    #[error("database `{db}`: the URL in {origin} is not usable: {error}")]
    BadUrl {
        db: String,
        /// `` `AI_DATABASE_URL` `` or `` `default_url` in migrate.toml ``.
        origin: String,
        error: UrlError,
    },
    #[error(
        "database `{db}`: `{missing}` is not set, and --strict (or MIGRATE_STRICT=1) forbids \
         using {used}: set `{missing}`"
    )]
    Strict {
        db: String,
        missing: String,
        used: String,
    },
    #[error(
        "databases `{first}` and `{second}` resolve to the same database and the same version \
         table `{table}`: give one of them its own `version_table`, or point its `url_env` at \
         another database"
    )]
    SameTarget {
        first: String,
        second: String,
        table: String,
    },
}

fn none_set(vars: &[String]) -> String {
    let ticked: Vec<String> = vars.iter().map(|v| format!("`{v}`")).collect();
    match ticked.as_slice() {
        [one] => format!("{one} is not set"),
        many => format!("none of {} is set", many.join(", ")),
    }
}

/// The URL of `db`: the first of `url_env`, then each `fallback_env`, that
/// is set; else `default_url`. A relative SQLite path is relative to `cwd`
/// for a URL from the environment (as the application sees it) and to
/// `config_dir` for `default_url` (docs/reference.md, "Configuration").
///
/// # Errors
/// A variable set but empty, a URL that does not parse (naming where it
/// came from), or no URL at all (naming every variable tried).
pub fn resolve(
    db: &DatabaseConfig,
    env: &Env,
    config_dir: &Path,
    cwd: &Path,
) -> Result<ResolvedUrl, ResolveError> {
    let vars = std::iter::once(&db.url_env).chain(&db.fallback_env);
    for var in vars {
        let Some(value) = env.get(var) else { continue };
        if value.trim().is_empty() {
            let (db, var) = (db.name.clone(), var.clone());
            return Err(ResolveError::EmptyVar { db, var });
        }
        let url = DbUrl::parse(value, cwd).map_err(|error| ResolveError::BadUrl {
            db: db.name.clone(),
            origin: format!("`{var}`"),
            error,
        })?;
        let source = if *var == db.url_env {
            UrlSource::Primary { var: var.clone() }
        } else {
            let missing = db.url_env.clone();
            UrlSource::Fallback {
                missing,
                used: var.clone(),
            }
        };
        return Ok(ResolvedUrl {
            url,
            source,
            direct_missing: None,
        });
    }
    let Some(default) = &db.default_url else {
        let mut tried = vec![db.url_env.clone()];
        tried.extend(db.fallback_env.iter().cloned());
        let (db, url_env) = (db.name.clone(), db.url_env.clone());
        return Err(ResolveError::NoUrl { db, url_env, tried });
    };
    let url = DbUrl::parse(default, config_dir).map_err(|error| ResolveError::BadUrl {
        db: db.name.clone(),
        origin: "`default_url` in migrate.toml".to_owned(),
        error,
    })?;
    let source = UrlSource::Default {
        missing: db.url_env.clone(),
    };
    Ok(ResolvedUrl {
        url,
        source,
        direct_missing: None,
    })
}

/// The URL `migrate` connects with: the database's `direct_url_env` when
/// that variable is set (the application keeps `url_env`'s, often pooled,
/// URL), else [`resolve`]'s, noting a configured `direct_url_env` that is
/// unset. The same rules hold for both: an empty variable is an error, a
/// `+driver` scheme is accepted, a password is never shown.
///
/// # Errors
/// As [`resolve`], for whichever variable is used.
pub fn resolve_for_migrations(
    db: &DatabaseConfig,
    env: &Env,
    config_dir: &Path,
    cwd: &Path,
) -> Result<ResolvedUrl, ResolveError> {
    let Some(var) = &db.direct_url_env else {
        return resolve(db, env, config_dir, cwd);
    };
    match env.get(var) {
        Some(value) if value.trim().is_empty() => Err(ResolveError::EmptyVar {
            db: db.name.clone(),
            var: var.clone(),
        }),
        Some(value) => {
            let url = DbUrl::parse(value, cwd).map_err(|error| ResolveError::BadUrl {
                db: db.name.clone(),
                origin: format!("`{var}`"),
                error,
            })?;
            Ok(ResolvedUrl {
                url,
                source: UrlSource::Direct { var: var.clone() },
                direct_missing: None,
            })
        }
        None => Ok(ResolvedUrl {
            direct_missing: Some(var.clone()),
            ..resolve(db, env, config_dir, cwd)?
        }),
    }
}

/// Stops a run where two databases would share one version table: the same
/// connection target (engine, host, port, database, or SQLite file) and the
/// same schema and table name (docs/reference.md, "Configuration").
///
/// # Errors
/// [`ResolveError::SameTarget`] naming the first such pair, sorted.
pub fn check_distinct(
    resolved: &[(&str, &ResolvedUrl, &DatabaseConfig)],
) -> Result<(), ResolveError> {
    for (i, (a_name, a_url, a_db)) in resolved.iter().enumerate() {
        for (b_name, b_url, b_db) in resolved.iter().skip(i + 1) {
            let same_table = a_db.version_table == b_db.version_table
                && schema_of(a_url, a_db) == schema_of(b_url, b_db);
            if same_table && a_url.url.same_target(&b_url.url) {
                let (first, second) = if a_name <= b_name {
                    (a_name, b_name)
                } else {
                    (b_name, a_name)
                };
                return Err(ResolveError::SameTarget {
                    first: (*first).to_owned(),
                    second: (*second).to_owned(),
                    table: a_db.version_table.clone(),
                });
            }
        }
    }
    Ok(())
}

/// PostgreSQL puts an unqualified table in `public`; elsewhere the schema
/// is compared as written.
fn schema_of<'a>(url: &ResolvedUrl, db: &'a DatabaseConfig) -> Option<&'a str> {
    match (url.url.kind(), db.schema.as_deref()) {
        (Dialect::Postgres, None) => Some("public"),
        (_, schema) => schema,
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
