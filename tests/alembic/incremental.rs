//! Importing again: only revisions without a file are converted, no
//! existing file is rewritten, and the same history gives the same bytes.

use super::*;
use crate::harness::alembic::{alembic_ok, hashes};

alembic_test!(
    a_new_alembic_revision_is_the_only_file_a_second_import_writes,
    |py| {
        let env = project(py);
        let import = ["import", "alembic", "core", "--dialect", "postgresql"];
        env.run(&import).code(1);
        write_sql_by_hand(&env, DATA_MIGRATION, BACKFILL_SQL);
        let before = hashes(&env.path("migrations_core"));
        assert_eq!(before.len(), 21);

        // Still drafting with Alembic: a new revision, its body edited.
        let made = alembic_ok(
            py,
            env.root(),
            "alembic.ini",
            &[
                "revision",
                "-m",
                "accounts nickname",
                "--head",
                "b81b37c902f4",
            ],
            &[],
        );
        let module = std::fs::read_dir(env.path("alembic/versions"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with("_accounts_nickname.py"))
            .unwrap_or_else(|| panic!("alembic revision wrote no module:\n{made}"));
        let text = std::fs::read_to_string(&module).unwrap();
        let edited = text
            .replacen(
                "pass",
                "op.add_column(\"accounts\", sa.Column(\"nickname\", sa.String(40)))",
                1,
            )
            .replacen("pass", "op.drop_column(\"accounts\", \"nickname\")", 1);
        std::fs::write(&module, edited).unwrap();
        let id = module
            .file_name()
            .unwrap()
            .to_string_lossy()
            .split('_')
            .next()
            .unwrap()
            .to_owned();

        let dry = env.run(&[
            "import",
            "alembic",
            "core",
            "--dialect",
            "postgresql",
            "--dry-run",
        ]);
        dry.success().stderr_has("nothing was written");
        assert_eq!(
            dry.lines(),
            [format!("migrations_core/{id}_accounts_nickname.sql")],
            "{dry}"
        );
        assert_eq!(
            hashes(&env.path("migrations_core")),
            before,
            "--dry-run wrote something"
        );

        env.run(&import)
            .success()
            .stdout_eq(&format!("migrations_core/{id}_accounts_nickname.sql\n"));
        let mut after = hashes(&env.path("migrations_core"));
        let new = after.remove(std::path::Path::new(&format!("{id}_accounts_nickname.sql")));
        assert_eq!(after, before, "an existing file changed");
        let written = env.read(&format!("migrations_core/{id}_accounts_nickname.sql"));
        assert!(
            new.is_some() && written.contains("-- migrate:parents b81b37c902f4\n"),
            "{written}"
        );
        assert!(
            written.contains("ALTER TABLE accounts ADD COLUMN nickname VARCHAR(40);"),
            "{written}"
        );
        env.run(&["heads", "core"]).success();

        env.run(&import)
            .success()
            .stdout_empty()
            .stderr_has("nothing to import");
    }
);

alembic_test!(the_same_history_gives_byte_identical_files, |py| {
    let first = project(py);
    let second = project(py);
    for env in [&first, &second] {
        env.run(&["import", "alembic", "core", "--dialect", "postgresql"])
            .code(1);
        env.run(&[
            "import",
            "alembic",
            "ai",
            "--ini",
            "alembic_ai.ini",
            "--dialect",
            "postgresql",
        ])
        .success();
    }
    for folder in ["migrations_core", "migrations_ai"] {
        let files = hashes(&first.path(folder));
        assert!(!files.is_empty());
        assert_eq!(
            files,
            hashes(&second.path(folder)),
            "{folder} differs between two imports"
        );
    }
});

alembic_test!(a_moved_file_still_counts_as_imported, |py| {
    let env = project(py);
    env.run(&["import", "alembic", "ai", "--ini", "alembic_ai.ini"])
        .success();
    std::fs::create_dir_all(env.path("migrations_ai/archive")).unwrap();
    std::fs::rename(
        env.path("migrations_ai/3ed61fdc0506_create_documents.sql"),
        env.path("migrations_ai/archive/3ed61fdc0506_create_documents.sql"),
    )
    .unwrap();
    env.run(&["import", "alembic", "ai", "--ini", "alembic_ai.ini"])
        .success()
        .stdout_empty()
        .stderr_has("nothing to import");
    assert_eq!(
        env.files("migrations_ai"),
        ["6259ce4b4397_documents_language.sql", "archive", "ecs"]
    );
});
