//! `notification_attempts`: every try at sending a notification.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::{AttemptOutcome, Channel};

/// One try and its outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub notification_id: i64,
    pub business_id: i64,
    pub attempted_at: Timestamp,
    pub outcome: AttemptOutcome,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The notification's channel (usage is counted per send); `None` on the attempts the
    /// original service made, imported as history, which usage leaves out.
    pub channel: Option<Channel>,
    /// SMS parts billed for this send, as the provider reported them.
    pub segments: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
