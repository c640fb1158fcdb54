use khachquen_core::analytics::reports::Range;
use khachquen_core::Store;
use std::time::Instant;
fn t<T>(name: &str, n: usize, url: &str, f: impl Fn(&Store) -> T) {
    let mut v = Vec::new();
    for _ in 0..n {
        let s = Store::open_server(url).expect("open");
        let a = Instant::now();
        std::hint::black_box(f(&s));
        v.push(a.elapsed());
    }
    v.sort();
    let s = Store::open_server(url).expect("open");
    f(&s);
    let a = Instant::now();
    std::hint::black_box(f(&s));
    println!(
        "{name:40} cold median {:>8.0} ms   warm {:>8.0} ms",
        v[n / 2].as_secs_f64() * 1e3,
        a.elapsed().as_secs_f64() * 1e3
    );
}
fn main() {
    let url = std::env::args().nth(1).unwrap();
    let all = Range::default();
    t("churn month", 3, &url, |s| {
        s.report_churn("month", &all, None).unwrap()
    });
    t("churn quarter", 3, &url, |s| {
        s.report_churn("quarter", &all, None).unwrap()
    });
    t("cohorts", 3, &url, |s| s.report_cohorts(&all).unwrap());
    t("summary", 3, &url, |s| s.report_summary(&all).unwrap());
    t("staff", 3, &url, |s| s.report_staff(&all).unwrap());
    t("counters", 3, &url, |s| {
        s.report_counters(&all, None).unwrap()
    });
    t("rfm", 3, &url, |s| s.report_rfm().unwrap());
    t("lifecycle", 3, &url, |s| s.report_lifecycle().unwrap());
    t("clv (100)", 1, &url, |s| {
        s.report_clv(None, None, Some(100)).unwrap()
    });
    t("today", 3, &url, |s| s.today(None, 50).unwrap());
}
