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

#[cfg(test)]
mod tests {
    use super::*;

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
