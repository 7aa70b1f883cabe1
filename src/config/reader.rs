//! The one way settings are read: a [`Reader`] over a key lookup that remembers every
//! variable it was asked about (so the list of known variables comes from the code that reads
//! them) and keeps every refusal instead of stopping at the first (so a start, or
//! `check-config`, reports all of them at once). Checks that only production enforces are
//! kept as warnings elsewhere.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use secrecy::SecretString;

/// One refused setting: the variable at fault and what is wrong with it. The message never
/// quotes the value of a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct SettingsError {
    /// The variable's name, e.g. `SECRET_KEY`.
    pub variable: &'static str,
    /// What is wrong with it, e.g. `"eighty": invalid digit found in string`.
    pub message: String,
}

/// Settings that cannot be used: every refused variable, in the order they were read. Shown
/// as `VARIABLE: message` when there is one, else as a count followed by one such line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidSettings {
    /// The refusals; never empty.
    pub errors: Vec<SettingsError>,
}

impl InvalidSettings {
    /// The refused variables, in the order they were read (a variable refused twice is named
    /// twice).
    pub fn variables(&self) -> Vec<&'static str> {
        self.errors.iter().map(|error| error.variable).collect()
    }
}

impl From<SettingsError> for InvalidSettings {
    fn from(error: SettingsError) -> Self {
        Self {
            errors: vec![error],
        }
    }
}

impl fmt::Display for InvalidSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(f, "{one}"),
            errors => {
                write!(f, "{} settings refused:", errors.len())?;
                for error in errors {
                    write!(f, "\n  {error}")?;
                }
                Ok(())
            }
        }
    }
}

/// Reads variables from a lookup; blank values count as unset. Each getter records the name
/// it is given, whether or not the variable is set; a value that does not parse or is refused
/// is kept as a [`SettingsError`] and the getter answers as if the variable were unset (its
/// default), so reading goes on and later refusals are found too.
///
/// Sections read each of their variables unconditionally (a setting that matters only with
/// another one goes through [`Reader::only_if`]), so reading over an empty lookup visits every
/// name.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    names: BTreeSet<&'static str>,
    errors: Vec<SettingsError>,
    warnings: Vec<SettingsError>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            names: BTreeSet::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The text of `name` as given (not trimmed), `None` when unset or blank.
    pub(super) fn text(&mut self, name: &'static str) -> Option<String> {
        self.names.insert(name);
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    /// The text of `name`, else of its older name `alias`; both are known variables.
    pub(super) fn text_or_alias(
        &mut self,
        name: &'static str,
        alias: &'static str,
    ) -> Option<String> {
        let value = self.text(name);
        let old = self.text(alias);
        value.or(old)
    }

    /// A value that must not be printed.
    pub(super) fn secret(&mut self, name: &'static str) -> Option<SecretString> {
        self.text(name).map(SecretString::from)
    }

    /// `name` parsed by `parse`, whose error message is kept against `name`. The message must
    /// not quote the value when it is a secret.
    pub(super) fn parsed<T>(
        &mut self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.text(name)?;
        self.check(name, parse(&value))
    }

    /// `name` trimmed and parsed with [`FromStr`]; a failure quotes the value and the parse
    /// error.
    pub(super) fn optional<T>(&mut self, name: &'static str) -> Option<T>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.parsed(name, |value| {
            value
                .trim()
                .parse()
                .map_err(|error| format!("{value:?}: {error}"))
        })
    }

    /// [`Reader::optional`], or `default` when unset or refused.
    pub(super) fn with_default<T>(&mut self, name: &'static str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.optional(name).unwrap_or(default)
    }

    /// [`Reader::with_default`], refused with `message` when `valid` says no.
    pub(super) fn with_default_checked<T>(
        &mut self,
        name: &'static str,
        default: T,
        valid: impl FnOnce(&T) -> bool,
        message: &str,
    ) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        let value = self.with_default(name, default);
        self.ensure(name, valid(&value), message);
        value
    }

    /// A boolean: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off` (any case).
    pub(super) fn flag(&mut self, name: &'static str, default: bool) -> bool {
        self.parsed(name, |value| {
            match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                other => Err(format!("{other:?} is not a boolean")),
            }
        })
        .unwrap_or(default)
    }

    /// A comma-separated list: items trimmed, a trailing `/` dropped (origins are compared
    /// without it), empty items skipped; empty when unset.
    pub(super) fn list(&mut self, name: &'static str) -> Vec<String> {
        self.text(name)
            .map(|value| {
                value
                    .split(',')
                    .map(|item| item.trim().trim_end_matches('/').to_owned())
                    .filter(|item| !item.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs `read` so its names are known, but keeps its refusals and value only when `used`:
    /// for settings that matter only together with another (`SMTP_PORT` with `SMTP_HOST`).
    pub(super) fn only_if<T>(
        &mut self,
        used: bool,
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        let before = (self.errors.len(), self.warnings.len());
        let value = read(self);
        if used {
            value
        } else {
            self.errors.truncate(before.0);
            self.warnings.truncate(before.1);
            None
        }
    }

    /// Marks `name` as known though something other than these settings reads it (`RUST_LOG`,
    /// read by the log filter).
    pub(super) fn read_elsewhere(&mut self, name: &'static str) {
        self.names.insert(name);
    }

    /// Keeps the error of `result` against `name`.
    pub(super) fn check<T>(&mut self, name: &'static str, result: Result<T, String>) -> Option<T> {
        result.map_err(|message| self.refuse(name, message)).ok()
    }

    /// Keeps the error of `result` against `name` as a refusal when `strict` (a production
    /// start), else as a warning; either way the setting then reads as unset.
    pub(super) fn check_strict<T>(
        &mut self,
        name: &'static str,
        strict: bool,
        result: Result<T, String>,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) if strict => {
                self.refuse(name, message);
                None
            }
            Err(message) => {
                self.warnings.push(SettingsError {
                    variable: name,
                    message,
                });
                None
            }
        }
    }

    /// What was kept as warnings (outside production), in the order read.
    pub(super) fn warnings(&self) -> &[SettingsError] {
        &self.warnings
    }

    /// Refuses `name` with `message` unless `ok`.
    pub(super) fn ensure(&mut self, name: &'static str, ok: bool, message: &str) {
        if !ok {
            self.refuse(name, message);
        }
    }

    /// Refuses `name`.
    pub(super) fn refuse(&mut self, name: &'static str, message: impl Into<String>) {
        self.names.insert(name);
        self.errors.push(SettingsError {
            variable: name,
            message: message.into(),
        });
    }

    /// Every name asked about so far, sorted.
    pub(super) fn names(&self) -> Vec<&'static str> {
        self.names.iter().copied().collect()
    }

    /// `value` when nothing was refused, else every refusal.
    pub(super) fn finish<T>(self, value: T) -> Result<T, InvalidSettings> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(InvalidSettings {
                errors: self.errors,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn every_getter_records_its_name_set_or_not() {
        let values = lookup(&[("B", "2")]);
        let mut reader = Reader::new(&values);
        assert_eq!(reader.with_default("A", 1), 1);
        assert_eq!(reader.with_default("B", 1), 2);
        assert!(!reader.flag("C", false));
        assert_eq!(reader.text_or_alias("D", "OLD_D"), None);
        reader.read_elsewhere("E");
        assert_eq!(reader.names(), ["A", "B", "C", "D", "E", "OLD_D"]);
        assert!(reader.finish(()).is_ok());
    }

    #[test]
    fn refusals_are_kept_and_reading_goes_on_with_defaults() {
        let values = lookup(&[("PORT", "eighty"), ("ON", "maybe"), ("N", "0")]);
        let mut reader = Reader::new(&values);
        assert_eq!(reader.with_default::<u16>("PORT", 8000), 8000);
        assert!(reader.flag("ON", true));
        reader.with_default_checked("N", 5, |n| *n > 0, "must be greater than 0");
        let error = reader.finish(()).unwrap_err();
        assert_eq!(error.variables(), ["PORT", "ON", "N"]);
        assert_eq!(
            error.to_string(),
            "3 settings refused:\n  PORT: \"eighty\": invalid digit found in string\n  \
             ON: \"maybe\" is not a boolean\n  N: must be greater than 0"
        );
    }

    #[test]
    fn blank_is_unset_and_the_name_comes_before_its_alias() {
        let values = lookup(&[("NEW", "  "), ("OLD", "old"), ("BOTH", "new")]);
        let mut reader = Reader::new(&values);
        assert_eq!(reader.text_or_alias("NEW", "OLD").as_deref(), Some("old"));
        assert_eq!(reader.text_or_alias("BOTH", "OLD").as_deref(), Some("new"));
    }

    #[test]
    fn only_if_drops_refusals_of_unused_settings_but_knows_their_names() {
        let values = lookup(&[("SMTP_PORT", "x")]);
        let mut reader = Reader::new(&values);
        let port = reader.only_if(false, |r| r.optional::<u16>("SMTP_PORT"));
        assert_eq!(port, None);
        assert_eq!(reader.names(), ["SMTP_PORT"]);
        assert!(reader.finish(()).is_ok());

        let mut reader = Reader::new(&values);
        reader.only_if(true, |r| r.optional::<u16>("SMTP_PORT"));
        assert_eq!(reader.finish(()).unwrap_err().variables(), ["SMTP_PORT"]);
    }

    #[test]
    fn strict_checks_refuse_when_strict_and_warn_otherwise() {
        let wrong = || Err::<(), _>("is wrong".to_owned());
        let values = lookup(&[]);
        let mut lenient = Reader::new(&values);
        assert_eq!(lenient.check_strict("EMAIL_FROM", false, wrong()), None);
        assert_eq!(lenient.check_strict("OTHER", false, Ok(1)), Some(1));
        assert_eq!(lenient.warnings()[0].to_string(), "EMAIL_FROM: is wrong");
        assert!(lenient.finish(()).is_ok());

        let mut strict = Reader::new(&values);
        strict.check_strict("EMAIL_FROM", true, wrong());
        assert!(strict.warnings().is_empty());
        assert_eq!(strict.finish(()).unwrap_err().variables(), ["EMAIL_FROM"]);

        let mut unused = Reader::new(&values);
        unused.only_if(false, |r| r.check_strict("OTHER", false, wrong()));
        assert!(unused.warnings().is_empty());
    }

    #[test]
    fn one_refusal_shows_as_its_own_line() {
        let error = InvalidSettings::from(SettingsError {
            variable: "SECRET_KEY",
            message: "missing".into(),
        });
        assert_eq!(error.to_string(), "SECRET_KEY: missing");
    }
}
