//! I/O: walks a migrations folder, reads every `*.sql` file and parses it
//! (docs/reference.md, "Revision files"). The only place revision files are read. Every problem is
//! collected, so `check` can report them all at once.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::thread;

use super::error::ParseError;
use super::parse::{parse, parse_revision};
use super::reader::Reader;
use super::{Revision, Sql};
use crate::par::map_threads;

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
    #[error(
        "`{}` changed while migrate was running: it no longer holds revision `{revision}` with the `up` section read at the start; run the command again",
        path.display()
    )]
    Changed { path: PathBuf, revision: String },
}

impl LoadError {
    /// The file or folder the error is about, as shown to users.
    pub fn path(&self) -> &Path {
        match self {
            Self::Parse(e) => &e.path,
            Self::Io { path, .. }
            | Self::MissingDir { path }
            | Self::NotADir { path }
            | Self::Changed { path, .. } => path,
        }
    }
}

/// Loads every `*.sql` file under `dir`, recursively, skipping hidden files
/// and folders. Paths in revisions and errors are shown relative to
/// `display_base` when under it (`migrations_core/0001_init.sql`).
pub fn load_dir(dir: &Path, display_base: &Path) -> LoadedDir {
    load_dirs(&[dir], display_base).pop().unwrap_or_default()
}

/// [`load_dir`] for several folders, in their order. The files of all of
/// them are read by one set of threads, so two folders of a thousand files
/// keep every core busy without starting a set of threads per folder.
pub fn load_dirs(dirs: &[&Path], display_base: &Path) -> Vec<LoadedDir> {
    let walks: Vec<Result<Walk<'_>, LoadError>> =
        map_threads(dirs.to_vec(), |dir| walk(dir, display_base));
    let total = walks
        .iter()
        .map(|w| w.as_ref().map_or(0, |w| w.files.len()))
        .sum();
    let chunk_len = chunk_len(total);
    let mut loaded = Vec::with_capacity(walks.len());
    let mut chunks = Vec::new();
    for (folder, walk) in walks.into_iter().enumerate() {
        match walk {
            Err(error) => loaded.push(only_error(error)),
            Ok(walk) => {
                let base = walk.under_base.then_some(display_base);
                let mut files = walk.files;
                while !files.is_empty() {
                    let rest = files.split_off(chunk_len.min(files.len()));
                    chunks.push(Chunk {
                        folder,
                        base,
                        files,
                    });
                    files = rest;
                }
                let revisions = Vec::new();
                let errors = walk.errors;
                loaded.push(LoadedDir { revisions, errors });
            }
        }
    }
    for (folder, chunk) in map_threads(chunks, Chunk::read) {
        join(&mut loaded[folder].revisions, chunk.revisions);
        join(&mut loaded[folder].errors, chunk.errors);
    }
    for folder in &mut loaded {
        // Stable, so a folder's read error stays before its files' errors.
        folder.errors.sort_by(|a, b| a.path().cmp(b.path()));
    }
    loaded
}

/// Appends `more` to `to`, taking its buffer instead of copying when `to`
/// is empty (a folder read by a single chunk is never copied).
fn join<T>(to: &mut Vec<T>, mut more: Vec<T>) {
    if to.is_empty() {
        *to = more;
    } else {
        to.append(&mut more);
    }
}

/// The SQL sections of `revision`, read again from its file (a loaded
/// folder keeps none; see [`Revision::reversible`]). `display_base` is what
/// the folder was loaded with. The file must still hold the same revision
/// with the same `up` checksum, so what runs is what was checked.
///
/// # Errors
/// The file cannot be read or parsed, or it changed since it was loaded.
pub fn read_sql(revision: &Revision, display_base: &Path) -> Result<Sql, LoadError> {
    let shown = &revision.path;
    let bytes = fs::read(display_base.join(shown)).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    let (again, sql) = parse(shown, &bytes)?;
    if again.id != revision.id || again.checksum != revision.checksum {
        return Err(LoadError::Changed {
            path: shown.clone(),
            revision: revision.id.to_string(),
        });
    }
    Ok(sql)
}

/// Finds the `*.sql` files under `dir`, sorted by path.
fn walk<'a>(dir: &Path, display_base: &'a Path) -> Result<Walk<'a>, LoadError> {
    let shown = shown_path(dir, display_base);
    match fs::metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(LoadError::MissingDir { path: shown });
        }
        Err(source) => {
            return Err(LoadError::Io {
                path: shown,
                source,
            });
        }
        Ok(meta) if !meta.is_dir() => return Err(LoadError::NotADir { path: shown }),
        Ok(_) => {}
    }
    let mut walk = Walk {
        display_base,
        under_base: dir.starts_with(display_base),
        files: Vec::new(),
        errors: Vec::new(),
        visited: HashSet::new(),
    };
    walk.dir(dir);
    Ok(walk)
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
    /// The folder is under `display_base`, so the files' shown paths are
    /// relative to it; otherwise they are the paths themselves.
    under_base: bool,
    /// Paths as shown (see `load_dir`): one path per file is kept, not
    /// two, and it moves into the revision.
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
        let mut found: Vec<(OsString, fs::DirEntry)> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => found.push((entry.file_name(), entry)),
                Err(e) => self.io_error(dir, e),
            }
        }
        // Sorted by name, so that of two routes to one folder the first by
        // name wins, and so that this depth-first walk yields files already
        // in path order (paths compare name by name).
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        // Shown paths are built from the folder's, not stripped per file.
        let shown_dir = shown_path(dir, self.display_base);
        for (name, entry) in &found {
            self.entry(name, entry, &shown_dir);
        }
    }

    fn entry(&mut self, name: &OsStr, entry: &fs::DirEntry, shown_dir: &Path) {
        if name.as_encoded_bytes().starts_with(b".") {
            return; // hidden: editor swap files, `.git`, ...
        }
        let file_type = match entry.file_type() {
            Ok(t) if t.is_symlink() => fs::metadata(entry.path()).map(|m| m.file_type()),
            other => other,
        };
        match file_type {
            Ok(t) if t.is_dir() => self.dir(&entry.path()),
            Ok(t) if t.is_file() && name.as_encoded_bytes().ends_with(b".sql") => {
                self.files.push(shown_dir.join(name));
            }
            Ok(_) => {}
            Err(e) => self.io_error(&entry.path(), e),
        }
    }
}

/// Below this many files one thread is faster than starting more.
const PARALLEL_FROM: usize = 64;
const MAX_THREADS: usize = 4;

/// How many files a reader thread takes: all of them when there are few,
/// else an equal share for each of up to [`MAX_THREADS`] threads.
fn chunk_len(total: usize) -> usize {
    let threads = thread::available_parallelism().map_or(1, NonZero::get);
    let threads = threads.min(MAX_THREADS);
    if total < PARALLEL_FROM || threads < 2 {
        total.max(1)
    } else {
        total.div_ceil(threads)
    }
}

/// Files of one folder that one thread reads. A chunk never spans two
/// folders, and parses straight into the revisions and errors it hands
/// back: with tens of thousands of revisions, every extra copy of them
/// would be the peak of memory.
struct Chunk<'a> {
    folder: usize,
    /// What shown paths are relative to, if anything.
    base: Option<&'a Path>,
    files: Vec<PathBuf>,
}

impl Chunk<'_> {
    fn read(self) -> (usize, LoadedDir) {
        crate::panics::planted("reader");
        let mut reader = Reader::new();
        let mut path = PathBuf::new();
        let mut loaded = LoadedDir {
            revisions: Vec::with_capacity(self.files.len()),
            errors: Vec::new(),
        };
        for shown in self.files {
            let real = match self.base {
                Some(base) => {
                    path.as_mut_os_string().clear();
                    path.push(base);
                    path.push(&shown);
                    &path
                }
                None => &shown,
            };
            let result = match reader.read(real) {
                Ok(()) => parse_revision(shown, &reader.buf).map_err(LoadError::from),
                Err(source) => Err(LoadError::Io {
                    path: shown,
                    source,
                }),
            };
            match result {
                Ok(revision) => loaded.revisions.push(revision),
                Err(error) => loaded.errors.push(error),
            }
        }
        (self.folder, loaded)
    }
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
