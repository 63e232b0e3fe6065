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
        Err(source) => return only_error(LoadError::Io { path: shown, source }),
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
        for entry in entries {
            match entry {
                Ok(entry) => self.entry(&entry),
                Err(e) => self.io_error(dir, e),
            }
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
