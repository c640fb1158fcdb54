//! The customers table, its tags and its FTS5 search index.

use super::Conn;
use crate::error::{CoreError, Result};
use crate::model::{Customer, CustomerRow, ListQuery, SortKey};
use crate::{money, phone, time};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, ToSql};

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
    c.archived_at, (SELECT group_concat(tag, char(31)) FROM customer_tags WHERE customer_id = c.id),
    c.card_no";

fn split_tags(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split(TAG_SEP).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// [`CUSTOMER_COLS`] in PostgreSQL's words.
const CUSTOMER_COLS_PG: &str = "c.id, c.code, c.name, c.phone, c.birthday, c.gender, c.email,
    c.address, c.note, c.referred_by, r.name, c.source, c.created_at, c.updated_at,
    c.archived_at,
    (SELECT string_agg(tag, chr(31) ORDER BY tag) FROM customer_tags WHERE customer_id = c.id),
    c.card_no";

fn customer_from_row(r: &impl super::Row) -> Result<Customer> {
    let phone: Option<String> = r.col(3)?;
    Ok(Customer {
        id: r.col(0)?,
        code: r.col(1)?,
        name: r.col(2)?,
        phone_display: phone::display_opt(phone.as_deref()),
        phone,
        birthday: r.col(4)?,
        gender: r.col(5)?,
        email: r.col(6)?,
        address: r.col(7)?,
        note: r.col(8)?,
        referred_by: r.col(9)?,
        referred_by_name: r.col(10)?,
        source: r.col(11)?,
        created_at: time::from_unix(r.col(12)?),
        updated_at: time::from_unix(r.col(13)?),
        archived_at: r.col::<Option<i64>>(14)?.map(time::from_unix),
        tags: split_tags(r.col(15)?),
        card_no: r.col(16)?,
    })
}

/// The customer with this id, or the typed "not found".
pub fn existing<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Customer> {
    get(conn, id)?.ok_or_else(|| CoreError::CustomerNotFound(id.to_string()))
}

pub fn get<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<Customer>> {
    const FROM: &str = "FROM customers c LEFT JOIN customers r ON r.id = c.referred_by";
    match conn.into() {
        Conn::Lite(c) => c
            .prepare_cached(&format!("SELECT {CUSTOMER_COLS} {FROM} WHERE c.id = ?1"))?
            .query_and_then([id], |r| customer_from_row(r))?
            .next()
            .transpose(),
        Conn::Pg(p) => p
            .with_rows(
                &format!("SELECT {CUSTOMER_COLS_PG} {FROM} WHERE c.id = $1"),
                &[&id],
                customer_from_row,
            )
            .map(|v| v.into_iter().next()),
    }
}

pub fn record<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<Record>> {
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

pub fn insert<'a>(conn: impl Into<Conn<'a>>, rec: &Record, now: i64) -> Result<i64> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(p) => return insert_pg(p, rec, now),
    };
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

/// [`insert`] on a server: the row, its search words and its tags.
fn insert_pg(link: &super::pg::Link, rec: &Record, now: i64) -> Result<i64> {
    link.with(|c| {
        let id: i64 = c
            .query_one(
                "INSERT INTO customers (code, name, name_fold, phone, phone_rev, birthday, gender,
                    email, address, note, referred_by, source, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
                 RETURNING id",
                &[
                    &rec.code,
                    &rec.name,
                    &crate::text::fold(&rec.name),
                    &rec.phone,
                    &rec.phone.as_deref().map(phone::reversed),
                    &rec.birthday,
                    &rec.gender,
                    &rec.email,
                    &rec.address,
                    &rec.note,
                    &rec.referred_by,
                    &rec.source,
                    &now,
                ],
            )?
            .get(0);
        search_and_tags_pg(c, id, rec)?;
        Ok(id)
    })
}

/// A customer's search row (unless archived) and tags on a server, written anew.
fn search_and_tags_pg(
    c: &mut super::pg::Session,
    id: i64,
    rec: &Record,
) -> std::result::Result<(), postgres::Error> {
    c.execute("DELETE FROM customer_search WHERE id = $1", &[&id])?;
    c.execute(
        "INSERT INTO customer_search (id, name_fold, name_marked, last_purchase_at, visits)
         SELECT $1, $2, $3, last_purchase_at, visits FROM customers
         WHERE id = $1 AND archived_at IS NULL",
        &[
            &id,
            &crate::text::fold(&rec.name),
            &crate::text::lower_marked(&rec.name),
        ],
    )?;
    c.execute("DELETE FROM customer_tags WHERE customer_id = $1", &[&id])?;
    for t in &rec.tags {
        c.execute(
            "INSERT INTO customer_tags (customer_id, tag) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&id, t],
        )?;
    }
    Ok(())
}

/// On a server, hold a phone number and a shop code until the transaction ends, so that two
/// counters adding the same customer at once take turns and the second is told who has it.
/// (SQLite's write transaction holds the whole file.)
pub fn hold_identity<'a>(
    conn: impl Into<Conn<'a>>,
    phone: Option<&str>,
    code: Option<&str>,
) -> Result<()> {
    let Conn::Pg(p) = conn.into() else {
        return Ok(());
    };
    let keys = [
        phone.map(|p| format!("phone:{p}")),
        code.map(|c| format!("code:{}", c.to_lowercase())),
    ];
    for key in keys.iter().flatten() {
        p.with(|c| {
            c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[key],
            )
        })?;
    }
    Ok(())
}

pub fn update<'a>(conn: impl Into<Conn<'a>>, id: i64, rec: &Record, now: i64) -> Result<()> {
    let conn = match conn.into() {
        Conn::Lite(c) => c,
        Conn::Pg(link) => return update_pg(link, id, rec, now),
    };
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

/// [`update`] on a server: its search row and tags rewritten as SQLite's are.
fn update_pg(link: &super::pg::Link, id: i64, rec: &Record, now: i64) -> Result<()> {
    link.with(|c| {
        c.execute(
            "UPDATE customers SET code = $2, name = $3, name_fold = $4, phone = $5,
                phone_rev = $6, birthday = $7, gender = $8, email = $9, address = $10,
                note = $11, referred_by = $12, source = $13, updated_at = $14,
                details_confirmed_at = CASE WHEN phone IS DISTINCT FROM $5
                    OR email IS DISTINCT FROM $9 OR address IS DISTINCT FROM $10
                    THEN $14 ELSE details_confirmed_at END
             WHERE id = $1",
            &[
                &id,
                &rec.code,
                &rec.name,
                &crate::text::fold(&rec.name),
                &rec.phone,
                &rec.phone.as_deref().map(phone::reversed),
                &rec.birthday,
                &rec.gender,
                &rec.email,
                &rec.address,
                &rec.note,
                &rec.referred_by,
                &rec.source,
                &now,
            ],
        )?;
        search_and_tags_pg(c, id, rec)
    })
}

/// Archived customers leave the search index; their history stays.
pub fn archive<'a>(conn: impl Into<Conn<'a>>, id: i64, now: i64) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "UPDATE customers SET archived_at = ?2, updated_at = ?2
         WHERE id = ?1 AND archived_at IS NULL",
        &[&id, &now],
    )?;
    let key = match conn {
        Conn::Lite(_) => "rowid",
        Conn::Pg(_) => "id",
    };
    super::execute(
        conn,
        &format!("DELETE FROM customer_search WHERE {key} = ?1"),
        &[&id],
    )?;
    Ok(())
}

/// The active customer holding this normalised phone, other than `except`.
pub fn active_by_phone<'a>(
    conn: impl Into<Conn<'a>>,
    phone: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String)>> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .query_row(
                "SELECT id, name FROM customers WHERE phone = ?1 AND archived_at IS NULL
                 AND id IS NOT ?2",
                params![phone, except],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?),
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_opt(
                "SELECT id, name FROM customers WHERE phone = $1 AND archived_at IS NULL
                 AND id IS DISTINCT FROM $2",
                &[&phone, &except],
            )?
            .map(|r| (r.get(0), r.get(1))))
        }),
    }
}

pub fn active_by_code<'a>(
    conn: impl Into<Conn<'a>>,
    code: &str,
    except: Option<i64>,
) -> Result<Option<(i64, String)>> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .query_row(
                "SELECT id, name FROM customers WHERE code = ?1 COLLATE NOCASE
                 AND code IS NOT NULL AND archived_at IS NULL AND id IS NOT ?2",
                params![code, except],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?),
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_opt(
                "SELECT id, name FROM customers WHERE lower(code) = lower($1)
                 AND code IS NOT NULL AND archived_at IS NULL AND id IS DISTINCT FROM $2",
                &[&code, &except],
            )?
            .map(|r| (r.get(0), r.get(1))))
        }),
    }
}

/// Any customer (archived too) with this phone, active ones first, then the newest.
pub fn by_phone<'a>(conn: impl Into<Conn<'a>>, phone: &str) -> Result<Option<i64>> {
    const SQL: &str = "SELECT id FROM customers WHERE phone = ?1
         ORDER BY archived_at IS NOT NULL, id DESC LIMIT 1";
    match conn.into() {
        Conn::Lite(c) => Ok(c.query_row(SQL, [phone], |r| r.get(0)).optional()?),
        Conn::Pg(p) => p.with(|c| Ok(c.query_opt(SQL, &[&phone])?.map(|r| r.get(0)))),
    }
}

/// Any customer (archived too) with this shop code, active ones first.
pub fn is_active<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<bool> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached("SELECT 1 FROM customers WHERE id = ?1 AND archived_at IS NULL")?
            .exists([id])?),
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_opt(
                "SELECT 1 FROM customers WHERE id = $1 AND archived_at IS NULL",
                &[&id],
            )?
            .is_some())
        }),
    }
}

/// Whoever holds this card number, archived customers included (a card is never reused).
pub fn card_holder<'a>(conn: impl Into<Conn<'a>>, card_no: &str) -> Result<Option<(i64, String)>> {
    const SQL: &str = "SELECT id, name FROM customers WHERE card_no = ?1";
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(SQL)?
            .query_row([card_no], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?),
        Conn::Pg(p) => p.with(|c| Ok(c.query_opt(SQL, &[&card_no])?.map(|r| (r.get(0), r.get(1))))),
    }
}

pub fn set_card<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    card_no: Option<&str>,
    now: i64,
) -> Result<()> {
    let conn = conn.into();
    super::execute(
        conn,
        "UPDATE customers SET card_no = ?2, updated_at = ?3 WHERE id = ?1",
        &[&id, &card_no, &now],
    )?;
    Ok(())
}

/// Hold a card number on a server until the transaction ends, before it is checked.
pub fn hold_card<'a>(conn: impl Into<Conn<'a>>, card_no: &str) -> Result<()> {
    if let Conn::Pg(p) = conn.into() {
        p.with(|c| {
            c.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                &[&format!("card:{card_no}")],
            )
        })?;
    }
    Ok(())
}

/// Of these customers, the ones without a card number.
pub fn without_card<'a>(conn: impl Into<Conn<'a>>, ids: &[i64]) -> Result<Vec<i64>> {
    let conn = conn.into();
    let mut out = Vec::new();
    for &id in ids {
        let none: Option<(bool,)> = super::first(
            conn,
            "SELECT card_no IS NULL FROM customers WHERE id = ?1",
            &[&id],
        )?;
        if none == Some((true,)) {
            out.push(id);
        }
    }
    Ok(out)
}

pub fn by_code<'a>(conn: impl Into<Conn<'a>>, code: &str) -> Result<Option<i64>> {
    const ORDER: &str = "AND code IS NOT NULL ORDER BY archived_at IS NOT NULL, id DESC LIMIT 1";
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .query_row(
                &format!("SELECT id FROM customers WHERE code = ?1 COLLATE NOCASE {ORDER}"),
                [code],
                |r| r.get(0),
            )
            .optional()?),
        Conn::Pg(p) => p.with(|c| {
            Ok(c.query_opt(
                &format!("SELECT id FROM customers WHERE lower(code) = lower($1) {ORDER}"),
                &[&code],
            )?
            .map(|r| r.get(0)))
        }),
    }
}

pub fn exists<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<bool> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .query_row("SELECT 1 FROM customers WHERE id = ?1", [id], |_| Ok(()))
            .optional()?
            .is_some()),
        Conn::Pg(p) => p.with(|c| {
            Ok(
                c.query_opt("SELECT 1 FROM customers WHERE id = $1", &[&id])?
                    .is_some(),
            )
        }),
    }
}

pub fn count_active<'a>(conn: impl Into<Conn<'a>>) -> Result<i64> {
    const SQL: &str = "SELECT count(*) FROM customers WHERE archived_at IS NULL";
    match conn.into() {
        Conn::Lite(c) => Ok(c.query_row(SQL, [], |r| r.get(0))?),
        Conn::Pg(p) => p.with(|c| Ok(c.query_one(SQL, &[])?.get(0))),
    }
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

/// How a lookup's name words are tested against a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameTest {
    /// `id IN (the FTS5 matches)`: SQLite builds the whole match set first. Best when the
    /// words match few customers.
    Fts,
    /// [`words_match`] on the row's own folded name (the FTS index only for names it cannot
    /// decide), so a list can walk its sort index and stop at the page. Best when the words
    /// match many customers. Only for ASCII words ([`ascii_words`]).
    Row,
}

/// The WHERE term that selects a lookup's matches (None: it can match nobody).
///
/// The ways a lookup can match (code, phone, phone suffix, name words) are one
/// `c.id IN (... UNION ALL ...)`: SQLite builds that set once and reads the customers it
/// names, where an OR of separate INs made it run a multi-index OR (a rowid set and a row
/// read per match, several times slower). With [`NameTest::Row`] the name words are
/// instead tested on each row, beside the IN of the other ways.
fn match_term(l: &Lookup, args: &mut Vec<Box<dyn ToSql>>, names: NameTest) -> Option<String> {
    let mut sets = Vec::new();
    if !l.code.is_empty() {
        sets.push(format!(
            "SELECT id FROM customers WHERE code = {} COLLATE NOCASE AND code IS NOT NULL",
            arg(args, l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        sets.push(format!(
            "SELECT id FROM customers WHERE phone = {}",
            arg(args, p.clone())
        ));
    }
    if let Some(d) = &l.suffix {
        let lo: String = d.chars().rev().collect();
        // ':' sorts right after '9', so [lo, lo:) is exactly the reversed-prefix range.
        let hi = format!("{lo}:");
        sets.push(format!(
            "SELECT id FROM customers WHERE phone_rev >= {} AND phone_rev < {}",
            arg(args, lo),
            arg(args, hi)
        ));
    }
    let mut row_test = None;
    if !l.words.is_empty() {
        let fts = arg(args, fts_expr(NameColumn::Folded, &l.words));
        let mut parts = String::new();
        for d in &l.phone_parts {
            parts.push_str(&format!(
                " AND instr(p.phone, {}) > 0",
                arg(args, d.clone())
            ));
        }
        match names {
            NameTest::Fts if parts.is_empty() => sets.push(format!(
                "SELECT rowid FROM customer_search WHERE customer_search MATCH {fts}"
            )),
            NameTest::Fts => sets.push(format!(
                "SELECT p.id FROM customer_search JOIN customers p ON p.id = customer_search.rowid
                 WHERE customer_search MATCH {fts}{parts}"
            )),
            // The index holds active customers only. On an ASCII name of lowercase letters
            // (every name fold() writes) instr() is a cheap necessary test that most rows of
            // a long walk fail; any other name goes on to kq_words, and a name it cannot
            // decide (not ASCII) is looked up in the FTS index, one row at a time.
            NameTest::Row => {
                let mut t = Vec::new();
                let mut has = Vec::new();
                for w in &l.words {
                    has.push(format!("instr(c.name_fold, {}) > 0", arg(args, w.clone())));
                }
                t.push(format!(
                    "({} OR c.name_fold GLOB '*[^ -@[-~]*')",
                    has.join(" AND ")
                ));
                t.push(format!(
                    "CASE kq_words(c.name_fold, {}) WHEN 1 THEN 1 WHEN 0 THEN 0
                        ELSE EXISTS (SELECT 1 FROM customer_search
                            WHERE customer_search MATCH {fts} AND rowid = c.id) END",
                    arg(args, l.words.join(" "))
                ));
                // Last: the only test that reads the table rather than the sort index.
                t.push("c.archived_at IS NULL".into());
                row_test = Some(format!(
                    "({}{})",
                    t.join(" AND "),
                    parts.replace("p.phone", "c.phone")
                ));
            }
        }
    }
    let set = (!sets.is_empty()).then(|| format!("c.id IN ({})", sets.join(" UNION ALL ")));
    match (set, row_test) {
        (None, None) => None,
        (Some(s), None) => Some(s),
        (None, Some(t)) => Some(t),
        (Some(s), Some(t)) => Some(format!("({s} OR {t})")),
    }
}

/// Words [`NameTest::Row`] can test: ASCII letters and digits, which FTS5's unicode61
/// tokenizer always keeps inside a token (and whose case it folds like ASCII).
fn ascii_words(words: &[String]) -> bool {
    !words.is_empty()
        && words
            .iter()
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Whether every prefix (ASCII letters and digits, separated by spaces) starts a word of
/// `name`, exactly as the FTS5 index would answer `name_fold : "p"*` for each: Some when
/// `name` is ASCII, where unicode61's tokens are exactly the runs of ASCII letters and
/// digits; None for any other name (its tokens depend on Unicode tables: ask the index).
pub fn words_match(name: &str, prefixes: &str) -> Option<bool> {
    if !name.is_ascii() {
        return None;
    }
    let b = name.as_bytes();
    Some(prefixes.split(' ').filter(|p| !p.is_empty()).all(|p| {
        let p = p.as_bytes();
        (0..b.len()).any(|i| {
            (i == 0 || !b[i - 1].is_ascii_alphanumeric())
                && b.len() - i >= p.len()
                && b[i..i + p.len()].eq_ignore_ascii_case(p)
        })
    }))
}

/// `kq_words(name_fold, prefixes)`: [`words_match`] for SQL (1, 0 or NULL). Every
/// connection that lists customers has it.
pub fn register_functions(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "kq_words",
        2,
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_INNOCUOUS,
        |ctx| {
            let name = ctx.get_raw(0).as_str_or_null()?;
            let prefixes = ctx.get_raw(1).as_str_or_null()?;
            Ok(match (name, prefixes) {
                (Some(n), Some(p)) => words_match(n, p),
                _ => None,
            })
        },
    )?;
    Ok(())
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

/// The counter counts its matches up to this many, then says "more than".
pub const SEARCH_COUNT_MAX: i64 = 1000;

/// The active customers a lookup matches, best first (at most `limit`), how many match
/// (up to [`SEARCH_COUNT_MAX`]) and whether more do.
pub fn search<'a>(
    conn: impl Into<Conn<'a>>,
    l: &Lookup,
    limit: u32,
) -> Result<(Vec<i64>, i64, bool)> {
    match conn.into() {
        Conn::Lite(c) => search_lite(c, l, limit),
        Conn::Pg(p) => search_pg(p, l, limit),
    }
}

fn search_lite(conn: &Connection, l: &Lookup, limit: u32) -> Result<(Vec<i64>, i64, bool)> {
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let Some(term) = match_term(l, &mut args, NameTest::Fts) else {
        return Ok((Vec::new(), 0, false));
    };
    let wh = format!("{term} AND c.archived_at IS NULL");
    let n_where = args.len();
    let order = rank_terms(l, &mut args);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.id FROM customers c WHERE {wh} ORDER BY {order} LIMIT {limit}"
    ))?;
    let ids: Vec<i64> = stmt
        .query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Fewer than the limit: that is every match, no count needed.
    if ids.len() < limit as usize {
        let n = ids.len() as i64;
        return Ok((ids, n, false));
    }
    // Name matches are counted in the FTS index's order up to the bound, not gathered
    // whole again (the ranked query above already built that set once).
    let n: i64 = if l.words.is_empty() {
        conn.prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM customers c WHERE {wh} LIMIT {})",
            SEARCH_COUNT_MAX + 1
        ))?
        .query_row(
            params_from_iter(args[..n_where].iter().map(|a| a.as_ref())),
            |r| r.get(0),
        )?
    } else {
        walked_count(conn, &ListQuery::default(), l, SEARCH_COUNT_MAX + 1)?
    };
    Ok((ids, n.min(SEARCH_COUNT_MAX), n > SEARCH_COUNT_MAX))
}

/// PostgreSQL's side of [`search`]: the same matches and the same order. Names are matched
/// word by word, by prefix, in `customer_search` through its GIN index on the 'simple'
/// configuration (no stemming, no stop words), as FTS5 matches them here; the rest is the
/// same SQL in PostgreSQL's words. Words that match many customers (a short prefix) are
/// found by [`walk_pg`] instead, which reads the counter's order until it has enough.
fn search_pg(link: &super::pg::Link, l: &Lookup, limit: u32) -> Result<(Vec<i64>, i64, bool)> {
    let mut args: Vec<PgArg> = Vec::new();
    let sets = match_sets_pg(l, &mut |v| pg_arg(&mut args, v));
    if sets.is_empty() {
        return Ok((Vec::new(), 0, false));
    }
    if !l.words.is_empty() {
        if let Some(found) = walk_pg(link, l, limit, &sets, &args)? {
            return Ok(found);
        }
        if l.phone_parts.is_empty() {
            return words_pg(link, l, limit);
        }
    }
    let order = rank_pg(l, &mut args);
    // Every match is gathered to be sorted anyway: it is counted in the same scan. Each
    // match's row is read by its id (OFFSET 0 keeps the join as written): the planner has
    // no statistics for the code's partial index, guesses thousands of matches, and would
    // hash every customer instead (180 ms for 879 matches at 1M customers).
    let sql = format!(
        "SELECT c.id, count(*) OVER ()
         FROM (SELECT DISTINCT id FROM ({}) AS u (id)) AS m
         CROSS JOIN LATERAL (SELECT * FROM customers c
                             WHERE c.id = m.id AND c.archived_at IS NULL OFFSET 0) AS c
         ORDER BY {order} LIMIT {limit}",
        sets.join(" UNION ALL ")
    );
    link.with(|c| {
        let rows = c.query(&sql, &pg_params(&args))?;
        let n: i64 = rows.first().map_or(0, |r| r.get(1));
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        Ok((ids, n.min(SEARCH_COUNT_MAX), n > SEARCH_COUNT_MAX))
    })
}

/// A parameter of a server query being built.
type PgArg = Box<dyn postgres::types::ToSql + Sync>;

fn pg_arg(args: &mut Vec<PgArg>, v: impl postgres::types::ToSql + Sync + 'static) -> String {
    args.push(Box::new(v));
    format!("${}", args.len())
}

fn pg_params(args: &[PgArg]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    args.iter().map(|a| a.as_ref()).collect()
}

/// The matches of `wh` among active customers, counted up to [`SEARCH_COUNT_MAX`] + 1.
fn count_pg(
    c: &mut super::pg::Session,
    wh: &str,
    args: &[PgArg],
) -> std::result::Result<i64, postgres::Error> {
    let count = format!(
        "SELECT count(*) FROM (SELECT 1 FROM customers c WHERE {wh} LIMIT {}) AS m",
        SEARCH_COUNT_MAX + 1
    );
    Ok(c.query_one(&count, &pg_params(args))?.get(0))
}

/// The counter's order on a server: exact code, exact phone, exact name and typed marks
/// first, then [`LIKELY`], as [`rank_terms`] on SQLite.
fn rank_pg(l: &Lookup, args: &mut Vec<PgArg>) -> String {
    let mut order = Vec::new();
    if !l.code.is_empty() {
        order.push(format!(
            "coalesce(lower(c.code) = lower({}), false) DESC",
            pg_arg(args, l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        order.push(format!(
            "coalesce(c.phone = {}, false) DESC",
            pg_arg(args, p.clone())
        ));
    }
    if let Some(n) = &l.exact_name {
        order.push(format!("(c.name_fold = {}) DESC", pg_arg(args, n.clone())));
    }
    if !l.marked.is_empty() {
        order.push(format!("{} DESC", marked_pg(l, args)));
    }
    order.push(LIKELY.to_owned());
    order.join(", ")
}

/// Whether customer `c`'s name holds the words as typed, marks and all.
fn marked_pg(l: &Lookup, args: &mut Vec<PgArg>) -> String {
    format!(
        "EXISTS (SELECT 1 FROM customer_search m WHERE m.id = c.id AND {})",
        marked_row_pg("m", l, args)
    )
}

/// Whether search row `s` holds the words as typed, marks and all.
fn marked_row_pg(s: &str, l: &Lookup, args: &mut Vec<PgArg>) -> String {
    format!(
        "to_tsvector('simple', {s}.name_marked) @@ to_tsquery('simple', {})",
        pg_arg(args, ts_prefixes(&l.marked))
    )
}

/// Rows of the counter's order ([`LIKELY`]) a walk reads at most.
const WALK_ROWS: i64 = 4000;

/// [`search_pg`] for words that match many customers. Active customers are read in the
/// counter's order and each tested on its own row (a word's letters looked for in the name
/// first, then the word index's own test), and the reading stops as soon as enough match,
/// or at [`WALK_ROWS`]: those are the shop's best matches in that order. They, and the few
/// customers an exact code, phone or name puts first (found by their indexes), are then
/// ranked as [`search_pg`] ranks. With typed marks the marked names rank next, so enough
/// of those are walked for too. None (nothing decided) when too few of the rows read
/// match: the words are rare, and the word index finds every match at once.
fn walk_pg(
    link: &super::pg::Link,
    l: &Lookup,
    limit: u32,
    sets: &[String],
    set_args: &[PgArg],
) -> Result<Option<(Vec<i64>, i64, bool)>> {
    let decided = link.with(|c| {
        // How often the words match, from the first rows of the search table: too rarely
        // for a walk to find a page, and the word index answers at once.
        let sample = if l.suffix.is_none() && l.phone_parts.is_empty() {
            Some(sample_pg(c, l)?)
        } else {
            None
        };
        if sample.is_some_and(|(matched, read)| read >= WALK_ROWS && matched < limit as i64) {
            return Ok(None);
        }
        let firsts = firsts_pg(c, l, true)?;
        let need = limit as i64 + firsts.len() as i64;
        let mut args: Vec<PgArg> = Vec::new();
        let test = row_test_pg(l, &mut args);
        let Some((found, whole)) = walked_pg(c, &test, &args, need)? else {
            return Ok(None);
        };
        let mut candidates = firsts;
        if l.marked.is_empty() {
            candidates.extend(&found);
        } else {
            let mut args: Vec<PgArg> = Vec::new();
            let test = format!(
                "({}) AND {}",
                row_test_pg(l, &mut args),
                marked_pg(l, &mut args)
            );
            match walked_pg(c, &test, &args, need)? {
                Some((marked, _)) => candidates.extend(marked),
                None => return Ok(None),
            }
            // Fewer marked names than the page: the unmarked ones follow them.
            candidates.extend(&found);
        }
        let count = match (whole, sample) {
            (true, _) => found.len() as i64,
            (false, Some(sample)) => count_words_pg(c, l, sample)?,
            (false, None) => {
                let wh = format!(
                    "c.id IN ({}) AND c.archived_at IS NULL",
                    sets.join(" UNION ALL ")
                );
                count_pg(c, &wh, set_args)?
            }
        };
        Ok(Some((candidates, count)))
    })?;
    let Some((candidates, count)) = decided else {
        return Ok(None);
    };
    ranked_pg(link, l, limit, candidates, count).map(Some)
}

/// The first `limit` of `candidates` in the counter's order ([`rank_pg`]), with the count
/// of every match.
fn ranked_pg(
    link: &super::pg::Link,
    l: &Lookup,
    limit: u32,
    mut candidates: Vec<i64>,
    count: i64,
) -> Result<(Vec<i64>, i64, bool)> {
    candidates.sort_unstable();
    candidates.dedup();
    let mut args: Vec<PgArg> = Vec::new();
    let order = rank_pg(l, &mut args);
    let ids = pg_arg(&mut args, candidates);
    let sql = format!(
        "SELECT c.id FROM customers c WHERE c.id = ANY({ids}) ORDER BY {order} LIMIT {limit}"
    );
    let ids: Vec<i64> = link.with(|c| {
        Ok(c.query(&sql, &pg_params(&args))?
            .iter()
            .map(|r| r.get(0))
            .collect())
    })?;
    Ok((ids, count.min(SEARCH_COUNT_MAX), count > SEARCH_COUNT_MAX))
}

/// [`search_pg`] for name words too rare for [`walk_pg`]: every match found through the
/// word-start index and ranked on the search table's own copy of the counter's order
/// (pg/019_search_rank.sql), the exact name and the marks typed first, with no customer's
/// row read; the first of them, and the few an exact code or phone puts first, are then
/// ranked as [`search_pg`] ranks.
fn words_pg(link: &super::pg::Link, l: &Lookup, limit: u32) -> Result<(Vec<i64>, i64, bool)> {
    let (candidates, count) = link.with(|c| {
        // An exact name is one of the matches, ranked in the same scan.
        let mut candidates = firsts_pg(c, l, false)?;
        let need = limit as usize + candidates.len();
        let mut args: Vec<PgArg> = Vec::new();
        let q = pg_arg(&mut args, ts_starts(&l.words));
        let mut order = Vec::new();
        if let Some(n) = &l.exact_name {
            order.push(format!(
                "(s.name_fold = {}) DESC",
                pg_arg(&mut args, n.clone())
            ));
        }
        if !l.marked.is_empty() {
            order.push(format!("{} DESC", marked_row_pg("s", l, &mut args)));
        }
        let rows = c.query(
            &format!(
                "SELECT s.id, count(*) OVER () FROM customer_search s WHERE {}
                 ORDER BY {}s.last_purchase_at DESC NULLS LAST, s.visits DESC, s.id
                 LIMIT {need}",
                starts_pg("s", &q),
                order.iter().map(|o| format!("{o}, ")).collect::<String>()
            ),
            &pg_params(&args),
        )?;
        let words: i64 = rows.first().map_or(0, |r| r.get(1));
        candidates.extend(rows.iter().map(|r| r.get::<_, i64>(0)));
        let count = match words > SEARCH_COUNT_MAX {
            true => words,
            false => words + others_pg(c, l)?,
        };
        Ok((candidates, count))
    })?;
    ranked_pg(link, l, limit, candidates, count)
}

/// The active customers an exact code, phone or (`by_name`) name puts first, wherever they
/// are in the counter's order, that the lookup matches.
fn firsts_pg(
    c: &mut super::pg::Session,
    l: &Lookup,
    by_name: bool,
) -> std::result::Result<Vec<i64>, postgres::Error> {
    let mut args: Vec<PgArg> = Vec::new();
    let mut eq = Vec::new();
    if !l.code.is_empty() {
        let k = pg_arg(&mut args, l.code.clone());
        eq.push(format!("lower(c.code) = lower({k})"));
    }
    if let Some(p) = &l.phone {
        eq.push(format!("c.phone = {}", pg_arg(&mut args, p.clone())));
    }
    if let Some(n) = l.exact_name.as_ref().filter(|_| by_name) {
        eq.push(format!("c.name_fold = {}", pg_arg(&mut args, n.clone())));
    }
    if eq.is_empty() {
        return Ok(Vec::new());
    }
    // Each way on its own index and the row tested there: a join of the ways' ids with the
    // customers was planned, once the plan was the prepared statement's generic one, as a
    // parallel scan whose start alone took 5 ms.
    let test = row_test_pg(l, &mut args);
    let sql = eq
        .iter()
        .map(|e| {
            format!("SELECT c.id FROM customers c WHERE {e} AND c.archived_at IS NULL AND ({test})")
        })
        .collect::<Vec<_>>()
        .join(" UNION ");
    Ok(c.query(&sql, &pg_params(&args))?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// The first `need` active customers in the counter's order that pass `test`, read from
/// the index on the last visit (those who bought, latest first, then those who never did)
/// and stopping there, or at [`WALK_ROWS`] rows read; and whether every active customer was
/// read. None when the bound came first.
fn walked_pg(
    c: &mut super::pg::Session,
    test: &str,
    args: &[PgArg],
    need: i64,
) -> std::result::Result<Option<(Vec<i64>, bool)>, postgres::Error> {
    let cols = "id, code, phone, phone_rev, name_fold, last_purchase_at, visits";
    // Each part's own order, which its index gives without sorting (a NULLS LAST across
    // both would sort every customer).
    let part = |bought: bool, rows: i64, need: i64| {
        let (which, order) = if bought {
            ("IS NOT NULL", "last_purchase_at DESC, visits DESC, id")
        } else {
            ("IS NULL", "visits DESC, id")
        };
        format!(
            "SELECT c.id FROM (SELECT {cols} FROM customers
               WHERE archived_at IS NULL AND last_purchase_at {which}
               ORDER BY {order} LIMIT {rows}) AS c
             WHERE {test} ORDER BY {order} LIMIT {need}"
        )
    };
    let ids =
        |c: &mut super::pg::Session, sql: &str| -> std::result::Result<Vec<i64>, postgres::Error> {
            Ok(c.query(sql, &pg_params(args))?
                .iter()
                .map(|r| r.get(0))
                .collect())
        };
    let mut found = ids(c, &part(true, WALK_ROWS, need))?;
    if found.len() as i64 >= need {
        return Ok(Some((found, false)));
    }
    // Too few among the buyers read: the bound was met (the words are rare), or every buyer
    // was read and those who never bought come next.
    let count = |c: &mut super::pg::Session,
                 which: &str,
                 rows: i64|
     -> std::result::Result<i64, postgres::Error> {
        Ok(c.query_one(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM customers
                 WHERE archived_at IS NULL AND last_purchase_at {which} LIMIT {rows}) AS b"
            ),
            &[],
        )?
        .get(0))
    };
    let buyers = count(c, "IS NOT NULL", WALK_ROWS)?;
    if buyers >= WALK_ROWS {
        return Ok(None);
    }
    let left = WALK_ROWS - buyers;
    found.extend(ids(c, &part(false, left, need - found.len() as i64))?);
    if found.len() as i64 >= need {
        return Ok(Some((found, false)));
    }
    // Every active customer read: what was found is every match.
    let whole = count(c, "IS NULL", left)? < left;
    Ok(whole.then_some((found, true)))
}

/// The name words' matches among the first [`WALK_ROWS`] rows of the search table (which
/// holds the active customers) in the order of their ids, and how many rows were read: the
/// words come from its primary key, which holds them (pg/019_search_rank.sql). Not in the
/// order of its pages, where the rows lie in the order of their names: the first would be
/// the names that sort first, no sample of the shop's.
fn sample_pg(
    c: &mut super::pg::Session,
    l: &Lookup,
) -> std::result::Result<(i64, i64), postgres::Error> {
    let mut args: Vec<PgArg> = Vec::new();
    let test = in_order_test_pg(l, &mut args);
    let row = c.query_one(
        &format!(
            "SELECT count(*) FILTER (WHERE m), count(*) FROM (
               SELECT {test} AS m FROM (SELECT words FROM customer_search
                                        ORDER BY id LIMIT {WALK_ROWS}) AS s) AS r"
        ),
        &pg_params(&args),
    )?;
    Ok((row.get(0), row.get(1)))
}

/// Whether search row `s` holds the name words, tested on its own parsed words
/// (pg/019_search_rank.sql), the query parsed once. `ts_match_vq` is `@@` as a function,
/// which no index serves, so rows read in order stay in order.
fn in_order_test_pg(l: &Lookup, args: &mut Vec<PgArg>) -> String {
    let q = pg_arg(args, ts_prefixes(&l.words));
    format!("ts_match_vq(s.words, (SELECT to_tsquery('simple', {q})))")
}

/// Rows of the search table [`count_words_pg`] reads in order at most, when the sample
/// says its words match often enough for the count to end within them: 40,000 rows are
/// 4–7 ms of a server's work, less than the word index takes to intersect words that common.
const COUNT_ROWS: i64 = 40_000;

/// How many active customers a lookup of name words matches, up to [`SEARCH_COUNT_MAX`] +
/// 1: from the `sample` ([`sample_pg`]) when it decides (it found more, or read every row),
/// else through the word index; and the few a code or phone the lookup also matches add.
fn count_words_pg(
    c: &mut super::pg::Session,
    l: &Lookup,
    (matched, read): (i64, i64),
) -> std::result::Result<i64, postgres::Error> {
    let cap = SEARCH_COUNT_MAX + 1;
    // Expected to reach the bound within COUNT_ROWS rows, with a quarter to spare.
    let dense = matched * COUNT_ROWS * 4 >= cap * read * 5;
    let in_order = |c: &mut super::pg::Session| -> std::result::Result<i64, postgres::Error> {
        let mut args: Vec<PgArg> = Vec::new();
        let test = in_order_test_pg(l, &mut args);
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM (SELECT words FROM customer_search
               ORDER BY id LIMIT {COUNT_ROWS}) AS s WHERE {test} LIMIT {cap}) AS m"
        );
        Ok(c.query_one(&sql, &pg_params(&args))?.get(0))
    };
    let words = if matched >= cap || read < WALK_ROWS {
        matched
    } else if dense && in_order(c)? >= cap {
        cap
    } else {
        let mut args: Vec<PgArg> = Vec::new();
        let q = pg_arg(&mut args, ts_starts(&l.words));
        c.query_one(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM customer_search s WHERE {} LIMIT {cap}) AS m",
                starts_pg("s", &q)
            ),
            &pg_params(&args),
        )?
        .get(0)
    };
    if words >= cap {
        return Ok(words);
    }
    Ok(words + others_pg(c, l)?)
}

/// The active customers a lookup's exact code or phone matches and its name words do not.
fn others_pg(c: &mut super::pg::Session, l: &Lookup) -> std::result::Result<i64, postgres::Error> {
    let mut args: Vec<PgArg> = Vec::new();
    let q = pg_arg(&mut args, ts_prefixes(&l.words));
    let other = exact_pg(l, &mut args);
    if other.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "SELECT count(*) FROM customers c WHERE c.archived_at IS NULL AND ({})
         AND NOT EXISTS (SELECT 1 FROM customer_search s WHERE s.id = c.id
             AND s.words @@ to_tsquery('simple', {q}))",
        other.join(" OR ")
    );
    Ok(c.query_one(&sql, &pg_params(&args))?.get(0))
}

/// The tests of customer row `c` against the lookup's exact code and phone, if any.
fn exact_pg(l: &Lookup, args: &mut Vec<PgArg>) -> Vec<String> {
    let mut tests = Vec::new();
    if !l.code.is_empty() {
        tests.push(format!(
            "lower(c.code) = lower({})",
            pg_arg(args, l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        tests.push(format!("c.phone = {}", pg_arg(args, p.clone())));
    }
    tests
}

/// Whether customer row `c` matches the lookup, tested on its own columns: any way it
/// matches ([`match_sets_pg`]'s), each word's letters looked for in the name before the
/// word index's own test on it.
fn row_test_pg(l: &Lookup, args: &mut Vec<PgArg>) -> String {
    let mut ways = exact_pg(l, args);
    if let Some(d) = &l.suffix {
        let lo: String = d.chars().rev().collect();
        ways.push(format!(
            "c.phone_rev LIKE {}",
            pg_arg(args, format!("{lo}%"))
        ));
    }
    if !l.words.is_empty() {
        let mut words: Vec<String> = l
            .words
            .iter()
            .map(|w| format!("strpos(c.name_fold, {}) > 0", pg_arg(args, w.clone())))
            .collect();
        words.push(format!(
            "to_tsvector('simple', c.name_fold) @@ to_tsquery('simple', {})",
            pg_arg(args, ts_prefixes(&l.words))
        ));
        for d in &l.phone_parts {
            words.push(format!("strpos(c.phone, {}) > 0", pg_arg(args, d.clone())));
        }
        ways.push(format!("({})", words.join(" AND ")));
    }
    ways.join(" OR ")
}

/// On a server, the ways a lookup matches (code, phone, phone suffix, name words through the
/// GIN index on the folded name), each a `SELECT id`; `arg` keeps a value and names it.
fn match_sets_pg(l: &Lookup, arg: &mut dyn FnMut(String) -> String) -> Vec<String> {
    let mut sets = Vec::new();
    if !l.code.is_empty() {
        sets.push(format!(
            "SELECT id FROM customers WHERE lower(code) = lower({})",
            arg(l.code.clone())
        ));
    }
    if let Some(p) = &l.phone {
        sets.push(format!(
            "SELECT id FROM customers WHERE phone = {}",
            arg(p.clone())
        ));
    }
    if let Some(d) = &l.suffix {
        // Digits only, so no LIKE wildcard can hide in it; text_pattern_ops serves the prefix.
        let lo: String = d.chars().rev().collect();
        sets.push(format!(
            "SELECT id FROM customers WHERE phone_rev LIKE {}",
            arg(format!("{lo}%"))
        ));
    }
    if !l.words.is_empty() {
        let q = arg(ts_starts(&l.words));
        let parts: String = l
            .phone_parts
            .iter()
            .map(|d| format!(" AND strpos(p.phone, {}) > 0", arg(d.clone())))
            .collect();
        let words = starts_pg("s", &q);
        // The customers row only when the phone must also hold digits: each join is a
        // lookup per match, and a short prefix matches tens of thousands.
        sets.push(match parts.is_empty() {
            true => format!("SELECT s.id FROM customer_search s WHERE {words}"),
            false => format!(
                "SELECT p.id FROM customer_search s JOIN customers p ON p.id = s.id
                 WHERE {words}{parts}"
            ),
        });
    }
    sets
}

/// One page of the customer list on a server: the lookup's matches (as the counter's search
/// finds them) and the filters, in the list's order, counted up to the bound as on SQLite.
fn list_pg(
    link: &super::pg::Link,
    q: &ListQuery,
    search: Option<&Lookup>,
    exp: u32,
    tuning: Tuning,
) -> Result<Page> {
    let mut args: Vec<String> = Vec::new();
    let mut wh = Vec::new();
    {
        let mut arg = |v: String| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(l) = search {
            let sets = match_sets_pg(l, &mut arg);
            if sets.is_empty() {
                return Ok(Page::default());
            }
            wh.push(format!("c.id IN ({})", sets.join(" UNION ALL ")));
        }
        wh.extend(list_terms(q, &mut arg));
    }
    let where_sql = where_clause(wh);
    let limit = q.limit.clamp(1, 500);
    let bound = tuning.count_max.max(i64::from(q.offset) + i64::from(limit));
    let params: Vec<&(dyn postgres::types::ToSql + Sync)> = args
        .iter()
        .map(|a| a as &(dyn postgres::types::ToSql + Sync))
        .collect();
    // As SQLite orders: bytes (PostgreSQL's default collation would skip the spaces), and a
    // missing value (no visit yet) before any other.
    let (col, dir) = match sort_key(q) {
        ("c.name_fold", dir) => ("c.name_fold COLLATE \"C\"", dir),
        other => other,
    };
    let nulls = if q.desc { "NULLS LAST" } else { "NULLS FIRST" };
    let order = format!("{col} {dir} {nulls}, c.id {dir}");
    let (n, ids) = link.with(|c| {
        let n: i64 = c
            .query_one(
                &format!(
                    "SELECT count(*) FROM (SELECT 1 FROM customers c {where_sql} LIMIT {}) AS m",
                    bound + 1
                ),
                &params,
            )?
            .get(0);
        let ids: Vec<i64> = c
            .query(
                &format!(
                    "SELECT c.id FROM customers c {where_sql} ORDER BY {order}
                     LIMIT {limit} OFFSET {}",
                    q.offset
                ),
                &params,
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok((n, ids))
    })?;
    Ok(Page {
        total: n.min(bound),
        capped: n > bound,
        rows: rows_pg(link, &ids, exp)?,
    })
}

/// Words as a tsquery that each must start a word: `'w1':* & 'w2':*`, every word quoted so
/// that nothing typed is read as tsquery syntax. For a test on one row; the word-start
/// index takes [`ts_starts`].
pub(crate) fn ts_prefixes(words: &[String]) -> String {
    ts_words(words, ":*")
}

/// The same words for the word-start index (migration 018), which holds every start of a
/// word as a word: `'w1' & 'w2'`, matched by [`starts_pg`].
pub(crate) fn ts_starts(words: &[String]) -> String {
    ts_words(words, "")
}

fn ts_words(words: &[String], suffix: &str) -> String {
    words
        .iter()
        .map(|w| format!("'{}'{suffix}", w.replace('\\', "\\\\").replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Whether `customer_search` row `s` holds the words of `q` (a [`ts_starts`] value), each
/// at the start of one of its words, through the word-start index.
pub(crate) fn starts_pg(s: &str, q: &str) -> String {
    format!("kq_word_starts({s}.name_fold) @@ to_tsquery('simple', {q})")
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

fn row_from(r: &impl super::Row, exp: u32) -> Result<CustomerRow> {
    let phone: Option<String> = r.col(3)?;
    Ok(CustomerRow {
        id: r.col(0)?,
        code: r.col(1)?,
        name: r.col(2)?,
        phone_display: phone::display_opt(phone.as_deref()),
        phone,
        source: r.col(4)?,
        visits: r.col(5)?,
        total_spent: money::from_minor(r.col(6)?, exp),
        last_purchase_at: r.col::<Option<i64>>(7)?.map(time::from_unix),
        archived: r.col(8)?,
        tags: split_tags(r.col(9)?),
        tier: r.col(10)?,
        points: Some(crate::limits::from_total(r.col(11)?)),
        segment: r.col(12)?,
        stage: r.col(13)?,
        p_alive: r.col(14)?,
        clv: r.col::<Option<i64>>(15)?.map(|m| money::from_minor(m, exp)),
        at_risk: r.col(16)?,
    })
}

/// Rows for these ids, in the given order.
pub fn rows<'a>(conn: impl Into<Conn<'a>>, ids: &[i64], exp: u32) -> Result<Vec<CustomerRow>> {
    match conn.into() {
        Conn::Lite(c) => rows_lite(c, ids, exp),
        Conn::Pg(p) => rows_pg(p, ids, exp),
    }
}

/// [`ROW_COLS`] in PostgreSQL's words: `string_agg` for `group_concat`, a float sum for
/// `total()` (read the same way), a boolean for at risk.
const ROW_COLS_PG: &str = "c.id, c.code, c.name, c.phone, c.source, c.visits, c.total_minor,
    c.last_purchase_at, c.archived_at IS NOT NULL,
    (SELECT string_agg(tag, chr(31) ORDER BY tag) FROM customer_tags WHERE customer_id = c.id),
    (SELECT to_tier FROM tier_history WHERE customer_id = c.id ORDER BY at DESC, id DESC LIMIT 1),
    (SELECT coalesce(sum(points), 0)::float8 FROM points_ledger WHERE customer_id = c.id),
    s.segment, s.stage, s.p_alive, s.clv_minor, coalesce(s.at_risk, 0) <> 0";

fn rows_pg(link: &super::pg::Link, ids: &[i64], exp: u32) -> Result<Vec<CustomerRow>> {
    link.with_rows(
        &format!(
            "SELECT {ROW_COLS_PG} FROM customers c {SCORES_JOIN}
             JOIN unnest($1::bigint[]) WITH ORDINALITY AS w(id, n) ON w.id = c.id ORDER BY w.n"
        ),
        &[&ids],
        |r| row_from(r, exp),
    )
}

fn rows_lite(conn: &Connection, ids: &[i64], exp: u32) -> Result<Vec<CustomerRow>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ROW_COLS} FROM customers c {SCORES_JOIN} WHERE c.id = ?1"
    ))?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = stmt
            .query_and_then([id], |r| row_from(r, exp))?
            .next()
            .transpose()?
        {
            out.push(row);
        }
    }
    Ok(out)
}

/// A list counts its matches up to this many (or to the end of the page asked for, if
/// further) and then says "more than": counting every match of a one-letter search at a
/// million customers costs far more than showing its first page.
pub const LIST_COUNT_MAX: i64 = 1000;

/// From this many name matches on, a list walks its sort's index and tests each row (stopping
/// at the page); below it, it fetches the matches and sorts them (about 1-2 µs a match, so
/// at most some 30 ms). A walk reads about customers / matches index rows per row shown,
/// more where the matches cluster in the sort order (name sorts split instead: [`Plan`]).
/// Measured on the 1M demo (speed bench, section customers): from 20,000 down to 5,000 the
/// name sorts' median keystroke went from 24 to 13 ms (the sort fetches each match's row).
const WALK_FROM: i64 = 5_000;

/// One page of the customer list and how many match (at most [`LIST_COUNT_MAX`] or the
/// page's end, `capped` when more do).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub total: i64,
    pub capped: bool,
    pub rows: Vec<CustomerRow>,
}

/// How a list with a search finds its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Fetch every match and sort them: few matches.
    Sort,
    /// Walk the sort index, testing each row ([`NameTest::Row`]), to the page's end.
    Walk,
    /// Sorted by name, one word: the names that start with it are one range of the name
    /// index, read in order; the few others that match (the word starts a later name)
    /// come from the FTS index and are sorted. A walk would first cross every name before
    /// the range (every "vu" is a Vũ, near the end of the names).
    Split,
}

/// FTS5: the word starts a word of the name other than its first.
fn later_word_expr(w: &str) -> String {
    format!("name_fold : \"{w}\"* NOT name_fold : ^\"{w}\"*")
}

fn fts_count_upto(conn: &Connection, expr: &str, max: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM customer_search WHERE customer_search MATCH ?1
             LIMIT ?2)",
        )?
        .query_row(params![expr, max], |r| r.get(0))?)
}

/// Walk the sort index when the name words match many customers and no filter narrows
/// the list much (tags and scores are sets SQLite starts from better); split a name sort
/// when few of them match by a later word.
fn plan(conn: &Connection, q: &ListQuery, l: &Lookup, tuning: Tuning) -> Result<Plan> {
    let narrowed = q.tag.as_deref().is_some_and(|t| !t.is_empty())
        || q.segment.as_deref().is_some_and(|s| !s.is_empty())
        || q.stage.as_deref().is_some_and(|s| !s.is_empty())
        || q.at_risk;
    if narrowed || !ascii_words(&l.words) {
        return Ok(Plan::Sort);
    }
    let all = fts_expr(NameColumn::Folded, &l.words);
    if fts_count_upto(conn, &all, tuning.walk_from)? < tuning.walk_from {
        return Ok(Plan::Sort);
    }
    if q.sort == SortKey::Name && l.words.len() == 1 && l.phone_parts.is_empty() {
        let later = fts_count_upto(conn, &later_word_expr(&l.words[0]), tuning.split_below)?;
        if later < tuning.split_below {
            return Ok(Plan::Split);
        }
    }
    Ok(Plan::Walk)
}

/// The page's ids of a [`Plan::Split`] list.
fn split_ids(conn: &Connection, q: &ListQuery, l: &Lookup) -> Result<Vec<i64>> {
    let w = &l.words[0];
    let Some(&last) = w.as_bytes().last() else {
        return Ok(Vec::new());
    };
    // w is ASCII letters and digits: the names starting with it are [w, hi).
    let hi = format!("{}{}", &w[..w.len() - 1], char::from(last + 1));
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let in_range = format!(
        "(c.name_fold >= {} AND c.name_fold < {} AND c.archived_at IS NULL)",
        arg(&mut args, w.clone()),
        arg(&mut args, hi)
    );
    let mut first = vec![in_range.clone()];
    first.extend(list_filters(q, &mut args));
    // The rest: a later word matches, or the name starts with no ASCII letter or digit
    // (its first word may not start the text: tested row by row), or the lookup's other
    // ways (code, phone).
    let name_only = Lookup {
        words: l.words.clone(),
        ..Default::default()
    };
    let others = Lookup {
        words: Vec::new(),
        phone_parts: Vec::new(),
        ..l.clone()
    };
    // One IN of a UNION ALL of indexed parts, which SQLite gathers first: as an OR of
    // terms it scanned every customer.
    let later = arg(&mut args, later_word_expr(w));
    let mut sets = vec![format!(
        "SELECT rowid FROM customer_search WHERE customer_search MATCH {later}"
    )];
    if let Some(t) = match_term(&name_only, &mut args, NameTest::Row) {
        for range in [
            "c.name_fold < '0'",
            "c.name_fold >= ':' AND c.name_fold < 'a'",
            "c.name_fold >= '{'",
        ] {
            sets.push(format!(
                "SELECT c.id FROM customers c WHERE {range} AND {t}"
            ));
        }
    }
    if let Some(t) = match_term(&others, &mut args, NameTest::Fts) {
        sets.push(format!("SELECT c.id FROM customers c WHERE {t}"));
    }
    let any = [format!("c.id IN ({})", sets.join(" UNION ALL "))];
    let mut rest = vec![format!("({})", any.join(" OR ")), format!("NOT {in_range}")];
    rest.extend(list_filters(q, &mut args));
    let dir = if q.desc { "DESC" } else { "ASC" };
    let limit = q.limit.clamp(1, 500);
    let offset = q.offset;
    let sql = format!(
        "SELECT id FROM (
            SELECT * FROM (SELECT c.id AS id, c.name_fold AS k FROM customers c {}
                ORDER BY c.name_fold {dir}, c.id {dir} LIMIT {})
            UNION ALL
            SELECT c.id, c.name_fold FROM customers c {})
         ORDER BY k {dir}, id {dir} LIMIT {limit} OFFSET {offset}",
        where_clause(first),
        u64::from(offset) + u64::from(limit),
        where_clause(rest)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids = stmt
        .query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The terms of a list's filters other than the search.
fn list_filters(q: &ListQuery, args: &mut Vec<Box<dyn ToSql>>) -> Vec<String> {
    list_terms(q, &mut |v| arg(args, v))
}

/// [`list_filters`] for either engine: `arg` keeps a value and names its `?N`.
fn list_terms(q: &ListQuery, arg: &mut dyn FnMut(String) -> String) -> Vec<String> {
    let mut wh: Vec<String> = Vec::new();
    if let Some(tag) = q.tag.as_deref().filter(|t| !t.is_empty()) {
        wh.push(format!(
            "c.id IN (SELECT customer_id FROM customer_tags WHERE tag = {})",
            arg(tag.to_owned())
        ));
    }
    if let Some(src) = q.source.as_deref().filter(|s| !s.is_empty()) {
        wh.push(format!("c.source = {}", arg(src.to_owned())));
    }
    wh.extend(super::analytics::score_conditions(
        q.segment.as_deref().filter(|s| !s.is_empty()),
        q.stage.as_deref().filter(|s| !s.is_empty()),
        q.at_risk,
        arg,
    ));
    if !q.include_archived {
        wh.push("c.archived_at IS NULL".into());
    }
    wh
}

fn where_clause(terms: Vec<String>) -> String {
    if terms.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", terms.join(" AND "))
    }
}

/// The WHERE clause of a list (None: it can match nobody). The search comes first: SQLite
/// tests terms in order, and a walk's name test needs only the index it walks.
fn list_where(
    q: &ListQuery,
    search: Option<&Lookup>,
    names: NameTest,
    args: &mut Vec<Box<dyn ToSql>>,
) -> Option<String> {
    let mut wh = Vec::new();
    if let Some(l) = search {
        wh.push(match_term(l, args, names)?);
    }
    wh.extend(list_filters(q, args));
    Some(where_clause(wh))
}

/// The bounded count of a walked list, `SELECT count(*)` of it capped at `cap`. Counting
/// along the sort index could cross a long run of names without a match (every "ngu" is a
/// Nguyễn, a third of the way down the names), so the name matches are counted in the
/// FTS index's order, each checked against the filters, up to `cap`; the customers the
/// lookup finds another way (code, phone) are added as a set.
fn walked_count(conn: &Connection, q: &ListQuery, l: &Lookup, cap: i64) -> Result<i64> {
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let fts = arg(&mut args, fts_expr(NameColumn::Folded, &l.words));
    let mut names = vec![format!("customer_search MATCH {fts}")];
    for d in &l.phone_parts {
        names.push(format!("instr(c.phone, {}) > 0", arg(&mut args, d.clone())));
    }
    let filters = list_filters(q, &mut args);
    // The FTS index holds active customers only (archive() takes them out), so with no
    // filter but that one the index alone counts, without reading a customer.
    let index_only =
        l.phone_parts.is_empty() && filters.iter().all(|f| f == "c.archived_at IS NULL");
    names.extend(filters);
    let mut sql = if index_only {
        format!(
            "SELECT rowid AS id FROM customer_search WHERE customer_search MATCH {fts}
             LIMIT {cap}"
        )
    } else {
        format!(
            "SELECT c.id FROM customer_search CROSS JOIN customers c
                ON c.id = customer_search.rowid {} LIMIT {cap}",
            where_clause(names)
        )
    };
    let others = Lookup {
        words: Vec::new(),
        phone_parts: Vec::new(),
        ..l.clone()
    };
    if let Some(w) = list_where(q, Some(&others), NameTest::Fts, &mut args) {
        sql = format!("SELECT * FROM ({sql}) UNION SELECT c.id FROM customers c {w}");
    }
    Ok(conn
        .prepare_cached(&format!("SELECT count(*) FROM ({sql})"))?
        .query_row(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?)
}

/// The ORDER BY of a list: the sort key, then the id (the key's index, read either way).
fn list_order(q: &ListQuery) -> String {
    let (col, dir) = sort_key(q);
    format!("{col} {dir}, c.id {dir}")
}

/// The list's sort column and direction.
fn sort_key(q: &ListQuery) -> (&'static str, &'static str) {
    let col = match q.sort {
        SortKey::Name => "c.name_fold",
        SortKey::LastVisit => "c.last_purchase_at",
        SortKey::TotalSpent => "c.total_minor",
        SortKey::Visits => "c.visits",
        SortKey::Created => "c.id",
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    (col, dir)
}

fn list_rows(
    conn: &Connection,
    q: &ListQuery,
    where_sql: &str,
    args: Vec<Box<dyn ToSql>>,
    exp: u32,
) -> Result<Vec<CustomerRow>> {
    // Numbers in the text, not parameters: with `LIMIT ?` SQLite cannot know the page is
    // small and sorts every match rather than walk the sort index.
    let limit = q.limit.clamp(1, 500);
    let offset = q.offset;
    // The page's ids first, then their rows: the row's subqueries (tags, tier, points) run
    // for the page only, not for every match a sort takes in.
    let sql = format!(
        "SELECT c.id FROM customers c {where_sql} ORDER BY {} LIMIT {limit} OFFSET {offset}",
        list_order(q)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let ids: Vec<i64> = stmt
        .query_map(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows(conn, &ids, exp)
}

/// Where a list changes its ways: the app uses [`Tuning::APP`]; tests move the edges so a
/// small shop takes every path.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Count at most this many (or to the end of the page).
    pub count_max: i64,
    /// Walk the sort index from this many name matches on.
    pub walk_from: i64,
    /// Split a name sort when fewer than this many match by a later word.
    pub split_below: i64,
}

impl Tuning {
    pub const APP: Tuning = Tuning {
        count_max: LIST_COUNT_MAX,
        walk_from: WALK_FROM,
        split_below: WALK_FROM,
    };
}

/// One page of the customer list. `search` restricts it to a lookup's matches.
pub fn list<'a>(
    conn: impl Into<Conn<'a>>,
    q: &ListQuery,
    search: Option<&Lookup>,
    exp: u32,
) -> Result<Page> {
    match conn.into() {
        Conn::Lite(c) => list_tuned(c, q, search, exp, Tuning::APP),
        Conn::Pg(p) => list_pg(p, q, search, exp, Tuning::APP),
    }
}

/// [`list`] with its edges moved.
pub fn list_tuned(
    conn: &Connection,
    q: &ListQuery,
    search: Option<&Lookup>,
    exp: u32,
    tuning: Tuning,
) -> Result<Page> {
    let plan = match search {
        Some(l) => plan(conn, q, l, tuning)?,
        None => Plan::Sort,
    };
    let names = match plan {
        Plan::Sort => NameTest::Fts,
        Plan::Walk | Plan::Split => NameTest::Row,
    };
    let mut args: Vec<Box<dyn ToSql>> = Vec::new();
    let Some(where_sql) = list_where(q, search, names, &mut args) else {
        return Ok(Page::default());
    };
    let bound = tuning
        .count_max
        .max(i64::from(q.offset) + i64::from(q.limit.clamp(1, 500)));
    let n = match (names, search) {
        (NameTest::Row, Some(l)) => walked_count(conn, q, l, bound + 1)?,
        _ => conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM customers c {where_sql} LIMIT {})",
                bound + 1
            ))?
            .query_row(params_from_iter(args.iter().map(|a| a.as_ref())), |r| {
                r.get(0)
            })?,
    };
    let rows = match (plan, search) {
        (Plan::Split, Some(l)) => rows(conn, &split_ids(conn, q, l)?, exp)?,
        _ => list_rows(conn, q, &where_sql, args, exp)?,
    };
    Ok(Page {
        total: n.min(bound),
        capped: n > bound,
        rows,
    })
}

internal! {
    /// The list as it was before bounded counts and index walks: every match counted, the
    /// FTS matches fetched and sorted. The reference the fast list is tested against.
    fn list_plain(
        conn: &Connection,
        q: &ListQuery,
        search: Option<&Lookup>,
        exp: u32,
    ) -> Result<(i64, Vec<CustomerRow>)> {
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let Some(where_sql) = list_where(q, search, NameTest::Fts, &mut args) else {
            return Ok((0, Vec::new()));
        };
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM customers c {where_sql}"),
            params_from_iter(args.iter().map(|a| a.as_ref())),
            |r| r.get(0),
        )?;
        Ok((total, list_rows(conn, q, &where_sql, args, exp)?))
    }
}

pub fn fts_query(tokens: &[String]) -> String {
    fts_expr(NameColumn::Folded, tokens)
}

pub fn tags(conn: Conn) -> Result<Vec<String>> {
    // Byte order on both engines (PostgreSQL's default collation sorts by locale).
    let sql = match conn {
        Conn::Lite(_) => "SELECT DISTINCT tag FROM customer_tags ORDER BY tag",
        Conn::Pg(_) => "SELECT DISTINCT tag COLLATE \"C\" AS tag FROM customer_tags ORDER BY 1",
    };
    let rows: Vec<(String,)> = super::rows(conn, sql, &[])?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
}

/// The per-customer figures kept in step with purchases and refunds:
/// (visits, total minus refunds, first, last).
pub fn cached_stats<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
) -> Result<(i64, i64, Option<i64>, Option<i64>)> {
    const SQL: &str = "SELECT visits, total_minor, first_purchase_at, last_purchase_at
         FROM customers WHERE id = ?1";
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached(SQL)?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?),
        Conn::Pg(p) => p.with(|c| {
            let r = c.query_one(SQL, &[&id])?;
            Ok((r.get(0), r.get(1), r.get(2), r.get(3)))
        }),
    }
}

/// Take a refund off the cached total spent.
pub fn add_refund_stats<'a>(conn: impl Into<Conn<'a>>, id: i64, amount_minor: i64) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE customers SET total_minor = total_minor - ?2 WHERE id = ?1",
        &[&id, &amount_minor],
    )?;
    Ok(())
}

/// Fold a new purchase into the cached per-customer figures used for sorting lists.
pub fn add_purchase_stats<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    at: i64,
    total_minor: i64,
) -> Result<()> {
    match conn.into() {
        Conn::Lite(c) => add_purchases_stats(c, id, 1, total_minor, at, at),
        Conn::Pg(p) => {
            p.with(|c| {
                c.execute(
                    "UPDATE customers SET visits = visits + 1, total_minor = total_minor + $2,
                        first_purchase_at = least(coalesce(first_purchase_at, $3), $3),
                        last_purchase_at = greatest(coalesce(last_purchase_at, $3), $3)
                     WHERE id = $1",
                    &[&id, &total_minor, &at],
                )
            })?;
            Ok(())
        }
    }
}

/// Hold the customer's row until the transaction ends (a bill, a refund, an edit), so that
/// two counters acting on one customer take turns and the second sees the first's points,
/// refunds and details. SQLite's write transaction already holds the whole file.
pub fn hold<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<()> {
    match conn.into() {
        Conn::Lite(_) => Ok(()),
        Conn::Pg(p) => {
            p.with(|c| c.query_opt("SELECT 1 FROM customers WHERE id = $1 FOR UPDATE", &[&id]))?;
            Ok(())
        }
    }
}

/// Fold `visits` purchases totalling `total_minor`, from `first` to `last`, into them.
pub fn add_purchases_stats<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    visits: i64,
    total_minor: i64,
    first: i64,
    last: i64,
) -> Result<()> {
    let conn = conn.into();
    let (least, most) = match conn {
        Conn::Lite(_) => ("min", "max"),
        Conn::Pg(_) => ("least", "greatest"),
    };
    super::execute(
        conn,
        &format!(
            "UPDATE customers SET visits = visits + ?2, total_minor = total_minor + ?3,
                first_purchase_at = {least}(coalesce(first_purchase_at, ?4), ?4),
                last_purchase_at = {most}(coalesce(last_purchase_at, ?5), ?5)
             WHERE id = ?1"
        ),
        &[&id, &visits, &total_minor, &first, &last],
    )?;
    Ok(())
}
