//! Round-trip cost: applying 1,000 small revisions must cost at most 1.5x
//! `psql` running the same statements, one transaction per revision.
//!
//! Ignored by default (it takes several seconds and needs `psql`); the two
//! are interleaved in rounds so that load from other processes hits both:
//! `scripts/with-postgres.sh cargo test --test integration bench -- --ignored --nocapture`

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use migrate::driver::{ApplyOptions, Driver};

use crate::harness::{TestDb, rev, row};

const REVISIONS: usize = 1000;
const ROUNDS: usize = 4;

fn body(i: usize) -> String {
    format!(
        "CREATE TABLE t_{i} (id int primary key, name text);\nINSERT INTO t_{i} VALUES (1, 'row {i}');\n"
    )
}

/// Runs revisions `range` through `psql -f`, each in its own transaction.
fn psql(url: &str, range: std::ops::Range<usize>) -> Duration {
    let mut script = tempfile::NamedTempFile::new().unwrap();
    for i in range {
        writeln!(script, "BEGIN;\n{}COMMIT;", body(i)).unwrap();
    }
    let start = Instant::now();
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(script.path())
        .arg(url)
        .output()
        .expect("psql not found");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

#[tokio::test]
#[ignore = "benchmark: run with --ignored under scripts/with-postgres.sh"]
async fn applying_1000_revisions_costs_at_most_1_5x_psql() {
    let Some(theirs) = TestDb::postgres(&format!("{}::psql", module_path!())).await else {
        return;
    };
    let Some(ours) = TestDb::postgres(&format!("{}::ours", module_path!())).await else {
        return;
    };
    let psql_url = theirs.url.clone();
    theirs
        .run(|_| async move {
            ours.run(|db| async move {
                let revs: Vec<_> = (0..REVISIONS)
                    .map(|i| rev(&format!("r{i}"), &body(i), None))
                    .collect();
                let mut d = db.connect().await;
                d.ensure_version_table().await.unwrap();
                let (mut migrate, mut psql_time) = (Duration::ZERO, Duration::ZERO);
                let per_round = REVISIONS / ROUNDS;
                for round in 0..ROUNDS {
                    let range = round * per_round..(round + 1) * per_round;
                    let start = Instant::now();
                    for r in &revs[range.clone()] {
                        d.apply(r, &row(r), &ApplyOptions::default()).await.unwrap();
                    }
                    migrate += start.elapsed();
                    psql_time += psql(&psql_url, range);
                }
                d.close().await.unwrap();
                let ratio = migrate.as_secs_f64() / psql_time.as_secs_f64();
                println!("{REVISIONS} revisions: migrate {migrate:?}, psql {psql_time:?}, ratio {ratio:.2}");
                assert!(ratio <= 1.5, "ratio {ratio:.2}");
            })
            .await;
        })
        .await;
}
