//! The MySQL driver's SQL, and the pure decisions around it: the lock's
//! name, what the server's read-only settings mean, where a syntax error
//! points.
//!
//! Pure. The version table is always named with its database
//! (`` `app`.`_migrate_core` ``), so a revision's `USE other` cannot move
//! the bookkeeping; the lock's name travels as a hex literal, which reads
//! the same whatever the session's `sql_mode`.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use super::super::render::{create_table_sql_named, ident};
use super::super::{Dialect, VersionTable};

/// MySQL refuses `GET_LOCK` names longer than this (MariaDB does not).
const LOCK_NAME_MAX: usize = 64;

/// What the driver runs once connected: the session as the `mysql` client
/// would have it, then who and where we are. sqlx's handshake asks for
/// `IGNORE_SPACE`, which makes every built-in function name a reserved
/// word; it is taken off again unless the server's own `sql_mode` has it.
/// `SET NAMES utf8mb4`: revision files are UTF-8, and this is the one
/// character set that holds all of it.
pub(crate) const SETUP: &str = "SET SESSION sql_mode = IF(FIND_IN_SET('IGNORE_SPACE', @@GLOBAL.sql_mode) > 0, \
     @@SESSION.sql_mode, \
     TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',IGNORE_SPACE,', ','))), \
     NAMES utf8mb4;\n\
     SELECT CAST(VERSION() AS CHAR), CAST(DATABASE() AS CHAR), CAST(@@SESSION.sql_mode AS CHAR)";

/// The server's write settings, as text: `read_only` (which
/// `super_read_only` turns on too) and `innodb_read_only` (an Aurora
/// reader, a server started read-only).
const FLAGS: &str = "CAST(@@GLOBAL.read_only AS CHAR), CAST(@@GLOBAL.innodb_read_only AS CHAR)";

/// The same, true when either is on (MariaDB 11 spells `read_only` as a word).
const ANY_FLAG_ON: &str = "CAST(@@GLOBAL.read_only AS CHAR) NOT IN ('0', 'OFF') \
     OR CAST(@@GLOBAL.innodb_read_only AS CHAR) NOT IN ('0', 'OFF')";

/// Error numbers the driver acts on.
pub(crate) const ER_NO_SUCH_TABLE: u16 = 1146;
pub(crate) const ER_PARSE_ERROR: u16 = 1064;

/// The driver's statements for one version table.
#[derive(Debug)]
pub(crate) struct Queries {
    /// `` `db`.`table` ``.
    pub table: String,
    /// The lock's name as a hex literal.
    lock: String,
    pub insert_dirty: String,
    pub finish: String,
    pub delete: String,
    pub set_dirty: String,
    pub mark_applied: String,
    pub purge: String,
    pub ids: String,
    pub create: String,
}

impl Queries {
    pub(crate) fn new(database: &str, table: &VersionTable) -> Self {
        let t = qualified(database, &table.name);
        let columns = "revision, parents, message, checksum, applied_at, duration_ms, applied_by, \
                       method, dirty";
        Self {
            insert_dirty: format!(
                "INSERT INTO {t} ({columns}) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6), 0, ?, ?, true)"
            ),
            finish: format!("UPDATE {t} SET dirty = false, duration_ms = ? WHERE revision = ?"),
            delete: format!("DELETE FROM {t} WHERE revision = ?"),
            set_dirty: format!("UPDATE {t} SET dirty = true WHERE revision = ?"),
            mark_applied: format!("UPDATE {t} SET dirty = false, checksum = ? WHERE revision = ?"),
            purge: format!("DELETE FROM {t}"),
            ids: format!("SELECT CAST(revision AS CHAR) FROM {t}"),
            create: create_table_sql_named(Dialect::Mysql, &t),
            lock: hex_literal(&lock_name(database, &table.name)),
            table: t,
        }
    }

    /// A stamp of `rows` rows: one statement, six values per row.
    pub(crate) fn stamp(&self, rows: usize) -> String {
        let mut sql = format!(
            "INSERT INTO {} (revision, parents, message, checksum, applied_at, duration_ms, \
             applied_by, method, dirty) VALUES ",
            self.table
        );
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str("(?, ?, ?, ?, UTC_TIMESTAMP(6), 0, ?, ?, false)");
        }
        sql
    }

    /// The applied rows. No casts: a column of another type fails to
    /// decode, and the catalog then says which.
    pub(crate) fn select_applied(&self) -> String {
        format!(
            "SELECT revision, parents, checksum, method, dirty FROM {}",
            self.table
        )
    }

    /// What a read-only command reads: the write settings, then the rows.
    pub(crate) fn read(&self) -> String {
        format!("SELECT {FLAGS};\n{}", self.select_applied())
    }

    /// What a writing run starts with: the write settings, the lock (not
    /// waited for, and not taken on a read-only server), then the rows.
    pub(crate) fn begin_run(&self) -> String {
        format!(
            "SELECT {FLAGS}, IF({ANY_FLAG_ON}, NULL, GET_LOCK({}, 0));\n{}",
            self.lock,
            self.select_applied()
        )
    }

    /// Waits up to `seconds` for the lock: 1 when taken, 0 when not.
    pub(crate) fn get_lock(&self, seconds: u64) -> String {
        format!("SELECT GET_LOCK({}, {seconds})", self.lock)
    }

    pub(crate) fn release_lock(&self) -> String {
        format!("SELECT RELEASE_LOCK({})", self.lock)
    }

    /// The connection holding the lock, if any.
    pub(crate) fn lock_holder(&self) -> String {
        format!("SELECT CAST(IS_USED_LOCK({}) AS CHAR)", self.lock)
    }
}

/// Who holds a lock, by connection id: what the process list shows.
pub(crate) const HOLDER: &str = "SELECT CAST(user AS CHAR), CAST(host AS CHAR), \
     CAST(command AS CHAR), CAST(time AS CHAR) FROM information_schema.processlist WHERE id = ?";

/// The version table's columns, for the shape check.
pub(crate) const COLUMNS: &str = "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR) \
     FROM information_schema.columns WHERE table_schema = ? AND table_name = ?";

/// `` `db`.`name` ``.
pub(crate) fn qualified(database: &str, name: &str) -> String {
    format!(
        "{}.{}",
        ident(Dialect::Mysql, database),
        ident(Dialect::Mysql, name)
    )
}

/// The run lock's name: `migrate:` + database + `.` + version table, as
/// an operator would write it in `GET_LOCK`. A name past MySQL's 64
/// characters becomes `migrate:` and the start of its SHA-256, so that
/// MySQL and MariaDB take the same lock.
pub(crate) fn lock_name(database: &str, table: &str) -> String {
    let name = format!("migrate:{database}.{table}");
    if name.chars().count() <= LOCK_NAME_MAX {
        return name;
    }
    let digest = Sha256::digest(name.as_bytes());
    let mut short = String::from("migrate:");
    for byte in digest {
        if short.len() + 2 > LOCK_NAME_MAX {
            break;
        }
        let _ = write!(short, "{byte:02x}");
    }
    short
}

fn hex_literal(text: &str) -> String {
    let mut out = String::from("X'");
    for byte in text.bytes() {
        let _ = write!(out, "{byte:02x}");
    }
    out.push('\'');
    out
}

/// True when a server setting read as text (`0`, `1`, `OFF`, `ON`...) is on.
pub(crate) fn is_on(value: Option<&str>) -> bool {
    value.is_some_and(|v| !matches!(v.trim().to_ascii_uppercase().as_str(), "0" | "OFF" | ""))
}

/// Where a syntax error points in the text that was sent: MySQL says
/// `... near '...' at line N`, counting from the text's first line.
/// Returned as the character position of that line's start.
pub(crate) fn syntax_error_position(message: &str, sent: &str) -> Option<usize> {
    let (_, after) = message.rsplit_once(" at line ")?;
    let line: usize = after.trim().parse().ok()?;
    let mut chars = 0;
    for (i, text) in sent.split('\n').enumerate() {
        if i + 1 == line {
            return Some(chars);
        }
        chars += text.chars().count() + 1;
    }
    None
}

/// `SET SESSION` statements for a revision's limits, and their reset.
/// `lock_wait_timeout` (metadata locks, what DDL waits for) and
/// `innodb_lock_wait_timeout` (row locks) count whole seconds; MariaDB's
/// `max_statement_time` stops any statement, MySQL's `max_execution_time`
/// only a `SELECT`.
pub(crate) fn session_limits(
    mariadb: bool,
    lock_timeout: Option<std::time::Duration>,
    statement_timeout: Option<std::time::Duration>,
) -> Option<(String, String)> {
    let mut set = Vec::new();
    let mut reset = Vec::new();
    if let Some(limit) = lock_timeout {
        let seconds = limit.as_millis().div_ceil(1000).max(1);
        for name in ["lock_wait_timeout", "innodb_lock_wait_timeout"] {
            set.push(format!("{name} = {seconds}"));
            reset.push(format!("{name} = DEFAULT"));
        }
    }
    if let Some(limit) = statement_timeout {
        let millis = limit.as_millis().max(1);
        if mariadb {
            set.push(format!("max_statement_time = {}", millis as f64 / 1000.0));
            reset.push("max_statement_time = DEFAULT".to_owned());
        } else {
            set.push(format!("max_execution_time = {millis}"));
            reset.push("max_execution_time = DEFAULT".to_owned());
        }
    }
    (!set.is_empty()).then(|| {
        (
            format!("SET SESSION {}", set.join(", ")),
            format!("SET SESSION {}", reset.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_lock_is_named_after_the_database_and_the_table() {
        assert_eq!(
            lock_name("app", "_migrate_core"),
            "migrate:app._migrate_core"
        );
        let long = lock_name(&"d".repeat(64), "_migrate_core");
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("migrate:"));
        assert_ne!(long, lock_name(&"d".repeat(63), "_migrate_core"));
        let exactly = format!("migrate:{}.t", "x".repeat(54));
        assert_eq!(exactly.len(), 64);
        assert_eq!(lock_name(&"x".repeat(54), "t"), exactly);
    }

    #[test]
    fn names_are_quoted_and_the_lock_travels_as_hex() {
        let q = Queries::new("my`db", &VersionTable::new(None, "_migrate_core"));
        assert_eq!(q.table, "`my``db`.`_migrate_core`");
        // "migrate:my`db._migrate_core"
        assert!(
            q.get_lock(1)
                .starts_with("SELECT GET_LOCK(X'6d6967726174653a6d7960")
        );
        assert!(
            q.create
                .starts_with("CREATE TABLE IF NOT EXISTS `my``db`.`_migrate_core` (")
        );
        assert_eq!(
            q.stamp(2)
                .matches("(?, ?, ?, ?, UTC_TIMESTAMP(6), 0, ?, ?, false)")
                .count(),
            2
        );
    }

    #[test]
    fn read_only_settings_in_every_spelling() {
        assert!(is_on(Some("1")) && is_on(Some("ON")) && is_on(Some("NO_LOCK")));
        assert!(!is_on(Some("0")) && !is_on(Some("OFF")) && !is_on(None));
    }

    #[test]
    fn a_syntax_error_points_at_its_line() {
        let sent = "INSERT INTO t\nVALUES (1,\n  oops";
        let msg =
            "You have an error in your SQL syntax; check the manual ... near 'oops' at line 3";
        assert_eq!(syntax_error_position(msg, sent), Some(25));
        assert_eq!(&sent[25..], "  oops");
        assert_eq!(syntax_error_position("near 'x' at line 9", sent), None);
        assert_eq!(syntax_error_position("Table 't' doesn't exist", sent), None);
    }

    #[test]
    fn limits_map_to_session_variables_and_reset() {
        assert_eq!(session_limits(true, None, None), None);
        let (set, reset) = session_limits(
            true,
            Some(Duration::from_millis(1500)),
            Some(Duration::from_millis(250)),
        )
        .unwrap();
        assert_eq!(
            set,
            "SET SESSION lock_wait_timeout = 2, innodb_lock_wait_timeout = 2, max_statement_time = 0.25"
        );
        assert!(reset.contains("max_statement_time = DEFAULT"));
        let (set, _) = session_limits(false, None, Some(Duration::from_secs(3))).unwrap();
        assert_eq!(set, "SET SESSION max_execution_time = 3000");
    }
}
