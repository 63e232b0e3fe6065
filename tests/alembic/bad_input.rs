//! Bad input exits 2 with a message that says what to do, before anything
//! is written.

use super::*;

#[test]
fn a_missing_ini_file_is_named() {
    let env = project("python3");
    env.run(&[
        "import",
        "alembic",
        "core",
        "--ini",
        "missing.ini",
        "--dialect",
        "sqlite",
    ])
    .code(2)
    .stderr_has("the Alembic configuration `missing.ini` does not exist")
    .stderr_has("--ini");
    assert!(env.files("migrations_core").is_empty());
}

#[test]
fn a_python_that_cannot_run_is_named_with_what_to_do() {
    let env = project("python3");
    env.run(&[
        "import",
        "alembic",
        "core",
        "--dialect",
        "sqlite",
        "--python",
        "/nonexistent/bin/python3 -I",
    ])
    .code(2)
    .stderr_has("cannot run the Python `/nonexistent/bin/python3 -I`: it was not found")
    .stderr_has("--python");
}

#[test]
fn a_python_without_alembic_is_named_with_what_to_do() {
    let env = project("python3");
    let venv = env.path("empty-venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .expect("run python3 -m venv");
    assert!(made.success());
    let python = format!("{} -I", venv.join("bin/python").display());
    env.run(&[
        "import",
        "alembic",
        "core",
        "--dialect",
        "sqlite",
        "--python",
        &python,
    ])
    .code(2)
    .stderr_has(&format!("`{}` cannot import Alembic", env.filter(&python)))
    .stderr_has("No module named 'alembic'")
    .stderr_has("-m pip install alembic");
    assert!(env.files("migrations_core").is_empty());
}

#[test]
fn the_dialect_is_not_guessed_under_strict_or_without_any_url() {
    let env = project("python3");
    env.run(&["import", "alembic", "core", "--strict"])
        .code(2)
        .stderr_has("--strict")
        .stderr_has("`default_url`")
        .stderr_has("--dialect postgresql");
    let no_url = project("python3")
        .config("[databases.core]\nurl_env = \"DATABASE_URL\"\nmigrations = \"migrations_core\"\n");
    no_url
        .run(&["import", "alembic", "core"])
        .code(2)
        .stderr_has("cannot tell which SQL dialect to render")
        .stderr_has("--dialect");
    assert!(no_url.files("migrations_core").is_empty());
}

alembic_test!(a_missing_script_directory_is_named, |py| {
    let env = project(py).write(
        "broken.ini",
        "[alembic]\nscript_location = %(here)s/nowhere\n",
    );
    env.run(&[
        "import",
        "alembic",
        "core",
        "--ini",
        "broken.ini",
        "--dialect",
        "sqlite",
    ])
    .code(2)
    .stderr_has("Alembic cannot read the project of")
    .stderr_has("nowhere")
    .stderr_has("script_location");
});

alembic_test!(an_alembic_id_migrate_cannot_keep_stops_the_import, |py| {
    let module = "\"\"\"dated id\"\"\"\nrevision = \"2024.10.01_add\"\ndown_revision = \"ef31a908fe2c\"\n\
                  branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n";
    let env = project(py).write("alembic/versions/dated.py", module);
    env.run(&["import", "alembic", "core", "--dialect", "sqlite"])
        .code(2)
        .stderr_has("versions/dated.py: `revision` of revision `2024.10.01_add` cannot be a migrate revision id")
        .stderr_has("rename");
    assert!(
        env.files("migrations_core").is_empty(),
        "something was written"
    );
});
