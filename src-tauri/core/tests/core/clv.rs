//! BG/NBD and Gamma-Gamma on the CDNOW sample (2,357 customers, tests/data/cdnow_sample.txt)
//! reproduce the published parameters.
//!
//! Tolerance: each fitted value must round to the published figure at the precision it
//! was published (±0.0005 for BG/NBD's three decimals, ±0.005 for Gamma-Gamma's two), and
//! agree with lifetimes 0.11.3's own fit on the same summaries to 1e-4 relative.

use chrono::NaiveDate;
use khachquen_core::analytics::clv::{
    fit_bgnbd, fit_gamma_gamma, BgNbd, FitError, GammaGamma, Summary,
};
use std::collections::BTreeMap;

/// Builds the calibration summaries: purchases counted per distinct day up to 1997-09-30,
/// time in weeks from each customer's first purchase, a day's spend the sum of its rows.
fn cdnow() -> Vec<Summary> {
    let text = include_str!("../data/cdnow_sample.txt");
    let end = NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    // customer → day → spend
    let mut days: BTreeMap<u32, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(f.len(), 5, "{line}");
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
            Summary {
                frequency: repeat.len() as f64,
                recency: weeks(first, last),
                age: weeks(first, end),
                monetary: if repeat.is_empty() {
                    0.0
                } else {
                    repeat.iter().sum::<f64>() / repeat.len() as f64
                },
            }
        })
        .collect()
}

fn assert_near(name: &str, got: f64, published: f64, half_unit: f64, lifetimes: f64) {
    assert!(
        (got - published).abs() <= half_unit,
        "{name} = {got}, published {published} (±{half_unit})"
    );
    assert!(
        ((got - lifetimes) / lifetimes).abs() <= 1e-4,
        "{name} = {got}, lifetimes {lifetimes}"
    );
}

#[test]
fn cdnow_reproduces_the_published_fits() {
    let data = cdnow();
    assert_eq!(data.len(), 2357);
    assert_eq!(data.iter().filter(|s| s.frequency > 0.0).count(), 946);
    // Customer 1 of the sample, as in FHL 2005 and lifetimes' cdnow summary.
    assert_eq!(data[0].frequency, 2.0);
    assert!((data[0].recency - 30.43).abs() < 0.005 && (data[0].age - 38.86).abs() < 0.005);
    assert!((data[0].monetary - 22.345).abs() < 1e-9);

    let m: BgNbd = fit_bgnbd(&data).unwrap();
    // Fader, Hardie & Lee (2005), and lifetimes 0.11.3's BetaGeoFitter.
    assert_near("r", m.r, 0.243, 0.0005, 0.2425945434210672);
    assert_near("alpha", m.alpha, 4.414, 0.0005, 4.413602716077373);
    assert_near("a", m.a, 0.793, 0.0005, 0.7929218333478439);
    assert_near("b", m.b, 2.426, 0.0005, 2.425905728721631);
    // FHL 2005 report LL = −9582.4 at the optimum.
    let ll = m.log_likelihood(&data);
    assert!((ll + 9582.4).abs() < 0.05, "LL {ll}");

    let g: GammaGamma = fit_gamma_gamma(&data).unwrap();
    // Fader & Hardie (2013), and lifetimes 0.11.3's GammaGammaFitter.
    assert_near("p", g.p, 6.25, 0.005, 6.2495722776325575);
    assert_near("q", g.q, 3.74, 0.005, 3.7442246747588444);
    assert_near("gamma", g.gamma, 15.44, 0.005, 15.443521018373513);

    let horizon = 90.0 / 7.0;
    let (mut alive, mut buys, mut spend) = (0.0, 0.0, 0.0);
    for s in &data {
        let p = m.p_alive(s);
        let e = m.expected_purchases(s, horizon);
        let v = g.expected_spend(s);
        assert!((0.0..=1.0).contains(&p), "{s:?} {p}");
        assert!(e.is_finite() && e >= 0.0, "{s:?} {e}");
        assert!(v.is_finite() && v > 0.0, "{s:?} {v}");
        alive += p;
        buys += e;
        spend += v;
    }
    // Sums of lifetimes' per-customer outputs at its own fit (scripts/bench/lifetimes_cdnow.py).
    for (name, got, want) in [
        ("p_alive", alive, 1917.277656261759),
        ("expected purchases", buys, 621.6394270358877),
        ("expected spend", spend, 83089.60772633008),
    ] {
        assert!(
            ((got - want) / want).abs() < 1e-4,
            "{name}: {got} vs {want}"
        );
    }
}

#[test]
fn five_customers_are_too_few() {
    let data = cdnow();
    let five = &data[..5];
    assert!(matches!(
        fit_bgnbd(five),
        Err(FitError::TooThin { customers: 5, .. })
    ));
    assert!(matches!(
        fit_gamma_gamma(five),
        Err(FitError::TooThin { customers: 5, .. })
    ));
}
