//! SQLite keeps each object's `CREATE` statement as it was written; two
//! statements that make the same object compare equal once normalised:
//! whitespace and comments dropped, identifiers unquoted and lower-cased
//! (SQLite's names ignore ASCII case), keywords lower-cased, `IF NOT
//! EXISTS` removed. String literals are kept exactly.
//!
//! Pure.

/// The normalised form of a SQLite `CREATE` statement.
pub(crate) fn normalise(sql: &str) -> String {
    let tokens = tokens(sql);
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let is_if_not_exists = tokens
            .get(i..i + 3)
            .is_some_and(|w| w[0] == "if" && w[1] == "not" && w[2] == "exists");
        if is_if_not_exists {
            i += 3;
            continue;
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    out.join(" ")
}

/// The key of a SQLite object name: SQLite compares names without ASCII case.
pub(crate) fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn tokens(sql: &str) -> Vec<String> {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '\'' {
            let (text, end) = quoted(&chars, i, '\'');
            out.push(format!("'{}'", text.replace('\'', "''")));
            i = end;
        } else if let Some(close) = identifier_quote(c) {
            let (text, end) = quoted(&chars, i, close);
            out.push(identifier(&text));
            i = end;
        } else if is_word(c) {
            let start = i;
            while i < chars.len() && is_word(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(word.to_ascii_lowercase());
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

fn identifier_quote(open: char) -> Option<char> {
    match open {
        '"' => Some('"'),
        '`' => Some('`'),
        '[' => Some(']'),
        _ => None,
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The text between the quote at `start` and its closing `close` (a
/// doubled closing quote stands for one), and the index after it.
fn quoted(chars: &[char], start: usize, close: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == close {
            if close != ']' && chars.get(i + 1) == Some(&close) {
                text.push(close);
                i += 2;
                continue;
            }
            return (text, i + 1);
        }
        text.push(chars[i]);
        i += 1;
    }
    (text, i)
}

/// A quoted identifier as a bare one when it can be written bare, so that
/// `"Accounts"` and `accounts` agree.
fn identifier(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bare = !lower.is_empty()
        && !lower.starts_with(|c: char| c.is_ascii_digit())
        && lower.chars().all(is_word);
    if bare {
        lower
    } else {
        format!("\"{}\"", lower.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_does_not_matter() {
        let a = normalise(
            "CREATE TABLE IF NOT EXISTS \"Accounts\" (\n  id INTEGER PRIMARY KEY, -- the key\n  name TEXT /* who */ DEFAULT 'Bob'\n)",
        );
        let b =
            normalise("create table [accounts](id integer primary key,name text default 'Bob')");
        assert_eq!(a, b);
        assert_eq!(
            a,
            "create table accounts ( id integer primary key , name text default 'Bob' )"
        );
    }

    #[test]
    fn meaning_does() {
        assert_ne!(
            normalise("CREATE TABLE t (a TEXT DEFAULT 'x')"),
            normalise("CREATE TABLE t (a TEXT DEFAULT 'X')")
        );
        assert_ne!(
            normalise("CREATE INDEX i ON t (a)"),
            normalise("CREATE UNIQUE INDEX i ON t (a)")
        );
        assert_eq!(normalise("SELECT 'it''s'"), "select 'it''s'");
        assert_eq!(
            normalise("CREATE TABLE \"my table\" (a)"),
            "create table \"my table\" ( a )"
        );
    }

    #[test]
    fn unterminated_text_does_not_panic() {
        for sql in ["'open", "\"open", "[open", "/* open", "-- open", ""] {
            let _ = normalise(sql);
        }
    }
}
