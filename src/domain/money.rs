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

/// A positive amount in minor units (pence, cents) of a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    amount: i64,
    currency: String,
}

impl Money {
    /// Checks a positive amount and a three-letter currency code.
    pub fn new(amount: i64, currency: &str) -> Result<Self, (&'static str, String)> {
        if amount <= 0 || amount > 9_999_999_999 {
            return Err((
                "amount",
                "must be a positive number of minor units (pence, cents), at most 9999999999"
                    .into(),
            ));
        }
        let currency = Self::currency_code(currency).map_err(|message| ("currency", message))?;
        Ok(Self { amount, currency })
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
    /// currency: at most two decimals, none for zero-decimal currencies such as `jpy`.
    pub fn parse_major(text: &str, currency: &str) -> Result<Self, (&'static str, String)> {
        let code = currency.trim().to_ascii_lowercase();
        let decimals = if ZERO_DECIMAL.contains(&code.as_str()) {
            0
        } else {
            2
        };
        let refuse = || {
            (
                "amount",
                format!(
                    "{:?} is not an amount such as 125{}",
                    text.trim(),
                    if decimals == 0 { "" } else { " or 125.50" }
                ),
            )
        };
        let text = text.trim();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
            || fraction.len() > decimals
            || whole.len() > 12
        {
            return Err(refuse());
        }
        let whole: i64 = whole.parse().map_err(|_| refuse())?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            format!("{fraction:0<decimals$}")
                .parse()
                .map_err(|_| refuse())?
        };
        let minor = whole
            .checked_mul(10_i64.pow(decimals as u32))
            .and_then(|minor| minor.checked_add(fraction))
            .ok_or_else(refuse)?;
        Self::new(minor, &code)
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
}
