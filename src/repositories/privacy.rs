//! What the business holds about one client, and its erasure.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::{BusinessId, ClientId, NotificationStatus};
use crate::entities::{
    Timestamp, client, document, document_link, document_open, notification, notification_attempt,
    payment, payment_click, reminder, reminder_client,
};

/// Everything stored about a client.
#[derive(Debug)]
pub struct Held {
    pub client: client::Model,
    pub reminders: Vec<reminder::Model>,
    pub notifications: Vec<(notification::Model, Vec<notification_attempt::Model>)>,
    pub payments: Vec<(payment::Model, Vec<payment_click::Model>)>,
    /// The client's own documents.
    pub documents: Vec<document::Model>,
    /// The links to documents they were sent, with each open.
    pub document_links: Vec<(document_link::Model, Vec<document_open::Model>)>,
}

/// Collects what the business holds about the client.
pub async fn held(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: ClientId,
) -> Result<Option<Held>, DbErr> {
    let Some(client) = client::Entity::find_by_id(id.0)
        .filter(client::Column::BusinessId.eq(business.0))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let reminder_ids: Vec<i64> = reminder_client::Entity::find()
        .filter(reminder_client::Column::ClientId.eq(id.0))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.reminder_id)
        .collect();
    let reminders = reminder::Entity::find()
        .filter(reminder::Column::BusinessId.eq(business.0))
        .filter(reminder::Column::Id.is_in(reminder_ids))
        .order_by_asc(reminder::Column::Id)
        .all(db)
        .await?;
    let rows = notification::Entity::find()
        .filter(notification::Column::BusinessId.eq(business.0))
        .filter(notification::Column::ClientId.eq(id.0))
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let mut attempts = super::notifications::attempts_of_many(db, &ids).await?;
    let notifications = rows
        .into_iter()
        .map(|row| {
            let of_row = attempts.remove(&row.id).unwrap_or_default();
            (row, of_row)
        })
        .collect();
    let payment_rows = payment::Entity::find()
        .filter(payment::Column::BusinessId.eq(business.0))
        .filter(payment::Column::ClientId.eq(id.0))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = payment_rows.iter().map(|row| row.id).collect();
    let mut clicks = super::payments::clicks_of_many(db, &ids).await?;
    let payments = payment_rows
        .into_iter()
        .map(|row| {
            let of_row = clicks.remove(&row.id).unwrap_or_default();
            (row, of_row)
        })
        .collect();
    let documents = document::Entity::find()
        .filter(document::Column::BusinessId.eq(business.0))
        .filter(document::Column::ClientId.eq(id.0))
        .order_by_asc(document::Column::Id)
        .all(db)
        .await?;
    let links = document_link::Entity::find()
        .filter(document_link::Column::BusinessId.eq(business.0))
        .filter(document_link::Column::ClientId.eq(id.0))
        .order_by_asc(document_link::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let mut opens = super::document_links::opens(db, &ids).await?;
    let document_links = links
        .into_iter()
        .map(|link| {
            let of_link = opens.remove(&link.id).unwrap_or_default();
            (link, of_link)
        })
        .collect();
    Ok(Some(Held {
        client,
        reminders,
        notifications,
        payments,
        documents,
        document_links,
    }))
}

/// Deletes the client's own documents (their bytes in the database go with them) and every
/// link they were sent (with its opens); returns the documents, whose objects in a bucket the
/// caller removes once this commits.
pub async fn erase_documents(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: ClientId,
) -> Result<Vec<document::Model>, DbErr> {
    let documents = document::Entity::find()
        .filter(document::Column::BusinessId.eq(business.0))
        .filter(document::Column::ClientId.eq(id.0))
        .all(db)
        .await?;
    document_link::Entity::delete_many()
        .filter(document_link::Column::BusinessId.eq(business.0))
        .filter(document_link::Column::ClientId.eq(id.0))
        .exec(db)
        .await?;
    document::Entity::delete_many()
        .filter(document::Column::BusinessId.eq(business.0))
        .filter(document::Column::ClientId.eq(id.0))
        .exec(db)
        .await?;
    Ok(documents)
}

/// Removes the client's personal data everywhere it is stored, keeping the rows (and so the
/// anonymous counts): the client's name, addresses and reference; recipients, texts and
/// provider messages of its notifications; it leaves its reminders, and what was still queued
/// is cancelled.
pub async fn erase(
    db: &impl ConnectionTrait,
    business: BusinessId,
    id: ClientId,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let erased = client::Entity::update_many()
        .col_expr(client::Column::Name, Expr::value("Erased client"))
        .col_expr(client::Column::Email, Expr::value(Option::<String>::None))
        .col_expr(client::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(
            client::Column::ExternalRef,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            client::Column::Timezone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(client::Column::WhatsappOptIn, Expr::value(false))
        .col_expr(client::Column::OptedOutEmail, Expr::value(true))
        .col_expr(client::Column::OptedOutSms, Expr::value(true))
        .col_expr(client::Column::OptedOutWhatsapp, Expr::value(true))
        .col_expr(client::Column::ErasedAt, Expr::value(Timestamp(now)))
        .col_expr(client::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .filter(client::Column::Id.eq(id.0))
        .filter(client::Column::BusinessId.eq(business.0))
        .exec(db)
        .await?
        .rows_affected
        > 0;
    if !erased {
        return Ok(false);
    }
    let of_client = |update: sea_orm::UpdateMany<notification::Entity>| {
        update
            .filter(notification::Column::BusinessId.eq(business.0))
            .filter(notification::Column::ClientId.eq(id.0))
    };
    // One being sent gives up its claim, so the dispatcher's outcome for it changes nothing.
    of_client(super::notifications::unclaim(now))
        .col_expr(
            notification::Column::Status,
            Expr::value(NotificationStatus::Cancelled),
        )
        .col_expr(notification::Column::ErrorCode, Expr::value("erased"))
        .filter(
            notification::Column::Status
                .is_in([NotificationStatus::Pending, NotificationStatus::Sending]),
        )
        .exec(db)
        .await?;
    of_client(notification::Entity::update_many())
        .col_expr(
            notification::Column::Recipient,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::Subject,
            Expr::value(Option::<String>::None),
        )
        .col_expr(notification::Column::Body, Expr::value("[erased]"))
        .col_expr(
            notification::Column::ErrorMessage,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            notification::Column::WhatsappTemplate,
            Expr::value(Option::<String>::None),
        )
        .col_expr(notification::Column::UpdatedAt, Expr::value(Timestamp(now)))
        .exec(db)
        .await?;
    // Provider messages can quote the address ("The 'To' number +44… is not valid").
    notification_attempt::Entity::update_many()
        .col_expr(
            notification_attempt::Column::ErrorMessage,
            Expr::value(Option::<String>::None),
        )
        .filter(
            notification_attempt::Column::NotificationId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(notification::Column::Id)
                    .from(notification::Entity)
                    .and_where(notification::Column::ClientId.eq(id.0))
                    .to_owned(),
            ),
        )
        .exec(db)
        .await?;
    reminder_client::Entity::delete_many()
        .filter(reminder_client::Column::ClientId.eq(id.0))
        .exec(db)
        .await?;
    Ok(true)
}
