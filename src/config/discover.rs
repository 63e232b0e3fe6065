//! Finding and reading `migrate.toml` (docs/reference.md, "Configuration"): `--config PATH`, else
//! `$MIGRATE_CONFIG`, else `./migrate.toml`, else the nearest one in a
//! parent folder.
//!
//! I/O: file metadata and reads. The environment and the current folder are
//! passed in, so tests need no process state.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, ConfigErrorKind};
use super::{Config, FILE_NAME};

/// Where the config file is, as an absolute path.
///
/// `explicit` is `--config` (a folder means the `migrate.toml` in it);
/// `env_value` is `$MIGRATE_CONFIG` (empty counts as unset); `cwd` is the
/// current folder.
///
/// # Errors
/// An explicit or `$MIGRATE_CONFIG` path that does not exist, or no file
/// found anywhere ([`ConfigErrorKind::NotFound`] lists every place tried).
pub fn find_config(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    cwd: &Path,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return named(path, "`--config`", cwd);
    }
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        return named(Path::new(value), "`MIGRATE_CONFIG`", cwd);
    }
    let mut searched = Vec::new();
    for folder in cwd.ancestors() {
        let candidate = folder.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(candidate);
        }
        searched.push(candidate);
    }
    Err(ConfigError::new(
        cwd,
        None,
        ConfigErrorKind::NotFound { searched },
    ))
}

/// A path the user named: it must exist.
fn named(path: &Path, origin: &'static str, cwd: &Path) -> Result<PathBuf, ConfigError> {
    let mut path = cwd.join(path);
    if path.is_dir() {
        path.push(FILE_NAME);
    }
    if path.is_file() {
        Ok(path)
    } else {
        Err(ConfigError::new(
            path,
            None,
            ConfigErrorKind::Missing { origin },
        ))
    }
}

/// Reads and parses the config file at `path` (made absolute first).
///
/// # Errors
/// The file can't be read (not found, not UTF-8, no permission), or any
/// [`super::parse()`] error.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let reason = e.to_string();
        ConfigError::new(&path, None, ConfigErrorKind::Read { reason })
    })?;
    super::parse(&path, &text)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    const MINIMAL: &str = "[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"m\"\n";

    #[test]
    fn explicit_path_wins_over_env_and_cwd() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("migrate.toml"), MINIMAL).unwrap();
        fs::write(root.join("other.toml"), MINIMAL).unwrap();
        fs::write(root.join("env.toml"), MINIMAL).unwrap();
        let env = Some(OsStr::new("env.toml"));
        let found = find_config(Some(Path::new("other.toml")), env, root).unwrap();
        assert_eq!(found, root.join("other.toml"));
        // A folder means the migrate.toml inside it.
        let found = find_config(Some(root), env, Path::new("/")).unwrap();
        assert_eq!(found, root.join("migrate.toml"));
    }

    #[test]
    fn env_wins_over_cwd_and_empty_env_is_unset() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("migrate.toml"), MINIMAL).unwrap();
        fs::write(root.join("env.toml"), MINIMAL).unwrap();
        let found = find_config(None, Some(OsStr::new("env.toml")), root).unwrap();
        assert_eq!(found, root.join("env.toml"));
        let found = find_config(None, Some(OsStr::new("")), root).unwrap();
        assert_eq!(found, root.join("migrate.toml"));
    }

    #[test]
    fn named_paths_must_exist() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("migrate.toml"), MINIMAL).unwrap();
        let e = find_config(Some(Path::new("nope.toml")), None, root).unwrap_err();
        assert_eq!(e.path, root.join("nope.toml"));
        assert_eq!(
            e.kind,
            ConfigErrorKind::Missing {
                origin: "`--config`"
            }
        );
        let e = find_config(None, Some(OsStr::new("/no/such.toml")), root).unwrap_err();
        assert!(
            e.to_string().contains("`MIGRATE_CONFIG` does not exist"),
            "{e}"
        );
        assert!(e.to_string().starts_with("/no/such.toml: "), "{e}");
    }

    #[test]
    fn nearest_parent_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let deep = root.join("a/b/c");
        fs::create_dir_all(&deep).unwrap();
        fs::write(root.join("migrate.toml"), MINIMAL).unwrap();
        fs::write(root.join("a/migrate.toml"), MINIMAL).unwrap();
        assert_eq!(
            find_config(None, None, &deep).unwrap(),
            root.join("a/migrate.toml")
        );
        // A folder named migrate.toml is not the file.
        fs::create_dir_all(deep.join("migrate.toml")).unwrap();
        assert_eq!(
            find_config(None, None, &deep).unwrap(),
            root.join("a/migrate.toml")
        );
    }

    #[test]
    fn not_found_lists_where_it_looked_and_what_to_do() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("x/y");
        fs::create_dir_all(&deep).unwrap();
        let e = find_config(None, None, &deep).unwrap_err();
        let ConfigErrorKind::NotFound { searched } = &e.kind else {
            panic!("{e:?}");
        };
        assert_eq!(searched[0], deep.join("migrate.toml"));
        assert_eq!(searched[1], tmp.path().join("x/migrate.toml"));
        assert_eq!(searched.last().unwrap(), Path::new("/migrate.toml"));
        let msg = e.to_string();
        assert!(
            msg.contains("migrate init") && msg.contains("--config"),
            "{msg}"
        );
        assert!(
            msg.contains(&deep.join("migrate.toml").display().to_string()),
            "{msg}"
        );
    }

    #[test]
    fn load_reads_and_reports_io_errors_with_the_path() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("migrate.toml");
        fs::write(&file, MINIMAL).unwrap();
        let config = load(&file).unwrap();
        assert_eq!(config.path, file);
        assert_eq!(config.dir, tmp.path());
        assert_eq!(config.databases["core"].migrations, tmp.path().join("m"));

        let e = load(&tmp.path().join("gone.toml")).unwrap_err();
        assert_eq!(e.path, tmp.path().join("gone.toml"));
        assert!(matches!(e.kind, ConfigErrorKind::Read { .. }));

        fs::write(&file, b"\xff\xfe not utf-8").unwrap();
        assert!(matches!(
            load(&file).unwrap_err().kind,
            ConfigErrorKind::Read { .. }
        ));
    }
}
