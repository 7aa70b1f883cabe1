//! Staff roles.

use serde::{Deserialize, Serialize};

/// What a user may do in their business: `member` (uses the product), `admin` (also manages
/// staff other than owners, and settings) or `owner` (everything, including other owners).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[serde(rename_all = "lowercase")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(sea_orm::sea_query::StringLen::None)"
)]
pub enum Role {
    /// Uses the product; cannot manage staff or settings.
    #[sea_orm(string_value = "member")]
    Member,
    /// Manages staff (except owners) and settings.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Everything, including other owners.
    #[sea_orm(string_value = "owner")]
    Owner,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    /// Owners and admins manage staff and business settings.
    pub fn can_manage(self) -> bool {
        self >= Self::Admin
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value {
            "member" => Ok(Self::Member),
            "admin" => Ok(Self::Admin),
            "owner" => Ok(Self::Owner),
            other => Err(format!(
                "{other:?} is not a role: use member, admin or owner"
            )),
        }
    }
}
