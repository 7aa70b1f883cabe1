//! The reminder form beyond creating one: the message previewed for a chosen client, a saved
//! reminder changed on the same form, and clients found by a search whatever their number.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Visitor, created, escaped, pairs};
use crate::support::{TestApp, db_test};

/// The form's fields for a monthly e-mail reminder with a payment.
fn monthly(
    csrf: &str,
    intent: &str,
    title: &str,
    clients: &[&Value],
) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("csrf", csrf.to_owned()),
        ("intent", intent.to_owned()),
        ("title", title.to_owned()),
        ("kind", "payment".to_owned()),
        ("channel", "email".to_owned()),
        ("channel", "sms".to_owned()),
        (
            "subject",
            "{{ reminder.title }} for {{ client.name }}".to_owned(),
        ),
        (
            "body",
            "Hi {{ client.name }}, {{ amount }} is due on {{ due_date }}: {{ payment_link }}"
                .to_owned(),
        ),
        ("schedule", "recurring".to_owned()),
        ("frequency", "monthly".to_owned()),
        ("interval", "1".to_owned()),
        ("month_day", "15".to_owned()),
        ("weekday", "MO".to_owned()),
        ("start", "2030-01-15T09:00".to_owned()),
        ("timezone", "Europe/London".to_owned()),
        ("amount", "125".to_owned()),
        ("currency", "gbp".to_owned()),
    ];
    for client in clients {
        fields.push(("client", client["id"].to_string()));
    }
    fields
}

async fn the_message_is_previewed_for_a_chosen_client_before_saving(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Preview Ltd", "olive@preview.example.com")
        .await;
    let access = olive.access();
    let ann = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@preview.example.com", "timezone": "America/New_York"}),
    )
    .await;
    olive.get(&app, "/reminders/new").await;
    let csrf = olive.csrf.clone();
    let mut fields = monthly(&csrf, "preview", "VAT return", &[&ann]);
    fields.push(("preview_client", ann["id"].to_string()));
    let (status, _, html) = olive
        .post(&app, "/reminders/new", &pairs(&fields), Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"message-preview\""), "{html}");
    assert!(html.contains("What Ann would get"), "{html}");
    assert!(html.contains("VAT return for Ann"), "the subject: {html}");
    let body = escaped("Hi Ann, £125.00 is due on 15 January 2030: http://reminders.test/pay/…");
    assert!(html.contains(&body), "{body} not in {html}");
    // Ann has no phone: the preview says her SMS would not go, and why.
    assert!(html.contains("Not sent by sms: no_address"), "{html}");
    // Her dates are in her zone: 09:00 in London is 04:00 in New York.
    assert!(
        html.contains("Tuesday 15 January 2030, 04:00 EST"),
        "dates in the client's zone: {html}"
    );
    assert_eq!(
        app.get_json("/reminders", &access).await["total"],
        0,
        "a preview saves nothing"
    );

    // A template that does not render is an error by its field, as saving would say.
    let mut broken = monthly(&csrf, "preview", "VAT return", &[&ann]);
    broken.push(("preview_client", ann["id"].to_string()));
    for (name, value) in &mut broken {
        if *name == "body" {
            *value = "Hi {{ client.name ".to_owned();
        }
    }
    let (_, _, html) = olive
        .post(&app, "/reminders/new", &pairs(&broken), Some(&app.address))
        .await;
    assert!(html.contains("id=\"body-error\""), "{html}");
    assert!(!html.contains("id=\"message-preview\""));

    // A typo'd variable is named beside the body, where saving would name it, and not saved.
    let mut typo = monthly(&csrf, "save", "VAT return", &[&ann]);
    for (name, value) in &mut typo {
        if *name == "body" {
            *value = "Hi {{ client.first_name }}".to_owned();
        }
    }
    let (status, _, html) = olive
        .post(&app, "/reminders/new", &pairs(&typo), Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let named = escaped("unknown variable client.first_name on line 1 (column 7)");
    assert!(html.contains(&named), "{named} not in {html}");
    assert_eq!(app.get_json("/reminders", &access).await["total"], 0);
}
db_test!(the_message_is_previewed_for_a_chosen_client_before_saving);

async fn a_saved_reminder_is_changed_on_its_form_with_its_clients(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Change Ltd", "olive@change.example.com")
        .await;
    let access = olive.access();
    let ann = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ann", "email": "ann@change.example.com"}),
    )
    .await;
    let ben = created(
        &app,
        &access,
        "/clients",
        json!({"name": "Ben", "email": "ben@change.example.com"}),
    )
    .await;
    olive.get(&app, "/reminders/new").await;
    let csrf = olive.csrf.clone();
    let (status, location, _) = olive
        .post(
            &app,
            "/reminders/new",
            &pairs(&monthly(&csrf, "save", "Fee", &[&ann])),
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/reminders?notice=created")
    );
    let id = app.get_json("/reminders", &access).await["items"][0]["id"].clone();

    // The form opens filled from what was saved.
    let (status, html) = olive.get(&app, &format!("/reminders/{id}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"Fee\""), "{html}");
    assert!(
        html.contains("value=\"125.00\""),
        "the amount in pounds: {html}"
    );
    assert!(
        html.contains("value=\"FREQ=MONTHLY;BYMONTHDAY=15\""),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{}\" checked", ann["id"])),
        "Ann is chosen: {html}"
    );
    let (_, reminders) = olive.get(&app, "/reminders").await;
    assert!(reminders.contains(&format!("href=\"/reminders/{id}/edit\"")));

    // Saved with a new title, amount and client: Ben replaces Ann.
    let csrf = olive.csrf.clone();
    let mut fields = monthly(&csrf, "save", "Monthly fee", &[&ben]);
    for (name, value) in &mut fields {
        if *name == "amount" {
            *value = "130.50".to_owned();
        }
    }
    let (status, location, _) = olive
        .post(
            &app,
            &format!("/reminders/{id}"),
            &pairs(&fields),
            Some(&app.address),
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/reminders?notice=saved")
    );
    let saved = app.get_json(&format!("/reminders/{id}"), &access).await;
    assert_eq!(saved["title"], "Monthly fee");
    assert_eq!(saved["payment"]["amount"], 13050);
    assert_eq!(saved["client_ids"], json!([ben["id"]]));

    // Refused changes come back by their fields and change nothing.
    let mut fields = monthly(&csrf, "save", "", &[&ben]);
    fields.retain(|(name, _)| *name != "channel");
    let (status, _, html) = olive
        .post(
            &app,
            &format!("/reminders/{id}"),
            &pairs(&fields),
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"title-error\""), "{html}");
    assert_eq!(
        app.get_json(&format!("/reminders/{id}"), &access).await["title"],
        "Monthly fee"
    );

    // Without the form's token nothing changes.
    let mut forged = monthly("", "save", "Forged", &[&ann]);
    forged.retain(|(name, _)| *name != "csrf");
    let (status, _, _) = olive
        .post(
            &app,
            &format!("/reminders/{id}"),
            &pairs(&forged),
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_json(&format!("/reminders/{id}"), &access).await["title"],
        "Monthly fee"
    );
}
db_test!(a_saved_reminder_is_changed_on_its_form_with_its_clients);

async fn any_client_is_found_and_chosen_however_many_there_are(app: TestApp) {
    let mut olive = Visitor::default();
    olive
        .sign_up(&app, "Many Ltd", "olive@many.example.com")
        .await;
    let access = olive.access();
    let mut csv = String::from("name,email\n");
    for n in 1..=70 {
        csv.push_str(&format!("Client {n:02},client{n}@many.example.com\n"));
    }
    let imported = app
        .request(reqwest::Method::POST, "/clients/import")
        .bearer_auth(&access)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let (_, html) = olive.get(&app, "/reminders/new").await;
    assert!(html.contains("50 of 70 shown"), "{html}");
    assert!(!html.contains("Client 69"), "beyond the first page");

    let found = app.get_json("/clients?q=Client%2069", &access).await;
    let client_69 = found["items"][0].clone();
    assert_eq!(client_69["name"], "Client 69");
    let csrf = olive.csrf.clone();
    let mut fields = monthly(&csrf, "find", "Fee", &[]);
    fields.push(("client_query", "Client 69".to_owned()));
    let (status, _, html) = olive
        .post(&app, "/reminders/new", &pairs(&fields), Some(&app.address))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("value=\"{}\"", client_69["id"])),
        "{html}"
    );

    // Chosen, it stays chosen through the next search, and is saved.
    let mut fields = monthly(&csrf, "find", "Fee", &[&client_69]);
    fields.push(("client_query", "Client 01".to_owned()));
    let (_, _, html) = olive
        .post(&app, "/reminders/new", &pairs(&fields), Some(&app.address))
        .await;
    assert!(
        html.contains(&format!("value=\"{}\" checked", client_69["id"])),
        "{html}"
    );
    let (status, _, _) = olive
        .post(
            &app,
            "/reminders/new",
            &pairs(&monthly(&csrf, "save", "Fee", &[&client_69])),
            Some(&app.address),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let saved = app.get_json("/reminders", &access).await;
    assert_eq!(saved["items"][0]["client_ids"], json!([client_69["id"]]));
}
db_test!(any_client_is_found_and_chosen_however_many_there_are);
