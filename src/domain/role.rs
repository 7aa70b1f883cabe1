//! Staff roles.

use serde::{Deserialize, Serialize};

/// What a user may do in their business.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Uses the product; cannot manage staff or settings.
    Member,
    /// Manages staff (except owners) and settings.
    Admin,
    /// Everything, including other owners.
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

    /// Reads a stored name; unknown names are the least privileged role.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "owner" => Self::Owner,
            "admin" => Self::Admin,
            _ => Self::Member,
        }
    }

    /// Owners and admins manage staff and business settings.
    pub fn can_manage(self) -> bool {
        self >= Self::Admin
    }
}
