//! Reads the files of a folder walk into one reused buffer.
//!
//! On Unix a file is opened relative to its folder (`openat`), which stays
//! open while the walk is in it: the kernel then resolves one name per file
//! instead of every component of its path, a third of the time `open`
//! took for a folder of a thousand revisions deep in a tree.

use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// Room for any ordinary revision file; a larger one grows the buffer.
const READ_BUFFER: usize = 64 * 1024;

pub(super) struct Reader {
    pub buf: Vec<u8>,
    #[cfg(unix)]
    folder: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Reader {
    pub(super) fn new() -> Self {
        Self {
            buf: Vec::with_capacity(READ_BUFFER),
            #[cfg(unix)]
            folder: None,
        }
    }

    /// Reads the whole file at `path` into `self.buf`.
    pub(super) fn read(&mut self, path: &Path) -> io::Result<()> {
        self.buf.clear();
        let file = self.open(path)?;
        // `take` skips the `fstat` that `File::read_to_end` makes for a
        // size hint: the buffer is already large enough.
        file.take(u64::MAX).read_to_end(&mut self.buf)?;
        Ok(())
    }

    #[cfg(unix)]
    fn open(&mut self, path: &Path) -> io::Result<File> {
        use rustix::fs::{Mode, OFlags};
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return File::open(path);
        };
        let open = match self.folder.take() {
            Some((open, dir)) if open == folder => (open, dir),
            _ => {
                let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
                let at = if folder.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    folder
                };
                match rustix::fs::open(at, flags, Mode::empty()) {
                    Ok(dir) => (folder.to_owned(), dir),
                    // The plain open gives the error the user should see.
                    Err(_) => return File::open(path),
                }
            }
        };
        let (_, dir) = self.folder.insert(open);
        let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
        Ok(File::from(fd))
    }

    #[cfg(not(unix))]
    fn open(&mut self, path: &Path) -> io::Result<File> {
        File::open(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_read_from_its_own_folder_as_the_walk_moves() {
        let tmp = tempfile::tempdir().unwrap();
        for (folder, text) in [("a", "in a"), ("b", "in b"), ("b/c", "in c")] {
            std::fs::create_dir_all(tmp.path().join(folder)).unwrap();
            std::fs::write(tmp.path().join(folder).join("x.sql"), text).unwrap();
        }
        let mut reader = Reader::new();
        for folder in ["a", "b", "b/c", "a", "a"] {
            reader.read(&tmp.path().join(folder).join("x.sql")).unwrap();
            assert_eq!(
                reader.buf,
                format!("in {}", &folder[folder.len() - 1..]).as_bytes()
            );
        }
    }

    #[test]
    fn a_missing_file_or_folder_is_not_found() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("here.sql"), "x").unwrap();
        let mut reader = Reader::new();
        for missing in ["gone.sql", "nowhere/gone.sql"] {
            let err = reader.read(&tmp.path().join(missing)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound, "{missing}");
        }
        reader.read(&tmp.path().join("here.sql")).unwrap();
        assert_eq!(reader.buf, b"x");
    }

    #[test]
    fn a_file_larger_than_the_buffer_is_read_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let big = "x".repeat(READ_BUFFER * 3 + 7);
        std::fs::write(tmp.path().join("big.sql"), &big).unwrap();
        let mut reader = Reader::new();
        reader.read(&tmp.path().join("big.sql")).unwrap();
        assert_eq!(reader.buf.len(), big.len());
    }
}
