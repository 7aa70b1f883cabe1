//! Channel lists become JSON arrays (`["email","sms"]`) like every other structured column,
//! instead of comma-separated text: `businesses.default_channels`, `clients.preferred_channels`
//! and `reminders.channels`. Each row is rewritten; an empty list becomes `[]`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables and columns holding a list of channel names.
const LISTS: [(&str, &str); 3] = [
    ("businesses", "default_channels"),
    ("clients", "preferred_channels"),
    ("reminders", "channels"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rewrite(manager, |names| {
            let quoted: Vec<String> = names
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(|name| format!("\"{name}\""))
                .collect();
            format!("[{}]", quoted.join(","))
        })
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rewrite(manager, |json| {
            json.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|name| name.trim().trim_matches('"'))
                .filter(|name| !name.is_empty())
                .collect::<Vec<_>>()
                .join(",")
        })
        .await
    }
}

/// Rewrites every value of every list column with `convert` (inside the migration's own
/// transaction where the backend has transactional DDL).
async fn rewrite(manager: &SchemaManager<'_>, convert: fn(&str) -> String) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for (table, column) in LISTS {
        let select = Query::select()
            .columns([Alias::new("id"), Alias::new(column)])
            .from(Alias::new(table))
            .to_owned();
        for row in db.query_all(&select).await? {
            let id: i64 = row.try_get("", "id")?;
            let stored: String = row.try_get("", column)?;
            let update = Query::update()
                .table(Alias::new(table))
                .value(Alias::new(column), convert(&stored))
                .and_where(Expr::col(Alias::new("id")).eq(id))
                .to_owned();
            db.execute(&update).await?;
        }
    }
    Ok(())
}
