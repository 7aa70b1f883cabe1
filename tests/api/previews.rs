//! Previews: a draft (`POST /reminders/preview`) or a saved reminder
//! (`GET /reminders/{id}/preview?client_id=`) rendered for one client with its next
//! occurrences, refused as creating would refuse it, isolated by business, and writing nothing.

use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use reminder_backend::entities::{notification, payment, reminder};

use crate::support::{TestApp, db_test, error_fields, json_body, problem};

/// A monthly payment reminder by e-mail and SMS, as `POST /reminders` takes it.
fn monthly() -> Value {
    json!({
        "title": "VAT return",
        "channels": ["email", "sms"],
        "subject": "{{ reminder.title }} for {{ client.name }}",
        "body": "Hi {{ client.name }}, {{ amount }} is due on {{ due_date }}: {{ payment_link }}",
        "schedule": {
            "type": "recurring",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=15",
            "start": "2030-01-15T09:00:00",
            "timezone": "Europe/London",
        },
        "payment": {"amount": 12500, "currency": "gbp"},
    })
}

/// How many rows the tables a preview must not write hold.
async fn written(app: &TestApp) -> (u64, u64, u64) {
    let db = &app.state.db;
    (
        reminder::Entity::find().count(db).await.unwrap(),
        notification::Entity::find().count(db).await.unwrap(),
        payment::Entity::find().count(db).await.unwrap(),
    )
}

async fn a_draft_is_previewed_for_a_client_and_nothing_is_written(app: TestApp) {
    let owner = app.owner("Preview Ltd").await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "email": "ann@example.com", "timezone": "America/New_York"}),
        )
        .await;
    let mut draft = monthly();
    draft["client_id"] = ann["id"].clone();
    draft["client_ids"] = json!([ann["id"]]);
    let preview = json_body(
        app.post("/reminders/preview", &owner.token, draft).await,
        StatusCode::OK,
    )
    .await;

    assert_eq!(preview["client_id"], ann["id"]);
    // Ann's dates in her zone; the instants in UTC (09:00 London, in winter and in summer).
    assert_eq!(preview["timezone"], "America/New_York");
    assert_eq!(
        preview["occurrences"],
        json!([
            "2030-01-15T09:00:00Z",
            "2030-02-15T09:00:00Z",
            "2030-03-15T09:00:00Z",
            "2030-04-15T08:00:00Z",
            "2030-05-15T08:00:00Z",
        ])
    );
    assert_eq!(
        preview["messages"],
        json!([
            {
                "channel": "email",
                "skip_reason": null,
                "subject": "VAT return for Ann",
                // 09:00 in London is 04:00 on the 15th in New York.
                "body": "Hi Ann, £125.00 is due on 15 January 2030: http://reminders.test/pay/…",
                "whatsapp_template": null,
                "error": null,
            },
            {
                // Ann has no phone.
                "channel": "sms",
                "skip_reason": "no_address",
                "subject": null,
                "body": "Hi Ann, £125.00 is due on 15 January 2030: http://reminders.test/pay/…",
                "whatsapp_template": null,
                "error": null,
            },
        ])
    );
    assert_eq!(preview["links"]["payment"], "http://reminders.test/pay/…");
    assert_eq!(preview["links"]["documents"], json!([]));
    assert!(
        preview["links"]["unsubscribe"]
            .as_str()
            .unwrap()
            .starts_with("http://reminders.test/unsubscribe/"),
        "{preview}"
    );

    // Saved nothing, planned nothing, sent nothing.
    assert_eq!(written(&app).await, (0, 0, 0));
    assert_eq!(app.get_json("/reminders", &owner.token).await["total"], 0);
    app.dispatch_until_idle().await;
    assert!(app.transport.sent().is_empty());
}
db_test!(a_draft_is_previewed_for_a_client_and_nothing_is_written);

async fn a_draft_that_creating_would_refuse_is_refused_alike(app: TestApp) {
    let owner = app.owner("Drafts Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;

    // A typo'd variable: the same 422 as `POST /reminders`.
    let mut typo = monthly();
    typo["body"] = json!("Hi {{ client.first_name }}");
    let created = problem(
        app.post("/reminders", &owner.token, typo.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    typo["client_id"] = ann["id"].clone();
    let previewed = problem(
        app.post("/reminders/preview", &owner.token, typo).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(previewed["errors"], created["errors"]);
    assert_eq!(
        previewed["errors"][0]["message"],
        "unknown variable client.first_name on line 1 (column 7): client has email, \
         external_ref, name, phone"
    );

    // An unknown filter, and a schedule with nothing left to send.
    let mut filter = monthly();
    filter["client_id"] = ann["id"].clone();
    filter["body"] = json!("{{ client.name | capitalise }}");
    let refused = problem(
        app.post("/reminders/preview", &owner.token, filter).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        refused["errors"],
        json!([{"field": "body", "message": "unknown filter capitalise on line 1 (column 18)"}])
    );
    let mut past = monthly();
    past["client_id"] = ann["id"].clone();
    past["schedule"] = json!({"type": "once", "at": "2020-01-01T09:00:00", "timezone": "UTC"});
    let refused = problem(
        app.post("/reminders/preview", &owner.token, past).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["schedule.at"]);

    // No client to show it for, a misspelt field and a missing title, named together.
    let mut bare = monthly();
    bare.as_object_mut().unwrap().remove("title");
    bare["emial"] = json!("x");
    let refused = problem(
        app.post("/reminders/preview", &owner.token, bare).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields = error_fields(&refused);
    assert_eq!(fields[0], "client_id", "{refused}");
    assert!(fields.len() > 1, "the draft's own error too: {refused}");
    let mut misspelt = monthly();
    misspelt["client_id"] = ann["id"].clone();
    misspelt["emial"] = json!("x");
    let refused = problem(
        app.post("/reminders/preview", &owner.token, misspelt).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), ["emial"]);
    assert_eq!(written(&app).await, (0, 0, 0));
}
db_test!(
    a_draft_that_creating_would_refuse_is_refused_alike,
    [("STRICT_VALIDATION", "true")]
);

async fn a_saved_reminder_is_previewed_for_any_of_the_business_clients(app: TestApp) {
    let owner = app.owner("Saved Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    let bob = app
        .client(
            &owner,
            json!({"name": "Bob", "phone": "+44 7911 123456", "preferred_channels": ["sms"]}),
        )
        .await;
    let mut request = monthly();
    request["client_ids"] = json!([ann["id"]]);
    let saved = app.reminder(&owner, request).await;
    let before = written(&app).await;

    // Bob is not assigned: previewed all the same, by SMS, in the schedule's zone.
    let path = format!("/reminders/{}/preview?client_id={}", saved["id"], bob["id"]);
    let preview = app.get_json(&path, &owner.token).await;
    assert_eq!(preview["client_id"], bob["id"]);
    assert_eq!(preview["timezone"], "Europe/London");
    assert_eq!(preview["occurrences"][0], "2030-01-15T09:00:00Z");
    assert_eq!(preview["messages"][0]["channel"], "email");
    assert_eq!(preview["messages"][0]["skip_reason"], "not_preferred");
    assert_eq!(preview["messages"][1]["channel"], "sms");
    assert_eq!(preview["messages"][1]["skip_reason"], Value::Null);
    assert_eq!(
        preview["messages"][1]["body"],
        "Hi Bob, £125.00 is due on 15 January 2030: http://reminders.test/pay/…"
    );

    // `client_id` is required, and named.
    let missing = problem(
        app.get(&format!("/reminders/{}/preview", saved["id"]), &owner.token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&missing), ["client_id"]);

    // The reminder itself is unchanged, and nothing more was written.
    let reminder = app
        .get_json(&format!("/reminders/{}", saved["id"]), &owner.token)
        .await;
    assert_eq!(reminder["client_ids"], json!([ann["id"]]));
    assert_eq!(written(&app).await, before);
}
db_test!(a_saved_reminder_is_previewed_for_any_of_the_business_clients);

async fn another_business_reminders_and_clients_are_not_found_by_previews(app: TestApp) {
    let alpha = app.owner("Preview Alpha").await;
    let beta = app.owner("Preview Beta").await;
    let ours = app.email_client(&alpha, "Ours").await;
    let theirs = app.email_client(&beta, "Theirs").await;
    let their_reminder = app.reminder(&beta, monthly()).await;
    let our_reminder = app.reminder(&alpha, monthly()).await;

    let mut draft = monthly();
    draft["client_id"] = theirs["id"].clone();
    problem(
        app.post("/reminders/preview", &alpha.token, draft).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for path in [
        format!(
            "/reminders/{}/preview?client_id={}",
            their_reminder["id"], ours["id"]
        ),
        format!(
            "/reminders/{}/preview?client_id={}",
            their_reminder["id"], theirs["id"]
        ),
        format!(
            "/reminders/{}/preview?client_id={}",
            our_reminder["id"], theirs["id"]
        ),
    ] {
        problem(app.get(&path, &alpha.token).await, StatusCode::NOT_FOUND).await;
    }
    // Their own previews answer.
    let path = format!(
        "/reminders/{}/preview?client_id={}",
        their_reminder["id"], theirs["id"]
    );
    assert_eq!(
        app.get_json(&path, &beta.token).await["client_id"],
        theirs["id"]
    );
}
db_test!(another_business_reminders_and_clients_are_not_found_by_previews);

async fn the_preview_endpoints_are_documented_with_named_schemas(app: TestApp) {
    let spec: Value = app
        .send(reqwest::Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let draft = &spec["paths"]["/api/v1/reminders/preview"]["post"];
    let saved = &spec["paths"]["/api/v1/reminders/{id}/preview"]["get"];
    for operation in [draft, saved] {
        assert_eq!(operation["tags"], json!(["reminders"]));
        assert_eq!(operation["security"], json!([{"oauth2": []}]));
        assert_eq!(
            operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ReminderPreviewResponse"
        );
        for (status, response) in operation["responses"].as_object().unwrap() {
            assert!(response["description"].is_string(), "{status}");
        }
    }
    let schemas = &spec["components"]["schemas"];
    for name in [
        "ReminderPreviewResponse",
        "PreviewMessageResponse",
        "PreviewLinksResponse",
        "PreviewDocumentResponse",
    ] {
        let properties = schemas[name]["properties"].as_object().unwrap();
        for (field, schema) in properties {
            // A nullable reference carries its description beside the `$ref` in `oneOf`.
            let described = std::iter::once(schema)
                .chain(schema["oneOf"].as_array().into_iter().flatten())
                .any(|part| part["description"].as_str().is_some_and(|d| !d.is_empty()));
            assert!(described, "{name}.{field} is not described: {schema}");
        }
    }
    assert_eq!(
        schemas["ReminderPreviewResponse"]["properties"]["messages"]["items"]["$ref"],
        "#/components/schemas/PreviewMessageResponse"
    );
}
db_test!(the_preview_endpoints_are_documented_with_named_schemas);
