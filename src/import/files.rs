//! I/O: the revision files already in a database's folder, and writing the
//! imported ones without ever replacing a file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use super::plan::Existing;
use crate::exit::Fail;
use crate::revision::load::{LoadError, load_dir};

/// The ids held by the files under `folder` (a missing folder holds none).
/// A file that does not parse, such as an imported revision whose SQL is
/// still to be written, counts by the id its header declares.
///
/// # Errors
/// The folder or a file in it cannot be read.
pub(crate) fn existing(folder: &Path) -> Result<Existing> {
    let loaded = load_dir(folder, folder);
    let mut found = Existing::default();
    for rev in loaded.revisions {
        found.ids.insert(rev.id.to_string());
        found.files.insert(rev.path, Some(rev.id.to_string()));
    }
    for error in loaded.errors {
        match error {
            LoadError::MissingDir { .. } => {}
            LoadError::Parse(e) => {
                let text = fs::read(folder.join(&e.path)).unwrap_or_default();
                let id = declared_id(&String::from_utf8_lossy(&text));
                if let Some(id) = &id {
                    found.ids.insert(id.clone());
                }
                found.files.insert(e.path, id);
            }
            other => {
                return Err(anyhow::Error::new(other).context(format!(
                    "cannot tell which revisions `{}` already holds",
                    folder.display()
                )));
            }
        }
    }
    Ok(found)
}

/// The id of the first `-- migrate:revision ID` line, if any.
fn declared_id(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("--")?.trim_start();
        let id = rest.strip_prefix("migrate:revision")?;
        id.starts_with(char::is_whitespace)
            .then(|| id.split_whitespace().next().map(str::to_owned))
            .flatten()
    })
}

/// Writes `text` to `folder/rel` (creating folders), never replacing a
/// file: it is created only if the name is free. A write that fails part-way
/// (a full disk) removes what it wrote, so no half file is left to be taken
/// for an imported revision.
///
/// Not synced to disk: like a file an editor or code generator writes, it
/// is whole for every other process once written. A power cut could leave
/// it empty; the next import then names it instead of writing over it.
///
/// # Errors
/// The file exists already, or cannot be written.
pub(crate) fn write_new(folder: &Path, rel: &Path, text: &str) -> Result<PathBuf> {
    let path = folder.join(rel);
    let parent = path.parent().unwrap_or(folder);
    fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let mut file = match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Fail::bad_input(format!(
                "`{}` already exists; it was left as it is",
                path.display()
            ))
            .into());
        }
        Err(e) => {
            return Err(
                anyhow::Error::new(e).context(format!("cannot create `{}`", path.display()))
            );
        }
    };
    if let Err(e) = file.write_all(text.as_bytes()) {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(anyhow::Error::new(e).context(format!("cannot write `{}`", path.display())));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_file_still_counts_by_its_declared_id() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("migrations");
        assert_eq!(existing(&folder).unwrap(), Existing::default());
        write_new(
            &folder,
            Path::new("a1_ok.sql"),
            "-- migrate:revision a1\n\n-- migrate:up\nSELECT 1;\n",
        )
        .unwrap();
        let needs_sql =
            "-- migrate:revision b2\n-- migrate:parents a1\n\n-- migrate import: write it\n";
        write_new(&folder, Path::new("sub/b2_todo.sql"), needs_sql).unwrap();
        write_new(&folder, Path::new("junk.sql"), "not a revision\n").unwrap();
        let found = existing(&folder).unwrap();
        assert_eq!(found.ids.iter().collect::<Vec<_>>(), ["a1", "b2"]);
        assert_eq!(
            found.files.get(Path::new("sub/b2_todo.sql")),
            Some(&Some("b2".to_owned()))
        );
        assert_eq!(found.files.get(Path::new("junk.sql")), Some(&None));
    }

    #[test]
    fn writing_never_replaces_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_new(dir.path(), Path::new("x/a.sql"), "first\n").unwrap();
        let err = write_new(dir.path(), Path::new("x/a.sql"), "second\n").unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "first\n");
        let names: Vec<_> = fs::read_dir(dir.path().join("x"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.sql"]);
    }

    #[test]
    fn the_declared_id_is_the_revision_directive() {
        assert_eq!(
            declared_id("\n  -- migrate:revision  ab12 \n").as_deref(),
            Some("ab12")
        );
        assert_eq!(
            declared_id("--migrate:revision ab12").as_deref(),
            Some("ab12")
        );
        assert_eq!(declared_id("-- migrate:revisions ab12"), None);
        assert_eq!(declared_id("-- migrate:revision"), None);
    }
}
