//! Which database engine a URL names and a driver speaks: one enum for the
//! URL parser, the drivers and the SQL renderer, so that a new engine is
//! added in one place.
//!
//! Pure.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dialect {
    Postgres,
    Sqlite,
    /// MySQL and MariaDB.
    Mysql,
}

impl Dialect {
    /// The engine's name as users write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Sqlite => "SQLite",
            Self::Mysql => "MySQL",
        }
    }

    /// False when the engine commits each DDL statement by itself (MySQL):
    /// a transaction cannot hold a revision there, so every revision runs
    /// statement by statement, recorded dirty until its last one is done.
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Self::Mysql)
    }

    /// Whether a revision (`transaction` line on or off) runs inside one
    /// transaction on this engine: never on MySQL, whatever the file says.
    pub fn wraps_in_transaction(self, transactional: bool) -> bool {
        transactional && self.transactional_ddl()
    }

    /// Why a value cannot be stored in this engine's text columns, if it
    /// cannot: PostgreSQL's `text` holds no NUL character, and binding one
    /// fails (SQLite stores it as written).
    pub fn refuses_text(self, value: &str) -> Option<&'static str> {
        match self {
            Self::Postgres | Self::Mysql if value.contains('\0') => {
                Some("it holds a NUL character, which PostgreSQL and MySQL cannot store in text")
            }
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_stores_a_nul() {
        assert!(Dialect::Postgres.refuses_text("a\0b").is_some());
        assert!(Dialect::Sqlite.refuses_text("a\0b").is_none());
        assert!(Dialect::Postgres.refuses_text("it's \\ ü").is_none());
    }

    #[test]
    fn only_mysql_commits_ddl_by_itself() {
        assert!(Dialect::Postgres.transactional_ddl() && Dialect::Sqlite.transactional_ddl());
        assert!(!Dialect::Mysql.transactional_ddl());
    }
}
