//! I/O: the revision files already in a database's folder (imported ones
//! are written with `revision::write_new`, which never replaces a file).

use std::fs;
use std::path::Path;

use anyhow::Result;

use super::plan::Existing;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::revision::write_new;

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
