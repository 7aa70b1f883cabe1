//! The database section: `DATABASE_URL` (old name `SQLALCHEMY_DATABASE_URI`) and the pool.

use super::reader::Reader;

/// Where the data is kept.
pub(super) struct Database {
    /// A plain `sqlite://`, `mysql://` or `postgres://` URL.
    pub(super) url: String,
    /// Connections per process.
    pub(super) max_connections: u32,
}

/// The database used when none is set: a SQLite file in the working directory.
const DEFAULT_URL: &str = "sqlite://./dev.db";

/// Reads the section; a scheme other than SQLite, MySQL/MariaDB or PostgreSQL is refused.
pub(super) fn read(r: &mut Reader) -> Database {
    let url = r
        .text_or_alias("DATABASE_URL", "SQLALCHEMY_DATABASE_URI")
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let url = translate_sqlalchemy_url(&url);
    r.check("DATABASE_URL", crate::db::Backend::from_url(&url));
    Database {
        url,
        max_connections: r.with_default("DATABASE_MAX_CONNECTIONS", 10),
    }
}

/// Turns SQLAlchemy dialect URLs (`mysql+pymysql://`, `postgresql+psycopg2://`) into plain ones,
/// so an old `.env` keeps working.
fn translate_sqlalchemy_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let base = scheme.split('+').next().unwrap_or(scheme);
    let base = if base == "postgresql" {
        "postgres"
    } else {
        base
    };
    format!("{base}://{rest}")
}

/// `url` with the password of its credentials masked (`user:***@`), for logs.
pub(super) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_become_plain_schemes() {
        assert_eq!(
            translate_sqlalchemy_url("postgresql+psycopg2://u:p@h/db"),
            "postgres://u:p@h/db"
        );
        assert_eq!(
            translate_sqlalchemy_url("sqlite://./x.db"),
            "sqlite://./x.db"
        );
    }

    #[test]
    fn only_the_password_is_masked() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://./dev.db"), "sqlite://./dev.db");
    }
}
