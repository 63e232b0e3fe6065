//! A MySQL URL, as `crate::url` normalised it, turned into sqlx settings.
//!
//! Pure. Users copy TLS parameters from several clients, so each has more
//! than one spelling: the `mysql` client's and sqlx's (`ssl-mode`,
//! `ssl-ca`, `ssl-cert`, `ssl-key`), and the Python drivers' that
//! SQLAlchemy URLs carry (`ssl_mode` for mysqlclient; `ssl_ca`,
//! `ssl_cert`, `ssl_key`, `ssl_check_hostname`, `ssl_verify_cert`,
//! `ssl_verify_identity` for PyMySQL and aiomysql; `ssl=true` for MariaDB
//! Connector/Python). Each keeps its client's meaning; sqlx alone would
//! silently ignore the underscore forms and connect without checking the
//! certificate the user named.
//!
//! The session is left as the `mysql` client would have it: none of the
//! `sql_mode` flags, time zone or `SET NAMES` that sqlx adds by default,
//! since revision bodies must run as they run in the client.

use std::path::PathBuf;

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use url::Url;

use crate::url::percent_decode;

/// How hard to insist on TLS, and what to check of the server's
/// certificate: the `mysql` client's `--ssl-mode` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SslMode {
    Disabled,
    /// TLS when the server offers it, no certificate check (the default).
    Preferred,
    /// TLS or nothing, no certificate check.
    Required,
    /// TLS with a certificate chain that verifies, whatever its host name.
    VerifyCa,
    /// TLS with a certificate that verifies and names the host.
    VerifyIdentity,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(
            match value.to_ascii_uppercase().replace('-', "_").as_str() {
                "DISABLED" | "DISABLE" | "FALSE" | "0" | "OFF" | "NO" => Self::Disabled,
                "PREFERRED" | "PREFER" => Self::Preferred,
                "REQUIRED" | "REQUIRE" | "TRUE" | "1" | "ON" | "YES" => Self::Required,
                "VERIFY_CA" => Self::VerifyCa,
                "VERIFY_IDENTITY" | "VERIFY_FULL" => Self::VerifyIdentity,
                _ => {
                    return Err(
                        "unknown `ssl-mode` in the URL: use DISABLED, PREFERRED, REQUIRED, \
                                VERIFY_CA or VERIFY_IDENTITY"
                            .to_owned(),
                    );
                }
            },
        )
    }

    /// The mode as the `mysql` client spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Disabled => "DISABLED",
            Self::Preferred => "PREFERRED",
            Self::Required => "REQUIRED",
            Self::VerifyCa => "VERIFY_CA",
            Self::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    fn sqlx(self) -> MySqlSslMode {
        match self {
            Self::Disabled => MySqlSslMode::Disabled,
            Self::Preferred => MySqlSslMode::Preferred,
            Self::Required => MySqlSslMode::Required,
            Self::VerifyCa => MySqlSslMode::VerifyCa,
            Self::VerifyIdentity => MySqlSslMode::VerifyIdentity,
        }
    }
}

/// Everything needed to open a connection, and how messages name the server.
#[derive(Debug)]
pub(crate) struct MysqlOptions {
    pub sqlx: MySqlConnectOptions,
    pub ssl_mode: SslMode,
    /// `host:port` (or the socket), for messages.
    pub host: String,
}

/// The TLS parameters as found, before the mode is settled.
#[derive(Default)]
struct Tls {
    mode: Option<SslMode>,
    ca: Option<PathBuf>,
    /// The CA came in a Python driver's spelling (`ssl_ca`), whose drivers
    /// check the host name too unless told not to.
    python_ca: bool,
    check_hostname: Option<bool>,
    verify_cert: Option<bool>,
    verify_identity: Option<bool>,
    /// `ssl=true` (MariaDB Connector/Python).
    ssl: Option<bool>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
}

impl Tls {
    /// The mode each client would use. An explicit mode wins; a CA file
    /// without one means checking the chain, as the `mysql` client does,
    /// and the host name too in the Python drivers' spelling, as PyMySQL
    /// does unless `ssl_check_hostname=false`.
    fn mode(&self) -> SslMode {
        if let Some(mode) = self.mode {
            return mode;
        }
        if self.verify_identity == Some(true) {
            return SslMode::VerifyIdentity;
        }
        if self.ssl == Some(false) {
            return SslMode::Disabled;
        }
        let verify = self.verify_cert == Some(true);
        if self.ca.is_some() || verify {
            let names_host = self.check_hostname.unwrap_or(self.python_ca || verify);
            return if names_host {
                SslMode::VerifyIdentity
            } else {
                SslMode::VerifyCa
            };
        }
        if self.ssl == Some(true) || self.cert.is_some() {
            return SslMode::Required;
        }
        SslMode::Preferred
    }
}

fn flag(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(format!("`{name}` in the URL must be true or false")),
    }
}

/// Parses a `mysql://` URL. Other parameters are ignored, as sqlx does;
/// `charset` too: the session always speaks `utf8mb4`, since revision files
/// are UTF-8.
///
/// # Errors
/// A message that never quotes the password.
pub(crate) fn parse(url: &str) -> Result<MysqlOptions, String> {
    let parsed = Url::parse(url).map_err(|e| format!("malformed MySQL URL: {e}"))?;
    let host = parsed
        .host_str()
        .map(|h| percent_decode(h.trim_start_matches('[').trim_end_matches(']')))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let mut port = parsed.port().unwrap_or(3306);
    let mut opts = MySqlConnectOptions::new()
        .host(&host)
        .pipes_as_concat(false)
        .no_engine_substitution(false)
        .timezone(None)
        .set_names(false);
    let user = percent_decode(parsed.username());
    if !user.is_empty() {
        opts = opts.username(&user);
    }
    if let Some(password) = parsed.password() {
        opts = opts.password(&percent_decode(password));
    }
    let database = percent_decode(parsed.path().trim_start_matches('/'));
    if !database.is_empty() {
        opts = opts.database(&database);
    }
    let mut tls = Tls::default();
    let mut socket = None;
    for (name, value) in parsed.query_pairs() {
        let value = value.into_owned();
        match name.as_ref() {
            "ssl-mode" | "sslmode" | "ssl_mode" => tls.mode = Some(SslMode::parse(&value)?),
            "ssl-ca" | "sslca" => tls.ca = Some(value.into()),
            "ssl_ca" => {
                tls.ca = Some(value.into());
                tls.python_ca = true;
            }
            "ssl-cert" | "sslcert" | "ssl_cert" => tls.cert = Some(value.into()),
            "ssl-key" | "sslkey" | "ssl_key" => tls.key = Some(value.into()),
            "ssl_check_hostname" => tls.check_hostname = Some(flag(&name, &value)?),
            "ssl_verify_cert" => tls.verify_cert = Some(flag(&name, &value)?),
            "ssl_verify_identity" => tls.verify_identity = Some(flag(&name, &value)?),
            "ssl" => tls.ssl = Some(flag(&name, &value)?),
            "ssl_disabled" => tls.ssl = Some(!flag(&name, &value)?),
            "socket" | "unix_socket" => socket = Some(value),
            "port" => {
                port = value
                    .parse()
                    .map_err(|_| "`port` in the URL is not a number".to_owned())?;
            }
            other => tracing::debug!("ignoring URL parameter `{other}`"),
        }
    }
    if tls.key.is_some() != tls.cert.is_some() {
        return Err("`ssl-cert` and `ssl-key` must be given together".to_owned());
    }
    let ssl_mode = tls.mode();
    opts = opts.port(port).ssl_mode(ssl_mode.sqlx());
    if let Some(ca) = &tls.ca {
        opts = opts.ssl_ca(ca);
    }
    if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
        opts = opts.ssl_client_cert(cert).ssl_client_key(key);
    }
    let shown = match &socket {
        Some(path) => path.clone(),
        None if host.contains(':') => format!("[{host}]:{port}"),
        None => format!("{host}:{port}"),
    };
    if let Some(path) = socket {
        opts = opts.socket(path);
    }
    Ok(MysqlOptions {
        sqlx: opts,
        ssl_mode,
        host: shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> SslMode {
        parse(url).unwrap().ssl_mode
    }

    #[test]
    fn the_url_parts_become_settings() {
        let o = parse("mysql://app:p%40ss@db.internal:3307/core%20db").unwrap();
        assert_eq!(o.sqlx.get_host(), "db.internal");
        assert_eq!(o.sqlx.get_port(), 3307);
        assert_eq!(o.sqlx.get_username(), "app");
        assert_eq!(o.sqlx.get_database(), Some("core db"));
        assert_eq!(o.host, "db.internal:3307");
        assert_eq!(o.ssl_mode, SslMode::Preferred);
        let o = parse("mysql://u@[::1]/db?unix_socket=/run/mysqld/mysqld.sock").unwrap();
        assert_eq!(o.host, "/run/mysqld/mysqld.sock");
        assert_eq!(parse("mysql://u@h/db").unwrap().sqlx.get_port(), 3306);
    }

    #[test]
    fn the_mysql_clients_spelling_of_tls() {
        assert_eq!(mode("mysql://u@h/db?ssl-mode=REQUIRED"), SslMode::Required);
        assert_eq!(
            mode("mysql://u@h/db?ssl-mode=verify_identity"),
            SslMode::VerifyIdentity
        );
        assert_eq!(mode("mysql://u@h/db?sslmode=disabled"), SslMode::Disabled);
        // A CA alone checks the chain, as `mysql --ssl-ca` does.
        assert_eq!(mode("mysql://u@h/db?ssl-ca=/ca.pem"), SslMode::VerifyCa);
        assert_eq!(
            mode("mysql://u@h/db?ssl-ca=/ca.pem&ssl-mode=REQUIRED"),
            SslMode::Required
        );
        assert!(
            parse("mysql://u:hunter2@h/db?ssl-mode=sometimes")
                .is_err_and(|e| e.contains("ssl-mode") && !e.contains("hunter2"))
        );
    }

    #[test]
    fn the_python_drivers_spelling_of_tls() {
        // mysqlclient
        assert_eq!(mode("mysql://u@h/db?ssl_mode=REQUIRED"), SslMode::Required);
        // PyMySQL and aiomysql: a CA means the chain and the host name...
        assert_eq!(
            mode("mysql://u@h/db?ssl_ca=/ca.pem"),
            SslMode::VerifyIdentity
        );
        // ...unless told otherwise.
        assert_eq!(
            mode("mysql://u@h/db?ssl_ca=/ca.pem&ssl_check_hostname=false"),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode("mysql://u@h/db?ssl_verify_cert=true&ssl_check_hostname=false"),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode("mysql://u@h/db?ssl_verify_identity=true"),
            SslMode::VerifyIdentity
        );
        // MariaDB Connector/Python
        assert_eq!(mode("mysql://u@h/db?ssl=true"), SslMode::Required);
        assert_eq!(mode("mysql://u@h/db?ssl=0"), SslMode::Disabled);
        assert_eq!(mode("mysql://u@h/db?ssl_disabled=true"), SslMode::Disabled);
        assert!(parse("mysql://u@h/db?ssl=maybe").is_err());
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let o = parse("mysql://u@h/db?ssl_cert=/c.pem&ssl_key=/k.pem").unwrap();
        assert_eq!(o.ssl_mode, SslMode::Required);
        assert!(parse("mysql://u@h/db?ssl-cert=/c.pem").is_err());
    }

    #[test]
    fn other_parameters_are_ignored_or_passed() {
        let o = parse("mysql://u@h/db?charset=utf8&connect_timeout=10&port=3310").unwrap();
        assert_eq!(o.sqlx.get_port(), 3310);
        assert!(parse("mysql://u@h/db?port=abc").is_err());
    }
}
