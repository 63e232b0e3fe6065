//! A PostgreSQL URL, as `crate::url` normalised it, turned into
//! tokio-postgres settings and a TLS policy.
//!
//! Pure. The URL keeps libpq's and sqlx's parameter names
//! (`sslmode`/`ssl-mode`, `sslrootcert`/`ssl-root-cert`/`ssl-ca`, ...), since
//! users copy them from either; the TLS ones are ours to apply (see
//! `tls.rs`), the rest go to tokio-postgres as libpq keywords.

use std::path::PathBuf;
use std::str::FromStr;

use tokio_postgres::config::SslMode as WireSslMode;
use url::{Host, Url};

use crate::url::percent_decode;

/// libpq's `sslmode`s: how hard to insist on TLS, and what to verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disable,
    /// Read as `prefer`: tokio-postgres has no plain-text-first mode.
    Allow,
    /// TLS when the server offers it, no certificate check (the default).
    Prefer,
    /// TLS or nothing; the certificate is checked only against a given
    /// `sslrootcert`, as libpq does.
    Require,
    /// TLS with a certificate chain that verifies, whatever its host name.
    VerifyCa,
    /// TLS with a certificate that verifies and names the host.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value.to_ascii_lowercase().as_str() {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" | "verify_ca" => Self::VerifyCa,
            "verify-full" | "verify_full" => Self::VerifyFull,
            _ => {
                return Err(
                    "unknown `sslmode`: use disable, allow, prefer, require, verify-ca or verify-full"
                        .to_owned(),
                );
            }
        })
    }

    fn wire(self) -> WireSslMode {
        match self {
            Self::Disable => WireSslMode::Disable,
            Self::Allow | Self::Prefer => WireSslMode::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => WireSslMode::Require,
        }
    }
}

/// What the TLS connector must do for one URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TlsPolicy {
    pub mode: SslMode,
    /// PEM file of the certificates to trust instead of the Mozilla roots.
    pub root_cert: Option<PathBuf>,
    /// PEM files of a client certificate and its key.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// Everything needed to open a connection.
#[derive(Debug)]
pub(crate) struct PgOptions {
    pub config: tokio_postgres::Config,
    pub tls: TlsPolicy,
}

/// libpq keywords tokio-postgres understands, passed through as written.
const PASSED: &[&str] = &[
    "options",
    "application_name",
    "hostaddr",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
    "sslnegotiation",
];

/// Parses a `postgres://` URL. Parameters neither libpq nor we know (sqlx's
/// `statement-cache-capacity`, say) are ignored, as sqlx does.
///
/// # Errors
/// A message that never quotes the password.
pub(crate) fn parse(url: &str) -> Result<PgOptions, String> {
    let parsed = Url::parse(url).map_err(|e| format!("malformed PostgreSQL URL: {e}"))?;
    let mut keys: Vec<(&str, String)> = Vec::new();
    let mut tls = TlsPolicy {
        mode: SslMode::Prefer,
        root_cert: None,
        client_cert: None,
    };
    let (mut cert, mut key) = (None, None);
    let mut host = match parsed.host() {
        Some(Host::Ipv6(addr)) => Some(addr.to_string()),
        Some(Host::Ipv4(addr)) => Some(addr.to_string()),
        Some(Host::Domain(name)) if !name.is_empty() => Some(percent_decode(name)),
        _ => None,
    };
    let mut port = parsed.port().map(|p| p.to_string());
    let mut user = Some(percent_decode(parsed.username())).filter(|u| !u.is_empty());
    let mut password = parsed.password().map(percent_decode);
    let mut dbname =
        Some(percent_decode(parsed.path().trim_start_matches('/'))).filter(|d| !d.is_empty());
    for (name, value) in parsed.query_pairs() {
        let value = value.into_owned();
        match name.as_ref() {
            "sslmode" | "ssl-mode" => tls.mode = SslMode::parse(&value)?,
            "sslrootcert" | "ssl-root-cert" | "ssl-ca" => tls.root_cert = Some(value.into()),
            "sslcert" | "ssl-cert" => cert = Some(PathBuf::from(value)),
            "sslkey" | "ssl-key" => key = Some(PathBuf::from(value)),
            // A `host` parameter (a Unix socket folder, usually) wins over
            // the URL's host, as in sqlx.
            "host" => host = Some(value),
            "port" => port = Some(value),
            "user" => user = Some(value),
            "password" => password = Some(value),
            "dbname" => dbname = Some(value),
            other => match PASSED.iter().find(|k| **k == other) {
                Some(known) => keys.push((known, value)),
                None => tracing::debug!("ignoring URL parameter `{other}`"),
            },
        }
    }
    tls.client_cert = match (cert, key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => return Err("`sslcert` and `sslkey` must be given together".to_owned()),
    };
    let fields = [
        ("host", host.or_else(|| Some("localhost".to_owned()))),
        ("port", port),
        ("user", user),
        ("password", password),
        ("dbname", dbname),
    ];
    let mut text = String::new();
    for (key, value) in fields
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .chain(keys)
    {
        text.push_str(key);
        text.push('=');
        text.push_str(&quoted(&value));
        text.push(' ');
    }
    let mut config = tokio_postgres::Config::from_str(&text).map_err(|e| {
        // tokio-postgres names the option, never its value.
        format!("invalid PostgreSQL connection settings: {e}")
    })?;
    config.ssl_mode(tls.mode.wire());
    if config.get_application_name().is_none() {
        // So that an operator looking at `pg_stat_activity` sees who holds the lock.
        config.application_name("migrate");
    }
    Ok(PgOptions { config, tls })
}

/// The server as messages name it: `host:port` (or the socket folder).
pub(crate) fn shown_host(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    match config.get_hosts().first() {
        Some(Host::Tcp(name)) if name.contains(':') => format!("[{name}]:{port}"),
        Some(Host::Tcp(name)) => format!("{name}:{port}"),
        #[cfg(unix)]
        Some(Host::Unix(path)) => format!("{}:{port}", path.display()),
        None => format!("localhost:{port}"),
    }
}

/// A libpq keyword value: quoted, with `\` and `'` escaped.
fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use tokio_postgres::config::Host as ConfigHost;

    use super::*;

    fn parsed(url: &str) -> PgOptions {
        parse(url).unwrap()
    }

    #[test]
    fn the_url_parts_become_settings() {
        let o = parsed("postgres://app:p%40ss'w\\d@db.internal:6543/core%20db");
        assert_eq!(o.config.get_user(), Some("app"));
        assert_eq!(o.config.get_password(), Some(&b"p@ss'w\\d"[..]));
        assert_eq!(o.config.get_dbname(), Some("core db"));
        assert_eq!(o.config.get_ports(), [6543]);
        assert_eq!(
            o.config.get_hosts(),
            [ConfigHost::Tcp("db.internal".into())]
        );
        assert_eq!(o.config.get_application_name(), Some("migrate"));
        assert_eq!(o.tls.mode, SslMode::Prefer);
    }

    #[test]
    fn a_host_parameter_wins_and_ipv6_loses_its_brackets() {
        let o = parsed("postgres://u@localhost/db?host=/var/run/postgresql");
        assert_eq!(o.config.get_hosts().len(), 1);
        assert!(
            matches!(&o.config.get_hosts()[0], ConfigHost::Unix(p) if p.ends_with("postgresql"))
        );
        let o = parsed("postgres://u@[::1]:5433/db");
        assert_eq!(o.config.get_hosts(), [ConfigHost::Tcp("::1".into())]);
    }

    #[test]
    fn tls_parameters_are_read_in_both_spellings() {
        let o = parsed("postgres://u@h/db?ssl-mode=verify-full&ssl-root-cert=/ca.pem");
        assert_eq!(o.tls.mode, SslMode::VerifyFull);
        assert_eq!(o.tls.root_cert, Some(PathBuf::from("/ca.pem")));
        let o = parsed("postgres://u@h/db?sslmode=require&sslcert=/c.pem&sslkey=/k.pem");
        assert_eq!(o.tls.mode, SslMode::Require);
        assert_eq!(
            o.tls.client_cert,
            Some((PathBuf::from("/c.pem"), PathBuf::from("/k.pem")))
        );
        assert!(parse("postgres://u@h/db?sslcert=/c.pem").is_err());
        assert!(parse("postgres://u@h/db?sslmode=sometimes").is_err());
    }

    #[test]
    fn libpq_keywords_pass_and_unknown_ones_are_ignored() {
        let o = parsed(
            "postgres://u@h/db?application_name=web&connect_timeout=7&statement-cache-capacity=0",
        );
        assert_eq!(o.config.get_application_name(), Some("web"));
        assert_eq!(
            o.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(7))
        );
        let err = parse("postgres://u:hunter2@h/db?connect_timeout=soon").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
    }
}
