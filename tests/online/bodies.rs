//! SQL bodies as real histories write them (docs/reference.md, "Revision files"): no final `;`, a
//! trailing `--` comment, `;` inside strings, CRLF line endings; and what
//! does or does not change a checksum.

use super::*;

online_test!(
    bodies_run_as_written_and_checksums_ignore_crlf_and_headers,
    |db| {
        let env = core_project(&db, "");
        env.put(
        "migrations_core/b1.sql",
        rev_file(
            "b1",
            "",
            "CREATE TABLE t_b1 (id integer, note text);\n\
             INSERT INTO t_b1 VALUES (1, 'a; b -- not a comment')\n-- trailing comment, no final semicolon",
            Some("DROP TABLE t_b1;"),
        )
        .as_bytes(),
    );
        let crlf = rev_file(
            "b2",
            "b1",
            "CREATE TABLE t_b2 (id integer);\nINSERT INTO t_b2 VALUES (2)",
            Some("DROP TABLE t_b2;"),
        )
        .replace('\n', "\r\n");
        env.put("migrations_core/b2_crlf.sql", crlf.as_bytes());
        env.put(
        "migrations_core/b3_no_tx.sql",
        rev_file_no_tx(
            "b3",
            "b2",
            "INSERT INTO t_b1 VALUES (3, 'x;y');\nINSERT INTO t_b1 VALUES (4, 'z') -- last one, no semicolon",
            Some("DELETE FROM t_b1 WHERE id IN (3, 4);"),
        )
        .as_bytes(),
    );

        let out = env.run(&["up", "core"]);
        out.success();
        let notes = db.strings("SELECT note FROM t_b1 ORDER BY id").await;
        assert_eq!(notes, ["a; b -- not a comment", "x;y", "z"], "{out}");
        assert_eq!(db.strings("SELECT CAST(id AS TEXT) FROM t_b2").await, ["2"]);
        let recorded = rows(&db, "_migrate_core").await;
        let files = ["b1.sql", "b2_crlf.sql", "b3_no_tx.sql"];
        for (row, file) in recorded.iter().zip(files) {
            assert_eq!(
                row.checksum,
                checksum_of(&env.path(&format!("migrations_core/{file}"))),
                "{file}"
            );
        }

        // The same file with LF endings, a new message and a new down: same checksum.
        env.put(
            "migrations_core/b2_crlf.sql",
            crlf.replace("\r\n", "\n")
                .replace("message revision b2", "message insert the second row")
                .replace("DROP TABLE t_b2;", "DROP TABLE IF EXISTS t_b2;")
                .as_bytes(),
        );
        env.run(&["verify", "core"]).success();
        env.run(&["check", "core", "--online"]).success();
        env.run(&["up", "core"]).success();
        assert_eq!(rows(&db, "_migrate_core").await, recorded);

        env.run(&["down", "core", "--to", "base"]).success();
        assert!(!db.has_table("t_b1").await && !db.has_table("t_b2").await);
    }
);
