//! Bodies built from a grammar of the features the splitter knows, whose
//! statements and their places are known as they are written.

use proptest::prelude::*;

use super::*;

/// One statement's text, built from pieces, each flagged when it is a
/// comment: the statement's text may hold comments inside, never at its end.
#[derive(Clone, Debug)]
struct Written {
    pieces: Vec<(String, bool)>,
}

impl Written {
    /// The text up to the last piece that is not a comment.
    fn text(&self) -> String {
        let last = self
            .pieces
            .iter()
            .rposition(|(_, comment)| !comment)
            .unwrap_or(0);
        let mut text = String::new();
        for (i, (piece, _)) in self.pieces[..=last].iter().enumerate() {
            if i > 0 {
                text.push(' ');
            }
            text.push_str(piece);
        }
        text
    }

    fn written(&self) -> String {
        self.pieces
            .iter()
            .map(|(p, _)| p.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

const DELIMITERS: &[&str] = &[";", "//", "$$", ";;", "|", "@@"];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}",
        Just("delimiter".to_owned()),
        Just("x.begin".to_owned()),
        Just("NEW.end".to_owned()),
        Just("\\N".to_owned()),
        Just("é日".to_owned()),
        "[0-9]{1,4}",
        prop_oneof![
            Just("("),
            Just(")"),
            Just(","),
            Just("="),
            Just("+"),
            Just(".")
        ]
        .prop_map(str::to_owned),
    ]
}

/// Text for inside quotes: anything, delimiters and comment openers included.
fn quoted_text(quote: char) -> impl Strategy<Value = String> {
    let escapes = quote != '`';
    let item = prop_oneof![
        "[a-z ;#/*!$|@-]{1,4}",
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\nDELIMITER //\n".to_owned()),
        Just("-- ".to_owned()),
        Just("/*".to_owned()),
        Just(if quote == '\'' { "\"`" } else { "'" }.to_owned()),
        Just(format!("{quote}{quote}")),
        Just(if escapes {
            format!("\\{quote}")
        } else {
            "\\".to_owned()
        }),
        Just(if escapes { "\\\\" } else { "x" }.to_owned()),
    ];
    prop::collection::vec(item, 0..5).prop_map(move |items| {
        let mut text = String::from(quote);
        text.extend(items);
        text.push(quote);
        text
    })
}

fn comment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ;'\"`]{0,8}".prop_map(|t| format!("/*{t}*/")),
        "[a-z ;'\"`*/]{0,8}".prop_map(|t| format!("#{t}\n")),
        "[a-z ;'\"`*/]{0,8}".prop_map(|t| format!("-- {t}\n")),
        Just("--\n".to_owned()),
    ]
}

/// A piece of a plain statement: no `;` or delimiter outside quotes.
fn piece() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        4 => word().prop_map(|w| (w, false)),
        1 => quoted_text('\'').prop_map(|w| (w, false)),
        1 => quoted_text('"').prop_map(|w| (w, false)),
        1 => quoted_text('`').prop_map(|w| (w, false)),
        1 => prop::collection::vec(word(), 1..3)
            .prop_map(|ws| (format!("/*!50100 {} */", ws.join(" ")), false)),
        1 => Just(("/*M!100100 x */".to_owned(), false)),
        1 => comment().prop_map(|c| (c, true)),
    ]
}

const FIRST_WORDS: &[&str] = &[
    "SELECT",
    "INSERT INTO t",
    "UPDATE t SET",
    "CREATE TABLE t",
    "DROP VIEW",
];

fn plain() -> impl Strategy<Value = Written> {
    (
        prop::sample::select(FIRST_WORDS),
        prop::collection::vec(piece(), 0..6),
    )
        .prop_map(|(first, mut pieces)| {
            pieces.insert(0, (first.to_owned(), false));
            Written { pieces }
        })
}

/// A statement inside a compound body, ending with its `;`.
fn inner() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("SELECT begin, end FROM t;".to_owned()),
        Just("SET NEW.end = NEW.begin;".to_owned()),
        Just("UPDATE t SET end = 1 WHERE begin IS NULL;".to_owned()),
        Just("SET x = CASE WHEN end > 0 THEN 1 ELSE end END;".to_owned()),
        Just("SET begin = begin + 1;".to_owned()),
        Just("IF begin NOT IN (1) THEN SELECT CASE WHEN 1 THEN begin END; END IF;".to_owned()),
        quoted_text('\'').prop_map(|q| format!("SELECT {q};")),
        comment().prop_map(|c| format!("SELECT 1 {c};")),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        let body = prop::collection::vec(inner, 1..3).prop_map(|v| v.join("\n"));
        prop_oneof![
            body.clone().prop_map(|b| format!("BEGIN {b} END;")),
            body.clone()
                .prop_map(|b| format!("lbl: BEGIN {b} END lbl;")),
            body.clone()
                .prop_map(|b| format!("IF x THEN {b} ELSE {b} END IF;")),
            body.clone()
                .prop_map(|b| format!("l: LOOP {b} LEAVE l; END LOOP l;")),
            body.clone()
                .prop_map(|b| format!("WHILE begin DO {b} END WHILE;")),
            body.clone()
                .prop_map(|b| format!("REPEAT {b} UNTIL begin END REPEAT;")),
            body.prop_map(|b| format!("CASE x WHEN 1 THEN {b} END CASE;")),
        ]
    })
}

fn routine() -> impl Strategy<Value = Written> {
    let head = prop::sample::select(
        &[
            "CREATE PROCEDURE p()",
            "CREATE DEFINER = 'a'@'%' FUNCTION f() RETURNS INT",
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW",
            "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO",
        ][..],
    );
    (head, prop::collection::vec(inner(), 0..4)).prop_map(|(head, body)| Written {
        pieces: vec![(format!("{head} BEGIN {} END", body.join("\n")), false)],
    })
}

fn statement() -> impl Strategy<Value = Written> {
    prop_oneof![3 => plain(), 1 => routine()]
}

/// What goes between statements: nothing the client would send.
fn gap() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just(" ".to_owned()),
            Just("\n".to_owned()),
            Just("\r\n".to_owned()),
            Just("\t".to_owned()),
            comment(),
            Just("--x\n".to_owned())
        ],
        1..3,
    )
    .prop_map(|v| v.concat())
}

/// A body, with the statements the client would send from it.
#[derive(Debug)]
struct Body {
    text: String,
    expected: Vec<Statement>,
}

#[derive(Clone, Debug)]
enum Step {
    Statement(Written, String, bool),
    Delimiter(&'static str, bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (statement(), gap(), any::<bool>()).prop_map(|(s, g, empty)| Step::Statement(s, g, empty)),
        1 => (prop::sample::select(DELIMITERS), any::<bool>()).prop_map(|(d, q)| Step::Delimiter(d, q)),
    ]
}

fn body() -> impl Strategy<Value = Body> {
    (gap(), prop::collection::vec(step(), 0..8), any::<bool>()).prop_map(
        |(lead, steps, last_open)| {
            let mut text = lead;
            let mut expected = Vec::new();
            let mut delimiter = ";";
            let count = steps.len();
            for (i, step) in steps.into_iter().enumerate() {
                match step {
                    Step::Statement(st, gap, empty) => {
                        let offset = text.len();
                        expected.push(Statement {
                            text: st.text(),
                            offset,
                            line: text.matches('\n').count(),
                        });
                        text.push_str(&st.written());
                        if last_open && i + 1 == count {
                            // Inside a statement, `--x` is text, not a comment.
                            text.push(' ');
                            text.push_str(&gap.replace("--x", "-- x"));
                            continue;
                        }
                        text.push(' ');
                        text.push_str(delimiter);
                        if empty {
                            text.push(' ');
                            text.push_str(delimiter);
                        }
                        text.push_str(&gap);
                    }
                    Step::Delimiter(d, quoted) => {
                        let arg = if quoted {
                            format!("'{d}'")
                        } else {
                            d.to_owned()
                        };
                        text.push_str(&format!("\ndelimiter {arg}\n"));
                        delimiter = d;
                    }
                }
            }
            Body { text, expected }
        },
    )
}

fn check_slices(body: &str, statements: &[Statement]) -> Result<(), TestCaseError> {
    let mut after = 0;
    for st in statements {
        prop_assert!(st.offset >= after, "statements out of order");
        prop_assert_eq!(
            body.get(st.offset..st.offset + st.text.len()),
            Some(st.text.as_str())
        );
        prop_assert_eq!(st.line, body[..st.offset].matches('\n').count());
        prop_assert!(!st.text.is_empty() && st.text.trim() == st.text);
        after = st.offset + st.text.len();
    }
    Ok(())
}

proptest! {
    #[test]
    fn written_statements_split_back_exactly(body in body()) {
        let got = split_mysql(&body.text);
        prop_assert_eq!(got.as_ref(), Ok(&body.expected), "{:?}", body.text);
    }

    #[test]
    fn statements_joined_by_semicolons_split_the_same(body in body()) {
        let texts: Vec<&str> = body.expected.iter().map(|s| s.text.as_str()).collect();
        let joined = texts.join(";\n");
        let again = split_mysql(&joined).map(|st| st.into_iter().map(|s| s.text).collect::<Vec<_>>());
        prop_assert_eq!(again, Ok(texts.iter().map(|t| (*t).to_owned()).collect()), "{:?}", joined);
    }

    #[test]
    fn never_panics_and_every_text_is_a_slice_of_the_body(
        pieces in prop::collection::vec(prop::sample::select(&[
            ";", "'", "\"", "`", "\\", "\\N", "#", "--", "-", " ", "\n", "\r\n", "\t", "/*", "*/", "/*!",
            "/*M!", "*", "/", "!", "DELIMITER ", "delimiter", "//", "$$", "BEGIN", "END", "CASE", "IF",
            "CREATE PROCEDURE p() ", "NOT ATOMIC", "x", "é", ":", ".", "(", ")", "SELECT 1",
        ][..]), 0..40),
    ) {
        let body = pieces.concat();
        for mode in [SqlMode::default(), SqlMode { ansi_quotes: true, no_backslash_escapes: true }] {
            match split_mysql_with(&body, mode) {
                Ok(statements) => check_slices(&body, &statements)?,
                Err(e) => prop_assert!(e.line <= body.matches('\n').count()),
            }
        }
    }
}
