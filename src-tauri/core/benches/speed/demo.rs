//! The demo generator on a fresh file, beside its bare floor: the same rows written by SQLite
//! alone into a fresh file with the same schema (tables, indexes, triggers, the search index),
//! table by table, row by row through one prepared INSERT each, in one transaction with the
//! same page cache. Both files are deleted afterwards. Time and bytes written (/proc/self/io).

use super::{Ctx, Row};
use khachquen_core::{db, Store};
use rusqlite::types::Value;
use rusqlite::Connection;
use std::time::{Duration, Instant};

/// Bytes this process has caused to be written to storage, where the OS says.
fn written() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes: "))
        .and_then(|v| v.trim().parse().ok())
}

/// Time and bytes written by `f`.
fn measure(f: impl FnOnce()) -> (Duration, Option<u64>) {
    let before = written();
    let t = Instant::now();
    f();
    (t.elapsed(), written().zip(before).map(|(a, b)| a - b))
}

fn cell((t, bytes): (Duration, Option<u64>)) -> String {
    format!(
        "{:.1} s, {} written",
        t.as_secs_f64(),
        bytes.map_or("n/a".into(), |b| format!("{:.2} GB", b as f64 / 1e9))
    )
}

/// Copy every row of `src` into the fresh file `dst` with the same schema.
fn bare_copy(src: &std::path::Path, dst: &std::path::Path, cache_kib: i64) {
    let c = Connection::open(dst).expect("bare file");
    c.pragma_update(None, "journal_mode", "WAL").expect("wal");
    c.pragma_update(None, "synchronous", "FULL").expect("sync");
    c.pragma_update(None, "cache_size", -cache_kib)
        .expect("cache");
    // The rows were checked when made; tables are copied in creation order, not key order.
    c.pragma_update(None, "foreign_keys", "OFF").expect("fk");
    c.execute("ATTACH ?1 AS src", [src.to_string_lossy()])
        .expect("attach");
    let schema: Vec<(String, String, String)> = c
        .prepare(
            "SELECT type, name, sql FROM src.sqlite_master WHERE sql IS NOT NULL
             AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )
        .expect("schema")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("schema")
        .collect::<rusqlite::Result<_>>()
        .expect("schema");
    let fts: Vec<&str> = schema
        .iter()
        .filter(|(_, _, sql)| sql.contains("VIRTUAL TABLE"))
        .map(|(_, n, _)| n.as_str())
        .collect();
    // A virtual table's shadow tables are made by the table itself.
    let shadow = |n: &str| fts.iter().any(|f| n.starts_with(&format!("{f}_")));
    c.execute_batch("BEGIN").expect("begin");
    for (kind, name, sql) in &schema {
        if kind != "trigger" && !shadow(name) {
            c.execute_batch(sql).expect("create");
        }
    }
    for (kind, name, _) in &schema {
        if kind == "table" && !shadow(name) {
            let cols = if fts.contains(&name.as_str()) {
                "rowid, *"
            } else {
                "*"
            };
            let target = if cols == "*" {
                format!("\"{name}\"")
            } else {
                let names: Vec<String> = c
                    .prepare(&format!("SELECT * FROM src.\"{name}\" LIMIT 0"))
                    .expect("columns")
                    .column_names()
                    .iter()
                    .map(|s| format!("\"{s}\""))
                    .collect();
                format!("\"{name}\"(rowid, {})", names.join(", "))
            };
            // Row by row through bound parameters, as any writer that already knows its
            // rows must: the floor leaves out only the making of the rows.
            let mut read = c
                .prepare(&format!("SELECT {cols} FROM src.\"{name}\""))
                .expect("read");
            let n = read.column_count();
            let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
            let mut write = c
                .prepare(&format!(
                    "INSERT INTO {target} VALUES ({})",
                    marks.join(", ")
                ))
                .expect("insert");
            let mut rows = read.query([]).expect("rows");
            while let Some(r) = rows.next().expect("row") {
                let values: Vec<Value> = (0..n).map(|i| r.get(i).expect("value")).collect();
                write
                    .execute(rusqlite::params_from_iter(values))
                    .expect("copy");
            }
        }
    }
    for (kind, _, sql) in &schema {
        if kind == "trigger" {
            c.execute_batch(sql).expect("trigger");
        }
    }
    c.execute_batch("COMMIT").expect("commit");
    c.pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .expect("checkpoint");
}

pub fn rows(ctx: &Ctx) -> Vec<Row> {
    let dir = tempfile::tempdir_in(ctx.path.parent().unwrap_or(&ctx.path)).expect("temp dir");
    let product_path = dir.path().join("khachquen.db");
    let product = measure(|| {
        let store = Store::open(&product_path).expect("open");
        store
            .create_demo(ctx.customers, ctx.purchases, 1, &mut |_, _| {})
            .expect("demo");
        drop(store); // closing checkpoints the WAL into the file: part of the work
    });
    let cache = db::bulk_cache_kib(ctx.customers * 700 + ctx.purchases * 500);
    let bare_path = dir.path().join("bare.db");
    let bare = measure(|| bare_copy(&product_path, &bare_path, cache));
    let ratio = product.0.as_secs_f64() / bare.0.as_secs_f64().max(1e-9);
    vec![Row::new(
        format!(
            "demo {} customers / {} purchases, fresh file",
            ctx.customers, ctx.purchases
        ),
        format!("{} ({ratio:.2}× the floor)", cell(product)),
        format!("{} (same rows and schema)", cell(bare)),
        "≤ 1.3× the floor",
    )]
}
