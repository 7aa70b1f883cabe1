//! Reading the original service's tables (MySQL/MariaDB or SQLite, as SQLAlchemy wrote them).
//!
//! Its schema changed between releases (`clients.phone` became `phone_number`, notifications
//! gained `user_id` and `message`, sender identities and e-mail configurations came late), so
//! columns are read by name and a missing one reads as absent; `layout` checks first that those
//! every release had are there. Enums are stored by name (`EMAIL`, `PAYMENT`) and compared
//! without regard to case.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement, TryGetable};
use secrecy::SecretString;

use super::layout::{SourceError, check_source, columns};

/// A user of the original: one user was one firm.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: Option<String>,
    pub email: Option<String>,
    pub hashed_password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Older releases kept `full_name` instead of first and last names.
    pub full_name: Option<String>,
    pub business_name: Option<String>,
    pub is_active: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// A client of a user.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: i64,
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Plain, or sealed with Fernet under a key derived from the original's `SECRET_KEY`.
    pub phone: Option<String>,
    pub whatsapp_phone: Option<String>,
    /// A second number, sealed like the first.
    pub secondary_phone: Option<String>,
    /// `EMAIL`, `SMS` or `WHATSAPP`: how the client asked to be reached.
    pub preferred_contact: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A reminder: one channel, a next due time, and a recurrence in words.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub id: i64,
    pub user_id: Option<i64>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// `PAYMENT`, `DEADLINE` or `NOTIFICATION`.
    pub reminder_type: Option<String>,
    /// `EMAIL`, `SMS` or `WHATSAPP`.
    pub notification_type: Option<String>,
    pub sender_identity_id: Option<i64>,
    /// The e-mail configuration (SMTP account) it was sent through, on later releases.
    pub email_configuration_id: Option<i64>,
    pub is_recurring: bool,
    /// `daily`, `weekly`, `monthly`, `yearly` or `every N days|weeks|months`; on its
    /// `plus_tests` branch `DAILY`, `WEEKLY_MON`, `MONTHLY_31` or `YEARLY_12_25`.
    pub recurrence_pattern: Option<String>,
    /// The next time it is due (UTC).
    pub reminder_date: Option<DateTime<Utc>>,
    pub is_active: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// A client assigned to a reminder.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub reminder_id: i64,
    pub client_id: i64,
}

/// A message sent (or tried) to a client for a reminder.
#[derive(Debug, Clone)]
pub struct Notification {
    pub reminder_id: Option<i64>,
    pub client_id: Option<i64>,
    pub message: Option<String>,
    pub notification_type: Option<String>,
    /// `PENDING`, `SENT`, `DELIVERED`, `READ`, `FAILED` or `CANCELLED`.
    pub status: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub error_message: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// An address or number a user sent from.
#[derive(Debug, Clone)]
pub struct SenderIdentity {
    pub id: i64,
    pub user_id: Option<i64>,
    /// `EMAIL`, `PHONE` or `WHATSAPP`.
    pub identity_type: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    /// The oldest layout kept the address in one `value` column.
    pub value: Option<String>,
    pub display_name: Option<String>,
    pub is_default: bool,
}

/// An SMTP account of a user, and the address it sent from (later releases only).
#[derive(Debug, Clone)]
pub struct EmailConfiguration {
    pub id: i64,
    pub user_id: Option<i64>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_user: Option<String>,
    /// Sealed like the phone numbers; kept out of `Debug` all the same.
    pub smtp_password: Option<SecretString>,
    pub email_from: Option<String>,
    pub is_active: bool,
    /// When it was last changed, else created: the newer wins a tie.
    pub changed_at: Option<DateTime<Utc>>,
}

/// Everything read from the original database.
#[derive(Debug, Default)]
pub struct Source {
    pub users: Vec<User>,
    pub clients: Vec<Client>,
    pub reminders: Vec<Reminder>,
    pub recipients: Vec<Recipient>,
    pub notifications: Vec<Notification>,
    pub sender_identities: Vec<SenderIdentity>,
    pub email_configurations: Vec<EmailConfiguration>,
    /// Rows in each table, read or not (a row without an id cannot be read).
    pub rows_in: BTreeMap<&'static str, usize>,
}

/// A column that may be missing (older layouts) or null.
fn column<T: TryGetable>(row: &QueryResult, name: &str) -> Option<T> {
    row.try_get::<Option<T>>("", name).ok().flatten()
}

fn text(row: &QueryResult, name: &str) -> Option<String> {
    column::<String>(row, name)
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn integer(row: &QueryResult, name: &str) -> Option<i64> {
    column::<i64>(row, name).or_else(|| column::<i32>(row, name).map(i64::from))
}

fn flag(row: &QueryResult, name: &str, default: bool) -> bool {
    column::<bool>(row, name)
        .or_else(|| column::<i64>(row, name).map(|n| n != 0))
        .or_else(|| column::<i32>(row, name).map(|n| n != 0))
        .unwrap_or(default)
}

/// A date-time as SQLAlchemy stored it: a MySQL `DATETIME` (UTC), or SQLite text with or
/// without an offset.
fn instant(row: &QueryResult, name: &str) -> Option<DateTime<Utc>> {
    if let Some(naive) = column::<NaiveDateTime>(row, name) {
        return Some(naive.and_utc());
    }
    if let Some(at) = column::<DateTime<Utc>>(row, name) {
        return Some(at);
    }
    let raw = text(row, name)?;
    DateTime::parse_from_rfc3339(&raw.replace(' ', "T"))
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z"]
                .iter()
                .find_map(|format| DateTime::parse_from_str(&raw, format).ok())
                .map(|at| at.with_timezone(&Utc))
        })
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(&raw, format).ok())
                .map(|naive| naive.and_utc())
        })
}

/// The rows of a table that each `parse` reads, and how many rows it had. A missing table
/// (optional: [`check_source`] found the required ones) has none; any other failure to read is
/// an error, never an empty table.
async fn table<T>(
    db: &impl ConnectionTrait,
    name: &'static str,
    rows_in: &mut BTreeMap<&'static str, usize>,
    parse: impl Fn(&QueryResult) -> Option<T>,
) -> Result<Vec<T>, DbErr> {
    if columns(db, name).await?.is_empty() {
        return Ok(Vec::new());
    }
    let statement = Statement::from_string(
        db.get_database_backend(),
        format!("SELECT * FROM {name} ORDER BY 1"),
    );
    let rows = db.query_all_raw(statement).await?;
    rows_in.insert(name, rows.len());
    Ok(rows.iter().filter_map(parse).collect())
}

/// Checks that `db` is the original's (see [`check_source`]), then reads every table the
/// import uses.
pub async fn read(db: &impl ConnectionTrait) -> Result<Source, SourceError> {
    check_source(db).await?;
    let mut rows_in = BTreeMap::new();
    let users = table(db, "users", &mut rows_in, |row| {
        Some(User {
            id: integer(row, "id")?,
            username: text(row, "username"),
            email: text(row, "email"),
            hashed_password: text(row, "hashed_password"),
            first_name: text(row, "first_name"),
            last_name: text(row, "last_name"),
            full_name: text(row, "full_name"),
            business_name: text(row, "business_name"),
            is_active: flag(row, "is_active", true),
            created_at: instant(row, "created_at"),
        })
    })
    .await?;
    let clients = table(db, "clients", &mut rows_in, |row| {
        Some(Client {
            id: integer(row, "id")?,
            user_id: integer(row, "user_id"),
            name: text(row, "name"),
            email: text(row, "email"),
            phone: text(row, "phone_number").or_else(|| text(row, "phone")),
            whatsapp_phone: text(row, "whatsapp_phone_number"),
            secondary_phone: text(row, "secondary_phone_number"),
            preferred_contact: text(row, "preferred_contact_method"),
            created_at: instant(row, "created_at"),
        })
    })
    .await?;
    let reminders = table(db, "reminders", &mut rows_in, |row| {
        Some(Reminder {
            id: integer(row, "id")?,
            user_id: integer(row, "user_id"),
            title: text(row, "title"),
            description: text(row, "description"),
            reminder_type: text(row, "reminder_type"),
            notification_type: text(row, "notification_type"),
            sender_identity_id: integer(row, "sender_identity_id"),
            email_configuration_id: integer(row, "email_configuration_id"),
            is_recurring: flag(row, "is_recurring", false),
            recurrence_pattern: text(row, "recurrence_pattern"),
            reminder_date: instant(row, "reminder_date"),
            is_active: flag(row, "is_active", true),
            created_at: instant(row, "created_at"),
        })
    })
    .await?;
    let recipients = table(db, "reminder_recipients", &mut rows_in, |row| {
        Some(Recipient {
            reminder_id: integer(row, "reminder_id")?,
            client_id: integer(row, "client_id")?,
        })
    })
    .await?;
    let notifications = table(db, "notifications", &mut rows_in, |row| {
        // A row without an id is one the original could not have written: left out.
        integer(row, "id")?;
        Some(Notification {
            reminder_id: integer(row, "reminder_id"),
            client_id: integer(row, "client_id"),
            message: text(row, "message"),
            notification_type: text(row, "notification_type"),
            status: text(row, "status"),
            sent_at: instant(row, "sent_at"),
            error_message: text(row, "error_message"),
            created_at: instant(row, "created_at"),
        })
    })
    .await?;
    let sender_identities = table(db, "sender_identities", &mut rows_in, |row| {
        Some(SenderIdentity {
            id: integer(row, "id")?,
            user_id: integer(row, "user_id"),
            identity_type: text(row, "identity_type"),
            email: text(row, "email"),
            phone_number: text(row, "phone_number"),
            value: text(row, "value"),
            display_name: text(row, "display_name"),
            is_default: flag(row, "is_default", false),
        })
    })
    .await?;
    let email_configurations = table(db, "email_configurations", &mut rows_in, |row| {
        Some(EmailConfiguration {
            id: integer(row, "id")?,
            user_id: integer(row, "user_id"),
            smtp_host: text(row, "smtp_host"),
            smtp_port: integer(row, "smtp_port"),
            smtp_user: text(row, "smtp_user"),
            smtp_password: text(row, "smtp_password").map(SecretString::from),
            email_from: text(row, "email_from"),
            is_active: flag(row, "is_active", true),
            changed_at: instant(row, "updated_at").or_else(|| instant(row, "created_at")),
        })
    })
    .await?;
    Ok(Source {
        users,
        clients,
        reminders,
        recipients,
        notifications,
        sender_identities,
        email_configurations,
        rows_in,
    })
}
