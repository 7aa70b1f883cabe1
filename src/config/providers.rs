//! The platform's provider accounts (`SMTP_*`, `TWILIO_*`, `WHATSAPP_*`, `STRIPE_*`): the
//! fallback for businesses without their own, and the hosts tests point at local fakes.
//!
//! Every value is checked at start with the rules a business's own accounts are checked with
//! (`domain::provider_ids`, [`Mailbox`], [`PhoneE164`]). What cannot work at all (a port, a TLS
//! mode, an API base that is not a URL, half an account) is refused everywhere; a value that
//! only fails when a message is sent (a malformed `EMAIL_FROM`, a Twilio SID of the wrong
//! shape) refuses a production start and is a warning elsewhere.

use secrecy::SecretString;

use super::reader::Reader;
use crate::channels::accounts::{SmtpAccount, SmtpTls, TwilioAccount, WhatsappAccount};
use crate::domain::{Mailbox, PhoneE164, provider_ids};

/// Provider settings of the platform.
#[derive(Clone)]
pub struct ProviderSettings {
    /// The platform's SMTP server, when `SMTP_HOST` is set: `SMTP_PORT` (default by
    /// `SMTP_TLS`: 25, 587 or 465), `SMTP_TLS` (`none`, `starttls` (default) or `tls`),
    /// `SMTP_USERNAME` and `SMTP_PASSWORD` (both or neither), `EMAIL_FROM` (`desk@firm.example`
    /// or `Firm Name <desk@firm.example>`; without a name, each business's name is shown).
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

/// A provider's API base without its trailing `/`: an `http(s)://` URL with a host.
fn base_url(r: &mut Reader, name: &'static str, default: &str) -> String {
    r.parsed(name, |value| {
        let value = value.trim();
        match reqwest::Url::parse(value) {
            Ok(url) if ["http", "https"].contains(&url.scheme()) && url.has_host() => {
                Ok(value.trim_end_matches('/').to_owned())
            }
            _ => Err(format!("{value:?}: use an http(s) URL, e.g. {default}")),
        }
    })
    .unwrap_or_else(|| default.to_owned())
}

/// Checks the shape of an id or key kept as given: a refusal in production, else a warning.
fn shaped(
    r: &mut Reader,
    production: bool,
    name: &'static str,
    value: Option<&str>,
    rule: fn(&str) -> Result<(), String>,
) {
    if let Some(value) = value {
        r.check_strict(name, production, rule(value));
    }
}

impl ProviderSettings {
    /// Reads the provider settings. Each account's variables are all read whether or not the
    /// account is configured; refusals of `SMTP_TLS`, `SMTP_PORT` and the SMTP login count
    /// only with `SMTP_HOST`. Outside `production`, a value of the wrong shape is a warning
    /// (module doc).
    pub(super) fn read(r: &mut Reader, production: bool) -> Self {
        let smtp_rate = rate(r, "SMTP_RATE_PER_SECOND", 10.0);
        let twilio_rate = rate(r, "TWILIO_RATE_PER_SECOND", 1.0);
        let whatsapp_rate = rate(r, "WHATSAPP_RATE_PER_SECOND", 20.0);
        let stripe_secret_key = r.text("STRIPE_SECRET_KEY");
        shaped(
            r,
            production,
            "STRIPE_SECRET_KEY",
            stripe_secret_key.as_deref(),
            provider_ids::stripe_secret_key,
        );
        let stripe_webhook_secret = r.text("STRIPE_WEBHOOK_SECRET");
        shaped(
            r,
            production,
            "STRIPE_WEBHOOK_SECRET",
            stripe_webhook_secret.as_deref(),
            provider_ids::stripe_webhook_secret,
        );
        Self {
            smtp: smtp(r, smtp_rate, production),
            twilio: twilio(r, twilio_rate, production),
            whatsapp: whatsapp(r, whatsapp_rate, production),
            whatsapp_verify_token: r.secret("WHATSAPP_VERIFY_TOKEN"),
            twilio_api_base: base_url(r, "TWILIO_API_BASE", "https://api.twilio.com"),
            whatsapp_api_base: base_url(r, "WHATSAPP_API_BASE", "https://graph.facebook.com/v23.0"),
            stripe_secret_key: stripe_secret_key.map(SecretString::from),
            stripe_webhook_secret: stripe_webhook_secret.map(SecretString::from),
            stripe_api_base: base_url(r, "STRIPE_API_BASE", "https://api.stripe.com"),
            smtp_rate_per_second: smtp_rate,
            twilio_rate_per_second: twilio_rate,
            whatsapp_rate_per_second: whatsapp_rate,
        }
    }
}

/// The platform's SMTP server, when `SMTP_HOST` is set; the port defaults by `SMTP_TLS`.
fn smtp(r: &mut Reader, rate_per_second: f64, production: bool) -> Option<SmtpAccount> {
    let host = r.text("SMTP_HOST").map(|host| host.trim().to_owned());
    let used = host.is_some();
    shaped(r, production, "SMTP_HOST", host.as_deref(), smtp_host);
    let tls = r
        .only_if(used, |r| r.parsed("SMTP_TLS", SmtpTls::parse))
        .unwrap_or(SmtpTls::StartTls);
    let port = r.only_if(used, |r| r.optional::<u16>("SMTP_PORT"));
    let username = r.text("SMTP_USERNAME");
    let password = r.secret("SMTP_PASSWORD");
    // lettre signs in only with both; one alone would send without signing in.
    let half_login = match (&username, &password) {
        (Some(_), None) => Some(("SMTP_PASSWORD", "SMTP_USERNAME")),
        (None, Some(_)) => Some(("SMTP_USERNAME", "SMTP_PASSWORD")),
        _ => None,
    };
    if let Some((missing, given)) = half_login {
        let message = format!("missing while {given} is set: both or neither");
        r.only_if(used, |r| {
            r.check_strict::<()>(missing, production, Err(message))
        });
    }
    // Checked only when there is an SMTP server to send from, as the other SMTP settings are.
    let from_email = r
        .only_if(used, |r| {
            r.text("EMAIL_FROM").map(|from| {
                let parsed = Mailbox::parse(&from).map_err(|message| format!("{from:?} {message}"));
                r.check_strict("EMAIL_FROM", production, parsed)
            })
        })
        .flatten();
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

/// A host name or IP address, without a scheme, path or port.
fn smtp_host(host: &str) -> Result<(), String> {
    let with_port = host.contains(':') && host.parse::<std::net::IpAddr>().is_err();
    if host.contains("://") || host.contains('/') || host.contains(char::is_whitespace) || with_port
    {
        Err(format!(
            "{host:?}: give the server's host name or address only, e.g. smtp.example.com (the port goes in SMTP_PORT)"
        ))
    } else {
        Ok(())
    }
}

/// The platform's Twilio account: SID and token together, with a sender number or a
/// messaging service.
fn twilio(r: &mut Reader, rate_per_second: f64, production: bool) -> Option<TwilioAccount> {
    let account_sid = r.text("TWILIO_ACCOUNT_SID");
    shaped(
        r,
        production,
        "TWILIO_ACCOUNT_SID",
        account_sid.as_deref(),
        provider_ids::twilio_account_sid,
    );
    let auth_token = r.secret("TWILIO_AUTH_TOKEN");
    // Kept in E.164; one that cannot be read is kept as given (and refused or warned about).
    let from_number = r.text("TWILIO_FROM_NUMBER").map(|number| {
        let parsed = PhoneE164::parse(&number, None)
            .map(|phone| phone.as_str().to_owned())
            .map_err(|message| format!("{number:?} {message}"));
        r.check_strict("TWILIO_FROM_NUMBER", production, parsed)
            .unwrap_or(number)
    });
    let messaging_service_sid = r.text("TWILIO_MESSAGING_SERVICE_SID");
    shaped(
        r,
        production,
        "TWILIO_MESSAGING_SERVICE_SID",
        messaging_service_sid.as_deref(),
        provider_ids::twilio_messaging_service_sid,
    );
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
fn whatsapp(r: &mut Reader, rate_per_second: f64, production: bool) -> Option<WhatsappAccount> {
    let phone_number_id = r.text("WHATSAPP_PHONE_NUMBER_ID");
    shaped(
        r,
        production,
        "WHATSAPP_PHONE_NUMBER_ID",
        phone_number_id.as_deref(),
        provider_ids::whatsapp_phone_number_id,
    );
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::Settings;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    /// Well-formed values of every provider setting, over which a test sets a bad one.
    const GOOD: &[(&str, &str)] = &[
        ("SMTP_HOST", "smtp.example.com"),
        ("SMTP_USERNAME", "mailer"),
        ("SMTP_PASSWORD", "mail-password"),
        ("EMAIL_FROM", "Reminders <Reminders@Firm.example>"),
        ("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef"),
        ("TWILIO_AUTH_TOKEN", "token"),
        ("TWILIO_FROM_NUMBER", "+1 (500) 555-0006"),
        (
            "TWILIO_MESSAGING_SERVICE_SID",
            "MG0123456789abcdef0123456789abcdef",
        ),
        ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922"),
        ("WHATSAPP_ACCESS_TOKEN", "token"),
        ("STRIPE_SECRET_KEY", "sk_live_51H"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_5a1b2c3d"),
        ("TWILIO_API_BASE", "http://127.0.0.1:9000/"),
    ];

    fn with(
        bad: &[(&'static str, &'static str)],
        production: bool,
    ) -> Vec<(&'static str, &'static str)> {
        let mut pairs: Vec<(&str, &str)> = GOOD
            .iter()
            .filter(|(name, _)| !bad.iter().any(|(b, _)| b == name))
            .copied()
            .chain(bad.iter().copied())
            .collect();
        if production {
            pairs.extend([
                ("ENV", "production"),
                ("SECRET_KEY", "a-long-enough-secret-key-for-production-use"),
                ("ENCRYPTION_KEY", KEY),
                ("PUBLIC_BASE_URL", "https://reminders.example.com"),
            ]);
        }
        pairs
    }

    #[test]
    fn well_formed_provider_settings_are_kept_in_their_normal_form() {
        let settings = Settings::from_lookup(lookup(&with(&[], true))).unwrap();
        let smtp = settings.providers.smtp.unwrap();
        let from = smtp.from_email.unwrap();
        assert_eq!(from.to_string(), "Reminders <reminders@firm.example>");
        let twilio = settings.providers.twilio.unwrap();
        assert_eq!(twilio.from_number.as_deref(), Some("+15005550006"));
        assert_eq!(settings.providers.twilio_api_base, "http://127.0.0.1:9000");
        assert!(settings.warnings.is_empty());
    }

    /// Values that only fail when a message is sent.
    const MALFORMED: &[(&str, &str)] = &[
        ("SMTP_HOST", "smtp.example.com:587"),
        ("EMAIL_FROM", "Reminders reminders@firm.example"),
        ("TWILIO_ACCOUNT_SID", "SK0123"),
        ("TWILIO_FROM_NUMBER", "+44 12"),
        ("TWILIO_MESSAGING_SERVICE_SID", "0123"),
        ("WHATSAPP_PHONE_NUMBER_ID", "+447400123456"),
        ("STRIPE_SECRET_KEY", "pk_live_not-a-secret-key"),
        ("STRIPE_WEBHOOK_SECRET", "signing-secret"),
    ];

    #[test]
    fn production_refuses_every_malformed_provider_setting() {
        let error = Settings::from_lookup(lookup(&with(MALFORMED, true))).unwrap_err();
        let mut refused = error.variables();
        refused.sort_unstable();
        let mut expected: Vec<&str> = MALFORMED.iter().map(|(name, _)| *name).collect();
        expected.sort_unstable();
        assert_eq!(refused, expected, "{error}");
        let text = error.to_string();
        assert!(
            !text.contains("not-a-secret-key") && !text.contains("signing-secret"),
            "{text}"
        );
    }

    #[test]
    fn elsewhere_malformed_provider_settings_are_warnings() {
        let settings = Settings::from_lookup(lookup(&with(MALFORMED, false))).unwrap();
        let mut warned: Vec<&str> = settings.warnings.iter().map(|w| w.variable).collect();
        warned.sort_unstable();
        let mut expected: Vec<&str> = MALFORMED.iter().map(|(name, _)| *name).collect();
        expected.sort_unstable();
        assert_eq!(warned, expected);
        // A sender that cannot be read is not used; ids and keys are kept as given.
        let smtp = settings.providers.smtp.unwrap();
        assert!(smtp.from_email.is_none());
        assert_eq!(settings.providers.twilio.unwrap().account_sid, "SK0123");
    }

    #[test]
    fn half_an_smtp_login_counts_only_with_a_host() {
        let production = with(&[("SMTP_PASSWORD", "")], true);
        let error = Settings::from_lookup(lookup(&production)).unwrap_err();
        assert_eq!(error.variables(), ["SMTP_PASSWORD"]);
        let without_host: Vec<_> = production
            .into_iter()
            .filter(|(name, _)| *name != "SMTP_HOST")
            .collect();
        assert!(Settings::from_lookup(lookup(&without_host)).is_ok());
    }

    #[test]
    fn api_bases_must_be_urls_everywhere() {
        let error = Settings::from_lookup(lookup(&with(
            &[
                ("TWILIO_API_BASE", "api.twilio.com"),
                ("STRIPE_API_BASE", "ftp://stripe"),
            ],
            false,
        )))
        .unwrap_err();
        assert_eq!(error.variables(), ["TWILIO_API_BASE", "STRIPE_API_BASE"]);
    }
}
