//! Test-only: compact histories such as `"a; b<a; c<a; m<b,c; d<m dep=c"`.
//!
//! Each `;`-separated entry is `ID[<PARENT,...]` then any of `dep=ID,...`,
//! `created=N` (nanoseconds; equal values make ties), `label=L,...` and
//! `irrev` (no down section). Paths are `ID.sql`.

use std::path::PathBuf;

use super::Graph;
use crate::revision::{Created, Revision, RevisionId};

pub(crate) fn id(s: &str) -> RevisionId {
    RevisionId::new(s).unwrap()
}

pub(crate) fn ids(list: &[&str]) -> Vec<RevisionId> {
    list.iter().map(|s| id(s)).collect()
}

pub(crate) fn revision(id_text: &str) -> Revision {
    Revision {
        id: id(id_text),
        parents: Box::default(),
        depends_on: Box::default(),
        labels: Box::default(),
        message: format!("revision {id_text}"),
        created: None,
        transactional: true,
        reversible: true,
        checksum: crate::revision::checksum(&format!("-- up {id_text}\n")),
        path: PathBuf::from(format!("{id_text}.sql")),
        up_line: 2,
        down_line: Some(4),
    }
}

pub(crate) fn created(nanos: i128) -> Created {
    Created {
        unix_seconds: i64::try_from(nanos.div_euclid(1_000_000_000)).unwrap(),
        nanosecond: u32::try_from(nanos.rem_euclid(1_000_000_000)).unwrap(),
        text: nanos.to_string().into(),
    }
}

/// The revisions described by `spec`.
pub(crate) fn hist(spec: &str) -> Vec<Revision> {
    spec.split(';')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(entry)
        .collect()
}

fn entry(text: &str) -> Revision {
    let mut words = text.split_whitespace();
    let head = words.next().unwrap();
    let (name, parents) = head.split_once('<').unwrap_or((head, ""));
    let mut r = revision(name);
    r.parents = list(parents).into();
    for word in words {
        match word.split_once('=') {
            Some(("dep", v)) => r.depends_on = list(v).into(),
            Some(("created", v)) => r.created = Some(created(v.parse().unwrap())),
            Some(("label", v)) => r.labels = v.split(',').map(str::to_owned).collect(),
            None if word == "irrev" => r.reversible = false,
            _ => panic!("bad history word `{word}`"),
        }
    }
    r
}

fn list(v: &str) -> Vec<RevisionId> {
    v.split(',').filter(|s| !s.is_empty()).map(id).collect()
}

/// The graph of `spec`, which must be valid.
pub(crate) fn graph(spec: &str) -> Graph {
    match Graph::build(hist(spec)) {
        Ok(g) => g,
        Err(errors) => panic!("invalid test history `{spec}`: {errors:?}"),
    }
}
