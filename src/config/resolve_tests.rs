use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;

const CONFIG_DIR: &str = "/repo";
const CWD: &str = "/repo/services/api";

fn db(name: &str, url_env: &str, fallback: &[&str], default_url: Option<&str>) -> DatabaseConfig {
    DatabaseConfig {
        name: name.to_owned(),
        url_env: url_env.to_owned(),
        fallback_env: fallback.iter().map(|s| (*s).to_owned()).collect(),
        default_url: default_url.map(str::to_owned),
        direct_url_env: None,
        migrations: Path::new(CONFIG_DIR).join(format!("migrations_{name}")),
        migrations_display: PathBuf::from(format!("migrations_{name}")),
        version_table: format!("_migrate_{name}"),
        schema: None,
        after: vec![],
        shadow_url_env: None,
    }
}

fn env(process: &[(&str, &str)], dotenv: &[(&str, &str)]) -> Env {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    Env::from_maps(map(process), map(dotenv))
}

fn run(db: &DatabaseConfig, env: &Env) -> Result<ResolvedUrl, ResolveError> {
    resolve(db, env, Path::new(CONFIG_DIR), Path::new(CWD))
}

#[test]
fn primary_variable_is_used_without_warning() {
    let ai = db(
        "ai",
        "AI_DATABASE_URL",
        &["DATABASE_URL"],
        Some("sqlite://.migrate/ai.db"),
    );
    let e = env(
        &[
            ("AI_DATABASE_URL", "postgres://u:pw@ai-host/ai"),
            ("DATABASE_URL", "postgres://core/db"),
        ],
        &[],
    );
    let r = run(&ai, &e).unwrap();
    assert_eq!(
        r.source,
        UrlSource::Primary {
            var: "AI_DATABASE_URL".to_owned()
        }
    );
    assert_eq!(r.url.redacted().as_str(), "postgres://u:***@ai-host/ai");
    assert!(r.warnings("ai").is_empty());
    assert_eq!(r.check_strict("ai"), Ok(()));
}

#[test]
fn fallback_is_used_with_a_warning_and_refused_under_strict() {
    let ai = db(
        "ai",
        "AI_DATABASE_URL",
        &["OTHER_URL", "DATABASE_URL"],
        None,
    );
    let r = run(&ai, &env(&[], &[("DATABASE_URL", "postgres://core/db")])).unwrap();
    assert_eq!(
        r.source,
        UrlSource::Fallback {
            missing: "AI_DATABASE_URL".to_owned(),
            used: "DATABASE_URL".to_owned()
        }
    );
    assert_eq!(
        r.warnings("ai")[0],
        "database `ai`: `AI_DATABASE_URL` is not set; using `DATABASE_URL` (fallback_env) — set \
         `AI_DATABASE_URL` in production, where --strict makes this an error"
    );
    let strict = r.check_strict("ai").unwrap_err();
    assert!(
        matches!(&strict, ResolveError::Strict { missing, .. } if missing == "AI_DATABASE_URL")
    );
    assert!(
        strict.to_string().contains("set `AI_DATABASE_URL`"),
        "{strict}"
    );
}

#[test]
fn default_url_is_relative_to_the_config_folder() {
    let core = db(
        "core",
        "DATABASE_URL",
        &[],
        Some("sqlite://.migrate/core.db"),
    );
    let r = run(&core, &env(&[], &[])).unwrap();
    assert_eq!(
        r.source,
        UrlSource::Default {
            missing: "DATABASE_URL".to_owned()
        }
    );
    assert_eq!(
        r.url.sqlite_path(),
        Some(Path::new("/repo/.migrate/core.db"))
    );
    let warning = r.warnings("core").remove(0);
    assert!(
        warning.starts_with("database `core`: `DATABASE_URL` is not set; using `default_url`"),
        "{warning}"
    );
}

#[test]
fn sqlite_path_from_the_environment_is_relative_to_cwd() {
    let core = db(
        "core",
        "DATABASE_URL",
        &[],
        Some("sqlite://.migrate/core.db"),
    );
    let r = run(
        &core,
        &env(&[("DATABASE_URL", "sqlite+aiosqlite:///app.db")], &[]),
    )
    .unwrap();
    assert_eq!(
        r.url.sqlite_path(),
        Some(Path::new("/repo/services/api/app.db"))
    );
    let r = run(
        &core,
        &env(&[], &[("DATABASE_URL", "sqlite://data/app.db")]),
    )
    .unwrap();
    assert_eq!(
        r.url.sqlite_path(),
        Some(Path::new("/repo/services/api/data/app.db"))
    );
}

#[test]
fn process_environment_wins_over_dotenv() {
    let core = db("core", "DATABASE_URL", &[], None);
    let e = env(
        &[("DATABASE_URL", "postgres://prod/db")],
        &[("DATABASE_URL", "sqlite://dev.db")],
    );
    assert_eq!(
        run(&core, &e).unwrap().url.kind(),
        crate::url::Dialect::Postgres
    );
}

#[test]
fn empty_variable_is_an_error_naming_it() {
    let ai = db(
        "ai",
        "AI_DATABASE_URL",
        &["DATABASE_URL"],
        Some("sqlite://x.db"),
    );
    for e in [
        env(&[("AI_DATABASE_URL", "")], &[]),
        env(&[("DATABASE_URL", "  ")], &[]),
    ] {
        let err = run(&ai, &e).unwrap_err();
        assert!(matches!(err, ResolveError::EmptyVar { .. }), "{err:?}");
        assert!(err.to_string().starts_with("database `ai`: `"), "{err}");
    }
}

#[test]
fn nothing_set_names_every_variable_tried() {
    let ai = db("ai", "AI_DATABASE_URL", &["DATABASE_URL", "PG_URL"], None);
    let err = run(&ai, &env(&[], &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "database `ai` has no URL: none of `AI_DATABASE_URL`, `DATABASE_URL`, `PG_URL` is set, \
         and it has no `default_url`; set `AI_DATABASE_URL` (its `url_env`) to the database URL"
    );
    let core = db("core", "DATABASE_URL", &[], None);
    let err = run(&core, &env(&[], &[])).unwrap_err();
    assert!(
        err.to_string()
            .contains("no URL: `DATABASE_URL` is not set, and"),
        "{err}"
    );
}

#[test]
fn bad_url_names_database_and_variable_but_not_the_password() {
    let core = db("core", "DATABASE_URL", &[], None);
    let err = run(
        &core,
        &env(&[("DATABASE_URL", "oracle://scott:tiger@h/db")], &[]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("database `core`")
            && msg.contains("`DATABASE_URL`")
            && msg.contains("`oracle`"),
        "{msg}"
    );
    assert!(!msg.contains("tiger"), "{msg}");
    let err = run(
        &core,
        &env(&[("DATABASE_URL", "postgres://u:s3cret@h:70000/db")], &[]),
    )
    .unwrap_err();
    assert!(!err.to_string().contains("s3cret") && !format!("{err:?}").contains("s3cret"));
}

#[test]
fn distinct_databases_pass_and_shared_tables_fail() {
    let core = db("core", "DATABASE_URL", &[], None);
    let e2e = db("e2e", "E2E_URL", &[], None);
    let mut e2e_own_table = e2e.clone();
    e2e_own_table.version_table = "_migrate_core".to_owned();
    let mut same_table = e2e.clone();
    same_table.version_table = "_migrate_core".to_owned();
    let e = env(
        &[
            ("DATABASE_URL", "postgresql+asyncpg://a:x@DB:5432/app"),
            ("E2E_URL", "postgres://b:y@db/app?sslmode=require"),
            ("OTHER_URL", "postgres://b:y@db/other"),
        ],
        &[],
    );
    let r_core = run(&core, &e).unwrap();
    let r_e2e = run(&e2e, &e).unwrap();
    // Same database, different version tables: fine.
    assert_eq!(
        check_distinct(&[("core", &r_core, &core), ("e2e", &r_e2e, &e2e)]),
        Ok(())
    );
    // Same database, same table: an error naming both, sorted.
    let err =
        check_distinct(&[("e2e", &r_e2e, &same_table), ("core", &r_core, &core)]).unwrap_err();
    assert_eq!(
        err,
        ResolveError::SameTarget {
            first: "core".into(),
            second: "e2e".into(),
            table: "_migrate_core".into()
        }
    );
    // Same table name in another schema: fine.
    let mut other_schema = same_table.clone();
    other_schema.schema = Some("e2e".to_owned());
    assert_eq!(
        check_distinct(&[("core", &r_core, &core), ("e2e", &r_e2e, &other_schema)]),
        Ok(())
    );
    // `public` is the default schema.
    let mut public = same_table.clone();
    public.schema = Some("public".to_owned());
    assert!(check_distinct(&[("core", &r_core, &core), ("e2e", &r_e2e, &public)]).is_err());
    // Another database: fine.
    let mut other = same_table.clone();
    other.url_env = "OTHER_URL".to_owned();
    let r_other = run(&other, &e).unwrap();
    assert_eq!(
        check_distinct(&[("core", &r_core, &core), ("e2e", &r_other, &other)]),
        Ok(())
    );
}

#[test]
fn sqlite_files_compare_by_absolute_path() {
    let core = db(
        "core",
        "DATABASE_URL",
        &[],
        Some("sqlite://services/api/app.db"),
    );
    let mut e2e = db("e2e", "E2E_URL", &[], None);
    e2e.version_table = core.version_table.clone();
    // default_url is relative to /repo, E2E_URL to /repo/services/api: same file.
    let e = env(&[("E2E_URL", "sqlite://app.db")], &[]);
    let (r_core, r_e2e) = (run(&core, &e).unwrap(), run(&e2e, &e).unwrap());
    assert!(check_distinct(&[("core", &r_core, &core), ("e2e", &r_e2e, &e2e)]).is_err());
    // Two in-memory databases are never the same.
    let e = env(
        &[
            ("DATABASE_URL", "sqlite::memory:"),
            ("E2E_URL", "sqlite::memory:"),
        ],
        &[],
    );
    let (r_core, r_e2e) = (run(&core, &e).unwrap(), run(&e2e, &e).unwrap());
    assert_eq!(
        check_distinct(&[("core", &r_core, &core), ("e2e", &r_e2e, &e2e)]),
        Ok(())
    );
}
