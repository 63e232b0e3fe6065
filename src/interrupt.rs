//! SIGINT/SIGTERM: what was running when the run was interrupted.
//!
//! The engine registers each revision while it runs. On a signal the whole
//! run is dropped: connections close, so the server rolls back the open
//! transaction and ends the session, which frees the advisory lock; a
//! revision that runs outside a transaction (`transaction off`, and every
//! MySQL revision) keeps its dirty row (docs/reference.md, "The version table"). What was in
//! flight is then reported, so the user knows which revision to look at.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Revisions running right now, by database.
static IN_FLIGHT: Mutex<BTreeMap<String, InFlight>> = Mutex::new(BTreeMap::new());

/// A revision that was running on a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InFlight {
    pub revision: String,
    pub transactional: bool,
    /// `apply` or `revert`.
    pub verb: &'static str,
}

/// Records that `db` is running `revision`.
pub(crate) fn begin(db: &str, flight: InFlight) {
    if let Ok(mut map) = IN_FLIGHT.lock() {
        map.insert(db.to_owned(), flight);
    }
}

/// Records that `db` finished its revision (or stopped).
pub(crate) fn end(db: &str) {
    if let Ok(mut map) = IN_FLIGHT.lock() {
        map.remove(db);
    }
}

/// What was running, sorted by database.
pub(crate) fn in_flight() -> Vec<(String, InFlight)> {
    IN_FLIGHT
        .lock()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Resolves with the signal's name when SIGINT or SIGTERM arrives.
pub(crate) async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The message for an interrupted run: which revisions were cut short and
/// what state they are in.
pub(crate) fn message(signal: &str) -> String {
    let flights = in_flight();
    if flights.is_empty() {
        return format!(
            "interrupted by {signal}; no revision was running, so nothing was left half-done"
        );
    }
    let lines: Vec<String> = flights
        .iter()
        .map(|(db, f)| {
            if f.transactional {
                format!("database `{db}`: revision `{}` was interrupted during {}; its transaction is rolled back", f.revision, f.verb)
            } else {
                format!(
                    "database `{db}`: revision `{}` was interrupted during {}; it ran outside a transaction \
                     and is recorded dirty: {}",
                    f.revision,
                    f.verb,
                    crate::state::repair_advice(db, &f.revision)
                )
            }
        })
        .collect();
    format!("interrupted by {signal}:\n  {}", lines.join("\n  "))
}

/// What to do next after an interrupted run: run again, unless a revision
/// was left dirty (the message names its repair command).
pub(crate) fn next_step() -> Option<&'static str> {
    in_flight()
        .iter()
        .all(|(_, f)| f.transactional)
        .then_some("run the same command again to finish")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_what_was_running() {
        begin(
            "zz_test_db",
            InFlight {
                revision: "abc".into(),
                transactional: false,
                verb: "apply",
            },
        );
        let msg = message("SIGTERM");
        assert!(
            msg.contains("`abc`") && msg.contains("dirty") && msg.contains("repair zz_test_db abc")
        );
        assert_eq!(next_step(), None, "a dirty revision is repaired, not rerun");
        end("zz_test_db");
        assert!(!in_flight().iter().any(|(db, _)| db == "zz_test_db"));
    }
}
