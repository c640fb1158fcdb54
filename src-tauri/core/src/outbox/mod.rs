//! A counter's outbox: when the shop's server cannot be reached, a bill for a customer typed
//! by phone or card number waits in a small file on this computer (`outbox.db` in the data
//! folder) and is sent when the server answers again, oldest first and exactly once (each
//! keeps its retry id, which the server replays rather than records twice). A bill with
//! points redeemed or a voucher never waits: the balance it spends is on the server.
//! Nothing else is cached or merged.
//!
//! A bill the server refuses when it is sent (a phone it does not know, a customer archived
//! meanwhile) is set aside with the reason and tried again on each later send; the others go
//! on in order. One that cannot be sent now (the server is gone again, a sign-in is needed)
//! stops the send, and it and the rest wait.

use crate::error::{CoreError, Result};
use crate::model::{PurchaseInput, PurchaseResult};
use crate::store::session::Perm;
use crate::{db, files, limits, phone, time, Store};
use chrono::{DateTime, Utc};
use rand::Rng as _;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

pub use crate::db::outbox::FILE;
/// The most bills one counter keeps: weeks of a busy counter's sales, well within the file's
/// and a send's reach.
pub const QUEUE_MAX: i64 = 5_000;
/// The longest bill kept, as JSON; a bill with more lines is refused before it is written.
pub const BILL_MAX_BYTES: usize = 64 * 1024;

/// A bill waiting in the outbox, as `queue list` and the answer to a queued bill show it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Queued {
    /// Its place in the queue: bills are sent in this order.
    pub seq: i64,
    /// `host:port/database` of the server it is for.
    pub server: String,
    /// The phone or card number as typed.
    pub reference: String,
    pub client_id: String,
    pub amount: String,
    pub queued_at: DateTime<Utc>,
    /// Why the server refused it when it was last sent; None while it simply waits.
    pub held: Option<Held>,
    /// The counter it was made at, which the server records whoever sends it; None for a
    /// bill kept by an older build (recorded under the sending counter's name).
    pub counter: Option<String>,
}

/// An error as the outbox keeps it: its code and params, shown in the user's language.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Held {
    pub code: String,
    pub params: Map<String, Value>,
}

impl Held {
    fn of(e: &CoreError) -> Held {
        Held {
            code: e.code().to_owned(),
            params: e.params(),
        }
    }
}

/// What recording a bill at a counter on a server did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Recorded {
    /// The server recorded it.
    Sent(Box<PurchaseResult>),
    /// The server could not be reached; the bill waits in the outbox.
    Queued(Queued),
}

/// One bill the server now has.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SentBill {
    pub seq: i64,
    pub client_id: String,
    pub purchase_id: i64,
}

/// What a send did.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Sending {
    pub sent: Vec<SentBill>,
    /// Refused by the server this time; they stay, with the reason.
    pub held: Vec<Queued>,
    /// Bills still waiting after the send, the held ones included.
    pub waiting: usize,
    /// Why the send stopped early, when it did.
    pub stopped: Option<Held>,
    /// Bills kept for another server, not this shop's: left as they are (`queue list`).
    pub elsewhere: i64,
    /// Bills kept for an address this computer never noted a database for (it had not
    /// reached the server by it before they were kept): left until a counter works by that
    /// address again, when they go if it is this shop's.
    pub unknown: i64,
}

pub struct Outbox {
    conn: rusqlite::Connection,
}

impl Outbox {
    /// The outbox of the data folder `dir`, created (readable by this user only) if needed.
    pub fn open(dir: &Path) -> Result<Outbox> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        match files::create_new_private(&path) {
            Ok(_) => {}
            Err(CoreError::Io(e)) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        Self::at(path)
    }

    /// The outbox of `dir` when it has one; None (and nothing created) otherwise.
    pub fn existing(dir: &Path) -> Result<Option<Outbox>> {
        let path = dir.join(FILE);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        Self::at(path).map(Some)
    }

    fn at(path: PathBuf) -> Result<Outbox> {
        // A link or a folder planted under the outbox's name is never opened or written.
        let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        if !regular {
            return Err(CoreError::FileNotRegular(files::shown(&path)));
        }
        let conn = db::outbox::open(&path)?;
        Ok(Outbox { conn })
    }

    /// Keep `input` for `server` (`host:port/database`), the customer as typed in `reference`,
    /// made at the counter named `counter`.
    fn push(
        &self,
        server: &str,
        reference: &str,
        counter: Option<&str>,
        input: &PurchaseInput,
    ) -> Result<Queued> {
        let client_id = input.client_id.clone().unwrap_or_default();
        let bill = serde_json::to_string(input).map_err(|e| CoreError::Internal(e.to_string()))?;
        if bill.len() > BILL_MAX_BYTES {
            return Err(CoreError::OutboxBillTooLarge {
                max_kib: (BILL_MAX_BYTES / 1024) as i64,
            });
        }
        let kept = db::outbox::push(
            &self.conn,
            QUEUE_MAX,
            (server, reference, &client_id, &bill, counter),
            time::now(),
        )?;
        let row = match kept {
            Some(row) => row,
            // The same bill recorded twice while offline waits once.
            None => db::outbox::list(&self.conn, mine(server, None), QUEUE_MAX, BILL_MAX_BYTES)?
                .into_iter()
                .find(|r| r.client_id == client_id)
                .ok_or_else(|| CoreError::Internal("queued bill vanished".into()))?,
        };
        Ok(queued(&row))
    }

    /// Every bill waiting, whichever server it is for, oldest first.
    pub fn list(&self) -> Result<Vec<Queued>> {
        let rows = db::outbox::list(&self.conn, db::outbox::For::All, QUEUE_MAX, BILL_MAX_BYTES)?;
        Ok(rows.iter().map(queued).collect())
    }

    /// The bills waiting for `store`'s server, oldest first: those kept for its address
    /// and for any other address that reached the same database. Notes the address's
    /// database first. Nothing on a shop file.
    pub fn kept_for(&self, store: &Store) -> Result<Vec<Queued>> {
        let Some((address, identity)) = self.learn(store)? else {
            return Ok(Vec::new());
        };
        let whose = mine(&address, identity.as_deref());
        let rows = db::outbox::list(&self.conn, whose, QUEUE_MAX, BILL_MAX_BYTES)?;
        Ok(rows.iter().map(queued).collect())
    }

    /// Note in the outbox of `dir` (made if there is none) which database `store`'s address
    /// reaches, so a bill this counter keeps later by that address finds its shop by any
    /// other. What a counter does each time it reaches its server; nothing on a shop file.
    pub fn note(dir: &Path, store: &Store) -> Result<()> {
        // A shop file has no identity; nor has a server that would not say.
        if store.server_identity().is_some() {
            Outbox::open(dir)?.learn(store)?;
        }
        Ok(())
    }

    /// Note which database `store`'s address reaches: (address, identity) on a server.
    fn learn(&self, store: &Store) -> Result<Option<(String, Option<String>)>> {
        let Some(address) = store.server() else {
            return Ok(None);
        };
        let identity = store.server_identity();
        if let Some(id) = &identity {
            db::outbox::learn(&self.conn, &address, id)?;
        }
        Ok(Some((address, identity)))
    }

    /// Send the bills waiting for `store`'s server ([`Outbox::kept_for`]), oldest first
    /// (nothing on a shop file).
    pub fn send(&self, store: &Store) -> Result<Sending> {
        let Some((address, identity)) = self.learn(store)? else {
            return Ok(Sending::default());
        };
        let whose = mine(&address, identity.as_deref());
        let rows = db::outbox::list(&self.conn, whose, QUEUE_MAX, BILL_MAX_BYTES)?;
        let (elsewhere, unknown) = db::outbox::elsewhere(&self.conn, whose)?;
        let mut out = Sending {
            elsewhere,
            unknown,
            ..Sending::default()
        };
        for (i, row) in rows.iter().enumerate() {
            match send_one(store, row) {
                Ok(purchase_id) => {
                    db::outbox::remove(&self.conn, row.seq)?;
                    out.sent.push(SentBill {
                        seq: row.seq,
                        client_id: row.client_id.clone(),
                        purchase_id,
                    });
                }
                Err(e) if stops_a_send(&e) => {
                    out.stopped = Some(Held::of(&e));
                    out.waiting = rows.len() - i;
                    return Ok(out);
                }
                Err(e) => {
                    let held = Held::of(&e);
                    let params = Value::Object(held.params.clone()).to_string();
                    db::outbox::hold(&self.conn, row.seq, Some((&held.code, &params)))?;
                    let mut q = queued(row);
                    q.held = Some(held);
                    out.held.push(q);
                }
            }
        }
        out.waiting = out.held.len();
        Ok(out)
    }

    /// Take bill `seq` out of the outbox unsent: only someone who may refund, on the server,
    /// where the audit log keeps what was dropped.
    pub fn drop_bill(&self, store: &Store, seq: i64) -> Result<Queued> {
        let actor = store.require(Perm::Refund)?;
        let row = db::outbox::get(&self.conn, seq)?.ok_or(CoreError::OutboxBillNotFound(seq))?;
        let q = queued(&row);
        store.write_any(|conn| {
            crate::store::audit::record(
                conn,
                &actor
                    .entry("purchase.queue_drop", "purchase")
                    .after(crate::store::audit::snapshot(&q)?),
            )
        })?;
        db::outbox::remove(&self.conn, seq)?;
        Ok(q)
    }
}

/// One server's bills: kept for `address`, or for an address that reached `identity`.
fn mine<'a>(address: &'a str, identity: Option<&'a str>) -> db::outbox::For<'a> {
    db::outbox::For::Server { address, identity }
}

/// Errors after which the next bill would fail alike: the send stops, and all wait.
fn stops_a_send(e: &CoreError) -> bool {
    matches!(
        e,
        CoreError::ServerUnreachable { .. }
            | CoreError::Postgres(_)
            | CoreError::NotOnServer
            | CoreError::NotSignedIn
            | CoreError::PinRequired
            | CoreError::Forbidden { .. }
            | CoreError::Io(_)
            | CoreError::Sqlite(_)
            | CoreError::Internal(_)
            | CoreError::Panicked
    )
}

fn send_one(store: &Store, row: &db::outbox::Row) -> Result<i64> {
    let mut input: PurchaseInput =
        serde_json::from_str(&row.bill).map_err(|_| CoreError::OutboxBillInvalid(row.seq))?;
    input.customer_id = store.resolve_customer(&row.reference)?;
    input.client_id = Some(row.client_id.clone());
    Ok(store
        .add_kept_purchase(input, row.counter.as_deref())?
        .purchase
        .id)
}

fn queued(row: &db::outbox::Row) -> Queued {
    let amount = serde_json::from_str::<PurchaseInput>(&row.bill)
        .map(|b| b.amount)
        .unwrap_or_default();
    let held = row.held_code.as_ref().map(|code| Held {
        code: code.clone(),
        params: row
            .held_params
            .as_deref()
            .and_then(|p| serde_json::from_str(p).ok())
            .unwrap_or_default(),
    });
    Queued {
        seq: row.seq,
        server: row.server.clone(),
        reference: row.reference.clone(),
        client_id: row.client_id.clone(),
        amount,
        queued_at: DateTime::from_timestamp(row.queued_at, 0).unwrap_or_default(),
        held,
        counter: row.counter.clone(),
    }
}

/// A new bill's retry id: 16 random bytes, so two counters never make the same one.
fn new_client_id() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    format!("kq-{}", hex::encode(bytes))
}

/// Whether a bill may wait offline: no points redeemed, no voucher, and a customer typed by
/// phone or card number (an id or a name means nothing without the server).
fn may_wait(server: &str, reference: &str, input: &PurchaseInput) -> Result<()> {
    let voucher = input
        .voucher
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty());
    if input.redeem.unwrap_or(0) != 0 || voucher {
        return Err(CoreError::OfflineRedeem {
            server: server.to_owned(),
        });
    }
    let typed = reference.trim();
    // A card number has digits (a name of four letters would pass the card rule alone).
    let card =
        crate::cards::valid_number(typed).is_ok_and(|n| n.bytes().any(|b| b.is_ascii_digit()));
    if phone::normalize(typed).is_err() && !card {
        return Err(CoreError::OfflineReference {
            server: server.to_owned(),
        });
    }
    Ok(())
}

/// Record a bill at a counter on a server: sent when the server answers, else kept in `dir`'s
/// outbox when it may wait. `store` is the open shop, or why it did not open; `counter` is
/// the counter's name when it did not (an open store's own name is used), kept with the
/// bill so the server records it at this counter whoever sends it.
/// Every bill gets a retry id first, so one that reached the server just before the link
/// dropped is replayed, not recorded again, when the outbox sends it.
pub fn record(
    dir: &Path,
    store: Result<&Store>,
    counter: Option<&str>,
    reference: &str,
    mut input: PurchaseInput,
) -> Result<Recorded> {
    let given = input.client_id.take();
    let id = given.as_deref().map(str::trim).filter(|s| !s.is_empty());
    input.client_id = Some(match id {
        Some(id) => limits::check_client_id(id)?.to_owned(),
        None => new_client_id(),
    });
    let open = store.as_ref().ok().copied();
    let tried = store.and_then(|s| {
        input.customer_id = s.resolve_customer(reference)?;
        s.add_purchase(input.clone())
    });
    match tried {
        Ok(r) => Ok(Recorded::Sent(Box::new(r))),
        Err(CoreError::ServerUnreachable { server }) => {
            may_wait(&server, reference, &input)?;
            let counter = match open {
                Some(s) => s.counter(),
                None => counter
                    .map(|c| limits::check_counter(c).map(str::to_owned))
                    .transpose()?,
            };
            input.customer_id = 0;
            if input.at.as_deref().is_none_or(|a| a.trim().is_empty()) {
                // The bill is dated when it was made, not when the server gets it.
                input.at = Some(time::from_unix(time::now()).to_rfc3339());
            }
            let outbox = Outbox::open(dir)?;
            // Which database the open store reached, noted with a bill kept for its address.
            if let Some(s) = open.filter(|s| s.server().as_deref() == Some(server.as_str())) {
                if let Some(id) = s.server_identity() {
                    db::outbox::learn(&outbox.conn, &server, &id)?;
                }
            }
            Ok(Recorded::Queued(outbox.push(
                &server,
                reference.trim(),
                counter.as_deref(),
                &input,
            )?))
        }
        Err(e) => Err(e),
    }
}

impl Store {
    /// The window's counter: a bill for a customer typed by phone or card number, recorded
    /// on the server or, while it cannot be reached, kept in the outbox of the data folder
    /// `dir` ([`record`]).
    pub fn record_or_keep(
        &self,
        dir: &Path,
        reference: &str,
        input: PurchaseInput,
    ) -> Result<Recorded> {
        self.require(Perm::Serve)?;
        record(dir, Ok(self), None, reference, input)
    }

    /// The bills this computer keeps for this shop's server, oldest first; none on a file.
    pub fn kept_bills(&self, dir: &Path) -> Result<Vec<Queued>> {
        self.require(Perm::View)?;
        // A shop's own file keeps nothing: its outbox is not even looked for.
        if self.server().is_none() {
            return Ok(Vec::new());
        }
        match Outbox::existing(dir)? {
            Some(outbox) => outbox.kept_for(self),
            None => Ok(Vec::new()),
        }
    }

    /// Send the bills kept for this shop's server now, oldest first ([`Outbox::send`]).
    pub fn send_kept_bills(&self, dir: &Path) -> Result<Sending> {
        self.require(Perm::Serve)?;
        match Outbox::existing(dir)? {
            Some(outbox) => outbox.send(self),
            None => Ok(Sending::default()),
        }
    }

    /// Take kept bill `seq` out unsent ([`Outbox::drop_bill`]).
    pub fn drop_kept_bill(&self, dir: &Path, seq: i64) -> Result<Queued> {
        self.require(Perm::Refund)?;
        let outbox = Outbox::existing(dir)?.ok_or(CoreError::OutboxBillNotFound(seq))?;
        // Only a bill kept for this server: another's is that server's to log.
        if !outbox.kept_for(self)?.iter().any(|q| q.seq == seq) {
            return Err(CoreError::OutboxBillNotFound(seq));
        }
        outbox.drop_bill(self, seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> CoreError {
        CoreError::ServerUnreachable {
            server: "10.0.0.9:5432/shop".into(),
        }
    }

    fn bill(amount: &str) -> PurchaseInput {
        PurchaseInput {
            amount: amount.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_kept_bill_is_dated_and_named_once_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let before = time::now();
        let Recorded::Queued(q) = record(
            dir.path(),
            Err(down()),
            None,
            " 0912 345 678 ",
            bill("5000"),
        )
        .unwrap() else {
            panic!("sent");
        };
        assert_eq!((q.seq, q.reference.as_str()), (1, "0912 345 678"));
        assert_eq!(q.server, "10.0.0.9:5432/shop");
        assert!(q.client_id.starts_with("kq-") && q.client_id.len() == 35);
        let conn = db::outbox::open(&dir.path().join(FILE)).unwrap();
        let row = db::outbox::get(&conn, 1).unwrap().unwrap();
        let kept: PurchaseInput = serde_json::from_str(&row.bill).unwrap();
        // Dated when made, not when the server gets it.
        let at = chrono::DateTime::parse_from_rfc3339(kept.at.as_deref().unwrap()).unwrap();
        assert!(at.timestamp() >= before && at.timestamp() <= time::now());
        assert_eq!(kept.client_id.as_deref(), Some(q.client_id.as_str()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_outbox_is_bounded_in_bills_and_in_size() {
        let dir = tempfile::tempdir().unwrap();
        let ob = Outbox::open(dir.path()).unwrap();
        let row = ("s", "0912345678", "", "{}");
        for id in ["a", "b"] {
            assert!(
                db::outbox::push(&ob.conn, 2, (row.0, row.1, id, row.3, None), 0)
                    .unwrap()
                    .is_some()
            );
        }
        assert!(matches!(
            db::outbox::push(&ob.conn, 2, (row.0, row.1, "c", row.3, None), 0),
            Err(CoreError::OutboxFull { max: 2 })
        ));
        assert_eq!(db::outbox::count(&ob.conn).unwrap(), 2);
        // A bill of many lines is refused before it is written.
        let mut big = bill("1");
        big.client_id = Some("big".into());
        big.note = Some("x".repeat(BILL_MAX_BYTES));
        assert!(matches!(
            ob.push("s", "0912345678", None, &big),
            Err(CoreError::OutboxBillTooLarge { max_kib: 64 })
        ));
        assert_eq!(db::outbox::count(&ob.conn).unwrap(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_name_or_another_database_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        // A link under the outbox's name, pointing at a file of the user's.
        let target = dir.path().join("notes.txt");
        std::fs::write(&target, "mine").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(FILE)).unwrap();
        assert!(matches!(
            record(dir.path(), Err(down()), None, "0912345678", bill("1")),
            Err(CoreError::FileNotRegular(_))
        ));
        assert!(matches!(
            Outbox::existing(dir.path()),
            Err(CoreError::FileNotRegular(_))
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine");

        // Another program's database (here the shop's own schema) is refused untouched.
        let other = tempfile::tempdir().unwrap();
        let path = other.path().join(FILE);
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE bills (x); INSERT INTO bills VALUES (1);")
            .unwrap();
        drop(c);
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            Outbox::open(other.path()),
            Err(CoreError::OutboxInvalid(_))
        ));
        assert!(matches!(
            record(other.path(), Err(down()), None, "0912345678", bill("1")),
            Err(CoreError::OutboxInvalid(_))
        ));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        // Nor is a file that is not a database at all.
        let junk = tempfile::tempdir().unwrap();
        std::fs::write(junk.path().join(FILE), vec![7u8; 4096]).unwrap();
        assert!(Outbox::existing(junk.path()).is_err());
        assert_eq!(
            std::fs::read(junk.path().join(FILE)).unwrap(),
            vec![7u8; 4096]
        );
    }

    /// An outbox as builds before the servers table and the bills' counter wrote it.
    fn old_outbox(dir: &Path) -> PathBuf {
        let path = dir.join(FILE);
        files::create_new_private(&path).unwrap();
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE bills (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT, server TEXT NOT NULL,
                 reference TEXT NOT NULL, client_id TEXT NOT NULL UNIQUE, bill TEXT NOT NULL,
                 queued_at INTEGER NOT NULL, held_code TEXT, held_params TEXT
             ) STRICT;
             INSERT INTO bills (server, reference, client_id, bill, queued_at)
             VALUES ('x:1/y', '0912345678', 'k-1', '{\"amount\":\"1\"}', 5);
             PRAGMA application_id = 1263619906; -- KQOB
             PRAGMA user_version = 1;",
        )
        .unwrap();
        path
    }

    /// An outbox written before addresses were tied to their database and bills to their
    /// counter keeps its bills (sent under the sender's name), and an older build still
    /// reads it (same version, one table and one column more).
    #[test]
    fn an_outbox_from_before_the_servers_table_keeps_its_bills() {
        let dir = tempfile::tempdir().unwrap();
        let path = old_outbox(dir.path());
        let ob = Outbox::existing(dir.path()).unwrap().unwrap();
        let kept = ob.list().unwrap();
        assert_eq!(
            (
                kept.len(),
                kept[0].client_id.as_str(),
                kept[0].counter.clone()
            ),
            (1, "k-1", None)
        );
        db::outbox::learn(&ob.conn, "x:1/y", "7/y").unwrap();
        let named = ob.push("x:1/y", "0912345678", Some("Quầy 1"), &bill("2"));
        assert_eq!(named.unwrap().counter.as_deref(), Some("Quầy 1"));
        let c = rusqlite::Connection::open(&path).unwrap();
        let (version, tied): (i64, String) = c
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version), identity FROM servers",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((version, tied.as_str()), (1, "7/y"));
        // What an older build reads and writes still works.
        c.execute(
            "INSERT INTO bills (server, reference, client_id, bill, queued_at)
             VALUES ('x:1/y', '0912345678', 'k-3', '{}', 6)",
            [],
        )
        .unwrap();
        assert_eq!(ob.list().unwrap().len(), 3);
    }

    /// Two commands opening an older outbox at the same instant both find it whole: one
    /// adds the counter column, the other waits and finds it there.
    #[test]
    fn two_commands_bringing_an_old_outbox_up_to_date_at_once_both_open_it() {
        for _ in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            old_outbox(dir.path());
            let start = std::sync::Barrier::new(2);
            std::thread::scope(|t| {
                let runs: Vec<_> = (0..2)
                    .map(|_| {
                        t.spawn(|| {
                            start.wait();
                            Outbox::existing(dir.path())
                        })
                    })
                    .collect();
                for r in runs {
                    let ob = r.join().unwrap().unwrap().unwrap();
                    assert_eq!(ob.list().unwrap().len(), 1);
                }
            });
        }
    }

    #[test]
    fn what_needs_the_server_never_waits() {
        let s = "x:1/y";
        assert!(may_wait(s, "0912 345 678", &bill("1")).is_ok());
        assert!(may_wait(s, "2000000000019", &bill("1")).is_ok()); // a card
        assert!(may_wait(s, "KQ-0009-A", &bill("1")).is_ok());
        for r in ["#12", "12", "Lan", "Minh", "Ngọc Anh", ""] {
            assert!(
                matches!(
                    may_wait(s, r, &bill("1")),
                    Err(CoreError::OfflineReference { .. })
                ),
                "{r}"
            );
        }
        let mut b = bill("1");
        b.redeem = Some(1);
        assert!(matches!(
            may_wait(s, "0912345678", &b),
            Err(CoreError::OfflineRedeem { .. })
        ));
        b.redeem = Some(0);
        b.voucher = Some(" ".into());
        assert!(may_wait(s, "0912345678", &b).is_ok());
    }
}
