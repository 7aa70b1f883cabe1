//! What the benchmarks share: a database per configured server, an application over it, and
//! seeded businesses, reminders and notifications.
#![allow(
    clippy::expect_used,
    dead_code,
    reason = "a benchmark run by hand stops loudly at the first failure; each uses a part"
)]

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use reminder_backend::config::Settings;
use reminder_backend::domain::schedule::{OnceSchedule, ScheduleSpec};
use reminder_backend::domain::{
    Channel, ChannelSet, NotificationStatus, ReminderKind, ReminderStatus, Trigger,
};
use reminder_backend::entities::{notification, reminder};
use reminder_backend::repositories::clients;
use reminder_backend::services::auth::{self, RegisterRequest};
use reminder_backend::startup::{Application, Role};
use reminder_backend::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub async fn database_urls() -> Vec<(String, String)> {
    let mut urls = Vec::new();
    let dir = std::env::temp_dir().join(format!("reminder-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    urls.push((
        "SQLite".to_owned(),
        format!("sqlite://{}/bench.db", dir.display()),
    ));
    for (label, variable) in [
        ("MySQL/MariaDB", "TEST_MYSQL_URL"),
        ("PostgreSQL", "TEST_POSTGRES_URL"),
    ] {
        let Ok(server) = std::env::var(variable) else {
            continue;
        };
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        let db = sea_orm::Database::connect(server.as_str())
            .await
            .expect("database server");
        sea_orm::ConnectionTrait::execute_unprepared(&db, &format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        urls.push((
            label.to_owned(),
            format!("{}/{name}", server.trim_end_matches('/')),
        ));
    }
    urls
}

/// Drops the databases [`database_urls`] created (and SQLite's file), so that a later run does
/// not share the servers with their autovacuum and purge.
pub async fn drop_databases(urls: &[(String, String)]) {
    for (_, url) in urls {
        if let Some(file) = url.strip_prefix("sqlite://") {
            if let Some(dir) = std::path::Path::new(file).parent() {
                let _ = std::fs::remove_dir_all(dir);
            }
            continue;
        }
        let Some((server, name)) = url.rsplit_once('/') else {
            continue;
        };
        let statement = if url.starts_with("postgres") {
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        } else {
            format!("DROP DATABASE IF EXISTS {name}")
        };
        let db = sea_orm::Database::connect(server)
            .await
            .expect("database server");
        sea_orm::ConnectionTrait::execute_unprepared(&db, &statement)
            .await
            .expect("drop database");
    }
}

pub async fn state_for(url: &str, role: Role) -> Application {
    let values: HashMap<String, String> = [
        ("ENV", "testing"),
        ("DATABASE_URL", url),
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("DATABASE_MAX_CONNECTIONS", "16"),
        ("SCHEDULER_POLL_SECONDS", "0.5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let settings = Settings::from_map(&values).expect("settings");
    Application::build(settings, role)
        .await
        .expect("application")
}

/// The owner's password of every seeded business.
pub const PASSWORD: &str = "Sturdy-Lamp-42";

/// A seeded business.
pub struct Seeded {
    pub business_id: i64,
    pub client_ids: Vec<i64>,
    /// Its owner signs in with this address and [`PASSWORD`].
    pub owner_email: String,
}

/// A business with `count` clients, each with an e-mail address and a phone number.
pub async fn seed_clients(state: &AppState, count: usize) -> Seeded {
    let owner_email = format!("bench-{}@example.com", uuid::Uuid::new_v4().simple());
    let (_, business) = auth::register(
        state,
        RegisterRequest {
            business_name: "Bench".into(),
            email: owner_email.clone(),
            password: PASSWORD.into(),
            full_name: "Bench".into(),
            timezone: None,
        },
        None,
    )
    .await
    .expect("register");
    let business_id = reminder_backend::domain::BusinessId(business.id);
    let rows: Vec<_> = (0..count)
        .map(|n| {
            let mut row = reminder_backend::services::clients::blank_row(business_id);
            row.name = Set(format!("Client {n}"));
            row.email = Set(Some(format!("client{n}@bench.example.com")));
            row.phone = Set(Some(format!("+4420{:08}", 71_000_000 + n)));
            row
        })
        .collect();
    for chunk in rows.chunks(500) {
        clients::insert_many(&state.db, chunk.to_vec())
            .await
            .expect("clients");
    }
    let ids = reminder_backend::entities::client::Entity::find()
        .select_only()
        .column(reminder_backend::entities::client::Column::Id)
        .filter(reminder_backend::entities::client::Column::BusinessId.eq(business.id))
        .into_tuple::<i64>()
        .all(&state.db)
        .await
        .expect("client ids");
    Seeded {
        business_id: business.id,
        client_ids: ids,
        owner_email,
    }
}

pub fn once_reminder(
    business_id: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> reminder::ActiveModel {
    let local = at.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string();
    reminder::ActiveModel {
        business_id: Set(business_id),
        title: Set("Bench".into()),
        kind: Set(ReminderKind::Custom),
        channels: Set(ChannelSet::from(vec![Channel::Email])),
        subject: Set(None),
        body: Set("Hello {{ client.name }}".into()),
        whatsapp_template: Set(None),
        schedule: Set(ScheduleSpec::Once(OnceSchedule {
            at: local,
            timezone: Some("UTC".into()),
        })),
        timezone: Set("UTC".into()),
        payment_amount: Set(None),
        payment_currency: Set(None),
        payment_description: Set(None),
        status: Set(ReminderStatus::Active),
        next_run_at: Set(Some(at.into())),
        last_run_at: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
        ..Default::default()
    }
}

/// Pending notifications of one reminder, due at `due`, with distinct occurrence times.
pub fn pending(
    business_id: i64,
    reminder_id: i64,
    client_ids: &[i64],
    count: usize,
    due: DateTime<Utc>,
) -> Vec<notification::ActiveModel> {
    let base = Utc::now().trunc_subsecs(0);
    (0..count)
        .map(|n| notification::ActiveModel {
            business_id: Set(business_id),
            reminder_id: Set(reminder_id),
            client_id: Set(client_ids[n % client_ids.len()]),
            channel: Set(Channel::Email),
            occurrence_at: Set((base
                + chrono::Duration::microseconds(i64::try_from(n).unwrap_or(0)))
            .into()),
            trigger: Set(Trigger::Manual),
            status: Set(NotificationStatus::Pending),
            recipient: Set(Some("client@bench.example.com".into())),
            subject: Set(Some("Bench".into())),
            body: Set("Hello".into()),
            provider: Set(None),
            provider_message_id: Set(None),
            attempt_count: Set(0),
            next_attempt_at: Set(due.into()),
            lease_until: Set(None),
            claim_token: Set(None),
            error_code: Set(None),
            error_message: Set(None),
            sent_at: Set(None),
            delivered_at: Set(None),
            read_at: Set(None),
            created_at: Set(base.into()),
            updated_at: Set(base.into()),
            ..Default::default()
        })
        .collect()
}
