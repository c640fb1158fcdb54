//! The settings table: one value per key.

use super::Conn;
use crate::error::Result;
use rusqlite::OptionalExtension;

pub fn get<'a>(conn: impl Into<Conn<'a>>, key: &str) -> Result<Option<String>> {
    match conn.into() {
        Conn::Lite(c) => Ok(c
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?),
        Conn::Pg(p) => p.with(|c| {
            Ok(
                c.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        }),
    }
}

pub fn set<'a>(conn: impl Into<Conn<'a>>, key: &str, value: &str) -> Result<()> {
    super::execute(
        conn.into(),
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )?;
    Ok(())
}

pub fn delete<'a>(conn: impl Into<Conn<'a>>, key: &str) -> Result<()> {
    super::execute(conn.into(), "DELETE FROM settings WHERE key = ?1", &[&key])?;
    Ok(())
}

/// Every key that starts with `prefix`.
pub fn delete_prefixed<'a>(conn: impl Into<Conn<'a>>, prefix: &str) -> Result<()> {
    super::execute(
        conn.into(),
        "DELETE FROM settings WHERE substr(key, 1, length(?1)) = ?1",
        &[&prefix],
    )?;
    Ok(())
}
