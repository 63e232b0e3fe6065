//! Cuts a `transaction off` body into statements at top-level `;` (docs/reference.md, "Revision files").
//!
//! Pure. sqlparser's tokenizer knows strings, quoted identifiers, dollar
//! quotes and comments; on top of it we track `BEGIN ... END` blocks of
//! `CREATE TRIGGER/FUNCTION/PROCEDURE` (SQLite triggers, PostgreSQL
//! `BEGIN ATOMIC`), whose inner `;` do not end the statement. A body the
//! tokenizer rejects is sent whole, as one statement.

use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use super::Dialect;

/// One statement of a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The statement as written, from its first token to its last, without
    /// the `;` (comments before it are left out).
    pub text: String,
    /// Byte offset of `text` in the body.
    pub offset: usize,
    /// 0-based line of `text`'s start within the body.
    pub line: usize,
}

/// The statements of `body`; blank or comment-only pieces are dropped.
pub fn split(dialect: Dialect, body: &str) -> Vec<Statement> {
    let sql_dialect: &dyn SqlDialect = match dialect {
        Dialect::Postgres => &PostgreSqlDialect {},
        Dialect::Sqlite => &SQLiteDialect {},
        Dialect::Mysql => &MySqlDialect {},
    };
    match Tokenizer::new(sql_dialect, body).tokenize_with_location() {
        Ok(tokens) => split_tokens(body, &tokens),
        Err(_) => whole(body),
    }
}

/// The fallback: the body as one statement, unless it is blank.
fn whole(body: &str) -> Vec<Statement> {
    let start = body.len() - body.trim_start().len();
    let text = body.trim();
    if text.is_empty() {
        return Vec::new();
    }
    Vec::from([Statement {
        text: text.to_owned(),
        offset: start,
        line: body[..start].matches('\n').count(),
    }])
}

/// Where the statement being built starts, and what it has seen so far.
#[derive(Default)]
struct Current {
    start: Option<(usize, usize)>,
    end: usize,
    first: Option<Keyword>,
    routine: bool,
    depth: usize,
}

fn split_tokens(body: &str, tokens: &[TokenWithSpan]) -> Vec<Statement> {
    let offsets = byte_offsets(body, tokens);
    let mut out = Vec::new();
    let mut cur = Current::default();
    for (i, tok) in tokens.iter().enumerate() {
        let (start, line) = offsets[i];
        let end = offsets.get(i + 1).map_or(body.len(), |o| o.0);
        match &tok.token {
            Token::Whitespace(_) | Token::EOF => {}
            Token::SemiColon if cur.depth == 0 => {
                push(&mut out, body, &cur);
                cur = Current::default();
            }
            token => {
                if cur.start.is_none() {
                    cur.start = Some((start, line));
                }
                cur.end = end;
                track_blocks(&mut cur, token);
            }
        }
    }
    push(&mut out, body, &cur);
    out
}

/// Counts `BEGIN`/`CASE` ... `END` inside trigger and routine definitions.
fn track_blocks(cur: &mut Current, token: &Token) {
    let Token::Word(word) = token else { return };
    if word.quote_style.is_some() {
        return;
    }
    let first = *cur.first.get_or_insert(word.keyword);
    match word.keyword {
        Keyword::TRIGGER | Keyword::FUNCTION | Keyword::PROCEDURE if first == Keyword::CREATE => {
            cur.routine = true;
        }
        Keyword::BEGIN if cur.routine => cur.depth += 1,
        Keyword::CASE if cur.depth > 0 => cur.depth += 1,
        Keyword::END if cur.depth > 0 => cur.depth -= 1,
        _ => {}
    }
}

fn push(out: &mut Vec<Statement>, body: &str, cur: &Current) {
    if let Some((offset, line)) = cur.start
        && let Some(text) = body.get(offset..cur.end)
    {
        out.push(Statement {
            text: text.trim_end().to_owned(),
            offset,
            line,
        });
    }
}

/// Each token's (byte offset, 0-based line), from its (line, column) span.
///
/// Columns count characters, so we walk the text once, in token order.
fn byte_offsets(body: &str, tokens: &[TokenWithSpan]) -> Vec<(usize, usize)> {
    let mut chars = body.char_indices().peekable();
    let (mut line, mut col) = (1u64, 1u64);
    let mut out = Vec::with_capacity(tokens.len());
    for tok in tokens {
        let want = tok.span.start;
        while (line, col) < (want.line, want.column) {
            match chars.next() {
                Some((_, '\n')) => (line, col) = (line + 1, 1),
                Some(_) => col += 1,
                None => break,
            }
        }
        let offset = chars.peek().map_or(body.len(), |&(i, _)| i);
        out.push((offset, usize::try_from(line - 1).unwrap_or(0)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(dialect: Dialect, body: &str) -> Vec<String> {
        split(dialect, body).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let body = "CREATE TABLE a (x text default ';');\n\
                    -- a comment; with a semicolon\n\
                    INSERT INTO a VALUES ('it''s; fine');\n\
                    /* block; comment */ SELECT 1";
        assert_eq!(
            texts(Dialect::Postgres, body),
            [
                "CREATE TABLE a (x text default ';')",
                "INSERT INTO a VALUES ('it''s; fine')",
                "SELECT 1"
            ]
        );
    }

    #[test]
    fn dollar_quoted_function_is_one_statement() {
        let body = "CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  PERFORM 1;\n  RETURN 2;\nEND;\n$$ LANGUAGE plpgsql;\nCREATE INDEX CONCURRENTLY i ON t (x);";
        let stmts = split(Dialect::Postgres, body);
        assert_eq!(stmts.len(), 2);
        assert!(stmts[0].text.ends_with("LANGUAGE plpgsql"));
        assert_eq!(stmts[1].text, "CREATE INDEX CONCURRENTLY i ON t (x)");
        assert_eq!(stmts[1].line, 6);
        assert_eq!(&body[stmts[1].offset..stmts[1].offset + 6], "CREATE");
    }

    #[test]
    fn tagged_dollar_quotes_and_begin_atomic() {
        let body = "SELECT $tag$ ; $$ ; $tag$;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nSELECT 3";
        let t = texts(Dialect::Postgres, body);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[1].ends_with("SELECT 2; END"));
        assert_eq!(t[2], "SELECT 3");
    }

    #[test]
    fn sqlite_trigger_body_is_one_statement() {
        let body = "CREATE TABLE t (x int);\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET x = CASE WHEN x > 1 THEN 1 ELSE 2 END;\n  DELETE FROM t WHERE x = 3;\nEND;\nINSERT INTO t VALUES (1);";
        let t = texts(Dialect::Sqlite, body);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[1].starts_with("CREATE TRIGGER") && t[1].ends_with("END"));
    }

    #[test]
    fn a_column_named_begin_does_not_open_a_block() {
        let t = texts(Dialect::Postgres, "CREATE TABLE t (begin int);\nSELECT 1;");
        assert_eq!(t, ["CREATE TABLE t (begin int)", "SELECT 1"]);
    }

    #[test]
    fn blank_and_comment_only_pieces_are_dropped() {
        assert!(split(Dialect::Postgres, "  \n-- nothing\n;;").is_empty());
        assert_eq!(texts(Dialect::Sqlite, "SELECT 1 -- trailing"), ["SELECT 1"]);
    }

    #[test]
    fn lines_and_offsets_count_characters_not_bytes() {
        let body = "SELECT 'é';\n\n  SELECT 'ü'; SELECT 2";
        let s = split(Dialect::Postgres, body);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[1].line, &body[s[1].offset..s[1].offset + 6]),
            (2, "SELECT")
        );
        assert_eq!(s[2].text, "SELECT 2");
    }

    #[test]
    fn unterminated_string_falls_back_to_the_whole_body() {
        let body = "\n  SELECT 'oops; SELECT 2\n";
        let s = split(Dialect::Postgres, body);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].text, "SELECT 'oops; SELECT 2");
        assert_eq!(s[0].line, 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_slices_the_body(body in r#"(?s)[a-zA-Z0-9_ ;'"$\\\n\r\t*/()é-]{0,120}"#) {
            for dialect in [Dialect::Postgres, Dialect::Sqlite] {
                for st in split(dialect, &body) {
                    proptest::prop_assert!(body[st.offset..].starts_with(&st.text));
                    proptest::prop_assert_eq!(st.line, body[..st.offset].matches('\n').count());
                }
            }
        }
    }
}
