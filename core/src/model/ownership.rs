//! `financial_connections.account_owner` ([`AccountOwner`]) and
//! `financial_connections.account_ownership` ([`AccountOwnership`]).

use serde::{Deserialize, Serialize};

use super::expandable::HasObjectId;
use super::list::List;
use super::object_kind::ObjectKind;

/// One owner of an account, as the institution reports it (`financial_connections.account_owner`,
/// id `fcaown_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOwner {
    /// Unique id, `fcaown_…`.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The owner's name.
    pub name: String,
    /// The ownership this owner belongs to, `fcaowns_…`.
    pub ownership: String,
    /// The owner's email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The owner's phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The owner's address, unparsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_address: Option<String>,
    /// When this owner was last refreshed, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed_at: Option<i64>,
}

impl AccountOwner {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::AccountOwner.canonical();
}

impl HasObjectId for AccountOwner {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// The owners of an account at one point in time (`financial_connections.account_ownership`, id
/// `fcaowns_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountOwnership {
    /// Unique id, `fcaowns_…`.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// The owners (first page).
    pub owners: List<AccountOwner>,
}

impl AccountOwnership {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::AccountOwnership.canonical();
}

impl HasObjectId for AccountOwnership {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}
