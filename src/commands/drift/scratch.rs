//! Where `verify --schema` builds the schema of the applied revisions: a
//! database it creates on the database's own server and always drops, an
//! empty shadow database it is given and empties again, or (SQLite) a
//! temporary file it deletes.
//!
//! I/O. Clean-up is owed from the moment the scratch may exist: a
//! [`Cleanup`] is armed before `CREATE DATABASE` is sent and does its work
//! when dropped unless [`Scratch::finish`] did it first, so an error, a
//! panic or SIGINT/SIGTERM (on which `lib.rs` drops the whole run) still
//! drops the database. A drop cannot wait for anything, so it does the work
//! on a thread of its own, over a connection of its own, and waits for it.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, Result};
use sha2::{Digest, Sha256};

use crate::driver::{self, AnyDriver, Dialect, Driver as _, VersionTable};
use crate::exit::Fail;
use crate::url::DbUrl;

/// The longest a clean-up may take before it gives up and says what is left.
const CLEANUP_LIMIT: Duration = Duration::from_secs(20);

/// A scratch database, open.
pub(super) struct Scratch {
    pub conn: Option<AnyDriver>,
    /// Its URL (a SQLite file's for the catalog read).
    pub url: DbUrl,
    /// As shown to the user: a database name, a redacted URL or a path.
    pub shown: String,
    /// What the user should know about how it was made.
    pub notes: Vec<String>,
    cleanup: Cleanup,
}

/// What is owed once the scratch database is done with.
#[derive(Debug)]
enum Cleanup {
    /// Nothing (done already, or nothing was made).
    Done,
    /// Drop database `name` over `admin`'s server.
    DropDatabase { admin: DbUrl, name: String },
    /// Empty the shadow database at `url`.
    Empty { url: DbUrl },
    /// Delete the SQLite file and what SQLite keeps beside it.
    DeleteFile { path: PathBuf },
}

impl Scratch {
    /// A new scratch database for database `db` (connected as `conn`, at
    /// `url`), or the shadow database at `shadow` after checking it is
    /// empty and is not `db` itself.
    ///
    /// # Errors
    /// The server refused to create one; the shadow is unusable (exit 2).
    pub(super) async fn open(
        db: &str,
        conn: &AnyDriver,
        url: &DbUrl,
        shadow: Option<DbUrl>,
        wait: Duration,
    ) -> Result<Self> {
        let table = conn.version_table().clone();
        match (conn, shadow) {
            (AnyDriver::Sqlite(_), Some(_)) => Err(Fail::bad_input(format!(
                "database `{db}`: a shadow database is for PostgreSQL; SQLite builds its schema in a temporary file"
            ))
            .hint("leave out `--shadow-url` (and `shadow_url_env`) for this database")
            .into()),
            (AnyDriver::Sqlite(_), None) => Self::file(db, table, wait).await,
            (AnyDriver::Postgres(pg), None) => Self::database(db, pg, url, table, wait).await,
            (AnyDriver::Postgres(pg), Some(shadow)) => {
                Self::shadow(db, pg, shadow, table, wait).await
            }
            (AnyDriver::Mysql(_), _) => Err(crate::exit::Internal::new(
                "verify --schema reached a scratch database for MySQL",
            )
            .into()),
        }
    }

    async fn database(
        db: &str,
        admin: &driver::Postgres,
        url: &DbUrl,
        table: VersionTable,
        wait: Duration,
    ) -> Result<Self> {
        let name = scratch_name(db);
        let at = || format!("database `{db}`: cannot create the scratch database `{name}`");
        // Owed from here on: a signal may end the run while the database
        // is being created.
        let mut scratch = Scratch {
            conn: None,
            url: with_database(url, &name)?,
            shown: name.clone(),
            notes: Vec::new(),
            cleanup: Cleanup::DropDatabase {
                admin: url.clone(),
                name: name.clone(),
            },
        };
        match admin.create_database(&name).await {
            Ok(notes) => scratch.notes = notes,
            Err(e) => {
                // Not made, so not ours to drop (even under that name).
                scratch.cleanup = Cleanup::Done;
                return Err(anyhow::Error::new(e).context(Fail::failed(at()).hint(
                    "a role without the CREATEDB privilege cannot make one: name an empty \
                     database to build the schema in instead, with `--shadow-url URL` or \
                     `shadow_url_env` in migrate.toml",
                )));
            }
        }
        let conn = driver::connect(&scratch.url, table, wait, false).await;
        scratch.connected(db, conn)
    }

    async fn shadow(
        db: &str,
        pg: &driver::Postgres,
        url: DbUrl,
        table: VersionTable,
        wait: Duration,
    ) -> Result<Self> {
        let shown = url.redacted().to_string();
        let at = format!("database `{db}`: the shadow database {shown}");
        if url.kind() != Dialect::Postgres {
            return Err(
                Fail::bad_input(format!("{at} is not a PostgreSQL database"))
                    .hint("a shadow database must be of the same kind as the database")
                    .into(),
            );
        }
        let conn = driver::connect(&url, table, wait, false)
            .await
            .with_context(|| format!("{at} cannot be reached"))?;
        let checked = check_shadow(&at, pg, &conn).await;
        if let Err(e) = checked {
            crate::session::close_all(vec![conn]).await;
            return Err(e);
        }
        Ok(Scratch {
            conn: Some(conn),
            url: url.clone(),
            shown,
            notes: Vec::new(),
            cleanup: Cleanup::Empty { url },
        })
    }

    async fn file(db: &str, table: VersionTable, wait: Duration) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("{}.db", scratch_name(db)));
        let url = DbUrl::parse(
            &format!("sqlite://{}", path.display()),
            &std::env::temp_dir(),
        )?;
        let cleanup = Cleanup::DeleteFile { path: path.clone() };
        let conn = driver::connect(&url, table, wait, true).await;
        let scratch = Scratch {
            conn: None,
            url,
            shown: path.display().to_string(),
            notes: Vec::new(),
            cleanup,
        };
        scratch.connected(db, conn)
    }

    fn connected(mut self, db: &str, conn: Result<AnyDriver, driver::DriverError>) -> Result<Self> {
        match conn {
            Ok(conn) => {
                self.conn = Some(conn);
                Ok(self)
            }
            Err(e) => Err(anyhow::Error::new(e).context(format!(
                "database `{db}`: cannot connect to the scratch database `{}`",
                self.shown
            ))),
        }
    }

    /// The open connection (a bug if called after [`Scratch::finish`]).
    pub(super) fn conn(&mut self) -> Result<&mut AnyDriver> {
        self.conn
            .as_mut()
            .ok_or_else(|| crate::exit::Internal::new("the scratch database is closed").into())
    }

    /// Closes the scratch database and drops, empties or deletes it over
    /// `admin` (the database's own connection); a clean-up that fails here
    /// is tried once more on a connection of its own.
    pub(super) async fn finish(mut self, admin: &AnyDriver) {
        let emptied = match (&self.cleanup, self.conn.as_ref()) {
            (Cleanup::Empty { .. }, Some(AnyDriver::Postgres(shadow))) => {
                shadow.empty_database().await.is_ok()
            }
            _ => false,
        };
        if let Some(conn) = self.conn.take() {
            crate::session::close_all(vec![conn]).await;
        }
        let done = match (&self.cleanup, admin) {
            (Cleanup::DropDatabase { name, .. }, AnyDriver::Postgres(pg)) => {
                pg.drop_database(name, false).await.is_ok()
            }
            (Cleanup::Empty { .. }, _) => emptied,
            _ => false,
        };
        if done {
            self.cleanup = Cleanup::Done;
        }
        // Anything left (a file, or a drop that failed) is done on drop.
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::Done);
        if matches!(cleanup, Cleanup::Done) {
            return;
        }
        // The connection goes first: a scratch database in use cannot be dropped.
        drop(self.conn.take());
        let what = cleanup.what();
        let outcome = std::thread::spawn(move || clean_up_now(&cleanup)).join();
        let failed = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => format!("{what}: {e:#}"),
            Err(_) => format!("{what}: the clean-up panicked"),
        };
        let _ = writeln!(std::io::stderr(), "warning: {failed}");
    }
}

impl Cleanup {
    /// What was to be done and how to do it by hand, for a warning.
    fn what(&self) -> String {
        match self {
            Cleanup::Done => String::new(),
            Cleanup::DropDatabase { name, admin, .. } => format!(
                "the scratch database `{name}` on {} could not be dropped; drop it with `DROP DATABASE \"{name}\"`",
                admin.redacted()
            ),
            Cleanup::Empty { url } => format!(
                "the shadow database {} could not be emptied; `verify --schema` refuses it until it is empty",
                url.redacted()
            ),
            Cleanup::DeleteFile { path } => {
                format!("the scratch file `{}` could not be deleted", path.display())
            }
        }
    }
}

/// Does `cleanup` at once, blocking this thread: on a runtime of its own
/// (the run's may be going away) and a connection of its own.
fn clean_up_now(cleanup: &Cleanup) -> Result<()> {
    if let Cleanup::DeleteFile { path } = cleanup {
        return delete_file(path);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        tokio::time::timeout(CLEANUP_LIMIT, clean_up_over_the_wire(cleanup))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within {CLEANUP_LIMIT:?}")))
    })
}

async fn clean_up_over_the_wire(cleanup: &Cleanup) -> Result<()> {
    let (url, table) = match cleanup {
        Cleanup::DropDatabase { admin, .. } => (admin, VersionTable::new(None, "_migrate")),
        Cleanup::Empty { url } => (url, VersionTable::new(None, "_migrate")),
        Cleanup::Done | Cleanup::DeleteFile { .. } => return Ok(()),
    };
    let conn = driver::connect(url, table, Duration::ZERO, false).await?;
    let result = match (&conn, cleanup) {
        (AnyDriver::Postgres(pg), Cleanup::DropDatabase { name, .. }) => {
            pg.drop_database(name, true).await
        }
        (AnyDriver::Postgres(pg), Cleanup::Empty { .. }) => pg.empty_database().await,
        _ => Ok(()),
    };
    crate::session::close_all(vec![conn]).await;
    Ok(result?)
}

fn delete_file(path: &std::path::Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        match std::fs::remove_file(&name) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses a shadow database that is the database itself, or not empty.
async fn check_shadow(at: &str, pg: &driver::Postgres, shadow: &AnyDriver) -> Result<()> {
    let AnyDriver::Postgres(shadow_pg) = shadow else {
        return Err(Fail::bad_input(format!("{at} is not a PostgreSQL database")).into());
    };
    if pg.identity().await? == shadow_pg.identity().await? {
        return Err(Fail::bad_input(format!("{at} is the database itself"))
            .hint("name an empty database of its own; it is emptied after each use")
            .into());
    }
    let catalog = shadow_pg.read_catalog().await?;
    let objects = catalog.user_objects();
    if let Some((id, object)) = objects.first() {
        return Err(Fail::bad_input(format!(
            "{at} is not empty: it holds {} object{} (the first: {} {})",
            objects.len(),
            if objects.len() == 1 { "" } else { "s" },
            id.kind,
            object.name
        ))
        .hint("a shadow database must be empty; drop what is in it, or name another one")
        .into());
    }
    Ok(())
}

/// `migrate_scratch_<db>_<12 hex digits>`, at most 63 bytes.
pub(super) fn scratch_name(db: &str) -> String {
    let prefix: String = db.chars().take(34).collect();
    format!("migrate_scratch_{prefix}_{}", random_hex())
}

/// Twelve hex digits no other run will pick: a hash of the process, the
/// time and a counter (not a secret, only a name).
fn random_hex() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let digest = Sha256::digest(format!("{}:{now}:{n}", std::process::id()).as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &DbUrl, name: &str) -> Result<DbUrl> {
    let mut parsed = url::Url::parse(url.connect_url())
        .map_err(|_| crate::exit::Internal::new("a parsed PostgreSQL URL no longer parses"))?;
    parsed.set_path(&format!("/{name}"));
    let kept: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != "dbname")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(DbUrl::parse(parsed.as_str(), std::path::Path::new("/"))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_names_fit_postgres_and_differ() {
        let long = "a".repeat(60);
        let name = scratch_name(&long);
        assert!(name.len() <= 63, "{name}");
        assert!(scratch_name("core").starts_with("migrate_scratch_core_"));
        assert_ne!(scratch_name("core"), scratch_name("core"));
        assert_eq!(
            scratch_name("core").len(),
            "migrate_scratch_core_".len() + 12
        );
    }

    #[test]
    fn the_scratch_url_names_the_scratch_database_and_keeps_the_rest() {
        let url = DbUrl::parse(
            "postgresql+asyncpg://app:s3cret@db.example:6543/core?sslmode=require&dbname=core",
            std::path::Path::new("/"),
        )
        .unwrap();
        let scratch = with_database(&url, "migrate_scratch_core_0011").unwrap();
        let shown = scratch.redacted().to_string();
        assert!(
            shown.contains("db.example:6543/migrate_scratch_core_0011"),
            "{shown}"
        );
        assert!(scratch.connect_url().contains("sslmode=require"));
        assert!(!scratch.connect_url().contains("dbname"));
        assert_eq!(scratch.password(), Some("s3cret"));
        assert!(!shown.contains("s3cret"));
    }
}
