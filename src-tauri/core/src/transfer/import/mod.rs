//! Import customers and purchases from CSV or a workbook: detect the column mapping,
//! check every row, report what would change (dry run), then write all or nothing.
//!
//! Customers are upserted by shop code, then by phone; a value left empty in the file
//! never erases one already stored, and tags are added to the customer's own. Re-importing
//! the same file changes nothing. Purchases are matched to customers by code, then phone,
//! and each keeps an import key (its invoice number, or customer, time, amount and
//! occurrence in the file) so a second import of the same file adds nothing.
//!
//! Imported purchases are history: they count in visits, total spent and the 12-month
//! spend that sets tiers, but earn no points and write no points-ledger entries, since the
//! points a shop gave under its old system are not known.

pub mod mapping;
pub mod read;
pub mod values;

pub use mapping::{detect, Field, Kind, Mapping};
pub use read::{Cell, Table};
pub use values::{parse_amount, parse_birthday, parse_date, parse_phone, DateValue};

use crate::customers::{check_len, valid_code, valid_email, valid_gender, valid_name, valid_tags};
use crate::db::customers::Record;
use crate::db::import::ImportDb;
use crate::db::{self, purchases::NewPurchase};
use crate::error::{CoreError, Result};
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{limits, phone, time};
use chrono::{LocalResult, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// How often the progress callback is called, in rows.
const PROGRESS_EVERY: u64 = 1000;
/// Rows shown in the window's preview.
const SAMPLE_ROWS: usize = 20;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportOptions {
    /// A workbook's sheet (default: the first).
    pub sheet: Option<String>,
    /// Field to column; detected from the headers when absent.
    pub mapping: Option<Mapping>,
    pub dry_run: bool,
    /// Purchases: create customers the file names but the shop does not have yet.
    pub create_missing: bool,
    /// Import the valid rows and leave the rejected ones out, instead of nothing at all.
    pub skip_invalid: bool,
}

/// Which pass an import's progress counts: every row is checked, then (unless it is a dry
/// run or refused) written; each pass counts the file's data rows once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Check,
    Write,
}

/// A problem with a file, in the user's language once translated by the caller.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Problem {
    pub code: String,
    pub params: Map<String, Value>,
    /// English until the CLI or the window translates it from `code` and `params`.
    pub message: String,
}

impl From<&CoreError> for Problem {
    fn from(e: &CoreError) -> Self {
        Problem {
            code: e.code().to_owned(),
            params: e.params(),
            message: e.to_string(),
        }
    }
}

/// A rejected row: its line in the file, the column's header, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub code: String,
    pub params: Map<String, Value>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImportReport {
    pub kind: Kind,
    pub dry_run: bool,
    /// Whether anything was written (false for a dry run and for a rejected file).
    pub committed: bool,
    /// Data rows read (blank lines and the header not counted).
    pub rows: u64,
    /// Customers or purchases inserted (to insert, in a dry run).
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Purchases: customers created from purchase rows (--create-missing).
    pub customers_created: u64,
    /// Rows with at least one error.
    pub rejected: u64,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    fn new(kind: Kind, dry_run: bool) -> Self {
        ImportReport {
            kind,
            dry_run,
            committed: false,
            rows: 0,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            customers_created: 0,
            rejected: 0,
            errors: Vec::new(),
        }
    }

    /// Replace every error message with `message(code, params)` (the caller's catalog).
    pub fn translate(&mut self, message: &dyn Fn(&str, &Map<String, Value>) -> String) {
        for e in &mut self.errors {
            e.message = message(&e.code, &e.params);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleRow {
    pub line: u64,
    pub cells: Vec<String>,
}

/// What the window shows before importing: the columns, how they map, the first rows, and
/// a dry run with that mapping (absent when the mapping lacks a required field).
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub kind: Kind,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    /// Fields this kind can fill, and those that must be mapped.
    pub fields: Vec<Field>,
    pub required: Vec<Field>,
    pub sample: Vec<SampleRow>,
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
    pub report: Option<ImportReport>,
    pub mapping_error: Option<Problem>,
}

impl Preview {
    pub fn translate(&mut self, message: &dyn Fn(&str, &Map<String, Value>) -> String) {
        if let Some(r) = &mut self.report {
            r.translate(message);
        }
        if let Some(p) = &mut self.mapping_error {
            p.message = message(&p.code, &p.params);
        }
    }
}

/// Everything a row is read against.
struct Ctx<'a> {
    table: &'a Table,
    mapping: &'a Mapping,
    currency: String,
    exp: u32,
    tz: Tz,
    /// The owner lifted the purchase-date window (setting `purchase_dates`).
    any_dates: bool,
    /// The decimal mark the amount column's own values settle on, if they do.
    decimal_mark: Option<char>,
}

/// One row being read: its cells by field, and the errors found so far.
struct RowReader<'a> {
    ctx: &'a Ctx<'a>,
    row: &'a read::Row,
    errors: Vec<RowError>,
}

impl<'a> RowReader<'a> {
    fn cell(&self, f: Field) -> Option<&'a Cell> {
        let col = *self.ctx.mapping.get(&f)?;
        let c = self.ctx.table.cell(self.row, col);
        (!c.is_empty()).then_some(c)
    }

    fn column(&self, f: Field) -> Option<String> {
        let col = *self.ctx.mapping.get(&f)?;
        self.ctx.table.headers.get(col).cloned()
    }

    fn text(&self, f: Field) -> Option<String> {
        self.cell(f).map(Cell::display).filter(|s| !s.is_empty())
    }

    fn fail(&mut self, f: Option<Field>, e: &CoreError) {
        let p = Problem::from(e);
        self.errors.push(RowError {
            line: self.row.line,
            column: f.and_then(|f| self.column(f)),
            code: p.code,
            params: p.params,
            message: p.message,
        });
    }

    /// Run a field's parser, recording its error under that field's column.
    fn take<T>(&mut self, f: Field, r: Result<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.fail(Some(f), &e);
                None
            }
        }
    }

    fn required(&mut self, f: Field) -> Option<&'a Cell> {
        let c = self.cell(f);
        if c.is_none() {
            let column = self.column(f).unwrap_or_else(|| f.key().to_owned());
            self.fail(Some(f), &CoreError::ImportValueRequired { column });
        }
        c
    }

    fn phone(&mut self) -> Option<String> {
        let c = self.cell(Field::Phone)?;
        let r = parse_phone(&c.display());
        self.take(Field::Phone, r)
    }

    fn amount(&mut self) -> Option<i64> {
        let c = self.required(Field::Amount)?;
        let (cur, exp) = (&self.ctx.currency, self.ctx.exp);
        let r = match c {
            Cell::Number(n) => values::amount_from_number(*n, cur, exp),
            other => {
                values::parse_amount_in_column(&other.display(), cur, exp, self.ctx.decimal_mark)
            }
        }
        .and_then(|d| crate::money::to_minor(d, exp).map_err(|_| limits::amount_over(exp)))
        .and_then(|m| limits::check_bill(m, exp).map(|()| m));
        self.take(Field::Amount, r)
    }

    fn instant(&mut self) -> Option<i64> {
        let c = self.required(Field::Date)?;
        let v = match c {
            Cell::Date(v) => Ok(*v),
            Cell::Number(n) => values::date_from_serial(*n)
                .ok_or_else(|| CoreError::DateInvalid(values::number_text(*n))),
            other => parse_date(&other.display()),
        };
        let (tz, any) = (self.ctx.tz, self.ctx.any_dates);
        let r = v
            .and_then(|v| to_instant(v, tz))
            .and_then(|t| limits::check_purchase_date(t, tz, any).map(|()| t));
        self.take(Field::Date, r)
    }

    fn birthday(&mut self) -> Option<String> {
        let c = self.cell(Field::Birthday)?;
        let r = match c {
            Cell::Date(v) => parse_birthday(&values::ymd(v.date())),
            Cell::Number(n) => values::date_from_serial(*n)
                .ok_or_else(|| CoreError::BirthdayInvalid(values::number_text(*n)))
                .and_then(|v| parse_birthday(&values::ymd(v.date()))),
            other => parse_birthday(&other.display()),
        };
        self.take(Field::Birthday, r)
    }

    fn optional_text(&mut self, f: Field) -> Option<String> {
        let r = check_len(self.text(f));
        self.take(f, r).flatten()
    }
}

/// A date cell as an instant: a bare day counts as noon in the shop's time zone (as a
/// purchase typed without a time does), a local time is in that zone.
fn to_instant(v: DateValue, tz: Tz) -> Result<i64> {
    let naive = match v {
        DateValue::Instant(t) => return Ok(t.timestamp()),
        DateValue::Local(t) => t,
        DateValue::Date(d) => d
            .and_hms_opt(12, 0, 0)
            .ok_or_else(|| CoreError::DateInvalid(d.to_string()))?,
    };
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp()),
        LocalResult::None => Err(CoreError::DateInvalid(naive.to_string())),
    }
}

/// Payment words as shops write them; anything else is recorded as "other".
fn payment_method(s: Option<&str>) -> &'static str {
    let folded = s.map(mapping::fold_header).unwrap_or_default();
    match folded.as_str() {
        "cash" | "tien mat" | "tm" => "cash",
        "card" | "the" | "quet the" | "the ngan hang" | "pos" | "credit card" | "debit card" => {
            "card"
        }
        "transfer" | "bank transfer" | "chuyen khoan" | "ck" | "ngan hang" => "transfer",
        "ewallet" | "e wallet" | "vi dien tu" | "momo" | "zalopay" | "vnpay" | "shopeepay"
        | "vi momo" => "ewallet",
        _ => "other",
    }
}

enum CustomerPlan {
    Insert(Record),
    Update { id: i64, record: Record },
}

/// Where a purchase goes: a stored customer, or one this file creates.
#[derive(Clone, Copy)]
enum Who {
    Id(i64),
    New(usize),
}

struct PurchasePlan {
    who: Who,
    client_id: String,
    at: i64,
    total_minor: i64,
    payment: &'static str,
    note: Option<String>,
    staff: Option<String>,
}

enum Plan {
    Customers(Vec<CustomerPlan>),
    Purchases {
        customers: Vec<Record>,
        purchases: Vec<PurchasePlan>,
    },
}

/// The stored record with the row's values laid over it: empty cells keep what is stored,
/// tags are added.
fn merge(base: &Record, row: &Record) -> Record {
    let mut m = base.clone();
    m.name = row.name.clone();
    let over = |dst: &mut Option<String>, src: &Option<String>| {
        if src.is_some() {
            dst.clone_from(src);
        }
    };
    // A row found by its code alone keeps the stored phone.
    over(&mut m.phone, &row.phone);
    // "kh001" in the file is the stored "KH001": codes match without case.
    if !m
        .code
        .as_ref()
        .zip(row.code.as_ref())
        .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
    {
        over(&mut m.code, &row.code);
    }
    over(&mut m.birthday, &row.birthday);
    over(&mut m.gender, &row.gender);
    over(&mut m.email, &row.email);
    over(&mut m.address, &row.address);
    over(&mut m.note, &row.note);
    for t in &row.tags {
        if !m.tags.contains(t) {
            m.tags.push(t.clone());
        }
    }
    m
}

fn split_tags(s: &str) -> Vec<String> {
    s.split([',', ';', '|'])
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Check one customer row; None when it has errors (recorded in `r`).
fn read_customer(r: &mut RowReader) -> Option<Record> {
    let name = match r.text(Field::Name) {
        Some(n) => r.take(Field::Name, valid_name(&n)),
        None => {
            r.fail(Some(Field::Name), &CoreError::NameRequired);
            None
        }
    };
    let code = {
        let v = valid_code(r.text(Field::Code));
        r.take(Field::Code, v)
    };
    // A row needs a key to be found again on the next import: a phone or a shop code.
    let phone = match r.cell(Field::Phone) {
        Some(_) => r.phone().map(Some),
        None if r.cell(Field::Code).is_some() => Some(None),
        None => {
            r.fail(Some(Field::Phone), &CoreError::PhoneRequired);
            None
        }
    };
    let birthday = r.birthday();
    let gender = {
        let v = valid_gender(r.text(Field::Gender));
        r.take(Field::Gender, v)
    };
    let email = {
        let v = valid_email(r.text(Field::Email));
        r.take(Field::Email, v)
    };
    let address = r.optional_text(Field::Address);
    let note = r.optional_text(Field::Note);
    let tags = {
        let v = valid_tags(
            r.text(Field::Tags)
                .map(|t| split_tags(&t))
                .unwrap_or_default(),
        );
        r.take(Field::Tags, v)
    };
    if !r.errors.is_empty() {
        return None;
    }
    Some(Record {
        code: code.flatten(),
        name: name?,
        phone: phone?,
        birthday,
        gender: gender.flatten(),
        email: email.flatten(),
        address,
        note,
        tags: tags?,
        referred_by: None,
        source: "walk_in".into(),
    })
}

/// The first line of the file holding each key, to refuse a second row for one customer.
#[derive(Default)]
struct Seen {
    codes: HashMap<String, u64>,
    phones: HashMap<String, u64>,
    ids: HashMap<i64, u64>,
}

fn phone_taken(db: &mut ImportDb, phone_no: &str, id: i64) -> Result<CoreError> {
    let name = db.existing(id)?.map(|e| e.record.name).unwrap_or_default();
    Ok(CoreError::PhoneTaken {
        phone: phone::display(phone_no),
        name,
        id,
    })
}

fn plan_customers(
    db: &mut ImportDb,
    ctx: &Ctx,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<CustomerPlan>> {
    let mut plans = Vec::new();
    let mut seen = Seen::default();
    for (i, row) in ctx.table.rows.iter().enumerate() {
        if (i as u64).is_multiple_of(PROGRESS_EVERY) {
            progress(i as u64);
        }
        let mut r = RowReader {
            ctx,
            row,
            errors: Vec::new(),
        };
        if let Some(found) = row.extra_fields {
            r.fail(
                None,
                &CoreError::ImportFieldCount {
                    found,
                    expected: ctx.table.headers.len(),
                },
            );
        } else if let Some(rec) = read_customer(&mut r) {
            if let Some(plan) = match_customer(db, &mut r, &mut seen, rec)? {
                match &plan {
                    CustomerPlan::Insert(_) => report.inserted += 1,
                    CustomerPlan::Update { .. } => report.updated += 1,
                }
                plans.push(plan);
            } else if r.errors.is_empty() {
                report.unchanged += 1;
            }
        }
        if !r.errors.is_empty() {
            report.rejected += 1;
            report.errors.append(&mut r.errors);
        }
    }
    Ok(plans)
}

/// Find the stored customer a row describes; None when it would change nothing (or was
/// refused, with the error recorded in `r`).
fn match_customer(
    db: &mut ImportDb,
    r: &mut RowReader,
    seen: &mut Seen,
    rec: Record,
) -> Result<Option<CustomerPlan>> {
    let code_key = rec.code.as_deref().map(str::to_lowercase);
    let by_code = match &rec.code {
        Some(c) => db.by_code(c)?,
        None => None,
    };
    let by_phone = match &rec.phone {
        Some(p) => db.by_phone(p)?,
        None => None,
    };
    if let (Some(a), Some(b), Some(p)) = (by_code, by_phone, &rec.phone) {
        if a != b {
            let e = phone_taken(db, p, b)?;
            r.fail(Some(Field::Phone), &e);
            return Ok(None);
        }
    }
    let target = by_code.or(by_phone);
    let existing = match target {
        Some(id) => db.existing(id)?,
        None => None,
    };
    if let (Some(id), Some(e), None, Some(code), Some(p)) =
        (target, &existing, by_code, &rec.code, &rec.phone)
    {
        // Found by phone, but the stored customer carries another shop code.
        if e.record
            .code
            .as_ref()
            .is_some_and(|c| !c.eq_ignore_ascii_case(code))
        {
            let e = phone_taken(db, p, id)?;
            r.fail(Some(Field::Phone), &e);
            return Ok(None);
        }
    }
    let line = r.row.line;
    let dup = |value: &str, first: u64| CoreError::ImportDuplicate {
        value: value.to_owned(),
        line: first,
    };
    if let Some(&first) = code_key.as_ref().and_then(|k| seen.codes.get(k)) {
        r.fail(
            Some(Field::Code),
            &dup(rec.code.as_deref().unwrap_or(""), first),
        );
        return Ok(None);
    }
    let shown = phone::display_opt(rec.phone.as_deref());
    if let Some(&first) = rec.phone.as_ref().and_then(|p| seen.phones.get(p)) {
        r.fail(Some(Field::Phone), &dup(&shown, first));
        return Ok(None);
    }
    if let Some(&first) = target.and_then(|id| seen.ids.get(&id)) {
        let (f, v) = match (&rec.phone, &rec.code) {
            (None, Some(c)) => (Field::Code, c.clone()),
            _ => (Field::Phone, shown),
        };
        r.fail(Some(f), &dup(&v, first));
        return Ok(None);
    }
    if let Some(k) = code_key {
        seen.codes.insert(k, line);
    }
    if let Some(p) = &rec.phone {
        seen.phones.insert(p.clone(), line);
    }
    Ok(match (target, existing) {
        (Some(id), Some(e)) => {
            seen.ids.insert(id, line);
            let merged = merge(&e.record, &rec);
            (merged != e.record).then_some(CustomerPlan::Update { id, record: merged })
        }
        _ => Some(CustomerPlan::Insert(rec)),
    })
}

/// Customers a purchases file creates (--create-missing), found again by code or phone.
#[derive(Default)]
struct NewCustomers {
    records: Vec<Record>,
    by_code: HashMap<String, usize>,
    by_phone: HashMap<String, usize>,
}

fn plan_purchases(
    db: &mut ImportDb,
    ctx: &Ctx,
    create_missing: bool,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<Record>, Vec<PurchasePlan>)> {
    db.memoize();
    let mut plans = Vec::new();
    let mut new = NewCustomers::default();
    let mut invoices: HashMap<String, u64> = HashMap::new();
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    let mut totals: HashMap<(bool, i64), i64> = HashMap::new();
    for (i, row) in ctx.table.rows.iter().enumerate() {
        if (i as u64).is_multiple_of(PROGRESS_EVERY) {
            progress(i as u64);
        }
        let mut r = RowReader {
            ctx,
            row,
            errors: Vec::new(),
        };
        if let Some(found) = row.extra_fields {
            r.fail(
                None,
                &CoreError::ImportFieldCount {
                    found,
                    expected: ctx.table.headers.len(),
                },
            );
        } else if let Some(p) = read_purchase(
            db,
            &mut r,
            &mut new,
            &mut invoices,
            &mut occurrences,
            create_missing,
        )? {
            let done = match (p.who, &p.client_id) {
                (Who::Id(_), cid) => db.purchase_imported(cid)?,
                (Who::New(_), _) => false,
            };
            if done {
                report.unchanged += 1;
            } else {
                // The per-customer limit counts what is stored and what this file adds.
                let key = match p.who {
                    Who::Id(id) => (true, id),
                    Who::New(i) => (false, i as i64),
                };
                let so_far = match (totals.get(&key), p.who) {
                    (Some(t), _) => *t,
                    (None, Who::Id(id)) => db::purchases::gross_total(db.conn(), id)?,
                    (None, Who::New(_)) => 0,
                };
                match limits::check_customer_total(so_far, p.total_minor, ctx.exp) {
                    Ok(t) => {
                        totals.insert(key, t);
                        report.inserted += 1;
                        plans.push(p);
                    }
                    Err(e) => r.fail(Some(Field::Amount), &e),
                }
            }
        }
        if !r.errors.is_empty() {
            report.rejected += 1;
            report.errors.append(&mut r.errors);
        }
    }
    report.customers_created = new.records.len() as u64;
    Ok((new.records, plans))
}

fn read_purchase(
    db: &mut ImportDb,
    r: &mut RowReader,
    new: &mut NewCustomers,
    invoices: &mut HashMap<String, u64>,
    occurrences: &mut HashMap<String, u32>,
    create_missing: bool,
) -> Result<Option<PurchasePlan>> {
    let total_minor = r.amount();
    let at = r.instant();
    let code = {
        let v = valid_code(r.text(Field::Code));
        r.take(Field::Code, v).flatten()
    };
    let phone_no = r.phone();
    let name = r.text(Field::Name);
    let invoice = r.text(Field::Invoice);
    let payment = payment_method(r.text(Field::Payment).as_deref());
    let note = r.optional_text(Field::Note);
    let staff = r.optional_text(Field::Staff);
    if r.cell(Field::Code).is_none() && r.cell(Field::Phone).is_none() {
        let f = if r.ctx.mapping.contains_key(&Field::Code) {
            Field::Code
        } else {
            Field::Phone
        };
        let column = r.column(f).unwrap_or_else(|| f.key().to_owned());
        r.fail(Some(f), &CoreError::ImportValueRequired { column });
    }
    let (Some(total_minor), Some(at)) = (total_minor, at) else {
        return Ok(None);
    };
    if !r.errors.is_empty() {
        return Ok(None);
    }
    let code_key = code.as_deref().map(str::to_lowercase);
    let who = find_buyer(db, r, new, &code, &code_key, &phone_no)?;
    if !r.errors.is_empty() {
        return Ok(None);
    }
    let who = match who {
        Some(w) => w,
        None if create_missing => match new_buyer(r, new, name, &code, &code_key, &phone_no) {
            Some(w) => w,
            None => return Ok(None),
        },
        None => {
            let (f, reference) = match (&code, &phone_no) {
                (Some(c), _) => (Field::Code, c.clone()),
                (None, Some(p)) => (Field::Phone, phone::display(p)),
                (None, None) => (Field::Phone, String::new()),
            };
            r.fail(Some(f), &CoreError::CustomerNotFound(reference));
            return Ok(None);
        }
    };
    let client_id = match &invoice {
        Some(inv) => {
            if let Some(&first) = invoices.get(inv) {
                r.fail(
                    Some(Field::Invoice),
                    &CoreError::ImportDuplicate {
                        value: inv.clone(),
                        line: first,
                    },
                );
                return Ok(None);
            }
            invoices.insert(inv.clone(), r.row.line);
            format!("import:invoice:{inv}")
        }
        None => {
            // Same customer, time and amount twice in one file are two purchases.
            let who_key = code_key.or(phone_no).unwrap_or_default();
            let base = format!("import:{who_key}:{at}:{total_minor}");
            let n = occurrences.entry(base.clone()).or_insert(0);
            *n += 1;
            format!("{base}:{n}")
        }
    };
    Ok(Some(PurchasePlan {
        who,
        client_id,
        at,
        total_minor,
        payment,
        note,
        staff,
    }))
}

/// Who a purchase row's code or phone names: a stored customer (by code, else by phone,
/// then whom a merged duplicate went to) or one this file creates; None when nobody. A
/// phone that belongs to a customer with another code fails the row.
fn find_buyer(
    db: &mut ImportDb,
    r: &mut RowReader,
    new: &NewCustomers,
    code: &Option<String>,
    code_key: &Option<String>,
    phone_no: &Option<String>,
) -> Result<Option<Who>> {
    let mut who = None;
    if let Some(c) = code {
        who = db.by_code(c)?.map(Who::Id);
    }
    if who.is_none() {
        if let Some(p) = phone_no {
            if let Some(id) = db.by_phone(p)? {
                let other_code = db.existing(id)?.and_then(|e| e.record.code);
                if let (Some(mine), Some(theirs)) = (code, other_code) {
                    if !mine.eq_ignore_ascii_case(&theirs) {
                        let e = phone_taken(db, p, id)?;
                        r.fail(Some(Field::Phone), &e);
                        return Ok(None);
                    }
                }
                who = Some(Who::Id(id));
            }
        }
    }
    // History of a merged duplicate belongs to the customer it was merged into.
    if let Some(Who::Id(id)) = who {
        who = Some(Who::Id(db.keeper(id)?));
    }
    if who.is_none() {
        who = code_key
            .as_ref()
            .and_then(|k| new.by_code.get(k))
            .or_else(|| phone_no.as_ref().and_then(|p| new.by_phone.get(p)))
            .map(|&i| Who::New(i));
    }
    Ok(who)
}

/// A customer this purchases file creates (--create-missing); None when the row fails.
fn new_buyer(
    r: &mut RowReader,
    new: &mut NewCustomers,
    name: Option<String>,
    code: &Option<String>,
    code_key: &Option<String>,
    phone_no: &Option<String>,
) -> Option<Who> {
    // A card code alone makes a customer (no phone); with no name either, the code
    // stands in for it until the shop edits the profile.
    let name = match name.or_else(|| code.clone()).map(|n| valid_name(&n)) {
        Some(Ok(n)) => Some(n),
        Some(Err(e)) => {
            r.fail(Some(Field::Name), &e);
            None
        }
        None => {
            r.fail(Some(Field::Name), &CoreError::NameRequired);
            None
        }
    };
    let name = name?;
    let i = new.records.len();
    new.records.push(Record {
        code: code.clone(),
        name,
        phone: phone_no.clone(),
        source: "walk_in".into(),
        ..Default::default()
    });
    if let Some(k) = code_key {
        new.by_code.insert(k.clone(), i);
    }
    if let Some(p) = phone_no {
        new.by_phone.insert(p.clone(), i);
    }
    Some(Who::New(i))
}

fn plan(
    conn: db::Conn,
    kind: Kind,
    table: &Table,
    mapping: &Mapping,
    opts: &ImportOptions,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(u64),
) -> Result<Plan> {
    let (currency, exp) = currency(conn)?;
    // A lone "1.250" means what the rest of its column says ("12.50" elsewhere: a decimal).
    let decimal_mark = mapping.get(&Field::Amount).and_then(|&col| {
        let texts = table.rows.iter().filter_map(|r| match table.cell(r, col) {
            Cell::Text(t) => Some(t.as_str()),
            _ => None,
        });
        values::column_decimal_mark(texts)
    });
    let ctx = Ctx {
        table,
        mapping,
        currency,
        exp,
        tz: timezone(conn)?,
        any_dates: crate::store::settings::any_purchase_date(conn)?,
        decimal_mark,
    };
    let mut db = ImportDb::new(conn)?;
    let _cache = crate::db::import::boost_cache(conn)?;
    report.rows = table.rows.len() as u64;
    Ok(match kind {
        Kind::Customers => Plan::Customers(plan_customers(&mut db, &ctx, report, progress)?),
        Kind::Purchases => {
            let (customers, purchases) =
                plan_purchases(&mut db, &ctx, opts.create_missing, report, progress)?;
            Plan::Purchases {
                customers,
                purchases,
            }
        }
    })
}

fn execute(conn: db::Conn, plan: Plan, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let _cache = crate::db::import::boost_cache(conn)?;
    let now = time::now();
    let mut done = 0u64;
    let mut tick = |done: u64| {
        if done.is_multiple_of(PROGRESS_EVERY) {
            progress(done);
        }
    };
    match plan {
        Plan::Customers(plans) => {
            for p in plans {
                match p {
                    CustomerPlan::Insert(rec) => {
                        db::customers::insert(conn, &rec, now)?;
                    }
                    CustomerPlan::Update { id, record } => {
                        db::customers::update(conn, id, &record, now)?
                    }
                }
                done += 1;
                tick(done);
            }
        }
        Plan::Purchases {
            customers,
            purchases,
        } => {
            let mut ids = Vec::with_capacity(customers.len());
            for rec in &customers {
                ids.push(db::customers::insert(conn, rec, now)?);
            }
            // (visits, total, first, last) per customer, folded in once at the end.
            let mut stats: HashMap<i64, (i64, i64, i64, i64)> = HashMap::new();
            for p in &purchases {
                let customer_id = match p.who {
                    Who::Id(id) => id,
                    Who::New(i) => *ids
                        .get(i)
                        .ok_or_else(|| CoreError::Internal("import customer index".into()))?,
                };
                db::purchases::insert(
                    conn,
                    &NewPurchase {
                        client_id: Some(&p.client_id),
                        customer_id,
                        at: p.at,
                        total_minor: p.total_minor,
                        payment_method: p.payment,
                        note: p.note.as_deref(),
                        staff: p.staff.as_deref(),
                        discount_minor: 0,
                        // History from a spreadsheet was not made at a counter.
                        counter: None,
                    },
                    &[],
                    now,
                )?;
                let s = stats.entry(customer_id).or_insert((0, 0, p.at, p.at));
                s.0 += 1;
                s.1 = s.1.saturating_add(p.total_minor);
                s.2 = s.2.min(p.at);
                s.3 = s.3.max(p.at);
                done += 1;
                tick(done);
            }
            let mut by_id: Vec<_> = stats.into_iter().collect();
            by_id.sort_unstable_by_key(|s| s.0);
            for (id, (n, total, first, last)) in by_id {
                db::customers::add_purchases_stats(conn, id, n, total, first, last)?;
            }
        }
    }
    Ok(())
}

fn resolve_mapping(kind: Kind, table: &Table, mapping: Option<&Mapping>) -> Result<Mapping> {
    let m = match mapping {
        Some(m) => m.clone(),
        None => detect(kind, &table.headers),
    };
    mapping::validate(kind, &table.headers, &m)?;
    Ok(m)
}

impl Store {
    /// Read a file, detect its mapping (or take `opts.mapping`) and dry-run it, for the
    /// window's import screen.
    pub fn import_preview(&self, kind: Kind, path: &Path, opts: &ImportOptions) -> Result<Preview> {
        self.require(Perm::Import)?;
        let table = read::read(path, kind, opts.sheet.as_deref())?;
        let mapping = match &opts.mapping {
            Some(m) => m.clone(),
            None => detect(kind, &table.headers),
        };
        let (report, mapping_error) = match mapping::validate(kind, &table.headers, &mapping) {
            Ok(()) => {
                let opts = ImportOptions {
                    dry_run: true,
                    ..opts.clone()
                };
                let mut report = ImportReport::new(kind, true);
                self.long_read(|conn| {
                    plan(
                        conn,
                        kind,
                        &table,
                        &mapping,
                        &opts,
                        &mut report,
                        &mut |_| {},
                    )
                })?;
                (Some(report), None)
            }
            Err(e) => (None, Some(Problem::from(&e))),
        };
        Ok(Preview {
            kind,
            sample: table
                .rows
                .iter()
                .take(SAMPLE_ROWS)
                .map(|r| SampleRow {
                    line: r.line,
                    cells: (0..table.headers.len())
                        .map(|c| table.cell(r, c).display())
                        .collect(),
                })
                .collect(),
            headers: table.headers,
            mapping,
            fields: kind.fields().to_vec(),
            required: kind.required().to_vec(),
            sheets: table.sheets,
            sheet: table.sheet,
            report,
            mapping_error,
        })
    }

    /// Import a file: every row is checked first; then, unless this is a dry run, all
    /// rows are written in one transaction, or none when any row is rejected (unless
    /// `skip_invalid`). `progress(phase, done, total)` counts the rows checked, then the
    /// rows written (`total` is the rows to write), never a row twice in one phase.
    pub fn import(
        &self,
        kind: Kind,
        path: &Path,
        opts: &ImportOptions,
        progress: &mut dyn FnMut(Phase, u64, u64),
    ) -> Result<ImportReport> {
        let actor = self.require(Perm::Import)?;
        let table = read::read(path, kind, opts.sheet.as_deref())?;
        let mapping = resolve_mapping(kind, &table, opts.mapping.as_ref())?;
        let rows = table.rows.len() as u64;
        let mut report = ImportReport::new(kind, opts.dry_run);
        progress(Phase::Check, 0, rows);
        if opts.dry_run {
            self.long_read(|conn| {
                plan(conn, kind, &table, &mapping, opts, &mut report, &mut |d| {
                    progress(Phase::Check, d, rows)
                })
            })?;
            progress(Phase::Check, rows, rows);
            return Ok(report);
        }
        let on_server = self.on_server();
        // An imported row (a customer or a purchase, with its index entries) is under 1 KB.
        let report = self.write_bulk_any(db::bulk_cache_kib(rows * 1024), |conn| {
            let p = plan(conn, kind, &table, &mapping, opts, &mut report, &mut |d| {
                progress(Phase::Check, d, rows)
            })?;
            progress(Phase::Check, rows, rows);
            if report.rejected > 0 && !opts.skip_invalid {
                return Ok(report);
            }
            let writes = report.inserted + report.updated;
            progress(Phase::Write, 0, writes);
            execute(conn, p, &mut |d| {
                progress(Phase::Write, d.min(writes), writes)
            })?;
            progress(Phase::Write, writes, writes);
            if kind == Kind::Purchases && report.inserted > 0 && !on_server {
                // Imported history counts towards 12-month tier spend at once.
                crate::loyalty::evaluate_all_tiers(conn, crate::time::now())?;
            }
            report.committed = true;
            crate::store::audit::record(
                conn,
                &actor
                    .entry("import.run", "import")
                    .entity_id(
                        path.file_name()
                            .map_or_else(|| "import".into(), |n| n.to_string_lossy().into_owned()),
                    )
                    .after(serde_json::json!({
                        "kind": kind,
                        "file": path.display().to_string(),
                        "rows": report.rows,
                        "inserted": report.inserted,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "customers_created": report.customers_created,
                        "rejected": report.rejected,
                    })),
            )?;
            Ok(report)
        })?;
        if on_server && report.committed && kind == Kind::Purchases && report.inserted > 0 {
            // On a server, after the import commits: the re-evaluation takes the customers
            // table, and taking it under the import's own row locks could deadlock with a
            // counter's bill. Should this fail, the daily pass catches the tiers up.
            self.write_any(|conn| crate::loyalty::evaluate_all_tiers(conn, crate::time::now()))?;
        }
        Ok(report)
    }
}
