//! How the MySQL driver runs a revision: the primitives of
//! `driver/apply.rs`'s [`Session`]. Every revision takes the
//! statement-by-statement path there (MySQL commits DDL by itself), so a
//! transaction is never asked for.

use sqlx::AssertSqlSafe;

use super::super::apply::{Bookkeeping, Session, Stage};
use super::super::error::ServerError;
use super::super::split::Statement;
use super::super::split_mysql::{SplitError, split_mysql_with};
use super::super::{ApplyOptions, Dialect, NewRow};
use super::{Mysql, queries, server_error};

impl Session for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    async fn transaction(
        &mut self,
        _body: &str,
        _opts: &ApplyOptions,
        _record: Bookkeeping<'_>,
    ) -> Result<(), Stage> {
        Err(Stage::Open(ServerError::new(
            "MySQL commits each DDL statement by itself, so its revisions run statement by \
             statement, never in one transaction",
        )))
    }

    async fn exec(&mut self, sql: &str) -> Result<(), ServerError> {
        // A statement between custom delimiters may hold several (`INSERT
        // ...; INSERT ...`): the connection allows multi-statements, and the
        // server stops at the first that fails, as with the `mysql` client.
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned()))
            .execute(&mut self.conn)
            .await
            .map(|_| ())
            .map_err(|e| server_error(&e, Some(sql)))
    }

    fn session_limits(&self, opts: &ApplyOptions) -> Option<(String, String)> {
        queries::session_limits(self.mariadb, opts.lock_timeout, opts.statement_timeout)
    }

    async fn insert_dirty(&mut self, row: &NewRow) -> Result<bool, ServerError> {
        let inserted = sqlx::query(AssertSqlSafe(self.sql.insert_dirty.clone()))
            .bind(&row.revision)
            .bind(row.parents_text())
            .bind(&row.message)
            .bind(&row.checksum)
            .bind(&row.applied_by)
            .bind(&row.method)
            .execute(&mut self.conn)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_database_error()
                    .is_some_and(sqlx::error::DatabaseError::is_unique_violation) =>
            {
                Ok(false)
            }
            Err(e) => Err(server_error(&e, None)),
        }
    }

    async fn finish_row(&mut self, id: &str, duration_ms: i64) -> Result<(), ServerError> {
        sqlx::query(AssertSqlSafe(self.sql.finish.clone()))
            .bind(duration_ms)
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
            .map_err(|e| server_error(&e, None))
    }

    async fn delete_row(&mut self, id: &str) -> Result<u64, ServerError> {
        sqlx::query(AssertSqlSafe(self.sql.delete.clone()))
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(|e| server_error(&e, None))
    }

    async fn set_dirty(&mut self, id: &str) -> Result<(), ServerError> {
        sqlx::query(AssertSqlSafe(self.sql.set_dirty.clone()))
            .bind(id)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
            .map_err(|e| server_error(&e, None))
    }

    fn statements_of(&self, body: &str) -> Result<Vec<Statement>, SplitError> {
        split_mysql_with(body, self.mode)
    }
}
