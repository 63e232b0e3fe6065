//! Pure: which SQL dialect an import renders for, and what to tell the
//! user about that choice.
//!
//! `--dialect` wins. Otherwise the engine of the database's URL decides,
//! but only the database's own `url_env` is trusted quietly: on a laptop
//! the URL often comes from a SQLite `default_url` (or a `fallback_env`)
//! while production runs PostgreSQL, and SQL rendered for the wrong engine
//! would be written into files that are never rendered again.

use std::fmt;

use crate::config::{ResolveError, UrlSource};
use crate::exit::Fail;
use crate::url::Dialect;

/// An SQL dialect Alembic renders for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub(crate) enum SqlDialect {
    #[value(alias = "postgres")]
    Postgresql,
    Sqlite,
    #[value(alias = "mariadb")]
    Mysql,
}

impl SqlDialect {
    /// SQLAlchemy's name for it.
    pub(crate) fn alembic_name(self) -> &'static str {
        match self {
            Self::Postgresql => "postgresql",
            Self::Sqlite => "sqlite",
            Self::Mysql => "mysql",
        }
    }

    pub(crate) fn of(kind: Dialect) -> Self {
        match kind {
            Dialect::Postgres => Self::Postgresql,
            Dialect::Sqlite => Self::Sqlite,
            Dialect::Mysql => Self::Mysql,
        }
    }

    fn kind(self) -> Dialect {
        match self {
            Self::Postgresql => Dialect::Postgres,
            Self::Sqlite => Dialect::Sqlite,
            Self::Mysql => Dialect::Mysql,
        }
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().name())
    }
}

/// The dialect chosen, and a warning to print when the choice is a guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DialectChoice {
    pub dialect: SqlDialect,
    pub warning: Option<String>,
}

/// Where the database's URL came from, as far as the dialect is concerned.
pub(crate) type UrlOrigin = Result<(Dialect, UrlSource), ResolveError>;

const CHOICES: &str = "--dialect postgresql (or sqlite, mysql)";

/// Picks the dialect for database `db`.
///
/// # Errors
/// Bad input (exit 2): no `--dialect` and no usable URL; or, under
/// `strict`, a URL that is not the database's own `url_env`.
pub(crate) fn choose(
    flag: Option<SqlDialect>,
    url: UrlOrigin,
    db: &str,
    strict: bool,
) -> Result<DialectChoice, Fail> {
    if let Some(dialect) = flag {
        let warning = match url {
            Ok((kind, UrlSource::Primary { var } | UrlSource::Direct { var }))
                if kind != dialect.kind() =>
            {
                Some(format!(
                    "database `{db}`: rendering SQL for {dialect} (--dialect), although `{var}` \
                     points at {kind}"
                ))
            }
            _ => None,
        };
        return Ok(DialectChoice { dialect, warning });
    }
    let (kind, source) = url.map_err(|e| no_url(db, &e))?;
    let dialect = SqlDialect::of(kind);
    let (missing, used) = match source {
        UrlSource::Primary { .. } | UrlSource::Direct { .. } => {
            return Ok(DialectChoice {
                dialect,
                warning: None,
            });
        }
        UrlSource::Fallback { missing, used } => (missing, format!("`{used}` (fallback_env)")),
        UrlSource::Default { missing } => (missing, "`default_url` in migrate.toml".to_owned()),
    };
    if strict {
        return Err(Fail::bad_input(format!(
            "database `{db}`: `{missing}` is not set, and --strict (or MIGRATE_STRICT=1) will \
             not take the SQL dialect from {used}"
        ))
        .hint(format!(
            "pass the dialect production runs, e.g. {CHOICES}, or set `{missing}`"
        )));
    }
    Ok(DialectChoice {
        dialect,
        warning: Some(format!(
            "database `{db}`: rendering SQL for {dialect}, the engine of {used}, because \
             `{missing}` is not set; if production runs another engine, import again into an \
             empty folder with {CHOICES}"
        )),
    })
}

fn no_url(db: &str, e: &ResolveError) -> Fail {
    let what = match e {
        ResolveError::NoUrl { .. } => {
            format!("database `{db}`: cannot tell which SQL dialect to render: it has no URL ({e})")
        }
        _ => format!("database `{db}`: cannot tell which SQL dialect to render: {e}"),
    };
    Fail::bad_input(what).hint(format!("pass {CHOICES}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary() -> UrlSource {
        UrlSource::Primary {
            var: "DATABASE_URL".into(),
        }
    }

    fn default() -> UrlSource {
        UrlSource::Default {
            missing: "DATABASE_URL".into(),
        }
    }

    #[test]
    fn the_databases_own_variable_decides_quietly() {
        let choice = choose(None, Ok((Dialect::Postgres, primary())), "core", true).unwrap();
        assert_eq!(choice.dialect, SqlDialect::Postgresql);
        assert_eq!(choice.warning, None);
    }

    #[test]
    fn a_default_url_is_used_with_a_warning_and_refused_under_strict() {
        let choice = choose(None, Ok((Dialect::Sqlite, default())), "core", false).unwrap();
        assert_eq!(choice.dialect, SqlDialect::Sqlite);
        let warning = choice.warning.unwrap();
        assert!(
            warning.contains("SQLite") && warning.contains("`default_url`"),
            "{warning}"
        );
        assert!(warning.contains("`DATABASE_URL` is not set") && warning.contains("--dialect"));

        let err = choose(None, Ok((Dialect::Sqlite, default())), "core", true).unwrap_err();
        assert_eq!(err.category, crate::exit::Category::BadInput);
        assert!(err.message.contains("--strict"), "{}", err.message);
        assert!(err.hint.unwrap().contains("--dialect postgresql"));
    }

    #[test]
    fn a_fallback_variable_names_itself() {
        let source = UrlSource::Fallback {
            missing: "AI_DATABASE_URL".into(),
            used: "DATABASE_URL".into(),
        };
        let choice = choose(None, Ok((Dialect::Postgres, source)), "ai", false).unwrap();
        assert!(
            choice
                .warning
                .unwrap()
                .contains("`DATABASE_URL` (fallback_env)")
        );
    }

    #[test]
    fn the_flag_wins_and_says_when_it_disagrees_with_the_url() {
        let choice = choose(
            Some(SqlDialect::Sqlite),
            Ok((Dialect::Postgres, primary())),
            "core",
            true,
        )
        .unwrap();
        assert_eq!(choice.dialect, SqlDialect::Sqlite);
        assert!(choice.warning.unwrap().contains("points at PostgreSQL"));
        let quiet = choose(
            Some(SqlDialect::Postgresql),
            Ok((Dialect::Sqlite, default())),
            "core",
            true,
        );
        assert_eq!(quiet.unwrap().warning, None);
    }

    #[test]
    fn no_url_and_no_flag_asks_for_the_flag() {
        let no_url = ResolveError::NoUrl {
            db: "core".into(),
            url_env: "DATABASE_URL".into(),
            tried: vec!["DATABASE_URL".into()],
        };
        let err = choose(None, Err(no_url.clone()), "core", false).unwrap_err();
        assert_eq!(err.category, crate::exit::Category::BadInput);
        assert!(err.hint.unwrap().contains("--dialect"));
        assert!(choose(Some(SqlDialect::Mysql), Err(no_url), "core", false).is_ok());
    }
}
