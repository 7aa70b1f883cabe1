//! Log setup: readable lines in development (coloured only on a terminal), JSON lines in
//! production (`LOG_FORMAT`), filtered by `RUST_LOG`. Logs carry ids and statuses, never
//! bodies, tokens or personal data.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::config::LogFormat;

/// Installs the global subscriber, writing to stdout; call once, at start.
pub fn init(format: LogFormat) {
    install(format, false);
}

/// Installs the global subscriber writing to stderr, for a command whose stdout is its output
/// (a report another program reads); call once, at start.
pub fn init_on_stderr(format: LogFormat) {
    install(format, true);
}

fn install(format: LogFormat, on_stderr: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    // Colour codes only for a person at a terminal, not in files, pipes or log collectors.
    let (colour, writer) = if on_stderr {
        (
            std::io::stderr().is_terminal(),
            BoxMakeWriter::new(std::io::stderr),
        )
    } else {
        (
            std::io::stdout().is_terminal(),
            BoxMakeWriter::new(std::io::stdout),
        )
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(writer)
        .with_span_events(FmtSpan::NONE);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A subscriber already installed (tests) is fine.
    drop(result);
}
