//! Phone numbers: 0912 345 678, 0912-345-678 and +84 912 345 678 are one number.

use crate::error::{CoreError, Result};

/// Normalise to the stored form: Vietnamese numbers as 0XXXXXXXXX, foreign ones as +digits.
pub fn normalize(input: &str) -> Result<String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(CoreError::PhoneRequired);
    }
    let invalid = || CoreError::PhoneInvalid(trimmed.to_owned());
    let mut digits = String::with_capacity(trimmed.len());
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(invalid()),
        }
    }
    let national = if plus {
        match digits.strip_prefix("84") {
            Some(rest) => rest.trim_start_matches('0').to_owned(),
            None => {
                // A foreign number: keep it in E.164 form.
                return if (8..=15).contains(&digits.len()) {
                    Ok(format!("+{digits}"))
                } else {
                    Err(invalid())
                };
            }
        }
    } else if digits.starts_with("84") && (digits.len() == 11 || digits.len() == 12) {
        digits[2..].to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        rest.to_owned()
    } else {
        return Err(invalid());
    };
    // Mobiles have 9 national digits (3x, 5x, 7x, 8x, 9x); landlines 10 (2xx).
    let ok = match national.as_bytes().first() {
        Some(b'3' | b'5' | b'7' | b'8' | b'9') => national.len() == 9,
        Some(b'2') => national.len() == 10,
        _ => false,
    };
    if !ok {
        return Err(invalid());
    }
    Ok(format!("0{national}"))
}

/// The digits of a query typed as a phone fragment, or None if it is not one.
pub fn query_digits(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let mut digits = String::new();
    for (i, c) in q.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => {}
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
    }
    if digits.is_empty() {
        return None;
    }
    Some(match normalize(q) {
        Ok(n) => n.trim_start_matches('+').to_owned(),
        Err(_) => digits,
    })
}

/// Reversed digits, so a suffix search becomes an indexed prefix range.
pub fn reversed(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).rev().collect()
}

/// A stored phone for display; empty when the customer has none.
pub fn display_opt(phone: Option<&str>) -> String {
    phone.map(display).unwrap_or_default()
}

/// 0912345678 -> "0912 345 678" for display.
pub fn display(phone: &str) -> String {
    if phone.len() == 10 && phone.starts_with('0') {
        format!("{} {} {}", &phone[..4], &phone[4..7], &phone[7..])
    } else if phone.len() == 11 && phone.starts_with("02") {
        format!("{} {} {}", &phone[..3], &phone[3..7], &phone[7..])
    } else {
        phone.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_number_in_every_format() {
        for input in [
            "0912345678",
            "0912 345 678",
            "0912-345-678",
            "0912.345.678",
            "+84 912 345 678",
            "+84912345678",
            "84912345678",
            "+84 (0) 912 345 678",
            " 0912 345 678 ",
        ] {
            assert_eq!(normalize(input).unwrap(), "0912345678", "{input}");
        }
    }

    #[test]
    fn landlines_and_foreign_numbers() {
        assert_eq!(normalize("024 3826 1234").unwrap(), "02438261234");
        assert_eq!(normalize("+84 24 3826 1234").unwrap(), "02438261234");
        assert_eq!(normalize("+1 415 555 2671").unwrap(), "+14155552671");
    }

    #[test]
    fn rejects_bad_numbers() {
        for bad in [
            "12345",
            "0912",
            "091234567890",
            "abc",
            "0912x45678",
            "0112345678",
            "+84 12",
        ] {
            assert!(
                matches!(normalize(bad), Err(CoreError::PhoneInvalid(_))),
                "{bad}"
            );
        }
        assert!(matches!(normalize("  "), Err(CoreError::PhoneRequired)));
    }

    #[test]
    fn query_digits_and_reversal() {
        assert_eq!(query_digits("678").as_deref(), Some("678"));
        assert_eq!(
            query_digits("+84 912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(query_digits("345-678").as_deref(), Some("345678"));
        assert_eq!(query_digits("duc"), None);
        assert_eq!(reversed("0912345678"), "8765432190");
        assert_eq!(display("0912345678"), "0912 345 678");
    }
}
