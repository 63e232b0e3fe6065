//! The database drivers against real databases: PostgreSQL (per-test
//! database, see `harness::pg`) and SQLite (temp file).

mod apply;
mod connect;
mod lock;
mod stamp;
mod table;
mod transaction_off;
