use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::*;

const BASE: &str = "/work/app";

fn parse(raw: &str) -> DbUrl {
    match DbUrl::parse(raw, Path::new(BASE)) {
        Ok(url) => url,
        Err(e) => panic!("{raw}: {e}"),
    }
}

fn err(raw: &str) -> UrlError {
    match DbUrl::parse(raw, Path::new(BASE)) {
        Ok(url) => panic!("{raw} parsed as {url:?}"),
        Err(e) => e,
    }
}

#[test]
fn server_schemes_are_normalised_and_driver_suffix_dropped() {
    let cases = [
        (
            "postgres://u:pw@db:5432/app",
            Dialect::Postgres,
            "postgres://u:pw@db:5432/app",
        ),
        (
            "postgresql://u:pw@db/app",
            Dialect::Postgres,
            "postgres://u:pw@db/app",
        ),
        (
            "postgresql+asyncpg://u:pw@db/app",
            Dialect::Postgres,
            "postgres://u:pw@db/app",
        ),
        (
            "postgresql+psycopg2://u:pw@db/app",
            Dialect::Postgres,
            "postgres://u:pw@db/app",
        ),
        (
            "POSTGRES://u@db/app",
            Dialect::Postgres,
            "postgres://u@db/app",
        ),
        (
            "mysql://u:pw@db:3306/app",
            Dialect::Mysql,
            "mysql://u:pw@db:3306/app",
        ),
        (
            "mysql+pymysql://u:pw@db/app?charset=utf8mb4",
            Dialect::Mysql,
            "mysql://u:pw@db/app?charset=utf8mb4",
        ),
        ("mariadb://u@db/app", Dialect::Mysql, "mysql://u@db/app"),
        (
            "mysql+aiomysql://u:pw@db/app",
            Dialect::Mysql,
            "mysql://u:pw@db/app",
        ),
        (
            "mysql+mysqldb://u:pw@db/app?ssl_mode=REQUIRED",
            Dialect::Mysql,
            "mysql://u:pw@db/app?ssl_mode=REQUIRED",
        ),
        (
            "mariadb+mariadbconnector://u:pw@db:3307/app?ssl=true",
            Dialect::Mysql,
            "mysql://u:pw@db:3307/app?ssl=true",
        ),
        (
            "  postgres://u@db/app \n",
            Dialect::Postgres,
            "postgres://u@db/app",
        ),
    ];
    for (raw, kind, connect) in cases {
        let url = parse(raw);
        assert_eq!(url.kind(), kind, "{raw}");
        assert_eq!(url.connect_url(), connect, "{raw}");
        assert_eq!(url.sqlite_path(), None);
        assert!(!url.is_memory());
    }
}

#[test]
fn asyncpg_ssl_becomes_sslmode() {
    let cases = [
        (
            "postgresql+asyncpg://u@h/db?ssl=require",
            "postgres://u@h/db?sslmode=require",
        ),
        (
            "postgres://u@h/db?ssl=true",
            "postgres://u@h/db?sslmode=require",
        ),
        (
            "postgres://u@h/db?ssl=disable",
            "postgres://u@h/db?sslmode=disable",
        ),
        (
            "postgres://u@h/db?ssl=false&application_name=x",
            "postgres://u@h/db?sslmode=disable&application_name=x",
        ),
        (
            "postgres://u@h/db?ssl=verify-full",
            "postgres://u@h/db?sslmode=verify-full",
        ),
        // An explicit sslmode wins over asyncpg's spelling.
        (
            "postgres://u@h/db?sslmode=verify-ca&ssl=require",
            "postgres://u@h/db?sslmode=verify-ca",
        ),
        (
            "postgres://u@h/db?sslmode=require",
            "postgres://u@h/db?sslmode=require",
        ),
        // Python-driver options are dropped from SQLAlchemy URLs only.
        (
            "postgresql+asyncpg://u@h/db?prepared_statement_cache_size=0&ssl=require",
            "postgres://u@h/db?sslmode=require",
        ),
        (
            "postgresql+psycopg2://u@h/db?connect_timeout=5",
            "postgres://u@h/db",
        ),
    ];
    for (raw, connect) in cases {
        assert_eq!(parse(raw).connect_url(), connect, "{raw}");
    }
    assert_eq!(err("postgres://u@h/db?ssl=maybe"), UrlError::BadSsl);
}

#[test]
fn sqlite_sqlx_rule() {
    let cases = [
        ("sqlite://.migrate/core.db", "/work/app/.migrate/core.db"),
        ("sqlite://rel/x.db", "/work/app/rel/x.db"),
        ("sqlite:rel.db", "/work/app/rel.db"),
        ("sqlite:///abs/x.db", "/abs/x.db"),
        ("sqlite:/abs/x.db", "/abs/x.db"),
        ("sqlite://./a/../b/x.db", "/work/app/b/x.db"),
        ("sqlite://../up.db", "/work/up.db"),
        ("sqlite://my%20file.db", "/work/app/my file.db"),
    ];
    for (raw, path) in cases {
        let url = parse(raw);
        assert_eq!(url.kind(), Dialect::Sqlite);
        assert_eq!(url.sqlite_path(), Some(Path::new(path)), "{raw}");
        assert_eq!(
            url.target(),
            &ConnectionTarget::SqliteFile(PathBuf::from(path))
        );
    }
}

#[test]
fn sqlite_sqlalchemy_rule() {
    let cases = [
        ("sqlite+aiosqlite:///app.db", "/work/app/app.db"),
        ("sqlite+aiosqlite:////abs/app.db", "/abs/app.db"),
        ("sqlite+pysqlite:///data/app.db", "/work/app/data/app.db"),
    ];
    for (raw, path) in cases {
        assert_eq!(parse(raw).sqlite_path(), Some(Path::new(path)), "{raw}");
    }
    assert!(
        matches!(err("sqlite+aiosqlite://host/app.db"), UrlError::SqliteHost { scheme } if scheme == "sqlite+aiosqlite")
    );
    assert!(matches!(
        err("sqlite+aiosqlite:app.db"),
        UrlError::Malformed { .. }
    ));
}

#[test]
fn sqlite_connect_url_is_absolute_escaped_and_creates_the_file() {
    assert_eq!(
        parse("sqlite://x.db").connect_url(),
        "sqlite:///work/app/x.db?mode=rwc"
    );
    assert_eq!(
        parse("sqlite://x.db?mode=ro").connect_url(),
        "sqlite:///work/app/x.db?mode=ro"
    );
    assert_eq!(
        parse("sqlite://x.db?cache=shared").connect_url(),
        "sqlite:///work/app/x.db?cache=shared&mode=rwc"
    );
    assert_eq!(
        parse("sqlite://a%3Fb%23c.db").connect_url(),
        "sqlite:///work/app/a%3Fb%23c.db?mode=rwc"
    );
    assert_eq!(
        parse("sqlite://100%25.db").sqlite_path(),
        Some(Path::new("/work/app/100%.db"))
    );
    assert_eq!(
        parse("sqlite://100%25.db").connect_url(),
        "sqlite:///work/app/100%25.db?mode=rwc"
    );
    // SQLAlchemy's driver options would make sqlx fail: dropped.
    assert_eq!(
        parse("sqlite+pysqlite:///app.db?check_same_thread=false&mode=rw").connect_url(),
        "sqlite:///work/app/app.db?mode=rw"
    );
    assert_eq!(
        parse("sqlite://x.db?mode=ro").redacted().as_str(),
        "sqlite:///work/app/x.db?mode=ro"
    );
}

#[test]
fn sqlite_memory_forms() {
    for raw in [
        "sqlite::memory:",
        "sqlite://:memory:",
        "sqlite://?mode=memory",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
    ] {
        let url = parse(raw);
        assert!(url.is_memory(), "{raw}");
        assert_eq!(url.sqlite_path(), None, "{raw}");
        assert!(url.connect_url().starts_with("sqlite::memory:"), "{raw}");
        assert!(!url.same_target(&url), "memory databases are never shared");
    }
    assert_eq!(err("sqlite://"), UrlError::SqliteNoPath);
    assert_eq!(err("sqlite:"), UrlError::SqliteNoPath);
}

#[test]
fn server_errors() {
    assert_eq!(
        err("oracle://u:pw@h/db"),
        UrlError::UnknownScheme {
            scheme: "oracle".to_owned()
        }
    );
    assert_eq!(
        err("postgresql+foo://u@h:99999/db"),
        UrlError::PortOutOfRange {
            port: Some("99999".to_owned())
        }
    );
    assert_eq!(
        err("postgres://u@h:0/db"),
        UrlError::PortOutOfRange {
            port: Some("0".to_owned())
        }
    );
    assert!(matches!(
        err("postgres:///db"),
        UrlError::MissingHost {
            kind: Dialect::Postgres,
            ..
        }
    ));
    assert!(matches!(
        err("mysql://"),
        UrlError::MissingHost {
            kind: Dialect::Mysql,
            ..
        }
    ));
    assert!(matches!(err("postgres:db"), UrlError::MissingHost { .. }));
    // A Unix socket stands for the host, in the Python drivers' spelling too.
    let socket = parse("mysql+pymysql://app:pw@/shop?unix_socket=/run/mysqld/mysqld.sock");
    assert_eq!(
        socket.target(),
        &ConnectionTarget::Server {
            kind: Dialect::Mysql,
            host: "/run/mysqld/mysqld.sock".into(),
            port: 3306,
            database: "shop".into(),
        }
    );
    assert!(matches!(
        err("postgres://u@/db?unix_socket=/s"),
        UrlError::MissingHost { .. }
    ));
    // A MySQL server has no database named after the user to fall back on.
    assert_eq!(err("mysql://u:pw@db:3306"), UrlError::MysqlNoDatabase);
    assert_eq!(
        err("mysql+pymysql://u@db/?charset=utf8mb4"),
        UrlError::MysqlNoDatabase
    );
    assert_eq!(err("just some text"), UrlError::NotAUrl);
    assert_eq!(err(""), UrlError::NotAUrl);
    assert!(
        err("postgres://u@[::1/db")
            .to_string()
            .contains("malformed PostgreSQL URL")
    );
    let msg = err("redis://h").to_string();
    assert!(
        msg.contains("`redis`") && msg.contains("postgresql+asyncpg://"),
        "{msg}"
    );
    // A Unix socket given as a parameter is a host.
    let socket = parse("postgres:///app?host=/var/run/postgresql");
    assert_eq!(
        socket.target(),
        &ConnectionTarget::Server {
            kind: Dialect::Postgres,
            host: "/var/run/postgresql".to_owned(),
            port: 5432,
            database: "app".to_owned()
        }
    );
}

#[test]
fn targets_compare_spellings_of_the_same_database() {
    let a = parse("postgresql+asyncpg://u:one@DB.example:5432/app?ssl=require");
    let b = parse("postgres://other:two@db.example/app");
    let c = parse("postgres://u@db.example/other");
    let d = parse("mysql://u@db.example:5432/app");
    assert!(a.same_target(&b));
    assert!(!a.same_target(&c));
    assert!(!a.same_target(&d));
    assert!(parse("sqlite://x.db").same_target(&parse("sqlite:///work/app/./x.db")));
}

#[test]
fn redacted_form_hides_password_and_secret_params() {
    let cases = [
        (
            "postgres://user:secret@host:5432/db",
            "postgres://user:***@host:5432/db",
        ),
        (
            "postgresql+asyncpg://user:p%40ss%2Fw0rd@host/db?ssl=require",
            "postgresql+asyncpg://user:***@host/db?ssl=require",
        ),
        (
            "postgres://user:p@ss@host/db",
            "postgres://user:***@host/db",
        ),
        (
            "postgres://user@host/db?password=hunter2&application_name=x",
            "postgres://user@host/db?password=***&application_name=x",
        ),
        (
            "mysql://root:r00t!@127.0.0.1:3306/app",
            "mysql://root:***@127.0.0.1:3306/app",
        ),
        ("postgres://host/db", "postgres://host/db"),
        (
            "postgres://u:pw@[::1]:5433/db",
            "postgres://u:***@[::1]:5433/db",
        ),
    ];
    for (raw, shown) in cases {
        let url = parse(raw);
        assert_eq!(url.redacted().to_string(), shown, "{raw}");
        assert_eq!(format!("{url:?}"), format!("DbUrl({shown:?})"));
    }
}

#[test]
fn unencoded_special_characters_in_a_password_are_read_as_sqlalchemy_does() {
    let url = parse("postgresql+psycopg2://app:pa/ss?w#rd@db.internal:5432/main");
    assert_eq!(url.password(), Some("pa/ss?w#rd"));
    assert_eq!(
        url.redacted().as_str(),
        "postgresql+psycopg2://app:***@db.internal:5432/main"
    );
    assert_eq!(
        url.connect_url(),
        "postgres://app:pa%2Fss%3Fw%23rd@db.internal:5432/main"
    );
    // A query value with `@` and no user-info is left alone.
    let url = parse("postgres://db/main?application_name=me@x");
    assert_eq!(
        url.connect_url(),
        "postgres://db/main?application_name=me@x"
    );
}

#[test]
fn password_is_decoded() {
    assert_eq!(
        parse("postgres://u:p%40ss%2Fw@h/db").password(),
        Some("p@ss/w")
    );
    assert_eq!(parse("postgres://u:p@ss@h/db").password(), Some("p@ss"));
    assert_eq!(
        parse("postgres://u@h/db?password=x%26y").password(),
        Some("x&y")
    );
    assert_eq!(parse("postgres://u@h/db").password(), None);
}

#[test]
fn scrub_replaces_urls_and_every_spelling_of_the_password() {
    let url = parse("postgresql+asyncpg://app:p%40ss%2Fw0rd@db:5432/app?ssl=require");
    let text = "error connecting to postgres://app:p%40ss%2Fw0rd@db:5432/app?sslmode=require: \
                password authentication failed (p@ss/w0rd) for postgresql+asyncpg://app:p%40ss%2Fw0rd@db:5432/app?ssl=require";
    let scrubbed = url.scrub(text);
    assert!(!scrubbed.contains("p@ss/w0rd"), "{scrubbed}");
    assert!(!scrubbed.contains("p%40ss"), "{scrubbed}");
    assert!(
        scrubbed.contains("postgresql+asyncpg://app:***@db:5432/app?ssl=require: password"),
        "{scrubbed}"
    );
    assert!(scrubbed.contains("failed (***)"), "{scrubbed}");
    // Text without secrets is unchanged.
    assert_eq!(
        url.scrub("relation \"users\" does not exist"),
        "relation \"users\" does not exist"
    );
}

#[test]
fn sqlite_folder_check_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let ok = DbUrl::parse("sqlite://x.db", dir.path()).unwrap();
    assert_eq!(ok.check_sqlite_folder(), Ok(()));
    let missing = DbUrl::parse("sqlite://nope/x.db", dir.path()).unwrap();
    let e = missing.check_sqlite_folder().unwrap_err();
    assert_eq!(
        e,
        UrlError::SqliteFolderMissing {
            folder: dir.path().join("nope")
        }
    );
    assert!(
        e.to_string()
            .contains(&dir.path().join("nope").display().to_string())
    );
    assert_eq!(parse("sqlite::memory:").check_sqlite_folder(), Ok(()));
    assert_eq!(parse("postgres://h/db").check_sqlite_folder(), Ok(()));
}

/// Passwords made of URL-hostile characters.
fn password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9@:/?#%&=+! $'\"\\\\*.~-]{4,24}"
        .prop_filter("not only stars", |p| p.chars().any(|c| c != '*'))
}

/// Passwords as people paste them unencoded; a bare `@` is ambiguous
/// everywhere, so it is left to the unit tests.
fn raw_password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9:/?#%&=+!$'*.~-]{4,24}"
        .prop_filter("not only stars", |p| p.chars().any(|c| c != '*'))
}

fn encode(password: &str) -> String {
    password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn a_password_never_shows(pw in password(), scheme in "(postgres|postgresql\\+asyncpg|mysql\\+pymysql)", port in 0u32..100_000) {
        let raw = format!("{scheme}://app:{}@db.internal:{port}/main?ssl=require", encode(&pw));
        match DbUrl::parse(&raw, Path::new(BASE)) {
            Ok(url) => {
                prop_assert_eq!(url.password(), Some(pw.as_str()));
                let shown = url.redacted().to_string();
                prop_assert!(!shown.contains(&pw) && !shown.contains(&encode(&pw)));
                let debug = format!("{url:?}");
                prop_assert!(!debug.contains(&pw));
                let scrubbed = url.scrub(&format!("failed: {raw} / {} / {pw} / {}", url.connect_url(), encode(&pw)));
                prop_assert!(!scrubbed.contains(&pw), "{}", scrubbed);
                prop_assert!(!scrubbed.contains(&encode(&pw)), "{}", scrubbed);
            }
            Err(e) => {
                let shown = e.to_string();
                prop_assert!(!shown.contains(&pw));
                let debug = format!("{e:?}");
                prop_assert!(!debug.contains(&pw));
            }
        }
    }

    #[test]
    fn a_raw_password_never_shows(pw in raw_password(), host in "[a-z]{1,8}") {
        // Unencoded: `/`, `#` or `?` are read as SQLAlchemy does, and no error quotes it.
        let raw = format!("postgres://app:{pw}@{host}:5432/main");
        match DbUrl::parse(&raw, Path::new(BASE)) {
            Ok(url) => {
                let shown = url.redacted().to_string();
                prop_assert!(!shown.contains(&pw), "{}", shown);
                prop_assert!(!url.scrub(&raw).contains(&pw));
                let quoted = format!("pw={pw}");
                prop_assert!(!url.scrub(&quoted).contains(&pw));
            }
            Err(e) => {
                let shown = e.to_string();
                prop_assert!(!shown.contains(&pw), "{}", shown);
                let debug = format!("{e:?}");
                prop_assert!(!debug.contains(&pw));
            }
        }
    }

    #[test]
    fn parsing_never_panics(raw in "\\PC{0,60}") {
        let _ = DbUrl::parse(&raw, Path::new(BASE));
    }
}
