//! Tests of the revision file parser (`parse.rs`).
use super::*;
use crate::revision::{IdDirective, IdError, RevisionId};
use proptest::prelude::*;

const DOCS_EXAMPLE: &str = "\
-- migrate:revision 9b0768a49ad8
-- migrate:parents ce3dd9222427
-- migrate:message add multi-portfolio support
-- migrate:created 2025-11-01T09:30:00Z

-- migrate:up
ALTER TABLE portfolios ADD COLUMN account_name text;

-- migrate:down
ALTER TABLE portfolios DROP COLUMN account_name;
";

/// A parsed file: the revision (through `Deref`) and its SQL sections.
struct Parsed {
    revision: Revision,
    up: Box<str>,
    down: Option<Box<str>>,
}

impl std::ops::Deref for Parsed {
    type Target = Revision;

    fn deref(&self) -> &Revision {
        &self.revision
    }
}

fn ok(text: impl AsRef<[u8]>) -> Parsed {
    match parse(Path::new("m/0001_x.sql"), text.as_ref()) {
        Ok((revision, Sql { up, down })) => Parsed { revision, up, down },
        Err(e) => panic!("expected a revision, got {e}"),
    }
}

fn ids(list: &[&str]) -> Vec<RevisionId> {
    list.iter().map(|s| RevisionId::new(s).unwrap()).collect()
}

/// Number of lines a file has, as an editor counts them.
fn line_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count() + 1
}

// One test per error kind: input => expected line, expected variant.
macro_rules! fails {
    ($($name:ident: $input:expr => $line:expr, $kind:pat $(if $guard:expr)?,)*) => {$(
        #[test]
        fn $name() {
            let input = $input;
            let err = parse(Path::new("m/0001_x.sql"), AsRef::<[u8]>::as_ref(&input)).unwrap_err();
            assert!(matches!(&err.kind, $kind $(if $guard)?), "wrong kind: {err:?}");
            assert_eq!(err.line, $line, "wrong line: {err}");
        }
    )*};
}

const HEAD: &str = "-- migrate:revision abc1\n";

fails! {
    invalid_utf8_names_the_line_of_the_bad_byte:
        b"-- migrate:revision a\n-- migrate:up\nSELECT '\xff';\n" => 3, ParseErrorKind::InvalidUtf8,
    invalid_utf8_in_first_line: b"\xc3\x28" => 1, ParseErrorKind::InvalidUtf8,
    empty_file: "" => 0, ParseErrorKind::Empty,
    blank_file: " \r\n\n\t\n" => 0, ParseErrorKind::Empty,
    bom_only_file: b"\xEF\xBB\xBF" => 0, ParseErrorKind::Empty,
    missing_up: format!("{HEAD}-- migrate:message hi\n") => 0, ParseErrorKind::MissingUp,
    up_twice: format!("{HEAD}-- migrate:up\nSELECT 1;\n-- migrate:up\n") => 4,
        ParseErrorKind::UpTwice { first_line: 2 },
    up_after_down: format!("{HEAD}-- migrate:up\n-- migrate:down\n-- migrate:up\n") => 4,
        ParseErrorKind::UpTwice { first_line: 2 },
    down_twice: format!("{HEAD}-- migrate:up\n-- migrate:down\nx\n-- migrate:down\n") => 5,
        ParseErrorKind::DownTwice { first_line: 3 },
    down_before_up: format!("{HEAD}-- migrate:down\n-- migrate:up\n") => 2,
        ParseErrorKind::DownBeforeUp,
    unknown_directive_in_header: "-- migrate:revison abc1\n-- migrate:up\n" => 1,
        ParseErrorKind::UnknownDirective { name } if name == "revison",
    unknown_directive_in_body: format!("{HEAD}-- migrate:up\nSELECT 1;\n-- migrate:dwn\n") => 4,
        ParseErrorKind::UnknownDirective { name } if name == "dwn",
    directive_with_empty_name: format!("{HEAD}-- migrate: up\n") => 2,
        ParseErrorKind::UnknownDirective { name } if name.is_empty(),
    plain_comment_in_header: format!("{HEAD}-- adds a table\n-- migrate:up\n") => 2,
        ParseErrorKind::NotADirective { text } if text == "-- adds a table",
    sql_without_header: "CREATE TABLE t (id int);\n" => 1,
        ParseErrorKind::NotADirective { text } if text == "CREATE TABLE t (id int);",
    long_header_line_is_truncated: format!("{HEAD}{}\n", "x".repeat(10_000)) => 2,
        ParseErrorKind::NotADirective { text } if text.chars().count() == 61 && text.ends_with('…'),
    header_directive_after_up: format!("{HEAD}-- migrate:up\n-- migrate:message late\n") => 3,
        ParseErrorKind::HeaderDirectiveInBody { name } if name == "message",
    header_directive_in_down: format!("{HEAD}-- migrate:up\n-- migrate:down\n-- migrate:parents a\n") => 4,
        ParseErrorKind::HeaderDirectiveInBody { name } if name == "parents",
    duplicate_header_directive: format!("{HEAD}\n-- migrate:revision abc2\n-- migrate:up\n") => 3,
        ParseErrorKind::DuplicateDirective { name, first_line: 1 } if name == "revision",
    up_with_text_after_it: format!("{HEAD}-- migrate:up SELECT 1;\n") => 2,
        ParseErrorKind::TextAfterSectionMarker { name, text } if name == "up" && text == "SELECT 1;",
    down_with_text_after_it: format!("{HEAD}-- migrate:up\n-- migrate:down DROP TABLE t;\n") => 3,
        ParseErrorKind::TextAfterSectionMarker { name, .. } if name == "down",
    missing_revision: "-- migrate:message hi\n\n-- migrate:up\n" => 1,
        ParseErrorKind::MissingRevision,
    empty_revision_id: "-- migrate:revision\n-- migrate:up\n" => 1,
        ParseErrorKind::InvalidId { directive: IdDirective::Revision, reason: IdError::Empty },
    reserved_revision_id: "-- migrate:revision head\n-- migrate:up\n" => 1,
        ParseErrorKind::InvalidId { directive: IdDirective::Revision, reason: IdError::Reserved(_) },
    two_revision_ids: "-- migrate:revision a b\n-- migrate:up\n" => 1,
        ParseErrorKind::InvalidId { directive: IdDirective::Revision, reason: IdError::BadCharacter(_) },
    too_long_revision_id: format!("-- migrate:revision {}\n-- migrate:up\n", "a".repeat(65)) => 1,
        ParseErrorKind::InvalidId { directive: IdDirective::Revision, reason: IdError::TooLong(_) },
    bad_parent_id: format!("{HEAD}-- migrate:parents ok1 not-ok\n-- migrate:up\n") => 2,
        ParseErrorKind::InvalidId { directive: IdDirective::Parents, reason: IdError::BadCharacter(s) } if s == "not-ok",
    bad_depends_on_id: format!("{HEAD}-- migrate:depends-on base\n-- migrate:up\n") => 2,
        ParseErrorKind::InvalidId { directive: IdDirective::DependsOn, reason: IdError::Reserved(_) },
    bad_created: format!("{HEAD}-- migrate:created 2025-11-01 09:30\n-- migrate:up\n") => 2,
        ParseErrorKind::BadCreated { text } if text == "2025-11-01 09:30",
    created_without_offset: format!("{HEAD}-- migrate:created 2025-11-01T09:30:00\n-- migrate:up\n") => 2,
        ParseErrorKind::BadCreated { .. },
    bad_transaction: format!("{HEAD}-- migrate:transaction false\n-- migrate:up\n") => 2,
        ParseErrorKind::BadTransaction { value } if value == "false",
    bad_label: format!("{HEAD}-- migrate:labels ok a@b\n-- migrate:up\n") => 2,
        ParseErrorKind::BadLabel { label } if label == "a@b",
    duplicate_label: format!("{HEAD}-- migrate:labels x,x\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateLabel { label } if label == "x",
    parent_is_itself: format!("\n{HEAD}-- migrate:parents abc0 abc1\n-- migrate:up\n") => 3,
        ParseErrorKind::SelfReference { directive: IdDirective::Parents, id } if id == "abc1",
    parents_before_revision_is_itself: format!("-- migrate:parents abc1\n{HEAD}-- migrate:up\n") => 1,
        ParseErrorKind::SelfReference { directive: IdDirective::Parents, .. },
    depends_on_itself: format!("{HEAD}-- migrate:depends-on abc1\n-- migrate:up\n") => 2,
        ParseErrorKind::SelfReference { directive: IdDirective::DependsOn, .. },
    parent_listed_twice: format!("{HEAD}-- migrate:parents p1, p2 p1\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateReference { directive: IdDirective::Parents, id } if id == "p1",
    dependency_listed_twice: format!("{HEAD}-- migrate:depends-on d1 d1\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateReference { directive: IdDirective::DependsOn, .. },
    // Past the first eight items, duplicates are found another way.
    parent_listed_twice_in_a_long_list: format!("{HEAD}-- migrate:parents p1 p2 p3 p4 p5 p6 p7 p8 p9 p2\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateReference { directive: IdDirective::Parents, id } if id == "p2",
    late_duplicate_in_a_long_list: format!("{HEAD}-- migrate:depends-on d1 d2 d3 d4 d5 d6 d7 d8 d9 d10 d9\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateReference { directive: IdDirective::DependsOn, id } if id == "d9",
    label_listed_twice_in_a_long_list: format!("{HEAD}-- migrate:labels a b c d e f g h i j a\n-- migrate:up\n") => 2,
        ParseErrorKind::DuplicateLabel { label } if label == "a",
}

#[test]
fn spec_example_parses_into_every_field() {
    let r = ok(DOCS_EXAMPLE);
    assert_eq!(r.id.as_str(), "9b0768a49ad8");
    assert_eq!(r.parents.to_vec(), ids(&["ce3dd9222427"]));
    assert_eq!(r.message, "add multi-portfolio support");
    let created = r.created.as_ref().unwrap();
    assert_eq!(&*created.text, "2025-11-01T09:30:00Z");
    assert_eq!(created.unix_nanos(), 1_761_989_400 * 1_000_000_000);
    assert!(r.transactional);
    assert!(r.labels.is_empty() && r.depends_on.is_empty());
    assert_eq!(
        &*r.up,
        "ALTER TABLE portfolios ADD COLUMN account_name text;\n\n"
    );
    assert_eq!(
        r.down.as_deref(),
        Some("ALTER TABLE portfolios DROP COLUMN account_name;\n")
    );
    assert_eq!((r.up_line, r.down_line), (7, Some(10)));
    assert_eq!(r.path, Path::new("m/0001_x.sql"));
    assert_eq!(r.checksum, checksum(&r.up));
}

#[test]
fn checksum_known_answers() {
    // printf 'CREATE TABLE t (id int);\n' | sha256sum
    assert_eq!(
        checksum("CREATE TABLE t (id int);\n"),
        "12c83f983b0c94b9c7010dcc92149589d5fb01a3d32af8f6d699545d95db9040"
    );
    assert_eq!(
        checksum("CREATE TABLE t (id int);\r\n"),
        "12c83f983b0c94b9c7010dcc92149589d5fb01a3d32af8f6d699545d95db9040"
    );
    // printf '' | sha256sum
    assert_eq!(
        checksum(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    // A lone `\r` is not a line ending and stays in the hash.
    assert_ne!(checksum("a\rb"), checksum("a\nb"));
}

#[test]
fn crlf_file_has_the_lf_checksum_and_keeps_its_bytes() {
    let lf =
        format!("{HEAD}-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n");
    let crlf = lf.replace('\n', "\r\n");
    let (lf, crlf) = (ok(&lf), ok(&crlf));
    assert_eq!(&*lf.up, "CREATE TABLE t (id int);\n");
    assert_eq!(&*crlf.up, "CREATE TABLE t (id int);\r\n");
    assert_eq!(
        crlf.checksum,
        "12c83f983b0c94b9c7010dcc92149589d5fb01a3d32af8f6d699545d95db9040"
    );
    assert_eq!(lf.checksum, crlf.checksum);
    assert_eq!(crlf.down.as_deref(), Some("DROP TABLE t;\r\n"));
    assert_eq!(crlf.id, lf.id);
    assert_eq!((crlf.up_line, crlf.down_line), (3, Some(5)));
}

#[test]
fn header_and_down_edits_keep_the_checksum() {
    let base = ok(DOCS_EXAMPLE).checksum;
    let header_edit = DOCS_EXAMPLE
        .replace("add multi-portfolio support", "reworded")
        .replace(
            "-- migrate:created",
            "-- migrate:labels x\n\n-- migrate:created",
        );
    let down_edit = DOCS_EXAMPLE.replace("DROP COLUMN", "DROP COLUMN IF EXISTS");
    let up_edit = DOCS_EXAMPLE.replace("ADD COLUMN", "ADD COLUMN IF NOT EXISTS");
    assert_eq!(ok(header_edit).checksum, base);
    assert_eq!(ok(down_edit).checksum, base);
    assert_ne!(ok(up_edit).checksum, base);
}

#[test]
fn body_is_kept_as_written_without_final_semicolon_or_newline() {
    let r = ok(format!(
        "{HEAD}-- migrate:up\nSELECT 1\n-- no semicolon, trailing comment"
    ));
    assert_eq!(&*r.up, "SELECT 1\n-- no semicolon, trailing comment");
    assert_eq!(r.down, None);
    assert!(!r.is_reversible());
}

#[test]
fn sql_that_merely_looks_like_a_directive_stays_sql() {
    let body = "-- migrates: nothing\n--  comment -- migrate:up\nSELECT '-- migrate:up';\n";
    let r = ok(format!("{HEAD}-- migrate:up\n{body}"));
    assert_eq!(&*r.up, body);
}

#[test]
fn indented_or_squashed_down_marker_still_splits_the_sections() {
    // Taking these as SQL would run the down section as part of `up`.
    for marker in [
        "  -- migrate:down",
        "--migrate:down",
        "\t--  migrate:down  ",
    ] {
        let r = ok(format!("{HEAD}-- migrate:up\nA;\n{marker}\nB;\n"));
        assert_eq!(&*r.up, "A;\n", "{marker:?}");
        assert_eq!(r.down.as_deref(), Some("B;\n"), "{marker:?}");
    }
}

#[test]
fn bom_blank_lines_and_trailing_blanks_in_header_are_accepted() {
    let r = ok(b"\xEF\xBB\xBF\n-- migrate:revision abc1   \n\n  \n-- migrate:message  spaced  out \t\n-- migrate:up  \nX\n");
    assert_eq!(r.id.as_str(), "abc1");
    assert_eq!(r.message, "spaced  out");
    assert_eq!((&*r.up, r.up_line), ("X\n", 7));
}

#[test]
fn list_directives_take_spaces_and_commas() {
    let r = ok(format!(
        "{HEAD}-- migrate:parents a1, b2 c3,d4\n-- migrate:depends-on x1,y2\n\
         -- migrate:labels core, v1.2-x\n-- migrate:transaction off\n-- migrate:up\n"
    ));
    assert_eq!(r.parents.to_vec(), ids(&["a1", "b2", "c3", "d4"]));
    assert_eq!(r.depends_on.to_vec(), ids(&["x1", "y2"]));
    assert_eq!(&r.labels[..], ["core", "v1.2-x"]);
    assert!(!r.transactional);
    assert_eq!((&*r.up, r.up_line), ("", 7));
}

#[test]
fn empty_lists_mean_none_and_transaction_on_is_the_default() {
    let r = ok(format!(
        "{HEAD}-- migrate:parents\n-- migrate:labels\n-- migrate:transaction on\n-- migrate:up"
    ));
    assert!(r.parents.is_empty() && r.labels.is_empty());
    assert!(r.transactional);
    assert_eq!(&*r.up, "");
}

#[test]
fn created_offsets_compare_as_instants() {
    let at = |text: &str| {
        ok(format!("{HEAD}-- migrate:created {text}\n-- migrate:up\n"))
            .revision
            .created
            .unwrap()
    };
    let utc = at("2025-11-01T09:30:00Z");
    let plus_two = at("2025-11-01T11:30:00+02:00");
    assert_eq!(utc.unix_nanos(), plus_two.unix_nanos());
    assert_eq!(&*plus_two.text, "2025-11-01T11:30:00+02:00");
    assert!(at("2025-11-01T09:30:00.5Z") > utc);
}

#[test]
fn error_display_names_file_and_line_and_what_to_do() {
    let err = parse(
        Path::new("migrations_core/0001_init.sql"),
        b"-- migrate:revision a\nSELECT 1;\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "migrations_core/0001_init.sql:2: `SELECT 1;` is not a `-- migrate:` directive, \
         and the header may hold only those; move SQL and comments below `-- migrate:up`"
    );
    let whole = parse(Path::new("a.sql"), b"-- migrate:revision a\n").unwrap_err();
    assert!(
        whole
            .to_string()
            .starts_with("a.sql: there is no `-- migrate:up` line"),
        "{whole}"
    );
}

#[test]
fn large_file_parses_whole() {
    // Linear time: a quadratic step would make this test crawl.
    let line = "INSERT INTO t VALUES (1, 'some text');\n";
    let body = line.repeat(100_000);
    let r = ok(format!(
        "{HEAD}-- migrate:parents p1\n-- migrate:up\n{body}-- migrate:down\n{body}"
    ));
    assert_eq!(r.up.len(), body.len());
    // revision, parents, up, 100,000 body lines, down: the down body starts after.
    assert_eq!(r.down_line, Some(100_005));
    let many_ids: Vec<String> = (0..200_000).map(|i| format!("p{i}")).collect();
    let r = ok(format!(
        "{HEAD}-- migrate:parents {}\n-- migrate:up\n",
        many_ids.join(",")
    ));
    assert_eq!(r.parents.len(), 200_000);
}

/// Lines that steer the parser into each of its states.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "-- migrate:revision abc1",
        "-- migrate:revision head",
        "-- migrate:parents a1, b2",
        "-- migrate:parents abc1",
        "-- migrate:message hi",
        "-- migrate:created 2025-11-01T09:30:00Z",
        "-- migrate:created nope",
        "-- migrate:labels x y",
        "-- migrate:depends-on d1",
        "-- migrate:transaction off",
        "-- migrate:up",
        "-- migrate:down",
        "-- migrate:",
        "--migrate:up x",
        "SELECT 1;",
        "-- comment",
        "",
        "\u{feff}",
        "\r",
        "é€😀",
    ])
}

const VALID: &str = "\
-- migrate:revision 9b0768a49ad8
-- migrate:parents ce3dd9222427, aa11
-- migrate:message add multi-portfolio support
-- migrate:created 2025-11-01T09:30:00+01:00
-- migrate:labels core
-- migrate:depends-on dd44
-- migrate:transaction off

-- migrate:up
CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
INSERT INTO t VALUES ('é;€');

-- migrate:down
DROP FUNCTION f();
";

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (
            any::<usize>(),
            prop::sample::select(b"\n\r:- \xff\xc3,".to_vec())
        )
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::SwapLines(i, j)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutation: &Mutation) -> Vec<u8> {
    let len = bytes.len().max(1);
    match *mutation {
        Mutation::Flip(i, b) if !bytes.is_empty() => bytes[i % len] = b,
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(i % len);
        }
        Mutation::SwapLines(i, j) => {
            let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            let n = lines.len();
            lines.swap(i % n, j % n);
            bytes = lines.join(&b'\n');
        }
        _ => {}
    }
    bytes
}

/// Whatever the input, the result is a revision or an error on a real line.
fn assert_sane(bytes: &[u8]) {
    match parse(Path::new("p.sql"), bytes) {
        Ok((r, sql)) => {
            assert_eq!(r.checksum, checksum(&sql.up));
            assert_eq!(r.reversible, sql.down.is_some());
            assert!(r.up_line >= 2 && r.up_line as usize <= line_count(bytes) + 1);
        }
        Err(e) => assert!(
            e.line <= line_count(bytes),
            "{e} (lines: {})",
            line_count(bytes)
        ),
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        assert_sane(&bytes);
    }

    #[test]
    fn directive_soup_never_panics(
        lines in prop::collection::vec(fragment(), 0..24),
        crlf in any::<bool>(),
    ) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        assert_sane(text.as_bytes());
    }

    #[test]
    fn mutated_valid_files_never_panic(mutations in prop::collection::vec(mutation(), 1..6)) {
        let bytes = mutations.iter().fold(VALID.as_bytes().to_vec(), mutate);
        assert_sane(&bytes);
    }
}

#[test]
fn the_mutation_seed_is_valid() {
    let r = ok(VALID);
    assert_eq!(r.parents.to_vec(), ids(&["ce3dd9222427", "aa11"]));
    assert_eq!(r.depends_on.to_vec(), ids(&["dd44"]));
    assert_eq!((r.up_line, r.down_line), (10, Some(14)));
    assert!(r.up.contains("$$ SELECT 1; $$"));
}

#[test]
fn a_long_list_of_distinct_ids_keeps_them_all_in_order() {
    let ids: Vec<String> = (1..=12).map(|i| format!("p{i}")).collect();
    let r = ok(format!(
        "{HEAD}-- migrate:parents {}\n-- migrate:up\n",
        ids.join(", ")
    ));
    let parsed: Vec<&str> = r.parents.iter().map(RevisionId::as_str).collect();
    assert_eq!(parsed, ids);
}

proptest! {
    #[test]
    fn the_first_byte_shortcut_turns_away_no_directive(
        blank in prop::sample::select(vec!["", " ", "\t", "\u{b}", "\u{c}", "\r", "\u{85}", "\u{a0}", "\u{3000}", "x", "-"]),
        rest in prop_oneof![
            Just("-- migrate:up".to_owned()),
            Just("--migrate:revision a1".to_owned()),
            Just("\u{a0}-- migrate:down".to_owned()),
            "[-a-z: \t]{0,16}",
        ],
    ) {
        use crate::revision::directive::{cannot_be_directive, split_directive};
        let line = format!("{blank}{rest}");
        prop_assert!(!cannot_be_directive(&line) || split_directive(&line).is_none(), "{line:?}");
    }
}
