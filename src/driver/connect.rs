//! Opening a driver from a URL: the `--wait` retry loop and [`AnyDriver`].
//!
//! I/O (connects, sleeps).

use std::future::Future;
use std::time::{Duration, Instant};

use super::{
    Applied, ApplyOptions, Backoff, Dialect, Driver, DriverError, Mysql, NewRow, Postgres, Read,
    Sqlite, StepError, VersionTable, connect_mysql, connect_postgres, connect_sqlite,
};
use crate::revision::{Revision, Sql};
use crate::url::DbUrl;

/// The longest one connection attempt may take when `wait` is shorter, so
/// that a silent host (packets dropped) does not hang the run.
const MIN_ATTEMPT: Duration = Duration::from_secs(10);

/// Runs `attempt` until it succeeds, fails with a non-retryable error, or
/// `wait` has passed (then the last error is returned). Retries back off
/// from 50 ms to 1 s.
pub(crate) async fn retry<T, F, Fut>(wait: Duration, mut attempt: F) -> Result<T, DriverError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DriverError>>,
{
    let start = Instant::now();
    let deadline = start + wait;
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(1));
    loop {
        let limit = deadline
            .saturating_duration_since(Instant::now())
            .max(MIN_ATTEMPT);
        let err = match tokio::time::timeout(limit, attempt()).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(err)) if err.is_retryable() => err,
            Ok(Err(err)) => return Err(err),
            Err(_) => DriverError::Unreachable {
                message: format!("no answer within {}", crate::human::duration(limit)),
            },
        };
        match backoff.delay(deadline) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return Err(gave_up(err, start.elapsed(), wait)),
        }
    }
}

/// Says how long we kept trying, when we did.
fn gave_up(err: DriverError, tried: Duration, wait: Duration) -> DriverError {
    match err {
        DriverError::Unreachable { message } if !wait.is_zero() => DriverError::Unreachable {
            message: format!(
                "{message} (kept trying for {})",
                crate::human::duration(tried)
            ),
        },
        other => other,
    }
}

/// Any driver, for callers that pick one at run time.
#[derive(Debug)]
pub enum AnyDriver {
    Postgres(Postgres),
    Sqlite(Sqlite),
    Mysql(Mysql),
}

/// Opens the driver for `url`'s database: the one place a URL's dialect
/// picks a driver. `create` is passed to [`connect_sqlite`].
///
/// # Errors
/// As [`connect_postgres`], [`connect_sqlite`] and [`connect_mysql`].
pub async fn connect(
    url: &DbUrl,
    table: VersionTable,
    wait: Duration,
    create: bool,
) -> Result<AnyDriver, DriverError> {
    let at = url.connect_url();
    match url.kind() {
        Dialect::Postgres => connect_postgres(at, table, wait)
            .await
            .map(AnyDriver::Postgres),
        Dialect::Sqlite => connect_sqlite(at, table, wait, create)
            .await
            .map(AnyDriver::Sqlite),
        Dialect::Mysql => connect_mysql(at, table, wait).await.map(AnyDriver::Mysql),
    }
}

/// Forwards a call to whichever driver is inside.
macro_rules! each {
    ($self:ident, $d:ident => $call:expr) => {
        match $self {
            AnyDriver::Postgres($d) => $call,
            AnyDriver::Sqlite($d) => $call,
            AnyDriver::Mysql($d) => $call,
        }
    };
}

impl Driver for AnyDriver {
    fn dialect(&self) -> Dialect {
        each!(self, d => d.dialect())
    }

    fn version_table(&self) -> &VersionTable {
        each!(self, d => d.version_table())
    }

    async fn lock(&mut self, timeout: Duration) -> Result<(), DriverError> {
        each!(self, d => d.lock(timeout).await)
    }

    async fn unlock(&mut self) -> Result<(), DriverError> {
        each!(self, d => d.unlock().await)
    }

    async fn read(&mut self) -> Result<Read, DriverError> {
        each!(self, d => d.read().await)
    }

    async fn begin_run(&mut self, timeout: Duration) -> Result<Read, DriverError> {
        each!(self, d => d.begin_run(timeout).await)
    }

    async fn alembic_heads(&mut self, table: &str) -> Result<Option<Vec<String>>, DriverError> {
        each!(self, d => d.alembic_heads(table).await)
    }

    async fn ensure_version_table(&mut self) -> Result<(), DriverError> {
        each!(self, d => d.ensure_version_table().await)
    }

    async fn apply(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        row: &NewRow,
        opts: &ApplyOptions,
    ) -> Result<Applied, StepError> {
        each!(self, d => d.apply(rev, sql, row, opts).await)
    }

    fn check_body(&self, rev: &Revision, sql: &Sql, up: bool) -> Result<(), DriverError> {
        each!(self, d => d.check_body(rev, sql, up))
    }

    async fn revert(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        opts: &ApplyOptions,
    ) -> Result<Applied, StepError> {
        each!(self, d => d.revert(rev, sql, opts).await)
    }

    async fn insert_rows(&mut self, rows: &[NewRow], purge: bool) -> Result<u64, DriverError> {
        each!(self, d => d.insert_rows(rows, purge).await)
    }

    async fn delete_row(&mut self, id: &str) -> Result<bool, DriverError> {
        each!(self, d => d.delete_row(id).await)
    }

    async fn mark_applied(&mut self, id: &str, checksum: &str) -> Result<bool, DriverError> {
        each!(self, d => d.mark_applied(id, checksum).await)
    }

    async fn close(self) -> Result<(), DriverError> {
        each!(self, d => d.close().await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn retry_stops_at_once_on_a_rejection() {
        let mut calls = 0;
        let start = Instant::now();
        let r: Result<(), _> = retry(Duration::from_secs(5), || {
            calls += 1;
            async {
                Err(DriverError::Rejected {
                    message: "bad password".into(),
                })
            }
        })
        .await;
        assert!(matches!(r, Err(DriverError::Rejected { .. })));
        assert_eq!(calls, 1);
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn retry_keeps_trying_until_the_deadline_then_says_so() {
        let mut calls = 0;
        let start = Instant::now();
        let r: Result<(), _> = retry(Duration::from_millis(300), || {
            calls += 1;
            async {
                Err(DriverError::Unreachable {
                    message: "refused".into(),
                })
            }
        })
        .await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_secs(2),
            "{took:?}"
        );
        assert!(calls >= 3, "{calls}");
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("refused (kept trying for"), "{msg}");
    }

    #[tokio::test]
    async fn retry_returns_the_first_success() {
        let mut calls = 0;
        let r = retry(Duration::from_secs(5), || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(DriverError::Unreachable {
                        message: "starting up".into(),
                    })
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
    }
}
