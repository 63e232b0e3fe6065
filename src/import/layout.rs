//! Pure: where an imported revision's file goes inside the database's
//! migrations folder, mirroring where Alembic kept its module.
//!
//! With one version location, a module's folder relative to it is kept
//! (`versions/ecs/ab12_x.py` becomes `ecs/ab12_<slug>.sql`). With several,
//! each location becomes a sub-folder named by its path relative to the
//! folder that holds them all (`alembic/versions` and `alembic/billing`
//! become `versions/` and `billing/`), nested folders kept below it. A folder
//! name starting with `.` gets `_` instead of the dot: hidden folders are
//! never read.

use std::path::{Component, Path, PathBuf};

/// The version locations of one Alembic project, and the folder that holds
/// them all when there are several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// `None` with a single location: its files go to the root.
    common: Option<PathBuf>,
}

impl Layout {
    pub(crate) fn new(locations: &[PathBuf]) -> Self {
        let mut distinct: Vec<&PathBuf> = locations.iter().collect();
        distinct.sort();
        distinct.dedup();
        let common = match distinct.as_slice() {
            [] | [_] => None,
            [first, rest @ ..] => Some(
                rest.iter()
                    .fold((*first).clone(), |common, p| common_ancestor(&common, p)),
            ),
        };
        Self { common }
    }

    /// The sub-folder (relative, possibly empty) for a module at `path`
    /// (relative to `location`, `/`-separated).
    pub(crate) fn folder(&self, location: Option<&Path>, path: &str) -> PathBuf {
        let mut folder = PathBuf::new();
        if let (Some(common), Some(location)) = (&self.common, location)
            && let Ok(inside) = location.strip_prefix(common)
        {
            folder.extend(inside.components().filter_map(visible));
        }
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        folder.extend(parent.components().filter_map(visible));
        folder
    }
}

/// A path component as a folder `migrate` reads: `.` and `..` dropped
/// (Alembic's paths have neither), a leading dot replaced.
fn visible(c: Component<'_>) -> Option<String> {
    let Component::Normal(name) = c else {
        return None;
    };
    let name = name.to_string_lossy();
    Some(match name.strip_prefix('.') {
        Some(rest) => format!("_{rest}"),
        None => name.into_owned(),
    })
}

fn common_ancestor(a: &Path, b: &Path) -> PathBuf {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn one_location_keeps_nested_folders_only() {
        let layout = Layout::new(&paths(&["/app/alembic_ai/versions"]));
        let loc = Path::new("/app/alembic_ai/versions");
        assert_eq!(layout.folder(Some(loc), "ab12_x.py"), PathBuf::new());
        assert_eq!(
            layout.folder(Some(loc), "ecs/2024/ab12_x.py"),
            Path::new("ecs/2024")
        );
    }

    #[test]
    fn several_locations_are_named_below_what_holds_them() {
        let layout = Layout::new(&paths(&["/app/alembic/versions", "/app/alembic/billing"]));
        let billing = Path::new("/app/alembic/billing");
        assert_eq!(
            layout.folder(Some(billing), "b1_x.py"),
            Path::new("billing")
        );
        let versions = Path::new("/app/alembic/versions");
        assert_eq!(
            layout.folder(Some(versions), "ecs/v1_x.py"),
            Path::new("versions/ecs")
        );
        let twins = Layout::new(&paths(&["/app/a/versions", "/app/b/versions"]));
        assert_eq!(
            twins.folder(Some(Path::new("/app/b/versions")), "x.py"),
            Path::new("b/versions")
        );
    }

    #[test]
    fn a_location_inside_another_is_its_sub_folder() {
        let layout = Layout::new(&paths(&["/app/versions", "/app/versions/ecs"]));
        assert_eq!(
            layout.folder(Some(Path::new("/app/versions")), "x.py"),
            PathBuf::new()
        );
        assert_eq!(
            layout.folder(Some(Path::new("/app/versions/ecs")), "x.py"),
            Path::new("ecs")
        );
    }

    #[test]
    fn hidden_folders_become_visible_and_unknown_locations_go_to_the_root() {
        let layout = Layout::new(&paths(&["/app/versions"]));
        assert_eq!(
            layout.folder(Some(Path::new("/app/versions")), ".old/x.py"),
            Path::new("_old")
        );
        let two = Layout::new(&paths(&["/app/v1", "/app/v2", "/app/v1"]));
        assert_eq!(two.folder(None, "x.py"), PathBuf::new());
    }
}
