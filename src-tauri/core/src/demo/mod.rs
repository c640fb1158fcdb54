//! A realistic, deterministic Vietnamese demo shop: regulars, occasional and one-time buyers.

use crate::db::{self, demo::BulkCustomer, demo::BulkPurchase, demo::BulkWriter};
use crate::error::{CoreError, Result};
use crate::loyalty::{self, Rules, TierDef};
use crate::store::settings::currency;
use crate::store::Store;
use crate::{phone, text, time};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

// Surnames with their rough share of the population.
const SURNAMES: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 50),
    ("Huỳnh", 30),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 30),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trương", 7),
    ("Đoàn", 6),
    ("Lương", 5),
];
const MIDDLE_M: &[&str] = &[
    "Văn", "Đức", "Hữu", "Minh", "Quốc", "Thành", "Công", "Xuân", "Đình", "Gia",
];
const MIDDLE_F: &[&str] = &[
    "Thị", "Ngọc", "Thu", "Thanh", "Mỹ", "Kim", "Hồng", "Bảo", "Diệu", "Ánh",
];
const GIVEN_M: &[&str] = &[
    "Đức", "Hùng", "Dũng", "Tuấn", "Khánh", "Phúc", "Quang", "Thắng", "Việt", "Sơn", "Hiếu",
    "Long", "Nam", "Huy", "Cường", "Đạt", "Lộc", "Trọng", "Tùng", "Vĩnh", "Khôi", "Bảo", "Kỳ",
];
const GIVEN_F: &[&str] = &[
    "Hương", "Lan", "Mai", "Hà", "Linh", "Trang", "Thảo", "Yến", "Nhung", "Ngân", "Phương", "Hạnh",
    "Oanh", "Uyên", "Thủy", "Ánh", "Diễm", "Ngọc", "Quỳnh", "Vy", "Hồng", "Ẩn", "Đào",
];
const PREFIXES: &[&str] = &[
    "032", "033", "034", "035", "036", "037", "038", "039", "056", "058", "070", "076", "077",
    "078", "079", "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093",
    "094", "096", "097", "098", "099",
];
const CITIES: &[&str] = &[
    "Quận 1, TP. Hồ Chí Minh",
    "Quận Bình Thạnh, TP. Hồ Chí Minh",
    "Quận Hoàn Kiếm, Hà Nội",
    "Quận Cầu Giấy, Hà Nội",
    "Quận Hải Châu, Đà Nẵng",
    "TP. Huế",
    "TP. Cần Thơ",
    "TP. Đà Lạt",
];
const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Điện Biên Phủ",
    "Lý Thường Kiệt",
];
const PRODUCTS: &[(&str, u32, Option<u32>)] = &[
    ("Ốp lưng điện thoại", 120_000, None),
    ("Cáp sạc nhanh USB-C", 150_000, Some(6)),
    ("Tai nghe Bluetooth", 690_000, Some(12)),
    ("Sạc dự phòng 10.000 mAh", 450_000, Some(12)),
    ("Kem dưỡng ẩm", 320_000, None),
    ("Son môi", 250_000, None),
    ("Áo thun cotton", 180_000, None),
    ("Cà phê sữa đá", 35_000, None),
    ("Đồng hồ thông minh", 1_490_000, Some(12)),
    ("Kính cường lực", 90_000, None),
];
const TAGS: &[&str] = &["VIP", "Khách sỉ", "Thân thiết", "Gần nhà"];
const STAFF: &[&str] = &["Lan", "Minh", "Hà"];
const PAYMENTS: &[(&str, u32)] = &[("cash", 55), ("transfer", 30), ("card", 8), ("ewallet", 7)];
const SOURCES: &[(&str, u32)] = &[
    ("walk_in", 50),
    ("facebook", 20),
    ("zalo", 20),
    ("referral", 7),
    ("other", 3),
];

#[derive(Debug, Clone, Copy)]
enum Segment {
    Contact,
    OneTime,
    Occasional,
    Regular,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub customers: u64,
    pub purchases: u64,
    pub seed: u64,
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

fn weighted<'a>(rng: &mut ChaCha8Rng, xs: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = xs.iter().map(|x| x.1).sum();
    let mut r = rng.random_range(0..total);
    for (v, w) in xs {
        if r < *w {
            return v;
        }
        r -= w;
    }
    xs[0].0
}

/// Most purchases a demo customer makes before dropping out.
const MAX_REPEATS: u64 = 300;

/// Repeat purchases before the customer drops out, as BG/NBD assumes: after each purchase
/// they leave with their own probability p, and p differs between customers (drawn from a
/// Kumaraswamy(a, b) law, a Beta look-alike with a closed-form inverse, so one uniform draw
/// gives it). At least one: the segment says the customer came back.
fn repeats(rng: &mut ChaCha8Rng, a: f64, b: f64) -> u64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let p = (1.0 - u.powf(1.0 / b)).powf(1.0 / a).clamp(1e-3, 1.0);
    if p >= 1.0 {
        return 1;
    }
    let v: f64 = rng.random_range(f64::EPSILON..1.0);
    // Geometric on 1, 2, …: the purchase after which the customer left.
    ((v.ln() / (1.0 - p).ln()).ceil() as u64).clamp(1, MAX_REPEATS)
}

/// Spread `purchases` over customers by segment, summing exactly to the target.
fn plan_counts(rng: &mut ChaCha8Rng, segs: &[Segment], purchases: u64) -> Vec<u64> {
    let mut counts: Vec<u64> = segs
        .iter()
        .map(|s| match s {
            Segment::Contact => 0,
            Segment::OneTime => 1,
            Segment::Occasional => 1 + repeats(rng, 1.0, 2.0),
            Segment::Regular => 1 + repeats(rng, 1.0, 12.0),
        })
        .collect();
    let fixed: u64 = counts
        .iter()
        .zip(segs)
        .filter(|(_, s)| matches!(s, Segment::OneTime))
        .map(|(c, _)| c)
        .sum();
    let flexible: u64 = counts.iter().sum::<u64>() - fixed;
    if flexible > 0 && purchases > fixed {
        let factor = (purchases - fixed) as f64 / flexible as f64;
        for (c, s) in counts.iter_mut().zip(segs) {
            if matches!(s, Segment::Occasional | Segment::Regular) {
                *c = ((*c as f64 * factor).round() as u64).max(1);
            }
        }
    }
    // Settle the rounding difference one purchase at a time, cycling through buyers.
    let mut total: u64 = counts.iter().sum();
    let n = counts.len();
    let mut i = 0usize;
    let mut stalled = 0usize;
    let any_multi = segs
        .iter()
        .any(|s| matches!(s, Segment::Occasional | Segment::Regular));
    while total != purchases && n > 0 && stalled <= n {
        let multi = matches!(segs[i], Segment::Occasional | Segment::Regular);
        if total < purchases && (multi || !any_multi) {
            counts[i] += 1;
            total += 1;
            stalled = 0;
        } else if total > purchases && counts[i] > 0 {
            counts[i] -= 1;
            total -= 1;
            stalled = 0;
        } else {
            stalled += 1;
        }
        i = (i + 1) % n;
    }
    counts
}

/// One customer's loyalty card while the demo walks through their purchases in order
/// (times never go back), kept incrementally: a regular's hundreds of bills would
/// otherwise replay the whole card at each one.
struct Card {
    moves: Vec<(i64, i64)>,
    balance: i64,
    /// No lot expires before this (i64::MAX: no points).
    next_expiry: i64,
    bought: Vec<(i64, i64)>,
    /// Bills before `window_from` are a year old already; the rest sum to `window_sum`.
    window_from: usize,
    window_sum: i64,
    tier: Option<String>,
}

impl Default for Card {
    fn default() -> Card {
        Card {
            moves: Vec::new(),
            balance: 0,
            next_expiry: i64::MAX,
            bought: Vec::new(),
            window_from: 0,
            window_sum: 0,
            tier: None,
        }
    }
}

impl Card {
    fn balance(&self) -> i64 {
        self.balance
    }

    fn points(&mut self, at: i64, points: i64, rules: &Rules) {
        self.moves.push((at, points));
        self.balance += points;
        if points > 0 && rules.expiry_months > 0 {
            let expires = loyalty::lot_expiry(at, rules.expiry_months);
            self.next_expiry = self.next_expiry.min(expires);
        }
    }

    fn buy(&mut self, at: i64, amount: i64) {
        self.bought.push((at, amount));
        self.window_sum += amount;
    }

    /// What was bought in the year up to `at` (no later than any bill recorded yet).
    fn spend(&mut self, at: i64) -> i64 {
        let since = loyalty::year_ago(at);
        while let Some(&(t, amount)) = self.bought.get(self.window_from) {
            if t > since {
                break;
            }
            self.window_sum -= amount;
            self.window_from += 1;
        }
        self.window_sum
    }

    fn expire(&mut self, w: &mut BulkWriter, id: i64, rules: &Rules, at: i64) -> Result<()> {
        if at < self.next_expiry {
            return Ok(());
        }
        for (when, points) in loyalty::expiries_due(&self.moves, rules.expiry_months, at) {
            w.entry(id, "expire", -points, when, None, None, Some("expired"))?;
            self.moves.push((when, -points));
            self.balance -= points;
        }
        self.moves.sort_by_key(|m| m.0);
        self.next_expiry =
            loyalty::next_expiry(&self.moves, rules.expiry_months).unwrap_or(i64::MAX);
        Ok(())
    }

    fn move_tier(
        &mut self,
        w: &mut BulkWriter,
        id: i64,
        tiers: &[TierDef],
        at: i64,
        spend: i64,
    ) -> Result<()> {
        let target = loyalty::tier_for(tiers, spend).map(|t| t.name.clone());
        if target != self.tier {
            w.tier_move(id, at, self.tier.as_deref(), target.as_deref(), spend)?;
            self.tier = target;
        }
        Ok(())
    }
}

/// Who a demo customer is, drawn before their purchases.
struct Person {
    female: bool,
    name: String,
    phone: String,
    birthday: Option<String>,
    source: &'static str,
    referred_by: Option<i64>,
    email: Option<String>,
    address: Option<String>,
    tag: Option<&'static str>,
}

/// One demo being written: every random draw comes from `rng` in a fixed order (the same
/// seed gives the same shop), and every row goes through `w`.
struct Filler<'c> {
    rng: ChaCha8Rng,
    w: BulkWriter<'c>,
    /// Phones given out so far: each customer gets a new one.
    phones: HashSet<String>,
    /// The simulated history is `[start, end)`, `window` long.
    start: i64,
    end: i64,
    window: i64,
    currency: (String, u32),
    rules: Rules,
    tiers: Vec<TierDef>,
    campaign: DemoCampaign,
}

/// The demo's past appreciation campaign: the customers who spent at least `threshold` in
/// the year before it (its top N by 12-month spend), 10% of them held back by the seeded
/// hash; the treated got a personal voucher, and some of them came back sooner for it.
/// Its draws come from its own `rng`, so the rest of the shop is as without it.
struct DemoCampaign {
    id: i64,
    program: db::vouchers::ProgramRow,
    threshold: i64,
    seed: u64,
    rng: ChaCha8Rng,
    members: i64,
}

const CAMPAIGN_HOLDOUT: i64 = 10;

impl DemoCampaign {
    /// The programme and the campaign, 60 days before `end` for 30 days.
    fn new(conn: &Connection, seed: u64, end: i64, exp: u32) -> Result<DemoCampaign> {
        let day = 86_400;
        let (starts_at, ends_at) = (end - 60 * day, end - 30 * day);
        let unit = 10i64.pow(exp);
        let (money, min_bill, threshold) = if exp == 0 {
            (50_000, 300_000, 3_000_000)
        } else {
            (2 * unit, 12 * unit, 200 * unit)
        };
        let mut program = db::vouchers::ProgramRow {
            amount_minor: Some(money),
            min_bill_minor: min_bill,
            valid_from: starts_at,
            valid_until: ends_at,
            per_customer: Some(1),
            ..db::vouchers::ProgramRow::blank(
                "Tri ân khách thân thiết".into(),
                "amount",
                starts_at - 2 * day,
            )
        };
        program.id = db::vouchers::insert_program(conn, &program, Some("Chị Lan"))?;
        let seed = seed.wrapping_add(0x5EED);
        let id = db::campaigns::insert(
            conn,
            &db::campaigns::CampaignRow {
                id: 0,
                name: program.name.clone(),
                occasion: "date".into(),
                starts_at,
                ends_at,
                filter: "{}".into(),
                top_n: None,
                program_id: Some(program.id),
                points: None,
                gift: None,
                template: None,
                call_top: None,
                holdout_percent: CAMPAIGN_HOLDOUT,
                seed: seed as i64,
                created_at: starts_at - 2 * day,
                launched_at: None,
            },
            Some("Chị Lan"),
        )?;
        db::campaigns::set_launched(conn, id, starts_at - day)?;
        Ok(DemoCampaign {
            id,
            program,
            threshold,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            members: 0,
        })
    }

    /// Customer `id` with these purchases: a member or not, and whether held back. A treated
    /// member may come back sooner for the voucher (one of their later bills moves into the
    /// window), and may use it on their first bill there (its index).
    fn decide(&mut self, id: i64, times: &mut [i64], amounts: &[i64]) -> Option<Member> {
        let (from, to) = (self.program.valid_from, self.program.valid_until);
        let year = loyalty::year_ago(from);
        let spend: i64 = times
            .iter()
            .zip(amounts)
            .filter(|(t, _)| (year..from).contains(*t))
            .map(|(_, a)| a)
            .sum();
        if spend < self.threshold {
            return None;
        }
        self.members += 1;
        if crate::campaigns::held_back(self.seed, id, CAMPAIGN_HOLDOUT) {
            return Some(Member {
                held: true,
                uses: None,
            });
        }
        if !times.iter().any(|t| (from..to).contains(t)) && self.rng.random_ratio(1, 2) {
            if let Some(k) = times.iter().position(|&t| t >= to) {
                // The earliest bill after the window: every earlier one is before it.
                times[k] = self.rng.random_range(from..to);
            }
        }
        let uses = times
            .iter()
            .position(|t| (from..to).contains(t))
            .filter(|&k| amounts[k] >= self.program.min_bill_minor && self.rng.random_ratio(3, 4));
        Some(Member { held: false, uses })
    }

    /// The member's row and, for the treated, their voucher (once the customer row exists):
    /// the voucher and the bill that uses it.
    fn record(&mut self, conn: &Connection, id: i64, m: &Member) -> Result<Option<(i64, usize)>> {
        let voucher = if m.held {
            None
        } else {
            let (from, to) = (self.program.valid_from, self.program.valid_until);
            Some(loop {
                let code = crate::vouchers::code::generate(&mut self.rng);
                let v = db::vouchers::NewVoucher {
                    program_id: self.program.id,
                    code: &code,
                    customer_id: Some(id),
                    valid_from: from,
                    valid_until: to,
                    source_purchase_id: None,
                };
                if let Some(vid) = db::vouchers::insert_voucher(conn, &v, from - 86_400)? {
                    break vid;
                }
            })
        };
        db::campaigns::insert_member(conn, self.id, id, m.held, voucher)?;
        Ok(voucher.zip(m.uses))
    }
}

/// A demo campaign member: held back, or treated and maybe using the voucher on a bill.
struct Member {
    held: bool,
    uses: Option<usize>,
}

impl<'c> Filler<'c> {
    fn new(conn: &'c Connection, rng: ChaCha8Rng, customers: u64, seed: u64) -> Result<Self> {
        let currency = currency(conn)?;
        // Two years up to the start of today (UTC), so the same seed gives the same shop.
        let end = time::now() / 86_400 * 86_400;
        let window = 730 * 86_400;
        Ok(Filler {
            campaign: DemoCampaign::new(conn, seed, end, currency.1)?,
            rng,
            phones: HashSet::with_capacity(customers as usize),
            start: end - window,
            end,
            window,
            currency,
            rules: loyalty::rules(conn)?,
            tiers: loyalty::tiers(conn)?,
            w: BulkWriter::new(conn)?,
        })
    }

    /// Customer `id` of segment `seg`, with their `n` purchases and their points and tiers.
    fn customer(&mut self, id: i64, seg: Segment, n: u64) -> Result<()> {
        let person = self.person(id);
        let (mut times, created_at) = self.purchase_times(seg, n);
        let amounts = self.amounts(seg, n);
        let member = self.campaign.decide(id, &mut times, &amounts);
        let name_fold = text::fold(&person.name);
        let name_marked = text::lower_marked(&person.name);
        let phone_rev = phone::reversed(&person.phone);
        let code_str = format!("KH{id:06}");
        self.w.customer(&BulkCustomer {
            id,
            code: &code_str,
            name: &person.name,
            name_fold: &name_fold,
            name_marked: &name_marked,
            phone: &person.phone,
            phone_rev: &phone_rev,
            birthday: person.birthday.as_deref(),
            gender: if person.female { "female" } else { "male" },
            email: person.email.as_deref(),
            address: person.address.as_deref(),
            referred_by: person.referred_by,
            source: person.source,
            created_at,
            visits: n as i64,
            total_minor: amounts.iter().sum(),
            first_purchase_at: times.first().copied(),
            last_purchase_at: times.last().copied(),
            tag: person.tag,
        })?;
        let voucher = match &member {
            Some(m) => self.campaign.record(self.w.conn(), id, m)?,
            None => None,
        };
        self.purchases(id, &times, &amounts, voucher)
    }

    fn person(&mut self, id: i64) -> Person {
        let rng = &mut self.rng;
        let female = rng.random_bool(0.55);
        let surname = weighted(rng, SURNAMES);
        let (mid, given) = if female {
            (pick(rng, MIDDLE_F), pick(rng, GIVEN_F))
        } else {
            (pick(rng, MIDDLE_M), pick(rng, GIVEN_M))
        };
        let name = format!("{surname} {mid} {given}");
        let phone = loop {
            let p = format!(
                "{}{:07}",
                pick(rng, PREFIXES),
                rng.random_range(0..10_000_000u32)
            );
            if self.phones.insert(p.clone()) {
                break p;
            }
        };
        let birthday = match rng.random_range(0..100) {
            0..=14 => None,
            15..=24 => Some(format!(
                "--{:02}-{:02}",
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            )),
            _ => Some(format!(
                "{}-{:02}-{:02}",
                rng.random_range(1960..=2006),
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            )),
        };
        let source = weighted(rng, SOURCES);
        let referred_by = (source == "referral" && id > 1).then(|| rng.random_range(1..id));
        let email = rng
            .random_bool(0.2)
            .then(|| format!("{}{}@example.com", text::fold(given).replace(' ', ""), id));
        let address = rng.random_bool(0.5).then(|| {
            format!(
                "{} {}, {}",
                rng.random_range(1..300),
                pick(rng, STREETS),
                pick(rng, CITIES)
            )
        });
        let tag = rng.random_bool(0.1).then(|| *pick(rng, TAGS));
        Person {
            female,
            name,
            phone,
            birthday,
            source,
            referred_by,
            email,
            address,
            tag,
        }
    }

    /// The `n` purchase times, in order, and when the customer was added (an hour before the
    /// first, or any time for one who never bought). Regulars keep a personal rhythm; some
    /// stopped coming.
    fn purchase_times(&mut self, seg: Segment, n: u64) -> (Vec<i64>, i64) {
        purchase_times(&mut self.rng, (self.start, self.end, self.window), seg, n)
    }

    /// What each of the `n` purchases came to, around a basket typical of the segment.
    fn amounts(&mut self, seg: Segment, n: u64) -> Vec<i64> {
        let (code, exp) = (&self.currency.0, self.currency.1);
        let rng = &mut self.rng;
        let mut amounts = Vec::with_capacity(n as usize);
        let basket = match seg {
            Segment::Regular => rng.random_range(80..=400),
            _ => rng.random_range(100..=900),
        };
        for _ in 0..n {
            let k = (basket as f64 * rng.random_range(0.4..2.2)) as i64;
            let vnd = k.max(10) * 1000;
            amounts.push(if code == "VND" || exp == 0 {
                vnd
            } else {
                vnd * 10i64.pow(exp) / 25_000
            });
        }
        amounts
    }

    /// The customer's purchases in order, their card following along (expiry, tier, points
    /// earned and spent), then the card as it stands at `end`.
    fn purchases(
        &mut self,
        id: i64,
        times: &[i64],
        amounts: &[i64],
        voucher: Option<(i64, usize)>,
    ) -> Result<()> {
        let mut card = Card::default();
        for (k, (&at, &amount)) in times.iter().zip(amounts).enumerate() {
            let v = voucher.filter(|v| v.1 == k).map(|v| v.0);
            self.purchase(&mut card, id, at, amount, v)?;
        }
        card.expire(&mut self.w, id, &self.rules, self.end)?;
        // A customer who never bought has no tier yet, as one just added at the
        // counter: the first purchase places them (loyalty::evaluate_tier).
        if !times.is_empty() {
            let spend = card.spend(self.end);
            card.move_tier(&mut self.w, id, &self.tiers, self.end, spend)?;
        }
        Ok(())
    }

    fn purchase(
        &mut self,
        card: &mut Card,
        id: i64,
        at: i64,
        amount: i64,
        voucher: Option<i64>,
    ) -> Result<()> {
        // A campaign voucher comes off first; points pay on what remains.
        let off = voucher.map_or(0, |_| {
            self.campaign.program.amount_minor.unwrap_or(0).min(amount)
        });
        let (rules, tiers) = (&self.rules, &self.tiers);
        let (rng, w) = (&mut self.rng, &mut self.w);
        let payment = weighted(rng, PAYMENTS);
        let staff = *pick(rng, STAFF);
        card.expire(w, id, rules, at)?;
        let spend = card.spend(at);
        card.move_tier(w, id, tiers, at, spend)?;
        // Some customers spend their points when they have enough.
        let max = loyalty::max_points(amount - off, card.balance(), rules);
        let redeem = if max > 0 && rng.random_ratio(1, 3) {
            rng.random_range(rules.min_redeem.max(1)..=max)
        } else {
            0
        };
        let discount = redeem * rules.point_value + off;
        let mult =
            loyalty::tier_for(tiers, spend).map_or(rust_decimal::Decimal::ONE, |t| t.multiplier);
        let earn = loyalty::earn_points(amount - discount, rules, mult);
        let pid = w.purchase(&BulkPurchase {
            customer_id: id,
            at,
            total_minor: amount,
            discount_minor: discount,
            payment,
            staff,
        })?;
        if let Some(voucher_id) = voucher {
            db::vouchers::insert_redemption(
                w.conn(),
                &db::vouchers::NewRedemption {
                    voucher_id,
                    program_id: self.campaign.program.id,
                    customer_id: id,
                    purchase_id: pid,
                    at,
                    discount_minor: off,
                    gift_cost_minor: 0,
                    bonus_points: 0,
                },
            )?;
        }
        if redeem > 0 {
            w.entry(id, "redeem", -redeem, at, Some(pid), Some(staff), None)?;
            card.points(at, -redeem, rules);
        }
        if earn > 0 {
            w.entry(id, "earn", earn, at, Some(pid), Some(staff), None)?;
            card.points(at, earn, rules);
        }
        card.buy(at, amount);
        let spend = card.spend(at);
        card.move_tier(w, id, tiers, at, spend)?;
        if rng.random_ratio(1, 5) {
            let (product, _, warranty) = *pick(rng, PRODUCTS);
            w.item(pid, product, amount, warranty)?;
        }
        Ok(())
    }
}

/// The `n` purchase times of a customer of segment `seg` within `[start, end)`, in order,
/// and when the customer was added (an hour before the first, or any time for one who never
/// bought).
fn purchase_times(
    rng: &mut ChaCha8Rng,
    (start, end, window): (i64, i64, i64),
    seg: Segment,
    n: u64,
) -> (Vec<i64>, i64) {
    // Between purchases the customer comes back at their own rate (exponential gaps, as
    // BG/NBD assumes), drawn apart from how many times they come (BG/NBD's rate and dropout
    // are independent): regulars every one to eight weeks, others one to six months. After
    // the last purchase they have dropped out (the count is BG/NBD's dropout, see
    // `repeats`). A one-time buyer came on any day of the two years.
    let mean_gap = match seg {
        Segment::Regular => rng.random_range(7.0..56.0),
        _ => rng.random_range(30.0..180.0),
    } * 86_400.0;
    let mut gaps: Vec<f64> = (1..n)
        .map(|_| -rng.random_range(f64::EPSILON..1.0).ln() * mean_gap)
        .collect();
    let total: f64 = gaps.iter().sum();
    let room = (window - 86_400) as f64;
    if total > room {
        for g in &mut gaps {
            *g *= room / total;
        }
    }
    let active = gaps.iter().sum::<f64>() as i64;
    let first = start + rng.random_range(0..=(window - 86_400 - active).max(1));
    let mut t = first as f64;
    let mut times: Vec<i64> = std::iter::once(0.0)
        .chain(gaps)
        .take(n as usize)
        .map(|g| {
            t += g;
            let day = (t as i64).clamp(start, end - 86_400) / 86_400 * 86_400;
            // Shop hours 08:00-21:00 in Vietnam (UTC+7).
            day + rng.random_range(1..14) * 3600 + rng.random_range(0..3600)
        })
        .collect();
    times.sort_unstable();
    // The fallback is drawn whether or not it is used, as it always was: the draws that
    // follow (and so the whole shop) depend on it.
    let created_at = times
        .first()
        .copied()
        .unwrap_or(start + rng.random_range(0..window))
        - 3600;
    (times, created_at)
}

/// Each customer's segment: about 15% contacts who never bought, 35% one-time buyers, 35%
/// occasional and 15% regulars.
fn draw_segments(rng: &mut ChaCha8Rng, customers: u64) -> Vec<Segment> {
    (0..customers)
        .map(|_| match rng.random_range(0..100) {
            0..=14 => Segment::Contact,
            15..=49 => Segment::OneTime,
            50..=84 => Segment::Occasional,
            _ => Segment::Regular,
        })
        .collect()
}

/// The history is simulated up to `end`: daily maintenance starts from there.
fn mark_simulated_until(conn: &Connection, end: i64) -> Result<()> {
    db::settings::set(conn, "loyalty.expired_until", &end.to_string())?;
    db::settings::set(conn, "loyalty.tiers_until", &end.to_string())?;
    if db::settings::get(conn, "shop_name")?.is_none() {
        db::settings::set(conn, "shop_name", "Cửa hàng mẫu")?;
    }
    Ok(())
}

impl Store {
    /// Fill an empty database. `progress(done, total)` is called every few thousand customers
    /// and after each index built at the end (the last tenth of `total`).
    pub fn create_demo(
        &self,
        customers: u64,
        purchases: u64,
        seed: u64,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<DemoReport> {
        if customers == 0 || customers > 10_000_000 || purchases > 100_000_000 {
            return Err(CoreError::DemoInvalid(format!("{customers} / {purchases}")));
        }
        let actor = self.require(crate::store::session::Perm::Demo)?;
        // A customer (row, search row, indexes) is about 700 bytes, a purchase with its item
        // and ledger entries about 500.
        let cache = db::bulk_cache_kib(customers * 700 + purchases * 500);
        self.write_bulk(cache, |conn| {
            if !db::demo::is_empty(conn)? {
                return Err(CoreError::DemoNotEmpty);
            }
            let indexes = db::demo::drop_indexes(conn)?;
            // Building the indexes at the end is about a tenth of the work.
            let tail = customers.div_ceil(10);
            let total = customers + tail;
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let segs = draw_segments(&mut rng, customers);
            let counts = plan_counts(&mut rng, &segs, purchases);
            let mut filler = Filler::new(conn, rng, customers, seed)?;
            let mut written = 0u64;
            for (idx, (&seg, &n)) in segs.iter().zip(&counts).enumerate() {
                let id = idx as i64 + 1;
                filler.customer(id, seg, n)?;
                written += n;
                if id % 10_000 == 0 {
                    progress(id as u64, total);
                }
            }
            progress(customers, total);
            let end = filler.end;
            db::campaigns::set_top(conn, filler.campaign.id, filler.campaign.members.max(1))?;
            drop(filler);
            for (k, sql) in indexes.iter().enumerate() {
                db::demo::create_index(conn, sql)?;
                progress(
                    customers + tail * (k as u64 + 1) / indexes.len() as u64,
                    total,
                );
            }
            mark_simulated_until(conn, end)?;
            let report = DemoReport {
                customers,
                purchases: written,
                seed,
            };
            crate::store::audit::record(
                conn,
                &actor
                    .entry("demo.create", "demo")
                    .after(crate::store::audit::snapshot(&report)?),
            )?;
            Ok(report)
        })
    }
}

/// The demo shop's folder inside the shop's data folder: a shop of its own, never the real
/// shop's file, so the owner can leave it and delete it whole.
pub const DEMO_FOLDER: &str = "demo-shop";
/// The setting that marks a database as the demo shop (it moves with the file).
const DEMO_MARK: &str = "demo_shop";
/// The size of the demo shop the window makes, and the command line by default.
pub const WINDOW_DEMO: (u64, u64) = (300, 1500);

/// The demo shop's database beside the shop whose data folder is `data_dir`.
pub fn demo_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DEMO_FOLDER).join("khachquen.db")
}

/// The demo folder as it is now: None when there is none. A link or a file in its place, or
/// a database without the demo mark, is not ours to use or delete.
fn demo_folder(data_dir: &Path) -> Result<Option<PathBuf>> {
    let folder = data_dir.join(DEMO_FOLDER);
    let foreign = || CoreError::DemoFolderForeign(folder.display().to_string());
    match std::fs::symlink_metadata(&folder) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) => return Err(foreign()),
        Ok(m) if !m.file_type().is_dir() => return Err(foreign()),
        Ok(_) => {}
    }
    let db = demo_path(data_dir);
    if std::fs::symlink_metadata(&db).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(foreign());
    }
    Ok(Some(folder))
}

impl Store {
    /// Whether this is the demo shop.
    pub fn is_demo(&self) -> Result<bool> {
        Ok(self.read(|c| db::settings::get(c, DEMO_MARK))?.as_deref() == Some("1"))
    }

    /// Open the demo shop beside this one (`data_dir` is this shop's data folder), making it
    /// on first use: this shop's accounts, so the same people sign in with the same PINs,
    /// and a generated shop. Whoever is signed in here is signed in there. This shop is not
    /// touched. Returns the demo store and, when it was made now, what was made.
    pub fn open_demo(
        &self,
        data_dir: &Path,
        customers: u64,
        purchases: u64,
    ) -> Result<(Store, Option<DemoReport>)> {
        let actor = self.require(crate::store::session::Perm::Demo)?;
        if self.is_demo()? {
            return Err(CoreError::DemoFolderForeign(
                data_dir.join(DEMO_FOLDER).display().to_string(),
            ));
        }
        demo_folder(data_dir)?;
        let path = demo_path(data_dir);
        let demo = Store::open(&path)?;
        let (marked, fresh) = {
            let conn = demo.reader()?;
            (
                db::settings::get(&conn, DEMO_MARK)?.as_deref() == Some("1"),
                db::demo::is_empty(&conn)? && !db::staff::any(&conn)?,
            )
        };
        if !marked && !fresh {
            return Err(CoreError::DemoFolderForeign(path.display().to_string()));
        }
        let report = if marked && demo.customer_count()? > 0 {
            None
        } else {
            let staff = db::staff::all(&*self.reader()?)?;
            let language = self.setting("language")?;
            demo.write(|conn| {
                if !db::staff::any(conn)? {
                    for r in &staff {
                        db::staff::insert_copy(conn, r, time::now())?;
                    }
                }
                db::settings::set(conn, "language", &language)?;
                let name = if language == "en" {
                    "Demo shop"
                } else {
                    "Cửa hàng mẫu"
                };
                db::settings::set(conn, "shop_name", name)?;
                db::settings::set(conn, DEMO_MARK, "1")
            })?;
            let made = crate::store::session::as_system(|| {
                let r = demo.create_demo(customers, purchases, 1, &mut |_, _| {})?;
                demo.refresh_analytics()?;
                // What the window's hourly pass does for the owner's shop (which it never
                // runs on the demo): today's reminders, so Today is not empty.
                demo.generate_reminders(None)?;
                Ok::<_, CoreError>(r)
            })?;
            Some(made)
        };
        if actor.staff_id.is_some() {
            demo.carry_session(&actor)?;
        }
        // Whoever comes back from the demo signs in again (or is carried back by
        // leave_demo): the owner's session here is never left open behind it.
        self.lock();
        Ok((demo, report))
    }

    /// Leave this demo shop for `home`: whoever is signed in here is signed in there (the
    /// same account), anyone else finds it locked.
    pub fn leave_demo(&self, home: &Store) -> Result<()> {
        let actor = self.require(crate::store::session::Perm::Demo)?;
        if !self.is_demo()? {
            return Ok(());
        }
        if actor.staff_id.is_some() && home.carry_session(&actor).is_err() {
            home.lock();
            return Ok(());
        }
        // The language chosen on the demo stays chosen (it was the home shop's on the way in).
        let language = self.setting("language")?;
        if home.setting("language")? != language {
            home.set_setting("language", &language)?;
        }
        Ok(())
    }

    /// Delete the demo shop beside this one, whole. Call it once the demo store is closed.
    pub fn delete_demo(&self, data_dir: &Path) -> Result<()> {
        self.require(crate::store::session::Perm::Demo)?;
        let Some(folder) = demo_folder(data_dir)? else {
            return Ok(());
        };
        let db = demo_path(data_dir);
        if db.exists() {
            let conn = db::backup::open_read_only(&db)
                .map_err(|_| CoreError::DemoFolderForeign(folder.display().to_string()))?;
            let marked = db::settings::get(&conn, DEMO_MARK)
                .map_err(|_| CoreError::DemoFolderForeign(folder.display().to_string()))?;
            if marked.as_deref() != Some("1") {
                return Err(CoreError::DemoFolderForeign(folder.display().to_string()));
            }
        }
        // remove_dir_all removes links inside, never what they point at.
        Ok(std::fs::remove_dir_all(&folder)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_hits_the_target_exactly() {
        for (c, p) in [(300u64, 1500u64), (1000, 100), (10, 1000), (5, 0), (1, 1)] {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let segs: Vec<Segment> = (0..c)
                .map(|i| {
                    [
                        Segment::Contact,
                        Segment::OneTime,
                        Segment::Occasional,
                        Segment::Regular,
                    ][(i % 4) as usize]
                })
                .collect();
            let counts = plan_counts(&mut rng, &segs, p);
            assert_eq!(
                counts.iter().sum::<u64>(),
                p,
                "{c} customers, {p} purchases"
            );
        }
    }
}

#[cfg(test)]
mod fit_tests {
    use super::*;
    use crate::analytics::clv::{self, Summary};

    /// The demo's purchase days as BG/NBD reads them (days in UTC: the demo's shop hours
    /// fall on the same local day), for `customers` customers and `purchases` purchases.
    pub(super) fn demo_summaries(customers: u64, purchases: u64, seed: u64) -> Vec<Summary> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let segs = draw_segments(&mut rng, customers);
        let counts = plan_counts(&mut rng, &segs, purchases);
        let window = 730 * 86_400;
        let end = 1_780_000_000 / 86_400 * 86_400;
        let span = (end - window, end, window);
        let end_day = end / 86_400;
        let mut out = Vec::new();
        for (&seg, &n) in segs.iter().zip(&counts) {
            let (times, _) = purchase_times(&mut rng, span, seg, n);
            let mut days: Vec<i64> = times.iter().map(|t| t / 86_400).collect();
            days.dedup();
            let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
                continue;
            };
            let x = (days.len() - 1) as f64;
            out.push(Summary {
                frequency: x,
                recency: (last - first) as f64 / 7.0,
                age: (end_day - first) as f64 / 7.0,
                // Spend varies between customers, as Gamma-Gamma wants it to.
                monetary: if x > 0.0 {
                    50.0 + (first % 97) as f64
                } else {
                    0.0
                },
            });
        }
        out
    }

    /// The demo's customers drop out as BG/NBD assumes, so its fit identifies every
    /// parameter (before, regulars bought a planned number of times at a steady rhythm and
    /// the fit ended on b = 10000: no spread in dropout at all).
    #[test]
    fn the_demo_fit_is_inside_the_bounds() {
        // A small demo too: the spread in dropout must show in a few hundred buyers.
        for (customers, purchases, seed) in [
            (20_000, 100_000, 1),
            (20_000, 100_000, 2),
            (400, 2000, 7),
            (400, 2000, 11),
        ] {
            let data = demo_summaries(customers, purchases, seed);
            let m = clv::fit_bgnbd_checked(&data).unwrap();
            assert!(m.b < 1000.0 && m.a < 1000.0, "{m:?}");
            clv::fit_gamma_gamma_checked(&data).unwrap();
        }
    }

    #[test]
    #[ignore = "prints the fit on a demo-sized history"]
    fn print_demo_fit() {
        let data = demo_summaries(1_000_000, 5_000_000, 1);
        let n = data.len() as f64;
        let x: f64 = data.iter().map(|d| d.frequency).sum::<f64>() / n;
        let rep = data.iter().filter(|d| d.frequency > 0.0).count();
        println!("{n} buyers, mean x {x}, {rep} repeaters");
        println!("{:?}", clv::fit_bgnbd(&data));
        println!("{:?}", clv::fit_bgnbd_checked(&data));
    }
}
