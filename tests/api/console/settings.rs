//! The settings' provider accounts, sender identities and monthly caps in the console: the
//! API's services and rules behind every form (a Twilio fake and a real SMTP server take the
//! test messages and codes), secrets never shown again, owners and admins only, and nothing
//! done without the form's token.

use std::collections::HashMap;

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Visitor, escaped};
use crate::support::fakes::{ScriptedFailure, TwilioFake};
use crate::support::smtp::SmtpServer;
use crate::support::{Backend, TestApp, db_test, per_backend};

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

/// An app sending through the real transports: the platform's Twilio account is `twilio`
/// (the fake), and provider hosts on this machine are allowed (the test's SMTP server).
async fn app_with_twilio(backend: Backend, twilio: &TwilioFake) -> TestApp {
    let overrides: HashMap<String, String> = [
        ("TWILIO_ACCOUNT_SID", twilio.account_sid.clone()),
        ("TWILIO_AUTH_TOKEN", twilio.auth_token.clone()),
        ("TWILIO_FROM_NUMBER", "+15005550006".to_owned()),
        ("TWILIO_API_BASE", twilio.base_url.clone()),
        ("TWILIO_RATE_PER_SECOND", "50".to_owned()),
        ("ALLOW_PRIVATE_PROVIDER_HOSTS", "true".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    TestApp::spawn_with_providers(backend, overrides).await
}

async fn provider_accounts_are_set_tested_and_removed_and_secrets_never_shown(backend: Backend) {
    let platform = TwilioFake::start().await;
    let firm = platform.another_account();
    let app = app_with_twilio(backend, &platform).await;
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Wired Ltd", "olive@wired.example.com")
        .await;
    let (status, html) = olive.get(&app, "/settings/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"provider-twilio\""), "{html}");
    assert!(
        !html.contains("/settings/providers/twilio/test"),
        "nothing to test before an account is set"
    );

    // A wrong SID is refused by its field: what was typed stays, except the token.
    let (status, _, html) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/save",
        &[
            ("account_sid", "XX123"),
            ("auth_token", &firm.auth_token),
            ("from_number", "+15005550006"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"twilio-account_sid-error\""), "{html}");
    assert!(html.contains("value=\"XX123\""));
    assert!(
        !html.contains(&firm.auth_token),
        "a secret is never sent back"
    );
    assert_eq!(
        business(&app, &olive).await["providers"]["twilio"]["configured"],
        false
    );

    // Saved: set, its SID shown, its token nowhere.
    let (status, location, _) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/save",
        &[
            ("account_sid", &firm.account_sid),
            ("auth_token", &firm.auth_token),
            ("from_number", "+15005550006"),
            ("rate_per_second", "50"),
        ],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/providers?saved=twilio")
    );
    let (_, html) = olive.get(&app, &location).await;
    assert!(html.contains("The Twilio account is saved."), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", firm.account_sid)));
    assert!(!html.contains(&firm.auth_token), "a secret is never shown");
    assert!(html.contains("/settings/providers/twilio/test"));
    let shown = business(&app, &olive).await;
    assert_eq!(shown["providers"]["twilio"]["configured"], true);
    assert_eq!(
        shown["providers"]["twilio"]["account_sid"],
        firm.account_sid
    );

    // A test goes through the firm's account to Twilio, and its answer is shown once.
    let (status, location, _) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/test",
        &[("to", "+447911123456")],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/providers#provider-twilio")
    );
    let sent = firm.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].param("To"), Some("+447911123456"));
    assert!(platform.messages().is_empty(), "not the platform's account");
    let (status, html) = olive.get(&app, "/settings/providers").await;
    assert_eq!(status, StatusCode::OK);
    let outcome = html
        .split("id=\"provider-twilio-outcome\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap_or_else(|| panic!("no outcome: {html}"));
    assert!(
        outcome.contains("accepted") && outcome.contains(&sent[0].sid),
        "{outcome}"
    );
    let (_, html) = olive.get(&app, "/settings/providers").await;
    assert!(!html.contains("provider-twilio-outcome"), "shown once");

    // Twilio's refusal is explained on the page, not an error page.
    let refusal = "Permission to send an SMS has not been enabled for the region indicated by the 'To' number";
    firm.fail_next(ScriptedFailure {
        status: 400,
        code: 21408,
        message: refusal.to_owned(),
        retry_after: None,
    });
    let (status, _, _) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/test",
        &[("to", "+447911123456")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, html) = olive.get(&app, "/settings/providers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&escaped(refusal)) && html.contains("21408") && html.contains("Not accepted"),
        "{html}"
    );
    // A number that is no number is the person's mistake, shown by its field.
    let (status, _, html) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/test",
        &[("to", "not a number")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"provider-twilio-to-error\""), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", firm.account_sid)));

    // Changed with the token left empty: the stored token is kept (Twilio takes the next test).
    let (status, _, _) = submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/save",
        &[
            ("account_sid", &firm.account_sid),
            ("auth_token", ""),
            ("from_number", "+15005550007"),
            ("rate_per_second", "50"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    submit(
        &mut olive,
        &app,
        "/settings/providers/twilio/test",
        &[("to", "+447911123456")],
    )
    .await;
    let sent = firm.messages();
    assert_eq!(sent.len(), 2, "{:?}", firm.violations());
    assert_eq!(sent[1].param("From"), Some("+15005550007"));

    // The firm's SMTP server: the port must be a number, the password is never shown, a
    // test reaches the server.
    {
        let smtp = SmtpServer::start(Some(("firm", "Right-Password-7")));
        let port = smtp.port.to_string();
        let mut fields = vec![
            ("host", "127.0.0.1"),
            ("tls", "none"),
            ("port", "99999"),
            ("username", "firm"),
            ("password", "Right-Password-7"),
            ("from_email", "desk@wired.example.com"),
        ];
        let (status, _, html) =
            submit(&mut olive, &app, "/settings/providers/smtp/save", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("id=\"smtp-port-error\""), "{html}");
        fields[2].1 = &port;
        let (status, _, _) =
            submit(&mut olive, &app, "/settings/providers/smtp/save", &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (_, html) = olive.get(&app, "/settings/providers").await;
        assert!(
            !html.contains("Right-Password-7"),
            "a secret is never shown"
        );
        assert!(html.contains(&format!("value=\"{port}\"")));
        submit(
            &mut olive,
            &app,
            "/settings/providers/smtp/test",
            &[("to", "me@wired.example.com")],
        )
        .await;
        let mails = smtp.messages();
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0]["rcpt_tos"], json!(["me@wired.example.com"]));
        let (_, html) = olive.get(&app, "/settings/providers").await;
        assert!(html.contains("id=\"provider-smtp-outcome\""), "{html}");
    }

    // Removed: the platform's account is used again, and there is nothing to test.
    let (status, location, _) =
        submit(&mut olive, &app, "/settings/providers/twilio/remove", &[]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/providers?removed=twilio")
    );
    assert_eq!(
        business(&app, &olive).await["providers"]["twilio"]["configured"],
        false
    );
    let (_, html) = olive.get(&app, &location).await;
    assert!(html.contains("The Twilio account is removed"));
    assert!(!html.contains("/settings/providers/twilio/test"));
    assert!(
        platform.violations().is_empty(),
        "{:?}",
        platform.violations()
    );
}
per_backend!(
    provider_accounts_are_set_tested_and_removed_and_secrets_never_shown,
    provider_accounts_are_set_tested_and_removed_and_secrets_never_shown
);

/// The six-digit code at the start of the last SMS Twilio took for `to`.
fn code_sent_to(twilio: &TwilioFake, to: &str) -> String {
    let body = twilio
        .messages()
        .iter()
        .rev()
        .find(|message| message.param("To") == Some(to))
        .and_then(|message| message.param("Body").map(str::to_owned))
        .unwrap_or_else(|| panic!("no SMS to {to}"));
    let code: String = body.chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "no code in {body:?}");
    code
}

async fn an_identity_is_verified_with_the_code_it_received_and_made_the_default(backend: Backend) {
    let twilio = TwilioFake::start().await;
    let app = app_with_twilio(backend, &twilio).await;
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Senders Ltd", "olive@senders.example.com")
        .await;
    let (status, html) = olive.get(&app, "/settings/identities").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("None yet"), "{html}");

    // Refused by the service's rules, by their fields, as typed.
    let (status, _, html) = submit(
        &mut olive,
        &app,
        "/settings/identities",
        &[("channel", "sms"), ("address", "not a number")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"new-address-error\""), "{html}");
    assert!(html.contains("value=\"not a number\""));

    // Added: a code goes out by SMS, and the page says so.
    let number = "+447911123456";
    let (status, location, _) = submit(
        &mut olive,
        &app,
        "/settings/identities",
        &[
            ("channel", "sms"),
            ("address", number),
            ("display_name", "Front desk"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        location.starts_with("/settings/identities?done=added#identity-"),
        "{location}"
    );
    let first_code = code_sent_to(&twilio, number);
    let listed = app.get_json("/sender-identities", &olive.access()).await;
    let id = listed["items"][0]["id"].as_i64().expect("id");
    let (_, html) = olive.get(&app, &location).await;
    assert!(
        html.contains(&format!("id=\"identity-{id}-outcome\""))
            && html.contains(&format!("A code was sent to {number}")),
        "{html}"
    );
    assert!(html.contains("Front desk") && html.contains("Not verified yet"));

    // Another code at once is refused with how long to wait, on the page.
    let code_path = format!("/settings/identities/{id}/code");
    let (status, _, html) = submit(&mut olive, &app, &code_path, &[]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        html.contains(&format!("id=\"identity-{id}-error\""))
            && html.contains("A new code can be sent in"),
        "{html}"
    );
    // A minute later it is sent, and it is the one that counts.
    app.clock.advance(Duration::seconds(61));
    let (status, _, _) = submit(&mut olive, &app, &code_path, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let code = code_sent_to(&twilio, number);
    assert_eq!(twilio.messages().len(), 2);

    // A wrong code (the first one, replaced by the second) is refused by its field and
    // changes nothing.
    let verify_path = format!("/settings/identities/{id}/verify");
    let wrong = if first_code == code {
        format!(
            "{:06}",
            (code.parse::<u32>().expect("digits") + 1) % 1_000_000
        )
    } else {
        first_code
    };
    let (status, _, html) = submit(&mut olive, &app, &verify_path, &[("code", &wrong)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!("id=\"code-{id}-error\"")) && html.contains("4 tries left"),
        "{html}"
    );
    let identity = app
        .get_json(&format!("/sender-identities/{id}"), &olive.access())
        .await;
    assert_eq!(identity["verified"], false);
    // Unverified, it cannot be the default either.
    let default_path = format!("/settings/identities/{id}/default");
    let (status, _, _) = submit(&mut olive, &app, &default_path, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The code received verifies it; then it becomes the SMS default.
    let (status, location, _) = submit(&mut olive, &app, &verify_path, &[("code", &code)]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/identities?done=verified")
    );
    let (status, _, _) = submit(&mut olive, &app, &default_path, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let identity = app
        .get_json(&format!("/sender-identities/{id}"), &olive.access())
        .await;
    assert_eq!(
        (
            identity["verified"].as_bool(),
            identity["is_default"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let (_, html) = olive.get(&app, "/settings/identities?done=default").await;
    assert!(
        html.contains("the sms default") && html.contains("Verified on"),
        "{html}"
    );

    // Deleted.
    let (status, location, _) = submit(
        &mut olive,
        &app,
        &format!("/settings/identities/{id}/delete"),
        &[],
    )
    .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/identities?done=deleted")
    );
    let listed = app.get_json("/sender-identities", &olive.access()).await;
    assert_eq!(listed["total"], 0);
}
per_backend!(
    an_identity_is_verified_with_the_code_it_received_and_made_the_default,
    an_identity_is_verified_with_the_code_it_received_and_made_the_default
);

async fn a_member_gets_403_on_every_provider_identity_and_cap_page_and_action(app: TestApp) {
    let owner = app.owner("Members Ltd").await;
    app.patch(
        "/business",
        &owner.token,
        json!({"providers": {"stripe": {"secret_key": "sk_test_members"}}}),
    )
    .await;
    let identity = app
        .post(
            "/sender-identities",
            &owner.token,
            json!({"channel": "email", "address": "billing@members.example.com"}),
        )
        .await
        .json::<Value>()
        .await
        .expect("identity");
    let id = identity["id"].as_i64().expect("id");
    app.staff(&owner, "mia@members.example.com", "member").await;
    let mut mia = Visitor::default();
    mia.sign_in(&app, "mia@members.example.com").await;
    let (status, _) = mia.get(&app, "/dashboard").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a member's form token comes from a page they see"
    );

    for path in ["/settings/providers", "/settings/identities"] {
        let (status, html) = mia.get(&app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("Only owners and admins"), "{path}");
    }
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/settings/caps".into(), vec![("cap_sms", "1")]),
        (
            "/settings/providers/stripe/save".into(),
            vec![("secret_key", "sk_test_mia")],
        ),
        ("/settings/providers/stripe/remove".into(), vec![]),
        ("/settings/providers/stripe/test".into(), vec![]),
        (
            "/settings/identities".into(),
            vec![("channel", "email"), ("address", "mia@members.example.com")],
        ),
        (format!("/settings/identities/{id}/code"), vec![]),
        (
            format!("/settings/identities/{id}/verify"),
            vec![("code", "123456")],
        ),
        (format!("/settings/identities/{id}/default"), vec![]),
        (format!("/settings/identities/{id}/delete"), vec![]),
    ];
    for (path, fields) in &posts {
        let (status, _, html) = submit(&mut mia, &app, path, fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("Not for your role"), "{path}: {html}");
    }

    // Nothing changed.
    let business = app.get_json("/business", &owner.token).await;
    assert_eq!(business["usage_caps"], Value::Null);
    assert_eq!(business["providers"]["stripe"]["configured"], true);
    let listed = app.get_json("/sender-identities", &owner.token).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(
        (
            listed["items"][0]["verified"].as_bool(),
            listed["items"][0]["is_default"].as_bool()
        ),
        (Some(false), Some(false))
    );
    let log = app
        .get_json("/audit-log?action=providers.tested", &owner.token)
        .await;
    assert_eq!(log["total"], 0);
}
db_test!(a_member_gets_403_on_every_provider_identity_and_cap_page_and_action);

async fn settings_forms_without_their_token_change_nothing(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Tokens Ltd", "olive@tokens.example.com")
        .await;
    let (status, _) = olive.get(&app, "/settings/identities").await;
    assert_eq!(status, StatusCode::OK);
    let posts: [(&str, Vec<(&str, &str)>); 4] = [
        ("/settings/caps", vec![("cap_sms", "1")]),
        (
            "/settings/providers/stripe/save",
            vec![("secret_key", "sk_test_forged")],
        ),
        ("/settings/providers/stripe/remove", vec![]),
        (
            "/settings/identities",
            vec![
                ("channel", "email"),
                ("address", "forged@tokens.example.com"),
            ],
        ),
    ];
    for (path, fields) in &posts {
        let (status, _, html) = olive.post(&app, path, fields, Some(&app.address)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(html.contains("This form has expired"), "{path}: {html}");
    }
    let business = business(&app, &olive).await;
    assert_eq!(business["usage_caps"], Value::Null);
    assert_eq!(business["providers"]["stripe"]["configured"], false);
    let listed = app.get_json("/sender-identities", &olive.access()).await;
    assert_eq!(listed["total"], 0);
}
db_test!(settings_forms_without_their_token_change_nothing);
