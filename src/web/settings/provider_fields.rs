//! The provider account forms: the fields of each provider (label, kind, help), how they are
//! shown (the stored settings the API shows, never a secret) and how a posted form becomes the
//! service's `ProvidersPatch`. The rules on the values are the service's; this module only reads
//! the form as the API's JSON would be read.

use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use crate::domain::{FieldError, Provider};
use crate::services::providers::{
    ProvidersPatch, SmtpProvider, StripeProvider, TwilioProvider, WhatsappProvider,
};
use crate::web::form::Fields;
use crate::web::layout::error_for;

/// How a field is typed and read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text kept as typed; empty clears it.
    Text,
    /// An e-mail address, bare or with a name (`Firm <desk@firm.example>`); empty clears it.
    Email,
    /// A TCP port; empty keeps what is stored.
    Port,
    /// Messages per second; empty keeps what is stored.
    Rate,
    /// One of these (value, label) pairs.
    Choice(&'static [(&'static str, &'static str)]),
    /// Write-only: never shown; empty keeps what is stored.
    Secret,
}

/// One field of a provider's form.
struct Spec {
    /// The field's name in the service's settings (and in the form).
    name: &'static str,
    label: &'static str,
    kind: Kind,
    /// A hint shown under the field; empty for none.
    help: &'static str,
}

const fn spec(name: &'static str, label: &'static str, kind: Kind, help: &'static str) -> Spec {
    Spec {
        name,
        label,
        kind,
        help,
    }
}

const RATE: Spec = spec(
    "rate_per_second",
    "Messages per second",
    Kind::Rate,
    "Sends are paced to it; empty keeps the platform's pace.",
);

const SMTP: &[Spec] = &[
    spec(
        "host",
        "Server",
        Kind::Text,
        "Its host name, e.g. smtp.example.com.",
    ),
    spec(
        "tls",
        "Encryption",
        Kind::Choice(&[
            ("starttls", "STARTTLS (upgrade after connecting)"),
            ("tls", "TLS from the first byte"),
            ("none", "None"),
        ]),
        "",
    ),
    spec(
        "port",
        "Port",
        Kind::Port,
        "Empty: 587 for STARTTLS, 465 for TLS, 25 for none.",
    ),
    spec(
        "username",
        "User name",
        Kind::Text,
        "Empty for a server that needs no sign-in.",
    ),
    spec("password", "Password", Kind::Secret, ""),
    spec(
        "from_email",
        "Sender address",
        Kind::Email,
        "E.g. desk@firm.example, or Firm Name <desk@firm.example> to show a name. Empty: the business's sender e-mail.",
    ),
    RATE,
];

const TWILIO: &[Spec] = &[
    spec("account_sid", "Account SID", Kind::Text, "Starts with AC."),
    spec("auth_token", "Auth token", Kind::Secret, ""),
    spec(
        "from_number",
        "Sending number",
        Kind::Text,
        "In international form, e.g. +447400123456; or a Messaging Service below.",
    ),
    spec(
        "messaging_service_sid",
        "Messaging Service SID",
        Kind::Text,
        "Starts with MG; sends through it instead of the number.",
    ),
    RATE,
];

const WHATSAPP: &[Spec] = &[
    spec(
        "phone_number_id",
        "Phone number id",
        Kind::Text,
        "The numeric id Meta gives the sending number.",
    ),
    spec(
        "business_account_id",
        "WhatsApp Business Account id",
        Kind::Text,
        "For reference; not needed to send.",
    ),
    spec(
        "access_token",
        "Access token",
        Kind::Secret,
        "A Graph API token allowed to send from the number.",
    ),
    spec(
        "app_secret",
        "App secret",
        Kind::Secret,
        "The Meta app's secret, which signs its webhooks.",
    ),
    RATE,
];

const STRIPE: &[Spec] = &[
    spec(
        "publishable_key",
        "Publishable key",
        Kind::Text,
        "Starts with pk_; for reference.",
    ),
    spec(
        "secret_key",
        "Secret key",
        Kind::Secret,
        "A secret (sk_…) or restricted (rk_…) key.",
    ),
    spec(
        "webhook_secret",
        "Webhook signing secret",
        Kind::Secret,
        "Starts with whsec_: the signing secret of the webhook endpoint added in Stripe for this service.",
    ),
];

fn specs(provider: Provider) -> &'static [Spec] {
    match provider {
        Provider::Smtp => SMTP,
        Provider::Twilio => TWILIO,
        Provider::Whatsapp => WHATSAPP,
        Provider::Stripe => STRIPE,
    }
}

/// A field as the page shows it.
pub(super) struct Shown {
    /// The input's id, unique on the page (`<provider>-<name>`).
    pub id: String,
    pub name: &'static str,
    pub label: &'static str,
    /// The input's `type`.
    pub input: &'static str,
    /// The input's `inputmode`; empty for the default.
    pub mode: &'static str,
    /// The value shown: a stored or typed setting, never a secret.
    pub value: String,
    /// A select's (value, label) options; empty for an input.
    pub options: &'static [(&'static str, &'static str)],
    /// A write-only field.
    pub secret: bool,
    pub help: String,
    /// The service's message about it.
    pub error: Option<String>,
    /// The ids of its help and error, for `aria-describedby`.
    pub described_by: String,
}

/// The fields of a provider's form with `values` (stored settings or what was typed) and the
/// service's `errors` (`providers.<provider>.<field>`). `configured`: a secret left empty keeps
/// the stored one, which the help says.
pub(super) fn shown(
    provider: Provider,
    configured: bool,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> Vec<Shown> {
    specs(provider)
        .iter()
        .map(|spec| {
            let id = format!("{provider}-{}", spec.name);
            let secret = spec.kind == Kind::Secret;
            let help = match (secret, configured) {
                (true, true) => {
                    format!("{} Hidden once saved: leave empty to keep it.", spec.help)
                }
                _ => spec.help.to_owned(),
            };
            let error = error_for(errors, &format!("providers.{provider}.{}", spec.name))
                .map(str::to_owned);
            let described_by = [
                (!help.trim().is_empty()).then(|| format!("{id}-help")),
                error.as_ref().map(|_| format!("{id}-error")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            let (input, mode) = match spec.kind {
                // Text, not `email`: a sender may carry a name (`Firm <desk@firm.example>`).
                Kind::Email => ("text", "email"),
                Kind::Port => ("text", "numeric"),
                Kind::Rate => ("text", "decimal"),
                Kind::Secret => ("password", ""),
                Kind::Text | Kind::Choice(_) => ("text", ""),
            };
            Shown {
                value: if secret {
                    String::new()
                } else {
                    values.get(spec.name).cloned().unwrap_or_default()
                },
                options: match spec.kind {
                    Kind::Choice(options) => options,
                    _ => &[],
                },
                help: help.trim().to_owned(),
                id,
                name: spec.name,
                label: spec.label,
                input,
                mode,
                secret,
                error,
                described_by,
            }
        })
        .collect()
}

/// A provider's stored settings as text for its form (the API's view: no secret in it).
pub(super) fn stored_values(settings: &Map<String, Value>) -> HashMap<String, String> {
    settings
        .iter()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => return None,
            };
            Some((name.clone(), text))
        })
        .collect()
}

/// What was typed in a provider's form, without its secrets, to show again after an error.
pub(super) fn typed_values(provider: Provider, fields: &Fields) -> HashMap<String, String> {
    specs(provider)
        .iter()
        .filter(|spec| spec.kind != Kind::Secret)
        .map(|spec| (spec.name.to_owned(), fields.get(spec.name)))
        .collect()
}

/// Reads a provider's form as the settings to merge over the stored ones: text fields as
/// typed, numbers parsed, secrets only when one was typed. A number that does not read is
/// refused by its field, as the API refuses JSON of the wrong type.
pub(super) fn read(
    provider: Provider,
    fields: &Fields,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut settings = Map::new();
    let mut errors = Vec::new();
    for spec in specs(provider) {
        let text = fields.get(spec.name);
        let field = || format!("providers.{provider}.{}", spec.name);
        match spec.kind {
            Kind::Text | Kind::Email | Kind::Choice(_) => {
                settings.insert(spec.name.to_owned(), Value::String(text));
            }
            Kind::Secret if !text.is_empty() => {
                settings.insert(spec.name.to_owned(), Value::String(text));
            }
            Kind::Port if !text.is_empty() => match text.parse::<u16>() {
                Ok(port) if port > 0 => {
                    settings.insert(spec.name.to_owned(), Value::from(port));
                }
                _ => errors.push(FieldError::new(
                    field(),
                    "must be a port number, 1 to 65535",
                )),
            },
            Kind::Rate if !text.is_empty() => {
                match text.parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(rate) => {
                        settings.insert(spec.name.to_owned(), Value::Number(rate));
                    }
                    None => {
                        errors.push(FieldError::new(field(), "must be a number, e.g. 5 or 0.5"))
                    }
                }
            }
            Kind::Secret | Kind::Port | Kind::Rate => {}
        }
    }
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

/// The patch that sets a provider's `settings` (`Some`) or removes it (`None`).
///
/// Fails only when this module's fields do not match the service's types (a bug, which the
/// tests below catch).
pub(super) fn patch(
    provider: Provider,
    settings: Option<Map<String, Value>>,
) -> Result<ProvidersPatch, serde_json::Error> {
    let mut patch = ProvidersPatch::default();
    let Some(settings) = settings else {
        match provider {
            Provider::Smtp => patch.smtp = Some(None),
            Provider::Twilio => patch.twilio = Some(None),
            Provider::Whatsapp => patch.whatsapp = Some(None),
            Provider::Stripe => patch.stripe = Some(None),
        }
        return Ok(patch);
    };
    let value = Value::Object(settings);
    match provider {
        Provider::Smtp => patch.smtp = Some(Some(serde_json::from_value::<SmtpProvider>(value)?)),
        Provider::Twilio => {
            patch.twilio = Some(Some(serde_json::from_value::<TwilioProvider>(value)?));
        }
        Provider::Whatsapp => {
            patch.whatsapp = Some(Some(serde_json::from_value::<WhatsappProvider>(value)?));
        }
        Provider::Stripe => {
            patch.stripe = Some(Some(serde_json::from_value::<StripeProvider>(value)?));
        }
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form with every field of `provider` filled in.
    fn filled(provider: Provider) -> Fields {
        let body: String = specs(provider)
            .iter()
            .map(|spec| {
                let value = match spec.kind {
                    Kind::Port => "2525",
                    Kind::Rate => "2.5",
                    Kind::Choice(options) => options[0].0,
                    _ => "x",
                };
                format!("{}={value}&", spec.name)
            })
            .collect();
        Fields::parse(&axum::body::Bytes::from(body))
    }

    #[test]
    fn every_field_of_every_form_is_a_field_of_the_service() {
        for provider in Provider::ALL {
            let settings = read(*provider, &filled(*provider)).expect("reads");
            assert_eq!(settings.len(), specs(*provider).len(), "{provider}");
            patch(*provider, Some(settings)).unwrap_or_else(|error| panic!("{provider}: {error}"));
        }
    }

    #[test]
    fn secrets_are_never_shown_and_an_empty_one_is_not_sent() {
        let values: HashMap<String, String> =
            [("auth_token".to_owned(), "hidden".to_owned())].into();
        let shown = shown(Provider::Twilio, true, &values, &[]);
        let token = shown.iter().find(|field| field.name == "auth_token");
        assert_eq!(token.map(|field| field.value.as_str()), Some(""));
        let empty = Fields::parse(&axum::body::Bytes::from("account_sid=AC1&auth_token="));
        let settings = read(Provider::Twilio, &empty).expect("reads");
        assert!(!settings.contains_key("auth_token"));
    }

    #[test]
    fn numbers_that_do_not_read_are_refused_by_their_field() {
        let fields = Fields::parse(&axum::body::Bytes::from(
            "host=h&port=99999&rate_per_second=fast",
        ));
        let errors = read(Provider::Smtp, &fields).expect_err("refused");
        let named: Vec<&str> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(
            named,
            ["providers.smtp.port", "providers.smtp.rate_per_second"]
        );
    }
}
