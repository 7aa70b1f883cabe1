//! The HTTP section: where the service listens and is reached, which origins may call it, how
//! large and slow requests may be, and per-address request quotas. Production refuses a
//! non-https `PUBLIC_BASE_URL` and `CORS_ORIGINS=*`.

use std::net::IpAddr;

use super::reader::Reader;

/// The HTTP settings, as the `Settings` fields of the same names.
pub(super) struct Server {
    pub(super) host: IpAddr,
    pub(super) port: u16,
    pub(super) api_v1_str: String,
    pub(super) cors_origins: Vec<String>,
    pub(super) public_base_url: String,
    pub(super) strict_validation: bool,
    pub(super) max_body_bytes: usize,
    pub(super) import_max_bytes: usize,
    pub(super) request_timeout_seconds: u64,
    pub(super) trust_forwarded_for: bool,
    pub(super) rate_limit_auth_per_minute: u32,
    pub(super) rate_limit_webhooks_per_minute: u32,
}

/// Reads the section; in `production` a non-https `PUBLIC_BASE_URL` and `CORS_ORIGINS=*` are
/// refused.
pub(super) fn read(r: &mut Reader, production: bool) -> Server {
    let api_v1_str = r.text("API_V1_STR").unwrap_or_else(|| "/api/v1".to_owned());
    r.ensure(
        "API_V1_STR",
        api_v1_str.starts_with('/') && !api_v1_str.ends_with('/'),
        "must start with '/' and not end with one",
    );
    let port: u16 = r.with_default("PORT", 8000);
    let public_base_url = r
        .text("PUBLIC_BASE_URL")
        .unwrap_or_else(|| format!("http://localhost:{port}"))
        .trim_end_matches('/')
        .to_owned();
    // Links in messages, RFC 8058 unsubscribe and provider signatures need the public https
    // address.
    r.ensure(
        "PUBLIC_BASE_URL",
        !production || public_base_url.starts_with("https://"),
        "production needs the public https:// address clients and providers reach",
    );
    let cors_origins = r.list("CORS_ORIGINS");
    r.ensure(
        "CORS_ORIGINS",
        !production || !cors_origins.iter().any(|origin| origin == "*"),
        "production does not allow any origin (*): list the front-end origins",
    );
    Server {
        host: r.with_default("HOST", IpAddr::from([0, 0, 0, 0])),
        port,
        api_v1_str,
        cors_origins,
        public_base_url,
        strict_validation: r.flag("STRICT_VALIDATION", true),
        max_body_bytes: r.with_default("MAX_BODY_BYTES", 1024 * 1024),
        import_max_bytes: r.with_default("IMPORT_MAX_BYTES", 64 * 1024 * 1024),
        request_timeout_seconds: r.with_default("REQUEST_TIMEOUT_SECONDS", 30),
        trust_forwarded_for: r.flag("TRUST_FORWARDED_FOR", false),
        rate_limit_auth_per_minute: r.with_default("RATE_LIMIT_AUTH_PER_MINUTE", 120),
        rate_limit_webhooks_per_minute: r.with_default("RATE_LIMIT_WEBHOOKS_PER_MINUTE", 1200),
    }
}
