//! `/reminders/` as the original's `app/api/endpoints/reminders.py` declares it:
//! `ReminderCreate`/`ReminderUpdate`, `ReminderSchema` lists, `ReminderDetail`, `DELETE` and
//! `send-now`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    CLIENT, Firm, REMINDER, REMINDER_DETAIL, assert_shape, error_locations, original_error,
};
use crate::support::{TestApp, db_test};

async fn clients(app: &TestApp, firm: &Firm, names: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for name in names {
        let email = format!("{}@reminders.test", name.to_lowercase());
        let created = firm
            .expect(
                app,
                Method::POST,
                "/clients/",
                Some(json!({"name": name, "email": email})),
                StatusCode::CREATED,
            )
            .await;
        assert_shape(&created, &[CLIENT]);
        ids.push(created["id"].as_i64().unwrap());
    }
    ids
}

async fn a_reminder_lives_through_the_originals_paths(app: TestApp) {
    let firm = Firm::register(&app, "reminding_firm").await;
    let ids = clients(&app, &firm, &["Ann", "Bob"]).await;
    let date = app.instant_in(2, "15:00:00", "UTC");

    // The original's ReminderCreate: a ReminderDetail, 201.
    let created = firm
        .expect(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "VAT return",
                "description": "Send us your {receipts}, {{ please }}",
                "reminder_type": "DEADLINE",
                "notification_type": "EMAIL",
                "reminder_date": date.to_rfc3339(),
                "is_recurring": false,
                "recurrence_pattern": null,
                "is_active": true,
                "email_configuration_id": null,
                "client_ids": [ids[0]],
            })),
            StatusCode::CREATED,
        )
        .await;
    assert_shape(&created, &[REMINDER, REMINDER_DETAIL]);
    assert_eq!(created["reminder_type"], "DEADLINE");
    assert_eq!(created["notification_type"], "EMAIL");
    assert_eq!(
        created["description"],
        "Send us your {receipts}, {{ please }}"
    );
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(created["reminder_date"].as_str().unwrap()).unwrap(),
        date
    );
    assert_eq!(created["is_recurring"], false);
    assert_eq!(created["clients"], json!([ids[0]]));
    assert_eq!(created["user_id"], firm.user["id"]);

    // A recurring one by the plus_tests pattern; its rule is the RRULE.
    let weekly = firm
        .expect(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "Weekly",
                "reminder_type": "NOTIFICATION",
                "notification_type": "SMS",
                "reminder_date": date.to_rfc3339(),
                "is_recurring": true,
                "recurrence_pattern": "WEEKLY_MON",
                "client_ids": [],
                "is_active": false,
            })),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(weekly["is_recurring"], true);
    assert_eq!(weekly["recurrence_pattern"], "FREQ=WEEKLY;BYDAY=MO");
    assert_eq!(weekly["reminder_type"], "NOTIFICATION");
    assert_eq!(weekly["notification_type"], "SMS");
    assert_eq!(weekly["is_active"], false);

    // Lists are arrays of ReminderSchema; active_only leaves the paused one out.
    let all = firm
        .expect(&app, Method::GET, "/reminders/", None, StatusCode::OK)
        .await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_shape(&all[0], &[REMINDER]);
    let active = firm
        .expect(
            &app,
            Method::GET,
            "/reminders/?active_only=true&skip=0&limit=10",
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(active.as_array().unwrap().len(), 1);
    assert_eq!(active[0]["id"], created["id"]);

    // PUT: a new title, the clients replaced, paused.
    let path = format!("/reminders/{}", created["id"]);
    let updated = firm
        .expect(
            &app,
            Method::PUT,
            &path,
            Some(json!({"title": "VAT return Q3", "client_ids": [ids[1]], "is_active": false})),
            StatusCode::OK,
        )
        .await;
    assert_shape(&updated, &[REMINDER, REMINDER_DETAIL]);
    assert_eq!(updated["title"], "VAT return Q3");
    assert_eq!(updated["clients"], json!([ids[1]]));
    assert_eq!(updated["is_active"], false);
    let read = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_eq!(read, updated);

    // DELETE answers the original's detail; the reminder stays, inactive.
    let deleted = firm
        .expect(&app, Method::DELETE, &path, None, StatusCode::OK)
        .await;
    assert_eq!(deleted, json!({"detail": "Reminder deleted successfully"}));
    let after = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_eq!(after["is_active"], false);
    // Sending a deleted one is refused as an operation, not as a duplicate.
    let refused = firm
        .send(&app, Method::POST, &format!("{path}/send-now"), None)
        .await;
    original_error(refused, StatusCode::CONFLICT, "INVALID_OPERATION").await;
}
db_test!(a_reminder_lives_through_the_originals_paths);

async fn send_now_answers_the_originals_shape(app: TestApp) {
    let firm = Firm::register(&app, "sending_firm").await;
    let ids = clients(&app, &firm, &["Ann", "Bob"]).await;
    let created = firm
        .expect(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "Invoice",
                "description": "Please pay",
                "reminder_type": "PAYMENT",
                "notification_type": "EMAIL",
                "reminder_date": app.instant_in(3, "09:00:00", "UTC").to_rfc3339(),
                "client_ids": ids,
            })),
            StatusCode::CREATED,
        )
        .await;

    let sent = firm
        .expect(
            &app,
            Method::POST,
            &format!("/reminders/{}/send-now", created["id"]),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        sent,
        json!({
            "status": "success",
            "message": "Reminder queued for immediate sending to 2 recipients",
            "reminder_id": created["id"],
            "notification_count": 2,
        })
    );
    app.dispatch_until_idle().await;
    let detail = firm
        .expect(
            &app,
            Method::GET,
            &format!("/reminders/{}", created["id"]),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(detail["notifications_count"], 2);
    assert_eq!(detail["sent_count"], 2);
    assert_eq!(detail["failed_count"], 0);
}
db_test!(send_now_answers_the_originals_shape);

async fn reminders_the_original_would_refuse_or_we_cannot_keep_are_refused(app: TestApp) {
    let firm = Firm::register(&app, "refusing_firm").await;
    let ids = clients(&app, &firm, &["Ann"]).await;
    let date = app.instant_in(2, "09:00:00", "UTC").to_rfc3339();
    let refused = firm
        .send(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "Bad",
                "reminder_type": "BIRTHDAY",
                "notification_type": "FAX",
                "reminder_date": date,
                "is_recurring": true,
                "email_configuration_id": 3,
                "client_ids": ids,
            })),
        )
        .await;
    let error = original_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    let locations = error_locations(&error);
    for field in [
        "reminder_type",
        "notification_type",
        "recurrence_pattern",
        "email_configuration_id",
    ] {
        assert!(
            locations.contains(&json!(["body", field])),
            "{field}: {error}"
        );
    }
    // A pattern we cannot read, and a client of nobody's.
    let unreadable = firm
        .send(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "Odd",
                "reminder_type": "DEADLINE",
                "notification_type": "EMAIL",
                "reminder_date": date,
                "is_recurring": true,
                "recurrence_pattern": "every blue moon",
                "client_ids": [ids[0], 999_999],
            })),
        )
        .await;
    let error = original_error(
        unreadable,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    .await;
    assert!(
        error_locations(&error).contains(&json!(["body", "recurrence_pattern"])),
        "{error}"
    );
    let none: Value = firm
        .expect(&app, Method::GET, "/reminders/", None, StatusCode::OK)
        .await;
    assert_eq!(none, json!([]));
}
db_test!(reminders_the_original_would_refuse_or_we_cannot_keep_are_refused);
