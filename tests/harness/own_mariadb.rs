//! A MariaDB server of a test's own, for what cannot be done on the shared
//! one without disturbing the tests running beside it: a server made
//! read-only, a server with a TLS certificate. Started by the project's own
//! `scripts/lib/mariadb.sh` (as `scripts/with-services.sh` starts the
//! shared one) in a temp folder, and stopped when dropped.

#![allow(dead_code)] // not every test file uses every helper

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::topology::{MYSQL, server_url};

/// A running server; stopped (SIGKILL: its data is thrown away) on drop.
pub struct OwnMariadb {
    root: TempDir,
    /// `mysql://own:PASSWORD@127.0.0.1:PORT/`, a user who may do anything.
    pub admin_url: String,
}

fn lib() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join("lib")
}

fn bash(script: &str) -> std::process::Output {
    Command::new("bash")
        .args(["-c", script])
        .output()
        .expect("run bash")
}

impl OwnMariadb {
    /// Starts a server with extra `mariadbd` options; `None` when server
    /// tests are skipped (as for the shared server, whose variable decides).
    /// `files` are written into the root folder first (readable by the
    /// server's user), and `{root}` in an option names that folder.
    pub fn start(options: &[&str], files: &[(&str, &[u8])]) -> Option<Self> {
        server_url(MYSQL, "a MySQL or MariaDB server")?;
        let root = tempfile::Builder::new()
            .prefix("migrate-own-mariadb-")
            .tempdir()
            .unwrap();
        let at = root.path().display().to_string();
        for (name, bytes) in files {
            std::fs::write(root.path().join(name), bytes).unwrap();
        }
        // The server's user passes through the root and reads the files.
        bash(&format!(
            "chmod 711 '{at}' && chmod 644 '{at}'/* 2>/dev/null; true"
        ));
        let password = random_hex();
        let options: Vec<String> = options.iter().map(|o| o.replace("{root}", &at)).collect();
        let out = bash(&format!(
            "set -euo pipefail; source '{lib}/common.sh'; source '{lib}/mariadb.sh'; \
             svc_ensure_user \"$MARIADB_USER\" /nonexistent; mkdir '{at}/server'; \
             MARIADB_EXTRA_OPTS='{opts}' mariadb_start '{at}/server' own '{password}'",
            lib = lib().display(),
            opts = options.join(" "),
        ));
        let port =
            std::fs::read_to_string(root.path().join("server").join("port")).unwrap_or_default();
        let server = Self {
            admin_url: format!("mysql://own:{password}@127.0.0.1:{}/", port.trim()),
            root,
        };
        assert!(
            out.status.success() && !port.trim().is_empty(),
            "could not start a MariaDB server of the test's own:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Some(server)
    }

    /// The root folder (where `files` were written).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The URL of database `name` (created by [`OwnMariadb::create`]).
    pub fn url(&self, name: &str) -> String {
        super::topology::with_database(&self.admin_url, name)
    }

    /// Runs `sql` as the administrator with the `mariadb` client.
    pub fn admin(&self, sql: &str) -> String {
        let url = url::Url::parse(&self.admin_url).unwrap();
        let out = Command::new("mariadb")
            .args([
                "--no-defaults",
                "--host=127.0.0.1",
                &format!("--port={}", url.port().unwrap()),
                "--user=own",
                &format!("--password={}", url.password().unwrap()),
                "--batch",
                "--skip-column-names",
                "-e",
                sql,
            ])
            .output()
            .expect("run the mariadb client");
        assert!(
            out.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// 24 random hex digits, for a password nobody else knows.
fn random_hex() -> String {
    use std::io::Read as _;
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Drop for OwnMariadb {
    fn drop(&mut self) {
        let at = self.root.path().display().to_string();
        bash(&format!(
            "source '{lib}/common.sh'; svc_stop_pid_file '{at}/server/pid' '{at}/server' KILL",
            lib = lib().display()
        ));
    }
}
