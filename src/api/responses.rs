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
    /// This page's items, in the endpoint's order.
    #[schema(inline = false)]
    pub items: Vec<T>,
    /// Items matching the filters, over all pages.
    pub total: u64,
    /// The page size used: `limit` as asked, default 50.
    pub limit: u64,
    /// Items skipped before this page: `offset` as asked, default 0.
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
    /// The id of the business they belong to.
    pub business_id: i64,
    /// The address they sign in with, lowercased; unique across the service.
    pub email: String,
    /// Their name as shown to colleagues.
    pub full_name: String,
    /// What they may do: `member` (uses the product), `admin` (also manages staff and
    /// settings) or `owner` (also manages owners).
    pub role: Role,
    /// `false` when an owner or admin has disabled their sign-in.
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
    /// IANA time zone, e.g. `Europe/London`: schedules that name no zone, and clients without
    /// one of their own, use it.
    pub timezone: String,
    /// The channels a new reminder sends on when it names none, in order.
    pub default_channels: Vec<Channel>,
    /// The firm's e-mail address, `desk@firm.example` or with a name, `Firm Name
    /// <desk@firm.example>`: e-mails come from it when the SMTP account names no sender, and
    /// replies go to it; `null` when unset.
    pub email_from: Option<String>,
    /// ISO 3166 alpha-2 code (e.g. `GB`) for reading phone numbers written without a country
    /// code; `null` when unset (such numbers are then refused).
    pub default_country: Option<String>,
    /// Daily window, in each client's time zone, in which SMS and WhatsApp wait until it ends
    /// (e-mail is not held); `null` for none.
    pub quiet_hours: Option<QuietHoursSpec>,
    /// The approved WhatsApp template sent by reminders that name none; `null` for none (their
    /// WhatsApp messages then carry the body as free text).
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// Messages each channel may send per calendar month (UTC); `null` when nothing is capped.
    pub usage_caps: Option<UsageCaps>,
    /// The business's own provider accounts by name (`smtp`, `twilio`, `whatsapp`, `stripe`):
    /// whether each is configured, and its non-secret settings. A provider not configured
    /// uses the platform's account.
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
    /// The business's first user, with role `owner`.
    pub user: UserResponse,
    /// The new business, sending by `email` until its default channels are changed.
    pub business: BusinessResponse,
}

/// The channels a client has opted out of: nothing is sent to them there (notifications are
/// `skipped` with `opted_out`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptOuts {
    /// Unsubscribed from e-mail (by the link in an e-mail, or set by staff).
    pub email: bool,
    /// Opted out of SMS (replied STOP or the like, or set by staff).
    pub sms: bool,
    /// Opted out of WhatsApp (replied STOP or the like, or set by staff).
    pub whatsapp: bool,
}

/// A client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientResponse {
    /// The client's id.
    pub id: i64,
    /// Their name (`{{ client.name }}` in templates).
    pub name: String,
    /// E-mail address, lowercased; unique within the business; `null` when none (e-mails to
    /// them are skipped with `no_address`).
    pub email: Option<String>,
    /// Phone number in E.164 (`+442079460958`), for SMS and WhatsApp; `null` when none.
    pub phone: Option<String>,
    /// The client agreed to WhatsApp messages; without it WhatsApp is skipped
    /// (`no_whatsapp_opt_in`).
    pub whatsapp_opt_in: bool,
    /// The channels they prefer: a reminder reaches them on those of its channels they prefer,
    /// or on all of them when they prefer none. Empty: no preference.
    pub preferred_channels: Vec<Channel>,
    /// IANA time zone their dates and quiet hours are reckoned in; `null` uses the business's.
    pub timezone: Option<String>,
    /// The firm's own reference for them (e.g. a client number), unique within the business;
    /// `null` when none.
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
    /// Its category: `deadline`, `payment`, `document`, `appointment` or `custom`
    /// (`{{ reminder.kind }}` in templates).
    pub kind: ReminderKind,
    /// The channels it is sent on, in order; each client gets it on those they prefer, or on
    /// all of them when they prefer none.
    pub channels: Vec<Channel>,
    /// The e-mail subject as a template; `null` uses the title.
    pub subject: Option<String>,
    /// The message as a template (minijinja), rendered for each client.
    pub body: String,
    /// The approved WhatsApp template its WhatsApp messages use; `null` uses the business's,
    /// or the body as free text when it has none.
    pub whatsapp_template: Option<WhatsappTemplate>,
    /// When it goes, as stored: normalised, with its IANA zone always named.
    pub schedule: ScheduleSpec,
    /// The payment asked of each client (each gets their own payment link); `null` when it
    /// asks for none.
    pub payment: Option<PaymentSpec>,
    /// The sender identities it sends from (one per channel at most); other channels use the
    /// business's default identity or account.
    pub sender_identity_ids: Vec<i64>,
    /// Documents it links to for every client (clients' own documents are not listed here).
    pub document_ids: Vec<i64>,
    /// E-mails attach its documents as files too, up to `DOCUMENT_MAX_BYTES` in all per
    /// message (the rest stay links).
    pub attach_documents: bool,
    /// `active`, `paused`, `completed` (no occurrence left) or `cancelled`.
    pub status: ReminderStatus,
    /// Ids of the clients assigned to it.
    pub client_ids: Vec<i64>,
    /// When its next occurrence falls due (UTC); `null` when it has none (completed or
    /// cancelled).
    pub next_run_at: Option<DateTime<Utc>>,
    /// The last scheduled occurrence its notifications were made for (UTC); `null` before the
    /// first. Sends on demand do not count.
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
    /// The next occurrences, earliest first, as RFC 3339 date-times with the zone's offset
    /// (`2027-01-15T09:00:00+00:00`); empty for a completed or cancelled reminder.
    pub items: Vec<String>,
}

/// One try at sending.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptResponse {
    /// When the try was made (UTC).
    pub at: DateTime<Utc>,
    /// `sent`, `transient_error` (retried later), `permanent_error`, `lease_expired` (the node
    /// sending it stopped during the send, error code `outcome_unknown`: whether the provider
    /// took it is unknown, and it was sent again) or `undelivered` (accepted, then reported
    /// undeliverable).
    pub outcome: AttemptOutcome,
    /// The provider's error code (e.g. Twilio's `30003`) or the service's own; `null` when it
    /// was sent.
    pub error_code: Option<String>,
    /// What the provider or the service said about the failure, for people.
    pub error_message: Option<String>,
    /// The provider's id for the message when it accepted it; `null` otherwise.
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
    /// The reminder it was made from.
    pub reminder_id: i64,
    /// The client it is addressed to.
    pub client_id: i64,
    /// The channel it goes on.
    pub channel: Channel,
    /// `pending` → `sending` → `sent` → `delivered` → `read`; or `failed`, `skipped` (not
    /// sent on purpose) or `cancelled`. `error_code` says why for the last three.
    pub status: NotificationStatus,
    /// The occurrence it belongs to (UTC): when the schedule fell due, or the moment of a send
    /// on demand.
    pub occurrence_at: DateTime<Utc>,
    /// What made it: `schedule`, `manual` (sent on demand) or `imported`.
    pub trigger: Trigger,
    /// The rendered e-mail subject; `null` on SMS and WhatsApp.
    pub subject: Option<String>,
    /// The rendered message text (e-mail: the plain-text part).
    pub body: String,
    /// The provider that accepted it: `smtp`, `twilio`, `whatsapp`, or `console` (logged
    /// only, outside production); `null` until one has.
    #[schema(schema_with = super::openapi::notification_providers)]
    pub provider: Option<String>,
    /// The provider's id for it, which its delivery reports name; `null` until accepted.
    pub provider_message_id: Option<String>,
    /// Tries in this round; retry and resend start a new round at 0.
    pub attempt_count: i32,
    /// Why it failed, was skipped, waits or was cancelled, e.g. `opted_out`, `no_address`,
    /// `not_preferred`, `paid`, `quiet_hours`, `quota_exceeded`, `template_error`, `paused`,
    /// or the provider's code; `null` when nothing went wrong.
    pub error_code: Option<String>,
    /// What the provider or the service said about the failure, for people.
    pub error_message: Option<String>,
    /// When the next try is due (UTC) while it is `pending`; `null` in any other status.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the provider accepted it (UTC); `null` until then.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the provider reported it delivered (UTC); `null` without such a report.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When someone at the firm marked it read in their inbox (UTC); `null` while unread.
    pub inbox_read_at: Option<DateTime<Utc>>,
    /// When the client first opened a document it linked to (UTC); `null` until then.
    pub document_opened_at: Option<DateTime<Utc>>,
    /// Ids of the documents the e-mail attaches; empty on other channels, or when none.
    pub attachment_ids: Vec<i64>,
    /// When it was created (UTC), at its occurrence's planning or a send on demand.
    pub created_at: DateTime<Utc>,
    /// Every try, oldest first; only when fetched by id (absent from lists).
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
