//! Vietnamese-aware text folding for search keys.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// NFD, drop combining marks, đ/Đ -> d, lowercase, collapse whitespace.
/// "Nguyễn Văn Đức" -> "nguyen van duc".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            c => out.extend(c.to_lowercase()),
        }
    }
    collapse_ws(&out)
}

/// Lowercase with marks kept (NFC), for ranking names whose typed diacritics match.
pub fn lower_marked(s: &str) -> String {
    collapse_ws(&s.nfc().collect::<String>().to_lowercase())
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the text carries any Vietnamese mark or đ, i.e. folding changes it.
pub fn has_marks(s: &str) -> bool {
    fold(s) != collapse_ws(&s.to_lowercase())
}

/// Search tokens: alphanumeric runs of an already folded or lowered string.
pub fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Why a name was refused by [`clean_name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameFault {
    /// Nothing but spaces.
    Empty,
    /// Only invisible characters (zero-width, BOM, soft hyphen...).
    Invisible,
    /// A control character (C0, C1) or a direction override that reorders what is shown.
    Control,
}

/// Characters that are refused in a name: controls, and the bidi embeddings, overrides and
/// isolates that make a name display as something else.
fn is_forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: dropped from names (ZWJ, ZWNJ and variation selectors are
/// kept between two visible characters, where emoji and some scripts need them).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}')
}

/// A name as stored: invisible characters dropped (joiners kept inside a word), whitespace
/// collapsed and trimmed. Refuses controls, and names with nothing visible left.
pub fn clean_name(s: &str) -> Result<String, NameFault> {
    if s.chars().any(is_forbidden) {
        return Err(NameFault::Control);
    }
    let chars: Vec<char> = s.chars().collect();
    let visible = |c: &char| !c.is_whitespace() && !is_invisible(*c);
    let mut kept = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        if !is_invisible(c) {
            kept.push(c);
        } else if is_joiner(c) {
            let before = kept.chars().next_back().is_some_and(|p| !p.is_whitespace());
            let after = chars[i + 1..].iter().find(|n| !is_joiner(**n));
            if before && after.is_some_and(visible) {
                kept.push(c);
            }
        }
    }
    let name = collapse_ws(&kept);
    if name.is_empty() {
        let any_invisible = chars.iter().any(|c| is_invisible(*c));
        return Err(if any_invisible {
            NameFault::Invisible
        } else {
            NameFault::Empty
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_invisible_characters() {
        assert_eq!(clean_name("  Nguyễn   Văn An "), Ok("Nguyễn Văn An".into()));
        assert_eq!(
            clean_name("\u{FEFF}\u{200B}Trần\u{200B} Thị\u{00AD}\u{2060}"),
            Ok("Trần Thị".into())
        );
        assert_eq!(clean_name("\u{200E}Lê\u{200F}"), Ok("Lê".into()));
        // A joiner inside an emoji sequence stays; at the edges it goes.
        assert_eq!(
            clean_name("\u{200D}An 👩\u{200D}🍳\u{200D}"),
            Ok("An 👩\u{200D}🍳".into())
        );
        for only in [
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}",
            " \u{00AD} \u{200E} ",
            "\u{3164}\u{115F}",
            "\u{FE0F}",
        ] {
            assert_eq!(clean_name(only), Err(NameFault::Invisible), "{only:?}");
        }
        assert_eq!(clean_name("   "), Err(NameFault::Empty));
        assert_eq!(clean_name(""), Err(NameFault::Empty));
    }

    #[test]
    fn names_refuse_controls() {
        for bad in [
            "An\u{0}",
            "An\tBình",
            "An\nBình",
            "\u{7F}An",
            "An\u{85}",
            "An\u{9B}31m",
            "\u{1B}[31mAn",
            "An\u{202E}nàb",
            "\u{2066}An\u{2069}",
        ] {
            assert_eq!(clean_name(bad), Err(NameFault::Control), "{bad:?}");
        }
    }

    #[test]
    fn folds_vietnamese_names() {
        let table = [
            ("Nguyễn Văn Đức", "nguyen van duc"),
            ("nguyễn đức", "nguyen duc"),
            ("Nguyen Duc", "nguyen duc"),
            ("Trần Thị Hương", "tran thi huong"),
            ("ĐẶNG  Thị   Ánh", "dang thi anh"),
            ("Lê Hoàng Yến", "le hoang yen"),
            ("Phạm Quốc Việt", "pham quoc viet"),
            ("Huỳnh Ngọc Ẩn", "huynh ngoc an"),
            ("Vũ Thị Thủy", "vu thi thuy"),
            ("Bùi Ưng Ơn", "bui ung on"),
            ("Đỗ Mỹ Kỳ", "do my ky"),
            ("", ""),
        ];
        for (input, want) in table {
            assert_eq!(fold(input), want, "fold({input:?})");
        }
    }

    #[test]
    fn fold_is_idempotent_and_matches_precomposed_and_decomposed() {
        let pre = "Nguyễn Đức";
        let dec: String = pre.nfd().collect();
        assert_eq!(fold(pre), fold(&dec));
        assert_eq!(fold(&fold(pre)), fold(pre));
    }

    #[test]
    fn detects_marks() {
        assert!(has_marks("nguyễn"));
        assert!(has_marks("Đuc"));
        assert!(!has_marks("Nguyen Duc"));
    }

    #[test]
    fn lower_marked_keeps_marks() {
        assert_eq!(lower_marked("Nguyễn  ĐỨC"), "nguyễn đức");
    }

    #[test]
    fn tokens_split_on_punctuation() {
        assert_eq!(tokens("nguyen-van, duc"), vec!["nguyen", "van", "duc"]);
    }
}
