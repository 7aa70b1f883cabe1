//! Sender identities of the original: e-mail addresses and phone numbers, imported unverified
//! (each must confirm a code here); WhatsApp ones are left for the firm to add with their Cloud
//! API id, which the original never stored.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::Set;

use super::shared::{owner_of, truncated};
use super::source::Source;
use super::{Opened, Options, Report};
use crate::domain::{Channel, Email, PhoneE164};
use crate::entities::{Timestamp, sender_identity};
use crate::repositories::sender_identities;

/// An imported sender identity, for the reminders that name it.
pub(super) struct ImportedIdentity {
    pub(super) id: i64,
    pub(super) business: i64,
    pub(super) channel: Channel,
    /// As stored: an e-mail address lowercased, a number in E.164.
    pub(super) address: String,
}

/// An identity to add, unverified: the firm proves it here with a code, whatever the original
/// recorded.
pub(super) struct Unverified<'a> {
    pub(super) business: i64,
    pub(super) channel: Channel,
    pub(super) address: String,
    pub(super) display_name: Option<&'a str>,
    pub(super) is_default: bool,
}

/// Adds an identity that must confirm a code before it sends.
pub(super) async fn insert_unverified(
    txn: &impl sea_orm::ConnectionTrait,
    identity: Unverified<'_>,
    now: DateTime<Utc>,
) -> Result<ImportedIdentity, sea_orm::DbErr> {
    let saved = sender_identities::insert(
        txn,
        sender_identity::ActiveModel {
            business_id: Set(identity.business),
            channel: Set(identity.channel),
            address: Set(identity.address.clone()),
            display_name: Set(identity.display_name.map(|name| truncated(name, 200))),
            phone_number_id: Set(None),
            is_default: Set(identity.is_default),
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
    Ok(ImportedIdentity {
        id: saved.id,
        business: identity.business,
        channel: identity.channel,
        address: identity.address,
    })
}

/// Imported identities by original id.
pub(super) async fn import_identities(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
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
        // Set when the row was already counted as skipped for its sealed phone.
        let mut skip_counted = false;
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
                .map(|stored| options.open(stored))
                .and_then(|opened| match opened {
                    Opened::Plain(text) | Opened::Unsealed(text) => {
                        PhoneE164::parse(&text, options.country).ok()
                    }
                    Opened::Unreadable => {
                        table.skip("sealed_phone_unreadable");
                        skip_counted = true;
                        None
                    }
                    Opened::Skipped => {
                        table.skip("sealed_phone_skipped");
                        skip_counted = true;
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
            if !skip_counted {
                table.skip("invalid_address");
            }
            continue;
        };
        if !seen.insert((business, channel, address.clone())) {
            table.skip("duplicate");
            continue;
        }
        let is_default = original.is_default && defaults.insert((business, channel));
        let identity = Unverified {
            business,
            channel,
            address,
            display_name: original.display_name.as_deref(),
            is_default,
        };
        imported.insert(original.id, insert_unverified(txn, identity, now).await?);
        table.change("to_verify");
        table.imported += 1;
    }
    Ok(imported)
}
