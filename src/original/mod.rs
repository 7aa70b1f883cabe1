//! `import-original`: moves a firm's data from the original FastAPI service's database (MySQL or
//! SQLite) into ours, in one transaction, and accounts for every row it read.
//!
//! Each original user becomes a business and its owner (bcrypt hash kept, upgraded to argon2id at
//! the first sign-in); clients, sender identities (unverified: they must confirm a code here),
//! the SMTP server of its e-mail configurations, reminders (one channel each, recurrence words
//! turned into RRULEs in the chosen zone), their recipients and the notification history follow.
//! A user whose e-mail already has an account here is left out with everything of theirs, so
//! running it twice imports nothing twice.
//!
//! [`check`] reads the source before the target is opened: `layout` checks that it is the
//! original's, `source` reads its tables and `key_check` tries the key on its sealed values
//! (`sealed` opens them). [`Checked::import_into`] then imports the users (businesses and owners)
//! in `accounts`, then `clients`, `sender_identities`, `email_configurations`, `reminders` (with
//! their recipients) and `notifications`, each table's rows accounted for in its
//! [`TableReport`].

mod accounts;
mod clients;
mod email_configurations;
mod key_check;
mod layout;
mod notifications;
mod reminders;
mod sealed;
mod sender_identities;
mod shared;
mod source;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;
use serde::Serialize;

pub use layout::SourceError;
pub use sealed::{KeyError, Opened, Opener};

use crate::domain::CountryCode;
use crate::security::crypto::SecretBox;

/// How to read what the original left implicit.
pub struct Options {
    /// The zone its reminder dates are shown and repeated in (it ran in one server zone).
    pub timezone: Tz,
    /// The region of phone numbers written without a country code.
    pub country: Option<CountryCode>,
    /// Opens its sealed values (phone numbers, SMTP passwords).
    pub opener: Opener,
    /// Seals the SMTP passwords again, under our `ENCRYPTION_KEY`.
    pub secrets: SecretBox,
    /// Leave sealed values unopened (`--skip-sealed`) instead of refusing to import when the
    /// key is missing or wrong.
    pub skip_sealed: bool,
    /// How late an occurrence may be and still be sent (due just before the switch-over).
    pub misfire_grace: Duration,
    /// Do everything, then roll back: the report says what an import would do.
    pub dry_run: bool,
}

impl Options {
    /// A stored value as the import takes it: plain, opened, or (with `skip_sealed`) skipped.
    fn open(&self, stored: &str) -> Opened {
        if self.skip_sealed && sealed::is_sealed(stored) {
            return Opened::Skipped;
        }
        self.opener.open(stored)
    }
}

/// What became of the values the original sealed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SealedValues {
    /// The original database holds none.
    #[default]
    NoneFound,
    /// The key opened one of the first few whole ones (or none was whole); each is opened or
    /// counted unreadable in its table.
    Opened,
    /// Left unopened as asked (`--skip-sealed`); each is counted in its table.
    Skipped,
}

/// What happened to the rows of one table: `read = imported + Σ skipped`.
#[derive(Debug, Default, Serialize)]
pub struct TableReport {
    pub read: usize,
    pub imported: usize,
    /// Rows left out, by reason.
    pub skipped: BTreeMap<&'static str, usize>,
    /// Rows imported with a change worth knowing (an address dropped, a rule not understood).
    pub changed: BTreeMap<&'static str, usize>,
}

impl TableReport {
    /// A table of `read` rows of which `parsed` could be read (the rest had no id).
    fn of(read: usize, parsed: usize) -> Self {
        let mut table = Self {
            read,
            ..Self::default()
        };
        if read > parsed {
            table.skipped.insert("row_without_id", read - parsed);
        }
        table
    }

    fn skip(&mut self, reason: &'static str) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    fn change(&mut self, what: &'static str) {
        *self.changed.entry(what).or_default() += 1;
    }

    /// True when every row read is imported or skipped with a reason.
    pub fn balanced(&self) -> bool {
        self.read == self.imported + self.skipped.values().sum::<usize>()
    }
}

/// The whole import, table by table.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the sealed values (phone numbers) were opened or skipped.
    pub sealed_values: SealedValues,
    /// Businesses (and owners) created, one per imported user.
    pub businesses_created: usize,
    /// Businesses given their own SMTP account, from an e-mail configuration.
    pub smtp_accounts_created: usize,
    /// Owners imported disabled because anyone could sign in as them, by e-mail:
    /// `default_admin_disabled` (the original's built-in admin) or
    /// `well_known_password_disabled` (a password such as `admin` or `changeme`).
    pub disabled_accounts: BTreeMap<String, &'static str>,
    pub users: TableReport,
    pub clients: TableReport,
    pub sender_identities: TableReport,
    pub email_configurations: TableReport,
    pub reminders: TableReport,
    pub reminder_recipients: TableReport,
    pub notifications: TableReport,
}

impl Report {
    /// True when every table balances.
    pub fn balanced(&self) -> bool {
        [
            &self.users,
            &self.clients,
            &self.sender_identities,
            &self.email_configurations,
            &self.reminders,
            &self.reminder_recipients,
            &self.notifications,
        ]
        .iter()
        .all(|table| table.balanced())
    }
}

/// Our URL for the original's database URL as its settings wrote it: SQLAlchemy's
/// `mysql+pymysql://…` and `sqlite:///relative.db` / `sqlite:////absolute.db`, or `mysql://…`.
pub fn source_url(original: &str) -> anyhow::Result<String> {
    let trimmed = original.trim();
    if let Some(path) = trimmed.strip_prefix("sqlite:///") {
        if !std::path::Path::new(path).is_file() {
            anyhow::bail!("no SQLite database at {path}");
        }
        return Ok(format!("sqlite://{path}"));
    }
    for prefix in [
        "mysql+pymysql://",
        "mysql+mysqldb://",
        "mysql://",
        "mariadb://",
    ] {
        if let Some(rest) = trimmed.strip_prefix(prefix) {
            return Ok(format!("mysql://{rest}"));
        }
    }
    anyhow::bail!("the original database must be MySQL (mysql://…) or SQLite (sqlite:///path)")
}

/// The tables an import fills in bulk, whose planner statistics it brings up to date.
const IMPORTED_TABLES: &[&str] = &[
    "businesses",
    "users",
    "clients",
    "sender_identities",
    "reminders",
    "reminder_clients",
    "notifications",
    "notification_attempts",
];

/// The original's database, read and checked: what [`Checked::import_into`] writes.
pub struct Checked {
    source: source::Source,
    sealed_values: SealedValues,
}

/// Reads the original's database in one pass, before the target is opened: checks that it is
/// the original's (its tables and columns) and that the key opens its sealed values.
///
/// # Errors
/// Besides database errors: a [`SourceError`] when the source is not the original's database, a
/// [`KeyError`] when it holds sealed values that the key given cannot open (unless
/// `skip_sealed`).
pub async fn check(source_db: &DatabaseConnection, options: &Options) -> anyhow::Result<Checked> {
    let source = source::read(source_db).await?;
    let sealed_values = key_check::check_key(&source, options)?;
    Ok(Checked {
        source,
        sealed_values,
    })
}

/// Checks the original's database (see [`check`]) and imports it.
///
/// # Errors
/// As [`check`] and [`Checked::import_into`].
pub async fn import(
    source_db: &DatabaseConnection,
    target: &DatabaseConnection,
    options: &Options,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    check(source_db, options)
        .await?
        .import_into(target, options, now)
        .await
}

impl Checked {
    /// Writes ours from the checked source; rolls back on any error (or on a dry run).
    ///
    /// # Errors
    /// Database errors.
    pub async fn import_into(
        &self,
        target: &DatabaseConnection,
        options: &Options,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Report> {
        let source = &self.source;
        let rows_in = |table: &str| source.rows_in.get(table).copied().unwrap_or_default();
        let mut report = Report {
            dry_run: options.dry_run,
            sealed_values: self.sealed_values,
            users: TableReport::of(rows_in("users"), source.users.len()),
            clients: TableReport::of(rows_in("clients"), source.clients.len()),
            sender_identities: TableReport::of(
                rows_in("sender_identities"),
                source.sender_identities.len(),
            ),
            email_configurations: TableReport::of(
                rows_in("email_configurations"),
                source.email_configurations.len(),
            ),
            reminders: TableReport::of(rows_in("reminders"), source.reminders.len()),
            reminder_recipients: TableReport::of(
                rows_in("reminder_recipients"),
                source.recipients.len(),
            ),
            notifications: TableReport::of(rows_in("notifications"), source.notifications.len()),
            ..Report::default()
        };

        let guessable = accounts::with_well_known_passwords(source).await?;
        let txn = crate::db::begin_write(target).await?;
        let owners =
            accounts::import_accounts(&txn, source, options, &guessable, &mut report, now).await?;
        let imported_clients =
            clients::import_clients(&txn, source, options, &owners, &mut report, now).await?;
        let identities =
            sender_identities::import_identities(&txn, source, options, &owners, &mut report, now)
                .await?;
        let configurations = email_configurations::import_email_configurations(
            &txn,
            source,
            options,
            &owners,
            &identities,
            &mut report,
            now,
        )
        .await?;
        let senders = reminders::Senders {
            identities: &identities,
            configurations: &configurations,
        };
        let imported_reminders =
            reminders::import_reminders(&txn, source, options, &owners, &senders, &mut report, now)
                .await?;
        reminders::import_recipients(
            &txn,
            source,
            &imported_clients,
            &imported_reminders,
            &mut report,
            now,
        )
        .await?;
        notifications::import_notifications(
            &txn,
            source,
            &imported_clients,
            &imported_reminders,
            &mut report,
            now,
        )
        .await?;

        if options.dry_run {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
            // The import stands either way: without fresh statistics the first queries may only
            // be slower until the database's own analysis comes round.
            if let Err(error) = crate::db::analyze(target, IMPORTED_TABLES).await {
                tracing::warn!(error = %error, "refreshing the planner's statistics failed");
            }
        }
        Ok(report)
    }
}
