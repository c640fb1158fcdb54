//! Duplicate customers: finding probable pairs and moving one customer's history onto another.

use crate::error::Result;
use rusqlite::{params, Connection};

/// References to customers that stay with the merged customer: its own tags (the kept
/// customer gets their union through an edit) and its tier history (the kept customer's tier
/// is re-evaluated instead). `customers` itself is handled apart.
const STAYS: &[(&str, &str)] = &[
    ("customer_tags", "customer_id"),
    ("tier_history", "customer_id"),
    // One row per customer, recomputed by the next analytics refresh.
    ("customer_scores", "customer_id"),
    // A campaign's members are who it chose when it launched (one row per customer): the
    // merged customer stays a member, held back or treated, as it was drawn.
    ("campaign_members", "customer_id"),
];

/// Every (table, column) with a foreign key to customers(id), from the schema itself, so a
/// table added later (reminders, notes) moves with a merge without being listed here.
pub fn references(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut tables = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
    )?;
    let names: Vec<String> = tables
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for t in names {
        let mut fks =
            conn.prepare("SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?1)")?;
        let rows = fks.query_map([&t], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (target, column) = row?;
            if target.eq_ignore_ascii_case("customers") {
                out.push((t.clone(), column));
            }
        }
    }
    Ok(out)
}

/// Whether a reference moves to the kept customer (all but `STAYS` and customers' own).
pub fn moves(table: &str, column: &str) -> bool {
    table != "customers" && !STAYS.contains(&(table, column))
}

/// Point `table.column` from `from` to `to`; returns the rows moved. Names come from the
/// schema (see `references`), never from input.
pub fn reparent(conn: &Connection, table: &str, column: &str, from: i64, to: i64) -> Result<usize> {
    let q = |s: &str| s.replace('"', "\"\"");
    // Sealed ledger rows keep their seal through the move (db::seal).
    let sealed = match table {
        "points_ledger" => super::seal::points_intact(conn, column, from)?,
        _ => Vec::new(),
    };
    let moved = conn.execute(
        &format!(
            "UPDATE \"{t}\" SET \"{c}\" = ?1 WHERE \"{c}\" = ?2",
            t = q(table),
            c = q(column)
        ),
        params![to, from],
    )?;
    super::seal::points_reseal(conn, &sealed)?;
    Ok(moved)
}

/// Customers referred by `from` are now referred by `to` (who cannot refer themselves), and
/// customers merged into `from` earlier now point at `to`. Returns the referrals moved.
pub fn move_customer_links(conn: &Connection, from: i64, to: i64) -> Result<usize> {
    let referrals = conn.execute(
        "UPDATE customers SET referred_by = ?1 WHERE referred_by = ?2 AND id <> ?1",
        params![to, from],
    )?;
    conn.execute(
        "UPDATE customers SET merged_into = ?1 WHERE merged_into = ?2",
        params![to, from],
    )?;
    Ok(referrals)
}

pub fn merged_into<'a>(conn: impl Into<super::Conn<'a>>, id: i64) -> Result<Option<i64>> {
    const SQL: &str = "SELECT merged_into FROM customers WHERE id = ?1";
    match conn.into() {
        super::Conn::Lite(c) => Ok(c.query_row(SQL, [id], |r| r.get(0))?),
        super::Conn::Pg(p) => p.with(|c| Ok(c.query_one(SQL, &[&id])?.get(0))),
    }
}

pub fn set_merged_into(conn: &Connection, id: i64, into: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE customers SET merged_into = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, into, now],
    )?;
    Ok(())
}

/// Recompute a customer's cached visits / total / first / last from their purchases.
pub fn refresh_cached_stats(conn: &Connection, id: i64) -> Result<()> {
    let (visits, total, first, last) = crate::db::purchases::aggregate(conn, id)?;
    conn.execute(
        "UPDATE customers SET visits = ?2, total_minor = ?3, first_purchase_at = ?4,
            last_purchase_at = ?5 WHERE id = ?1",
        params![id, visits, total, first, last],
    )?;
    Ok(())
}

/// A member of a candidate group: (id, active).
pub type Member = (i64, bool);

/// Customers sharing a normalised phone, with at least one still active.
pub fn same_phone(conn: &Connection) -> Result<Vec<(String, Vec<Member>)>> {
    grouped(
        conn,
        "SELECT phone, json_group_array(json_array(id, archived_at IS NULL, ''))
         FROM customers WHERE merged_into IS NULL AND phone IS NOT NULL
         GROUP BY phone HAVING count(*) > 1 AND sum(archived_at IS NULL) > 0",
    )
    .map(|g| {
        g.into_iter()
            .map(|(k, m)| (k, m.into_iter().map(|(id, a, _)| (id, a)).collect()))
            .collect()
    })
}

/// Customers with the same folded name and birthday month-day, each with their birthday
/// ("YYYY-MM-DD" or "--MM-DD"), for the caller to split by year.
pub fn same_name_birthday(conn: &Connection) -> Result<Vec<Group>> {
    grouped(
        conn,
        "SELECT name_fold, json_group_array(json_array(id, archived_at IS NULL, birthday))
         FROM customers WHERE merged_into IS NULL AND birthday IS NOT NULL
         GROUP BY name_fold, substr(birthday, -5) HAVING count(*) > 1",
    )
}

/// Customers with the same folded name and email, with at least one still active.
pub fn same_name_email(conn: &Connection) -> Result<Vec<(String, Vec<Member>)>> {
    grouped(
        conn,
        "SELECT name_fold || ' <' || email || '>',
                json_group_array(json_array(id, archived_at IS NULL, ''))
         FROM customers WHERE merged_into IS NULL AND email IS NOT NULL
         GROUP BY name_fold, email HAVING count(*) > 1 AND sum(archived_at IS NULL) > 0",
    )
    .map(|g| {
        g.into_iter()
            .map(|(k, m)| (k, m.into_iter().map(|(id, a, _)| (id, a)).collect()))
            .collect()
    })
}

/// What the members share, and each member as (id, active, birthday or "").
pub type Group = (String, Vec<(i64, bool, String)>);

fn grouped(conn: &Connection, sql: &str) -> Result<Vec<Group>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (key, json) = row?;
        // SQLite built this JSON, so it always parses; a bad row is skipped, not fatal.
        if let Ok(members) = serde_json::from_str::<Vec<(i64, i64, String)>>(&json) {
            let members = members
                .into_iter()
                .map(|(id, a, b)| (id, a != 0, b))
                .collect();
            out.push((key, members));
        }
    }
    Ok(out)
}
