//! What needs a MariaDB server of the test's own (`harness::own_mariadb`):
//! a server made read-only, and a server with a TLS certificate, where
//! each client's spelling of the TLS parameters must keep its meaning.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::env::TestEnv;
use crate::harness::own_mariadb::OwnMariadb;
use crate::online::{core_config, rev_file, write_chain};

fn project(url: &str) -> TestEnv {
    TestEnv::new()
        .config(&core_config(""))
        .mkdir("migrations_core")
        .env("DATABASE_URL", url)
}

#[test]
fn a_read_only_server_is_shown_so_and_refused_before_anything_is_written() {
    let Some(server) = OwnMariadb::start(&[], &[]) else {
        return;
    };
    server.admin("CREATE DATABASE app");
    let env = project(&server.url("app"));
    write_chain(&env, "migrations_core", &["r1"]);
    server.admin("SET GLOBAL read_only = ON");

    let json = env.run(&["status", "core", "--format", "json"]).json();
    assert_eq!(
        json["core"]["server"],
        serde_json::json!("read-only"),
        "{json}"
    );
    let start = Instant::now();
    let out = env.run(&["up", "core", "--wait", "5s"]);
    out.code(3).output_has("read-only").output_has("127.0.0.1:");
    assert!(start.elapsed() < Duration::from_secs(3), "{out}");
    let tables =
        server.admin("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'app'");
    assert_eq!(tables.trim(), "0", "{out}");

    // Writable again (after a failover, say): the same command works.
    server.admin("SET GLOBAL read_only = OFF");
    env.run(&["up", "core"]).success();
    env.run(&["status", "core", "--format", "json"]).success();
}

/// A CA, a server certificate it signed for `localhost` only, and another
/// CA that signed nothing the server has: (file name, contents).
fn certificates() -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &str| {
        let out = Command::new("bash")
            .args(["-c", &format!("cd '{}' && {args}", dir.path().display())])
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let quiet = "2>/dev/null";
    run(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 \
         -subj '/CN=migrate test CA' {quiet}"
    ));
    run(&format!(
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
         -subj '/CN=localhost' {quiet}"
    ));
    run("printf 'subjectAltName=DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext.cnf");
    run(&format!(
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
         -out server.pem -days 3 -extfile ext.cnf {quiet}"
    ));
    run(&format!(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 3 \
         -subj '/CN=another CA' {quiet}"
    ));
    ["ca.pem", "server.pem", "server.key", "other.pem"]
        .into_iter()
        .map(|name| (name, std::fs::read(dir.path().join(name)).unwrap()))
        .collect()
}

/// Records the session's cipher in table `tls` (empty without TLS).
const RECORD_CIPHER: &str = "CREATE TABLE tls AS SELECT VARIABLE_VALUE AS cipher \
    FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_CIPHER';";

#[test]
fn tls_parameters_keep_each_clients_meaning() {
    let files = certificates();
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let Some(server) = OwnMariadb::start(
        &[
            "--ssl-ca={root}/ca.pem",
            "--ssl-cert={root}/server.pem",
            "--ssl-key={root}/server.key",
        ],
        &files,
    ) else {
        return;
    };
    let root = server.root().display().to_string();
    let base = server.url("app");
    let at_localhost = base.replacen("127.0.0.1", "localhost", 1);
    let pymysql = |url: &str| url.replacen("mysql://", "mysql+pymysql://", 1);
    server.admin("CREATE DATABASE app");

    // Encrypted when asked, and by default (PREFERRED, as the client does).
    for (i, query) in ["ssl-mode=REQUIRED", "", "ssl-mode=DISABLED"]
        .iter()
        .enumerate()
    {
        server.admin(&format!(
            "DROP DATABASE IF EXISTS c{i}; CREATE DATABASE c{i}"
        ));
        let url = format!("{}?{query}", server.url(&format!("c{i}")));
        let env = project(&url);
        env.put(
            "migrations_core/t1.sql",
            rev_file("t1", "", RECORD_CIPHER, None).as_bytes(),
        );
        env.run(&["up", "core"]).success();
        let cipher = server.admin(&format!("SELECT cipher FROM c{i}.tls"));
        assert_eq!(
            cipher.trim().is_empty(),
            query.contains("DISABLED"),
            "`{query}`: the session's cipher was `{}`",
            cipher.trim()
        );
    }

    let ok = [
        format!("{base}?ssl-mode=VERIFY_CA&ssl-ca={root}/ca.pem"),
        // `mysql --ssl-ca` alone checks the chain, not the name.
        format!("{base}?ssl-ca={root}/ca.pem"),
        format!("{at_localhost}?ssl-mode=VERIFY_IDENTITY&ssl-ca={root}/ca.pem"),
        // PyMySQL: a CA checks the chain and the host name...
        pymysql(&format!("{at_localhost}?ssl_ca={root}/ca.pem")),
        // ...unless told not to.
        pymysql(&format!(
            "{base}?ssl_ca={root}/ca.pem&ssl_check_hostname=false"
        )),
        format!("{base}?ssl_mode=REQUIRED"),
        base.replacen("mysql://", "mariadb+mariadbconnector://", 1) + "?ssl=true",
    ];
    let refused = [
        // A chain that does not lead to the CA given.
        format!("{base}?ssl-ca={root}/other.pem"),
        pymysql(&format!("{at_localhost}?ssl_ca={root}/other.pem")),
        // The certificate names `localhost`, not 127.0.0.1.
        format!("{base}?ssl-mode=VERIFY_IDENTITY&ssl-ca={root}/ca.pem"),
        pymysql(&format!("{base}?ssl_ca={root}/ca.pem")),
        // No CA given: the public roots do not know this one.
        format!("{base}?ssl-mode=VERIFY_CA"),
    ];
    let env = project(&base);
    write_chain(&env, "migrations_core", &["v1"]);
    for url in &ok {
        env.run_with(&["status", "core"], &[("DATABASE_URL", url)])
            .success();
    }
    for url in &refused {
        let start = Instant::now();
        let out = env.run_with(
            &["status", "core", "--wait", "5s"],
            &[("DATABASE_URL", url)],
        );
        out.code(3).output_has("TLS");
        assert!(start.elapsed() < Duration::from_secs(3), "retried\n{out}");
    }
}

/// Bodies are cut as the server's `sql_mode` reads quotes: with
/// `NO_BACKSLASH_ESCAPES` a backslash ends nothing, with `ANSI_QUOTES` `"`
/// quotes a name.
#[test]
fn bodies_are_read_with_the_servers_sql_mode() {
    let Some(server) = OwnMariadb::start(&["--sql-mode=ANSI_QUOTES,NO_BACKSLASH_ESCAPES"], &[])
    else {
        return;
    };
    server.admin("CREATE DATABASE app");
    let env = project(&server.url("app"));
    env.put(
        "migrations_core/q1.sql",
        rev_file(
            "q1",
            "",
            "CREATE TABLE \"semi;colon\" (v text);\n\
             INSERT INTO \"semi;colon\" VALUES ('C:\\');\n\
             INSERT INTO \"semi;colon\" VALUES ('it''s; fine');",
            None,
        )
        .as_bytes(),
    );
    let out = env.run(&["up", "core"]);
    out.success();
    let rows = server.admin("SELECT v FROM app.`semi;colon` ORDER BY v");
    assert_eq!(rows, "C:\\\\\nit's; fine\n", "{out}");
}

/// SQLAlchemy reaches a socket with `user:pass@/db?unix_socket=PATH` (as
/// on Cloud SQL): no host, the socket in the query.
#[test]
fn a_unix_socket_url_as_sqlalchemy_writes_it() {
    let Some(server) = OwnMariadb::start(&[], &[]) else {
        return;
    };
    let password = url::Url::parse(&server.admin_url)
        .unwrap()
        .password()
        .unwrap()
        .to_owned();
    server.admin(&format!(
        "CREATE DATABASE app; CREATE USER 'own'@'localhost' IDENTIFIED BY '{password}'; \
         GRANT ALL PRIVILEGES ON app.* TO 'own'@'localhost'"
    ));
    let socket = server.root().join("server").join("mysqld.sock");
    let url = format!(
        "mysql+pymysql://own:{password}@/app?unix_socket={}",
        socket.display()
    );
    let env = project(&url);
    // Who the session is: `own@localhost` through the socket (TCP would be
    // `own@127.0.0.1`).
    env.put(
        "migrations_core/u1.sql",
        rev_file("u1", "", "CREATE TABLE who AS SELECT USER() AS u;", None).as_bytes(),
    );
    env.run(&["up", "core"]).success();
    assert_eq!(server.admin("SELECT u FROM app.who"), "own@localhost\n");
    env.run(&["status", "core"])
        .success()
        .stdout_has("up to date")
        .stdout_lacks(&password);
    let rows = server.admin("SELECT revision FROM app._migrate_core");
    assert_eq!(rows, "u1\n");
}
