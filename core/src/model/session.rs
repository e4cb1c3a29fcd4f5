//! `financial_connections.session` ([`Session`]; legacy `link_account_session`) and its parts:
//! filters, limits, manual entry, hosted options, relink options and result, status details, and
//! the [`PaymentAccount`] the mobile SDKs receive.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use super::account::{Account, AccountHolder};
use super::enums::{
    AccountSubcategory, ConsentOutcome, HostedDeliveryMethod, ManualEntryMode, Permission,
    PrefetchFeature, RelinkFailureReason, RequirePaymentMethodSupport, SessionCancelledReason,
    SessionStatus, UiMode,
};
use super::expandable::{Expandable, HasObjectId};
use super::list::List;
use super::object_kind::ObjectKind;
use super::serde_util::{from_json_value, null_as_default};
use crate::secret::Secret;

/// A Financial Connections session: one run of the account-linking flow (id `fcsess_…`, legacy
/// `las_…`).
///
/// The client secret is decoded but never encoded: a `Session` written back to JSON (a snapshot,
/// a log, a report) cannot leak it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Unique id, `fcsess_…`.
    pub id: String,
    /// The object name as sent: `financial_connections.session`, legacy `link_account_session`,
    /// or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether the session lives in live mode.
    pub livemode: bool,
    /// The accounts collected (first page). Also read from the legacy key `linked_accounts`;
    /// absent or `null` decodes as an empty list. Always encoded as `accounts`.
    #[serde(
        default,
        alias = "linked_accounts",
        deserialize_with = "null_as_default"
    )]
    pub accounts: List<Account>,
    /// Who the collected accounts will belong to on the Stripe side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder: Option<AccountHolder>,
    /// The secret that opens the flow in the Stripe sheet. Never serialized.
    #[serde(default, skip_serializing)]
    pub client_secret: Option<Secret>,
    /// A bank account token (`btok_…`), when the flow produced one; kept as opaque JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_account_token: Option<Expandable<serde_json::Value>>,
    /// The account to pay from, when the flow collected one (mobile SDK responses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_account: Option<PaymentAccount>,
    /// Filters on the accounts that can be collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<SessionFilters>,
    /// Limits on the accounts that can be collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<SessionLimits>,
    /// Whether manual entry is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_entry: Option<ManualEntry>,
    /// The data permissions requested. Absent or `null` decodes as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub permissions: Vec<Permission>,
    /// Data fetched right after linking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<Vec<PrefetchFeature>>,
    /// Where a webview integration returns after OAuth in the native browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// Hosted-flow options (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosted: Option<Hosted>,
    /// Consent collected before the session (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_collected_consent: Option<PreCollectedConsent>,
    /// What a relink session must repair (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relink_options: Option<RelinkOptions>,
    /// What a relink session repaired (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relink_result: Option<RelinkResult>,
    /// The status of the session (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SessionStatus>,
    /// Details on the status (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<SessionStatusDetails>,
    /// How the UI is shown (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_mode: Option<UiMode>,
    /// The hosted flow's URL, while the session is active and `ui_mode` is `hosted` (private
    /// preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Session {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::Session.canonical();
}

impl HasObjectId for Session {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// `filters`: which accounts the flow may collect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionFilters {
    /// Allowed account subcategories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_subcategories: Option<Vec<AccountSubcategory>>,
    /// Allowed institution countries (ISO codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub countries: Option<Vec<String>>,
    /// Allowed institution country (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The only institution to offer (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// Which accounts must support a payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_payment_method_support: Option<RequirePaymentMethodSupport>,
}

/// `limits`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionLimits {
    /// The most accounts the holder may link.
    pub accounts: u32,
}

/// `manual_entry`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ManualEntry {
    /// Whether and how manual entry is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<ManualEntryMode>,
}

/// `hosted` (private preview).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Hosted {
    /// How the hosted flow reaches the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_method: Option<HostedDeliveryMethod>,
    /// Where the hosted flow returns when the holder finishes or cancels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// `pre_collected_consent` (private preview).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreCollectedConsent {
    /// Whether consent was already given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ConsentOutcome>,
}

/// `relink_options`: what a relink session must repair (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelinkOptions {
    /// The authorization to relink.
    pub authorization: String,
    /// The one account the holder must repair, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// `relink_result`: what a relink session repaired (private preview).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RelinkResult {
    /// The repaired account; only when `relink_options.account` was set and relink succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The repaired authorization; only when relink succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// Why relink failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<RelinkFailureReason>,
}

impl RelinkResult {
    /// Whether the relink succeeded: an authorization came back and no failure reason.
    pub fn succeeded(&self) -> bool {
        self.authorization.is_some() && self.failure_reason.is_none()
    }
}

/// `status_details` of a session (private preview).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionStatusDetails {
    /// Present when the session was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<CancelledStatusDetails>,
}

/// `status_details.cancelled`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelledStatusDetails {
    /// Why the session was cancelled.
    pub reason: SessionCancelledReason,
}

/// A session's `payment_account`, as the mobile SDKs receive it: a Financial Connections
/// account, a manually entered bank account, or something this version does not know (kept as
/// JSON and written back unchanged).
///
/// The kind is chosen from `object` (`financial_connections.account`/`linked_account`,
/// `bank_account`) or, without it, from the id prefix (`fca_`/`la_`, `ba_`). A value that claims
/// to be an account or bank account must decode as one; anything else becomes `Other`.
#[derive(Debug, Clone, PartialEq)]
pub enum PaymentAccount {
    /// A linked Financial Connections account.
    Account(Box<Account>),
    /// A bank account entered by hand (`ba_…`).
    BankAccount(Box<BankAccount>),
    /// Any other JSON value.
    Other(serde_json::Value),
}

impl PaymentAccount {
    /// The id of the account, whichever kind.
    pub fn id(&self) -> Option<&str> {
        match self {
            PaymentAccount::Account(account) => Some(&account.id),
            PaymentAccount::BankAccount(bank_account) => Some(&bank_account.id),
            PaymentAccount::Other(value) => value.object_id(),
        }
    }

    /// The last 4 digits of the account number, when known.
    pub fn last4(&self) -> Option<&str> {
        match self {
            PaymentAccount::Account(account) => account.last4.as_deref(),
            PaymentAccount::BankAccount(bank_account) => bank_account.last4.as_deref(),
            PaymentAccount::Other(value) => value.get("last4")?.as_str(),
        }
    }
}

impl Serialize for PaymentAccount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            PaymentAccount::Account(account) => account.serialize(serializer),
            PaymentAccount::BankAccount(bank_account) => bank_account.serialize(serializer),
            PaymentAccount::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for PaymentAccount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // One small object per session: buffering it to look at `object`/`id` first is cheap.
        let value = serde_json::Value::deserialize(deserializer)?;
        let object = value.get("object").and_then(serde_json::Value::as_str);
        let id = value.object_id();
        let is_bank_account = match object {
            Some(object) => object == BankAccount::OBJECT,
            None => id.is_some_and(|id| id.starts_with("ba_")),
        };
        let is_account = match object {
            Some(object) => ObjectKind::from_object_name(object) == Some(ObjectKind::Account),
            None => id.and_then(ObjectKind::from_id) == Some(ObjectKind::Account),
        };
        if is_account {
            from_json_value(value)
                .map(|account| PaymentAccount::Account(Box::new(account)))
                .map_err(|err| de::Error::custom(format_args!("payment_account: {err}")))
        } else if is_bank_account {
            from_json_value(value)
                .map(|bank_account| PaymentAccount::BankAccount(Box::new(bank_account)))
                .map_err(|err| de::Error::custom(format_args!("payment_account: {err}")))
        } else {
            Ok(PaymentAccount::Other(value))
        }
    }
}

/// A bank account entered by hand (`bank_account`, id `ba_…`); only the fields the app shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankAccount {
    /// Unique id, `ba_…`.
    pub id: String,
    /// The object name as sent (`bank_account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// The name of the account holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_name: Option<String>,
    /// `individual` or `company`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder_type: Option<String>,
    /// `checking`, `savings`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// The bank's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_name: Option<String>,
    /// ISO country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// ISO currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Uniquely identifies this account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// The last 4 digits of the account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// The routing number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_number: Option<String>,
    /// `new`, `validated`, `verified`, ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl BankAccount {
    /// The object name of a bank account.
    pub const OBJECT: &'static str = "bank_account";
}

impl HasObjectId for BankAccount {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::enums::AccountStatus;
    use serde_json::{json, Value};

    fn session(value: Value) -> Session {
        serde_json::from_value(value).unwrap()
    }

    fn account_json(id: &str) -> Value {
        json!({
            "id": id, "object": "financial_connections.account", "livemode": true,
            "created": 1, "institution_name": "Bank", "category": "cash",
            "subcategory": "checking", "status": "active", "supported_payment_method_types": [],
        })
    }

    #[test]
    fn legacy_linked_accounts_key() {
        let legacy = session(json!({
            "id": "las_1", "object": "link_account_session", "livemode": true,
            "linked_accounts": {"object": "list", "data": [account_json("la_1")], "has_more": false,
                                "total_count": 1, "url": "/v1/linked_accounts"},
        }));
        assert_eq!(legacy.accounts.len(), 1);
        assert_eq!(legacy.accounts.data[0].id, "la_1");
        assert_eq!(legacy.accounts.total_count, Some(1));
        // Written back under the current key, and decodes to the same value.
        let out = serde_json::to_value(&legacy).unwrap();
        assert!(out.get("linked_accounts").is_none());
        assert_eq!(out["accounts"]["data"][0]["id"], "la_1");
        assert_eq!(session(out), legacy);
    }

    #[test]
    fn accounts_absent_or_null_is_empty() {
        let absent = session(json!({"id": "fcsess_1", "livemode": false}));
        let null = session(json!({"id": "fcsess_1", "livemode": false, "accounts": null}));
        assert!(absent.accounts.is_empty());
        assert_eq!(absent, null);
        assert!(absent.permissions.is_empty());
    }

    #[test]
    fn both_account_keys_is_an_error() {
        let both = json!({"id": "fcsess_1", "livemode": false, "accounts": {"data": []},
                          "linked_accounts": {"data": []}});
        assert!(serde_json::from_value::<Session>(both).is_err());
    }

    #[test]
    fn null_and_absent_optional_fields_decode_the_same() {
        let absent = session(json!({"id": "fcsess_1", "livemode": false}));
        let null = session(json!({
            "id": "fcsess_1", "livemode": false, "object": null, "account_holder": null,
            "client_secret": null, "bank_account_token": null, "payment_account": null,
            "filters": null, "limits": null, "manual_entry": null, "permissions": null,
            "prefetch": null, "return_url": null, "hosted": null, "pre_collected_consent": null,
            "relink_options": null, "relink_result": null, "status": null, "status_details": null,
            "ui_mode": null, "url": null,
        }));
        assert_eq!(absent, null);
        let empty_prefetch = session(json!({"id": "fcsess_1", "livemode": false, "prefetch": []}));
        assert_eq!(empty_prefetch.prefetch, Some(vec![]));
    }

    #[test]
    fn client_secret_is_read_but_never_written() {
        let s = session(json!({"id": "fcsess_1", "livemode": false,
                               "client_secret": "fcsess_1_secret_xyz"}));
        assert_eq!(
            s.client_secret.as_ref().map(Secret::expose),
            Some("fcsess_1_secret_xyz")
        );
        assert!(!format!("{s:?}").contains("secret_xyz"));
        let out = serde_json::to_string(&s).unwrap();
        assert!(
            !out.contains("client_secret") && !out.contains("secret_xyz"),
            "{out}"
        );
    }

    #[test]
    fn payment_account_kinds() {
        let by_object = session(json!({"id": "fcsess_1", "livemode": false,
                                       "payment_account": account_json("fca_9")}));
        let Some(PaymentAccount::Account(account)) = &by_object.payment_account else {
            panic!("expected an account: {by_object:?}");
        };
        assert_eq!(account.status, AccountStatus::Active);

        let mut no_object = account_json("fca_8");
        no_object.as_object_mut().unwrap().remove("object");
        let by_prefix = session(json!({"id": "fcsess_1", "livemode": false,
                                       "payment_account": no_object}));
        assert!(matches!(
            by_prefix.payment_account,
            Some(PaymentAccount::Account(_))
        ));
        assert_eq!(
            by_prefix.payment_account.as_ref().unwrap().id(),
            Some("fca_8")
        );

        let bank = session(
            json!({"id": "fcsess_1", "livemode": false, "payment_account": {
                "id": "ba_1", "object": "bank_account", "bank_name": "STRIPE TEST BANK", "last4": "6789",
                "routing_number": "110000000", "extra": true,
            }}),
        );
        let Some(PaymentAccount::BankAccount(bank_account)) = &bank.payment_account else {
            panic!("expected a bank account: {bank:?}");
        };
        assert_eq!(bank_account.bank_name.as_deref(), Some("STRIPE TEST BANK"));
        assert_eq!(bank.payment_account.as_ref().unwrap().last4(), Some("6789"));

        let other_json = json!({"id": "pm_1", "object": "payment_method", "future": [1, 2]});
        let other = session(json!({"id": "fcsess_1", "livemode": false,
                                   "payment_account": other_json.clone()}));
        assert_eq!(
            other.payment_account,
            Some(PaymentAccount::Other(other_json.clone()))
        );
        assert_eq!(
            serde_json::to_value(&other).unwrap()["payment_account"],
            other_json
        );

        // Claims to be an account but is not one: an error, not a silent `Other`.
        let broken = json!({"id": "fcsess_1", "livemode": false,
                            "payment_account": {"id": "fca_1", "object": "financial_connections.account"}});
        let err = serde_json::from_value::<Session>(broken).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("payment_account: missing field"),
            "{err}"
        );
    }

    #[test]
    fn relink_result_failure_reasons() {
        let failed = session(json!({"id": "fcsess_1", "livemode": false,
            "relink_options": {"authorization": "fcauth_1", "account": "fca_1"},
            "relink_result": {"authorization": null, "account": null, "failure_reason": "no_account"}}));
        let result = failed.relink_result.as_ref().unwrap();
        assert_eq!(result.failure_reason, Some(RelinkFailureReason::NoAccount));
        assert!(!result.succeeded());
        assert_eq!(
            failed.relink_options.as_ref().unwrap().authorization,
            "fcauth_1"
        );

        let unknown = session(json!({"id": "fcsess_1", "livemode": false,
            "relink_result": {"authorization": null, "account": null, "failure_reason": "bank_on_fire"}}));
        let reason = unknown.relink_result.unwrap().failure_reason.unwrap();
        assert_eq!(reason, RelinkFailureReason::Unknown("bank_on_fire".into()));

        let ok = RelinkResult {
            authorization: Some("fcauth_1".into()),
            ..RelinkResult::default()
        };
        assert!(ok.succeeded());
    }

    #[test]
    fn preview_fields() {
        let s = session(
            json!({"id": "fcsess_1", "livemode": false, "status": "cancelled",
                "status_details": {"cancelled": {"reason": "custom_manual_entry"}}, "ui_mode": "hosted",
                "hosted": {"delivery_method": "url", "return_url": "https://example.com/r"},
                "url": "https://connect.stripe.com/x", "pre_collected_consent": {"outcome": "consent_accepted"},
                "manual_entry": {"mode": "custom"}, "limits": {"accounts": 100},
                "filters": {"account_subcategories": ["checking", "brokerage"], "countries": ["US"]},
            }),
        );
        assert_eq!(s.status, Some(SessionStatus::Cancelled));
        assert_eq!(
            s.status_details
                .as_ref()
                .unwrap()
                .cancelled
                .as_ref()
                .unwrap()
                .reason,
            SessionCancelledReason::CustomManualEntry
        );
        assert_eq!(s.ui_mode, Some(UiMode::Hosted));
        assert_eq!(s.limits.as_ref().unwrap().accounts, 100);
        let subcategories = s
            .filters
            .as_ref()
            .unwrap()
            .account_subcategories
            .as_ref()
            .unwrap();
        assert_eq!(subcategories[1].as_str(), "brokerage");
        assert_eq!(session(serde_json::to_value(&s).unwrap()), s);
    }
}
