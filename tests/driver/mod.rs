//! The database drivers against real databases: PostgreSQL (per-test
//! database, see `harness::pg`) and SQLite (temp file).

use std::time::Duration;

use migrate::driver::{AnyDriver, Applied, ApplyError, ApplyOptions, Driver as _, StepError};

use crate::harness::{rev, row};

mod apply;
mod connect;
mod lock;
mod mysql;
mod split_mysql;
mod stamp;
mod table;
mod transaction_off;

/// No lock or statement timeout (and no wait for the run lock).
const NO_LIMITS: ApplyOptions = ApplyOptions {
    lock_wait: Duration::ZERO,
    lock_timeout: None,
    statement_timeout: None,
};

/// The failure of a step whose SQL or bookkeeping failed.
trait Failed {
    fn failed(self) -> ApplyError;
}

impl Failed for Result<Applied, StepError> {
    #[track_caller]
    fn failed(self) -> ApplyError {
        match self {
            Err(StepError::Apply(e)) => e,
            other => panic!("expected the step's SQL to fail, got {other:?}"),
        }
    }
}

/// Creates the version table on `d` and applies one revision, `a1`.
async fn apply_one(d: &mut AnyDriver) {
    d.ensure_version_table().await.unwrap();
    let a = rev("a1", "SELECT 1;", None);
    d.apply(&a, &a.sql, &row(&a), &NO_LIMITS).await.unwrap();
}
