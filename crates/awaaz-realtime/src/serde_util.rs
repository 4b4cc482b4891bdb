//! Serde helpers for the wire format.

/// `Option<Option<T>>` that tells "absent" (leave unchanged) from `null`
/// (turn off) — the Realtime API clears `turn_detection` and
/// `noise_reduction` with an explicit `null`.
///
/// Use with `#[serde(default, skip_serializing_if = "Option::is_none", with = "double_option")]`.
pub(crate) mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<T, S>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error>
    where
        T: Serialize,
        S: Serializer,
    {
        match value {
            Some(inner) => inner.serialize(serializer),
            // Skipped by `skip_serializing_if`; written as null if not.
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        // Only called when the field is present: present-null is `Some(None)`.
        Option::<T>::deserialize(deserializer).map(Some)
    }
}
