//! The docs tests' "it never panics" check sees a panic in a connection
//! task: the binary plants one there on request (debug builds only).

use crate::docs::project::Project;
use crate::harness::{PANIC_LINE, hit_a_bug};

#[test]
fn a_panic_in_a_connection_task_is_seen() {
    let project = Project::example();
    // The example databases are SQLite files under `.migrate/`.
    let clean = project.run(&["status", "--all"], &[]);
    assert_eq!(clean.code, 0, "{clean}");
    let planted = std::panic::catch_unwind(|| {
        project.run(&["status", "--all"], &[("MIGRATE_TEST_PANIC", "task")])
    });
    assert!(planted.is_err(), "Project::run let a panic through");

    // What the binary printed: the hook's one line, and exit 101.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["status", "--all"])
        .current_dir(project.env.root())
        .env("MIGRATE_TEST_PANIC", "task")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{stderr}");
    assert!(hit_a_bug(out.status.code(), &stderr));
    let hook_lines = stderr.lines().filter(|l| l.starts_with(PANIC_LINE)).count();
    assert_eq!(
        hook_lines, 2,
        "one line per panicked task (two databases):\n{stderr}"
    );
}
