use super::*;

fn texts(body: &str) -> Vec<String> {
    split_mysql(body)
        .unwrap_or_else(|e| panic!("line {}: {e}", e.line))
        .into_iter()
        .map(|s| s.text)
        .collect()
}

fn error(body: &str) -> SplitError {
    split_mysql(body).expect_err("should not split")
}

#[test]
fn semicolons_end_statements_and_empty_ones_are_dropped() {
    assert_eq!(
        texts("SELECT 1; SELECT 2;\n;; ;\n  SELECT 3 ;SELECT 4"),
        ["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 4"]
    );
    assert!(texts("  \n ;;\n-- nothing\n").is_empty());
    assert!(texts("").is_empty());
}

#[test]
fn offsets_and_lines_point_at_each_statement() {
    let body = "-- header\n\nSELECT 1;\n  UPDATE t\n  SET x = 'é';\r\n\r\n\r\n\r\nSELECT 2";
    let st = split_mysql(body).unwrap();
    assert_eq!(st.len(), 3);
    assert_eq!((st[0].offset, st[0].line), (11, 2));
    assert_eq!(st[1].text, "UPDATE t\n  SET x = 'é'");
    assert_eq!(
        (&body[st[1].offset..st[1].offset + 6], st[1].line),
        ("UPDATE", 3)
    );
    // `SELECT 2` is on the body's ninth line: 8, counting from 0.
    assert_eq!((st[2].text.as_str(), st[2].line), ("SELECT 2", 8));
}

#[test]
fn quotes_hide_delimiters_and_comments() {
    assert_eq!(
        texts(r##"SELECT 'a;b', "c;d", `e;f`; SELECT '-- x', "# y", '/* z'; SELECT 1"##),
        [
            r#"SELECT 'a;b', "c;d", `e;f`"#,
            r##"SELECT '-- x', "# y", '/* z'"##,
            "SELECT 1"
        ]
    );
}

#[test]
fn backslashes_escape_in_strings_but_not_in_backticks() {
    assert_eq!(
        texts(r#"SELECT 'it\'s;', "say \";\"", '\\'; SELECT `a\`; SELECT 2"#),
        [
            r#"SELECT 'it\'s;', "say \";\"", '\\'"#,
            r"SELECT `a\`",
            "SELECT 2"
        ]
    );
}

#[test]
fn doubled_quotes_stay_inside() {
    assert_eq!(
        texts("SELECT 'it''s;', \"a\"\";\", `b``;`; SELECT 2"),
        ["SELECT 'it''s;', \"a\"\";\", `b``;`", "SELECT 2"]
    );
}

#[test]
fn sql_mode_flags_change_what_a_backslash_does() {
    let read = |body: &str, mode| -> Result<Vec<String>, SplitErrorKind> {
        split_mysql_with(body, mode)
            .map(|st| st.into_iter().map(|s| s.text).collect())
            .map_err(|e| e.kind)
    };
    let body = r#"SELECT 'a\'; SELECT "b\"; SELECT 3"#;
    let plain = SqlMode::from_sql_mode("NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES");
    assert_eq!(
        (plain.ansi_quotes, plain.no_backslash_escapes),
        (false, true)
    );
    assert_eq!(
        read(body, plain),
        Ok(vec![
            r"SELECT 'a\'".into(),
            r#"SELECT "b\""#.into(),
            "SELECT 3".into()
        ])
    );
    let unclosed = SplitErrorKind::UnterminatedQuote { quote: '\'' };
    assert_eq!(read(body, SqlMode::default()), Err(unclosed));
    // Under `ANSI_QUOTES` only `"` loses its escapes.
    let body = r#"SELECT "a\"; SELECT 'b\'c'; SELECT 3"#;
    let ansi = SqlMode::from_sql_mode("REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,ANSI");
    assert_eq!((ansi.ansi_quotes, ansi.no_backslash_escapes), (true, false));
    assert_eq!(
        read(body, ansi),
        Ok(vec![
            r#"SELECT "a\""#.into(),
            r"SELECT 'b\'c'".into(),
            "SELECT 3".into()
        ])
    );
    let unclosed = SplitErrorKind::UnterminatedQuote { quote: '"' };
    assert_eq!(read(body, SqlMode::default()), Err(unclosed));
}

#[test]
fn hash_and_dash_dash_space_comment_to_the_line_end() {
    assert_eq!(
        texts("SELECT 1 # one; two\n, 2 -- three; four\n, 3 --\t;\n, 4 --\n;SELECT 5 --"),
        [
            "SELECT 1 # one; two\n, 2 -- three; four\n, 3 --\t;\n, 4",
            "SELECT 5"
        ]
    );
}

#[test]
fn dash_dash_without_space_is_text_except_at_a_statement_start() {
    assert_eq!(
        texts("SELECT 5 --1; SELECT 6"),
        ["SELECT 5 --1", "SELECT 6"]
    );
    assert_eq!(texts("--x; not sent\nSELECT 7"), ["SELECT 7"]);
    assert_eq!(
        texts("SELECT 1;--x; not sent\nSELECT 8"),
        ["SELECT 1", "SELECT 8"]
    );
}

#[test]
fn block_comments_hide_delimiters_and_do_not_nest() {
    assert_eq!(
        texts("/* a; */ SELECT 1 /* b;\n c; */ + 1; SELECT 2 /* /* */ + 2; SELECT 3"),
        [
            "SELECT 1 /* b;\n c; */ + 1",
            "SELECT 2 /* /* */ + 2",
            "SELECT 3"
        ]
    );
}

#[test]
fn block_comments_keep_the_clients_quirks() {
    // In `*/*` the client reads `*`, then `/*` opens a comment.
    assert_eq!(
        texts("SELECT 2 */* c; */ 3; SELECT 4"),
        ["SELECT 2 */* c; */ 3", "SELECT 4"]
    );
    // A `/*` inside is skipped whole, so `/*/` does not close.
    assert_eq!(
        texts("SELECT 1 /* x /*/ y; */ + 1; SELECT 2"),
        ["SELECT 1 /* x /*/ y; */ + 1", "SELECT 2"]
    );
    // On one line, a `/*!` inside makes the first `*/` close only it...
    assert_eq!(
        texts("SELECT 3 /* /*! */ still; */ + 1; SELECT 4"),
        ["SELECT 3 /* /*! */ still; */ + 1", "SELECT 4"]
    );
    // ...but the client forgets it at the line end.
    assert_eq!(
        texts("SELECT 5 /* /*!\n */ out; SELECT 6"),
        ["SELECT 5 /* /*!\n */ out", "SELECT 6"]
    );
}

#[test]
fn version_comments_are_sql_and_the_delimiter_cuts_them() {
    assert_eq!(
        texts("/*!40101 SET x = 1 */; SELECT 1 /*!50000 + 1 */ /*M!100100 + 2 */;"),
        [
            "/*!40101 SET x = 1 */",
            "SELECT 1 /*!50000 + 1 */ /*M!100100 + 2 */"
        ]
    );
    // The client sends the pieces, which the server then rejects.
    assert_eq!(
        texts("/*!50000 SELECT 1; SELECT 2 */;"),
        ["/*!50000 SELECT 1", "SELECT 2 */"]
    );
    // A `#` inside comments out the `*/` too, as for the client.
    assert_eq!(
        texts("SELECT /*!50000 1 # */ ;\n*/ ; SELECT 2"),
        ["SELECT /*!50000 1 # */ ;\n*/", "SELECT 2"]
    );
}

#[test]
fn delimiter_lines_set_any_delimiter_and_are_not_sent() {
    let body = "DELIMITER //\nSELECT 1; SELECT 2 //\n  delimiter $$  -- a note\nSELECT 3 $$SELECT 4$$\nDeLiMiTeR ;;\nSELECT 5;; SELECT 6 ;;\nDELIMITER ;\nSELECT 7;";
    assert_eq!(
        texts(body),
        [
            "SELECT 1; SELECT 2",
            "SELECT 3",
            "SELECT 4",
            "SELECT 5",
            "SELECT 6",
            "SELECT 7"
        ]
    );
}

#[test]
fn quoted_delimiter_arguments() {
    let body = "DELIMITER 'a b'\nSELECT 1 a b\nDELIMITER \"x\"\"y\"\nSELECT 2 x\"y\nDELIMITER `;`\nSELECT 3;";
    assert_eq!(texts(body), ["SELECT 1", "SELECT 2", "SELECT 3"]);
}

#[test]
fn the_delimiter_is_found_inside_words() {
    assert_eq!(
        texts("DELIMITER $$\nSELECT 1 AS x$$SELECT 'y$$'$$"),
        ["SELECT 1 AS x", "SELECT 'y$$'"]
    );
}

#[test]
fn a_delimiter_line_inside_a_statement_or_a_quote_is_text() {
    assert_eq!(
        texts("SELECT\ndelimiter FROM t;\nSELECT '\nDELIMITER //\n';"),
        ["SELECT\ndelimiter FROM t", "SELECT '\nDELIMITER //\n'"]
    );
    assert_eq!(
        texts("SELECT 1 /*\nDELIMITER //\n*/ + 1;"),
        ["SELECT 1 /*\nDELIMITER //\n*/ + 1"]
    );
}

#[test]
fn crlf_line_ends() {
    let body = "DELIMITER //\r\nSELECT 1;\r\nSELECT 2 //\r\nDELIMITER ;\r\nSELECT 3 -- note\r\n;\r\nSELECT 4";
    let st = split_mysql(body).unwrap();
    let got: Vec<(&str, usize)> = st.iter().map(|s| (s.text.as_str(), s.line)).collect();
    assert_eq!(
        got,
        [
            ("SELECT 1;\r\nSELECT 2", 1),
            ("SELECT 3", 4),
            ("SELECT 4", 6)
        ]
    );
}

#[test]
fn bad_delimiter_lines_are_errors_with_their_line() {
    let at = |body: &str| {
        let e = error(body);
        (e.line, e.kind)
    };
    assert_eq!(
        at("SELECT 1;\n\nDELIMITER\nSELECT 2;"),
        (2, SplitErrorKind::DelimiterMissing)
    );
    assert_eq!(
        at("DELIMITER   \r\n"),
        (0, SplitErrorKind::DelimiterMissing)
    );
    assert_eq!(at("DELIMITER ''\n"), (0, SplitErrorKind::DelimiterMissing));
    assert_eq!(at("DELIMITER 'ab\n"), (0, SplitErrorKind::DelimiterMissing));
    assert_eq!(
        at("\nDELIMITER \\\\\n"),
        (1, SplitErrorKind::DelimiterBackslash)
    );
    assert_eq!(
        at("SELECT 1;\nDELIMITER//\n"),
        (1, SplitErrorKind::DelimiterNotAlone)
    );
    // The client would read `DELIMITER //` as the start of the next statement.
    assert_eq!(
        at("SELECT 1; DELIMITER //\n"),
        (0, SplitErrorKind::DelimiterNotAlone)
    );
    assert_eq!(
        at("/* x */ DELIMITER //\n"),
        (0, SplitErrorKind::DelimiterNotAlone)
    );
}

#[test]
fn unclosed_quotes_and_comments_name_the_line_they_open_on() {
    let at = |body: &str| {
        let e = error(body);
        (e.line, e.kind)
    };
    let quote = |quote| SplitErrorKind::UnterminatedQuote { quote };
    assert_eq!(at("SELECT 1;\nSELECT 'a;\n\nb;"), (1, quote('\'')));
    assert_eq!(at("SELECT \"a\\\""), (0, quote('"')));
    assert_eq!(at("\n\nSELECT `a"), (2, quote('`')));
    assert_eq!(
        at("SELECT 1;\n/* never\nclosed"),
        (1, SplitErrorKind::UnterminatedComment)
    );
    assert_eq!(at("SELECT 1 /*/"), (0, SplitErrorKind::UnterminatedComment));
}

#[test]
fn client_commands_outside_quotes_are_errors() {
    let at = |body: &str| {
        let e = error(body);
        (e.line, e.kind)
    };
    let command = |c| SplitErrorKind::ClientCommand { command: c };
    assert_eq!(at("SELECT 1 \\g"), (0, command(Some('g'))));
    assert_eq!(at("SELECT 1;\nSELECT 2 \\G\n"), (1, command(Some('G'))));
    assert_eq!(at("SELECT 1 \\\nFROM t"), (0, command(None)));
    // `\N` is SQL (NULL), and backslashes in quotes and comments are text.
    assert_eq!(
        texts("SELECT \\N, '\\g', `\\c` -- \\q\n"),
        ["SELECT \\N, '\\g', `\\c`"]
    );
}

#[test]
fn error_messages_say_what_to_do() {
    let e = error("SELECT 'a");
    assert_eq!(
        e.to_string(),
        "a string opened with ' is never closed; add the closing '"
    );
    let e = error("SELECT 1 \\g");
    assert!(
        e.to_string()
            .starts_with("`\\g` outside quotes is a command of the `mysql` client"),
        "{e}"
    );
    let e = error("CREATE PROCEDURE p() BEGIN SELECT 1;");
    assert!(e.to_string().contains("`DELIMITER //`"), "{e}");
}

fn routine(body: &str) -> String {
    format!("CREATE PROCEDURE p()\n{body}")
}

#[test]
fn routine_bodies_without_delimiter_lines_are_one_statement() {
    for head in [
        "CREATE PROCEDURE p(IN x INT)",
        "CREATE OR REPLACE DEFINER = 'root'@'%' PROCEDURE p()",
        "CREATE DEFINER=`root`@`localhost` FUNCTION f() RETURNS INT DETERMINISTIC",
        "CREATE DEFINER = CURRENT_USER() TRIGGER t BEFORE INSERT ON x FOR EACH ROW",
        "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO",
        "create aggregate function g(x INT) returns INT",
        "/*!50003 CREATE*/ /*!50020 DEFINER=u@h*/ /*!50003 PROCEDURE p()",
    ] {
        let stmt = format!("{head}\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND");
        assert_eq!(
            texts(&format!("{stmt};\nSELECT 3;")),
            [stmt.as_str(), "SELECT 3"],
            "{head}"
        );
    }
}

#[test]
fn nested_blocks_labels_and_flow_control() {
    let stmt = routine(
        "outer_block: BEGIN\n\
         DECLARE done INT DEFAULT 0;\n\
         read_loop: LOOP\n  IF done THEN LEAVE read_loop; ELSEIF 1 THEN ITERATE read_loop; END IF;\n END LOOP read_loop;\n\
         WHILE done < 3 DO SET done = done + 1; END WHILE;\n\
         REPEAT SET done = done - 1; UNTIL done = 0 END REPEAT;\n\
         FOR i IN 1..3 DO SELECT i; END FOR;\n\
         inner_block: BEGIN SELECT 1; BEGIN END; END inner_block;\n\
         CASE done WHEN 0 THEN SELECT 0; ELSE BEGIN SELECT 1; END; END CASE;\n\
         SET done = CASE WHEN done > 0 THEN 1 ELSE 2 END;\n\
         END outer_block",
    );
    assert_eq!(
        texts(&format!("{stmt};\nSELECT 3")),
        [stmt.as_str(), "SELECT 3"]
    );
}

#[test]
fn columns_named_begin_and_end_are_told_from_keywords() {
    let stmt = routine(
        "BEGIN\n\
         SELECT begin, end FROM t WHERE end > begin ORDER BY end;\n\
         UPDATE t SET end = begin, begin = NULL WHERE t.end IS NULL;\n\
         SELECT CASE WHEN end IS NULL THEN begin ELSE end END AS e FROM t;\n\
         SET NEW.end = NEW.begin;\n\
         INSERT INTO begin VALUES (1); UPDATE begin SET x = 1;\n\
         END",
    );
    assert_eq!(
        texts(&format!("{stmt};\nSELECT 3")),
        [stmt.as_str(), "SELECT 3"]
    );
    let variables = routine(
        "BEGIN\n\
         DECLARE begin INT DEFAULT 3;\n\
         WHILE begin DO SET begin = begin - 1; END WHILE;\n\
         REPEAT SET begin = begin + 1; UNTIL begin END REPEAT;\n\
         IF begin NOT IN (1, 2) THEN SELECT CASE WHEN 1 THEN begin END; END IF;\n\
         END",
    );
    assert_eq!(
        texts(&format!("{variables};\nSELECT 3")),
        [variables.as_str(), "SELECT 3"]
    );
    let single = "CREATE PROCEDURE p() SELECT begin FROM t";
    assert_eq!(texts(&format!("{single}; SELECT 1")), [single, "SELECT 1"]);
    let table = "CREATE TABLE t (begin INT, end INT)";
    assert_eq!(texts(&format!("{table}; SELECT 1")), [table, "SELECT 1"]);
}

#[test]
fn transaction_begins_are_not_blocks() {
    assert_eq!(
        texts(
            "BEGIN; INSERT INTO t VALUES (1); COMMIT; BEGIN WORK; ROLLBACK;\nXA BEGIN 'x'; XA END 'x'"
        ),
        [
            "BEGIN",
            "INSERT INTO t VALUES (1)",
            "COMMIT",
            "BEGIN WORK",
            "ROLLBACK",
            "XA BEGIN 'x'",
            "XA END 'x'"
        ]
    );
    assert_eq!(
        texts("SELECT 'BEGIN'; SELECT `begin`; SELECT 1"),
        ["SELECT 'BEGIN'", "SELECT `begin`", "SELECT 1"]
    );
}

#[test]
fn anonymous_blocks_at_the_top_level() {
    let block = "BEGIN NOT ATOMIC\n  DECLARE x INT;\n  SELECT x;\nEND";
    assert_eq!(texts(&format!("{block};\nSELECT 1")), [block, "SELECT 1"]);
    let labelled = "top: BEGIN NOT ATOMIC SELECT 1; END top";
    assert_eq!(
        texts(&format!("{labelled}; SELECT 2")),
        [labelled, "SELECT 2"]
    );
}

#[test]
fn blocks_are_tracked_only_under_the_semicolon_delimiter() {
    let body = "DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nCREATE PROCEDURE q() BEGIN SELECT 2;;\nDELIMITER ;\nSELECT 3;";
    assert_eq!(
        texts(body),
        [
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
            "CREATE PROCEDURE q() BEGIN SELECT 2",
            "SELECT 3"
        ]
    );
}

#[test]
fn a_block_never_closed_is_an_error_on_its_begin_line() {
    let e = error("SELECT 1;\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 2;\n");
    assert_eq!((e.line, e.kind), (2, SplitErrorKind::UnclosedBlock));
    let e = error(&routine("BEGIN IF 1 THEN SELECT 1; END IF; SELECT 2;"));
    assert_eq!((e.line, e.kind), (1, SplitErrorKind::UnclosedBlock));
    // Closed at the end of the body, without a delimiter, is fine.
    assert_eq!(
        texts(&routine("BEGIN SELECT 1; END")),
        [routine("BEGIN SELECT 1; END")]
    );
}
