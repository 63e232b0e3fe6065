//! What `verify --schema` needs of a PostgreSQL connection: the catalog
//! read as plain data, scratch databases made and dropped, a shadow
//! database checked and emptied.
//!
//! I/O. The catalog is read in one statement inside a read-only
//! transaction (one round trip), so nothing can be written on the way.

mod sql;

use futures_util::future;
use tokio_postgres::types::{ToSql, Type};

use super::{Postgres, server_error, sql_error, text};
use crate::drift::{Catalog, RawObject};
use crate::driver::{DriverError, quote_ident};

impl Postgres {
    /// Every object the drift report compares, leaving out the version
    /// table and an `alembic_version` beside it.
    ///
    /// # Errors
    /// The server's error, or a row the model does not know (a bug).
    pub(crate) async fn read_catalog(&self) -> Result<Catalog, DriverError> {
        let schema = self.table.schema_or_public().to_owned();
        let left_out = vec![self.table.name.clone(), "alembic_version".to_owned()];
        let params: [(&(dyn ToSql + Sync), Type); 2] =
            [text(&schema), (&left_out, Type::TEXT_ARRAY)];
        let c = &self.client;
        let (opened, rows, closed) = future::join3(
            c.batch_execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL search_path = pg_catalog",
            ),
            c.query_typed(sql::CATALOG, &params),
            c.batch_execute("COMMIT"),
        )
        .await;
        opened.map_err(|e| sql_error(&e))?;
        let rows = rows.map_err(|e| sql_error(&e))?;
        closed.map_err(|e| sql_error(&e))?;
        let raw = rows
            .iter()
            .map(|row| {
                let pairs: Vec<Option<String>> = row.try_get(4)?;
                Ok(RawObject {
                    kind: row.try_get(0)?,
                    parent: row.try_get(1)?,
                    table: row.try_get(2)?,
                    name: row.try_get(3)?,
                    key: None,
                    attrs: attribute_pairs(pairs),
                })
            })
            .collect::<Result<Vec<_>, tokio_postgres::Error>>()
            .map_err(|e| sql_error(&e))?;
        Catalog::from_raw(raw).map_err(|message| DriverError::Sql { message })
    }

    /// Which database on which server this connection reaches.
    pub(crate) async fn identity(&self) -> Result<String, DriverError> {
        let row = self
            .client
            .query_typed_one(sql::IDENTITY, &[])
            .await
            .map_err(|e| sql_error(&e))?;
        Ok(row.get(0))
    }

    /// Creates database `name` on this server with this database's own
    /// settings (`ALTER DATABASE ... SET`). A setting the role may not give
    /// is skipped: the returned notes say which.
    ///
    /// # Errors
    /// The server's error for `CREATE DATABASE` (e.g. no `CREATEDB`); once
    /// that succeeded, nothing is an error.
    pub(crate) async fn create_database(&self, name: &str) -> Result<Vec<String>, DriverError> {
        let quoted = quote_ident(name);
        self.client
            .batch_execute(&create_statement(name))
            .await
            .map_err(|e| sql_error(&e))?;
        // It exists from here on: whatever fails now is a note, so the
        // caller still drops it.
        let settings = match self.client.query_typed(sql::DATABASE_SETTINGS, &[]).await {
            Ok(rows) => rows,
            Err(e) => {
                return Ok(vec![format!(
                    "the database's own settings could not be read, so the scratch database has none: {}",
                    server_error(&e).message
                )]);
            }
        };
        let mut notes = Vec::new();
        for row in settings {
            let setting: String = row.get(0);
            let Some((param, _)) = setting.split_once('=') else {
                continue;
            };
            let param: Vec<String> = param.split('.').map(quote_ident).collect();
            let param = param.join(".");
            let alter = format!("ALTER DATABASE {quoted} SET {param} FROM CURRENT");
            if let Err(e) = self.client.batch_execute(&alter).await {
                notes.push(format!(
                    "the database setting `{setting}` could not be given to the scratch database: {}",
                    server_error(&e).message
                ));
            }
        }
        Ok(notes)
    }

    /// Drops database `name`, ending its sessions; nothing when it does
    /// not exist. With `cut_short`, a session still running its `CREATE
    /// DATABASE` is ended first (a run cut short by a signal leaves it
    /// running on the server, and it would finish after the drop).
    ///
    /// # Errors
    /// The server's error.
    pub(crate) async fn drop_database(
        &self,
        name: &str,
        cut_short: bool,
    ) -> Result<(), DriverError> {
        if cut_short {
            self.end_creator(name).await?;
        }
        let quoted = quote_ident(name);
        let forced = self
            .client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
            .await;
        match forced {
            Ok(()) => Ok(()),
            // Before PostgreSQL 13 there is no FORCE; the scratch
            // database's own connection is closed by then.
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::SYNTAX_ERROR) => self
                .client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted}"))
                .await
                .map_err(|e| sql_error(&e)),
            Err(e) => Err(sql_error(&e)),
        }
    }

    /// Ends the session creating database `name`, if one is, and waits
    /// until it is gone (at most ten seconds).
    async fn end_creator(&self, name: &str) -> Result<(), DriverError> {
        let statement = create_statement(name);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let rows = self
                .client
                .query_typed(sql::END_CREATOR, &[text(&statement)])
                .await
                .map_err(|e| sql_error(&e))?;
            if rows.is_empty() || std::time::Instant::now() > deadline {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Empties this (shadow) database: what a new database has is all
    /// that is left (see `sql::EMPTY`).
    ///
    /// # Errors
    /// The server's error (e.g. the role does not own `public`).
    pub(crate) async fn empty_database(&self) -> Result<(), DriverError> {
        self.client
            .batch_execute(sql::EMPTY)
            .await
            .map_err(|e| sql_error(&e))
    }
}

/// The one statement that creates database `name`, as `pg_stat_activity`
/// shows it while it runs.
fn create_statement(name: &str) -> String {
    format!("CREATE DATABASE {}", quote_ident(name))
}

/// `[name, value, name, value, ...]` as pairs.
fn attribute_pairs(flat: Vec<Option<String>>) -> Vec<(String, Option<String>)> {
    let mut out = Vec::with_capacity(flat.len() / 2);
    let mut items = flat.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        out.push((name.unwrap_or_default(), value));
    }
    out
}
