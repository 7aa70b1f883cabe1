//! PATCH bodies: a field that is absent stays as it is, `null` clears it.

use serde::{Deserialize, Deserializer};

/// Deserialises a present field (`null` included) as `Some`; use with `#[serde(default)]` so an
/// absent field is `None`.
pub fn double_option<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
