//! `financial_connections.transaction` ([`Transaction`]) with its status transitions and the
//! private-preview classifications and enrichments.

use serde::{Deserialize, Serialize};

use super::enums::{ConfidenceLevel, TransactionStatus};
use super::expandable::HasObjectId;
use super::object_kind::ObjectKind;

/// A transaction of a linked account (`financial_connections.transaction`, id `fctxn_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Unique id, `fctxn_…`.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether the transaction lives in live mode.
    pub livemode: bool,
    /// The account it belongs to, `fca_…`.
    pub account: String,
    /// Amount in minor units; the sign gives the direction.
    pub amount: i64,
    /// Lowercase ISO currency code.
    pub currency: String,
    /// The description from the institution.
    pub description: String,
    /// Pending, posted or void.
    pub status: TransactionStatus,
    /// When the status changed.
    pub status_transitions: StatusTransitions,
    /// When the transaction happened, Unix seconds.
    pub transacted_at: i64,
    /// The refresh that last updated it, `fctxnref_…`.
    pub transaction_refresh: String,
    /// When it was last updated, Unix seconds.
    pub updated: i64,
    /// Classification labels (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifications: Option<Vec<TransactionClassification>>,
    /// Merchant enrichment (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichments: Option<TransactionEnrichments>,
}

impl Transaction {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::Transaction.canonical();
}

impl HasObjectId for Transaction {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// `status_transitions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusTransitions {
    /// When the transaction posted, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted_at: Option<i64>,
    /// When the transaction was voided, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub void_at: Option<i64>,
}

/// One entry of `classifications` (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionClassification {
    /// The classification scheme.
    #[serde(rename = "type")]
    pub type_: String,
    /// Financial-activity label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_activity: Option<ClassificationLabel>,
    /// Money-movement label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money_movement: Option<ClassificationLabel>,
    /// Personal-finance label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_finance: Option<ClassificationLabel>,
}

/// A classification label (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationLabel {
    /// How confident the classification is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_level: Option<ConfidenceLevel>,
    /// The detailed label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detailed_label: Option<String>,
    /// The primary label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_label: Option<String>,
}

/// `enrichments` (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionEnrichments {
    /// The merchant, when identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant: Option<MerchantEnrichment>,
}

/// `enrichments.merchant` (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MerchantEnrichment {
    /// How confident the identification is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_level: Option<ConfidenceLevel>,
    /// The merchant's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
