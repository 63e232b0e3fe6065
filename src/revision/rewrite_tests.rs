use std::path::Path;

use proptest::prelude::*;

use super::*;
use crate::revision::parse::parse;

fn ids(list: &[&str]) -> Vec<RevisionId> {
    list.iter().map(|s| RevisionId::new(s).unwrap()).collect()
}

fn rewritten(text: &str, parents: &[&str]) -> String {
    let bytes = rewrite_file(Path::new("x.sql"), text.as_bytes(), &ids(parents))
        .unwrap_or_else(|e| panic!("{e}\n---\n{text}"));
    String::from_utf8(bytes).unwrap()
}

const MERGE_CHILD: &str = "-- migrate:revision f1\n\
    -- migrate:parents fm\n\
    -- migrate:message add feature table\n\
    -- migrate:created 2025-01-05T09:00:00Z\n\
    \n\
    -- migrate:up\n\
    -- parents: this comment mentions fm and stays\n\
    CREATE TABLE feature (id integer); -- migrate:parents in a comment\n\
    \n\
    -- migrate:down\n\
    DROP TABLE feature;\n";

#[test]
fn only_the_parents_line_changes() {
    let out = rewritten(MERGE_CHILD, &["m2"]);
    assert_eq!(
        out,
        MERGE_CHILD.replace("-- migrate:parents fm\n", "-- migrate:parents m2\n")
    );
}

#[test]
fn crlf_files_keep_crlf_everywhere() {
    let crlf = MERGE_CHILD.replace('\n', "\r\n");
    let out = rewritten(&crlf, &["m2"]);
    assert_eq!(
        out,
        crlf.replace("-- migrate:parents fm\r\n", "-- migrate:parents m2\r\n")
    );
    let base = crlf.replace("-- migrate:parents fm\r\n", "");
    let out = rewritten(&base, &["m2"]);
    assert_eq!(out, crlf.replace("parents fm", "parents m2"));
    assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
}

#[test]
fn a_comma_separated_list_stays_comma_separated() {
    for (written, expected) in [
        ("a1, b1", "x1, y1"),
        ("a1,b1", "x1,y1"),
        ("a1 ,  b1", "x1 ,  y1"),
        ("a1\tb1", "x1\ty1"),
        ("a1", "x1 y1"),
    ] {
        let text = MERGE_CHILD.replace("parents fm", &format!("parents {written}"));
        let out = rewritten(&text, &["x1", "y1"]);
        assert_eq!(
            out,
            text.replace(
                &format!("parents {written}\n"),
                &format!("parents {expected}\n")
            ),
            "{written:?}"
        );
    }
}

#[test]
fn the_line_keeps_its_own_spelling_and_trailing_blanks() {
    let text = MERGE_CHILD.replace("-- migrate:parents fm", "  --migrate:parents   fm  ");
    let out = rewritten(&text, &["m2"]);
    assert_eq!(
        out,
        text.replace("--migrate:parents   fm  ", "--migrate:parents   m2  ")
    );
    let empty = MERGE_CHILD.replace("-- migrate:parents fm", "-- migrate:parents");
    let out = rewritten(&empty, &["m2"]);
    assert_eq!(out, MERGE_CHILD.replace("parents fm", "parents m2"));
}

#[test]
fn a_base_gets_a_line_after_its_revision_line_spelled_like_it() {
    let base = "-- migrate:message first\n--migrate:revision\tb0\n\n-- migrate:up\nSELECT 1;\n";
    let out = rewritten(base, &["m2"]);
    assert_eq!(
        out,
        "-- migrate:message first\n--migrate:revision\tb0\n--migrate:parents\tm2\n\n-- migrate:up\nSELECT 1;\n"
    );
}

#[test]
fn no_parents_removes_the_line() {
    let out = rewritten(MERGE_CHILD, &[]);
    assert_eq!(out, MERGE_CHILD.replace("-- migrate:parents fm\n", ""));
    let base = MERGE_CHILD.replace("-- migrate:parents fm\n", "");
    assert_eq!(rewritten(&base, &[]), base);
}

#[test]
fn a_byte_order_mark_stays() {
    let text = format!("\u{feff}{MERGE_CHILD}");
    let out = rewritten(&text, &["m2"]);
    assert_eq!(out, text.replace("parents fm", "parents m2"));
}

#[test]
fn a_file_that_does_not_parse_is_an_error_with_its_place() {
    let err = rewrite_file(
        Path::new("bad.sql"),
        b"-- migrate:revision a\nSELECT 1;\n",
        &ids(&["b"]),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("bad.sql:2:"), "{err}");
}

#[test]
fn set_parents_needs_a_revision_line_to_insert_after() {
    assert_eq!(
        set_parents("-- migrate:up\nSELECT 1;\n", &ids(&["a"])),
        None
    );
    assert_eq!(
        set_parents("-- migrate:up\nSELECT 1;\n", &[]).as_deref(),
        Some("-- migrate:up\nSELECT 1;\n")
    );
}

#[test]
fn sql_is_anything_but_blank_lines_and_line_comments() {
    assert!(!holds_sql(""));
    assert!(!holds_sql(
        "-- merge revision: joins the branches above\n\n  -- more\r\n"
    ));
    assert!(holds_sql("-- note\nSELECT 1;\n"));
    assert!(holds_sql("/* a block comment */\n"));
}

/// A list of ids spelled with one separator, as people write them.
fn spelled(list: &[String], sep: &str) -> String {
    list.join(sep)
}

fn id_list(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[a-z][a-z0-9_]{0,6}", 0..=max).prop_map(|set| {
        set.into_iter()
            .filter(|s| RevisionId::new(s).is_ok() && s != "own")
            .collect()
    })
}

prop_compose! {
    /// A revision file with or without a parents line, `\n` or `\r\n`,
    /// optional directives around it, and SQL with comments.
    fn revision_file()(
        parents in id_list(3),
        sep in prop::sample::select(vec![" ", ", ", ",", "  ", "\t"]),
        crlf in any::<bool>(),
        message_first in any::<bool>(),
        labels in any::<bool>(),
        body in "[a-z0-9 ;()'\\-]{0,40}",
        down in prop::option::of("[a-z0-9 ;]{0,20}"),
    ) -> (String, Vec<String>) {
        let mut lines = Vec::new();
        if message_first {
            lines.push("-- migrate:message m".to_owned());
        }
        lines.push("-- migrate:revision own".to_owned());
        if !parents.is_empty() {
            lines.push(format!("-- migrate:parents {}", spelled(&parents, sep)));
        }
        if labels {
            lines.push("-- migrate:labels main".to_owned());
        }
        lines.push(String::new());
        lines.push("-- migrate:up".to_owned());
        lines.push(format!("-- {body}"));
        lines.push(body.clone());
        if let Some(down) = down {
            lines.push("-- migrate:down".to_owned());
            lines.push(down);
        }
        let ending = if crlf { "\r\n" } else { "\n" };
        (lines.join(ending) + ending, parents)
    }
}

/// The text without its parents line, which is all a rewrite may change.
fn without_parents_line(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|l| !l.starts_with("-- migrate:parents"))
        .collect()
}

proptest! {
    #[test]
    fn a_rewrite_changes_the_parents_and_nothing_else(
        (text, old) in revision_file(),
        new in id_list(3),
    ) {
        let path = Path::new("x.sql");
        let (before, before_sql) = parse(path, text.as_bytes()).unwrap();
        prop_assert_eq!(before.parents.len(), old.len());
        let new_ids: Vec<RevisionId> = new.iter().map(|s| RevisionId::new(s).unwrap()).collect();
        let out = rewrite_file(path, text.as_bytes(), &new_ids).unwrap();
        let out = String::from_utf8(out).unwrap();
        let (after, after_sql) = parse(path, out.as_bytes()).unwrap();
        prop_assert_eq!(&after.parents[..], &new_ids[..]);
        prop_assert_eq!(after.checksum, before.checksum);
        prop_assert_eq!(after_sql, before_sql);
        prop_assert_eq!(without_parents_line(&out), without_parents_line(&text));
        prop_assert_eq!(out.matches("\r\n").count() > 0, text.contains("\r\n"));
        // Setting the same parents again changes nothing.
        let again = rewrite_file(path, out.as_bytes(), &new_ids).unwrap();
        prop_assert_eq!(String::from_utf8(again).unwrap(), out);
    }
}
