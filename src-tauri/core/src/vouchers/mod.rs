//! Vouchers (phiếu ưu đãi): programmes that define a benefit and its limits, personal codes
//! issued to a customer list or earned by a bill (the next-purchase rule), shared codes, and
//! the checks a bill makes in its own transaction when it redeems one. Purchases apply them;
//! this module knows nothing of bills beyond their id, total and time.

pub mod code;

use crate::customers::filter::filter_sql;
use crate::db::{
    self,
    vouchers::{NewRedemption, NewVoucher, ProgramRow, VoucherRow},
};
use crate::error::{CoreError, Result};
use crate::model::{
    Benefit, CustomerFilter, IssueResult, NextPurchaseRule, ProgramInput, ProgramResults, Voucher,
    VoucherProgram, VoucherRefund, VoucherUse, VOUCHER_KINDS,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{limits, money, text, time};
use chrono::{Days, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

/// The longest programme or gift name.
pub const NAME_MAX: usize = 80;
/// The longest validity a programme or an earned voucher may have.
pub const DAYS_MAX: i64 = 3_660;
/// The most bonus points one voucher may give, and the largest multiplier.
pub const POINTS_MAX: i64 = 1_000_000;
pub const MULTIPLIER_MAX: i64 = 10;
/// A customer's vouchers shown at the counter and by `voucher list`.
pub const LIST_MAX: u32 = 200;

fn invalid(key: &str, value: impl Into<String>) -> CoreError {
    // Said back to the owner: a hostile value is cut, never echoed whole.
    let value: String = value.into();
    CoreError::ProgramInvalid {
        key: key.to_owned(),
        value: value.chars().take(80).collect(),
    }
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A money field of the programme, in minor units: > 0 (≥ 0 with `zero_ok`), within a bill.
fn money_field(key: &str, s: &str, cur: &(String, u32), zero_ok: bool) -> Result<i64> {
    let minor = money::parse_amount(s, &cur.0, cur.1)
        .and_then(|d| money::to_minor(d, cur.1))
        .map_err(|_| invalid(key, s))?;
    if minor < 0 || (minor == 0 && !zero_ok) || limits::check_bill(minor, cur.1).is_err() {
        return Err(invalid(key, s));
    }
    Ok(minor)
}

fn count_field(key: &str, v: Option<i64>, max: i64) -> Result<Option<i64>> {
    match v {
        Some(n) if !(1..=max).contains(&n) => Err(invalid(key, n.to_string())),
        other => Ok(other),
    }
}

fn name_field(key: &str, s: &str) -> Result<String> {
    let name = text::clean_name(s).map_err(|_| invalid(key, s))?;
    if name.chars().count() > NAME_MAX {
        return Err(invalid(key, s));
    }
    Ok(name)
}

fn day_field(key: &str, s: &str) -> Result<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| invalid(key, s))?;
    if d < limits::date_floor() || d > limits::date_ceiling() {
        return Err(invalid(key, s));
    }
    Ok(d)
}

/// The programme the owner wrote, checked, as it will be stored, with its shared code.
fn checked(conn: db::Conn, input: &ProgramInput, now: i64) -> Result<(ProgramRow, Option<String>)> {
    let cur = currency(conn)?;
    let tz = timezone(conn)?;
    let name = name_field("name", &input.name)?;
    let kind = input.kind.trim().to_ascii_lowercase();
    if !VOUCHER_KINDS.contains(&kind.as_str()) {
        return Err(invalid("kind", &input.kind));
    }
    let value = given(&input.value);
    let need_value = || value.ok_or_else(|| invalid("value", ""));
    let mut p = ProgramRow::blank(name, &kind, now);
    match kind.as_str() {
        "amount" => p.amount_minor = Some(money_field("value", need_value()?, &cur, false)?),
        "percent" => {
            let v = need_value()?;
            p.percent = Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=100).contains(n))
                    .ok_or_else(|| invalid("value", v))?,
            );
            if let Some(c) = given(&input.cap) {
                p.amount_minor = Some(money_field("cap", c, &cur, false)?);
            }
        }
        "gift" => {
            let g = given(&input.gift).ok_or_else(|| invalid("gift", ""))?;
            p.gift = Some(name_field("gift", g)?);
        }
        "multiplier" => {
            let v = need_value()?;
            let m = Decimal::from_str(v)
                .ok()
                .filter(|m| {
                    *m > Decimal::ONE && *m <= Decimal::from(MULTIPLIER_MAX) && m.scale() <= 2
                })
                .ok_or_else(|| invalid("value", v))?;
            p.multiplier = Some(m.normalize().to_string());
        }
        _ => {
            let v = need_value()?;
            p.points = Some(
                v.parse::<i64>()
                    .ok()
                    .filter(|n| (1..=POINTS_MAX).contains(n))
                    .ok_or_else(|| invalid("value", v))?,
            );
        }
    }
    // A field of another kind is a mistake worth saying, not ignoring.
    if kind != "percent" && given(&input.cap).is_some() {
        return Err(invalid("cap", given(&input.cap).unwrap_or_default()));
    }
    if kind != "gift" && given(&input.gift).is_some() {
        return Err(invalid("gift", given(&input.gift).unwrap_or_default()));
    }
    if kind == "gift" && value.is_some() {
        return Err(invalid("value", value.unwrap_or_default()));
    }
    if let Some(c) = given(&input.gift_cost) {
        if kind != "gift" {
            return Err(invalid("gift_cost", c));
        }
        p.gift_cost_minor = money_field("gift_cost", c, &cur, true)?;
    }
    if let Some(m) = given(&input.min_bill) {
        p.min_bill_minor = money_field("min_bill", m, &cur, true)?;
    }
    let today = time::today(tz);
    let from = match given(&input.from) {
        Some(s) => day_field("from", s)?,
        None => today,
    };
    let until_s = given(&input.until).ok_or_else(|| invalid("until", ""))?;
    let until = day_field("until", until_s)?;
    if until < from || (until - from).num_days() >= DAYS_MAX {
        return Err(invalid("until", until_s));
    }
    if until < today {
        return Err(invalid("until", until_s));
    }
    p.valid_from = time::day_start(from, tz);
    p.valid_until = next_day_start(until, tz);
    p.quantity = count_field("quantity", input.quantity, i64::from(i32::MAX))?;
    if let Some(b) = given(&input.budget) {
        p.budget_minor = Some(money_field("budget", b, &cur, false)?);
    }
    match (given(&input.next_min), input.next_days) {
        (None, None) => {}
        (Some(m), Some(d)) => {
            p.next_min_minor = Some(money_field("next_min", m, &cur, false)?);
            p.next_days = count_field("next_days", Some(d), DAYS_MAX)?;
        }
        (Some(_), None) => return Err(invalid("next_days", "")),
        (None, Some(d)) => return Err(invalid("next_min", d.to_string())),
    }
    p.per_customer = count_field("per_customer", input.per_customer, i64::from(i32::MAX))?;
    if p.per_customer.is_none() && p.next_min_minor.is_none() {
        p.per_customer = Some(1);
    }
    let shared = match given(&input.shared_code) {
        None => None,
        Some(_) if p.next_min_minor.is_some() => {
            return Err(invalid(
                "shared_code",
                given(&input.shared_code).unwrap_or_default(),
            ))
        }
        Some(s) if s.eq_ignore_ascii_case("auto") => Some(fresh_code(conn)?),
        Some(s) => {
            let c = code::normalize(s)
                .filter(|c| code::valid_own(c))
                .ok_or_else(|| invalid("shared_code", s))?;
            if db::vouchers::code_exists(conn, &c)? {
                return Err(CoreError::VoucherCodeTaken(c));
            }
            Some(c)
        }
    };
    if shared.is_some() {
        p.audience = "code".into();
    }
    Ok((p, shared))
}

fn next_day_start(d: NaiveDate, tz: Tz) -> i64 {
    d.checked_add_days(Days::new(1))
        .map_or(i64::MAX / 2, |n| time::day_start(n, tz))
}

/// The last valid day of a window ending (exclusively) at `until`.
fn last_day(until: i64, tz: Tz) -> NaiveDate {
    time::local_date(until.saturating_sub(1), tz)
}

/// A code no voucher has.
fn fresh_code(conn: db::Conn) -> Result<String> {
    let mut rng = rand::rng();
    loop {
        let c = code::generate(&mut rng);
        if !db::vouchers::code_exists(conn, &c)? {
            return Ok(c);
        }
    }
}

/// Insert a personal voucher under a fresh code (drawing again on the rare collision):
/// its id and code.
fn insert_personal<'a>(
    conn: impl Into<db::Conn<'a>>,
    rng: &mut impl rand::Rng,
    v: NewVoucher<'_>,
    now: i64,
) -> Result<(i64, String)> {
    let conn = conn.into();
    loop {
        let c = code::generate(rng);
        let attempt = NewVoucher { code: &c, ..v };
        if let Some(id) = db::vouchers::insert_voucher(conn, &attempt, now)? {
            return Ok((id, c));
        }
    }
}

/// A programme that can issue personal vouchers now: not a shared code, not ended or
/// expired.
pub(crate) fn issuable<'a>(
    conn: impl Into<db::Conn<'a>>,
    reference: &str,
    now: i64,
) -> Result<ProgramRow> {
    let conn = conn.into();
    let p = resolve(conn, reference)?;
    // Who holds one is read next: two owners issuing the programme at once take turns.
    db::vouchers::hold_program(conn, p.id)?;
    if p.audience == "code" {
        return Err(CoreError::ProgramShared(p.name));
    }
    if p.ended_at.is_some() || now >= p.valid_until {
        return Err(CoreError::ProgramClosed(p.name));
    }
    Ok(p)
}

/// One personal voucher of `p` for the customer, valid over the programme's window: its id.
pub(crate) fn issue_one<'a>(
    conn: impl Into<db::Conn<'a>>,
    rng: &mut impl rand::Rng,
    p: &ProgramRow,
    customer_id: i64,
    now: i64,
) -> Result<i64> {
    Ok(insert_personal(
        conn,
        rng,
        NewVoucher {
            program_id: p.id,
            code: "",
            customer_id: Some(customer_id),
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            source_purchase_id: None,
        },
        now,
    )?
    .0)
}

fn benefit(p: &ProgramRow, exp: u32) -> Benefit {
    let m = |v: Option<i64>| v.map(|v| money::from_minor(v, exp));
    Benefit {
        kind: p.kind.clone(),
        amount: if p.kind == "amount" {
            m(p.amount_minor)
        } else {
            None
        },
        percent: p.percent,
        cap: if p.kind == "percent" {
            m(p.amount_minor)
        } else {
            None
        },
        gift: p.gift.clone(),
        multiplier: p
            .multiplier
            .as_deref()
            .and_then(|s| Decimal::from_str(s).ok()),
        points: p.points,
    }
}

fn program_status(p: &ProgramRow, now: i64) -> &'static str {
    if p.ended_at.is_some() {
        "ended"
    } else if now < p.valid_from {
        "scheduled"
    } else if now >= p.valid_until {
        "expired"
    } else {
        "active"
    }
}

fn program_view(conn: db::Conn, p: &ProgramRow, tz: Tz, exp: u32) -> Result<VoucherProgram> {
    let m = |v: i64| money::from_minor(v, exp);
    Ok(VoucherProgram {
        id: p.id,
        name: p.name.clone(),
        benefit: benefit(p, exp),
        gift_cost: m(p.gift_cost_minor),
        min_bill: m(p.min_bill_minor),
        from: time::local_date(p.valid_from, tz),
        until: last_day(p.valid_until, tz),
        per_customer: p.per_customer,
        quantity: p.quantity,
        budget: p.budget_minor.map(m),
        shared_code: if p.audience == "code" {
            db::vouchers::shared_code(conn, p.id)?
        } else {
            None
        },
        next_purchase: p
            .next_min_minor
            .zip(p.next_days)
            .map(|(min, days)| NextPurchaseRule {
                min_bill: m(min),
                days,
            }),
        created_at: time::from_unix(p.created_at),
        ended_at: p.ended_at.map(time::from_unix),
        status: program_status(p, time::now()),
    })
}

fn voucher_status(v: &VoucherRow, now: i64) -> &'static str {
    if v.customer_id.is_some() && v.uses > 0 {
        "used"
    } else if v.program.ended_at.is_some() {
        "ended"
    } else if now < v.valid_from {
        "not_yet"
    } else if now >= v.valid_until {
        "expired"
    } else {
        "usable"
    }
}

fn voucher_view(v: &VoucherRow, tz: Tz, exp: u32, now: i64) -> Voucher {
    Voucher {
        code: v.code.clone(),
        program_id: v.program.id,
        program: v.program.name.clone(),
        benefit: benefit(&v.program, exp),
        min_bill: money::from_minor(v.program.min_bill_minor, exp),
        customer_id: v.customer_id,
        from: time::local_date(v.valid_from, tz),
        until: last_day(v.valid_until, tz),
        uses: v.uses,
        status: voucher_status(v, now),
    }
}

fn day_text(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A voucher checked for a bill of `total_minor` at `at` for `customer_id`: what it takes
/// off, before points. Its bonus points come with the points the bill earns ([`bonus`]).
pub(crate) struct Applied {
    pub voucher: VoucherRow,
    pub discount_minor: i64,
}

/// Find the typed code and check it for this bill: owner, programme not ended, validity at
/// the bill's time, not used, minimum bill, the per-customer limit, the quantity and the
/// budget. Run inside the bill's write transaction, so two tills racing with one code
/// cannot both pass.
pub(crate) fn apply<'a>(
    conn: impl Into<db::Conn<'a>>,
    typed: &str,
    customer_id: i64,
    total_minor: i64,
    at: i64,
) -> Result<Applied> {
    let conn = conn.into();
    let (_, exp) = currency(conn)?;
    // Said back as typed, but never more of it than a code could be.
    let shown = || {
        typed
            .trim()
            .chars()
            .take(code::MAX_LEN + 4)
            .collect::<String>()
    };
    let code = code::normalize(typed).ok_or_else(|| CoreError::VoucherNotFound(shown()))?;
    let Some(v) = db::vouchers::by_code(conn, &code)? else {
        return Err(if code::looks_mistyped(&code) {
            CoreError::VoucherMistyped(code)
        } else {
            CoreError::VoucherNotFound(code)
        });
    };
    let p = &v.program;
    if v.customer_id.is_some_and(|c| c != customer_id) {
        return Err(CoreError::VoucherNotYours(code));
    }
    if p.ended_at.is_some() {
        return Err(CoreError::VoucherEnded(code));
    }
    let tz = timezone(conn)?;
    if at < v.valid_from {
        let from = day_text(time::local_date(v.valid_from, tz));
        return Err(CoreError::VoucherNotYet { code, from });
    }
    if at >= v.valid_until {
        let until = day_text(last_day(v.valid_until, tz));
        return Err(CoreError::VoucherExpired { code, until });
    }
    if v.customer_id.is_some() && v.uses > 0 {
        return Err(CoreError::VoucherUsed(code));
    }
    if total_minor < p.min_bill_minor {
        let min = money::from_minor(p.min_bill_minor, exp).to_string();
        return Err(CoreError::VoucherBelowMinimum { code, min });
    }
    if let Some(limit) = p.per_customer {
        if db::vouchers::customer_uses(conn, p.id, customer_id)? >= limit {
            return Err(CoreError::VoucherCustomerLimit { code, limit });
        }
    }
    if p.quantity.is_some_and(|q| p.uses >= q) {
        return Err(CoreError::VoucherSoldOut(code));
    }
    let discount_minor = match p.kind.as_str() {
        "amount" => p.amount_minor.unwrap_or(0).min(total_minor),
        "percent" => {
            let off = i128::from(total_minor) * i128::from(p.percent.unwrap_or(0)) / 100;
            let off = i64::try_from(off).unwrap_or(total_minor);
            p.amount_minor.map_or(off, |cap| off.min(cap))
        }
        _ => 0,
    };
    let cost = discount_minor.saturating_add(gift_cost(p));
    if p.budget_minor
        .is_some_and(|b| p.spent_minor.saturating_add(cost) > b)
    {
        return Err(CoreError::VoucherBudgetSpent(code));
    }
    Ok(Applied {
        voucher: v,
        discount_minor,
    })
}

fn gift_cost(p: &ProgramRow) -> i64 {
    if p.kind == "gift" {
        p.gift_cost_minor
    } else {
        0
    }
}

/// The points a voucher adds to the `earned` points of its bill (tier multiplier included).
pub(crate) fn bonus(a: &Applied, earned: i64) -> i64 {
    let p = &a.voucher.program;
    match p.kind.as_str() {
        "multiplier" => p
            .multiplier
            .as_deref()
            .and_then(|m| Decimal::from_str(m).ok())
            .and_then(|m| {
                (Decimal::from(earned.max(0)) * (m - Decimal::ONE))
                    .floor()
                    .to_i64()
            })
            .unwrap_or(0),
        "points" => p.points.unwrap_or(0),
        _ => 0,
    }
}

/// What the bill used, for its result.
pub(crate) fn used(a: &Applied, bonus_points: i64, exp: u32) -> VoucherUse {
    VoucherUse {
        code: a.voucher.code.clone(),
        program: a.voucher.program.name.clone(),
        benefit: benefit(&a.voucher.program, exp),
        discount: money::from_minor(a.discount_minor, exp),
        bonus_points,
    }
}

/// Record the redemption of `a` by the bill `purchase_id`.
pub(crate) fn record<'a>(
    conn: impl Into<db::Conn<'a>>,
    a: &Applied,
    customer_id: i64,
    purchase_id: i64,
    at: i64,
    bonus_points: i64,
) -> Result<()> {
    db::vouchers::insert_redemption(
        conn,
        &NewRedemption {
            voucher_id: a.voucher.id,
            program_id: a.voucher.program.id,
            customer_id,
            purchase_id,
            at,
            discount_minor: a.discount_minor,
            gift_cost_minor: gift_cost(&a.voucher.program),
            bonus_points,
        },
    )?;
    Ok(())
}

/// The voucher a stored bill used (for a replay of its client id).
pub(crate) fn used_on<'a>(
    conn: impl Into<db::Conn<'a>>,
    purchase_id: i64,
    exp: u32,
) -> Result<Option<VoucherUse>> {
    Ok(
        db::vouchers::redemption_of(conn, purchase_id)?.map(|r| VoucherUse {
            code: r.voucher.code.clone(),
            program: r.voucher.program.name.clone(),
            benefit: benefit(&r.voucher.program, exp),
            discount: money::from_minor(r.discount_minor, exp),
            bonus_points: r.bonus_points,
        }),
    )
}

/// After a refund of the bill: a bill refunded in full gives its voucher back while the
/// voucher is still valid and its programme running (otherwise it stays used), and the
/// vouchers it earned for a next purchase end unless already used.
pub(crate) fn after_refund<'a>(
    conn: impl Into<db::Conn<'a>>,
    purchase_id: i64,
    full: bool,
    now: i64,
) -> Result<Option<VoucherRefund>> {
    let conn = conn.into();
    // A bill refunded in full earned nothing: its unused next-purchase vouchers end now.
    if full {
        for v in db::vouchers::earned_by(conn, purchase_id)? {
            db::vouchers::expire_unused(conn, v.id, now)?;
        }
    }
    let Some(r) = db::vouchers::redemption_of(conn, purchase_id)? else {
        return Ok(None);
    };
    let v = &r.voucher;
    let returned =
        r.returned_at.is_some() || (full && v.program.ended_at.is_none() && now < v.valid_until);
    if returned && r.returned_at.is_none() {
        db::vouchers::return_redemption(conn, r.id, now)?;
    }
    Ok(Some(VoucherRefund {
        code: v.code.clone(),
        returned,
    }))
}

/// The vouchers a bill of `total_minor` at `at` earns by the next-purchase rules, valid
/// from the day after the bill for each rule's days.
pub(crate) fn issue_earned<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
    purchase_id: i64,
    at: i64,
    total_minor: i64,
    now: i64,
) -> Result<Vec<Voucher>> {
    let conn = conn.into();
    let rules = db::vouchers::rules_met(conn, at, total_minor)?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let (tz, exp) = (timezone(conn)?, currency(conn)?.1);
    let day = time::local_date(at, tz);
    let from = next_day_start(day, tz);
    let mut rng = rand::rng();
    let mut out = Vec::with_capacity(rules.len());
    for p in rules {
        let days = p.next_days.unwrap_or(1).clamp(1, DAYS_MAX) as u64;
        let until = day
            .checked_add_days(Days::new(days + 1))
            .map_or(i64::MAX / 2, |d| time::day_start(d, tz));
        let (_, code) = insert_personal(
            conn,
            &mut rng,
            NewVoucher {
                program_id: p.id,
                code: "",
                customer_id: Some(customer_id),
                valid_from: from,
                valid_until: until,
                source_purchase_id: Some(purchase_id),
            },
            now,
        )?;
        if let Some(v) = db::vouchers::by_code(conn, &code)? {
            out.push(voucher_view(&v, tz, exp, now));
        }
    }
    Ok(out)
}

/// The vouchers a stored bill earned, as they stand now (for a replay of its client id).
pub(crate) fn earned_by<'a>(
    conn: impl Into<db::Conn<'a>>,
    purchase_id: i64,
) -> Result<Vec<Voucher>> {
    let conn = conn.into();
    let (tz, exp, now) = (timezone(conn)?, currency(conn)?.1, time::now());
    Ok(db::vouchers::earned_by(conn, purchase_id)?
        .iter()
        .map(|v| voucher_view(v, tz, exp, now))
        .collect())
}

/// The usable voucher of a customer that expires first, for the message templates.
pub(crate) fn usable_of<'a>(
    conn: impl Into<db::Conn<'a>>,
    customer_id: i64,
) -> Result<Option<Voucher>> {
    let conn = conn.into();
    let (tz, exp, now) = (timezone(conn)?, currency(conn)?.1, time::now());
    Ok(db::vouchers::of_customer(conn, customer_id, LIST_MAX)?
        .iter()
        .map(|v| voucher_view(v, tz, exp, now))
        .filter(|v| v.status == "usable")
        .min_by_key(|v| v.until))
}

/// A programme by id ("12", "#12") or exact name (the newest of that name).
pub(crate) fn resolve<'a>(conn: impl Into<db::Conn<'a>>, reference: &str) -> Result<ProgramRow> {
    let conn = conn.into();
    let r = reference.trim();
    let not_found = || CoreError::ProgramNotFound(r.to_owned());
    if let Ok(id) = r.trim_start_matches('#').parse::<i64>() {
        if let Some(p) = db::vouchers::program(conn, id)? {
            return Ok(p);
        }
    }
    let id = *db::vouchers::program_ids_named(conn, r)?
        .first()
        .ok_or_else(not_found)?;
    db::vouchers::program(conn, id)?.ok_or_else(not_found)
}

impl Store {
    pub fn add_program(&self, input: &ProgramInput) -> Result<VoucherProgram> {
        let actor = self.require(Perm::Promotions)?;
        let staff = actor.attribution(None);
        self.write_any(|conn| {
            let now = time::now();
            let (p, shared) = checked(conn, input, now)?;
            let id = db::vouchers::insert_program(conn, &p, staff.as_deref())?;
            if let Some(c) = &shared {
                db::vouchers::insert_voucher(
                    conn,
                    &NewVoucher {
                        program_id: id,
                        code: c,
                        customer_id: None,
                        valid_from: p.valid_from,
                        valid_until: p.valid_until,
                        source_purchase_id: None,
                    },
                    now,
                )?
                .ok_or_else(|| CoreError::VoucherCodeTaken(c.clone()))?;
            }
            let stored = db::vouchers::program(conn, id)?
                .ok_or_else(|| CoreError::Internal("programme vanished".into()))?;
            let view = program_view(conn, &stored, timezone(conn)?, currency(conn)?.1)?;
            audit::record(
                conn,
                &actor
                    .entry("voucher.program_add", "voucher_program")
                    .entity_id(id)
                    .after(audit::snapshot(&view)?),
            )?;
            Ok(view)
        })
    }

    pub fn programs(&self) -> Result<Vec<VoucherProgram>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let (tz, exp) = (timezone(conn)?, currency(conn)?.1);
            db::vouchers::programs(conn)?
                .iter()
                .map(|p| program_view(conn, p, tz, exp))
                .collect()
        })
    }

    pub fn program(&self, reference: &str) -> Result<VoucherProgram> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let p = resolve(conn, reference)?;
            program_view(conn, &p, timezone(conn)?, currency(conn)?.1)
        })
    }

    /// What a programme gave and what its redeeming bills brought.
    pub fn program_results(&self, reference: &str) -> Result<ProgramResults> {
        self.require(Perm::Promotions)?;
        self.read(|conn| {
            let (tz, exp) = (timezone(conn)?, currency(conn)?.1);
            let p = resolve(conn, reference)?;
            let f = db::vouchers::figures(conn, p.id)?;
            let m = |v: i64| money::from_minor(v, exp);
            let spent = f.discount_minor.saturating_add(f.gift_cost_minor);
            Ok(ProgramResults {
                program: program_view(conn, &p, tz, exp)?,
                issued: f.issued,
                redeemed: f.redeemed,
                customers: f.customers,
                redemption_rate: (p.audience == "issued" && f.issued > 0)
                    .then(|| f.redeemed as f64 / f.issued as f64),
                discount: m(f.discount_minor),
                gift_cost: m(f.gift_cost_minor),
                bonus_points: f.bonus_points,
                revenue: m(f.revenue_minor),
                budget_left: p.budget_minor.map(|b| m((b - spent).max(0))),
            })
        })
    }

    /// Every programme with its results, newest first (the owner's promotions screen).
    pub fn program_overview(&self) -> Result<Vec<ProgramResults>> {
        self.require(Perm::Promotions)?;
        let ids: Vec<i64> = self
            .read(|c| db::vouchers::programs(c))?
            .iter()
            .map(|p| p.id)
            .collect();
        ids.iter()
            .map(|id| self.program_results(&id.to_string()))
            .collect()
    }

    /// End a programme now: its codes stop working and nothing more is issued.
    pub fn end_program(&self, reference: &str) -> Result<VoucherProgram> {
        let actor = self.require(Perm::Promotions)?;
        self.write_any(|conn| {
            let p = resolve(conn, reference)?;
            let (tz, exp) = (timezone(conn)?, currency(conn)?.1);
            let before = program_view(conn, &p, tz, exp)?;
            db::vouchers::end_program(conn, p.id, time::now())?;
            let stored = db::vouchers::program(conn, p.id)?
                .ok_or_else(|| CoreError::Internal("programme vanished".into()))?;
            let after = program_view(conn, &stored, tz, exp)?;
            if before != after {
                audit::record_change(
                    conn,
                    actor
                        .entry("voucher.program_end", "voucher_program")
                        .entity_id(p.id),
                    &before,
                    &after,
                )?;
            }
            Ok(after)
        })
    }

    /// Give each customer of the list a personal code of the programme; customers who
    /// already hold one are skipped, so issuing again to the same list changes nothing.
    pub fn issue_vouchers(&self, reference: &str, filter: &CustomerFilter) -> Result<IssueResult> {
        let actor = self.require(Perm::Promotions)?;
        self.write_any(|conn| {
            let now = time::now();
            let p = issuable(conn, reference, now)?;
            let ids = db::filter::filter_ids(conn, &filter_sql(conn, filter)?)?;
            let held = db::vouchers::holders(conn, p.id)?;
            let mut rng = rand::rng();
            let mut issued = 0i64;
            for &id in &ids {
                if held.contains(&id) {
                    continue;
                }
                issue_one(conn, &mut rng, &p, id, now)?;
                issued += 1;
            }
            let out = IssueResult {
                program_id: p.id,
                issued,
                skipped: ids.len() as i64 - issued,
            };
            if issued > 0 {
                audit::record(
                    conn,
                    &actor
                        .entry("voucher.issue", "voucher_program")
                        .entity_id(p.id)
                        .after(
                            json!({ "filter": filter, "issued": issued, "skipped": out.skipped }),
                        ),
                )?;
            }
            Ok(out)
        })
    }

    /// A customer's vouchers, usable ones first, then by the last valid day.
    pub fn vouchers_of(&self, customer_id: i64) -> Result<Vec<Voucher>> {
        self.require(Perm::View)?;
        let (rows, tz, exp) = self.read(|conn| {
            crate::db::customers::existing(conn, customer_id)?;
            let rows = db::vouchers::of_customer(conn, customer_id, LIST_MAX)?;
            Ok((rows, timezone(conn)?, currency(conn)?.1))
        })?;
        let now = time::now();
        let mut list: Vec<Voucher> = rows.iter().map(|v| voucher_view(v, tz, exp, now)).collect();
        list.sort_by_key(|v| (v.status != "usable", v.until));
        Ok(list)
    }
}
