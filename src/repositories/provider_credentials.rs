//! `provider_credentials`.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::{BusinessId, Provider};
use crate::entities::provider_credential;

/// The provider accounts of the business.
pub async fn list(
    db: &impl ConnectionTrait,
    business: BusinessId,
) -> Result<Vec<provider_credential::Model>, DbErr> {
    provider_credential::Entity::find()
        .filter(provider_credential::Column::BusinessId.eq(business.0))
        .order_by_asc(provider_credential::Column::Provider)
        .all(db)
        .await
}

/// The business's account with one provider.
pub async fn find(
    db: &impl ConnectionTrait,
    business: BusinessId,
    provider: Provider,
) -> Result<Option<provider_credential::Model>, DbErr> {
    provider_credential::Entity::find()
        .filter(provider_credential::Column::BusinessId.eq(business.0))
        .filter(provider_credential::Column::Provider.eq(provider))
        .one(db)
        .await
}

/// The provider accounts of these businesses: only for the dispatcher.
pub async fn list_many(
    db: &impl ConnectionTrait,
    businesses: &[i64],
) -> Result<Vec<provider_credential::Model>, DbErr> {
    let mut found = Vec::new();
    for chunk in businesses.chunks(500) {
        found.extend(
            provider_credential::Entity::find()
                .filter(provider_credential::Column::BusinessId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(found)
}

/// The accounts of a provider with this public id (a Twilio account SID, a WhatsApp phone
/// number id), whichever business holds them: webhooks name accounts, not businesses.
pub async fn find_by_account_ref(
    db: &impl ConnectionTrait,
    provider: Provider,
    account_ref: &str,
) -> Result<Vec<provider_credential::Model>, DbErr> {
    provider_credential::Entity::find()
        .filter(provider_credential::Column::Provider.eq(provider))
        .filter(provider_credential::Column::AccountRef.eq(account_ref))
        .all(db)
        .await
}

/// Writes a provider account, replacing the previous one.
pub async fn upsert(
    db: &impl ConnectionTrait,
    row: provider_credential::ActiveModel,
) -> Result<(), DbErr> {
    provider_credential::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                provider_credential::Column::BusinessId,
                provider_credential::Column::Provider,
            ])
            .update_columns([
                provider_credential::Column::Settings,
                provider_credential::Column::Secret,
                provider_credential::Column::KeyId,
                provider_credential::Column::AccountRef,
                provider_credential::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Removes a provider account of the business.
pub async fn delete(
    db: &impl ConnectionTrait,
    business: BusinessId,
    provider: Provider,
) -> Result<(), DbErr> {
    provider_credential::Entity::delete_many()
        .filter(provider_credential::Column::BusinessId.eq(business.0))
        .filter(provider_credential::Column::Provider.eq(provider))
        .exec(db)
        .await?;
    Ok(())
}

/// Every stored provider account: only for key rotation.
pub async fn list_all(db: &impl ConnectionTrait) -> Result<Vec<provider_credential::Model>, DbErr> {
    provider_credential::Entity::find()
        .order_by_asc(provider_credential::Column::BusinessId)
        .all(db)
        .await
}

/// Replaces a row's sealed secrets `was` by `sealed` (same plaintext, new key).
pub async fn reseal(
    db: &impl ConnectionTrait,
    business: BusinessId,
    provider: Provider,
    (was, sealed): (&str, &str),
    key_id: &str,
) -> Result<(), DbErr> {
    provider_credential::Entity::update_many()
        .col_expr(
            provider_credential::Column::Secret,
            sea_orm::sea_query::Expr::value(sealed),
        )
        .col_expr(
            provider_credential::Column::KeyId,
            sea_orm::sea_query::Expr::value(key_id),
        )
        .filter(provider_credential::Column::BusinessId.eq(business.0))
        .filter(provider_credential::Column::Provider.eq(provider))
        // Only the secret read: one changed meanwhile (PATCH /business) is newer and stays.
        .filter(provider_credential::Column::Secret.eq(was))
        .exec(db)
        .await?;
    Ok(())
}
