//! The session lock, for the runs that need one (a `transaction off`
//! revision has no transaction to lock), and the check that comes first: is
//! this connection a session of its own, or a transaction pooler's?
//!
//! Behind a transaction pooler a session lock would stay on whichever
//! server connection took it, which the pooler then hands to other
//! clients: the lock outlives the run and blocks every later one until the
//! pooler recycles that connection. So before taking it, the connection is
//! probed by what the server shows, never by host names: two connections
//! of this run take turns asking which server process serves them
//! (`pg_backend_pid()`) and reading back a setting each made for its own
//! session. On a session of its own each connection keeps its process and
//! its setting; behind a pooler a connection finds another's process, or a
//! process change, or its setting gone. Once the lock is taken,
//! `pg_locks` must show it held by this session's process, and unlocking
//! must find it held; otherwise the run stops.

use std::time::{Duration, Instant};

use tokio_postgres::types::Type;

use super::super::Backoff;
use super::super::error::DriverError;
use super::{Postgres, queries, sql_error, text};

/// Turns each connection takes: enough for PgBouncer's most-recent-first
/// reuse of server connections to show itself on the first turns, and
/// for a round-robin pool to come round on a small pool.
const TURNS: usize = 8;

impl Postgres {
    pub(super) async fn lock_session(&mut self, timeout: Duration) -> Result<(), DriverError> {
        if self.locked {
            return Ok(());
        }
        if let Some(evidence) = self.pooler_evidence().await? {
            return Err(DriverError::Pooled { evidence });
        }
        let start = Instant::now();
        let mut backoff = Backoff::lock_polling();
        while !self.try_lock().await? {
            match backoff.delay(start + timeout) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(self.lock_timeout(start.elapsed()).await),
            }
        }
        self.locked = true;
        if !self.holds_lock_here().await? {
            let _ = self.unlock_session().await;
            return Err(DriverError::Pooled {
                evidence:
                    "the session lock it took is not held by the server process now serving it"
                        .to_owned(),
            });
        }
        Ok(())
    }

    pub(super) async fn unlock_session(&mut self) -> Result<(), DriverError> {
        if !self.locked {
            return Ok(());
        }
        let key = self.key.value();
        let released: bool = self
            .client
            .query_typed_one(queries::UNLOCK, &[(&key, Type::INT8)])
            .await
            .map_err(|e| sql_error(&e))?
            .get(0);
        self.locked = false;
        if released {
            Ok(())
        } else {
            Err(DriverError::Pooled {
                evidence: format!(
                    "the session lock `pg_advisory_lock({key})` was not held by the server \
                     process serving the unlock"
                ),
            })
        }
    }

    async fn try_lock(&mut self) -> Result<bool, DriverError> {
        let key = self.key.value();
        let row = self
            .client
            .query_typed_one(queries::TRY_LOCK, &[(&key, Type::INT8)])
            .await
            .map_err(|e| sql_error(&e))?;
        Ok(row.get(0))
    }

    async fn holds_lock_here(&mut self) -> Result<bool, DriverError> {
        let (high, low) = queries::key_halves(self.key.value());
        let row = self
            .client
            .query_typed_one(
                queries::HELD_HERE,
                &[(&high, Type::INT8), (&low, Type::INT8)],
            )
            .await
            .map_err(|e| sql_error(&e))?;
        Ok(row.get(0))
    }

    /// What shows that this connection is a transaction pooler's, if
    /// anything does (see the module's documentation).
    async fn pooler_evidence(&mut self) -> Result<Option<String>, DriverError> {
        let (other, connection) = self.endpoint.connect().await?;
        let mut mine = Turns::new("this connection");
        let mut theirs = Turns::new("a second connection of this run");
        let mut found = None;
        for _ in 0..TURNS {
            found = mine.take(&self.client).await?;
            if found.is_none() {
                found = theirs.take(&other).await?;
            }
            if found.is_none() {
                found = mine
                    .shared_with(&theirs)
                    .or_else(|| theirs.shared_with(&mine));
            }
            if found.is_some() {
                break;
            }
        }
        drop(other);
        let _ = connection.await;
        Ok(found)
    }
}

/// What one probing connection has seen.
struct Turns {
    who: &'static str,
    token: String,
    pids: Vec<i32>,
    set: bool,
}

impl Turns {
    fn new(who: &'static str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Self {
            who,
            token: format!("{who} {} {nanos}", std::process::id()),
            pids: Vec::new(),
            set: false,
        }
    }

    /// One transaction: which process serves it, and whether the setting
    /// made in the last one is still there.
    async fn take(
        &mut self,
        client: &tokio_postgres::Client,
    ) -> Result<Option<String>, DriverError> {
        let row = client
            .query_typed_one(queries::PROBE, &[text(&self.token)])
            .await
            .map_err(|e| sql_error(&e))?;
        let (pid, seen): (i32, String) = (row.get(0), row.get(1));
        let evidence = if self.set && seen != self.token {
            Some(format!(
                "a setting {} made for its session was gone in its next transaction",
                self.who
            ))
        } else if self.pids.last().is_some_and(|&last| last != pid) {
            Some(format!(
                "{} was served by server process {} and then by {pid}",
                self.who,
                self.pids.last().copied().unwrap_or_default()
            ))
        } else {
            None
        };
        self.pids.push(pid);
        self.set = true;
        Ok(evidence)
    }

    /// A server process that served both connections.
    fn shared_with(&self, other: &Turns) -> Option<String> {
        self.pids
            .iter()
            .find(|p| other.pids.contains(p))
            .map(|pid| {
                format!(
                    "{} and {} were both served by server process {pid}",
                    self.who, other.who
                )
            })
    }
}
