//! The JSON contract: every document `docs/json.md` describes (a
//! `<!-- shape: COMMAND -->` block per command) is produced on SQLite in
//! several states and checked against that shape: keys are exactly the
//! database names, field names and types as written, heads arrays of
//! strings. The arrays that matter are made non-empty at least once, so
//! their element types are checked too.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::docs::markdown;
use crate::docs::project::{Project, repo};

/// The shapes of docs/json.md, by command.
pub fn shapes() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(repo().join("docs/json.md")).unwrap();
    markdown::blocks(&text)
        .into_iter()
        .filter_map(|b| {
            let name = b.marker("shape")?.to_owned();
            let shape = serde_json::from_str(&b.text)
                .unwrap_or_else(|e| panic!("docs/json.md:{}: not JSON: {e}", b.line));
            Some((name, shape))
        })
        .collect()
}

/// Checks `value` against `shape`; returns the paths that do not match.
pub fn mismatches(path: &str, shape: &Value, value: &Value, out: &mut Vec<String>) {
    match shape {
        Value::String(types) => {
            let ok = types.split('|').any(|t| match t {
                "string" => value.is_string(),
                "integer" => value.is_u64() || value.is_i64(),
                "boolean" => value.is_boolean(),
                "null" => value.is_null(),
                other => panic!("docs/json.md: unknown type `{other}` at {path}"),
            });
            if !ok {
                out.push(format!("{path}: expected {types}, got {value}"));
            }
        }
        Value::Array(item) => {
            let [item] = item.as_slice() else {
                panic!("docs/json.md: an array shape holds one item shape at {path}");
            };
            match value.as_array() {
                Some(values) => {
                    for (i, v) in values.iter().enumerate() {
                        mismatches(&format!("{path}[{i}]"), item, v, out);
                    }
                }
                None => out.push(format!("{path}: expected an array, got {value}")),
            }
        }
        Value::Object(fields) => {
            let Some(object) = value.as_object() else {
                out.push(format!("{path}: expected an object, got {value}"));
                return;
            };
            for (key, field_shape) in fields {
                let (name, optional) = match key.strip_suffix('?') {
                    Some(name) => (name, true),
                    None => (key.as_str(), false),
                };
                match object.get(name) {
                    Some(v) => mismatches(&format!("{path}.{name}"), field_shape, v, out),
                    None if optional => {}
                    None => out.push(format!("{path}: missing field `{name}`")),
                }
            }
            for key in object.keys() {
                if !fields.contains_key(key) && !fields.contains_key(&format!("{key}?")) {
                    out.push(format!("{path}: field `{key}` is not in docs/json.md"));
                }
            }
        }
        other => panic!("docs/json.md: bad shape {other} at {path}"),
    }
}

/// Runs `migrate ARGS --format json` and checks the document against the
/// shape of `command`, with `dbs` as its keys.
fn check(
    p: &Project,
    shapes: &BTreeMap<String, Value>,
    command: &str,
    args: &[&str],
    dbs: &[&str],
) -> Value {
    let shape = shapes
        .get(command)
        .unwrap_or_else(|| panic!("docs/json.md has no `<!-- shape: {command} -->` block"));
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let run = p.run(&all, &[]);
    let doc = run.json();
    let keys: Vec<&str> = doc
        .as_object()
        .unwrap_or_else(|| panic!("not an object\n{run}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, dbs, "the keys must be the database names\n{run}");
    let mut out = Vec::new();
    for db in dbs {
        mismatches(&format!("{command}.{db}"), shape, &doc[*db], &mut out);
    }
    assert!(out.is_empty(), "{}\n{run}", out.join("\n"));
    doc
}

#[test]
fn docs_json_describes_every_json_command() {
    let names: Vec<String> = shapes().into_keys().collect();
    assert_eq!(
        names,
        [
            "check",
            "current",
            "heads",
            "history",
            "import alembic",
            "rebase",
            "status",
            "up",
            "up --dry-run",
            "verify",
            "verify --schema"
        ]
    );
}

#[test]
fn json_documents_match_docs_json_md() {
    let s = shapes();
    let p = Project::example();
    let both = ["ai", "core"];

    // Fresh: nothing applied, everything pending.
    let status = check(&p, &s, "status", &["status", "--all"], &both);
    assert_eq!(status["core"]["pending"], 5);
    assert_eq!(status["core"]["state"], "new");
    let current = check(&p, &s, "current", &["current", "--all"], &both);
    assert_eq!(current["core"], serde_json::json!([]));
    let heads = check(&p, &s, "heads", &["heads", "--all"], &both);
    assert_eq!(heads["core"], serde_json::json!(["2ba75c133cb2"]));
    let history = check(&p, &s, "history", &["history", "core"], &["core"]);
    assert_eq!(history["core"][0]["revision"], "2ba75c133cb2");
    check(
        &p,
        &s,
        "history",
        &["history", "core", "--applied"],
        &["core"],
    );
    let dry = check(&p, &s, "up --dry-run", &["up", "--all", "--dry-run"], &both);
    assert_eq!(dry["ai"]["pending"].as_array().unwrap().len(), 4);
    check(&p, &s, "check", &["check", "--all"], &both);
    check(&p, &s, "verify", &["verify", "--all"], &both);

    // Part applied: applied heads and pending lists are non-empty.
    let up = check(&p, &s, "up", &["up", "core", "--to", "5c03"], &["core"]);
    assert_eq!(up["core"]["current"], serde_json::json!(["5c03b3ad742a"]));
    check(&p, &s, "verify", &["verify", "core"], &["core"]);
    check(&p, &s, "check", &["check", "core", "--online"], &["core"]);
    check(
        &p,
        &s,
        "verify --schema",
        &["verify", "--all", "--schema"],
        &both,
    );
    check(&p, &s, "up", &["up", "--all"], &both);

    // A revision applied, then its row forgotten: an object the database
    // has that a pending revision makes, traced to it, and a stamp.
    p.run(&["repair", "core", "2ba75c133cb2", "--forget"], &[]);
    let drift = check(
        &p,
        &s,
        "verify --schema",
        &["verify", "core", "--schema"],
        &["core"],
    );
    assert_eq!(drift["core"]["stamp"], serde_json::json!(["2ba75c133cb2"]));
    assert_eq!(drift["core"]["differences"][1]["made_by"], "2ba75c133cb2");
    assert!(
        drift["core"]["differences"][1]["attributes"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    p.run(&["stamp", "core", "2ba75c133cb2"], &[]);

    // A changed checksum: errors, issues and `changed` are non-empty.
    let file = "migrations_core/3f1c2a9d4b70_create_users.sql";
    let text = p
        .env
        .read(file)
        .replace("-- migrate:up\n", "-- migrate:up\nSELECT 1;\n");
    p.env.put(file, text.as_bytes());
    let verify = check(&p, &s, "verify", &["verify", "core"], &["core"]);
    assert_eq!(
        verify["core"]["changed"],
        serde_json::json!(["3f1c2a9d4b70"])
    );
    let status = check(&p, &s, "status", &["status", "core"], &["core"]);
    assert_eq!(status["core"]["state"], "checksum changed");
    let online = check(&p, &s, "check", &["check", "core", "--online"], &["core"]);
    assert_eq!(online["core"]["ok"], false);

    // Two heads: `heads` and `check` hold both.
    p.env.put(
        "migrations_core/b2_branch.sql",
        b"-- migrate:revision b2b2b2b2\n-- migrate:parents 3f1c2a9d4b70\n\n-- migrate:up\nSELECT 1;\n",
    );
    let heads = check(&p, &s, "heads", &["heads", "core"], &["core"]);
    assert_eq!(heads["core"].as_array().unwrap().len(), 2);
    let checked = check(&p, &s, "check", &["check", "--all"], &both);
    assert_eq!(checked["core"]["ok"], false);
    assert!(!checked["core"]["errors"].as_array().unwrap().is_empty());
    let rebase = check(
        &p,
        &s,
        "rebase",
        &["rebase", "core", "b2b2b2b2", "--dry-run"],
        &["core"],
    );
    assert_eq!(rebase["core"]["onto"], "2ba75c133cb2");
    assert_eq!(
        rebase["core"]["changed"][0]["parents_after"],
        serde_json::json!(["2ba75c133cb2"])
    );
}
