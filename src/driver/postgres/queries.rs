//! The PostgreSQL driver's statements. Those naming the version table are
//! built once per connection, the name quoted by
//! [`quote_ident`](super::super::quote_ident); every value is a parameter.

use super::super::render::{INSERT_COLUMNS, table_name};
use super::super::{Dialect, VersionTable};

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

pub(super) const TRY_LOCK: &str = "SELECT pg_try_advisory_lock($1)";
pub(super) const UNLOCK: &str = "SELECT pg_advisory_unlock($1)";
pub(super) const SCHEMA_EXISTS: &str = "SELECT to_regnamespace($1) IS NOT NULL";

/// Statements naming the version table.
#[derive(Debug)]
pub(super) struct Queries {
    pub name: String,
    /// The row of a transactional revision, sent before its body has run:
    /// the server measures `duration_ms`, from the transaction's start to
    /// this statement.
    pub insert_timed: String,
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
    pub(super) fn new(table: &VersionTable) -> Self {
        let t = table_name(Dialect::Postgres, table);
        Self {
            insert_timed: format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, \
                 (extract(epoch FROM clock_timestamp() - now()) * 1000)::bigint, $5, $6, false)"
            ),
            insert_dirty: format!(
                "INSERT INTO {t} ({INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6, true)"
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
}
