//! Copying a whole shop between the engines (`db migrate-to`, `db export-sqlite`), and the
//! summary both sides are compared on afterwards. The two schemas hold the same tables and
//! columns (tests/core/engines.rs), so every table is copied column for column, ids and
//! audit hashes included.

use crate::error::{CoreError, Result};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::Transaction;
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::io::Write;

/// A new SQLite shop file at `path` (a name the caller made), migrated and still empty of
/// the shop's rows.
pub fn create_sqlite(path: &std::path::Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    super::configure(&conn)?;
    super::migrate_latest(&mut conn)?;
    Ok(conn)
}

/// Turns this new file's reference checks off for a copy, which checks them all at once
/// afterwards (`broken_reference`). Row by row, once one reference waits for a table copied
/// later, SQLite looks for the children of every parent written, and a child table without
/// an index on its key makes that a scan per row: hours for a million customers.
pub fn check_references_at_end(lite: &Connection) -> Result<()> {
    lite.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(())
}

/// The first reference a copy left broken, as `table → parent`, found in one pass.
pub fn broken_reference(lite: &Connection) -> Result<Option<String>> {
    let mut stmt = lite.prepare("PRAGMA foreign_key_check")?;
    let mut rows = stmt.query([])?;
    match rows.next()? {
        Some(r) => Ok(Some(format!(
            "{} → {}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(2)?
        ))),
        None => Ok(None),
    }
}

/// SQLite's internal tables, and FTS5's shadow tables, which are no data of ours.
fn copied(table: &str) -> bool {
    !table.starts_with("sqlite_") && !table.starts_with("customer_search_")
}

/// A row's seal vouches for it with one computer's key, and a server seals nothing it
/// writes. So a shop leaves a server unsealed (`pg_to_sqlite`): without row seals and
/// without its entries' MACs, as a shop from before seals. The computer that opens it
/// seals it as its own (the first open's adoption, logged as `audit.seal`), and a restore
/// of it seals it anew; stale seals would call every row written on the server altered.
const SEALS: &[&str] = &["row_seals", "seal_totals"];

/// The tables a shop leaving a server is written to and checked on: [`tables`] but seals.
pub fn unsealed_tables(lite: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    Ok(tables(lite)?
        .into_iter()
        .filter(|(t, _)| !SEALS.contains(&t.as_str()))
        .collect())
}

/// Every table a copy writes, with its columns, in SQLite's catalogue order.
pub fn tables(lite: &Connection) -> Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = lite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for t in names.into_iter().filter(|t| copied(t)) {
        let cols: Vec<String> = if t == "customer_search" {
            // FTS5 keys a row by its rowid, the customer's id; PostgreSQL names it `id`.
            vec!["id".into(), "name_fold".into(), "name_marked".into()]
        } else {
            lite.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
                .query_map([&t], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        out.push((t, cols));
    }
    Ok(out)
}

/// A table's columns as SQLite names them: FTS5 keys its rows by rowid, not `id`.
fn sqlite_columns(table: &str, cols: &[String]) -> String {
    if table == "customer_search" {
        "rowid, name_fold, name_marked".to_string()
    } else {
        cols.join(", ")
    }
}

/// What the copy onto a server reads of `table` in SQLite, and the server's columns it
/// fills: a table's own columns in id order; for the search rows (pg/019_search_rank.sql)
/// also the two figures the counter ranks by, from each customer's row (every search row
/// goes, as the copy's count checks, whatever that row holds), in the order of the folded
/// names, so a name's matches lie together on the server's pages.
fn copy_source(table: &str, cols: &[String]) -> (String, Vec<String>) {
    if table != "customer_search" {
        let select = format!("SELECT {} FROM {table} ORDER BY 1", cols.join(", "));
        return (select, cols.to_vec());
    }
    let mut cols = cols.to_vec();
    cols.extend(["last_purchase_at".to_owned(), "visits".to_owned()]);
    let select = "SELECT s.rowid, s.name_fold, s.name_marked, c.last_purchase_at,
                         coalesce(c.visits, 0)
                  FROM customer_search s LEFT JOIN customers c ON c.id = s.rowid
                  ORDER BY s.name_fold, s.rowid"
        .to_owned();
    (select, cols)
}

/// One value in COPY's text format.
fn copy_text(out: &mut Vec<u8>, v: ValueRef<'_>) -> Result<()> {
    match v {
        ValueRef::Null => out.extend_from_slice(b"\\N"),
        ValueRef::Integer(i) => write!(out, "{i}")?,
        ValueRef::Real(f) if f.is_nan() => out.extend_from_slice(b"NaN"),
        ValueRef::Real(f) if f.is_infinite() => {
            out.extend_from_slice(if f > 0.0 { b"Infinity" } else { b"-Infinity" })
        }
        // Rust's shortest form reads back as the same double.
        ValueRef::Real(f) => write!(out, "{f:?}")?,
        ValueRef::Text(t) => {
            for &b in t {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    0 => return Err(CoreError::Migration("a text holds a NUL byte".into())),
                    _ => out.push(b),
                }
            }
        }
        ValueRef::Blob(_) => return Err(CoreError::Migration("a value is a blob".into())),
    }
    Ok(())
}

/// A COPY into `table` (`cols` as a column list) of a table made in the caller's
/// transaction, its rows frozen (as COPY FREEZE needs the table that new): every page is
/// all-visible at once, so the first report's scan of the purchases reads their covering
/// index alone instead of each row's page, and no vacuum has to visit or freeze them later.
fn copy_frozen<'t>(
    tx: &'t mut Transaction<'_>,
    table: &str,
    cols: &str,
) -> Result<postgres::CopyInWriter<'t>> {
    Ok(tx.copy_in(&format!("COPY {table} ({cols}) FROM STDIN (FREEZE)"))?)
}

/// Copies every table of an SQLite shop into a server's freshly migrated database, inside
/// the caller's transaction, through [`copy_frozen`]. `progress` gets (tables done, tables).
pub fn sqlite_to_pg(
    lite: &Connection,
    tx: &mut Transaction<'_>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let tables = tables(lite)?;
    // The baseline's own rows (tiers, templates) give way to the shop's; references are
    // checked at commit, so tables go in any order.
    tx.batch_execute("SET CONSTRAINTS ALL DEFERRED; DELETE FROM tiers; DELETE FROM templates;")?;
    for (n, (table, cols)) in tables.iter().enumerate() {
        let (select, cols) = copy_source(table, cols);
        let mut stmt = lite.prepare(&select)?;
        let mut rows = stmt.query([])?;
        let mut w = copy_frozen(tx, table, &cols.join(", "))?;
        let mut line = Vec::with_capacity(256);
        while let Some(row) = rows.next()? {
            line.clear();
            for i in 0..cols.len() {
                if i > 0 {
                    line.push(b'\t');
                }
                copy_text(&mut line, row.get_ref(i)?)?;
            }
            line.push(b'\n');
            w.write_all(&line)?;
        }
        w.finish()?;
        progress(n + 1, tables.len());
    }
    renumber(
        tx,
        tables
            .iter()
            .filter(|(_, cols)| cols.first().map(String::as_str) == Some("id"))
            .map(|(t, _)| t.as_str()),
    )
}

/// Identity columns go on after the highest id copied into their tables (`customer_search`,
/// keyed by the customer's id, has none).
fn renumber<'a>(tx: &mut Transaction<'_>, tables: impl Iterator<Item = &'a str>) -> Result<()> {
    for table in tables.filter(|t| *t != "customer_search") {
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                    COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            ),
            &[],
        )?;
    }
    Ok(())
}

/// Empties a server's shop for a restore from an older schema, in the caller's
/// transaction: every table and function in the current schema goes (the caller has made
/// sure it is a shop of ours), and this version's own migrations build schema `from` again,
/// its default rows cleared for the archive's.
pub fn rebuild_at(tx: &mut Transaction<'_>, from: usize) -> Result<()> {
    // Counters' links hold the shop's tables between bills: wait for them a while only.
    tx.batch_execute("SET LOCAL lock_timeout = '10s'")?;
    let tables: Vec<String> = super::pg::shop_tables(tx)?
        .iter()
        .map(|t| super::pg::quoted(t))
        .collect();
    if !tables.is_empty() {
        tx.batch_execute(&format!("DROP TABLE {} CASCADE", tables.join(", ")))?;
    }
    let functions: Vec<String> = tx
        .query(
            "SELECT p.oid::regprocedure::text FROM pg_proc p
             WHERE p.pronamespace = current_schema()::regnamespace",
            &[],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for f in functions {
        tx.batch_execute(&format!("DROP FUNCTION {f} CASCADE"))?;
    }
    super::pg::migrate_in(tx, from, &mut |_, _| {})?;
    tx.batch_execute("SET CONSTRAINTS ALL DEFERRED; DELETE FROM tiers; DELETE FROM templates;")?;
    Ok(())
}

/// Checks now the references [`rebuild_at`] deferred.
pub fn check_references_now(tx: &mut Transaction<'_>) -> Result<()> {
    tx.batch_execute("SET CONSTRAINTS ALL IMMEDIATE")?;
    Ok(())
}

/// A plain lower-case identifier, or one pg_dump quoted.
fn identifier(s: &str) -> bool {
    let s = s
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(s);
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Copies the data of an archive, as `pg_restore --data-only --file=-` prints it, into the
/// tables [`rebuild_at`] built, in the caller's transaction: only its COPY blocks, each
/// through COPY into the table it names (a name or column that is not a plain identifier is
/// refused, and nothing else in the text is run). The schema's own row (`kq_schema`) is the
/// migrations'. Identity columns go on after the highest id copied. The rows go in through
/// [`copy_frozen`].
pub fn archive_to_pg(tx: &mut Transaction<'_>, data: impl std::io::BufRead) -> Result<()> {
    let foreign = |what: &str| CoreError::Migration(format!("not a shop's data: {what}"));
    let mut lines = data.split(b'\n');
    let mut tables = Vec::new();
    while let Some(line) = lines.next() {
        let line = line?;
        // `COPY public.customers (id, code, …) FROM stdin;`
        let Some(rest) = line
            .strip_prefix(b"COPY ")
            .and_then(|r| r.strip_suffix(b" FROM stdin;"))
        else {
            continue;
        };
        let rest = std::str::from_utf8(rest).map_err(|_| foreign("a COPY line"))?;
        let (name, cols) = rest.split_once(" (").ok_or_else(|| foreign(rest))?;
        let table = name.rsplit('.').next().unwrap_or_default();
        let cols = cols.strip_suffix(')').ok_or_else(|| foreign(rest))?;
        if !identifier(table) || !cols.split(", ").all(identifier) {
            return Err(foreign(rest));
        }
        let skip = table == "kq_schema";
        let mut w = match skip {
            true => None,
            false => Some(copy_frozen(tx, table, cols)?),
        };
        let mut ended = false;
        for row in lines.by_ref() {
            let row = row?;
            if row == b"\\." {
                ended = true;
                break;
            }
            if let Some(w) = w.as_mut() {
                w.write_all(&row)?;
                w.write_all(b"\n")?;
            }
        }
        if !ended {
            return Err(foreign("a COPY block without its end"));
        }
        if let Some(w) = w {
            w.finish()?;
        }
        if !skip && cols.split(", ").next() == Some("id") {
            tables.push(table.to_owned());
        }
    }
    renumber(tx, tables.iter().map(String::as_str))
}

/// Copies every table of a server's database into a new, freshly migrated SQLite file,
/// inside the caller's SQLite transaction, reading in the server transaction `tx`.
pub fn pg_to_sqlite(
    tx: &mut Transaction<'_>,
    lite: &Connection,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<()> {
    let tables = unsealed_tables(lite)?;
    lite.execute_batch("DELETE FROM tiers; DELETE FROM templates;")?;
    for (n, (table, cols)) in tables.iter().enumerate() {
        // An entry's MAC was made with the key of the computer that wrote it, if any.
        let unsealed: Vec<bool> = cols
            .iter()
            .map(|c| table == "audit_log" && (c == "mac_key" || c == "mac"))
            .collect();
        let into = sqlite_columns(table, cols);
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let mut insert = lite.prepare(&format!(
            "INSERT INTO {table} ({into}) VALUES ({})",
            marks.join(", ")
        ))?;
        let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
        let mut rows = tx.query_raw(
            &format!("SELECT {} FROM {table} ORDER BY 1", cols.join(", ")),
            none,
        )?;
        while let Some(row) = rows.next()? {
            let mut values: Vec<Value> = Vec::with_capacity(cols.len());
            for (i, c) in row.columns().iter().enumerate() {
                if unsealed[i] {
                    values.push(Value::Null);
                    continue;
                }
                values.push(match *c.type_() {
                    Type::INT8 => row
                        .get::<_, Option<i64>>(i)
                        .map_or(Value::Null, Value::Integer),
                    Type::FLOAT8 => row
                        .get::<_, Option<f64>>(i)
                        .map_or(Value::Null, Value::Real),
                    Type::TEXT => row
                        .get::<_, Option<String>>(i)
                        .map_or(Value::Null, Value::Text),
                    ref other => {
                        return Err(CoreError::Migration(format!(
                            "{table}.{}: type {other}",
                            c.name()
                        )))
                    }
                });
            }
            insert.execute(rusqlite::params_from_iter(values))?;
        }
        progress(n + 1, tables.len());
    }
    Ok(())
}

/// What a copy is checked on: rows per table, the money columns' sums, and every customer's
/// points balance. The same SQL runs on both engines.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub rows: BTreeMap<String, i64>,
    pub money_minor: BTreeMap<String, i64>,
    pub balances: BTreeMap<i64, i64>,
}

const MONEY: &[(&str, &str)] = &[
    ("customers", "total_minor"),
    ("purchases", "total_minor"),
    ("purchases", "discount_minor"),
    ("purchase_items", "line_total_minor"),
    ("refunds", "amount_minor"),
    ("voucher_programs", "spent_minor"),
    ("voucher_redemptions", "discount_minor"),
];
const BALANCES: &str =
    "SELECT customer_id, CAST(sum(points) AS BIGINT) FROM points_ledger GROUP BY customer_id";

fn count_sql(table: &str) -> String {
    format!("SELECT count(*) FROM {table}")
}

fn sum_sql(table: &str, col: &str) -> String {
    format!("SELECT CAST(COALESCE(sum({col}), 0) AS BIGINT) FROM {table}")
}

pub fn summary_sqlite(lite: &Connection) -> Result<Summary> {
    let mut s = Summary::default();
    for (t, _) in tables(lite)? {
        let n = lite.query_row(&count_sql(&t), [], |r| r.get(0))?;
        s.rows.insert(t, n);
    }
    for (t, c) in MONEY {
        let v = lite.query_row(&sum_sql(t, c), [], |r| r.get(0))?;
        s.money_minor.insert(format!("{t}.{c}"), v);
    }
    let mut stmt = lite.prepare(BALANCES)?;
    for r in stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
        let (k, v) = r?;
        s.balances.insert(k, v);
    }
    Ok(s)
}

/// The same summary of a server's database; `tables` names what to count (SQLite's list).
pub fn summary_pg(tx: &mut Transaction<'_>, tables: &[(String, Vec<String>)]) -> Result<Summary> {
    let mut s = Summary::default();
    for (t, _) in tables {
        let n: i64 = tx.query_one(&count_sql(t), &[])?.get(0);
        s.rows.insert(t.clone(), n);
    }
    for (t, c) in MONEY {
        let v: i64 = tx.query_one(&sum_sql(t, c), &[])?.get(0);
        s.money_minor.insert(format!("{t}.{c}"), v);
    }
    for r in tx.query(BALANCES, &[])? {
        s.balances.insert(r.get(0), r.get(1));
    }
    Ok(s)
}
