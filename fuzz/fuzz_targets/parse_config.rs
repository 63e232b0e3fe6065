//! Fuzz target: any text -> `migrate::config::parse` (docs/reference.md, "Configuration").
//!
//! Never panics; an error names the file; a config that parses orders its
//! databases into `after` waves holding each database exactly once.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use migrate::config::parse;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("/project/migrate.toml");
    let config = match parse(path, &text) {
        Ok(config) => config,
        Err(e) => {
            let message = e.to_string();
            assert!(
                message.contains("/project/migrate.toml"),
                "error does not name the file: {message}"
            );
            return;
        }
    };
    let names: Vec<&str> = config.databases.keys().map(String::as_str).collect();
    let mut ordered: Vec<String> = config.order(&names).into_iter().flatten().collect();
    ordered.sort();
    assert_eq!(ordered, names, "`after` waves lose or repeat a database");
    let probe: String = text.chars().take(64).collect();
    if let Some(suggested) = config.suggest_database(&probe) {
        assert!(config.database(suggested).is_some());
    }
});
