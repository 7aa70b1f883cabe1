//! Conventions every route keeps: problem bodies for every error, request ids, CORS, limits.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Backend, TestApp, db_test, error_fields, per_backend, problem, settings};

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
    let Some(app) = TestApp::spawn_with(backend, overrides).await else {
        return;
    };
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

async fn strict(backend: Backend) {
    let overrides = settings(&[("STRICT_VALIDATION", "true")]);
    let Some(app) = TestApp::spawn_with(backend, overrides).await else {
        return;
    };
    let owner = app.owner("Strict").await;
    let response = app
        .post(
            "/clients",
            &owner.token,
            json!({"name": "A", "nmae": "typo"}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(error_fields(&body), ["nmae"]);
}

async fn unknown_fields_are_ignored_when_not_strict(app: TestApp) {
    let owner = app.owner("Lenient").await;
    let response = app
        .post("/clients", &owner.token, json!({"name": "A", "extra": 1}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}
db_test!(unknown_fields_are_ignored_when_not_strict);

async fn body_limit(backend: Backend) {
    // A small limit, so the whole body is written before the server answers (a body larger than
    // the socket buffers may be cut off mid-upload, which a client sees as a reset).
    let overrides = settings(&[("MAX_BODY_BYTES", "4096")]);
    let Some(app) = TestApp::spawn_with(backend, overrides).await else {
        return;
    };
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

per_backend!(strict_validation_refuses_unknown_fields, strict);

per_backend!(bodies_over_the_limit_are_413, body_limit);
