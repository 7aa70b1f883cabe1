//! Sign-up, sign-in, tokens, refresh rotation and failed-login limits.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use reminder_backend::services::auth::REUSE_GRACE_SECONDS;

use crate::support::{
    Backend, PASSWORD, TestApp, db_test, error_fields, per_backend, problem,
    refused_within_the_token_cache_bound, settings,
};

async fn register_creates_a_business_and_its_owner(app: TestApp) {
    let response = app
        .register("Acme Accounting", "Ann@Acme.example.com")
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["email"], "ann@acme.example.com");
    assert_eq!(body["user"]["role"], "owner");
    assert_eq!(body["business"]["name"], "Acme Accounting");
    assert_eq!(body["business"]["timezone"], "UTC");
    assert_eq!(body["user"]["business_id"], body["business"]["id"]);
    assert!(body["user"].get("password_hash").is_none());
}
db_test!(register_creates_a_business_and_its_owner);

async fn registering_the_same_email_twice_is_a_conflict(app: TestApp) {
    assert_eq!(
        app.register("One", "dup@example.com").await.status(),
        StatusCode::CREATED
    );
    problem(
        app.register("Two", "DUP@example.com").await,
        StatusCode::CONFLICT,
    )
    .await;
}
db_test!(registering_the_same_email_twice_is_a_conflict);

async fn weak_passwords_and_bad_fields_are_explained(app: TestApp) {
    let response = app
        .send(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({
                "business_name": " ",
                "email": "not-an-email",
                "password": "short",
                "full_name": "Ann",
                "timezone": "Mars/Base",
            })),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, ["business_name", "email", "password", "timezone"]);
    let password_message = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field"] == "password")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        password_message.contains("at least 10 characters"),
        "{password_message}"
    );

    let missing = app
        .send(
            Method::POST,
            "/auth/register",
            None,
            Some(json!({"email": "a@b.example.com"})),
        )
        .await;
    let body = problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(fields, ["business_name", "full_name", "password"]);
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|error| error["message"] == "is required"),
        "{body}"
    );
}
db_test!(weak_passwords_and_bad_fields_are_explained);

async fn sign_in_returns_bearer_tokens_that_open_the_api(app: TestApp) {
    app.register("Tokens Ltd", "t@tokens.example.com").await;
    let response = app.login("t@tokens.example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 30 * 60);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);
    let me = app
        .get("/users/me", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        "t@tokens.example.com"
    );
}
db_test!(sign_in_returns_bearer_tokens_that_open_the_api);

async fn wrong_credentials_are_401_with_a_bearer_challenge(app: TestApp) {
    app.register("Wrong Ltd", "w@wrong.example.com").await;
    for (user, password) in [
        ("w@wrong.example.com", "Not-The-Password-1"),
        ("nobody@wrong.example.com", PASSWORD),
    ] {
        let response = app.login(user, password).await;
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        problem(response, StatusCode::UNAUTHORIZED).await;
    }
}
db_test!(wrong_credentials_are_401_with_a_bearer_challenge);

async fn the_token_endpoint_wants_a_form(app: TestApp) {
    let response = app
        .send(
            Method::POST,
            "/auth/token",
            None,
            Some(json!({"username": "a", "password": "b"})),
        )
        .await;
    problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
}
db_test!(the_token_endpoint_wants_a_form);

async fn missing_bad_and_expired_tokens_are_refused(app: TestApp) {
    let owner = app.owner("Expiry").await;
    let none = app.send(Method::GET, "/users/me", None, None).await;
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    problem(none, StatusCode::UNAUTHORIZED).await;
    problem(
        app.get("/users/me", "garbage").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // A token signed with the server's key but already expired.
    let keys =
        reminder_backend::security::jwt::JwtKeys::new(crate::support::TEST_SECRET_KEY.as_bytes())
            .unwrap();
    let past = chrono::Utc::now() - chrono::Duration::hours(2);
    let expired = keys
        .issue(
            reminder_backend::domain::UserId(owner.user_id),
            reminder_backend::domain::BusinessId(owner.business_id),
            past,
            past + chrono::Duration::minutes(30),
        )
        .unwrap();
    problem(
        app.get("/users/me", &expired).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}
db_test!(missing_bad_and_expired_tokens_are_refused);

/// `POST /auth/refresh` with `token`.
async fn renew(app: &TestApp, token: String) -> reqwest::Response {
    app.send(
        Method::POST,
        "/auth/refresh",
        None,
        Some(json!({"refresh_token": token})),
    )
    .await
}

async fn refresh_rotates_and_a_reused_token_revokes_the_family(app: TestApp) {
    let owner = app.owner("Rotation").await;
    let refresh = |token: String| renew(&app, token);
    let first = refresh(owner.refresh_token.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let second_token = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_token, owner.refresh_token);
    assert_eq!(
        app.get("/users/me", first["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    // Used again after the grace window, the old token is refused, and its reuse also kills
    // the token issued from it.
    app.clock
        .advance(chrono::Duration::seconds(REUSE_GRACE_SECONDS + 1));
    problem(
        refresh(owner.refresh_token.clone()).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(refresh(second_token).await, StatusCode::UNAUTHORIZED).await;
    problem(refresh("made-up".into()).await, StatusCode::UNAUTHORIZED).await;
}
db_test!(refresh_rotates_and_a_reused_token_revokes_the_family);

async fn two_renewals_at_once_keep_the_session(app: TestApp) {
    let owner = app.owner("Two Tabs").await;
    let refresh = |token: String| renew(&app, token);
    // Two tabs renew with the same token at the same moment: both get a session.
    let (first, second) = tokio::join!(
        refresh(owner.refresh_token.clone()),
        refresh(owner.refresh_token.clone())
    );
    for response in [first, second] {
        assert_eq!(response.status(), StatusCode::OK);
        let pair: Value = response.json().await.unwrap();
        let me = app
            .get("/users/me", pair["access_token"].as_str().unwrap())
            .await;
        assert_eq!(me.status(), StatusCode::OK);
        let next = refresh(pair["refresh_token"].as_str().unwrap().to_owned()).await;
        assert_eq!(next.status(), StatusCode::OK, "each tab renews again later");
    }
}
db_test!(two_renewals_at_once_keep_the_session);

async fn failed_logins_are_limited_per_account(app: TestApp) {
    app.register("Locked", "l@locked.example.com").await;
    for _ in 0..5 {
        problem(
            app.login("l@locked.example.com", "Wrong-Password-1").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    // Now even the right password waits.
    let locked = app.login("l@locked.example.com", PASSWORD).await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900, "{retry_after}");
    problem(locked, StatusCode::TOO_MANY_REQUESTS).await;
    // Another account from the same address is not locked yet.
    app.register("Other", "o@other.example.com").await;
    assert_eq!(
        app.login("o@other.example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}
db_test!(failed_logins_are_limited_per_account);

async fn address_limit(backend: Backend) {
    let overrides = settings(&[
        ("LOGIN_MAX_FAILURES_PER_ADDRESS", "3"),
        ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "100"),
    ]);
    let app = TestApp::spawn_with(backend, overrides).await;
    app.register("Spray", "s@spray.example.com").await;
    for n in 0..3 {
        let user = format!("victim{n}@spray.example.com");
        problem(
            app.login(&user, "Wrong-Password-1").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
    let response = app.login("s@spray.example.com", PASSWORD).await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, StatusCode::TOO_MANY_REQUESTS).await;
}

per_backend!(failed_logins_are_limited_per_address, address_limit);

async fn logout_ends_the_access_token_and_the_session_on_every_node(app: TestApp) {
    let owner = app.owner("Logout Ltd").await;
    let other_session = app.sign_in(&owner.email, PASSWORD).await;
    let second = app.another_node().await;
    assert_eq!(
        second.get("/users/me", &owner.token).await.status(),
        StatusCode::OK
    );

    let response = app
        .request(reqwest::Method::POST, "/auth/logout")
        .bearer_auth(&owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The access token is refused here at once, and on the other node, which checked it a
    // moment ago, within the token cache's bound; so is its refresh token.
    let here = problem(
        app.get("/users/me", &owner.token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let there = refused_within_the_token_cache_bound(&second, &owner.token).await;
    for refused in [here, there] {
        assert!(refused["detail"].as_str().unwrap().contains("revoked"));
    }
    let refresh = second
        .request(reqwest::Method::POST, "/auth/refresh")
        .json(&json!({"refresh_token": owner.refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    // Another sign-in of the same user is a separate session and keeps working.
    assert_eq!(
        second.get("/users/me", &other_session.token).await.status(),
        StatusCode::OK
    );
    // Without a token, logout is a 401.
    let anonymous = app
        .request(reqwest::Method::POST, "/auth/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
db_test!(logout_ends_the_access_token_and_the_session_on_every_node);
