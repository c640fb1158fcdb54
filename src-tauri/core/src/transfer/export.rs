//! Export customers (with points, tier and stats), purchases and the points ledger to CSV
//! (UTF-8 with a BOM, so Excel shows Vietnamese) or .xlsx with typed columns: numbers as
//! numbers, instants as dates in the shop's time zone, money as numbers with the
//! currency's decimals. The file appears only once complete.

use crate::csvfile::{csv_err, csv_text, csv_writer, finish_csv, write_text_record};
use crate::db;
use crate::error::{CoreError, Result};
use crate::store::session::Perm;
use crate::store::settings::{currency, timezone};
use crate::store::Store;
use crate::{money, time};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Rows one sheet holds below its header.
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Customers,
    Purchases,
    Points,
}

impl ExportKind {
    pub fn parse(s: &str) -> Option<ExportKind> {
        match s {
            "customers" => Some(ExportKind::Customers),
            "purchases" => Some(ExportKind::Purchases),
            "points" => Some(ExportKind::Points),
            _ => None,
        }
    }

    /// Column keys, in file order; the caller's `Label::Column` turns them into headers.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Customers => &[
                "id",
                "code",
                "name",
                "phone",
                "birthday",
                "gender",
                "email",
                "address",
                "note",
                "tags",
                "source",
                "created_at",
                "visits",
                "total_spent",
                "first_purchase_at",
                "last_purchase_at",
                "points",
                "tier",
                "archived_at",
            ],
            ExportKind::Purchases => &[
                "purchase_id",
                "at",
                "customer_id",
                "code",
                "name",
                "phone",
                "total",
                "discount",
                "refunded",
                "payment_method",
                "items",
                "note",
                "staff",
            ],
            ExportKind::Points => &[
                "entry_id",
                "at",
                "customer_id",
                "code",
                "name",
                "phone",
                "kind",
                "points",
                "purchase_id",
                "staff",
                "reason",
            ],
        }
    }
}

/// What the caller translates: column headers and coded values, in the user's language.
#[derive(Debug, Clone, Copy)]
pub enum Label<'a> {
    Column(&'a str),
    Gender(&'a str),
    Source(&'a str),
    Payment(&'a str),
    PointsKind(&'a str),
}

#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub kind: ExportKind,
    pub path: String,
    /// "csv" or "xlsx".
    pub format: String,
    pub rows: u64,
}

enum Val {
    Empty,
    Int(i64),
    Text(String),
    Money(i64),
    Instant(i64),
    Date(NaiveDate),
}

fn text(s: Option<String>) -> Val {
    s.map_or(Val::Empty, Val::Text)
}

fn instant(t: Option<i64>) -> Val {
    t.map_or(Val::Empty, Val::Instant)
}

/// A birthday with its year is a date; "--MM-DD" stays text.
fn birthday(b: Option<String>) -> Val {
    match b {
        Some(b) => match NaiveDate::parse_from_str(&b, "%Y-%m-%d") {
            Ok(d) => Val::Date(d),
            Err(_) => Val::Text(b),
        },
        None => Val::Empty,
    }
}

enum FileFormat {
    Csv,
    Xlsx,
}

fn format_of(path: &Path) -> Result<FileFormat> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => Ok(FileFormat::Csv),
        "xlsx" => Ok(FileFormat::Xlsx),
        _ => Err(CoreError::ExportFormat(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        )),
    }
}

fn local(t: i64, tz: Tz) -> NaiveDateTime {
    time::from_unix(t).with_timezone(&tz).naive_local()
}

enum Sink {
    Csv(Box<csv::Writer<BufWriter<File>>>),
    Xlsx(Box<XlsxSink>),
}

struct XlsxSink {
    wb: Workbook,
    row: u32,
    bold: Format,
    money: Format,
    datetime: Format,
    date: Format,
}

impl Sink {
    fn open(fmt: &FileFormat, tmp: &Path, exp: u32) -> Result<Sink> {
        Ok(match fmt {
            FileFormat::Csv => Sink::Csv(Box::new(csv_writer(tmp)?)),
            FileFormat::Xlsx => {
                let mut wb = Workbook::new();
                wb.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
                let money = if exp == 0 {
                    "#,##0".to_owned()
                } else {
                    format!("#,##0.{}", "0".repeat(exp as usize))
                };
                Sink::Xlsx(Box::new(XlsxSink {
                    wb,
                    row: 0,
                    bold: Format::new().set_bold(),
                    money: Format::new().set_num_format(money),
                    datetime: Format::new().set_num_format("dd/mm/yyyy hh:mm"),
                    date: Format::new().set_num_format("dd/mm/yyyy"),
                }))
            }
        })
    }

    fn header(&mut self, cols: &[String]) -> Result<()> {
        match self {
            Sink::Csv(w) => write_text_record(w, cols)?,
            Sink::Xlsx(x) => {
                let ws = x.wb.worksheet_from_index(0).map_err(xlsx_err)?;
                // Layout first: a constant-memory sheet takes it only before any cell.
                ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
                for (c, h) in cols.iter().enumerate() {
                    ws.set_column_width(c as u16, (h.chars().count() + 4).clamp(12, 40) as f64)
                        .map_err(xlsx_err)?;
                }
                for (c, h) in cols.iter().enumerate() {
                    ws.write_string_with_format(0, c as u16, h, &x.bold)
                        .map_err(xlsx_err)?;
                }
                x.row = 1;
            }
        }
        Ok(())
    }

    fn row(&mut self, vals: &[Val], exp: u32, tz: Tz) -> Result<()> {
        match self {
            Sink::Csv(w) => {
                for v in vals {
                    let s = match v {
                        Val::Empty => String::new(),
                        Val::Int(i) => i.to_string(),
                        Val::Text(t) => csv_text(t).into_owned(),
                        Val::Money(m) => money::from_minor(*m, exp).to_string(),
                        Val::Instant(t) => local(*t, tz).format("%Y-%m-%d %H:%M:%S").to_string(),
                        Val::Date(d) => d.format("%Y-%m-%d").to_string(),
                    };
                    w.write_field(s).map_err(csv_err)?;
                }
                w.write_record(None::<&[u8]>).map_err(csv_err)?;
            }
            Sink::Xlsx(x) => {
                if u64::from(x.row) > XLSX_MAX_ROWS {
                    return Err(CoreError::ExportTooManyRows { max: XLSX_MAX_ROWS });
                }
                let r = x.row;
                let ws = x.wb.worksheet_from_index(0).map_err(xlsx_err)?;
                for (c, v) in vals.iter().enumerate() {
                    let c = c as u16;
                    match v {
                        Val::Empty => {}
                        Val::Int(i) => {
                            ws.write_number(r, c, *i as f64).map_err(xlsx_err)?;
                        }
                        Val::Text(t) => {
                            ws.write_string(r, c, t).map_err(xlsx_err)?;
                        }
                        Val::Money(m) => {
                            let n = money::from_minor(*m, exp).to_f64().unwrap_or_default();
                            ws.write_number_with_format(r, c, n, &x.money)
                                .map_err(xlsx_err)?;
                        }
                        // A date no spreadsheet can hold (year 0 from an old file) goes as text.
                        Val::Instant(t) => {
                            let l = local(*t, tz);
                            match excel_date(l.date()).and_then(|d| {
                                d.and_hms(l.hour() as u16, l.minute() as u8, l.second())
                                    .map_err(xlsx_err)
                            }) {
                                Ok(dt) => ws.write_datetime_with_format(r, c, &dt, &x.datetime),
                                Err(_) => {
                                    ws.write_string(r, c, l.format("%Y-%m-%d %H:%M:%S").to_string())
                                }
                            }
                            .map_err(xlsx_err)?;
                        }
                        Val::Date(d) => {
                            match excel_date(*d) {
                                Ok(dt) => ws.write_datetime_with_format(r, c, &dt, &x.date),
                                Err(_) => ws.write_string(r, c, d.format("%Y-%m-%d").to_string()),
                            }
                            .map_err(xlsx_err)?;
                        }
                    }
                }
                x.row += 1;
            }
        }
        Ok(())
    }

    fn finish(self, tmp: &Path) -> Result<()> {
        match self {
            Sink::Csv(w) => finish_csv(*w)?,
            Sink::Xlsx(mut x) => x.wb.save(tmp).map_err(xlsx_err)?,
        }
        Ok(())
    }
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime> {
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).map_err(xlsx_err)
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> CoreError {
    match e {
        rust_xlsxwriter::XlsxError::IoError(io) => CoreError::Io(io),
        other => CoreError::Internal(other.to_string()),
    }
}

/// A file the export could not write (no room, no permission, a folder gone): one sentence
/// naming the file; the system's or the library's words go to the log only.
fn write_failed(path: &Path, e: CoreError) -> CoreError {
    match e {
        CoreError::Io(_) | CoreError::Internal(_) => {
            tracing::warn!(file = %path.display(), error = %e, "export: cannot write the file");
            CoreError::ExportWriteFailed {
                file: crate::transfer::import::read::shown_name(path),
            }
        }
        other => other,
    }
}

/// One customer as a row of the customers export, columns as [`ExportKind::columns`].
fn customer_row(c: db::export::CustomerOut, label: &dyn Fn(Label) -> String) -> Vec<Val> {
    vec![
        Val::Int(c.id),
        text(c.code),
        Val::Text(c.name),
        text(c.phone),
        birthday(c.birthday),
        text(c.gender.map(|g| label(Label::Gender(&g)))),
        text(c.email),
        text(c.address),
        text(c.note),
        text((!c.tags.is_empty()).then(|| c.tags.join(", "))),
        Val::Text(label(Label::Source(&c.source))),
        Val::Instant(c.created_at),
        Val::Int(c.visits),
        Val::Money(c.total_minor),
        instant(c.first_purchase_at),
        instant(c.last_purchase_at),
        Val::Int(c.points),
        text(c.tier),
        instant(c.archived_at),
    ]
}

/// One purchase as a row of the purchases export, its items as one text cell.
fn purchase_row(p: db::export::PurchaseOut, exp: u32, label: &dyn Fn(Label) -> String) -> Vec<Val> {
    let items = p
        .items
        .iter()
        .map(|(product, qty, unit)| {
            format!("{product} × {qty} @ {}", money::from_minor(*unit, exp))
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        Val::Int(p.id),
        Val::Instant(p.at),
        Val::Int(p.customer_id),
        text(p.code),
        Val::Text(p.name),
        text(p.phone),
        Val::Money(p.total_minor),
        Val::Money(p.discount_minor),
        Val::Money(p.refunded_minor),
        Val::Text(label(Label::Payment(&p.payment_method))),
        text((!items.is_empty()).then_some(items)),
        text(p.note),
        text(p.staff),
    ]
}

/// One points-ledger entry as a row of the points export.
fn ledger_row(e: db::export::LedgerOut, label: &dyn Fn(Label) -> String) -> Vec<Val> {
    vec![
        Val::Int(e.id),
        Val::Instant(e.at),
        Val::Int(e.customer_id),
        text(e.code),
        Val::Text(e.name),
        text(e.phone),
        Val::Text(label(Label::PointsKind(&e.kind))),
        Val::Int(e.points),
        e.purchase_id.map_or(Val::Empty, Val::Int),
        text(e.staff),
        text(e.reason),
    ]
}

impl Store {
    /// Write `kind` to `path` (.csv or .xlsx). `label` translates headers and coded values.
    /// Reads apart from the counter's writes ([`Store::long_read`]), in one snapshot.
    pub fn export(
        &self,
        kind: ExportKind,
        path: &Path,
        label: &dyn Fn(Label) -> String,
    ) -> Result<ExportReport> {
        let actor = self.require(Perm::Export)?;
        let fmt = format_of(path)?;
        let mut rows = 0u64;
        let write = |conn: db::Conn| -> Result<()> {
            let (_, exp) = currency(conn)?;
            let tz = timezone(conn)?;
            let headers: Vec<String> = kind
                .columns()
                .iter()
                .map(|c| label(Label::Column(c)))
                .collect();
            self.write_user_file(path, |tmp| {
                let mut sink = Sink::open(&fmt, tmp, exp)?;
                sink.header(&headers)?;
                let mut put = |vals: Vec<Val>| -> Result<()> {
                    rows += 1;
                    sink.row(&vals, exp, tz)
                };
                match kind {
                    ExportKind::Customers => {
                        db::export::each_customer(conn, |c| put(customer_row(c, label)))?
                    }
                    ExportKind::Purchases => {
                        db::export::each_purchase(conn, |p| put(purchase_row(p, exp, label)))?
                    }
                    ExportKind::Points => {
                        db::export::each_ledger_entry(conn, |e| put(ledger_row(e, label)))?
                    }
                }
                sink.finish(tmp)
            })
            .map_err(|e| write_failed(path, e))
        };
        self.long_read(write)?;
        let report = ExportReport {
            kind,
            path: path.display().to_string(),
            format: match fmt {
                FileFormat::Csv => "csv",
                FileFormat::Xlsx => "xlsx",
            }
            .into(),
            rows,
        };
        self.audit_append(
            &actor
                .entry("export.run", "export")
                .after(crate::store::audit::snapshot(&report)?),
        )?;
        Ok(report)
    }
}
