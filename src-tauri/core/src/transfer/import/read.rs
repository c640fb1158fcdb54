//! Files to rows of cells: CSV (comma, semicolon or tab; UTF-8 with or without a BOM, or
//! UTF-16 as Excel saves "Unicode text"; CRLF or LF; quoted fields) and workbooks (.xlsx,
//! .xlsm) through calamine, first sheet or a chosen one.
//!
//! A file is hostile: only a regular file is opened, and its size, rows, columns and cells
//! (for a workbook, also its unpacked parts and every cell's position) are checked against
//! the limits below before anything is allocated for them. A 1.6 KB workbook with one cell
//! at XFD1048576 would otherwise make a range of 17 billion cells. .xls, .xlsb and .ods are
//! refused: calamine builds their whole range at once, with no way to check it first.

use super::mapping::{self, Kind};
use super::values::DateValue;
use crate::error::{CoreError, Result};
use crate::{files, text};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

/// The largest file an import reads: the app's own export of a million customers (about
/// 200 MB) still imports back.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// The most a workbook's parts may unpack to, all together.
pub const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
/// Rows (CSV records or sheet rows), header and blank lines included: a sheet's own limit.
pub const MAX_ROWS: u64 = 1_048_576;
/// Columns in any row; a shop's table has a few dozen at most.
pub const MAX_COLUMNS: usize = 256;
/// Cells in the whole file (a million rows of 24 columns), so that what is kept stays within
/// memory (under 1 GB even for a file of empty cells).
pub const MAX_CELLS: u64 = 24_000_000;
/// Parts in a workbook's zip.
const MAX_PARTS: usize = 10_000;

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

/// The file's name as the owner knows it (not the whole path) for a one-sentence message.
pub(crate) fn shown_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The file could not be opened or read; the system's words go to the log only.
fn unreadable(path: &Path, detail: impl std::fmt::Display) -> CoreError {
    tracing::warn!(file = %path.display(), error = %detail, "import: cannot read the file");
    CoreError::ImportFileUnreadable {
        file: shown_name(path),
    }
}

/// A workbook the zip or xlsx reader refuses (truncated, or not a workbook at all): the
/// library's words ("Could not find EOCD") go to the log only.
fn not_xlsx(path: &Path, detail: impl std::fmt::Display) -> CoreError {
    tracing::warn!(file = %path.display(), error = %detail, "import: not a readable workbook");
    CoreError::ImportNotXlsx {
        file: shown_name(path),
    }
}

/// Bytes no table is made of: NUL bytes, or many control characters, in the first 4 KB of
/// text (a picture or a program chosen by mistake).
fn looks_binary(text: &[u8]) -> bool {
    let head = &text[..text.len().min(4096)];
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        .count();
    head.contains(&0) || control * 20 > head.len()
}

enum Format {
    Csv,
    Xlsx,
    /// A workbook calamine can only read whole: refused, with its extension.
    Unsupported(String),
}

fn format_of(path: &Path, head: &[u8]) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" => Format::Xlsx,
        "xls" | "xlsb" | "ods" => Format::Unsupported(ext),
        _ if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) => Format::Unsupported("xls".into()),
        _ if head.starts_with(b"PK\x03\x04") => Format::Xlsx,
        _ => Format::Csv,
    }
}

fn file_too_large() -> CoreError {
    CoreError::ImportFileTooLarge {
        max_mb: MAX_FILE_BYTES / (1024 * 1024),
    }
}

/// The file's bytes: a regular file only (never a FIFO, a device or a folder), refused
/// before reading when larger than [`MAX_FILE_BYTES`], and never read past that limit even
/// if it grows meanwhile.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let (file, meta) = files::open_regular(path).map_err(|e| match e {
        CoreError::Io(io) => unreadable(path, io),
        other => other,
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(file_too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(file_too_large());
    }
    Ok(bytes)
}

/// Read a file into a table: the header row, then every non-empty row after it.
pub fn read(path: &Path, kind: Kind, sheet: Option<&str>) -> Result<Table> {
    let bytes = read_bytes(path)?;
    let (raw, sheets, chosen) = match format_of(path, &bytes) {
        Format::Xlsx => {
            let (rows, sheets, chosen) = read_workbook(path, bytes, sheet)?;
            (rows, sheets, Some(chosen))
        }
        Format::Unsupported(format) => return Err(CoreError::ImportFormatUnsupported { format }),
        Format::Csv => {
            let text = match decode(&bytes) {
                Err(CoreError::ImportEncoding) if looks_binary(&bytes) => {
                    return Err(CoreError::ImportNotTable {
                        file: shown_name(path),
                    })
                }
                other => other?,
            };
            drop(bytes);
            if looks_binary(text.as_bytes()) {
                return Err(CoreError::ImportNotTable {
                    file: shown_name(path),
                });
            }
            (
                read_csv(&text).map_err(|e| match e {
                    CoreError::ImportUnreadable { detail, .. } => unreadable(path, detail),
                    other => other,
                })?,
                Vec::new(),
                None,
            )
        }
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
/// text by Excel) and the leading apostrophe [`crate::csvfile::csv_text`] puts before a cell
/// that a spreadsheet would run as a formula.
fn clean_text(s: &str) -> String {
    let t = s.trim();
    if let Some(inner) = t.strip_prefix("=\"").and_then(|r| r.strip_suffix('"')) {
        return inner.to_owned();
    }
    if let Some(rest) = t.strip_prefix('\'') {
        if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            return rest.to_owned();
        }
    }
    s.to_owned()
}

/// The line a record starting at byte `start` is on (after the line breaks before it).
fn line_at(text: &[u8], mut start: usize) -> u64 {
    while matches!(text.get(start), Some(b'\r' | b'\n')) {
        start += 1;
    }
    1 + text[..start.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
}

/// Count records, fields per record and fields in all, exactly as the CSV reader will split
/// them but without storing any, and refuse the file at the first record beyond a limit.
fn check_shape(text: &[u8], delimiter: u8) -> Result<()> {
    use csv_core::ReadFieldResult;
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut sink = [0u8; 4096];
    let (mut pos, mut start, mut fields, mut records, mut cells) = (0, 0, 0usize, 0u64, 0u64);
    loop {
        let (res, read, _) = rdr.read_field(&text[pos..], &mut sink);
        pos += read;
        match res {
            // An empty slice next time tells the reader the input has ended.
            ReadFieldResult::InputEmpty | ReadFieldResult::OutputFull => {}
            ReadFieldResult::Field { record_end } => {
                fields += 1;
                if fields > MAX_COLUMNS {
                    return Err(CoreError::ImportTooManyColumns {
                        line: line_at(text, start),
                        max: MAX_COLUMNS,
                    });
                }
                if record_end {
                    records += 1;
                    cells += fields as u64;
                    if records > MAX_ROWS {
                        return Err(CoreError::ImportTooManyRows {
                            line: line_at(text, start),
                            max: MAX_ROWS,
                        });
                    }
                    if cells > MAX_CELLS {
                        return Err(CoreError::ImportTooManyCells {
                            line: line_at(text, start),
                            max: MAX_CELLS,
                        });
                    }
                    fields = 0;
                    start = pos;
                }
            }
            ReadFieldResult::End => return Ok(()),
        }
    }
}

pub fn read_csv(text: &str) -> Result<Vec<(u64, Vec<Cell>)>> {
    let delimiter = detect_delimiter(text);
    check_shape(text.as_bytes(), delimiter)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
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

fn unpacked_too_large() -> CoreError {
    CoreError::ImportUnpackedTooLarge {
        max_mb: MAX_UNPACKED_BYTES / (1024 * 1024),
    }
}

/// Check a workbook's zip before calamine unpacks anything: a bounded number of parts whose
/// declared sizes add up to at most [`MAX_UNPACKED_BYTES`] (the zip reader refuses a part
/// that unpacks to more than it declares), and no shared-strings table announcing more
/// strings than a file may hold cells (calamine reserves that many up front).
fn check_zip(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(path, e))?;
    if zip.len() > MAX_PARTS {
        return Err(unpacked_too_large());
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|e| not_xlsx(path, e))?;
        total = total.saturating_add(part.size());
    }
    if total > MAX_UNPACKED_BYTES {
        return Err(unpacked_too_large());
    }
    for i in 0..zip.len() {
        let part = zip.by_index(i).map_err(|e| not_xlsx(path, e))?;
        let xml = part
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with(".xml"));
        if part.is_file() && xml {
            check_shared_strings(path, part)?;
        }
    }
    Ok(())
}

/// Refuse a part whose root is `<sst uniqueCount="N">` with N beyond [`MAX_CELLS`]; any
/// other part is left at its root element.
fn check_shared_strings(path: &Path, part: impl Read) -> Result<()> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(std::io::BufReader::new(part));
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                if e.local_name().as_ref() != "sst" {
                    return Ok(());
                }
                for a in e.attributes().flatten() {
                    if a.key.local_name().as_ref() == "uniqueCount" {
                        // Digits that do not fit a u64 are too many as well.
                        let v = a.value.trim();
                        let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
                        if digits && v.parse::<u64>().map_or(true, |n| n > MAX_CELLS) {
                            return Err(CoreError::ImportTooManyCells {
                                line: 1,
                                max: MAX_CELLS,
                            });
                        }
                    }
                }
                return Ok(());
            }
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(not_xlsx(path, e)),
        }
    }
}

/// "XFD1048576" for a zero-based (row, column).
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = u64::from(col) + 1;
    while c > 0 {
        letters.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

/// A sheet's cells, streamed one at a time and each checked against the limits before it is
/// kept: never a range sized by the sheet's extent, only the cells that hold something.
fn read_workbook(path: &Path, bytes: Vec<u8>, sheet: Option<&str>) -> Result<SheetRows> {
    use calamine::{DataRef, Reader};
    check_zip(path, &bytes)?;
    let mut wb: calamine::Xlsx<_> =
        calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| not_xlsx(path, e))?;
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
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| not_xlsx(path, e))?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    let (mut count, mut first_col) = (0u64, u32::MAX);
    while let Some(c) = cells.next_cell().map_err(|e| not_xlsx(path, e))? {
        if matches!(c.get_value(), DataRef::Empty) {
            continue;
        }
        let (r, col) = c.get_position();
        let line = u64::from(r) + 1;
        if col as usize >= MAX_COLUMNS || line > MAX_ROWS {
            return Err(CoreError::ImportCellOutOfRange {
                cell: cell_name(r, col),
                line,
                max_rows: MAX_ROWS,
                max_columns: MAX_COLUMNS,
            });
        }
        count += 1;
        if count > MAX_CELLS {
            return Err(CoreError::ImportTooManyCells {
                line,
                max: MAX_CELLS,
            });
        }
        first_col = first_col.min(col);
        let row = rows.entry(r).or_default();
        let i = col as usize;
        if row.len() <= i {
            row.resize(i + 1, Cell::Empty);
        }
        row[i] = cell_from(&calamine::Data::from(c.get_value().clone()));
    }
    drop(cells);
    // Columns count from the leftmost one used, rows keep their number in the sheet (as a
    // range starting at the first used cell would).
    let skip = if first_col == u32::MAX {
        0
    } else {
        first_col as usize
    };
    let rows = rows
        .into_iter()
        .map(|(r, cells)| {
            let cells = cells.into_iter().skip(skip).collect();
            (u64::from(r) + 1, cells)
        })
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
    fn cell_names_as_a_spreadsheet_shows_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(0, 25), "Z1");
        assert_eq!(cell_name(1, 26), "AA2");
        assert_eq!(cell_name(19_999, 16_383), "XFD20000");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn the_shape_check_splits_records_as_the_reader_does() {
        // Quoted separators and line breaks are inside one field; the line is where the
        // record starts, after blank lines.
        let text = "a,b\n\n\"x,\ny\",2\n";
        assert!(check_shape(text.as_bytes(), b',').is_ok());
        let wide = format!("a\n\n\"q\nq\"{}\n", ",".repeat(MAX_COLUMNS));
        assert!(matches!(
            check_shape(wide.as_bytes(), b','),
            Err(CoreError::ImportTooManyColumns { line: 3, .. })
        ));
        let ok = format!("\"q\nq\"{}\n", ",".repeat(MAX_COLUMNS - 1));
        assert!(check_shape(ok.as_bytes(), b',').is_ok());
    }

    #[test]
    fn spreadsheet_text_tricks_are_undone() {
        assert_eq!(clean_text("=\"0912345678\""), "0912345678");
        assert_eq!(clean_text("'=SUM(A1)"), "=SUM(A1)");
        assert_eq!(clean_text("'quoted"), "'quoted");
        for risky in ["'+84912345678", "'-5", "'@x", "'\tx"] {
            assert_eq!(clean_text(risky), &risky[1..]);
        }
    }
}
