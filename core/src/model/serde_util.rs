//! Small serde helpers shared by the model types.

use serde::{Deserialize, Deserializer};

/// Decodes `null` as the type's default, for fields the spec says are never null (arrays, lists)
/// but which a tolerant client should still accept as empty.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}
