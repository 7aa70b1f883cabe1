//! The `plus_tests` branch's recurrence patterns arrive as RRULEs from the reminder's own date and
//! time; a day some months lack goes out on the month's last day there, as in the original, and
//! the report flags each such reminder.

use chrono::Datelike;
use reminder_backend::clock::Clock;
use reminder_backend::original;
use serde_json::{Value, json};

use super::{BCRYPT, OLD_PASSWORD, at};
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn month_end_patterns_fall_back_to_the_last_day_and_are_flagged() {
    // Arrange: a year without 29 February followed by a leap year, both ahead; 09:00 UTC in
    // winter is 10:00 in Rome, the wall-clock time each occurrence keeps.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let now = app.clock.now();
    let year = (now.year() + 1..).find(|y| y % 4 == 3).unwrap();
    let date = |month: u32, day: u32| {
        at(chrono::NaiveDate::from_ymd_opt(year, month, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
            .and_utc())
    };
    let dir = tempfile::tempdir().unwrap();
    let created = at(now);
    let source = super::original_sqlite_with(
        &dir,
        &[
            format!(
                "INSERT INTO users (id, username, email, hashed_password, is_active, created_at)
                 VALUES (1, 'alice', 'alice@rossi.test', '{BCRYPT}', 1, {created})"
            ),
            format!(
                "INSERT INTO reminders (id, user_id, title, reminder_type, notification_type,
                 sender_identity_id, is_recurring, recurrence_pattern, reminder_date, is_active)
                 VALUES (1, 1, 'Rent', 'PAYMENT', 'EMAIL', 1, 1, 'MONTHLY_31', {}, 1),
                        (2, 1, 'Leap day', 'DEADLINE', 'EMAIL', 1, 1, 'YEARLY_2_29', {}, 1),
                        (3, 1, 'Timesheet', 'NOTIFICATION', 'EMAIL', 1, 1, 'WEEKLY_MON', {}, 1)",
                date(1, 31),
                date(2, 1),
                date(1, 1),
            ),
        ],
    )
    .await;

    // Act
    let report = original::import(&source, &app.state.db, &super::options(false), now)
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
