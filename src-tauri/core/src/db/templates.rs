//! Message templates, and what their merge fields are made from.

use super::Conn;
use crate::error::Result;
use crate::model::Template;
use crate::time;

const TEMPLATE_COLS: &str = "id, name, body, builtin, updated_at";

impl super::Columns for Template {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(Template {
            id: r.col(0)?,
            name: r.col(1)?,
            body: r.col(2)?,
            builtin: r.col::<i64>(3)? != 0,
            updated_at: time::from_unix(r.col(4)?),
            language: None,
        })
    }
}

pub fn templates<'a>(conn: impl Into<Conn<'a>>) -> Result<Vec<Template>> {
    super::rows(
        conn.into(),
        &format!("SELECT {TEMPLATE_COLS} FROM templates ORDER BY builtin DESC, id"),
        &[],
    )
}

pub fn template_by_name<'a>(conn: impl Into<Conn<'a>>, name: &str) -> Result<Option<Template>> {
    super::first(
        conn.into(),
        &format!("SELECT {TEMPLATE_COLS} FROM templates WHERE name = ?1"),
        &[&name],
    )
}

pub fn template<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<Template>> {
    super::first(
        conn.into(),
        &format!("SELECT {TEMPLATE_COLS} FROM templates WHERE id = ?1"),
        &[&id],
    )
}

pub fn insert_template<'a>(
    conn: impl Into<Conn<'a>>,
    name: &str,
    body: &str,
    now: i64,
) -> Result<i64> {
    super::one(
        conn.into(),
        "INSERT INTO templates (name, body, updated_at) VALUES (?1, ?2, ?3) RETURNING id",
        &[&name, &body, &now],
    )
}

pub fn update_template<'a>(
    conn: impl Into<Conn<'a>>,
    id: i64,
    name: &str,
    body: &str,
    now: i64,
) -> Result<()> {
    super::execute(
        conn.into(),
        "UPDATE templates SET name = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
        &[&id, &name, &body, &now],
    )?;
    Ok(())
}

pub fn delete_template<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<()> {
    super::execute(conn.into(), "DELETE FROM templates WHERE id = ?1", &[&id])?;
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

pub fn merge_source<'a>(conn: impl Into<Conn<'a>>, id: i64) -> Result<Option<MergeSource>> {
    super::first(
        conn.into(),
        "SELECT id, name, phone, gender, birthday, last_purchase_at FROM customers WHERE id = ?1",
        &[&id],
    )
}

impl super::Columns for MergeSource {
    fn read(r: &impl super::Row) -> Result<Self> {
        Ok(MergeSource {
            id: r.col(0)?,
            name: r.col(1)?,
            phone: r.col(2)?,
            gender: r.col(3)?,
            birthday: r.col(4)?,
            last_purchase_at: r.col(5)?,
        })
    }
}
