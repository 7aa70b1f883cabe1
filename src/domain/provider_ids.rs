//! The shapes of provider account ids and keys, as each provider documents them: one set of
//! rules for the platform's settings (`TWILIO_*`, `WHATSAPP_*`, `STRIPE_*`) and a business's
//! own accounts. A message never quotes the value, since some are secrets.

/// `prefix` followed by at least one letter, digit or `_`.
fn prefixed(value: &str, prefix: &str) -> Result<(), String> {
    match value.trim().strip_prefix(prefix) {
        Some(rest)
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Ok(())
        }
        _ => Err(format!(
            "must start with {prefix} followed by letters and digits"
        )),
    }
}

/// A Twilio account SID (`AC…`).
pub fn twilio_account_sid(value: &str) -> Result<(), String> {
    prefixed(value, "AC")
}

/// A Twilio Messaging Service SID (`MG…`).
pub fn twilio_messaging_service_sid(value: &str) -> Result<(), String> {
    prefixed(value, "MG")
}

/// The numeric id Meta gives a WhatsApp Business phone number.
pub fn whatsapp_phone_number_id(value: &str) -> Result<(), String> {
    let value = value.trim();
    if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err("must be the numeric id Meta gives the number".into())
    }
}

/// A Stripe secret (`sk_…`) or restricted (`rk_…`) key.
pub fn stripe_secret_key(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.starts_with("sk_") || value.starts_with("rk_") {
        Ok(())
    } else {
        Err("must be a Stripe secret (sk_…) or restricted (rk_…) key".into())
    }
}

/// A Stripe webhook signing secret (`whsec_…`).
pub fn stripe_webhook_secret(value: &str) -> Result<(), String> {
    prefixed(value, "whsec_")
}

/// A Stripe publishable key (`pk_…`).
pub fn stripe_publishable_key(value: &str) -> Result<(), String> {
    prefixed(value, "pk_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_keys_of_the_documented_shapes_are_accepted() {
        assert!(twilio_account_sid("AC0123456789abcdef0123456789abcdef").is_ok());
        assert!(twilio_messaging_service_sid("MG0123456789abcdef").is_ok());
        assert!(whatsapp_phone_number_id("106540352242922").is_ok());
        assert!(stripe_secret_key("sk_live_51H").is_ok());
        assert!(stripe_secret_key("rk_test_51H").is_ok());
        assert!(stripe_webhook_secret("whsec_5a1b2c3d").is_ok());
        assert!(stripe_publishable_key("pk_test_51H").is_ok());
    }

    #[test]
    fn other_shapes_are_refused_without_quoting_the_value() {
        let refusals = [
            twilio_account_sid("SK0123"),
            twilio_account_sid("AC"),
            twilio_messaging_service_sid("MG-01"),
            whatsapp_phone_number_id("+447400123456"),
            stripe_secret_key("pk_live_51H"),
            stripe_webhook_secret("whsec-secret-value"),
            stripe_publishable_key("sk_live_51H"),
        ];
        for refusal in refusals {
            let message = refusal.unwrap_err();
            assert!(
                !message.contains("secret-value") && !message.contains("51H"),
                "{message}"
            );
        }
    }
}
