//! Revisions Alembic cannot render offline are still written, asking for
//! their SQL, and the import fails naming each of them.

use super::*;

const INI: &str = "[alembic]\nscript_location = %(here)s/offline\n";

fn module(id: &str, down: Option<&str>, upgrade: &str) -> String {
    let down = down.map_or_else(|| "None".to_owned(), |d| format!("{d:?}"));
    format!(
        "\"\"\"{id} step\n\nRevision ID: {id}\nCreate Date: 2024-10-01 09:00:00\n\"\"\"\n\
         from alembic import context, op\nimport sqlalchemy as sa\n\n\
         revision = {id:?}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n\
         def upgrade():\n{upgrade}\n\n\ndef downgrade():\n    pass\n"
    )
}

alembic_test!(
    what_cannot_be_rendered_is_named_and_left_for_a_person,
    |py| {
        let env = project(py)
        .write("offline.ini", INI)
        .write(
            "offline/versions/o1_settings.py",
            &module(
                "o1",
                None,
                "    settings = op.create_table(\"settings\", sa.Column(\"key\", sa.String(40), primary_key=True), sa.Column(\"value\", sa.JSON()))\n    \
                 op.bulk_insert(settings, [{\"key\": \"theme\", \"value\": {\"dark\": True}}])",
            ),
        )
        .write(
            "offline/versions/o2_online_only.py",
            &module(
                "o2",
                Some("o1"),
                "    if context.is_offline_mode():\n        raise RuntimeError(\"this revision must run online\")",
            ),
        )
        .write(
            "offline/versions/o3_inspects.py",
            &module(
                "o3",
                Some("o2"),
                "    if \"legacy\" in sa.inspect(op.get_bind()).get_table_names():\n        op.drop_table(\"legacy\")",
            ),
        )
        .write(
            "offline/versions/o4_fine.py",
            &module("o4", Some("o3"), "    op.add_column(\"settings\", sa.Column(\"note\", sa.Text()))"),
        );
        let files = [
            "migrations_core/o1_o1_step.sql",
            "migrations_core/o2_o2_step.sql",
            "migrations_core/o3_o3_step.sql",
        ];
        let import = env.run(&[
            "import",
            "alembic",
            "core",
            "--ini",
            "offline.ini",
            "--dialect",
            "postgresql",
        ]);
        import
            .code(1)
            .stderr_has("3 imported revisions need their SQL written by hand")
            .stderr_has("with datatype JSON")
            .stderr_has("RuntimeError: this revision must run online")
            .stderr_has("inspect");
        assert_eq!(import.lines().len(), 4, "{import}");
        for file in files {
            import.stderr_has(file);
            let text = env.read(file);
            assert!(
                !text.lines().any(|l| l == "-- migrate:up"),
                "{file}:\n{text}"
            );
            assert!(
                text.contains("--     def upgrade():\n"),
                "{file} lacks the upgrade() source:\n{text}"
            );
            // downgrade() is `pass` while upgrade() changes something: no down.
            assert!(
                text.contains("-- There is no down section:"),
                "{file}:\n{text}"
            );
        }
        let fine = env.read("migrations_core/o4_o4_step.sql");
        assert!(
            fine.contains("-- migrate:up\nALTER TABLE settings ADD COLUMN note TEXT;\n"),
            "{fine}"
        );
        let check = env.run(&["check", "core"]);
        check.code(2);
        for file in files {
            check.output_has(&format!("{file}:"));
        }
    }
);
