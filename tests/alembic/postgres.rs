//! The core history imported for PostgreSQL: `migrate` builds exactly the
//! schema Alembic builds online, and reverts like `alembic downgrade`.

use super::*;
use crate::harness::alembic::{
    alembic, alembic_ok, ids, pg_schema, pg_value, sqlalchemy_url, with_two_databases,
};

alembic_test!(core_history_matches_alembic_on_postgres, |py| {
    let py = py.to_owned();
    // One pair of databases per Alembic environment: the two run at once.
    let test_path = format!("{}::{py}", module_path!());
    with_two_databases(&test_path, |ours, theirs| async move {
        let env = project(&py).env("DATABASE_URL", &sqlalchemy_url(&ours.url));
        let theirs_url = sqlalchemy_url(&theirs.url);
        let alembic_env = [("DATABASE_URL", theirs_url.as_str())];

        let import = env.run(&["import", "alembic", "core"]);
        import
            .code(1)
            .stderr_has(DATA_MIGRATION)
            .stderr_has("written by hand");
        assert_eq!(
            import.lines().len(),
            21,
            "one file per Alembic revision\n{import}"
        );
        assert_eq!(sql_files(&env, "migrations_core").len(), 21);
        // Nothing of Alembic's own bookkeeping is imported.
        for file in sql_files(&env, "migrations_core") {
            let text = env.read(&format!("migrations_core/{file}"));
            assert!(
                !text.contains("alembic_version") && !text.contains("COMMIT"),
                "{file}:\n{text}"
            );
        }
        let concurrently =
            env.read("migrations_core/f634b17a6cf5_index_positions_symbol_concurrently.sql");
        assert!(
            concurrently.contains("-- migrate:transaction off\n"),
            "{concurrently}"
        );
        assert!(concurrently.contains("CREATE INDEX CONCURRENTLY ix_positions_symbol"));

        env.run(&["check", "core"])
            .code(2)
            .output_has(DATA_MIGRATION)
            .output_has("write the SQL of this revision by hand");
        write_sql_by_hand(&env, DATA_MIGRATION, BACKFILL_SQL);
        // Every file parses now; the two heads are the history's own.
        env.run(&["check", "core"]).code(1).stderr_has("2 heads");

        let heads = alembic_ok(&py, env.root(), "alembic.ini", &["heads"], &[]);
        assert_eq!(ids(&heads), CORE_HEADS);
        let ours_heads = env.run(&["heads", "core"]);
        assert_eq!(ids(&ours_heads.stdout), ids(&heads), "{ours_heads}");

        env.run(&["up", "core", "--to", "heads"]).success();
        alembic_ok(
            &py,
            env.root(),
            "alembic.ini",
            &["upgrade", "heads"],
            &alembic_env,
        );
        let schema = pg_schema(&ours.url);
        assert!(
            schema.contains("CREATE FUNCTION public.touch_updated_at()"),
            "{schema}"
        );
        assert_eq!(
            schema,
            pg_schema(&theirs.url),
            "the schemas differ after upgrading to heads"
        );
        let labels = "SELECT string_agg(code || '=' || label, ',' ORDER BY code) FROM currencies";
        assert_eq!(
            pg_value(&ours.url, labels).await,
            pg_value(&theirs.url, labels).await
        );

        // Back to before the data migration, on the main chain only.
        env.run(&["down", "core", "--to", "f634b17a6cf5"]).success();
        alembic_ok(
            &py,
            env.root(),
            "alembic.ini",
            &["downgrade", "f634b17a6cf5"],
            &alembic_env,
        );
        assert_eq!(
            pg_schema(&ours.url),
            pg_schema(&theirs.url),
            "the schemas differ after downgrading"
        );
        let current = env.run(&["current", "core"]);
        let theirs_current = alembic_ok(&py, env.root(), "alembic.ini", &["current"], &alembic_env);
        let mut applied: Vec<String> = current
            .stdout
            .split_whitespace()
            .skip(1)
            .map(str::to_owned)
            .collect();
        applied.sort();
        assert_eq!(applied, ids(&theirs_current), "{current}");

        // The `reports` branch ends in a revision whose downgrade() raises.
        env.run(&["down", "core", "--to", "d388913e2bc7"])
            .code(1)
            .stderr_has("`7a287d1158e2` has no `-- migrate:down` section");
        let refused = alembic(
            &py,
            env.root(),
            "alembic.ini",
            &["downgrade", "d388913e2bc7"],
            &alembic_env,
        );
        assert_ne!(refused.code, 0, "Alembic reverted an irreversible revision");
        assert_eq!(pg_schema(&ours.url), pg_schema(&theirs.url));
    })
    .await;
});
