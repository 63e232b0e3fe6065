//! `new` and `merge`: the files they write (read back), the parents they
//! choose, and what they refuse.

use super::{DIVERGED_COUNT, TIP_BILLING, TIP_NOTIFICATIONS, header, ids, rev, sql_files};
use crate::harness::env::{Output, TestEnv};

/// Asserts a refusal with exit `code`.
#[track_caller]
fn refused(out: &Output, code: i32) {
    assert!(out.code == code, "expected a refusal (exit {code})\n{out}");
}

/// The path `new`/`merge` printed: one line, relative to the current folder.
#[track_caller]
fn printed_path(out: &Output) -> String {
    out.success();
    let lines = out.lines();
    assert_eq!(lines.len(), 1, "prints exactly the new file's path\n{out}");
    let path = lines[0].trim().to_owned();
    assert!(
        path.starts_with("migrations_core/") && path.ends_with(".sql"),
        "{out}"
    );
    path
}

#[test]
fn new_refuses_when_there_are_two_heads_and_names_them() {
    let env = TestEnv::core_fixture("diverged");
    // As for `up`: the graph is bad input until a merge joins the heads.
    let out = env.run(&["new", "core", "-m", "add invoices.notes"]);
    refused(&out, 2);
    out.stderr_has(TIP_BILLING)
        .stderr_has(TIP_NOTIFICATIONS)
        .stderr_has("migrate merge core");
    out.stdout_empty();
    assert_eq!(
        sql_files(&env, "migrations_core").len(),
        DIVERGED_COUNT,
        "nothing was written"
    );
}

#[test]
fn merge_writes_one_revision_whose_parents_are_both_tips() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["merge", "core", "-m", "merge billing and notifications"]);
    let path = printed_path(&out);
    assert!(
        path.ends_with("_merge_billing_and_notifications.sql"),
        "{out}"
    );
    assert_eq!(sql_files(&env, "migrations_core").len(), DIVERGED_COUNT + 1);

    let text = env.read(&path);
    let parents = header(&text, "parents").expect("a parents line");
    assert_eq!(ids(&parents), [TIP_NOTIFICATIONS, TIP_BILLING], "{text}");
    assert_eq!(
        header(&text, "message").as_deref(),
        Some("merge billing and notifications")
    );
    let id = header(&text, "revision").expect("a revision line");
    assert!(path.contains(&id), "the file is named after its id: {path}");

    // After it: one head, check passes, and new works on top of the merge.
    env.run(&["heads", "core"])
        .success()
        .stdout_eq(&format!("{id}\n"));
    env.run(&["check", "--all"])
        .success()
        .stdout_has("core: ok")
        .stdout_has(&id);
    let next = env.run(&["new", "core", "-m", "add invoices.notes"]);
    let next_path = printed_path(&next);
    assert_eq!(
        header(&env.read(&next_path), "parents"),
        Some(id),
        "new takes the merge as parent"
    );
    env.run(&["check", "--all"]).success();
}

#[test]
fn merge_of_named_revisions_by_prefix_with_a_chosen_id() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&[
        "merge",
        "core",
        "def2",
        "b61d",
        "-m",
        "join",
        "--rev-id",
        "abc123merge",
    ]);
    let path = printed_path(&out);
    let text = env.read(&path);
    assert_eq!(header(&text, "revision").as_deref(), Some("abc123merge"));
    assert_eq!(
        ids(&header(&text, "parents").unwrap_or_default()),
        [TIP_NOTIFICATIONS, TIP_BILLING]
    );
    env.run(&["show", "core", "abc123merge"])
        .success()
        .stdout_has("mergepoint");
}

#[test]
fn merge_refuses_a_single_head() {
    let env = TestEnv::core_fixture("depends_on");
    // The operation ran and found nothing to do that it could do.
    let out = env.run(&["merge", "core", "-m", "nothing to merge"]);
    refused(&out, 1);
    out.stderr_has("a74b6122cae2");
    assert_eq!(sql_files(&env, "migrations_core").len(), 4);
}

#[test]
fn merge_refuses_a_revision_that_is_an_ancestor_of_the_other() {
    let env = TestEnv::core_fixture("diverged");
    // 2d38474b9078 (create invoices) is an ancestor of the billing tip.
    let out = env.run(&[
        "merge",
        "core",
        "2d38474b9078",
        TIP_BILLING,
        "-m",
        "bad merge",
    ]);
    out.code(2)
        .stderr_has("2d38474b9078")
        .stderr_has("ancestor");
    assert_eq!(sql_files(&env, "migrations_core").len(), DIVERGED_COUNT);
}

#[test]
fn new_on_an_empty_folder_writes_a_base_and_then_a_child() {
    let env = TestEnv::core();
    let first = printed_path(&env.run(&["new", "core", "-m", "create users"]));
    assert!(first.ends_with("_create_users.sql"), "{first}");
    let text = env.read(&first);
    let first_id = header(&text, "revision").expect("revision line");
    assert_eq!(
        header(&text, "parents"),
        None,
        "a first revision is a base\n{text}"
    );
    assert_eq!(header(&text, "message").as_deref(), Some("create users"));
    let created = header(&text, "created").expect("a created line");
    assert!(
        created.starts_with("20") && created.contains('T'),
        "RFC 3339: {created}"
    );
    assert!(text.contains("-- migrate:up"), "{text}");
    assert!(
        first_id.len() == 12 && first_id.chars().all(|c| c.is_ascii_hexdigit()),
        "12 hex characters: {first_id}"
    );

    let second = printed_path(&env.run(&["new", "core", "-m", "create portfolios"]));
    let second_id = header(&env.read(&second), "revision").expect("revision line");
    assert_eq!(
        header(&env.read(&second), "parents"),
        Some(first_id.clone()),
        "parent = previous head"
    );
    assert_ne!(first_id, second_id);
    env.run(&["heads", "core"])
        .success()
        .stdout_eq(&format!("{second_id}\n"));
    env.run(&["check", "core"]).success();
}

#[test]
fn new_rev_id_is_used_and_an_existing_id_is_refused() {
    let env = TestEnv::core_fixture("depends_on");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "create comments",
        "--rev-id",
        "comments_1",
    ]));
    assert_eq!(path, "migrations_core/comments_1_create_comments.sql");
    assert_eq!(
        header(&env.read(&path), "revision").as_deref(),
        Some("comments_1")
    );

    let before = sql_files(&env, "migrations_core");
    let out = env.run(&["new", "core", "-m", "again", "--rev-id", "2762757367cf"]);
    out.code(2)
        .stderr_has("2762757367cf")
        .stderr_has("2762757367cf_create_authors.sql");
    assert_eq!(
        sql_files(&env, "migrations_core"),
        before,
        "nothing was written"
    );
    assert!(
        env.read(&path).contains("create comments"),
        "the first file is untouched"
    );
}

#[test]
fn new_rev_id_must_be_a_valid_id() {
    let env = TestEnv::core_fixture("depends_on");
    for bad in ["head", "base", "not-an-id", ""] {
        let out = env.run(&["new", "core", "-m", "x", "--rev-id", bad]);
        out.code(2);
        assert!(
            out.stderr.contains("rev-id") || out.stderr.contains("id"),
            "{out}"
        );
    }
    assert_eq!(sql_files(&env, "migrations_core").len(), 4);
}

#[test]
fn new_parent_accepts_a_prefix_and_writes_the_full_id() {
    let env = TestEnv::core_fixture("diverged");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "add invoices.notes",
        "--parent",
        "c513",
    ]));
    assert_eq!(
        header(&env.read(&path), "parents").as_deref(),
        Some("c5136105ef6c")
    );
}

#[test]
fn new_parent_that_does_not_exist_is_refused() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["new", "core", "-m", "x", "--parent", "ffff"]);
    out.code(2).stderr_has("ffff");
    assert_eq!(sql_files(&env, "migrations_core").len(), 4);
}

#[test]
fn new_with_several_parents_writes_a_merge() {
    let env = TestEnv::core_fixture("diverged");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "join with sql",
        "--parent",
        TIP_BILLING,
        "--parent",
        TIP_NOTIFICATIONS,
    ]));
    assert_eq!(
        ids(&header(&env.read(&path), "parents").unwrap_or_default()),
        [TIP_NOTIFICATIONS, TIP_BILLING]
    );
    env.run(&["check", "core"]).success();
}

#[test]
fn new_label_is_written_and_usable_as_a_target() {
    let env = TestEnv::core_fixture("depends_on");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "create comments",
        "--label",
        "comments",
    ]));
    let text = env.read(&path);
    assert_eq!(
        header(&text, "labels").as_deref(),
        Some("comments"),
        "{text}"
    );
    let id = header(&text, "revision").expect("revision line");
    env.run(&["show", "core", "comments@head"])
        .success()
        .stdout_has(&id);
}

#[test]
fn new_no_transaction_writes_transaction_off() {
    let env = TestEnv::core_fixture("depends_on");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "index posts concurrently",
        "--no-transaction",
    ]));
    let text = env.read(&path);
    assert!(
        text.lines()
            .any(|l| l.trim() == "-- migrate:transaction off"),
        "{text}"
    );
    let id = header(&text, "revision").expect("revision line");
    env.run(&["show", "core", &id])
        .success()
        .stdout_has("Transaction: off");
    // Without the flag, no such line.
    let plain = printed_path(&env.run(&["new", "core", "-m", "plain"]));
    assert_eq!(header(&env.read(&plain), "transaction"), None);
}

#[test]
fn new_dir_writes_into_a_sub_folder_that_is_loaded() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["new", "core", "-m", "create comments", "--dir", "2025"]);
    out.success();
    let path = out.stdout.trim().to_owned();
    assert!(path.starts_with("migrations_core/2025/"), "{out}");
    let id = header(&env.read(&path), "revision").expect("revision line");
    env.run(&["heads", "core"])
        .success()
        .stdout_eq(&format!("{id}\n"));
}

#[test]
fn new_from_a_sub_folder_prints_a_path_that_works_from_there() {
    let env = TestEnv::core_fixture("depends_on").current_dir("app");
    let out = env.run(&["new", "core", "-m", "create comments"]);
    out.success();
    let printed = out.stdout.trim();
    let from_app = env.path("app").join(printed);
    assert!(
        from_app.is_file()
            || std::path::Path::new(printed).is_absolute()
            || printed.starts_with("[ROOT]"),
        "the printed path must open from the current folder\n{out}"
    );
}

#[test]
fn new_needs_a_message_and_a_known_database() {
    let env = TestEnv::core_fixture("depends_on");
    env.run(&["new", "core"]).code(2).stderr_has("--message");
    env.run(&["new", "cor", "-m", "x"])
        .code(2)
        .stderr_has("`cor`")
        .stderr_has("core");
    assert_eq!(sql_files(&env, "migrations_core").len(), 4);
}

#[test]
fn merge_output_is_usable_by_the_graph_and_history() {
    let env = TestEnv::core()
        .revision(
            "migrations_core",
            "aaaa00000001_a.sql",
            &rev("aaaa00000001", "", "a", 1),
        )
        .revision(
            "migrations_core",
            "bbbb00000002_b.sql",
            &rev("bbbb00000002", "aaaa00000001", "b", 2),
        )
        .revision(
            "migrations_core",
            "cccc00000003_c.sql",
            &rev("cccc00000003", "aaaa00000001", "c", 3),
        );
    let path = printed_path(&env.run(&[
        "merge",
        "core",
        "-m",
        "merge b and c",
        "--rev-id",
        "dddd00000004",
    ]));
    assert_eq!(path, "migrations_core/dddd00000004_merge_b_and_c.sql");
    let history = env.run(&["history", "core"]);
    history.success();
    assert!(
        history.lines()[0].contains("dddd00000004"),
        "the merge is newest\n{history}"
    );
}

#[test]
fn new_with_an_invalid_label_writes_nothing() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["new", "core", "-m", "x", "--label", "bad label!"]);
    out.code(2).stderr_has("label!");
    assert_eq!(
        sql_files(&env, "migrations_core").len(),
        4,
        "no broken file is left behind"
    );
    env.run(&["check", "core"]).success();
}

#[test]
fn new_dir_must_stay_inside_the_migrations_folder() {
    let env = TestEnv::core_fixture("depends_on");
    // A revision written where `migrate` does not look would be silently lost.
    for dir in ["../elsewhere", ".drafts"] {
        let out = env.run(&["new", "core", "-m", "lost revision", "--dir", dir]);
        out.code(2).stderr_has(dir);
    }
    assert!(
        !env.path("elsewhere").exists(),
        "nothing written outside migrations_core"
    );
    assert!(
        env.files("migrations_core/.drafts").is_empty(),
        "nothing written in a skipped folder"
    );
}

#[test]
fn new_message_with_a_newline_stays_one_header_line() {
    let env = TestEnv::core_fixture("depends_on");
    let path = printed_path(&env.run(&[
        "new",
        "core",
        "-m",
        "first line\n-- migrate:up\nDROP TABLE posts;",
    ]));
    let text = env.read(&path);
    assert_eq!(
        text.lines().filter(|l| l.trim() == "-- migrate:up").count(),
        1,
        "{text}"
    );
    assert!(
        !text.contains("\nDROP TABLE posts;"),
        "the message cannot inject SQL\n{text}"
    );
    env.run(&["check", "core"]).success();
}

#[test]
fn merge_rev_id_that_exists_is_refused() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&["merge", "core", "-m", "m", "--rev-id", "2d38474b9078"])
        .code(2)
        .stderr_has("2d38474b9078");
    assert_eq!(sql_files(&env, "migrations_core").len(), DIVERGED_COUNT);
}
