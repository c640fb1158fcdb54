//! The audit log table (migration 008): append, page through with filters, and read the
//! raw rows back in id order for the hash-chain check. Hashing lives in crate::store::audit.

use crate::error::{CoreError, Result};
use rusqlite::types::Value;
use rusqlite::{params, Connection, OptionalExtension};

/// One row as the app writes it (the hash already computed by crate::store::audit).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub via: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub customer_id: Option<i64>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// The id of the key that sealed the entry, and its MAC over the hash (db::seal); both
    /// absent for entries from before seals, or written while the key was missing.
    pub mac_key: Option<String>,
    pub mac: Option<String>,
    /// The counter that wrote it (schema 17 on); hashed when present.
    pub counter: Option<String>,
}

/// The hashed columns in hash order, then `hash` itself, then the seal, then the counter
/// (hashed after `prev_hash` when present). crate::store::audit depends on this order.
const COLS: &str = "id, at, actor_id, actor_name, via, action, entity, entity_id, customer_id,
                    before_json, after_json, prev_hash, hash, mac_key, mac, counter";
/// Columns read by [`walk`].
pub const WIDTH: usize = 16;

/// The newest entry's id and hash: a walk down the rowid b-tree, however long the log is.
pub fn last(conn: &Connection) -> Result<Option<(i64, Value)>> {
    Ok(conn
        .prepare_cached("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The highest id ever written (AUTOINCREMENT's record), 0 before the first entry.
pub fn highest_id_ever(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'")?
        .query_row([], |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()
        .unwrap_or(0))
}

pub fn insert(conn: &Connection, e: &AuditRow) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO audit_log ({COLS})
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
        e.id,
        e.at,
        e.actor_id,
        e.actor_name,
        e.via,
        e.action,
        e.entity,
        e.entity_id,
        e.customer_id,
        e.before_json,
        e.after_json,
        e.prev_hash,
        e.hash,
        e.mac_key,
        e.mac,
        e.counter
    ])?;
    Ok(())
}

/// The chain's lock on a server: held from reading the head to the commit, so entries from
/// several counters link one after another.
const CHAIN_LOCK: i64 = 0x4b51_4155_4449; // "KQAUDI"

/// Append on a server: under the chain's lock, `make(id, prev_hash)` gives the row to insert
/// after the newest entry (None: the log is empty) (ids are never reused there: the log refuses DELETE and TRUNCATE).
/// Needs the caller's transaction.
pub fn append_pg(
    link: &super::pg::Link,
    make: impl FnOnce(i64, Option<&str>) -> AuditRow,
) -> Result<i64> {
    if !link.in_transaction() {
        return Err(CoreError::Internal(
            "audit::record needs the caller's write transaction".into(),
        ));
    }
    link.with(|c| {
        c.execute("SELECT pg_advisory_xact_lock($1)", &[&CHAIN_LOCK])?;
        let head = c.query_opt(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
            &[],
        )?;
        let (last, prev): (i64, Option<String>) = match head {
            Some(r) => (r.get(0), Some(r.get(1))),
            None => (0, None),
        };
        let e = make(last + 1, prev.as_deref());
        c.execute(
            &format!(
                "INSERT INTO audit_log ({COLS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
            ),
            &[
                &e.id,
                &e.at,
                &e.actor_id,
                &e.actor_name,
                &e.via,
                &e.action,
                &e.entity,
                &e.entity_id,
                &e.customer_id,
                &e.before_json,
                &e.after_json,
                &e.prev_hash,
                &e.hash,
                &e.mac_key,
                &e.mac,
                &e.counter,
            ],
        )?;
        Ok(e.id)
    })
}

/// Filters already resolved to ids and instants; every one optional.
#[derive(Debug, Clone, Default)]
pub struct Where {
    /// The actor's name, compared case-insensitively (ASCII).
    pub actor_name: Option<String>,
    pub actor_id: Option<i64>,
    /// An exact action ("customer.update") or a prefix before a dot ("customer").
    pub action: Option<String>,
    /// This customer and any customer merged into it.
    pub customer_id: Option<i64>,
    /// `at >= since`
    pub since: Option<i64>,
    /// `at < until`
    pub until: Option<i64>,
    /// Written at this counter.
    pub counter: Option<String>,
}

fn where_sql(w: &Where, pg: bool, args: &mut Vec<Box<dyn super::Param>>) -> String {
    let mut clauses = vec!["1 = 1".to_owned()];
    if let Some(name) = &w.actor_name {
        args.push(Box::new(name.clone()));
        let n = args.len();
        clauses.push(if pg {
            format!("lower(actor_name) = lower(?{n})")
        } else {
            format!("actor_name = ?{n} COLLATE NOCASE")
        });
    }
    if let Some(id) = w.actor_id {
        args.push(Box::new(id));
        clauses.push(format!("actor_id = ?{}", args.len()));
    }
    if let Some(action) = &w.action {
        args.push(Box::new(action.clone()));
        let n = args.len();
        clauses.push(format!(
            "(action = ?{n} OR substr(action, 1, length(?{n}) + 1) = ?{n} || '.')"
        ));
    }
    if let Some(id) = w.customer_id {
        args.push(Box::new(id));
        let n = args.len();
        clauses.push(format!(
            "(customer_id = ?{n}
              OR customer_id IN (SELECT id FROM customers WHERE merged_into = ?{n}))"
        ));
    }
    if let Some(t) = w.since {
        args.push(Box::new(t));
        clauses.push(format!("at >= ?{}", args.len()));
    }
    if let Some(t) = w.until {
        args.push(Box::new(t));
        clauses.push(format!("at < ?{}", args.len()));
    }
    if let Some(c) = &w.counter {
        args.push(Box::new(c.clone()));
        clauses.push(format!("counter = ?{}", args.len()));
    }
    clauses.join(" AND ")
}

impl super::Columns for AuditRow {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(AuditRow {
            id: r.col(0)?,
            at: r.col(1)?,
            actor_id: r.col(2)?,
            actor_name: r.col(3)?,
            via: r.col(4)?,
            action: r.col(5)?,
            entity: r.col(6)?,
            entity_id: r.col(7)?,
            customer_id: r.col(8)?,
            before_json: r.col(9)?,
            after_json: r.col(10)?,
            prev_hash: r.col(11)?,
            hash: r.col(12)?,
            mac_key: r.col(13)?,
            mac: r.col(14)?,
            counter: r.col(15)?,
        })
    }
}

/// How many entries match, and one page of them, newest first.
pub fn list<'a>(
    conn: impl Into<super::Conn<'a>>,
    w: &Where,
    limit: u32,
    offset: u32,
) -> Result<(i64, Vec<AuditRow>)> {
    let conn = conn.into();
    let mut args: Vec<Box<dyn super::Param>> = Vec::new();
    let wh = where_sql(w, matches!(conn, super::Conn::Pg(_)), &mut args);
    let total = super::one(
        conn,
        &format!("SELECT count(*) FROM audit_log WHERE {wh}"),
        &super::refs(&args),
    )?;
    args.push(Box::new(i64::from(limit)));
    args.push(Box::new(i64::from(offset)));
    let sql = format!(
        "SELECT {COLS} FROM audit_log WHERE {wh} ORDER BY id DESC LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    Ok((total, super::rows(conn, &sql, &super::refs(&args))?))
}

/// One stored row exactly as SQLite holds it: the id, then the twelve hashed columns
/// (`id` again first, ..., `prev_hash`), then `hash`, `mac_key`, `mac` and `counter`. Raw values, so a
/// row whose types were tampered with is still read, and simply fails its hash.
pub type RawRow = (i64, [Value; WIDTH]);

/// The log has seal columns (schema 10 on; an older backup's has not).
pub fn has_seals(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('audit_log') WHERE name = 'mac'",
        [],
        |r| r.get(0),
    )?)
}

/// The log has the counter column (schema 17 on; an older backup's has not).
fn has_counters(conn: &Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('audit_log') WHERE name = 'counter'",
        [],
        |r| r.get(0),
    )?)
}

/// Every row in id order, handed to `f` one at a time (the log may be long). A log from
/// before seals (schema 8 and 9, in an older backup) reads its missing seal as NULL.
pub fn walk(conn: &Connection, mut f: impl FnMut(RawRow) -> Result<()>) -> Result<()> {
    let mut cols = COLS.to_owned();
    if !has_seals(conn)? {
        cols = cols.replace("mac_key, mac,", "NULL, NULL,");
    }
    if !has_counters(conn)? {
        cols = cols.replace(", counter", ", NULL");
    }
    let mut stmt = conn.prepare(&format!("SELECT {cols} FROM audit_log ORDER BY id"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let vals: Vec<Value> = (0..WIDTH)
            .map(|i| r.get(i))
            .collect::<rusqlite::Result<_>>()?;
        let vals: [Value; WIDTH] = vals
            .try_into()
            .map_err(|_| CoreError::Internal("audit row width".into()))?;
        f((r.get(0)?, vals))?;
    }
    Ok(())
}

/// The rows of a server's log in id order, as [`walk`] gives a file's (each value as SQLite
/// would hold it), read a page at a time so a long log is never held whole.
pub fn walk_pg(link: &super::pg::Link, mut f: impl FnMut(RawRow) -> Result<()>) -> Result<()> {
    const PAGE: i64 = 5000;
    const INTS: [usize; 4] = [0, 1, 2, 8];
    let mut after = 0i64;
    loop {
        let rows = link.with(|c| {
            c.query(
                &format!("SELECT {COLS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"),
                &[&after, &PAGE],
            )
        })?;
        for r in &rows {
            let mut vals: [Value; WIDTH] = std::array::from_fn(|_| Value::Null);
            for (i, v) in vals.iter_mut().enumerate() {
                *v = if INTS.contains(&i) {
                    r.try_get::<_, Option<i64>>(i)?
                        .map_or(Value::Null, Value::Integer)
                } else {
                    r.try_get::<_, Option<String>>(i)?
                        .map_or(Value::Null, Value::Text)
                };
            }
            after = r.try_get(0)?;
            f((after, vals))?;
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

/// The newest entry carrying a seal: its id, key id and MAC.
pub fn sealed_head(conn: &Connection) -> Result<Option<(i64, String, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, mac_key, mac FROM audit_log WHERE mac IS NOT NULL AND mac_key IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// The seal stored with entry `id`, raw (None when there is no such entry).
pub fn seal_of(conn: &Connection, id: i64) -> Result<Option<(Value, Value)>> {
    Ok(conn
        .prepare_cached("SELECT mac_key, mac FROM audit_log WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// `id -> name` for the given ids of `table` (customers or staff), archived, merged and
/// inactive rows included: the log viewer shows who an entry is about, not a number.
fn names(
    conn: super::Conn,
    table: &str,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let list = serde_json::to_string(ids).map_err(|e| CoreError::Internal(e.to_string()))?;
    let sql = match conn {
        super::Conn::Lite(_) => {
            format!("SELECT id, name FROM {table} WHERE id IN (SELECT value FROM json_each(?1))")
        }
        super::Conn::Pg(_) => format!(
            "SELECT id, name FROM {table}
             WHERE id IN (SELECT value::bigint
                          FROM json_array_elements_text(CAST(?1 AS text)::json))"
        ),
    };
    let rows: Vec<(i64, String)> = super::rows(conn, &sql, &[&list])?;
    Ok(rows.into_iter().collect())
}

pub fn customer_names<'a>(
    conn: impl Into<super::Conn<'a>>,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    names(conn.into(), "customers", ids)
}

pub fn staff_names<'a>(
    conn: impl Into<super::Conn<'a>>,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>> {
    names(conn.into(), "staff", ids)
}

/// How many entries the log holds.
pub fn entry_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?)
}
