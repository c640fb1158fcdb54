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

#[cfg(test)]
mod tests {
    use super::*;

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
