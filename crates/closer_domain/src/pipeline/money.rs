//! Money: an exact decimal amount (never a float) and its ISO 4217 currency code.
//!
//! Amounts keep at most four decimal places and are stored as whole ten-thousandths
//! (`Amount::units`), so sums in SQL are exact integer sums on both engines.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::FieldError;

/// Decimal places an amount may carry.
pub const AMOUNT_SCALE: u32 = 4;
/// The largest amount accepted: a trillion in any currency.
const MAX_WHOLE: i64 = 1_000_000_000_000;

/// A non-negative amount of money with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// Reads `"1200"`, `"1200.5"`, `"0.0001"`; refuses signs, exponents, separators, more than
    /// four decimals and more than a trillion. `field` names the input in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let plain = !text.is_empty()
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
        let value = if plain {
            Decimal::from_str_exact(text).ok()
        } else {
            None
        };
        let Some(value) = value else {
            return Err(FieldError::new(
                field,
                format!(
                    "{raw:?} is not an amount: write digits with an optional decimal point, like 1200.50"
                ),
            ));
        };
        Self::new(field, value)
    }

    /// Checks an amount computed or parsed elsewhere.
    pub fn new(field: &str, value: Decimal) -> Result<Self, FieldError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(FieldError::new(field, "must not be negative"));
        }
        if value.normalize().scale() > AMOUNT_SCALE {
            return Err(FieldError::new(
                field,
                format!("has more than {AMOUNT_SCALE} decimal places"),
            ));
        }
        if value > Decimal::from(MAX_WHOLE) {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_WHOLE}"),
            ));
        }
        Ok(Self(value.abs()))
    }

    /// Whole ten-thousandths: the stored form.
    pub fn units(self) -> i64 {
        let mut d = self.0;
        d.rescale(AMOUNT_SCALE);
        i64::try_from(d.mantissa()).expect("bounded to a trillion")
    }

    /// The amount stored as `units` ten-thousandths; `None` if out of range (corrupt data).
    pub fn from_units(units: i64) -> Option<Self> {
        let d = Decimal::new(units, AMOUNT_SCALE);
        Self::new("amount", d).ok()
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// `self * quantity`, `None` past the bound.
    pub fn times(self, quantity: u32) -> Option<Self> {
        let product = self.0.checked_mul(Decimal::from(quantity))?;
        Self::new("amount", product).ok()
    }

    /// `percent`% of the amount (a forecast weighted by win probability), rounded to four
    /// decimals half to even.
    #[must_use]
    pub fn share(self, percent: u8) -> Self {
        let part = self.0 * Decimal::from(percent) / Decimal::from(100);
        Self(part.round_dp(AMOUNT_SCALE))
    }

    /// `self + other`, `None` past the bound.
    pub fn plus(self, other: Self) -> Option<Self> {
        Self::new("amount", self.0.checked_add(other.0)?).ok()
    }
}

/// Shown with at least two decimals ("1200.50", "0.0001").
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = self.0.normalize();
        if d.scale() < 2 {
            d.rescale(2);
        }
        write!(f, "{d}")
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// From a string (exact) or a JSON number (read by its shortest decimal form, so `1200.5`
/// is 1200.50 and never 1200.4999…).
impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(u64),
            Number(f64),
        }
        let text = match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Int(n) => n.to_string(),
            Raw::Number(n) if n.is_finite() => format!("{n}"),
            Raw::Number(_) => "NaN".into(),
        };
        Self::parse("amount", &text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// An ISO 4217 currency code: three letters, kept upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        match text.as_bytes() {
            [a, b, c] if text.bytes().all(|b| b.is_ascii_alphabetic()) => Ok(Self([
                a.to_ascii_uppercase(),
                b.to_ascii_uppercase(),
                c.to_ascii_uppercase(),
            ])),
            _ => Err(FieldError::new(
                field,
                format!(
                    "{raw:?} is not a currency: use its three-letter ISO 4217 code, like USD or EUR"
                ),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII letters")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse("currency", s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse("currency", &raw).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_bounded() {
        let a = Amount::parse("amount", "1200.5").unwrap();
        assert_eq!(a.to_string(), "1200.50");
        assert_eq!(a.units(), 12_005_000);
        assert_eq!(Amount::from_units(12_005_000), Some(a));
        assert_eq!(Amount::parse("amount", "0.0001").unwrap().units(), 1);
        assert_eq!(Amount::parse("amount", "7").unwrap().to_string(), "7.00");
        for bad in [
            "-1",
            "1e3",
            "1,000",
            "",
            "0.00001",
            "abc",
            "1.2.3",
            "1000000000001",
        ] {
            assert!(Amount::parse("amount", bad).is_err(), "{bad}");
        }
        assert_eq!(Amount::parse("amount", "-0").unwrap(), Amount::ZERO);
    }

    #[test]
    fn json_numbers_read_by_their_decimal_form() {
        let a: Amount = serde_json::from_str("1200.1").unwrap();
        assert_eq!(a.to_string(), "1200.10");
        let b: Amount = serde_json::from_str("\"0.3\"").unwrap();
        let c: Amount = serde_json::from_str("0.1").unwrap();
        let d: Amount = serde_json::from_str("0.2").unwrap();
        assert_eq!(c.plus(d), Some(b));
        assert!(serde_json::from_str::<Amount>("-5").is_err());
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"1200.10\"");
    }

    #[test]
    fn arithmetic_stays_in_bounds() {
        let p = Amount::parse("amount", "19.99").unwrap();
        assert_eq!(p.times(3).unwrap().to_string(), "59.97");
        let max = Amount::parse("amount", "1000000000000").unwrap();
        assert_eq!(max.times(2), None);
        assert_eq!(max.plus(p), None);
        assert_eq!(p.share(40).to_string(), "7.996");
        assert_eq!(p.share(0), Amount::ZERO);
    }

    #[test]
    fn currencies_are_three_letters() {
        assert_eq!(
            Currency::parse("currency", " eur ").unwrap().as_str(),
            "EUR"
        );
        for bad in ["EU", "EURO", "E1R", "", "€€€"] {
            assert!(Currency::parse("currency", bad).is_err(), "{bad}");
        }
    }
}
