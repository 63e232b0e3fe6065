//! `migrate heads`: the graph heads of each database.

use std::collections::BTreeMap;

use anyhow::Result;
use serde::Serialize;

use crate::cli::HeadsArgs;
use crate::context::{Context, Project};
use crate::exit::Category;

#[derive(Serialize)]
#[serde(untagged)]
enum HeadsDoc {
    Ids(Vec<String>),
    Verbose(Vec<HeadDoc>),
}

#[derive(Serialize)]
struct HeadDoc {
    revision: String,
    message: String,
    file: String,
}

pub(crate) fn run(ctx: &Context, project: &Project, args: &HeadsArgs) -> Result<Category> {
    let mut names = project.select(&args.select)?;
    // Sorted, like every list in text output (docs/reference.md, "Behaviour users rely on").
    names.sort();
    let mut docs = BTreeMap::new();
    let mut text = String::new();
    let prefix = names.len() > 1;
    for (name, graph) in names.iter().zip(project.graphs(&names)?) {
        let heads = graph.heads();
        let mut verbose = Vec::new();
        for id in &heads {
            let Some(rev) = graph.get(id.as_str()) else {
                continue;
            };
            let lead = if prefix {
                format!("{name}: ")
            } else {
                String::new()
            };
            if args.verbose {
                text.push_str(&format!(
                    "{lead}{id}  {}  ({})\n",
                    rev.message,
                    rev.path.display()
                ));
            } else {
                text.push_str(&format!("{lead}{id}\n"));
            }
            verbose.push(HeadDoc {
                revision: id.to_string(),
                message: rev.message.clone(),
                file: rev.path.display().to_string(),
            });
        }
        let doc = if args.verbose {
            HeadsDoc::Verbose(verbose)
        } else {
            HeadsDoc::Ids(heads.iter().map(ToString::to_string).collect())
        };
        docs.insert(name.clone(), doc);
    }
    ctx.printer.json(&docs);
    ctx.printer.text(&text);
    Ok(Category::Success)
}
