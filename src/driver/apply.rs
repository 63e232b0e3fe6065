//! How a revision is applied or reverted, for every driver (SPEC §2, §4).
//!
//! I/O through a [`Session`], the few primitives a driver provides. A
//! transactional revision sends `BEGIN` together with its body in one
//! simple-query message, then the version-row statement together with
//! `COMMIT` (PostgreSQL; SQLite binds it and commits apart): two round
//! trips, the body runs exactly as written, and an error is still known
//! to be the body's or the bookkeeping's. A
//! `transaction off` revision is recorded dirty first, run statement by
//! statement, then marked clean.

use std::future::Future;

use futures_util::{Stream, TryStreamExt as _};
use std::time::{Duration, Instant};

use super::error::{self, ApplyError, truncate_chars};
use super::split::{Statement, split};
use super::{ApplyOptions, Dialect, NewRow};
use crate::revision::{Revision, Sql};

/// How much of a failing statement an [`ApplyError`] quotes.
const QUOTED_CHARS: usize = 200;

/// The primitives a driver provides to the shared algorithm.
pub(crate) trait Session: Send {
    fn dialect(&self) -> Dialect;

    /// Runs `sql` as written (simple-query protocol; many statements allowed).
    fn exec(&mut self, sql: String) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// The statements that open a revision's transaction, each ending `;\n`.
    fn begin_sql(&self, opts: &ApplyOptions) -> String;

    /// Session-level limits for a `transaction off` revision, and their reset.
    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)>;

    fn insert_row(
        &mut self,
        row: &NewRow,
        duration_ms: i64,
        dirty: bool,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// Marks a `transaction off` row clean and sets its duration.
    fn finish_row(
        &mut self,
        id: &str,
        duration_ms: i64,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    fn delete_row(&mut self, id: &str) -> impl Future<Output = Result<u64, sqlx::Error>> + Send;

    /// The row statement of a transactional revision as SQL text, when the
    /// driver sends it in one message with `COMMIT` (a round trip less per
    /// revision); `None` sends it bound, then `COMMIT`.
    fn bookkeeping_sql(&self, bookkeeping: &Bookkeeping<'_>, duration_ms: i64) -> Option<String>;

    /// Runs `sql` (several statements); on failure, also says how many of
    /// them completed before the one that failed.
    fn exec_counted(
        &mut self,
        sql: String,
    ) -> impl Future<Output = Result<(), (usize, sqlx::Error)>> + Send;

    fn set_dirty(&mut self, id: &str) -> impl Future<Output = Result<(), sqlx::Error>> + Send;

    /// 0-based character position of the error in the query that failed.
    fn error_position(&self, err: &sqlx::Error) -> Option<usize>;
}

fn line(number: u32) -> usize {
    usize::try_from(number).unwrap_or(usize::MAX)
}

/// The body a step runs, with where it sits in the revision file.
struct Body<'a> {
    revision: &'a str,
    text: &'a str,
    first_line: usize,
}

pub(crate) async fn apply<S: Session>(
    s: &mut S,
    rev: &Revision,
    sql: &Sql,
    row: &NewRow,
    opts: &ApplyOptions,
) -> Result<Duration, ApplyError> {
    let body = Body {
        revision: rev.id.as_str(),
        text: &sql.up,
        first_line: line(rev.up_line),
    };
    if rev.transactional {
        return in_transaction(s, &body, opts, Bookkeeping::Insert(row)).await;
    }
    s.insert_row(row, 0, true)
        .await
        .map_err(|e| bookkeeping_error(&body, &e, false))?;
    let elapsed = statements(s, &body, opts).await?;
    s.finish_row(body.revision, millis(elapsed))
        .await
        .map_err(|e| bookkeeping_error(&body, &e, true))?;
    Ok(elapsed)
}

pub(crate) async fn revert<S: Session>(
    s: &mut S,
    rev: &Revision,
    sql: &Sql,
    opts: &ApplyOptions,
) -> Result<Duration, ApplyError> {
    let Some(down) = sql.down.as_deref() else {
        return Err(ApplyError {
            revision: rev.id.to_string(),
            statement_index: None,
            statement: None,
            line: None,
            message: "the revision is irreversible: it has no `-- migrate:down` section".into(),
            dirty: false,
        });
    };
    let body = Body {
        revision: rev.id.as_str(),
        text: down,
        first_line: rev.down_line.map_or(1, line),
    };
    if rev.transactional {
        return in_transaction(s, &body, opts, Bookkeeping::Delete(body.revision)).await;
    }
    let outcome = statements(s, &body, opts).await;
    let outcome = match outcome {
        Ok(elapsed) => s
            .delete_row(body.revision)
            .await
            .map(|_| elapsed)
            .map_err(|e| bookkeeping_error(&body, &e, true)),
        Err(err) => Err(err),
    };
    if outcome.is_err() {
        // Part of the down section ran: the revision is neither applied nor
        // reverted, so later runs must stop until `repair` (SPEC §4).
        let _ = s.set_dirty(body.revision).await;
    }
    outcome
}

/// What a transactional revision records when its body has run.
pub(crate) enum Bookkeeping<'a> {
    Insert(&'a NewRow),
    /// Delete the row of this revision.
    Delete(&'a str),
}

/// Which of the two closing steps of a transactional revision failed.
enum Closing {
    Record(sqlx::Error),
    Commit(sqlx::Error),
}

/// `BEGIN` + body in one message, the row statement, `COMMIT`.
async fn in_transaction<S: Session>(
    s: &mut S,
    body: &Body<'_>,
    opts: &ApplyOptions,
    bookkeeping: Bookkeeping<'_>,
) -> Result<Duration, ApplyError> {
    let prefix = s.begin_sql(opts);
    let prefix_chars = prefix.chars().count();
    let start = Instant::now();
    if let Err(e) = s.exec(format!("{prefix}{}", body.text)).await {
        let _ = s.exec("ROLLBACK".to_owned()).await;
        let at = s
            .error_position(&e)
            .and_then(|p| p.checked_sub(prefix_chars));
        return Err(body_error(s.dialect(), body, &e, at));
    }
    // Measured before the row is written, so the row needs no later update.
    let elapsed = start.elapsed();
    let closed = match s.bookkeeping_sql(&bookkeeping, millis(elapsed)) {
        // The row statement and `COMMIT` in one message: if the first did
        // not complete it failed, else `COMMIT` did.
        Some(sql) => s
            .exec_counted(format!("{sql}COMMIT"))
            .await
            .map_err(|(done, e)| {
                if done == 0 {
                    Closing::Record(e)
                } else {
                    Closing::Commit(e)
                }
            }),
        None => close_in_steps(s, &bookkeeping, millis(elapsed)).await,
    };
    match closed {
        Ok(()) => Ok(elapsed),
        Err(closing) => {
            let _ = s.exec("ROLLBACK".to_owned()).await;
            Err(match closing {
                Closing::Record(e) => bookkeeping_error(body, &e, false),
                // A deferred constraint of the body fails at `COMMIT`.
                Closing::Commit(e) => body_error(s.dialect(), body, &e, None),
            })
        }
    }
}

/// The row statement bound, then `COMMIT`: two round trips.
async fn close_in_steps<S: Session>(
    s: &mut S,
    bookkeeping: &Bookkeeping<'_>,
    duration_ms: i64,
) -> Result<(), Closing> {
    let recorded = match bookkeeping {
        Bookkeeping::Insert(row) => s.insert_row(row, duration_ms, false).await,
        Bookkeeping::Delete(id) => s.delete_row(id).await.map(|_| ()),
    };
    recorded.map_err(Closing::Record)?;
    s.exec("COMMIT".to_owned()).await.map_err(Closing::Commit)
}

/// Runs each statement on its own, with session-level limits around them.
async fn statements<S: Session>(
    s: &mut S,
    body: &Body<'_>,
    opts: &ApplyOptions,
) -> Result<Duration, ApplyError> {
    let limits = s.session_limits(opts);
    let start = Instant::now();
    if let Some((set, _)) = &limits {
        s.exec(set.clone())
            .await
            .map_err(|e| bookkeeping_error(body, &e, true))?;
    }
    let mut outcome = Ok(());
    for (index, stmt) in split(s.dialect(), body.text).iter().enumerate() {
        if let Err(e) = s.exec(stmt.text.clone()).await {
            let at = s.error_position(&e);
            outcome = Err(statement_error(body, index, stmt, &e, at));
            break;
        }
    }
    if let Some((_, reset)) = limits {
        let _ = s.exec(reset).await;
    }
    outcome.map(|()| start.elapsed())
}

/// A failure inside a transactional body; `at` is a character position in it.
fn body_error(
    dialect: Dialect,
    body: &Body<'_>,
    err: &sqlx::Error,
    at: Option<usize>,
) -> ApplyError {
    let offset = at.and_then(|chars| byte_offset(body.text, chars));
    let stmt = offset.and_then(|off| {
        split(dialect, body.text)
            .into_iter()
            .enumerate()
            .take_while(|(_, st)| st.offset <= off)
            .last()
    });
    ApplyError {
        revision: body.revision.to_owned(),
        statement_index: stmt.as_ref().map(|(i, _)| *i),
        statement: stmt.map(|(_, st)| truncate_chars(&st.text, QUOTED_CHARS)),
        line: offset.map(|off| body.first_line + body.text[..off].matches('\n').count()),
        message: error::message(err),
        dirty: false,
    }
}

/// A failure of one `transaction off` statement: the row stays dirty.
fn statement_error(
    body: &Body<'_>,
    index: usize,
    stmt: &Statement,
    err: &sqlx::Error,
    at: Option<usize>,
) -> ApplyError {
    let within = at
        .and_then(|chars| byte_offset(&stmt.text, chars))
        .map_or(0, |off| stmt.text[..off].matches('\n').count());
    ApplyError {
        revision: body.revision.to_owned(),
        statement_index: Some(index),
        statement: Some(truncate_chars(&stmt.text, QUOTED_CHARS)),
        line: Some(body.first_line + stmt.line + within),
        message: error::message(err),
        dirty: true,
    }
}

fn bookkeeping_error(body: &Body<'_>, err: &sqlx::Error, dirty: bool) -> ApplyError {
    ApplyError {
        revision: body.revision.to_owned(),
        statement_index: None,
        statement: None,
        line: None,
        message: format!("writing the version table failed: {}", error::message(err)),
        dirty,
    }
}

/// The byte offset of the `chars`-th character of `text`, if inside it.
fn byte_offset(text: &str, chars: usize) -> Option<usize> {
    text.char_indices().nth(chars).map(|(i, _)| i)
}

/// Drives the per-statement results of a multi-statement message, counting
/// those that completed before an error.
pub(crate) async fn exec_counted<R>(
    mut results: impl Stream<Item = Result<R, sqlx::Error>> + Unpin,
) -> Result<(), (usize, sqlx::Error)> {
    let mut done = 0;
    loop {
        match results.try_next().await {
            Ok(Some(_)) => done += 1,
            Ok(None) => return Ok(()),
            Err(e) => return Err((done, e)),
        }
    }
}

pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_positions_map_to_file_lines_and_statements() {
        let text = "CREATE TABLE a (x int);\n\nSELECT bogus FROM a;\n";
        let body = Body {
            revision: "r1",
            text,
            first_line: 10,
        };
        let err = sqlx::Error::Protocol("boom".into());
        let at = text.find("bogus").map(|b| text[..b].chars().count());
        let e = body_error(Dialect::Postgres, &body, &err, at);
        assert_eq!(e.line, Some(12));
        assert_eq!(e.statement_index, Some(1));
        assert_eq!(e.statement.as_deref(), Some("SELECT bogus FROM a"));
        let e = body_error(Dialect::Postgres, &body, &err, Some(10_000));
        assert_eq!((e.line, e.statement_index), (None, None));
    }

    #[test]
    fn millis_saturates() {
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
        assert_eq!(millis(Duration::MAX), i64::MAX);
    }
}
