//! `financial_connections.account` ([`Account`]) and the pieces it shares with other objects:
//! [`AccountHolder`], [`StatusDetails`], [`Balance`], the refresh records, account numbers, and
//! `financial_connections.account_inferred_balance` ([`AccountInferredBalance`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::enums::{
    AccountCategory, AccountHolderType, AccountNumberIdentifierType, AccountNumberStatus,
    AccountStatus, AccountSubcategory, AccountSubscription, ActiveCause, BalanceType,
    InactiveCause, PaymentMethodType, PaymentNetwork, Permission, ProcessingStatus, RefreshStatus,
    StatusAction,
};
use super::expandable::{Expandable, HasObjectId};
use super::institution::Institution;
use super::object_kind::ObjectKind;
use super::ownership::AccountOwnership;
use super::serde_util::null_as_default;

/// Amounts per currency, in minor units. Keys are normally lowercase ISO currency codes, but any
/// string is accepted (Stripe's own fixture has `"undefined"`).
pub type CurrencyAmounts = BTreeMap<String, i64>;

/// A bank account linked through Financial Connections (`financial_connections.account`; legacy
/// name `linked_account`, ids `fca_…` or legacy `la_…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Unique id, `fca_…`.
    pub id: String,
    /// The object name as sent: `financial_connections.account`, legacy `linked_account`, or
    /// absent (Stripe's SDK fixtures omit it for a session's `payment_account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// Whether the account lives in live mode.
    pub livemode: bool,
    /// Creation time, Unix seconds.
    pub created: i64,
    /// The name of the institution that holds the account.
    pub institution_name: String,
    /// A human-readable name for the account, from the institution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The last 4 digits of the account number (4 numeric characters when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last4: Option<String>,
    /// The type of the account.
    pub category: AccountCategory,
    /// The subtype of the account.
    pub subcategory: AccountSubcategory,
    /// The status of the link to the account.
    pub status: AccountStatus,
    /// Details on the status: upcoming deactivation, or why it is inactive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_details: Option<StatusDetails>,
    /// Payment methods this account can back. `null` or absent decode as empty.
    #[serde(default, deserialize_with = "null_as_default")]
    pub supported_payment_method_types: Vec<PaymentMethodType>,
    /// The data permissions granted on this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<Permission>>,
    /// The data refreshes this account is subscribed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscriptions: Option<Vec<AccountSubscription>>,
    /// Who the account belongs to on the Stripe side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_holder: Option<AccountHolder>,
    /// Details of the account numbers (tokenized or not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_numbers: Option<Vec<AccountNumberDetails>>,
    /// The most recent balance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    /// The state of the most recent balance refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_refresh: Option<Refresh>,
    /// The state of the most recent inferred-balances refresh (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred_balances_refresh: Option<Refresh>,
    /// The account's ownership: an id `fcaowns_…`, or the expanded object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership: Option<Expandable<AccountOwnership>>,
    /// The state of the most recent ownership refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ownership_refresh: Option<Refresh>,
    /// The state of the most recent transaction refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_refresh: Option<TransactionRefresh>,
    /// The id of the `financial_connections.authorization` behind this account (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<String>,
    /// The institution: an id or the expanded object (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<Expandable<Institution>>,
    /// The state of transaction classification, by classification type (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification_state: Option<BTreeMap<String, ProcessingState>>,
    /// The state of transaction enrichment (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrichment_state: Option<EnrichmentState>,
}

impl Account {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::Account.canonical();

    /// Whether the account holder must relink this account before it can be used again
    /// (`status_details.inactive.action == relink_required`).
    pub fn needs_relink_now(&self) -> bool {
        self.status_details
            .as_ref()
            .is_some_and(StatusDetails::needs_relink_now)
    }

    /// When the account is still active but expected to be deactivated: the expected
    /// deactivation date (Unix seconds). See [`StatusDetails::relink_required_soon`].
    pub fn relink_required_soon(&self) -> Option<i64> {
        self.status_details
            .as_ref()
            .and_then(StatusDetails::relink_required_soon)
    }

    /// A one-line label for lists: `"Bank of Testing •••• 7777"`, or just the institution name
    /// when `last4` is absent or empty.
    pub fn display_line(&self) -> String {
        match self.last4.as_deref() {
            Some(last4) if !last4.is_empty() => {
                format!(
                    "{} \u{2022}\u{2022}\u{2022}\u{2022} {last4}",
                    self.institution_name
                )
            }
            _ => self.institution_name.clone(),
        }
    }
}

impl HasObjectId for Account {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// The Stripe-side owner of an account, session or authorization (a customer or a connected
/// account).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountHolder {
    /// Whether the holder is a customer or a connected account.
    #[serde(rename = "type")]
    pub type_: AccountHolderType,
    /// The connected account (`acct_…` or expanded), when `type` is `account`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Expandable<serde_json::Value>>,
    /// The customer (`cus_…` or expanded), when `type` is `customer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Expandable<serde_json::Value>>,
    /// The customer account id, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_account: Option<String>,
}

/// Details on an account's or authorization's status.
///
/// The spec marks the inner fields required, but they are evolving (private preview), so only
/// `action` is required here.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatusDetails {
    /// Present while active: what is expected to happen to the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<ActiveStatusDetails>,
    /// Present while inactive: why, and what the holder can do (private preview).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive: Option<InactiveStatusDetails>,
}

impl StatusDetails {
    /// Whether `inactive.action` is `relink_required`.
    pub fn needs_relink_now(&self) -> bool {
        self.inactive
            .as_ref()
            .is_some_and(|inactive| inactive.action == StatusAction::RelinkRequired)
    }

    /// The expected deactivation date (Unix seconds) when `active` announces one, i.e. when
    /// `active.action` is `relink_required` or a date is set. `None` when nothing is announced
    /// or no date was sent.
    pub fn relink_required_soon(&self) -> Option<i64> {
        let active = self.active.as_ref()?;
        if active.action == StatusAction::RelinkRequired
            || active.expected_deactivation_date.is_some()
        {
            active.expected_deactivation_date
        } else {
            None
        }
    }
}

/// `status_details.active`: the link works but is expected to stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveStatusDetails {
    /// What the holder should do before the deactivation date.
    pub action: StatusAction,
    /// Why deactivation is expected (accounts only; authorizations do not send it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<ActiveCause>,
    /// When the link is expected to stop working, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_deactivation_date: Option<i64>,
}

/// `status_details.inactive`: the link stopped working (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InactiveStatusDetails {
    /// What the holder can do, e.g. `relink_required`.
    pub action: StatusAction,
    /// Why the link stopped working (accounts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<InactiveCause>,
}

/// An account's balance at one point in time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// When the balance was read, Unix seconds.
    pub as_of: i64,
    /// Current balance per currency: positive is owed to the holder, negative owed by them.
    pub current: CurrencyAmounts,
    /// `cash` or `credit`; the hash of the same name carries the details.
    #[serde(rename = "type")]
    pub type_: BalanceType,
    /// Details when `type` is `cash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash: Option<CashBalance>,
    /// Details when `type` is `credit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<CreditBalance>,
}

/// `balance.cash`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CashBalance {
    /// Funds available to transfer or pay out, per currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<CurrencyAmounts>,
}

/// `balance.credit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreditBalance {
    /// Credit used, per currency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<CurrencyAmounts>,
}

/// The state of a balance, ownership or inferred-balances refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refresh {
    /// When the last refresh was attempted, Unix seconds.
    pub last_attempted_at: i64,
    /// When the next refresh may be requested; `None` while one is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_refresh_available_at: Option<i64>,
    /// The status of the last refresh.
    pub status: RefreshStatus,
}

/// The state of a transaction refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransactionRefresh {
    /// The refresh id, `fctxnref_…`.
    pub id: String,
    /// When the last refresh was attempted, Unix seconds.
    pub last_attempted_at: i64,
    /// When the next refresh may be requested; `None` while one is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_refresh_available_at: Option<i64>,
    /// The status of the last refresh.
    pub status: RefreshStatus,
}

/// One entry of `account_numbers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountNumberDetails {
    /// When the number is expected to expire, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_expiry_date: Option<i64>,
    /// Whether this is the real or a tokenized account number.
    pub identifier_type: AccountNumberIdentifierType,
    /// Whether the number can be used.
    pub status: AccountNumberStatus,
    /// The payment networks the number works on.
    #[serde(default, deserialize_with = "null_as_default")]
    pub supported_networks: Vec<PaymentNetwork>,
}

/// The state of one background process (`classification_state` entries,
/// `enrichment_state.merchant`; private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessingState {
    /// Whether the process completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProcessingStatus>,
}

/// `enrichment_state` (private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentState {
    /// Merchant enrichment of the account's transactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant: Option<ProcessingState>,
}

/// An inferred balance of an account (`financial_connections.account_inferred_balance`,
/// private preview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInferredBalance {
    /// Unique id.
    pub id: String,
    /// The object name as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// When the balance was inferred, Unix seconds.
    pub as_of: i64,
    /// Inferred balance per currency.
    pub current: CurrencyAmounts,
}

impl AccountInferredBalance {
    /// The canonical object name.
    pub const OBJECT: &'static str = ObjectKind::AccountInferredBalance.canonical();
}

impl HasObjectId for AccountInferredBalance {
    fn object_id(&self) -> Option<&str> {
        Some(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn account(extra: Value) -> Account {
        let mut base = json!({
            "id": "fca_1",
            "object": "financial_connections.account",
            "livemode": false,
            "created": 1_651_248_322,
            "institution_name": "Bank of Testing",
            "category": "cash",
            "subcategory": "checking",
            "status": "active",
            "supported_payment_method_types": ["us_bank_account"],
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn display_line() {
        let with_last4 = account(json!({"last4": "7777", "display_name": "Savings"}));
        assert_eq!(with_last4.display_line(), "Bank of Testing •••• 7777");
        assert_eq!(
            with_last4.display_line(),
            "Bank of Testing \u{2022}\u{2022}\u{2022}\u{2022} 7777"
        );
        assert_eq!(account(json!({})).display_line(), "Bank of Testing");
        assert_eq!(
            account(json!({"last4": null})).display_line(),
            "Bank of Testing"
        );
        assert_eq!(
            account(json!({"last4": ""})).display_line(),
            "Bank of Testing"
        );
    }

    #[test]
    fn needs_relink_now() {
        let inactive = account(json!({
            "status": "inactive",
            "status_details": {"inactive": {"action": "relink_required", "cause": "access_expired"}},
        }));
        assert!(inactive.needs_relink_now());
        assert_eq!(inactive.relink_required_soon(), None);

        let no_action = account(json!({
            "status": "inactive",
            "status_details": {"inactive": {"action": "none", "cause": "account_closed"}},
        }));
        assert!(!no_action.needs_relink_now());

        let unknown_action = account(json!({
            "status_details": {"inactive": {"action": "call_your_bank", "cause": "new_cause"}},
        }));
        assert!(!unknown_action.needs_relink_now());
        let details = unknown_action.status_details.unwrap().inactive.unwrap();
        assert_eq!(details.action.as_str(), "call_your_bank");
        assert_eq!(details.cause.unwrap().as_str(), "new_cause");

        assert!(!account(json!({})).needs_relink_now());
        assert!(!account(json!({"status_details": {}})).needs_relink_now());
    }

    #[test]
    fn relink_required_soon() {
        let soon = account(json!({
            "status_details": {"active": {
                "action": "relink_required",
                "cause": "access_expired",
                "expected_deactivation_date": 1_700_000_000,
            }},
        }));
        assert_eq!(soon.relink_required_soon(), Some(1_700_000_000));
        assert!(!soon.needs_relink_now());

        let date_only = account(json!({
            "status_details": {"active": {
                "action": "none", "cause": "unspecified", "expected_deactivation_date": 1_800_000_000,
            }},
        }));
        assert_eq!(date_only.relink_required_soon(), Some(1_800_000_000));

        let nothing = account(
            json!({"status_details": {"active": {"action": "none", "cause": "unspecified"}}}),
        );
        assert_eq!(nothing.relink_required_soon(), None);
        assert_eq!(account(json!({})).relink_required_soon(), None);
    }

    #[test]
    fn null_and_absent_optional_fields_decode_the_same() {
        let absent = account(json!({}));
        let null = account(json!({
            "display_name": null, "last4": null, "status_details": null, "permissions": null,
            "subscriptions": null, "account_holder": null, "account_numbers": null, "balance": null,
            "balance_refresh": null, "inferred_balances_refresh": null, "ownership": null,
            "ownership_refresh": null, "transaction_refresh": null, "authorization": null,
            "institution": null, "classification_state": null, "enrichment_state": null,
        }));
        assert_eq!(absent, null);
        // `None` is skipped on output: both encode to the same JSON, without nulls.
        let out = serde_json::to_string(&null).unwrap();
        assert!(!out.contains("null"), "{out}");
        // A non-nullable array sent as null decodes as empty.
        let empty = account(json!({"supported_payment_method_types": null}));
        assert!(empty.supported_payment_method_types.is_empty());
        // An empty array is kept as such, distinct from null.
        let empty_permissions = account(json!({"permissions": []}));
        assert_eq!(empty_permissions.permissions, Some(vec![]));
        assert_ne!(empty_permissions, absent);
    }

    #[test]
    fn ownership_id_or_object() {
        let by_id = account(json!({"ownership": "fcaowns_1"}));
        let ownership = by_id.ownership.as_ref().unwrap();
        assert_eq!(ownership.as_id(), Some("fcaowns_1"));
        assert_eq!(ownership.id(), Some("fcaowns_1"));

        let expanded = account(json!({"ownership": {
            "id": "fcaowns_2",
            "object": "financial_connections.account_ownership",
            "created": 1,
            "owners": {"object": "list", "data": [{
                "id": "fcaown_1", "object": "financial_connections.account_owner",
                "name": "Jane", "ownership": "fcaowns_2", "email": null,
            }], "has_more": false, "url": "/v1/financial_connections/accounts/fca_1/owners"},
        }}));
        let ownership = expanded.ownership.as_ref().unwrap();
        assert_eq!(ownership.id(), Some("fcaowns_2"));
        let owners = &ownership.as_object().unwrap().owners;
        assert_eq!(owners.data[0].name, "Jane");
        assert_eq!(owners.data[0].email, None);

        let out = serde_json::to_value(&expanded).unwrap();
        assert_eq!(out["ownership"]["owners"]["data"][0]["id"], "fcaown_1");
        assert_eq!(
            serde_json::to_value(&by_id).unwrap()["ownership"],
            "fcaowns_1"
        );
    }

    #[test]
    fn balance_accepts_any_currency_key() {
        let acc = account(json!({"balance": {
            "as_of": 1, "current": {"undefined": 1_126_940_025, "usd": -5}, "type": "cash",
            "cash": {"available": {"usd": 10}},
        }}));
        let balance = acc.balance.unwrap();
        assert_eq!(balance.current["undefined"], 1_126_940_025);
        assert_eq!(balance.current["usd"], -5);
        assert_eq!(balance.type_, BalanceType::Cash);
        assert_eq!(balance.cash.unwrap().available.unwrap()["usd"], 10);
    }

    #[test]
    fn unknown_enum_values_round_trip_byte_identical() {
        let raw = r#"{"id":"fca_1","livemode":true,"created":1,"institution_name":"B","category":"crypto_wallet","subcategory":"hodl","status":"frozen \u2603","supported_payment_method_types":["sepa_debit","link"],"permissions":["telepathy"]}"#;
        let acc: Account = serde_json::from_str(raw).unwrap();
        assert!(acc.category.is_unknown());
        assert_eq!(acc.status.as_str(), "frozen \u{2603}");
        let out = serde_json::to_string(&acc).unwrap();
        for fragment in [
            r#""category":"crypto_wallet""#,
            r#""subcategory":"hodl""#,
            "\"status\":\"frozen \u{2603}\"",
            r#""supported_payment_method_types":["sepa_debit","link"]"#,
            r#""permissions":["telepathy"]"#,
        ] {
            assert!(out.contains(fragment), "{fragment} not in {out}");
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let acc = account(json!({"brand_new_field": {"nested": [1, 2]}, "another": null}));
        assert_eq!(acc, account(json!({})));
    }
}
