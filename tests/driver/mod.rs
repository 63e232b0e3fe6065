//! The database drivers against real databases: PostgreSQL (per-test
//! database, see `harness::pg`) and SQLite (temp file).

use migrate::driver::{AnyDriver, ApplyOptions, Driver as _};

use crate::harness::{rev, row};

mod apply;
mod connect;
mod lock;
mod split_mysql;
mod stamp;
mod table;
mod transaction_off;

/// No lock or statement timeout.
const NO_LIMITS: ApplyOptions = ApplyOptions {
    lock_timeout: None,
    statement_timeout: None,
};

/// Creates the version table on `d` and applies one revision, `a1`.
async fn apply_one(d: &mut AnyDriver) {
    d.ensure_version_table().await.unwrap();
    let a = rev("a1", "SELECT 1;", None);
    d.apply(&a, &a.sql, &row(&a), &NO_LIMITS).await.unwrap();
}
