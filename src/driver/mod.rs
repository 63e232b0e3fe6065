//! Database drivers: the version table, the run lock and running revisions (docs/reference.md, "The version table").
//!
//! This file is pure: the shared types, the [`LockKey`] derivation and the
//! [`Driver`] trait the engine is generic over. The submodules do the I/O:
//! [`postgres`] (tokio-postgres), [`mysql`] and [`sqlite`] (sqlx) talk to a database
//! over one dedicated connection each (never a pool, since a session lock
//! lives on its connection), `apply` is how every driver runs a revision,
//! [`connect`] opens them with retries, [`render`] writes the SQL `migrate
//! sql` prints, [`split`] cuts `transaction off` bodies into statements.

mod apply;
pub(crate) mod catalog;
pub mod connect;
pub mod error;
pub mod mysql;
pub mod postgres;
pub mod render;
mod shape;
pub mod split;
pub mod split_mysql;
pub mod sqlite;

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::revision::{RecordedChecksum, Revision, Sql};
use crate::state::AppliedRow;

pub use connect::{AnyDriver, connect};
pub use error::{ApplyError, DriverError};
pub use mysql::{Mysql, connect_mysql};
pub use postgres::{Postgres, connect_postgres};
pub use render::{quote_ident, render_apply_sql, render_create_table_sql, render_revert_sql};
pub use sqlite::{Sqlite, connect_sqlite};

pub use crate::dialect::Dialect;

/// Where the version table lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionTable {
    /// PostgreSQL schema; `None` means `public` (ignored on SQLite).
    pub schema: Option<String>,
    pub name: String,
}

impl VersionTable {
    pub fn new(schema: Option<&str>, name: &str) -> Self {
        Self {
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
        }
    }

    /// The PostgreSQL schema actually used: the configured one, else `public`.
    pub fn schema_or_public(&self) -> &str {
        self.schema.as_deref().unwrap_or("public")
    }

    /// The key of the run lock for this table.
    pub fn lock_key(&self) -> LockKey {
        LockKey::derive(self.schema.as_deref(), &self.name)
    }
}

/// The run lock's identity (docs/reference.md, "The version table"): an advisory-lock key on PostgreSQL, a
/// `GET_LOCK` name on MySQL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LockKey {
    value: i64,
    text: String,
}

impl LockKey {
    /// The first 8 bytes of SHA-256(`"migrate:" + schema + "." + table`) read
    /// as a big-endian `i64`; schema `public` when `None`. Fixed by the spec
    /// so that an operator can take the same lock with `pg_advisory_lock`.
    pub fn derive(schema: Option<&str>, table: &str) -> Self {
        let text = format!("migrate:{}.{table}", schema.unwrap_or("public"));
        let digest = Sha256::digest(text.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        Self {
            value: i64::from_be_bytes(first),
            text,
        }
    }

    /// The key for `pg_advisory_lock`.
    pub fn value(&self) -> i64 {
        self.value
    }

    /// The string that was hashed (`migrate:public._migrate_core`), used as
    /// the MySQL `GET_LOCK` name.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for LockKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)
    }
}

/// The five columns of a row that reads select, borrowed from the row as
/// received: only the id and the parents are copied. `method` is selected
/// so that a table without it is refused as foreign by every command, and
/// not kept: the engine does not need it.
pub(crate) type AppliedTuple<'r, B> = (&'r str, &'r str, &'r str, &'r str, B);

pub(crate) fn applied_row<B>(t: AppliedTuple<'_, B>, is_dirty: impl Fn(B) -> bool) -> AppliedRow {
    let (revision, parents, checksum, _method, dirty) = t;
    AppliedRow {
        revision: revision.into(),
        parents: parents.into(),
        checksum: RecordedChecksum::parse(checksum),
        dirty: is_dirty(dirty),
    }
}

/// Rows read one by one, without the spare room of the last doubling:
/// shrinking in place costs nothing, and with tens of thousands of rows
/// that room is megabytes held while the revision files are read.
pub(crate) fn trimmed(mut rows: Vec<AppliedRow>) -> Vec<AppliedRow> {
    rows.shrink_to_fit();
    rows
}

/// A row to write; the driver adds `applied_at`, `duration_ms` and `dirty`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRow {
    pub revision: String,
    pub parents: Vec<String>,
    pub message: String,
    pub checksum: String,
    pub applied_by: String,
    /// `up` or `stamp`.
    pub method: String,
}

impl NewRow {
    /// The row that records `rev` (`method` is `up` or `stamp`).
    pub fn recording(rev: &Revision, method: &str, applied_by: &str) -> Self {
        NewRow {
            revision: rev.id.to_string(),
            parents: rev.parents.iter().map(ToString::to_string).collect(),
            message: rev.message.clone(),
            checksum: rev.checksum.to_string(),
            applied_by: applied_by.to_owned(),
            method: method.to_owned(),
        }
    }

    /// The `parents` column: ids separated by one space.
    pub fn parents_text(&self) -> String {
        self.parents.join(" ")
    }
}

/// What the server allows, as a writing command must know before it locks
/// anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    Writable,
    /// A hot standby (in recovery): it may become writable after a failover.
    Standby,
    /// A primary that accepts no writes (`default_transaction_read_only`).
    ReadOnly,
}

/// What a command reads first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// The applied rows; `None` when the version table does not exist.
    pub rows: Option<Vec<AppliedRow>>,
    pub server: Server,
    /// True when the run lock is held from now on (see [`Driver::begin_run`]).
    pub locked: bool,
}

/// What became of a revision a run set out to apply or revert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// It ran, for this long, and committed.
    Ran(Duration),
    /// Another runner had done it first: nothing ran.
    ByAnother,
}

/// Why a revision did not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// Its SQL or its bookkeeping failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// The lock was not taken in time, or the connection failed.
    #[error(transparent)]
    Driver(#[from] DriverError),
}

/// Per-revision limits and waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// How long to wait for the run lock, where a driver takes it per
    /// transaction (PostgreSQL); zero waits not at all.
    pub lock_wait: Duration,
    /// PostgreSQL `lock_timeout`: how long one statement may wait for a
    /// table lock.
    pub lock_timeout: Option<Duration>,
    /// PostgreSQL `statement_timeout`: how long one statement may run.
    pub statement_timeout: Option<Duration>,
}

/// One database connection that can run migrations.
///
/// Methods return `impl Future + Send` so that per-database engines can be
/// spawned; the implementations are `async fn`s.
pub trait Driver: Send {
    fn dialect(&self) -> Dialect;

    fn version_table(&self) -> &VersionTable;

    /// The applied rows (what the engine needs of each: revision, parents,
    /// checksum, dirty; in no particular order) and what the server
    /// allows, without any lock, never creating the version table
    /// (read-only commands rely on that). Rows are decoded as they arrive:
    /// this read is most of the cost of an `up` with nothing to do.
    ///
    /// # Errors
    /// [`DriverError::TableShape`] when the table lacks a column or has one
    /// of another type (a table made by another tool).
    fn read(&mut self) -> impl Future<Output = Result<Read, DriverError>> + Send;

    /// The start of a writing run: [`Driver::read`], after taking the lock
    /// this driver holds for a whole run if it holds one (SQLite's lock
    /// file). PostgreSQL takes none here: each of its writes runs in a
    /// transaction that takes the lock for itself, so a run with nothing to
    /// do costs one round trip and locks nothing. `timeout` is how long a
    /// lock may be waited for.
    ///
    /// # Errors
    /// As [`Driver::read`] and [`Driver::lock`]. On an error the lock may be
    /// held: [`Driver::unlock`] it.
    fn begin_run(
        &mut self,
        timeout: Duration,
    ) -> impl Future<Output = Result<Read, DriverError>> + Send;

    /// Takes the run lock for the rest of the run, waiting at most
    /// `timeout`: what a `transaction off` revision needs, since it has no
    /// transaction to lock. PostgreSQL first makes sure the connection is a
    /// session of its own, not a transaction pooler's (a session lock there
    /// would be stranded on a server connection the pooler hands to
    /// others), and then that the lock is held by its own session.
    ///
    /// # Errors
    /// [`DriverError::LockTimeout`] when another session holds it that long;
    /// [`DriverError::Pooled`] behind a transaction pooler.
    fn lock(&mut self, timeout: Duration) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Releases the run lock, if held.
    fn unlock(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// The rows of Alembic's version table `table` (in the version table's
    /// schema on PostgreSQL): Alembic's applied heads, or `None` when there
    /// is no such table. Only ever read.
    fn alembic_heads(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Option<Vec<String>>, DriverError>> + Send;

    /// Creates the version table (and its PostgreSQL schema) when missing;
    /// checks an existing one's whole shape.
    fn ensure_version_table(&mut self) -> impl Future<Output = Result<(), DriverError>> + Send;

    /// Runs `sql.up` and records `row`, unless another runner recorded it
    /// first.
    ///
    /// A transactional revision and its row commit together or not at all; a
    /// `transaction off` revision is recorded dirty first, run statement by
    /// statement, then marked clean.
    fn apply(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        row: &NewRow,
        opts: &ApplyOptions,
    ) -> impl Future<Output = Result<Applied, StepError>> + Send;

    /// Whether `apply` (`up`) or `revert` could cut the revision's body
    /// into statements: what `--dry-run` checks, without running anything.
    /// Only a body run statement by statement is cut, and only MySQL's
    /// cutting can fail (an unterminated quote).
    ///
    /// # Errors
    /// [`DriverError::BadBody`], with the file and line.
    fn check_body(&self, rev: &Revision, sql: &Sql, up: bool) -> Result<(), DriverError>;

    /// Runs `sql.down` and deletes the revision's row, in one transaction
    /// unless the revision is `transaction off`; unless another runner
    /// reverted it first.
    fn revert(
        &mut self,
        rev: &Revision,
        sql: &Sql,
        opts: &ApplyOptions,
    ) -> impl Future<Output = Result<Applied, StepError>> + Send;

    /// Records rows without running SQL (stamp), in one transaction; `purge`
    /// empties the table first. Rows already present are kept. Returns how
    /// many rows were added.
    fn insert_rows(
        &mut self,
        rows: &[NewRow],
        purge: bool,
    ) -> impl Future<Output = Result<u64, DriverError>> + Send;

    /// Deletes one row (`repair --forget`); false when there was none.
    fn delete_row(&mut self, id: &str) -> impl Future<Output = Result<bool, DriverError>> + Send;

    /// Marks a row clean with the file's checksum (`repair --applied`);
    /// false when there was no such row.
    fn mark_applied(
        &mut self,
        id: &str,
        checksum: &str,
    ) -> impl Future<Output = Result<bool, DriverError>> + Send;

    /// Releases the lock and closes the connection.
    fn close(self) -> impl Future<Output = Result<(), DriverError>> + Send
    where
        Self: Sized;
}

/// Polling delays: 10 ms doubling up to 500 ms, never past a deadline.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self { next: first, max }
    }

    /// The lock-polling schedule of the spec: 10 ms doubling to 500 ms.
    pub(crate) fn lock_polling() -> Self {
        Self::new(Duration::from_millis(10), Duration::from_millis(500))
    }

    /// How long to sleep before the next try, or `None` once `deadline` has
    /// passed. The last sleep ends exactly at the deadline, so there is
    /// always one try at the deadline itself.
    pub(crate) fn delay(&mut self, deadline: Instant) -> Option<Duration> {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        let delay = self.next.min(left);
        self.next = (self.next * 2).min(self.max);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_matches_a_hand_computed_value() {
        // printf 'migrate:public._migrate_core' | sha256sum
        //   -> dca751b1dd85e516 d1076ab0ad5711165ac26bd07bc7c2e78041eaea6baad00e
        // 0xdca751b1dd85e516 as a signed 64-bit integer:
        let key = LockKey::derive(None, "_migrate_core");
        assert_eq!(key.value(), -2_546_977_239_887_125_226);
        assert_eq!(key.value() as u64, 0xdca7_51b1_dd85_e516);
        assert_eq!(key.text(), "migrate:public._migrate_core");
        assert_eq!(key.to_string(), "-2546977239887125226");
    }

    #[test]
    fn lock_key_uses_the_schema_and_defaults_to_public() {
        assert_eq!(
            LockKey::derive(Some("public"), "_migrate_core"),
            LockKey::derive(None, "_migrate_core")
        );
        let other = LockKey::derive(Some("app"), "_migrate_core");
        assert_eq!(other.text(), "migrate:app._migrate_core");
        assert_ne!(
            other.value(),
            LockKey::derive(None, "_migrate_core").value()
        );
        assert_eq!(
            VersionTable::new(Some("app"), "_migrate_core").lock_key(),
            other
        );
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_stops_at_the_deadline() {
        let mut b = Backoff::lock_polling();
        let far = Instant::now() + Duration::from_secs(3600);
        let delays: Vec<u64> = (0..8)
            .filter_map(|_| b.delay(far))
            .map(|d| d.as_millis() as u64)
            .collect();
        assert_eq!(delays, [10, 20, 40, 80, 160, 320, 500, 500]);
        assert_eq!(Backoff::lock_polling().delay(Instant::now()), None);
        let near = Instant::now() + Duration::from_millis(5);
        let d = Backoff::lock_polling().delay(near).unwrap();
        assert!(d <= Duration::from_millis(5));
    }

    #[test]
    fn parents_text_is_space_separated() {
        let row = NewRow {
            revision: "c".into(),
            parents: vec!["a".into(), "b".into()],
            message: String::new(),
            checksum: String::new(),
            applied_by: String::new(),
            method: "up".into(),
        };
        assert_eq!(row.parents_text(), "a b");
    }
}
