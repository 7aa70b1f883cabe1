//! Rendering a reminder's message for each client: the template context, the subject, body and
//! WhatsApp template for every channel the client gets it on, or the reason it cannot go.
//! (The outbox itself is the `notifications` table; `services::occurrences` decides when.)

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::Set;
use serde::Serialize;

use super::documents::ClientDocuments;
use super::unsubscribe::Links;
use crate::domain::quiet_hours::{QuietHours, QuietHoursSpec};
use crate::domain::schedule::Schedule;
use crate::domain::{
    Channel, ChannelSet, ClientId, DocumentIds, Money, NotificationStatus, PaymentStatus,
    ReminderKind, Trigger, WhatsappTemplate, template,
};
use crate::entities::{business, client, notification, payment, reminder};

/// What a template can use.
#[derive(Debug, Serialize)]
pub struct MessageContext {
    /// `client.name`, `client.email`, `client.phone`, `client.external_ref`.
    pub client: ClientView,
    /// `business.name`, `business.email_from`, `business.timezone`.
    pub business: BusinessView,
    /// `reminder.title`, `reminder.kind` (`deadline`, `payment`, `document`, `appointment`,
    /// `custom`).
    pub reminder: ReminderView,
    /// The due date (before-due schedules) or the occurrence's date, e.g. `15 January 2027`,
    /// in the client's zone.
    pub due_date: String,
    /// The same as `2027-01-15`.
    pub due_date_iso: String,
    /// The amount due, e.g. `£125.00`; empty without a payment.
    pub amount: String,
    /// The link to pay; empty without a payment.
    pub payment_link: String,
    /// The client's one-click unsubscribe link for e-mail.
    pub unsubscribe_link: String,
    /// The link to the first document the message carries (the client's own first); empty
    /// without one.
    pub document_link: String,
    /// Every document the message carries: `name` and `link`.
    pub documents: Vec<DocumentView>,
}

/// A document a template can list.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    /// The document's file name, e.g. `invoice.pdf`.
    pub name: String,
    /// The link that opens it without signing in.
    pub link: String,
}

/// Client fields a template sees.
#[derive(Debug, Serialize)]
pub struct ClientView {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub external_ref: String,
}

/// Business fields a template sees.
#[derive(Debug, Serialize)]
pub struct BusinessView {
    pub name: String,
    pub email_from: String,
    pub timezone: String,
}

/// Reminder fields a template sees.
#[derive(Debug, Serialize)]
pub struct ReminderView {
    pub title: String,
    pub kind: ReminderKind,
}

impl MessageContext {
    /// A context with sample values, to check templates when a reminder is written.
    pub fn sample() -> Self {
        Self {
            client: ClientView {
                name: "Sample Client".into(),
                email: "client@example.com".into(),
                phone: "+442079460958".into(),
                external_ref: "REF-1".into(),
            },
            business: BusinessView {
                name: "Sample Business".into(),
                email_from: "office@example.com".into(),
                timezone: "Europe/London".into(),
            },
            reminder: ReminderView {
                title: "Sample reminder".into(),
                kind: ReminderKind::Deadline,
            },
            due_date: "15 January 2027".into(),
            due_date_iso: "2027-01-15".into(),
            amount: "£125.00".into(),
            payment_link: "https://example.com/pay/sample".into(),
            unsubscribe_link: "https://example.com/unsubscribe/sample".into(),
            document_link: "https://example.com/d/sample".into(),
            documents: vec![DocumentView {
                name: "invoice.pdf".into(),
                link: "https://example.com/d/sample".into(),
            }],
        }
    }
}

impl MessageContext {
    /// The documents the message carries: listed, and the first one's link as
    /// `document_link`.
    fn carry(&mut self, documents: Vec<DocumentView>) {
        self.document_link = documents
            .first()
            .map(|d| d.link.clone())
            .unwrap_or_default();
        self.documents = documents;
    }
}

/// The zone a client's dates are shown in: theirs, else the business's.
fn client_zone(client: &client::Model, business: &business::Model) -> Tz {
    client
        .timezone
        .as_deref()
        .or(Some(business.timezone.as_str()))
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// The business's sender address for templates (`{{ business.email_from }}`): the address only,
/// whether or not the setting carries a name. Read once per occurrence, not per client.
fn sender_address(business: &business::Model) -> String {
    super::accounts::business_mailbox(business)
        .map(|mailbox| mailbox.address().to_string())
        .unwrap_or_default()
}

fn context(
    business: &business::Model,
    email_from: &str,
    reminder: &reminder::Model,
    client: &client::Model,
    due: DateTime<Utc>,
    links: &Links,
) -> MessageContext {
    let local = due.with_timezone(&client_zone(client, business));
    let amount = match (reminder.payment_amount, &reminder.payment_currency) {
        (Some(amount), Some(currency)) => Money::new(amount, currency)
            .map(|m| m.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    MessageContext {
        client: ClientView {
            name: client.name.clone(),
            email: client.email.clone().unwrap_or_default(),
            phone: client.phone.clone().unwrap_or_default(),
            external_ref: client.external_ref.clone().unwrap_or_default(),
        },
        business: BusinessView {
            name: business.name.clone(),
            email_from: email_from.to_owned(),
            timezone: business.timezone.clone(),
        },
        reminder: ReminderView {
            title: reminder.title.clone(),
            kind: reminder.kind,
        },
        due_date: local.format("%-d %B %Y").to_string(),
        due_date_iso: local.format("%Y-%m-%d").to_string(),
        amount,
        payment_link: String::new(),
        unsubscribe_link: links.unsubscribe(ClientId(client.id), Channel::Email),
        document_link: String::new(),
        documents: Vec::new(),
    }
}

/// A WhatsApp template with its parameters (templates themselves) rendered for one client.
fn render_whatsapp_template(
    spec: &WhatsappTemplate,
    context: &MessageContext,
) -> Result<WhatsappTemplate, String> {
    let parameters = spec
        .parameters
        .iter()
        .map(|parameter| template::render(parameter, context))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(WhatsappTemplate {
        name: spec.name.clone(),
        language: spec.language.clone(),
        parameters,
    })
}

/// Why a client cannot get a message on a channel now (`no_address`, `opted_out`,
/// `no_whatsapp_opt_in`), or `None` when they can.
pub fn skip_reason(client: &client::Model, channel: Channel) -> Option<&'static str> {
    match channel {
        Channel::Email if client.email.is_none() => Some("no_address"),
        Channel::Email if client.opted_out_email => Some("opted_out"),
        Channel::Sms if client.phone.is_none() => Some("no_address"),
        Channel::Sms if client.opted_out_sms => Some("opted_out"),
        Channel::Whatsapp if client.phone.is_none() => Some("no_address"),
        Channel::Whatsapp if client.opted_out_whatsapp => Some("opted_out"),
        Channel::Whatsapp if !client.whatsapp_opt_in => Some("no_whatsapp_opt_in"),
        _ => None,
    }
}

/// True when the client has since opted out of the channel (checked again just before sending,
/// so a STOP is honoured at once).
pub fn opted_out_now(client: &client::Model, channel: Channel) -> bool {
    skip_reason(client, channel).is_some()
}

/// The channels of a reminder a client gets it on: those they prefer, when they prefer any of
/// them; otherwise all of the reminder's.
fn channels_for(
    reminder_channels: &ChannelSet,
    client: &client::Model,
) -> Vec<(Channel, Option<&'static str>)> {
    let preferred = &client.preferred_channels;
    let wanted: Vec<Channel> = reminder_channels.iter().collect();
    let chosen: Vec<Channel> = wanted
        .iter()
        .copied()
        .filter(|c| preferred.contains(*c))
        .collect();
    wanted
        .into_iter()
        .map(|channel| {
            let not_preferred = !chosen.is_empty() && !chosen.contains(&channel);
            (
                channel,
                if not_preferred {
                    Some("not_preferred")
                } else {
                    None
                },
            )
        })
        .collect()
}

/// One client's message on one channel: the e-mail subject, the body, and the WhatsApp
/// template with its parameters filled in.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The subject (e-mail only).
    pub subject: Option<String>,
    /// The text.
    pub body: String,
    /// The approved WhatsApp template sent instead of the body (WhatsApp only).
    pub whatsapp_template: Option<WhatsappTemplate>,
}

/// Renders the reminder's templates for one channel with `context`; the error names what
/// failed to render.
fn render(
    reminder: &reminder::Model,
    whatsapp_template: Option<&WhatsappTemplate>,
    channel: Channel,
    context: &MessageContext,
) -> Result<Rendered, String> {
    let subject = match channel {
        Channel::Email => Some(match reminder.subject.as_deref() {
            Some(source) => template::render(source, context)?,
            None => reminder.title.clone(),
        }),
        _ => None,
    };
    let whatsapp_template = match channel {
        Channel::Whatsapp => whatsapp_template
            .map(|spec| render_whatsapp_template(spec, context))
            .transpose()?,
        _ => None,
    };
    Ok(Rendered {
        subject,
        body: template::render(&reminder.body, context)?,
        whatsapp_template,
    })
}

/// One occurrence being turned into notifications.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence {
    /// The instant the occurrence stands for (the notifications' `occurrence_at`).
    pub at: DateTime<Utc>,
    /// What made it: the schedule or a send on demand.
    pub trigger: Trigger,
    /// Now: when the notifications are written, and the earliest they may go.
    pub now: DateTime<Utc>,
}

/// The notifications of one occurrence: one per client and channel, pending, skipped with the
/// reason, or failed with the template error.
/// `payments` holds the reminder's payment of each client (by client id), when it asks for one;
/// `documents` what it carries to each client (by client id).
pub fn build(
    business: &business::Model,
    reminder: &reminder::Model,
    clients: &[client::Model],
    payments: &HashMap<i64, payment::Model>,
    documents: &HashMap<i64, ClientDocuments>,
    occurrence: Occurrence,
    links: &Links,
) -> Vec<notification::ActiveModel> {
    let Occurrence {
        at: occurrence_at,
        trigger,
        now,
    } = occurrence;
    let channels = &reminder.channels;
    // A before-due schedule's messages speak of the due time; others of the occurrence.
    let due = Schedule::parse(&reminder.schedule, chrono_tz::UTC)
        .ok()
        .and_then(|schedule| schedule.due_at())
        .unwrap_or(occurrence_at);
    let quiet = business
        .quiet_hours_start
        .clone()
        .zip(business.quiet_hours_end.clone())
        .and_then(|(start, end)| QuietHours::parse(&QuietHoursSpec { start, end }).ok());
    // The reminder's WhatsApp template, else the business's default.
    let whatsapp_template = reminder
        .whatsapp_template
        .as_ref()
        .or(business.whatsapp_template.as_ref());
    let senders = reminder.sender_identity_ids.clone().unwrap_or_default();
    let email_from = sender_address(business);
    let mut rows = Vec::with_capacity(clients.len() * 2);
    for client in clients {
        let zone = client_zone(client, business);
        let mut context = context(business, &email_from, reminder, client, due, links);
        let payment = payments.get(&client.id);
        for (channel, not_preferred) in channels_for(channels, client) {
            // A client who paid hears no more about it; a refund makes them due again.
            let paid = payment
                .is_some_and(|p| p.status == PaymentStatus::Paid)
                .then_some("paid");
            let skip = paid
                .or(not_preferred)
                .or_else(|| skip_reason(client, channel));
            context.payment_link = payment
                .map(|p| links.pay(p.id, channel, occurrence_at))
                .unwrap_or_default();
            let carried = documents.get(&client.id);
            context.carry(
                carried
                    .map(|c| c.documents.as_slice())
                    .unwrap_or_default()
                    .iter()
                    .map(|d| DocumentView {
                        name: d.name.clone(),
                        link: links.document(d.link_id, reminder.id, channel, occurrence_at),
                    })
                    .collect(),
            );
            let attachment_ids = match (channel, carried) {
                (Channel::Email, Some(c)) if !c.attach.is_empty() => {
                    Some(DocumentIds(c.attach.clone()))
                }
                _ => None,
            };
            let rendered = render(reminder, whatsapp_template, channel, &context);
            let recipient = match channel {
                Channel::Email => client.email.clone(),
                Channel::Sms | Channel::Whatsapp => client.phone.clone(),
            };
            // SMS and WhatsApp falling in the business's quiet hours (client's time) wait.
            let held_until = match channel {
                Channel::Sms | Channel::Whatsapp => quiet.and_then(|q| q.release(now, zone)),
                Channel::Email => None,
            };
            let (status, error_code, error_message, subject, body, whatsapp_template) =
                match (skip, rendered) {
                    (Some(reason), Ok(message)) => (
                        NotificationStatus::Skipped,
                        Some(reason.to_owned()),
                        None,
                        message.subject,
                        message.body,
                        message.whatsapp_template,
                    ),
                    (None, Ok(message)) => (
                        NotificationStatus::Pending,
                        held_until.map(|_| "quiet_hours".to_owned()),
                        None,
                        message.subject,
                        message.body,
                        message.whatsapp_template,
                    ),
                    (_, Err(error)) => (
                        NotificationStatus::Failed,
                        Some("template_error".to_owned()),
                        Some(error),
                        None,
                        String::new(),
                        None,
                    ),
                };
            rows.push(notification::ActiveModel {
                business_id: Set(business.id),
                reminder_id: Set(reminder.id),
                client_id: Set(client.id),
                channel: Set(channel),
                occurrence_at: Set(occurrence_at.into()),
                trigger: Set(trigger),
                status: Set(status),
                recipient: Set(recipient),
                subject: Set(subject),
                body: Set(body),
                provider: Set(None),
                provider_message_id: Set(None),
                attempt_count: Set(0),
                next_attempt_at: Set(held_until.unwrap_or(now).into()),
                lease_until: Set(None),
                claim_token: Set(None),
                error_code: Set(error_code),
                error_message: Set(error_message),
                sent_at: Set(None),
                delivered_at: Set(None),
                read_at: Set(None),
                whatsapp_template: Set(whatsapp_template),
                sender_identity_id: Set(senders.get(channel)),
                attachment_ids: Set(attachment_ids),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
                ..Default::default()
            });
        }
    }
    rows
}

/// Counts new notifications by channel and status (`pending`, `skipped`, `failed`).
pub fn record_created(rows: &[notification::ActiveModel]) {
    for row in rows {
        if let (sea_orm::ActiveValue::Set(channel), sea_orm::ActiveValue::Set(status)) =
            (&row.channel, &row.status)
        {
            metrics::counter!("notifications_created_total", "channel" => channel.as_str(), "status" => status.as_str())
                .increment(1);
        }
    }
}

/// A message as one client would get it on one channel, shown before anything is sent.
#[derive(Debug, Clone)]
pub struct PreviewMessage {
    /// The channel.
    pub channel: Channel,
    /// Why the client would not get it on this channel (`opted_out`, `no_address` …).
    pub skip_reason: Option<&'static str>,
    /// The message, or what keeps its templates from rendering.
    pub rendered: Result<Rendered, String>,
}

/// The links a previewed message carries, as it shows them.
#[derive(Debug, Clone)]
pub struct PreviewLinks {
    /// The payment link, when the reminder asks for a payment: an example, since the real one
    /// is made for each message when it is written.
    pub payment: Option<String>,
    /// The documents it carries, each with an example link for the same reason.
    pub documents: Vec<DocumentView>,
    /// The client's one-click unsubscribe link for e-mail.
    pub unsubscribe: String,
}

/// The messages `reminder` would send `client` for an occurrence due at `due`, carrying the
/// documents named in `documents`, and the links they carry. A payment or document link is made
/// for each message when it is written, so the preview shows an example link in its place.
pub fn preview(
    business: &business::Model,
    reminder: &reminder::Model,
    client: &client::Model,
    due: DateTime<Utc>,
    documents: &[String],
    links: &Links,
) -> (Vec<PreviewMessage>, PreviewLinks) {
    let mut context = context(
        business,
        &sender_address(business),
        reminder,
        client,
        due,
        links,
    );
    if reminder.payment_amount.is_some() {
        context.payment_link = links.example("pay");
    }
    context.carry(
        documents
            .iter()
            .map(|name| DocumentView {
                name: name.clone(),
                link: links.example("d"),
            })
            .collect(),
    );
    let whatsapp_template = reminder
        .whatsapp_template
        .as_ref()
        .or(business.whatsapp_template.as_ref());
    let messages = channels_for(&reminder.channels, client)
        .into_iter()
        .map(|(channel, not_preferred)| PreviewMessage {
            channel,
            skip_reason: not_preferred.or_else(|| skip_reason(client, channel)),
            rendered: render(reminder, whatsapp_template, channel, &context),
        })
        .collect();
    let carried = PreviewLinks {
        payment: Some(context.payment_link).filter(|link| !link.is_empty()),
        documents: context.documents,
        unsubscribe: context.unsubscribe_link,
    };
    (messages, carried)
}
