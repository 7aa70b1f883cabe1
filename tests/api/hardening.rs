//! Security headers on every answer, and per-address rate limits on sign-in and webhooks.

use std::collections::HashMap;

use reqwest::StatusCode;

use crate::support::{Backend, TestApp, db_test, per_backend, problem};

async fn every_answer_carries_security_headers(app: TestApp) {
    for path in ["/health", "/api/v1/users/me", "/nope", "/docs/"] {
        let response = app
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        // Not over plain http (tests): HSTS only when PUBLIC_BASE_URL is https.
        assert!(headers.get("strict-transport-security").is_none());
    }
}
db_test!(every_answer_carries_security_headers);

async fn limited(backend: Backend) {
    let overrides: HashMap<String, String> = [
        ("RATE_LIMIT_AUTH_PER_MINUTE", "3"),
        ("RATE_LIMIT_WEBHOOKS_PER_MINUTE", "2"),
        ("PUBLIC_BASE_URL", "https://reminders.test"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let app = TestApp::spawn_with(backend, overrides).await;
    let attempt = || {
        app.request(reqwest::Method::POST, "/auth/token")
            .form(&[
                ("username", "nobody@limits.test"),
                ("password", "wrong-password-1"),
            ])
            .send()
    };
    for _ in 0..3 {
        assert_eq!(attempt().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let refused = attempt().await.unwrap();
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        refused.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    problem(refused, StatusCode::TOO_MANY_REQUESTS).await;
    // Webhooks have their own quota; other routes none.
    let hook = || {
        app.request(reqwest::Method::POST, "/webhooks/stripe")
            .body("{}")
            .send()
    };
    assert_eq!(hook().await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(hook().await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        hook().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    for _ in 0..5 {
        assert_eq!(
            app.request(reqwest::Method::GET, "/health")
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }
}
per_backend!(sign_in_and_webhooks_are_rate_limited_per_address, limited);
