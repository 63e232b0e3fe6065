//! `rebase`: the issue's history (main with two heads, where a feature
//! branch carried its own merge of two revisions main has since merged
//! too), what it writes byte for byte, every refusal (nothing changed),
//! `--dry-run`, and what databases that applied the branch see afterwards
//! (SQLite and PostgreSQL).

use std::collections::BTreeMap;

use super::rev;
use crate::harness::env::{Output, TestEnv};
use crate::online::{applied, closed_port, core_config, core_project, online_test, sorted};

/// A merge revision as `migrate merge` writes it: only a comment runs.
fn merge(id: &str, parents: &str, day: u32) -> String {
    format!(
        "-- migrate:revision {id}\n-- migrate:parents {parents}\n-- migrate:message merge {id}\n-- migrate:created 2025-01-{day:02}T09:00:00Z\n\n-- migrate:up\n-- merge revision: joins the branches above; add SQL only if the merge needs it\n\n-- migrate:down\n"
    )
}

/// `f1` as written on Windows, with a comment that names its parent.
const F1_CRLF: &str = "-- migrate:revision f1\r\n-- migrate:parents fm\r\n-- migrate:message add features\r\n-- migrate:created 2025-01-05T09:00:00Z\r\n\r\n-- migrate:up\r\n-- built on fm, the feature branch's own merge\r\nCREATE TABLE t_f1 (id integer);\r\n\r\n-- migrate:down\r\nDROP TABLE t_f1;\r\n";

/// Main: `r0`, then `a1` and `b1` side by side, merged by `mm`, then `m2`.
/// The feature branch merged `a1` and `b1` itself (`fm`, parents written
/// with a comma), then `f1` and `f2`. Two heads: `f2` and `m2`.
fn write_issue(env: &TestEnv) {
    let files = [
        ("r0", rev("r0", "", "create accounts", 1)),
        ("a1", rev("a1", "r0", "create invoices", 2)),
        ("b1", rev("b1", "r0", "create payments", 2)),
        ("mm", merge("mm", "a1 b1", 3)),
        ("m2", rev("m2", "mm", "create refunds", 4)),
        ("fm", merge("fm", "a1, b1", 3)),
        ("f1", F1_CRLF.to_owned()),
        ("f2", rev("f2", "f1", "index features", 6)),
    ];
    for (id, text) in files {
        env.put(&format!("migrations_core/{id}.sql"), text.as_bytes());
    }
}

fn issue() -> TestEnv {
    let env = TestEnv::core();
    write_issue(&env);
    env
}

/// Every file of `migrations_core/` and its bytes.
fn files(env: &TestEnv) -> BTreeMap<String, Vec<u8>> {
    env.files("migrations_core")
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(env.path(&format!("migrations_core/{f}"))).unwrap();
            (f, bytes)
        })
        .collect()
}

/// Runs `rebase ARGS`, asserts the exit code and that no file changed.
#[track_caller]
fn refused(env: &TestEnv, args: &[&str], code: i32) -> Output {
    let before = files(env);
    let out = env.run(&[&["rebase", "core"][..], args].concat());
    out.code(code).stdout_empty();
    assert_eq!(files(env), before, "a refusal changes nothing\n{out}");
    out
}

#[test]
fn rebase_deletes_the_feature_merge_and_moves_the_branch_onto_main() {
    let env = issue();
    env.run(&["check", "core"])
        .code(1)
        .stderr_has("`f2` and `m2`");
    let before = files(&env);

    let out = env.run(&["rebase", "core", "f2"]);
    out.success().stdout_eq(
        "core: moving 2 revisions onto `m2`: `f1` and `f2`\n\
         changed migrations_core/f1.sql (parents `fm` -> `m2`)\n\
         deleted migrations_core/fm.sql (merge of `a1` and `b1`, which `m2` already contains)\n",
    );
    out.stderr_has("`f1` now has other parents")
        .stderr_has("re-parented")
        .stderr_has("merge `fm` is deleted");

    // Only f1's parents line changed (its CRLF endings kept); fm is gone.
    let mut expected = before.clone();
    expected.remove("fm.sql");
    expected.insert(
        "f1.sql".to_owned(),
        F1_CRLF
            .replace("-- migrate:parents fm\r\n", "-- migrate:parents m2\r\n")
            .into_bytes(),
    );
    assert_eq!(files(&env), expected);

    env.run(&["check", "core"])
        .success()
        .stdout_eq("core: ok (7 revisions, head f2)\n");
    env.run(&["up", "core"]).success();
    env.run(&["current", "core"])
        .success()
        .stdout_eq("core: f2\n");
    env.run(&["verify", "core"])
        .success()
        .stdout_has("7 applied revisions match");
}

#[test]
fn dry_run_prints_the_same_and_changes_no_byte() {
    let env = issue();
    let before = files(&env);
    let dry = env.run(&["rebase", "core", "f2", "--dry-run"]);
    dry.success().stderr_has("dry run: no file was changed");
    assert_eq!(files(&env), before, "{dry}");
    let real = env.run(&["rebase", "core", "f2"]);
    real.success().stdout_eq(&dry.stdout);
    assert_ne!(files(&env), before);
}

#[test]
fn a_second_rebase_finds_nothing_to_change() {
    let env = issue();
    env.run(&["rebase", "core", "f2"]).success();
    let once = files(&env);
    env.run(&["rebase", "core", "f2", "--onto", "m2"])
        .success()
        .stdout_eq("core: nothing to change: the branch of `f2` already sits on `m2`\n");
    assert_eq!(files(&env), once);
    // With the branch on main there is no other head to move it onto.
    refused(&env, &["f2"], 1).stderr_has("no other head");
}

#[test]
fn json_lists_what_changed() {
    let env = issue();
    let doc = env
        .run(&["rebase", "core", "f2", "--dry-run", "--format", "json"])
        .json();
    let core = &doc["core"];
    assert_eq!(core["onto"], "m2");
    assert_eq!(core["changed"][0]["path"], "migrations_core/f1.sql");
    assert_eq!(core["changed"][0]["parents_after"][0], "m2");
    assert_eq!(core["deleted"][0], "migrations_core/fm.sql");
    assert_eq!(core["dry_run"], true);
}

#[test]
fn a_base_in_the_branch_gets_a_parents_line() {
    let env = TestEnv::core()
        .revision("migrations_core", "m1.sql", &rev("m1", "", "main", 1))
        .revision("migrations_core", "x1.sql", &rev("x1", "", "other base", 2))
        .revision("migrations_core", "x2.sql", &rev("x2", "x1", "on it", 3));
    env.run(&["rebase", "core", "x2"])
        .success()
        .stdout_has("changed migrations_core/x1.sql (parents (none) -> `m1`)");
    let x1 = env.read("migrations_core/x1.sql");
    assert_eq!(
        x1,
        rev("x1", "", "other base", 2).replacen(
            "-- migrate:revision x1\n",
            "-- migrate:revision x1\n-- migrate:parents m1\n",
            1
        )
    );
    env.run(&["check", "core"]).success();
}

#[test]
fn refuses_when_rev_is_the_target() {
    let env = issue();
    refused(&env, &["m2", "--onto", "m2"], 2).stderr_has("nothing to move");
}

#[test]
fn refuses_when_rev_is_already_below_the_target() {
    let env = issue();
    refused(&env, &["a1", "--onto", "m2"], 2)
        .stderr_has("`m2` already descends from `a1`")
        .stderr_has("nothing to move");
}

#[test]
fn refuses_to_guess_among_several_heads() {
    let env = issue().revision("migrations_core", "g1.sql", &rev("g1", "r0", "other", 7));
    refused(&env, &["f2"], 2)
        .stderr_has("`g1` and `m2`")
        .stderr_has("--onto");
}

#[test]
fn refuses_a_graph_broken_to_begin_with() {
    let env = issue().revision("migrations_core", "x1.sql", &rev("x1", "gone", "lost", 7));
    refused(&env, &["f2", "--onto", "m2"], 2)
        .stderr_has("x1.sql")
        .stderr_has("`gone`");
}

#[test]
fn refuses_an_unknown_revision() {
    let env = issue();
    refused(&env, &["nosuch"], 2).stderr_has("nosuch");
    refused(&env, &["f2", "--onto", "nosuch"], 2).stderr_has("nosuch");
}

#[test]
fn refuses_to_delete_a_merge_another_branch_builds_on() {
    let env = issue().revision("migrations_core", "g1.sql", &rev("g1", "fm", "other", 7));
    refused(&env, &["f2", "--onto", "m2"], 1)
        .stderr_has("merge `fm` would be deleted")
        .stderr_has("`g1` (`migrations_core/g1.sql`)");
}

#[test]
fn refuses_to_delete_a_merge_something_depends_on() {
    let dependent = rev("x1", "r0", "needs fm", 7).replacen(
        "-- migrate:message",
        "-- migrate:depends-on fm\n-- migrate:message",
        1,
    );
    let env = issue().revision("migrations_core", "x1.sql", &dependent);
    refused(&env, &["f2", "--onto", "m2"], 1)
        .stderr_has("`x1` (`migrations_core/x1.sql`) names it in `-- migrate:depends-on`");
}

#[test]
fn refuses_to_delete_a_labelled_merge() {
    let env = issue();
    let labelled = merge("fm", "a1, b1", 3).replacen(
        "-- migrate:message",
        "-- migrate:labels feature\n-- migrate:message",
        1,
    );
    env.put("migrations_core/fm.sql", labelled.as_bytes());
    refused(&env, &["f2"], 1)
        .stderr_has("label `feature`")
        .stderr_has("migrations_core/fm.sql");
}

#[test]
fn refuses_to_delete_a_merge_holding_sql() {
    let env = issue();
    let with_sql = merge("fm", "a1 b1", 3).replace(
        "add SQL only if the merge needs it\n",
        "add SQL only if the merge needs it\nCREATE TABLE t_fm (id integer);\n",
    );
    env.put("migrations_core/fm.sql", with_sql.as_bytes());
    refused(&env, &["f2"], 1)
        .stderr_has("`up` section of `migrations_core/fm.sql` holds SQL")
        .stderr_lacks("warning");
}

#[test]
fn refuses_a_move_that_would_break_a_revision_outside_the_branch() {
    // `c1` merges `f1` and `m1`: once `f1` sits on `m1`, `m1` is redundant.
    let env = TestEnv::core()
        .revision("migrations_core", "r0.sql", &rev("r0", "", "base", 1))
        .revision("migrations_core", "m1.sql", &rev("m1", "r0", "main", 2))
        .revision("migrations_core", "f1.sql", &rev("f1", "r0", "feature", 3))
        .revision(
            "migrations_core",
            "c1.sql",
            &rev("c1", "f1 m1", "joined", 4),
        );
    refused(&env, &["f1", "--onto", "m1"], 1)
        .stderr_has("would leave the graph broken")
        .stderr_has("migrations_core/c1.sql");
}

#[test]
fn an_unreachable_database_is_a_note_not_a_failure() {
    let url = format!("postgres://app:s3cret@127.0.0.1:{}/app", closed_port());
    let env = TestEnv::new()
        .config(&core_config(""))
        .env("DATABASE_URL", &url);
    write_issue(&env);
    let out = env.run(&["rebase", "core", "f2"]);
    out.success()
        .stderr_has("note: database `core` (postgres://app:***@127.0.0.1:")
        .stderr_has("was not looked at")
        .stderr_lacks("s3cret");
    env.run(&["check", "core"]).success();
}

online_test!(
    a_database_that_applied_the_branch_reports_it_re_parented,
    |db| {
        let env = core_project(&db, "");
        write_issue(&env);
        env.run(&["up", "core", "--to", "heads"]).success();

        let out = env.run(&["rebase", "core", "f2"]);
        out.success()
            .stderr_has("database `core` (")
            .stderr_has("has applied `f1` and `fm`")
            .stderr_lacks("lacks `m2`");

        let re_parented = "revision `f1` was applied with parents `fm` but `migrations_core/f1.sql` now lists `m2`";
        let verify = env.run(&["verify", "core"]);
        // The deleted merge is applied without a file: verify fails on it.
        verify
            .code(1)
            .stdout_has("unknown  fm")
            .stdout_has(re_parented);
        env.run(&["status", "core"])
            .success()
            .output_has(re_parented);
        // As the rebase said, forgetting the merge's row leaves the warning only.
        env.run(&["repair", "core", "fm", "--forget"]).success();
        env.run(&["verify", "core"])
            .success()
            .stdout_has(re_parented);
        env.run(&["up", "core", "--strict"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["a1", "b1", "f1", "f2", "m2", "mm", "r0"])
        );
    }
);

online_test!(
    a_database_that_applied_the_branch_without_the_target_is_told_to_revert_it,
    |db| {
        let env = core_project(&db, "");
        write_issue(&env);
        env.run(&["up", "core", "--to", "f2"]).success();

        let out = env.run(&["rebase", "core", "f2", "--dry-run"]);
        out.success()
            .stderr_has("has applied `f1` and `fm`; it lacks `m2`")
            .stderr_has("revert it there before the rebase");

        // Following the advice: revert the branch, rebase, apply.
        env.run(&["down", "core", "--to", "b1"]).success();
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["a1", "b1", "r0"])
        );
        env.run(&["rebase", "core", "f2"])
            .success()
            .stderr_lacks("has applied");
        env.run(&["up", "core"]).success();
        env.run(&["verify", "core"])
            .success()
            .stdout_lacks("warning");
        assert_eq!(
            applied(&db, "_migrate_core").await,
            sorted(&["a1", "b1", "f1", "f2", "m2", "mm", "r0"])
        );
    }
);
