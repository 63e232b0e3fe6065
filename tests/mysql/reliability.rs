//! Faults on MariaDB, through real `migrate` processes: many runners at
//! once, an operator holding the lock, kill -9 and SIGTERM during a
//! revision, the server ending our session, a wrong password, TLS the
//! server cannot give. A revision caught part-way is recorded dirty (or
//! not at all, if none of it had run), and the next run refuses with the
//! repair command.

use std::time::{Duration, Instant};

use sqlx::Connection;

use super::*;
use crate::online::{applied, command, rev_file, sorted, write_chain};
use crate::reliability::{assert_no_panic, describe, send_signal, wait_output};

const RUNNERS: usize = 8;

#[tokio::test]
async fn eight_runners_at_once_apply_each_revision_once() {
    on_mysql(concat!(module_path!(), "::runners"), |db| async move {
        let env = project(&db, "lock_timeout = \"60s\"");
        let ids: Vec<String> = (0..10).map(|i| format!("c{i:02}")).collect();
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        write_chain(&env, "migrations_core", &id_refs);

        let start = Instant::now();
        let children: Vec<_> = (0..RUNNERS)
            .map(|_| {
                command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut applied_lines = 0;
        for child in children {
            let (out, _) = wait_output(child, Duration::from_secs(60));
            assert_no_panic(&out);
            assert!(out.status.success(), "a runner failed\n{}", describe(&out));
            let stderr = String::from_utf8_lossy(&out.stderr);
            applied_lines += stderr.lines().filter(|l| l.contains(": applied c")).count();
        }
        eprintln!(
            "{RUNNERS} runners on MariaDB: all done in {:?}",
            start.elapsed()
        );
        assert_eq!(applied(&db, "_migrate_core").await, ids);
        assert_eq!(
            applied_lines, 10,
            "across all runners, each revision ran once"
        );
        for id in &ids {
            assert!(db.has_table(&format!("t_{id}")).await, "t_{id} missing");
        }
        assert_eq!(
            lock_holder(&db).await,
            None,
            "a runner left the lock behind"
        );
    })
    .await;
}

#[tokio::test]
async fn an_operator_holding_the_lock_gives_exit_3_naming_the_holder() {
    on_mysql(concat!(module_path!(), "::operator"), |db| async move {
        let env = project(&db, "lock_timeout = \"1s\"");
        write_chain(&env, "migrations_core", &["o1"]);
        let (mut operator, id) = hold_lock(&db).await;

        let start = Instant::now();
        let out = env.run(&["up", "core"]);
        let took = start.elapsed();
        out.code(3)
            .output_has(&core_lock_name(&db))
            .output_has(&format!("connection {id}"))
            .output_has(&format!("KILL {id}"));
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "gave up after {took:?} with a 1s lock_timeout\n{out}"
        );
        assert!(!db.has_table("_migrate_core").await, "{out}");
        assert!(!db.has_table("t_o1").await);

        // While we hold it, the operator cannot take it: one lock, both ways.
        sqlx::query("DO RELEASE_LOCK(?)")
            .bind(core_lock_name(&db))
            .execute(&mut operator)
            .await
            .unwrap();
        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, ["o1"]);
        assert_eq!(lock_holder(&db).await, None);
        operator.close().await.unwrap();
    })
    .await;
}

/// `k1` runs three statements, the second a four-second sleep; `k2` follows.
fn slow_revision(env: &crate::harness::env::TestEnv) {
    env.put(
        "migrations_core/k1_slow.sql",
        rev_file(
            "k1",
            "",
            "CREATE TABLE k1_first (id int);\nSELECT SLEEP(4);\nCREATE TABLE k1_after (id int);",
            None,
        )
        .as_bytes(),
    );
    env.put(
        "migrations_core/k2.sql",
        rev_file("k2", "k1", "CREATE TABLE k2 (id int);", None).as_bytes(),
    );
}

/// What a revision caught at its second statement leaves: its first
/// statement, a dirty row, and a next run that refuses naming `repair`.
async fn left_dirty(db: &TestDb, env: &crate::harness::env::TestEnv) {
    // The server ends the orphaned session once it notices (MySQL's sleep
    // looks at its client every few seconds; a DDL statement would first
    // finish).
    let caught = Instant::now();
    wait_for_no_sessions(db).await;
    eprintln!(
        "MariaDB ended the runner's session {:?} after it was cut off",
        caught.elapsed()
    );
    assert!(db.has_table("k1_first").await);
    assert!(!db.has_table("k1_after").await && !db.has_table("k2").await);
    assert_eq!(db.version_rows().await, ["k1:1"]);
    assert_eq!(lock_holder(db).await, None, "the lock outlived its session");

    let start = Instant::now();
    let rerun = env.run(&["up", "core"]);
    rerun
        .code(1)
        .output_has("k1")
        .output_has("migrate repair core k1");
    assert!(start.elapsed() < Duration::from_secs(5), "{rerun}");
    assert!(!db.has_table("k2").await);
    env.run(&["status", "core"]).stdout_has("dirty");
}

#[tokio::test]
async fn kill_9_during_a_revision_leaves_it_dirty() {
    on_mysql(concat!(module_path!(), "::kill"), |db| async move {
        let env = project(&db, "lock_timeout = \"20s\"");
        slow_revision(&env);
        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_statement(&db, "SLEEP(4)").await;
        assert!(
            lock_holder(&db).await.is_some(),
            "the runner holds the lock"
        );
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());
        left_dirty(&db, &env).await;
    })
    .await;
}

#[tokio::test]
async fn sigterm_during_a_revision_leaves_it_dirty() {
    on_mysql(concat!(module_path!(), "::term"), |db| async move {
        let env = project(&db, "lock_timeout = \"20s\"");
        slow_revision(&env);
        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_statement(&db, "SLEEP(4)").await;
        send_signal(&child, "TERM");
        let (out, took) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        assert!(
            !out.status.success() && out.status.code().is_some(),
            "an interrupted run must exit non-zero with a code\n{}",
            describe(&out)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("k1") && stderr.contains("SIGTERM"),
            "{}",
            describe(&out)
        );
        // MySQL cannot roll a revision back: the message says it is dirty
        // and names the repair, not "rolled back, run again".
        assert!(
            stderr.contains("recorded dirty")
                && stderr.contains("migrate repair core k1 --applied")
                && !stderr.contains("rolled back")
                && !stderr.contains("run the same command again"),
            "{}",
            describe(&out)
        );
        assert!(
            took < Duration::from_secs(3),
            "stopped {took:?} after SIGTERM"
        );
        left_dirty(&db, &env).await;
    })
    .await;
}

#[tokio::test]
async fn the_server_ending_our_session_mid_revision_leaves_it_dirty() {
    on_mysql(concat!(module_path!(), "::lost"), |db| async move {
        let env = project(&db, "lock_timeout = \"20s\"");
        slow_revision(&env);
        let child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        let id = wait_for_statement(&db, "SLEEP(4)").await;
        db.exec(&format!("KILL {id}")).await;
        let (out, took) = wait_output(child, Duration::from_secs(10));
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{}", describe(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("k1_slow.sql") && stderr.contains("migrate repair core k1"),
            "the error must name the revision and the repair\n{}",
            describe(&out)
        );
        assert!(took < Duration::from_secs(3), "noticed after {took:?}");
        left_dirty(&db, &env).await;
    })
    .await;
}

#[tokio::test]
async fn kill_9_while_waiting_for_the_lock_records_nothing() {
    on_mysql(concat!(module_path!(), "::kill_waiting"), |db| async move {
        let env = project(&db, "lock_timeout = \"30s\"");
        write_chain(&env, "migrations_core", &["w1", "w2"]);
        let (mut operator, _) = hold_lock(&db).await;
        let mut child = command(&env, &[("DATABASE_URL", &db.url)], &["up", "core"])
            .spawn()
            .unwrap();
        wait_for_statement(&db, "GET_LOCK(X").await;
        child.kill().unwrap();
        let _ = child.wait();
        sqlx::query("DO RELEASE_LOCK(?)")
            .bind(core_lock_name(&db))
            .execute(&mut operator)
            .await
            .unwrap();
        operator.close().await.unwrap();
        assert!(!db.has_table("_migrate_core").await);
        assert!(!db.has_table("t_w1").await);
        env.run(&["up", "core"]).success();
        assert_eq!(applied(&db, "_migrate_core").await, sorted(&["w1", "w2"]));
    })
    .await;
}

/// In the URLs below, so that any leak is caught.
const PASSWORD: &str = "Wr0ng_Secret_77";

#[tokio::test]
async fn a_wrong_password_exits_3_and_shows_no_password() {
    on_mysql(concat!(module_path!(), "::password"), |db| async move {
        let mut url = url::Url::parse(&db.url).unwrap();
        url.set_password(Some(PASSWORD)).unwrap();
        let env = project(&db, "");
        write_chain(&env, "migrations_core", &["p1"]);
        for scheme in ["mysql://", "mysql+pymysql://"] {
            let wrong = url.as_str().replacen("mysql://", scheme, 1);
            for cmd in [&["up", "core", "--wait", "5s"][..], &["status", "core"]] {
                let start = Instant::now();
                let out = env.run_with(cmd, &[("DATABASE_URL", &wrong)]);
                out.code(3)
                    .output_has("core")
                    .output_has("Access denied")
                    .output_has(":***@");
                assert!(
                    !out.stdout.contains(PASSWORD) && !out.stderr.contains(PASSWORD),
                    "the password was printed\n{out}"
                );
                assert!(
                    start.elapsed() < Duration::from_secs(3),
                    "a refused login was retried\n{out}"
                );
            }
        }
        assert!(!db.has_table("_migrate_core").await);
    })
    .await;
}

/// The test server has no certificate: a URL that requires TLS fails at
/// once, saying so, in each client's spelling.
#[tokio::test]
async fn tls_the_server_cannot_give_fails_clearly() {
    on_mysql(concat!(module_path!(), "::tls"), |db| async move {
        let env = project(&db, "");
        write_chain(&env, "migrations_core", &["t1"]);
        let ca = env.path("ca.pem");
        let ca = ca.display();
        for url in [
            format!("{}?ssl-mode=REQUIRED", db.url),
            format!(
                "{}?ssl_ca={ca}",
                db.url.replacen("mysql://", "mysql+pymysql://", 1)
            ),
            format!(
                "{}?ssl_mode=VERIFY_IDENTITY",
                db.url.replacen("mysql://", "mysql+mysqldb://", 1)
            ),
            format!(
                "{}?ssl=true",
                db.url
                    .replacen("mysql://", "mariadb+mariadbconnector://", 1)
            ),
        ] {
            let start = Instant::now();
            let out = env.run_with(&["up", "core", "--wait", "5s"], &[("DATABASE_URL", &url)]);
            out.code(3).output_has("TLS");
            assert!(start.elapsed() < Duration::from_secs(3), "{out}");
        }
        // Without it, the same server is fine.
        env.run_with(
            &["up", "core"],
            &[("DATABASE_URL", &format!("{}?ssl-mode=DISABLED", db.url))],
        )
        .success();
    })
    .await;
}
