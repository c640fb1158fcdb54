//! Value parsers for imported cells: amounts with thousands separators, dates in the
//! formats shops write them, and phones as spreadsheets mangle them. Each either parses
//! or returns a typed error; none guesses.

use crate::error::{CoreError, Result};
use crate::{money, phone};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Separators a shop's software or a person uses between groups of thousands.
fn is_space_sep(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'')
}

/// Currency marks around an amount: "1.250.000 ₫", "250000đ", "VND 250,000", "$12.50".
fn strip_currency<'a>(s: &'a str, currency: &str) -> &'a str {
    let mut t = s.trim();
    loop {
        let before = t;
        for mark in ["₫", "đ", "Đ", "$", "€", "£", "¥"] {
            t = t.trim_start_matches(mark).trim_end_matches(mark).trim();
        }
        for code in [currency, "VND", "VNĐ", "vnd", "vnđ"] {
            if !code.is_empty() {
                if let Some(rest) = t.strip_suffix(code) {
                    t = rest.trim();
                }
                if let Some(rest) = t.strip_prefix(code) {
                    t = rest.trim();
                }
            }
        }
        if t == before {
            return t;
        }
    }
}

/// Thousands groups: the first has 1-3 digits and no leading zero, the rest exactly 3.
fn valid_grouping(groups: &[&str]) -> bool {
    match groups.split_first() {
        Some((first, rest)) => {
            (1..=3).contains(&first.len())
                && !(first.len() > 1 && first.starts_with('0'))
                && rest.iter().all(|g| g.len() == 3)
        }
        None => false,
    }
}

/// Parse an amount as shops write it: 1.250.000, 1,250,000, 1 250 000, 1250000, 1,250.50,
/// 1.250.000,50. A single '.' or ',' followed by exactly three digits ("1.250") could be
/// either a thousands separator or a decimal point: in a currency without a minor unit
/// (VND) it groups thousands ("99.000" is 99000 đồng); otherwise it is refused as ambiguous
/// (see [`parse_amount_in_column`] for the column's say).
/// Decimals beyond the currency's are accepted only when they are zeros ("250000.00").
pub fn parse_amount(input: &str, currency: &str, exp: u32) -> Result<Decimal> {
    parse_amount_in_column(input, currency, exp, None)
}

/// What a column's other values say a lone '.' or ',' before three digits means.
fn mark_evidence(s: &str) -> Option<char> {
    let seps: Vec<(usize, char)> = s
        .char_indices()
        .filter(|(_, c)| *c == '.' || *c == ',')
        .collect();
    let &(at, last) = seps.last()?;
    if seps.iter().any(|&(_, c)| c != last) {
        return Some(last); // "1.250,50": the last mark is the decimal one
    }
    if seps.len() > 1 {
        // "1.250.000": that mark groups, so the other one is the decimal mark.
        return Some(if last == '.' { ',' } else { '.' });
    }
    let after = s[at + 1..].chars().take_while(char::is_ascii_digit).count();
    let before: String = s[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    // "12,5", "12.50" or "0.500": a decimal mark.
    (after != 3 || before == "0").then_some(last)
}

/// The decimal mark a column of amounts uses, when its values settle it: any value with
/// both marks, a mark repeated as grouping, or a mark followed by other than three digits.
/// None when no value says, or values disagree (the column is truly ambiguous).
pub fn column_decimal_mark<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<char> {
    let mut found = None;
    for v in values {
        match (found, mark_evidence(v)) {
            (_, None) => {}
            (None, Some(m)) => found = Some(m),
            (Some(a), Some(b)) if a != b => return None,
            _ => {}
        }
    }
    found
}

/// [`parse_amount`], with the decimal mark the whole column settled on, if any: "1.250"
/// is then 1.25 in a column whose other values write "12.50", and 1250 in one writing
/// "1.250,50".
pub fn parse_amount_in_column(
    input: &str,
    currency: &str,
    exp: u32,
    decimal_mark: Option<char>,
) -> Result<Decimal> {
    let raw = input.trim();
    let invalid = || CoreError::AmountInvalid(raw.to_owned());
    let mut s = strip_currency(raw, currency);
    if let Some(rest) = s.strip_prefix('-') {
        if rest.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
            return Err(CoreError::AmountNegative);
        }
        return Err(invalid());
    }
    if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let (groups, seps) = digit_runs(s).ok_or_else(invalid)?;
    let (int_groups, frac) = int_and_fraction(&groups, &seps, exp, decimal_mark, raw)?;
    if int_groups.len() > 1 && !valid_grouping(int_groups) {
        return Err(invalid());
    }
    let int: String = int_groups.concat();
    let digits = int.trim_start_matches('0').len();
    if digits > 18 {
        return Err(CoreError::AmountTooLarge);
    }
    let significant = frac.trim_end_matches('0');
    if significant.len() > exp as usize {
        return Err(CoreError::AmountPrecision {
            currency: currency.to_owned(),
            decimals: exp,
        });
    }
    let text = if significant.is_empty() {
        int
    } else {
        format!("{int}.{significant}")
    };
    let d = Decimal::from_str(&text).map_err(|_| invalid())?;
    money::to_minor(d, exp)?;
    Ok(d.normalize())
}

/// The digit runs of an amount and the single separator between each pair of runs (`' '`
/// for any space); None for any other character, or a separator leading, doubled or trailing.
fn digit_runs(s: &str) -> Option<(Vec<&str>, Vec<char>)> {
    let mut groups: Vec<&str> = Vec::new();
    let mut seps: Vec<char> = Vec::new();
    let mut start = 0;
    let mut prev_digit = false;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() {
            if !prev_digit {
                start = i;
            }
            prev_digit = true;
            continue;
        }
        let sep = if c == '.' || c == ',' {
            c
        } else if is_space_sep(c) {
            ' '
        } else {
            return None;
        };
        if !prev_digit {
            return None; // leading or doubled separator
        }
        groups.push(&s[start..i]);
        seps.push(sep);
        prev_digit = false;
    }
    if !prev_digit {
        return None; // trailing separator
    }
    groups.push(&s[start..]);
    Some((groups, seps))
}

/// Which runs make the whole part and which one is the fraction, from the separators
/// between them (and, for a lone mark, the column's `decimal_mark`); `raw` is the amount as
/// given, for the error.
fn int_and_fraction<'g, 's>(
    groups: &'g [&'s str],
    seps: &[char],
    exp: u32,
    decimal_mark: Option<char>,
    raw: &str,
) -> Result<(&'g [&'s str], &'s str)> {
    let invalid = || CoreError::AmountInvalid(raw.to_owned());
    Ok(match seps.last().copied() {
        None => (groups, ""),
        Some(last) => {
            let n = groups.len();
            let last_count = seps.iter().filter(|&&c| c == last).count();
            let others_differ = seps[..seps.len() - 1].iter().any(|&c| c != last);
            if last == ' ' {
                // Spaces only ever group thousands.
                if seps.iter().any(|&c| c != ' ') {
                    return Err(invalid());
                }
                (groups, "")
            } else if others_differ {
                // "1.250.000,50": the last mark is the decimal point, the rest group.
                if last_count != 1 {
                    return Err(invalid());
                }
                let grouping = seps[0];
                if seps[..seps.len() - 1].iter().any(|&c| c != grouping) {
                    return Err(invalid());
                }
                (&groups[..n - 1], groups[n - 1])
            } else if last_count > 1 {
                (groups, "") // "1.250.000": grouping only
            } else {
                // One mark: "12.5" and "1250000.00" are decimals; "1.250" is thousands
                // without a minor unit, else what the column says, else ambiguous.
                let (int, after) = (groups[0], groups[1]);
                if after.len() == 3 && valid_grouping(&[int]) && int != "0" {
                    match decimal_mark {
                        _ if exp == 0 => (groups, ""),
                        Some(m) if m == last => (&groups[..1], after),
                        Some(_) => (groups, ""),
                        None => return Err(CoreError::AmountAmbiguous(raw.to_owned())),
                    }
                } else {
                    (&groups[..1], after)
                }
            }
        }
    })
}

/// An amount from a numeric spreadsheet cell: already a number, so never ambiguous.
pub fn amount_from_number(n: f64, currency: &str, exp: u32) -> Result<Decimal> {
    let text = format!("{n}");
    if !n.is_finite() {
        return Err(CoreError::AmountInvalid(text));
    }
    if n < 0.0 {
        return Err(CoreError::AmountNegative);
    }
    let d = Decimal::from_str(&text).map_err(|_| CoreError::AmountTooLarge)?;
    money::check_amount(d, currency, exp)?;
    money::to_minor(d, exp)?;
    Ok(d.normalize())
}

/// A parsed date cell: a calendar day, a local date and time, or an instant with an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    Date(NaiveDate),
    Local(NaiveDateTime),
    Instant(DateTime<chrono::Utc>),
}

impl DateValue {
    pub fn date(&self) -> NaiveDate {
        match self {
            DateValue::Date(d) => *d,
            DateValue::Local(dt) => dt.date(),
            DateValue::Instant(t) => t.date_naive(),
        }
    }
}

/// Serial numbers Excel gives dates: day 1 is 1900-01-01 (with its 1900 leap-year bug, so
/// counted from 1899-12-30). Only five-digit serials (1927 onwards) are taken, so a bare
/// year such as 1990 is never read as a day in 1905.
const SERIAL_MIN: f64 = 10_000.0;
const SERIAL_MAX: f64 = 2_958_466.0;

pub fn date_from_serial(serial: f64) -> Option<DateValue> {
    if !(SERIAL_MIN..SERIAL_MAX).contains(&serial) {
        return None;
    }
    let days = serial.floor();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let date = epoch.checked_add_days(chrono::Days::new(days as u64))?;
    let secs = ((serial - days) * 86_400.0).round() as u32;
    if secs == 0 {
        return Some(DateValue::Date(date));
    }
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs.min(86_399), 0)?;
    Some(DateValue::Local(date.and_time(time)))
}

fn num(s: &str, min_len: usize, max_len: usize) -> Option<u32> {
    if (min_len..=max_len).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// "HH:MM" or "HH:MM:SS", with an optional AM/PM ("SA"/"CH" in Vietnamese).
fn parse_time(s: &str) -> Option<NaiveTime> {
    let t = s.trim();
    let lower = t.to_lowercase();
    let (clock, pm) = if let Some(c) = lower.strip_suffix("pm").or(lower.strip_suffix("ch")) {
        (c.trim().to_owned(), Some(true))
    } else if let Some(c) = lower.strip_suffix("am").or(lower.strip_suffix("sa")) {
        (c.trim().to_owned(), Some(false))
    } else {
        (lower, None)
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let (h, m, sec) = match parts.as_slice() {
        [h, m] => (num(h, 1, 2)?, num(m, 2, 2)?, 0),
        [h, m, s] => {
            // Fractions of a second are dropped.
            let s = s.split('.').next().unwrap_or("");
            (num(h, 1, 2)?, num(m, 2, 2)?, num(s, 2, 2)?)
        }
        _ => return None,
    };
    let h = match pm {
        Some(true) if (1..=11).contains(&h) => h + 12,
        Some(false) if h == 12 => 0,
        Some(_) if !(1..=12).contains(&h) => return None,
        _ => h,
    };
    NaiveTime::from_hms_opt(h, m, sec)
}

/// A date as shops write it: dd/mm/yyyy (also with '-' or '.'), yyyy-mm-dd (also with '/'),
/// either with a time ("15/03/2024 14:30"), RFC 3339, or an Excel serial number.
/// mm/dd/yyyy is not accepted: "03/04/2024" is 3 April, and "03/15/2024" is refused.
pub fn parse_date(input: &str) -> Result<DateValue> {
    let s = input.trim();
    let bad = || CoreError::DateInvalid(s.to_owned());
    if s.is_empty() || s.len() > 40 {
        return Err(bad());
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') && s.bytes().any(|b| b == b'.') {
        // "45366.5": a serial with a time of day.
        if s.matches('.').count() == 1 {
            if let Ok(f) = s.parse::<f64>() {
                return date_from_serial(f).ok_or_else(bad);
            }
        }
    } else if s.bytes().all(|b| b.is_ascii_digit()) {
        let f: f64 = s.parse().map_err(|_| bad())?;
        return date_from_serial(f).ok_or_else(bad);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(DateValue::Instant(t.with_timezone(&chrono::Utc)));
    }
    let (date_part, time_part) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = date_part.split(['/', '-', '.']).collect();
    let (y, m, d) = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => (num(y, 4, 4), num(m, 1, 2), num(d, 1, 2)),
        [d, m, y] => (num(y, 4, 4), num(m, 1, 2), num(d, 1, 2)),
        _ => return Err(bad()),
    };
    let (Some(y), Some(m), Some(d)) = (y, m, d) else {
        return Err(bad());
    };
    if !(1900..=9999).contains(&y) {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad)?;
    match time_part.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(DateValue::Date(date)),
        Some(t) => {
            let time = parse_time(t).ok_or_else(bad)?;
            Ok(DateValue::Local(date.and_time(time)))
        }
    }
}

/// A birthday: a full date (any form parse_date takes), or day and month only
/// ("15/03", or "--03-15" as the app writes it), as "YYYY-MM-DD" or "--MM-DD".
pub fn parse_birthday(input: &str) -> Result<String> {
    let s = input.trim();
    let bad = || CoreError::BirthdayInvalid(s.to_owned());
    let month_day = if let Some(md) = s.strip_prefix("--") {
        md.split_once('-')
            .and_then(|(m, d)| Some((num(m, 1, 2)?, num(d, 1, 2)?)))
    } else {
        match s.split(['/', '-', '.']).collect::<Vec<_>>().as_slice() {
            [d, m] => num(d, 1, 2).zip(num(m, 1, 2)).map(|(d, m)| (m, d)),
            _ => None,
        }
    };
    let text = match month_day {
        Some((m, d)) => format!("--{m:02}-{d:02}"),
        None => ymd(parse_date(s).map_err(|_| bad())?.date()),
    };
    crate::customers::valid_birthday(Some(text))
        .map_err(|_| bad())?
        .ok_or_else(bad)
}

/// "YYYY-MM-DD" without chrono's format parser (it runs once per imported row).
pub fn ymd(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// A phone, normalised like every phone in the shop. Spreadsheets store numbers without
/// their leading zero, so nine national digits of a mobile (3x, 5x, 7x, 8x, 9x) or ten of
/// a landline (2x) get it back: 912345678 is 0912345678.
pub fn parse_phone(input: &str) -> Result<String> {
    let s = input.trim();
    match phone::normalize(s) {
        Ok(p) => Ok(p),
        Err(e) => {
            let digits = s.bytes().all(|b| b.is_ascii_digit());
            let restorable = digits
                && match s.as_bytes().first() {
                    Some(b'3' | b'5' | b'7' | b'8' | b'9') => s.len() == 9,
                    Some(b'2') => s.len() == 10,
                    _ => false,
                };
            if restorable {
                phone::normalize(&format!("0{s}"))
            } else {
                Err(e)
            }
        }
    }
}

/// A whole number from a numeric cell as text ("912345678", not "912345678.0").
pub fn number_text(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vnd(s: &str) -> Result<Decimal> {
        parse_amount(s, "VND", 0)
    }

    fn usd(s: &str) -> Result<Decimal> {
        parse_amount(s, "USD", 2)
    }

    #[test]
    fn amounts_with_separators() {
        for (input, want) in [
            ("1250000", "1250000"),
            ("1.250.000", "1250000"),
            ("1,250,000", "1250000"),
            ("1 250 000", "1250000"),
            ("1\u{a0}250\u{a0}000 ₫", "1250000"),
            ("250000đ", "250000"),
            ("VND 1,250,000", "1250000"),
            ("250000.00", "250000"),
            ("1.250.000,00", "1250000"),
            ("0", "0"),
            ("12", "12"),
        ] {
            assert_eq!(vnd(input).unwrap().to_string(), want, "{input}");
        }
        for (input, want) in [
            ("1,250.50", "1250.5"),
            ("1.250,50", "1250.5"),
            ("12.5", "12.5"),
            ("12,50", "12.5"),
            ("$1,250,000.99", "1250000.99"),
            ("1250.500", "1250.5"),
        ] {
            assert_eq!(usd(input).unwrap().to_string(), want, "{input}");
        }
    }

    #[test]
    fn ambiguous_and_bad_amounts_are_refused() {
        for a in ["1.250", "1,250", "250.000", "250,000", "999,999"] {
            assert!(matches!(usd(a), Err(CoreError::AmountAmbiguous(_))), "{a}");
        }
        for a in [
            "",
            "abc",
            "1..2",
            "1,2,3",
            "12,50,000",
            ".5",
            "5.",
            "1.250,000.5",
            "1,25.0,0",
        ] {
            assert!(matches!(vnd(a), Err(CoreError::AmountInvalid(_))), "{a}");
        }
        assert!(matches!(vnd("-5"), Err(CoreError::AmountNegative)));
        assert!(matches!(
            vnd("12.5"),
            Err(CoreError::AmountPrecision { .. })
        ));
        assert!(matches!(
            usd("1.2345"),
            Err(CoreError::AmountPrecision { .. })
        ));
        assert!(matches!(
            vnd("99999999999999999999"),
            Err(CoreError::AmountTooLarge)
        ));
    }

    #[test]
    fn dong_has_no_decimals_so_groups_of_three_are_thousands() {
        for (a, want) in [
            ("99.000", "99000"),
            ("1.250", "1250"),
            ("250,000", "250000"),
            ("1.250.000", "1250000"),
            ("999,999 ₫", "999999"),
        ] {
            assert_eq!(vnd(a).unwrap().to_string(), want, "{a}");
        }
        // Still not a grouping: "0.500", "12.5" and "1.25" keep their meaning.
        assert!(matches!(
            vnd("12.5"),
            Err(CoreError::AmountPrecision { .. })
        ));
        assert!(matches!(
            vnd("0.500"),
            Err(CoreError::AmountPrecision { .. })
        ));
    }

    #[test]
    fn the_column_settles_a_lone_mark() {
        assert_eq!(column_decimal_mark(["1.250", "12.50", "3"]), Some('.'));
        assert_eq!(column_decimal_mark(["1.250", "1.250,50"]), Some(','));
        assert_eq!(column_decimal_mark(["1,250", "2,500,000"]), Some('.'));
        assert_eq!(column_decimal_mark(["1,250", "2,500"]), None);
        assert_eq!(column_decimal_mark(["12.50", "12,50"]), None);
        let col = |s, m| parse_amount_in_column(s, "USD", 2, m).map(|d| d.to_string());
        assert_eq!(col("1.250", Some('.')).unwrap(), "1.25");
        assert_eq!(col("1.250", Some(',')).unwrap(), "1250");
        assert_eq!(col("1,250", Some('.')).unwrap(), "1250");
        assert!(matches!(
            col("1,250", None),
            Err(CoreError::AmountAmbiguous(_))
        ));
    }

    #[test]
    fn numeric_cells_are_never_ambiguous() {
        assert_eq!(
            amount_from_number(1.125, "KWD", 3).unwrap().to_string(),
            "1.125"
        );
        assert_eq!(
            amount_from_number(1_250_000.0, "VND", 0)
                .unwrap()
                .to_string(),
            "1250000"
        );
        assert!(amount_from_number(12.5, "VND", 0).is_err());
        assert!(amount_from_number(-1.0, "VND", 0).is_err());
        assert!(amount_from_number(f64::NAN, "VND", 0).is_err());
    }

    #[test]
    fn dates_in_shop_formats() {
        let d = |y, m, d| DateValue::Date(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert_eq!(parse_date("15/03/2024").unwrap(), d(2024, 3, 15));
        assert_eq!(parse_date("5/3/2024").unwrap(), d(2024, 3, 5));
        assert_eq!(parse_date("15-03-2024").unwrap(), d(2024, 3, 15));
        assert_eq!(parse_date("2024-03-15").unwrap(), d(2024, 3, 15));
        assert_eq!(parse_date("2024/03/15").unwrap(), d(2024, 3, 15));
        assert_eq!(parse_date("45366").unwrap(), d(2024, 3, 15));
        let local = parse_date("15/03/2024 14:30:22").unwrap();
        assert_eq!(
            local,
            DateValue::Local(
                NaiveDate::from_ymd_opt(2024, 3, 15)
                    .unwrap()
                    .and_hms_opt(14, 30, 22)
                    .unwrap()
            )
        );
        assert_eq!(
            parse_date("2024-03-15 02:30 PM").unwrap(),
            DateValue::Local(
                NaiveDate::from_ymd_opt(2024, 3, 15)
                    .unwrap()
                    .and_hms_opt(14, 30, 0)
                    .unwrap()
            )
        );
        assert_eq!(
            parse_date("45366.75").unwrap(),
            DateValue::Local(
                NaiveDate::from_ymd_opt(2024, 3, 15)
                    .unwrap()
                    .and_hms_opt(18, 0, 0)
                    .unwrap()
            )
        );
        assert!(matches!(
            parse_date("2024-03-15T10:00:00Z"),
            Ok(DateValue::Instant(_))
        ));
        for bad in [
            "03/15/2024",
            "31/02/2024",
            "1990",
            "15/03/24",
            "hôm qua",
            "",
            "2024-13-01",
            "15/03/2024 25:00",
        ] {
            assert!(
                matches!(parse_date(bad), Err(CoreError::DateInvalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn birthdays_with_or_without_year() {
        assert_eq!(parse_birthday("12/05/1990").unwrap(), "1990-05-12");
        assert_eq!(parse_birthday("12/05").unwrap(), "--05-12");
        assert_eq!(parse_birthday("--05-12").unwrap(), "--05-12");
        assert_eq!(parse_birthday("1990-05-12").unwrap(), "1990-05-12");
        assert!(matches!(
            parse_birthday("32/05"),
            Err(CoreError::BirthdayInvalid(_))
        ));
        assert!(matches!(
            parse_birthday("12/05/2999"),
            Err(CoreError::BirthdayInvalid(_))
        ));
    }

    #[test]
    fn phones_get_their_leading_zero_back() {
        assert_eq!(parse_phone("912345678").unwrap(), "0912345678");
        assert_eq!(parse_phone("2438261234").unwrap(), "02438261234");
        assert_eq!(parse_phone("+84 912 345 678").unwrap(), "0912345678");
        assert!(parse_phone("12345678").is_err());
        assert!(matches!(parse_phone(""), Err(CoreError::PhoneRequired)));
        assert_eq!(number_text(912345678.0), "912345678");
        assert_eq!(number_text(12.5), "12.5");
    }
}
