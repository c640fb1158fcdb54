//! `cargo bench -p khachquen-core --bench clv`: BG/NBD + Gamma-Gamma fit and per-customer
//! predictions (p_alive, expected purchases in 90 days, expected spend) on the CDNOW sample,
//! against Python lifetimes 0.11 on the same file (scripts/bench/lifetimes_cdnow.py).
//! Runs: KQ_BENCH_RUNS (default 21 Rust, 7 Python); interpreter: KQ_PYTHON (default python3).

use chrono::NaiveDate;
use khachquen_core::analytics::clv::{fit_bgnbd, fit_gamma_gamma, BgNbd, GammaGamma, Summary};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const HORIZON_WEEKS: f64 = 90.0 / 7.0;

/// Same summaries as tests/core/clv.rs: per distinct day, calibration end 1997-09-30, weeks.
fn summaries(path: &Path) -> Vec<Summary> {
    let text = std::fs::read_to_string(path).expect("CDNOW sample");
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut days: BTreeMap<u32, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
        if day <= end {
            *days
                .entry(f[1].parse().unwrap())
                .or_default()
                .entry(day)
                .or_default() += f[4].parse::<f64>().unwrap();
        }
    }
    let weeks = |a: NaiveDate, b: NaiveDate| (b - a).num_days() as f64 / 7.0;
    days.values()
        .map(|d| {
            let (first, last) = (*d.keys().next().unwrap(), *d.keys().last().unwrap());
            let repeat: Vec<f64> = d.values().skip(1).copied().collect();
            let n = repeat.len() as f64;
            Summary {
                frequency: n,
                recency: weeks(first, last),
                age: weeks(first, end),
                monetary: if n > 0.0 {
                    repeat.iter().sum::<f64>() / n
                } else {
                    0.0
                },
            }
        })
        .collect()
}

struct Outputs {
    bg: BgNbd,
    gg: GammaGamma,
    alive: f64,
    buys: f64,
    spend: f64,
}

fn run(data: &[Summary]) -> Outputs {
    let bg = fit_bgnbd(data).expect("BG/NBD fit");
    let gg = fit_gamma_gamma(data).expect("Gamma-Gamma fit");
    let per_customer: Vec<(f64, f64, f64)> = data
        .iter()
        .map(|s| {
            (
                bg.p_alive(s),
                bg.expected_purchases(s, HORIZON_WEEKS),
                gg.expected_spend(s),
            )
        })
        .collect();
    let per_customer = black_box(per_customer);
    Outputs {
        bg,
        gg,
        alive: per_customer.iter().map(|c| c.0).sum(),
        buys: per_customer.iter().map(|c| c.1).sum(),
        spend: per_customer.iter().map(|c| c.2).sum(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Python {
    params: serde_json::Value,
    median_s: f64,
}

fn python(data_path: &Path, runs: usize) -> Result<Python, String> {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/bench/lifetimes_cdnow.py");
    let script = script.canonicalize().unwrap_or(script);
    let exe = std::env::var("KQ_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&exe)
        .arg(&script)
        .arg(data_path)
        .arg(runs.to_string())
        .output()
        .map_err(|e| format!("could not run {exe}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap_or("").to_string();
        return Err(format!("{exe} {} failed: {last}", script.display()));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("unreadable output from the Python script: {e}"))?;
    let median_s = json["fit_seconds_median"]
        .as_f64()
        .ok_or("no fit_seconds_median in the Python output")?;
    Ok(Python {
        params: json,
        median_s,
    })
}

fn main() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/cdnow_sample.txt");
    let runs: usize = std::env::var("KQ_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(21);
    let data = summaries(&path);
    let _ = run(&data); // warm up
    let mut times = Vec::with_capacity(runs);
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let o = black_box(run(black_box(&data)));
        times.push(t.elapsed().as_secs_f64());
        out = Some(o);
    }
    let o = out.expect("at least one run");
    let rust_s = median(times);

    println!("CLV on CDNOW: {} customers, {} Rust runs", data.len(), runs);
    println!(
        "fit BG/NBD + Gamma-Gamma, then p_alive / purchases in 90 days / spend per customer\n"
    );
    println!(
        "{:<22} {:>12} {:>12} {:>12}",
        "", "Rust", "lifetimes", "published"
    );
    let py = python(&path, (runs / 3).max(3));
    let p = |k: &str, sub: &str| -> String {
        match &py {
            Ok(py) => py.params[k][sub]
                .as_f64()
                .map_or("-".into(), |v| format!("{v:.4}")),
            Err(_) => "-".into(),
        }
    };
    for (name, rust, key, sub, published) in [
        ("BG/NBD r", o.bg.r, "bgnbd", "r", "0.243"),
        ("BG/NBD alpha", o.bg.alpha, "bgnbd", "alpha", "4.414"),
        ("BG/NBD a", o.bg.a, "bgnbd", "a", "0.793"),
        ("BG/NBD b", o.bg.b, "bgnbd", "b", "2.426"),
        ("Gamma-Gamma p", o.gg.p, "gamma_gamma", "p", "6.25"),
        ("Gamma-Gamma q", o.gg.q, "gamma_gamma", "q", "3.74"),
        ("Gamma-Gamma gamma", o.gg.gamma, "gamma_gamma", "v", "15.44"),
    ] {
        println!(
            "{name:<22} {rust:>12.4} {:>12} {published:>12}",
            p(key, sub)
        );
    }
    for (name, rust, key) in [
        ("sum p_alive", o.alive, "sum_p_alive"),
        ("sum purchases 90 d", o.buys, "sum_expected_purchases"),
        ("sum expected spend", o.spend, "sum_expected_spend"),
    ] {
        let py_v = match &py {
            Ok(py) => py.params[key]
                .as_f64()
                .map_or("-".into(), |v| format!("{v:.2}")),
            Err(_) => "-".into(),
        };
        println!("{name:<22} {rust:>12.2} {py_v:>12} {:>12}", "");
    }
    let ms = |s: f64| format!("{:.3} ms", s * 1000.0);
    match &py {
        Ok(py) => {
            println!(
                "{:<22} {:>12} {:>12} {:>12}",
                "median time",
                ms(rust_s),
                ms(py.median_s),
                ""
            );
            println!(
                "\nRust is {:.0}x faster than lifetimes {} (target: at least 20x)",
                py.median_s / rust_s,
                py.params["lifetimes"].as_str().unwrap_or("?")
            );
        }
        Err(e) => {
            println!("{:<22} {:>12}", "median time", ms(rust_s));
            println!("\nPython comparison skipped: {e}");
            println!(
                "To include it: pip install -r scripts/bench/requirements.txt \
                 (CPython 3.11; set KQ_PYTHON to pick the interpreter)"
            );
        }
    }
}
