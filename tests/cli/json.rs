//! `--format json`: one document on stdout, database names as keys, revision
//! ids as strings, heads as arrays of strings.

use serde_json::{Value, json};

use super::{DIVERGED_COUNT, TIP_BILLING, TIP_NOTIFICATIONS};
use crate::harness::env::{CORE_AI_CONFIG, TestEnv};

fn two_databases() -> TestEnv {
    TestEnv::new()
        .config(CORE_AI_CONFIG)
        .copy_fixture("diverged", "migrations_core")
        .copy_fixture("depends_on", "migrations_ai")
}

#[test]
fn heads_json_is_an_array_of_ids_per_database() {
    let out = TestEnv::core_fixture("diverged").run(&["heads", "core", "--format", "json"]);
    out.success();
    assert_eq!(
        out.json(),
        json!({ "core": [TIP_NOTIFICATIONS, TIP_BILLING] }),
        "{out}"
    );

    let out = two_databases().run(&["--format", "json", "heads", "--all"]);
    out.success();
    assert_eq!(
        out.json(),
        json!({ "ai": ["a74b6122cae2"], "core": [TIP_NOTIFICATIONS, TIP_BILLING] }),
        "{out}"
    );
}

#[test]
fn heads_json_of_an_empty_folder_is_an_empty_array() {
    let out = TestEnv::core().run(&["heads", "core", "--format", "json"]);
    out.success();
    assert_eq!(out.json(), json!({ "core": [] }));
}

#[test]
fn history_json_lists_revisions_newest_first() {
    let out = TestEnv::core_fixture("diverged").run(&["history", "core", "--format", "json"]);
    out.success();
    let doc = out.json();
    let object = doc.as_object().expect("an object");
    assert_eq!(object.keys().collect::<Vec<_>>(), ["core"], "{out}");
    let entries = doc["core"].as_array().expect("an array of revisions");
    assert_eq!(entries.len(), DIVERGED_COUNT);
    assert_eq!(entries[0]["revision"], json!(TIP_BILLING));
    assert_eq!(
        entries.last().map(|e| e["revision"].clone()),
        Some(json!("ac7287886928"))
    );
    for entry in entries {
        assert!(entry["revision"].is_string(), "{entry}");
        let parents = entry["parents"].as_array().expect("parents is an array");
        assert!(parents.iter().all(Value::is_string), "{entry}");
    }
    let merge = entries
        .iter()
        .find(|e| e["revision"] == json!(super::INNER_MERGE))
        .expect("merge listed");
    assert_eq!(merge["parents"].as_array().map(Vec::len), Some(2));
    let heads: Vec<&Value> = entries
        .iter()
        .filter(|e| e["head"] == json!(true))
        .map(|e| &e["revision"])
        .collect();
    assert_eq!(heads.len(), 2, "{out}");
}

#[test]
fn check_json_reports_each_database() {
    let out = two_databases().run(&["check", "--all", "--format", "json"]);
    out.code(1);
    let doc = out.json();
    assert_eq!(
        doc["core"]["heads"],
        json!([TIP_NOTIFICATIONS, TIP_BILLING]),
        "{out}"
    );
    assert_eq!(doc["core"]["ok"], json!(false));
    assert_eq!(doc["ai"]["heads"], json!(["a74b6122cae2"]));
    assert_eq!(doc["ai"]["ok"], json!(true));
    let errors = doc["core"]["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().is_some_and(|s| s.contains(TIP_BILLING))),
        "{out}"
    );
}

#[test]
fn check_json_of_a_malformed_file_still_is_one_document() {
    let env = TestEnv::core().write(
        "migrations_core/bad.sql",
        "-- migrate:revision head\n-- migrate:up\n",
    );
    let out = env.run(&["check", "--all", "--format", "json"]);
    out.code(2);
    let doc = out.json();
    assert_eq!(doc["core"]["ok"], json!(false));
    let errors = doc["core"]["errors"].as_array().expect("errors array");
    assert!(
        errors
            .iter()
            .any(|e| e.as_str().is_some_and(|s| s.contains("bad.sql"))),
        "{out}"
    );
}

#[test]
fn json_output_is_stable() {
    let env = two_databases();
    for args in [
        &["heads", "--all", "--format", "json"][..],
        &["history", "core", "--format", "json"],
        &["check", "--all", "--format", "json"],
    ] {
        let a = env.run(args);
        let b = env.run(args);
        assert_eq!(a.stdout, b.stdout, "{a}\n{b}");
        a.json();
    }
}
