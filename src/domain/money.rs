//! Amounts of money in minor units with an ISO 4217 currency.

use std::fmt;

/// Currencies without minor units (amounts are whole units).
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// The ISO 4217 codes of currencies in use (funds and national currencies; not precious metals,
/// test or "no currency" codes), as published by the maintenance agency.
const ISO_4217: [&str; 166] = [
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt",
    "bgn", "bhd", "bif", "bmd", "bnd", "bob", "bov", "brl", "bsd", "btn", "bwp", "byn", "bzd",
    "cad", "cdf", "che", "chf", "chw", "clf", "clp", "cny", "cop", "cou", "crc", "cup", "cve",
    "czk", "djf", "dkk", "dop", "dzd", "egp", "ern", "etb", "eur", "fjd", "fkp", "gbp", "gel",
    "ghs", "gip", "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr",
    "iqd", "irr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf", "kpw", "krw", "kwd",
    "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "lyd", "mad", "mdl", "mga", "mkd", "mmk",
    "mnt", "mop", "mru", "mur", "mvr", "mwk", "mxn", "mxv", "myr", "mzn", "nad", "ngn", "nio",
    "nok", "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron",
    "rsd", "rub", "rwf", "sar", "sbd", "scr", "sdg", "sek", "sgd", "shp", "sle", "sos", "srd",
    "ssp", "stn", "svc", "syp", "szl", "thb", "tjs", "tmt", "tnd", "top", "try", "ttd", "twd",
    "tzs", "uah", "ugx", "usd", "usn", "uyi", "uyu", "uyw", "uzs", "ved", "ves", "vnd", "vuv",
    "wst", "xaf", "xcd", "xcg", "xof", "xpf", "yer", "zar", "zmw", "zwg",
];

/// The largest amount accepted, in minor units.
const MOST_MINOR_UNITS: i64 = 9_999_999_999;

/// What is wrong with an amount and its currency: each field (`amount`, `currency`) named with
/// its message.
pub type MoneyProblems = Vec<(&'static str, String)>;

/// An amount written in major units (`125.50`) as minor units, for a currency with `decimals`
/// digits after the point; `None` when it is not such a number.
fn minor_units(text: &str, decimals: usize) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || fraction.len() > decimals
        || whole.len() > 12
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<decimals$}").parse().ok()?
    };
    whole
        .checked_mul(10_i64.pow(u32::try_from(decimals).ok()?))?
        .checked_add(fraction)
}

/// What an amount out of range is told, in major units of a currency with `decimals` digits
/// after the point.
fn out_of_range_in_major(decimals: usize) -> String {
    let most = if decimals == 0 {
        MOST_MINOR_UNITS.to_string()
    } else {
        format!("{}.{:02}", MOST_MINOR_UNITS / 100, MOST_MINOR_UNITS % 100)
    };
    format!("must be more than 0 and at most {most}")
}

/// A positive amount in minor units (pence, cents) of a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    amount: i64,
    currency: String,
}

impl Money {
    /// Checks a positive amount and a three-letter currency code; when either is wrong, says
    /// what is wrong with each.
    pub fn new(amount: i64, currency: &str) -> Result<Self, MoneyProblems> {
        let mut problems = MoneyProblems::new();
        if amount <= 0 || amount > MOST_MINOR_UNITS {
            problems.push((
                "amount",
                format!(
                    "must be a positive number of minor units (pence, cents), at most {MOST_MINOR_UNITS}"
                ),
            ));
        }
        match Self::currency_code(currency) {
            Ok(currency) if problems.is_empty() => Ok(Self { amount, currency }),
            Ok(_) => Err(problems),
            Err(message) => {
                problems.push(("currency", message));
                Err(problems)
            }
        }
    }

    /// A currency as stored: an ISO 4217 code, lowercased.
    pub fn currency_code(currency: &str) -> Result<String, String> {
        let currency = currency.trim().to_ascii_lowercase();
        if ISO_4217.contains(&currency.as_str()) {
            Ok(currency)
        } else {
            Err(format!(
                "{currency:?} is not an ISO 4217 code such as gbp, eur or usd"
            ))
        }
    }

    /// Reads an amount as people write it, in major units (`125`, `125.5`, `125.00`), for a
    /// currency: at most two decimals, none for zero-decimal currencies such as `jpy`. When
    /// either is wrong, says what is wrong with each.
    pub fn parse_major(text: &str, currency: &str) -> Result<Self, MoneyProblems> {
        let code = currency.trim().to_ascii_lowercase();
        let decimals = if ZERO_DECIMAL.contains(&code.as_str()) {
            0
        } else {
            2
        };
        if let Some(minor) = minor_units(text.trim(), decimals) {
            // Out of range, the amount is explained in the units it was written in.
            return Self::new(minor, &code).map_err(|problems| {
                problems
                    .into_iter()
                    .map(|(field, message)| match field {
                        "amount" => (field, out_of_range_in_major(decimals)),
                        _ => (field, message),
                    })
                    .collect()
            });
        }
        let mut problems = vec![(
            "amount",
            format!(
                "{:?} is not an amount such as 125{}",
                text.trim(),
                if decimals == 0 { "" } else { " or 125.50" }
            ),
        )];
        if let Err(message) = Self::currency_code(&code) {
            problems.push(("currency", message));
        }
        Err(problems)
    }

    /// Minor units.
    pub fn amount(&self) -> i64 {
        self.amount
    }

    /// Lowercase ISO 4217 code.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The amount in major units without a symbol, as [`Money::parse_major`] reads it:
    /// `125.00`, `500` (yen).
    pub fn major(&self) -> String {
        if ZERO_DECIMAL.contains(&self.currency.as_str()) {
            self.amount.to_string()
        } else {
            format!("{}.{:02}", self.amount / 100, self.amount % 100)
        }
    }
}

impl fmt::Display for Money {
    /// `£125.00`, `€9.50`, `$20.00`, `¥500`, or `12.00 CHF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.major();
        match self.currency.as_str() {
            "gbp" => write!(f, "£{number}"),
            "eur" => write!(f, "€{number}"),
            "usd" => write!(f, "${number}"),
            "jpy" => write!(f, "¥{number}"),
            other => write!(f, "{number} {}", other.to_ascii_uppercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Money;

    #[test]
    fn amounts_are_shown_with_their_currency() {
        assert_eq!(Money::new(12500, "GBP").unwrap().to_string(), "£125.00");
        assert_eq!(Money::new(5, "eur").unwrap().to_string(), "€0.05");
        assert_eq!(Money::new(500, "jpy").unwrap().to_string(), "¥500");
        assert_eq!(Money::new(1200, "chf").unwrap().to_string(), "12.00 CHF");
        assert!(Money::new(0, "gbp").is_err());
        assert!(Money::new(100, "pounds").is_err());
        assert!(Money::new(100, "zzz").is_err());
        assert!(Money::new(100, "CHF").is_ok());
    }

    /// The fields a refusal names, in order.
    fn fields(refused: Result<Money, super::MoneyProblems>) -> Vec<&'static str> {
        refused
            .expect_err("refused")
            .into_iter()
            .map(|(field, _)| field)
            .collect()
    }

    #[test]
    fn a_wrong_amount_and_a_wrong_currency_are_both_reported() {
        assert_eq!(fields(Money::new(0, "zzz")), ["amount", "currency"]);
        assert_eq!(fields(Money::new(0, "gbp")), ["amount"]);
        assert_eq!(fields(Money::new(100, "pounds")), ["currency"]);
        assert_eq!(
            fields(Money::parse_major("ten", "zzz")),
            ["amount", "currency"]
        );
        assert_eq!(
            fields(Money::parse_major("0", "zzz")),
            ["amount", "currency"]
        );
        assert_eq!(fields(Money::parse_major("12.5", "jpy")), ["amount"]);
        assert_eq!(fields(Money::parse_major("12.50", "pounds")), ["currency"]);
    }

    #[test]
    fn amounts_are_read_as_people_write_them() {
        let read = |text: &str, currency: &str| Money::parse_major(text, currency).unwrap();
        assert_eq!(read("125", "gbp").amount(), 12_500);
        assert_eq!(read(" 125.5 ", "GBP").amount(), 12_550);
        assert_eq!(read("0.05", "eur").amount(), 5);
        assert_eq!(read("500", "jpy").amount(), 500);
        assert_eq!(read("99999999.99", "usd").amount(), 9_999_999_999);
        assert!(Money::parse_major("100000000", "usd").is_err());
        assert!(Money::parse_major("1.234", "usd").is_err());
        assert!(Money::parse_major("-1", "usd").is_err());
        assert!(Money::parse_major(".5", "usd").is_err());
    }

    #[test]
    fn an_amount_out_of_range_is_explained_in_the_units_it_was_written_in() {
        let problems = |text: &str, currency: &str| Money::parse_major(text, currency).unwrap_err();
        let expected =
            |most: &str| vec![("amount", format!("must be more than 0 and at most {most}"))];
        assert_eq!(problems("0", "gbp"), expected("99999999.99"));
        assert_eq!(problems("0.00", "eur"), expected("99999999.99"));
        assert_eq!(problems("100000000", "usd"), expected("99999999.99"));
        assert_eq!(problems("0", "jpy"), expected("9999999999"));
        let both = problems("0", "xx");
        assert_eq!(both[0], expected("99999999.99")[0]);
        assert_eq!(both[1].0, "currency");
    }
}
