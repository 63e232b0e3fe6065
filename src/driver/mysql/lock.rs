//! The run lock: `GET_LOCK` waited for a second at a time, who holds it
//! when we give up, and `RELEASE_LOCK`.

use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Row};

use super::super::Backoff;
use super::super::error::DriverError;
use super::{Mysql, queries, sql_error};

impl Mysql {
    /// The lock's name as an operator writes it.
    fn lock_call(&self) -> String {
        let name = queries::lock_name(&self.database, &self.table.name);
        format!("GET_LOCK('{}', ...)", name.replace('\'', "''"))
    }

    /// Says who holds the lock, for a [`DriverError::LockTimeout`].
    async fn holder_hint(&mut self) -> String {
        let call = self.lock_call();
        let holder: Option<String> = sqlx::raw_sql(AssertSqlSafe(self.sql.lock_holder()))
            .fetch_optional(&mut self.conn)
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get(0).ok())
            .flatten();
        let Some(id) = holder else {
            return format!(
                "the lock `{call}` was held by another session; see which with \
                 `SELECT IS_USED_LOCK('{}')`",
                queries::lock_name(&self.database, &self.table.name).replace('\'', "''")
            );
        };
        let seen: Option<(String, String, String, String)> = sqlx::query_as(queries::HOLDER)
            .bind(&id)
            .fetch_optional(&mut self.conn)
            .await
            .ok()
            .flatten();
        let who = match seen {
            Some((user, host, command, time)) => {
                format!(" (user `{user}`, from {host}, `{command}` for {time} s)")
            }
            None => String::new(),
        };
        format!(
            "the lock `{call}` is held by connection {id}{who}; it is released when that \
             session ends; if that run is stuck, end it with `KILL {id}`"
        )
    }

    /// Waits for the lock until `timeout` has passed. `GET_LOCK` itself
    /// waits at most a second at a time, so that a dead client's wait ends
    /// soon on the server too; the last second is polled.
    pub(super) async fn wait_for_lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        let start = Instant::now();
        let deadline = start + timeout;
        let mut backoff = Backoff::lock_polling();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let seconds = u64::from(left >= Duration::from_secs(1));
            let got: Option<i64> = sqlx::raw_sql(AssertSqlSafe(self.sql.get_lock(seconds)))
                .fetch_one(&mut self.conn)
                .await
                .map_err(|e| sql_error(&e))?
                .try_get(0)
                .map_err(|e| sql_error(&e))?;
            match got {
                Some(1) => {
                    self.locked = true;
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    return Err(DriverError::Sql {
                        message: format!("`{}` failed on the server", self.lock_call()),
                    });
                }
            }
            if seconds == 0 {
                match backoff.delay(deadline) {
                    Some(delay) => tokio::time::sleep(delay).await,
                    None => {
                        return Err(DriverError::LockTimeout {
                            waited: start.elapsed(),
                            holder_hint: self.holder_hint().await,
                        });
                    }
                }
            }
        }
    }

    /// Releases the run lock, if held.
    pub(super) async fn release_lock(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        self.locked = false;
        let released: Option<i64> = sqlx::raw_sql(AssertSqlSafe(self.sql.release_lock()))
            .fetch_one(&mut self.conn)
            .await
            .map_err(|e| sql_error(&e))?
            .try_get(0)
            .map_err(|e| sql_error(&e))?;
        if released == Some(1) {
            Ok(())
        } else {
            Err(DriverError::Sql {
                message: format!(
                    "`{}` was no longer held by this session when released",
                    self.lock_call()
                ),
            })
        }
    }
}
