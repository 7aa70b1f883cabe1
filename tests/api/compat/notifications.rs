//! `/notifications/` as the original's `app/api/endpoints/notifications.py` declares it: lists
//! filtered by its upper-case statuses, `NotificationDetail`, and `resend`.

use reminder_backend::channels::ChannelError;
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{Firm, NOTIFICATION, assert_shape, original_error};
use crate::support::{TestApp, db_test};

async fn notifications_answer_in_the_originals_statuses_and_shape(app: TestApp) {
    // Arrange: a reminder to two clients, sent now; the first send fails for good.
    let firm = Firm::register(&app, "history_firm").await;
    let mut ids = Vec::new();
    for name in ["Ann", "Bob"] {
        let client = firm
            .expect(
                &app,
                Method::POST,
                "/clients/",
                Some(
                    json!({"name": name, "email": format!("{}@history.test", name.to_lowercase())}),
                ),
                StatusCode::CREATED,
            )
            .await;
        ids.push(client["id"].clone());
    }
    let reminder = firm
        .expect(
            &app,
            Method::POST,
            "/reminders/",
            Some(json!({
                "title": "Documents",
                "description": "Please send them",
                "reminder_type": "NOTIFICATION",
                "notification_type": "EMAIL",
                "reminder_date": app.instant_in(5, "09:00:00", "UTC").to_rfc3339(),
                "client_ids": ids,
            })),
            StatusCode::CREATED,
        )
        .await;
    app.transport.fail_next([ChannelError::Permanent {
        code: "550".into(),
        message: "mailbox unavailable".into(),
    }]);
    firm.send(
        &app,
        Method::POST,
        &format!("/reminders/{}/send-now", reminder["id"]),
        None,
    )
    .await;
    app.dispatch_until_idle().await;

    // Act / Assert: the list, whole and by the original's statuses.
    let list = |query: String| {
        let firm = &firm;
        let app = &app;
        async move {
            firm.expect(
                app,
                Method::GET,
                &format!("/notifications/{query}"),
                None,
                StatusCode::OK,
            )
            .await
        }
    };
    let all = list(String::new()).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    for item in all.as_array().unwrap() {
        assert_shape(item, &[NOTIFICATION]);
        assert_eq!(item["reminder_title"], "Documents");
        assert_eq!(item["notification_type"], "EMAIL");
        assert_eq!(item["user_id"], firm.user["id"]);
    }
    let failed = list("?status=FAILED".into()).await;
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(failed[0]["status"], "FAILED");
    assert!(failed[0]["error_message"].is_string());
    let sent = list("?status=SENT&notification_type=EMAIL".into()).await;
    assert_eq!(sent.as_array().unwrap().len(), 1);
    assert_eq!(sent[0]["status"], "SENT");
    assert!(sent[0]["sent_at"].is_string());
    assert_eq!(list("?status=PENDING".into()).await, json!([]));
    assert_eq!(
        list(format!("?client_id={}&limit=1", sent[0]["client_id"]))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let unknown = firm
        .send(&app, Method::GET, "/notifications/?status=LOST", None)
        .await;
    original_error(unknown, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;

    // One by id, then resent: the original's answers.
    let path = format!("/notifications/{}", failed[0]["id"]);
    let one = firm
        .expect(&app, Method::GET, &path, None, StatusCode::OK)
        .await;
    assert_shape(&one, &[NOTIFICATION]);
    assert_eq!(one["status"], "FAILED");
    let resent = firm
        .expect(
            &app,
            Method::POST,
            &format!("{path}/resend"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(
        resent,
        json!({
            "status": "success",
            "message": "Notification queued for resending",
            "notification_id": failed[0]["id"],
        })
    );
    app.dispatch_until_idle().await;
    assert_eq!(list("?status=FAILED".into()).await, json!([]));
}
db_test!(notifications_answer_in_the_originals_statuses_and_shape);
