//! The customers table, its tags and its FTS5 search index.

use crate::error::{CoreError, Result};
use crate::model::{Customer, CustomerRow, ListQuery, SortKey};
use crate::{money, phone, time};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, ToSql};

/// Every stored column a user edits, already validated and normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub referred_by: Option<i64>,
    pub source: String,
}

/// Between the tags of one customer in a `group_concat` (char(31)).
pub(super) const TAG_SEP: char = '\u{1f}';

const CUSTOMER_COLS: &str = "c.id, c.code, c.name, c.phone, c.birthday, c.gender, c.email,
    c.address, c.note, c.referred_by, r.name, c.source, c.created_at, c.updated_at,
    c.archived_at, (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id)";

fn split_tags(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split(TAG_SEP).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn customer_from_row(r: &Row) -> rusqlite::Result<Customer> {
    let phone: Option<String> = r.get(3)?;
    Ok(Customer {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        phone_display: phone::display_opt(phone.as_deref()),
        phone,
        birthday: r.get(4)?,
        gender: r.get(5)?,
        email: r.get(6)?,
        address: r.get(7)?,
        note: r.get(8)?,
        referred_by: r.get(9)?,
        referred_by_name: r.get(10)?,
        source: r.get(11)?,
        created_at: time::from_unix(r.get(12)?),
        updated_at: time::from_unix(r.get(13)?),
        archived_at: r.get::<_, Option<i64>>(14)?.map(time::from_unix),
        tags: split_tags(r.get(15)?),
    })
}

/// The customer with this id, or the typed "not found".
pub fn existing(conn: &Connection, id: i64) -> Result<Customer> {
    get(conn, id)?.ok_or_else(|| CoreError::CustomerNotFound(id.to_string()))
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Customer>> {
    let sql = format!(
        "SELECT {CUSTOMER_COLS} FROM customers c LEFT JOIN customers r ON r.id = c.referred_by
         WHERE c.id = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], customer_from_row)
        .optional()?)
}

pub fn record(conn: &Connection, id: i64) -> Result<Option<Record>> {
    Ok(get(conn, id)?.map(|c| Record {
        code: c.code,
        name: c.name,
        phone: c.phone,
        birthday: c.birthday,
        gender: c.gender,
        email: c.email,
        address: c.address,
        note: c.note,
        tags: c.tags,
        referred_by: c.referred_by,
        source: c.source,
    }))
}

/// Index a customer's name; `replace` drops the old entry first (a new customer has none).
fn write_search(conn: &Connection, id: i64, name: &str, replace: bool) -> Result<()> {
    if replace {
        conn.prepare_cached("DELETE FROM customer_search WHERE rowid = ?1")?
            .execute([id])?;
    }
    conn.prepare_cached(
        "INSERT INTO customer_search (rowid, name_fold, name_marked) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        id,
        crate::text::fold(name),
        crate::text::lower_marked(name)
    ])?;
    Ok(())
}

fn write_tags(conn: &Connection, id: i64, tags: &[String]) -> Result<()> {
    conn.prepare_cached("DELETE FROM customer_tags WHERE customer_id = ?1")?
        .execute([id])?;
    let mut stmt = conn
        .prepare_cached("INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?1, ?2)")?;
    for t in tags {
        stmt.execute(params![id, t])?;
    }
    Ok(())
}

pub fn insert(conn: &Connection, rec: &Record, now: i64) -> Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO customers (code, name, name_fold, phone, phone_rev, birthday, gender, email,
            address, note, referred_by, source, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )?;
    stmt.execute(params![
        rec.code,
        rec.name,
        crate::text::fold(&rec.name),
        rec.phone,
        rec.phone.as_deref().map(phone::reversed),
        rec.birthday,
        rec.gender,
        rec.email,
        rec.address,
        rec.note,
        rec.referred_by,
        rec.source,
        now
    ])?;
    let id = conn.last_insert_rowid();
    write_search(conn, id, &rec.name, false)?;
    if !rec.tags.is_empty() {
        write_tags(conn, id, &rec.tags)?;
    }
    Ok(id)
}

pub fn update(conn: &Connection, id: i64, rec: &Record, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE customers SET code = ?2, name = ?3, name_fold = ?4, phone = ?5, phone_rev = ?6,
            birthday = ?7, gender = ?8, email = ?9, address = ?10, note = ?11, referred_by = ?12,
            source = ?13, updated_at = ?14,
            details_confirmed_at = CASE WHEN phone IS NOT ?5 OR email IS NOT ?9
                OR address IS NOT ?10 THEN ?14 ELSE details_confirmed_at END
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        rec.code,
        rec.name,
        crate::text::fold(&rec.name),
        rec.phone,
        rec.phone.as_deref().map(phone::reversed),
        rec.birthday,
        rec.gender,
        rec.email,
        rec.address,
        rec.note,
        rec.referred_by,
        rec.source,
        now
    ])?;
    // Archived customers stay out of the search index.
    let archived: bool = conn
        .prepare_cached("SELECT archived_at IS NOT NULL FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    if !archived {
        write_search(conn, id, &rec.name, true)?;
    }
    write_tags(conn, id, &rec.tags)?;
    Ok(())
}

/// Archived customers leave the search index; their history stays.
pub fn archive(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE customers SET archived_at = ?2, updated_at = ?2 WHERE id = ?1 AND archived_at IS NULL",
        params![id, now],
    )?;
    conn.execute("DELETE FROM customer_search WHERE rowid = ?1", [id])?;
    Ok(())
}

/// The active customer holding this normalised phone, other than `except`.
pub fn active_by_phone(
    conn: &Connection,
    phone: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, name FROM customers WHERE phone = ?1 AND archived_at IS NULL AND id IS NOT ?2",
            params![phone, except],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub fn active_by_code(
    conn: &Connection,
    code: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT id, name FROM customers WHERE code = ?1 COLLATE NOCASE AND code IS NOT NULL
             AND archived_at IS NULL AND id IS NOT ?2",
            params![code, except],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// Any customer (archived too) with this phone, active ones first, then the newest.
pub fn by_phone(conn: &Connection, phone: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM customers WHERE phone = ?1
             ORDER BY archived_at IS NOT NULL, id DESC LIMIT 1",
            [phone],
            |r| r.get(0),
        )
        .optional()?)
}

/// Any customer (archived too) with this shop code, active ones first.
pub fn by_code(conn: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM customers WHERE code = ?1 COLLATE NOCASE AND code IS NOT NULL
             ORDER BY archived_at IS NOT NULL, id DESC LIMIT 1",
            [code],
            |r| r.get(0),
        )
        .optional()?)
}

pub fn exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM customers WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn count_active(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM customers WHERE archived_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// A counter query, parsed by core; this layer finds its matches and ranks them.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The query as typed, tried as a shop code (exact, any case).
    pub code: String,
    /// An exact normalised phone.
    pub phone: Option<String>,
    /// Digits a phone ends with.
    pub suffix: Option<String>,
    /// Folded prefixes that must all start a word of the name.
    pub words: Vec<String>,
    /// The same words as typed with their marks: names that match them rank first.
    pub marked: Vec<String>,
    /// A folded full name that ranks first when it matches exactly.
    pub exact_name: Option<String>,
    /// Digit groups the phone must also contain ("huong 2022").
    pub phone_parts: Vec<String>,
}

fn arg(args: &mut Vec<Box<dyn ToSql>>, v: impl ToSql + 'static) -> String {
    args.push(Box::new(v));
    format!("?{}", args.len())
}

/// The WHERE term that selects a lookup's matches (None: it can match nobody).
fn match_term(l: &Lookup, args: &mut Vec<Box<dyn ToSql>>) -> Option<String> {
    let mut any = Vec::new();
    if !l.code.is_empty() {
        any.push(format!(
            "c.id IN (SELECT id FROM customers WHERE code = {} COLLATE NOCASE AND code IS NOT NULL)",
            arg(args, l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        any.push(format!(
            "c.id IN (SELECT id FROM customers WHERE phone = {})",
            arg(args, p.clone())
        ));
    }
    if let Some(d) = &l.suffix {
        let lo: String = d.chars().rev().collect();
        // ':' sorts right after '9', so [lo, lo:) is exactly the reversed-prefix range.
        let hi = format!("{lo}:");
        any.push(format!(
            "c.id IN (SELECT id FROM customers WHERE phone_rev >= {} AND phone_rev < {})",
            arg(args, lo),
            arg(args, hi)
        ));
    }
    if !l.words.is_empty() {
        let mut t = format!(
            "(c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH {})",
            arg(args, fts_expr(NameColumn::Folded, &l.words))
        );
        for d in &l.phone_parts {
            t.push_str(&format!(
                " AND instr(c.phone, {}) > 0",
                arg(args, d.clone())
            ));
        }
        t.push(')');
        any.push(t);
    }
    (!any.is_empty()).then(|| format!("({})", any.join(" OR ")))
}

/// Who is most likely standing at the counter: the latest visitor, then the most
/// frequent, then the oldest record (so the order never depends on the plan).
const LIKELY: &str = "c.last_purchase_at DESC NULLS LAST, c.visits DESC, c.id";

/// Exact code, exact phone, exact name and typed marks first; then [`LIKELY`].
fn rank_terms(l: &Lookup, args: &mut Vec<Box<dyn ToSql>>) -> String {
    let mut order = Vec::new();
    if !l.code.is_empty() {
        order.push(format!(
            "coalesce(c.code = {} COLLATE NOCASE, 0) DESC",
            arg(args, l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        order.push(format!("(c.phone IS {}) DESC", arg(args, p.clone())));
    }
    if let Some(n) = &l.exact_name {
        order.push(format!("(c.name_fold = {}) DESC", arg(args, n.clone())));
    }
    if !l.marked.is_empty() {
        order.push(format!(
            "(c.id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH {})) DESC",
            arg(args, fts_expr(NameColumn::Marked, &l.marked))
        ));
    }
    order.push(LIKELY.to_owned());
    order.join(", ")
}

/// The active customers a lookup matches, best first (at most `limit`), and how many match.
pub fn search(conn: &Connection, l: &Lookup, limit: u32) -> Result<(Vec<i64>, i64)> {
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let Some(term) = match_term(l, &mut args) else {
        return Ok((Vec::new(), 0));
    };
    let wh = format!("c.archived_at IS NULL AND {term}");
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM customers c WHERE {wh}"))?
        .query_row(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?;
    if total == 0 {
        return Ok((Vec::new(), 0));
    }
    let order = rank_terms(l, &mut args);
    let lim = arg(&mut args, limit);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.id FROM customers c WHERE {wh} ORDER BY {order} LIMIT {lim}"
    ))?;
    let ids = stmt
        .query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok((ids, total))
}

#[derive(Debug, Clone, Copy)]
enum NameColumn {
    Folded,
    Marked,
}

fn fts_expr(column: NameColumn, tokens: &[String]) -> String {
    let col = match column {
        NameColumn::Folded => "name_fold",
        NameColumn::Marked => "name_marked",
    };
    tokens
        .iter()
        .map(|t| format!("{col} : \"{t}\"*"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

const ROW_COLS: &str = "c.id, c.code, c.name, c.phone, c.source, c.visits, c.total_minor,
    c.last_purchase_at, c.archived_at IS NOT NULL,
    (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id),
    (SELECT to_tier FROM tier_history WHERE customer_id = c.id ORDER BY at DESC, id DESC LIMIT 1),
    (SELECT total(points) FROM points_ledger WHERE customer_id = c.id),
    s.segment, s.stage, s.p_alive, s.clv_minor, coalesce(s.at_risk, 0)";

/// The scores a row shows come from this join.
const SCORES_JOIN: &str = "LEFT JOIN customer_scores s ON s.customer_id = c.id";

fn row_from(r: &Row, exp: u32) -> rusqlite::Result<CustomerRow> {
    let phone: Option<String> = r.get(3)?;
    Ok(CustomerRow {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        phone_display: phone::display_opt(phone.as_deref()),
        phone,
        source: r.get(4)?,
        visits: r.get(5)?,
        total_spent: money::from_minor(r.get(6)?, exp),
        last_purchase_at: r.get::<_, Option<i64>>(7)?.map(time::from_unix),
        archived: r.get(8)?,
        tags: split_tags(r.get(9)?),
        tier: r.get(10)?,
        points: Some(crate::limits::from_total(r.get(11)?)),
        segment: r.get(12)?,
        stage: r.get(13)?,
        p_alive: r.get(14)?,
        clv: r
            .get::<_, Option<i64>>(15)?
            .map(|m| money::from_minor(m, exp)),
        at_risk: r.get(16)?,
    })
}

/// Rows for these ids, in the given order.
pub fn rows(conn: &Connection, ids: &[i64], exp: u32) -> Result<Vec<CustomerRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLS} FROM customers c {SCORES_JOIN} WHERE c.id = ?1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = stmt.query_row([id], |r| row_from(r, exp)).optional()? {
            out.push(row);
        }
    }
    Ok(out)
}

/// One page of the customer list. `search` restricts it to a lookup's matches.
pub fn list(
    conn: &Connection,
    q: &ListQuery,
    search: Option<&Lookup>,
    exp: u32,
) -> Result<(i64, Vec<CustomerRow>)> {
    let mut wh: Vec<String> = Vec::new();
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    if !q.include_archived {
        wh.push("c.archived_at IS NULL".into());
    }
    if let Some(tag) = q.tag.as_deref().filter(|t| !t.is_empty()) {
        args.push(Box::new(tag.to_owned()));
        wh.push(format!(
            "c.id IN (SELECT customer_id FROM customer_tags WHERE tag = ?{})",
            args.len()
        ));
    }
    if let Some(src) = q.source.as_deref().filter(|s| !s.is_empty()) {
        args.push(Box::new(src.to_owned()));
        wh.push(format!("c.source = ?{}", args.len()));
    }
    wh.extend(super::analytics::score_conditions(
        q.segment.as_deref().filter(|s| !s.is_empty()),
        q.stage.as_deref().filter(|s| !s.is_empty()),
        q.at_risk,
        &mut args,
    ));
    if let Some(l) = search {
        match match_term(l, &mut args) {
            Some(t) => wh.push(t),
            None => return Ok((0, Vec::new())),
        }
    }
    let where_sql = if wh.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wh.join(" AND "))
    };
    let total: i64 = conn.query_row(
        &format!("SELECT count(*) FROM customers c {where_sql}"),
        params_from_iter(args.iter().map(|a| a.as_ref())),
        |r| r.get(0),
    )?;
    let col = match q.sort {
        SortKey::Name => "c.name_fold",
        SortKey::LastVisit => "c.last_purchase_at",
        SortKey::TotalSpent => "c.total_minor",
        SortKey::Visits => "c.visits",
        SortKey::Created => "c.id",
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    args.push(Box::new(q.limit.clamp(1, 500)));
    args.push(Box::new(q.offset));
    let sql = format!(
        "SELECT {ROW_COLS} FROM customers c {SCORES_JOIN} {where_sql} ORDER BY {col} {dir}, c.id {dir}
         LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
        row_from(r, exp)
    })?;
    Ok((total, rows.collect::<rusqlite::Result<_>>()?))
}

pub fn fts_query(tokens: &[String]) -> String {
    fts_expr(NameColumn::Folded, tokens)
}

pub fn tags(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT DISTINCT tag FROM customer_tags ORDER BY tag")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The per-customer figures kept in step with purchases and refunds:
/// (visits, total minus refunds, first, last).
pub fn cached_stats(conn: &Connection, id: i64) -> Result<(i64, i64, Option<i64>, Option<i64>)> {
    Ok(conn
        .prepare_cached(
            "SELECT visits, total_minor, first_purchase_at, last_purchase_at FROM customers
             WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?)
}

/// Take a refund off the cached total spent.
pub fn add_refund_stats(conn: &Connection, id: i64, amount_minor: i64) -> Result<()> {
    conn.execute(
        "UPDATE customers SET total_minor = total_minor - ?2 WHERE id = ?1",
        params![id, amount_minor],
    )?;
    Ok(())
}

/// Fold a new purchase into the cached per-customer figures used for sorting lists.
pub fn add_purchase_stats(conn: &Connection, id: i64, at: i64, total_minor: i64) -> Result<()> {
    add_purchases_stats(conn, id, 1, total_minor, at, at)
}

/// Fold `visits` purchases totalling `total_minor`, from `first` to `last`, into them.
pub fn add_purchases_stats(
    conn: &Connection,
    id: i64,
    visits: i64,
    total_minor: i64,
    first: i64,
    last: i64,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE customers SET visits = visits + ?2, total_minor = total_minor + ?3,
            first_purchase_at = min(coalesce(first_purchase_at, ?4), ?4),
            last_purchase_at = max(coalesce(last_purchase_at, ?5), ?5)
         WHERE id = ?1",
    )?
    .execute(params![id, visits, total_minor, first, last])?;
    Ok(())
}
