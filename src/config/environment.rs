//! The environment: `ENV`, which picks the settings file and how strict start-up is.

use std::str::FromStr;

use super::reader::Reader;

/// Which settings file to read and how strict to be about secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Local work: console transports, readable logs.
    Development,
    /// Automated tests.
    Testing,
    /// A real deployment: weak or missing secrets refuse to start.
    Production,
}

impl Environment {
    /// The lowercase name used in `ENV` and in `env/.env.{name}`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Testing => "testing",
            Self::Production => "production",
        }
    }
}

impl FromStr for Environment {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "" => Ok(Self::Development),
            "testing" | "test" => Ok(Self::Testing),
            "production" | "prod" => Ok(Self::Production),
            other => Err(format!(
                "unknown environment {other:?}: use development, testing or production"
            )),
        }
    }
}

/// Reads `ENV`; unset or blank is development.
pub(super) fn read(r: &mut Reader) -> Environment {
    r.parsed("ENV", |value| value.parse())
        .unwrap_or(Environment::Development)
}
