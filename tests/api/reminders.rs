//! Reminders: writing them, schedules and previews, pause/resume/cancel, tenant isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, db_test, error_fields, problem};

async fn a_reminder_is_written_with_its_schedule_and_clients(app: TestApp) {
    let owner = app.owner("Writers").await;
    let ann = app.email_client(&owner, "Ann").await;
    let body = json!({
        "title": "VAT return due",
        "kind": "deadline",
        "channels": ["email", "sms"],
        "subject": "{{ business.name }}: VAT return due {{ due_date }}",
        "body": "Hi {{ client.name }}, please send your documents. {{ payment_link }}",
        "schedule": {
            "type": "recurring",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=15",
            "start": "2027-01-15T09:00:00",
            "timezone": "Europe/London",
        },
        "payment": {"amount": 12500, "currency": "GBP"},
        "client_ids": [ann["id"]],
    });
    let created = app.reminder(&owner, body).await;
    assert_eq!(created["status"], "active");
    assert_eq!(created["channels"], json!(["email", "sms"]));
    assert_eq!(created["client_ids"], json!([ann["id"]]));
    assert_eq!(
        created["payment"],
        json!({"amount": 12500, "currency": "gbp"})
    );
    assert_eq!(created["schedule"]["timezone"], "Europe/London");
    assert_eq!(created["next_run_at"], "2027-01-15T09:00:00Z");

    let path = format!("/reminders/{}/occurrences?limit=6", created["id"]);
    let occurrences = app.get_json(&path, &owner.token).await;
    assert_eq!(occurrences["timezone"], "Europe/London");
    assert_eq!(
        occurrences["items"],
        json!([
            "2027-01-15T09:00:00+00:00",
            "2027-02-15T09:00:00+00:00",
            "2027-03-15T09:00:00+00:00",
            "2027-04-15T09:00:00+01:00",
            "2027-05-15T09:00:00+01:00",
            "2027-06-15T09:00:00+01:00",
        ])
    );
    let list = app.get_json("/reminders", &owner.token).await;
    assert_eq!(list["total"], 1);
}
db_test!(a_reminder_is_written_with_its_schedule_and_clients);

async fn bad_templates_schedules_and_clients_are_refused(app: TestApp) {
    let owner = app.owner("Refusals").await;
    let other = app.owner("Others").await;
    let theirs = app.client(&other, json!({"name": "Not yours"})).await;
    let response = app
        .post(
            "/reminders",
            &owner.token,
            json!({
                "title": "",
                "kind": "party",
                "channels": ["fax"],
                "body": "Hi {{ client.name ",
                "subject": "{% if %}",
                "schedule": {
                    "type": "recurring",
                    "rrule": "FREQ=MINUTELY",
                    "start": "2027-01-01T09:00:00",
                },
                "payment": {"amount": -5, "currency": "gbp"},
            }),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut fields = error_fields(&body);
    fields.sort();
    assert_eq!(
        fields,
        [
            "body",
            "channels",
            "kind",
            "payment.amount",
            "schedule.rrule",
            "subject",
            "title"
        ]
    );

    let past = json!({
        "title": "Late",
        "body": "x",
        "schedule": {"type": "once", "at": "2020-01-01T09:00:00", "timezone": "UTC"},
    });
    let body = problem(
        app.post("/reminders", &owner.token, past).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&body), ["schedule.at"]);

    let foreign = json!({"title": "Theirs", "body": "x", "client_ids": [theirs["id"]],
                         "schedule": {"type": "once", "at": "2099-01-01T09:00:00"}});
    let body = problem(
        app.post("/reminders", &owner.token, foreign).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&body), ["client_ids"]);

    let unknown_type = json!({"title": "x", "body": "x", "schedule": {"type": "weekly"}});
    problem(
        app.post("/reminders", &owner.token, unknown_type).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let list = app.get_json("/reminders", &owner.token).await;
    assert_eq!(list["total"], 0);
}
db_test!(bad_templates_schedules_and_clients_are_refused);

async fn another_business_reminders_are_not_found_on_any_route(app: TestApp) {
    let alpha = app.owner("Rem Alpha").await;
    let beta = app.owner("Rem Beta").await;
    let client = app.email_client(&beta, "B").await;
    let theirs = app
        .reminder(
            &beta,
            json!({
                "title": "Beta's",
                "body": "x",
                "client_ids": [client["id"]],
                "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
            }),
        )
        .await;
    let id = theirs["id"].as_i64().unwrap();
    for (method, path) in [
        ("GET", format!("/reminders/{id}")),
        ("PATCH", format!("/reminders/{id}")),
        ("DELETE", format!("/reminders/{id}")),
        ("POST", format!("/reminders/{id}/clients")),
        (
            "DELETE",
            format!("/reminders/{id}/clients/{}", client["id"]),
        ),
        ("GET", format!("/reminders/{id}/occurrences")),
        ("POST", format!("/reminders/{id}/send")),
        ("POST", format!("/reminders/{id}/pause")),
        ("POST", format!("/reminders/{id}/resume")),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = if method == reqwest::Method::PATCH {
            Some(json!({"title": "Stolen"}))
        } else {
            path.ends_with("/clients")
                .then(|| json!({"client_ids": [client["id"]]}))
        };
        let response = app
            .send(method.clone(), &path, Some(&alpha.token), body)
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let still = app.get_json(&format!("/reminders/{id}"), &beta.token).await;
    assert_eq!(still["title"], "Beta's");
    assert_eq!(still["status"], "active");
}
db_test!(another_business_reminders_are_not_found_on_any_route);

async fn clients_are_assigned_and_unassigned(app: TestApp) {
    let owner = app.owner("Assign").await;
    let a = app.email_client(&owner, "A").await;
    let b = app.email_client(&owner, "B").await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "body": "x",
                "schedule": {"type": "once", "at": "2099-01-01T09:00:00"},
            }),
        )
        .await;
    let path = format!("/reminders/{}/clients", created["id"]);
    let assigned: Value = app
        .post(
            &path,
            &owner.token,
            json!({"client_ids": [b["id"], a["id"], a["id"]]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let mut expected = vec![a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap()];
    expected.sort_unstable();
    assert_eq!(assigned["client_ids"], json!(expected));
    let removed = app
        .delete(&format!("{path}/{}", a["id"]), &owner.token)
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    problem(
        app.delete(&format!("{path}/{}", a["id"]), &owner.token)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let now = app
        .get_json(&format!("/reminders/{}", created["id"]), &owner.token)
        .await;
    assert_eq!(now["client_ids"], json!([b["id"]]));
}
db_test!(clients_are_assigned_and_unassigned);

async fn a_new_schedule_moves_the_next_run_and_revives_a_completed_reminder(app: TestApp) {
    let owner = app.owner("Patch").await;
    let created = app
        .reminder(
            &owner,
            json!({
                "title": "t",
                "body": "x",
                "schedule": {
                    "type": "once",
                    "at": "2099-01-01T09:00:00",
                    "timezone": "America/New_York",
                },
            }),
        )
        .await;
    assert_eq!(created["next_run_at"], "2099-01-01T14:00:00Z");
    let path = format!("/reminders/{}", created["id"]);
    let patched: Value = app
        .patch(
            &path,
            &owner.token,
            json!({
                "title": "New",
                "schedule": {
                    "type": "before_due",
                    "due": "2099-06-30T17:00:00",
                    "offsets": ["P7D", "P1D", "PT0S"],
                    "timezone": "Europe/Paris",
                },
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["title"], "New");
    assert_eq!(patched["next_run_at"], "2099-06-23T15:00:00Z");
    assert_eq!(
        patched["schedule"]["offsets"],
        json!(["P7D", "P1D", "PT0S"])
    );
}
db_test!(a_new_schedule_moves_the_next_run_and_revives_a_completed_reminder);
