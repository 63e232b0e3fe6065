//! A panic is a bug. It prints one line asking for a report (where, never
//! what: the payload could quote a URL or SQL with secrets) and the process
//! exits 101, as Rust's runtime does, whichever thread or task panicked:
//! a worker thread's panic goes on in the thread that waits for it
//! (`par.rs`), a connection task's in the one that awaits it
//! (`session/open.rs`), and so reaches `main`.

/// Installs the hook that prints the one line.
pub(crate) fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let line = line(info.location().map(|l| (l.file(), l.line())));
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }));
}

/// The one line a panic prints.
fn line(location: Option<(&str, u32)>) -> String {
    let place = location
        .map(|(file, line)| format!(" at {file}:{line}"))
        .unwrap_or_default();
    format!(
        "error: migrate hit an internal error{place}; this is a bug: please report it with the command you ran\n"
    )
}

/// A panic planted for the tests that prove the above: in a debug build
/// with `MIGRATE_TEST_PANIC` set to `place` (`reader`: a thread reading
/// revision files; `task`: a connection task), it panics there. Release
/// builds have no such switch.
#[allow(clippy::panic)]
pub(crate) fn planted(place: &str) {
    if cfg!(debug_assertions) && std::env::var("MIGRATE_TEST_PANIC").is_ok_and(|v| v == place) {
        panic!("planted panic ({place})");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_prints_one_line_without_its_payload() {
        let line = line(Some(("src/engine.rs", 42)));
        assert_eq!(line.lines().count(), 1);
        assert!(line.contains("src/engine.rs:42") && line.contains("report"));
    }
}
