//! Voucher codes: 8 random characters and a check character, from an alphabet without the
//! look-alikes 0/O and 1/I, so a code read aloud or copied by hand survives, and a mistyped
//! one (any one character wrong, or most swaps of two neighbours) is caught at once.

use rand::Rng;

pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Random characters in a generated code, before its check character.
pub const BODY: usize = 8;
/// The longest code a person may type (an owner's own shared code included).
pub const MAX_LEN: usize = 20;

fn index(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|i| i as u32)
}

/// Luhn mod 32 over `digits` (the code's characters as alphabet indexes), doubling from
/// the right-most when `double_first`.
fn luhn_sum(digits: impl DoubleEndedIterator<Item = u32>, double_first: bool) -> u32 {
    let n = ALPHABET.len() as u32;
    let mut double = double_first;
    let mut sum = 0;
    for d in digits.rev() {
        let mut a = if double { d * 2 } else { d };
        a = a / n + a % n;
        sum += a;
        double = !double;
    }
    sum % n
}

/// The check character of a body of alphabet characters.
pub fn check_char(body: &str) -> Option<char> {
    let digits: Option<Vec<u32>> = body.bytes().map(index).collect();
    let s = luhn_sum(digits?.into_iter(), true);
    let n = ALPHABET.len() as u32;
    Some(ALPHABET[((n - s) % n) as usize] as char)
}

/// A new random code.
pub fn generate(rng: &mut impl Rng) -> String {
    let bits: u64 = rng.random();
    let body: String = (0..BODY)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    let check = check_char(&body).unwrap_or('2');
    format!("{body}{check}")
}

/// A typed or scanned code as stored: capitals, without spaces and dashes. None when it is
/// empty or too long to be any code.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > MAX_LEN * 4 {
        return None;
    }
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!s.is_empty() && s.chars().count() <= MAX_LEN).then_some(s)
}

/// True when `code` has a generated code's shape (length and alphabet) but its check
/// character does not hold: a typing mistake rather than an unknown code.
pub fn looks_mistyped(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == BODY + 1
        && b.iter().all(|&c| index(c).is_some())
        && check_char(&code[..BODY]) != Some(b[BODY] as char)
}

/// An owner's own shared code: 4 to 20 capitals and digits.
pub fn valid_own(code: &str) -> bool {
    (4..=MAX_LEN).contains(&code.len())
        && code
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_codes_check_and_avoid_look_alikes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for _ in 0..2000 {
            let c = generate(&mut rng);
            assert_eq!(c.len(), BODY + 1);
            assert!(!c.contains(['0', 'O', '1', 'I']), "{c}");
            assert!(!looks_mistyped(&c), "{c}");
        }
    }

    /// Every single wrong character and every swap of two different neighbours is caught.
    #[test]
    fn one_wrong_character_or_a_swap_is_caught() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut swaps, mut caught) = (0, 0);
        for _ in 0..300 {
            let c = generate(&mut rng);
            let b = c.as_bytes();
            for i in 0..b.len() {
                for &a in ALPHABET {
                    if a != b[i] {
                        let mut m = b.to_vec();
                        m[i] = a;
                        assert!(looks_mistyped(std::str::from_utf8(&m).unwrap()));
                    }
                }
                if i + 1 < b.len() && b[i] != b[i + 1] {
                    let mut m = b.to_vec();
                    m.swap(i, i + 1);
                    swaps += 1;
                    caught += usize::from(looks_mistyped(std::str::from_utf8(&m).unwrap()));
                }
            }
        }
        // Luhn mod N misses only the swap of the two characters whose doubled sums agree.
        assert!(caught * 100 >= swaps * 95, "{caught} of {swaps}");
    }

    #[test]
    fn typed_codes_are_normalized_and_bounded() {
        assert_eq!(normalize(" abcd-efgh 2 ").as_deref(), Some("ABCDEFGH2"));
        assert_eq!(normalize("  - "), None);
        assert_eq!(normalize(&"A".repeat(21)), None);
        assert_eq!(normalize(&"A".repeat(20)).map(|s| s.len()), Some(20));
        assert_eq!(normalize(&" ".repeat(10_000)), None);
        assert!(valid_own("TET2027") && !valid_own("TẾT2027") && !valid_own("AB"));
    }
}
