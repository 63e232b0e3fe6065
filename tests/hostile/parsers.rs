//! The library parsers on arbitrary and mutated input: no panic, every
//! error names the file (and a line inside it), quotes little, and whatever
//! parses is consistent.

use std::path::Path;

use migrate::config;
use migrate::revision::{self, checksum};
use migrate::url::DbUrl;
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::corpus;
use super::mutate::{Mutation, apply_all, mutations};

/// Fixed case counts, whatever `PROPTEST_CASES` says.
fn cases(n: u32) -> Config {
    Config {
        cases: n,
        max_shrink_iters: 512,
        ..Config::default()
    }
}

const REVISION_PATH: &str = "migrations_core/hostile.sql";
const CONFIG_PATH: &str = "/project/migrate.toml";
/// Longer than any message should be: file text is quoted at most 80 chars.
const MESSAGE_MAX: usize = 1_000;

/// Parses `bytes` as a revision file and checks the outcome.
fn check_revision(bytes: &[u8]) -> Result<(), TestCaseError> {
    match revision::parse(Path::new(REVISION_PATH), bytes) {
        Ok((rev, sql)) => {
            prop_assert_eq!(&rev.checksum, &checksum(&sql.up));
            prop_assert_eq!(rev.reversible, sql.down.is_some());
            prop_assert_eq!(rev.checksum.to_string().len(), 64);
            prop_assert!(rev.up_line >= 1);
            prop_assert!(rev.down_line.is_none_or(|d| d > rev.up_line));
            prop_assert!(!rev.parents.contains(&rev.id));
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with(REVISION_PATH), "{}", message);
            let lines = bytes.split(|&b| b == b'\n').count();
            prop_assert!(e.line <= lines, "line {} of {}: {}", e.line, lines, message);
            prop_assert!(message.len() < MESSAGE_MAX, "{} bytes", message.len());
        }
    }
    Ok(())
}

fn check_config(text: &str) -> Result<(), TestCaseError> {
    match config::parse(Path::new(CONFIG_PATH), text) {
        Ok(config) => {
            let names: Vec<&str> = config.databases.keys().map(String::as_str).collect();
            let mut ordered: Vec<String> = config.order(&names).into_iter().flatten().collect();
            ordered.sort();
            prop_assert_eq!(ordered, names, "`after` waves lose or repeat a database");
        }
        Err(e) => {
            let message = e.to_string();
            prop_assert!(message.starts_with(CONFIG_PATH), "{}", message);
            prop_assert!(message.len() < MESSAGE_MAX, "{} bytes", message.len());
            if let Some(line) = e.line {
                prop_assert!(
                    line >= 1 && line <= text.split('\n').count(),
                    "line {}",
                    line
                );
            }
        }
    }
    Ok(())
}

fn revision_and_mutations() -> impl Strategy<Value = (Vec<u8>, Vec<Mutation>)> {
    (prop::sample::select(corpus::revision_files()), mutations())
}

fn config_and_mutations() -> impl Strategy<Value = (String, Vec<Mutation>)> {
    (prop::sample::select(corpus::config_texts()), mutations())
}

proptest! {
    #![proptest_config(cases(1_500))]

    #[test]
    fn arbitrary_bytes_as_a_revision_file(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check_revision(&bytes)?;
    }

    #[test]
    fn mutated_revision_files((original, muts) in revision_and_mutations()) {
        check_revision(&apply_all(&original, &muts))?;
    }

    #[test]
    fn arbitrary_text_as_migrate_toml(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn mutated_configs((original, muts) in config_and_mutations()) {
        let bytes = apply_all(original.as_bytes(), &muts);
        // The binary refuses a config that is not UTF-8 before parsing it.
        if let Ok(text) = std::str::from_utf8(&bytes) {
            check_config(text)?;
        }
    }
}

/// Valid URLs holding the password `PASSWORD` in each place one can be.
const URLS: [&str; 6] = [
    "postgres://app:Zq7XpWk3@db.internal:5432/app?sslmode=require",
    "postgresql+asyncpg://app:Zq7XpWk3@localhost/app?ssl=require",
    "postgresql+psycopg2://app:Zq7XpWk3@[::1]:6432/app",
    "mysql+pymysql://root:Zq7XpWk3@127.0.0.1:3306/shop",
    "postgres://app@db/app?password=Zq7XpWk3&application_name=x",
    "mariadb://u:Zq7XpWk3@h/db",
];
const PASSWORD: &str = "Zq7XpWk3";

proptest! {
    #![proptest_config(cases(500))]

    /// A URL damaged around its password still never shows it: not in
    /// the redacted form, not in an error, not in anything `scrub` returns.
    #[test]
    fn mutated_urls_never_show_the_password(
        original in prop::sample::select(URLS.as_slice()),
        before in mutations(),
        after in mutations(),
    ) {
        let (head, tail) = original.split_once(PASSWORD).unwrap();
        let mut bytes = apply_all(head.as_bytes(), &before);
        bytes.extend_from_slice(PASSWORD.as_bytes());
        bytes.extend_from_slice(&apply_all(tail.as_bytes(), &after));
        let raw = String::from_utf8_lossy(&bytes);
        match DbUrl::parse(&raw, Path::new("/srv/app")) {
            Ok(url) if url.password().is_some_and(|p| p.contains(PASSWORD)) => {
                prop_assert!(!url.redacted().as_str().contains(PASSWORD), "{}", url.redacted());
                let debug = format!("{url:?}");
                prop_assert!(!debug.contains(PASSWORD), "{}", debug);
                let error = format!("connecting to {raw} ({}) failed", url.connect_url());
                prop_assert!(!url.scrub(&error).contains(PASSWORD));
            }
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().contains(PASSWORD), "{}", e),
        }
    }
}
