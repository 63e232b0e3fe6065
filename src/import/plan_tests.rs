use std::path::{Path, PathBuf};

use super::*;

fn listed(id: &str, down: &[&str]) -> Listed {
    Listed {
        id: id.to_owned(),
        down_revision: down.iter().map(|d| (*d).to_owned()).collect(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
        message: format!("make {id}"),
        create_date: None,
        location: Some(PathBuf::from("/app/alembic/versions")),
        path: format!("{id}_make.py"),
        engines: Vec::new(),
    }
}

fn layout() -> Layout {
    Layout::new(&[PathBuf::from("/app/alembic/versions")])
}

fn existing(ids: &[&str]) -> Existing {
    let mut found = Existing::default();
    for id in ids {
        found.ids.insert((*id).to_owned());
        found.files.insert(
            PathBuf::from(format!("old/{id}.sql")),
            Some((*id).to_owned()),
        );
    }
    found
}

#[test]
fn only_revisions_without_a_file_are_planned_sorted_by_path() {
    let mut nested = listed("c3", &["b2"]);
    nested.path = "ecs/c3_make.py".to_owned();
    let history = vec![nested, listed("b2", &["a1"]), listed("a1", &[])];
    let plan = plan(&history, &existing(&["a1"]), &layout(), None).unwrap();
    assert_eq!(plan.already, 1);
    let paths: Vec<&Path> = plan.new.iter().map(|p| p.path.as_path()).collect();
    assert_eq!(
        paths,
        [Path::new("b2_make_b2.sql"), Path::new("ecs/c3_make_c3.sql")]
    );
    assert_eq!(plan.new[1].parents, [RevisionId::new("b2").unwrap()]);
}

#[test]
fn every_bad_id_and_label_in_the_history_is_reported() {
    let mut labelled = listed("b2", &["2024-01-add"]);
    labelled.branch_labels = vec!["my branch".to_owned()];
    labelled.depends_on = vec!["head".to_owned()];
    let history = vec![listed("2024-01-add", &[]), labelled];
    let problems = plan(&history, &Existing::default(), &layout(), None).unwrap_err();
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 4, "{text:#?}");
    assert!(
        text[0].starts_with("versions/2024-01-add_make.py: `revision` of revision `2024-01-add`"),
        "{}",
        text[0]
    );
    assert!(text[0].contains("letters, digits and `_`"));
    assert!(text[1].contains("`down_revision` of revision `b2`"));
    assert!(text[2].contains("`depends_on`") && text[2].contains("reserved"));
    assert!(text[3].contains("branch label `my branch`"));
}

#[test]
fn an_existing_revision_with_a_bad_id_is_still_bad_input() {
    let history = vec![listed("a-1", &[])];
    assert!(plan(&history, &existing(&["a-1"]), &layout(), None).is_err());
}

#[test]
fn the_multidb_template_needs_a_known_engine() {
    let mut multi = listed("a1", &[]);
    multi.engines = vec!["engine1".to_owned(), "engine2".to_owned()];
    let history = vec![multi];
    let none = plan(&history, &Existing::default(), &layout(), None).unwrap_err();
    assert!(matches!(&none[..], [Problem::NoEngine { engines }] if engines.len() == 2));
    assert!(none[0].to_string().contains("`engine1`, `engine2`"));
    let unknown = plan(&history, &Existing::default(), &layout(), Some("engine3")).unwrap_err();
    assert!(
        unknown[0].to_string().contains("no `upgrade_engine3()`"),
        "{}",
        unknown[0]
    );
    assert_eq!(
        plan(&history, &Existing::default(), &layout(), Some("engine2"))
            .unwrap()
            .new
            .len(),
        1
    );
    let plain = vec![listed("a1", &[])];
    let not_multidb = plan(&plain, &Existing::default(), &layout(), Some("engine1")).unwrap_err();
    assert!(matches!(&not_multidb[..], [Problem::NotMultidb { .. }]));
}

#[test]
fn a_file_in_the_way_is_never_replaced() {
    let history = vec![listed("a1", &[])];
    let mut found = Existing::default();
    found.files.insert(PathBuf::from("a1_make_a1.sql"), None);
    let problems = plan(&history, &found, &layout(), None).unwrap_err();
    assert!(
        problems[0]
            .to_string()
            .contains("already exists and holds no readable revision")
    );
}

#[test]
fn several_version_locations_give_sub_folders() {
    let mut billing = listed("b1", &[]);
    billing.location = Some(PathBuf::from("/app/alembic/billing"));
    let history = vec![listed("a1", &[]), billing];
    let layout = Layout::new(&[
        PathBuf::from("/app/alembic/versions"),
        PathBuf::from("/app/alembic/billing"),
    ]);
    let plan = plan(&history, &Existing::default(), &layout, None).unwrap();
    let paths: Vec<&Path> = plan.new.iter().map(|p| p.path.as_path()).collect();
    assert_eq!(
        paths,
        [
            Path::new("billing/b1_make_b1.sql"),
            Path::new("versions/a1_make_a1.sql")
        ]
    );
}
