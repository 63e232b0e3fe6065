//! Tests of folder loading and of reading SQL again (`load.rs`).
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
fn paths_outside_the_base_are_shown_as_given_and_their_sql_read_from_there() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "x.sql", &revision_text("x"));
    let elsewhere = tempfile::tempdir().unwrap();
    let loaded = load_dir(tmp.path(), elsewhere.path());
    assert_eq!(loaded.revisions[0].path, tmp.path().join("x.sql"));
    let sql = read_sql(&loaded.revisions[0], elsewhere.path()).unwrap();
    assert_eq!(&*sql.up, "SELECT 1;\n");
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

#[test]
fn sql_is_read_again_from_the_file_and_must_still_match() {
    let tmp = tempfile::tempdir().unwrap();
    let file = "m/0001_a.sql";
    let text = "-- migrate:revision a\n\n-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 2;\n";
    write(tmp.path(), file, text);
    let loaded = load_dir(&tmp.path().join("m"), tmp.path());
    let a = &loaded.revisions[0];
    assert!(a.reversible);
    let sql = read_sql(a, tmp.path()).unwrap();
    assert_eq!(
        (&*sql.up, sql.down.as_deref()),
        ("SELECT 1;\n\n", Some("SELECT 2;\n"))
    );

    // `down` is not covered by the checksum: an edit there is read as is.
    write(tmp.path(), file, &text.replace("SELECT 2", "SELECT 3"));
    let sql = read_sql(a, tmp.path()).unwrap();
    assert_eq!(sql.down.as_deref(), Some("SELECT 3;\n"));

    // An edit of `up`, or another revision in the file, is refused.
    for changed in [
        text.replace("SELECT 1", "SELECT 4"),
        text.replace("revision a", "revision b"),
    ] {
        write(tmp.path(), file, &changed);
        let error = read_sql(a, tmp.path()).unwrap_err();
        assert!(matches!(error, LoadError::Changed { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("`m/0001_a.sql` changed") && message.contains("revision `a`"),
            "{message}"
        );
    }

    fs::remove_file(tmp.path().join(file)).unwrap();
    let error = read_sql(a, tmp.path()).unwrap_err();
    assert!(
        matches!(&error, LoadError::Io { path, .. } if path == Path::new(file)),
        "{error:?}"
    );
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
