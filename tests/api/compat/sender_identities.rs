//! `/sender-identities/` as the original's `app/api/endpoints/senderIdentities.py` declares
//! it: `SenderIdentityCreate` (`identity_type`, `value`, `display_name`, `is_default`),
//! `SenderIdentityUpdate`, lists by `identity_type`, `DELETE`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Firm, SENDER_IDENTITY, assert_shape, error_locations, original_error};
use crate::support::{TestApp, db_test};

async fn sender_identities_answer_as_the_originals(app: TestApp) {
    let firm = Firm::register(&app, "sending_as").await;

    // Created unverified (a code goes to it), in the original's shape.
    let email = firm
        .expect(
            &app,
            Method::POST,
            "/sender-identities/",
            Some(json!({
                "identity_type": "EMAIL",
                "value": "desk@sending-as.test",
                "display_name": "Studio Desk",
                "is_default": false,
            })),
            StatusCode::CREATED,
        )
        .await;
    assert_shape(&email, &[SENDER_IDENTITY]);
    assert_eq!(email["identity_type"], "EMAIL");
    assert_eq!(email["value"], "desk@sending-as.test");
    assert_eq!(email["is_verified"], false);
    let phone = firm.expect(&app, Method::POST, "/sender-identities/", Some(json!({"identity_type": "PHONE", "value": "+390212345678", "display_name": "Studio"})), StatusCode::CREATED).await;
    assert_eq!(phone["identity_type"], "PHONE");

    // Lists by type.
    let emails = firm
        .expect(
            &app,
            Method::GET,
            "/sender-identities/?identity_type=EMAIL",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(emails.as_array().unwrap().len(), 1);
    assert_eq!(emails[0]["id"], email["id"]);
    let all = firm
        .expect(
            &app,
            Method::GET,
            "/sender-identities/",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);

    // PUT renames; a new value, or the default before verification, is refused.
    let path = format!("/sender-identities/{}", email["id"]);
    let renamed = firm
        .expect(
            &app,
            Method::PUT,
            &path,
            Some(json!({"display_name": "Front Desk"})),
            StatusCode::OK,
        )
        .await;
    assert_shape(&renamed, &[SENDER_IDENTITY]);
    assert_eq!(renamed["display_name"], "Front Desk");
    let moved = firm
        .send(
            &app,
            Method::PUT,
            &path,
            Some(json!({"value": "other@sending-as.test"})),
        )
        .await;
    let error = original_error(moved, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(error_locations(&error), [json!(["body", "value"])]);
    let default_new = firm
        .send(
            &app,
            Method::POST,
            "/sender-identities/",
            Some(json!({"identity_type": "EMAIL", "value": "x@sending-as.test", "display_name": "X", "is_default": true})),
        )
        .await;
    let error = original_error(
        default_new,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert_eq!(error_locations(&error), [json!(["body", "is_default"])]);

    // One by id; DELETE; then gone.
    let one = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_eq!(one, renamed);
    let deleted = firm
        .expect(&app, Method::DELETE, &path, None, StatusCode::OK)
        .await;
    assert_eq!(
        deleted,
        json!({"detail": "Sender identity deleted successfully"})
    );
    let gone = firm.send(&app, Method::GET, &path, None).await;
    original_error(gone, StatusCode::NOT_FOUND, "SENDER_IDENTITY_NOT_FOUND").await;
}
db_test!(sender_identities_answer_as_the_originals);
