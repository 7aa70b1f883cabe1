//! The platform's provider accounts (`SMTP_*`, `TWILIO_*`, `WHATSAPP_*`, `STRIPE_*`): the
//! fallback for businesses without their own, and the hosts tests point at local fakes.

use secrecy::SecretString;

use super::reader::Reader;
use crate::channels::accounts::{SmtpAccount, SmtpTls, TwilioAccount, WhatsappAccount};

/// Provider settings of the platform.
#[derive(Clone)]
pub struct ProviderSettings {
    /// The platform's SMTP server, when `SMTP_HOST` is set: `SMTP_PORT` (default by
    /// `SMTP_TLS`: 25, 587 or 465), `SMTP_TLS` (`none`, `starttls` (default) or `tls`),
    /// `SMTP_USERNAME`, `SMTP_PASSWORD`, `EMAIL_FROM`.
    pub smtp: Option<SmtpAccount>,
    /// The platform's Twilio account, when `TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN` are
    /// set, with `TWILIO_FROM_NUMBER` or `TWILIO_MESSAGING_SERVICE_SID` (one is required).
    pub twilio: Option<TwilioAccount>,
    /// The platform's WhatsApp number, when `WHATSAPP_PHONE_NUMBER_ID` and
    /// `WHATSAPP_ACCESS_TOKEN` are set; `WHATSAPP_APP_SECRET` checks webhook signatures.
    pub whatsapp: Option<WhatsappAccount>,
    /// `WHATSAPP_VERIFY_TOKEN`: the `hub.verify_token` the WhatsApp webhook handshake expects.
    pub whatsapp_verify_token: Option<SecretString>,
    /// `TWILIO_API_BASE` (default `https://api.twilio.com`; tests: a local fake).
    pub twilio_api_base: String,
    /// `WHATSAPP_API_BASE`: the Graph API base including its version (default
    /// `https://graph.facebook.com/v23.0`; tests: a local fake).
    pub whatsapp_api_base: String,
    /// `STRIPE_SECRET_KEY`: the platform's Stripe secret key.
    pub stripe_secret_key: Option<SecretString>,
    /// `STRIPE_WEBHOOK_SECRET`: the Stripe webhook signing secret (`whsec_…`).
    pub stripe_webhook_secret: Option<SecretString>,
    /// `STRIPE_API_BASE` (default `https://api.stripe.com`; tests: a local fake).
    pub stripe_api_base: String,
    /// `SMTP_RATE_PER_SECOND` (0.01 to 1000, default 10): messages per second an SMTP server
    /// takes, unless a business's account sets its own.
    pub smtp_rate_per_second: f64,
    /// `TWILIO_RATE_PER_SECOND` (0.01 to 1000, default 1): messages per second per Twilio
    /// sender.
    pub twilio_rate_per_second: f64,
    /// `WHATSAPP_RATE_PER_SECOND` (0.01 to 1000, default 20): messages per second per WhatsApp
    /// number.
    pub whatsapp_rate_per_second: f64,
}

const RATE_RANGE: std::ops::RangeInclusive<f64> = 0.01..=1000.0;

/// A pace in messages per second, between 0.01 and 1000.
fn rate(r: &mut Reader, name: &'static str, default: f64) -> f64 {
    r.with_default_checked(
        name,
        default,
        |rate| RATE_RANGE.contains(rate),
        "must be between 0.01 and 1000",
    )
}

/// A provider's API base without its trailing `/`.
fn base_url(r: &mut Reader, name: &'static str, default: &str) -> String {
    r.text(name)
        .unwrap_or_else(|| default.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

impl ProviderSettings {
    /// Reads the provider settings. Each account's variables are all read whether or not the
    /// account is configured; refusals of `SMTP_TLS` and `SMTP_PORT` count only with
    /// `SMTP_HOST`.
    pub(super) fn read(r: &mut Reader) -> Self {
        let smtp_rate = rate(r, "SMTP_RATE_PER_SECOND", 10.0);
        let twilio_rate = rate(r, "TWILIO_RATE_PER_SECOND", 1.0);
        let whatsapp_rate = rate(r, "WHATSAPP_RATE_PER_SECOND", 20.0);
        Self {
            smtp: smtp(r, smtp_rate),
            twilio: twilio(r, twilio_rate),
            whatsapp: whatsapp(r, whatsapp_rate),
            whatsapp_verify_token: r.secret("WHATSAPP_VERIFY_TOKEN"),
            twilio_api_base: base_url(r, "TWILIO_API_BASE", "https://api.twilio.com"),
            whatsapp_api_base: base_url(r, "WHATSAPP_API_BASE", "https://graph.facebook.com/v23.0"),
            stripe_secret_key: r.secret("STRIPE_SECRET_KEY"),
            stripe_webhook_secret: r.secret("STRIPE_WEBHOOK_SECRET"),
            stripe_api_base: base_url(r, "STRIPE_API_BASE", "https://api.stripe.com"),
            smtp_rate_per_second: smtp_rate,
            twilio_rate_per_second: twilio_rate,
            whatsapp_rate_per_second: whatsapp_rate,
        }
    }
}

/// The platform's SMTP server, when `SMTP_HOST` is set; the port defaults by `SMTP_TLS`.
fn smtp(r: &mut Reader, rate_per_second: f64) -> Option<SmtpAccount> {
    let host = r.text("SMTP_HOST");
    let used = host.is_some();
    let tls = r
        .only_if(used, |r| r.parsed("SMTP_TLS", SmtpTls::parse))
        .unwrap_or(SmtpTls::StartTls);
    let port = r.only_if(used, |r| r.optional::<u16>("SMTP_PORT"));
    let username = r.text("SMTP_USERNAME");
    let password = r.secret("SMTP_PASSWORD");
    let from_email = r.text("EMAIL_FROM");
    Some(SmtpAccount {
        host: host?,
        port: port.unwrap_or(tls.default_port()),
        tls,
        username,
        password,
        from_email,
        rate_per_second,
        public_only: false,
    })
}

/// The platform's Twilio account: SID and token together, with a sender number or a
/// messaging service.
fn twilio(r: &mut Reader, rate_per_second: f64) -> Option<TwilioAccount> {
    let account_sid = r.text("TWILIO_ACCOUNT_SID");
    let auth_token = r.secret("TWILIO_AUTH_TOKEN");
    let from_number = r.text("TWILIO_FROM_NUMBER");
    let messaging_service_sid = r.text("TWILIO_MESSAGING_SERVICE_SID");
    match (account_sid, auth_token) {
        (Some(account_sid), Some(auth_token)) => {
            r.ensure(
                "TWILIO_FROM_NUMBER",
                from_number.is_some() || messaging_service_sid.is_some(),
                "set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID with the Twilio account",
            );
            Some(TwilioAccount {
                account_sid,
                auth_token,
                from_number,
                messaging_service_sid,
                rate_per_second,
            })
        }
        (None, None) => None,
        (None, Some(_)) => {
            r.refuse(
                "TWILIO_ACCOUNT_SID",
                "missing while TWILIO_AUTH_TOKEN is set",
            );
            None
        }
        (Some(_), None) => {
            r.refuse(
                "TWILIO_AUTH_TOKEN",
                "missing while TWILIO_ACCOUNT_SID is set",
            );
            None
        }
    }
}

/// The platform's WhatsApp number: phone number id and access token together.
fn whatsapp(r: &mut Reader, rate_per_second: f64) -> Option<WhatsappAccount> {
    let phone_number_id = r.text("WHATSAPP_PHONE_NUMBER_ID");
    let access_token = r.secret("WHATSAPP_ACCESS_TOKEN");
    let app_secret = r.secret("WHATSAPP_APP_SECRET");
    match (phone_number_id, access_token) {
        (Some(phone_number_id), Some(access_token)) => Some(WhatsappAccount {
            phone_number_id,
            access_token,
            app_secret,
            rate_per_second,
        }),
        (None, None) => None,
        (None, Some(_)) => {
            r.refuse(
                "WHATSAPP_PHONE_NUMBER_ID",
                "missing while WHATSAPP_ACCESS_TOKEN is set",
            );
            None
        }
        (Some(_), None) => {
            r.refuse(
                "WHATSAPP_ACCESS_TOKEN",
                "missing while WHATSAPP_PHONE_NUMBER_ID is set",
            );
            None
        }
    }
}
