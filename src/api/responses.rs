//! Response bodies: the shapes the contract keeps (fields may be added, never renamed).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::extract::Page;
use crate::domain::quiet_hours::QuietHoursSpec;
use crate::domain::schedule::ScheduleSpec;
use crate::domain::{
    AttemptOutcome, Channel, NotificationStatus, Provider, ReminderKind, ReminderStatus, Role,
    Trigger, UsageCaps, WhatsappTemplate,
};
use crate::entities::{business, client, notification, notification_attempt, user};
use crate::repositories::Paged;
use crate::services::providers::ProviderView;
use crate::services::reminders::{PaymentSpec, ReminderWithClients};
use std::collections::BTreeMap;

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Items matching, over all pages.
    pub total: u64,
    /// Page size asked for.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
}

impl<T> ListResponse<T> {
    /// Wraps a page of rows, converting each.
    pub fn from_page<R>(paged: Paged<R>, page: Page, convert: impl Fn(R) -> T) -> Self {
        Self {
            items: paged.items.into_iter().map(convert).collect(),
            total: paged.total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// A member of staff.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserResponse {
    /// The user's id, unique across businesses.
    pub id: i64,
    /// Their business.
    pub business_id: i64,
    /// Sign-in e-mail.
    pub email: String,
    /// Their name as shown to colleagues.
    pub full_name: String,
    /// What they may do: `member`, `admin` or `owner`.
    pub role: Role,
    /// False when sign-in is disabled.
    pub is_active: bool,
    /// When they were added (UTC).
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserResponse {
    fn from(user: user::Model) -> Self {
        Self {
            id: user.id,
            business_id: user.business_id,
            email: user.email,
            full_name: user.full_name,
            role: user.role,
            is_active: user.is_active,
            created_at: *user.created_at,
        }
    }
}

/// A business and its settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BusinessResponse {
    /// The business's id.
    pub id: i64,
    /// Its name, shown in messages (`{{ business.name }}`) and as the e-mail sender name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Channels used for a client who names none.
    pub default_channels: Vec<Channel>,
    /// Sender address of e-mails.
    pub email_from: Option<String>,
    /// Region for national phone numbers.
    pub default_country: Option<String>,
    /// Local window in which SMS and WhatsApp wait.
    pub quiet_hours: Option<QuietHoursSpec>,
    /// WhatsApp template used by reminders that name none.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// Monthly caps per channel.
    pub usage_caps: Option<UsageCaps>,
    /// The business's own provider accounts: `configured` and non-secret settings only.
    pub providers: BTreeMap<String, ProviderView>,
    /// When it registered (UTC).
    pub created_at: DateTime<Utc>,
    /// When its settings last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<business::Model> for BusinessResponse {
    fn from(business: business::Model) -> Self {
        Self {
            id: business.id,
            name: business.name,
            timezone: business.timezone,
            default_channels: business.default_channels.to_vec(),
            email_from: business.email_from,
            default_country: business.default_country,
            quiet_hours: business
                .quiet_hours_start
                .zip(business.quiet_hours_end)
                .map(|(start, end)| QuietHoursSpec { start, end }),
            usage_caps: business.usage_caps,
            whatsapp_template: business.whatsapp_template,
            providers: Provider::ALL
                .iter()
                .map(|provider| {
                    let view = ProviderView {
                        configured: false,
                        settings: Default::default(),
                    };
                    (provider.to_string(), view)
                })
                .collect(),
            created_at: *business.created_at,
            updated_at: *business.updated_at,
        }
    }
}

/// `POST /auth/register`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    /// The owner.
    pub user: UserResponse,
    /// The new business.
    pub business: BusinessResponse,
}

/// Per-channel opt-outs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptOuts {
    /// Unsubscribed from e-mail.
    pub email: bool,
    /// Sent STOP by SMS.
    pub sms: bool,
    /// Opted out of WhatsApp.
    pub whatsapp: bool,
}

/// A client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientResponse {
    /// The client's id.
    pub id: i64,
    /// Their name (`{{ client.name }}` in templates).
    pub name: String,
    /// E-mail, lowercased.
    pub email: Option<String>,
    /// Phone in E.164.
    pub phone: Option<String>,
    /// Agreed to WhatsApp messages.
    pub whatsapp_opt_in: bool,
    /// The channels they accept, in order; empty means the business's defaults.
    pub preferred_channels: Vec<Channel>,
    /// IANA time zone (the business's when null).
    pub timezone: Option<String>,
    /// The firm's own reference.
    pub external_ref: Option<String>,
    /// Opt-outs per channel.
    pub opted_out: OptOuts,
    /// When they were added (UTC).
    pub created_at: DateTime<Utc>,
    /// When their details last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<client::Model> for ClientResponse {
    fn from(client: client::Model) -> Self {
        Self {
            id: client.id,
            name: client.name,
            email: client.email,
            phone: client.phone,
            whatsapp_opt_in: client.whatsapp_opt_in,
            preferred_channels: client.preferred_channels.to_vec(),
            timezone: client.timezone,
            external_ref: client.external_ref,
            opted_out: OptOuts {
                email: client.opted_out_email,
                sms: client.opted_out_sms,
                whatsapp: client.opted_out_whatsapp,
            },
            created_at: *client.created_at,
            updated_at: *client.updated_at,
        }
    }
}

/// A reminder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReminderResponse {
    /// The reminder's id.
    pub id: i64,
    /// What it is about, shown to staff and used as the e-mail subject when none is given.
    pub title: String,
    /// What it is about.
    pub kind: ReminderKind,
    /// The channels it is sent on, in order (each client gets those of them they accept).
    pub channels: Vec<Channel>,
    /// The e-mail subject as a template; `null` uses the title.
    pub subject: Option<String>,
    /// The message as a template (minijinja), rendered for each client.
    pub body: String,
    /// WhatsApp template.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// Schedule, normalised, with its zone.
    pub schedule: ScheduleSpec,
    /// Amount asked for.
    pub payment: Option<PaymentSpec>,
    /// The sender identities it sends from (one per channel at most); other channels use the
    /// business's default identity or account.
    pub sender_identity_ids: Vec<i64>,
    /// Documents it carries to every client.
    pub document_ids: Vec<i64>,
    /// E-mail attaches its documents too.
    pub attach_documents: bool,
    /// Where it stands.
    pub status: ReminderStatus,
    /// Assigned clients.
    pub client_ids: Vec<i64>,
    /// The next occurrence to be sent.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The last occurrence sent.
    pub last_run_at: Option<DateTime<Utc>>,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it was last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<ReminderWithClients> for ReminderResponse {
    fn from(value: ReminderWithClients) -> Self {
        let reminder = value.reminder;
        let payment = match (reminder.payment_amount, reminder.payment_currency) {
            (Some(amount), Some(currency)) => Some(PaymentSpec {
                amount,
                currency,
                description: reminder.payment_description,
            }),
            _ => None,
        };
        Self {
            id: reminder.id,
            title: reminder.title,
            kind: reminder.kind,
            channels: reminder.channels.to_vec(),
            subject: reminder.subject,
            body: reminder.body,
            whatsapp_template: reminder.whatsapp_template,
            schedule: reminder.schedule,
            payment,
            sender_identity_ids: reminder
                .sender_identity_ids
                .map(|senders| senders.ids())
                .unwrap_or_default(),
            document_ids: value.document_ids,
            attach_documents: reminder.attach_documents,
            status: reminder.status,
            client_ids: value.client_ids,
            next_run_at: reminder.next_run_at.map(Into::into),
            last_run_at: reminder.last_run_at.map(Into::into),
            created_at: *reminder.created_at,
            updated_at: *reminder.updated_at,
        }
    }
}

/// The next occurrences of a reminder.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OccurrencesResponse {
    /// The schedule's IANA zone.
    pub timezone: String,
    /// RFC 3339 instants with the zone's offset.
    pub items: Vec<String>,
}

/// One try at sending.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptResponse {
    /// When the try was made (UTC).
    pub at: DateTime<Utc>,
    /// What the try came to.
    pub outcome: AttemptOutcome,
    /// Provider's or our code.
    pub error_code: Option<String>,
    /// What the provider or the service said about the failure, for people.
    pub error_message: Option<String>,
    /// The provider's id, when accepted.
    pub provider_message_id: Option<String>,
}

impl From<notification_attempt::Model> for AttemptResponse {
    fn from(attempt: notification_attempt::Model) -> Self {
        Self {
            at: *attempt.attempted_at,
            outcome: attempt.outcome,
            error_code: attempt.error_code,
            error_message: attempt.error_message,
            provider_message_id: attempt.provider_message_id,
        }
    }
}

/// A notification; fetched by id it carries its attempts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationResponse {
    /// The notification's id.
    pub id: i64,
    /// Its reminder.
    pub reminder_id: i64,
    /// Its client.
    pub client_id: i64,
    /// The channel it goes on.
    pub channel: Channel,
    /// Where it stands.
    pub status: NotificationStatus,
    /// The occurrence it belongs to.
    pub occurrence_at: DateTime<Utc>,
    /// What made it.
    pub trigger: Trigger,
    /// Rendered subject (e-mail).
    pub subject: Option<String>,
    /// The rendered message text (e-mail: the plain-text part).
    pub body: String,
    /// Who sent it.
    pub provider: Option<String>,
    /// The provider's id.
    pub provider_message_id: Option<String>,
    /// Tries so far.
    pub attempt_count: i32,
    /// Why it failed or was skipped.
    pub error_code: Option<String>,
    /// What the provider or the service said about the failure, for people.
    pub error_message: Option<String>,
    /// When the next try is due (pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When a provider accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When someone at the firm marked it read in their inbox.
    pub inbox_read_at: Option<DateTime<Utc>>,
    /// When the client first opened a document it linked to.
    pub document_opened_at: Option<DateTime<Utc>>,
    /// E-mail: the documents it attaches.
    pub attachment_ids: Vec<i64>,
    /// When it was created (UTC), at its occurrence's planning or a send on demand.
    pub created_at: DateTime<Utc>,
    /// Tries (only when fetched by id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<Vec<AttemptResponse>>,
}

impl From<notification::Model> for NotificationResponse {
    fn from(row: notification::Model) -> Self {
        let attachment_ids = row.attachment_ids.map(|ids| ids.0).unwrap_or_default();
        Self {
            id: row.id,
            reminder_id: row.reminder_id,
            client_id: row.client_id,
            channel: row.channel,
            next_attempt_at: (row.status == NotificationStatus::Pending)
                .then_some(*row.next_attempt_at),
            status: row.status,
            occurrence_at: *row.occurrence_at,
            trigger: row.trigger,
            subject: row.subject,
            body: row.body,
            provider: row.provider,
            provider_message_id: row.provider_message_id,
            attempt_count: row.attempt_count,
            error_code: row.error_code,
            error_message: row.error_message,
            sent_at: row.sent_at.map(Into::into),
            delivered_at: row.delivered_at.map(Into::into),
            inbox_read_at: row.inbox_read_at.map(Into::into),
            document_opened_at: row.document_opened_at.map(Into::into),
            attachment_ids,
            created_at: *row.created_at,
            attempts: None,
        }
    }
}

/// `POST /reminders/{id}/send`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SendResponse {
    /// The notifications created (or, for a repeated `Idempotency-Key`, those of the first call).
    pub notifications: Vec<NotificationResponse>,
}
