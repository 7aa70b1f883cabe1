//! Templates are checked when they are written: an unknown variable, attribute or filter is a
//! 422 naming it and where it is, on reminders (create and change), WhatsApp template
//! parameters and the business's default; legitimate templates are accepted and send as
//! written; a template stored before the check sends as it always did.

use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

use reminder_backend::clock::Clock;
use reminder_backend::entities::reminder;

use crate::support::{TestApp, db_test, problem};

/// A `once` reminder body, far ahead, with these templates.
fn draft(subject: &str, body: &str) -> Value {
    json!({
        "title": "Fee",
        "channels": ["email"],
        "subject": subject,
        "body": body,
        "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
    })
}

/// The `{field: message}` pairs of a 422.
fn errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_typo_in_a_template_variable_is_refused_with_its_name_and_place(app: TestApp) {
    let owner = app.owner("Typos Ltd").await;
    let refused = problem(
        app.post(
            "/reminders",
            &owner.token,
            draft("Fee for {{ client.name }}", "Hi {{ client.first_name }}"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        errors(&refused),
        [(
            "body".to_owned(),
            "unknown variable client.first_name on line 1 (column 7): client has email, \
             external_ref, name, phone"
                .to_owned()
        )]
    );
    // On a later line, in the subject, in a branch the sample does not take: all named at once.
    let refused = problem(
        app.post(
            "/reminders",
            &owner.token,
            draft(
                "{{ buisness.name }}",
                "Hi {{ client.name }},\n{% if amount %}Pay {{ amount }}.{% else %}{{ duedate }}{% endif %}",
            ),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        errors(&refused),
        [
            (
                "subject".to_owned(),
                "unknown variable buisness on line 1 (column 4)".to_owned()
            ),
            (
                "body".to_owned(),
                "unknown variable duedate on line 2 (column 46)".to_owned()
            ),
        ]
    );
    assert_eq!(app.get_json("/reminders", &owner.token).await["total"], 0);

    // A change is checked the same way, and leaves the reminder as it was.
    let saved = app
        .reminder(&owner, draft("Fee", "Hi {{ client.name }}"))
        .await;
    let path = format!("/reminders/{}", saved["id"]);
    let refused = problem(
        app.patch(
            &path,
            &owner.token,
            json!({"subject": "{{ reminder.titel }}"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        errors(&refused),
        [(
            "subject".to_owned(),
            "unknown variable reminder.titel on line 1 (column 4): reminder has kind, title"
                .to_owned()
        )]
    );
    assert_eq!(app.get_json(&path, &owner.token).await["subject"], "Fee");

    // WhatsApp template parameters, the reminder's and the business's default.
    let whatsapp = json!({"name": "fee_due", "language": "en_GB",
                          "parameters": ["{{ client.name }}", "{{ client.nmae }}"]});
    let refused = problem(
        app.patch(&path, &owner.token, json!({"whatsapp_template": whatsapp}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        errors(&refused)[0].0,
        "whatsapp_template.parameters[1]",
        "{refused}"
    );
    assert!(
        errors(&refused)[0]
            .1
            .starts_with("unknown variable client.nmae on line 1")
    );
    let refused = problem(
        app.patch(
            "/business",
            &owner.token,
            json!({"whatsapp_template": whatsapp}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        errors(&refused)[0].0,
        "whatsapp_template.parameters[1]",
        "{refused}"
    );
}
db_test!(a_typo_in_a_template_variable_is_refused_with_its_name_and_place);

async fn an_unknown_filter_test_or_function_is_refused(app: TestApp) {
    let owner = app.owner("Filters Ltd").await;
    for (body, message) in [
        (
            "Hi {{ client.name | upperr }}",
            "unknown filter upperr on line 1 (column 21)",
        ),
        (
            "{% if amount is nonempty %}Pay{% endif %}",
            "unknown test nonempty on line 1 (column 17)",
        ),
        (
            "Sent {{ today() }}",
            "unknown function today on line 1 (column 9)",
        ),
        // Only a client without a payment would take this branch: refused all the same.
        (
            "{% if amount %}Pay {{ amount }}{% else %}{{ client.name | titel }}{% endif %}",
            "unknown filter titel on line 1 (column 59)",
        ),
    ] {
        let refused = problem(
            app.post("/reminders", &owner.token, draft("Fee", body))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            errors(&refused),
            [("body".to_owned(), message.to_owned())],
            "{body}"
        );
    }
    assert_eq!(app.get_json("/reminders", &owner.token).await["total"], 0);
}
db_test!(an_unknown_filter_test_or_function_is_refused);

async fn templates_with_conditions_defaults_and_loops_are_accepted_and_send_as_written(
    app: TestApp,
) {
    let owner = app.owner("Careful Ltd").await;
    let ann = app
        .client(
            &owner,
            json!({"name": "Ann", "email": "ann@example.com", "timezone": "UTC"}),
        )
        .await;
    let body = "{% if client.email %}Dear {{ client.name | upper }},{% endif %}\n\
                {{ amount | default('Nothing', true) }} is due on {{ due_date }}.\n\
                {% for d in documents %}{{ loop.index }}. {{ d.name }}{% else %}No documents.{% endfor %}\n\
                {% set sign = business.name ~ ' (' ~ reminder.kind ~ ')' %}{{ sign }}";
    let mut request = draft("{{ reminder.title }} for {{ client.name }}", body);
    request["client_ids"] = json!([ann["id"]]);
    let created = app.reminder(&owner, request).await;
    let sent = app
        .post(
            &format!("/reminders/{}/send", created["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let messages = app.transport.sent();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].subject.as_deref(), Some("Fee for Ann"));
    // Sent on demand: the occurrence is now, in Ann's zone (UTC).
    let date = app.clock.now().format("%-d %B %Y");
    assert_eq!(
        messages[0].body,
        format!("Dear ANN,\nNothing is due on {date}.\nNo documents.\nCareful Ltd (custom)")
    );
}
db_test!(templates_with_conditions_defaults_and_loops_are_accepted_and_send_as_written);

async fn a_template_stored_before_the_check_still_sends_as_it_did(app: TestApp) {
    let owner = app.owner("Old Ltd").await;
    let ann = app.email_client(&owner, "Ann").await;
    let mut request = draft("Fee", "Hi {{ client.name }}");
    request["client_ids"] = json!([ann["id"]]);
    let created = app.reminder(&owner, request).await;
    // Written when unknown variables printed as nothing.
    let id = created["id"].as_i64().unwrap();
    let mut row = reminder::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .into_active_model();
    row.body = Set("Hi {{ client.first_name }}!".to_owned());
    row.update(&app.state.db).await.unwrap();

    let sent = app
        .post(&format!("/reminders/{id}/send"), &owner.token, json!({}))
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    app.dispatch_until_idle().await;
    let messages = app.transport.sent();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].body, "Hi !");
    let notification = &app.notifications(&owner, "").await[0];
    assert_eq!(notification["status"], "sent");
}
db_test!(a_template_stored_before_the_check_still_sends_as_it_did);
