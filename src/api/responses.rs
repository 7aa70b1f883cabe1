//! Response bodies: the shapes the contract keeps (fields may be added, never renamed).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::extract::Page;
use crate::domain::{ChannelSet, Role};
use crate::entities::{business, client, user};
use crate::repositories::Paged;

/// A page of a list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Items matching, over all pages.
    pub total: u64,
    /// Page size asked for.
    pub limit: u64,
    /// Items skipped.
    pub offset: u64,
}

impl<T> ListResponse<T> {
    /// Wraps a page of rows, converting each.
    pub fn from_page<R>(paged: Paged<R>, page: Page, convert: impl Fn(R) -> T) -> Self {
        Self {
            items: paged.items.into_iter().map(convert).collect(),
            total: paged.total,
            limit: page.limit,
            offset: page.offset,
        }
    }
}

/// A member of staff.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserResponse {
    /// Id.
    pub id: i64,
    /// Their business.
    pub business_id: i64,
    /// Sign-in e-mail.
    pub email: String,
    /// Name.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// False when sign-in is disabled.
    pub is_active: bool,
    /// When added.
    pub created_at: DateTime<Utc>,
}

impl From<user::Model> for UserResponse {
    fn from(user: user::Model) -> Self {
        Self {
            id: user.id,
            business_id: user.business_id,
            email: user.email,
            full_name: user.full_name,
            role: Role::from_stored(&user.role),
            is_active: user.is_active,
            created_at: user.created_at,
        }
    }
}

/// A business and its settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BusinessResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Channels used when a reminder names none.
    pub default_channels: Vec<String>,
    /// Sender address of e-mails.
    pub email_from: Option<String>,
    /// Region for national phone numbers.
    pub default_country: Option<String>,
    /// When registered.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<business::Model> for BusinessResponse {
    fn from(business: business::Model) -> Self {
        Self {
            id: business.id,
            name: business.name,
            timezone: business.timezone,
            default_channels: ChannelSet::from_stored(&business.default_channels).names(),
            email_from: business.email_from,
            default_country: business.default_country,
            created_at: business.created_at,
            updated_at: business.updated_at,
        }
    }
}

/// `POST /auth/register`'s answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    /// The owner.
    pub user: UserResponse,
    /// The new business.
    pub business: BusinessResponse,
}

/// Per-channel opt-outs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OptOuts {
    /// Unsubscribed from e-mail.
    pub email: bool,
    /// Sent STOP by SMS.
    pub sms: bool,
    /// Opted out of WhatsApp.
    pub whatsapp: bool,
}

/// A client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClientResponse {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// E-mail, lowercased.
    pub email: Option<String>,
    /// Phone in E.164.
    pub phone: Option<String>,
    /// Agreed to WhatsApp messages.
    pub whatsapp_opt_in: bool,
    /// Preferred channels.
    pub preferred_channels: Vec<String>,
    /// IANA time zone (the business's when null).
    pub timezone: Option<String>,
    /// The firm's own reference.
    pub external_ref: Option<String>,
    /// Opt-outs per channel.
    pub opted_out: OptOuts,
    /// When added.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<client::Model> for ClientResponse {
    fn from(client: client::Model) -> Self {
        Self {
            id: client.id,
            name: client.name,
            email: client.email,
            phone: client.phone,
            whatsapp_opt_in: client.whatsapp_opt_in,
            preferred_channels: ChannelSet::from_stored(&client.preferred_channels).names(),
            timezone: client.timezone,
            external_ref: client.external_ref,
            opted_out: OptOuts {
                email: client.opted_out_email,
                sms: client.opted_out_sms,
                whatsapp: client.opted_out_whatsapp,
            },
            created_at: client.created_at,
            updated_at: client.updated_at,
        }
    }
}
