//! The second "done when": `main` has two chains, the version
//! table tracks only one, and the other chain's objects were made by hand.
//! `verify --schema` names the pending revisions whose objects already
//! exist and prints the `stamp` command; after that stamp it passes.

use super::*;

/// b0, then chain A (a1, a2) and chain B (b1, b2), both on b0.
fn two_chains(env: &TestEnv) {
    revision(env, "b0", "", "CREATE TABLE base (id integer PRIMARY KEY);");
    revision(
        env,
        "a1",
        "b0",
        "CREATE TABLE invoices (id integer PRIMARY KEY, amount integer NOT NULL);",
    );
    revision(
        env,
        "a2",
        "a1",
        "CREATE INDEX invoices_amount ON invoices (amount);",
    );
    revision(env, "b1", "b0", B1);
    revision(env, "b2", "b1", B2);
}

const B1: &str = "CREATE TABLE notifications (id integer PRIMARY KEY, body text);";
const B2: &str = "ALTER TABLE notifications ADD COLUMN seen integer NOT NULL DEFAULT 0;\n\
    CREATE INDEX notifications_seen ON notifications (seen);";

online_test!(pending_objects_made_by_hand_are_traced_and_stamped, |db| {
    let env = project(&db, "core");
    two_chains(&env);
    env.run(&["up", "core", "--to", "a2"]).success();
    let table = if db.dialect == Dialect::Postgres {
        "public.notifications"
    } else {
        "notifications"
    };

    // Half of chain B by hand: b1 is done, b2 is not.
    db.exec(B1).await;
    let out = env.run(&["verify", "core", "--schema", "--format", "json"]);
    out.code(1);
    let json = out.json();
    assert_eq!(json["core"]["stamp"], serde_json::json!(["b1"]), "{out}");
    let extra = &json["core"]["differences"][0];
    assert_eq!(
        (&extra["name"], &extra["made_by"]),
        (&serde_json::json!(table), &serde_json::json!("b1")),
        "{out}"
    );
    assert_scratch_gone(&db, &out).await;

    // All of it.
    db.exec(B2).await;
    let out = env.run(&["verify", "core", "--schema"]);
    out.code(1)
        .stdout_has(&format!("  extra      table {table} (and "))
        .stdout_has("made by pending revision `b1`")
        .stdout_has("  pending revisions whose objects the database already has:\n    b1  ")
        .stdout_has("\n    b2  ")
        .stdout_has("record them without running them: migrate stamp core b2\n");
    assert_scratch_gone(&db, &out).await;
    let out = env.run(&["verify", "core", "--schema", "--format", "json"]);
    let json = out.json();
    assert_eq!(json["core"]["stamp"], serde_json::json!(["b2"]), "{out}");
    for pending in json["core"]["pending"].as_array().unwrap() {
        assert!(pending["changes"].as_u64().unwrap() > 0, "{out}");
        assert_eq!(pending["changes"], pending["in_database"], "{out}");
    }

    // `up` trips over what exists, and its hint says what to do next.
    env.run(&["up", "core", "--to", "heads"])
        .code(1)
        .stderr_has("already exists")
        .stderr_has("`migrate verify core --schema`")
        .stderr_has("`migrate stamp core b1`");
    env.run(&["stamp", "core", "b2"]).success();
    let out = env.run(&["verify", "core", "--schema"]);
    out.success()
        .stdout_has("core: ok, the schema matches its 5 applied revisions");
    env.run(&["up", "core", "--to", "heads"]).success();
});
