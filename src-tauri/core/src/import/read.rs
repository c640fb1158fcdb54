//! Files to rows of cells: CSV (comma, semicolon or tab; UTF-8 with or without a BOM, or
//! UTF-16 as Excel saves "Unicode text"; CRLF or LF; quoted fields) and workbooks (.xlsx,
//! also .xls, .xlsb, .ods) through calamine, first sheet or a chosen one.

use super::mapping::{self, Kind};
use super::values::DateValue;
use crate::error::{CoreError, Result};
use crate::text;
use chrono::NaiveDate;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A numeric spreadsheet cell: never re-read as text with separators.
    Number(f64),
    /// A spreadsheet cell formatted as a date.
    Date(DateValue),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the user sees it, trimmed.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_owned(),
            Cell::Number(n) => super::values::number_text(*n),
            Cell::Date(DateValue::Date(d)) => super::values::ymd(*d),
            Cell::Date(DateValue::Local(t)) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Cell::Date(DateValue::Instant(t)) => t.to_rfc3339(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line (CSV) or row number (sheet) where the record starts.
    pub line: u64,
    pub cells: Vec<Cell>,
    /// Fields on this line beyond the header's, when some of them hold a value.
    pub extra_fields: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
    /// Sheet names of a workbook (empty for CSV).
    pub sheets: Vec<String>,
    pub sheet: Option<String>,
}

static EMPTY: Cell = Cell::Empty;

impl Table {
    /// A row's cell in a column; empty when the row is shorter than the header.
    pub fn cell<'a>(&self, row: &'a Row, col: usize) -> &'a Cell {
        row.cells.get(col).unwrap_or(&EMPTY)
    }
}

fn unreadable(path: &Path, detail: impl ToString) -> CoreError {
    CoreError::ImportUnreadable {
        path: path.display().to_string(),
        detail: detail.to_string(),
    }
}

fn is_workbook(path: &Path, head: &[u8]) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some("xlsx" | "xlsm" | "xls" | "xlsb" | "ods")
    ) || head.starts_with(b"PK\x03\x04")
        || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0])
}

/// Read a file into a table: the header row, then every non-empty row after it.
pub fn read(path: &Path, kind: Kind, sheet: Option<&str>) -> Result<Table> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, e))?;
    let (raw, sheets, chosen) = if is_workbook(path, &bytes) {
        let (rows, sheets, chosen) = read_workbook(path, sheet)?;
        (rows, sheets, Some(chosen))
    } else {
        let text = decode(&bytes)?;
        (read_csv(&text)?, Vec::new(), None)
    };
    table(kind, raw, sheets, chosen)
}

fn table(
    kind: Kind,
    raw: Vec<(u64, Vec<Cell>)>,
    sheets: Vec<String>,
    sheet: Option<String>,
) -> Result<Table> {
    let non_empty: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, (_, cells))| cells.iter().any(|c| !c.is_empty()))
        .map(|(i, _)| i)
        .collect();
    // A title line may sit above the header: take the first of the first ten rows that
    // names at least two known columns, else the first row with anything in it.
    let header_at = non_empty
        .iter()
        .take(10)
        .copied()
        .find(|&i| {
            let names: Vec<String> = raw[i].1.iter().map(Cell::display).collect();
            mapping::detect(kind, &names).len() >= 2
        })
        .or_else(|| non_empty.first().copied())
        .ok_or(CoreError::ImportEmpty)?;
    let mut headers: Vec<String> = raw[header_at].1.iter().map(Cell::display).collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    let width = headers.len();
    let rows: Vec<Row> = raw
        .into_iter()
        .skip(header_at + 1)
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .map(|(line, cells)| {
            let extra = cells.len() > width && cells[width..].iter().any(|c| !c.is_empty());
            Row {
                line,
                extra_fields: extra.then_some(cells.len()),
                cells,
            }
        })
        .collect();
    if rows.is_empty() {
        return Err(CoreError::ImportEmpty);
    }
    Ok(Table {
        headers,
        rows,
        sheets,
        sheet,
    })
}

/// Text from bytes: a BOM decides (UTF-8, UTF-16 LE/BE); UTF-16 without one is recognised
/// by its zero bytes; anything else must be valid UTF-8.
pub fn decode(bytes: &[u8]) -> Result<String> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, bad) = enc.decode_without_bom_handling(&bytes[bom..]);
        return if bad {
            Err(CoreError::ImportEncoding)
        } else {
            Ok(text.into_owned())
        };
    }
    let head = &bytes[..bytes.len().min(200)];
    let zeros_at = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|(i, b)| i % 2 == parity && **b == 0)
            .count()
    };
    if head.len() >= 4 && bytes.len().is_multiple_of(2) {
        let half = head.len() / 2;
        let enc = if zeros_at(1) * 10 >= half * 7 && zeros_at(0) == 0 {
            Some(encoding_rs::UTF_16LE)
        } else if zeros_at(0) * 10 >= half * 7 && zeros_at(1) == 0 {
            Some(encoding_rs::UTF_16BE)
        } else {
            None
        };
        if let Some(enc) = enc {
            let (text, bad) = enc.decode_without_bom_handling(bytes);
            return if bad {
                Err(CoreError::ImportEncoding)
            } else {
                Ok(text.into_owned())
            };
        }
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| CoreError::ImportEncoding)
}

/// Comma, semicolon or tab: the one seen most often outside quotes in the first lines.
pub fn detect_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut in_quotes = false;
    let mut lines = 0;
    for c in text.chars() {
        match c {
            '"' => in_quotes = !in_quotes,
            '\n' if !in_quotes => {
                lines += 1;
                if lines >= 10 {
                    break;
                }
            }
            ',' if !in_quotes => counts[0] += 1,
            ';' if !in_quotes => counts[1] += 1,
            '\t' if !in_quotes => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], i)).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        [b',', b';', b'\t'][best]
    }
}

/// Undo what spreadsheets and our own export put around text: `="0912345678"` (kept as
/// text by Excel) and a leading apostrophe that defuses a formula.
fn clean_text(s: &str) -> String {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        return inner.to_owned();
    }
    if let Some(rest) = t.strip_prefix('\'') {
        if rest.starts_with(['=', '+', '-', '@']) {
            return rest.to_owned();
        }
    }
    s.to_owned()
}

pub fn read_csv(text: &str) -> Result<Vec<(u64, Vec<Cell>)>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // Lines come from byte offsets (the reader's own line count lags a record behind).
    let (mut line, mut counted) = (1u64, 0usize);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| CoreError::ImportUnreadable {
            path: String::new(),
            detail: e.to_string(),
        })?;
        // A record "starts" at the line break that ended the one before it.
        let mut start = rec.position().map_or(counted, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if let Some(skipped) = text.as_bytes().get(counted..start) {
            line += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
            counted = start;
        }
        let cells = rec
            .iter()
            .map(|f| {
                if f.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(clean_text(f))
                }
            })
            .collect();
        out.push((line, cells));
    }
    Ok(out)
}

fn cell_from(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::Empty => Cell::Empty,
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            match NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d)) {
                Some(date) if (h, mi, s) == (0, 0, 0) => Cell::Date(DateValue::Date(date)),
                Some(date) => match date.and_hms_opt(u32::from(h), u32::from(mi), u32::from(s)) {
                    Some(t) => Cell::Date(DateValue::Local(t)),
                    None => Cell::Number(dt.as_f64()),
                },
                None => Cell::Number(dt.as_f64()),
            }
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::Error(e) => Cell::Text(format!("#{e}")),
    }
}

type SheetRows = (Vec<(u64, Vec<Cell>)>, Vec<String>, String);

fn read_workbook(path: &Path, sheet: Option<&str>) -> Result<SheetRows> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| unreadable(path, e))?;
    let names = wb.sheet_names();
    let name = match sheet.map(str::trim).filter(|s| !s.is_empty()) {
        Some(want) => names
            .iter()
            .find(|n| *n == want)
            .or_else(|| names.iter().find(|n| text::fold(n) == text::fold(want)))
            .cloned()
            .ok_or_else(|| CoreError::ImportSheetNotFound {
                sheet: want.to_owned(),
                sheets: names.join(", "),
            })?,
        None => names.first().cloned().ok_or(CoreError::ImportEmpty)?,
    };
    let range = wb.worksheet_range(&name).map_err(|e| unreadable(path, e))?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let rows = range
        .rows()
        .enumerate()
        .map(|(i, r)| (first_row + i as u64 + 1, r.iter().map(cell_from).collect()))
        .collect();
    Ok((rows, names, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(rows: &[(u64, Vec<Cell>)]) -> Vec<(u64, Vec<String>)> {
        rows.iter()
            .map(|(l, c)| (*l, c.iter().map(Cell::display).collect()))
            .collect()
    }

    #[test]
    fn delimiters_quotes_and_line_endings() {
        assert_eq!(detect_delimiter("a;b;c\n1;2;3"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t\"x,y,z\""), b'\t');
        assert_eq!(detect_delimiter("a,b\n"), b',');
        assert_eq!(detect_delimiter("one column\n"), b',');
        let rows = read_csv(
            "Tên;Ghi chú\r\n\"Lê; Văn\";\"dòng 1\r\ndòng 2\"\r\nAn;\"nói \"\"chào\"\"\"\r\n",
        )
        .unwrap();
        assert_eq!(
            texts(&rows),
            vec![
                (1, vec!["Tên".into(), "Ghi chú".into()]),
                (2, vec!["Lê; Văn".into(), "dòng 1\r\ndòng 2".into()]),
                (4, vec!["An".into(), "nói \"chào\"".into()]),
            ]
        );
    }

    #[test]
    fn encodings() {
        let s = "Tên,Điện thoại\nĐức,0912345678\n";
        let mut utf8_bom = vec![0xEF, 0xBB, 0xBF];
        utf8_bom.extend_from_slice(s.as_bytes());
        assert_eq!(decode(&utf8_bom).unwrap(), s);
        assert_eq!(decode(s.as_bytes()).unwrap(), s);
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le).unwrap(), s);
        let le_plain: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le_plain).unwrap(), s);
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap(), s);
        assert!(matches!(
            decode(&[b'a', 0xC3, 0x28, b'b']),
            Err(CoreError::ImportEncoding)
        ));
    }

    #[test]
    fn title_rows_and_blank_rows_are_skipped() {
        let raw = read_csv(
            "DANH SÁCH KHÁCH HÀNG,,\n,,\nTên khách hàng,Điện thoại,\nĐức,0912345678,\n,,\nAn,0987654321,\n",
        )
        .unwrap();
        let t = table(Kind::Customers, raw, Vec::new(), None).unwrap();
        assert_eq!(t.headers, vec!["Tên khách hàng", "Điện thoại"]);
        assert_eq!(
            t.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![4, 6]
        );
        assert!(matches!(
            table(
                Kind::Customers,
                read_csv("Tên,SĐT\n").unwrap(),
                Vec::new(),
                None
            ),
            Err(CoreError::ImportEmpty)
        ));
    }

    #[test]
    fn spreadsheet_text_tricks_are_undone() {
        assert_eq!(clean_text("=\"0912345678\""), "0912345678");
        assert_eq!(clean_text("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(clean_text("'quoted"), "'quoted");
    }
}
