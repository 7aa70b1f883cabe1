//! The `plus_tests` branch's recurrence patterns arrive as RRULEs from the reminder's own date and
//! time; a day some months lack goes out on the month's last day there, as in the original, and
//! the report flags each such reminder. The first releases' `monthly` and `yearly` from such a
//! day get the same rule and flag (the original moved those to the 28th, or stopped a yearly one
//! on 29 February).

use chrono::Datelike;
use reminder_backend::clock::Clock;
use reminder_backend::original;
use serde_json::{Value, json};

use super::{BCRYPT, OLD_PASSWORD, at};
use crate::support::{Backend, TestApp};

/// 09:00 UTC on a day, as SQLAlchemy stores it (10:00 in Rome in winter).
fn nine_utc(year: i32, month: u32, day: u32) -> String {
    at(chrono::NaiveDate::from_ymd_opt(year, month, day)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc())
}

/// An original database holding Alice and her reminders, `values` the rows of
/// `(id, user_id, title, reminder_type, notification_type, sender_identity_id, is_recurring,
/// recurrence_pattern, reminder_date, is_active)`.
async fn alice_with_reminders(
    dir: &tempfile::TempDir,
    now: chrono::DateTime<chrono::Utc>,
    values: &str,
) -> sea_orm::DatabaseConnection {
    let created = at(now);
    super::original_sqlite_with(
        dir,
        &[
            format!(
                "INSERT INTO users (id, username, email, hashed_password, is_active, created_at)
                 VALUES (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 1, {created})"
            ),
            format!(
                "INSERT INTO reminders (id, user_id, title, reminder_type, notification_type,
                 sender_identity_id, is_recurring, recurrence_pattern, reminder_date, is_active)
                 VALUES {values}"
            ),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_end_patterns_fall_back_to_the_last_day_and_are_flagged() {
    // Arrange: a year without 29 February followed by a leap year, both ahead; 09:00 UTC in
    // winter is 10:00 in Rome, the wall-clock time each occurrence keeps.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let now = app.clock.now();
    let year = (now.year() + 1..).find(|y| y % 4 == 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = alice_with_reminders(
        &dir,
        now,
        &format!(
            "(1, 1, 'Rent', 'PAYMENT', 'EMAIL', 1, 1, 'MONTHLY_31', {}, 1),
             (2, 1, 'Leap day', 'DEADLINE', 'EMAIL', 1, 1, 'YEARLY_2_29', {}, 1),
             (3, 1, 'Timesheet', 'NOTIFICATION', 'EMAIL', 1, 1, 'WEEKLY_MON', {}, 1)",
            nine_utc(year, 1, 31),
            nine_utc(year, 2, 1),
            nine_utc(year, 1, 1),
        ),
    )
    .await;

    // Act
    let report = original::import(&source, &app.state.db, &super::options(&app, false), now)
        .await
        .unwrap();

    // Assert
    assert_eq!(
        serde_json::to_value(&report).unwrap()["reminders"],
        json!({"read": 3, "imported": 3, "skipped": {},
               "changed": {"month_end_day_clamped": 2}})
    );
    let token = app.sign_in("alice@rossi.test", OLD_PASSWORD).await.token;
    let listed = app.get_json("/reminders?limit=50", &token).await;
    let reminder =
        |title: &str| super::by_title(listed["items"].as_array().unwrap(), title).clone();
    let upcoming = |id: &Value, limit: u32| {
        let path = format!("/reminders/{id}/occurrences?limit={limit}");
        let app = &app;
        let token = &token;
        async move { app.get_json(&path, token).await["items"].clone() }
    };
    let rent = reminder("Rent");
    assert_eq!(
        rent["schedule"],
        json!({"type": "recurring", "rrule": "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1",
               "start": format!("{year}-01-31T10:00:00"), "timezone": "Europe/Rome"})
    );
    assert_eq!(
        upcoming(&rent["id"], 4).await,
        json!([
            format!("{year}-01-31T10:00:00+01:00"),
            format!("{year}-02-28T10:00:00+01:00"),
            format!("{year}-03-31T10:00:00+02:00"),
            format!("{year}-04-30T10:00:00+02:00"),
        ])
    );
    let leap = reminder("Leap day");
    assert_eq!(
        leap["schedule"]["rrule"],
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    );
    assert_eq!(
        upcoming(&leap["id"], 2).await,
        json!([
            format!("{year}-02-28T10:00:00+01:00"),
            format!("{}-02-29T10:00:00+01:00", year + 1),
        ])
    );
    assert_eq!(
        reminder("Timesheet")["schedule"]["rrule"],
        "FREQ=WEEKLY;BYDAY=MO"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_releases_words_from_a_month_end_day_keep_it_and_are_flagged() {
    // Arrange: `monthly` from 31 January and `every 2 months` from 30 January of a year without
    // 29 February, `yearly` from 29 February of the leap year after, and `monthly` from a day
    // every month has.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let now = app.clock.now();
    let year = (now.year() + 1..).find(|y| y % 4 == 3).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let source = alice_with_reminders(
        &dir,
        now,
        &format!(
            "(1, 1, 'Rent', 'PAYMENT', 'EMAIL', 1, 1, 'monthly', {}, 1),
             (2, 1, 'Payroll', 'PAYMENT', 'EMAIL', 1, 1, 'every 2 months', {}, 1),
             (3, 1, 'Leap day', 'DEADLINE', 'EMAIL', 1, 1, 'yearly', {}, 1),
             (4, 1, 'Mid-month', 'DEADLINE', 'EMAIL', 1, 1, 'monthly', {}, 1)",
            nine_utc(year, 1, 31),
            nine_utc(year, 1, 30),
            nine_utc(year + 1, 2, 29),
            nine_utc(year, 1, 15),
        ),
    )
    .await;

    // Act
    let report = original::import(&source, &app.state.db, &super::options(&app, false), now)
        .await
        .unwrap();

    // Assert
    assert_eq!(
        serde_json::to_value(&report).unwrap()["reminders"],
        json!({"read": 4, "imported": 4, "skipped": {},
               "changed": {"month_end_day_clamped": 3}})
    );
    let token = app.sign_in("alice@rossi.test", OLD_PASSWORD).await.token;
    let listed = app.get_json("/reminders?limit=50", &token).await;
    let rule = |title: &str| {
        super::by_title(listed["items"].as_array().unwrap(), title)["schedule"]["rrule"].clone()
    };
    assert_eq!(
        rule("Rent"),
        "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"
    );
    assert_eq!(
        rule("Payroll"),
        "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30;BYSETPOS=-1"
    );
    assert_eq!(
        rule("Leap day"),
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"
    );
    assert_eq!(rule("Mid-month"), "FREQ=MONTHLY");
    let rent = super::by_title(listed["items"].as_array().unwrap(), "Rent");
    let upcoming = app
        .get_json(
            &format!("/reminders/{}/occurrences?limit=3", rent["id"]),
            &token,
        )
        .await;
    assert_eq!(
        upcoming["items"],
        json!([
            format!("{year}-01-31T10:00:00+01:00"),
            format!("{year}-02-28T10:00:00+01:00"),
            format!("{year}-03-31T10:00:00+02:00"),
        ])
    );
}
