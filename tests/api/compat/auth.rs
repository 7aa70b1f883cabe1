//! `POST /users/register`, `POST /auth/login`, `GET /auth/me`, `POST /auth/logout` as the
//! original's `app/api/endpoints/users.py` and `auth.py` declare them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{
    Firm, TOKEN, USER, assert_shape, error_locations, original_error, original_json, sign_in,
};
use crate::support::{PASSWORD, TestApp, db_test};

async fn a_firm_registers_as_the_original_and_signs_in_by_username_or_email(app: TestApp) {
    // Arrange / Act: the original's UserCreate.
    let firm = Firm::register(&app, "studio_rossi").await;

    // Assert: its User, with what was sent.
    assert_shape(&firm.user, &[USER]);
    assert_eq!(firm.user["username"], "studio_rossi");
    assert_eq!(firm.user["email"], "studio_rossi@firm.test");
    assert_eq!(firm.user["first_name"], "Anna");
    assert_eq!(firm.user["last_name"], "Maria Rossi");
    assert_eq!(firm.user["business_name"], "studio_rossi Srl");
    assert_eq!(firm.user["phone_number"], "+390212345678");
    assert_eq!(firm.user["is_active"], true);
    assert_eq!(firm.user["is_superuser"], false);

    // Sign-in by username (any case) and by e-mail; the Token.
    let by_username = sign_in(&app, "Studio_Rossi", PASSWORD).await;
    assert_shape(&by_username, &[TOKEN]);
    assert_eq!(by_username["token_type"], "bearer");
    let by_email = sign_in(&app, "studio_rossi@firm.test", PASSWORD).await;
    assert_shape(&by_email, &[TOKEN]);

    // `me` as its User.
    let me = firm
        .expect(&app, Method::GET, "/auth/me", None, StatusCode::OK)
        .await;
    assert_shape(&me, &[USER]);
    assert_eq!(me["id"], firm.user["id"]);
    assert_eq!(me["username"], "studio_rossi");
}
db_test!(a_firm_registers_as_the_original_and_signs_in_by_username_or_email);

async fn registration_refusals_use_the_originals_envelope_and_create_nothing(app: TestApp) {
    Firm::register(&app, "taken").await;
    let register =
        |body: serde_json::Value| app.send(Method::POST, "/users/register", None, Some(body));

    // The username is taken, whatever its case: USER_ALREADY_EXISTS, 409.
    let again = register(json!({
        "username": "TAKEN",
        "email": "other@firm.test",
        "password": PASSWORD,
    }))
    .await;
    original_error(again, StatusCode::CONFLICT, "USER_ALREADY_EXISTS").await;

    // Invalid fields: VALIDATION_ERROR with FastAPI's details, each field named.
    let invalid = register(json!({
        "username": "ab",
        "email": "not-an-email",
        "password": "short",
        "phone_number": "+39 02 1234 5678 90123",
    }))
    .await;
    let error = original_error(
        invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let locations = error_locations(&error);
    for field in ["username", "email", "password", "phone_number"] {
        assert!(
            locations.contains(&json!(["body", field])),
            "{field}: {error}"
        );
    }

    // A missing required field, as Pydantic would name it.
    let missing = register(json!({"email": "x@firm.test", "password": PASSWORD})).await;
    let error = original_error(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(
        error_locations(&error).contains(&json!(["body", "username"])),
        "{error}"
    );

    // Nothing was created: neither address signs in.
    for name in ["other@firm.test", "x@firm.test"] {
        let refused = app
            .request(Method::POST, "/auth/login")
            .form(&[("username", name), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        original_error(refused, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    }
}
db_test!(registration_refusals_use_the_originals_envelope_and_create_nothing);

async fn token_failures_answer_fastapis_detail_and_logout_ends_the_token(app: TestApp) {
    let firm = Firm::register(&app, "leaving").await;

    // No token: FastAPI's 401 `{"detail": …}` with `WWW-Authenticate: Bearer`.
    let anonymous = app.send(Method::GET, "/auth/me", None, None).await;
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer");
    let body = original_json(anonymous, StatusCode::UNAUTHORIZED).await;
    assert!(body["detail"].is_string(), "{body}");

    // Logout as the original answered it; the token no longer works.
    let out = firm
        .expect(&app, Method::POST, "/auth/logout", None, StatusCode::OK)
        .await;
    assert_eq!(out, json!({"detail": "Successfully logged out"}));
    let after = firm.send(&app, Method::GET, "/auth/me", None).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}
db_test!(token_failures_answer_fastapis_detail_and_logout_ends_the_token);

async fn signing_in_by_username_is_rate_limited_like_ours(app: TestApp) {
    Firm::register(&app, "guarded").await;
    let mut statuses = Vec::new();
    // By username and by e-mail in turn: both count against the one account.
    for name in ["guarded", "guarded@firm.test"].iter().cycle().take(12) {
        let response = app
            .request(Method::POST, "/auth/login")
            .form(&[("username", *name), ("password", "wrong password 1")])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
            original_error(
                response,
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMIT_EXCEEDED",
            )
            .await;
            break;
        }
    }
    // Five failures in all, whichever name was used.
    assert_eq!(statuses.len(), 6, "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The right password is refused too until the window passes.
    let right = app
        .request(Method::POST, "/auth/login")
        .form(&[("username", "guarded"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
}
db_test!(
    signing_in_by_username_is_rate_limited_like_ours,
    [("LOGIN_MAX_FAILURES_PER_ACCOUNT", "5")]
);
