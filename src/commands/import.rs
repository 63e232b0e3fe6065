//! `migrate import alembic DB`: asks Alembic (through the project's Python)
//! for the history, writes a file for each revision that has none yet, and
//! reports what it wrote. The decisions are in `crate::import`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde::Serialize;

use crate::cli::ImportAlembicArgs;
use crate::config;
use crate::context::{Context, Project};
use crate::exit::{Category, Fail};
use crate::import::convert::{ImportedFile, convert};
use crate::import::dialect::{self, SqlDialect};
use crate::import::files;
use crate::import::layout::Layout;
use crate::import::plan::{self, Planned, Problem};
use crate::import::python::{Helper, PythonCommand, Request, find_ini};
use crate::render::printer::Printer;

/// Everything the blocking part of an import needs, owned.
struct Job {
    db: String,
    folder: PathBuf,
    python: PythonCommand,
    ini: PathBuf,
    /// The ini file as the user named it, for messages.
    ini_shown: String,
    dialect: SqlDialect,
    engine: Option<String>,
    cwd: PathBuf,
    dry_run: bool,
}

/// One file written (or, in a dry run, to be written).
struct Written {
    path: PathBuf,
    revision: String,
    file: ImportedFile,
}

pub(crate) async fn run_alembic(
    ctx: &Context,
    project: &Project,
    args: ImportAlembicArgs,
) -> Result<Category> {
    let db = project.database(&args.db)?;
    let url = config::resolve(db, &project.env, &project.config.dir, &project.cwd)
        .map(|r| (r.url.kind(), r.source));
    let choice = dialect::choose(args.dialect, url, &args.db, ctx.strict)?;
    if let Some(warning) = &choice.warning {
        ctx.printer.warn(warning);
    }
    let job = Job {
        db: args.db.clone(),
        folder: db.migrations.clone(),
        python: PythonCommand::parse(&args.python)?,
        ini: find_ini(&args.ini, &ctx.cwd)?,
        ini_shown: args.ini.display().to_string(),
        dialect: choice.dialect,
        engine: args.engine.clone(),
        cwd: ctx.cwd.clone(),
        dry_run: args.dry_run,
    };
    let printer = ctx.printer.clone();
    // Python runs for a while: off the runtime's threads, so Ctrl-C still ends the run.
    let written = tokio::task::spawn_blocking(move || import(&job, &printer))
        .await
        .context("the import stopped unexpectedly")??;
    report(ctx, project, &args, choice.dialect, &written)
}

fn import(job: &Job, printer: &Printer) -> Result<(Vec<Written>, usize)> {
    let existing = files::existing(&job.folder)?;
    let request = Request {
        python: &job.python,
        ini: &job.ini,
        ini_shown: &job.ini_shown,
        verbose: printer.verbose > 0,
        dialect: job.dialect,
        engine: job.engine.as_deref(),
        cwd: &job.cwd,
    };
    let (helper, listing) = Helper::start(&request)?;
    let layout = Layout::new(&listing.project.version_locations);
    let plan = plan::plan(
        &listing.revisions,
        &existing,
        &layout,
        job.engine.as_deref(),
    )
    .map_err(|problems| bad_history(&job.ini_shown, &problems))?;
    let ids: Vec<&str> = plan.new.iter().map(|p| p.listed.id.as_str()).collect();
    let planned: HashMap<&str, &Planned<'_>> =
        plan.new.iter().map(|p| (p.listed.id.as_str(), p)).collect();
    let mut written = Vec::with_capacity(plan.new.len());
    let stderr = helper.render(&ids, |rendered| {
        let planned = planned.get(rendered.id.as_str()).with_context(|| {
            format!(
                "`{}` rendered `{}`, which was not asked for",
                job.python.shown(),
                rendered.id
            )
        })?;
        let file = convert(planned, &rendered, job.dialect);
        if !job.dry_run {
            crate::revision::write_new(&job.folder, &planned.path, &file.text)
                .with_context(|| format!("database `{}`: importing `{}`", job.db, rendered.id))?;
        }
        written.push(Written {
            path: job.folder.join(&planned.path),
            revision: rendered.id,
            file,
        });
        Ok(())
    })?;
    if printer.verbose > 0 {
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            printer.note(&format!("python: {line}"));
        }
    }
    if written.len() != ids.len() {
        anyhow::bail!(
            "`{}` rendered {} of the {} revisions asked for",
            job.python.shown(),
            written.len(),
            ids.len()
        );
    }
    Ok((written, plan.already))
}

fn bad_history(ini: &str, problems: &[Problem]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let hint = match problems.first() {
        Some(
            Problem::NoEngine { .. } | Problem::UnknownEngine { .. } | Problem::NotMultidb { .. },
        ) => "pass --engine with the engine whose history this database holds",
        Some(Problem::PathTaken { .. }) => {
            "a file in the way is never replaced: move it out of the migrations folder, then import again"
        }
        _ => {
            "migrate ids are 1 to 64 letters, digits or `_`, and labels may add `.` and `-`: \
             rename such a revision or label in Alembic (and every `down_revision` naming it) \
             before importing"
        }
    };
    Fail::bad_input(format!(
        "the Alembic history of `{ini}` cannot be imported, and nothing was written:\n  {}",
        lines.join("\n  ")
    ))
    .hint(hint)
    .into()
}

#[derive(Serialize)]
struct FileDoc<'a> {
    revision: &'a str,
    path: String,
    transactional: bool,
    needs_sql: Option<&'a str>,
    irreversible: Option<&'a str>,
}

#[derive(Serialize)]
struct ImportDoc<'a> {
    dialect: &'static str,
    ini: String,
    dry_run: bool,
    already_imported: usize,
    files: Vec<FileDoc<'a>>,
}

fn report(
    ctx: &Context,
    project: &Project,
    args: &ImportAlembicArgs,
    dialect: SqlDialect,
    (written, already): &(Vec<Written>, usize),
) -> Result<Category> {
    let printer = &ctx.printer;
    let files: Vec<FileDoc<'_>> = written
        .iter()
        .map(|w| FileDoc {
            revision: &w.revision,
            path: project.display_path(&w.path),
            transactional: w.file.transactional,
            needs_sql: w.file.needs_sql.as_deref(),
            irreversible: w.file.irreversible.as_deref(),
        })
        .collect();
    for file in &files {
        printer.text(&file.path);
    }
    let table = &project.database(&args.db)?.version_table;
    for (w, file) in written.iter().zip(&files) {
        if names_table(&w.file.text, table) {
            // Autogenerate drafts a DROP for every table no model declares.
            printer.warn(&format!(
                "{}: its SQL names `{table}`, migrate's version table: remove that statement \
                 (Alembic's autogenerate drafts a DROP for tables its models lack; keep it away \
                 with an `include_object` filter in env.py, see the README, \"Coming from \
                 Alembic\")",
                file.path
            ));
        }
        if let Some(date) = &w.file.unreadable_date {
            printer.warn(&format!(
                "{}: `Create Date: {date}` is not a time; the file has no `created`",
                file.path
            ));
        }
        if let (Some(why), None) = (file.irreversible, file.needs_sql) {
            printer.note(&format!(
                "{}: no down section (irreversible): {why}",
                file.path
            ));
        }
    }
    let folder = project
        .database(&args.db)?
        .migrations_display
        .display()
        .to_string();
    printer.note(&summary(args, dialect, &folder, files.len(), *already));
    let needs_sql: Vec<String> = files
        .iter()
        .filter_map(|f| f.needs_sql.map(|why| format!("{}: {why}", f.path)))
        .collect();
    printer.json(&BTreeMap::from([(
        args.db.as_str(),
        ImportDoc {
            dialect: dialect.alembic_name(),
            ini: args.ini.display().to_string(),
            dry_run: args.dry_run,
            already_imported: *already,
            files,
        },
    )]));
    if needs_sql.is_empty() {
        return Ok(Category::Success);
    }
    let one = needs_sql.len() == 1;
    let what = format!(
        "{} imported revision{} {} SQL written by hand: Alembic could not render upgrade() offline:\n  {}",
        needs_sql.len(),
        if one { "" } else { "s" },
        if one { "needs its" } else { "need their" },
        needs_sql.join("\n  ")
    );
    if args.dry_run {
        printer.warn(&format!(
            "{what}\n(they would be written without `-- migrate:up`)"
        ));
        return Ok(Category::Success);
    }
    Err(Fail::failed(what)
        .hint(format!(
            "in each file, add a `-- migrate:up` line above the comments and write the SQL below \
             it; `migrate check {}` fails until then",
            args.db
        ))
        .into())
}

/// True when `text` names the table `table` as a word (any case).
fn names_table(text: &str, table: &str) -> bool {
    let (text, table) = (text.to_ascii_lowercase(), table.to_ascii_lowercase());
    text.match_indices(&table).any(|(at, _)| {
        let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        !word(text[..at].chars().next_back()) && !word(text[at + table.len()..].chars().next())
    })
}

/// The line that ends every import on stderr.
fn summary(
    args: &ImportAlembicArgs,
    dialect: SqlDialect,
    folder: &str,
    written: usize,
    already: usize,
) -> String {
    let ini = args.ini.display();
    match (args.dry_run, written) {
        (_, 0) => {
            format!("nothing to import: every Alembic revision of `{ini}` has a file in `{folder}`")
        }
        (true, n) => format!(
            "dry run: would import {n} Alembic revisions of `{ini}` into `{folder}` as {dialect} \
             SQL ({already} already there); nothing was written"
        ),
        (false, n) => format!(
            "imported {n} Alembic revisions of `{ini}` into `{folder}` as {dialect} SQL \
             ({already} already there)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::names_table;

    #[test]
    fn the_version_table_is_found_as_a_word() {
        assert!(names_table("DROP TABLE _migrate_core;", "_migrate_core"));
        assert!(names_table("drop table \"_MIGRATE_CORE\"", "_migrate_core"));
        assert!(!names_table(
            "DROP TABLE _migrate_core_old;",
            "_migrate_core"
        ));
        assert!(!names_table(
            "CREATE TABLE users (id int);",
            "_migrate_core"
        ));
    }
}
