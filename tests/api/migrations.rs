//! Migrations that convert stored data: rows written under the old schema read correctly, as
//! typed values, after the migration, on every backend; a claim being sent across an upgrade
//! keeps what it had started.

use chrono::Utc;
use reminder_backend::domain::{Channel, ChannelSet};
use reminder_backend::entities::{Timestamp, business, client, dispatch_claim, reminder};
use reminder_backend::migration::Migrator;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use sea_orm_migration::MigratorTrait;

use crate::support::{Backend, create_database, per_backend, server_url};

/// The URL of a new empty database of the backend (and the folder of a SQLite one).
async fn empty_url(backend: Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}/test.db", dir.path().display()),
        Backend::MySql | Backend::Postgres => create_database(&server_url(backend), &name).await,
    };
    (url, dir)
}

/// A new empty database of the backend.
async fn empty_database(backend: Backend) -> (DatabaseConnection, tempfile::TempDir) {
    let (url, dir) = empty_url(backend).await;
    let db = reminder_backend::db::connect(&url, 2)
        .await
        .expect("database connects");
    (db, dir)
}

/// Processes started together on a fresh database (an API node and two workers rolled out at
/// once) each migrate it: one applies the migrations, the others wait and find nothing to do.
async fn processes_starting_together_migrate_once(backend: Backend) {
    let (url, _dir) = empty_url(backend).await;
    let mut processes = Vec::new();
    for _ in 0..4 {
        let db = reminder_backend::db::connect(&url, 2)
            .await
            .expect("database connects");
        processes.push(tokio::spawn(async move {
            reminder_backend::db::migrate(&db).await.map(|()| db)
        }));
    }
    let mut migrated = Vec::new();
    for process in processes {
        migrated.push(
            process
                .await
                .expect("joined")
                .expect("each process migrates"),
        );
    }
    let pending = Migrator::get_pending_migrations(&migrated[0])
        .await
        .expect("migration status");
    assert!(pending.is_empty(), "every migration applied");
    let applied = Migrator::get_applied_migrations(&migrated[0])
        .await
        .expect("migration status");
    assert_eq!(
        applied.len(),
        Migrator::migrations().len(),
        "each applied once"
    );
}
per_backend!(
    processes_starting_together_migrate_once,
    processes_starting_together_migrate_once
);

/// Inserts a row of `columns` into `table` with raw values, as the old schema held them.
async fn insert(db: &DatabaseConnection, table: &str, columns: &[(&str, sea_orm::Value)]) {
    let statement = Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|(name, _)| Alias::new(*name)))
        .values_panic(columns.iter().map(|(_, value)| value.clone().into()))
        .to_owned();
    db.execute(&statement).await.expect("row inserted");
}

/// The channel lists of a firm's rows, as the schema of the day writes them.
struct Lists {
    business: &'static str,
    client: &'static str,
    reminder: &'static str,
}

/// Business 1, its clients 1 to `clients` and its reminder 1, written with raw values.
async fn insert_firm(db: &DatabaseConnection, lists: Lists, clients: i64) {
    let now = || sea_orm::Value::from(Timestamp(Utc::now()));
    insert(
        db,
        "businesses",
        &[
            ("id", 1.into()),
            ("name", "Old Firm".into()),
            ("timezone", "Europe/London".into()),
            ("default_channels", lists.business.into()),
            ("created_at", now()),
            ("updated_at", now()),
        ],
    )
    .await;
    for id in 1..=clients {
        insert(
            db,
            "clients",
            &[
                ("id", id.into()),
                ("business_id", 1.into()),
                (
                    "name",
                    if id == 1 {
                        "Ann".to_owned()
                    } else {
                        format!("Client {id}")
                    }
                    .into(),
                ),
                ("whatsapp_opt_in", false.into()),
                ("preferred_channels", lists.client.into()),
                ("opted_out_email", false.into()),
                ("opted_out_sms", false.into()),
                ("opted_out_whatsapp", false.into()),
                ("created_at", now()),
                ("updated_at", now()),
            ],
        )
        .await;
    }
    insert(
        db,
        "reminders",
        &[
            ("id", 1.into()),
            ("business_id", 1.into()),
            ("title", "VAT".into()),
            ("kind", "deadline".into()),
            ("channels", lists.reminder.into()),
            ("body", "Due".into()),
            (
                "schedule",
                r#"{"type":"once","at":"2027-01-15T09:00:00"}"#.into(),
            ),
            ("timezone", "Europe/London".into()),
            ("status", "active".into()),
            ("created_at", now()),
            ("updated_at", now()),
        ],
    )
    .await;
}

async fn channel_lists_become_json_arrays(backend: Backend) {
    let (db, _dir) = empty_database(backend).await;
    Migrator::up(&db, Some(14))
        .await
        .expect("migrations up to 14");
    insert_firm(
        &db,
        Lists {
            business: "email,sms",
            client: "",
            reminder: "sms,whatsapp",
        },
        1,
    )
    .await;

    Migrator::up(&db, None).await.expect("the rest migrates");

    let firm = business::Entity::find_by_id(1i64)
        .one(&db)
        .await
        .expect("business reads")
        .expect("business kept");
    assert_eq!(
        firm.default_channels,
        ChannelSet::from(vec![Channel::Email, Channel::Sms])
    );
    let ann = client::Entity::find_by_id(1i64)
        .one(&db)
        .await
        .expect("client reads")
        .expect("client kept");
    assert!(ann.preferred_channels.is_empty());
    let vat = reminder::Entity::find_by_id(1i64)
        .one(&db)
        .await
        .expect("reminder reads")
        .expect("reminder kept");
    assert_eq!(
        vat.channels,
        ChannelSet::from(vec![Channel::Sms, Channel::Whatsapp])
    );

    // And back to schema 14: it reads its comma-separated lists again.
    let after_14 = u32::try_from(Migrator::migrations().len() - 14).expect("a few steps");
    Migrator::down(&db, Some(after_14))
        .await
        .expect("down to 14");
    let row = db
        .query_one(
            &Query::select()
                .column(Alias::new("channels"))
                .from(Alias::new("reminders"))
                .to_owned(),
        )
        .await
        .expect("select")
        .expect("row");
    let stored: String = row.try_get("", "channels").expect("channels");
    assert_eq!(stored, "sms,whatsapp");
}
per_backend!(
    channel_lists_become_json_arrays,
    channel_lists_become_json_arrays
);

/// A notification row of the schema before migration 23, claimed under `token`, its send
/// started or not.
fn claimed_notification(
    id: i64,
    token: &str,
    started: bool,
) -> Vec<(&'static str, sea_orm::Value)> {
    let now = || sea_orm::Value::from(Timestamp(Utc::now()));
    vec![
        ("id", id.into()),
        ("business_id", 1.into()),
        ("reminder_id", 1.into()),
        ("client_id", id.into()),
        ("channel", "email".into()),
        ("occurrence_at", now()),
        ("trigger", "scheduled".into()),
        ("status", "sending".into()),
        ("body", "Due".into()),
        ("attempt_count", 1.into()),
        ("next_attempt_at", now()),
        ("lease_until", now()),
        ("claim_token", token.into()),
        (
            "send_started_at",
            if started {
                now()
            } else {
                sea_orm::Value::from(Option::<Timestamp>::None)
            },
        ),
        ("created_at", now()),
        ("updated_at", now()),
    ]
}

async fn a_claim_started_before_the_upgrade_keeps_what_it_started(backend: Backend) {
    let (db, _dir) = empty_database(backend).await;
    Migrator::up(&db, Some(22))
        .await
        .expect("migrations up to 22");
    insert_firm(
        &db,
        Lists {
            business: "[\"email\"]",
            client: "[]",
            reminder: "[\"email\"]",
        },
        3,
    )
    .await;
    // A node's claim of three, the first two started, when the upgrade comes.
    let token = uuid::Uuid::new_v4().to_string();
    for (id, started) in [(1, true), (2, true), (3, false)] {
        insert(
            &db,
            "notifications",
            &claimed_notification(id, &token, started),
        )
        .await;
    }

    Migrator::up(&db, None).await.expect("the rest migrates");
    let claims = dispatch_claim::Entity::find()
        .all(&db)
        .await
        .expect("claims read");
    assert_eq!(
        claims,
        [dispatch_claim::Model {
            token: token.clone(),
            started_through: 2
        }]
    );

    // The claim starts its third; then back: each notification says whether it had started.
    dispatch_claim::Entity::update_many()
        .col_expr(dispatch_claim::Column::StartedThrough, Expr::value(3))
        .exec(&db)
        .await
        .expect("claim moves on");
    let after_22 = u32::try_from(Migrator::migrations().len() - 22).expect("a few steps");
    Migrator::down(&db, Some(after_22))
        .await
        .expect("down to 22");
    let started: Vec<i64> = db
        .query_all(
            &Query::select()
                .column(Alias::new("id"))
                .from(Alias::new("notifications"))
                .and_where(Expr::col(Alias::new("send_started_at")).is_not_null())
                .to_owned(),
        )
        .await
        .expect("select")
        .iter()
        .map(|row| row.try_get::<i64>("", "id").expect("id"))
        .collect();
    assert_eq!(started, [1, 2, 3]);
}
per_backend!(
    a_claim_started_before_the_upgrade_keeps_what_it_started,
    a_claim_started_before_the_upgrade_keeps_what_it_started
);
