//! The original's e-mail configurations (its users' own SMTP servers, on later releases). One per
//! user becomes the business's SMTP account, its password opened with the original's key and
//! sealed again under ours as `PATCH /business` seals it; every configuration's `email_from`
//! becomes an unverified e-mail sender identity (an identity already imported with that address
//! is kept instead).
//!
//! A user with several: the account is the active one most of the user's reminders name
//! (`email_configuration_id`), the most recently changed of those on a tie; the others bring only
//! their address, each counted under why.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::sender_identities::{ImportedIdentity, Unverified, insert_unverified};
use super::shared::owner_of;
use super::source::{EmailConfiguration, Source};
use super::{Opened, Options, Report};
use crate::domain::{BusinessId, Channel, Mailbox, Validation};
use crate::services::providers::{self, ProvidersPatch, SmtpProvider};

/// How the original connected to every SMTP server: TLS from the first byte (`aiosmtplib` with
/// `use_tls=True`), whatever the port.
const ORIGINAL_TLS: &str = "tls";

/// What became of a configuration's SMTP server.
enum SmtpOutcome {
    /// It is the business's SMTP account now.
    Account,
    /// Another configuration of the user is (the reason says why this one is not).
    NotChosen(&'static str),
    /// Chosen, but it cannot be used (the reason says why).
    Unusable(&'static str),
}

/// The configuration each user's SMTP account comes from: by user, the chosen configuration's id.
fn chosen(source: &Source) -> HashMap<i64, i64> {
    let mut uses: HashMap<(i64, i64), usize> = HashMap::new();
    for reminder in &source.reminders {
        if let (Some(user), Some(config)) = (reminder.user_id, reminder.email_configuration_id) {
            *uses.entry((user, config)).or_default() += 1;
        }
    }
    let mut best: HashMap<i64, &EmailConfiguration> = HashMap::new();
    let rank = |config: &EmailConfiguration, user: i64| {
        (
            uses.get(&(user, config.id)).copied().unwrap_or_default(),
            config.changed_at,
            config.id,
        )
    };
    for config in source.email_configurations.iter().filter(|c| c.is_active) {
        let Some(user) = config.user_id else {
            continue;
        };
        let better = best
            .get(&user)
            .is_none_or(|current| rank(config, user) > rank(current, user));
        if better {
            best.insert(user, config);
        }
    }
    best.into_iter()
        .map(|(user, config)| (user, config.id))
        .collect()
}

/// Makes `config` the business's SMTP account, unless it cannot be used.
async fn set_smtp_account(
    txn: &impl sea_orm::ConnectionTrait,
    options: &Options,
    business: BusinessId,
    config: &EmailConfiguration,
    from: Option<&Mailbox>,
) -> anyhow::Result<SmtpOutcome> {
    let password = match config
        .smtp_password
        .as_ref()
        .map(|stored| options.open(stored.expose_secret()))
    {
        Some(Opened::Plain(password) | Opened::Unsealed(password)) => SecretString::from(password),
        Some(Opened::Unreadable) => return Ok(SmtpOutcome::Unusable("sealed_password_unreadable")),
        Some(Opened::Skipped) => return Ok(SmtpOutcome::Unusable("sealed_password_skipped")),
        None => return Ok(SmtpOutcome::Unusable("smtp_settings_incomplete")),
    };
    let (Some(host), Some(username)) = (&config.smtp_host, &config.smtp_user) else {
        // The original refused to send without them too.
        return Ok(SmtpOutcome::Unusable("smtp_settings_incomplete"));
    };
    let Some(port) = config.smtp_port.and_then(|port| u16::try_from(port).ok()) else {
        return Ok(SmtpOutcome::Unusable("smtp_settings_invalid"));
    };
    let patch = ProvidersPatch {
        smtp: Some(Some(SmtpProvider {
            host: Some(host.clone()),
            port: Some(port),
            username: Some(username.clone()),
            tls: Some(ORIGINAL_TLS.to_owned()),
            from_email: from.map(ToString::to_string),
            password: Some(password.expose_secret().to_owned()),
            rate_per_second: None,
        })),
        ..ProvidersPatch::default()
    };
    let mut validation = Validation::new();
    // Private hosts allowed here: the operator runs the import, and each send checks where the
    // host points anyway (public only unless ALLOW_PRIVATE_PROVIDER_HOSTS); looking names up now
    // would tie the import to the DNS of the day.
    let planned = providers::plan(
        txn,
        &options.secrets,
        business,
        &patch,
        true,
        &mut validation,
    )
    .await?;
    if validation.finish().is_err() {
        return Ok(SmtpOutcome::Unusable("smtp_settings_invalid"));
    }
    providers::write(txn, business, planned).await?;
    Ok(SmtpOutcome::Account)
}

/// Imports the configurations; returns, by configuration id, the identity its `email_from`
/// became or was found as.
pub(super) async fn import_email_configurations(
    txn: &impl sea_orm::ConnectionTrait,
    source: &Source,
    options: &Options,
    owners: &HashMap<i64, i64>,
    identities: &HashMap<i64, ImportedIdentity>,
    report: &mut Report,
    now: DateTime<Utc>,
) -> anyhow::Result<HashMap<i64, ImportedIdentity>> {
    let chosen = chosen(source);
    let table = &mut report.email_configurations;
    let mut by_address: HashMap<(i64, String), i64> = identities
        .values()
        .filter(|identity| identity.channel == Channel::Email)
        .map(|identity| ((identity.business, identity.address.clone()), identity.id))
        .collect();
    let mut imported = HashMap::new();
    for config in &source.email_configurations {
        let Some(business) = owner_of(config.user_id, owners, table) else {
            continue;
        };
        let from = config
            .email_from
            .as_deref()
            .and_then(|from| Mailbox::parse(from).ok());
        let outcome = if config.user_id.and_then(|user| chosen.get(&user)) == Some(&config.id) {
            set_smtp_account(txn, options, BusinessId(business), config, from.as_ref()).await?
        } else if config.is_active {
            SmtpOutcome::NotChosen("another_configuration_chosen")
        } else {
            SmtpOutcome::NotChosen("inactive_in_the_original")
        };
        match outcome {
            SmtpOutcome::Account => report.smtp_accounts_created += 1,
            SmtpOutcome::NotChosen(reason) | SmtpOutcome::Unusable(reason) if from.is_some() => {
                table.change(reason);
            }
            // Nothing of it can arrive: skipped under why its server is not used.
            SmtpOutcome::NotChosen(_) => {
                table.skip("invalid_email_from");
                continue;
            }
            SmtpOutcome::Unusable(reason) => {
                table.skip(reason);
                continue;
            }
        }
        let Some(from) = from else {
            table.change("invalid_email_from_dropped");
            table.imported += 1;
            continue;
        };
        let address = from.address().as_str().to_owned();
        let identity = match by_address.get(&(business, address.clone())) {
            Some(&id) => {
                table.change("sender_identity_already_present");
                id
            }
            None => {
                let identity = Unverified {
                    business,
                    channel: Channel::Email,
                    address: address.clone(),
                    display_name: from.name(),
                    is_default: false,
                };
                let saved = insert_unverified(txn, identity, now).await?;
                by_address.insert((business, address.clone()), saved.id);
                table.change("to_verify");
                saved.id
            }
        };
        imported.insert(
            config.id,
            ImportedIdentity {
                id: identity,
                business,
                channel: Channel::Email,
                address,
            },
        );
        table.imported += 1;
    }
    Ok(imported)
}
