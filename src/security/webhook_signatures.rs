//! Provider webhook signatures, checked on the raw request in constant time: Twilio's
//! `X-Twilio-Signature`, Meta's `X-Hub-Signature-256` and Stripe's `Stripe-Signature`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Twilio's string to sign: the URL, then each form parameter as name and value, sorted by
/// name (byte order) and, for a repeated name, by value.
fn twilio_string(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut out = String::from(url);
    for (name, value) in sorted {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

fn twilio_mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Option<Hmac<Sha1>> {
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).ok()?;
    mac.update(twilio_string(url, params).as_bytes());
    Some(mac)
}

/// `base64(HMAC-SHA1(auth_token, url + sorted params))`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    twilio_mac(auth_token, url, params)
        .map(|mac| STANDARD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// The URL with its scheme's default port written out, or taken out when present: Twilio
/// signs either form.
fn port_variant(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return None,
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    match authority.rsplit_once(':') {
        Some((host, port)) if port == default_port => Some(format!("{scheme}://{host}{tail}")),
        Some(_) => None,
        None => Some(format!("{scheme}://{authority}:{default_port}{tail}")),
    }
}

/// Whether `signature` is Twilio's for this request. JSON bodies are signed through a
/// `bodySHA256` query parameter; pass their raw body to have its hash checked as well.
pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    json_body: Option<&[u8]>,
    signature: &str,
) -> bool {
    if let Some(body) = json_body {
        let expected = hex::encode(Sha256::digest(body));
        let carried = url.split_once('?').and_then(|(_, query)| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "bodySHA256")
                .map(|(_, value)| value.into_owned())
        });
        if carried.as_deref() != Some(expected.as_str()) {
            return false;
        }
    }
    let params: &[(String, String)] = if json_body.is_some() { &[] } else { params };
    let Ok(presented) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    std::iter::once(url.to_owned())
        .chain(port_variant(url))
        .any(|candidate| {
            twilio_mac(auth_token, &candidate, params)
                .is_some_and(|mac| mac.verify_slice(&presented).is_ok())
        })
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac)
}

fn hmac_sha256_hex(key: &[u8], parts: &[&[u8]]) -> String {
    hmac_sha256(key, parts)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether a hex signature is the HMAC-SHA256 of `parts` under `key` (constant time).
fn matches_hex(key: &[u8], parts: &[&[u8]], presented_hex: &str) -> bool {
    let Ok(presented) = hex::decode(presented_hex.trim()) else {
        return false;
    };
    hmac_sha256(key, parts).is_some_and(|mac| mac.verify_slice(&presented).is_ok())
}

/// `sha256=` + hex HMAC-SHA256 of the raw body, as Meta signs webhooks.
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(app_secret.as_bytes(), &[body]))
}

/// Whether `header` (`X-Hub-Signature-256`) is Meta's for this raw body.
pub fn verify_meta(app_secret: &str, body: &[u8], header: &str) -> bool {
    header
        .trim()
        .strip_prefix("sha256=")
        .is_some_and(|hex| matches_hex(app_secret.as_bytes(), &[body], hex))
}

/// The hex `v1` signature Stripe computes over `"{timestamp}.{body}"`.
pub fn stripe_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hmac_sha256_hex(
        secret.as_bytes(),
        &[timestamp.to_string().as_bytes(), b".", body],
    )
}

/// Why a `Stripe-Signature` was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeSignatureError {
    /// No `t=` or no `v1=` entry.
    Malformed,
    /// No `v1` entry matches.
    Mismatch,
    /// Signed longer ago than the tolerance.
    TooOld,
    /// Signed further ahead than the tolerance: a clock that far off, or an event made to be
    /// replayed later.
    TooNew,
}

/// Checks `Stripe-Signature: t=…,v1=…[,v1=…]`: any `v1` may match (a rolled secret signs
/// twice), `v0` is ignored, and events signed more than `tolerance_seconds` before or after
/// `now` are refused. (Stripe's libraries accept any future time; a signed event dated ahead
/// would stay replayable for as long, so it is refused too.)
pub fn verify_stripe(
    secret: &str,
    body: &[u8],
    header: &str,
    now: i64,
    tolerance_seconds: i64,
) -> Result<i64, StripeSignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for entry in header.split(',') {
        match entry.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(StripeSignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(StripeSignatureError::Malformed);
    }
    let stamp = timestamp.to_string();
    let parts: [&[u8]; 3] = [stamp.as_bytes(), b".", body];
    if !signatures
        .iter()
        .any(|candidate| matches_hex(secret.as_bytes(), &parts, candidate))
    {
        return Err(StripeSignatureError::Mismatch);
    }
    if now - timestamp > tolerance_seconds {
        return Err(StripeSignatureError::TooOld);
    }
    if timestamp - now > tolerance_seconds {
        return Err(StripeSignatureError::TooNew);
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn vectors(json: &str) -> Vec<Value> {
        let file: Value = serde_json::from_str(json).unwrap();
        file["vectors"].as_array().unwrap().clone()
    }

    fn params(vector: &Value) -> Vec<(String, String)> {
        vector["params_decoded"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().unwrap().to_owned(),
                    pair[1].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn twilio_vectors_from_the_specs() {
        let all = vectors(include_str!(
            "../../tests/specs/twilio/signature_vectors.json"
        ));
        assert_eq!(all.len(), 8);
        for vector in &all {
            let token = vector["auth_token"].as_str().unwrap();
            let name = vector["name"].as_str().unwrap();
            match name {
                "port_variants" => {
                    let params = params(vector);
                    for (url, signature) in [
                        ("url_without_port", "signature_without_port"),
                        ("url_with_port", "signature_with_port"),
                    ] {
                        let signature = vector[signature].as_str().unwrap();
                        // Either form of the URL accepts either signature.
                        for url_key in ["url_without_port", "url_with_port"] {
                            let url = vector[url_key].as_str().unwrap();
                            assert!(verify_twilio(token, url, &params, None, signature), "{url}");
                        }
                        let _ = url;
                    }
                }
                "tampered_param_must_fail" => {
                    let url = vector["url"].as_str().unwrap();
                    let params = params(vector);
                    let presented = vector["x_twilio_signature_presented"].as_str().unwrap();
                    assert!(!verify_twilio(token, url, &params, None, presented));
                    let correct = vector["x_twilio_signature_correct_for_these_params"]
                        .as_str()
                        .unwrap();
                    assert!(verify_twilio(token, url, &params, None, correct));
                }
                "json_body_bodySHA256" => {
                    let url = vector["url"].as_str().unwrap();
                    let body = vector["raw_body"].as_str().unwrap().as_bytes();
                    let signature = vector["x_twilio_signature"].as_str().unwrap();
                    assert!(verify_twilio(token, url, &[], Some(body), signature));
                    assert!(!verify_twilio(token, url, &[], Some(b"{}"), signature));
                }
                _ => {
                    let url = vector["url"].as_str().unwrap();
                    let params = params(vector);
                    let signature = vector["x_twilio_signature"].as_str().unwrap();
                    assert_eq!(twilio_signature(token, url, &params), signature, "{name}");
                    assert!(
                        verify_twilio(token, url, &params, None, signature),
                        "{name}"
                    );
                    assert!(
                        !verify_twilio("wrong", url, &params, None, signature),
                        "{name}"
                    );
                }
            }
        }
    }

    #[test]
    fn meta_vectors_from_the_specs() {
        let all = vectors(include_str!(
            "../../tests/specs/whatsapp/signature_vectors.json"
        ));
        assert!(all.len() >= 6);
        for vector in &all {
            let secret = vector["app_secret"].as_str().unwrap();
            let body = vector["raw_body"].as_str().unwrap().as_bytes();
            let header = vector["x_hub_signature_256"]
                .as_str()
                .or_else(|| vector["x_hub_signature_256_presented"].as_str())
                .unwrap();
            let expected_valid = vector["expected_valid"].as_bool().unwrap_or(true);
            assert_eq!(
                verify_meta(secret, body, header),
                expected_valid,
                "{}",
                vector["name"]
            );
            if expected_valid {
                assert_eq!(meta_signature(secret, body), header);
                assert!(!verify_meta("other-secret", body, header));
                assert!(!verify_meta(
                    secret,
                    body,
                    header.trim_start_matches("sha256=")
                ));
            }
        }
    }

    #[test]
    fn meta_signs_the_escaped_text_not_a_reencoding() {
        let all = vectors(include_str!(
            "../../tests/specs/whatsapp/signature_vectors.json"
        ));
        let escaped = all
            .iter()
            .find(|v| v["name"] == "inbound_text_stop")
            .unwrap();
        let unescaped = all
            .iter()
            .find(|v| v["name"] == "same_payload_unescaped_utf8_must_differ")
            .unwrap();
        let secret = escaped["app_secret"].as_str().unwrap();
        assert!(!verify_meta(
            secret,
            unescaped["raw_body"].as_str().unwrap().as_bytes(),
            escaped["x_hub_signature_256"].as_str().unwrap()
        ));
    }

    #[test]
    fn stripe_vectors_from_the_specs() {
        let all = vectors(include_str!(
            "../../tests/specs/stripe/signature_vectors.json"
        ));
        let body_of = |vector: &Value| -> String {
            match vector["raw_body"].as_str() {
                Some(body) => body.to_owned(),
                None => {
                    let name = vector["raw_body_ref"].as_str().unwrap();
                    let source = all.iter().find(|v| v["name"] == name).unwrap();
                    source["raw_body"].as_str().unwrap().to_owned()
                }
            }
        };
        for vector in &all {
            let body = body_of(vector);
            let body = body.as_bytes();
            let timestamp = vector["timestamp"].as_i64().unwrap();
            let name = vector["name"].as_str().unwrap();
            match name {
                "rolled_secret_two_v1" => {
                    let header = vector["stripe_signature_header"].as_str().unwrap();
                    for secret in vector["endpoint_secrets_that_verify"].as_array().unwrap() {
                        let secret = secret.as_str().unwrap();
                        assert_eq!(
                            verify_stripe(secret, body, header, timestamp, 300),
                            Ok(timestamp)
                        );
                    }
                }
                "tolerance_boundary" => {
                    let secret = vector["endpoint_secret"].as_str().unwrap();
                    let header = format!(
                        "t={timestamp},v1={}",
                        stripe_signature(secret, timestamp, body)
                    );
                    for now in vector["accept_when_now_is"].as_array().unwrap() {
                        assert!(
                            verify_stripe(secret, body, &header, now.as_i64().unwrap(), 300)
                                .is_ok()
                        );
                    }
                    for now in vector["reject_when_now_is"].as_array().unwrap() {
                        assert_eq!(
                            verify_stripe(secret, body, &header, now.as_i64().unwrap(), 300),
                            Err(StripeSignatureError::TooOld)
                        );
                    }
                    // Ahead of the clock: up to the tolerance, and no further.
                    assert!(verify_stripe(secret, body, &header, timestamp - 300, 300).is_ok());
                    assert_eq!(
                        verify_stripe(secret, body, &header, timestamp - 301, 300),
                        Err(StripeSignatureError::TooNew)
                    );
                }
                _ if vector["expected_valid"] == Value::Bool(false) => {
                    let secret = vector["endpoint_secret"].as_str().unwrap();
                    let header = vector["stripe_signature_header_presented"]
                        .as_str()
                        .unwrap();
                    assert!(
                        verify_stripe(secret, body, header, timestamp, 300).is_err(),
                        "{name}"
                    );
                }
                _ => {
                    let secret = vector["endpoint_secret"].as_str().unwrap();
                    let header = vector["stripe_signature_header"].as_str().unwrap();
                    assert_eq!(
                        stripe_signature(secret, timestamp, body),
                        vector["v1"].as_str().unwrap(),
                        "{name}"
                    );
                    assert_eq!(
                        verify_stripe(secret, body, header, timestamp + 10, 300),
                        Ok(timestamp)
                    );
                    assert_eq!(
                        verify_stripe("whsec_other", body, header, timestamp, 300),
                        Err(StripeSignatureError::Mismatch)
                    );
                }
            }
        }
    }
}
