//! Message templates with merge fields ("Chào {xung_ho} {ten}, ..."), rendered for one
//! customer or exported for a filtered list as phone + message CSV.

use crate::db::{self, templates::MergeSource};
use crate::error::{CoreError, Result};
use crate::model::{Benefit, Voucher};
use crate::model::{
    CustomerFilter, Rendered, Template, TemplateExport, TemplateList, TemplatePreview,
};
use crate::store::audit;
use crate::store::session::Perm;
use crate::store::settings::currency;
use crate::store::settings::timezone;
use crate::store::Store;
use crate::{loyalty, phone, time, vouchers};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

/// Canonical field names (Vietnamese), each with its English alias.
pub const FIELDS: &[(&str, &str)] = &[
    ("ten", "first_name"),
    ("ho_ten", "full_name"),
    ("xung_ho", "honorific"),
    ("diem", "points"),
    ("hang", "tier"),
    ("sinh_nhat", "birthday"),
    ("lan_mua_cuoi", "last_purchase"),
    ("cua_hang", "shop"),
    ("han_diem", "points_expiry"),
    ("ma_uu_dai", "voucher_code"),
    ("han_uu_dai", "voucher_expiry"),
    ("uu_dai", "voucher"),
];

const NAME_MAX: usize = 60;
const BODY_MAX: usize = 2000;
const PREVIEW_SAMPLES: usize = 5;
const PREVIEW_LACKING: usize = 20;

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// The canonical name, and whether it was written with its English alias.
    Field(&'static str, bool),
}

fn canonical(name: &str) -> Option<(&'static str, bool)> {
    let n = name.trim();
    FIELDS.iter().find_map(|(vi, en)| {
        if *vi == n {
            Some((*vi, false))
        } else if *en == n {
            Some((*vi, true))
        } else {
            None
        }
    })
}

/// Split a body into text and fields; "{{" and "}}" are literal braces.
fn parse(body: &str) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                buf.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                buf.push('}');
            }
            '{' => {
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed {
                    return Err(CoreError::TemplateUnknownField(name));
                }
                let (field, english) = canonical(&name)
                    .ok_or_else(|| CoreError::TemplateUnknownField(name.clone()))?;
                if !buf.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut buf)));
                }
                out.push(Piece::Field(field, english));
            }
            c => buf.push(c),
        }
    }
    if !buf.is_empty() {
        out.push(Piece::Text(buf));
    }
    Ok(out)
}

fn uses(pieces: &[Piece], field: &str) -> bool {
    pieces
        .iter()
        .any(|p| matches!(p, Piece::Field(f, _) if *f == field))
}

/// A template written with English field names speaks English.
fn is_english(pieces: &[Piece]) -> bool {
    let (en, vi) = pieces.iter().fold((0, 0), |(en, vi), p| match p {
        Piece::Field(_, true) => (en + 1, vi),
        Piece::Field(_, false) => (en, vi + 1),
        Piece::Text(_) => (en, vi),
    });
    en > vi
}

/// The values one customer gives the fields; None = missing.
pub(crate) struct Values {
    map: BTreeMap<&'static str, Option<String>>,
}

impl Values {
    fn get(&self, field: &str) -> Option<&str> {
        self.map.get(field).and_then(|v| v.as_deref())
    }
}

fn capitalize_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn at_sentence_start(out: &str) -> bool {
    let t = out.trim_end_matches([' ', '\t']);
    t.is_empty() || t.ends_with(['.', '!', '?', '\n', ':'])
}

/// Close up the gaps a missing field leaves: no double spaces, no space before punctuation.
fn tidy(s: &str) -> String {
    // A field alone in brackets leaves "()" behind.
    let s = s.replace("( )", "()").replace("()", "");
    let mut out = String::with_capacity(s.len());
    for line in s.split('\n') {
        let mut l = String::with_capacity(line.len());
        for c in line.chars() {
            if c == ' ' && (l.is_empty() || l.ends_with(' ')) {
                continue;
            }
            if matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | ')') && l.ends_with(' ') {
                l.pop();
            }
            l.push(c);
        }
        out.push_str(l.trim_end());
        out.push('\n');
    }
    out.pop();
    out
}

fn render_pieces(pieces: &[Piece], values: &Values) -> (String, Vec<&'static str>) {
    let mut out = String::new();
    let mut missing: Vec<&'static str> = Vec::new();
    // A missing field that opened a sentence hands its capital letter to what follows.
    let mut capital = false;
    let push = |out: &mut String, s: &str, capital: &mut bool| {
        if *capital && !s.trim().is_empty() {
            let lead = s.len() - s.trim_start().len();
            out.push_str(&s[..lead]);
            out.push_str(&capitalize_first(&s[lead..]));
            *capital = false;
        } else {
            out.push_str(s);
        }
    };
    for p in pieces {
        match p {
            Piece::Text(t) => push(&mut out, t, &mut capital),
            Piece::Field(f, _) => match values.get(f) {
                Some(v) => {
                    capital |= at_sentence_start(&out);
                    push(&mut out, v, &mut capital)
                }
                None => {
                    capital |= at_sentence_start(&out);
                    if !missing.contains(f) {
                        missing.push(f);
                    }
                }
            },
        }
    }
    (tidy(&out), missing)
}

/// The given name: Vietnamese names put it last ("Nguyễn Thị Hương" → "Hương").
fn given_name(full: &str) -> String {
    full.split_whitespace().last().unwrap_or(full).to_owned()
}

fn fmt_number(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Money as a message writes it: "50.000 ₫" in đồng, "12.50 USD" elsewhere.
fn fmt_money(d: Decimal, (code, _): &(String, u32)) -> String {
    if code == "VND" {
        format!("{} ₫", fmt_number(d.trunc().try_into().unwrap_or(0)))
    } else {
        format!("{d} {code}")
    }
}

/// What a voucher gives, as a message says it: "giảm 10% (tối đa 100.000 ₫) cho hóa đơn
/// từ 300.000 ₫".
fn voucher_text(v: &Voucher, cur: &(String, u32), english: bool) -> String {
    let b: &Benefit = &v.benefit;
    let m = |d: Option<Decimal>| fmt_money(d.unwrap_or_default(), cur);
    let mut out = match (b.kind.as_str(), english) {
        ("amount", false) => format!("giảm {}", m(b.amount)),
        ("amount", true) => format!("{} off", m(b.amount)),
        ("percent", false) => format!("giảm {}%", b.percent.unwrap_or(0)),
        ("percent", true) => format!("{}% off", b.percent.unwrap_or(0)),
        ("gift", false) => format!("quà tặng {}", b.gift.clone().unwrap_or_default()),
        ("gift", true) => format!("a free {}", b.gift.clone().unwrap_or_default()),
        ("multiplier", false) => format!("nhân {} điểm tích lũy", b.multiplier.unwrap_or_default()),
        ("multiplier", true) => format!("{}× points", b.multiplier.unwrap_or_default()),
        (_, false) => format!("tặng {} điểm", fmt_number(b.points.unwrap_or(0))),
        (_, true) => format!("{} bonus points", fmt_number(b.points.unwrap_or(0))),
    };
    if b.cap.is_some() {
        out += &if english {
            format!(" (up to {})", m(b.cap))
        } else {
            format!(" (tối đa {})", m(b.cap))
        };
    }
    if v.min_bill > Decimal::ZERO {
        out += &if english {
            format!(" on a bill of {} or more", m(Some(v.min_bill)))
        } else {
            format!(" cho hóa đơn từ {}", m(Some(v.min_bill)))
        };
    }
    out
}

struct Context {
    shop: String,
    currency: (String, u32),
    tz: chrono_tz::Tz,
    expiry_months: i64,
    today: NaiveDate,
}

fn context(conn: db::Conn) -> Result<Context> {
    let tz = timezone(conn)?;
    Ok(Context {
        shop: db::settings::get(conn, "shop_name")?.unwrap_or_else(|| "Khách Quen".into()),
        currency: currency(conn)?,
        tz,
        expiry_months: loyalty::rules(conn)?.expiry_months,
        today: time::today(tz),
    })
}

/// Compute only the fields the template uses; points and expiry read the ledger.
fn values(
    conn: db::Conn,
    ctx: &Context,
    src: &MergeSource,
    pieces: &[Piece],
    english: bool,
) -> Result<Values> {
    let mut map: BTreeMap<&'static str, Option<String>> = BTreeMap::new();
    map.insert("ten", Some(given_name(&src.name)));
    map.insert("ho_ten", Some(src.name.clone()));
    map.insert(
        "xung_ho",
        match (src.gender.as_deref(), english) {
            (Some("female"), false) => Some("chị".into()),
            (Some("male"), false) => Some("anh".into()),
            (Some("female"), true) => Some("Ms".into()),
            (Some("male"), true) => Some("Mr".into()),
            _ => None,
        },
    );
    map.insert("cua_hang", Some(ctx.shop.clone()));
    map.insert(
        "sinh_nhat",
        src.birthday.as_deref().and_then(|b| {
            let md = &b[b.len().saturating_sub(5)..];
            let (m, d) = md.split_once('-')?;
            Some(format!("{d}/{m}"))
        }),
    );
    map.insert(
        "lan_mua_cuoi",
        src.last_purchase_at
            .map(|t| time::local_date(t, ctx.tz).format("%d/%m/%Y").to_string()),
    );
    if uses(pieces, "diem") {
        map.insert(
            "diem",
            Some(fmt_number(db::loyalty::balance(conn, src.id)?)),
        );
    }
    if uses(pieces, "hang") {
        map.insert("hang", db::loyalty::current_tier(conn, src.id)?);
    }
    if uses(pieces, "han_diem") {
        map.insert("han_diem", next_expiry(conn, ctx, src.id, english)?);
    }
    if ["ma_uu_dai", "han_uu_dai", "uu_dai"]
        .iter()
        .any(|f| uses(pieces, f))
    {
        let v = vouchers::usable_of(conn, src.id)?;
        let v = v.as_ref();
        map.insert("ma_uu_dai", v.map(|v| v.code.clone()));
        map.insert(
            "han_uu_dai",
            v.map(|v| v.until.format("%d/%m/%Y").to_string()),
        );
        map.insert("uu_dai", v.map(|v| voucher_text(v, &ctx.currency, english)));
    }
    Ok(Values { map })
}

/// "1.250 điểm hết hạn ngày 01/12/2026": the soonest lot still to expire.
fn next_expiry(conn: db::Conn, ctx: &Context, id: i64, english: bool) -> Result<Option<String>> {
    if ctx.expiry_months <= 0 {
        return Ok(None);
    }
    let movements = db::loyalty::movements(conn, id)?;
    let from = time::day_start(ctx.today, ctx.tz);
    let lot = loyalty::expiries_due(&movements, ctx.expiry_months, i64::MAX)
        .into_iter()
        .find(|(at, left)| *at >= from && *left > 0);
    Ok(lot.map(|(at, points)| {
        let day = time::local_date(at, ctx.tz).format("%d/%m/%Y");
        if english {
            format!("{} points expire on {day}", fmt_number(points))
        } else {
            format!("{} điểm hết hạn ngày {day}", fmt_number(points))
        }
    }))
}

fn rendered(
    conn: db::Conn,
    ctx: &Context,
    src: &MergeSource,
    pieces: &[Piece],
) -> Result<Rendered> {
    let english = is_english(pieces);
    let vals = values(conn, ctx, src, pieces, english)?;
    let (text, missing) = render_pieces(pieces, &vals);
    Ok(Rendered {
        customer_id: src.id,
        name: src.name.clone(),
        phone_display: phone::display_opt(src.phone.as_deref()),
        phone: src.phone.clone(),
        text,
        missing,
    })
}

fn valid_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > NAME_MAX || n.chars().any(char::is_control) {
        return Err(CoreError::TemplateNameInvalid);
    }
    Ok(n.to_owned())
}

fn valid_body(body: &str) -> Result<String> {
    let b = body.trim();
    if b.is_empty() {
        return Err(CoreError::TemplateBodyRequired);
    }
    if b.chars().count() > BODY_MAX {
        return Err(CoreError::InvalidInput(format!(
            "template longer than {BODY_MAX} characters"
        )));
    }
    parse(b)?;
    Ok(b.to_owned())
}

pub(crate) fn by_name<'a>(conn: impl Into<db::Conn<'a>>, name: &str) -> Result<Template> {
    db::templates::template_by_name(conn, name.trim())?
        .ok_or_else(|| CoreError::TemplateNotFound(name.trim().to_owned()))
}

/// "en" for a body written with the English field names, else "vi" (also for a body
/// that cannot be parsed or has no field: the shop's default language).
pub fn language_of(body: &str) -> &'static str {
    match parse(body) {
        Ok(p) if is_english(&p) => "en",
        _ => "vi",
    }
}

fn with_language(mut t: Template) -> Template {
    t.language = Some(language_of(&t.body).to_owned());
    t
}

impl Store {
    /// Every template, each with its language (the CLI lists and finds them all).
    pub fn templates(&self) -> Result<TemplateList> {
        self.require(Perm::View)?;
        Ok(TemplateList {
            fields: FIELDS.iter().map(|(vi, _)| *vi).collect(),
            templates: self
                .read(|c| db::templates::templates(c))?
                .into_iter()
                .map(with_language)
                .collect(),
            language: None,
        })
    }

    /// The templates the window offers: the built-in ones in its language, and every
    /// template the shop wrote itself (in whatever language: they are the shop's own).
    pub fn shop_templates(&self) -> Result<TemplateList> {
        self.require(Perm::View)?;
        let language = self.read(|c| self.interface_language(c))?;
        let mut list = self.templates()?;
        list.templates
            .retain(|t| !t.builtin || t.language.as_deref() == Some(language.as_str()));
        list.language = Some(language);
        Ok(list)
    }

    /// Create (no id) or change a template; its fields are checked first.
    pub fn save_template(&self, id: Option<i64>, name: &str, body: &str) -> Result<Template> {
        let actor = self.require(Perm::Templates)?;
        let name = valid_name(name)?;
        let body = valid_body(body)?;
        self.write_any(|conn| {
            if let Some(other) = db::templates::template_by_name(conn, &name)? {
                if Some(other.id) != id {
                    return Err(CoreError::TemplateNameTaken(name.clone()));
                }
            }
            let now = time::now();
            let (id, before) = match id {
                Some(id) => {
                    let before = db::templates::template(conn, id)?
                        .ok_or_else(|| CoreError::TemplateNotFound(format!("#{id}")))?;
                    db::templates::update_template(conn, id, &name, &body, now)?;
                    (id, Some(before))
                }
                None => (
                    db::templates::insert_template(conn, &name, &body, now)?,
                    None,
                ),
            };
            let t = db::templates::template(conn, id)?
                .ok_or_else(|| CoreError::TemplateNotFound(name.clone()))?;
            let mut e = actor
                .entry("template.save", "template")
                .entity_id(id)
                .after(audit::snapshot(&t)?);
            if let Some(b) = before {
                e = e.before(audit::snapshot(&b)?);
            }
            audit::record(conn, &e)?;
            Ok(t)
        })
    }

    pub fn delete_template(&self, id: i64) -> Result<()> {
        let actor = self.require(Perm::Templates)?;
        self.write_any(|conn| {
            let before = db::templates::template(conn, id)?
                .ok_or_else(|| CoreError::TemplateNotFound(format!("#{id}")))?;
            db::templates::delete_template(conn, id)?;
            audit::record(
                conn,
                &actor
                    .entry("template.delete", "template")
                    .entity_id(id)
                    .before(audit::snapshot(&before)?),
            )?;
            Ok(())
        })
    }

    pub fn render_template(&self, name: &str, customer_id: i64) -> Result<Rendered> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let t = by_name(conn, name)?;
            let pieces = parse(&t.body)?;
            let src = db::templates::merge_source(conn, customer_id)?
                .ok_or_else(|| CoreError::CustomerNotFound(customer_id.to_string()))?;
            rendered(conn, &context(conn)?, &src, &pieces)
        })
    }

    /// How a bulk message would come out: counts of missing fields, a few samples, and the
    /// customers who lack a field.
    pub fn preview_template(&self, name: &str, filter: &CustomerFilter) -> Result<TemplatePreview> {
        self.require(Perm::View)?;
        self.read(|conn| {
            let t = by_name(conn, name)?;
            let pieces = parse(&t.body)?;
            let ctx = context(conn)?;
            let ids =
                db::filter::filter_ids(conn, &crate::customers::filter::filter_sql(conn, filter)?)?;
            let mut out = TemplatePreview {
                total: ids.len() as i64,
                missing: BTreeMap::new(),
                samples: Vec::new(),
                lacking: Vec::new(),
            };
            for id in ids {
                let Some(src) = db::templates::merge_source(conn, id)? else {
                    continue;
                };
                let r = rendered(conn, &ctx, &src, &pieces)?;
                for f in &r.missing {
                    *out.missing.entry(f).or_default() += 1;
                }
                if !r.missing.is_empty() && out.lacking.len() < PREVIEW_LACKING {
                    out.lacking.push(r.clone());
                }
                if out.samples.len() < PREVIEW_SAMPLES {
                    out.samples.push(r);
                }
            }
            Ok(out)
        })
    }

    /// Write phone, name and message for every filtered customer to a CSV (UTF-8 with a BOM).
    pub fn export_template(
        &self,
        name: &str,
        filter: &CustomerFilter,
        path: &Path,
    ) -> Result<TemplateExport> {
        let actor = self.require(Perm::Export)?;
        let ids = self.read(|conn| {
            db::filter::filter_ids(conn, &crate::customers::filter::filter_sql(conn, filter)?)
        })?;
        let (t, out) = self.write_messages(name, &ids, path)?;
        self.audit_append(
            &actor
                .entry("template.export", "export")
                .entity_id(&t.name)
                .after(
                    json!({"file": out.path, "rows": out.rows, "filter": audit::snapshot(filter)?}),
                ),
        )?;
        Ok(out)
    }

    /// The phone + message CSV of the template for these customers (a campaign's treated):
    /// the template and what was written. The caller checks who acts and records it.
    pub(crate) fn write_messages(
        &self,
        name: &str,
        ids: &[i64],
        path: &Path,
    ) -> Result<(Template, TemplateExport)> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ext != "csv" {
            return Err(CoreError::ExportFormat(ext));
        }
        let (t, rows, missing) = self.long_read(|conn| {
            let t = by_name(conn, name)?;
            let pieces = parse(&t.body)?;
            let ctx = context(conn)?;
            let mut rows = 0i64;
            let mut missing: BTreeMap<&'static str, i64> = BTreeMap::new();
            self.write_user_file(path, |tmp| {
                let mut w = crate::csvfile::csv_writer(tmp)?;
                crate::csvfile::write_text_record(&mut w, ["phone", "name", "message"])?;
                for &id in ids {
                    let Some(src) = db::templates::merge_source(conn, id)? else {
                        continue;
                    };
                    let r = rendered(conn, &ctx, &src, &pieces)?;
                    for f in &r.missing {
                        *missing.entry(f).or_default() += 1;
                    }
                    let phone_no = r.phone.clone().unwrap_or_default();
                    crate::csvfile::write_text_record(&mut w, [&phone_no, &r.name, &r.text])?;
                    rows += 1;
                }
                crate::csvfile::finish_csv(w)
            })?;
            Ok((t, rows, missing))
        })?;
        let out = TemplateExport {
            path: path.display().to_string(),
            rows,
            missing,
        };
        Ok((t, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&'static str, Option<&str>)]) -> Values {
        Values {
            map: pairs
                .iter()
                .map(|(k, v)| (*k, v.map(str::to_owned)))
                .collect(),
        }
    }

    #[test]
    fn parses_fields_aliases_and_literal_braces() {
        let p = parse("Chào {xung_ho} {first_name}, {{giữ}}").unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Text("Chào ".into()),
                Piece::Field("xung_ho", false),
                Piece::Text(" ".into()),
                Piece::Field("ten", true),
                Piece::Text(", {giữ}".into()),
            ]
        );
        assert!(matches!(
            parse("Chào {ten_khach}"),
            Err(CoreError::TemplateUnknownField(f)) if f == "ten_khach"
        ));
        assert!(matches!(
            parse("Chào {ten"),
            Err(CoreError::TemplateUnknownField(_))
        ));
    }

    #[test]
    fn missing_fields_render_as_nothing_and_close_up() {
        let p = parse("Chào {xung_ho} {ten}, {xung_ho} có {diem} điểm.").unwrap();
        let (text, missing) =
            render_pieces(&p, &vals(&[("ten", Some("Hương")), ("diem", Some("120"))]));
        assert_eq!(text, "Chào Hương, có 120 điểm.");
        assert_eq!(missing, vec!["xung_ho"]);
        let (text, missing) = render_pieces(&p, &vals(&[]));
        assert_eq!(text, "Chào, có điểm.");
        assert_eq!(missing, vec!["xung_ho", "ten", "diem"]);
        assert!(!text.contains('{'));
    }

    #[test]
    fn a_field_opening_a_sentence_is_capitalised() {
        let p = parse("Chào {xung_ho} {ten}. {xung_ho} đang có {diem} điểm.").unwrap();
        let v = vals(&[
            ("xung_ho", Some("chị")),
            ("ten", Some("Hương")),
            ("diem", Some("1.250")),
        ]);
        assert_eq!(
            render_pieces(&p, &v).0,
            "Chào chị Hương. Chị đang có 1.250 điểm."
        );
    }

    #[test]
    fn given_names_and_numbers() {
        assert_eq!(given_name("Nguyễn Thị Hương"), "Hương");
        assert_eq!(given_name("Lan"), "Lan");
        assert_eq!(fmt_number(1_250_000), "1.250.000");
        assert_eq!(fmt_number(0), "0");
    }
}
