//! The two-headed history of `tests/fixtures/diverged/`: `up` refuses,
//! `stamp` adopts both chains, `merge` joins them, `up --to heads` applies both.

use super::*;

/// Tables the fixture's chains create (trunk, chain A, chain B).
const SOME_TABLES: [&str; 5] = [
    "accounts",
    "audit_log",
    "invoices",
    "credit_notes",
    "notification_preferences",
];

fn diverged_project(db: &TestDb) -> TestEnv {
    TestEnv::new()
        .config(&core_config(""))
        .copy_fixture("diverged", "migrations_core")
        .env("DATABASE_URL", &db.url)
}

/// The ids of `target`* (itself and every ancestor through parents), by
/// walking the fixture's files.
fn ancestors(env: &TestEnv, target: &str) -> Vec<String> {
    let mut parents = std::collections::BTreeMap::new();
    for name in env.files("migrations_core") {
        let path = env.path(&format!("migrations_core/{name}"));
        let (rev, _) = migrate::revision::parse(&path, &std::fs::read(&path).unwrap()).unwrap();
        let ps: Vec<String> = rev.parents.iter().map(ToString::to_string).collect();
        parents.insert(rev.id.to_string(), (ps, checksum_of(&path)));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![target.to_owned()];
    while let Some(id) = todo.pop() {
        if seen.insert(id.clone()) {
            todo.extend(parents[&id].0.iter().cloned());
        }
    }
    seen.into_iter().collect()
}

online_test!(up_refuses_two_heads_then_stamp_and_merge_join_them, |db| {
    let env = diverged_project(&db);

    let out = env.run(&["up", "core"]);
    out.code(2).stderr_has(TIP_A).stderr_has(TIP_B);
    assert!(
        applied(&db, "_migrate_core").await.is_empty(),
        "nothing applied\n{out}"
    );
    assert!(!db.has_table("accounts").await);

    // Adopt chain B, then chain A: each stamp records the tip and its ancestors.
    env.run(&["stamp", "core", TIP_B]).success();
    let b = ancestors(&env, TIP_B);
    assert_eq!(b.len(), 8, "trunk (3) + chain B (5)");
    assert_eq!(applied(&db, "_migrate_core").await, b);
    env.run(&["stamp", "core", TIP_A]).success();
    let mut both = ancestors(&env, TIP_A);
    both.extend(b);
    both.sort();
    both.dedup();
    assert_eq!(both.len(), 24);
    let stamped = rows(&db, "_migrate_core").await;
    assert_eq!(
        stamped
            .iter()
            .map(|r| r.revision.clone())
            .collect::<Vec<_>>(),
        both
    );
    for r in &stamped {
        assert_eq!(r.method, "stamp", "{r:?}");
        let file = env
            .files("migrations_core")
            .into_iter()
            .find(|f| f.starts_with(&r.revision))
            .unwrap();
        assert_eq!(
            r.checksum,
            checksum_of(&env.path(&format!("migrations_core/{file}")))
        );
    }
    for t in SOME_TABLES {
        assert!(!db.has_table(t).await, "stamp runs no SQL, yet {t} exists");
    }

    let out = env.run(&["current", "core"]);
    out.success().stdout_has(TIP_A).stdout_has(TIP_B);
    let out = env.run(&["current", "core", "--format", "json"]);
    let mut current: Vec<String> = out.json()["core"]
        .as_array()
        .unwrap_or_else(|| panic!("current --format json: core is an array of heads\n{out}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    current.sort();
    assert_eq!(current, sorted(&[TIP_A, TIP_B]));

    // Merge the two heads; `up` applies the merge revision only.
    let before = env.files("migrations_core");
    env.run(&["merge", "core", "-m", "join billing and notifications"])
        .success();
    let new: Vec<String> = env
        .files("migrations_core")
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let merge_path = env.path(&format!("migrations_core/{}", new[0]));
    let (merge, _) =
        migrate::revision::parse(&merge_path, &std::fs::read(&merge_path).unwrap()).unwrap();
    let merge_id = merge.id.to_string();

    env.run(&["up", "core"]).success();
    let after = rows(&db, "_migrate_core").await;
    assert_eq!(after.len(), 25);
    let merge_row = after.iter().find(|r| r.revision == merge_id).unwrap();
    assert_eq!(merge_row.method, "up");
    let mut parents: Vec<&str> = merge_row.parents.split(' ').collect();
    parents.sort_unstable();
    assert_eq!(parents, [TIP_B, TIP_A], "the merge's parents are both tips");
    for r in after.iter().filter(|r| r.revision != merge_id) {
        assert!(stamped.contains(r), "stamped rows unchanged: {r:?}");
    }
    for t in SOME_TABLES {
        assert!(
            !db.has_table(t).await,
            "no chain revision ran, yet {t} exists"
        );
    }
    env.run(&["current", "core"])
        .success()
        .stdout_has(&merge_id)
        .stdout_lacks(TIP_A);
});

online_test!(up_to_heads_applies_both_chains_on_a_fresh_database, |db| {
    let env = diverged_project(&db);
    env.run(&["up", "core", "--to", "heads"]).success();
    let all = rows(&db, "_migrate_core").await;
    assert_eq!(all.len(), 24);
    assert!(all.iter().all(|r| r.method == "up"));
    for t in SOME_TABLES {
        assert!(db.has_table(t).await, "{t}");
    }
    env.run(&["current", "core"])
        .success()
        .stdout_has(TIP_A)
        .stdout_has(TIP_B);
    // Nothing left: a second run applies nothing.
    env.run(&["up", "core", "--to", "heads"]).success();
    assert_eq!(rows(&db, "_migrate_core").await, all);

    // `stamp --purge` empties the table first, then records TIP_B*; no SQL runs.
    env.run(&["stamp", "core", TIP_B, "--purge"]).success();
    let stamped = rows(&db, "_migrate_core").await;
    assert_eq!(
        stamped
            .iter()
            .map(|r| r.revision.clone())
            .collect::<Vec<_>>(),
        ancestors(&env, TIP_B)
    );
    assert!(stamped.iter().all(|r| r.method == "stamp"));
    for t in SOME_TABLES {
        assert!(db.has_table(t).await, "stamp --purge dropped {t}");
    }
});
