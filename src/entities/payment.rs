//! `payments`: what one client owes for one reminder, and how it stands with Stripe.

use sea_orm::entity::prelude::*;

use super::Timestamp;
use crate::domain::PaymentStatus;

/// A payment asked of a client.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub business_id: i64,
    pub reminder_id: i64,
    pub client_id: i64,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217, lowercase.
    pub currency: String,
    pub description: Option<String>,
    pub status: PaymentStatus,
    /// The current Stripe Checkout Session.
    pub checkout_session_id: Option<String>,
    pub checkout_url: Option<String>,
    pub checkout_expires_at: Option<Timestamp>,
    /// Counts sessions asked for after Stripe failures; part of the idempotency key.
    pub checkout_generation: i32,
    /// The Stripe PaymentIntent that paid it.
    pub provider_ref: Option<String>,
    pub paid_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
