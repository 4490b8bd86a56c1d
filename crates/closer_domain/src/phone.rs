//! `Phone`: a valid number in E.164 (`+14155550123`), the form deduplication compares.
//!
//! Parsing and validity come from `phonenumber` (a port of Google's libphonenumber metadata).
//! A number written without a country code needs a `Region` to be read; a workspace can set
//! a default region, otherwise such a number is refused with a message saying how to fix it.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// An ISO 3166-1 alpha-2 region, as libphonenumber knows it (`US`, `DE`, `GB`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(phonenumber::country::Id);

impl Region {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        raw.trim()
            .to_ascii_uppercase()
            .parse::<phonenumber::country::Id>()
            .map(Self)
            .map_err(|_| {
                FieldError::new(
                    "country",
                    format!("{raw:?} is not a two-letter country code (ISO 3166-1, like US or DE)"),
                )
            })
    }

    pub fn code(self) -> String {
        let id: &str = self.0.as_ref();
        id.to_owned()
    }

    /// The country calling code numbers of this region start with in E.164 (`1` for US).
    pub fn calling_code(self) -> Option<u16> {
        let id: &str = self.0.as_ref();
        phonenumber::metadata::DATABASE
            .by_id(id)
            .map(phonenumber::Metadata::country_code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Longer input than this is not a phone number, whatever it contains.
const MAX_RAW_LEN: usize = 64;

impl Phone {
    /// Parses `raw` (any common notation) into E.164, reading national numbers in `region`.
    pub fn parse(raw: &str, region: Option<Region>) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(FieldError::new("phone", "must not be empty"));
        }
        if value.len() > MAX_RAW_LEN {
            return Err(FieldError::new("phone", "is too long to be a phone number"));
        }
        let international = value.starts_with('+') || value.starts_with("00");
        if !international && region.is_none() {
            return Err(FieldError::new(
                "phone",
                "needs a country code (like +1 415 555 0123), or a default country set on the workspace",
            ));
        }
        // `00` is the international prefix in most of the world; read it as `+` when no
        // region says otherwise.
        let plus;
        let value = match value.strip_prefix("00") {
            Some(rest) if region.is_none() => {
                plus = format!("+{rest}");
                plus.as_str()
            }
            _ => value,
        };
        let parsed = phonenumber::parse(region.map(|r| r.0), value)
            .map_err(|e| FieldError::new("phone", format!("is not a phone number ({e})")))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(FieldError::new(
                "phone",
                "is not a valid phone number for its country",
            ));
        }
        Ok(Self(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = FieldError;
    /// Deserialising sees stored values, which `parse` wrote in E.164: one in that shape is
    /// taken as it is (a full parse checks the number against its country's plan, which
    /// costs as much as the rest of reading a contact); anything else is parsed.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if is_e164(&s) {
            Ok(Self(s))
        } else {
            Self::parse(&s, None)
        }
    }
}

/// `+`, a country code not starting with 0, up to 15 digits in all.
fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|digits| {
        (7..=15).contains(&digits.len())
            && !digits.starts_with('0')
            && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

impl From<Phone> for String {
    fn from(p: Phone) -> Self {
        p.0
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stored_values_are_read_without_a_full_parse_unless_they_are_not_e164() {
        let stored: Phone = serde_json::from_str("\"+16502530000\"").unwrap();
        assert_eq!(stored.as_str(), "+16502530000");
        // Not in E.164's shape: parsed (and normalised) as any input is.
        let spaced: Phone = serde_json::from_str("\"+1 650 253 0000\"").unwrap();
        assert_eq!(spaced.as_str(), "+16502530000");
        assert!(serde_json::from_str::<Phone>("\"650 253 0000\"").is_err());
        assert!(serde_json::from_str::<Phone>("\"+0123456789\"").is_err());
        for (raw, shape) in [
            ("+4930901820", true),
            ("+2901234", true),
            ("+123456", false),
            ("+1234567890123456", false),
            ("+1650253000a", false),
            ("16502530000", false),
        ] {
            assert_eq!(is_e164(raw), shape, "{raw}");
        }
    }

    #[test]
    fn notations_normalise_to_e164() {
        let us = Some(Region::parse("us").unwrap());
        for raw in [
            "+1 650 253 0000",
            "(650) 253-0000",
            "650.253.0000",
            "+1-650-253-0000",
        ] {
            assert_eq!(
                Phone::parse(raw, us).unwrap().as_str(),
                "+16502530000",
                "{raw}"
            );
        }
        let de = Some(Region::parse("DE").unwrap());
        assert_eq!(
            Phone::parse("030 901820", de).unwrap().as_str(),
            "+4930901820"
        );
        assert_eq!(
            Phone::parse("0049 30 901820", None).unwrap().as_str(),
            "+4930901820"
        );
    }

    #[test]
    fn national_number_without_region_is_refused_with_a_hint() {
        let err = Phone::parse("650 253 0000", None).unwrap_err();
        assert!(err.message.contains("country code"), "{err}");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "hello", "+1 2", "+999 123456789", &"9".repeat(80)] {
            assert!(Phone::parse(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn region_codes() {
        assert_eq!(Region::parse(" gb ").unwrap().code(), "GB");
        assert!(Region::parse("XX").is_err());
    }

    proptest! {
        #[test]
        fn e164_output_reparses_to_itself(national in "[2-9][0-9]{2}[2-9][0-9]{6}") {
            if let Ok(p) = Phone::parse(&national, Some(Region::parse("US").unwrap())) {
                prop_assert!(p.as_str().starts_with("+1"));
                prop_assert_eq!(Phone::parse(p.as_str(), None).unwrap(), p);
            }
        }

        #[test]
        fn never_panics(raw in "\\PC{0,80}") {
            let _ = Phone::parse(&raw, Some(Region::parse("US").unwrap()));
        }
    }
}
