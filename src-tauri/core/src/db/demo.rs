//! Bulk inserts for the demo generator (and later the importer): prepared once, no re-reads.

use crate::error::Result;
use rusqlite::{params, CachedStatement, Connection};

pub struct BulkCustomer<'a> {
    pub id: i64,
    pub code: &'a str,
    pub name: &'a str,
    pub name_fold: &'a str,
    pub name_marked: &'a str,
    pub phone: &'a str,
    pub phone_rev: &'a str,
    pub birthday: Option<&'a str>,
    pub gender: &'a str,
    pub email: Option<&'a str>,
    pub address: Option<&'a str>,
    pub referred_by: Option<i64>,
    pub source: &'a str,
    pub created_at: i64,
    pub visits: i64,
    pub total_minor: i64,
    pub first_purchase_at: Option<i64>,
    pub last_purchase_at: Option<i64>,
    pub tag: Option<&'a str>,
}

pub struct BulkPurchase<'a> {
    pub customer_id: i64,
    pub at: i64,
    pub total_minor: i64,
    pub discount_minor: i64,
    pub payment: &'a str,
    pub staff: &'a str,
}

pub struct BulkWriter<'c> {
    conn: &'c Connection,
    customer: CachedStatement<'c>,
    search: CachedStatement<'c>,
    tag: CachedStatement<'c>,
    purchase: CachedStatement<'c>,
    item: CachedStatement<'c>,
    entry: CachedStatement<'c>,
    tier_move: CachedStatement<'c>,
}

impl<'c> BulkWriter<'c> {
    /// The connection the writer writes on (for the rare rows it has no statement for).
    pub fn conn(&self) -> &'c Connection {
        self.conn
    }

    pub fn new(conn: &'c Connection) -> Result<Self> {
        Ok(BulkWriter {
            conn,
            customer: conn.prepare_cached(
                "INSERT INTO customers (id, code, name, name_fold, phone, phone_rev, birthday,
                    gender, email, address, referred_by, source, created_at, updated_at, visits,
                    total_minor, first_purchase_at, last_purchase_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15,
                    ?16, ?17)",
            )?,
            search: conn.prepare_cached(
                "INSERT INTO customer_search (rowid, name_fold, name_marked) VALUES (?1, ?2, ?3)",
            )?,
            tag: conn
                .prepare_cached("INSERT INTO customer_tags (customer_id, tag) VALUES (?1, ?2)")?,
            purchase: conn.prepare_cached(
                "INSERT INTO purchases (customer_id, at, total_minor, payment_method, staff,
                    created_at, discount_minor) VALUES (?1, ?2, ?3, ?4, ?5, ?2, ?6)",
            )?,
            entry: conn.prepare_cached(
                "INSERT INTO points_ledger (customer_id, kind, points, at, purchase_id, staff,
                    reason, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?4)",
            )?,
            tier_move: conn.prepare_cached(
                "INSERT INTO tier_history (customer_id, at, from_tier, to_tier, spend_minor)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            item: conn.prepare_cached(
                "INSERT INTO purchase_items (purchase_id, product, quantity, unit_price_minor,
                    line_total_minor, warranty_months) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
        })
    }

    pub fn customer(&mut self, c: &BulkCustomer) -> Result<()> {
        self.customer.execute(params![
            c.id,
            c.code,
            c.name,
            c.name_fold,
            c.phone,
            c.phone_rev,
            c.birthday,
            c.gender,
            c.email,
            c.address,
            c.referred_by,
            c.source,
            c.created_at,
            c.visits,
            c.total_minor,
            c.first_purchase_at,
            c.last_purchase_at
        ])?;
        self.search
            .execute(params![c.id, c.name_fold, c.name_marked])?;
        if let Some(t) = c.tag {
            self.tag.execute(params![c.id, t])?;
        }
        Ok(())
    }

    pub fn purchase(&mut self, p: &BulkPurchase) -> Result<i64> {
        self.purchase.execute(params![
            p.customer_id,
            p.at,
            p.total_minor,
            p.payment,
            p.staff,
            p.discount_minor
        ])?;
        Ok(self.conn.last_insert_rowid())
    }

    #[allow(clippy::too_many_arguments)]
    pub fn entry(
        &mut self,
        customer_id: i64,
        kind: &str,
        points: i64,
        at: i64,
        purchase_id: Option<i64>,
        staff: Option<&str>,
        reason: Option<&str>,
    ) -> Result<()> {
        self.entry.execute(params![
            customer_id,
            kind,
            points,
            at,
            purchase_id,
            staff,
            reason
        ])?;
        super::seal::points_added(self.conn, self.conn.last_insert_rowid())
    }

    pub fn tier_move(
        &mut self,
        customer_id: i64,
        at: i64,
        from: Option<&str>,
        to: Option<&str>,
        spend: i64,
    ) -> Result<()> {
        self.tier_move
            .execute(params![customer_id, at, from, to, spend])?;
        Ok(())
    }

    pub fn item(
        &mut self,
        purchase_id: i64,
        product: &str,
        unit_minor: i64,
        warranty: Option<u32>,
    ) -> Result<()> {
        self.item.execute(params![
            purchase_id,
            product,
            "1",
            unit_minor,
            unit_minor,
            warranty
        ])?;
        Ok(())
    }
}

/// The tables a demo fill writes millions of rows to.
const FILLED: &[&str] = &[
    "customers",
    "customer_tags",
    "purchases",
    "purchase_items",
    "points_ledger",
    "tier_history",
];

/// Drop the secondary indexes of the tables a demo fill writes, returning what recreates
/// them: one sorted build each at the end costs far less than millions of inserts into
/// every index in random order. Only in the fill's own transaction on an empty shop, whose
/// reads go by row id; each one with [`create_index`] before it commits.
pub fn drop_indexes(conn: &Connection) -> Result<Vec<String>> {
    let mut st = conn.prepare(
        "SELECT name, sql FROM sqlite_schema
         WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = ?1 ORDER BY rowid",
    )?;
    let mut found = Vec::new();
    for t in FILLED {
        let rows = st.query_map([t], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            found.push(row?);
        }
    }
    for (name, _) in &found {
        conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(found.into_iter().map(|(_, sql)| sql).collect())
}

/// Recreate one of the indexes [`drop_indexes`] dropped.
pub fn create_index(conn: &Connection, sql: &str) -> Result<()> {
    Ok(conn.execute_batch(sql)?)
}

/// True when the shop has neither customers nor purchases.
pub fn is_empty<'a>(conn: impl Into<super::Conn<'a>>) -> Result<bool> {
    super::one(
        conn.into(),
        "SELECT NOT EXISTS (SELECT 1 FROM customers) AND NOT EXISTS (SELECT 1 FROM purchases)",
        &[],
    )
}
