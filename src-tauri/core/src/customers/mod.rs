//! Customers: validation, add / edit / archive, REF lookup, search, list and profile.

pub mod filter;
pub mod merge;

use crate::db::{self, customers::existing, customers::Lookup, customers::Record};
use crate::error::{CoreError, Result};
use crate::model::{
    Customer, CustomerInput, CustomerPage, CustomerRow, ListQuery, Profile, SearchResult, Stats,
    GENDERS, SOURCES,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::currency;
use crate::store::Store;
use crate::{money, phone, text, time};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub const NAME_MAX: usize = 200;
const FIELD_MAX: usize = 1000;

fn opt(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(crate) fn check_len(s: Option<String>) -> Result<Option<String>> {
    match opt(s) {
        Some(s) if s.chars().count() > FIELD_MAX => Err(CoreError::InvalidInput(format!(
            "longer than {FIELD_MAX} characters"
        ))),
        other => Ok(other),
    }
}

pub(crate) fn valid_name(s: &str) -> Result<String> {
    let name = text::clean_name(s).map_err(name_fault)?;
    if name.chars().count() > NAME_MAX {
        return Err(CoreError::NameTooLong { max: NAME_MAX });
    }
    Ok(name)
}

/// The error a refused name gets, for customers and staff alike.
pub(crate) fn name_fault(f: text::NameFault) -> CoreError {
    match f {
        text::NameFault::Empty => CoreError::NameRequired,
        text::NameFault::Invisible => CoreError::NameInvisible,
        text::NameFault::Control => CoreError::NameControl,
    }
}

pub(crate) fn valid_code(s: Option<String>) -> Result<Option<String>> {
    let Some(code) = opt(s) else { return Ok(None) };
    let ok = code.len() <= 40
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(Some(code))
    } else {
        Err(CoreError::CodeInvalid(code))
    }
}

/// "YYYY-MM-DD", or "--MM-DD" / "MM-DD" when the year is unknown.
pub fn valid_birthday(s: Option<String>) -> Result<Option<String>> {
    let Some(b) = opt(s) else { return Ok(None) };
    let bad = || CoreError::BirthdayInvalid(b.clone());
    if let Ok(d) = NaiveDate::parse_from_str(&b, "%Y-%m-%d") {
        let today = chrono::Utc::now().date_naive();
        if d > today || d < NaiveDate::from_ymd_opt(1900, 1, 1).ok_or_else(bad)? {
            return Err(bad());
        }
        return Ok(Some(d.format("%Y-%m-%d").to_string()));
    }
    let md = b.strip_prefix("--").unwrap_or(&b);
    let (m, d) = md.split_once('-').ok_or_else(bad)?;
    let (m, d): (u32, u32) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    // 2000 is a leap year, so 29 February is accepted.
    NaiveDate::from_ymd_opt(2000, m, d).ok_or_else(bad)?;
    Ok(Some(format!("--{m:02}-{d:02}")))
}

pub(crate) fn valid_email(s: Option<String>) -> Result<Option<String>> {
    let Some(e) = opt(s) else { return Ok(None) };
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !e.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(Some(e.to_lowercase()))
    } else {
        Err(CoreError::EmailInvalid(e))
    }
}

pub(crate) fn valid_gender(s: Option<String>) -> Result<Option<String>> {
    let Some(g) = opt(s) else { return Ok(None) };
    let v = match text::fold(&g).as_str() {
        "male" | "m" | "nam" => "male",
        "female" | "f" | "nu" => "female",
        "other" | "khac" => "other",
        _ => return Err(CoreError::GenderInvalid(g)),
    };
    debug_assert!(GENDERS.contains(&v));
    Ok(Some(v.to_owned()))
}

fn valid_source(s: &str) -> Result<String> {
    let v = text::fold(s).replace(['-', ' '], "_");
    if SOURCES.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(CoreError::SourceInvalid(s.to_owned()))
    }
}

pub(crate) fn valid_tags(tags: Vec<String>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim().to_owned();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40 || t.chars().any(char::is_control) {
            return Err(CoreError::TagInvalid(t));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Resolve a REF: a phone in any format, a customer id (or #id), or a shop code.
pub(crate) fn resolve<'a>(conn: impl Into<db::Conn<'a>>, reference: &str) -> Result<i64> {
    let conn = conn.into();
    let r = reference.trim();
    let not_found = || CoreError::CustomerNotFound(r.to_owned());
    if r.is_empty() {
        return Err(not_found());
    }
    // A phone or code of a merged-away customer means the customer it was merged into;
    // an explicit id still opens the archived record itself.
    let kept = |id: i64| -> Result<i64> { Ok(db::merge::merged_into(conn, id)?.unwrap_or(id)) };
    if let Ok(p) = phone::normalize(r) {
        if let Some(id) = db::customers::by_phone(conn, &p)? {
            return kept(id);
        }
    }
    if let Ok(id) = r.trim_start_matches('#').parse::<i64>() {
        if db::customers::exists(conn, id)? {
            return Ok(id);
        }
    }
    if r.len() <= CARD_MAX {
        if let Some(id) = card_holder(conn, r)? {
            return Ok(id);
        }
    }
    kept(db::customers::by_code(conn, r)?.ok_or_else(not_found)?)
}

/// Apply `input` over `base` (an empty record when adding), validating every field.
fn apply<'a>(
    conn: impl Into<db::Conn<'a>>,
    base: Record,
    input: CustomerInput,
    id: Option<i64>,
) -> Result<Record> {
    let conn = conn.into();
    let mut rec = base;
    if let Some(n) = input.name {
        rec.name = valid_name(&n)?;
    } else if id.is_none() {
        return Err(CoreError::NameRequired);
    }
    // A customer may have no phone (known by name or card code); an empty one clears it.
    if let Some(p) = input.phone {
        rec.phone = match opt(Some(p)) {
            None => None,
            Some(p) => Some(phone::normalize(&p)?),
        };
    }
    if let Some(c) = input.code {
        rec.code = valid_code(Some(c))?;
    }
    if let Some(b) = input.birthday {
        rec.birthday = valid_birthday(Some(b))?;
    }
    if let Some(g) = input.gender {
        rec.gender = valid_gender(Some(g))?;
    }
    if let Some(e) = input.email {
        rec.email = valid_email(Some(e))?;
    }
    if let Some(a) = input.address {
        rec.address = check_len(Some(a))?;
    }
    if let Some(n) = input.note {
        rec.note = check_len(Some(n))?;
    }
    if let Some(t) = input.tags {
        rec.tags = valid_tags(t)?;
    }
    if let Some(s) = input.source {
        rec.source = if s.trim().is_empty() {
            "walk_in".into()
        } else {
            valid_source(&s)?
        };
    } else if rec.source.is_empty() {
        rec.source = "walk_in".into();
    }
    if let Some(r) = input.referred_by {
        rec.referred_by = match opt(Some(r)) {
            None => None,
            Some(r) => {
                let rid = resolve(conn, &r).map_err(|e| match e {
                    CoreError::CustomerNotFound(_) => CoreError::CustomerNotFound(r.clone()),
                    other => other,
                })?;
                if Some(rid) == id {
                    return Err(CoreError::ReferredBySelf);
                }
                Some(rid)
            }
        };
    }
    db::customers::hold_identity(conn, rec.phone.as_deref(), rec.code.as_deref())?;
    if let Some(p) = &rec.phone {
        if let Some((other, name)) = db::customers::active_by_phone(conn, p, id)? {
            return Err(CoreError::PhoneTaken {
                phone: phone::display(p),
                name,
                id: other,
            });
        }
    }
    if let Some(code) = &rec.code {
        if let Some((other, name)) = db::customers::active_by_code(conn, code, id)? {
            return Err(CoreError::CodeTaken {
                code: code.clone(),
                name,
                id: other,
            });
        }
    }
    Ok(rec)
}

/// A customer's figures, from the columns kept in step with every purchase and refund
/// (`db check` verifies them against the purchases).
pub(crate) fn stats<'a>(conn: impl Into<db::Conn<'a>>, id: i64, exp: u32) -> Result<Stats> {
    let (visits, total, first, last) = db::customers::cached_stats(conn, id)?;
    let total_spent = money::from_minor(total, exp);
    let average_basket = (visits > 0).then(|| {
        (total_spent / Decimal::from(visits))
            .round_dp_with_strategy(exp, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    });
    let average_days_between_visits = match (first, last) {
        (Some(f), Some(l)) if visits > 1 => {
            let days = (l - f) as f64 / 86_400.0 / (visits - 1) as f64;
            Some((days * 10.0).round() / 10.0)
        }
        _ => None,
    };
    Ok(Stats {
        visits,
        total_spent,
        average_basket,
        first_purchase_at: first.map(time::from_unix),
        last_purchase_at: last.map(time::from_unix),
        average_days_between_visits,
    })
}

/// Most counter searches run as the cashier types; a name query also passes through here.
const SEARCH_LIMIT_MAX: u32 = 100;

internal! {
    /// Parse a counter query: a phone (full, or its last 3+ digits), a shop code, or name
    /// words, optionally with digits the phone contains ("huong 2022"). None: nothing to find.
    fn lookup(query: &str) -> Option<Lookup> {
    let q = query.trim();
    if q.is_empty() {
        return None;
    }
    let mut l = Lookup {
        code: q.to_owned(),
        ..Default::default()
    };
    if let Some(digits) = phone::query_digits(q) {
        l.phone = phone::normalize(q).ok();
        // Fewer than 3 digits match too many phones to mean anyone.
        l.suffix = (digits.len() >= 3).then_some(digits);
        return Some(l);
    }
    let folded = text::fold(q);
    let is_digits = |t: &String| t.chars().all(|c| c.is_ascii_digit());
    let tokens = text::tokens(&folded);
    let (parts, words): (Vec<String>, Vec<String>) = tokens.iter().cloned().partition(is_digits);
    if words.is_empty() {
        // Only digit groups, but not a phone ("12/34"): look for them in names.
        l.words = tokens;
        return Some(l);
    }
    l.exact_name = Some(if parts.is_empty() {
        folded
    } else {
        words.join(" ")
    });
    l.words = words;
    l.phone_parts = parts;
    if text::has_marks(q) {
        l.marked = text::tokens(&text::lower_marked(q))
            .into_iter()
            .filter(|t| !is_digits(t))
            .collect();
    }
    Some(l)
}
}

/// Ids matching a counter query, most likely first, how many match (counted up to
/// 1,000) and whether more do.
/// The longest card number (a shop's own pre-printed cards included).
pub const CARD_MAX: usize = 32;

/// The active customer a card number leads to: its holder, or the customer a merged-away
/// holder was merged into.
fn card_holder(conn: db::Conn, typed: &str) -> Result<Option<i64>> {
    let Some((id, _)) = db::customers::card_holder(conn, &typed.to_ascii_uppercase())? else {
        return Ok(None);
    };
    let id = db::merge::merged_into(conn, id)?.unwrap_or(id);
    Ok(db::customers::is_active(conn, id)?.then_some(id))
}

pub(crate) fn search_ids(conn: db::Conn, query: &str, limit: u32) -> Result<(Vec<i64>, i64, bool)> {
    // A card number, typed or scanned, is one exact match.
    let typed: String = query.chars().filter(|c| !c.is_whitespace()).collect();
    if (4..=CARD_MAX).contains(&typed.len()) {
        if let Some(id) = card_holder(conn, &typed)? {
            return Ok((vec![id], 1, false));
        }
    }
    match lookup(query) {
        None => Ok((Vec::new(), 0, false)),
        Some(l) => db::customers::search(conn, &l, limit.clamp(1, SEARCH_LIMIT_MAX)),
    }
}

impl Store {
    pub fn add_customer(&self, input: CustomerInput) -> Result<Customer> {
        let actor = self.require(Perm::Serve)?;
        self.write_any(|conn| {
            let rec = apply(conn, Record::default(), input, None)?;
            let id = db::customers::insert(conn, &rec, time::now())?;
            let c = existing(conn, id)?;
            audit::record(
                conn,
                &actor
                    .entry("customer.add", "customer")
                    .entity_id(id)
                    .customer(id)
                    .after(audit::snapshot(&c)?),
            )?;
            Ok(c)
        })
    }

    pub fn update_customer(&self, id: i64, input: CustomerInput) -> Result<Customer> {
        let actor = self.require(Perm::Serve)?;
        self.write_any(|conn| {
            // Two counters editing one customer take turns; each change starts from the last.
            db::customers::hold(conn, id)?;
            let base = db::customers::record(conn, id)?
                .ok_or_else(|| CoreError::CustomerNotFound(id.to_string()))?;
            let rec = apply(conn, base.clone(), input, Some(id))?;
            if rec == base {
                return existing(conn, id);
            }
            let before = existing(conn, id)?;
            db::customers::update(conn, id, &rec, time::now())?;
            let after = existing(conn, id)?;
            audit::record_change(
                conn,
                actor.entry("customer.update", "customer").about(id, id),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }

    pub fn archive_customer(&self, id: i64) -> Result<Customer> {
        let actor = self.require(Perm::ArchiveCustomer)?;
        self.write_any(|conn| {
            db::customers::hold(conn, id)?;
            let before = existing(conn, id)?;
            let now = time::now();
            db::customers::archive(conn, id, now)?;
            // Nobody follows up an archived customer; Today never has to look them up.
            db::reminders::cancel_open_of(conn, id, now)?;
            db::analytics::delete_score(conn, id)?;
            let after = existing(conn, id)?;
            audit::record_change(
                conn,
                actor.entry("customer.archive", "customer").about(id, id),
                &before,
                &after,
            )?;
            Ok(after)
        })
    }

    pub fn resolve_customer(&self, reference: &str) -> Result<i64> {
        self.require(Perm::View)?;
        self.read(|conn| resolve(conn, reference))
    }

    pub fn customer(&self, id: i64) -> Result<Customer> {
        self.require(Perm::View)?;
        self.read(|conn| existing(conn, id))
    }

    pub fn customer_stats(&self, id: i64) -> Result<Stats> {
        self.require(Perm::View)?;
        self.read(|conn| {
            existing(conn, id)?;
            stats(conn, id, currency(conn)?.1)
        })
    }

    /// Details, stats and the newest purchases (at most `limit`).
    pub fn profile(&self, id: i64, limit: u32) -> Result<Profile> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let exp = currency(conn)?.1;
            Ok(Profile {
                customer: existing(conn, id)?,
                stats: stats(conn, id, exp)?,
                purchases: db::purchases::for_customer(conn, id, limit, exp)?,
                loyalty: crate::loyalty::view(conn, id, exp)?,
                ledger: crate::loyalty::ledger(conn, id, limit)?,
                tier_history: crate::loyalty::tier_history(conn, id, exp)?,
                scores: db::analytics::score(conn, id)?.map(|s| s.view(exp)),
            })
        })
    }

    /// Search as you type at the counter: code, phone (full or last 3+ digits), or name
    /// (with digits of the phone). The first `limit` matches, most likely first.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<CustomerRow>> {
        self.require(Perm::View)?;
        Ok(self.find_customers(query, limit)?.rows)
    }

    /// [`Self::search`] with the number of matches, so the counter can say "2 khách" and
    /// refuse to guess between them.
    pub fn find_customers(&self, query: &str, limit: u32) -> Result<SearchResult> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let (ids, total, total_capped) = search_ids(conn, query, limit)?;
            let rows = db::customers::rows(conn, &ids, currency(conn)?.1)?;
            Ok(SearchResult {
                rows,
                total,
                total_capped,
            })
        })
    }

    pub fn list_customers(&self, q: &ListQuery) -> Result<CustomerPage> {
        self.require(Perm::View)?;
        let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let l = search.and_then(lookup);
        if search.is_some() && l.is_none() {
            return Ok(CustomerPage {
                total: 0,
                total_capped: false,
                rows: Vec::new(),
            });
        }
        let page = self.read(|conn| {
            let exp = currency(conn)?.1;
            db::customers::list(conn, q, l.as_ref(), exp)
        })?;
        Ok(CustomerPage {
            total: page.total,
            total_capped: page.capped,
            rows: page.rows,
        })
    }

    pub fn customer_tags(&self) -> Result<Vec<String>> {
        self.require(Perm::View)?;
        self.read(db::customers::tags)
    }

    /// Open like the lock screen's calls: start-up asks it to offer the demo to an empty
    /// shop before anyone signs in. A number, no customer's data.
    pub fn customer_count(&self) -> Result<i64> {
        self.read(|c| db::customers::count_active(c))
    }
}
