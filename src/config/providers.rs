//! The platform's provider accounts (`SMTP_*`, `TWILIO_*`, `WHATSAPP_*`, `STRIPE_*`): the
//! fallback for businesses without their own, and the hosts tests point at local fakes.

use secrecy::SecretString;

use super::{SettingsError, invalid, parse_or};
use crate::channels::accounts::{SmtpAccount, SmtpTls, TwilioAccount, WhatsappAccount};

/// Provider settings of the platform.
#[derive(Clone)]
pub struct ProviderSettings {
    /// The platform's SMTP server, when `SMTP_HOST` is set.
    pub smtp: Option<SmtpAccount>,
    /// The platform's Twilio account, when SID, token and a sender are set.
    pub twilio: Option<TwilioAccount>,
    /// The platform's WhatsApp number, when a token and phone number id are set.
    pub whatsapp: Option<WhatsappAccount>,
    /// `hub.verify_token` expected by the WhatsApp webhook handshake.
    pub whatsapp_verify_token: Option<SecretString>,
    /// Twilio REST API host (tests: a local fake).
    pub twilio_api_base: String,
    /// Graph API base including its version (tests: a local fake).
    pub whatsapp_api_base: String,
    /// Stripe secret key.
    pub stripe_secret_key: Option<SecretString>,
    /// Stripe webhook signing secret (`whsec_…`).
    pub stripe_webhook_secret: Option<SecretString>,
    /// Stripe API host (tests: a local fake).
    pub stripe_api_base: String,
    /// Default pace of an SMTP server.
    pub smtp_rate_per_second: f64,
    /// Default pace of a Twilio sender.
    pub twilio_rate_per_second: f64,
    /// Default pace of a WhatsApp number.
    pub whatsapp_rate_per_second: f64,
}

fn rate(variable: &'static str, value: Option<String>, default: f64) -> Result<f64, SettingsError> {
    let rate: f64 = parse_or(variable, value, default)?;
    if (0.01..=1000.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(invalid(variable, "must be between 0.01 and 1000"))
    }
}

fn base_url(value: Option<String>, default: &str) -> String {
    value
        .unwrap_or_else(|| default.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

impl ProviderSettings {
    /// Reads the provider settings; blank values count as unset.
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let secret = |key: &str| get(key).map(SecretString::from);
        let smtp_rate = rate("SMTP_RATE_PER_SECOND", get("SMTP_RATE_PER_SECOND"), 10.0)?;
        let twilio_rate = rate("TWILIO_RATE_PER_SECOND", get("TWILIO_RATE_PER_SECOND"), 1.0)?;
        let whatsapp_rate = rate(
            "WHATSAPP_RATE_PER_SECOND",
            get("WHATSAPP_RATE_PER_SECOND"),
            20.0,
        )?;
        let smtp = match get("SMTP_HOST") {
            Some(host) => {
                let tls = match get("SMTP_TLS") {
                    Some(tls) => {
                        SmtpTls::parse(&tls).map_err(|message| invalid("SMTP_TLS", message))?
                    }
                    None => SmtpTls::StartTls,
                };
                Some(SmtpAccount {
                    host,
                    port: parse_or("SMTP_PORT", get("SMTP_PORT"), tls.default_port())?,
                    tls,
                    username: get("SMTP_USERNAME"),
                    password: secret("SMTP_PASSWORD"),
                    from_email: get("EMAIL_FROM"),
                    rate_per_second: smtp_rate,
                    public_only: false,
                })
            }
            None => None,
        };
        let twilio = match (get("TWILIO_ACCOUNT_SID"), secret("TWILIO_AUTH_TOKEN")) {
            (Some(account_sid), Some(auth_token)) => {
                let from_number = get("TWILIO_FROM_NUMBER");
                let messaging_service_sid = get("TWILIO_MESSAGING_SERVICE_SID");
                if from_number.is_none() && messaging_service_sid.is_none() {
                    return Err(invalid(
                        "TWILIO_FROM_NUMBER",
                        "set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID with the Twilio account",
                    ));
                }
                Some(TwilioAccount {
                    account_sid,
                    auth_token,
                    from_number,
                    messaging_service_sid,
                    rate_per_second: twilio_rate,
                })
            }
            (None, None) => None,
            (None, Some(_)) => {
                return Err(invalid(
                    "TWILIO_ACCOUNT_SID",
                    "missing while TWILIO_AUTH_TOKEN is set",
                ));
            }
            (Some(_), None) => {
                return Err(invalid(
                    "TWILIO_AUTH_TOKEN",
                    "missing while TWILIO_ACCOUNT_SID is set",
                ));
            }
        };
        let whatsapp = match (
            get("WHATSAPP_PHONE_NUMBER_ID"),
            secret("WHATSAPP_ACCESS_TOKEN"),
        ) {
            (Some(phone_number_id), Some(access_token)) => Some(WhatsappAccount {
                phone_number_id,
                access_token,
                app_secret: secret("WHATSAPP_APP_SECRET"),
                rate_per_second: whatsapp_rate,
            }),
            (None, None) => None,
            (None, Some(_)) => {
                return Err(invalid(
                    "WHATSAPP_PHONE_NUMBER_ID",
                    "missing while WHATSAPP_ACCESS_TOKEN is set",
                ));
            }
            (Some(_), None) => {
                return Err(invalid(
                    "WHATSAPP_ACCESS_TOKEN",
                    "missing while WHATSAPP_PHONE_NUMBER_ID is set",
                ));
            }
        };
        Ok(Self {
            smtp,
            twilio,
            whatsapp,
            whatsapp_verify_token: secret("WHATSAPP_VERIFY_TOKEN"),
            twilio_api_base: base_url(get("TWILIO_API_BASE"), "https://api.twilio.com"),
            whatsapp_api_base: base_url(
                get("WHATSAPP_API_BASE"),
                "https://graph.facebook.com/v23.0",
            ),
            stripe_secret_key: secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: secret("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: base_url(get("STRIPE_API_BASE"), "https://api.stripe.com"),
            smtp_rate_per_second: smtp_rate,
            twilio_rate_per_second: twilio_rate,
            whatsapp_rate_per_second: whatsapp_rate,
        })
    }
}
