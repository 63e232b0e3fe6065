//! The PostgreSQL driver's statements. Those naming the version table are
//! built once per connection, the name quoted by
//! [`quote_ident`](super::super::quote_ident); every value is a parameter.

use std::time::Duration;

use super::super::apply::millis;
use super::super::render::{INSERT_COLUMNS, table_name};
use super::super::{ApplyOptions, Dialect, LockKey, VersionTable};

/// The version table's columns and their catalog type names.
pub(super) const COLUMNS: &str = "SELECT a.attname::text, t.typname::text \
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
    WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped";

/// Who holds an advisory lock: `pg_locks` splits the 64-bit key in two.
pub(super) const HOLDER: &str = "SELECT l.pid, coalesce(a.application_name, ''), \
    coalesce(a.usename::text, ''), coalesce(a.client_addr::text, 'local socket') \
    FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
    AND l.classid::bigint = $1 AND l.objid::bigint = $2 LIMIT 1";

/// Whether this session holds the advisory lock (halves as in [`HOLDER`]).
pub(super) const HELD_HERE: &str = "SELECT EXISTS (SELECT 1 FROM pg_locks \
    WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND pid = pg_backend_pid() \
    AND classid::bigint = $1 AND objid::bigint = $2)";

/// What the server allows: a standby is in recovery; a read-only primary
/// has `transaction_read_only` on.
pub(super) const SERVER: &str =
    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'";

pub(super) const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";
pub(super) const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";
pub(super) const SCHEMA_EXISTS: &str = "SELECT to_regnamespace($1) IS NOT NULL";

/// The backend serving this transaction, and what this connection set
/// for itself in an earlier one (see `probe.rs`).
pub(super) const PROBE: &str = "SELECT pg_backend_pid(), \
    coalesce(current_setting('migrate.session_probe', true), ''), \
    set_config('migrate.session_probe', $1, false)";

/// `pg_locks` shows an advisory key as two unsigned 32-bit halves.
pub(super) fn key_halves(key: i64) -> (i64, i64) {
    (i64::from((key >> 32) as u32), i64::from(key as u32))
}

/// Statements naming the version table.
#[derive(Debug)]
pub(super) struct Queries {
    pub name: String,
    key: i64,
    /// A transactional revision's claim: its row, before its body runs, so
    /// that a row another runner committed stops it (a unique violation).
    pub insert_claim: String,
    /// After the body: how long it ran, from the claim to now.
    pub set_duration: String,
    /// The row of a `transaction off` revision, written before it runs.
    pub insert_dirty: String,
    pub finish: String,
    pub delete: String,
    pub set_dirty: String,
    pub mark_applied: String,
    pub purge: String,
    pub stamp: String,
    pub select_applied: String,
}

impl Queries {
    pub(super) fn new(table: &VersionTable, key: &LockKey) -> Self {
        let t = table_name(Dialect::Postgres, table);
        Self {
            key: key.value(),
            insert_claim: format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}, applied_at) \
                 VALUES ($1, $2, $3, $4, 0, $5, $6, false, clock_timestamp())"
            ),
            set_duration: format!(
                "UPDATE {t} SET duration_ms = \
                 (extract(epoch FROM clock_timestamp() - applied_at) * 1000)::bigint \
                 WHERE revision = $1"
            ),
            insert_dirty: format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6, true) \
                 ON CONFLICT (revision) DO NOTHING"
            ),
            finish: format!("UPDATE {t} SET dirty = false, duration_ms = $2 WHERE revision = $1"),
            delete: format!("DELETE FROM {t} WHERE revision = $1"),
            set_dirty: format!("UPDATE {t} SET dirty = true WHERE revision = $1"),
            mark_applied: format!(
                "UPDATE {t} SET dirty = false, checksum = $2 WHERE revision = $1"
            ),
            purge: format!("DELETE FROM {t}"),
            // One statement for any number of rows: arrays, unnested.
            stamp: format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) SELECT r, p, m, c, 0, b, k, false \
                 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
                 AS u(r, p, m, c, b, k) ON CONFLICT (revision) DO NOTHING"
            ),
            // No ORDER BY: the engine keys rows by id, and sorting by
            // `revision` under the database's collation costs more than the
            // rest of the read. No casts either: a column of another type
            // must fail to decode.
            select_applied: format!(
                "SELECT revision, coalesce(parents, ''), coalesce(checksum, ''), \
                 coalesce(method, ''), coalesce(dirty, false) FROM {t}"
            ),
            name: t,
        }
    }

    /// `BEGIN`, then the run lock for this transaction, waiting at most
    /// `wait` (SQLSTATE 55P03 past that), then the revision's own limits
    /// (`opts`), or the session's when it sets none. One simple query; the
    /// key is ours, not the user's, so it is written as a number.
    pub(super) fn begin_locked(&self, wait: Duration, opts: Option<&ApplyOptions>) -> String {
        let key = self.key;
        let wait = millis(wait).max(1);
        let mut sql = format!(
            "BEGIN; SET LOCAL lock_timeout = {wait}; SELECT pg_advisory_xact_lock({key}); "
        );
        match opts.and_then(|o| o.lock_timeout) {
            Some(limit) => sql.push_str(&format!("SET LOCAL lock_timeout = {};", millis(limit))),
            None => sql.push_str("SET LOCAL lock_timeout = DEFAULT;"),
        }
        if let Some(limit) = opts.and_then(|o| o.statement_timeout) {
            sql.push_str(&format!(
                " SET LOCAL statement_timeout = {};",
                millis(limit)
            ));
        }
        sql
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_waits_for_the_lock_then_sets_the_revision_limits() {
        let table = VersionTable::new(None, "_migrate_core");
        let q = Queries::new(&table, &table.lock_key());
        let key = table.lock_key().value();
        let opts = ApplyOptions {
            lock_wait: Duration::ZERO,
            lock_timeout: Some(Duration::from_secs(5)),
            statement_timeout: Some(Duration::from_secs(60)),
        };
        assert_eq!(
            q.begin_locked(Duration::from_secs(2), Some(&opts)),
            format!(
                "BEGIN; SET LOCAL lock_timeout = 2000; SELECT pg_advisory_xact_lock({key}); \
                 SET LOCAL lock_timeout = 5000; SET LOCAL statement_timeout = 60000;"
            )
        );
        // No wait at all is a 1 ms wait: 0 would mean wait for ever.
        assert!(
            q.begin_locked(Duration::ZERO, None)
                .contains("lock_timeout = 1;")
        );
        assert!(
            q.begin_locked(Duration::ZERO, None)
                .ends_with("lock_timeout = DEFAULT;")
        );
    }

    #[test]
    fn key_halves_are_what_pg_locks_shows() {
        // 0xdca751b1dd85e516: classid 0xdca751b1, objid 0xdd85e516.
        let key = LockKey::derive(None, "_migrate_core").value();
        assert_eq!(key_halves(key), (0xdca7_51b1, 0xdd85_e516));
    }
}
