//! [`List`]: Stripe's paginated list object (`"object": "list"`).

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::object_kind::ObjectKind;
use super::serde_util::null_as_default;

/// One page of a Stripe list. Decodes with or without `"object": "list"` and always encodes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct List<T> {
    /// The items of this page.
    #[serde(default, deserialize_with = "null_as_default")]
    pub data: Vec<T>,
    /// Whether more items follow this page. Absent is read as `false`.
    #[serde(default)]
    pub has_more: bool,
    /// The URL to fetch further pages from, e.g. `/v1/financial_connections/accounts`.
    #[serde(default)]
    pub url: Option<String>,
    /// The total number of items, sent by some legacy endpoints only.
    #[serde(default)]
    pub total_count: Option<u64>,
}

impl<T> List<T> {
    /// The object name of a list.
    pub const OBJECT: &'static str = ObjectKind::List.canonical();

    /// Whether this page has no items.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The number of items on this page.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The items of this page.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.data.iter()
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List {
            data: Vec::new(),
            has_more: false,
            url: None,
            total_count: None,
        }
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.data.iter()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 3 + usize::from(self.total_count.is_some()) + usize::from(self.url.is_some());
        let mut list = serializer.serialize_struct("List", len)?;
        list.serialize_field("object", Self::OBJECT)?;
        list.serialize_field("data", &self.data)?;
        list.serialize_field("has_more", &self.has_more)?;
        if let Some(total_count) = &self.total_count {
            list.serialize_field("total_count", total_count)?;
        }
        if let Some(url) = &self.url {
            list.serialize_field("url", url)?;
        }
        list.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_with_and_without_object_and_null_data() {
        let list: List<u32> = serde_json::from_str(
            r#"{"object":"list","data":[1,2],"has_more":true,"total_count":2,"url":"/v1/x"}"#,
        )
        .unwrap();
        assert_eq!(list.data, [1, 2]);
        assert!(list.has_more);
        assert_eq!(list.total_count, Some(2));
        assert_eq!(list.url.as_deref(), Some("/v1/x"));
        assert_eq!(list.iter().sum::<u32>(), 3);

        let bare: List<u32> = serde_json::from_str(r#"{"data":null}"#).unwrap();
        assert_eq!(bare, List::default());
        assert!(bare.is_empty());
    }

    #[test]
    fn encodes_object_list_and_skips_absent_fields() {
        let list = List {
            data: vec![7],
            ..List::default()
        };
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"{"object":"list","data":[7],"has_more":false}"#
        );
    }
}
