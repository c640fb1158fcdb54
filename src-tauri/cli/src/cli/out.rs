//! What every command shares: JSON or human text on stdout, progress on stderr, and the
//! small text helpers the features' outputs have in common.

use crate::i18n::{t, Lang};
use khachquen_core::CoreError;
use serde::Serialize;
use std::io::Write;

pub struct Out {
    pub lang: Lang,
    pub json: bool,
}

impl Out {
    /// JSON when asked for, else the human text.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> khachquen_core::Result<()> {
        let mut stdout = std::io::stdout().lock();
        let written = if self.json {
            let s = serde_json::to_string_pretty(value)
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            writeln!(stdout, "{s}")
        } else {
            let h = human();
            if h.is_empty() {
                Ok(())
            } else {
                writeln!(stdout, "{h}")
            }
        };
        match written.and_then(|()| stdout.flush()) {
            // The reader went away (`| head -1`): the work is done, only the telling is cut
            // short, so the command's own exit code stands.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => Ok(other?),
        }
    }

    pub fn t(&self, key: &str) -> String {
        t(self.lang, key)
    }

    /// The one progress display of long work: "LABEL N%" rewritten in place on stderr,
    /// unless the output is JSON. Call [`Out::end_progress`] when the work returns.
    pub fn progress<'a>(&'a self, key: &str) -> impl FnMut(u64, u64) + 'a {
        let label = self.t(key);
        let mut shown = None;
        move |done: u64, total: u64| {
            let percent = done * 100 / total.max(1);
            // Once per percent: stderr is often a log file, where every `\r` line stays.
            if !self.json && shown != Some(percent) {
                shown = Some(percent);
                err!("\r{label} {percent}%");
            }
        }
    }

    /// Ends the progress line.
    pub fn end_progress(&self) {
        if !self.json {
            errln!();
        }
    }
}

pub fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

/// A customer without a phone shows "-", as other empty fields do.
pub fn phone_or_dash(shown: &str) -> &str {
    if shown.is_empty() {
        "-"
    } else {
        shown
    }
}

/// Lines joined for the terminal.
pub fn lines<I: IntoIterator<Item = String>>(it: I) -> String {
    it.into_iter().collect::<Vec<_>>().join("\n")
}
