//! `migrate init`: writes `migrate.toml` and one migrations folder per
//! database, each with a SQLite `default_url` so `new` and `up` work at once.

use std::fmt::Write as _;
use std::fs;

use anyhow::{Context as _, Result};

use crate::cli::InitArgs;
use crate::config::parse::is_database_name;
use crate::context::Context;
use crate::exit::{Category, Fail};

pub(crate) fn run(ctx: &Context, args: &InitArgs) -> Result<Category> {
    let names = if args.databases.is_empty() {
        vec!["core".to_owned()]
    } else {
        args.databases.clone()
    };
    for name in &names {
        if !is_database_name(name) {
            return Err(Fail::bad_input(format!(
                "`{name}` is not a valid database name: use lower-case letters, digits and `_`, starting with a letter"
            ))
            .into());
        }
    }
    let path = ctx
        .config_path
        .clone()
        .unwrap_or_else(|| ctx.cwd.join("migrate.toml"));
    if path.exists() {
        return Err(Fail::bad_input(format!(
            "`{}` already exists; nothing was changed",
            path.display()
        ))
        .hint("edit it to add a database, or run `migrate init` in another folder")
        .into());
    }
    let dir = path
        .parent()
        .map_or_else(|| ctx.cwd.clone(), std::path::Path::to_path_buf);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    for name in &names {
        let folder = dir.join(format!("migrations_{name}"));
        fs::create_dir_all(&folder)
            .with_context(|| format!("cannot create `{}`", folder.display()))?;
    }
    let local = dir.join(".migrate");
    fs::create_dir_all(&local).with_context(|| format!("cannot create `{}`", local.display()))?;
    // The local SQLite databases are developer state, never committed.
    fs::write(local.join(".gitignore"), "*\n")
        .with_context(|| format!("cannot write in `{}`", local.display()))?;
    fs::write(&path, config_text(&names))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    ctx.printer
        .text(&format!("created {}", ctx_display(ctx, &path)));
    for name in &names {
        ctx.printer.text(&format!(
            "created {}",
            ctx_display(ctx, &dir.join(format!("migrations_{name}")))
        ));
    }
    let first = &names[0];
    ctx.printer.hint(&format!(
        "next: `migrate new {first} -m \"create users\"`, edit the file, then `migrate up --all`"
    ));
    Ok(Category::Success)
}

fn ctx_display(ctx: &Context, path: &std::path::Path) -> String {
    path.strip_prefix(&ctx.cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The variable that holds a database's URL: `DATABASE_URL` for the first,
/// `<NAME>_DATABASE_URL` for the others.
fn url_env(name: &str, first: bool) -> String {
    if first {
        "DATABASE_URL".to_owned()
    } else {
        format!("{}_DATABASE_URL", name.to_uppercase())
    }
}

fn config_text(names: &[String]) -> String {
    let mut s = String::from(
        "# migrate.toml: the databases of this application and their revision folders.\n\
         # Each URL comes from its variable; `default_url` is a local SQLite file for development.\n\
         # In production run `migrate up --all --strict` so that a missing variable is an error.\n\n\
         [settings]\n\
         # lock_timeout = \"60s\"   # how long to wait for another runner's lock\n\
         # wait = \"0s\"            # how long to retry an unreachable database\n",
    );
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            s,
            "\n[databases.{name}]\nurl_env = \"{}\"\ndefault_url = \"sqlite://.migrate/{name}.db\"\nmigrations = \"migrations_{name}\"\n",
            url_env(name, i == 0)
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_config_parses() {
        let text = config_text(&["core".into(), "ai".into()]);
        let cfg = crate::config::parse(std::path::Path::new("/x/migrate.toml"), &text).unwrap();
        assert_eq!(cfg.databases["ai"].url_env, "AI_DATABASE_URL");
        assert_eq!(cfg.databases["core"].url_env, "DATABASE_URL");
    }

    #[test]
    fn names_follow_the_config_rule() {
        assert!(is_database_name("core"));
        assert!(is_database_name("e2e_main"));
        assert!(!is_database_name("Core"));
        assert!(!is_database_name("1db"));
        assert!(!is_database_name(""));
    }
}
