//! Loyalty cards (thẻ khách hàng thân thiết): a card number per customer, scanned or typed at
//! the counter as an exact match (see `customers::search_ids`), and a printable PDF sheet of
//! 85.6 × 54 mm cards with the shop's name, the customer's name and tier, and a QR code.

pub mod pdf;

use crate::customers::filter::filter_sql;
use crate::customers::CARD_MAX;
use crate::db;
use crate::error::{CoreError, Result};
use crate::model::{CardAssignResult, CardPrintResult, CustomerFilter};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::Store;
use crate::time;
use serde_json::json;
use std::path::Path;

/// The most cards one sheet file holds.
pub const PRINT_MAX: usize = 10_000;
/// Cards on one A4 page.
pub const PER_PAGE: usize = 10;

/// The EAN-13 check digit of 12 digits.
pub fn ean13_check(digits: &[u8; 12]) -> u8 {
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// The card number the shop gives customer `id`: an in-store EAN-13 ("2", the id in 11
/// digits, a check digit), which every barcode scanner reads and types as plain digits.
pub fn card_number(id: i64) -> String {
    let body = format!("2{:011}", id.clamp(0, 99_999_999_999));
    let mut digits = [0u8; 12];
    for (d, c) in digits.iter_mut().zip(body.bytes()) {
        *d = c - b'0';
    }
    format!("{body}{}", ean13_check(&digits))
}

/// A number the owner types (a pre-printed card): 4 to 32 letters, digits or dashes,
/// stored in capitals without spaces.
pub fn valid_number(typed: &str) -> Result<String> {
    let n: String = typed
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if (4..=CARD_MAX).contains(&n.len())
        && n.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    {
        Ok(n)
    } else {
        Err(CoreError::CardInvalid(typed.chars().take(40).collect()))
    }
}

/// The customers a card command is for: one reference, else the filter's list.
fn targets(conn: db::Conn, reference: Option<&str>, filter: &CustomerFilter) -> Result<Vec<i64>> {
    match reference.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Ok(vec![crate::customers::resolve(conn, r)?]),
        None => db::filter::filter_ids(conn, &filter_sql(conn, filter)?),
    }
}

/// Give each of `ids` without a card the shop's number for them: how many were given.
fn assign(conn: db::Conn, ids: &[i64], now: i64) -> Result<i64> {
    let mut n = 0;
    for id in db::customers::without_card(conn, ids)? {
        let number = card_number(id);
        db::customers::hold_card(conn, &number)?;
        // A shop's own pre-printed number may already be this one: leave that customer be.
        if db::customers::card_holder(conn, &number)?.is_none() {
            db::customers::set_card(conn, id, Some(&number), now)?;
            n += 1;
        }
    }
    Ok(n)
}

impl Store {
    /// Card numbers for a customer (`reference`) or a list (`filter`): those who have one
    /// keep it.
    pub fn assign_cards(
        &self,
        reference: Option<&str>,
        filter: &CustomerFilter,
    ) -> Result<CardAssignResult> {
        let actor = self.require(Perm::Promotions)?;
        self.write_any(|conn| {
            let ids = targets(conn, reference, filter)?;
            let assigned = assign(conn, &ids, time::now())?;
            if assigned > 0 {
                audit::record(
                    conn,
                    &actor.entry("card.assign", "customer").after(
                        json!({"filter": filter, "reference": reference, "assigned": assigned}),
                    ),
                )?;
            }
            Ok(CardAssignResult {
                customers: ids.len() as i64,
                assigned,
            })
        })
    }

    /// A customer's own card number (a pre-printed card), or none with `None`.
    pub fn set_card_number(
        &self,
        customer_id: i64,
        number: Option<&str>,
    ) -> Result<crate::model::Customer> {
        let actor = self.require(Perm::Promotions)?;
        self.write_any(|conn| {
            let before = db::customers::existing(conn, customer_id)?;
            let number = number.map(valid_number).transpose()?;
            if let Some(n) = &number {
                // Held before it is checked: two counters giving it at once take turns.
                db::customers::hold_card(conn, n)?;
                if let Some((id, name)) = db::customers::card_holder(conn, n)? {
                    if id != customer_id {
                        return Err(CoreError::CardTaken {
                            number: n.clone(),
                            name,
                        });
                    }
                }
            }
            db::customers::set_card(conn, customer_id, number.as_deref(), time::now())?;
            let after = db::customers::existing(conn, customer_id)?;
            audit::record_change(
                conn,
                actor
                    .entry("card.set", "customer")
                    .about(customer_id, customer_id),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }

    /// A PDF sheet of cards for a customer or a list; customers without a number get one
    /// first. At most [`PRINT_MAX`] cards per file.
    pub fn print_cards(
        &self,
        reference: Option<&str>,
        filter: &CustomerFilter,
        path: &Path,
        label: &str,
    ) -> Result<CardPrintResult> {
        let actor = self.require(Perm::Promotions)?;
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext != "pdf" {
            return Err(CoreError::CardFormat(ext));
        }
        let (ids, assigned) = self.write_any(|conn| {
            let ids = targets(conn, reference, filter)?;
            if ids.is_empty() {
                return Err(CoreError::CardNone);
            }
            if ids.len() > PRINT_MAX {
                return Err(CoreError::CardTooMany { max: PRINT_MAX });
            }
            let assigned = assign(conn, &ids, time::now())?;
            Ok((ids, assigned))
        })?;
        let (shop, faces) = self.read(|conn| {
            let shop = db::settings::get(conn, "shop_name")?.unwrap_or_else(|| "Khách Quen".into());
            let mut faces = Vec::with_capacity(ids.len());
            for &id in &ids {
                let c = db::customers::existing(conn, id)?;
                let Some(number) = c.card_no else { continue };
                faces.push((c.name, db::loyalty::current_tier(conn, id)?, number));
            }
            Ok((shop, faces))
        })?;
        let cards: Vec<pdf::CardFace> = faces
            .iter()
            .map(|(name, tier, number)| pdf::CardFace {
                shop: &shop,
                name,
                tier: tier.as_deref(),
                number,
                label,
            })
            .collect();
        let bytes = pdf::sheet(&cards).map_err(CoreError::Internal)?;
        self.write_user_file(path, |tmp| Ok(std::fs::write(tmp, &bytes)?))?;
        let out = CardPrintResult {
            path: path.display().to_string(),
            cards: cards.len() as i64,
            pages: cards.len().div_ceil(PER_PAGE) as i64,
            assigned,
        };
        self.audit_append(
            &actor
                .entry("card.print", "export")
                .after(json!({"file": out.path, "cards": out.cards, "assigned": assigned})),
        )?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_in_store_ean13() {
        // 2 00000000001 → check digit by the EAN rule (1·2 + 3·0 … + 3·1 = 5 → 5).
        assert_eq!(card_number(1), "2000000000015");
        for id in [1, 42, 99_999, 12_345_678_901] {
            let n = card_number(id);
            assert_eq!(n.len(), 13);
            let d: Vec<u32> = n.bytes().map(|b| u32::from(b - b'0')).collect();
            let sum: u32 = d
                .iter()
                .enumerate()
                .map(|(i, x)| x * if i % 2 == 0 { 1 } else { 3 })
                .sum();
            assert_eq!(sum % 10, 0, "{n}");
        }
        assert_eq!(valid_number(" ab-12 34 ").unwrap(), "AB-1234");
        for bad in ["abc", "12 3", "Thẻ1234", &"9".repeat(33)] {
            assert!(valid_number(bad).is_err(), "{bad}");
        }
    }
}
