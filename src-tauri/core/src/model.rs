//! Domain types, serialised the same way for the CLI's --json and for IPC.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub code: Option<String>,
    pub name: String,
    /// Normalised; None for a customer known only by name or card code.
    pub phone: Option<String>,
    /// Grouped for reading; empty when there is no phone.
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
    /// The loyalty card's number, when the customer has one.
    pub card_no: Option<String>,
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
    /// Normalised; None for a customer known only by name or card code.
    pub phone: Option<String>,
    /// Grouped for reading; empty when there is no phone.
    pub phone_display: String,
    pub tags: Vec<String>,
    pub source: String,
    pub visits: i64,
    pub total_spent: Decimal,
    pub last_purchase_at: Option<DateTime<Utc>>,
    pub archived: bool,
    pub tier: Option<String>,
    pub points: Option<i64>,
    /// From the latest analytics refresh; null before the first.
    pub segment: Option<String>,
    pub stage: Option<String>,
    pub p_alive: Option<f64>,
    pub clv: Option<Decimal>,
    pub at_risk: bool,
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
    /// Analytics filters: an RFM segment, a lifecycle stage, only customers at risk.
    pub segment: Option<String>,
    pub stage: Option<String>,
    pub at_risk: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerPage {
    /// How many customers match, counted up to 1,000 (or to the end of the page asked for,
    /// if further): a one-letter search at a million customers stops counting there.
    pub total: i64,
    /// More customers match than `total` ("hơn 1.000 khách").
    pub total_capped: bool,
    pub rows: Vec<CustomerRow>,
}

/// A counter search: the best matches and how many there are in all.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub rows: Vec<CustomerRow>,
    /// How many match, counted up to 1,000.
    pub total: i64,
    /// More than `total` match ("20 / hơn 1.000 khách").
    pub total_capped: bool,
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
    /// Taken off by a voucher and paid with points; the customer paid total - discount.
    pub discount: Decimal,
    /// Money refunded so far (never more than `paid`).
    pub refunded: Decimal,
    /// Paid in money: total - discount.
    pub paid: Decimal,
    /// Money a refund may still pay back.
    pub refundable: Decimal,
    /// Points redeemed on this bill that a refund of the rest gives back.
    pub points_back: i64,
    /// The voucher code the bill used, and its part of `discount`.
    pub voucher: Option<String>,
    pub voucher_discount: Decimal,
    /// The counter (computer) that recorded it, when named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PurchaseItem {
    pub product: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub line_total: Decimal,
    pub warranty_months: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Points to redeem on this bill.
    pub redeem: Option<i64>,
    /// Generated by the client once per bill: a replay records nothing new.
    pub client_id: Option<String>,
    /// A voucher code, typed or scanned: applied first, points then pay on what remains.
    pub voucher: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub product: String,
    pub quantity: String,
    pub unit_price: String,
    pub warranty_months: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PurchaseResult {
    pub purchase: Purchase,
    pub stats: Stats,
    pub points_earned: i64,
    pub points_redeemed: i64,
    /// Paid with points (a voucher's part is in `voucher`).
    pub discount: Decimal,
    pub loyalty: CustomerLoyalty,
    pub tier_changed: bool,
    pub voucher: Option<VoucherUse>,
    /// Vouchers this bill earned for a next purchase.
    pub vouchers_issued: Vec<Voucher>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    pub customer: Customer,
    pub stats: Stats,
    pub purchases: Vec<Purchase>,
    pub loyalty: CustomerLoyalty,
    pub ledger: Vec<LedgerEntry>,
    pub tier_history: Vec<TierMove>,
    /// From the latest analytics refresh; null before it or for a customer who never bought.
    pub scores: Option<Scores>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Settings {
    pub shop_name: String,
    pub currency: String,
    pub currency_exponent: u32,
    pub timezone: String,
    pub language: String,
    pub currency_locked: bool,
    /// The window locks itself after this many idle minutes.
    pub idle_lock_minutes: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoyaltyRules {
    /// Money spent for one point.
    pub earn_per: Decimal,
    /// Money one point is worth when redeemed.
    pub point_value: Decimal,
    pub min_redeem: i64,
    pub max_redeem_percent: i64,
    /// 0 = points never expire.
    pub expiry_months: i64,
    pub birthday_bonus: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tier {
    pub name: String,
    /// Spend over the rolling last 12 months.
    pub threshold: Decimal,
    pub multiplier: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    pub name: String,
    pub threshold: String,
    pub multiplier: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LoyaltyConfig {
    pub rules: LoyaltyRules,
    pub tiers: Vec<Tier>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerLoyalty {
    pub balance: i64,
    pub tier: Option<String>,
    pub multiplier: Decimal,
    pub spend_12m: Decimal,
    pub next_tier: Option<String>,
    pub next_threshold: Option<Decimal>,
    pub needed_for_next: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: String,
    pub points: i64,
    pub at: DateTime<Utc>,
    pub purchase_id: Option<i64>,
    pub staff: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierMove {
    pub at: DateTime<Utc>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub spend_12m: Decimal,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quote {
    pub total: Decimal,
    pub points: i64,
    /// Paid with points, on what the voucher leaves.
    pub discount: Decimal,
    pub voucher: Option<VoucherUse>,
    pub pay: Decimal,
    pub points_to_earn: i64,
    pub max_points: i64,
    pub balance: i64,
    pub balance_after: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Refund {
    pub id: i64,
    pub purchase_id: i64,
    pub amount: Decimal,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RefundResult {
    pub refund: Refund,
    pub points_reversed: i64,
    pub points_returned: i64,
    pub shortfall: i64,
    pub loyalty: CustomerLoyalty,
    /// The voucher the bill used: given back on a full refund while it is still valid.
    pub voucher: Option<VoucherRefund>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdjustResult {
    pub entry: LedgerEntry,
    pub loyalty: CustomerLoyalty,
}

#[derive(Debug, Clone, Serialize)]
pub struct PointsView {
    pub customer_id: i64,
    pub loyalty: CustomerLoyalty,
    pub ledger: Vec<LedgerEntry>,
    pub tier_history: Vec<TierMove>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct MaintenanceReport {
    pub as_of: String,
    pub expired_points: i64,
    pub expired_customers: i64,
    pub birthday_bonuses: i64,
    pub tier_moves: i64,
}

// Customer care (issue 7).

pub const CHANNELS: &[&str] = &[
    "phone", "zalo", "sms", "email", "facebook", "in_store", "other",
];
pub const REMINDER_KINDS: &[&str] = &[
    "manual",
    "thank_you",
    "check_in",
    "birthday",
    "warranty",
    "win_back",
    "stale",
];
/// The rules, in the order they run and report.
pub const RULE_KINDS: &[&str] = &[
    "thank_you",
    "check_in",
    "birthday",
    "warranty",
    "win_back",
    "stale",
];
pub const TICKET_STATUSES: &[&str] = &["open", "in_progress", "done"];

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reminder {
    pub id: i64,
    pub customer_id: i64,
    pub kind: String,
    pub due_date: String,
    pub due_time: Option<String>,
    pub title: Option<String>,
    pub note: Option<String>,
    pub assignee: Option<String>,
    pub status: String,
    pub overdue: bool,
    pub detail: serde_json::Value,
    pub snoozed_from: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub interaction_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReminderCustomer {
    pub id: i64,
    pub name: String,
    /// Normalised; None for a customer known only by name or card code.
    pub phone: Option<String>,
    /// Grouped for reading; empty when there is no phone.
    pub phone_display: String,
    pub tier: Option<String>,
    pub points: i64,
    pub visits: i64,
    pub total_spent: Decimal,
    pub last_purchase_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReminderRow {
    #[serde(flatten)]
    pub reminder: Reminder,
    pub customer: ReminderCustomer,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReminderGroup {
    pub total: i64,
    pub rows: Vec<ReminderRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TodayView {
    pub as_of: String,
    pub overdue: ReminderGroup,
    pub today: ReminderGroup,
    pub week: ReminderGroup,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderInput {
    pub customer_id: i64,
    pub due_date: String,
    pub due_time: Option<String>,
    pub title: Option<String>,
    pub note: Option<String>,
    pub assignee: Option<String>,
}

/// What happened when a reminder was acted on; recorded as an interaction.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareLog {
    pub channel: String,
    pub direction: Option<String>,
    pub summary: Option<String>,
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DaysRule {
    pub enabled: bool,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckInRule {
    pub enabled: bool,
    pub days: i64,
    pub min_amount: Decimal,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WinBackRule {
    pub enabled: bool,
    pub factor: Decimal,
    pub min_days: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StaleRule {
    pub enabled: bool,
    pub months: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReminderRules {
    pub thank_you: DaysRule,
    pub check_in: CheckInRule,
    pub birthday: DaysRule,
    pub warranty: DaysRule,
    pub win_back: WinBackRule,
    pub stale: StaleRule,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct GenerateCounts {
    pub thank_you: i64,
    pub check_in: i64,
    pub birthday: i64,
    pub warranty: i64,
    pub win_back: i64,
    pub stale: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GenerateReport {
    pub as_of: String,
    pub created: GenerateCounts,
    pub total: i64,
    /// Reminders found too late to be of use and so not created (a catch-up after days
    /// closed; see `reminders::CATCH_UP_DAYS`).
    pub skipped: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub channel: String,
    pub direction: String,
    pub summary: String,
    pub outcome: Option<String>,
    pub at: DateTime<Utc>,
    pub staff: Option<String>,
    pub reminder_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    pub customer_id: i64,
    pub channel: String,
    pub direction: Option<String>,
    pub summary: String,
    pub outcome: Option<String>,
    /// RFC 3339 or a shop-local time; now when absent.
    pub at: Option<String>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Survey {
    pub id: i64,
    pub customer_id: i64,
    pub purchase_id: Option<i64>,
    pub kind: String,
    pub score: i64,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    pub customer_id: i64,
    pub kind: String,
    pub score: i64,
    pub comment: Option<String>,
    pub purchase_id: Option<i64>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ScoreSummary {
    pub count: i64,
    pub latest: Option<i64>,
    /// One decimal, as text.
    pub average: Option<Decimal>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct NpsSummary {
    pub count: i64,
    pub latest: Option<i64>,
    pub average: Option<Decimal>,
    /// Promoters (9-10) minus detractors (0-6), in percent.
    pub score: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Satisfaction {
    pub csat: ScoreSummary,
    pub nps: NpsSummary,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Warranty {
    pub item_id: i64,
    pub purchase_id: i64,
    pub product: String,
    pub purchased_at: DateTime<Utc>,
    pub months: u32,
    pub ends: String,
    pub active: bool,
    pub days_left: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Ticket {
    pub id: i64,
    pub customer_id: i64,
    pub item_id: Option<i64>,
    pub product: Option<String>,
    pub title: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    pub customer_id: i64,
    pub item_id: Option<i64>,
    pub title: String,
    pub note: Option<String>,
    pub staff: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WarrantyView {
    pub customer: CustomerRow,
    pub warranties: Vec<Warranty>,
    pub tickets: Vec<Ticket>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purchase: Option<Purchase>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry: Option<LedgerEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder: Option<Reminder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<Interaction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey: Option<Survey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier_move: Option<TierMove>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CustomerRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Referrals {
    pub count: i64,
    pub customers: Vec<CustomerRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerCare {
    pub timeline: Vec<TimelineEvent>,
    pub open_reminders: Vec<Reminder>,
    pub satisfaction: Satisfaction,
    pub warranties: Vec<Warranty>,
    pub tickets: Vec<Ticket>,
    pub referred_by: Option<CustomerRef>,
    pub referrals: Referrals,
    pub details_confirmed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Template {
    pub id: i64,
    pub name: String,
    pub body: String,
    pub builtin: bool,
    pub updated_at: DateTime<Utc>,
    /// "vi" or "en", by the merge fields the body is written with; set when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateList {
    pub fields: Vec<&'static str>,
    pub templates: Vec<Template>,
    /// The language the list was chosen for (the shop's), when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rendered {
    pub customer_id: i64,
    pub name: String,
    /// Normalised; None for a customer known only by name or card code.
    pub phone: Option<String>,
    /// Grouped for reading; empty when there is no phone.
    pub phone_display: String,
    pub text: String,
    pub missing: Vec<&'static str>,
}

/// Which customers a bulk message goes to; every condition must hold.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub tag: Option<String>,
    pub source: Option<String>,
    pub tier: Option<String>,
    pub min_visits: Option<i64>,
    pub inactive_days: Option<i64>,
    pub birthday_month: Option<u32>,
    pub has_reminder: Option<String>,
    pub segment: Option<String>,
    pub stage: Option<String>,
    pub at_risk: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplatePreview {
    pub total: i64,
    pub missing: std::collections::BTreeMap<&'static str, i64>,
    pub samples: Vec<Rendered>,
    pub lacking: Vec<Rendered>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TemplateExport {
    pub path: String,
    pub rows: i64,
    pub missing: std::collections::BTreeMap<&'static str, i64>,
}

// A customer's scores (analytics computes them; the profile, the lists and the templates
// read them).

pub const SEGMENTS: &[&str] = &[
    "champions",
    "loyal",
    "potential_loyalist",
    "new",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
];
pub const STAGES: &[&str] = &["reach", "purchase", "develop", "retain", "advocacy"];

/// Rows R5..R1, columns F1..F5 (docs/IPC.md shows the same grid).
const GRID: [[&str; 5]; 5] = [
    [
        "new",
        "potential_loyalist",
        "potential_loyalist",
        "champions",
        "champions",
    ],
    [
        "potential_loyalist",
        "potential_loyalist",
        "loyal",
        "champions",
        "champions",
    ],
    [
        "hibernating",
        "potential_loyalist",
        "loyal",
        "loyal",
        "loyal",
    ],
    [
        "hibernating",
        "hibernating",
        "at_risk",
        "at_risk",
        "cant_lose",
    ],
    ["lost", "lost", "at_risk", "cant_lose", "cant_lose"],
];

pub fn segment(r: i64, f: i64) -> &'static str {
    let row = (5 - r.clamp(1, 5)) as usize;
    let col = (f.clamp(1, 5) - 1) as usize;
    GRID[row][col]
}

/// At risk: P(alive) below this, with total spent in the top quarter.
pub const AT_RISK_P_ALIVE: f64 = 0.5;

#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    pub r: i64,
    pub f: i64,
    pub m: i64,
    pub segment: String,
    pub stage: String,
    pub p_alive: Option<f64>,
    pub expected_purchases: Option<f64>,
    pub expected_spend: Option<Decimal>,
    pub clv: Option<Decimal>,
    pub at_risk: bool,
    pub next_visit: Option<String>,
    /// Why the figures seem to disagree, when they do (see [`why`]).
    pub why: Option<&'static str>,
    pub computed_at: chrono::DateTime<chrono::Utc>,
}

/// Segments that read as "doing well" and those that read as "slipping".
const GOOD: &[&str] = &["champions", "loyal", "potential_loyalist", "new"];
const SLIPPING: &[&str] = &["at_risk", "cant_lose", "hibernating", "lost"];

/// The one sentence (a code the window words) reconciling the segment, which ranks a
/// customer's last visit and visits against the other customers, with P(alive) and the
/// at-risk flag, which follow the customer's own rhythm:
/// - `one_purchase`: no repeat purchase, so no P(alive);
/// - `overdue`: a good segment, but away longer than their own rhythm (P(alive) < 50%);
/// - `slow_rhythm`: a slipping segment, but they always buy rarely (P(alive) ≥ 50%).
pub fn why(segment: &str, p_alive: Option<f64>, fitted: bool) -> Option<&'static str> {
    match p_alive {
        None if fitted => Some("one_purchase"),
        Some(p) if p < AT_RISK_P_ALIVE && GOOD.contains(&segment) => Some("overdue"),
        Some(p) if p >= AT_RISK_P_ALIVE && SLIPPING.contains(&segment) => Some("slow_rhythm"),
        _ => None,
    }
}

/// Today's "next days" group, and the customer filter's "due this week".
pub const WEEK_DAYS: u64 = 7;

// Vouchers (phiếu ưu đãi): programmes, codes and what a bill used.

/// A voucher programme as the owner writes it; amounts are typed money, days YYYY-MM-DD in
/// the shop's time zone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    pub name: String,
    /// amount, percent, gift, multiplier or points (see [`VOUCHER_KINDS`]).
    pub kind: String,
    /// The amount off, the percent off, the points multiplier or the bonus points.
    pub value: Option<String>,
    /// The most a percent off takes off one bill.
    pub cap: Option<String>,
    pub gift: Option<String>,
    /// What one gift costs the shop, for the results.
    pub gift_cost: Option<String>,
    pub min_bill: Option<String>,
    /// First valid day (default today).
    pub from: Option<String>,
    /// Last valid day.
    pub until: Option<String>,
    /// Uses per customer (default 1; unlimited for a next-purchase rule).
    pub per_customer: Option<i64>,
    /// Uses in all.
    pub quantity: Option<i64>,
    /// Discounts and gifts in all, in money.
    pub budget: Option<String>,
    /// One code anyone may type: the owner's own, or "auto" to draw one. Without it the
    /// programme's codes are personal and issued.
    pub shared_code: Option<String>,
    /// The next-purchase rule: a bill of at least this earns a voucher of the programme...
    pub next_min: Option<String>,
    /// ...valid from the next day for this many days.
    pub next_days: Option<i64>,
}

pub const VOUCHER_KINDS: &[&str] = &["amount", "percent", "gift", "multiplier", "points"];

/// What a voucher gives: exactly the fields of its kind are set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Benefit {
    pub kind: String,
    pub amount: Option<Decimal>,
    pub percent: Option<i64>,
    pub cap: Option<Decimal>,
    pub gift: Option<String>,
    pub multiplier: Option<Decimal>,
    pub points: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NextPurchaseRule {
    pub min_bill: Decimal,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VoucherProgram {
    pub id: i64,
    pub name: String,
    pub benefit: Benefit,
    pub gift_cost: Decimal,
    pub min_bill: Decimal,
    pub from: chrono::NaiveDate,
    /// The last valid day.
    pub until: chrono::NaiveDate,
    pub per_customer: Option<i64>,
    pub quantity: Option<i64>,
    pub budget: Option<Decimal>,
    pub shared_code: Option<String>,
    pub next_purchase: Option<NextPurchaseRule>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// scheduled, active, expired or ended.
    pub status: &'static str,
}

/// A programme's figures: what it gave and what the bills that used it brought.
#[derive(Debug, Clone, Serialize)]
pub struct ProgramResults {
    pub program: VoucherProgram,
    pub issued: i64,
    pub redeemed: i64,
    pub customers: i64,
    /// Redeemed per issued voucher (personal codes only).
    pub redemption_rate: Option<f64>,
    pub discount: Decimal,
    pub gift_cost: Decimal,
    pub bonus_points: i64,
    /// The redeeming bills' totals, less what was refunded of them.
    pub revenue: Decimal,
    pub budget_left: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Voucher {
    pub code: String,
    pub program_id: i64,
    pub program: String,
    pub benefit: Benefit,
    pub min_bill: Decimal,
    pub customer_id: Option<i64>,
    pub from: chrono::NaiveDate,
    /// The last valid day.
    pub until: chrono::NaiveDate,
    pub uses: i64,
    /// usable, used, not_yet, expired or ended.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssueResult {
    pub program_id: i64,
    pub issued: i64,
    /// Customers of the list who already held one.
    pub skipped: i64,
}

/// The voucher a bill used and what it gave.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VoucherUse {
    pub code: String,
    pub program: String,
    pub benefit: Benefit,
    pub discount: Decimal,
    pub bonus_points: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VoucherRefund {
    pub code: String,
    /// False when the bill was refunded only in part, or the voucher has expired or its
    /// programme ended: it stays used.
    pub returned: bool,
}

// Appreciation campaigns (chương trình tri ân).

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignInput {
    pub name: String,
    /// "date" (default: one day for everyone) or "first_purchase" (each customer's
    /// first-purchase anniversary within the window).
    pub occasion: Option<String>,
    /// The first day of the window, YYYY-MM-DD (default today).
    pub date: Option<String>,
    /// How long the benefit runs and the results are read (default 30 days).
    pub window_days: Option<i64>,
    /// The audience: a customer-list filter (segment, stage, tier, tag...)...
    #[serde(default)]
    pub filter: CustomerFilter,
    /// ...and, optionally, only its top N by 12-month spend.
    pub top: Option<i64>,
    /// A voucher programme with personal codes: each treated customer gets one.
    pub program: Option<String>,
    /// Bonus points for each treated customer.
    pub points: Option<i64>,
    /// A gift to hand over at the next visit (recorded, nothing is issued).
    pub gift: Option<String>,
    /// A message template: launching writes the treated customers' messages.
    pub template: Option<String>,
    /// Call reminders for this many of the treated, the biggest spenders first.
    pub call_top: Option<i64>,
    /// The share held back, who get nothing (default 10).
    pub holdout_percent: Option<i64>,
    /// The holdout's random seed (default: drawn, and recorded).
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub occasion: String,
    pub from: chrono::NaiveDate,
    /// The last day of the window.
    pub until: chrono::NaiveDate,
    pub filter: CustomerFilter,
    pub top: Option<i64>,
    pub program_id: Option<i64>,
    pub program: Option<String>,
    pub points: Option<i64>,
    pub gift: Option<String>,
    pub template: Option<String>,
    pub call_top: Option<i64>,
    pub holdout_percent: i64,
    pub seed: u64,
    pub created_at: DateTime<Utc>,
    pub launched_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LaunchResult {
    pub campaign: Campaign,
    /// False when it had been launched before: nothing changed.
    pub launched_now: bool,
    pub treated: i64,
    pub holdout: i64,
    pub vouchers: i64,
    pub points: i64,
    pub reminders: i64,
    pub messages: Option<TemplateExport>,
}

/// One group's figures over the campaign window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupFigures {
    pub customers: i64,
    /// Customers with at least one bill in the window.
    pub returned: i64,
    pub return_rate: f64,
    pub revenue: Decimal,
    pub revenue_per_customer: Decimal,
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Estimate<T> {
    pub value: T,
    pub low: T,
    pub high: T,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignResults {
    pub campaign: Campaign,
    /// The window read: from its first day to `as_of` (today while it runs).
    pub as_of: chrono::NaiveDate,
    pub treated: GroupFigures,
    pub holdout: GroupFigures,
    /// Treated minus holdout return rate.
    pub return_rate_difference: Estimate<f64>,
    /// Customers brought back beyond doing nothing: the difference × the treated.
    pub extra_customers: Estimate<f64>,
    pub revenue_per_customer_difference: Estimate<Decimal>,
    /// Revenue beyond doing nothing: the difference per customer × the treated.
    pub extra_revenue: Estimate<Decimal>,
    pub issued: i64,
    pub redeemed: i64,
    pub redemption_rate: Option<f64>,
    pub discounts: Decimal,
    pub gift_cost: Decimal,
    /// Bonus points at the point's worth.
    pub points_cost: Decimal,
    /// Discounts, gifts and points together.
    pub cost: Decimal,
}

// Loyalty cards.

#[derive(Debug, Clone, Serialize)]
pub struct CardAssignResult {
    /// Customers the command was for.
    pub customers: i64,
    /// Of them, those who got a new card number (the others had one).
    pub assigned: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardPrintResult {
    pub path: String,
    pub cards: i64,
    pub pages: i64,
    /// Customers who got a card number for this sheet.
    pub assigned: i64,
}
