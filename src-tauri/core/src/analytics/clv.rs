//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way") and
//! Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value") customer
//! lifetime models: maximum-likelihood fits and per-customer predictions. Pure math.
//!
//! Fits run BFGS with analytic gradients on log-parameters (so they stay positive) inside a
//! box, from a few starting points, with time and money rescaled to order 1 first. Rescaling
//! changes the likelihood by a constant only, so the maximum is the unscaled one.

use std::collections::HashMap;
use std::fmt;

/// Fewer customers than this give parameters that are mostly noise.
pub const MIN_CUSTOMERS: usize = 20;
/// Repeat buyers are what identify the dropout and spend parameters.
pub const MIN_REPEATERS: usize = 10;

/// Box for the fitted parameters, in rescaled units (see the module doc).
const PARAM_MIN: f64 = 1e-4;
const PARAM_MAX: f64 = 1e4;
/// Gamma-Gamma q is kept above 1: the population mean spend p·γ/(q−1), which every new
/// customer's prediction uses, is infinite below it.
const GG_Q_MIN: f64 = 1.01;
/// Predictions accept hand-made parameters too; this keeps their logs finite.
const GUARD_MIN: f64 = 1e-12;
const GUARD_MAX: f64 = 1e12;

/// One customer's history, purchases counted per distinct day, time in weeks.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Repeat purchase days (distinct purchase days − 1).
    pub frequency: f64,
    /// Weeks from the first to the last purchase day.
    pub recency: f64,
    /// T: weeks from the first purchase to the end of the calibration period.
    pub age: f64,
    /// Mean spend of the repeat purchase days (0 when frequency is 0).
    pub monetary: f64,
}

/// BG/NBD parameters: purchase rates ~ Gamma(r, α), dropout probability ~ Beta(a, b).
/// α is in weeks, like the summaries it was fitted on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Gamma-Gamma spend parameters; γ is in the currency of the summaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GammaGamma {
    pub p: f64,
    pub q: f64,
    pub gamma: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FitError {
    TooThin {
        customers: usize,
        repeaters: usize,
        min_customers: usize,
        min_repeaters: usize,
    },
    NoConvergence,
    /// The likelihood's maximum lies on (or beyond) the edge of the parameter box: the data
    /// do not identify `param`, and predictions from it say more than the data do. Only
    /// the checked fits return it; `value` is in the model's own units.
    AtBound {
        param: &'static str,
        value: f64,
    },
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::TooThin {
                customers,
                repeaters,
                min_customers,
                min_repeaters,
            } => write!(
                f,
                "too little history to fit: {customers} customers, {repeaters} repeat buyers \
                 (need {min_customers} and {min_repeaters})"
            ),
            FitError::NoConvergence => write!(f, "the model fit did not converge"),
            FitError::AtBound { param, value } => {
                write!(f, "the fit ended on the bound of {param} ({value})")
            }
        }
    }
}

impl std::error::Error for FitError {}

/// (x, t_x, T) as the model reads them: whole repeat days, 0 ≤ t_x ≤ T, t_x = 0 when x = 0.
fn clean(s: &Summary) -> (f64, f64, f64) {
    let nonneg = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
    let x = nonneg(s.frequency).round();
    let age = nonneg(s.age);
    let tx = if x > 0.0 {
        nonneg(s.recency).min(age)
    } else {
        0.0
    };
    (x, tx, age)
}

fn usable(s: &Summary) -> bool {
    s.frequency.is_finite() && s.recency.is_finite() && s.age.is_finite()
}

fn guard(v: f64) -> f64 {
    if v.is_nan() {
        1.0
    } else {
        v.clamp(GUARD_MIN, GUARD_MAX)
    }
}

fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// ψ(x) for x > 0: recurrence up to 10, then the asymptotic series (error < 1e-15).
fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    let tail = f
        * (1.0 / 12.0
            - f * (1.0 / 120.0
                - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f * (1.0 / 132.0 - f * 691.0 / 32760.0)))));
    acc + x.ln() - 0.5 / x - tail
}

/// Enough for z ≤ 0.998 (a horizon under ~500·(α+T)) to full precision; beyond, the
/// truncated sum is still finite and bounds the cost of a call.
const SERIES_MAX_TERMS: usize = 20_000;
const SERIES_EPS: f64 = 1e-16;

/// Σ_{n≥1} u_n with u_1 = `first` and u_{n+1} = u_n·ratio(n), for hypergeometric-type
/// ratios that tend to z < 1. Stops once the tail, bounded by a geometric series with
/// ratio max(|ratio(n)|, z), is negligible. Returns (s, k) with the sum = s·eᵏ: with large
/// parameters the terms pass 1e308 before they fall, while the caller's prefactor is tiny.
fn series(first: f64, z: f64, ratio: impl Fn(f64) -> f64) -> (f64, f64) {
    const BIG: f64 = 1e250;
    let (mut term, mut sum, mut k, mut n) = (first, first, 0.0, 1.0);
    for _ in 0..SERIES_MAX_TERMS {
        if term == 0.0 || !sum.is_finite() {
            break;
        }
        let rho = ratio(n);
        term *= rho;
        sum += term;
        n += 1.0;
        if sum.abs() > BIG || term.abs() > BIG {
            (term, sum, k) = (term / BIG, sum / BIG, k + BIG.ln());
        }
        let q = rho.abs().max(z);
        if q < 1.0 && term.abs() * q / (1.0 - q) <= SERIES_EPS * sum.abs() {
            break;
        }
    }
    (sum, k)
}

/// s·e^ln_factor without overflow in between.
fn times_exp(s: f64, ln_factor: f64) -> f64 {
    if s == 0.0 {
        0.0
    } else {
        s.signum() * (s.abs().ln() + ln_factor).exp()
    }
}

/// Gauss hypergeometric ₂F₁(a, b; c; z) for 0 ≤ z < 1 and c not 0, −1, −2, … by its series.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    if z == 0.0 {
        return 1.0;
    }
    let (s, k) = series(a * b / c * z, z, |n| {
        (a + n) * (b + n) / ((c + n) * (n + 1.0)) * z
    });
    1.0 + times_exp(s, k)
}

impl BgNbd {
    fn guarded(&self) -> BgNbd {
        BgNbd {
            r: guard(self.r),
            alpha: guard(self.alpha),
            a: guard(self.a),
            b: guard(self.b),
        }
    }

    /// Total log-likelihood of the customers' histories (FHL 2005); rows with non-finite
    /// fields are skipped, as in the fit.
    pub fn log_likelihood(&self, data: &[Summary]) -> f64 {
        let m = self.guarded();
        let ll: f64 = data
            .iter()
            .filter(|s| usable(s))
            .map(|s| {
                let (x, tx, age) = clean(s);
                let head = ln_gamma(m.r + x) - ln_gamma(m.r)
                    + m.r * m.alpha.ln()
                    + ln_gamma(m.a + m.b)
                    + ln_gamma(m.b + x)
                    - ln_gamma(m.b)
                    - ln_gamma(m.a + m.b + x);
                let a3 = -(m.r + x) * (m.alpha + age).ln();
                if x > 0.0 {
                    let a4 = m.a.ln() - (m.b + x - 1.0).ln() - (m.r + x) * (m.alpha + tx).ln();
                    head + log_add_exp(a3, a4)
                } else {
                    head + a3
                }
            })
            .sum();
        if ll.is_nan() {
            f64::NEG_INFINITY
        } else {
            ll
        }
    }

    /// ln of the odds of having dropped out: ln[a/(b+x−1)·((α+T)/(α+t_x))^(r+x)].
    fn log_dead_odds(&self, x: f64, tx: f64, age: f64) -> f64 {
        self.a.ln() - (self.b + x - 1.0).ln()
            + (self.r + x) * ((self.alpha + age).ln() - (self.alpha + tx).ln())
    }

    /// Probability the customer is still active at the end of the calibration period
    /// (Fader, Hardie & Lee 2008, "Computing P(alive) using the BG/NBD model"); 1 for
    /// customers without a repeat purchase, as the model says.
    pub fn p_alive(&self, s: &Summary) -> f64 {
        let (x, tx, age) = clean(s);
        if x == 0.0 {
            return 1.0;
        }
        let p = 1.0 / (1.0 + self.guarded().log_dead_odds(x, tx, age).exp());
        if p.is_nan() {
            0.0
        } else {
            p
        }
    }

    /// Expected purchases in the next `t` weeks (FHL 2005, eq. 10).
    pub fn expected_purchases(&self, s: &Summary, t: f64) -> f64 {
        if t.is_nan() || t <= 0.0 {
            return 0.0;
        }
        let m = self.guarded();
        let (x, tx, age) = clean(s);
        let t = t.min(GUARD_MAX);
        let (r, alpha, a, b) = (m.r, m.alpha, m.a, m.b);
        // Eq. 10 is c/(a−1)·[1 − (1−z)^(r+x)·F] / (1 + dead odds), with c = a+b+x−1,
        // z = t/(α+T+t) and F = ₂F₁(r+x, b+x; c; z). F's terms grow like (1−z)^−(r+x+1−a),
        // so it is summed as printed only when a ≥ r+x+1 (and a ≥ 2, as 1/(a−1) would cost
        // precision). Otherwise Euler's transformation
        // F = (1−z)^(a−1−r−x)·₂F₁(a+b−r−1, a−1; c; z), whose terms grow like the inverse
        // power, with its first term split off and (a−1) and c cancelled, leaves
        //   c·(1 − (1−z)^(a−1))/(a−1) − (1−z)^(a−1)·K,
        //   K = Σ_{n≥1} (a+b−r−1)_n (a)_{n−1} / ((c+1)_{n−1} n!) zⁿ,
        // which is regular at a = 1 and at c ≤ 0 (possible when x = 0).
        let c = a + b + x - 1.0;
        let z = t / (alpha + age + t);
        let ln1mz = (alpha + age).ln() - (alpha + age + t).ln();
        let am1 = a - 1.0;
        let numerator = if a >= (r + x + 1.0).max(2.0) {
            let (big_a, big_b) = (r + x, b + x);
            let (f1, k) = series(big_a * big_b / c * z, z, |n| {
                (big_a + n) * (big_b + n) / ((c + n) * (n + 1.0)) * z
            });
            // 1 − (1−z)^A·(1 + F₁) with the 1s cancelled exactly.
            c / am1 * (-(big_a * ln1mz).exp_m1() - times_exp(f1, big_a * ln1mz + k))
        } else {
            let head = if am1 == 0.0 {
                -ln1mz
            } else {
                -(am1 * ln1mz).exp_m1() / am1
            };
            let d = a + b - r - 1.0;
            let (kk, k) = series(d * z, z, |n| {
                (d + n) * (a + n - 1.0) / ((c + n) * (n + 1.0)) * z
            });
            c * head - times_exp(kk, am1 * ln1mz + k)
        };
        let odds = if x > 0.0 {
            m.log_dead_odds(x, tx, age).exp()
        } else {
            0.0
        };
        let e = numerator / (1.0 + odds);
        if e.is_finite() {
            e.max(0.0)
        } else {
            0.0
        }
    }
}

impl GammaGamma {
    /// Population mean spend per purchase, p·γ/(q−1) (infinite when q ≤ 1).
    pub fn mean_spend(&self) -> f64 {
        if self.q > 1.0 {
            self.p * self.gamma / (self.q - 1.0)
        } else {
            f64::INFINITY
        }
    }

    /// Expected spend per future purchase given the customer's repeat purchases
    /// (Fader & Hardie 2013): a weighted average of the population mean and the
    /// customer's own mean, the population mean for customers without repeat purchases.
    pub fn expected_spend(&self, s: &Summary) -> f64 {
        let (x, _, _) = clean(s);
        let own = if s.monetary.is_finite() {
            s.monetary.max(0.0)
        } else {
            0.0
        };
        let (p, q, gamma) = (guard(self.p), guard(self.q), guard(self.gamma));
        let e = if q > 1.0 {
            let w = p * x / (p * x + q - 1.0);
            (1.0 - w) * (p * gamma / (q - 1.0)) + w * own
        } else {
            own
        };
        if e.is_finite() {
            e.max(0.0)
        } else {
            own
        }
    }

    /// Total log-likelihood of the repeat buyers' mean spends (customers with
    /// frequency > 0 and monetary > 0).
    pub fn log_likelihood(&self, data: &[Summary]) -> f64 {
        let (p, q, g) = (guard(self.p), guard(self.q), guard(self.gamma));
        let ll: f64 = data
            .iter()
            .filter_map(spend_row)
            .map(|(x, m)| {
                ln_gamma(p * x + q) - ln_gamma(p * x) - ln_gamma(q)
                    + q * g.ln()
                    + (p * x - 1.0) * m.ln()
                    + p * x * x.ln()
                    - (p * x + q) * (g + m * x).ln()
            })
            .sum();
        if ll.is_nan() {
            f64::NEG_INFINITY
        } else {
            ll
        }
    }
}

fn log_add_exp(u: f64, v: f64) -> f64 {
    let hi = u.max(v);
    if hi == f64::NEG_INFINITY {
        return hi;
    }
    hi + ((u - hi).exp() + (v - hi).exp()).ln()
}

fn spend_row(s: &Summary) -> Option<(f64, f64)> {
    let (x, _, _) = clean(s);
    (usable(s) && x > 0.0 && s.monetary.is_finite() && s.monetary > 0.0).then_some((x, s.monetary))
}

fn thin(customers: usize, repeaters: usize) -> Result<(), FitError> {
    if customers < MIN_CUSTOMERS || repeaters < MIN_REPEATERS {
        Err(FitError::TooThin {
            customers,
            repeaters,
            min_customers: MIN_CUSTOMERS,
            min_repeaters: MIN_REPEATERS,
        })
    } else {
        Ok(())
    }
}

/// Distinct values, numbered in order of appearance: the Γ, ψ and ln(α+t) terms are then
/// computed once per value, not once per customer.
#[derive(Default)]
struct Interner {
    ids: HashMap<u64, u32>,
    values: Vec<f64>,
}

impl Interner {
    fn id(&mut self, v: f64) -> u32 {
        let next = self.values.len() as u32;
        let id = *self.ids.entry(v.to_bits()).or_insert(next);
        if id == next {
            self.values.push(v);
        }
        id
    }
}

/// Fits BG/NBD by maximum likelihood on customers' calibration-period histories.
/// Identical histories (all one-time buyers of the same day, say) as one weighted row.
struct Histories {
    /// The distinct frequencies.
    xs: Vec<f64>,
    /// The distinct times (of last purchase and age, scaled).
    ts: Vec<f64>,
    /// (frequency, time of last purchase, age) as indexes into `xs`/`ts`/`ts`, and how many.
    hist: Vec<([u32; 3], f64)>,
    /// How many customers have each frequency.
    x_count: Vec<f64>,
}

impl Histories {
    fn of(rows: &[(f64, f64, f64)], scale: f64) -> Self {
        let (mut xs, mut ts) = (Interner::default(), Interner::default());
        let mut seen: HashMap<[u32; 3], usize> = HashMap::new();
        let mut hist: Vec<([u32; 3], f64)> = Vec::new();
        for &(x, tx, age) in rows {
            let key = [xs.id(x), ts.id(tx * scale), ts.id(age * scale)];
            let i = *seen.entry(key).or_insert_with(|| {
                hist.push((key, 0.0));
                hist.len() - 1
            });
            hist[i].1 += 1.0;
        }
        let (xs, ts) = (xs.values, ts.values);
        let mut x_count = vec![0.0; xs.len()];
        for &([xi, _, _], cnt) in &hist {
            x_count[xi as usize] += cnt;
        }
        Histories {
            xs,
            ts,
            hist,
            x_count,
        }
    }
}

/// Above this many customers a fit uses a deterministic random sample of them: the
/// parameters' sampling error at this size is far below the model's own, and a fit then
/// costs the same on any shop.
pub const FIT_SAMPLE: usize = 100_000;

/// Whether row `i` of `n` belongs to the fit's sample of about `FIT_SAMPLE` rows: a hash of
/// the index against a threshold, so the sample is the same on every run and spread over
/// the whole list.
fn sampled(i: usize, n: usize) -> bool {
    if n <= FIT_SAMPLE {
        return true;
    }
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as u128 * n as u128) < ((FIT_SAMPLE as u128) << 64)
}

/// A fitted model and the first parameter that ended on the box's edge, if any.
struct Fitted<M> {
    model: M,
    at_bound: Option<(&'static str, f64)>,
}

/// Within this (in log-parameter units, 0.1%) of an edge counts as on it.
const BOUND_TOL: f64 = 1e-3;

fn bound_hit<const N: usize>(
    theta: &[f64; N],
    lo: &[f64; N],
    hi: &[f64; N],
    names: [&'static str; N],
    values: [f64; N],
) -> Option<(&'static str, f64)> {
    (0..N)
        .find(|&i| theta[i] - lo[i] <= BOUND_TOL || hi[i] - theta[i] <= BOUND_TOL)
        .map(|i| (names[i], values[i]))
}

fn checked<M>(f: Fitted<M>) -> Result<M, FitError> {
    match f.at_bound {
        Some((param, value)) => Err(FitError::AtBound { param, value }),
        None => Ok(f.model),
    }
}

/// BG/NBD by maximum likelihood, the maximum searched inside the parameter box: a
/// maximum on its edge is returned as it is (see [`fit_bgnbd_checked`]).
pub fn fit_bgnbd(data: &[Summary]) -> Result<BgNbd, FitError> {
    bgnbd_fit(data, true).map(|f| f.model)
}

/// As [`fit_bgnbd`], refusing a fit that ends on a parameter bound.
pub fn fit_bgnbd_checked(data: &[Summary]) -> Result<BgNbd, FitError> {
    bgnbd_fit(data, true).and_then(checked)
}

/// As [`fit_bgnbd`], on every customer however many there are (for tests that compare it
/// with the sampled fit).
pub fn fit_bgnbd_all(data: &[Summary]) -> Result<BgNbd, FitError> {
    bgnbd_fit(data, false).map(|f| f.model)
}

/// The likelihood depends on a customer only through (x, t_x, T): identical triples are
/// one weighted row (see `Histories`), so an evaluation costs O(distinct triples).
fn bgnbd_fit(data: &[Summary], sample: bool) -> Result<Fitted<BgNbd>, FitError> {
    let all: Vec<(f64, f64, f64)> = data.iter().filter(|s| usable(s)).map(clean).collect();
    let repeaters = all.iter().filter(|r| r.0 > 0.0).count();
    thin(all.len(), repeaters)?;
    let n_all = all.len();
    let rows: Vec<(f64, f64, f64)> = if sample && n_all > FIT_SAMPLE {
        all.into_iter()
            .enumerate()
            .filter(|(i, _)| sampled(*i, n_all))
            .map(|(_, r)| r)
            .collect()
    } else {
        all
    };
    let max_age = rows.iter().map(|r| r.2).fold(0.0, f64::max);
    let scale = if max_age > 0.0 { 10.0 / max_age } else { 1.0 };
    let Histories {
        xs,
        ts,
        hist,
        x_count,
    } = Histories::of(&rows, scale);
    let n = rows.len() as f64;

    // Per frequency: ln a − ln(b+x−1) and 1/(b+x−1); per time: ln(α+t) and 1/(α+t).
    let mut per_x = vec![[0.0f64; 2]; xs.len()];
    let mut per_t = vec![[0.0f64; 2]; ts.len()];
    let nll = |theta: &[f64; 4], grad: &mut [f64; 4]| -> f64 {
        let [r, alpha, a, b] = theta.map(f64::exp);
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let (dg_r, dg_b, dg_ab) = (digamma(r), digamma(b), digamma(a + b));
        let (lg_r, lg_b, lg_ab) = (ln_gamma(r), ln_gamma(b), ln_gamma(a + b));
        let (mut ll, mut g) = (0.0, [0.0f64; 4]);
        for ((px, &x), &cnt) in per_x.iter_mut().zip(&xs).zip(&x_count) {
            let (dg_rx, dg_abx) = (digamma(r + x), digamma(a + b + x));
            let head =
                ln_gamma(r + x) - lg_r + lg_ab + ln_gamma(b + x) - lg_b - ln_gamma(a + b + x);
            let bx1 = if x > 0.0 { b + x - 1.0 } else { 1.0 };
            *px = [ln_a - bx1.ln(), 1.0 / bx1];
            ll += cnt * head;
            g[0] += cnt * (dg_rx - dg_r);
            g[2] += cnt * (dg_ab - dg_abx);
            g[3] += cnt * (dg_ab + digamma(b + x) - dg_b - dg_abx);
        }
        for (pt, &t) in per_t.iter_mut().zip(&ts) {
            *pt = [(alpha + t).ln(), 1.0 / (alpha + t)];
        }
        ll += n * r * ln_alpha;
        g[0] += n * ln_alpha;
        g[1] += n * r / alpha;
        for &([xi, ti, ai], cnt) in &hist {
            let x = xs[xi as usize];
            let rx = r + x;
            let [l_age, inv_age] = per_t[ai as usize];
            let a3 = -rx * l_age;
            if x == 0.0 {
                ll += cnt * a3;
                g[0] -= cnt * l_age;
                g[1] -= cnt * rx * inv_age;
                continue;
            }
            let [k, inv_bx1] = per_x[xi as usize];
            let [l_tx, inv_tx] = per_t[ti as usize];
            let a4 = k - rx * l_tx;
            // w: the share of the likelihood from "dropped out after the last purchase".
            let d = a3 - a4;
            let (w, lse) = if d <= 0.0 {
                let e = d.exp();
                (1.0 / (1.0 + e), a4 + e.ln_1p())
            } else {
                let e = (-d).exp();
                (e / (1.0 + e), a3 + e.ln_1p())
            };
            ll += cnt * lse;
            g[0] -= cnt * ((1.0 - w) * l_age + w * l_tx);
            g[1] -= cnt * rx * ((1.0 - w) * inv_age + w * inv_tx);
            g[2] += cnt * w / a;
            g[3] -= cnt * w * inv_bx1;
        }
        // Mean negative log-likelihood; chain rule for the log-parameters.
        for (i, p) in [r, alpha, a, b].into_iter().enumerate() {
            grad[i] = -p * g[i] / n;
        }
        -ll / n
    };
    let lo = [PARAM_MIN.ln(); 4];
    let hi = [PARAM_MAX.ln(); 4];
    let starts = [
        [1.0, 1.0, 1.0, 1.0],
        [0.5, 2.0, 0.5, 3.0],
        [2.0, 5.0, 2.0, 8.0],
    ];
    let best = best_of(&starts, lo, hi, nll).ok_or(FitError::NoConvergence)?;
    let [r, alpha, a, b] = best.map(f64::exp);
    let m = BgNbd {
        r,
        alpha: alpha / scale,
        a,
        b,
    };
    if !finite(&[m.r, m.alpha, m.a, m.b]) {
        return Err(FitError::NoConvergence);
    }
    Ok(Fitted {
        at_bound: bound_hit(
            &best,
            &lo,
            &hi,
            ["r", "alpha", "a", "b"],
            [m.r, m.alpha, m.a, m.b],
        ),
        model: m,
    })
}

/// Fits Gamma-Gamma by maximum likelihood on the repeat buyers' mean spends (customers
/// with frequency > 0 and monetary > 0); a maximum on the box's edge is returned as it is.
pub fn fit_gamma_gamma(data: &[Summary]) -> Result<GammaGamma, FitError> {
    gamma_gamma_fit(data, true).map(|f| f.model)
}

/// As [`fit_gamma_gamma`], refusing a fit that ends on a parameter bound.
pub fn fit_gamma_gamma_checked(data: &[Summary]) -> Result<GammaGamma, FitError> {
    gamma_gamma_fit(data, true).and_then(checked)
}

/// As [`fit_gamma_gamma`], on every repeat buyer however many there are.
pub fn fit_gamma_gamma_all(data: &[Summary]) -> Result<GammaGamma, FitError> {
    gamma_gamma_fit(data, false).map(|f| f.model)
}

/// The likelihood depends on a buyer only through (x, mean spend): identical pairs (whole
/// prices make many) are one weighted row.
fn gamma_gamma_fit(data: &[Summary], sample: bool) -> Result<Fitted<GammaGamma>, FitError> {
    let customers = data.iter().filter(|s| usable(s)).count();
    let all: Vec<(f64, f64)> = data.iter().filter_map(spend_row).collect();
    thin(customers, all.len())?;
    let n_all = all.len();
    let mut seen: HashMap<(u64, u64), usize> = HashMap::new();
    // (x, m, how many).
    let mut rows: Vec<(f64, f64, f64)> = Vec::new();
    for (i, &(x, m)) in all.iter().enumerate() {
        if sample && !sampled(i, n_all) {
            continue;
        }
        let k = *seen.entry((x.to_bits(), m.to_bits())).or_insert_with(|| {
            rows.push((x, m, 0.0));
            rows.len() - 1
        });
        rows[k].2 += 1.0;
    }
    drop(all);
    let n: f64 = rows.iter().map(|r| r.2).sum();
    let mean = rows.iter().map(|r| r.1 * r.2).sum::<f64>() / n;
    let scale = 1.0 / mean;
    let mut xs = Interner::default();
    let index: Vec<u32> = rows.iter().map(|r| xs.id(r.0)).collect();
    let xs = xs.values;
    let mut counts = vec![0.0; xs.len()];
    for (&i, r) in index.iter().zip(&rows) {
        counts[i as usize] += r.2;
    }
    // Per row: x·(ln m + ln x), m·x in scaled money, and how many.
    let pre: Vec<(f64, f64, f64)> = rows
        .iter()
        .map(|&(x, m, c)| (x * ((m * scale).ln() + x.ln()), m * scale * x, c))
        .collect();
    let ln_m_sum: f64 = rows.iter().map(|&(_, m, c)| c * (m * scale).ln()).sum();

    let mut group = vec![[0.0f64; 2]; xs.len()];
    let nll = |theta: &[f64; 3], grad: &mut [f64; 3]| -> f64 {
        let [p, q, g] = theta.map(f64::exp);
        let ln_g = g.ln();
        let (mut ll, mut d) = (0.0, [0.0f64; 3]);
        let dg_q = digamma(q);
        for ((gr, &x), &cnt) in group.iter_mut().zip(&xs).zip(&counts) {
            let (dg_pxq, dg_px) = (digamma(p * x + q), digamma(p * x));
            ll += cnt * (ln_gamma(p * x + q) - ln_gamma(p * x));
            *gr = [dg_pxq - dg_px, dg_pxq];
        }
        ll += n * (q * ln_g - ln_gamma(q)) - ln_m_sum;
        d[1] += n * (ln_g - dg_q);
        d[2] += n * q / g;
        for (&gi, &(xlnmx, mx, c)) in index.iter().zip(&pre) {
            let x = xs[gi as usize];
            let [dg_diff, dg_pxq] = group[gi as usize];
            let l = (g + mx).ln();
            ll += c * (p * xlnmx - (p * x + q) * l);
            d[0] += c * (x * dg_diff + xlnmx - x * l);
            d[1] += c * (dg_pxq - l);
            d[2] -= c * (p * x + q) / (g + mx);
        }
        for (i, v) in [p, q, g].into_iter().enumerate() {
            grad[i] = -v * d[i] / n;
        }
        -ll / n
    };
    let lo = [PARAM_MIN.ln(), GG_Q_MIN.ln(), PARAM_MIN.ln()];
    let hi = [PARAM_MAX.ln(); 3];
    // Starts whose population mean p·γ/(q−1) is the sample mean, 1 after scaling.
    let starts = [[1.0, 2.0, 1.0], [4.0, 3.0, 0.5], [0.5, 1.5, 1.0]];
    let best = best_of(&starts, lo, hi, nll).ok_or(FitError::NoConvergence)?;
    let [p, q, gamma] = best.map(f64::exp);
    let m = GammaGamma {
        p,
        q,
        gamma: gamma / scale,
    };
    if !finite(&[m.p, m.q, m.gamma]) {
        return Err(FitError::NoConvergence);
    }
    Ok(Fitted {
        at_bound: bound_hit(&best, &lo, &hi, ["p", "q", "gamma"], [m.p, m.q, m.gamma]),
        model: m,
    })
}

fn finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite() && *x > 0.0)
}

/// Runs BFGS from each start (given as parameters, not logs) and keeps the best converged
/// minimum; several starts guard against a flat region stalling one of them.
fn best_of<const N: usize>(
    starts: &[[f64; N]],
    lo: [f64; N],
    hi: [f64; N],
    mut f: impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
) -> Option<[f64; N]> {
    let mut best: Option<([f64; N], f64)> = None;
    for s in starts {
        let Some((x, fx)) = bfgs(&mut f, s.map(f64::ln), lo, hi) else {
            continue;
        };
        match best {
            // Two starts reaching the same minimum settle it.
            Some((_, bf)) if (fx - bf).abs() <= 1e-10 * (1.0 + bf.abs()) => break,
            Some((_, bf)) if bf <= fx => {}
            _ => best = Some((x, fx)),
        }
    }
    best.map(|(x, _)| x)
}

const BFGS_MAX_ITER: usize = 500;
/// Stop when every projected gradient component of the mean negative log-likelihood is
/// below this.
const BFGS_GTOL: f64 = 1e-10;

/// Minimises f on the box [lo, hi] by projected BFGS: parameters at a bound that the
/// gradient pushes outward are held there and the quasi-Newton step is taken in the
/// others, with an Armijo backtracking line search. Returns the minimiser and value, or
/// None if f is not finite at the start or the iterations run out.
fn dot<const N: usize>(u: &[f64; N], v: &[f64; N]) -> f64 {
    u.iter().zip(v).map(|(a, b)| a * b).sum()
}

/// The BFGS update of the inverse Hessian `h` by the step `s` and the change of gradient
/// `y` (`sy` = s·y > 0): H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ.
fn update_inverse_hessian<const N: usize>(
    h: &mut [[f64; N]; N],
    s: &[f64; N],
    y: &[f64; N],
    sy: f64,
) {
    let rho = 1.0 / sy;
    let hy: [f64; N] = std::array::from_fn(|i| dot(&h[i], y));
    let yhy = dot(y, &hy);
    for i in 0..N {
        for j in 0..N {
            h[i][j] += rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
        }
    }
}

fn bfgs<const N: usize>(
    f: &mut impl FnMut(&[f64; N], &mut [f64; N]) -> f64,
    x0: [f64; N],
    lo: [f64; N],
    hi: [f64; N],
) -> Option<([f64; N], f64)> {
    let project = |x: [f64; N]| -> [f64; N] { std::array::from_fn(|i| x[i].clamp(lo[i], hi[i])) };
    let ok = |fx: f64, g: &[f64; N]| fx.is_finite() && g.iter().all(|v| v.is_finite());
    let identity =
        || -> [[f64; N]; N] { std::array::from_fn(|i| std::array::from_fn(|j| f64::from(i == j))) };
    let active = |x: &[f64; N], g: &[f64; N]| -> [bool; N] {
        std::array::from_fn(|i| (x[i] <= lo[i] && g[i] > 0.0) || (x[i] >= hi[i] && g[i] < 0.0))
    };
    let inf_norm = |v: &[f64; N]| v.iter().fold(0.0f64, |m, x| m.max(x.abs()));

    let mut x = project(x0);
    let mut g = [0.0; N];
    let mut fx = f(&x, &mut g);
    if !ok(fx, &g) {
        return None;
    }
    let mut h = identity();
    let mut fresh = true;
    let mut was_active = [false; N];
    for _ in 0..BFGS_MAX_ITER {
        let held = active(&x, &g);
        let pg: [f64; N] = std::array::from_fn(|i| if held[i] { 0.0 } else { g[i] });
        if inf_norm(&pg) < BFGS_GTOL {
            return Some((x, fx));
        }
        if held != was_active {
            // The curvature learnt so far mixed in the parameters now held (or freed).
            h = identity();
            fresh = true;
            was_active = held;
        }
        let mut d: [f64; N] = std::array::from_fn(|i| if held[i] { 0.0 } else { -dot(&h[i], &pg) });
        let slope = dot(&pg, &d);
        if slope.is_nan() || slope >= 0.0 {
            d = pg.map(|v| -v);
            h = identity();
            fresh = true;
        }
        // A fresh (steepest-descent) step moves each log-parameter by at most 1.
        let mut step = if fresh {
            1.0f64.min(1.0 / inf_norm(&d))
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..60 {
            let xn = project(std::array::from_fn(|i| x[i] + step * d[i]));
            let s: [f64; N] = std::array::from_fn(|i| xn[i] - x[i]);
            let predicted = dot(&g, &s);
            if predicted.is_nan() || -predicted <= 1e-15 * fx.abs() {
                break; // any decrease would be lost in rounding
            }
            let mut gn = [0.0; N];
            let fxn = f(&xn, &mut gn);
            if ok(fxn, &gn) && fxn <= fx + 1e-4 * predicted {
                accepted = Some((xn, fxn, gn, s));
                break;
            }
            step *= 0.5;
        }
        let Some((xn, fxn, gn, s)) = accepted else {
            if fresh {
                // Not even a short steepest-descent step lowers f: a minimum, to within
                // rounding (which near the box corners is coarser than BFGS_GTOL).
                return Some((x, fx));
            }
            h = identity();
            fresh = true;
            continue;
        };
        let y: [f64; N] = std::array::from_fn(|i| gn[i] - g[i]);
        let sy = dot(&s, &y);
        if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
            if fresh {
                let scale = sy / dot(&y, &y);
                h = std::array::from_fn(|i| {
                    std::array::from_fn(|j| if i == j { scale } else { 0.0 })
                });
            }
            update_inverse_hessian(&mut h, &s, &y, sy);
            fresh = false;
        }
        x = xn;
        g = gn;
        fx = fxn;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const CDNOW: BgNbd = BgNbd {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    const CDNOW_GG: GammaGamma = GammaGamma {
        p: 6.25,
        q: 3.74,
        gamma: 15.44,
    };

    fn bg(r: f64, alpha: f64, a: f64, b: f64) -> BgNbd {
        BgNbd { r, alpha, a, b }
    }

    fn gg(p: f64, q: f64, gamma: f64) -> GammaGamma {
        GammaGamma { p, q, gamma }
    }

    fn s(frequency: f64, recency: f64, age: f64) -> Summary {
        Summary {
            frequency,
            recency,
            age,
            monetary: 0.0,
        }
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs().max(1e-300)
    }

    #[test]
    fn digamma_and_lgamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-14);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-14);
        // scipy.special.digamma
        assert!(close(digamma(0.1), -10.423754940411076, 1e-14));
        assert!(close(digamma(7.3), 1.917820335637986, 1e-14));
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-14);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    }

    #[test]
    fn hyp2f1_matches_closed_forms_and_scipy() {
        for z in [0.0, 0.1, 0.5, 0.9, 0.99] {
            let log = if z == 0.0 {
                1.0
            } else {
                -(1.0f64 - z).ln() / z
            };
            assert!(close(hyp2f1(1.0, 1.0, 2.0, z), log, 1e-13), "{z}");
            assert!(
                close(hyp2f1(0.7, 2.3, 2.3, z), (1.0 - z).powf(-0.7), 1e-13),
                "{z}"
            );
            let w = z.sqrt();
            let asin = if z == 0.0 { 1.0 } else { w.asin() / w };
            assert!(close(hyp2f1(0.5, 0.5, 1.5, z), asin, 1e-13), "{z}");
        }
        // Terminating series: ₂F₁(−2, b; c; z) is a quadratic.
        let (b, c, z) = (3.0, 4.5, 0.7);
        let poly = 1.0 - 2.0 * b / c * z + b * (b + 1.0) / (c * (c + 1.0)) * z * z;
        assert!(close(hyp2f1(-2.0, b, c, z), poly, 1e-14));
        // scipy.special.hyp2f1
        assert!(close(
            hyp2f1(0.3, 2.7, 1.9, 0.85),
            2.8680170819905926,
            1e-13
        ));
        assert!(close(
            hyp2f1(-0.4, 1.3, 0.2, 0.6),
            -1.6615308347208364,
            1e-13
        ));
        assert!(close(hyp2f1(5.0, 7.0, 3.5, 0.4), 125.49600617181483, 1e-13));
    }

    #[test]
    fn predictions_match_lifetimes() {
        // lifetimes 0.11.3 with the published CDNOW parameters: (x, t_x, T, t, E[Y(t)], P(alive)).
        let cases = [
            (
                2.0,
                30.43,
                38.86,
                39.0,
                1.226028174767135,
                0.726578570080673,
            ),
            (0.0, 0.0, 38.86, 39.0, 0.19509805201125396, 1.0),
            (
                7.0,
                35.0,
                38.0,
                12.857,
                1.7323985918077496,
                0.8619910650934327,
            ),
            (
                1.0,
                1.71,
                38.86,
                52.0,
                0.25982346486862234,
                0.2121009853773791,
            ),
            (
                30.0,
                38.0,
                39.0,
                100.0,
                39.835576884600925,
                0.9514226348291313,
            ),
            (0.0, 0.0, 0.5, 1000.0, 6.2956120001163, 1.0),
        ];
        for (x, tx, age, t, e, alive) in cases {
            let h = s(x, tx, age);
            assert!(
                close(CDNOW.expected_purchases(&h, t), e, 1e-10),
                "{x} {tx} {age} {t}"
            );
            assert!(close(CDNOW.p_alive(&h), alive, 1e-12), "{x} {tx} {age}");
        }
        // FHL 2005, section 5: customer 1 expects 1.226 purchases in the next 39 weeks.
        assert_eq!(
            format!(
                "{:.3}",
                CDNOW.expected_purchases(&s(2.0, 30.43, 38.86), 39.0)
            ),
            "1.226"
        );
        for (x, m, want) in [
            (0.0, 0.0, 35.21897810218978),
            (1.0, 10.0, 17.686318131256954),
            (5.0, 35.2, 35.20152986172404),
        ] {
            let h = Summary {
                monetary: m,
                ..s(x, 1.0, 2.0)
            };
            assert!(close(CDNOW_GG.expected_spend(&h), want, 1e-12), "{x} {m}");
        }
        assert!(close(CDNOW_GG.mean_spend(), 35.21897810218978, 1e-12));
    }

    #[test]
    fn expectation_agrees_with_the_untransformed_formula() {
        // Eq. 10 as printed, with ₂F₁(r+x, b+x; c; z) summed directly.
        let direct = |m: &BgNbd, x: f64, tx: f64, age: f64, t: f64| {
            let (r, al, a, b) = (m.r, m.alpha, m.a, m.b);
            let c = a + b + x - 1.0;
            let z = t / (al + age + t);
            let f = hyp2f1(r + x, b + x, c, z);
            let num = c / (a - 1.0) * (1.0 - ((al + age) / (al + age + t)).powf(r + x) * f);
            let odds = if x > 0.0 {
                a / (b + x - 1.0) * ((al + age) / (al + tx)).powf(r + x)
            } else {
                0.0
            };
            num / (1.0 + odds)
        };
        let models = [
            CDNOW,
            BgNbd {
                r: 1.5,
                alpha: 2.0,
                a: 3.0,
                b: 0.7,
            },
            BgNbd {
                r: 0.5,
                alpha: 10.0,
                a: 0.4,
                b: 0.9,
            },
        ];
        for m in &models {
            for (x, tx, age, t) in [
                (0.0, 0.0, 10.0, 5.0),
                (3.0, 8.0, 20.0, 13.0),
                (1.0, 0.5, 1.0, 52.0),
            ] {
                let got = m.expected_purchases(&s(x, tx, age), t);
                let want = direct(m, x, tx, age, t);
                assert!(close(got, want, 1e-9), "{m:?} {x} {got} {want}");
            }
        }
    }

    #[test]
    fn hard_cases_match_mpmath() {
        // Eq. 10 with mpmath's hyp2f1 at 60 digits: (model, x, t_x, T, t, E[Y(t)]).
        let sharp = BgNbd {
            r: 0.5,
            alpha: 0.01,
            a: 0.4,
            b: 0.9,
        };
        let fast = BgNbd {
            r: 1.5,
            alpha: 2.0,
            a: 3.0,
            b: 0.7,
        };
        for (m, x, tx, age, t, want, rel) in [
            (CDNOW, 0.0, 0.0, 0.01, 8828.0, 14.465448441356992, 1e-6),
            (CDNOW, 2.0, 1.0, 3.0, 1e7, 208.25139831876584, 1e-9),
            // Large parameters, as degenerate data fit at the box edges; both branches.
            (
                bg(3000.0, 1000.0, 6000.0, 1e4),
                140.0,
                20.0,
                21.0,
                13.0,
                0.19443348163522592,
                1e-9,
            ),
            (
                bg(0.0969, 0.00052, 5669.0, 1e4),
                1.0,
                1.0,
                14.0,
                13.0,
                0.06690933131170727,
                1e-9,
            ),
            (
                bg(50.0, 5.0, 0.5, 1e4),
                500.0,
                30.0,
                31.0,
                26.0,
                1.536399926829532,
                1e-9,
            ),
            (
                bg(2000.0, 900.0, 1e4, 1e4),
                1e4,
                30.0,
                30.0,
                52.0,
                2.0001000100010001,
                1e-9,
            ),
            (
                bg(0.2, 1.0, 1e4, 1e4),
                0.0,
                0.0,
                5.0,
                13.0,
                0.27305791735342944,
                1e-9,
            ),
            // Either side of a = r+x+1, where the branch changes.
            (
                bg(0.5, 2.0, 2.6, 3.0),
                1.0,
                5.0,
                10.0,
                20.0,
                0.47827985123642364,
                1e-12,
            ),
            (
                bg(0.5, 2.0, 2.4, 3.0),
                1.0,
                5.0,
                10.0,
                20.0,
                0.5165405242328008,
                1e-12,
            ),
            (fast, 0.0, 0.0, 0.0, 2e4, 1.349996038455319, 1e-6),
            (sharp, 1.0, 0.5, 1.0, 52.0, 10.489257542607312, 1e-12),
            // z = 1 − 1e-5: the series is cut at SERIES_MAX_TERMS.
            (CDNOW, 0.0, 0.0, 0.0, 4.414e5, 43.67640768623241, 1e-2),
        ] {
            let got = m.expected_purchases(&s(x, tx, age), t);
            assert!(close(got, want, rel), "{m:?} {t} {got} {want}");
        }
    }

    #[test]
    fn a_equal_to_one_is_the_limit() {
        let at = |a: f64| BgNbd { a, ..CDNOW }.expected_purchases(&s(3.0, 20.0, 30.0), 26.0);
        let e1 = at(1.0);
        assert!(e1.is_finite() && e1 > 0.0);
        assert!(close(at(1.0 + 1e-7), e1, 1e-6) && close(at(1.0 - 1e-7), e1, 1e-6));
    }

    #[test]
    fn p_alive_behaves() {
        assert_eq!(CDNOW.p_alive(&s(0.0, 0.0, 38.0)), 1.0);
        assert_eq!(CDNOW.p_alive(&s(0.0, 0.0, 0.0)), 1.0);
        // Longer silence since the last purchase: less likely alive.
        let mut last = 1.0;
        for age in [10.0, 20.0, 40.0, 80.0, 160.0] {
            let p = CDNOW.p_alive(&s(3.0, 10.0, age));
            assert!(p < last && p > 0.0, "{age}");
            last = p;
        }
        // A more recent last purchase: more likely alive; right at T it is near 1.
        let mut last = 0.0;
        for tx in [1.0, 10.0, 20.0, 30.0, 39.0] {
            let p = CDNOW.p_alive(&s(3.0, tx, 39.0));
            assert!(p > last, "{tx}");
            last = p;
        }
        assert!(CDNOW.p_alive(&s(3.0, 39.0, 39.0)) > 0.8);
    }

    #[test]
    fn expectations_grow_with_horizon_and_frequency() {
        let h = s(4.0, 30.0, 39.0);
        assert_eq!(CDNOW.expected_purchases(&h, 0.0), 0.0);
        let mut last = 0.0;
        for t in [1.0, 4.0, 13.0, 52.0, 520.0] {
            let e = CDNOW.expected_purchases(&h, t);
            assert!(e > last, "{t}");
            last = e;
        }
        let e = |x: f64| CDNOW.expected_purchases(&s(x, 38.0, 39.0), 13.0);
        assert!(e(1.0) < e(3.0) && e(3.0) < e(10.0));
        // Spend shrinks toward the population mean less as repeat purchases accumulate.
        let spend = |x: f64| {
            CDNOW_GG.expected_spend(&Summary {
                monetary: 100.0,
                ..s(x, 1.0, 2.0)
            })
        };
        assert!(spend(1.0) < spend(5.0) && spend(5.0) < spend(50.0) && spend(50.0) < 100.0);
    }

    #[test]
    fn no_nan_on_extreme_inputs() {
        let values = [
            0.0,
            1e-300,
            1e-4,
            0.5,
            1.0,
            7.0,
            1e4,
            1e300,
            f64::INFINITY,
            f64::NAN,
            -3.0,
        ];
        let params = [
            PARAM_MIN,
            0.3,
            1.0,
            30.0,
            PARAM_MAX,
            f64::NAN,
            0.0,
            -1.0,
            f64::INFINITY,
        ];
        let mut models = vec![CDNOW];
        for &v in &params {
            models.push(BgNbd { r: v, ..CDNOW });
            models.push(BgNbd { alpha: v, ..CDNOW });
            models.push(BgNbd { a: v, ..CDNOW });
            models.push(BgNbd { b: v, ..CDNOW });
            models.push(BgNbd {
                r: v,
                alpha: v,
                a: v,
                b: v,
            });
        }
        for m in &models {
            for &x in &[0.0, 1.0, 1000.0, f64::NAN] {
                for &age in &[0.0, 1e-300, 0.5, 7.0, 1e300, f64::INFINITY, f64::NAN, -3.0] {
                    for &tx in &[0.0, age] {
                        let h = s(x, tx, age);
                        let p = m.p_alive(&h);
                        assert!((0.0..=1.0).contains(&p), "{m:?} {h:?} {p}");
                        for t in [0.0, 13.0, 1e6, f64::NAN, f64::INFINITY] {
                            let e = m.expected_purchases(&h, t);
                            assert!(e.is_finite() && e >= 0.0, "{m:?} {h:?} {t} {e}");
                        }
                    }
                }
            }
            assert!(!m
                .log_likelihood(&[s(2.0, 1.0, 3.0), s(0.0, 0.0, 0.0)])
                .is_nan());
        }
        for &v in &params {
            for g in [
                GammaGamma { p: v, ..CDNOW_GG },
                GammaGamma { q: v, ..CDNOW_GG },
                GammaGamma {
                    gamma: v,
                    ..CDNOW_GG
                },
            ] {
                for &x in &[0.0, 1.0, 1e6] {
                    for &m in &values {
                        let e = g.expected_spend(&Summary {
                            monetary: m,
                            ..s(x, 1.0, 2.0)
                        });
                        assert!(e.is_finite() && e >= 0.0, "{g:?} {x} {m} {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn too_thin_data_is_refused() {
        let few: Vec<Summary> = (0..5)
            .map(|i| Summary {
                monetary: 10.0,
                ..s(f64::from(i), f64::from(i), 10.0)
            })
            .collect();
        let err = fit_bgnbd(&few).unwrap_err();
        assert_eq!(
            err,
            FitError::TooThin {
                customers: 5,
                repeaters: 4,
                min_customers: MIN_CUSTOMERS,
                min_repeaters: MIN_REPEATERS
            }
        );
        assert!(err.to_string().contains("5 customers"));
        assert!(matches!(
            fit_gamma_gamma(&few),
            Err(FitError::TooThin { .. })
        ));
        // Plenty of customers but only one-time buyers.
        let once = vec![s(0.0, 0.0, 10.0); 500];
        assert!(matches!(
            fit_bgnbd(&once),
            Err(FitError::TooThin { repeaters: 0, .. })
        ));
        assert!(matches!(
            fit_gamma_gamma(&once),
            Err(FitError::TooThin { .. })
        ));
    }

    /// Histories whose likelihood peaks at infinity (no spread in rates, dropout or
    /// spend): the fit ends at the box edges and still predicts what the data say.
    #[test]
    fn degenerate_data_fits_at_the_box_edge() {
        let identical = vec![
            Summary {
                frequency: 2.0,
                recency: 5.0,
                age: 10.0,
                monetary: 20.0
            };
            50
        ];
        // Everyone buys every day for 20–26 weeks and spends 5, 6 or 7.
        let daily: Vec<Summary> = (0..60)
            .map(|i| {
                let age = 20.0 + f64::from(i % 7);
                Summary {
                    frequency: age * 7.0,
                    recency: age,
                    age,
                    monetary: 5.0 + f64::from(i % 3),
                }
            })
            .collect();
        let long_gone: Vec<Summary> = (0..60)
            .map(|i| Summary {
                frequency: f64::from(i % 2),
                recency: 0.1,
                age: 500.0,
                monetary: 1e9,
            })
            .collect();
        for data in [&identical, &daily, &long_gone] {
            let m = fit_bgnbd(data).unwrap();
            let g = fit_gamma_gamma(data).unwrap();
            assert!(m.log_likelihood(data).is_finite());
            for h in data.iter() {
                assert!((0.0..=1.0).contains(&m.p_alive(h)));
                assert!(m.expected_purchases(h, 13.0).is_finite());
                assert!(g.expected_spend(h).is_finite());
            }
        }
        let m = fit_bgnbd(&daily).unwrap();
        assert!(close(m.expected_purchases(&daily[0], 13.0), 91.0, 0.01));
        assert!(m.p_alive(&daily[0]) > 0.99);
        let g = fit_gamma_gamma(&identical).unwrap();
        assert!(close(g.expected_spend(&identical[0]), 20.0, 1e-3));
        assert!(close(g.mean_spend(), 20.0, 1e-3));
        let m = fit_bgnbd(&long_gone).unwrap();
        assert!(m.p_alive(&long_gone[1]) < 0.01);
    }

    /// The checked fits refuse what the plain ones return at the box's edge.
    #[test]
    fn a_fit_on_a_bound_is_reported() {
        let identical = vec![
            Summary {
                frequency: 2.0,
                recency: 5.0,
                age: 10.0,
                monetary: 20.0
            };
            50
        ];
        assert!(fit_bgnbd(&identical).is_ok());
        let err = fit_bgnbd_checked(&identical).unwrap_err();
        assert!(matches!(err, FitError::AtBound { .. }), "{err:?}");
        assert!(err.to_string().contains("bound"));
        assert!(matches!(
            fit_gamma_gamma_checked(&identical),
            Err(FitError::AtBound { .. })
        ));
        // A well-identified fit passes.
        let data = simulate(&CDNOW, &CDNOW_GG, 5_000, 52.0, 3);
        fit_bgnbd_checked(&data).unwrap();
        fit_gamma_gamma_checked(&data).unwrap();
    }

    /// The fits work on grouped rows (identical histories as one weighted row): their
    /// answer maximises the per-customer likelihood, every customer counted once.
    #[test]
    fn grouped_fits_maximise_the_per_customer_likelihood() {
        // Day resolution and whole prices, as the shop's data: many duplicates.
        let data: Vec<Summary> = simulate(&bg(0.8, 6.0, 0.9, 3.0), &CDNOW_GG, 8_000, 52.0, 9)
            .into_iter()
            .map(|s| Summary {
                recency: (s.recency * 7.0).round() / 7.0,
                age: (s.age * 7.0).round() / 7.0,
                monetary: s.monetary.round(),
                ..s
            })
            .collect();
        let m = fit_bgnbd_all(&data).unwrap();
        let best = m.log_likelihood(&data);
        for (i, f) in [0.99, 1.01].into_iter().enumerate() {
            for k in 0..4 {
                let mut p = [m.r, m.alpha, m.a, m.b];
                p[k] *= f;
                let other = bg(p[0], p[1], p[2], p[3]).log_likelihood(&data);
                assert!(best >= other, "{i} {k}: {best} < {other}");
            }
        }
        let g = fit_gamma_gamma_all(&data).unwrap();
        let best = g.log_likelihood(&data);
        for f in [0.99, 1.01] {
            for k in 0..3 {
                let mut p = [g.p, g.q, g.gamma];
                p[k] *= f;
                let other = gg(p[0], p[1], p[2]).log_likelihood(&data);
                assert!(best >= other, "{k}: {best} < {other}");
            }
        }
    }

    /// Above FIT_SAMPLE customers the fit uses a fixed sample: the same parameters, to
    /// within the sampling error, as the fit on everyone.
    #[test]
    fn the_sampled_fit_matches_the_fit_on_everyone() {
        let truth = bg(0.5, 5.0, 0.8, 2.5);
        let data = simulate(&truth, &CDNOW_GG, FIT_SAMPLE * 2, 52.0, 13);
        let (some, all) = (fit_bgnbd(&data).unwrap(), fit_bgnbd_all(&data).unwrap());
        for (a, b) in [
            (some.r, all.r),
            (some.alpha, all.alpha),
            (some.a, all.a),
            (some.b, all.b),
        ] {
            assert!(close(a, b, 0.05), "{some:?} vs {all:?}");
        }
        let (some, all) = (
            fit_gamma_gamma(&data).unwrap(),
            fit_gamma_gamma_all(&data).unwrap(),
        );
        assert!(
            close(some.mean_spend(), all.mean_spend(), 0.02),
            "{some:?} vs {all:?}"
        );
        // The sample is fixed: the same answer twice.
        assert_eq!(fit_bgnbd(&data).unwrap(), fit_bgnbd(&data).unwrap());
    }

    /// Spend in đồng: γ is far outside the parameter box in raw units, which the money
    /// rescaling makes irrelevant.
    #[test]
    fn large_currency_units_fit() {
        let data: Vec<Summary> = (0..300)
            .map(|i| {
                let x = f64::from(i % 5);
                Summary {
                    frequency: x,
                    recency: if x > 0.0 { f64::from(i % 13) } else { 0.0 },
                    age: 13.0 + f64::from(i % 40),
                    monetary: if x > 0.0 {
                        150_000.0 + 37_000.0 * f64::from(i % 11)
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let g = fit_gamma_gamma(&data).unwrap();
        assert!(g.gamma > PARAM_MAX, "{g:?}");
        let mean = g.mean_spend();
        assert!((150_000.0..=520_000.0).contains(&mean), "{mean}");
        let thousands: Vec<Summary> = data
            .iter()
            .map(|s| Summary {
                monetary: s.monetary / 1000.0,
                ..*s
            })
            .collect();
        let k = fit_gamma_gamma(&thousands).unwrap();
        assert!(
            close(k.p, g.p, 1e-6)
                && close(k.q, g.q, 1e-6)
                && close(k.gamma * 1000.0, g.gamma, 1e-6)
        );
    }

    /// Simulated histories with known parameters are recovered, and the fit's likelihood
    /// is at least the truth's (a large sample, so the estimates are close to the truth).
    #[test]
    fn recovers_simulated_parameters() {
        for (truth, spend, seed) in [
            (bg(0.8, 6.0, 0.9, 3.0), CDNOW_GG, 7),
            (bg(0.25, 4.0, 0.8, 2.5), gg(3.0, 8.0, 40.0), 11),
            (bg(3.0, 2.0, 2.0, 20.0), gg(1.5, 2.5, 0.3), 5),
        ] {
            let data = simulate(&truth, &spend, 20_000, 52.0, seed);
            let fit = fit_bgnbd(&data).unwrap();
            for (got, want) in [
                (fit.r, truth.r),
                (fit.alpha, truth.alpha),
                (fit.a, truth.a),
                (fit.b, truth.b),
            ] {
                assert!(close(got, want, 0.2), "{fit:?} vs {truth:?}");
            }
            assert!(fit.log_likelihood(&data) >= truth.log_likelihood(&data));
            let g = fit_gamma_gamma(&data).unwrap();
            // p and γ/q trade off; the mean spend is what is well identified.
            assert!(
                close(g.mean_spend(), spend.mean_spend(), 0.1),
                "{g:?} vs {spend:?}"
            );
            assert!(g.log_likelihood(&data) >= spend.log_likelihood(&data));
        }
    }

    /// BG/NBD histories over `weeks` (continuous time) with Gamma-Gamma mean spends, from
    /// a small xorshift generator.
    fn simulate(m: &BgNbd, spend: &GammaGamma, n: usize, weeks: f64, seed: u64) -> Vec<Summary> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let normal = |u: &mut dyn FnMut() -> f64| {
            (-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos()
        };
        // Marsaglia–Tsang, boosted for shape < 1.
        let gamma = |shape: f64, u: &mut dyn FnMut() -> f64| -> f64 {
            let (k, boost) = if shape < 1.0 {
                (shape + 1.0, u().powf(1.0 / shape))
            } else {
                (shape, 1.0)
            };
            let d = k - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            loop {
                let x = normal(u);
                let v = (1.0 + c * x).powi(3);
                if v > 0.0 && u().ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                    return d * v * boost;
                }
            }
        };
        (0..n)
            .map(|i| {
                let lambda = gamma(m.r, &mut uniform) / m.alpha;
                let ga = gamma(m.a, &mut uniform);
                let p = ga / (ga + gamma(m.b, &mut uniform));
                // Staggered first purchases, so ages differ.
                let age = weeks * (0.25 + 0.75 * (i % 100) as f64 / 100.0);
                let (mut t, mut x, mut last) = (0.0, 0.0, 0.0);
                loop {
                    t += -uniform().ln() / lambda;
                    if t > age {
                        break;
                    }
                    x += 1.0;
                    last = t;
                    if uniform() < p {
                        break;
                    }
                }
                // Spend ~ Gamma(p, ν) per purchase, ν ~ Gamma(q, γ) per customer (rates).
                let nu = gamma(spend.q, &mut uniform) / spend.gamma;
                let monetary = if x > 0.0 {
                    gamma(spend.p * x, &mut uniform) / (nu * x)
                } else {
                    0.0
                };
                Summary {
                    monetary,
                    ..s(x, last, age)
                }
            })
            .collect()
    }
}
