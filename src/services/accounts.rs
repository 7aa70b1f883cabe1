//! Which provider account sends for a business: its own (set with `PATCH /business`, secrets
//! opened from their sealed form) or else the platform's (settings). Without either,
//! development and testing use the console; production refuses such reminders up front.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Map, Value};

use super::providers::context;
use super::usage::UsageCaps;
use crate::channels::Sender;
use crate::channels::accounts::{
    Account, Route, SmtpAccount, SmtpTls, TwilioAccount, WhatsappAccount,
};
use crate::config::{Environment, Settings};
use crate::domain::{BusinessId, Channel, Mailbox, Provider};
use crate::entities::{business, provider_credential};
use crate::repositories::{businesses, provider_credentials, sender_identities};
use crate::security::crypto::SecretBox;

/// The routes of one business, per channel, and what messages need to know about it.
#[derive(Debug, Clone)]
pub struct BusinessRoutes {
    /// Shown as the e-mail sender's name.
    pub name: String,
    /// The business's own address, for `Reply-To`.
    pub email_from: Option<String>,
    /// Monthly caps per channel.
    pub usage_caps: UsageCaps,
    pub email: Route,
    pub sms: Route,
    pub whatsapp: Route,
    /// The business's verified sender identities.
    pub senders: Vec<Sender>,
}

impl BusinessRoutes {
    /// The route of a channel.
    pub fn route(&self, channel: Channel) -> &Route {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
            Channel::Whatsapp => &self.whatsapp,
        }
    }

    /// Who a message on `channel` goes out as: the identity its reminder named while that is
    /// still verified, else the business's default on the channel, else the account's sender.
    pub fn sender(&self, channel: Channel, named: Option<i64>) -> Option<Sender> {
        let on_channel = || self.senders.iter().filter(|s| s.channel == channel);
        named
            .and_then(|id| on_channel().find(|s| s.identity_id == id))
            .or_else(|| on_channel().find(|s| s.is_default))
            .cloned()
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn rate(map: &Map<String, Value>, default: f64) -> f64 {
    map.get("rate_per_second")
        .and_then(Value::as_f64)
        .filter(|rate| *rate > 0.0)
        .unwrap_or(default)
}

/// A business's stored account, from its settings and opened secrets.
fn from_stored(
    provider: Provider,
    settings: &Map<String, Value>,
    secrets: &Map<String, Value>,
    platform: &Settings,
) -> Option<Account> {
    let secret = |key: &str| text(secrets, key).map(SecretString::from);
    let rates = &platform.providers;
    match provider {
        Provider::Smtp => {
            let tls = text(settings, "tls")
                .and_then(|tls| SmtpTls::parse(&tls).ok())
                .unwrap_or(SmtpTls::StartTls);
            Some(Account::Smtp(SmtpAccount {
                host: text(settings, "host")?,
                port: settings
                    .get("port")
                    .and_then(Value::as_u64)
                    .and_then(|port| u16::try_from(port).ok())
                    .unwrap_or_else(|| tls.default_port()),
                tls,
                username: text(settings, "username"),
                password: secret("password"),
                from_email: text(settings, "from_email")
                    .and_then(|from| Mailbox::parse(&from).ok()),
                rate_per_second: rate(settings, rates.smtp_rate_per_second),
                public_only: !platform.allow_private_provider_hosts,
            }))
        }
        Provider::Twilio => Some(Account::Twilio(TwilioAccount {
            account_sid: text(settings, "account_sid")?,
            auth_token: secret("auth_token")?,
            from_number: text(settings, "from_number"),
            messaging_service_sid: text(settings, "messaging_service_sid"),
            rate_per_second: rate(settings, rates.twilio_rate_per_second),
        })),
        Provider::Whatsapp => Some(Account::Whatsapp(WhatsappAccount {
            phone_number_id: text(settings, "phone_number_id")?,
            access_token: secret("access_token")?,
            app_secret: secret("app_secret"),
            rate_per_second: rate(settings, rates.whatsapp_rate_per_second),
        })),
        // Stripe carries payments, not messages.
        Provider::Stripe => None,
    }
}

/// The business's own sender (`email_from`, stored in mailbox form), the `From` of an SMTP
/// account that names none.
pub fn business_mailbox(business: &business::Model) -> Option<Mailbox> {
    business
        .email_from
        .as_deref()
        .and_then(|from| Mailbox::parse(from).ok())
}

/// The secrets of a stored provider row, opened.
pub fn open_secrets(
    row: &provider_credential::Model,
    secrets: &SecretBox,
) -> Result<Map<String, Value>, crate::security::crypto::CryptoError> {
    let opened = secrets.open(
        &row.secret,
        &context(BusinessId(row.business_id), row.provider),
    )?;
    Ok(serde_json::from_slice(&opened).unwrap_or_default())
}

/// Opens a stored provider row.
pub fn open_stored(
    row: &provider_credential::Model,
    secrets: &SecretBox,
    settings: &Settings,
) -> Result<Option<Account>, crate::security::crypto::CryptoError> {
    let secret_map = open_secrets(row, secrets)?;
    Ok(from_stored(
        row.provider,
        &row.settings.0,
        &secret_map,
        settings,
    ))
}

/// The platform's account for a channel, if the settings have one.
pub fn platform(settings: &Settings, channel: Channel) -> Option<Account> {
    let providers = &settings.providers;
    match channel {
        Channel::Email => providers.smtp.clone().map(Account::Smtp),
        Channel::Sms => providers.twilio.clone().map(Account::Twilio),
        Channel::Whatsapp => providers.whatsapp.clone().map(Account::Whatsapp),
    }
}

/// The route of one channel given the business's stored rows.
fn route_for(
    channel: Channel,
    business: &business::Model,
    stored: &[provider_credential::Model],
    secrets: &SecretBox,
    settings: &Settings,
) -> Route {
    let provider = Provider::of_channel(channel);
    let own = stored.iter().find(|row| row.provider == provider);
    let account = match own.map(|row| open_stored(row, secrets, settings)) {
        Some(Err(_)) => {
            return Route::Unavailable {
                code: "credentials_unreadable",
                message: format!(
                    "the {provider} credentials of this business cannot be opened with the current ENCRYPTION_KEY; enter them again"
                ),
            };
        }
        Some(Ok(account)) => account,
        None => None,
    };
    let account = account.or_else(|| platform(settings, channel));
    match account {
        Some(Account::Smtp(mut smtp)) => {
            if smtp.from_email.is_none() {
                smtp.from_email = business_mailbox(business);
            }
            if smtp.from_email.is_none() {
                return Route::Unavailable {
                    code: "no_sender",
                    message: "no sender address: set EMAIL_FROM, the business's email_from or providers.smtp.from_email".into(),
                };
            }
            Route::Provider(Arc::new(Account::Smtp(smtp)))
        }
        Some(account) => Route::Provider(Arc::new(account)),
        None if settings.environment == Environment::Production => Route::Unavailable {
            code: "channel_not_configured",
            message: format!(
                "no {provider} account is configured for {}",
                channel.as_str()
            ),
        },
        None => Route::Console,
    }
}

/// Whether a channel can send for this business (its own account or the platform's), or goes to
/// the console outside production.
pub fn configured(
    channel: Channel,
    stored: &[provider_credential::Model],
    settings: &Settings,
) -> bool {
    stored
        .iter()
        .any(|row| row.provider == Provider::of_channel(channel))
        || platform(settings, channel).is_some()
}

/// The routes of these businesses, from one query for the businesses and one for their accounts.
pub async fn resolve(
    db: &impl ConnectionTrait,
    secrets: &SecretBox,
    settings: &Settings,
    business_ids: &[i64],
) -> Result<HashMap<i64, BusinessRoutes>, sea_orm::DbErr> {
    let mut senders: HashMap<i64, Vec<Sender>> = HashMap::new();
    for row in sender_identities::verified_of_many(db, business_ids).await? {
        {
            senders.entry(row.business_id).or_default().push(Sender {
                identity_id: row.id,
                channel: row.channel,
                address: row.address,
                display_name: row.display_name,
                phone_number_id: row.phone_number_id,
                is_default: row.is_default,
            });
        }
    }
    let mut stored: HashMap<i64, Vec<provider_credential::Model>> = HashMap::new();
    for row in provider_credentials::list_many(db, business_ids).await? {
        stored.entry(row.business_id).or_default().push(row);
    }
    Ok(businesses::find_many(db, business_ids)
        .await?
        .into_iter()
        .map(|business| {
            let rows = stored
                .get(&business.id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let route = |channel| route_for(channel, &business, rows, secrets, settings);
            let routes = BusinessRoutes {
                email: route(Channel::Email),
                sms: route(Channel::Sms),
                whatsapp: route(Channel::Whatsapp),
                name: business.name.clone(),
                email_from: business.email_from.clone(),
                usage_caps: business.usage_caps.unwrap_or_default(),
                senders: senders.remove(&business.id).unwrap_or_default(),
            };
            (business.id, routes)
        })
        .collect())
}
