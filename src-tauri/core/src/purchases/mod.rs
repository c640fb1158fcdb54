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
use crate::store::session::Perm;
use crate::store::settings::{any_purchase_date, currency, timezone};
use crate::store::Store;
use crate::{limits, money, time};
use rusqlite::Connection;
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
    discount_minor: i64,
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
    conn: &Connection,
    rules: &Rules,
    tiers: &[TierDef],
    customer_id: i64,
    total_minor: i64,
    redeem: i64,
    at: i64,
) -> Result<Plan> {
    let moves = db::loyalty::movements(conn, customer_id)?;
    let due = loyalty::expiries_due(&moves, rules.expiry_months, at);
    let balance =
        points_sum(moves.iter().map(|m| m.1)).saturating_sub(points_sum(due.iter().map(|d| d.1)));
    let discount_minor = redeem_discount(redeem, total_minor, balance, rules)?;
    let judged = tier_time(at);
    let spend_before = db::loyalty::spend(conn, customer_id, loyalty::year_ago(judged), judged)?;
    let before = loyalty::tier_for(tiers, spend_before);
    Ok(Plan {
        total_minor,
        discount_minor,
        points: redeem,
        earn: limits::cap_earned(
            earn_points(
                total_minor - discount_minor,
                rules,
                before.map_or(Decimal::ONE, |t| t.multiplier),
            ),
            balance - redeem,
        ),
        balance,
        due,
        max_points: loyalty::max_points(total_minor, balance, rules),
        spend_before,
        recorded_tier: db::loyalty::current_tier(conn, customer_id)?,
        tier_before: before.map(|t| t.name.clone()),
    })
}

/// The stored result of a purchase, for a replay of its client id.
fn replay(
    conn: &Connection,
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
    Ok(PurchaseResult {
        stats: stats(conn, purchase.customer_id, exp)?,
        loyalty: loyalty::view(conn, purchase.customer_id, exp)?,
        points_earned: earned,
        points_redeemed: redeemed,
        discount: purchase.discount,
        tier_changed: false,
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
fn at_or_now(conn: &Connection, at: Option<&str>) -> Result<i64> {
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
fn refund_points(
    conn: &Connection,
    (customer_id, purchase_id, refund_id): (i64, i64, i64),
    staff: Option<&str>,
    now: i64,
    share: i64,
    total: i64,
) -> Result<(i64, i64, i64)> {
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

/// The customer a bill is for (refused when archived) and the bill's total, within the
/// per-bill limit and the customer's.
fn billable(
    conn: &Connection,
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
    limits::check_customer_total(
        db::purchases::gross_total(conn, customer.id)?,
        total_minor,
        exp,
    )?;
    Ok((customer, total_minor))
}

/// A tier move from `from` to `to`, recorded when they differ.
fn tier_move(
    conn: &Connection,
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
    conn: &Connection,
    tiers: &[TierDef],
    customer_id: i64,
    p: &Plan,
    at: i64,
    judged: i64,
    total_minor: i64,
) -> Result<(i64, Option<String>)> {
    db::customers::add_purchase_stats(conn, customer_id, at, total_minor)?;
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
    conn: &Connection,
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

impl Store {
    pub fn add_purchase(&self, input: PurchaseInput) -> Result<PurchaseResult> {
        let actor = self.require(Perm::Serve)?;
        let staff = actor.attribution(input.staff.as_deref());
        let staff = staff.as_deref();
        self.write(|conn| {
            let (code, exp) = currency(conn)?;
            let client_id = input
                .client_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            if let Some(cid) = client_id {
                if let Some(id) = db::purchases::id_by_client_id(conn, cid)? {
                    return replay(conn, id, &input, exp);
                }
            }
            let (customer, total_minor) =
                billable(conn, input.customer_id, &input.amount, &code, exp)?;
            let at = at_or_now(conn, input.at.as_deref())?;
            let items = valid_items(&input.items, total_minor, &code, exp)?;
            let payment = valid_payment(input.payment_method.as_deref())?;
            let rules = loyalty::rules(conn)?;
            let tiers = loyalty::tiers(conn)?;
            let p = plan(
                conn,
                &rules,
                &tiers,
                customer.id,
                total_minor,
                input.redeem.unwrap_or(0),
                at,
            )?;
            loyalty::record_expiries(conn, customer.id, &p.due)?;
            let judged = tier_time(at);
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
                    discount_minor: p.discount_minor,
                },
                &items,
                now,
            )?;
            bill_points(conn, customer.id, &p, at, id, staff, now)?;
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
            })
        })
    }

    /// What a bill would cost with `redeem` points, checked like a real purchase.
    pub fn quote(&self, input: &PurchaseInput) -> Result<Quote> {
        self.require(Perm::View)?;
        let conn = self.reader();
        let (code, exp) = currency(&conn)?;
        existing(&conn, input.customer_id)?;
        let total_minor = bill_total(&input.amount, &code, exp)?;
        limits::check_customer_total(
            db::purchases::gross_total(&conn, input.customer_id)?,
            total_minor,
            exp,
        )?;
        let rules = loyalty::rules(&conn)?;
        let at = at_or_now(&conn, input.at.as_deref())?;
        let tiers = loyalty::tiers(&conn)?;
        let p = plan(
            &conn,
            &rules,
            &tiers,
            input.customer_id,
            total_minor,
            input.redeem.unwrap_or(0),
            at,
        )?;
        Ok(Quote {
            total: money::from_minor(p.total_minor, exp),
            points: p.points,
            discount: money::from_minor(p.discount_minor, exp),
            pay: money::from_minor(p.total_minor - p.discount_minor, exp),
            points_to_earn: p.earn,
            max_points: p.max_points,
            balance: p.balance,
            balance_after: p.balance.saturating_sub(p.points).saturating_add(p.earn),
        })
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
        self.write(|conn| {
            let (code, exp) = currency(conn)?;
            let (customer_id, total, discount) = db::purchases::bill(conn, purchase_id)?
                .ok_or(CoreError::PurchaseNotFound(purchase_id))?;
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
                    })),
            )?;
            Ok(out)
        })
    }

    pub fn purchases_of(&self, customer_id: i64, limit: u32) -> Result<Vec<Purchase>> {
        self.require(Perm::View)?;
        let conn = self.reader();
        existing(&conn, customer_id)?;
        db::purchases::for_customer(&conn, customer_id, limit, currency(&conn)?.1)
    }

    pub fn purchase(&self, id: i64) -> Result<Purchase> {
        self.require(Perm::View)?;
        let conn = self.reader();
        db::purchases::get(&conn, id, currency(&conn)?.1)?.ok_or(CoreError::PurchaseNotFound(id))
    }
}
