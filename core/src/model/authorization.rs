//! `financial_connections.authorization` ([`Authorization`], private preview): the credentials
//! behind a group of linked accounts, which a relink session repairs.

use serde::{Deserialize, Serialize};

use super::account::{AccountHolder, StatusDetails};
use super::enums::AuthorizationStatus;
use super::expandable::{Expandable, HasObjectId};
use super::institution::Institution;
use super::object_kind::ObjectKind;
use super::serde_util::null_as_default;

/// A set of credentials used to connect a group of accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Authorization {
    /// Unique id.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether the authorization lives in live mode.
    pub livemode: bool,
    /// The name of the institution.
    pub institution_name: String,
    /// The institution: an id or the expanded object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<Expandable<Institution>>,
    /// Who the authorization belongs to on the Stripe side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder: Option<AccountHolder>,
    /// Active, disconnected or inactive.
    pub status: AuthorizationStatus,
    /// Upcoming deactivation, or what to do now that it is inactive. Absent or `null` decodes as
    /// empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status_details: StatusDetails,
}

impl Authorization {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::Authorization.canonical();

    /// Whether `status_details.inactive.action` is `relink_required`.
    pub fn needs_relink_now(&self) -> bool {
        self.status_details.needs_relink_now()
    }

    /// The expected deactivation date, see [`StatusDetails::relink_required_soon`].
    pub fn relink_required_soon(&self) -> Option<i64> {
        self.status_details.relink_required_soon()
    }
}

impl HasObjectId for Authorization {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}
