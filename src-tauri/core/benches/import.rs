//! `cargo bench -p khachquen-core --bench import`: import and export of 100,000 rows
//! (KQ_BENCH_IMPORT_ROWS to change it) on a real database file, printed as a table.

use khachquen_core::transfer::export::{ExportKind, Label};
use khachquen_core::transfer::import::{ImportOptions, ImportReport, Kind};
use khachquen_core::Store;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const SURNAMES: &[&str] = &["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"];
const MIDDLE: &[&str] = &["Văn", "Thị", "Đức", "Ngọc", "Minh", "Thu", "Hữu", "Bảo"];
const GIVEN: &[&str] = &[
    "Đức", "Hương", "Lan", "Dũng", "Mai", "Tuấn", "Yến", "Khôi", "Ánh",
];

fn customers_csv(n: usize) -> String {
    let mut s = String::from(
        "\u{feff}Mã khách hàng,Tên khách hàng,Điện thoại,Ngày sinh,Email,Địa chỉ,Nhóm khách hàng\r\n",
    );
    for i in 0..n {
        let name = format!(
            "{} {} {}",
            SURNAMES[i % SURNAMES.len()],
            MIDDLE[(i / 8) % MIDDLE.len()],
            GIVEN[(i / 64) % GIVEN.len()]
        );
        let _ = write!(
            s,
            "KH{i:06},{name},09{:08},{:02}/{:02}/{},{}\r\n",
            i,
            i % 28 + 1,
            i % 12 + 1,
            1960 + i % 45,
            if i % 5 == 0 {
                format!("khach{i}@example.com,\"{} Lê Lợi, Quận 1\",VIP", i % 300)
            } else {
                ",,".to_owned()
            }
        );
    }
    s
}

/// "1.250.000" from a million up (two dots: unambiguous), plain digits below.
fn vnd(amount: usize) -> String {
    if amount < 1_000_000 {
        return amount.to_string();
    }
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

fn purchases_csv(n: usize, customers: usize) -> String {
    let mut s = String::from("Mã hóa đơn,Ngày mua,Mã khách hàng,Tổng tiền,Thanh toán\r\n");
    for i in 0..n {
        let _ = write!(
            s,
            "HD{i:07},{:02}/{:02}/{} {:02}:{:02},KH{:06},{},{}\r\n",
            i % 28 + 1,
            i % 12 + 1,
            2023 + i % 3,
            8 + i % 13,
            i % 60,
            (i * 7) % customers,
            vnd((50 + i % 2000) * 1000),
            if i % 3 == 0 {
                "Tiền mặt"
            } else {
                "Chuyển khoản"
            }
        );
    }
    s
}

fn label(l: Label) -> String {
    match l {
        Label::Column(c)
        | Label::Gender(c)
        | Label::Source(c)
        | Label::Payment(c)
        | Label::PointsKind(c) => c.to_owned(),
    }
}

struct Row {
    what: String,
    rows: u64,
    time: Duration,
    cpu: Option<Duration>,
    note: String,
}

/// CPU time of this thread (Linux), so a busy machine shows as wall time above CPU time.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn timed(what: &str, f: impl FnOnce() -> (u64, String)) -> Row {
    let (t, c) = (Instant::now(), thread_cpu());
    let (rows, note) = f();
    let cpu = match (c, thread_cpu()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    Row {
        what: what.into(),
        rows,
        time: t.elapsed(),
        cpu,
        note,
    }
}

fn summary(r: &ImportReport) -> String {
    format!(
        "inserted {} updated {} unchanged {} rejected {}",
        r.inserted, r.updated, r.unchanged, r.rejected
    )
}

fn import(s: &Store, kind: Kind, path: &Path, dry_run: bool) -> (u64, String) {
    let o = ImportOptions {
        dry_run,
        ..Default::default()
    };
    let r = s.import(kind, path, &o, &mut |_, _, _| {}).expect("import");
    assert_eq!(r.rejected, 0, "{:?}", r.errors.first());
    (r.rows, summary(&r))
}

fn main() {
    let n: usize = std::env::var("KQ_BENCH_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let customers = dir.path().join("customers.csv");
    let purchases = dir.path().join("purchases.csv");
    std::fs::write(&customers, customers_csv(n)).expect("write");
    std::fs::write(&purchases, purchases_csv(n, n)).expect("write");
    let store = Store::open(&dir.path().join("khachquen.db")).expect("open");

    let mut rows = vec![
        timed("dry run customers (CSV)", || {
            import(&store, Kind::Customers, &customers, true)
        }),
        timed("import customers (CSV)", || {
            import(&store, Kind::Customers, &customers, false)
        }),
        timed("re-import same customers", || {
            import(&store, Kind::Customers, &customers, false)
        }),
        timed("import purchases (CSV)", || {
            import(&store, Kind::Purchases, &purchases, false)
        }),
        timed("re-import same purchases", || {
            import(&store, Kind::Purchases, &purchases, false)
        }),
    ];
    let csv_out = dir.path().join("out.csv");
    let xlsx_out = dir.path().join("out.xlsx");
    rows.push(timed("export customers (CSV)", || {
        let r = store
            .export(ExportKind::Customers, &csv_out, &label)
            .expect("export");
        (r.rows, String::new())
    }));
    rows.push(timed("export customers (.xlsx)", || {
        let r = store
            .export(ExportKind::Customers, &xlsx_out, &label)
            .expect("export");
        (r.rows, String::new())
    }));
    let fresh = Store::open(&dir.path().join("fresh.db")).expect("open");
    rows.push(timed("import customers (.xlsx)", || {
        import(&fresh, Kind::Customers, &xlsx_out, false)
    }));
    assert!(store.check().expect("check").ok, "db check after import");

    println!(
        "\n{:<28} {:>9} {:>9} {:>9} {:>10}  result",
        "import / export", "rows", "wall s", "cpu s", "rows/s"
    );
    for r in rows {
        let secs = r.time.as_secs_f64();
        let cpu = r
            .cpu
            .map_or("-".to_owned(), |c| format!("{:.2}", c.as_secs_f64()));
        println!(
            "{:<28} {:>9} {:>9.3} {:>9} {:>10.0}  {}",
            r.what,
            r.rows,
            secs,
            cpu,
            r.rows as f64 / secs.max(1e-9),
            r.note
        );
    }
}
