//! How the PostgreSQL driver runs a revision: the primitives of
//! `driver/apply.rs`'s [`Session`].
//!
//! A transactional revision is one exchange, written at once and answered
//! in order: `BEGIN` with the run lock for this transaction and the
//! revision's limits, the claim (its version row, bound), the body (a
//! simple query, as written), its duration, `COMMIT`. After a failure the
//! server skips the rest of the aborted transaction, and `COMMIT` rolls it
//! back; which step failed is known from its own reply.

use std::time::Instant;

use futures_util::future;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::super::apply::{Bookkeeping, Session, Stage, millis};
use super::super::error::ServerError;
use super::super::{ApplyOptions, Dialect, NewRow};
use super::{Postgres, server_error, text};

impl Postgres {
    /// The start of a transaction failed: in vain for the lock, or else.
    async fn opening_failed(&mut self, e: &tokio_postgres::Error, since: Instant) -> Stage {
        if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
            Stage::Lock(self.lock_timeout(since.elapsed()).await)
        } else {
            Stage::Open(server_error(e))
        }
    }

    /// Applying: claim, body, duration, commit; one exchange.
    async fn apply_claimed(&mut self, begin: &str, body: &str, row: &NewRow) -> Result<(), Stage> {
        let start = Instant::now();
        let c = &self.client;
        let sql = &self.sql;
        let parents = row.parents_text();
        let claim = row_values(row, &parents);
        let id = [text(&row.revision)];
        // Each future writes its request when first polled, and `join5`
        // polls them in order: the requests go out in this order, at once.
        let (opened, claimed, ran, timed, committed) = future::join5(
            c.batch_execute(begin),
            c.execute_typed(&sql.insert_claim, &claim),
            c.batch_execute(body),
            c.execute_typed(&sql.set_duration, &id),
            c.batch_execute("COMMIT"),
        )
        .await;
        if let Err(e) = opened {
            return Err(self.opening_failed(&e, start).await);
        }
        match claimed {
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => return Err(Stage::Taken),
            Err(e) => return Err(Stage::Record(server_error(&e))),
            Ok(_) => {}
        }
        ran.map_err(|e| Stage::Body(server_error(&e)))?;
        timed.map_err(|e| Stage::Record(server_error(&e)))?;
        committed.map_err(|e| Stage::Commit(server_error(&e)))
    }

    /// Reverting: the row is deleted first, and the body runs only if it
    /// was there (two exchanges: `down` is not what every deploy runs).
    async fn revert_claimed(&mut self, begin: &str, body: &str, id: &str) -> Result<(), Stage> {
        let start = Instant::now();
        let c = &self.client;
        let (opened, deleted) = future::join(
            c.batch_execute(begin),
            c.execute_typed(&self.sql.delete, &[text(&id)]),
        )
        .await;
        if let Err(e) = opened {
            let _ = c.batch_execute("ROLLBACK").await;
            return Err(self.opening_failed(&e, start).await);
        }
        match deleted {
            Ok(0) => {
                let _ = c.batch_execute("ROLLBACK").await;
                return Err(Stage::Taken);
            }
            Ok(_) => {}
            Err(e) => {
                let _ = c.batch_execute("ROLLBACK").await;
                return Err(Stage::Record(server_error(&e)));
            }
        }
        let (ran, committed) = future::join(c.batch_execute(body), c.batch_execute("COMMIT")).await;
        ran.map_err(|e| Stage::Body(server_error(&e)))?;
        committed.map_err(|e| Stage::Commit(server_error(&e)))
    }

    async fn execute(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<u64, ServerError> {
        self.client
            .execute_typed(sql, params)
            .await
            .map_err(|e| server_error(&e))
    }
}

impl Session for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    async fn transaction(
        &mut self,
        body: &str,
        opts: &ApplyOptions,
        record: Bookkeeping<'_>,
    ) -> Result<(), Stage> {
        let begin = self.sql.begin_locked(opts.lock_wait, Some(opts));
        match record {
            Bookkeeping::Insert(row) => self.apply_claimed(&begin, body, row).await,
            Bookkeeping::Delete(id) => self.revert_claimed(&begin, body, id).await,
        }
    }

    async fn exec(&mut self, sql: &str) -> Result<(), ServerError> {
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| server_error(&e))
    }

    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)> {
        let (mut set, mut reset) = (String::new(), String::new());
        for (name, limit) in [
            ("lock_timeout", opts.lock_timeout),
            ("statement_timeout", opts.statement_timeout),
        ] {
            if let Some(limit) = limit {
                set.push_str(&format!("SET {name} = {};\n", millis(limit)));
                reset.push_str(&format!("RESET {name};\n"));
            }
        }
        (!set.is_empty()).then_some((set, reset))
    }

    async fn insert_dirty(&mut self, row: &NewRow) -> Result<bool, ServerError> {
        let parents = row.parents_text();
        let sql = self.sql.insert_dirty.clone();
        let inserted = self.execute(&sql, &row_values(row, &parents)).await?;
        Ok(inserted > 0)
    }

    async fn finish_row(&mut self, id: &str, duration_ms: i64) -> Result<(), ServerError> {
        let sql = self.sql.finish.clone();
        self.execute(&sql, &[text(&id), (&duration_ms, Type::INT8)])
            .await
            .map(|_| ())
    }

    async fn delete_row(&mut self, id: &str) -> Result<u64, ServerError> {
        let sql = self.sql.delete.clone();
        self.execute(&sql, &[text(&id)]).await
    }

    async fn set_dirty(&mut self, id: &str) -> Result<(), ServerError> {
        let sql = self.sql.set_dirty.clone();
        self.execute(&sql, &[text(&id)]).await.map(|_| ())
    }
}

/// The version-table row's values in the order of the claim and dirty
/// inserts' columns; `parents` is `row.parents_text()`, kept alive by the caller.
fn row_values<'a>(row: &'a NewRow, parents: &'a String) -> [(&'a (dyn ToSql + Sync), Type); 6] {
    [
        text(&row.revision),
        text(parents),
        text(&row.message),
        text(&row.checksum),
        text(&row.applied_by),
        text(&row.method),
    ]
}
