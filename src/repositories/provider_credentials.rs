//! `provider_credentials`.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::BusinessId;
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
    provider: &str,
) -> Result<(), DbErr> {
    provider_credential::Entity::delete_many()
        .filter(provider_credential::Column::BusinessId.eq(business.0))
        .filter(provider_credential::Column::Provider.eq(provider))
        .exec(db)
        .await?;
    Ok(())
}
