//! Recording purchases: amounts in the shop currency, optional line items that add up.

use crate::customers::{get as get_customer, stats};
use crate::db::{self, purchases::NewItem, purchases::NewPurchase};
use crate::error::{CoreError, Result};
use crate::model::{Purchase, PurchaseInput, PurchaseResult, PAYMENT_METHODS};
use crate::settings::{currency, timezone};
use crate::store::Store;
use crate::{money, time};
use rust_decimal::Decimal;
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

impl Store {
    pub fn add_purchase(&self, input: PurchaseInput) -> Result<PurchaseResult> {
        self.write(|conn| {
            let (code, exp) = currency(conn)?;
            let customer = get_customer(conn, input.customer_id)?;
            if customer.archived_at.is_some() {
                return Err(CoreError::CustomerArchived(customer.name));
            }
            let total = money::parse_amount(&input.amount, &code, exp)?;
            let total_minor = money::to_minor(total, exp)?;
            let at = match input.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => time::parse_instant(s, timezone(conn)?)?,
                None => time::now(),
            };
            let mut items = Vec::with_capacity(input.items.len());
            let mut sum = 0i64;
            for (i, it) in input.items.iter().enumerate() {
                let product = it.product.trim();
                if product.is_empty() {
                    return Err(item_err(i, "product"));
                }
                let qty = Decimal::from_str(it.quantity.trim())
                    .ok()
                    .filter(|q| *q > Decimal::ZERO && q.scale() <= 3)
                    .ok_or_else(|| item_err(i, "quantity"))?;
                let price = money::parse_amount(&it.unit_price, &code, exp)?;
                let line = qty.checked_mul(price).ok_or(CoreError::AmountTooLarge)?;
                // A line total must be a whole number of minor units, e.g. 0.5 × 3 VND is not.
                money::check_amount(line, &code, exp).map_err(|_| item_err(i, "line_total"))?;
                let line_minor = money::to_minor(line, exp)?;
                sum = sum
                    .checked_add(line_minor)
                    .ok_or(CoreError::AmountTooLarge)?;
                items.push(NewItem {
                    product,
                    quantity: qty.normalize(),
                    unit_price_minor: money::to_minor(price, exp)?,
                    line_total_minor: line_minor,
                    warranty_months: it.warranty_months,
                });
            }
            if !items.is_empty() && sum != total_minor {
                return Err(CoreError::ItemsMismatch {
                    items_total: money::from_minor(sum, exp).to_string(),
                    total: money::from_minor(total_minor, exp).to_string(),
                });
            }
            let payment = valid_payment(input.payment_method.as_deref())?;
            let note = input
                .note
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let staff = input
                .staff
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            let p = NewPurchase {
                client_id: None,
                customer_id: customer.id,
                at,
                total_minor,
                payment_method: &payment,
                note,
                staff,
            };
            let id = db::purchases::insert(conn, &p, &items, time::now())?;
            db::customers::add_purchase_stats(conn, customer.id, at, total_minor)?;
            let purchase = db::purchases::get(conn, id, exp)?
                .ok_or_else(|| CoreError::Internal("purchase vanished".into()))?;
            Ok(PurchaseResult {
                purchase,
                stats: stats(conn, customer.id, exp)?,
            })
        })
    }

    pub fn purchases_of(&self, customer_id: i64, limit: u32) -> Result<Vec<Purchase>> {
        let conn = self.reader();
        get_customer(&conn, customer_id)?;
        db::purchases::for_customer(&conn, customer_id, limit, currency(&conn)?.1)
    }

    pub fn purchase(&self, id: i64) -> Result<Purchase> {
        let conn = self.reader();
        db::purchases::get(&conn, id, currency(&conn)?.1)?.ok_or(CoreError::PurchaseNotFound(id))
    }
}
