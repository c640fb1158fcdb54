//! Duplicate customers: probable duplicates (same phone among active and archived customers,
//! or same folded name with the same birthday or email), and merging one into another.

use crate::customers::stats;
use crate::db::{self, customers::Record};
use crate::error::{CoreError, Result};
use crate::loyalty::{self, evaluate_tier};
use crate::model::{Customer, CustomerLoyalty, CustomerRow, Stats};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::currency;
use crate::store::Store;
use crate::time;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    /// Why they look alike: "phone", "name_birthday", "name_email".
    pub reasons: Vec<String>,
    /// What they share, one per reason: the phone, or the folded name with the birthday or email.
    pub keys: Vec<String>,
    /// What they share in the owner's words, one per reason: the phone as displayed, the
    /// birthday (YYYY-MM-DD, or --MM-DD without a year) or the email; the window shows it
    /// ("Cùng tên và ngày sinh 02/12/1990") rather than the folded key.
    pub shared: Vec<String>,
    /// The active customer with the most visits (then the oldest): the natural one to keep.
    pub suggested_keep: i64,
    pub customers: Vec<CustomerRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Duplicates {
    /// Groups found, of which at most the limit are listed.
    pub total: usize,
    pub groups: Vec<DuplicateGroup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MergeResult {
    pub kept: Customer,
    /// The other customer, now archived, with `merged_into` set.
    pub merged: Customer,
    /// Rows moved to the kept customer, per table, and "referrals".
    pub moved: BTreeMap<String, usize>,
    pub stats: Stats,
    pub loyalty: CustomerLoyalty,
}

/// Members, reason, what they share (the key, and its human part), and how strong the match
/// is (0 strongest).
type Candidate = (Vec<(i64, bool)>, &'static str, String, String, u8);

/// A bucket of same name and birthday month-day, split by year: a birthday without a year
/// matches any year, two different years never match.
fn split_by_year(key: &str, members: Vec<(i64, bool, String)>) -> Vec<Candidate> {
    let (yearless, dated): (Vec<_>, Vec<_>) =
        members.into_iter().partition(|m| m.2.starts_with("--"));
    let mut by_date: BTreeMap<String, Vec<(i64, bool)>> = BTreeMap::new();
    for (id, active, b) in dated {
        by_date.entry(b).or_default().push((id, active));
    }
    let loose: Vec<(i64, bool)> = yearless.iter().map(|m| (m.0, m.1)).collect();
    let mut out = Vec::new();
    if by_date.is_empty() {
        let b = yearless.first().map(|m| m.2.clone()).unwrap_or_default();
        out.push((loose, "name_birthday", format!("{key} {b}"), b, 2));
    } else {
        // A match through a birthday without a year is weaker than one on the full date.
        let strength = if loose.is_empty() { 1 } else { 2 };
        for (date, mut group) in by_date {
            group.extend(loose.iter().copied());
            out.push((
                group,
                "name_birthday",
                format!("{key} {date}"),
                date,
                strength,
            ));
        }
    }
    out
}

fn find_groups(conn: db::Conn, limit: u32) -> Result<Duplicates> {
    let mut cands: Vec<Candidate> = Vec::new();
    for (phone, m) in db::merge::same_phone(conn)? {
        let shown = crate::phone::display(&phone);
        cands.push((m, "phone", shown.clone(), shown, 0));
    }
    for (name, m) in db::merge::same_name_birthday(conn)? {
        cands.extend(split_by_year(&name, m));
    }
    for (key, m) in db::merge::same_name_email(conn)? {
        // The key is "folded name <email>".
        let email = key
            .rsplit_once(" <")
            .map_or(key.as_str(), |(_, e)| e.trim_end_matches('>'))
            .to_owned();
        cands.push((m, "name_email", key, email, 1));
    }
    // The same customers found for several reasons make one group, ranked by its best match.
    struct Found {
        ids: Vec<i64>,
        reasons: Vec<String>,
        keys: Vec<String>,
        shared: Vec<String>,
        strength: u8,
    }
    let mut order: Vec<Found> = Vec::new();
    let mut index: HashMap<Vec<i64>, usize> = HashMap::new();
    for (members, reason, key, shared, strength) in cands {
        if members.len() < 2 || !members.iter().any(|m| m.1) {
            continue;
        }
        let mut ids: Vec<i64> = members.iter().map(|m| m.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let at = *index.entry(ids.clone()).or_insert_with(|| {
            order.push(Found {
                ids,
                reasons: Vec::new(),
                keys: Vec::new(),
                shared: Vec::new(),
                strength,
            });
            order.len() - 1
        });
        let g = &mut order[at];
        g.strength = g.strength.min(strength);
        if !g.reasons.iter().any(|r| r == reason) {
            g.reasons.push(reason.to_owned());
            g.keys.push(key);
            g.shared.push(shared);
        }
    }
    order.sort_by_key(|g| g.strength);
    let total = order.len();
    let exp = currency(conn)?.1;
    let mut groups = Vec::new();
    for Found {
        ids,
        reasons,
        keys,
        shared,
        ..
    } in order.into_iter().take(limit as usize)
    {
        let customers = db::customers::rows(conn, &ids, exp)?;
        let suggested_keep = customers
            .iter()
            .filter(|c| !c.archived)
            .max_by(|a, b| a.visits.cmp(&b.visits).then(b.id.cmp(&a.id)))
            .map_or(ids[0], |c| c.id);
        groups.push(DuplicateGroup {
            reasons,
            keys,
            shared,
            suggested_keep,
            customers,
        });
    }
    Ok(Duplicates { total, groups })
}

/// The kept customer's details, with the gaps filled from the other's: a code, a phone,
/// birthday (a full date beats one without a year), gender, email, address; notes joined,
/// tags united.
fn combined(
    conn: db::Conn,
    keep: i64,
    other: i64,
    mut rec: Record,
    theirs: Record,
) -> Result<Record> {
    if rec.code.is_none() {
        if let Some(code) = theirs.code {
            if db::customers::active_by_code(conn, &code, Some(keep))?.is_none() {
                rec.code = Some(code);
            }
        }
    }
    // A card-only regular merged with their phone record keeps the phone.
    if rec.phone.is_none() {
        if let Some(p) = theirs.phone {
            if db::customers::active_by_phone(conn, &p, Some(keep))?.is_none() {
                rec.phone = Some(p);
            }
        }
    }
    rec.birthday = match (rec.birthday.take(), theirs.birthday) {
        (Some(mine), Some(t))
            if mine.starts_with("--") && !t.starts_with("--") && t.ends_with(&mine[2..]) =>
        {
            Some(t)
        }
        (mine, t) => mine.or(t),
    };
    rec.gender = rec.gender.or(theirs.gender);
    rec.email = rec.email.or(theirs.email);
    rec.address = rec.address.or(theirs.address);
    rec.note = match (rec.note.take(), theirs.note) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n{b}")),
        (a, b) => a.or(b),
    };
    for t in theirs.tags {
        if !rec.tags.contains(&t) {
            rec.tags.push(t);
        }
    }
    let inherited = theirs.referred_by.filter(|r| *r != keep && *r != other);
    if rec.referred_by == Some(other) || rec.referred_by.is_none() {
        rec.referred_by = inherited;
    }
    Ok(rec)
}

impl Store {
    /// Probable duplicates, at most `limit` groups; archived customers already merged are
    /// left out.
    pub fn duplicates(&self, limit: u32) -> Result<Duplicates> {
        self.require(Perm::View)?;
        self.read(|conn| find_groups(conn, limit))
    }

    /// Merge `other` into `keep`: purchases, points, referrals and everything else that
    /// points at `other` move to `keep`, gaps in `keep`'s details are filled from `other`'s,
    /// and `other` is archived pointing at `keep`. One transaction.
    pub fn merge_customers(&self, keep: i64, other: i64) -> Result<MergeResult> {
        let actor = self.require(Perm::MergeCustomers)?;
        if keep == other {
            return Err(CoreError::MergeSame);
        }
        self.write_any(|conn| {
            // Both held, in id order, as a bill holds its customer: a counter billing either
            // one waits for the merge and then sees it, and two merges of one pair take turns.
            for id in [keep.min(other), keep.max(other)] {
                db::customers::hold(conn, id)?;
            }
            let kept = db::customers::existing(conn, keep)?;
            let gone = db::customers::existing(conn, other)?;
            if kept.archived_at.is_some() {
                return Err(CoreError::CustomerArchived(kept.name));
            }
            if let Some(into) = db::merge::merged_into(conn, other)? {
                return Err(CoreError::AlreadyMerged {
                    name: gone.name,
                    into,
                });
            }
            let now = time::now();
            // Archived first, so the kept customer may take over its code.
            db::customers::archive(conn, other, now)?;
            let not_found = || CoreError::CustomerNotFound(keep.to_string());
            let base = db::customers::record(conn, keep)?.ok_or_else(not_found)?;
            let theirs = db::customers::record(conn, other)?.ok_or_else(not_found)?;
            let rec = combined(conn, keep, other, base.clone(), theirs)?;
            if rec != base {
                db::customers::update(conn, keep, &rec, now)?;
            }
            let mut moved: BTreeMap<String, usize> = BTreeMap::new();
            for (table, column) in db::merge::references(conn)? {
                if db::merge::moves(&table, &column) {
                    let n = db::merge::reparent(conn, &table, &column, other, keep)?;
                    *moved.entry(table).or_default() += n;
                }
            }
            moved.insert(
                "referrals".into(),
                db::merge::move_customer_links(conn, other, keep)?,
            );
            db::merge::set_merged_into(conn, other, keep, now)?;
            db::merge::refresh_cached_stats(conn, keep)?;
            db::merge::refresh_cached_stats(conn, other)?;
            // Two ledgers replayed as one may have lots due now; then the tiers follow spend.
            loyalty::apply_expiry(conn, keep, &loyalty::rules(conn)?, now)?;
            let tiers = loyalty::tiers(conn)?;
            evaluate_tier(conn, &tiers, keep, now)?;
            evaluate_tier(conn, &tiers, other, now)?;
            let exp = currency(conn)?.1;
            let out = MergeResult {
                kept: db::customers::existing(conn, keep)?,
                merged: db::customers::existing(conn, other)?,
                moved,
                stats: stats(conn, keep, exp)?,
                loyalty: loyalty::view(conn, keep, exp)?,
            };
            audit::record(
                conn,
                &actor
                    .entry("customer.merge", "customer")
                    .entity_id(other)
                    .customer(keep)
                    .before(json!({"kept": audit::snapshot(&kept)?, "merged": audit::snapshot(&gone)?}))
                    .after(json!({"kept": audit::snapshot(&out.kept)?, "moved": audit::snapshot(&out.moved)?})),
            )?;
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_birthday_without_year_matches_any_year_but_years_never_match_each_other() {
        let groups = split_by_year(
            "nguyen van an",
            vec![
                (1, true, "1990-05-12".into()),
                (2, true, "1985-05-12".into()),
                (3, false, "--05-12".into()),
            ],
        );
        let ids: Vec<Vec<i64>> = groups
            .iter()
            .map(|g| g.0.iter().map(|m| m.0).collect())
            .collect();
        assert_eq!(ids, vec![vec![2, 3], vec![1, 3]]);
    }
}
