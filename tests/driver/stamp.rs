//! Stamping: rows without SQL, in one transaction, optionally purging first.

use migrate::driver::{Driver, NewRow};

fn stamped(id: &str) -> NewRow {
    NewRow {
        revision: id.into(),
        parents: vec![],
        message: format!("it's {id}"),
        checksum: String::new(),
        applied_by: "migrate test".into(),
        method: "stamp".into(),
    }
}

driver_test!(stamp_adds_missing_rows_and_keeps_present_ones, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    let first = [stamped("a"), stamped("b"), stamped("c")];
    assert_eq!(d.insert_rows(&first, false).await.unwrap(), 3);
    let mut changed = stamped("c");
    changed.message = "should not replace".into();
    let second = [changed, stamped("d"), stamped("d")];
    assert_eq!(d.insert_rows(&second, false).await.unwrap(), 1);
    let rows = db.rows().await;
    let mut ids: Vec<&str> = rows.iter().map(|r| r.revision.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    let c = rows.iter().find(|r| r.revision == "c").unwrap();
    assert_eq!(
        (c.message.as_str(), c.method.as_str(), c.dirty),
        ("it's c", "stamp", false)
    );
    assert_eq!(d.insert_rows(&[], false).await.unwrap(), 0);
    d.close().await.unwrap();
});

driver_test!(stamp_with_purge_replaces_everything, |db| {
    let mut d = db.connect().await;
    d.ensure_version_table().await.unwrap();
    d.insert_rows(&[stamped("a"), stamped("b")], false)
        .await
        .unwrap();
    assert_eq!(
        d.insert_rows(&[stamped("b"), stamped("z")], true)
            .await
            .unwrap(),
        2
    );
    assert_eq!(db.version_rows().await, ["b:0", "z:0"]);
    d.close().await.unwrap();
});
