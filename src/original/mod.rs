//! `import-original`: moves a firm's data from the original FastAPI service's database (MySQL or
//! SQLite) into ours, in one transaction, and accounts for every row it read.
//!
//! Each original user becomes a business and its owner (bcrypt hash kept, upgraded to argon2id at
//! the first sign-in); clients, sender identities (unverified: they must confirm a code here),
//! reminders (one channel each, recurrence words turned into RRULEs in the chosen zone), their
//! recipients and the notification history follow. A user whose e-mail already has an account
//! here is left out with everything of theirs, so running it twice imports nothing twice.

mod sealed;
mod source;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseConnection, Set};
use serde::Serialize;

pub use sealed::{Opened, Opener};

use crate::domain::schedule::{Schedule, ScheduleSpec, words_to_rrule};
use crate::domain::{
    BusinessId, Channel, ChannelSet, CountryCode, Email, NotificationStatus, PhoneE164,
    ReminderKind, ReminderStatus, Role, SendersByChannel, Trigger,
};
use crate::entities::{Timestamp, business, notification, reminder, sender_identity};
use crate::repositories::{
    businesses, clients, notifications, reminders, sender_identities, users,
};
use crate::services::messages::MessageContext;

/// How to read what the original left implicit.
pub struct Options {
    /// The zone its reminder dates are shown and repeated in (it ran in one server zone).
    pub timezone: Tz,
    /// The region of phone numbers written without a country code.
    pub country: Option<CountryCode>,
    /// Opens its sealed phone numbers.
    pub opener: Opener,
    /// How late an occurrence may be and still be sent (due just before the switch-over).
    pub misfire_grace: Duration,
    /// Do everything, then roll back: the report says what an import would do.
    pub dry_run: bool,
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
    /// Businesses (and owners) created, one per imported user.
    pub businesses_created: usize,
    pub users: TableReport,
    pub clients: TableReport,
    pub sender_identities: TableReport,
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
            &self.reminders,
            &self.reminder_recipients,
            &self.notifications,
        ]
        .iter()
        .all(|table| table.balanced())
    }
}

/// What an imported client is reachable at.
struct ImportedClient {
    id: i64,
    business: i64,
    email: Option<String>,
    phone: Option<String>,
}

/// An imported sender identity, for the reminders that name it.
struct ImportedIdentity {
    id: i64,
    business: i64,
    channel: Channel,
}

/// What an imported reminder needs for its history.
struct ImportedReminder {
    id: i64,
    business: i64,
    channel: Channel,
}

fn channel_of(name: Option<&str>) -> Option<Channel> {
    Channel::parse(&name?.to_ascii_lowercase()).ok()
}

fn kind_of(name: Option<&str>) -> ReminderKind {
    match name.map(str::to_ascii_uppercase).as_deref() {
        Some("PAYMENT") => ReminderKind::Payment,
        Some("DEADLINE") => ReminderKind::Deadline,
        Some("APPOINTMENT") => ReminderKind::Appointment,
        Some("DOCUMENT") => ReminderKind::Document,
        _ => ReminderKind::Custom,
    }
}

fn truncated(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
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

/// Reads the original database and writes ours; rolls back on any error (or on a dry run).
pub async fn import(
    source_db: &DatabaseConnection,
    target: &DatabaseConnection,
    options: &Options,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let source = source::read(source_db).await?;
    let rows_in = |table: &str| source.rows_in.get(table).copied().unwrap_or_default();
    let mut report = Report {
        dry_run: options.dry_run,
        businesses_created: 0,
        users: TableReport::of(rows_in("users"), source.users.len()),
        clients: TableReport::of(rows_in("clients"), source.clients.len()),
        sender_identities: TableReport::of(
            rows_in("sender_identities"),
            source.sender_identities.len(),
        ),
        reminders: TableReport::of(rows_in("reminders"), source.reminders.len()),
        reminder_recipients: TableReport::of(
            rows_in("reminder_recipients"),
            source.recipients.len(),
        ),
        notifications: TableReport::of(rows_in("notifications"), source.notifications.len()),
    };

    let txn = crate::db::begin_write(target).await?;
    // Original user id → our business id.
    let mut owners: HashMap<i64, i64> = HashMap::new();
    for user in &source.users {
        let Some(email) = user.email.as_deref().and_then(|e| Email::parse(e).ok()) else {
            report.users.skip("no_valid_email");
            continue;
        };
        let Some(hash) = &user.hashed_password else {
            report.users.skip("no_password");
            continue;
        };
        if !crate::security::password::is_known_hash(hash) {
            // Neither bcrypt nor argon2: no password could ever match it here.
            report.users.skip("unknown_password_hash");
            continue;
        }
        if users::find_by_email(&txn, email.as_str()).await?.is_some() {
            report.users.skip("already_present");
            continue;
        }
        let person = user.full_name.clone().or_else(|| {
            let joined = [user.first_name.as_deref(), user.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (!joined.is_empty()).then_some(joined)
        });
        let name = user
            .business_name
            .clone()
            .or_else(|| person.clone())
            .or_else(|| user.username.clone())
            .unwrap_or_else(|| email.as_str().to_owned());
        let created = Timestamp(user.created_at.unwrap_or(now));
        let saved = businesses::insert(
            &txn,
            business::ActiveModel {
                name: Set(truncated(&name, 200)),
                timezone: Set(options.timezone.name().to_owned()),
                default_channels: Set(ChannelSet::from(vec![Channel::Email])),
                email_from: Set(Some(email.as_str().to_owned())),
                default_country: Set(options.country.map(|c| c.as_str().to_owned())),
                quiet_hours_start: Set(None),
                quiet_hours_end: Set(None),
                created_at: Set(created),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        users::insert(
            &txn,
            crate::entities::user::ActiveModel {
                business_id: Set(saved.id),
                email: Set(email.as_str().to_owned()),
                full_name: Set(truncated(
                    person.as_deref().or(user.username.as_deref()).unwrap_or(""),
                    200,
                )),
                // bcrypt: verified as it is, re-hashed with argon2id at the first sign-in.
                password_hash: Set(hash.clone()),
                role: Set(Role::Owner),
                is_active: Set(user.is_active),
                created_at: Set(created),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        if !user.is_active {
            report.users.change("disabled_in_the_original");
        }
        owners.insert(user.id, saved.id);
        report.users.imported += 1;
        report.businesses_created += 1;
    }

    let imported_clients =
        import_clients(&txn, &source, options, &owners, &mut report, now).await?;
    let identities = import_identities(&txn, &source, options, &owners, &mut report, now).await?;
    let imported_reminders = import_reminders(
        &txn,
        &source,
        options,
        &owners,
        &identities,
        &mut report,
        now,
    )
    .await?;
    import_recipients(
        &txn,
        &source,
        &imported_clients,
        &imported_reminders,
        &mut report,
        now,
    )
    .await?;
    import_notifications(
        &txn,
        &source,
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
    }
    Ok(report)
}

/// The business a user's row goes to; `None`, with the row counted as skipped, when its user
/// was not imported (or it names none).
fn owner_of(
    user_id: Option<i64>,
    owners: &HashMap<i64, i64>,
    table: &mut TableReport,
) -> Option<i64> {
    let owner = user_id.and_then(|id| owners.get(&id).copied());
    if owner.is_none() {
        table.skip(if user_id.is_some() {
            "owner_not_imported"
        } else {
            "no_owner"
        });
    }
    owner
}

async fn import_clients(
    txn: &impl sea_orm::ConnectionTrait,
    source: &source::Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedClient>> {
    let table = &mut report.clients;
    let mut imported = HashMap::new();
    let mut emails_taken: HashSet<(i64, String)> = HashSet::new();
    let phone = |stored: Option<&str>, table: &mut TableReport| -> Option<String> {
        let opened = match options.opener.open(stored?) {
            Opened::Plain(text) | Opened::Unsealed(text) => text,
            Opened::Unreadable => {
                table.change("sealed_phone_unreadable");
                return None;
            }
        };
        match PhoneE164::parse(&opened, options.country) {
            Ok(phone) => Some(phone.as_str().to_owned()),
            Err(_) => {
                table.change("invalid_phone_dropped");
                None
            }
        }
    };
    for original in &source.clients {
        let Some(business) = owner_of(original.user_id, owners, table) else {
            continue;
        };
        let mut email = match original.email.as_deref().map(Email::parse) {
            Some(Ok(email)) => Some(email.as_str().to_owned()),
            Some(Err(_)) => {
                table.change("invalid_email_dropped");
                None
            }
            None => None,
        };
        if let Some(address) = &email
            && !emails_taken.insert((business, address.clone()))
        {
            // Clients of a business have distinct addresses here; the first keeps it.
            table.change("shared_email_dropped");
            email = None;
        }
        let main_phone = phone(original.phone.as_deref(), table);
        let whatsapp_phone = phone(original.whatsapp_phone.as_deref(), table);
        let mut row = crate::services::clients::blank_row(BusinessId(business));
        row.name = Set(truncated(
            original
                .name
                .as_deref()
                .unwrap_or(&format!("Client {}", original.id)),
            200,
        ));
        row.email = Set(email.clone());
        let reachable_phone = main_phone.clone().or_else(|| whatsapp_phone.clone());
        row.phone = Set(reachable_phone.clone());
        // The original sent WhatsApp to clients who gave a WhatsApp number.
        row.whatsapp_opt_in = Set(whatsapp_phone.is_some());
        row.external_ref = Set(Some(format!("original-client-{}", original.id)));
        row.created_at = Set(Timestamp(original.created_at.unwrap_or(now)));
        let saved = clients::insert(txn, row).await?;
        imported.insert(
            original.id,
            ImportedClient {
                id: saved.id,
                business,
                email,
                phone: reachable_phone,
            },
        );
        table.imported += 1;
    }
    Ok(imported)
}

/// Imported identities by original id.
async fn import_identities(
    txn: &impl sea_orm::ConnectionTrait,
    source: &source::Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedIdentity>> {
    let table = &mut report.sender_identities;
    let mut imported = HashMap::new();
    let mut seen: HashSet<(i64, Channel, String)> = HashSet::new();
    let mut defaults: HashSet<(i64, Channel)> = HashSet::new();
    for original in &source.sender_identities {
        let Some(business) = owner_of(original.user_id, owners, table) else {
            continue;
        };
        let mut unreadable = false;
        let kind = original
            .identity_type
            .as_deref()
            .map(str::to_ascii_uppercase);
        let address = match kind.as_deref() {
            Some("EMAIL") => original
                .email
                .as_deref()
                .or(original.value.as_deref())
                .and_then(|a| Email::parse(a).ok())
                .map(|a| (Channel::Email, a.as_str().to_owned())),
            Some("PHONE") => original
                .phone_number
                .as_deref()
                .or(original.value.as_deref())
                .map(|stored| options.opener.open(stored))
                .and_then(|opened| match opened {
                    Opened::Plain(text) | Opened::Unsealed(text) => {
                        PhoneE164::parse(&text, options.country).ok()
                    }
                    Opened::Unreadable => {
                        table.skip("sealed_phone_unreadable");
                        unreadable = true;
                        None
                    }
                })
                .map(|p| (Channel::Sms, p.as_str().to_owned())),
            Some("WHATSAPP") => {
                // Sending from a WhatsApp number needs its Cloud API id, which the original
                // never stored: the firm adds it here.
                table.skip("whatsapp_needs_phone_number_id");
                continue;
            }
            _ => None,
        };
        let Some((channel, address)) = address else {
            if !unreadable {
                table.skip("invalid_address");
            }
            continue;
        };
        if !seen.insert((business, channel, address.clone())) {
            table.skip("duplicate");
            continue;
        }
        let is_default = original.is_default && defaults.insert((business, channel));
        let saved = sender_identities::insert(
            txn,
            sender_identity::ActiveModel {
                business_id: Set(business),
                channel: Set(channel),
                address: Set(address),
                display_name: Set(original.display_name.as_deref().map(|n| truncated(n, 200))),
                phone_number_id: Set(None),
                is_default: Set(is_default),
                // Proved here by a code, whatever the original recorded.
                verified_at: Set(None),
                code_hash: Set(None),
                code_sent_at: Set(None),
                code_expires_at: Set(None),
                code_attempts: Set(0),
                created_at: Set(Timestamp(now)),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        table.change("to_verify");
        imported.insert(
            original.id,
            ImportedIdentity {
                id: saved.id,
                business,
                channel,
            },
        );
        table.imported += 1;
    }
    Ok(imported)
}

async fn import_reminders(
    txn: &impl sea_orm::ConnectionTrait,
    source: &source::Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    identities: &HashMap<i64, ImportedIdentity>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedReminder>> {
    let table = &mut report.reminders;
    let mut imported = HashMap::new();
    let zone = options.timezone;
    let sample = MessageContext::sample();
    for original in &source.reminders {
        let Some(business) = owner_of(original.user_id, owners, table) else {
            continue;
        };
        let Some(due) = original.reminder_date else {
            table.skip("no_date");
            continue;
        };
        let channel = channel_of(original.notification_type.as_deref()).unwrap_or_else(|| {
            table.change("channel_unknown_email_used");
            Channel::Email
        });
        let local = due
            .with_timezone(&zone)
            .naive_local()
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
        let once = ScheduleSpec::Once {
            at: local.clone(),
            timezone: Some(zone.name().to_owned()),
        };
        let rule = original
            .is_recurring
            .then(|| {
                original
                    .recurrence_pattern
                    .as_deref()
                    .and_then(words_to_rrule)
            })
            .flatten();
        if original.is_recurring && rule.is_none() {
            table.change("recurrence_not_understood_sent_once");
        }
        let spec = match rule {
            Some(rrule) => ScheduleSpec::Recurring {
                rrule,
                start: local,
                timezone: Some(zone.name().to_owned()),
            },
            None => once,
        };
        let Ok(schedule) = Schedule::parse(&spec, zone) else {
            table.skip("schedule_unreadable");
            continue;
        };
        let recurring = matches!(spec, ScheduleSpec::Recurring { .. });
        // Due just before the switch-over: still sent, within the misfire grace.
        let next = schedule.next_after(now - options.misfire_grace);
        let (status, next_run_at) = match (original.is_active, next) {
            (true, Some(next)) => (ReminderStatus::Active, Some(next)),
            (false, _) if recurring => (ReminderStatus::Paused, None),
            _ => (ReminderStatus::Completed, None),
        };
        let title = original
            .title
            .clone()
            .unwrap_or_else(|| format!("Reminder {}", original.id));
        let mut body = original
            .description
            .clone()
            .unwrap_or_else(|| title.clone());
        // Its text was never a template: braces in it stay braces.
        let literal = format!("{{% raw %}}{body}{{% endraw %}}");
        if ["{{", "{%", "{#"].iter().any(|mark| body.contains(mark))
            && !body.contains("endraw")
            && crate::domain::template::check(&literal, &sample).is_ok()
        {
            body = literal;
            table.change("text_kept_literally");
        }
        let senders = original
            .sender_identity_id
            .and_then(|id| identities.get(&id))
            .and_then(|identity| {
                if identity.business != business {
                    // The source's own rows disagree: never name another business's identity.
                    table.change("sender_identity_of_another_user");
                    None
                } else if identity.channel == channel {
                    Some(SendersByChannel(BTreeMap::from([(channel, identity.id)])))
                } else {
                    table.change("sender_identity_not_for_channel");
                    None
                }
            });
        let saved = reminders::insert(
            txn,
            reminder::ActiveModel {
                business_id: Set(business),
                title: Set(truncated(&title, 200)),
                kind: Set(kind_of(original.reminder_type.as_deref())),
                channels: Set(ChannelSet::from(vec![channel])),
                subject: Set(None),
                body: Set(body),
                whatsapp_template: Set(None),
                schedule: Set(schedule.to_spec()),
                sender_identity_ids: Set(senders),
                timezone: Set(schedule.zone().name().to_owned()),
                payment_amount: Set(None),
                payment_currency: Set(None),
                payment_description: Set(None),
                status: Set(status),
                next_run_at: Set(next_run_at.map(Timestamp)),
                last_run_at: Set(None),
                created_at: Set(Timestamp(original.created_at.unwrap_or(now))),
                updated_at: Set(Timestamp(now)),
                ..Default::default()
            },
        )
        .await?;
        imported.insert(
            original.id,
            ImportedReminder {
                id: saved.id,
                business,
                channel,
            },
        );
        table.imported += 1;
    }
    Ok(imported)
}

async fn import_recipients(
    txn: &impl sea_orm::ConnectionTrait,
    source: &source::Source,
    clients: &HashMap<i64, ImportedClient>,
    reminders_by_id: &HashMap<i64, ImportedReminder>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let table = &mut report.reminder_recipients;
    let mut assigned: BTreeMap<i64, (i64, Vec<i64>)> = BTreeMap::new();
    let mut seen = HashSet::new();
    for original in &source.recipients {
        let Some(reminder) = reminders_by_id.get(&original.reminder_id) else {
            table.skip("reminder_not_imported");
            continue;
        };
        let Some(client) = clients.get(&original.client_id) else {
            table.skip("client_not_imported");
            continue;
        };
        if client.business != reminder.business {
            table.skip("client_of_another_user");
            continue;
        }
        if !seen.insert((reminder.id, client.id)) {
            table.skip("duplicate");
            continue;
        }
        assigned
            .entry(reminder.id)
            .or_insert_with(|| (reminder.business, Vec::new()))
            .1
            .push(client.id);
        table.imported += 1;
    }
    for (reminder, (business, client_ids)) in assigned {
        reminders::assign(txn, BusinessId(business), reminder, &client_ids, now).await?;
    }
    Ok(())
}

/// Our status for an original one, and why it did not go when it did not.
fn status_of(original: Option<&str>) -> (NotificationStatus, Option<&'static str>) {
    match original.map(str::to_ascii_uppercase).as_deref() {
        Some("SENT") => (NotificationStatus::Sent, None),
        Some("DELIVERED") => (NotificationStatus::Delivered, None),
        Some("READ") => (NotificationStatus::Read, None),
        Some("FAILED") => (NotificationStatus::Failed, Some("failed_in_the_original")),
        Some("CANCELLED") => (NotificationStatus::Cancelled, None),
        // Its reminder carries on here; this one instance is not sent a second time.
        Some("PENDING") => (
            NotificationStatus::Cancelled,
            Some("not_sent_before_import"),
        ),
        _ => (
            NotificationStatus::Cancelled,
            Some("unknown_original_status"),
        ),
    }
}

async fn import_notifications(
    txn: &impl sea_orm::ConnectionTrait,
    source: &source::Source,
    clients: &HashMap<i64, ImportedClient>,
    reminders_by_id: &HashMap<i64, ImportedReminder>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let table = &mut report.notifications;
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for original in &source.notifications {
        let Some(reminder) = original.reminder_id.and_then(|id| reminders_by_id.get(&id)) else {
            table.skip("reminder_not_imported");
            continue;
        };
        let Some(client) = original.client_id.and_then(|id| clients.get(&id)) else {
            table.skip("client_not_imported");
            continue;
        };
        if client.business != reminder.business {
            table.skip("client_of_another_user");
            continue;
        }
        let channel = channel_of(original.notification_type.as_deref()).unwrap_or(reminder.channel);
        let at = original.sent_at.or(original.created_at).unwrap_or(now);
        // One notification per reminder, client, channel and instant, as here.
        if !seen.insert((reminder.id, client.id, channel, at)) {
            table.skip("duplicate");
            continue;
        }
        let (status, code) = status_of(original.status.as_deref());
        if code == Some("not_sent_before_import") {
            table.change("pending_not_resent");
        }
        let sent = status.was_sent();
        rows.push(notification::ActiveModel {
            business_id: Set(reminder.business),
            reminder_id: Set(reminder.id),
            client_id: Set(client.id),
            channel: Set(channel),
            occurrence_at: Set(Timestamp(at)),
            trigger: Set(Trigger::Imported),
            status: Set(status),
            recipient: Set(match channel {
                Channel::Email => client.email.clone(),
                Channel::Sms | Channel::Whatsapp => client.phone.clone(),
            }),
            subject: Set(None),
            body: Set(original.message.clone().unwrap_or_default()),
            provider: Set(None),
            provider_message_id: Set(None),
            attempt_count: Set(i32::from(sent || status == NotificationStatus::Failed)),
            next_attempt_at: Set(Timestamp(at)),
            lease_until: Set(None),
            claim_token: Set(None),
            error_code: Set(code.map(str::to_owned)),
            error_message: Set(original.error_message.clone()),
            sent_at: Set(sent.then_some(Timestamp(at))),
            delivered_at: Set(None),
            read_at: Set(None),
            whatsapp_template: Set(None),
            created_at: Set(Timestamp(original.created_at.unwrap_or(at))),
            updated_at: Set(Timestamp(now)),
            ..Default::default()
        });
        table.imported += 1;
    }
    notifications::insert_new(txn, rows).await?;
    Ok(())
}
