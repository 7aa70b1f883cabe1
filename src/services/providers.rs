//! A business's own provider accounts (`PATCH /business` → `providers`): settings are merged
//! over what is stored, secrets are write-only and sealed at rest, and a provider set to `null`
//! is removed. The platform-wide settings stay the fallback for providers a business has not set.

use std::collections::BTreeMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::double_option;
use crate::domain::{
    BusinessId, Mailbox, PhoneE164, Provider, ProviderSettings, Validation, provider_ids,
};
use crate::entities::provider_credential;
use crate::repositories::provider_credentials;
use crate::security::crypto::SecretBox;
use crate::security::egress;

/// Which fields of each provider are secrets (write-only, sealed at rest).
fn secret_fields(provider: Provider) -> &'static [&'static str] {
    match provider {
        Provider::Smtp => &["password"],
        Provider::Twilio => &["auth_token"],
        Provider::Whatsapp => &["access_token", "app_secret"],
        Provider::Stripe => &["secret_key", "webhook_secret"],
    }
}

/// SMTP server of the business. Fields left out keep their stored values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpProvider {
    /// Messages per second this account may send, 0.01 to 1000 (paced, never rejected);
    /// default the platform's `SMTP_RATE_PER_SECOND`.
    pub rate_per_second: Option<f64>,
    /// The server's host name; required. It must resolve to a public address unless the
    /// platform sets `ALLOW_PRIVATE_PROVIDER_HOSTS`.
    pub host: Option<String>,
    /// The server's port; default by `tls`: 25 (`none`), 587 (`starttls`) or 465 (`tls`).
    pub port: Option<u16>,
    /// The user name to log in with; omit for a server without authentication.
    pub username: Option<String>,
    /// `none`, `starttls` (the default: upgrade after connecting) or `tls` (TLS from the
    /// first byte).
    pub tls: Option<String>,
    /// The sender of e-mails through this account, a bare address (`desk@firm.example`) or an
    /// RFC 5322 mailbox with the name to show (`Firm Name <desk@firm.example>`); default the
    /// business's `email_from`. Without a name, the business's name is shown.
    pub from_email: Option<String>,
    /// The password to log in with. Write-only: never shown again.
    pub password: Option<String>,
}

/// Twilio account of the business, for SMS. Fields left out keep their stored values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwilioProvider {
    /// Messages per second this account may send, 0.01 to 1000 (paced, never rejected);
    /// default the platform's `TWILIO_RATE_PER_SECOND`.
    pub rate_per_second: Option<f64>,
    /// The account SID (`AC…`); required. Twilio's callbacks are matched to the business by
    /// it.
    pub account_sid: Option<String>,
    /// The number SMS are sent from, in E.164; this or `messaging_service_sid` is required.
    pub from_number: Option<String>,
    /// A Messaging Service SID (`MG…`) to send through instead of `from_number`.
    pub messaging_service_sid: Option<String>,
    /// The account's auth token; required. Write-only: never shown again.
    pub auth_token: Option<String>,
}

/// WhatsApp Cloud API number of the business. Fields left out keep their stored values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatsappProvider {
    /// Messages per second this account may send, 0.01 to 1000 (paced, never rejected);
    /// default the platform's `WHATSAPP_RATE_PER_SECOND`.
    pub rate_per_second: Option<f64>,
    /// The numeric id Meta gives the sending number; required. Meta's webhooks are matched to
    /// the business by it.
    pub phone_number_id: Option<String>,
    /// The WhatsApp Business Account id; kept for reference, not needed to send.
    pub business_account_id: Option<String>,
    /// A Graph API access token allowed to send from the number; required. Write-only.
    pub access_token: Option<String>,
    /// The Meta app's secret, which signs its webhooks (`X-Hub-Signature-256`). Write-only.
    pub app_secret: Option<String>,
}

/// Stripe account of the business, for payment links. Fields left out keep their stored
/// values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StripeProvider {
    /// The publishable key (`pk_…`); kept for reference.
    pub publishable_key: Option<String>,
    /// A secret (`sk_…`) or restricted (`rk_…`) key; required. Write-only.
    pub secret_key: Option<String>,
    /// The signing secret (`whsec_…`) of the webhook endpoint pointed at
    /// `/webhooks/stripe`. Write-only.
    pub webhook_secret: Option<String>,
}

/// `providers` of `PATCH /business`: absent providers stay, `null` removes one.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvidersPatch {
    /// The SMTP server e-mails go through; `null` goes back to the platform's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<SmtpProvider>)]
    pub smtp: Option<Option<SmtpProvider>>,
    /// The Twilio account SMS go through; `null` goes back to the platform's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<TwilioProvider>)]
    pub twilio: Option<Option<TwilioProvider>>,
    /// The WhatsApp number messages go from; `null` goes back to the platform's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<WhatsappProvider>)]
    pub whatsapp: Option<Option<WhatsappProvider>>,
    /// The Stripe account payments go to; `null` goes back to the platform's.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<StripeProvider>)]
    pub stripe: Option<Option<StripeProvider>>,
}

/// A provider as shown: whether it is configured, and its non-secret settings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    /// True when the business set its own account for this provider; false: the platform's
    /// is used.
    pub configured: bool,
    /// Non-secret settings (host, account SID, phone number id, …); never a secret.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub settings: Map<String, Value>,
}

fn to_map(value: impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => Map::new(),
    }
}

fn text<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Checks a provider's merged settings and secrets; errors name `providers.<provider>.<field>`.
fn check(
    provider: Provider,
    settings: &Map<String, Value>,
    secrets: &Map<String, Value>,
    validation: &mut Validation,
) {
    let field = |name: &str| format!("providers.{provider}.{name}");
    let require = |map: &Map<String, Value>, name: &str, validation: &mut Validation| {
        if text(map, name).is_none() {
            validation.push(&field(name), "is required");
        }
    };
    // A field of the provider's documented shape, when given.
    let shaped = |value: Option<&str>,
                  name: &str,
                  rule: fn(&str) -> Result<(), String>,
                  validation: &mut Validation| {
        if let Some(Err(message)) = value.map(rule) {
            validation.push(&field(name), message);
        }
    };
    if let Some(rate) = settings.get("rate_per_second").and_then(Value::as_f64)
        && !(0.01..=1000.0).contains(&rate)
    {
        validation.push(&field("rate_per_second"), "must be between 0.01 and 1000");
    }
    match provider {
        Provider::Smtp => {
            require(settings, "host", validation);
            if let Some(tls) = text(settings, "tls")
                && !["none", "starttls", "tls"].contains(&tls)
            {
                validation.push(&field("tls"), "use none, starttls or tls");
            }
            if let Some(from) = text(settings, "from_email")
                && let Err(message) = Mailbox::parse(from)
            {
                validation.push(&field("from_email"), message);
            }
        }
        Provider::Twilio => {
            require(settings, "account_sid", validation);
            shaped(
                text(settings, "account_sid"),
                "account_sid",
                provider_ids::twilio_account_sid,
                validation,
            );
            shaped(
                text(settings, "messaging_service_sid"),
                "messaging_service_sid",
                provider_ids::twilio_messaging_service_sid,
                validation,
            );
            match text(settings, "from_number") {
                Some(number) => {
                    if let Err(message) = PhoneE164::parse(number, None) {
                        validation.push(&field("from_number"), message);
                    }
                }
                None if text(settings, "messaging_service_sid").is_none() => {
                    validation.push(
                        &field("from_number"),
                        "give from_number or messaging_service_sid",
                    );
                }
                None => {}
            }
            require(secrets, "auth_token", validation);
        }
        Provider::Whatsapp => {
            require(settings, "phone_number_id", validation);
            shaped(
                text(settings, "phone_number_id"),
                "phone_number_id",
                provider_ids::whatsapp_phone_number_id,
                validation,
            );
            require(secrets, "access_token", validation);
        }
        Provider::Stripe => {
            require(secrets, "secret_key", validation);
            shaped(
                text(secrets, "secret_key"),
                "secret_key",
                provider_ids::stripe_secret_key,
                validation,
            );
            shaped(
                text(secrets, "webhook_secret"),
                "webhook_secret",
                provider_ids::stripe_webhook_secret,
                validation,
            );
            shaped(
                text(settings, "publishable_key"),
                "publishable_key",
                provider_ids::stripe_publishable_key,
                validation,
            );
        }
    }
}

/// The public id webhooks name the account by.
fn account_ref(provider: Provider, settings: &Map<String, Value>) -> Option<&str> {
    match provider {
        Provider::Twilio => text(settings, "account_sid"),
        Provider::Whatsapp => text(settings, "phone_number_id"),
        Provider::Smtp | Provider::Stripe => None,
    }
}

/// The associated data that binds a business's sealed provider secrets to their row.
pub fn context(business: BusinessId, provider: Provider) -> String {
    format!("business:{}:provider:{provider}", business.0)
}

/// A patch split per provider: `None` removes it, `Some(map)` sets these fields.
fn changes(patch: &ProvidersPatch) -> Vec<(Provider, Option<Map<String, Value>>)> {
    let mut out = Vec::new();
    if let Some(value) = &patch.smtp {
        out.push((Provider::Smtp, value.as_ref().map(to_map)));
    }
    if let Some(value) = &patch.twilio {
        out.push((Provider::Twilio, value.as_ref().map(to_map)));
    }
    if let Some(value) = &patch.whatsapp {
        out.push((Provider::Whatsapp, value.as_ref().map(to_map)));
    }
    if let Some(value) = &patch.stripe {
        out.push((Provider::Stripe, value.as_ref().map(to_map)));
    }
    out
}

/// What the patch will write, checked: rows to upsert and providers to remove.
pub struct PlannedChange {
    upserts: Vec<provider_credential::ActiveModel>,
    removals: Vec<Provider>,
}

impl PlannedChange {
    /// What changes, for the audit log: provider names and the fields set, never values.
    pub fn summary(&self) -> Value {
        let set: Vec<Value> = self
            .upserts
            .iter()
            .filter_map(|row| match &row.provider {
                sea_orm::ActiveValue::Set(provider) => Some(Value::from(provider.as_str())),
                _ => None,
            })
            .collect();
        let removed: Vec<&str> = self.removals.iter().map(|p| p.as_str()).collect();
        serde_json::json!({"set": set, "removed": removed})
    }
}

/// Merges a patch over the stored accounts and checks the result.
pub async fn plan(
    db: &impl ConnectionTrait,
    secrets_box: &SecretBox,
    business: BusinessId,
    patch: &ProvidersPatch,
    allow_private_hosts: bool,
    validation: &mut Validation,
) -> anyhow::Result<PlannedChange> {
    let stored: BTreeMap<&str, provider_credential::Model> =
        provider_credentials::list(db, business)
            .await?
            .into_iter()
            .map(|row| (row.provider.as_str(), row))
            .collect();
    let mut planned = PlannedChange {
        upserts: Vec::new(),
        removals: Vec::new(),
    };
    for (provider, change) in changes(patch) {
        let Some(fields) = change else {
            planned.removals.push(provider);
            continue;
        };
        let (mut settings, mut secrets) = match stored.get(provider.as_str()) {
            Some(row) => {
                let settings = row.settings.0.clone();
                let opened = secrets_box.open(&row.secret, &context(business, provider))?;
                let secrets: Map<String, Value> =
                    serde_json::from_slice(&opened).unwrap_or_default();
                (settings, secrets)
            }
            None => (Map::new(), Map::new()),
        };
        for (name, value) in fields {
            let value = match value {
                Value::String(text) => Value::String(text.trim().to_owned()),
                other => other,
            };
            if secret_fields(provider).contains(&name.as_str()) {
                secrets.insert(name, value);
            } else {
                settings.insert(name, value);
            }
        }
        check(provider, &settings, &secrets, validation);
        if provider == Provider::Smtp
            && !allow_private_hosts
            && let Some(host) = settings.get("host").and_then(Value::as_str)
            && !host.is_empty()
            && let Err(message) = egress::resolve_public(host).await
        {
            validation.push("providers.smtp.host", message);
        }
        let sealed = secrets_box.seal(&serde_json::to_vec(&secrets)?, &context(business, provider));
        planned.upserts.push(provider_credential::ActiveModel {
            business_id: Set(business.0),
            provider: Set(provider),
            account_ref: Set(account_ref(provider, &settings).map(str::to_owned)),
            settings: Set(ProviderSettings(settings)),
            secret: Set(sealed),
            key_id: Set(secrets_box.current_key_id().to_owned()),
            updated_at: Set(Utc::now().into()),
        });
    }
    Ok(planned)
}

/// Writes a checked change.
pub async fn write(
    db: &impl ConnectionTrait,
    business: BusinessId,
    planned: PlannedChange,
) -> Result<(), sea_orm::DbErr> {
    for provider in planned.removals {
        provider_credentials::delete(db, business, provider).await?;
    }
    for row in planned.upserts {
        provider_credentials::upsert(db, row).await?;
    }
    Ok(())
}

/// Every provider as shown to the business: configured or not, with non-secret settings.
pub async fn views(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> Result<BTreeMap<String, ProviderView>, sea_orm::DbErr> {
    let stored = provider_credentials::list(db, business).await?;
    Ok(Provider::ALL
        .iter()
        .map(|provider| {
            let view = match stored.iter().find(|row| row.provider == *provider) {
                Some(row) => ProviderView {
                    configured: true,
                    settings: row.settings.0.clone(),
                },
                None => ProviderView {
                    configured: false,
                    settings: Map::new(),
                },
            };
            (provider.to_string(), view)
        })
        .collect())
}

/// What `rotate-keys` did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RotationReport {
    /// Re-sealed under the current key.
    pub resealed: usize,
    /// Already under the current key.
    pub current: usize,
    /// Sealed by no key the box knows (left as they are).
    pub unreadable: usize,
}

/// Re-seals every stored provider secret under the box's current key (each row in its own
/// short write; a row is only rewritten after it opened).
pub async fn rotate(
    db: &impl ConnectionTrait,
    secrets_box: &SecretBox,
) -> Result<RotationReport, sea_orm::DbErr> {
    let mut report = RotationReport::default();
    for row in provider_credentials::list_all(db).await? {
        if row.key_id == secrets_box.current_key_id() {
            report.current += 1;
            continue;
        }
        let context = context(BusinessId(row.business_id), row.provider);
        let Ok(opened) = secrets_box.open(&row.secret, &context) else {
            report.unreadable += 1;
            continue;
        };
        provider_credentials::reseal(
            db,
            BusinessId(row.business_id),
            row.provider,
            (&row.secret, &secrets_box.seal(&opened, &context)),
            secrets_box.current_key_id(),
        )
        .await?;
        report.resealed += 1;
    }
    Ok(report)
}
