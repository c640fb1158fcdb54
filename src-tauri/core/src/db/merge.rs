//! Duplicate customers: finding probable pairs and moving one customer's history onto another.

use super::Conn;
use crate::error::Result;

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
pub fn references<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<(String, String)>> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(p) => {
            // The catalogue's foreign keys, ordered as SQLite lists them: by table name.
            return p.with_rows(
                "SELECT t.relname::text, a.attname::text
                 FROM pg_constraint k
                 JOIN pg_class t ON t.oid = k.conrelid
                 JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                 WHERE k.contype = 'f' AND k.confrelid = 'customers'::regclass
                 ORDER BY t.relname COLLATE \"C\", a.attnum",
                &[],
                |r| Ok((r.try_get(0)?, r.try_get(1)?)),
            );
        }
    };
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
pub fn reparent<'a>(
    conn: impl Into<Conn<'a>>,
    table: &str,
    column: &str,
    from: i64,
    to: i64,
) -> Result<usize> {
    let conn = conn.into();
    let q = |s: &str| s.replace('"', "\"\"");
    // Sealed ledger rows keep their seal through the move (db::seal). A server seals
    // nothing it writes (its entries are vouched for by the audit chain alone).
    let sealed = match (conn, table) {
        (Conn::Lite(c), "points_ledger") => super::seal::points_intact(c, column, from)?,
        _ => Vec::new(),
    };
    let moved = super::execute(
        conn,
        &format!(
            "UPDATE \"{t}\" SET \"{c}\" = ?1 WHERE \"{c}\" = ?2",
            t = q(table),
            c = q(column)
        ),
        &[&to, &from],
    )?;
    if let Conn::Lite(c) = conn {
        super::seal::points_reseal(c, &sealed)?;
    }
    Ok(moved as usize)
}

/// Customers referred by `from` are now referred by `to` (who cannot refer themselves), and
/// customers merged into `from` earlier now point at `to`. Returns the referrals moved.
pub fn move_customer_links<'a>(conn: impl Into<Conn<'a>>, from: i64, to: i64) -> Result<usize> {
    let conn = conn.into();
    let referrals = super::execute(
        conn,
        "UPDATE customers SET referred_by = ?1 WHERE referred_by = ?2 AND id <> ?1",
        &[&to, &from],
    )?;
    super::execute(
        conn,
        "UPDATE customers SET merged_into = ?1 WHERE merged_into = ?2",
        &[&to, &from],
    )?;
    Ok(referrals as usize)
}

pub fn merged_into<'a>(conn: impl Into<super::Conn<'a>>, id: i64) -> Result<Option<i64>> {
    const SQL: &str = "SELECT merged_into FROM customers WHERE id = ?1";
    match conn.into() {
        super::Conn::Lite(c) => Ok(c.query_row(SQL, [id], |r| r.get(0))?),
        super::Conn::Pg(p) => p.with(|c| Ok(c.query_one(SQL, &[&id])?.get(0))),
    }
}

pub fn set_merged_into<'a>(conn: impl Into<Conn<'a>>, id: i64, into: i64, now: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE customers SET merged_into = ?2, updated_at = ?3 WHERE id = ?1",
        &[&id, &into, &now],
    )?;
    Ok(())
}

/// Recompute a customer's cached visits / total / first / last from their purchases.
pub fn refresh_cached_stats<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<()> {
    let conn = conn.into();
    let (visits, total, first, last) = crate::db::purchases::aggregate(conn, id)?;
    super::execute(
        conn,
        "UPDATE customers SET visits = ?2, total_minor = ?3, first_purchase_at = ?4,
            last_purchase_at = ?5 WHERE id = ?1",
        &[&id, &visits, &total, &first, &last],
    )?;
    Ok(())
}

/// A member of a candidate group: (id, active).
pub type Member = (i64, bool);

/// What the members share, and each member as (id, active, birthday or "").
pub type Group = (String, Vec<(i64, bool, String)>);

/// Customers sharing a normalised phone, with at least one still active.
pub fn same_phone<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<(String, Vec<Member>)>> {
    let g = grouped(conn.into(), "phone", &["phone"], "''", "phone", true)?;
    Ok(without_birthdays(g))
}

/// Customers with the same folded name and birthday month-day, each with their birthday
/// ("YYYY-MM-DD" or "--MM-DD"), for the caller to split by year.
pub fn same_name_birthday<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<Group>> {
    let conn = conn.into();
    // The birthday's month-day, its last five characters (SQLite's substr counts from the
    // end, PostgreSQL's does not).
    let month_day = match conn {
        Conn::Lite(_) => "substr(birthday, -5)",
        Conn::Pg(_) => "right(birthday, 5)",
    };
    grouped(
        conn,
        "name_fold",
        &["name_fold", month_day],
        "birthday",
        "birthday",
        false,
    )
}

/// Customers with the same folded name and email, with at least one still active.
pub fn same_name_email<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<(String, Vec<Member>)>> {
    let g = grouped(
        conn.into(),
        "name_fold || ' <' || email || '>'",
        &["name_fold", "email"],
        "''",
        "email",
        true,
    )?;
    Ok(without_birthdays(g))
}

fn without_birthdays(groups: Vec<Group>) -> Vec<(String, Vec<Member>)> {
    groups
        .into_iter()
        .map(|(k, m)| (k, m.into_iter().map(|(id, a, _)| (id, a)).collect()))
        .collect()
}

/// Customers not merged away whose `present` column is set, in groups of two or more alike
/// in every expression of `by` (with an active member when `needs_active`); each group
/// shown as `key`, each member with `extra` (text). Groups come in the order of `by`, bytes
/// compared on both engines.
fn grouped(
    conn: Conn,
    key: &str,
    by: &[&str],
    extra: &str,
    present: &str,
    needs_active: bool,
) -> Result<Vec<Group>> {
    let bytes = match conn {
        Conn::Lite(_) => "",
        Conn::Pg(_) => " COLLATE \"C\"",
    };
    let active = if needs_active {
        "AND sum(CASE WHEN archived_at IS NULL THEN 1 ELSE 0 END) > 0"
    } else {
        ""
    };
    let tuple = by.join(", ");
    let order: Vec<String> = by.iter().map(|e| format!("{e}{bytes}")).collect();
    let ident = by
        .iter()
        .map(|e| format!("length({e}) || ':' || {e}"))
        .collect::<Vec<_>>()
        .join(" || '/' || ");
    let rows: Vec<(String, String, i64, bool, String)> = super::rows(
        conn,
        &format!(
            "SELECT {key}, {ident}, id, archived_at IS NULL, {extra} FROM customers
             WHERE merged_into IS NULL AND {present} IS NOT NULL AND ({tuple}) IN (
               SELECT {tuple} FROM customers
               WHERE merged_into IS NULL AND {present} IS NOT NULL
               GROUP BY {tuple} HAVING count(*) > 1 {active})
             ORDER BY {order}, id",
            order = order.join(", "),
        ),
        &[],
    )?;
    // Rows of one group are adjacent; a new group starts where the grouped values change
    // (each value prefixed with its length, so no two tuples join alike).
    let mut out: Vec<Group> = Vec::new();
    let mut last: Option<String> = None;
    for (k, ident, id, a, b) in rows {
        match out.last_mut() {
            Some((_, members)) if last.as_deref() == Some(ident.as_str()) => {
                members.push((id, a, b))
            }
            _ => out.push((k, vec![(id, a, b)])),
        }
        last = Some(ident);
    }
    Ok(out)
}
