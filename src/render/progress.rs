//! Progress of a run on stderr: one line per revision (id, message,
//! duration), plus a bar per database when stderr is a terminal.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::revision::Revision;

/// Reports each revision as it runs; silent with `-q` or in JSON mode.
pub(crate) struct Progress {
    enabled: bool,
    bars: Option<(MultiProgress, Mutex<BTreeMap<String, ProgressBar>>)>,
}

impl Progress {
    pub(crate) fn new(enabled: bool, terminal: bool) -> Self {
        let bars = (enabled && terminal).then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                Mutex::new(BTreeMap::new()),
            )
        });
        Self { enabled, bars }
    }

    pub(crate) fn silent() -> Self {
        Self {
            enabled: false,
            bars: None,
        }
    }

    /// A database starts a plan of `total` steps.
    pub(crate) fn begin(&self, db: &str, total: usize) {
        let Some((multi, map)) = &self.bars else {
            return;
        };
        if total < 2 {
            return;
        }
        let bar = multi.add(ProgressBar::new(total as u64));
        if let Ok(style) = ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {msg}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(db.to_owned());
        if let Ok(mut m) = map.lock() {
            m.insert(db.to_owned(), bar);
        }
    }

    pub(crate) fn start(&self, db: &str, rev: &Revision, _up: bool) {
        if let Some(bar) = self.bar(db) {
            bar.set_message(format!("{} {}", rev.id, rev.message));
        }
    }

    /// A revision is done: it ran for `took`, or (`None`) another runner
    /// had done it first.
    pub(crate) fn finish(&self, db: &str, rev: &Revision, took: Option<Duration>, up: bool) {
        if !self.enabled {
            return;
        }
        let verb = if up { "applied" } else { "reverted" };
        let message = if rev.message.is_empty() {
            String::new()
        } else {
            format!(" {}", rev.message)
        };
        let how = match took {
            Some(took) => crate::human::duration(took),
            None => format!("{verb} by another runner meanwhile"),
        };
        let verb = if took.is_some() { verb } else { "skipped" };
        let line = format!("{db}: {verb} {}{message} ({how})", rev.id);
        match (&self.bars, self.bar(db)) {
            (Some((multi, _)), Some(bar)) => {
                let _ = multi.println(&line);
                bar.inc(1);
            }
            (Some((multi, _)), None) => {
                let _ = multi.println(&line);
            }
            _ => {
                let _ = writeln!(std::io::stderr(), "{line}");
            }
        }
    }

    /// The run on `db` stopped early.
    pub(crate) fn abandon(&self, db: &str) {
        if let Some(bar) = self.bar(db) {
            bar.abandon();
        }
    }

    pub(crate) fn end(&self, db: &str) {
        if let Some(bar) = self.bar(db) {
            bar.finish_and_clear();
        }
    }

    fn bar(&self, db: &str) -> Option<ProgressBar> {
        let (_, map) = self.bars.as_ref()?;
        map.lock().ok()?.get(db).cloned()
    }
}
