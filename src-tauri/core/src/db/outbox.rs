//! The counter's outbox: bills kept in their own small SQLite file on this computer while
//! the shop's server cannot be reached (crate::outbox). Never part of the shop's data.

use crate::error::{CoreError, Result};
use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::Path;
use std::time::Duration;

/// The outbox's file in the data folder.
pub const FILE: &str = "outbox.db";

/// Marks the file as an outbox ("KQOB"), so a database of another kind under its name is
/// refused rather than written to.
const APPLICATION_ID: i64 = 0x4b51_4f42;
const VERSION: i64 = 1;

/// One bill as kept: the typed reference and the bill's input as JSON, checked when sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub seq: i64,
    pub server: String,
    pub reference: String,
    pub client_id: String,
    pub bill: String,
    pub queued_at: i64,
    pub held_code: Option<String>,
    pub held_params: Option<String>,
    /// The counter the bill was made at; None when kept by an older build (it then goes
    /// under the sending counter's name).
    pub counter: Option<String>,
}

/// Open the outbox at `path`, which the caller created (0600) or found as a regular file;
/// a database that is not an outbox, or one from a newer app, is refused untouched.
pub fn open(path: &Path) -> Result<Connection> {
    let invalid = || CoreError::OutboxInvalid(path.display().to_string());
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|_| invalid())?;
    // Two commands on one computer share the file: one waits for the other's write.
    conn.busy_timeout(Duration::from_secs(5))?;
    // A queued bill is what the cashier was told is safe: on disk before the answer.
    conn.pragma_update(None, "synchronous", "FULL")?;
    let read = |name: &str| -> Result<i64> {
        conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .map_err(|_| invalid())
    };
    let (app, version) = (read("application_id")?, read("user_version")?);
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|_| invalid())?;
    if app == 0 && version == 0 && tables == 0 {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS bills (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 server TEXT NOT NULL,
                 reference TEXT NOT NULL,
                 client_id TEXT NOT NULL UNIQUE,
                 bill TEXT NOT NULL,
                 queued_at INTEGER NOT NULL,
                 held_code TEXT,
                 held_params TEXT,
                 counter TEXT
             ) STRICT;
             {SERVERS};
             PRAGMA application_id = {APPLICATION_ID};
             PRAGMA user_version = {VERSION};
             COMMIT;"
        ))?;
    } else if app != APPLICATION_ID || version != VERSION {
        return Err(invalid());
    } else {
        // An outbox from before the servers table or the bills' counter: added, which an
        // older build reading the file ignores. Checked again under the write lock, so two
        // commands opening it at once do not both add the column.
        let has = |sql: &str| -> Result<bool> {
            Ok(conn.query_row(sql, [], |r| r.get::<_, i64>(0))? > 0)
        };
        let servers = "SELECT count(*) FROM sqlite_schema WHERE name = 'servers'";
        let counter = "SELECT count(*) FROM pragma_table_info('bills') WHERE name = 'counter'";
        if !(has(servers)? && has(counter)?) {
            // Rolled back when dropped on an error.
            let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate)?;
            tx.execute_batch(SERVERS)?;
            if !has(counter)? {
                tx.execute_batch("ALTER TABLE bills ADD COLUMN counter TEXT")?;
            }
            tx.commit()?;
        }
    }
    Ok(conn)
}

/// Each address a counter reached its shop's server by, and which database that was
/// ([`crate::db::pg::Link::identity`]): a bill kept for an address goes to that database
/// whatever address the counter uses when it is back.
const SERVERS: &str = "CREATE TABLE IF NOT EXISTS servers (
                           address TEXT PRIMARY KEY,
                           identity TEXT NOT NULL
                       ) STRICT";

/// Note that `address` reached the database `identity`; written only when that is new.
pub fn learn(conn: &Connection, address: &str, identity: &str) -> Result<()> {
    let known: Option<String> = conn
        .query_row(
            "SELECT identity FROM servers WHERE address = ?1",
            [address],
            |r| r.get(0),
        )
        .optional()?;
    if known.as_deref() != Some(identity) {
        conn.execute(
            "INSERT INTO servers (address, identity) VALUES (?1, ?2)
             ON CONFLICT (address) DO UPDATE SET identity = excluded.identity",
            params![address, identity],
        )?;
    }
    Ok(())
}

/// Whose bills a list takes: all, or one server's, by its address and, when known, by its
/// identity (bills kept for any address that reached the same database).
#[derive(Clone, Copy)]
pub enum For<'a> {
    All,
    Server {
        address: &'a str,
        identity: Option<&'a str>,
    },
}

impl<'a> For<'a> {
    fn params(self) -> (Option<&'a str>, Option<&'a str>) {
        match self {
            For::All => (None, None),
            For::Server { address, identity } => (Some(address), identity),
        }
    }
}

/// The condition on `bills` for [`For`]: ?1 the address (NULL for all), ?2 the identity.
const FOR: &str = "(?1 IS NULL OR server = ?1
                    OR server IN (SELECT address FROM servers WHERE identity = ?2))";

/// How many bills wait for other servers than `whose`: (kept for an address noted to
/// reach another database, kept for an address whose database was never noted).
pub fn elsewhere(conn: &Connection, whose: For) -> Result<(i64, i64)> {
    let (address, identity) = whose.params();
    Ok(conn.query_row(
        &format!(
            "SELECT count(*) FILTER (WHERE server IN (SELECT address FROM servers)),
                    count(*) FILTER (WHERE server NOT IN (SELECT address FROM servers))
             FROM bills WHERE NOT {FOR}"
        ),
        params![address, identity],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

const COLUMNS: &str =
    "seq, server, reference, client_id, bill, queued_at, held_code, held_params, counter";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok(Row {
        seq: r.get(0)?,
        server: r.get(1)?,
        reference: r.get(2)?,
        client_id: r.get(3)?,
        bill: r.get(4)?,
        queued_at: r.get(5)?,
        held_code: r.get(6)?,
        held_params: r.get(7)?,
        counter: r.get(8)?,
    })
}

/// How many bills wait, for all servers.
pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM bills", [], |r| r.get(0))?)
}

/// One bill to keep: the server's address, the customer as typed, its retry id, the bill
/// as JSON and the counter it was made at.
pub type NewBill<'a> = (&'a str, &'a str, &'a str, &'a str, Option<&'a str>);

/// Keep one bill, unless `max` wait already or its id is kept (then None). One immediate
/// transaction, so two commands adding at once cannot pass `max` together.
pub fn push(conn: &Connection, max: i64, new: NewBill, at: i64) -> Result<Option<Row>> {
    let (server, reference, client_id, bill, counter) = new;
    // Rolled back when dropped on an error.
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    if count(&tx)? >= max {
        return Err(CoreError::OutboxFull { max });
    }
    let added = tx.execute(
        "INSERT INTO bills (server, reference, client_id, bill, queued_at, counter)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (client_id) DO NOTHING",
        params![server, reference, client_id, bill, at, counter],
    )?;
    let kept = if added == 0 {
        None
    } else {
        tx.query_row(
            &format!("SELECT {COLUMNS} FROM bills WHERE seq = ?1"),
            [tx.last_insert_rowid()],
            row,
        )
        .optional()?
    };
    tx.commit()?;
    Ok(kept)
}

/// The bills waiting for `whose`, oldest first, at most `max`; a bill longer than
/// `bill_max` bytes comes with its text cut to nothing, to be refused, and no text is
/// longer than anything the app writes (the file may have been changed by hand).
pub fn list(conn: &Connection, whose: For, max: i64, bill_max: usize) -> Result<Vec<Row>> {
    let (address, identity) = whose.params();
    // One character more than a name may have, so a longer one is still refused.
    let counter_max = crate::limits::COUNTER_MAX as i64 + 1;
    let mut stmt = conn.prepare(&format!(
        "SELECT seq, substr(server, 1, 2048), substr(reference, 1, 64), substr(client_id, 1, 64),
                CASE WHEN length(CAST(bill AS BLOB)) <= ?4 THEN bill ELSE '' END,
                queued_at, held_code, held_params, substr(counter, 1, ?5)
         FROM bills WHERE {FOR} ORDER BY seq LIMIT ?3"
    ))?;
    let rows = stmt
        .query_map(
            params![address, identity, max, bill_max as i64, counter_max],
            row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The bill kept as `seq`.
pub fn get(conn: &Connection, seq: i64) -> Result<Option<Row>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM bills WHERE seq = ?1"),
            [seq],
            row,
        )
        .optional()?)
}

/// Set aside (or, with None, clear) why the server refused a bill.
pub fn hold(conn: &Connection, seq: i64, held: Option<(&str, &str)>) -> Result<()> {
    conn.execute(
        "UPDATE bills SET held_code = ?2, held_params = ?3 WHERE seq = ?1",
        params![seq, held.map(|h| h.0), held.map(|h| h.1)],
    )?;
    Ok(())
}

/// A bill the server has (or the owner dropped); gone from the outbox.
pub fn remove(conn: &Connection, seq: i64) -> Result<()> {
    conn.execute("DELETE FROM bills WHERE seq = ?1", [seq])?;
    Ok(())
}
