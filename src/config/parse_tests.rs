use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const FILE: &str = "/repo/migrate.toml";

/// The docs/reference.md, "Configuration" example, verbatim.
const DOCS_EXAMPLE: &str = r#"[settings]                      # all optional
lock_timeout = "60s"            # how long to wait for another runner's lock
wait = "0s"                     # how long to retry an unreachable database (--wait overrides)

[databases.core]
url_env = "DATABASE_URL"                    # required: where the URL comes from
default_url = "sqlite://.migrate/core.db"   # optional: local-dev default when url_env is unset
migrations = "migrations_core"              # folder, searched recursively for *.sql
# version_table = "_migrate_core"           # default: "_migrate_" + database name
# schema = "public"                         # PostgreSQL schema of the version table

[databases.ai]
url_env = "AI_DATABASE_URL"
fallback_env = ["DATABASE_URL"]             # optional: local-dev fallbacks, tried in order
default_url = "sqlite://.migrate/ai.db"
migrations = "migrations_ai"
after = ["core"]                            # optional: apply only after these databases succeeded
"#;

fn ok(text: &str) -> Config {
    match parse(Path::new(FILE), text) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

fn err(text: &str) -> ConfigError {
    match parse(Path::new(FILE), text) {
        Ok(c) => panic!("parsed: {c:?}"),
        Err(e) => e,
    }
}

/// A minimal valid file with `extra` lines appended to `[databases.core]`.
fn core_with(extra: &str) -> String {
    format!("[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"m\"\n{extra}")
}

#[test]
fn spec_example_parses() {
    let c = ok(DOCS_EXAMPLE);
    assert_eq!(c.path, Path::new(FILE));
    assert_eq!(c.dir, Path::new("/repo"));
    assert_eq!(c.settings.lock_timeout, Duration::from_secs(60));
    assert_eq!(c.settings.wait, Duration::ZERO);
    assert_eq!(c.databases.keys().collect::<Vec<_>>(), ["ai", "core"]);
    let ai = &c.databases["ai"];
    assert_eq!(ai.name, "ai");
    assert_eq!(ai.url_env, "AI_DATABASE_URL");
    assert_eq!(ai.fallback_env, ["DATABASE_URL"]);
    assert_eq!(ai.default_url.as_deref(), Some("sqlite://.migrate/ai.db"));
    assert_eq!(ai.migrations, Path::new("/repo/migrations_ai"));
    assert_eq!(ai.migrations_display, Path::new("migrations_ai"));
    assert_eq!(ai.version_table, "_migrate_ai");
    assert_eq!(ai.schema, None);
    assert_eq!(ai.after, ["core"]);
    assert_eq!(c.order(&["ai", "core"]), vec![vec!["core"], vec!["ai"]]);
}

#[test]
fn defaults_and_every_key() {
    let c = ok(&core_with(""));
    assert_eq!(c.settings, Settings::default());
    assert_eq!(c.settings.lock_timeout, Duration::from_secs(60));
    assert_eq!(c.settings.ddl_lock_timeout, None);
    let core = &c.databases["core"];
    assert_eq!(core.version_table, "_migrate_core");
    assert!(core.fallback_env.is_empty() && core.after.is_empty() && core.default_url.is_none());

    let c = ok(r#"
[settings]
lock_timeout = "1m30s"
wait = "10s"
ddl_lock_timeout = "5s"
statement_timeout = "2m"

[databases.core]
url_env = "DATABASE_URL"
migrations = "/abs/migrations"
version_table = "SchemaVersion"
schema = "ops"

[databases.e2e]
url_env = "E2E_URL"
migrations = "migrations_core/../migrations_core"
"#);
    assert_eq!(c.settings.lock_timeout, Duration::from_secs(90));
    assert_eq!(c.settings.wait, Duration::from_secs(10));
    assert_eq!(c.settings.ddl_lock_timeout, Some(Duration::from_secs(5)));
    assert_eq!(c.settings.statement_timeout, Some(Duration::from_secs(120)));
    let core = &c.databases["core"];
    assert_eq!(core.migrations, Path::new("/abs/migrations"));
    assert_eq!(core.version_table, "SchemaVersion");
    assert_eq!(core.schema.as_deref(), Some("ops"));
    assert_eq!(
        c.databases["e2e"].migrations_display,
        PathBuf::from("migrations_core/../migrations_core")
    );
}

#[test]
fn unknown_key_names_key_table_file_and_line() {
    let e = err(&core_with("urlenv = \"X\"\n"));
    assert_eq!(e.path, Path::new(FILE));
    assert_eq!(e.line, Some(4));
    let ConfigErrorKind::UnknownKey {
        key,
        table,
        expected,
    } = &e.kind
    else {
        panic!("{e:?}");
    };
    let suggestion = e.kind.suggestion();
    assert_eq!(key, "urlenv");
    assert_eq!(table, "`[databases.core]`");
    assert_eq!(suggestion, Some("url_env"));
    assert!(expected.contains(&"fallback_env".to_owned()));
    let msg = e.to_string();
    assert!(msg.starts_with("/repo/migrate.toml:4: unknown key `urlenv` in `[databases.core]` (did you mean `url_env`?)"), "{msg}");

    let e = err(
        "[settings]\nlock_timeout = \"1s\"\nlocktimeout = \"2s\"\n[databases.core]\nurl_env=\"A\"\nmigrations=\"m\"\n",
    );
    assert_eq!(e.line, Some(3));
    assert!(
        matches!(&e.kind, ConfigErrorKind::UnknownKey { table, .. } if table == "`[settings]`"),
        "{e:?}"
    );

    let e = err(&format!("verbose = true\n{}", core_with("")));
    assert_eq!(e.line, Some(1));
    assert!(
        matches!(&e.kind, ConfigErrorKind::UnknownKey { key, table, .. } if key == "verbose" && table == "the top level"),
        "{e:?}"
    );
}

#[test]
fn toml_syntax_error_has_a_line() {
    let e = err("[databases.core]\nurl_env = \"DATABASE_URL\nmigrations = \"m\"\n");
    assert_eq!(e.line, Some(2));
    assert!(matches!(e.kind, ConfigErrorKind::Syntax { .. }), "{e:?}");
    let e = err(&core_with("after = \"ai\"\n"));
    assert_eq!(e.line, Some(4));
}

#[test]
fn bad_database_names() {
    for (name, line) in [("Core", 3), ("1st", 3), ("ai-db", 3), ("\"a b\"", 3)] {
        let text = format!("# header\n\n[databases.{name}]\nurl_env = \"X\"\nmigrations = \"m\"\n");
        let e = err(&text);
        assert!(
            matches!(e.kind, ConfigErrorKind::BadDatabaseName { .. }),
            "{name}: {e:?}"
        );
        assert_eq!(e.line, Some(line), "{name}");
    }
    let long = "a".repeat(60);
    let e = err(&format!(
        "[databases.{long}]\nurl_env = \"X\"\nmigrations = \"m\"\n"
    ));
    assert!(
        matches!(e.kind, ConfigErrorKind::BadDatabaseName { .. }),
        "{e:?}"
    );
}

#[test]
fn missing_required_keys_point_at_the_table() {
    let e = err("[databases.core]\nmigrations = \"m\"\n\n[databases.ai]\nurl_env = \"A\"\n");
    assert_eq!(e.line, Some(4));
    assert_eq!(
        e.kind,
        ConfigErrorKind::MissingKey {
            db: "ai".into(),
            key: "migrations",
            example: "\"migrations\""
        }
    );
    let e = err("[databases.core]\nmigrations = \"m\"\n");
    assert_eq!(e.line, Some(1));
    assert!(
        e.to_string()
            .contains("add `url_env = \"DATABASE_URL\"` to `[databases.core]`"),
        "{e}"
    );
    let e = err("[databases.core]\nurl_env = \"A\"\nmigrations = \"\"\n");
    assert!(
        matches!(
            e.kind,
            ConfigErrorKind::MissingKey {
                key: "migrations",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn env_names_must_be_names_and_are_never_echoed() {
    let e = err("[databases.core]\nurl_env = \"postgres://u:hunter2@h/db\"\nmigrations = \"m\"\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(
        e.kind,
        ConfigErrorKind::BadEnvName {
            db: "core".into(),
            key: "url_env"
        }
    );
    assert!(!e.to_string().contains("hunter2"));
    let e = err(&core_with("fallback_env = [\"OK\", \"NOT OK\"]\n"));
    assert_eq!(e.line, Some(4));
    assert_eq!(
        e.kind,
        ConfigErrorKind::BadEnvName {
            db: "core".into(),
            key: "fallback_env"
        }
    );
}

#[test]
fn after_errors() {
    let two = |core_after: &str, ai_after: &str| {
        format!(
            "[databases.core]\nurl_env = \"A\"\nmigrations = \"m\"\nafter = {core_after}\n\n\
             [databases.ai]\nurl_env = \"B\"\nmigrations = \"m\"\nafter = {ai_after}\n"
        )
    };
    let e = err(&two("[]", "[\"cor\"]"));
    assert_eq!(e.line, Some(9));
    assert_eq!(
        e.kind,
        ConfigErrorKind::UnknownAfter {
            db: "ai".into(),
            dep: "cor".into(),
            suggestion: Some("core".into())
        }
    );
    assert!(e.to_string().ends_with("did you mean `core`?"), "{e}");
    let e = err(&two("[]", "[\"billing\"]"));
    assert!(
        matches!(
            &e.kind,
            ConfigErrorKind::UnknownAfter {
                suggestion: None,
                ..
            }
        ),
        "{e:?}"
    );

    let e = err(&two("[\"core\"]", "[]"));
    assert_eq!(e.kind, ConfigErrorKind::AfterSelf { db: "core".into() });
    assert_eq!(e.line, Some(4));

    let e = err(&two("[\"ai\"]", "[\"core\"]"));
    assert_eq!(
        e.kind,
        ConfigErrorKind::AfterCycle {
            cycle: vec!["ai".into(), "core".into(), "ai".into()]
        }
    );
    assert_eq!(e.line, Some(4));
    assert!(e.to_string().contains("ai -> core -> ai"), "{e}");
}

#[test]
fn longer_cycles_are_reported_as_their_path() {
    let text = "[databases.a]\nurl_env=\"A\"\nmigrations=\"m\"\nafter=[\"x\"]\n\
                [databases.b]\nurl_env=\"A\"\nmigrations=\"m\"\nafter=[\"c\"]\n\
                [databases.c]\nurl_env=\"A\"\nmigrations=\"m\"\nafter=[\"d\"]\n\
                [databases.d]\nurl_env=\"A\"\nmigrations=\"m\"\nafter=[\"b\"]\n\
                [databases.x]\nurl_env=\"A\"\nmigrations=\"m\"\n";
    let e = err(text);
    assert_eq!(
        e.kind,
        ConfigErrorKind::AfterCycle {
            cycle: vec!["b".into(), "c".into(), "d".into(), "b".into()]
        }
    );
    assert_eq!(e.line, Some(16));
}

#[test]
fn bad_durations() {
    let cases = [
        ("lock_timeout = \"soon\"", "lock_timeout"),
        ("wait = 60", "wait"),
        ("statement_timeout = \"10 parsecs\"", "statement_timeout"),
        ("ddl_lock_timeout = true", "ddl_lock_timeout"),
    ];
    for (line, key) in cases {
        let e = err(&format!("[settings]\n\n{line}\n{}", core_with("")));
        assert_eq!(e.line, Some(3), "{line}");
        assert!(
            matches!(&e.kind, ConfigErrorKind::BadDuration { key: k, .. } if k == key),
            "{e:?}"
        );
        assert!(e.to_string().contains("write it like `\"60s\"`"), "{e}");
    }
}

#[test]
fn no_databases() {
    for text in ["", "[settings]\nwait = \"1s\"\n", "[databases]\n"] {
        let e = err(text);
        assert_eq!(e.kind, ConfigErrorKind::NoDatabases, "{text}");
        assert!(e.to_string().contains("add a `[databases.core]` table"));
    }
}

#[test]
fn bad_identifiers() {
    let cases = [
        ("version_table = \"my-table\"", "version_table"),
        ("version_table = \"1abc\"", "version_table"),
        ("schema = \"public; drop table x\"", "schema"),
        ("schema = \"\"", "schema"),
    ];
    for (line, key) in cases {
        let e = err(&core_with(&format!("{line}\n")));
        assert_eq!(e.line, Some(4), "{line}");
        assert!(
            matches!(&e.kind, ConfigErrorKind::BadIdentifier { key: k, .. } if *k == key),
            "{e:?}"
        );
    }
    let e = err(&core_with(&format!(
        "version_table = \"{}\"\n",
        "t".repeat(64)
    )));
    assert!(matches!(e.kind, ConfigErrorKind::BadIdentifier { .. }));
    ok(&core_with(&format!(
        "version_table = \"_{}\"\n",
        "T".repeat(62)
    )));
}

#[test]
fn bad_default_url() {
    let e = err(&core_with("default_url = \"oracle://x\"\n"));
    assert_eq!(e.line, Some(4));
    assert!(matches!(&e.kind, ConfigErrorKind::BadDefaultUrl { db, .. } if db == "core"));
    assert!(e.to_string().contains("unknown URL scheme `oracle`"), "{e}");
}

#[test]
fn hostile_input_never_panics() {
    for text in [
        "\u{feff}",
        "[databases.é]\n",
        "[[databases]]\n",
        "databases = 3",
        "\0",
        "[databases.core]\nurl_env = \"é\"\nmigrations=\"m\"\n",
    ] {
        let _ = parse(Path::new(FILE), text);
    }
    let huge = format!("[databases.{}]\n", "x".repeat(100_000));
    let e = err(&huge);
    assert!(e.to_string().len() < 1_000, "names are clipped");
}

#[test]
fn shadow_url_env_names_a_variable() {
    let c = ok(&core_with("shadow_url_env = \"SHADOW_DATABASE_URL\"\n"));
    assert_eq!(
        c.databases["core"].shadow_url_env.as_deref(),
        Some("SHADOW_DATABASE_URL")
    );
    assert_eq!(ok(&core_with("")).databases["core"].shadow_url_env, None);
    let e = err(&core_with(
        "shadow_url_env = \"postgres://u:hunter2@h/db\"\n",
    ));
    assert_eq!(e.line, Some(4));
    assert_eq!(
        e.kind,
        ConfigErrorKind::BadEnvName {
            db: "core".into(),
            key: "shadow_url_env"
        }
    );
    assert!(!e.to_string().contains("hunter2"));
}
