//! The harness itself: an app dropped with work left in its outbox fails its test, unless the
//! test said it means to leave it.

use reminder_backend::entities::{Timestamp, notification};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::support::{TestApp, db_test};

/// Queues a manual send that nobody dispatches: one `pending` notification, due now.
async fn leave_a_send_undispatched(app: &TestApp) {
    let owner = app.owner("Unsettled").await;
    let ann = app.email_client(&owner, "Ann").await;
    let reminder = app.once_for(&owner, &ann, "email", 1).await;
    let queued = app
        .post(
            &format!("/reminders/{}/send", reminder["id"]),
            &owner.token,
            json!({}),
        )
        .await;
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
}

/// Drops the app in a task of its own and returns what its `Drop` panicked with.
async fn drop_failure(app: TestApp) -> Option<String> {
    let dropped = tokio::spawn(async move { drop(app) }).await;
    dropped.err().map(|error| {
        let panic = error.into_panic();
        panic
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

async fn an_app_dropped_with_a_due_notification_fails(app: TestApp) {
    leave_a_send_undispatched(&app).await;
    let failure = drop_failure(app).await.expect("the drop fails");
    assert!(failure.contains("email pending attempts=0"), "{failure}");
}
db_test!(an_app_dropped_with_a_due_notification_fails);

async fn an_app_dropped_with_a_claimed_notification_fails(app: TestApp) {
    leave_a_send_undispatched(&app).await;
    // As if a dispatcher had claimed it and never finished: `sending`, not due again for a day.
    let later = Timestamp(
        reminder_backend::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::days(1),
    );
    notification::Entity::update_many()
        .col_expr(notification::Column::Status, Expr::value("sending"))
        .col_expr(notification::Column::NextAttemptAt, Expr::value(later))
        .exec(&app.state.db)
        .await
        .unwrap();
    let failure = drop_failure(app).await.expect("the drop fails");
    assert!(failure.contains("email sending"), "{failure}");
}
db_test!(an_app_dropped_with_a_claimed_notification_fails);

async fn an_app_dropped_after_dispatching_everything_due_passes(app: TestApp) {
    leave_a_send_undispatched(&app).await;
    app.dispatch_until_idle().await;
    assert_eq!(app.transport.sent().len(), 1);
    assert_eq!(drop_failure(app).await, None);
}
db_test!(an_app_dropped_after_dispatching_everything_due_passes);

async fn a_test_that_expects_unsent_work_may_leave_it(app: TestApp) {
    leave_a_send_undispatched(&app).await;
    app.expect_unsent();
    assert_eq!(drop_failure(app).await, None);
}
db_test!(a_test_that_expects_unsent_work_may_leave_it);
