//! Money: Decimal in Rust, integer minor units in SQLite, a plain string on the wire.

use crate::error::{CoreError, Result};
use rust_decimal::Decimal;
use std::str::FromStr;

/// ISO 4217 minor-unit exponent of a currency code (VND 0, USD 2).
pub fn exponent(code: &str) -> Result<u32> {
    let cur = iso_currency::Currency::from_code(code)
        .ok_or_else(|| CoreError::CurrencyInvalid(code.to_owned()))?;
    Ok(match cur.exponent() {
        Some(e) => u32::from(e),
        None => 0,
    })
}

/// Parse a user-typed amount. Plain decimal with '.' as the decimal point; the UI strips
/// thousands separators before sending. Refuses negatives and excess decimals as typed,
/// so "250.000" in VND is an error rather than 250 ₫.
pub fn parse_amount(s: &str, currency: &str, exp: u32) -> Result<Decimal> {
    let t = s.trim();
    let d = Decimal::from_str(t).map_err(|_| CoreError::AmountInvalid(t.to_owned()))?;
    check_amount(d, currency, exp)?;
    if d.scale() > exp {
        return Err(precision(currency, exp));
    }
    Ok(d.normalize())
}

fn precision(currency: &str, exp: u32) -> CoreError {
    CoreError::AmountPrecision {
        currency: currency.to_owned(),
        decimals: exp,
    }
}

pub fn check_amount(d: Decimal, currency: &str, exp: u32) -> Result<()> {
    if d.is_sign_negative() && !d.is_zero() {
        return Err(CoreError::AmountNegative);
    }
    if d.normalize().scale() > exp {
        return Err(precision(currency, exp));
    }
    Ok(())
}

pub fn to_minor(d: Decimal, exp: u32) -> Result<i64> {
    let scaled = d
        .checked_mul(Decimal::from(10i64.pow(exp)))
        .ok_or(CoreError::AmountTooLarge)?;
    i64::try_from(scaled.trunc()).map_err(|_| CoreError::AmountTooLarge)
}

pub fn from_minor(minor: i64, exp: u32) -> Decimal {
    Decimal::new(minor, exp)
}

/// `n × num / den` rounded half up, for non-negative numbers (i128 inside: no overflow).
fn scale_round(n: i64, num: i64, den: i64) -> i64 {
    if den <= 0 {
        return 0;
    }
    let v = (2 * i128::from(n) * i128::from(num) + i128::from(den)) / (2 * i128::from(den));
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Refunds are stored as the share of the bill they undo (so spend and totals drop by the
/// whole bill on a full refund), while the customer gets back money only up to what was
/// paid in money. These convert between the two, cumulatively: the share of the bill
/// `total` that `money` refunded so far out of `paid` undoes.
pub fn refund_share(total: i64, paid: i64, money: i64) -> i64 {
    if money >= paid {
        total
    } else {
        scale_round(money.max(0), total, paid)
    }
}

/// The money refunded so far for a stored share (the inverse of [`refund_share`]: exact,
/// since `paid <= total` makes every step of money at least one step of share).
pub fn refund_money(total: i64, paid: i64, share: i64) -> i64 {
    if share >= total {
        paid.max(0)
    } else {
        scale_round(share.max(0), paid.max(0), total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_shares_round_trip() {
        for (total, paid) in [(300_000, 200_000), (7, 3), (100, 100), (10, 1), (5, 0)] {
            for m in 0..=paid.min(2_000) {
                let share = refund_share(total, paid, m);
                assert!(share <= total);
                assert_eq!(refund_money(total, paid, share), m, "{total} {paid} {m}");
            }
        }
        assert_eq!(refund_share(300_000, 200_000, 100_000), 150_000);
        assert_eq!(refund_share(300_000, 200_000, 200_000), 300_000);
        assert_eq!(refund_money(300_000, 0, 300_000), 0);
    }

    #[test]
    fn exponents() {
        assert_eq!(exponent("VND").unwrap(), 0);
        assert_eq!(exponent("USD").unwrap(), 2);
        assert_eq!(exponent("JPY").unwrap(), 0);
        assert!(exponent("XYZ").is_err());
    }

    #[test]
    fn parses_and_converts() {
        let d = parse_amount("250000", "VND", 0).unwrap();
        assert_eq!(to_minor(d, 0).unwrap(), 250_000);
        let d = parse_amount("12.50", "USD", 2).unwrap();
        assert_eq!(to_minor(d, 2).unwrap(), 1250);
        assert_eq!(from_minor(1250, 2).to_string(), "12.50");
        assert_eq!(from_minor(250_000, 0).to_string(), "250000");
        assert!(parse_amount("12.5", "USD", 2).is_ok());
        // Typed decimals count even when zero: "250.000" VND is a typo, not 250 ₫.
        assert!(matches!(
            parse_amount("250.000", "VND", 0),
            Err(CoreError::AmountPrecision { .. })
        ));
    }

    #[test]
    fn refuses_bad_amounts() {
        assert!(matches!(
            parse_amount("-5", "VND", 0),
            Err(CoreError::AmountNegative)
        ));
        assert!(matches!(
            parse_amount("10.5", "VND", 0),
            Err(CoreError::AmountPrecision { .. })
        ));
        assert!(matches!(
            parse_amount("1.234", "USD", 2),
            Err(CoreError::AmountPrecision { .. })
        ));
        assert!(matches!(
            parse_amount("1.250.000", "VND", 0),
            Err(CoreError::AmountInvalid(_))
        ));
        assert!(matches!(
            parse_amount("abc", "VND", 0),
            Err(CoreError::AmountInvalid(_))
        ));
        assert!(matches!(
            to_minor(Decimal::MAX, 2),
            Err(CoreError::AmountTooLarge)
        ));
    }
}
