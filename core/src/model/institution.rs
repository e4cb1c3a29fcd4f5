//! `financial_connections.institution` ([`Institution`], private preview).

use serde::{Deserialize, Serialize};

use super::enums::InstitutionStatus;
use super::expandable::HasObjectId;
use super::object_kind::ObjectKind;
use super::serde_util::null_as_default;

/// A bank or other institution (`financial_connections.institution`, id `fcinst_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Institution {
    /// Unique id.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether the institution lives in live mode.
    pub livemode: bool,
    /// The institution's name.
    pub name: String,
    /// Countries served (ISO codes).
    #[serde(default, deserialize_with = "null_as_default")]
    pub countries: Vec<String>,
    /// Which data features the institution supports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<InstitutionFeatures>,
    /// Routing numbers of the institution.
    #[serde(default, deserialize_with = "null_as_default")]
    pub routing_numbers: Vec<String>,
    /// Connection health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<InstitutionStatus>,
    /// The institution's website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Institution {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::Institution.canonical();
}

impl HasObjectId for Institution {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// `features`: support per data feature.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstitutionFeatures {
    /// Balances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balances: Option<FeatureSupport>,
    /// Ownership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<FeatureSupport>,
    /// Payment method (account numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<FeatureSupport>,
    /// Transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<FeatureSupport>,
}

/// Whether one feature is supported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureSupport {
    /// Whether the feature is supported.
    pub supported: bool,
}
