//! A database built by `up` has no drift from its own files: random
//! histories of real DDL (tables, columns, defaults, indexes, check, unique
//! and foreign-key constraints, views, functions, triggers, enums, renames,
//! drops; some revisions `transaction off`) are applied, then `verify
//! --schema` must say the schema matches. A few dozen cases each, since
//! every case is a fresh database and two runs of the binary.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

use super::*;

/// One step of a history, as drawn: what to do, and two numbers that pick
/// what to do it to.
type Draw = (u8, u8, u8);

/// What the history has made so far, so each step names things that exist.
#[derive(Default)]
struct Model {
    tables: Vec<Table>,
    views: Vec<String>,
    functions: Vec<String>,
    named_indexes: Vec<String>,
    enums: Vec<String>,
    next: usize,
}

struct Table {
    name: String,
    columns: Vec<(String, Ty)>,
}

#[derive(Clone, Copy)]
enum Ty {
    Integer,
    Text,
    /// An enum whose first label is `a`.
    Enum,
}

impl Model {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    /// The SQL of one step on `dialect`.
    fn step(&mut self, (op, a, b): Draw, postgres: bool) -> String {
        let ops = if postgres { 13 } else { 7 };
        if self.tables.is_empty() || op % ops == 0 {
            return self.create_table();
        }
        let t = usize::from(a) % self.tables.len();
        match op % ops {
            1 => self.add_column(t, b),
            2 => self.index(t, b, postgres),
            3 => self.create_view(t),
            4 => self.drop_index(b),
            5 => self.trigger(t, postgres),
            6 => self.add_column(t, b.wrapping_add(1)),
            7 => self.check(t, b),
            8 => self.unique(t, b),
            9 => self.foreign_key(t, b),
            10 => self.function(b),
            11 => self.set_default(t, b),
            _ => self.enum_or_rename(t, b),
        }
    }

    fn create_table(&mut self) -> String {
        let name = self.fresh("t");
        self.tables.push(Table {
            name: name.clone(),
            columns: vec![("id".into(), Ty::Integer), ("label".into(), Ty::Text)],
        });
        format!("CREATE TABLE {name} (id integer PRIMARY KEY, label text NOT NULL DEFAULT 'x');")
    }

    fn add_column(&mut self, t: usize, b: u8) -> String {
        let column = self.fresh("c");
        let integer = b.is_multiple_of(2);
        let table = &mut self.tables[t];
        table
            .columns
            .push((column.clone(), if integer { Ty::Integer } else { Ty::Text }));
        let ty = if integer {
            format!("integer DEFAULT {b}")
        } else {
            "text".to_owned()
        };
        format!("ALTER TABLE {} ADD COLUMN {column} {ty};", table.name)
    }

    fn column(&self, t: usize, b: u8) -> &(String, Ty) {
        let columns = &self.tables[t].columns;
        &columns[usize::from(b) % columns.len()]
    }

    fn index(&mut self, t: usize, b: u8, postgres: bool) -> String {
        let (column, _) = self.column(t, b).clone();
        let table = self.tables[t].name.clone();
        if postgres && b.is_multiple_of(3) {
            // No name: PostgreSQL makes one up.
            return format!("CREATE INDEX ON {table} ({column});");
        }
        let name = self.fresh("ix");
        self.named_indexes.push(name.clone());
        let unique = if b.is_multiple_of(5) { "UNIQUE " } else { "" };
        format!("CREATE {unique}INDEX {name} ON {table} ({column});")
    }

    fn drop_index(&mut self, b: u8) -> String {
        if self.named_indexes.is_empty() {
            return self.create_table();
        }
        let name = self
            .named_indexes
            .remove(usize::from(b) % self.named_indexes.len());
        format!("DROP INDEX {name};")
    }

    fn create_view(&mut self, t: usize) -> String {
        let name = self.fresh("v");
        self.views.push(name.clone());
        let table = &self.tables[t];
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| c.as_str()).collect();
        format!(
            "CREATE VIEW {name} AS SELECT {} FROM {} WHERE id > 0;",
            columns.join(", "),
            table.name
        )
    }

    fn trigger(&mut self, t: usize, postgres: bool) -> String {
        let name = self.fresh("tg");
        let table = self.tables[t].name.clone();
        if postgres {
            let f = self.fresh("tf");
            format!(
                "CREATE FUNCTION {f}() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN NEW;\nEND $$;\n\
                 CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {f}();"
            )
        } else {
            format!("CREATE TRIGGER {name} AFTER INSERT ON {table} BEGIN SELECT 1; END;")
        }
    }

    fn check(&mut self, t: usize, b: u8) -> String {
        let table = self.tables[t].name.clone();
        if b.is_multiple_of(2) {
            format!("ALTER TABLE {table} ADD CHECK (id > -{b});")
        } else {
            let name = self.fresh("ck");
            format!("ALTER TABLE {table} ADD CONSTRAINT {name} CHECK (id <> {b});")
        }
    }

    fn unique(&mut self, t: usize, b: u8) -> String {
        let (column, _) = self.column(t, b).clone();
        format!("ALTER TABLE {} ADD UNIQUE ({column});", self.tables[t].name)
    }

    fn foreign_key(&mut self, t: usize, b: u8) -> String {
        let target = self.tables[usize::from(b) % self.tables.len()].name.clone();
        let column = self.fresh("ref");
        self.tables[t].columns.push((column.clone(), Ty::Integer));
        format!(
            "ALTER TABLE {} ADD COLUMN {column} integer REFERENCES {target} (id) ON DELETE CASCADE;",
            self.tables[t].name
        )
    }

    fn function(&mut self, b: u8) -> String {
        let name = if self.functions.is_empty() || b.is_multiple_of(2) {
            let name = self.fresh("f");
            self.functions.push(name.clone());
            name
        } else {
            self.functions[usize::from(b) % self.functions.len()].clone()
        };
        format!(
            "CREATE OR REPLACE FUNCTION {name}(x integer) RETURNS integer LANGUAGE plpgsql AS $$\n\
             BEGIN\n  RETURN x + {b};\nEND $$;"
        )
    }

    fn set_default(&mut self, t: usize, b: u8) -> String {
        let (column, ty) = self.column(t, b).clone();
        let value = match ty {
            Ty::Integer => b.to_string(),
            Ty::Text => format!("'d{b}'"),
            Ty::Enum => "'a'".to_owned(),
        };
        format!(
            "ALTER TABLE {} ALTER COLUMN {column} SET DEFAULT {value};",
            self.tables[t].name
        )
    }

    fn enum_or_rename(&mut self, t: usize, b: u8) -> String {
        if b.is_multiple_of(2) {
            let name = self.fresh("e");
            self.enums.push(name.clone());
            let column = self.fresh("c");
            self.tables[t].columns.push((column.clone(), Ty::Enum));
            return format!(
                "CREATE TYPE {name} AS ENUM ('a', 'b{b}');\nALTER TABLE {} ADD COLUMN {column} {name};",
                self.tables[t].name
            );
        }
        let renamed = self.fresh("r");
        let table = &mut self.tables[t];
        let Some(column) = table.columns.iter_mut().skip(1).last() else {
            return String::new();
        };
        let old = std::mem::replace(&mut column.0, renamed.clone());
        format!(
            "ALTER TABLE {} RENAME COLUMN {old} TO {renamed};",
            table.name
        )
    }
}

/// Revision files for `steps`, one to three steps each, in a chain; every
/// fourth revision runs outside a transaction.
fn write_history(env: &TestEnv, steps: &[Draw], postgres: bool) -> usize {
    let mut model = Model::default();
    let mut parent = String::new();
    let mut count = 0;
    for (i, chunk) in steps.chunks(3).enumerate() {
        let take = 1 + usize::from(chunk[0].2) % chunk.len();
        let body: Vec<String> = chunk[..take]
            .iter()
            .map(|d| model.step(*d, postgres))
            .collect();
        let id = format!("p{i:03}");
        let text = if i % 4 == 3 {
            rev_file_no_tx(&id, &parent, &body.join("\n"), None)
        } else {
            rev_file(&id, &parent, &body.join("\n"), None)
        };
        env.put(&format!("migrations/{id}.sql"), text.as_bytes());
        parent = id;
        count += 1;
    }
    count
}

async fn built_by_up_has_no_drift(db: TestDb, steps: Vec<Draw>) {
    let env = project(&db, "core");
    let n = write_history(&env, &steps, db.dialect == Dialect::Postgres);
    env.run(&["up", "core"]).success();
    let out = env.run(&["verify", "core", "--schema"]);
    out.success().stdout_has(&format!(
        "core: ok, the schema matches its {n} applied revision"
    ));
}

fn history() -> impl Strategy<Value = Vec<Draw>> {
    prop::collection::vec(any::<Draw>(), 1..24)
}

fn run_case(on: Dialect, steps: Vec<Draw>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        match on {
            Dialect::Postgres => {
                on_postgres(module_path!(), |db| built_by_up_has_no_drift(db, steps)).await;
            }
            _ => on_sqlite(|db| built_by_up_has_no_drift(db, steps)).await,
        }
    });
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: 24, ..Config::default() })]

    #[test]
    fn a_postgres_database_built_by_up_has_no_drift(steps in history()) {
        run_case(Dialect::Postgres, steps)?;
    }

    #[test]
    fn a_sqlite_database_built_by_up_has_no_drift(steps in history()) {
        run_case(Dialect::Sqlite, steps)?;
    }
}
