//! The settings overview's monthly caps in the console: saved through the API's service, shown
//! with this month's usage, refused by their fields.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::Visitor;
use crate::support::{TestApp, db_test};

/// Posts a settings form with the visitor's form token; returns the status, the `Location`
/// and the body.
async fn submit(
    visitor: &mut Visitor,
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let csrf = visitor.csrf.clone();
    let mut with_token = vec![("csrf", csrf.as_str())];
    with_token.extend_from_slice(fields);
    visitor
        .post(app, path, &with_token, Some(&app.address))
        .await
}

/// The business as the API shows it.
async fn business(app: &TestApp, visitor: &Visitor) -> Value {
    app.get_json("/business", &visitor.access()).await
}

/// The `value` of the input with this id.
fn input_value(html: &str, id: &str) -> Option<String> {
    let input = html
        .split(&format!("id=\"{id}\""))
        .nth(1)?
        .split('>')
        .next()?;
    Some(
        input
            .split("value=\"")
            .nth(1)?
            .split('"')
            .next()?
            .to_owned(),
    )
}

async fn monthly_caps_are_saved_and_shown_with_the_usage(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Capped Ltd", "olive@capped.example.com")
        .await;
    olive.get(&app, "/settings").await;

    // What does not read as a number, and what the service refuses, by their fields.
    let (status, _, html) = submit(
        &mut olive,
        &app,
        "/settings/caps",
        &[
            ("cap_email", ""),
            ("cap_sms", "10"),
            ("cap_whatsapp", "ten"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"cap-whatsapp-error\""), "{html}");
    assert!(html.contains("value=\"ten\""), "what was typed stays");
    let (status, _, html) = submit(
        &mut olive,
        &app,
        "/settings/caps",
        &[("cap_email", ""), ("cap_sms", "-5"), ("cap_whatsapp", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"cap-sms-error\"") && html.contains("must be 0 or more"),
        "{html}"
    );
    assert_eq!(business(&app, &olive).await["usage_caps"], Value::Null);

    // Saved: the API has them, and the usage shows them.
    let (status, location, _) = submit(
        &mut olive,
        &app,
        "/settings/caps",
        &[("cap_email", ""), ("cap_sms", "100"), ("cap_whatsapp", "0")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings?saved=caps")
    );
    assert_eq!(
        business(&app, &olive).await["usage_caps"],
        json!({"email": null, "sms": 100, "whatsapp": 0})
    );
    let usage = app.get_json("/business/usage", &olive.access()).await;
    assert_eq!(usage["channels"]["sms"]["cap"], 100);
    let (_, html) = olive.get(&app, &location).await;
    assert!(html.contains("The monthly caps are saved."));
    assert_eq!(input_value(&html, "cap-sms").as_deref(), Some("100"));
    assert_eq!(input_value(&html, "cap-email").as_deref(), Some(""));
    assert!(
        html.contains("<td>sms</td><td>0</td><td>0</td><td>100</td>"),
        "{html}"
    );

    // Emptied: no caps at all.
    submit(
        &mut olive,
        &app,
        "/settings/caps",
        &[("cap_email", ""), ("cap_sms", ""), ("cap_whatsapp", "")],
    )
    .await;
    assert_eq!(business(&app, &olive).await["usage_caps"], Value::Null);
}
db_test!(monthly_caps_are_saved_and_shown_with_the_usage);
