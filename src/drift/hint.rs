//! The hint for a revision that failed because what it creates already
//! exists: most often it, or the chain it belongs to, was applied by hand.
//!
//! Pure.

use crate::driver::ApplyError;

/// PostgreSQL's "already exists" errors: duplicate table (or other
/// relation), column, object (constraint, trigger, type...), schema and
/// function.
const ALREADY_EXISTS: [&str; 5] = ["42P07", "42701", "42710", "42P06", "42723"];

/// The hint for `up` when revision `revision` of database `db` failed with
/// `err` because an object already exists; `None` for any other failure.
pub(crate) fn already_exists_hint(db: &str, revision: &str, err: &ApplyError) -> Option<String> {
    if !is_already_exists(&err.message) {
        return None;
    }
    Some(format!(
        "something this revision creates is already in the database, perhaps made by hand; \
         `migrate verify {db} --schema` shows which objects differ from the applied revisions \
         and which pending revisions they belong to; if `{revision}` was applied by hand, \
         record it without running it: `migrate stamp {db} {revision}`"
    ))
}

/// PostgreSQL messages end with their SQLSTATE, which decides (a unique
/// violation's detail also says "already exists"); SQLite has one error
/// code for all, so its message decides.
fn is_already_exists(message: &str) -> bool {
    match sqlstate(message) {
        Some(code) => ALREADY_EXISTS.contains(&code),
        None => message.contains("already exists"),
    }
}

/// The five-character SQLSTATE of a PostgreSQL message (`... (SQLSTATE
/// 42P07)`); SQLite's numeric codes are not SQLSTATEs.
fn sqlstate(message: &str) -> Option<&str> {
    let start = message.rfind("(SQLSTATE ")? + "(SQLSTATE ".len();
    let code = message[start..].strip_suffix(')')?;
    let is_sqlstate = code.len() == 5
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    is_sqlstate.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(message: &str) -> ApplyError {
        ApplyError {
            revision: "b2c3".into(),
            statement_index: None,
            statement: None,
            line: Some(7),
            message: message.into(),
            dirty: false,
        }
    }

    #[test]
    fn postgres_already_exists_errors_get_the_hint() {
        for (message, code) in [
            ("relation \"notes\" already exists", "42P07"),
            (
                "column \"nickname\" of relation \"accounts\" already exists",
                "42701",
            ),
            (
                "constraint \"c\" for relation \"t\" already exists",
                "42710",
            ),
            ("schema \"app\" already exists", "42P06"),
            (
                "function \"f\" already exists with same argument types",
                "42723",
            ),
        ] {
            let err = failed(&format!("{message} (SQLSTATE {code})"));
            let hint = already_exists_hint("core", "b2c3", &err).unwrap();
            assert!(
                hint.contains("`migrate verify core --schema`")
                    && hint.contains("`migrate stamp core b2c3`"),
                "{hint}"
            );
        }
    }

    #[test]
    fn sqlite_already_exists_errors_get_the_hint() {
        let err = failed("table notes already exists (SQLSTATE 1)");
        assert!(already_exists_hint("ai", "b2c3", &err).is_some());
        let err = failed("index ix_notes already exists");
        assert!(already_exists_hint("ai", "b2c3", &err).is_some());
    }

    #[test]
    fn other_failures_do_not() {
        for message in [
            "syntax error at or near \"CREAT\" (SQLSTATE 42601)",
            // A unique violation says "already exists" in its detail.
            "duplicate key value violates unique constraint \"t_pkey\"\nDETAIL: Key (id)=(1) already exists. (SQLSTATE 23505)",
            "relation \"notes\" does not exist (SQLSTATE 42P01)",
            "no such table: notes (SQLSTATE 1)",
        ] {
            assert_eq!(
                already_exists_hint("core", "r", &failed(message)),
                None,
                "{message}"
            );
        }
    }
}
