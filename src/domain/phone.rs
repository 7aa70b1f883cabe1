//! Phone numbers, parsed with libphonenumber's metadata and kept in E.164.

use std::fmt;

use phonenumber::{Mode, country};

/// An ISO 3166 alpha-2 region, used to read numbers written without `+<country code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode(country::Id);

impl CountryCode {
    /// Parses `GB`, `us`, …
    pub fn parse(input: &str) -> Result<Self, String> {
        input
            .trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Self)
            .map_err(|_| format!("{input:?} is not an ISO 3166 alpha-2 country code"))
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }
}

/// A valid phone number in E.164 form (`+442079460958`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Parses a number in any common notation; `region` reads national numbers.
    pub fn parse(input: &str, region: Option<CountryCode>) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        let number = phonenumber::parse(region.map(|r| r.0), trimmed).map_err(|_| {
            if region.is_none() && !trimmed.starts_with('+') {
                "is not a phone number: write it in international form, e.g. +44 20 7946 0958, or set the business's default_country".to_owned()
            } else {
                "is not a phone number".to_owned()
            }
        })?;
        if !phonenumber::is_valid(&number) {
            return Err("is not a valid phone number for its country".into());
        }
        Ok(Self(number.format().mode(Mode::E164).to_string()))
    }

    /// The E.164 string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn international_numbers_become_e164() {
        assert_eq!(
            PhoneE164::parse("+44 20 7946 0958", None).unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            PhoneE164::parse("+1 (415) 555-2671", None)
                .unwrap()
                .as_str(),
            "+14155552671"
        );
    }

    #[test]
    fn national_numbers_need_a_region() {
        assert!(PhoneE164::parse("020 7946 0958", None).is_err());
        let gb = CountryCode::parse("gb").unwrap();
        assert_eq!(
            PhoneE164::parse("020 7946 0958", Some(gb))
                .unwrap()
                .as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn garbage_and_impossible_numbers_are_refused() {
        for bad in ["hello", "+44 12", "+999 1234567", "12"] {
            assert!(PhoneE164::parse(bad, None).is_err(), "{bad:?} was accepted");
        }
    }
}
