//! [`Expandable`]: a field Stripe sends either as an object id or, when the request asked to
//! expand it, as the full object; and [`HasObjectId`], which gives either form an id.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Objects that carry a Stripe id.
pub trait HasObjectId {
    /// The object's id (`fca_…`, `fcaowns_…`, …), if it has one.
    fn object_id(&self) -> Option<&str>;
}

impl HasObjectId for serde_json::Value {
    /// The string at key `id`, for opaque objects such as tokens.
    fn object_id(&self) -> Option<&str> {
        self.get("id")?.as_str()
    }
}

/// An id string (unexpanded) or the object itself (expanded).
///
/// Decodes from a JSON string or a JSON object without buffering, and encodes back to the same
/// form it came in.
#[derive(Debug, Clone, PartialEq)]
pub enum Expandable<T> {
    /// The field was not expanded: only the object's id.
    Id(String),
    /// The field was expanded: the full object.
    Object(Box<T>),
}

impl<T> Expandable<T> {
    /// The id when the field was not expanded.
    pub fn as_id(&self) -> Option<&str> {
        match self {
            Expandable::Id(id) => Some(id),
            Expandable::Object(_) => None,
        }
    }

    /// The object when the field was expanded.
    pub fn as_object(&self) -> Option<&T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Object(object) => Some(object),
        }
    }

    /// The object when the field was expanded, by value.
    pub fn into_object(self) -> Option<T> {
        match self {
            Expandable::Id(_) => None,
            Expandable::Object(object) => Some(*object),
        }
    }

    /// Whether the field was expanded.
    pub fn is_expanded(&self) -> bool {
        matches!(self, Expandable::Object(_))
    }
}

impl<T: HasObjectId> Expandable<T> {
    /// The id, whichever form the field came in (`None` only for an expanded object without an
    /// id, which typed Stripe objects never are).
    pub fn id(&self) -> Option<&str> {
        match self {
            Expandable::Id(id) => Some(id),
            Expandable::Object(object) => object.object_id(),
        }
    }
}

impl<T> From<T> for Expandable<T> {
    fn from(object: T) -> Self {
        Expandable::Object(Box::new(object))
    }
}

impl<T: Serialize> Serialize for Expandable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expandable::Id(id) => serializer.serialize_str(id),
            Expandable::Object(object) => object.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Expandable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpandableVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for ExpandableVisitor<T> {
            type Value = Expandable<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object id or an expanded object")
            }

            fn visit_str<E: de::Error>(self, id: &str) -> Result<Self::Value, E> {
                Ok(Expandable::Id(id.to_owned()))
            }

            fn visit_string<E: de::Error>(self, id: String) -> Result<Self::Value, E> {
                Ok(Expandable::Id(id))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|object| Expandable::Object(Box::new(object)))
            }
        }

        deserializer.deserialize_any(ExpandableVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Thing {
        id: String,
        n: u32,
    }

    impl HasObjectId for Thing {
        fn object_id(&self) -> Option<&str> {
            Some(&self.id)
        }
    }

    #[test]
    fn id_or_object() {
        let id: Expandable<Thing> = serde_json::from_str(r#""thing_1""#).unwrap();
        assert_eq!(id.as_id(), Some("thing_1"));
        assert_eq!(id.id(), Some("thing_1"));
        assert!(!id.is_expanded());
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""thing_1""#);

        let object: Expandable<Thing> = serde_json::from_str(r#"{"id":"thing_2","n":3}"#).unwrap();
        assert_eq!(object.id(), Some("thing_2"));
        assert_eq!(object.as_object().map(|t| t.n), Some(3));
        assert_eq!(
            serde_json::to_string(&object).unwrap(),
            r#"{"id":"thing_2","n":3}"#
        );
        assert_eq!(
            object.into_object(),
            Some(Thing {
                id: "thing_2".into(),
                n: 3
            })
        );
    }

    #[test]
    fn opaque_objects() {
        let token: Expandable<serde_json::Value> =
            serde_json::from_value(json!({"id": "btok_1", "object": "token"})).unwrap();
        assert_eq!(token.id(), Some("btok_1"));
        let no_id: Expandable<serde_json::Value> = serde_json::from_str("{}").unwrap();
        assert_eq!(no_id.id(), None);
    }

    #[test]
    fn other_json_is_an_error() {
        assert!(serde_json::from_str::<Expandable<Thing>>("12").is_err());
        assert!(serde_json::from_str::<Expandable<Thing>>("[]").is_err());
        assert!(serde_json::from_str::<Expandable<Thing>>(r#"{"id":"x"}"#).is_err());
    }
}
