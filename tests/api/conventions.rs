//! Conventions every route keeps: problem bodies for every error, request ids, CORS, limits.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{
    Backend, TestApp, db_test, error_fields, error_message, per_backend, problem, settings,
};

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    problem(
        app.send(Method::GET, "/api/elsewhere", None, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        app.send(Method::GET, "/api/v1/nowhere", None, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let wrong = app.send(Method::PUT, "/business", None, None).await;
    let allow = wrong.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("PATCH"), "{allow}");
    problem(wrong, StatusCode::METHOD_NOT_ALLOWED).await;
}
db_test!(unknown_routes_and_methods_are_problems);

async fn malformed_json_and_wrong_media_types_are_problems(app: TestApp) {
    let owner = app.owner("Conventions").await;
    let malformed = app
        .request(Method::POST, "/clients")
        .bearer_auth(&owner.token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    problem(malformed, StatusCode::BAD_REQUEST).await;

    let text = app
        .request(Method::POST, "/clients")
        .bearer_auth(&owner.token)
        .header("content-type", "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    problem(text, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let list = app.get_json("/clients", &owner.token).await;
    assert_eq!(list["total"], 0);
}
db_test!(malformed_json_and_wrong_media_types_are_problems);

async fn request_ids_are_echoed_or_generated_and_quoted_in_errors(app: TestApp) {
    let given = app
        .request(Method::GET, "/nowhere")
        .header("x-request-id", "req-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "req-123");
    assert_eq!(
        problem(given, StatusCode::NOT_FOUND).await["request_id"],
        "req-123"
    );

    let generated = app.send(Method::GET, "/health", None, None).await;
    let id = generated.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "{id}");
}
db_test!(request_ids_are_echoed_or_generated_and_quoted_in_errors);

async fn cors(backend: Backend) {
    let overrides = settings(&[("CORS_ORIGINS", "https://app.example.com")]);
    let app = TestApp::spawn_with(backend, overrides).await;
    let preflight = |origin: &'static str| {
        app.request(Method::OPTIONS, "/clients")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

async fn unknown_fields_are_refused_by_default(app: TestApp) {
    let owner = app.owner("Strict").await;
    let response = app
        .post(
            "/clients",
            &owner.token,
            json!({"name": "A", "emial": "a@clients.test"}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["emial"]);
    assert_eq!(app.get_json("/clients", &owner.token).await["total"], 0);
    // The original service's paths take what its clients sent.
    let alias = app
        .post("/clients/", &owner.token, json!({"name": "A", "extra": 1}))
        .await;
    assert_eq!(alias.status(), StatusCode::CREATED);
}
db_test!(unknown_fields_are_refused_by_default);

async fn lenient(backend: Backend) {
    let overrides = settings(&[("STRICT_VALIDATION", "false")]);
    let app = TestApp::spawn_with(backend, overrides).await;
    let owner = app.owner("Lenient").await;
    let response = app
        .post("/clients", &owner.token, json!({"name": "A", "extra": 1}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// One answer names every field at fault: types, missing fields (by their own name), values,
/// nested ones and unknown ones; dates say the format they take.
async fn every_field_error_comes_at_once(app: TestApp) {
    let owner = app.owner("Errors").await;
    let response = app
        .post(
            "/reminders",
            &owner.token,
            json!({
                "body": "Hello",
                "channels": "email",
                "schedule": {"type": "once", "at": "2031-01-15T09:00:00"},
                "payment": {"amount": "ten", "currency": 5},
                "colour": "red",
            }),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "channels",
            "colour",
            "payment.amount",
            "payment.currency",
            "title"
        ]
    );
    assert_eq!(error_message(&body, "title"), "is required");

    // Well-typed but wrong values are all reported too.
    let response = app
        .post(
            "/reminders",
            &owner.token,
            json!({
                "title": "Fees",
                "body": "Hello",
                "channels": ["email"],
                "schedule": {"type": "once", "at": "2031-13-45", "timezone": "Mars/Base"},
                "payment": {"amount": -5, "currency": "xxx"},
            }),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "payment.amount",
            "payment.currency",
            "schedule.at",
            "schedule.timezone"
        ]
    );
    let at = error_message(&body, "schedule.at");
    assert!(at.contains("ISO 8601"), "{at}");
    assert_eq!(app.get_json("/reminders", &owner.token).await["total"], 0);

    let response = app.get("/notifications?from=yesterday", &owner.token).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["from"]);
    assert!(error_message(&body, "from").contains("RFC 3339"), "{body}");
}
db_test!(every_field_error_comes_at_once);

async fn body_limit(backend: Backend) {
    // A small limit, so the whole body is written before the server answers (a body larger than
    // the socket buffers may be cut off mid-upload, which a client sees as a reset).
    let overrides = settings(&[("MAX_BODY_BYTES", "4096")]);
    let app = TestApp::spawn_with(backend, overrides).await;
    let owner = app.owner("Limits").await;
    let huge = json!({"name": "x".repeat(8 * 1024)});
    problem(
        app.post("/clients", &owner.token, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let list = app.get_json("/clients", &owner.token).await;
    assert_eq!(list["total"], 0);
}

per_backend!(cors_allows_only_configured_origins, cors);

per_backend!(unknown_fields_pass_when_not_strict, lenient);

per_backend!(bodies_over_the_limit_are_413, body_limit);
