//! Data survives a restart of the server on the same database.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, db_test};

async fn data_is_kept_across_a_restart(app: TestApp) {
    let owner = app.owner("Keepers").await;
    let client = app
        .client(
            &owner,
            json!({"name": "Kept Client", "email": "kept@example.com"}),
        )
        .await;

    let app = app.restart().await;

    let session = app.sign_in(&owner.email, PASSWORD).await;
    let response = app
        .get(&format!("/clients/{}", client["id"]), &session.token)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let fetched: Value = response.json().await.unwrap();
    assert_eq!(fetched["email"], "kept@example.com");
    // A refresh token issued before the restart still works once.
    let refreshed = app
        .send(
            reqwest::Method::POST,
            "/auth/refresh",
            None,
            Some(json!({"refresh_token": owner.refresh_token})),
        )
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
}
db_test!(data_is_kept_across_a_restart);
