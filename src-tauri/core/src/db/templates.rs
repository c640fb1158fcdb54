//! Message templates, and what their merge fields are made from.

use crate::error::Result;
use crate::model::Template;
use crate::time;
use rusqlite::{params, Connection, OptionalExtension, Row};

const TEMPLATE_COLS: &str = "id, name, body, builtin, updated_at";

fn template_from(r: &Row) -> rusqlite::Result<Template> {
    Ok(Template {
        id: r.get(0)?,
        name: r.get(1)?,
        body: r.get(2)?,
        builtin: r.get(3)?,
        updated_at: time::from_unix(r.get(4)?),
        language: None,
    })
}

pub fn templates(conn: &Connection) -> Result<Vec<Template>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {TEMPLATE_COLS} FROM templates ORDER BY builtin DESC, id"
    ))?;
    let rows = stmt.query_map([], template_from)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn template_by_name(conn: &Connection, name: &str) -> Result<Option<Template>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE name = ?1"
        ))?
        .query_row([name], template_from)
        .optional()?)
}

pub fn template(conn: &Connection, id: i64) -> Result<Option<Template>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TEMPLATE_COLS} FROM templates WHERE id = ?1"
        ))?
        .query_row([id], template_from)
        .optional()?)
}

pub fn insert_template(conn: &Connection, name: &str, body: &str, now: i64) -> Result<i64> {
    conn.prepare_cached("INSERT INTO templates (name, body, updated_at) VALUES (?1, ?2, ?3)")?
        .execute(params![name, body, now])?;
    Ok(conn.last_insert_rowid())
}

pub fn update_template(conn: &Connection, id: i64, name: &str, body: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE templates SET name = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, name, body, now])?;
    Ok(())
}

pub fn delete_template(conn: &Connection, id: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM templates WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// What the merge fields of one customer are made from.
#[derive(Debug, Clone)]
pub struct MergeSource {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub last_purchase_at: Option<i64>,
}

pub fn merge_source(conn: &Connection, id: i64) -> Result<Option<MergeSource>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, name, phone, gender, birthday, last_purchase_at FROM customers WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(MergeSource {
                id: r.get(0)?,
                name: r.get(1)?,
                phone: r.get(2)?,
                gender: r.get(3)?,
                birthday: r.get(4)?,
                last_purchase_at: r.get(5)?,
            })
        })
        .optional()?)
}
