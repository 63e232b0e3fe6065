//! Malformed input of every kind: each exits 2, names the culprit (file and
//! line where there is one) and never panics (the harness checks that on
//! every run). Revision-file problems are checked through both `check` (what
//! CI runs) and `heads` (any command that loads the graph).

use super::rev;
use crate::harness::env::{CORE_CONFIG, Output, TestEnv};

const F: &str = "migrations_core";

/// A project with one good base revision plus `files` (name, text).
fn project(files: &[(&str, &str)]) -> TestEnv {
    let mut env = TestEnv::core().revision(
        F,
        "0000aaaa0000_base.sql",
        &rev("0000aaaa0000", "", "base", 1),
    );
    for (name, text) in files {
        env = env.revision(F, name, text);
    }
    env
}

/// Runs `check --all` and `heads core`; both must exit 2 and name every needle on stderr.
#[track_caller]
fn rejects(env: &TestEnv, needles: &[&str]) -> Output {
    let heads = env.run(&["heads", "core"]);
    heads.code(2);
    for n in needles {
        heads.stderr_has(n);
    }
    let check = env.run(&["check", "--all"]);
    check.code(2);
    for n in needles {
        check.stderr_has(n);
    }
    check
}

#[test]
fn missing_parent() {
    let env = project(&[(
        "bbbb00000002_b.sql",
        &rev("bbbb00000002", "ffff99999999", "b", 2),
    )]);
    rejects(&env, &["bbbb00000002_b.sql", "ffff99999999"]);
}

#[test]
fn missing_depends_on() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n-- migrate:depends-on eeee77777777\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql", "eeee77777777"]);
}

#[test]
fn duplicate_id_names_both_files() {
    let env = project(&[
        (
            "bbbb00000002_first.sql",
            &rev("bbbb00000002", "0000aaaa0000", "first", 2),
        ),
        (
            "bbbb00000002_second.sql",
            &rev("bbbb00000002", "0000aaaa0000", "second", 3),
        ),
    ]);
    rejects(
        &env,
        &[
            "bbbb00000002",
            "bbbb00000002_first.sql",
            "bbbb00000002_second.sql",
        ],
    );
}

#[test]
fn two_file_cycle_is_shown_as_a_path() {
    let env = project(&[
        (
            "bbbb00000002_b.sql",
            &rev("bbbb00000002", "cccc00000003", "b", 2),
        ),
        (
            "cccc00000003_c.sql",
            &rev("cccc00000003", "bbbb00000002", "c", 3),
        ),
    ]);
    let out = rejects(&env, &["bbbb00000002_b.sql", "cccc00000003_c.sql"]);
    assert!(
        out.stderr
            .contains("bbbb00000002 -> cccc00000003 -> bbbb00000002")
            || out
                .stderr
                .contains("cccc00000003 -> bbbb00000002 -> cccc00000003"),
        "the cycle is reported as its path\n{out}"
    );
}

#[test]
fn unknown_directive_names_file_and_line() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n-- migrate:frobnicate yes\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql:3", "frobnicate"]);
}

#[test]
fn up_missing() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql", "-- migrate:up"]);
}

#[test]
fn up_missing_with_sql_in_the_header() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\nCREATE TABLE t (id int);\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql"]);
}

#[test]
fn up_twice_names_the_second_line() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n\n-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql:6", "migrate:up"]);
}

#[test]
fn down_before_up_names_the_line() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n-- migrate:down\nDROP TABLE t;\n-- migrate:up\nCREATE TABLE t (id int);\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql:3", "migrate:down"]);
}

#[test]
fn invalid_id_names_file_line_and_id() {
    let text = "-- migrate:revision not-an-id!\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[("bad.sql", text)]);
    rejects(&env, &["bad.sql:1", "not-an-id!"]);
}

#[test]
fn over_long_id() {
    let id = "a".repeat(65);
    let text = format!("-- migrate:revision {id}\n-- migrate:up\nSELECT 1;\n");
    let env = project(&[("long.sql", &text)]);
    rejects(&env, &["long.sql:1", "64"]);
}

#[test]
fn reserved_ids() {
    for reserved in ["head", "heads", "base", "current"] {
        let text = format!("-- migrate:revision {reserved}\n-- migrate:up\nSELECT 1;\n");
        let env = project(&[("reserved.sql", &text)]);
        rejects(&env, &["reserved.sql:1", reserved, "reserved"]);
    }
}

#[test]
fn invalid_parent_id() {
    let text = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000 ../etc\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[("bbbb00000002_b.sql", text)]);
    rejects(&env, &["bbbb00000002_b.sql:2", "../etc"]);
}

#[test]
fn missing_revision_directive() {
    let text =
        "-- migrate:parents 0000aaaa0000\n-- migrate:message no id\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[("no_id.sql", text)]);
    rejects(&env, &["no_id.sql", "migrate:revision"]);
}

#[test]
fn merge_listing_an_ancestor_of_its_other_parent() {
    let env = project(&[
        (
            "bbbb00000002_b.sql",
            &rev("bbbb00000002", "0000aaaa0000", "b", 2),
        ),
        (
            "cccc00000003_m.sql",
            &rev("cccc00000003", "bbbb00000002 0000aaaa0000", "bad merge", 3),
        ),
    ]);
    rejects(&env, &["cccc00000003_m.sql", "0000aaaa0000", "ancestor"]);
}

#[test]
fn binary_junk() {
    let mut junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    junk.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);
    let env = TestEnv::core()
        .revision(
            F,
            "0000aaaa0000_base.sql",
            &rev("0000aaaa0000", "", "base", 1),
        )
        .write_bytes(&format!("{F}/junk.sql"), &junk);
    rejects(&env, &["junk.sql", "UTF-8"]);
}

#[test]
fn utf8_junk_without_directives() {
    let junk = "\u{0}\u{1}\u{7f}ÿ€𝄞 \u{202e}garbage;;\n".repeat(100);
    let env = project(&[("junk.sql", &junk)]);
    rejects(&env, &["junk.sql"]);
}

#[test]
fn empty_file() {
    let env = project(&[("empty.sql", "")]);
    rejects(&env, &["empty.sql"]);
}

#[test]
fn huge_multibyte_header_line_is_quoted_without_panicking() {
    // A header line of 200,000 multi-byte characters: a message quoting it
    // must cut it on a character boundary (and keep the message short).
    let line = format!(
        "-- migrate:revision bbbb00000002\n{}\n-- migrate:up\nSELECT 1;\n",
        "é€".repeat(100_000)
    );
    let env = project(&[("huge.sql", &line)]);
    let out = rejects(&env, &["huge.sql:2"]);
    assert!(
        out.stderr.len() < 10_000,
        "the quote is truncated ({} bytes on stderr)",
        out.stderr.len()
    );
}

#[test]
fn every_malformed_file_is_reported_at_once() {
    let env = project(&[
        (
            "one.sql",
            "-- migrate:revision one\n-- migrate:bogus\n-- migrate:up\n",
        ),
        ("two.sql", "-- migrate:revision two\n"),
    ]);
    rejects(&env, &["one.sql:2", "two.sql"]);
}

#[test]
fn unknown_key_in_migrate_toml_names_file_line_and_key() {
    let env = TestEnv::new()
        .config("[databases.core]\nurl_env = \"DATABASE_URL\"\nmigration = \"migrations_core\"\n")
        .mkdir(F);
    let out = env.run(&["heads", "core"]);
    out.code(2)
        .stderr_has("[ROOT]/migrate.toml:3")
        .stderr_has("`migration`")
        .stderr_has("migrations");
    env.run(&["check", "--all"])
        .code(2)
        .stderr_has("migrate.toml:3");
}

#[test]
fn unknown_key_in_settings() {
    let env = TestEnv::new()
        .config(&format!(
            "[settings]\nlock_timout = \"5s\"\n\n{CORE_CONFIG}"
        ))
        .mkdir(F);
    env.run(&["check", "--all"])
        .code(2)
        .stderr_has("migrate.toml:2")
        .stderr_has("lock_timout")
        .stderr_has("lock_timeout");
}

#[test]
fn toml_syntax_error_names_the_line() {
    let env =
        TestEnv::new().config("[databases.core]\nurl_env = \"DATABASE_URL\nmigrations = \"m\"\n");
    env.run(&["check", "--all"])
        .code(2)
        .stderr_has("migrate.toml:2");
}

#[test]
fn bad_database_name_in_migrate_toml() {
    let env =
        TestEnv::new().config("[databases.Core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"m\"\n");
    env.run(&["check", "--all"])
        .code(2)
        .stderr_has("migrate.toml")
        .stderr_has("Core");
}

#[test]
fn missing_migrations_folder() {
    let env = TestEnv::new().config(CORE_CONFIG);
    env.run(&["check", "--all"])
        .code(2)
        .stderr_has("migrations_core");
    env.run(&["heads", "core"])
        .code(2)
        .stderr_has("migrations_core");
}

#[test]
fn unknown_database_on_the_command_line_suggests_the_closest() {
    let env = TestEnv::core();
    for args in [
        &["heads", "cor"][..],
        &["check", "cor"],
        &["history", "cor"],
        &["show", "cor", "head"],
        &["graph", "cor"],
        &["new", "cor", "-m", "x"],
        &["merge", "cor", "-m", "x"],
    ] {
        env.run(args)
            .code(2)
            .stderr_has("`cor`")
            .stderr_has("did you mean `core`");
    }
    // Far from every name: no suggestion, but the known names are listed.
    env.run(&["heads", "warehouse"])
        .code(2)
        .stderr_has("`warehouse`")
        .stderr_has("core")
        .stderr_lacks("did you mean");
}

#[test]
fn unknown_target_is_bad_input() {
    let env = TestEnv::core_fixture("depends_on");
    env.run(&["show", "core", "ffffffff"])
        .code(2)
        .stderr_has("ffffffff");
    env.run(&["show", "core", "2762757367cf+9"])
        .code(2)
        .stderr_has("2762757367cf");
    env.run(&["history", "core", "--range", "nope"]).code(2);
}

#[test]
fn bad_command_lines_exit_2() {
    let env = TestEnv::core();
    env.run(&["frobnicate"]).code(2).stderr_has("frobnicate");
    env.run(&["heads"]).code(2);
    env.run(&["heads", "core", "--all"]).code(2);
    env.run(&["heads", "core", "--format", "yaml"])
        .code(2)
        .stderr_has("yaml");
    env.run(&["graph", "core", "--format-graph", "png"])
        .code(2)
        .stderr_has("png");
    env.run(&["completions", "tcsh"]).code(2).stderr_has("tcsh");
}

#[test]
fn a_50_mb_file_is_a_result_not_a_panic() {
    let mut text = String::from(
        "-- migrate:revision big000000001\n-- migrate:parents 0000aaaa0000\n-- migrate:up\n",
    );
    let row = "INSERT INTO t VALUES (1, 'a;b');\n";
    text.push_str(&row.repeat(50 * 1024 * 1024 / row.len()));
    let env = project(&[("big000000001_big.sql", &text)]);
    env.run(&["heads", "core"])
        .success()
        .stdout_eq("big000000001\n");
}

#[test]
fn unknown_top_level_table_suggests_databases() {
    let env =
        TestEnv::new().config("[database.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"m\"\n");
    let out = env.run(&["heads", "core"]);
    out.code(2)
        .stderr_has("migrate.toml:1")
        .stderr_has("`database`")
        .stderr_has("did you mean `databases`");
    // The place is named in words a user recognises, not as an empty table `[]`.
    out.stderr_lacks("`[]`");
}

#[test]
fn malformed_dotenv_line_is_named() {
    let env = TestEnv::core_fixture("depends_on").write(".env", "FOO=1\nTHIS IS BAD\n");
    env.run(&["heads", "core"]).code(2).stderr_has(".env:2");
}

#[test]
fn a_revision_listing_itself_as_parent() {
    let env = project(&[(
        "bbbb00000002_b.sql",
        &rev("bbbb00000002", "bbbb00000002", "b", 2),
    )]);
    rejects(&env, &["bbbb00000002_b.sql:2", "itself"]);
}

#[test]
fn a_cycle_through_depends_on() {
    let a = "-- migrate:revision bbbb00000002\n-- migrate:parents 0000aaaa0000\n-- migrate:depends-on cccc00000003\n-- migrate:up\nSELECT 1;\n";
    let env = project(&[
        ("bbbb00000002_b.sql", a),
        (
            "cccc00000003_c.sql",
            &rev("cccc00000003", "bbbb00000002", "c", 3),
        ),
    ]);
    rejects(&env, &["bbbb00000002_b.sql", "cccc00000003_c.sql", "cycle"]);
}
