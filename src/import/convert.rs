//! Pure: one Alembic revision, listed and rendered, as the text of its
//! revision file.
//!
//! - `up` is what `upgrade()` emitted offline; `transaction off` when it
//!   entered `autocommit_block()`.
//! - `down` is what `downgrade()` emitted. A `downgrade()` that raised, or
//!   that emits nothing while `upgrade()` does something, gives no `down`
//!   section: reverting it would record the revision as undone while its
//!   changes stay. (A merge, or a revision that emits nothing for this
//!   dialect either way, keeps an empty `down`.)
//! - An `upgrade()` that could not be rendered gives a file with its header,
//!   a comment with the reason and the `upgrade()` source, and no
//!   `-- migrate:up` line, so `migrate check` fails on it until a person
//!   writes the SQL.

use std::path::Path;

use super::created::created_from_create_date;
use super::dialect::SqlDialect;
use super::plan::{Planned, module_name};
use super::record::Rendered;
use crate::revision::format::{NewRevision, format_header, format_new, written_up};
use crate::revision::parse;

/// The first line of a file whose SQL must be written by hand; `migrate
/// check` quotes it (it is the first line the header does not allow), so it
/// says what to do in at most 60 characters.
pub(crate) const NEEDS_SQL_LINE: &str =
    "-- migrate import: write the SQL of this revision by hand.";

/// A revision file ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportedFile {
    pub text: String,
    /// Why its SQL must be written by hand; `None` when it was rendered.
    pub needs_sql: Option<String>,
    /// Why it has no `down` section; `None` when it has one.
    pub irreversible: Option<String>,
    pub transactional: bool,
    /// The `Create Date:` text when it could not be read as a time.
    pub unreadable_date: Option<String>,
}

enum Down {
    Sql(String),
    Missing(String),
}

/// The file for `planned`, rendered as `rendered` for `dialect`.
pub(crate) fn convert(
    planned: &Planned<'_>,
    rendered: &Rendered,
    dialect: SqlDialect,
) -> ImportedFile {
    let listed = planned.listed;
    let created = listed
        .create_date
        .as_deref()
        .map(|text| (text, created_from_create_date(text)));
    let mut rev = NewRevision {
        id: planned.id.clone(),
        parents: planned.parents.clone(),
        message: listed.message.clone(),
        created: created.as_ref().and_then(|(_, c)| c.clone()),
        labels: planned.labels.clone(),
        depends_on: planned.depends_on.clone(),
        transactional: !rendered.autocommit_block,
        up: String::new(),
        down: None,
    };
    let unreadable_date = match created {
        Some((text, None)) => Some(text.to_owned()),
        _ => None,
    };
    let up = match (&rendered.upgrade_sql, &rendered.upgrade_error) {
        (Some(sql), None) => Ok(sql.as_str()),
        (_, Some(error)) => Err(error.clone()),
        (None, None) => Err("the helper gave neither SQL nor an error for upgrade()".to_owned()),
    };
    let down = down_section(rendered, up.as_ref().ok().copied());
    let irreversible = match &down {
        Down::Missing(reason) => Some(reason.clone()),
        Down::Sql(_) => None,
    };
    let transactional = rev.transactional;
    let file = |text, needs_sql| ImportedFile {
        text,
        needs_sql,
        irreversible: irreversible.clone(),
        transactional,
        unreadable_date: unreadable_date.clone(),
    };
    let reason = match up {
        Ok(sql) => {
            rev.up = up_body(sql, dialect, irreversible.as_deref());
            rev.down = match &down {
                Down::Sql(sql) => Some(down_body(sql, dialect)),
                Down::Missing(_) => None,
            };
            let text = format_new(&rev);
            match reads_back(&text, &rev) {
                Ok(()) => return file(text, None),
                Err(problem) => problem,
            }
        }
        Err(reason) => reason,
    };
    let source = rendered.upgrade_source.as_deref().unwrap_or("");
    let text = needs_sql_text(&rev, &reason, source, &module_name(listed), dialect, &down);
    file(text, Some(reason))
}

fn down_section(rendered: &Rendered, up: Option<&str>) -> Down {
    if let Some(error) = &rendered.downgrade_error {
        return Down::Missing(format!("Alembic's downgrade() raised: {error}"));
    }
    match &rendered.downgrade_sql {
        None => Down::Missing("Alembic's downgrade() was not rendered".to_owned()),
        Some(sql) if sql.trim().is_empty() => match up {
            Some(up) if up.trim().is_empty() => Down::Sql(String::new()),
            _ => Down::Missing(
                "Alembic's downgrade() emits no SQL, while upgrade() changes something".to_owned(),
            ),
        },
        Some(sql) => Down::Sql(sql.clone()),
    }
}

/// Alembic ends each statement with `;` and a blank line; the body keeps
/// that, without the blank lines at its end.
fn trimmed(sql: &str) -> String {
    let body = sql.trim_end();
    let start = body.len() - body.trim_start_matches(['\n', '\r']).len();
    format!("{}\n", &body[start..])
}

fn up_body(sql: &str, dialect: SqlDialect, irreversible: Option<&str>) -> String {
    let mut body = if sql.trim().is_empty() {
        format!("-- Alembic's upgrade() emits no SQL for {dialect}.\n")
    } else {
        trimmed(sql)
    };
    if let Some(reason) = irreversible {
        body.push_str("\n-- migrate import: no down section, so this revision is irreversible:\n");
        push_comment(&mut body, "--   ", reason);
    }
    body
}

fn down_body(sql: &str, dialect: SqlDialect) -> String {
    if sql.trim().is_empty() {
        format!("-- Alembic's downgrade() emits no SQL for {dialect}.\n")
    } else {
        trimmed(sql)
    }
}

/// The written file must parse back to what was meant: rendered SQL could
/// hold a line that reads as a `-- migrate:` directive.
fn reads_back(text: &str, rev: &NewRevision) -> Result<(), String> {
    let (parsed, sql) = parse(Path::new("imported.sql"), text.as_bytes()).map_err(|e| {
        format!(
            "the SQL Alembic rendered does not fit in a revision file ({})",
            e.kind
        )
    })?;
    let same = parsed.id == rev.id
        && *sql.up == written_up(rev)
        && sql.down.as_deref().map(str::trim_end) == rev.down.as_deref().map(str::trim_end);
    if same {
        Ok(())
    } else {
        Err("the SQL Alembic rendered holds a `-- migrate:up` or `-- migrate:down` line".to_owned())
    }
}

fn needs_sql_text(
    rev: &NewRevision,
    reason: &str,
    source: &str,
    module: &str,
    dialect: SqlDialect,
    down: &Down,
) -> String {
    let mut out = format_header(rev);
    out.push('\n');
    out.push_str(NEEDS_SQL_LINE);
    out.push('\n');
    out.push_str(&format!(
        "-- Alembic's upgrade() could not be rendered as {dialect} SQL offline:\n"
    ));
    push_comment(&mut out, "--   ", reason);
    out.push_str(
        "-- Add a `-- migrate:up` line above these comments and write, below it, SQL that\n\
         -- does what upgrade() does (the comments may stay). Until then `migrate check`\n\
         -- fails on this file.\n",
    );
    if let Down::Missing(why) = down {
        out.push_str("-- There is no down section:\n");
        push_comment(&mut out, "--   ", why);
        out.push_str("-- Add `-- migrate:down` and its SQL at the end if it can be reverted.\n");
    }
    out.push_str(&format!("-- The upgrade() of {module}:\n--\n"));
    push_comment(&mut out, "--     ", source);
    if let Down::Sql(sql) = down {
        out.push_str("\n-- migrate:down\n");
        out.push_str(&down_body(sql, dialect));
    }
    out
}

/// `text` as comment lines, each starting with `prefix`, trailing blanks cut.
fn push_comment(out: &mut String, prefix: &str, text: &str) {
    for line in text.trim_end().lines() {
        let line = format!("{prefix}{line}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
