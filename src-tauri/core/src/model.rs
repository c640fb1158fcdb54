//! Domain types, serialised the same way for the CLI's --json and for IPC.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub phone: String,
    pub phone_display: String,
    /// "YYYY-MM-DD", or "--MM-DD" when the year is unknown.
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub tags: Vec<String>,
    pub referred_by: Option<i64>,
    pub referred_by_name: Option<String>,
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
}

/// Add or edit. On edit an absent field is left alone and an empty string clears it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub code: Option<String>,
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub tags: Option<Vec<String>>,
    /// A customer id, phone or code.
    pub referred_by: Option<String>,
    pub source: Option<String>,
}

pub const GENDERS: &[&str] = &["male", "female", "other"];
pub const SOURCES: &[&str] = &["walk_in", "facebook", "zalo", "referral", "other"];
pub const PAYMENT_METHODS: &[&str] = &["cash", "card", "transfer", "ewallet", "other"];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub visits: i64,
    pub total_spent: Decimal,
    pub average_basket: Option<Decimal>,
    pub first_purchase_at: Option<DateTime<Utc>>,
    pub last_purchase_at: Option<DateTime<Utc>>,
    pub average_days_between_visits: Option<f64>,
}

/// A search result or list row: enough to pick a customer at the counter.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerRow {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    pub phone: String,
    pub phone_display: String,
    pub tags: Vec<String>,
    pub source: String,
    pub visits: i64,
    pub total_spent: Decimal,
    pub last_purchase_at: Option<DateTime<Utc>>,
    pub archived: bool,
    /// Filled by the loyalty feature.
    pub tier: Option<String>,
    pub points: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    #[default]
    Name,
    LastVisit,
    TotalSpent,
    Visits,
    Created,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub search: Option<String>,
    pub sort: SortKey,
    pub desc: bool,
    pub tag: Option<String>,
    pub source: Option<String>,
    pub include_archived: bool,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerPage {
    pub total: i64,
    pub rows: Vec<CustomerRow>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Purchase {
    pub id: i64,
    pub customer_id: i64,
    pub at: DateTime<Utc>,
    pub total: Decimal,
    pub payment_method: String,
    pub note: Option<String>,
    pub staff: Option<String>,
    pub items: Vec<PurchaseItem>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PurchaseItem {
    pub product: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub line_total: Decimal,
    pub warranty_months: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PurchaseInput {
    pub customer_id: i64,
    pub amount: String,
    /// RFC 3339, or "YYYY-MM-DD[THH:MM]" in the shop's time zone; now when absent.
    pub at: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemInput>,
    pub payment_method: Option<String>,
    pub note: Option<String>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub product: String,
    pub quantity: String,
    pub unit_price: String,
    pub warranty_months: Option<u32>,
}

impl ItemInput {
    /// "product;qty;unit price[;warranty months]", as the CLI takes it.
    pub fn parse_spec(spec: &str) -> crate::Result<ItemInput> {
        let parts: Vec<&str> = spec.split(';').map(str::trim).collect();
        let bad = || crate::CoreError::InvalidInput(format!("--item {spec:?}"));
        let warranty_months = match parts.get(3) {
            Some(w) if !w.is_empty() => Some(w.parse().map_err(|_| bad())?),
            _ => None,
        };
        match parts.as_slice() {
            [product, qty, price] | [product, qty, price, _] => Ok(ItemInput {
                product: (*product).to_owned(),
                quantity: (*qty).to_owned(),
                unit_price: (*price).to_owned(),
                warranty_months,
            }),
            _ => Err(bad()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PurchaseResult {
    pub purchase: Purchase,
    pub stats: Stats,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub customer: Customer,
    pub stats: Stats,
    pub purchases: Vec<Purchase>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Settings {
    pub shop_name: String,
    pub currency: String,
    pub currency_exponent: u32,
    pub timezone: String,
    pub language: String,
    pub currency_locked: bool,
}
