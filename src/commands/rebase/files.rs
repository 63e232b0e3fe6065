//! The files `migrate rebase` changes: read again (they must still hold
//! what the graph was built from), then written, each through a temporary
//! file renamed over it, with the deletions last.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::context::Project;
use crate::exit::Fail;
use crate::graph::and_ticked;
use crate::revision::{Revision, parse};

/// What to write, in the plan's order; real paths.
#[derive(Default)]
pub(super) struct Edits {
    /// Re-parented files and their new bytes.
    pub(super) rewritten: Vec<(PathBuf, Vec<u8>)>,
    /// Merges to delete.
    pub(super) deleted: Vec<PathBuf>,
}

impl Edits {
    /// Writes every file, then deletes the merges: at no point does a file
    /// name a parent that is gone. A reader sees each file whole, old or
    /// new, never half written.
    ///
    /// # Errors
    /// A file cannot be written or deleted; the message names those
    /// already changed.
    pub(super) fn write(&self) -> Result<()> {
        let mut done: Vec<String> = Vec::new();
        let writes = self.rewritten.iter().map(|(p, b)| (p, Some(b)));
        for (path, bytes) in writes.chain(self.deleted.iter().map(|p| (p, None))) {
            let result = match bytes {
                Some(bytes) => replace_file(path, bytes),
                None => fs::remove_file(path),
            };
            result.map_err(|e| {
                let before = if done.is_empty() {
                    "no file was changed before it".to_owned()
                } else {
                    format!("already changed: {}", and_ticked(&done))
                };
                let what = format!("cannot change `{}` ({before})", path.display());
                anyhow::Error::new(e).context(what)
            })?;
            done.push(path.display().to_string());
        }
        Ok(())
    }
}

/// The file of `revision`: where it is, its bytes and its `up` section,
/// checked to still hold what the graph was built from.
///
/// # Errors
/// It cannot be read or parsed, or it changed since it was loaded.
pub(super) fn read_again(
    project: &Project,
    revision: &Revision,
) -> Result<(PathBuf, Vec<u8>, String)> {
    let real = project.config.dir.join(&revision.path);
    let shown = revision.path.display();
    let bytes = fs::read(&real).with_context(|| format!("cannot read `{shown}`"))?;
    let (now, sql) = parse(&revision.path, &bytes)?;
    if now.id != revision.id || now.parents != revision.parents || now.checksum != revision.checksum
    {
        let what = format!("`{shown}` changed while migrate was running; no file was changed");
        return Err(Fail::failed(what).hint("run the command again").into());
    }
    Ok((real, bytes, sql.up.into()))
}

/// Replaces `path` with `bytes` through a temporary file in its folder,
/// keeping its permissions.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    // Hidden and not `.sql`: a temporary file left by a crash is never loaded.
    let temp = folder.join(format!(".{name}.rebase-{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        out.set_permissions(fs::metadata(path)?.permissions())?;
        out.write_all(bytes)?;
        out.sync_all()?;
        fs::rename(&temp, path)
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_file_keeps_its_permissions_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sql");
        fs::write(&path, "old").unwrap();
        let mut permissions = fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        fs::set_permissions(&path, permissions.clone()).unwrap();
        replace_file(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::metadata(&path).unwrap().permissions(), permissions);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.sql"]);
    }

    #[test]
    fn a_failed_write_names_what_was_already_changed() {
        let dir = tempfile::tempdir().unwrap();
        let done = dir.path().join("a.sql");
        fs::write(&done, "old").unwrap();
        let edits = Edits {
            rewritten: vec![(done.clone(), b"new".to_vec())],
            deleted: vec![dir.path().join("gone.sql")],
        };
        let err = format!("{:#}", edits.write().unwrap_err());
        assert!(
            err.contains("gone.sql") && err.contains("already changed") && err.contains("a.sql"),
            "{err}"
        );
        assert_eq!(fs::read(&done).unwrap(), b"new");
    }
}
