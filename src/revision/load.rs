//! I/O: walks a migrations folder, reads every `*.sql` file and parses it
//! (SPEC §2). The only place revision files are read. Every problem is
//! collected, so `check` can report them all at once.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::thread;

use super::Revision;
use super::error::ParseError;
use super::parse::parse;

/// What a folder held: the revisions that parsed and every error, both in
/// path order.
#[derive(Debug, Default)]
pub struct LoadedDir {
    pub revisions: Vec<Revision>,
    pub errors: Vec<LoadError>,
}

/// Why a revision file or folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("cannot read `{}`", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "migrations folder `{}` does not exist; create it, or run `migrate init`",
        path.display()
    )]
    MissingDir { path: PathBuf },
    #[error(
        "migrations folder `{}` is not a folder; point `migrations` in `migrate.toml` at a folder",
        path.display()
    )]
    NotADir { path: PathBuf },
}

impl LoadError {
    /// The file or folder the error is about, as shown to users.
    pub fn path(&self) -> &Path {
        match self {
            Self::Parse(e) => &e.path,
            Self::Io { path, .. } | Self::MissingDir { path } | Self::NotADir { path } => path,
        }
    }
}

/// Loads every `*.sql` file under `dir`, recursively, skipping hidden files
/// and folders. Paths in revisions and errors are shown relative to
/// `display_base` when under it (`migrations_core/0001_init.sql`).
pub fn load_dir(dir: &Path, display_base: &Path) -> LoadedDir {
    let shown = shown_path(dir, display_base);
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return only_error(LoadError::MissingDir { path: shown });
        }
        Err(source) => {
            return only_error(LoadError::Io {
                path: shown,
                source,
            });
        }
        Ok(meta) if !meta.is_dir() => return only_error(LoadError::NotADir { path: shown }),
        Ok(_) => {}
    }
    let mut walk = Walk {
        display_base,
        files: Vec::new(),
        errors: Vec::new(),
        visited: HashSet::new(),
    };
    walk.dir(dir);
    let Walk {
        mut files,
        mut errors,
        ..
    } = walk;
    files.sort();
    let mut revisions = Vec::with_capacity(files.len());
    for result in read_all(&files, display_base) {
        match result {
            Ok(revision) => revisions.push(revision),
            Err(error) => errors.push(error),
        }
    }
    // Stable, so a folder's read error stays before its files' errors.
    errors.sort_by(|a, b| a.path().cmp(b.path()));
    LoadedDir { revisions, errors }
}

fn only_error(error: LoadError) -> LoadedDir {
    LoadedDir {
        revisions: Vec::new(),
        errors: vec![error],
    }
}

fn shown_path(path: &Path, display_base: &Path) -> PathBuf {
    path.strip_prefix(display_base)
        .map_or_else(|_| path.to_owned(), Path::to_owned)
}

/// The recursive folder walk: `*.sql` files found, and folders that failed.
struct Walk<'a> {
    display_base: &'a Path,
    files: Vec<PathBuf>,
    errors: Vec<LoadError>,
    /// Canonical folders entered, so a symlink loop is walked once.
    visited: HashSet<PathBuf>,
}

impl Walk<'_> {
    fn io_error(&mut self, path: &Path, source: io::Error) {
        let path = shown_path(path, self.display_base);
        self.errors.push(LoadError::Io { path, source });
    }

    fn dir(&mut self, dir: &Path) {
        match fs::canonicalize(dir) {
            Ok(real) => {
                if !self.visited.insert(real) {
                    return;
                }
            }
            Err(e) => return self.io_error(dir, e),
        }
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.io_error(dir, e),
        };
        let mut found = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => found.push(entry),
                Err(e) => self.io_error(dir, e),
            }
        }
        // Sorted, so that of two routes to one folder the first by name wins.
        found.sort_by_key(fs::DirEntry::file_name);
        for entry in &found {
            self.entry(entry);
        }
    }

    fn entry(&mut self, entry: &fs::DirEntry) {
        let path = entry.path();
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            return; // hidden: editor swap files, `.git`, ...
        }
        let file_type = match entry.file_type() {
            Ok(t) if t.is_symlink() => fs::metadata(&path).map(|m| m.file_type()),
            other => other,
        };
        match file_type {
            Ok(t) if t.is_dir() => self.dir(&path),
            Ok(t) if t.is_file() && path.extension().is_some_and(|e| e == "sql") => {
                self.files.push(path);
            }
            Ok(_) => {}
            Err(e) => self.io_error(&path, e),
        }
    }
}

fn load_file(path: &Path, display_base: &Path) -> Result<Revision, LoadError> {
    let shown = shown_path(path, display_base);
    match fs::read(path) {
        Ok(bytes) => Ok(parse(&shown, &bytes)?),
        Err(source) => Err(LoadError::Io {
            path: shown,
            source,
        }),
    }
}

/// Below this many files one thread is faster than starting more.
const PARALLEL_FROM: usize = 64;
const MAX_THREADS: usize = 4;

/// Reads and parses `files`, results in the same order; in up to
/// [`MAX_THREADS`] contiguous chunks when there are many.
fn read_all(files: &[PathBuf], display_base: &Path) -> Vec<Result<Revision, LoadError>> {
    let load_chunk = |chunk: &[PathBuf]| -> Vec<_> {
        chunk.iter().map(|p| load_file(p, display_base)).collect()
    };
    let threads = thread::available_parallelism().map_or(1, NonZero::get);
    let threads = threads.min(MAX_THREADS);
    if files.len() < PARALLEL_FROM || threads < 2 {
        return load_chunk(files);
    }
    let chunk_len = files.len().div_ceil(threads);
    thread::scope(|scope| {
        let spawned: Vec<_> = files
            .chunks(chunk_len)
            .map(|chunk| {
                let handle = thread::Builder::new()
                    .name("migrate-load".to_owned())
                    .spawn_scoped(scope, move || load_chunk(chunk));
                (chunk, handle)
            })
            .collect();
        let mut results = Vec::with_capacity(files.len());
        for (chunk, handle) in spawned {
            match handle {
                Ok(handle) => match handle.join() {
                    Ok(chunk_results) => results.extend(chunk_results),
                    Err(_) => results.extend(chunk.iter().map(|p| thread_lost(p, display_base))),
                },
                // No thread to be had: read this chunk here instead.
                Err(_) => results.extend(load_chunk(chunk)),
            }
        }
        results
    })
}

/// A reader thread died; never expected, but it must not lose files silently.
fn thread_lost(path: &Path, display_base: &Path) -> Result<Revision, LoadError> {
    Err(LoadError::Io {
        path: shown_path(path, display_base),
        source: io::Error::other("the thread reading this file stopped unexpectedly"),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::revision::ParseErrorKind;

    fn revision_text(id: &str) -> String {
        format!("-- migrate:revision {id}\n\n-- migrate:up\nSELECT 1;\n")
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn paths(loaded: &LoadedDir) -> Vec<String> {
        loaded
            .revisions
            .iter()
            .map(|r| r.path.to_string_lossy().replace('\\', "/"))
            .collect()
    }

    #[test]
    fn walks_subfolders_in_path_order_with_paths_shown_from_the_base() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("migrations_core");
        write(&dir, "b_second.sql", &revision_text("b"));
        write(&dir, "a_first.sql", &revision_text("a"));
        write(&dir, "2024/c_third.sql", &revision_text("c"));
        write(&dir, "2024/deeper/d_fourth.sql", &revision_text("d"));
        let loaded = load_dir(&dir, tmp.path());
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(
            paths(&loaded),
            [
                "migrations_core/2024/c_third.sql",
                "migrations_core/2024/deeper/d_fourth.sql",
                "migrations_core/a_first.sql",
                "migrations_core/b_second.sql",
            ]
        );
        assert_eq!(loaded.revisions[0].id.as_str(), "c");
    }

    #[test]
    fn hidden_entries_and_other_files_are_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "0001_init.sql", &revision_text("init"));
        // Each of these would be a parse error if it were read.
        write(dir, ".hidden/0002_bad.sql", "not a revision");
        write(dir, ".0003_swap.sql", "not a revision");
        write(dir, "README.md", "not a revision");
        write(dir, "0004_old.sql.bak", "not a revision");
        write(dir, "notes/todo.txt", "not a revision");
        let loaded = load_dir(dir, dir);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert_eq!(paths(&loaded), ["0001_init.sql"]);
    }

    #[test]
    fn every_bad_file_is_reported_and_good_ones_still_load() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        write(&dir, "1_ok.sql", &revision_text("one"));
        write(&dir, "2_bad.sql", "-- migrate:revision two\nSELECT 1;\n");
        write(&dir, "sub/3_bad.sql", "-- migrate:revision three\n");
        let loaded = load_dir(&dir, tmp.path());
        assert_eq!(paths(&loaded), ["m/1_ok.sql"]);
        let errors: Vec<(String, usize)> = loaded
            .errors
            .iter()
            .map(|e| match e {
                LoadError::Parse(p) => (p.path.to_string_lossy().replace('\\', "/"), p.line),
                other => panic!("expected a parse error, got {other}"),
            })
            .collect();
        assert_eq!(
            errors,
            [
                ("m/2_bad.sql".to_owned(), 2),
                ("m/sub/3_bad.sql".to_owned(), 0)
            ]
        );
        let LoadError::Parse(first) = &loaded.errors[0] else {
            unreachable!()
        };
        assert!(matches!(first.kind, ParseErrorKind::NotADirective { .. }));
        assert!(loaded.errors[0].to_string().starts_with("m/2_bad.sql:2: "));
    }

    #[test]
    fn missing_folder_says_how_to_create_it() {
        let tmp = tempfile::tempdir().unwrap();
        let loaded = load_dir(&tmp.path().join("migrations_ai"), tmp.path());
        assert!(loaded.revisions.is_empty());
        assert_eq!(loaded.errors.len(), 1);
        let error = &loaded.errors[0];
        assert!(
            matches!(error, LoadError::MissingDir { path } if path == Path::new("migrations_ai")),
            "{error:?}"
        );
        assert!(error.to_string().contains("`migrate init`"), "{error}");
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "m", "");
        let loaded = load_dir(&tmp.path().join("m"), tmp.path());
        assert!(matches!(&loaded.errors[..], [LoadError::NotADir { .. }]));
    }

    #[test]
    fn paths_outside_the_base_are_shown_as_given() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "x.sql", &revision_text("x"));
        let elsewhere = tempfile::tempdir().unwrap();
        let loaded = load_dir(tmp.path(), elsewhere.path());
        assert_eq!(loaded.revisions[0].path, tmp.path().join("x.sql"));
    }

    #[test]
    fn many_files_load_in_sorted_order_across_threads() {
        let tmp = tempfile::tempdir().unwrap();
        let count = PARALLEL_FROM * 3 + 7;
        for i in (0..count).rev() {
            write(
                tmp.path(),
                &format!("{i:04}_r.sql"),
                &revision_text(&format!("r{i}")),
            );
        }
        write(tmp.path(), "0100_r.sql", "broken");
        let loaded = load_dir(tmp.path(), tmp.path());
        let ids: Vec<String> = loaded.revisions.iter().map(|r| r.id.to_string()).collect();
        let expected: Vec<String> = (0..count)
            .filter(|&i| i != 100)
            .map(|i| format!("r{i}"))
            .collect();
        assert_eq!(ids, expected);
        assert_eq!(loaded.errors.len(), 1);
        assert_eq!(loaded.errors[0].path(), Path::new("0100_r.sql"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_folders_are_followed_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        write(dir, "shared/0001_a.sql", &revision_text("a"));
        std::os::unix::fs::symlink(dir.join("shared"), dir.join("linked")).unwrap();
        std::os::unix::fs::symlink(dir, dir.join("shared/loop")).unwrap();
        let loaded = load_dir(dir, dir);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        // `linked` and `shared` are one folder: its file is loaded once,
        // by the first name.
        assert_eq!(paths(&loaded), ["linked/0001_a.sql"]);
    }
}
