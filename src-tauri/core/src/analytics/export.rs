//! Every report's table view to .csv (UTF-8 with a BOM) or .xlsx, with headers in the
//! user's language from `label(column key)`.

use super::reports::{Period, Range};
use crate::error::{CoreError, Result};
use crate::store::session::Perm;
use crate::store::Store;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportArgs {
    pub from: Option<String>,
    pub to: Option<String>,
    pub period: Option<String>,
    pub inactive_days: Option<i64>,
    pub calibration_end: Option<String>,
    pub horizon_days: Option<i64>,
    pub model: Option<String>,
    pub limit: Option<usize>,
    /// One counter's row of the counters report.
    pub counter: Option<String>,
}

impl ReportArgs {
    fn range(&self) -> Range {
        Range {
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

pub enum Cell {
    Text(String),
    Int(i64),
    Num(Option<f64>),
    Money(Option<Decimal>),
}

pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// What the figures rest on (the range, the rule, the fitted model), keyed like the
    /// columns: the command line shows them above the table; the files hold the rows only.
    pub notes: Vec<(&'static str, String)>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// When the scores in a table were computed, and "stale" when a refresh is due.
fn scores_notes(
    at: Option<chrono::DateTime<chrono::Utc>>,
    stale: bool,
) -> Vec<(&'static str, String)> {
    let mut notes = vec![(
        "computed_at",
        at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default(),
    )];
    if stale {
        notes.push(("stale", String::new()));
    }
    notes
}

impl Store {
    /// A report as rows, the same figures the window's table view shows.
    pub fn report_table(&self, report: &str, a: &ReportArgs) -> Result<Table> {
        self.require(Perm::View)?;
        match report {
            "summary" => self.summary_table(a),
            "churn" => self.churn_table(a),
            "cohorts" => self.cohorts_table(a),
            "rfm" => self.rfm_table(),
            "lifecycle" => self.lifecycle_table(),
            "clv" => self.clv_table(a),
            "staff" => self.staff_table(a),
            "counters" => self.counters_table(a),
            other => Err(CoreError::ReportInvalid {
                key: "report".into(),
                value: other.into(),
            }),
        }
    }

    fn summary_table(&self, a: &ReportArgs) -> Result<Table> {
        let s = self.report_summary(&a.range())?;
        Ok(Table {
            columns: vec!["metric", "value"],
            rows: vec![
                vec![text("customers"), Cell::Int(s.customers)],
                vec![text("purchases"), Cell::Int(s.purchases)],
                vec![text("revenue"), Cell::Money(s.revenue)],
                vec![text("repeat_rate"), Cell::Num(s.repeat_rate)],
                vec![text("average_basket"), Cell::Money(s.average_basket)],
                vec![text("frequency_per_year"), Cell::Num(s.frequency_per_year)],
                vec![text("lifespan_years"), Cell::Num(s.lifespan_years)],
                vec![text("simple_clv"), Cell::Money(s.simple_clv)],
                vec![text("revenue_first"), Cell::Money(s.revenue_split.first)],
                vec![
                    text("revenue_returning"),
                    Cell::Money(s.revenue_split.returning),
                ],
                vec![
                    text("returning_share"),
                    Cell::Num(s.revenue_split.returning_share),
                ],
            ],
            notes: vec![("from", s.from), ("to", s.to)],
        })
    }

    fn churn_table(&self, a: &ReportArgs) -> Result<Table> {
        let period = a.period.as_deref().unwrap_or("month");
        Period::parse(period)?;
        let r = self.report_churn(period, &a.range(), a.inactive_days)?;
        Ok(Table {
            columns: vec![
                "start",
                "end",
                "customers_at_start",
                "new",
                "returned",
                "lost",
                "customers_at_end",
                "churn_rate",
                "retention_rate",
            ],
            rows: r
                .periods
                .into_iter()
                .map(|p| {
                    vec![
                        text(p.start),
                        text(p.end),
                        Cell::Int(p.customers_at_start),
                        Cell::Int(p.new),
                        Cell::Int(p.returned),
                        Cell::Int(p.lost),
                        Cell::Int(p.customers_at_end),
                        Cell::Num(p.churn_rate),
                        Cell::Num(p.retention_rate),
                    ]
                })
                .collect(),
            notes: vec![("inactive_days", r.inactive_days.to_string())],
        })
    }

    fn cohorts_table(&self, a: &ReportArgs) -> Result<Table> {
        let r = self.report_cohorts(&a.range())?;
        const MONTHS: [&str; 13] = [
            "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12",
        ];
        let width = r
            .cohorts
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0)
            .min(MONTHS.len());
        let mut columns = vec!["cohort", "size"];
        columns.extend(&MONTHS[..width]);
        Ok(Table {
            columns,
            rows: r
                .cohorts
                .into_iter()
                .map(|c| {
                    let mut row = vec![text(c.month), Cell::Int(c.size)];
                    row.extend((0..width).map(|k| Cell::Num(c.retention.get(k).copied())));
                    row
                })
                .collect(),
            notes: vec![],
        })
    }

    fn rfm_table(&self) -> Result<Table> {
        let r = self.report_rfm()?;
        Ok(Table {
            columns: vec!["segment", "customers", "revenue"],
            notes: scores_notes(r.computed_at, r.stale),
            rows: r
                .segments
                .into_iter()
                .map(|s| vec![text(s.segment), Cell::Int(s.count), Cell::Money(s.revenue)])
                .collect(),
        })
    }

    fn lifecycle_table(&self) -> Result<Table> {
        let r = self.report_lifecycle()?;
        Ok(Table {
            columns: vec!["stage", "customers"],
            notes: scores_notes(r.computed_at, r.stale),
            rows: r
                .stages
                .into_iter()
                .map(|s| vec![text(s.stage), Cell::Int(s.count)])
                .collect(),
        })
    }

    fn clv_table(&self, a: &ReportArgs) -> Result<Table> {
        let r = self.report_clv(a.calibration_end.as_deref(), a.horizon_days, a.limit)?;
        let (b, g) = (&r.bgnbd, &r.gamma_gamma);
        let notes = vec![
            ("calibration_end", r.calibration_end.clone()),
            ("horizon_days", r.horizon_days.to_string()),
            (
                "bgnbd",
                format!("r = {}, α = {}, a = {}, b = {}", b.r, b.alpha, b.a, b.b),
            ),
            (
                "gamma_gamma",
                format!("p = {}, q = {}, γ = {}", g.p, g.q, g.gamma),
            ),
        ];
        Ok(Table {
            columns: vec![
                "id",
                "code",
                "name",
                "p_alive",
                "expected_purchases",
                "expected_spend",
                "clv",
                "at_risk",
                "next_visit",
            ],
            rows: r
                .customers
                .into_iter()
                .map(|c| {
                    vec![
                        Cell::Int(c.id),
                        text(c.code.unwrap_or_default()),
                        text(c.name),
                        Cell::Num(c.p_alive),
                        Cell::Num(Some(c.expected_purchases)),
                        Cell::Money(c.expected_spend),
                        Cell::Money(c.clv),
                        text(if c.at_risk { "1" } else { "" }),
                        text(c.next_visit.unwrap_or_default()),
                    ]
                })
                .collect(),
            notes,
        })
    }

    fn counters_table(&self, a: &ReportArgs) -> Result<Table> {
        let r = self.report_counters(&a.range(), a.counter.as_deref())?;
        Ok(Table {
            columns: vec!["counter", "purchases", "revenue", "customers"],
            rows: r
                .counters
                .into_iter()
                .map(|c| {
                    vec![
                        text(c.counter),
                        Cell::Int(c.purchases),
                        Cell::Money(Some(c.revenue)),
                        Cell::Int(c.customers),
                    ]
                })
                .collect(),
            notes: vec![("from", r.from), ("to", r.to)],
        })
    }

    fn staff_table(&self, a: &ReportArgs) -> Result<Table> {
        let r = self.report_staff(&a.range())?;
        Ok(Table {
            columns: vec![
                "staff",
                "purchases",
                "revenue",
                "new_customers",
                "reminders_completed",
                "customers_served",
                "lost_customers",
                "churn_rate",
            ],
            rows: r
                .staff
                .into_iter()
                .map(|s| {
                    vec![
                        text(s.staff),
                        Cell::Int(s.purchases),
                        Cell::Money(Some(s.revenue)),
                        Cell::Int(s.new_customers),
                        Cell::Int(s.reminders_completed),
                        Cell::Int(s.customers_served),
                        Cell::Int(s.lost_customers),
                        Cell::Num(s.churn_rate),
                    ]
                })
                .collect(),
            notes: vec![],
        })
    }

    /// Write a report's table to `path` (.csv or .xlsx); returns the data rows written.
    pub fn export_report(
        &self,
        report: &str,
        args: &ReportArgs,
        path: &Path,
        label: &dyn Fn(&str) -> String,
    ) -> Result<u64> {
        let actor = self.require(Perm::Export)?;
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext != "csv" && ext != "xlsx" {
            return Err(CoreError::ExportFormat(ext));
        }
        let table = self.report_table(report, args)?;
        let headers: Vec<String> = table.columns.iter().map(|c| label(c)).collect();
        self.write_user_file(path, |tmp| {
            if ext == "csv" {
                write_csv(tmp, &headers, &table)
            } else {
                write_xlsx(tmp, &headers, &table)
            }
        })?;
        let rows = table.rows.len() as u64;
        self.audit_append(
            &actor
                .entry("report.export", "export")
                .entity_id(report)
                .after(serde_json::json!({"file": path.display().to_string(), "rows": rows})),
        )?;
        Ok(rows)
    }
}

/// A cell as text, as the CSV file and the command line show it (empty when unknown).
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Num(v) => v.map(|x| x.to_string()).unwrap_or_default(),
        Cell::Money(v) => v.map(|d| d.to_string()).unwrap_or_default(),
    }
}

fn write_csv(tmp: &Path, headers: &[String], t: &Table) -> Result<()> {
    use crate::csvfile::csv_text;
    let mut w = crate::csvfile::csv_writer(tmp)?;
    crate::csvfile::write_text_record(&mut w, headers)?;
    for row in &t.rows {
        // Text goes through the one escaping rule; numbers are numbers.
        let cells = row.iter().map(|c| match c {
            Cell::Text(s) => csv_text(s).into_owned(),
            other => cell_text(other),
        });
        w.write_record(cells).map_err(crate::csvfile::csv_err)?;
    }
    crate::csvfile::finish_csv(w)
}

fn write_xlsx(tmp: &Path, headers: &[String], t: &Table) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| CoreError::Internal(e.to_string());
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let bold = Format::new().set_bold();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, (h.chars().count() + 4).clamp(10, 40) as f64)
            .map_err(err)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s).map(|_| ()),
                Cell::Int(n) => ws.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Num(Some(x)) => ws.write_number(r, c, *x).map(|_| ()),
                Cell::Money(Some(d)) => ws
                    .write_number(r, c, d.to_f64().unwrap_or_default())
                    .map(|_| ()),
                Cell::Num(None) | Cell::Money(None) => Ok(()),
            }
            .map_err(err)?;
        }
    }
    wb.save(tmp).map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_csv_text_is_escaped_and_numbers_stay_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("r.csv");
        let t = Table {
            columns: vec!["name", "visits"],
            rows: vec![
                vec![text("=HYPERLINK(\"http://x\")"), Cell::Int(-5)],
                vec![text("+84912345678"), Cell::Int(3)],
                vec![text("-5+cmd|' /C calc'!A0"), Cell::Num(Some(-1.5))],
                vec![text("@SUM(A1)"), Cell::Money(None)],
                vec![text("\tx"), Cell::Int(0)],
                vec![text("Lan"), Cell::Int(1)],
            ],
            notes: vec![],
        };
        write_csv(&tmp, &["=h".into(), "visits".into()], &t).unwrap();
        let body = std::fs::read_to_string(&tmp).unwrap();
        let lines: Vec<&str> = body.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "'=h,visits");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\")\",-5");
        assert_eq!(lines[2], "'+84912345678,3");
        assert_eq!(lines[3], "'-5+cmd|' /C calc'!A0,-1.5");
        assert_eq!(lines[4], "'@SUM(A1),");
        assert_eq!(lines[5], "'\tx,0");
        assert_eq!(lines[6], "Lan,1");
    }
}
