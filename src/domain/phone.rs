//! Phone numbers, parsed with libphonenumber's metadata and kept in E.164.
//!
//! A number is accepted when libphonenumber calls it valid (`isValidNumber`): in a range its
//! country has in use. Ranges a regulator keeps for fiction are whatever the metadata says,
//! with no list of our own: Ofcom's London drama numbers (`+44 20 7946 0xxx`) are valid there,
//! its mobile drama range (`+44 7700 900xxx`) is not (libphonenumber calls it possible, not
//! valid), so the first is accepted and the second refused.

use std::fmt;

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumber, PhoneNumberFormat, Region};

/// An ISO 3166 alpha-2 region, used to read numbers written without `+<country code>`;
/// displayed as its two letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryCode(Region);

impl CountryCode {
    /// Parses `GB`, `us`, …
    pub fn parse(input: &str) -> Result<Self, String> {
        // Any two letters name a `Region`; a country is one libphonenumber numbers.
        Region::from_code(input.trim())
            .ok()
            .filter(|region| {
                *region != Region::World
                    && PHONE_NUMBER_UTIL
                        .get_country_code_for_region(*region)
                        .is_some()
            })
            .map(Self)
            .ok_or_else(|| {
                format!(
                    "{input:?} is not the ISO 3166 alpha-2 code of a country with phone numbers"
                )
            })
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// How numbers are shown in refusals: a valid number of a fictional range.
const EXAMPLE: &str = "+442079460958";

/// A valid phone number in E.164 form (`+442079460958`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Parses a number in any common notation; `region` reads national numbers (`020 7946
    /// 0958` in `GB`). A refusal says how to write the number so it can be read.
    pub fn parse(input: &str, region: Option<CountryCode>) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        let international = trimmed.starts_with('+');
        let number = PhoneNumber::parse(trimmed, region.map(|r| r.0)).map_err(|_| {
            if region.is_none() && !international {
                format!("cannot be read as a phone number: write it in international (E.164) form, e.g. {EXAMPLE}, or set the business's default_country to read national numbers")
            } else {
                format!("cannot be read as a phone number: write it in international (E.164) form, e.g. {EXAMPLE}")
            }
        })?;
        if !number.is_valid() {
            return Err(match region {
                Some(region) if !international => format!(
                    "is not a valid phone number in {} (the business's default_country): write a number of another country in international (E.164) form, e.g. {EXAMPLE}",
                    region
                ),
                _ => format!(
                    "is not a valid phone number: no range in use for +{} contains it, by libphonenumber's metadata",
                    number.country_code
                ),
            });
        }
        Ok(Self(number.format_as(PhoneNumberFormat::E164).into_owned()))
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
    fn a_country_is_one_with_phone_numbers() {
        assert_eq!(CountryCode::parse(" gb ").unwrap().to_string(), "GB");
        for not_one in ["XX", "001", "G", "GBR", "", "1a"] {
            assert!(
                CountryCode::parse(not_one).is_err(),
                "{not_one:?} was accepted"
            );
        }
    }

    #[test]
    fn garbage_and_impossible_numbers_are_refused() {
        for bad in ["hello", "+44 12", "+999 1234567", "12"] {
            assert!(PhoneE164::parse(bad, None).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn unreadable_numbers_say_to_use_e164_or_set_a_country() {
        let without_country = PhoneE164::parse("07400 123456", None).unwrap_err();
        assert!(
            without_country.contains("E.164") && without_country.contains("default_country"),
            "{without_country}"
        );
        let gb = CountryCode::parse("GB").ok();
        let with_country = PhoneE164::parse("hello", gb).unwrap_err();
        assert!(with_country.contains("E.164"), "{with_country}");
        let us = CountryCode::parse("US").ok();
        let elsewhere = PhoneE164::parse("020 7946 0958", us).unwrap_err();
        assert!(
            elsewhere.contains("in US") && elsewhere.contains("E.164"),
            "{elsewhere}"
        );
    }

    #[test]
    fn fictional_ranges_are_what_libphonenumber_says() {
        let gb = CountryCode::parse("GB").ok();
        // Ofcom's mobile drama range: possible, but not valid to libphonenumber.
        for written in ["+44 7700 900123", "+447700900123"] {
            let refused = PhoneE164::parse(written, None).unwrap_err();
            assert!(
                refused.contains("no range in use for +44"),
                "{written}: {refused}"
            );
        }
        let national = PhoneE164::parse("07700 900123", gb).unwrap_err();
        assert!(
            national.contains("not a valid phone number in GB"),
            "{national}"
        );
        // Ofcom's London drama range is valid to it.
        assert_eq!(
            PhoneE164::parse("020 7946 0123", gb).unwrap().as_str(),
            "+442079460123"
        );
        // A mobile number in a range in use, written nationally.
        assert_eq!(
            PhoneE164::parse("07400 123456", gb).unwrap().as_str(),
            "+447400123456"
        );
    }
}
