//! `cargo bench -p khachquen-core --bench backup`: a verified backup against `VACUUM INTO`,
//! and our restore against a bare restore (the backup API alone), side by side on the same
//! file in one run, with the checks they are made of, as a table.
//! Data: KQ_BENCH_DB (a database file; the demo shop is generated into it when missing), else
//! the 1M / 5M demo shop under target/bench-data (KQ_BENCH_CUSTOMERS / KQ_BENCH_PURCHASES).
//! KQ_BENCH_DATA_ONLY=1 only generates the data; KQ_BENCH_SKIP_CHECKS=1 leaves out the
//! rows timing each check on its own (integrity_check alone takes minutes at 1M).

use khachquen_core::{db, Store};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn env_u64(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed(), out)
}

fn data_file() -> PathBuf {
    let customers = env_u64("KQ_BENCH_CUSTOMERS", 1_000_000);
    let purchases = env_u64("KQ_BENCH_PURCHASES", 5_000_000);
    let path = match std::env::var_os("KQ_BENCH_DB") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/bench-data")
            .join(format!("demo-{customers}-{purchases}.db")),
    };
    if path.exists() {
        return path;
    }
    let dir = path.parent().expect("a folder").to_owned();
    std::fs::create_dir_all(&dir).expect("bench dir");
    let tmp = dir.join("demo-in-progress.db");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", tmp.display()));
    }
    let store = Store::open(&tmp).expect("open");
    let (took, _) = time(|| {
        store
            .create_demo(customers, purchases, 1, &mut |d, n| {
                eprint!("\rdemo {}%", d * 100 / n.max(1))
            })
            .expect("demo")
    });
    drop(store);
    println!(
        "\ndemo shop generated: {customers} customers, {purchases} purchases in {} s",
        secs(took)
    );
    std::fs::rename(&tmp, &path).expect("rename");
    remove_db(&tmp);
    path
}

fn read_only(path: &Path) -> Connection {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    c.pragma_update(None, "cache_size", -65_536).expect("cache");
    c
}

fn pragma_lines(conn: &Connection, sql: &str) -> usize {
    let mut stmt = conn.prepare(sql).expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut n = 0;
    while rows.next().expect("row").is_some() {
        n += 1;
    }
    n
}

fn remove_db(path: &Path) {
    for s in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
}

fn main() {
    let path = data_file();
    if std::env::var_os("KQ_BENCH_DATA_ONLY").is_some() {
        return;
    }
    let size = std::fs::metadata(&path).expect("size").len();
    let work = tempfile::Builder::new()
        .prefix("kq-bench-backup-")
        .tempdir_in(path.parent().expect("folder"))
        .expect("work dir");
    let store = Store::open(&path).expect("open");
    let mut rows: Vec<(String, Duration)> = Vec::new();

    // Warm the page cache once, so the first measured copy is not the only cold one.
    let vac = work.path().join("warm.db");
    let src = read_only(&path);
    src.execute("VACUUM INTO ?1", [vac.display().to_string()])
        .expect("vacuum");
    remove_db(&vac);

    let (vacuum, _) = time(|| {
        src.execute("VACUUM INTO ?1", [vac.display().to_string()])
            .expect("vacuum")
    });
    rows.push(("VACUUM INTO (no check)".into(), vacuum));
    // Is the baseline durable? VACUUM INTO syncs at the source's `synchronous`; a fsync
    // that finds nothing left to write takes no time.
    let (vac_sync, _) = time(|| {
        std::fs::File::open(&vac)
            .and_then(|f| f.sync_all())
            .expect("fsync")
    });
    remove_db(&vac);
    rows.push(("  then fsync the copy".into(), vac_sync));

    let target = work.path().join("verified.db");
    let t0 = Instant::now();
    let mut copied = Duration::ZERO;
    let (backup, info) = time(|| {
        store
            .create_backup(Some(&target), false, &mut |d, t| {
                if d == t {
                    copied = t0.elapsed();
                }
            })
            .expect("backup")
    });
    rows.push(("verified backup (core)".into(), backup));
    rows.push(("  copy (backup API)".into(), copied));
    rows.push((
        "  check (quick_check) beside the fsync, rename".into(),
        backup - copied,
    ));

    // What a check costs on the copy: which one "verify once" should be.
    let skip = std::env::var_os("KQ_BENCH_SKIP_CHECKS").is_some();
    let copy = read_only(&target);
    if !skip {
        let (quick, n) = time(|| pragma_lines(&copy, "PRAGMA quick_check"));
        assert_eq!(n, 1);
        rows.push(("  PRAGMA quick_check on the copy".into(), quick));
        let mapped = read_only(&target);
        mapped
            .pragma_update(None, "mmap_size", 1i64 << 40)
            .expect("mmap");
        let (quick, n) = time(|| pragma_lines(&mapped, "PRAGMA quick_check"));
        assert_eq!(n, 1);
        rows.push((
            "  PRAGMA quick_check, mmap_size as large as allowed".into(),
            quick,
        ));
        drop(mapped);
        let (full, n) = time(|| pragma_lines(&copy, "PRAGMA integrity_check"));
        assert_eq!(n, 1);
        rows.push(("  PRAGMA integrity_check on the copy".into(), full));
        let (fk, _) = time(|| pragma_lines(&copy, "PRAGMA foreign_key_check"));
        rows.push(("  PRAGMA foreign_key_check on the copy".into(), fk));
        let (counts, _) = time(|| db::backup::counts(&copy).expect("counts"));
        rows.push(("  row counts on the copy".into(), counts));
    }
    drop(copy);

    // Bare restore: the backup API from the file into the live database, then checkpoint.
    let (bare, _) = time(|| {
        let mut live = Connection::open(&path).expect("live");
        live.busy_timeout(Duration::from_secs(30)).expect("busy");
        live.pragma_update(None, "synchronous", "FULL")
            .expect("sync");
        let from = read_only(&target);
        db::backup::copy(&from, &mut live, &mut |_, _| {}).expect("copy");
        db::checkpoint(&live).expect("checkpoint");
    });
    rows.push(("bare restore (backup API + checkpoint)".into(), bare));

    // The restore reports three phases (copy in, safety copy, swap) as thirds of its total;
    // the check of the copy runs beside the safety copy. Once a file is no longer read it is
    // removed, so the run fits where four copies of the data would not.
    let safety_dir = path.parent().expect("folder").join("backups");
    let t0 = Instant::now();
    let (mut end_in, mut start_swap) = (None, None);
    let (restore, report) = time(|| {
        store
            .restore_backup(&target, &mut |d, t| {
                let third = t / 3;
                if d >= third && end_in.is_none() {
                    end_in = Some(t0.elapsed());
                    let _ = std::fs::remove_file(&target);
                }
                if d > 2 * third && start_swap.is_none() {
                    start_swap = Some(t0.elapsed());
                    for e in std::fs::read_dir(&safety_dir)
                        .into_iter()
                        .flatten()
                        .flatten()
                    {
                        if e.file_name().to_string_lossy().contains("-before-restore") {
                            let _ = std::fs::remove_file(e.path());
                        }
                    }
                }
            })
            .expect("restore")
    });
    rows.push(("restore (core: verify, safety copy, swap)".into(), restore));
    let (a, b) = (end_in.unwrap_or_default(), start_swap.unwrap_or_default());
    rows.push(("  copy in (bytes)".into(), a));
    rows.push((
        "  check beside the safety copy; re-seal, audit entry".into(),
        b.saturating_sub(a),
    ));
    rows.push((
        "  swap with its audit entry, checkpoint".into(),
        restore.saturating_sub(b),
    ));
    remove_db(Path::new(&report.safety_copy));
    drop(store);

    println!(
        "\n{} customers, {} purchases, {:.2} GB ({})",
        info.counts.customers,
        info.counts.purchases,
        size as f64 / 1e9,
        path.display()
    );
    println!("{:<62} {:>10}", "operation", "seconds");
    for (name, d) in &rows {
        println!("{name:<62} {:>10}", secs(*d));
    }
    println!(
        "verified backup / VACUUM INTO: {:.2}x (target <= 2x); / VACUUM INTO + fsync: {:.2}x",
        backup.as_secs_f64() / vacuum.as_secs_f64(),
        backup.as_secs_f64() / (vacuum + vac_sync).as_secs_f64()
    );
    println!(
        "restore / bare restore: {:.2}x (target <= 3x)",
        restore.as_secs_f64() / bare.as_secs_f64()
    );
}
