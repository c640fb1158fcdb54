//! Recording purchases: amounts in the shop currency, line items that add up, points earned
//! and redeemed in the same transaction, idempotent by client id, and refunds.

use crate::customers::stats;
use crate::db::customers::existing;
use crate::db::{self, loyalty::NewEntry, purchases::NewItem, purchases::NewPurchase};
use crate::error::{CoreError, Result};
use crate::loyalty::{
    self, apply_expiry, earn_points, evaluate_tier, redeem_discount, Rules, TierDef,
};
use crate::model::{
    Customer, ItemInput, Purchase, PurchaseInput, PurchaseResult, Quote, Refund, RefundResult,
    PAYMENT_METHODS,
};
use crate::store::audit;
use crate::store::session::{Actor, Perm};
use crate::store::settings::{any_purchase_date, currency, timezone};
use crate::store::Store;
use crate::vouchers::{self, Applied};
use crate::{limits, money, time};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;

fn item_err(index: usize, detail: &str) -> CoreError {
    CoreError::ItemInvalid {
        index: index + 1,
        detail: detail.to_owned(),
    }
}

fn valid_payment(s: Option<&str>) -> Result<String> {
    let p = s.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("cash");
    let p = p.to_ascii_lowercase();
    if PAYMENT_METHODS.contains(&p.as_str()) {
        Ok(p)
    } else {
        Err(CoreError::PaymentInvalid(p))
    }
}

/// Line items checked against the total, in minor units.
fn valid_items<'a>(
    items: &'a [ItemInput],
    total_minor: i64,
    code: &str,
    exp: u32,
) -> Result<Vec<NewItem<'a>>> {
    let mut out = Vec::with_capacity(items.len());
    let mut sum = 0i64;
    for (i, it) in items.iter().enumerate() {
        let product = it.product.trim();
        if product.is_empty() {
            return Err(item_err(i, "product"));
        }
        let qty = Decimal::from_str(it.quantity.trim())
            .ok()
            .filter(|q| *q > Decimal::ZERO && q.scale() <= 3)
            .ok_or_else(|| item_err(i, "quantity"))?;
        let price = money::parse_amount(&it.unit_price, code, exp)?;
        let unit_price_minor = money::to_minor(price, exp)?;
        limits::check_bill(unit_price_minor, exp)?;
        let line = qty.checked_mul(price).ok_or(CoreError::AmountTooLarge)?;
        // A line total must be a whole number of minor units, e.g. 0.5 × 3 VND is not.
        money::check_amount(line, code, exp).map_err(|_| item_err(i, "line_total"))?;
        let line_minor = money::to_minor(line, exp)?;
        sum = sum
            .checked_add(line_minor)
            .ok_or(CoreError::AmountTooLarge)?;
        out.push(NewItem {
            product,
            quantity: qty.normalize(),
            unit_price_minor,
            line_total_minor: line_minor,
            warranty_months: it.warranty_months,
        });
    }
    if !out.is_empty() && sum != total_minor {
        return Err(CoreError::ItemsMismatch {
            items_total: money::from_minor(sum, exp).to_string(),
            total: money::from_minor(total_minor, exp).to_string(),
        });
    }
    Ok(out)
}

/// Everything a bill needs to know about the customer's card, read once.
struct Plan {
    total_minor: i64,
    /// Taken off by the voucher, before points.
    voucher_minor: i64,
    /// Paid with points, on what the voucher leaves.
    discount_minor: i64,
    /// The voucher's bonus points, within `earn`.
    bonus: i64,
    points: i64,
    earn: i64,
    /// Spendable: the ledger sum less what is due to expire by the bill's time.
    balance: i64,
    due: Vec<(i64, i64)>,
    max_points: i64,
    spend_before: i64,
    recorded_tier: Option<String>,
    tier_before: Option<String>,
}

/// A sum of points that saturates instead of overflowing on a corrupt ledger.
fn points_sum(it: impl Iterator<Item = i64>) -> i64 {
    it.fold(0i64, i64::saturating_add)
}

/// The instant a bill's tier is judged at: its own, or now for a bill dated ahead (the
/// owner allowed any date), so a future date never becomes the customer's latest tier move.
fn tier_time(at: i64) -> i64 {
    at.min(time::now())
}

fn plan(
    conn: db::Conn,
    (rules, tiers): (&Rules, &[TierDef]),
    customer_id: i64,
    total_minor: i64,
    redeem: i64,
    f: &Figures,
    voucher: Option<&Applied>,
) -> Result<Plan> {
    let moves = db::loyalty::movements(conn, customer_id)?;
    let due = loyalty::expiries_due(&moves, rules.expiry_months, f.at);
    let balance =
        points_sum(moves.iter().map(|m| m.1)).saturating_sub(points_sum(due.iter().map(|d| d.1)));
    // The fixed order: the voucher first, then points on what remains, under their cap.
    let voucher_minor = voucher.map_or(0, |a| a.discount_minor);
    let left = total_minor - voucher_minor;
    let discount_minor = redeem_discount(redeem, left, balance, rules)?;
    let spend_before = f.spend_before;
    let before = loyalty::tier_for(tiers, spend_before);
    let earned = earn_points(
        left - discount_minor,
        rules,
        before.map_or(Decimal::ONE, |t| t.multiplier),
    );
    let bonus = voucher.map_or(0, |a| vouchers::bonus(a, earned));
    let earn = limits::cap_earned(earned.saturating_add(bonus), balance - redeem);
    Ok(Plan {
        total_minor,
        voucher_minor,
        discount_minor,
        bonus: bonus.min(earn),
        points: redeem,
        earn,
        balance,
        due,
        max_points: loyalty::max_points(left, balance, rules),
        spend_before,
        recorded_tier: db::loyalty::current_tier(conn, customer_id)?,
        tier_before: before.map(|t| t.name.clone()),
    })
}

/// The voucher code typed on the bill, if any.
fn voucher_code(input: &PurchaseInput) -> Option<&str> {
    input
        .voucher
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The stored result of a purchase, for a replay of its client id.
fn replay(
    conn: db::Conn,
    purchase_id: i64,
    input: &PurchaseInput,
    exp: u32,
) -> Result<PurchaseResult> {
    let purchase = db::purchases::get(conn, purchase_id, exp)?
        .ok_or_else(|| CoreError::Internal("purchase vanished".into()))?;
    let (code, _) = currency(conn)?;
    let same_total =
        money::parse_amount(&input.amount, &code, exp).is_ok_and(|a| a == purchase.total);
    if purchase.customer_id != input.customer_id || !same_total {
        return Err(CoreError::ClientIdConflict);
    }
    let (earned, redeemed, _, _) = db::loyalty::purchase_points(conn, purchase_id)?;
    let voucher = vouchers::used_on(conn, purchase_id, exp)?;
    Ok(PurchaseResult {
        stats: stats(conn, purchase.customer_id, exp)?,
        loyalty: loyalty::view(conn, purchase.customer_id, exp)?,
        points_earned: earned,
        points_redeemed: redeemed,
        discount: purchase.discount - voucher.as_ref().map_or(Decimal::ZERO, |v| v.discount),
        tier_changed: false,
        voucher,
        vouchers_issued: vouchers::earned_by(conn, purchase_id)?,
        purchase,
    })
}

fn entry<'a>(
    customer_id: i64,
    kind: &'a str,
    points: i64,
    at: i64,
    purchase_id: i64,
    staff: Option<&'a str>,
) -> NewEntry<'a> {
    NewEntry {
        customer_id,
        kind,
        points,
        at,
        purchase_id: Some(purchase_id),
        refund_id: None,
        staff,
        reason: None,
    }
}

/// A typed bill time, within the purchase-date window, or now.
fn at_or_now(conn: db::Conn, at: Option<&str>) -> Result<i64> {
    match at.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let tz = timezone(conn)?;
            let at = time::parse_instant(s, tz)?;
            limits::check_purchase_date(at, tz, any_purchase_date(conn)?)?;
            Ok(at)
        }
        None => Ok(time::now()),
    }
}

/// A bill's total in minor units, within the per-bill limit.
fn bill_total(amount: &str, code: &str, exp: u32) -> Result<i64> {
    let minor = money::to_minor(money::parse_amount(amount, code, exp)?, exp)
        .map_err(|_| limits::amount_over(exp))?;
    limits::check_bill(minor, exp)?;
    Ok(minor)
}

/// The money a refund pays back: `amount`, or all that is left when none is given; more
/// than is left is refused.
fn refund_amount(amount: Option<&str>, code: &str, exp: u32, money_left: i64) -> Result<i64> {
    Ok(match amount.map(str::trim).filter(|s| !s.is_empty()) {
        None => money_left,
        Some(a) => {
            let m = money::to_minor(money::parse_amount(a, code, exp)?, exp)
                .map_err(|_| limits::amount_over(exp))?;
            if m <= 0 {
                return Err(CoreError::AmountInvalid(a.to_owned()));
            }
            if m > money_left {
                return Err(CoreError::RefundTooLarge {
                    max: money::from_minor(money_left, exp).to_string(),
                });
            }
            m
        }
    })
}

/// `points` × `share` / `total`, half away from zero, in i128: no overflow even on a ledger
/// from before the limits.
fn share_of(points: i64, share: i64, total: i64) -> i64 {
    let (n, d) = (
        i128::from(points) * i128::from(share),
        i128::from(total.max(1)),
    );
    let cum = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    i64::try_from(cum.min(i128::from(points))).unwrap_or(points)
}

/// The points a refund of `share` of the bill (cumulative, of `total`) gives back and takes
/// back for the bill `ids` = (customer, purchase, refund): (given back, taken, owed). What is
/// owed beyond the balance is recorded as the refund's shortfall.
fn refund_points<'a>(
    conn: impl Into<db::Conn<'a>>,
    (customer_id, purchase_id, refund_id): (i64, i64, i64),
    staff: Option<&str>,
    now: i64,
    share: i64,
    total: i64,
) -> Result<(i64, i64, i64)> {
    let conn = conn.into();
    // Targets are cumulative, so several partial refunds never drift from the whole.
    let (earned, redeemed, returned, reversed) = db::loyalty::purchase_points(conn, purchase_id)?;
    let give_back = share_of(redeemed, share, total)
        .saturating_sub(returned)
        .max(0);
    let ref_entry = |points: i64| -> Result<()> {
        db::loyalty::insert_entry(
            conn,
            &NewEntry {
                customer_id,
                kind: "refund",
                points,
                at: now,
                purchase_id: Some(purchase_id),
                refund_id: Some(refund_id),
                staff,
                reason: None,
            },
            now,
        )?;
        Ok(())
    };
    if give_back > 0 {
        ref_entry(give_back)?;
    }
    let owed = share_of(earned, share, total)
        .saturating_sub(reversed)
        .saturating_sub(db::loyalty::shortfall(conn, purchase_id)?)
        .max(0);
    let take = owed.min(db::loyalty::balance(conn, customer_id)?.max(0));
    if take > 0 {
        ref_entry(-take)?;
    }
    if owed > take {
        db::loyalty::set_refund_shortfall(conn, refund_id, owed - take)?;
    }
    Ok((give_back, take, owed))
}

/// What a bill reads of the customer's purchases, in one pass over them.
struct Figures {
    /// The bill's time (typed, or now).
    at: i64,
    /// The instant its tier is judged at ([`tier_time`]).
    judged: i64,
    /// The customer's 12-month spend as of `judged`, before the bill.
    spend_before: i64,
}

/// The customer's bills so far checked against the per-customer limit with this one, then
/// the bill's time, in that order (a bill over the limit is refused as such whatever its
/// date), and the 12-month spend read in the same pass as the total.
fn figures(
    conn: db::Conn,
    customer_id: i64,
    total_minor: i64,
    exp: u32,
    at: Option<&str>,
) -> Result<Figures> {
    let at = at_or_now(conn, at);
    // A bad date is reported after the limit; meanwhile any window will do.
    let judged = tier_time(*at.as_ref().unwrap_or(&time::now()));
    let (gross, spend_before) =
        db::purchases::gross_and_spend(conn, customer_id, loyalty::year_ago(judged), judged)?;
    limits::check_customer_total(gross, total_minor, exp)?;
    Ok(Figures {
        at: at?,
        judged,
        spend_before,
    })
}

/// The customer a bill is for (refused when archived) and the bill's total, within the
/// per-bill limit.
fn billable(
    conn: db::Conn,
    customer_id: i64,
    amount: &str,
    code: &str,
    exp: u32,
) -> Result<(Customer, i64)> {
    let customer = existing(conn, customer_id)?;
    if customer.archived_at.is_some() {
        return Err(CoreError::CustomerArchived(customer.name));
    }
    let total_minor = bill_total(amount, code, exp)?;
    Ok((customer, total_minor))
}

/// A tier move from `from` to `to`, recorded when they differ.
fn tier_move(
    conn: db::Conn,
    customer_id: i64,
    at: i64,
    from: Option<&str>,
    to: Option<&str>,
    spend: i64,
) -> Result<()> {
    if from != to {
        db::loyalty::insert_tier_move(conn, customer_id, at, from, to, spend)?;
    }
    Ok(())
}

/// A bill at `at` in the customer's figures, and the tier move it makes (judged at
/// `judged`): their spend and tier after it.
fn count_bill(
    conn: db::Conn,
    tiers: &[TierDef],
    customer_id: i64,
    p: &Plan,
    at: i64,
    judged: i64,
    total_minor: i64,
) -> Result<(i64, Option<String>)> {
    if !db::purchases::count_later_bill(conn, customer_id, at, total_minor)? {
        db::customers::add_purchase_stats(conn, customer_id, at, total_minor)?;
    }
    let counted = if at <= judged { total_minor } else { 0 };
    let spend_after = p.spend_before.saturating_add(counted);
    let tier_after = loyalty::tier_for(tiers, spend_after).map(|t| t.name.clone());
    tier_move(
        conn,
        customer_id,
        judged,
        p.tier_before.as_deref(),
        tier_after.as_deref(),
        spend_after,
    )?;
    Ok((spend_after, tier_after))
}

/// The points a bill redeems and earns, as entries of the ledger.
fn bill_points(
    conn: db::Conn,
    customer_id: i64,
    p: &Plan,
    at: i64,
    purchase_id: i64,
    staff: Option<&str>,
    now: i64,
) -> Result<()> {
    if p.points > 0 {
        db::loyalty::insert_entry(
            conn,
            &entry(customer_id, "redeem", -p.points, at, purchase_id, staff),
            now,
        )?;
    }
    if p.earn > 0 {
        db::loyalty::insert_entry(
            conn,
            &entry(customer_id, "earn", p.earn, at, purchase_id, staff),
            now,
        )?;
    }
    Ok(())
}

/// [`Store::quote`] on either engine's connection.
fn quote_on(conn: db::Conn, input: &PurchaseInput) -> Result<Quote> {
    let (code, exp) = currency(conn)?;
    existing(conn, input.customer_id)?;
    let total_minor = bill_total(&input.amount, &code, exp)?;
    let f = figures(
        conn,
        input.customer_id,
        total_minor,
        exp,
        input.at.as_deref(),
    )?;
    let rules = loyalty::rules(conn)?;
    let tiers = loyalty::tiers(conn)?;
    let applied = voucher_code(input)
        .map(|c| vouchers::apply(conn, c, input.customer_id, total_minor, f.at))
        .transpose()?;
    let p = plan(
        conn,
        (&rules, &tiers),
        input.customer_id,
        total_minor,
        input.redeem.unwrap_or(0),
        &f,
        applied.as_ref(),
    )?;
    Ok(Quote {
        total: money::from_minor(p.total_minor, exp),
        points: p.points,
        discount: money::from_minor(p.discount_minor, exp),
        voucher: applied.as_ref().map(|a| vouchers::used(a, p.bonus, exp)),
        pay: money::from_minor(p.total_minor - p.voucher_minor - p.discount_minor, exp),
        points_to_earn: p.earn,
        max_points: p.max_points,
        balance: p.balance,
        balance_after: p.balance.saturating_sub(p.points).saturating_add(p.earn),
    })
}

impl Store {
    pub fn add_purchase(&self, input: PurchaseInput) -> Result<PurchaseResult> {
        let actor = self.require(Perm::Serve)?;
        self.add_purchase_by(actor, input)
    }

    /// A bill kept offline at the counter named `counter`, sent now by whoever is signed in
    /// here: recorded at the counter that made it (a name a hand-edited outbox spoils is
    /// refused, not written). None: a bill kept by an older build, at this counter.
    pub(crate) fn add_kept_purchase(
        &self,
        input: PurchaseInput,
        counter: Option<&str>,
    ) -> Result<PurchaseResult> {
        let mut actor = self.require(Perm::Serve)?;
        if let Some(name) = counter {
            actor.counter = Some(limits::check_counter(name)?.to_owned());
        }
        self.add_purchase_by(actor, input)
    }

    fn add_purchase_by(&self, actor: Actor, input: PurchaseInput) -> Result<PurchaseResult> {
        let staff = actor.attribution(input.staff.as_deref());
        let staff = staff.as_deref();
        let client_id = input
            .client_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(limits::check_client_id)
            .transpose()?;
        self.write_any(|conn| {
            // Counters billing one customer take turns from here (one on SQLite anyway), so
            // a bill sent again by another counter finds the first one committed and replays it.
            db::customers::hold(conn, input.customer_id)?;
            let ((code, exp), rules) = loyalty::bill_settings(conn)?;
            if let Some(cid) = client_id {
                if let Some(id) = db::purchases::id_by_client_id(conn, cid)? {
                    return replay(conn, id, &input, exp);
                }
            }
            let (customer, total_minor) =
                billable(conn, input.customer_id, &input.amount, &code, exp)?;
            let f = figures(conn, customer.id, total_minor, exp, input.at.as_deref())?;
            let (at, judged) = (f.at, f.judged);
            let items = valid_items(&input.items, total_minor, &code, exp)?;
            let payment = valid_payment(input.payment_method.as_deref())?;
            let tiers = loyalty::tiers(conn)?;
            let applied = voucher_code(&input)
                .map(|c| vouchers::apply(conn, c, customer.id, total_minor, at))
                .transpose()?;
            let p = plan(
                conn,
                (&rules, &tiers),
                customer.id,
                total_minor,
                input.redeem.unwrap_or(0),
                &f,
                applied.as_ref(),
            )?;
            loyalty::record_expiries(conn, customer.id, &p.due)?;
            // Time passed since the last evaluation: record where she stands before this bill.
            tier_move(
                conn,
                customer.id,
                judged,
                p.recorded_tier.as_deref(),
                p.tier_before.as_deref(),
                p.spend_before,
            )?;
            let note = input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let now = time::now();
            let id = db::purchases::insert(
                conn,
                &NewPurchase {
                    client_id,
                    customer_id: customer.id,
                    at,
                    total_minor,
                    payment_method: &payment,
                    note,
                    staff,
                    discount_minor: p.discount_minor + p.voucher_minor,
                    counter: actor.counter.as_deref(),
                },
                &items,
                now,
            )?;
            bill_points(conn, customer.id, &p, at, id, staff, now)?;
            if let Some(a) = &applied {
                vouchers::record(conn, a, customer.id, id, at, p.bonus)?;
            }
            let vouchers_issued =
                vouchers::issue_earned(conn, customer.id, id, at, total_minor, now)?;
            let voucher = applied.as_ref().map(|a| vouchers::used(a, p.bonus, exp));
            let (spend_after, tier_after) =
                count_bill(conn, &tiers, customer.id, &p, at, judged, total_minor)?;
            let purchase = db::purchases::get(conn, id, exp)?
                .ok_or_else(|| CoreError::Internal("purchase vanished".into()))?;
            let balance_after = p.balance.saturating_sub(p.points).saturating_add(p.earn);
            audit::record(
                conn,
                &actor
                    .entry("purchase.add", "purchase")
                    .entity_id(id)
                    .customer(customer.id)
                    .after(json!({
                        "purchase": audit::snapshot(&purchase)?,
                        "points_earned": p.earn,
                        "points_redeemed": p.points,
                        "voucher": voucher,
                        "vouchers_issued": vouchers_issued.iter().map(|v| &v.code).collect::<Vec<_>>(),
                    })),
            )?;
            // A bill dated now needs no second look at the window; a back-dated one does.
            let loyalty = if (0..60).contains(&now.saturating_sub(at)) {
                loyalty::view_of(&tiers, balance_after, tier_after.clone(), spend_after, exp)
            } else {
                loyalty::view(conn, customer.id, exp)?
            };
            Ok(PurchaseResult {
                purchase,
                stats: stats(conn, customer.id, exp)?,
                points_earned: p.earn,
                points_redeemed: p.points,
                discount: money::from_minor(p.discount_minor, exp),
                loyalty,
                tier_changed: tier_after != p.tier_before,
                voucher,
                vouchers_issued,
            })
        })
    }

    /// What a bill would cost with `redeem` points, checked like a real purchase.
    pub fn quote(&self, input: &PurchaseInput) -> Result<Quote> {
        self.require(Perm::View)?;
        self.read(|conn| quote_on(conn, input))
    }

    /// Refund all that is left of a purchase, or `amount` of it. The money paid back is at
    /// most what was paid in money (total - points discount); the refund is stored as the
    /// share of the bill it undoes, so a full refund takes the whole bill off the customer's
    /// spend. Points redeemed come back, and points earned are reversed (never below a zero
    /// balance: the rest is recorded as a shortfall), both in proportion to that share.
    pub fn refund(
        &self,
        purchase_id: i64,
        amount: Option<&str>,
        staff: Option<&str>,
    ) -> Result<RefundResult> {
        let actor = self.require(Perm::Refund)?;
        let staff = actor.attribution(staff);
        let staff = staff.as_deref();
        self.write_any(|conn| {
            let (code, exp) = currency(conn)?;
            let (customer_id, total, discount) = db::purchases::bill(conn, purchase_id)?
                .ok_or(CoreError::PurchaseNotFound(purchase_id))?;
            // Refunds of one bill from several counters take turns on its customer, as its
            // bills do: the second sees what the first gave back.
            db::customers::hold(conn, customer_id)?;
            let paid = total.saturating_sub(discount).max(0);
            let done = db::loyalty::refunded(conn, purchase_id)?;
            if done >= total {
                return Err(CoreError::FullyRefunded);
            }
            let money_done = money::refund_money(total, paid, done);
            let money_left = (paid - money_done).max(0);
            let money_minor = refund_amount(amount, &code, exp, money_left)?;
            // Cumulative: several partial refunds end exactly at the whole bill.
            let share_after = if money_minor == money_left {
                total
            } else {
                money::refund_share(total, paid, money_done + money_minor)
            };
            let amount_minor = (share_after - done).clamp(1, total - done);
            let now = time::now();
            let rules = loyalty::rules(conn)?;
            apply_expiry(conn, customer_id, &rules, now)?;
            let refund_id =
                db::loyalty::insert_refund(conn, purchase_id, amount_minor, now, staff)?;
            let ids = (customer_id, purchase_id, refund_id);
            let (give_back, take, owed) =
                refund_points(conn, ids, staff, now, done + amount_minor, total)?;
            db::customers::add_refund_stats(conn, customer_id, amount_minor)?;
            evaluate_tier(conn, &loyalty::tiers(conn)?, customer_id, now)?;
            let full = done + amount_minor >= total;
            let voucher = vouchers::after_refund(conn, purchase_id, full, now)?;
            let out = RefundResult {
                refund: Refund {
                    id: refund_id,
                    purchase_id,
                    amount: money::from_minor(money_minor, exp),
                    at: time::from_unix(now),
                },
                points_reversed: take,
                points_returned: give_back,
                shortfall: owed - take,
                loyalty: loyalty::view(conn, customer_id, exp)?,
                voucher,
            };
            audit::record(
                conn,
                &actor
                    .entry("purchase.refund", "purchase")
                    .entity_id(purchase_id)
                    .customer(customer_id)
                    .after(json!({
                        "refund": audit::snapshot(&out.refund)?,
                        "bill_share": money::from_minor(amount_minor, exp),
                        "points_reversed": take,
                        "points_returned": give_back,
                        "shortfall": owed - take,
                        "voucher": out.voucher,
                    })),
            )?;
            Ok(out)
        })
    }

    pub fn purchases_of(&self, customer_id: i64, limit: u32) -> Result<Vec<Purchase>> {
        self.require(Perm::View)?;
        self.read(|conn| {
            existing(conn, customer_id)?;
            db::purchases::for_customer(conn, customer_id, limit, currency(conn)?.1)
        })
    }

    pub fn purchase(&self, id: i64) -> Result<Purchase> {
        self.require(Perm::View)?;
        self.read(|conn| {
            db::purchases::get(conn, id, currency(conn)?.1)?.ok_or(CoreError::PurchaseNotFound(id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomerInput;
    use crate::store::settings::currency;
    use rusqlite::Connection;

    const DAY: i64 = 86_400;

    fn shop() -> (Store, i64, i64) {
        let s = Store::open_in_memory().unwrap();
        let add = |name: &str, phone: &str| {
            s.add_customer(CustomerInput {
                name: Some(name.into()),
                phone: Some(phone.into()),
                ..Default::default()
            })
            .unwrap()
            .id
        };
        let (a, b) = (add("Lan", "0912000001"), add("Huệ", "0912000002"));
        (s, a, b)
    }

    fn buy(s: &Store, id: i64, amount: &str, at: i64) -> i64 {
        s.add_purchase(PurchaseInput {
            customer_id: id,
            amount: amount.into(),
            at: Some(time::from_unix(at).to_rfc3339()),
            ..Default::default()
        })
        .unwrap()
        .purchase
        .id
    }

    /// The one pass a bill makes over the customer's purchases gives exactly the two
    /// queries it replaced, whatever the window, bounds and refunds included.
    #[test]
    fn gross_and_spend_is_gross_total_and_spend_in_one_pass() {
        let (s, a, b) = shop();
        let now = time::now();
        let times: Vec<i64> = [400, 366, 365, 200, 30, 1]
            .iter()
            .map(|d| now - d * DAY)
            .collect();
        let mut bills = Vec::new();
        for (i, &at) in times.iter().enumerate() {
            bills.push(buy(&s, a, &format!("{}", 100_000 + i * 7_000), at));
            buy(&s, b, "55000", at);
        }
        // Two refunds of the customer's bills (one old, one recent), one of the other's.
        s.refund(bills[0], Some("20000"), None).unwrap();
        s.refund(bills[4], None, None).unwrap();
        let other = s.purchases_of(b, 1).unwrap()[0].id;
        s.refund(other, Some("5000"), None).unwrap();
        let conn = s.writer().unwrap();
        let mut edges = vec![i64::MIN, 0, now, now + DAY, i64::MAX];
        for &t in &times {
            edges.extend([t - 1, t, t + 1]);
        }
        for &until in &edges {
            for &since in &edges {
                for id in [a, b, 999] {
                    assert_eq!(
                        db::purchases::gross_and_spend(&conn, id, since, until).unwrap(),
                        (
                            db::purchases::gross_total(&conn, id).unwrap(),
                            db::loyalty::spend(&conn, id, since, until).unwrap()
                        ),
                        "customer {id}, ({since}, {until}]"
                    );
                }
            }
        }
    }

    fn row(conn: &Connection, id: i64) -> Vec<rusqlite::types::Value> {
        conn.query_row("SELECT * FROM customers WHERE id = ?1", [id], |r| {
            (0..r.as_ref().column_count()).map(|i| r.get(i)).collect()
        })
        .unwrap()
    }

    /// The bill counted without touching first_purchase_at leaves the same row as the
    /// general update, and declines (changing nothing) when the bill could be the first.
    #[test]
    fn a_later_bill_counts_as_the_general_update_does() {
        let (s, a, b) = shop();
        let first = time::now() - 100 * DAY;
        buy(&s, a, "100000", first);
        let conn = s.writer().unwrap();
        for (id, at, later) in [
            (a, first + DAY, true),
            (a, first, true),
            (a, first - 1, false),
            (b, first, false), // no purchase yet
        ] {
            conn.execute_batch("SAVEPOINT general").unwrap();
            db::customers::add_purchase_stats(&conn, id, at, 42_000).unwrap();
            let general = row(&conn, id);
            conn.execute_batch("ROLLBACK TO general; RELEASE general")
                .unwrap();
            let before = row(&conn, id);
            conn.execute_batch("SAVEPOINT later").unwrap();
            assert_eq!(
                db::purchases::count_later_bill(&conn, id, at, 42_000).unwrap(),
                later,
                "customer {id} at {at}"
            );
            assert_eq!(row(&conn, id), if later { general } else { before });
            conn.execute_batch("ROLLBACK TO later; RELEASE later")
                .unwrap();
        }
    }

    /// The one read of the settings a bill makes gives the currency and rules that reading
    /// them key by key gives.
    #[test]
    fn bill_settings_read_once_match_key_by_key() {
        let (s, _, _) = shop();
        let by_key = |conn: &Connection| {
            let (_, exp) = currency(conn).unwrap();
            let get = |k: &str| db::settings::get(conn, &format!("loyalty.{k}")).unwrap();
            (
                currency(conn).unwrap(),
                exp,
                get("earn_per"),
                get("expiry_months"),
            )
        };
        let check = |s: &Store| {
            let conn = s.writer().unwrap();
            let ((code, exp), r) = loyalty::bill_settings(&conn).unwrap();
            let (cur, e, earn_per, expiry) = by_key(&conn);
            assert_eq!((code, exp), cur);
            assert_eq!(exp, e);
            if let Some(v) = earn_per {
                let d = Decimal::from_str(&v).unwrap();
                assert_eq!(r.earn_per, money::to_minor(d, exp).unwrap());
            }
            if let Some(v) = expiry {
                assert_eq!(r.expiry_months, v.parse::<i64>().unwrap());
            }
            r
        };
        // Nothing stored: VND and the defaults.
        let defaults = check(&s);
        assert_eq!(
            (
                defaults.earn_per,
                defaults.point_value,
                defaults.expiry_months
            ),
            (10_000, 1_000, 12)
        );
        // Keys around the loyalty prefix are not rules.
        {
            let conn = s.writer().unwrap();
            for k in ["loyalty", "loyalty/", "loyaltyx", "loyalty.zzz"] {
                db::settings::set(&conn, k, "7").unwrap();
            }
        }
        assert_eq!(check(&s), defaults);
        s.set_setting("currency", "USD").unwrap();
        let pairs: Vec<(String, String)> = [
            ("earn_per", "2.50"),
            ("point_value", "0.05"),
            ("min_redeem", "20"),
            ("max_redeem_percent", "30"),
            ("expiry_months", "6"),
            ("birthday_bonus", "5"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        s.set_loyalty_rules(&pairs).unwrap();
        let r = check(&s);
        assert_eq!(
            r,
            loyalty::Rules {
                earn_per: 250,
                point_value: 5,
                min_redeem: 20,
                max_redeem_percent: 30,
                expiry_months: 6,
                birthday_bonus: 5,
            }
        );
    }

    /// A bill over the customer's limit is refused as such even when its date is bad too
    /// (the limit is checked before the date, as before the two were read together).
    #[test]
    fn the_customer_limit_is_reported_before_a_bad_date() {
        let (s, a, _) = shop();
        s.writer()
            .unwrap()
            .execute(
                "INSERT INTO purchases (customer_id, at, total_minor, payment_method, created_at)
                 VALUES (?1, 1700000000, ?2, 'cash', 1700000000)",
                rusqlite::params![a, limits::CUSTOMER_TOTAL_MAX_MINOR],
            )
            .unwrap();
        let input = PurchaseInput {
            customer_id: a,
            amount: "1000".into(),
            at: Some("not a date".into()),
            ..Default::default()
        };
        let over = |e: CoreError| matches!(e, CoreError::CustomerTotalOverLimit { .. });
        assert!(over(s.add_purchase(input.clone()).unwrap_err()));
        assert!(over(s.quote(&input).unwrap_err()));
        // Within the limit, the date's own error.
        let input = PurchaseInput {
            amount: "0".into(),
            ..input
        };
        assert!(!over(s.add_purchase(input.clone()).unwrap_err()));
        assert!(!over(s.quote(&input).unwrap_err()));
    }
}
