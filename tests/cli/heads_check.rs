//! `heads` and `check` on the "Done when" histories: the diverged
//! fixture (two chains of 16 and 5 from one revision) and the fixture where
//! a revision is only named in `depends-on`.

use super::{FORK, TIP_BILLING, TIP_NOTIFICATIONS, rev};
use crate::harness::env::{CORE_AI_CONFIG, TestEnv};

#[test]
fn heads_shows_exactly_the_two_tips_sorted() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&["heads", "core"])
        .success()
        .stdout_eq(&format!("{TIP_NOTIFICATIONS}\n{TIP_BILLING}\n"));
}

#[test]
fn heads_all_with_one_database_is_the_same_list() {
    let env = TestEnv::core_fixture("diverged");
    let one = env.run(&["heads", "core"]);
    let all = env.run(&["heads", "--all"]);
    all.success();
    assert!(
        all.stdout.contains(TIP_BILLING) && all.stdout.contains(TIP_NOTIFICATIONS),
        "{all}"
    );
    assert_eq!(all.lines().len(), 2, "{all}");
    assert_eq!(one.lines().len(), 2, "{one}");
}

#[test]
fn heads_verbose_shows_messages_and_files() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["heads", "core", "--verbose"]);
    out.success()
        .stdout_has("add credit_notes.reason")
        .stdout_has("def24e423a45_add_credit_notes_reason.sql")
        .stdout_has("create notification_preferences")
        .stdout_has("b61d975d6669_create_notification_preferences.sql");
    assert_eq!(out.lines().len(), 2, "{out}");
    // Sorted like the short form.
    assert!(out.lines()[0].contains(TIP_NOTIFICATIONS), "{out}");
}

#[test]
fn heads_names_each_database_when_several_are_listed() {
    let env = TestEnv::new()
        .config(CORE_AI_CONFIG)
        .copy_fixture("diverged", "migrations_core")
        .copy_fixture("depends_on", "migrations_ai");
    let out = env.run(&["heads", "--all"]);
    out.success();
    for line in out.lines() {
        assert!(
            line.starts_with("ai") || line.starts_with("core"),
            "every line names its database\n{out}"
        );
    }
    let ai: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.contains("a74b6122cae2"))
        .collect();
    assert_eq!(ai.len(), 1, "{out}");
    assert!(ai[0].starts_with("ai"), "{out}");
    assert_eq!(out.lines().len(), 3, "{out}");
}

#[test]
fn check_all_fails_naming_both_tips_and_where_they_diverged() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["check", "--all"]);
    out.code(1)
        .output_has(TIP_BILLING)
        .output_has(TIP_NOTIFICATIONS)
        .output_has(FORK)
        .output_has("migrate merge core");
    // The verdict per database is a result: on stdout.
    out.stdout_has("core").stdout_lacks("core: ok");
}

#[test]
fn check_one_database_by_name_fails_the_same_way() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&["check", "core"])
        .code(1)
        .output_has(TIP_BILLING)
        .output_has(TIP_NOTIFICATIONS);
}

#[test]
fn check_passes_on_a_single_head_and_says_so() {
    let env = TestEnv::core_fixture("depends_on");
    env.run(&["check", "--all"])
        .success()
        .stdout_has("core: ok")
        .stdout_has("a74b6122cae2");
}

#[test]
fn check_fails_when_any_of_several_databases_has_two_heads() {
    let env = TestEnv::new()
        .config(CORE_AI_CONFIG)
        .copy_fixture("diverged", "migrations_core")
        .copy_fixture("depends_on", "migrations_ai");
    let out = env.run(&["check", "--all"]);
    out.code(1).stdout_has("ai: ok").output_has(TIP_BILLING);
    // Sorted: ai before core.
    let ai = out.stdout.find("ai").expect("ai listed");
    let core = out.stdout.find("core").expect("core listed");
    assert!(ai < core, "databases are listed in order\n{out}");
}

#[test]
fn a_revision_only_named_in_depends_on_is_not_a_head() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["heads", "core"]);
    out.success()
        .stdout_eq("a74b6122cae2\n")
        .stdout_lacks("8de5c477591d");
    env.run(&["check", "core"]).success();
}

#[test]
fn new_after_depends_on_takes_the_single_head() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["new", "core", "-m", "create comments"]);
    out.success();
    let text = env.read(out.stdout.trim());
    assert_eq!(
        super::header(&text, "parents").as_deref(),
        Some("a74b6122cae2"),
        "{text}"
    );
}

#[test]
fn an_empty_migrations_folder_checks_clean() {
    let env = TestEnv::core();
    // No heads: no output at all (not a blank line), so `| wc -l` counts 0.
    env.run(&["heads", "core"]).success().stdout_eq("");
    env.run(&["check", "--all"])
        .success()
        .stdout_has("core: ok");
}

#[test]
fn several_bases_joined_by_a_merge_have_one_head() {
    let env = TestEnv::core()
        .revision(
            "migrations_core",
            "aaaa00000001_a.sql",
            &rev("aaaa00000001", "", "first base", 1),
        )
        .revision(
            "migrations_core",
            "bbbb00000002_b.sql",
            &rev("bbbb00000002", "", "second base", 2),
        )
        .revision(
            "migrations_core",
            "cccc00000003_m.sql",
            &rev("cccc00000003", "aaaa00000001 bbbb00000002", "join bases", 3),
        );
    env.run(&["heads", "core"])
        .success()
        .stdout_eq("cccc00000003\n");
    env.run(&["check", "core"]).success();
}

#[test]
fn heads_and_check_output_is_stable() {
    let env = TestEnv::core_fixture("diverged");
    for args in [
        &["heads", "core"][..],
        &["heads", "core", "--verbose"],
        &["check", "--all"],
    ] {
        let first = env.run(args);
        let second = env.run(args);
        assert_eq!(first.stdout, second.stdout, "{first}\n{second}");
        assert_eq!(first.stderr, second.stderr, "{first}\n{second}");
    }
    // A second copy of the same history, in another folder, gives the same heads.
    let other = TestEnv::core_fixture("diverged");
    assert_eq!(
        env.run(&["heads", "core"]).stdout,
        other.run(&["heads", "core"]).stdout
    );
}

#[test]
fn hidden_folders_and_other_files_are_not_revisions() {
    let env = TestEnv::core_fixture("depends_on")
        .write("migrations_core/.drafts/junk.sql", "not a revision")
        .write("migrations_core/README.md", "# notes")
        .write("migrations_core/.hidden.sql", "not a revision either")
        .revision(
            "migrations_core",
            "2025/b0b0b0b0b0b0_nested.sql",
            &rev("b0b0b0b0b0b0", "a74b6122cae2", "nested in a sub-folder", 9),
        );
    env.run(&["heads", "core"])
        .success()
        .stdout_eq("b0b0b0b0b0b0\n");
    env.run(&["check", "--all"]).success();
}

#[test]
fn check_exits_2_when_bad_input_and_two_heads_meet() {
    let env = TestEnv::new()
        .config(CORE_AI_CONFIG)
        .copy_fixture("diverged", "migrations_core")
        .write("migrations_ai/broken.sql", "-- migrate:revision x\n");
    let out = env.run(&["check", "--all"]);
    out.code(2).stderr_has("broken.sql").output_has(TIP_BILLING);
}
