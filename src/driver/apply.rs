//! How a revision is applied or reverted, for every driver.
//!
//! I/O through a [`Session`], the few primitives a driver provides. A
//! transactional revision is one [`Session::transaction`]: the driver opens
//! the transaction (taking the run lock for it where the driver locks per
//! transaction), claims the revision by writing its version row first, runs
//! the body exactly as written, and commits; it says which step failed.
//! The claim is what makes every revision run once when runners race: a
//! row another runner committed makes the claim fail, and the revision is
//! reported as applied by that runner (PostgreSQL sends all the steps in one
//! exchange; see `postgres/session.rs`). A `transaction off` revision is
//! claimed by a dirty row, run statement by statement, then marked clean,
//! so a failure part-way stays visible. On a database whose DDL commits by
//! itself (MySQL) every revision takes that second path, and its body is
//! cut into statements before anything is written, so that a body its
//! client could not read is refused with nothing recorded.

use std::future::Future;
use std::time::{Duration, Instant};

use super::error::{ApplyError, DriverError, ServerError, truncate_chars};
use super::split::{Statement, split};
use super::split_mysql::SplitError;
use super::{Applied, ApplyOptions, Dialect, NewRow, StepError};
use crate::revision::{Revision, Sql};

/// How much of a failing statement an [`ApplyError`] quotes.
const QUOTED_CHARS: usize = 200;

/// How a transactional revision claims itself in the version table.
pub(crate) enum Bookkeeping<'a> {
    /// Insert this row before the body (its `duration_ms` is set after).
    Insert(&'a NewRow),
    /// Delete the row of this revision before the body.
    Delete(&'a str),
}

/// Which step of a transactional revision failed; the transaction is
/// rolled back in every case.
pub(crate) enum Stage {
    /// The run lock was not taken in time (or the connection failed
    /// while waiting for it).
    Lock(DriverError),
    /// `BEGIN` and the per-revision limits.
    Open(ServerError),
    /// The claim found the work done: another runner committed the row
    /// (or, reverting, deleted it). Nothing ran.
    Taken,
    /// The revision's own SQL; the position is within the body.
    Body(ServerError),
    /// The version-row statement.
    Record(ServerError),
    /// `COMMIT` (a deferred constraint of the body fails here).
    Commit(ServerError),
}

/// The primitives a driver provides to the shared algorithm.
pub(crate) trait Session: Send {
    fn dialect(&self) -> Dialect;

    /// Opens a transaction with `opts`' limits, runs `body` as written,
    /// writes `record` and commits; on failure nothing of it stays.
    fn transaction(
        &mut self,
        body: &str,
        opts: &ApplyOptions,
        record: Bookkeeping<'_>,
    ) -> impl Future<Output = Result<(), Stage>> + Send;

    /// Runs `sql` as written (many statements allowed), outside any
    /// transaction of ours.
    fn exec(&mut self, sql: &str) -> impl Future<Output = Result<(), ServerError>> + Send;

    /// Session-level limits for a `transaction off` revision, and their reset.
    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)>;

    /// Records `row` as dirty before a `transaction off` revision runs;
    /// false when the row is there already (another runner applied it).
    fn insert_dirty(
        &mut self,
        row: &NewRow,
    ) -> impl Future<Output = Result<bool, ServerError>> + Send;

    /// Marks a `transaction off` row clean and sets its duration.
    fn finish_row(
        &mut self,
        id: &str,
        duration_ms: i64,
    ) -> impl Future<Output = Result<(), ServerError>> + Send;

    fn delete_row(&mut self, id: &str) -> impl Future<Output = Result<u64, ServerError>> + Send;

    fn set_dirty(&mut self, id: &str) -> impl Future<Output = Result<(), ServerError>> + Send;

    /// The statements of a body run statement by statement, cut as this
    /// database's own client would cut them.
    fn statements_of(&self, body: &str) -> Result<Vec<Statement>, SplitError> {
        Ok(split(self.dialect(), body))
    }
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

impl<'a> Body<'a> {
    fn up(rev: &'a Revision, sql: &'a Sql) -> Self {
        Body {
            revision: rev.id.as_str(),
            text: &sql.up,
            first_line: line(rev.up_line),
        }
    }

    fn down(rev: &'a Revision, down: &'a str) -> Self {
        Body {
            revision: rev.id.as_str(),
            text: down,
            first_line: rev.down_line.map_or(1, line),
        }
    }
}

/// What [`Driver::check_body`](super::Driver::check_body) answers: the
/// body is cut exactly as `apply` or `revert` would cut it, and nothing
/// else happens. A revision without a `down` section has nothing to cut.
pub(crate) fn check<S: Session>(
    s: &S,
    rev: &Revision,
    sql: &Sql,
    up: bool,
) -> Result<(), DriverError> {
    let body = match (up, sql.down.as_deref()) {
        (true, _) => Body::up(rev, sql),
        (false, Some(down)) => Body::down(rev, down),
        (false, None) => return Ok(()),
    };
    if s.dialect().wraps_in_transaction(rev.transactional) {
        return Ok(());
    }
    cut(s, rev, &body).map(|_| ())
}

pub(crate) async fn apply<S: Session>(
    s: &mut S,
    rev: &Revision,
    sql: &Sql,
    row: &NewRow,
    opts: &ApplyOptions,
) -> Result<Applied, StepError> {
    let body = Body::up(rev, sql);
    if s.dialect().wraps_in_transaction(rev.transactional) {
        return in_transaction(s, &body, opts, Bookkeeping::Insert(row)).await;
    }
    let stmts = cut(s, rev, &body).map_err(StepError::Driver)?;
    let claimed = s
        .insert_dirty(row)
        .await
        .map_err(|e| bookkeeping_error(&body, &e, false))?;
    if !claimed {
        return Ok(Applied::ByAnother);
    }
    let elapsed = statements(s, &body, &stmts, opts).await?;
    s.finish_row(body.revision, millis(elapsed))
        .await
        .map_err(|e| bookkeeping_error(&body, &e, true))?;
    Ok(Applied::Ran(elapsed))
}

pub(crate) async fn revert<S: Session>(
    s: &mut S,
    rev: &Revision,
    sql: &Sql,
    opts: &ApplyOptions,
) -> Result<Applied, StepError> {
    let Some(down) = sql.down.as_deref() else {
        return Err(StepError::Apply(ApplyError {
            revision: rev.id.to_string(),
            statement_index: None,
            statement: None,
            line: None,
            message: "the revision is irreversible: it has no `-- migrate:down` section".into(),
            dirty: false,
        }));
    };
    let body = Body::down(rev, down);
    if s.dialect().wraps_in_transaction(rev.transactional) {
        return in_transaction(s, &body, opts, Bookkeeping::Delete(body.revision)).await;
    }
    let stmts = cut(s, rev, &body).map_err(StepError::Driver)?;
    // Dirty while it runs: a crash part-way must stop later runs too.
    s.set_dirty(body.revision)
        .await
        .map_err(|e| bookkeeping_error(&body, &e, false))?;
    let outcome = statements(s, &body, &stmts, opts).await;
    let outcome = match outcome {
        Ok(elapsed) => s
            .delete_row(body.revision)
            .await
            .map(|_| Applied::Ran(elapsed))
            .map_err(|e| bookkeeping_error(&body, &e, true)),
        Err(err) => Err(err),
    };
    if outcome.is_err() {
        // Part of the down section ran: the revision is neither applied nor
        // reverted, so later runs must stop until `repair`.
        let _ = s.set_dirty(body.revision).await;
    }
    Ok(outcome?)
}

/// One transactional revision through [`Session::transaction`].
async fn in_transaction<S: Session>(
    s: &mut S,
    body: &Body<'_>,
    opts: &ApplyOptions,
    bookkeeping: Bookkeeping<'_>,
) -> Result<Applied, StepError> {
    let start = Instant::now();
    let failed = match s.transaction(body.text, opts, bookkeeping).await {
        Ok(()) => return Ok(Applied::Ran(start.elapsed())),
        Err(Stage::Taken) => return Ok(Applied::ByAnother),
        Err(Stage::Lock(e)) => return Err(StepError::Driver(e)),
        Err(Stage::Body(e)) => body_error(s.dialect(), body, &e),
        Err(Stage::Open(e) | Stage::Record(e)) => bookkeeping_error(body, &e, false),
        Err(Stage::Commit(e)) => body_error(
            s.dialect(),
            body,
            &ServerError {
                position: None,
                ..e
            },
        ),
    };
    Err(StepError::Apply(failed))
}

/// The statements of `body`, or bad input naming the file and line.
fn cut<S: Session>(s: &S, rev: &Revision, body: &Body<'_>) -> Result<Vec<Statement>, DriverError> {
    s.statements_of(body.text)
        .map_err(|e| DriverError::BadBody {
            file: rev.path.display().to_string(),
            line: body.first_line + e.line,
            message: e.to_string(),
        })
}

/// Runs each statement on its own, with session-level limits around them.
async fn statements<S: Session>(
    s: &mut S,
    body: &Body<'_>,
    stmts: &[Statement],
    opts: &ApplyOptions,
) -> Result<Duration, ApplyError> {
    let limits = s.session_limits(opts);
    let start = Instant::now();
    if let Some((set, _)) = &limits {
        s.exec(set)
            .await
            .map_err(|e| bookkeeping_error(body, &e, true))?;
    }
    let mut outcome = Ok(());
    for (index, stmt) in stmts.iter().enumerate() {
        if let Err(e) = s.exec(&stmt.text).await {
            outcome = Err(statement_error(body, index, stmt, &e));
            break;
        }
    }
    if let Some((_, reset)) = limits {
        let _ = s.exec(&reset).await;
    }
    outcome.map(|()| start.elapsed())
}

/// A failure inside a transactional body, placed by the error's position.
fn body_error(dialect: Dialect, body: &Body<'_>, err: &ServerError) -> ApplyError {
    let offset = err.position.and_then(|chars| byte_offset(body.text, chars));
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
        message: err.message.clone(),
        dirty: false,
    }
}

/// A failure of one `transaction off` statement: the row stays dirty.
fn statement_error(
    body: &Body<'_>,
    index: usize,
    stmt: &Statement,
    err: &ServerError,
) -> ApplyError {
    let within = err
        .position
        .and_then(|chars| byte_offset(&stmt.text, chars))
        .map_or(0, |off| stmt.text[..off].matches('\n').count());
    ApplyError {
        revision: body.revision.to_owned(),
        statement_index: Some(index),
        statement: Some(truncate_chars(&stmt.text, QUOTED_CHARS)),
        line: Some(body.first_line + stmt.line + within),
        message: err.message.clone(),
        dirty: true,
    }
}

fn bookkeeping_error(body: &Body<'_>, err: &ServerError, dirty: bool) -> ApplyError {
    ApplyError {
        revision: body.revision.to_owned(),
        statement_index: None,
        statement: None,
        line: None,
        message: format!("writing the version table failed: {}", err.message),
        dirty,
    }
}

/// The byte offset of the `chars`-th character of `text`, if inside it.
fn byte_offset(text: &str, chars: usize) -> Option<usize> {
    text.char_indices().nth(chars).map(|(i, _)| i)
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
        let at = text.find("bogus").map(|b| text[..b].chars().count());
        let err = ServerError {
            message: "boom".into(),
            position: at,
        };
        let e = body_error(Dialect::Postgres, &body, &err);
        assert_eq!(e.line, Some(12));
        assert_eq!(e.statement_index, Some(1));
        assert_eq!(e.statement.as_deref(), Some("SELECT bogus FROM a"));
        let far = ServerError {
            position: Some(10_000),
            ..err
        };
        let e = body_error(Dialect::Postgres, &body, &far);
        assert_eq!((e.line, e.statement_index), (None, None));
    }

    #[test]
    fn millis_saturates() {
        assert_eq!(millis(Duration::from_millis(1500)), 1500);
        assert_eq!(millis(Duration::MAX), i64::MAX);
    }
}
