//! The logs section: `LOG_FORMAT`, and `RUST_LOG`, which the log filter reads itself
//! (`telemetry::init`).

use super::reader::Reader;

/// How log lines are written (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (`pretty` or `text`); the default outside production.
    Pretty,
    /// One JSON object a line (`json`); the default in production.
    Json,
}

/// Reads `LOG_FORMAT`; `RUST_LOG` is only marked known, the log filter reads it itself.
pub(super) fn read(r: &mut Reader, production: bool) -> LogFormat {
    r.read_elsewhere("RUST_LOG");
    r.parsed("LOG_FORMAT", |value| {
        match value.to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "pretty" | "text" => Ok(LogFormat::Pretty),
            other => Err(format!("{other:?}: use json or pretty")),
        }
    })
    .unwrap_or(if production {
        LogFormat::Json
    } else {
        LogFormat::Pretty
    })
}
