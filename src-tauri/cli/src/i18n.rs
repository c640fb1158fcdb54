//! The message catalog shared with the UI: ui/i18n/{vi,en}.json, embedded in the binary.

use serde_json::{Map, Value};
use std::sync::OnceLock;

const VI: &str = include_str!("../../../ui/i18n/vi.json");
const EN: &str = include_str!("../../../ui/i18n/en.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("vi") {
            Some(Lang::Vi)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The system locale (LC_ALL, LC_MESSAGES, LANG); English when it says nothing we know.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or(Lang::En)
    }
}

fn catalog(lang: Lang) -> &'static Value {
    static VI_CAT: OnceLock<Value> = OnceLock::new();
    static EN_CAT: OnceLock<Value> = OnceLock::new();
    let (cell, src) = match lang {
        Lang::Vi => (&VI_CAT, VI),
        Lang::En => (&EN_CAT, EN),
    };
    // The catalogs are checked by a test, so a parse failure only happens in development.
    cell.get_or_init(|| serde_json::from_str(src).unwrap_or(Value::Null))
}

/// Look up a dotted key such as "cli.visits" or "errors.customer.not_found" (error codes
/// are flat keys that contain dots themselves); None when missing.
pub fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    fn walk<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
        if let Some(hit) = v.get(key) {
            return Some(hit);
        }
        let (head, rest) = key.split_once('.')?;
        walk(v.get(head)?, rest)
    }
    walk(catalog(lang), key).and_then(Value::as_str)
}

/// Fill `{name}` placeholders from `params`.
pub fn fill(template: &str, params: &Map<String, Value>) -> String {
    let mut out = template.to_owned();
    for (k, v) in params {
        let val = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{k}}}"), &val);
    }
    out
}

/// A label for the CLI's human output; the key itself if untranslated.
pub fn t(lang: Lang, key: &str) -> String {
    lookup(lang, key).unwrap_or(key).to_owned()
}

/// The user-facing sentence for an error code.
pub fn error_message(lang: Lang, code: &str, params: &Map<String, Value>) -> String {
    match lookup(lang, &format!("errors.{code}")) {
        Some(tpl) => fill(tpl, params),
        None => code.to_owned(),
    }
}

pub fn core_error(lang: Lang, e: &khachquen_core::CoreError) -> String {
    let mut params = e.params();
    // Limits and balances read as numbers do: 10.000.000.000, never 10000000000.
    for key in NUMBER_PARAMS {
        if let Some(v) = params.get_mut(*key) {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => continue,
            };
            if let Some(grouped) = group_digits(lang, &text) {
                *v = Value::String(grouped);
            }
        }
    }
    // A library's or the system's words ("Zip error…", "os error 28") are for the log:
    // the file errors' sentences no longer show them.
    // Every error is logged by its code. Its params and sentence are not: they may hold a
    // customer's phone number; a file error's detail names only the file and the cause.
    match params.get("detail") {
        Some(detail) => {
            let detail = redact_numbers(&detail.to_string());
            tracing::warn!(code = e.code(), %detail, "error")
        }
        None => tracing::warn!(code = e.code(), "error"),
    }
    // A refusal names what was refused in the user's words: "Only the owner may refund…".
    if let Some(Value::String(p)) = params.get("permission") {
        let what = t(lang, &format!("permissions.{p}"));
        params.insert("what".into(), Value::String(what));
    }
    error_message(lang, e.code(), &params)
}

/// `text` with every run of 9 or more digits (spaces and dots between them allowed, as a
/// phone number is typed) replaced by `…`: a library's detail can quote a value it refused.
pub fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let mut digits = 0;
    let flush = |out: &mut String, run: &mut String, digits: &mut usize| {
        if *digits >= 9 {
            let kept = run.trim_end_matches([' ', '.']);
            let tail = &run[kept.len()..];
            out.push('…');
            out.push_str(tail);
        } else {
            out.push_str(run);
        }
        run.clear();
        *digits = 0;
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
            digits += 1;
        } else if (c == ' ' || c == '.') && digits > 0 {
            run.push(c);
        } else {
            flush(&mut out, &mut run, &mut digits);
            out.push(c);
        }
    }
    flush(&mut out, &mut run, &mut digits);
    out
}

/// Error parameters that are amounts or points.
const NUMBER_PARAMS: &[&str] = &["max", "min", "balance", "total", "items_total"];

/// `1234567.5` as the language writes it (1.234.567,5 / 1,234,567.5); None for anything
/// that is not a plain decimal number.
pub fn group_digits(lang: Lang, text: &str) -> Option<String> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", text),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (sep, point) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    Some(out)
}

/// Headers and coded values of an exported file, in the user's language.
pub fn export_label(lang: Lang, label: khachquen_core::transfer::export::Label) -> String {
    use khachquen_core::transfer::export::Label;
    match label {
        Label::Column(c) => t(lang, &format!("cli.col_{c}")),
        Label::Gender(g) => t(lang, &format!("gender.{g}")),
        Label::Source(v) => t(lang, &format!("source.{v}")),
        Label::Payment(v) => t(lang, &format!("payment.{v}")),
        Label::PointsKind(k) => t(lang, &format!("loyalty.kinds.{k}")),
    }
}

/// A report table's column header; the key itself if untranslated.
pub fn report_column(lang: Lang, column: &str) -> String {
    t(lang, &format!("report_columns.{column}"))
}

#[cfg(test)]
mod tests {
    use super::redact_numbers;

    #[test]
    fn phone_numbers_never_reach_the_log() {
        assert_eq!(redact_numbers("phone 0912345678 taken"), "phone … taken");
        assert_eq!(redact_numbers("0912 345 678."), "….");
        assert_eq!(redact_numbers("+84.912.345.678"), "+…");
        // Dates, times, sizes and row numbers stay.
        for kept in [
            "khachquen-20261203-093000.kqbackup",
            "line 12345678",
            "os error 28",
            "2026-12-03",
        ] {
            assert_eq!(redact_numbers(kept), kept);
        }
    }
}
