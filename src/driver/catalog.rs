//! Reading a database's schema for the drift report (`verify --schema`),
//! whichever the engine: PostgreSQL reads its catalog over the open
//! connection (`postgres::catalog`); SQLite reads `sqlite_master` and
//! `pragma_table_xinfo` over a read-only connection of its own.
//!
//! I/O.

use std::str::FromStr;

use futures_util::TryStreamExt as _;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, Row as _, SqliteConnection};

use super::error::{self, DriverError};
use super::{AnyDriver, Driver as _, VersionTable};
use crate::drift::sqlite_sql::{name_key, normalise};
use crate::drift::{Catalog, RawObject};
use crate::url::DbUrl;

/// The schema of the database `d` is connected to (`url` is its URL).
///
/// # Errors
/// The database's error.
pub(crate) async fn read_catalog(d: &AnyDriver, url: &DbUrl) -> Result<Catalog, DriverError> {
    match d {
        AnyDriver::Postgres(pg) => pg.read_catalog().await,
        AnyDriver::Sqlite(_) => read_sqlite(url, d.version_table()).await,
        // `verify --schema` refuses MySQL before it reads anything.
        AnyDriver::Mysql(_) => Err(DriverError::Rejected {
            message: "the drift report does not read MySQL schemas".into(),
        }),
    }
}

/// Every table, index, view and trigger (SQLite's own `sqlite_*` objects,
/// the version table and `alembic_version` left out), each with its
/// `CREATE` statement normalised, and each table's columns. A file that
/// does not exist is an empty schema; nothing is ever created.
async fn read_sqlite(url: &DbUrl, table: &VersionTable) -> Result<Catalog, DriverError> {
    if url.is_memory() || url.sqlite_path().is_some_and(|p| !p.exists()) {
        return Ok(Catalog::default());
    }
    let rejected = |e: sqlx::Error| DriverError::Rejected {
        message: error::from_sqlx(&e).message,
    };
    let options = SqliteConnectOptions::from_str(url.connect_url())
        .map_err(rejected)?
        .create_if_missing(false)
        .read_only(true);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(rejected)?;
    let read = read_objects(&mut conn, table).await;
    let _ = conn.close().await;
    Catalog::from_raw(read.map_err(|e| error::sql(&e))?)
        .map_err(|message| DriverError::Sql { message })
}

const OBJECTS: &str = "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master \
    WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND type IN ('table', 'index', 'view', 'trigger')";

const COLUMNS: &str = "SELECT m.name, x.name, x.type, x.\"notnull\", x.dflt_value, x.pk, x.hidden \
    FROM sqlite_master m JOIN pragma_table_xinfo(m.name) x \
    WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";

async fn read_objects(
    conn: &mut SqliteConnection,
    table: &VersionTable,
) -> Result<Vec<RawObject>, sqlx::Error> {
    let left_out = [name_key(&table.name), name_key("alembic_version")];
    let kept = |name: &str| !left_out.contains(&name_key(name));
    let mut out = Vec::new();
    let mut rows = sqlx::raw_sql(OBJECTS).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let (kind, name, on, sql): (String, String, String, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        if !kept(&on) {
            continue;
        }
        let parent = (kind != "table" && kind != "view").then(|| name_key(&on));
        out.push(RawObject {
            kind,
            table: None,
            key: Some(name_key(&name)),
            name,
            parent,
            attrs: vec![("definition".to_owned(), Some(normalise(&sql)))],
        });
    }
    drop(rows);
    let mut rows = sqlx::raw_sql(COLUMNS).fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        let on: String = row.try_get(0)?;
        if !kept(&on) {
            continue;
        }
        let column: String = row.try_get(1)?;
        let (notnull, pk, hidden): (i64, i64, i64) =
            (row.try_get(3)?, row.try_get(5)?, row.try_get(6)?);
        out.push(RawObject {
            kind: "column".to_owned(),
            parent: Some(name_key(&on)),
            table: None,
            key: Some(name_key(&column)),
            name: column,
            attrs: vec![
                ("type".to_owned(), Some(row.try_get::<String, _>(2)?)),
                (
                    "nullable".to_owned(),
                    Some(if notnull == 0 { "yes" } else { "no" }.to_owned()),
                ),
                ("default".to_owned(), row.try_get::<Option<String>, _>(4)?),
                ("primary key".to_owned(), (pk > 0).then(|| pk.to_string())),
                ("generated".to_owned(), generated(hidden)),
            ],
        });
    }
    Ok(out)
}

/// `pragma_table_xinfo`'s `hidden`: 2 a virtual generated column, 3 a
/// stored one (1 is a hidden column of a virtual table).
fn generated(hidden: i64) -> Option<String> {
    match hidden {
        2 => Some("virtual".to_owned()),
        3 => Some("stored".to_owned()),
        _ => None,
    }
}
