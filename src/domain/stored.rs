//! How domain types are kept in a column: enums by their lowercase names (readable in the
//! database), structured values as JSON text. An enum or a JSON shape is defined once here in
//! `domain`; the entities name the type and the ORM converts on read and write.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads a JSON column into its type (`from_str` of a `DeriveValueType`).
pub fn from_json<T: DeserializeOwned>(stored: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(stored)
}

/// Writes a value as JSON text (`to_str` of a `DeriveValueType`).
#[allow(
    clippy::expect_used,
    reason = "the stored shapes hold only strings, integers, lists and maps keyed by names: \
              serde_json cannot fail on them"
)]
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain values serialise to JSON")
}

/// Defines an enum kept in a column by name: the ORM's `DeriveActiveEnum` (stored as strings),
/// serde and OpenAPI under the same names, `as_str`, `Display`, and `FromStr` whose error lists
/// the allowed names. A new variant is one line here and, when rows must change, one migration.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            sea_orm::EnumIter,
            sea_orm::DeriveActiveEnum,
            serde::Serialize,
            serde::Deserialize,
            utoipa::ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::None)")]
        // utoipa does not read a variant's `rename` when its value comes from a macro fragment,
        // so the document takes the names from `rename_all`: every stored name is the variant's
        // snake_case (`tests/api/health.rs` checks the document against `as_str`).
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored and JSON name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, String> {
                match value {
                    $($value => Ok(Self::$variant),)+
                    other => Err(format!(
                        "{other:?} is not a {}: use {}",
                        $what,
                        Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                }
            }
        }
    };
}
pub(crate) use stored_enum;
