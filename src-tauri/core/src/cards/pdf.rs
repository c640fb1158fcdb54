//! A PDF sheet of printable loyalty cards: A4 pages of ten 85.6 × 54 mm (ID-1) cards, each
//! with the shop's name, the customer's name and tier, the card number and its QR code.
//!
//! DejaVu Sans and DejaVu Sans Bold are embedded whole as CID TrueType fonts (Identity-H,
//! with a ToUnicode map), so every Vietnamese letter prints the same on any computer and the
//! text can be copied and searched. The bytes depend only on the input: no dates, no ids.

use miniz_oxide::deflate::compress_to_vec_zlib;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use qrcode::{Color, EcLevel, QrCode};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use ttf_parser::{Face, GlyphId};

static REGULAR_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD_TTF: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

// The most cards one sheet holds (1,000 pages): the feature's own bound.
use super::PRINT_MAX as MAX_CARDS;

/// Millimetres to PDF points.
const fn mm(x: f32) -> f32 {
    x * 72.0 / 25.4
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const COLS: usize = 2;
const ROWS: usize = 5;
const PER_PAGE: usize = COLS * ROWS;
const CARD_W: f32 = mm(85.6);
const CARD_H: f32 = mm(54.0);
/// Space between cards, so each one is cut along its own outline.
const GAP: f32 = mm(3.0);
/// The ID-1 corner radius.
const RADIUS: f32 = mm(3.18);
/// Inner margin of the text.
const PAD: f32 = mm(4.0);
/// The QR code's side, quiet zone included.
const QR_SIZE: f32 = mm(24.0);
/// Light modules around the code: ISO asks 4, but the card around it is blank anyway.
const QR_QUIET: usize = 2;
/// Bottom-right, so that with its quiet zone (about 2 mm) the dark modules line up with
/// the text's 4 mm margin.
const QR_X: f32 = CARD_W - mm(2.0) - QR_SIZE;
const QR_Y: f32 = mm(2.0);
/// Width left for text beside the QR code.
const TEXT_W: f32 = QR_X - PAD - mm(1.0);

const TEAL: [f32; 3] = [0.059, 0.463, 0.431]; // #0f766e
const INK: [f32; 3] = [0.067, 0.094, 0.153]; // #111827
const GREY: [f32; 3] = [0.42, 0.447, 0.502]; // #6b7280
const OUTLINE_GREY: f32 = 0.62;

/// Deflate level for every stream.
const LEVEL: u8 = 6;

/// One card's face.
pub struct CardFace<'a> {
    /// The shop's name, e.g. "Tiệm Cô Ba".
    pub shop: &'a str,
    /// The customer's name, e.g. "Nguyễn Thị Hường".
    pub name: &'a str,
    /// The customer's tier, e.g. "Kim cương".
    pub tier: Option<&'a str>,
    /// The card number, printed and encoded in the QR code, e.g. "2000000000015".
    pub number: &'a str,
    /// The words before the number, e.g. "Thẻ khách hàng thân thiết".
    pub label: &'a str,
}

/// A4 pages of 85.6 × 54 mm cards (2 columns × 5 rows, centred, thin grey cut outline with
/// rounded corners), in order.
pub fn sheet(cards: &[CardFace]) -> Result<Vec<u8>, String> {
    if cards.is_empty() {
        return Err("no cards to print".into());
    }
    if cards.len() > MAX_CARDS {
        return Err(format!(
            "{} cards: at most {MAX_CARDS} fit in one sheet",
            cards.len()
        ));
    }
    let mut regular = Font::load(REGULAR_TTF, b"F1", b"DejaVuSans")?;
    let mut bold = Font::load(BOLD_TTF, b"F2", b"DejaVuSans-Bold")?;

    let mut pdf = Pdf::new();
    let pages = cards.len().div_ceil(PER_PAGE);
    pdf.catalog(CATALOG).pages(TREE);
    pdf.pages(TREE)
        .kids((0..pages).map(page_ref))
        .count(pages as i32);

    let grid_w = COLS as f32 * CARD_W + (COLS - 1) as f32 * GAP;
    let grid_h = ROWS as f32 * CARD_H + (ROWS - 1) as f32 * GAP;
    let left = (PAGE_W - grid_w) / 2.0;
    let top = PAGE_H - (PAGE_H - grid_h) / 2.0;

    for (i, page_cards) in cards.chunks(PER_PAGE).enumerate() {
        let mut content = Content::new();
        for (k, face) in page_cards.iter().enumerate() {
            let (row, col) = (k / COLS, k % COLS);
            let x = left + col as f32 * (CARD_W + GAP);
            let y = top - (row + 1) as f32 * CARD_H - row as f32 * GAP;
            draw_card(&mut content, &mut regular, &mut bold, face, x, y)?;
        }
        let data = compress_to_vec_zlib(&content.finish(), LEVEL);

        let mut page = pdf.page(page_ref(i));
        page.parent(TREE)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_ref(i));
        page.resources()
            .fonts()
            .pair(Name(regular.res), REGULAR_REFS.type0)
            .pair(Name(bold.res), BOLD_REFS.type0);
        page.finish();
        pdf.stream(content_ref(i), &data)
            .filter(Filter::FlateDecode);
    }

    static REGULAR_Z: OnceLock<Vec<u8>> = OnceLock::new();
    static BOLD_Z: OnceLock<Vec<u8>> = OnceLock::new();
    write_font(&mut pdf, &regular, REGULAR_REFS, REGULAR_TTF, &REGULAR_Z);
    write_font(&mut pdf, &bold, BOLD_REFS, BOLD_TTF, &BOLD_Z);
    Ok(pdf.finish())
}

// Object numbers: fixed ones first, then a page and its content stream per page.
const CATALOG: Ref = Ref::new(1);
const TREE: Ref = Ref::new(2);
const REGULAR_REFS: FontRefs = FontRefs::starting(3);
const BOLD_REFS: FontRefs = FontRefs::starting(8);

/// Page `i`'s object; at most 1,000 pages, so no overflow.
fn page_ref(i: usize) -> Ref {
    Ref::new(13 + 2 * i as i32)
}

fn content_ref(i: usize) -> Ref {
    Ref::new(14 + 2 * i as i32)
}

/// One card with its lower-left corner at (`x`, `y`).
fn draw_card(
    c: &mut Content,
    regular: &mut Font,
    bold: &mut Font,
    face: &CardFace,
    x: f32,
    y: f32,
) -> Result<(), String> {
    c.save_state();
    // Everything below in card coordinates.
    c.transform([1.0, 0.0, 0.0, 1.0, r2(x), r2(y)]);

    c.set_stroke_gray(OUTLINE_GREY).set_line_width(0.5);
    rounded_rect(c, 0.0, 0.0, CARD_W, CARD_H, RADIUS);
    c.stroke();

    // The shop's name runs above the QR code, so it may take the card's whole width.
    let shop = bold.fit(&clean(face.shop), 8.0, 6.0, 0.0, CARD_W - 2.0 * PAD);
    let shop_y = CARD_H - PAD - 6.0;
    show(c, bold, &shop, PAD, shop_y, TEAL, 0.0);

    let name = bold.fit(&clean(face.name), 11.0, 7.5, 0.0, TEXT_W);
    // Name and tier in the middle, between the shop above and the number below.
    let name_y = CARD_H / 2.0 + 8.0;
    show(c, bold, &name, PAD, name_y, INK, 0.0);
    if let Some(tier) = face.tier {
        let tier = regular.fit(&clean(tier), 8.0, 6.5, 0.0, TEXT_W);
        show(c, regular, &tier, PAD, name_y - 12.0, TEAL, 0.0);
    }

    // The number is read aloud and typed: letter spacing keeps its digits apart.
    const TRACK: f32 = 0.12;
    let number_text = clean(face.number);
    let number = regular.fit(&number_text, 9.0, 6.0, TRACK, TEXT_W);
    let number_y = PAD;
    show(c, regular, &number, PAD, number_y, INK, TRACK);
    let label = regular.fit(&clean(face.label), 6.5, 5.0, 0.0, TEXT_W);
    show(c, regular, &label, PAD, number_y + 11.0, GREY, 0.0);

    qr(c, &number_text, QR_X, QR_Y)?;
    c.restore_state();
    Ok(())
}

/// A rectangle with quarter-circle corners (cubic Bézier approximation), as a path.
fn rounded_rect(c: &mut Content, x: f32, y: f32, w: f32, h: f32, r: f32) {
    const KAPPA: f32 = 0.552_284_8;
    let k = r * KAPPA;
    let (x0, y0, x1, y1) = (r2(x), r2(y), r2(x + w), r2(y + h));
    let (r, k) = (r2(r), r2(k));
    c.move_to(x0 + r, y0)
        .line_to(r2(x1 - r), y0)
        .cubic_to(r2(x1 - r + k), y0, x1, r2(y0 + r - k), x1, r2(y0 + r))
        .line_to(x1, r2(y1 - r))
        .cubic_to(x1, r2(y1 - r + k), r2(x1 - r + k), y1, r2(x1 - r), y1)
        .line_to(r2(x0 + r), y1)
        .cubic_to(r2(x0 + r - k), y1, x0, r2(y1 - r + k), x0, r2(y1 - r))
        .line_to(x0, r2(y0 + r))
        .cubic_to(x0, r2(y0 + r - k), r2(x0 + r - k), y0, r2(x0 + r), y0)
        .close_path();
}

/// The QR code of `data`, error correction M, its lower-left corner at (`x`, `y`): one
/// rectangle per horizontal run of dark modules, all filled as one path.
fn qr(c: &mut Content, data: &str, x: f32, y: f32) -> Result<(), String> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| format!("card number too long for a QR code ({e})"))?;
    let n = code.width();
    if n == 0 {
        return Ok(());
    }
    let colors = code.to_colors();
    let module = QR_SIZE / (n + 2 * QR_QUIET) as f32;
    // Every edge from one formula, so runs and rows meet exactly.
    let col_x = |i: usize| r2(x + (i + QR_QUIET) as f32 * module);
    let row_y = |j: usize| r2(y + QR_SIZE - (j + QR_QUIET) as f32 * module);
    c.set_fill_gray(0.0);
    for (j, row) in colors.chunks(n).enumerate() {
        let (top, bottom) = (row_y(j), row_y(j + 1));
        let mut i = 0;
        while i < n {
            if row[i] != Color::Dark {
                i += 1;
                continue;
            }
            let start = i;
            while i < n && row[i] == Color::Dark {
                i += 1;
            }
            let left = col_x(start);
            c.rect(left, bottom, r2(col_x(i) - left), r2(top - bottom));
        }
    }
    c.fill_nonzero();
    Ok(())
}

/// One line of text at `x`, `y` (baseline) in `color`, with `track` ems of letter spacing.
fn show(
    c: &mut Content,
    font: &mut Font,
    line: &Line,
    x: f32,
    y: f32,
    color: [f32; 3],
    track: f32,
) {
    if line.glyphs.is_empty() {
        return;
    }
    let mut bytes = Vec::with_capacity(2 * line.glyphs.len());
    for &(gid, ch) in &line.glyphs {
        bytes.extend_from_slice(&gid.to_be_bytes());
        font.used.entry(gid).or_insert(ch);
    }
    let [r, g, b] = color;
    c.set_fill_rgb(r, g, b);
    c.begin_text();
    c.set_font(Name(font.res), line.size);
    if track != 0.0 {
        // Rounded down so the line is never wider than measured.
        c.set_char_spacing((track * line.size * 100.0).floor() / 100.0);
    }
    c.next_line(r2(x), r2(y));
    c.show(Str(&bytes));
    if track != 0.0 {
        c.set_char_spacing(0.0);
    }
    c.end_text();
}

/// `text` on one line: whitespace runs (newlines, tabs) become one space, other control
/// characters go.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if word.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
    }
    out
}

/// Rounded to 0.01 pt: plenty for print, and short in the content stream.
fn r2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

/// Glyphs set at one size: glyph id and the character it stands for.
struct Line {
    glyphs: Vec<(u16, char)>,
    size: f32,
}

/// An embedded font and the glyphs the sheet has drawn with it.
struct Font<'a> {
    face: Face<'a>,
    /// Its name in each page's font resources.
    res: &'static [u8],
    /// PostScript name.
    ps_name: &'static [u8],
    /// Font units to thousandths of an em (PDF glyph space).
    scale: f32,
    /// Glyph id → the first character drawn with it: the /W array and the ToUnicode map.
    used: BTreeMap<u16, char>,
}

impl<'a> Font<'a> {
    fn load(data: &'a [u8], res: &'static [u8], ps_name: &'static [u8]) -> Result<Self, String> {
        let face = Face::parse(data, 0).map_err(|e| format!("card font: {e}"))?;
        let scale = 1000.0 / f32::from(face.units_per_em().max(1));
        Ok(Self {
            face,
            res,
            ps_name,
            scale,
            used: BTreeMap::new(),
        })
    }

    /// The glyph for `c`, or .notdef (0) when the font has none.
    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(0, |g| g.0)
    }

    /// Advance width in thousandths of an em, rounded as the /W array has it, so measuring
    /// here and drawing in the viewer agree.
    fn advance(&self, gid: u16) -> f32 {
        self.face
            .glyph_hor_advance(GlyphId(gid))
            .map_or(0.0, |a| (f32::from(a) * self.scale).round())
    }

    /// `text` at `size`, else shrunk down to `min`, else cut with "…" at `min`, so that it
    /// is at most `max_w` points wide; `track` is letter spacing in ems.
    fn fit(&self, text: &str, size: f32, min: f32, track: f32, max_w: f32) -> Line {
        // The widest text, in ems, that still fits at `min`; past it the text is cut, so
        // a name of any length is read no further than the prefix that shows.
        let limit = max_w / min;
        let mut glyphs = Vec::new();
        let mut em = 0.0;
        for c in text.chars() {
            let gid = self.glyph(c);
            if !glyphs.is_empty() {
                em += track;
            }
            em += self.advance(gid) / 1000.0;
            glyphs.push((gid, c));
            if em > limit {
                break;
            }
        }
        if em * size <= max_w {
            return Line { glyphs, size };
        }
        if em <= limit {
            // One decimal, rounded down: never wider than the room, never below `min`.
            let size = ((max_w / em * 10.0).floor() / 10.0).max(min);
            return Line { glyphs, size };
        }
        let ellipsis = (self.glyph('…'), '…');
        let room = limit - self.advance(ellipsis.0) / 1000.0;
        let mut width = 0.0;
        let mut keep = 0;
        for &(g, _) in &glyphs {
            // Each kept glyph is followed by its spacing, then the ellipsis.
            width += self.advance(g) / 1000.0 + track;
            if width > room {
                break;
            }
            keep += 1;
        }
        glyphs.truncate(keep);
        while glyphs.last().is_some_and(|&(_, c)| c.is_whitespace()) {
            glyphs.pop();
        }
        if room >= 0.0 {
            glyphs.push(ellipsis);
        }
        Line { glyphs, size: min }
    }
}

/// Object numbers of one font's five objects.
#[derive(Clone, Copy)]
struct FontRefs {
    type0: Ref,
    cid: Ref,
    descriptor: Ref,
    file: Ref,
    cmap: Ref,
}

impl FontRefs {
    const fn starting(first: i32) -> Self {
        Self {
            type0: Ref::new(first),
            cid: Ref::new(first + 1),
            descriptor: Ref::new(first + 2),
            file: Ref::new(first + 3),
            cmap: Ref::new(first + 4),
        }
    }
}

/// A height from the OS/2 table, else the top of `probe`'s outline (OS/2 before version 2,
/// as DejaVu's, has neither cap height nor x-height).
fn height(face: &Face, os2: Option<i16>, probe: char) -> i16 {
    os2.filter(|&h| h > 0)
        .or_else(|| {
            let gid = face.glyph_index(probe)?;
            Some(face.glyph_bounding_box(gid)?.y_max)
        })
        .unwrap_or(face.ascender())
}

fn identity() -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    }
}

/// `font` as a Type0 font over a CIDFontType2, glyph ids as CIDs; the TrueType program is
/// deflated once per process (`packed`), being the bulk of the work and of the file.
fn write_font(pdf: &mut Pdf, font: &Font, refs: FontRefs, raw: &[u8], packed: &OnceLock<Vec<u8>>) {
    let name = Name(font.ps_name);
    pdf.type0_font(refs.type0)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(refs.cid)
        .to_unicode(refs.cmap);

    let mut cid = pdf.cid_font(refs.cid);
    cid.subtype(CidFontType::Type2)
        .base_font(name)
        .system_info(identity())
        .font_descriptor(refs.descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let mut widths = cid.widths();
    let gids: Vec<u16> = font.used.keys().copied().collect();
    // Consecutive glyph ids share one entry.
    for run in gids.chunk_by(|a, b| a.checked_add(1) == Some(*b)) {
        if let Some(&first) = run.first() {
            widths.consecutive(first, run.iter().map(|&g| font.advance(g)));
        }
    }
    widths.finish();
    cid.finish();

    let face = &font.face;
    let s = |v: i16| (f32::from(v) * font.scale).round();
    let bbox = face.global_bounding_box();
    let mut flags = FontFlags::SYMBOLIC; // Vietnamese is outside Adobe's standard Latin set.
    if face.is_monospaced() {
        flags |= FontFlags::FIXED_PITCH;
    }
    if face.is_italic() {
        flags |= FontFlags::ITALIC;
    }
    let weight = face.weight().to_number();
    pdf.font_descriptor(refs.descriptor)
        .name(name)
        .flags(flags)
        .bbox(Rect::new(
            s(bbox.x_min),
            s(bbox.y_min),
            s(bbox.x_max),
            s(bbox.y_max),
        ))
        .italic_angle(face.italic_angle())
        .ascent(s(face.ascender()))
        .descent(s(face.descender()))
        .cap_height(s(height(face, face.capital_height(), 'H')))
        .weight(weight)
        // No stem width in TrueType: the usual estimate from the weight class.
        .stem_v((10.0 + 0.244 * (f32::from(weight) - 50.0)).round())
        .font_file2(refs.file)
        .x_height(s(height(face, face.x_height(), 'x')));

    let data = packed.get_or_init(|| compress_to_vec_zlib(raw, LEVEL));
    pdf.stream(refs.file, data)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(raw.len()).unwrap_or(i32::MAX),
        );

    let mut cmap = UnicodeCmap::new(Name(b"Adobe-Identity-UCS"), identity());
    for (&gid, &ch) in &font.used {
        // .notdef stands for every missing character: it maps to none.
        if gid != 0 {
            cmap.pair(gid, ch);
        }
    }
    let data = compress_to_vec_zlib(&cmap.finish(), LEVEL);
    pdf.stream(refs.cmap, &data).filter(Filter::FlateDecode);
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::inflate::decompress_to_vec_zlib;

    const VI_NAME: &str = "Nguyễn Thị Hường";

    fn card<'a>(name: &'a str, number: &'a str) -> CardFace<'a> {
        CardFace {
            shop: "Tiệm Cô Ba",
            name,
            tier: Some("Kim cương"),
            number,
            label: "Thẻ khách hàng thân thiết",
        }
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// Object `id`'s bytes, up to its `endobj`.
    fn object(pdf: &[u8], id: Ref) -> &[u8] {
        let head = format!("\n{} 0 obj\n", id.get());
        let start = find(pdf, head.as_bytes()).expect("object") + head.len();
        let len = find(&pdf[start..], b"endobj").expect("endobj");
        &pdf[start..start + len]
    }

    /// Object `id`'s stream, inflated.
    fn stream(pdf: &[u8], id: Ref) -> Vec<u8> {
        let obj = object(pdf, id);
        assert!(find(obj, b"/Filter /FlateDecode").is_some());
        let start = find(obj, b"stream\n").expect("stream") + b"stream\n".len();
        let end = find(obj, b"\nendstream").expect("endstream");
        decompress_to_vec_zlib(&obj[start..end]).expect("zlib")
    }

    #[test]
    fn a_sheet_is_a_pdf_of_a4_pages_of_ten() {
        let numbers: Vec<String> = (1..=23).map(|i| format!("2{i:012}")).collect();
        let cards: Vec<CardFace> = numbers.iter().map(|n| card(VI_NAME, n)).collect();
        let pdf = sheet(&cards).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        assert_eq!(
            count(&pdf, b"/Type /Page") - count(&pdf, b"/Type /Pages"),
            3
        );
        assert_eq!(count(&pdf, b"/MediaBox [0 0 595.28 841.89]"), 3);
        assert!(find(&pdf, b"/Count 3").is_some());
        // Fonts embedded as CID TrueType, compressed.
        assert_eq!(count(&pdf, b"/Subtype /CIDFontType2"), 2);
        assert_eq!(count(&pdf, b"/Encoding /Identity-H"), 2);
        assert_eq!(count(&pdf, b"/CIDToGIDMap /Identity"), 2);
        assert_eq!(count(&pdf, b"/FontFile2 "), 2);
        assert_eq!(stream(&pdf, BOLD_REFS.file), BOLD_TTF);
        assert_eq!(stream(&pdf, REGULAR_REFS.file), REGULAR_TTF);
        // The last page holds the last three cards: three outlines, three QR fills.
        let last = stream(&pdf, content_ref(2));
        assert_eq!(count(&last, b" cm\n"), 3);
        assert_eq!(count(&last, b"\nf\n"), 3);
    }

    #[test]
    fn same_cards_same_bytes() {
        let cards = [
            card(VI_NAME, "2000000000015"),
            card("Lê Văn Tám", "2000000000022"),
        ];
        assert_eq!(sheet(&cards).unwrap(), sheet(&cards).unwrap());
    }

    #[test]
    fn odd_input_does_not_panic_and_sizes_are_bounded() {
        let long: String = "Tôn Nữ Thị Phương ".repeat(17).chars().take(300).collect();
        let odd = "A\u{0}\u{7}b\tc\nd\u{1b}[0m\u{200b}\u{10ffff}😀";
        let cards = [
            card(&long, "2000000000015"),
            card(odd, odd),
            CardFace {
                shop: "",
                name: "",
                tier: Some(""),
                number: "",
                label: "",
            },
            CardFace {
                shop: &long,
                name: "\n\n",
                tier: Some(&long),
                number: &long,
                label: &long,
            },
        ];
        let pdf = sheet(&cards).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        // A megabyte of name is read only as far as the card shows it.
        let endless = "Hường ".repeat(150_000);
        assert!(sheet(&[card(&endless, "2000000000015")]).is_ok());

        assert!(sheet(&[]).is_err());
        let many: Vec<CardFace> = (0..=MAX_CARDS).map(|_| card("A", "1")).collect();
        assert!(sheet(&many).is_err());
        // Far too long for any QR code: refused, not a panic.
        let huge = "9".repeat(10_000);
        assert!(sheet(&[card("A", &huge)]).is_err());
    }

    #[test]
    fn long_text_shrinks_then_is_cut_to_fit() {
        let font = Font::load(BOLD_TTF, b"F2", b"DejaVuSans-Bold").unwrap();
        let width = |l: &Line| {
            l.glyphs.iter().map(|&(g, _)| font.advance(g)).sum::<f32>() / 1000.0 * l.size
        };
        let short = font.fit(VI_NAME, 11.0, 7.5, 0.0, TEXT_W);
        assert_eq!(short.size, 11.0);
        assert_eq!(short.glyphs.len(), VI_NAME.chars().count());
        let longer = font.fit("Tôn Nữ Thị Phương Thảo Nguyễn", 11.0, 7.5, 0.0, TEXT_W);
        assert!(longer.size < 11.0 && longer.size >= 7.5 && width(&longer) <= TEXT_W);
        let long: String = "Hường ".repeat(60);
        let cut = font.fit(&long, 11.0, 7.5, 0.0, TEXT_W);
        assert_eq!(cut.size, 7.5);
        assert_eq!(cut.glyphs.last().map(|g| g.1), Some('…'));
        assert!(width(&cut) <= TEXT_W);
        assert!(cut.glyphs[cut.glyphs.len() - 2].1 != ' ');
        assert_eq!(clean(" a\u{0}b\n\tc \u{7} d  "), "ab c d");
        // A character the font lacks is .notdef.
        assert_eq!(
            font.fit("\u{10ffff}", 11.0, 7.5, 0.0, TEXT_W).glyphs,
            [(0, '\u{10ffff}')]
        );
    }

    #[test]
    fn to_unicode_maps_glyphs_back_to_the_name() {
        let pdf = sheet(&[card(VI_NAME, "2000000000015")]).unwrap();
        let bold = BOLD_REFS;
        let type0 = object(&pdf, bold.type0);
        assert!(find(type0, b"/BaseFont /DejaVuSans-Bold").is_some());
        let link = format!("/ToUnicode {} 0 R", bold.cmap.get());
        assert!(find(type0, link.as_bytes()).is_some());
        let cmap = stream(&pdf, bold.cmap);
        assert!(find(&cmap, b"beginbfchar").is_some());
        let face = Face::parse(BOLD_TTF, 0).unwrap();
        for ch in VI_NAME.chars() {
            let gid = face
                .glyph_index(ch)
                .expect("DejaVu has every Vietnamese letter")
                .0;
            assert_ne!(gid, 0);
            let mut utf16 = [0; 2];
            let hex: String = ch
                .encode_utf16(&mut utf16)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let entry = format!("<{gid:04X}> <{hex}>");
            assert!(find(&cmap, entry.as_bytes()).is_some(), "{ch}: {entry}");
        }
        assert!(find(object(&pdf, bold.cid), b"/W [").is_some());
    }
}
