//! The counter's outbox on the command line: the bills kept while the server was away.

use super::out::{lines, Out};
use crate::i18n;
use clap::Subcommand;
use khachquen_core::outbox::{Outbox, Queued, Sending};
use khachquen_core::Store;
use std::path::Path;

#[derive(Subcommand)]
pub enum Cmd {
    /// Bills kept on this computer while the shop's server could not be reached
    #[command(subcommand)]
    Queue(QueueCmd),
}

#[derive(Subcommand)]
pub enum QueueCmd {
    /// The bills waiting, oldest first, with why the server refused any (needs no server)
    List,
    /// Send the waiting bills to the server of --database now (every command on a server
    /// also sends them first); exits 0 only when none is left waiting for this shop's server
    /// or for an address this computer never reached a server by
    Send,
    /// Take a waiting bill out unsent (who may refund, on the server, which logs it)
    Drop { seq: i64 },
}

/// Whether the command needs no shop: the list is read from this computer's outbox alone.
pub fn needs_no_store(Cmd::Queue(cmd): &Cmd) -> bool {
    matches!(cmd, QueueCmd::List)
}

/// `queue list`, without opening the shop: an empty list when nothing was ever kept.
pub fn list(data_dir: &Path, o: &Out) -> khachquen_core::Result<i32> {
    let waiting = match Outbox::existing(data_dir)? {
        Some(outbox) => outbox.list()?,
        None => Vec::new(),
    };
    o.print(&waiting, || {
        if waiting.is_empty() {
            o.t("cli.queue_empty")
        } else {
            lines(waiting.iter().map(|q| line(o, q)))
        }
    })?;
    Ok(0)
}

pub fn run(
    db: &Store,
    data_dir: &Path,
    Cmd::Queue(cmd): Cmd,
    o: &Out,
) -> khachquen_core::Result<i32> {
    match cmd {
        QueueCmd::List => list(data_dir, o),
        QueueCmd::Send => {
            let sending = match Outbox::existing(data_dir)? {
                Some(outbox) => outbox.send(db)?,
                None => Sending::default(),
            };
            o.print(&sending, || {
                let mut lines = said(o, &sending);
                lines.extend(apart(o, sending.elsewhere, "cli.queue_elsewhere"));
                lines.extend(apart(o, sending.unknown, "cli.queue_unknown"));
                lines.join("\n")
            })?;
            // 0 only when nothing waits any more: a refused bill needs the owner, and one kept
            // for an address never noted may be this shop's.
            Ok(i32::from(sending.waiting > 0 || sending.unknown > 0))
        }
        QueueCmd::Drop { seq } => {
            // Only a bill kept for this shop's server, as in the window.
            let q = db.drop_kept_bill(data_dir, seq)?;
            o.print(&q, || {
                o.t("cli.queue_dropped")
                    .replace("{seq}", &q.seq.to_string())
                    .replace("{reference}", &q.reference)
                    .replace("{amount}", &q.amount)
            })?;
            Ok(0)
        }
    }
}

/// Before a command on a server: send what waits, saying on stderr what happened. An
/// outbox that cannot be read is said and left; the command itself still runs.
/// With nothing kept yet, the outbox still notes which database this address reaches, so
/// bills kept by it later find their shop by another address (a counter working by
/// `localhost`, then by the PC's LAN address). A folder it cannot be written to keeps no
/// bill either: nothing is said then.
pub fn send_waiting(db: &Store, data_dir: &Path, o: &Out) {
    let sent = Outbox::existing(data_dir).and_then(|b| match b {
        Some(outbox) => outbox.send(db),
        None => {
            if let Err(e) = Outbox::note(data_dir, db) {
                tracing::debug!("outbox not noted: {e}");
            }
            Ok(Sending::default())
        }
    });
    match sent {
        Ok(s) => {
            for l in said(o, &s) {
                errln!("{l}");
            }
            // Bills that may be this shop's and will not go by this address: said each time.
            if let Some(l) = apart(o, s.unknown, "cli.queue_unknown") {
                errln!("{l}");
            }
        }
        Err(e) => {
            errln!("{}", i18n::core_error(o.lang, &e));
        }
    }
}

/// What a send did, one sentence a line; nothing when nothing waited.
fn said(o: &Out, s: &Sending) -> Vec<String> {
    let mut out = Vec::new();
    if !s.sent.is_empty() {
        out.push(
            o.t("cli.queue_sent")
                .replace("{n}", &s.sent.len().to_string()),
        );
    }
    for q in &s.held {
        out.push(line(o, q));
    }
    if let Some(why) = &s.stopped {
        out.push(
            o.t("cli.queue_stopped")
                .replace("{n}", &s.waiting.to_string())
                .replace(
                    "{reason}",
                    &i18n::error_message(o.lang, &why.code, &why.params),
                ),
        );
    }
    out
}

/// The sentence `key` for `n` bills left apart by a send, when there are any.
fn apart(o: &Out, n: i64, key: &str) -> Option<String> {
    (n > 0).then(|| o.t(key).replace("{n}", &n.to_string()))
}

/// One waiting bill: its number, when, for whom, how much, and why it is held if it is.
pub fn line(o: &Out, q: &Queued) -> String {
    let state = match &q.held {
        Some(h) => i18n::error_message(o.lang, &h.code, &h.params),
        None => o.t("cli.queue_waiting"),
    };
    format!(
        "#{}\t{}\t{}\t{}\t{}\t{}",
        q.seq,
        q.queued_at.to_rfc3339(),
        q.reference,
        q.amount,
        q.server,
        state
    )
}
