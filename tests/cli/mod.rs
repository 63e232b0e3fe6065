//! End-to-end tests of the `migrate` binary, one file per command or theme.
//! Each test builds a project in its own temporary folder with
//! [`TestEnv`](crate::harness::env::TestEnv) and checks what a user sees.

mod bad_input;
mod config;
mod graph;
mod heads_check;
mod help;
mod history_show;
mod init;
mod json;
mod new_merge;
mod pipe;
mod rebase;

/// `tests/fixtures/diverged/`: the head of the 16-revision billing chain.
pub const TIP_BILLING: &str = "def24e423a45";
/// `tests/fixtures/diverged/`: the head of the 5-revision notifications chain.
pub const TIP_NOTIFICATIONS: &str = "b61d975d6669";
/// `tests/fixtures/diverged/`: the revision both chains start from.
pub const FORK: &str = "787d7b8592ea";
/// `tests/fixtures/diverged/`: the inner merge of the billing chain.
pub const INNER_MERGE: &str = "92fdb79c792f";
/// `tests/fixtures/diverged/`: how many revisions it holds.
pub const DIVERGED_COUNT: usize = 24;

/// A well-formed revision file: `parents` space separated (empty for a
/// base), `day` orders independent branches (`created` 2025-01-DD).
pub fn rev(id: &str, parents: &str, message: &str, day: u32) -> String {
    let parents = if parents.is_empty() {
        String::new()
    } else {
        format!("-- migrate:parents {parents}\n")
    };
    format!(
        "-- migrate:revision {id}\n{parents}-- migrate:message {message}\n-- migrate:created 2025-01-{day:02}T09:00:00Z\n\n-- migrate:up\nCREATE TABLE t_{id} (id integer);\n\n-- migrate:down\nDROP TABLE t_{id};\n"
    )
}

/// The argument of the header line `-- migrate:NAME ARGS` in `text`, if any.
pub fn header(text: &str, name: &str) -> Option<String> {
    let prefix = format!("-- migrate:{name}");
    text.lines()
        .take_while(|l| l.trim() != "-- migrate:up")
        .find_map(|l| {
            l.strip_prefix(&prefix)
                .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        })
        .map(|rest| rest.trim().to_owned())
}

/// The ids in a `parents` or `depends-on` value (spaces or commas).
pub fn ids(value: &str) -> Vec<String> {
    let mut ids: Vec<String> = value
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

/// The `.sql` files of a folder, sorted.
pub fn sql_files(env: &crate::harness::env::TestEnv, folder: &str) -> Vec<String> {
    env.files(folder)
        .into_iter()
        .filter(|f| f.ends_with(".sql"))
        .collect()
}
