//! The staff table. Every write of a sealed column renews the row's seal (db::seal).

use crate::error::Result;
use rusqlite::{params, Connection};

#[derive(Debug, Clone)]
pub struct StaffRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub pin_hash: String,
    pub active: bool,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
    pub created_at: i64,
}

const COLS: &str = "id, name, role, pin_hash, active, failed_attempts, locked_until, created_at";

fn row(r: &impl super::Row) -> Result<StaffRow> {
    Ok(StaffRow {
        id: r.col(0)?,
        name: r.col(1)?,
        role: r.col(2)?,
        pin_hash: r.col(3)?,
        active: r.col::<i64>(4)? != 0,
        failed_attempts: r.col(5)?,
        locked_until: r.col(6)?,
        created_at: r.col(7)?,
    })
}

/// On a server, rows read inside a write transaction are locked until it ends: a sign-in
/// counts an attempt from what it read, and two counters guessing at once must not both
/// count from the same number.
fn for_update(p: &super::pg::Link) -> &'static str {
    if p.in_transaction() {
        " FOR UPDATE"
    } else {
        ""
    }
}

/// Whether any account exists, active or not: the first-run prompt asks only once.
pub fn any<'a>(conn: impl Into<super::Conn<'a>>) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM staff)";
    match conn.into() {
        super::Conn::Lite(c) => Ok(c.prepare_cached(SQL)?.query_row([], |r| r.get(0))?),
        super::Conn::Pg(p) => p.with(|c| Ok(c.query_one(SQL, &[])?.get(0))),
    }
}

pub fn all<'a>(conn: impl Into<super::Conn<'a>>) -> Result<Vec<StaffRow>> {
    match conn.into() {
        super::Conn::Lite(c) => {
            let mut st = c.prepare_cached(&format!(
                "SELECT {COLS} FROM staff
                 ORDER BY active DESC, role = 'cashier', name COLLATE NOCASE"
            ))?;
            let rows = st.query_and_then([], |r| row(r))?.collect::<Result<_>>()?;
            Ok(rows)
        }
        super::Conn::Pg(p) => p.with_rows(
            &format!(
                "SELECT {COLS} FROM staff
                 ORDER BY active DESC, role = 'cashier', lower(name), id{}",
                for_update(p)
            ),
            &[],
            row,
        ),
    }
}

pub fn get<'a>(conn: impl Into<super::Conn<'a>>, id: i64) -> Result<Option<StaffRow>> {
    match conn.into() {
        super::Conn::Lite(c) => c
            .prepare_cached(&format!("SELECT {COLS} FROM staff WHERE id = ?1"))?
            .query_and_then([id], |r| row(r))?
            .next()
            .transpose(),
        super::Conn::Pg(p) => Ok(p
            .with_rows(
                &format!("SELECT {COLS} FROM staff WHERE id = $1{}", for_update(p)),
                &[&id],
                row,
            )?
            .into_iter()
            .next()),
    }
}

/// The id of the account with this name (case-insensitive), if any.
/// The id of the account with this name (case-insensitive, as each engine's unique index on
/// names compares them), if any.
pub fn id_by_name<'a>(conn: impl Into<super::Conn<'a>>, name: &str) -> Result<Option<i64>> {
    let conn = conn.into();
    let sql = match conn {
        super::Conn::Lite(_) => "SELECT id FROM staff WHERE name = ?1 COLLATE NOCASE",
        super::Conn::Pg(_) => "SELECT id FROM staff WHERE lower(name) = lower(?1)",
    };
    Ok(super::first::<(i64,)>(conn, sql, &[&name])?.map(|(id,)| id))
}

pub fn active_owners<'a>(conn: impl Into<super::Conn<'a>>) -> Result<i64> {
    super::one(
        conn.into(),
        "SELECT count(*) FROM staff WHERE active = 1 AND role = 'owner'",
        &[],
    )
}

/// Serialise changes to the accounts on a server until the transaction ends: two owners
/// editing staff at once could otherwise each leave the other as the last owner and then
/// take that one away too. (SQLite's write transaction holds the whole file.)
pub fn hold_all<'a>(conn: impl Into<super::Conn<'a>>) -> Result<()> {
    if let super::Conn::Pg(p) = conn.into() {
        p.with(|c| c.execute("SELECT pg_advisory_xact_lock($1)", &[&STAFF_LOCK]))?;
    }
    Ok(())
}

const STAFF_LOCK: i64 = 0x4b51_5354_4146; // "KQSTAF"

/// A server's rows carry no seal: the seal's key lives in a shop's file (db::seal).
fn sealed(conn: super::Conn, id: i64) -> Result<()> {
    match conn {
        super::Conn::Lite(c) => super::seal::staff_written(c, id),
        super::Conn::Pg(_) => Ok(()),
    }
}

pub fn insert<'a>(
    conn: impl Into<super::Conn<'a>>,
    name: &str,
    role: &str,
    pin_hash: &str,
    now: i64,
) -> Result<i64> {
    let conn = conn.into();
    let id = super::one(
        conn,
        "INSERT INTO staff (name, role, pin_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id",
        &[&name, &role, &pin_hash, &now],
    )?;
    sealed(conn, id)?;
    Ok(id)
}

/// An account copied from another shop file as it is (its id, PIN hash and state), sealed here.
pub fn insert_copy(conn: &Connection, r: &StaffRow, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO staff (id, name, role, pin_hash, active, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        r.id,
        r.name,
        r.role,
        r.pin_hash,
        r.active,
        r.created_at,
        now
    ])?;
    super::seal::staff_written(conn, r.id)
}

pub fn update<'a>(
    conn: impl Into<super::Conn<'a>>,
    id: i64,
    name: &str,
    role: &str,
    now: i64,
) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "UPDATE staff SET name = ?2, role = ?3, updated_at = ?4 WHERE id = ?1",
        &[&id, &name, &role, &now],
    )?;
    sealed(conn, id)
}

/// A new PIN also clears a lockout: the owner resetting it is how a locked cashier gets in.
pub fn set_pin<'a>(
    conn: impl Into<super::Conn<'a>>,
    id: i64,
    pin_hash: &str,
    now: i64,
) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "UPDATE staff SET pin_hash = ?2, failed_attempts = 0, locked_until = NULL,
         updated_at = ?3 WHERE id = ?1",
        &[&id, &pin_hash, &now],
    )?;
    sealed(conn, id)
}

pub fn set_active<'a>(
    conn: impl Into<super::Conn<'a>>,
    id: i64,
    active: bool,
    now: i64,
) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "UPDATE staff SET active = ?2, updated_at = ?3 WHERE id = ?1",
        &[&id, &i64::from(active), &now],
    )?;
    sealed(conn, id)
}

pub fn set_attempts<'a>(
    conn: impl Into<super::Conn<'a>>,
    id: i64,
    failed_attempts: i64,
    locked_until: Option<i64>,
) -> Result<()> {
    const SQL: &str = "UPDATE staff SET failed_attempts = ?2, locked_until = ?3 WHERE id = ?1";
    match conn.into() {
        super::Conn::Lite(c) => {
            c.prepare_cached(SQL)?
                .execute(params![id, failed_attempts, locked_until])?;
        }
        super::Conn::Pg(p) => {
            p.with(|c| c.execute(SQL, &[&id, &failed_attempts, &locked_until]))?;
        }
    }
    Ok(())
}
