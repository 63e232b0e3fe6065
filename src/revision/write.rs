//! I/O: writing a new revision file (`migrate new`, `merge`, `import`)
//! without ever replacing one.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::exit::Fail;

/// Writes `text` to `folder/rel` (creating folders), never replacing a
/// file: it is created only if the name is free. A write that fails part-way
/// (a full disk) removes what it wrote, so no half file is left to be taken
/// for a revision.
///
/// Not synced to disk: like a file an editor or code generator writes, it
/// is whole for every other process once written. A power cut could leave
/// it empty; the next `check` or import then names it instead of
/// writing over it.
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
                "`{}` already exists; nothing was written",
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
}
