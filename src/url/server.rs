//! PostgreSQL and MySQL URLs: `scheme[+driver]://user:pass@host:port/db?params`.
//!
//! Pure.

use url::Url;

use super::{
    ConnectionTarget, Dialect, Parts, UrlError, percent_decode, query_secrets, redact_query,
};

/// Query parameters sqlx's PostgreSQL driver reads. In a SQLAlchemy
/// `+driver` URL anything else belongs to the Python driver, and is dropped
/// so that sqlx neither rejects nor logs it.
const PG_PARAMS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// Parses everything after `scheme:` for a server database.
pub(super) fn parse(
    kind: Dialect,
    rest: &str,
    driver: Option<&str>,
    written_scheme: &str,
) -> Result<Parts, UrlError> {
    let scheme = scheme_of(kind);
    let (rest, unencoded_password) = match encode_sqlalchemy_password(rest) {
        Some((rewritten, password)) => (rewritten, Some(password)),
        None => (rest.to_owned(), None),
    };
    // `user:pass@/db?unix_socket=...`: how SQLAlchemy URLs reach a MySQL
    // socket (Cloud SQL's `/cloudsql/...`); a URL parser wants a host there.
    let rest = match rest.split_once("@/") {
        Some((before, after))
            if kind == Dialect::Mysql
                && authority(&rest).is_some_and(|a| a.ends_with('@'))
                && before.starts_with("//") =>
        {
            format!("{before}@localhost/{after}")
        }
        _ => rest,
    };
    let rest = rest.as_str();
    let mut url =
        Url::parse(&format!("{scheme}:{rest}")).map_err(|e| map_url_error(kind, e, rest))?;
    url.set_fragment(None);
    // Shown as written (scheme and parameters); sent as normalised below.
    let shown = redacted(&url, written_scheme);
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let host = url.host_str().unwrap_or_default().to_owned();
    // A Unix socket instead of a host: `?host=/folder` (libpq, sqlx), and
    // for MySQL the Python drivers' `?unix_socket=/path` and sqlx's `?socket=`.
    let is_socket =
        |k: &str| k == "host" || (kind == Dialect::Mysql && matches!(k, "unix_socket" | "socket"));
    let socket = pairs.iter().find(|(k, _)| is_socket(k)).map(|(_, v)| v);
    if url.cannot_be_a_base() || (host.is_empty() && socket.is_none()) {
        return Err(missing_host(kind));
    }
    if url.port() == Some(0) {
        return Err(UrlError::PortOutOfRange {
            port: Some("0".to_owned()),
        });
    }
    if kind == Dialect::Postgres {
        rewrite_pg_query(&mut url, &pairs, driver.is_some())?;
    }
    if kind == Dialect::Mysql && url.path().trim_start_matches('/').is_empty() {
        return Err(UrlError::MysqlNoDatabase);
    }

    let written_password = written_password(rest);
    let password = url
        .password()
        .map(percent_decode)
        .or_else(|| param(&pairs, "password").map(str::to_owned));
    let mut secrets = query_secrets(url.query().unwrap_or_default());
    secrets.extend(written_password.map(str::to_owned));
    secrets.extend(unencoded_password.map(str::to_owned));
    secrets.extend(url.password().map(str::to_owned));
    secrets.extend(password.clone());

    Ok(Parts {
        kind,
        connect: url.to_string(),
        redacted: shown,
        target: target(kind, &url, &host, &pairs),
        sqlite_path: None,
        password,
        secrets,
    })
}

fn scheme_of(kind: Dialect) -> &'static str {
    match kind {
        Dialect::Postgres => "postgres",
        Dialect::Mysql => "mysql",
        Dialect::Sqlite => "sqlite",
    }
}

fn missing_host(kind: Dialect) -> UrlError {
    let example = match kind {
        Dialect::Mysql => "mysql://user@localhost:3306/db",
        _ => "postgres://user@localhost:5432/db",
    };
    UrlError::MissingHost { kind, example }
}

/// Maps `url`'s errors, whose texts are fixed and never quote the input.
fn map_url_error(kind: Dialect, err: url::ParseError, rest: &str) -> UrlError {
    match err {
        url::ParseError::InvalidPort => UrlError::PortOutOfRange {
            port: written_port(rest).map(str::to_owned),
        },
        url::ParseError::EmptyHost => missing_host(kind),
        other => UrlError::Malformed {
            kind,
            reason: other.to_string(),
        },
    }
}

/// The authority as `url` splits it: after `//`, up to `/`, `?` or `#`.
fn authority(rest: &str) -> Option<&str> {
    let after = rest.strip_prefix("//")?;
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    after.get(..end)
}

/// SQLAlchemy reads a password up to the first `@` (`[^@]*`), so Python
/// services may hold one with a bare `/`, `?` or `#`, which a URL parser
/// would take for the end of the host, putting the rest of the password in
/// the path or query, where redaction can't see it. Returns the URL with
/// those three characters escaped, and the password as written.
fn encode_sqlalchemy_password(rest: &str) -> Option<(String, &str)> {
    let after = rest.strip_prefix("//")?;
    if authority(rest)?.contains('@') {
        return None;
    }
    let (userinfo, host_and_more) = after.split_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    if user.contains(['/', '?', '#']) || !password.contains(['/', '?', '#']) {
        return None;
    }
    let encoded = password
        .replace('/', "%2F")
        .replace('?', "%3F")
        .replace('#', "%23");
    Some((format!("//{user}:{encoded}@{host_and_more}"), password))
}

/// The password exactly as written (before any re-encoding by `url`).
fn written_password(rest: &str) -> Option<&str> {
    let authority = authority(rest)?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    userinfo.split_once(':').map(|(_, password)| password)
}

/// The port as written, only when it is all digits (otherwise it may be a
/// piece of a password that contained `/` or `#`, and must not be echoed).
fn written_port(rest: &str) -> Option<&str> {
    let authority = authority(rest)?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let after_host = match hostport.rfind(']') {
        Some(i) => hostport.get(i + 1..)?,
        None => hostport,
    };
    let (_, port) = after_host.rsplit_once(':')?;
    let digits = !port.is_empty() && port.len() <= 20 && port.bytes().all(|b| b.is_ascii_digit());
    digits.then_some(port)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// asyncpg spells TLS as `ssl=require`; sqlx reads `sslmode`. A SQLAlchemy
/// `+driver` URL also loses the parameters sqlx doesn't know.
fn rewrite_pg_query(
    url: &mut Url,
    pairs: &[(String, String)],
    sqlalchemy: bool,
) -> Result<(), UrlError> {
    let has_ssl = param(pairs, "ssl").is_some();
    let foreign = |k: &str| !PG_PARAMS.contains(&k) && !k.starts_with("options[");
    let drops_params = sqlalchemy && pairs.iter().any(|(k, _)| foreign(k));
    if !has_ssl && !drops_params {
        return Ok(());
    }
    let has_sslmode = pairs.iter().any(|(k, _)| k == "sslmode" || k == "ssl-mode");
    let mut kept = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k == "ssl" {
            if !has_sslmode {
                kept.push(("sslmode".to_owned(), ssl_mode(v)?.to_owned()));
            }
        } else if !(sqlalchemy && foreign(k)) {
            kept.push((k.clone(), v.clone()));
        }
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok(())
}

/// asyncpg's `ssl` values (and the boolean spellings) as libpq `sslmode`s.
fn ssl_mode(value: &str) -> Result<&'static str, UrlError> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "require" | "true" | "1" | "on" | "yes" => "require",
        "disable" | "false" | "0" | "off" | "no" => "disable",
        "prefer" => "prefer",
        "allow" => "allow",
        "verify-ca" | "verify_ca" => "verify-ca",
        "verify-full" | "verify_full" => "verify-full",
        _ => return Err(UrlError::BadSsl),
    })
}

/// Built from parts, so nothing of the password can slip through; the
/// scheme is the one the user wrote (`postgresql+asyncpg://`), so the URL
/// shown is recognisably theirs.
fn redacted(url: &Url, scheme: &str) -> String {
    let mut out = format!("{scheme}://");
    if !url.username().is_empty() || url.password().is_some() {
        out.push_str(url.username());
        if url.password().is_some() {
            out.push_str(":***");
        }
        out.push('@');
    }
    out.push_str(url.host_str().unwrap_or_default());
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path());
    if let Some(query) = url.query() {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    out
}

fn target(kind: Dialect, url: &Url, host: &str, pairs: &[(String, String)]) -> ConnectionTarget {
    let mysql_socket = ["unix_socket", "socket"]
        .iter()
        .find_map(|k| param(pairs, k))
        .filter(|_| kind == Dialect::Mysql);
    let host = if let Some(socket) = mysql_socket {
        socket.to_owned()
    } else if host.is_empty() {
        param(pairs, "host").unwrap_or_default().to_owned()
    } else {
        percent_decode(host)
    };
    let default_port = if kind == Dialect::Mysql { 3306 } else { 5432 };
    let port = url
        .port()
        .or_else(|| param(pairs, "port").and_then(|p| p.parse().ok()))
        .unwrap_or(default_port);
    let mut database = percent_decode(url.path().trim_start_matches('/'));
    if database.is_empty() {
        // PostgreSQL connects to the database named after the user.
        database = param(pairs, "dbname")
            .map(str::to_owned)
            .unwrap_or_else(|| percent_decode(url.username()));
    }
    ConnectionTarget::Server {
        kind,
        host: host.to_lowercase(),
        port,
        database,
    }
}
