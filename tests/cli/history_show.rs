//! `history` (Alembic-style lines, newest first, marks) and `show` (one
//! revision in full, found by any target form).

use super::{FORK, INNER_MERGE, TIP_BILLING, TIP_NOTIFICATIONS, rev};
use crate::harness::env::TestEnv;

const F: &str = "migrations_core";

/// a <- b, b <- c, b <- d, (c, d) <- m: a branch point and a merge point.
fn diamond() -> TestEnv {
    TestEnv::core()
        .revision(
            F,
            "aaaa00000001_create_a.sql",
            &rev("aaaa00000001", "", "create a", 1),
        )
        .revision(
            F,
            "bbbb00000002_add_b.sql",
            &rev("bbbb00000002", "aaaa00000001", "add b", 2),
        )
        .revision(
            F,
            "cccc00000003_add_c.sql",
            &rev("cccc00000003", "bbbb00000002", "add c", 3),
        )
        .revision(
            F,
            "dddd00000004_add_d.sql",
            &rev("dddd00000004", "bbbb00000002", "add d", 4),
        )
        .revision(
            F,
            "eeee00000005_merge.sql",
            &rev(
                "eeee00000005",
                "cccc00000003 dddd00000004",
                "merge c and d",
                5,
            ),
        )
}

/// Alembic (`Script._head_only`) writes each mark in its own parentheses,
/// `(head) (mergepoint)`, and scripts grep for `(head)`: the same here.
#[test]
fn history_lines_are_alembic_style_newest_first() {
    diamond()
        .run(&["history", "core"])
        .success()
        .stdout_eq(concat!(
            "cccc00000003, dddd00000004 -> eeee00000005 (head) (mergepoint), merge c and d\n",
            "bbbb00000002 -> dddd00000004, add d\n",
            "bbbb00000002 -> cccc00000003, add c\n",
            "aaaa00000001 -> bbbb00000002 (branchpoint), add b\n",
            "<base> -> aaaa00000001, create a\n",
        ));
}

#[test]
fn history_marks_each_head_of_a_diverged_history() {
    let out = TestEnv::core_fixture("diverged").run(&["history", "core"]);
    out.success();
    let lines = out.lines();
    assert_eq!(lines.len(), super::DIVERGED_COUNT, "{out}");
    let with = |id: &str| {
        lines
            .iter()
            .find(|l| l.contains(&format!("-> {id}")))
            .copied()
            .unwrap_or_default()
    };
    assert!(with(TIP_BILLING).contains("(head)"), "{out}");
    assert!(with(TIP_NOTIFICATIONS).contains("(head)"), "{out}");
    assert!(with(FORK).contains("(branchpoint)"), "{out}");
    assert!(with("a0dd7635d53d").contains("(branchpoint)"), "{out}");
    assert!(with(INNER_MERGE).contains("(mergepoint)"), "{out}");
    assert!(
        with(INNER_MERGE).starts_with("92e2b961c12c, a99d460012f6 -> ")
            || with(INNER_MERGE).starts_with("a99d460012f6, 92e2b961c12c -> "),
        "{out}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("(head)")).count(),
        2,
        "{out}"
    );
    // Newest first: the newest revision (by created) leads, the base ends.
    assert!(lines[0].contains(TIP_BILLING), "{out}");
    assert_eq!(
        *lines.last().unwrap_or(&""),
        "<base> -> ac7287886928, create accounts"
    );
}

#[test]
fn history_range_is_inclusive_on_both_ends() {
    let env = diamond();
    let out = env.run(&["history", "core", "--range", "bbbb00000002:eeee00000005"]);
    out.success();
    let ids: Vec<&str> = out
        .lines()
        .iter()
        .map(|l| {
            l.split(" -> ")
                .nth(1)
                .unwrap_or("")
                .split([' ', ','])
                .next()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        ids,
        [
            "eeee00000005",
            "dddd00000004",
            "cccc00000003",
            "bbbb00000002"
        ],
        "{out}"
    );

    let upto = env.run(&["history", "core", "--range", ":cccc"]);
    upto.success();
    assert_eq!(
        upto.lines().len(),
        3,
        "ancestors of cccc and cccc itself\n{upto}"
    );
    upto.stdout_lacks("-> dddd00000004")
        .stdout_lacks("-> eeee00000005");

    let from = env.run(&["history", "core", "--range", "cccc00000003:"]);
    from.success();
    assert_eq!(
        from.lines().len(),
        2,
        "cccc and what descends from it\n{from}"
    );
    from.stdout_has("-> eeee00000005")
        .stdout_has("-> cccc00000003");

    let one_branch = env.run(&["history", "core", "--range", "dddd00000004:dddd00000004"]);
    one_branch
        .success()
        .stdout_eq("bbbb00000002 -> dddd00000004, add d\n");
}

/// docs/reference.md, "The graph": `base` is a target wherever a revision is expected, and
/// Alembic users type `history -r base:head`.
#[test]
fn history_range_with_base_and_head() {
    let env = TestEnv::core_fixture("depends_on");
    let all = env.run(&["history", "core"]);
    env.run(&["history", "core", "--range", "base:head"])
        .success()
        .stdout_eq(&all.stdout);
}

#[test]
fn history_verbose_shows_parents_dates_and_files() {
    let out = diamond().run(&["history", "core", "--verbose"]);
    out.success()
        .stdout_has("Rev: eeee00000005 (head")
        .stdout_has("cccc00000003, dddd00000004")
        .stdout_has("Path: migrations_core/eeee00000005_merge.sql")
        .stdout_has("    merge c and d")
        .stdout_has("2025-01-05T09:00:00Z")
        .stdout_has("<base>");
    let rev_lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("Rev: "))
        .collect();
    assert_eq!(rev_lines.len(), 5, "{out}");
    assert!(
        rev_lines[0].contains("eeee00000005") && rev_lines[4].contains("aaaa00000001"),
        "{out}"
    );
}

#[test]
fn history_verbose_shows_depends_on() {
    let out = TestEnv::core_fixture("depends_on").run(&["history", "core", "--verbose"]);
    out.success()
        .stdout_has("8de5c477591d")
        .stdout_has("a74b6122cae2_create_post_tags.sql");
}

#[test]
fn history_is_stable_and_independent_of_file_names() {
    let env = TestEnv::core_fixture("diverged");
    let first = env.run(&["history", "core"]);
    let second = env.run(&["history", "core"]);
    assert_eq!(first.stdout, second.stdout);

    // The same revisions under other file names, in other sub-folders: the
    // order comes from the graph and `created`, never from the file system.
    let renamed = TestEnv::core();
    let mut names = std::fs::read_dir(crate::harness::env::fixtures_dir().join("diverged"))
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .collect::<Vec<_>>();
    names.sort();
    for (i, path) in names.iter().rev().enumerate() {
        let text = std::fs::read_to_string(path).expect("fixture file");
        renamed.put(&format!("{F}/part{}/{i:03}_z.sql", i % 3), text.as_bytes());
    }
    assert_eq!(renamed.run(&["history", "core"]).stdout, first.stdout);
}

#[test]
fn show_resolves_a_four_character_prefix() {
    let out = TestEnv::core_fixture("diverged").run(&["show", "core", "2d38"]);
    out.success()
        .stdout_has("2d38474b9078")
        .stdout_has("create invoices")
        .stdout_has(FORK)
        .stdout_has("billing")
        .stdout_has("2d38474b9078_create_invoices.sql")
        .stdout_has("CREATE TABLE invoices");
    assert!(out.lines()[0].contains("2d38474b9078"), "{out}");
}

#[test]
fn show_id_minus_two_walks_back_two_parents() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["show", "core", &format!("{TIP_BILLING}-2")]);
    out.success();
    assert!(out.lines()[0].contains("827ab54e3ec5"), "{out}");
    out.stdout_has("create invoice_events");
    // A prefix works on the left of -N too.
    let short = env.run(&["show", "core", "def2-2"]);
    assert_eq!(short.stdout, out.stdout);
}

#[test]
fn show_id_minus_n_does_not_follow_depends_on() {
    let env = TestEnv::core_fixture("depends_on");
    let out = env.run(&["show", "core", "a74b6122cae2-1"]);
    out.success();
    assert!(out.lines()[0].contains("97e0666b7275"), "{out}");
    env.run(&["show", "core", "head-1"])
        .success()
        .stdout_eq(&out.stdout);
}

#[test]
fn show_label_head() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["show", "core", "notifications@head"]);
    out.success();
    assert!(out.lines()[0].contains(TIP_NOTIFICATIONS), "{out}");
    let out = env.run(&["show", "core", "billing@head"]);
    out.success();
    assert!(out.lines()[0].contains(TIP_BILLING), "{out}");
}

#[test]
fn show_head_with_two_heads_names_both() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&["show", "core", "head"])
        .code(2)
        .stderr_has(TIP_BILLING)
        .stderr_has(TIP_NOTIFICATIONS);
}

#[test]
fn show_ambiguous_prefix_lists_the_candidates() {
    let env = TestEnv::core()
        .revision(F, "abcd00000001_a.sql", &rev("abcd00000001", "", "a", 1))
        .revision(
            F,
            "abcd00000002_b.sql",
            &rev("abcd00000002", "abcd00000001", "b", 2),
        );
    env.run(&["show", "core", "abcd"])
        .code(2)
        .stderr_has("abcd00000001")
        .stderr_has("abcd00000002");
    env.run(&["show", "core", "abcd00000002"]).success();
}

#[test]
fn show_a_three_character_prefix_is_refused() {
    let env = TestEnv::core_fixture("diverged");
    let out = env.run(&["show", "core", "2d3"]);
    out.code(2).stderr_has("2d3");
}

#[test]
fn show_a_step_past_the_base_says_how_far_it_got() {
    let env = TestEnv::core_fixture("depends_on");
    env.run(&["show", "core", "97e0666b7275-5"])
        .code(2)
        .stderr_has("97e0666b7275");
}

#[test]
fn show_marks_and_sections() {
    let env = TestEnv::core_fixture("diverged");
    let merge = env.run(&["show", "core", INNER_MERGE]);
    merge
        .success()
        .stdout_has("mergepoint")
        .stdout_has("a99d460012f6")
        .stdout_has("92e2b961c12c");
    let base = env.run(&["show", "core", "ac72"]);
    base.success()
        .stdout_has("base")
        .stdout_has("ac7287886928")
        .stdout_has("CREATE TABLE accounts")
        .stdout_has("DROP TABLE accounts");
}

#[test]
fn show_id_plus_one_across_a_branch_point_lists_the_choices() {
    let env = TestEnv::core_fixture("diverged");
    env.run(&["show", "core", "a0dd+1"])
        .code(2)
        .stderr_has("0ead68e1a78e")
        .stderr_has("31c82706eaee");
    let out = env.run(&["show", "core", "2d38+1"]);
    out.success();
    assert!(out.lines()[0].contains("2d47267ebd85"), "{out}");
}

/// docs/reference.md, "Revision files": the checksum is the SHA-256 of the `up` section, `\r\n` read
/// as `\n`, in lower-case hex; the header and `down` never change it.
#[test]
fn show_prints_the_checksum_of_the_up_section() {
    use sha2::{Digest, Sha256};
    let up = "CREATE TABLE t (id integer);\n-- a comment; with a semicolon\n\n";
    let text = format!(
        "-- migrate:revision c0ffee000001\n-- migrate:message first\n-- migrate:up\n{up}-- migrate:down\nDROP TABLE t;\n"
    );
    let expected = format!("{:x}", Sha256::digest(up.as_bytes()));
    let checksum = |env: &TestEnv| {
        let out = env.run(&["show", "core", "c0ffee000001"]);
        out.success();
        out.stdout
            .lines()
            .find(|l| l.starts_with("Checksum:"))
            .map(|l| l["Checksum:".len()..].trim().to_owned())
            .unwrap_or_default()
    };
    let env = TestEnv::core().revision(F, "c0ffee000001_t.sql", &text);
    assert_eq!(checksum(&env), expected);
    // CRLF line endings: the same checksum.
    env.put(
        "migrations_core/c0ffee000001_t.sql",
        text.replace('\n', "\r\n").as_bytes(),
    );
    assert_eq!(checksum(&env), expected);
    // A header or `down` edit: the same checksum.
    let edited = text
        .replace("-- migrate:message first", "-- migrate:message renamed")
        .replace("DROP TABLE t;", "DROP TABLE IF EXISTS t;");
    env.put("migrations_core/c0ffee000001_t.sql", edited.as_bytes());
    assert_eq!(checksum(&env), expected);
    // An `up` edit changes it.
    env.put(
        "migrations_core/c0ffee000001_t.sql",
        text.replace("id integer", "id bigint").as_bytes(),
    );
    assert_ne!(checksum(&env), expected);
}
