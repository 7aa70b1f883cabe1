//! Clients of the original, each under the business of its user: addresses checked (a bad one
//! dropped, an e-mail shared within a business kept by the first), sealed phone numbers opened.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::Set;

use super::shared::{owner_of, truncated};
use super::source::Source;
use super::{Opened, Options, Report, TableReport};
use crate::domain::{BusinessId, Channel, ChannelSet, Email, PhoneE164};
use crate::entities::Timestamp;
use crate::repositories::clients;

/// What an imported client is reachable at.
pub(super) struct ImportedClient {
    pub(super) id: i64,
    pub(super) business: i64,
    pub(super) email: Option<String>,
    pub(super) phone: Option<String>,
}

pub(super) async fn import_clients(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedClient>> {
    let table = &mut report.clients;
    let mut imported = HashMap::new();
    let mut emails_taken: HashSet<(i64, String)> = HashSet::new();
    let phone = |stored: Option<&str>, table: &mut TableReport| -> Option<String> {
        let opened = match options.open(stored?) {
            Opened::Plain(text) | Opened::Unsealed(text) => text,
            Opened::Unreadable => {
                table.change("sealed_phone_unreadable");
                return None;
            }
            Opened::Skipped => {
                table.change("sealed_phone_skipped");
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
        let secondary_phone = phone(original.secondary_phone.as_deref(), table);
        let mut row = crate::services::clients::blank_row(BusinessId(business));
        row.name = Set(truncated(
            original
                .name
                .as_deref()
                .unwrap_or(&format!("Client {}", original.id)),
            200,
        ));
        row.email = Set(email.clone());
        // A client here has one number: the main one, else the second, else the WhatsApp one.
        let reachable_phone = main_phone
            .clone()
            .or_else(|| secondary_phone.clone())
            .or_else(|| whatsapp_phone.clone());
        if secondary_phone.is_some() && secondary_phone != reachable_phone {
            table.change("secondary_phone_not_kept");
        }
        row.phone = Set(reachable_phone.clone());
        row.preferred_channels = Set(preferred_channels(original.preferred_contact.as_deref()));
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

/// The original's `preferred_contact_method` (`EMAIL`, `SMS` or `WHATSAPP`) as this service's
/// preferred channels: the one it names, or none (all of a reminder's channels) when it names
/// none we know.
fn preferred_channels(method: Option<&str>) -> ChannelSet {
    let channel =
        method.and_then(|method| Channel::parse(&method.trim().to_ascii_lowercase()).ok());
    ChannelSet::from(channel.into_iter().collect::<Vec<_>>())
}
