//! The records and enums the FFI reshapes on purpose, and their conversions from and to the core's
//! types: the closed inputs of `SessionOptions` (`Permission`, `AccountSubcategory`; its
//! `prefetch` takes the core's `DataFeature`), the flattened `Account`, Stripe's open enums as raw strings
//! (`RelinkOutcome`, `ReturnUrlHints`), the secret holder `SheetConfiguration` (an object), and the
//! results that carry them. Types the FFI would only copy are the core's own, derived there
//! (feature `uniffi`). Nothing here decides anything.

use std::collections::HashMap;

use finconn_client::flow as core_flow;
use finconn_core::data as core_data;
use finconn_core::model as core_model;
use finconn_core::options as core_options;
use finconn_core::options::RelinkRequest;
use finconn_core::reconcile as core_reconcile;
use finconn_core::reconcile::{FlowStatus, ResultSource, ResultWarning};
use finconn_core::return_url as core_url;
use finconn_core::return_url::MatchKind;

use finconn_core::data::{BalanceView, DataFeature, DuplicateAccount};

/// Data the user is asked to share in a session (`permissions`): only that. What to fetch or
/// refresh is a `DataFeature`. A closed input written here on purpose: the core's `Permission`
/// decodes Stripe's answers and keeps values it does not know, which an app must not send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Permission {
    /// Read the account's balances.
    Balances,
    /// Read who owns the account (names, emails, phones, addresses).
    Ownership,
    /// Use the account as a payment method (ACH debits through Stripe).
    PaymentMethod,
    /// Read the account's transactions.
    Transactions,
}

/// Account types that can be linked (`filters.account_subcategories`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AccountSubcategory {
    /// Checking (current) accounts.
    Checking,
    /// Savings accounts.
    Savings,
    /// Credit cards.
    CreditCard,
    /// Lines of credit.
    LineOfCredit,
    /// Mortgages.
    Mortgage,
    /// Any account Stripe puts in no other subcategory.
    Other,
}

/// What a flow asks the backend for. Validated before any network call.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionOptions {
    /// At least one.
    pub permissions: Vec<Permission>,
    /// Data Stripe fetches as soon as accounts are linked (`prefetch`). Each needs its
    /// permission (`Balances` and `InferredBalances` need `Permission.Balances`).
    #[uniffi(default)]
    pub prefetch: Vec<DataFeature>,
    /// Only accounts of these subcategories can be linked; empty: any.
    #[uniffi(default)]
    pub account_subcategories: Vec<AccountSubcategory>,
    /// Repair an existing authorization (a relink) instead of linking new accounts.
    #[uniffi(default)]
    pub relink: Option<RelinkRequest>,
    /// Where Stripe sends the user back after the bank's app or browser; one of the configured
    /// return URLs.
    #[uniffi(default)]
    pub return_url: Option<String>,
}

impl From<SessionOptions> for core_options::SessionOptions {
    fn from(o: SessionOptions) -> Self {
        core_options::SessionOptions {
            permissions: o
                .permissions
                .into_iter()
                .map(|p| match p {
                    Permission::Balances => core_model::Permission::Balances,
                    Permission::Ownership => core_model::Permission::Ownership,
                    Permission::PaymentMethod => core_model::Permission::PaymentMethod,
                    Permission::Transactions => core_model::Permission::Transactions,
                })
                .collect(),
            prefetch: o
                .prefetch
                .into_iter()
                .map(core_model::PrefetchFeature::from)
                .collect(),
            account_subcategories: o
                .account_subcategories
                .into_iter()
                .map(|s| match s {
                    AccountSubcategory::Checking => core_model::AccountSubcategory::Checking,
                    AccountSubcategory::Savings => core_model::AccountSubcategory::Savings,
                    AccountSubcategory::CreditCard => core_model::AccountSubcategory::CreditCard,
                    AccountSubcategory::LineOfCredit => {
                        core_model::AccountSubcategory::LineOfCredit
                    }
                    AccountSubcategory::Mortgage => core_model::AccountSubcategory::Mortgage,
                    AccountSubcategory::Other => core_model::AccountSubcategory::Other,
                })
                .collect(),
            relink: o.relink,
            return_url: o.return_url,
        }
    }
}

/// An account's status. Values Stripe adds later arrive as `Unknown` with the raw value.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum AccountStatus {
    /// Its data can be read.
    Active,
    /// Stripe can no longer reach it (the bank revoked access, expired credentials): a relink
    /// may repair it.
    Inactive,
    /// Disconnected by the user or the app; its data can no longer be read.
    Disconnected,
    /// A status Stripe added after this library was built.
    Unknown {
        /// Stripe's raw value.
        value: String,
    },
}

/// A linked bank account, flattened for display. Enum-like Stripe fields (`category`,
/// `subcategory`) are their raw Stripe strings so that new values pass through.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    /// `fca_…`
    pub id: String,
    /// The bank's name, e.g. "Chase".
    pub institution_name: String,
    /// The account's name at the bank, when it has one (e.g. "Checking").
    pub display_name: Option<String>,
    /// The last four digits of the account number, when the bank gives them.
    pub last4: Option<String>,
    /// "Institution •••• 1234": the line to show in a list.
    pub display_line: String,
    /// `cash`, `credit`, `investment`, `other`, or a newer value.
    pub category: String,
    /// `checking`, `savings`, `credit_card`, … or a newer value.
    pub subcategory: String,
    /// Whether its data can be read now.
    pub status: AccountStatus,
    /// Inactive and repairable by a relink now.
    pub needs_relink_now: bool,
    /// Active but will need a relink before this time: Unix time in seconds, UTC, as Stripe sends it.
    pub relink_required_by_unix_seconds: Option<i64>,
    /// The authorization behind the account (what a relink repairs).
    pub authorization: Option<String>,
    /// Current balance per currency, minor units (positive: owed to the holder).
    pub current_balance: HashMap<String, i64>,
    /// The whole balance, when Stripe has one (`refresh` with `Balance`).
    pub balance: Option<BalanceView>,
    /// Permissions granted on the account (`balances`, `ownership`, `transactions`, …).
    pub permissions: Vec<String>,
    /// Data Stripe refreshes daily (`transactions`).
    pub subscriptions: Vec<String>,
    /// The last balance refresh, if one was ever asked for.
    pub balance_refresh: Option<RefreshRecord>,
    /// The last ownership refresh, if one was ever asked for.
    pub ownership_refresh: Option<RefreshRecord>,
    /// The last transaction refresh, if one was ever asked for.
    pub transaction_refresh: Option<RefreshRecord>,
    /// Payment method types the account can back (`us_bank_account`, `link`).
    pub supported_payment_method_types: Vec<String>,
    /// True for a live-mode account, false for a test-mode one.
    pub livemode: bool,
    /// When the account was linked: Unix time in seconds, UTC, as Stripe sends it.
    pub created_unix_seconds: i64,
}

impl From<&core_model::Account> for Account {
    fn from(a: &core_model::Account) -> Self {
        Account {
            id: a.id.clone(),
            institution_name: a.institution_name.clone(),
            display_name: a.display_name.clone(),
            last4: a.last4.clone(),
            display_line: a.display_line(),
            category: a.category.as_str().to_owned(),
            subcategory: a.subcategory.as_str().to_owned(),
            status: match &a.status {
                core_model::AccountStatus::Active => AccountStatus::Active,
                core_model::AccountStatus::Inactive => AccountStatus::Inactive,
                core_model::AccountStatus::Disconnected => AccountStatus::Disconnected,
                other => AccountStatus::Unknown {
                    value: other.as_str().to_owned(),
                },
            },
            needs_relink_now: a.needs_relink_now(),
            relink_required_by_unix_seconds: a.relink_required_soon(),
            authorization: a.authorization.clone(),
            current_balance: a
                .balance
                .as_ref()
                .map(|b| b.current.iter().map(|(k, v)| (k.clone(), *v)).collect())
                .unwrap_or_default(),
            balance: a.balance.as_ref().map(BalanceView::from),
            permissions: a
                .permissions
                .iter()
                .flatten()
                .map(|p| p.as_str().to_owned())
                .collect(),
            subscriptions: a
                .subscriptions
                .iter()
                .flatten()
                .map(|p| p.as_str().to_owned())
                .collect(),
            balance_refresh: refresh_record(a, core_data::DataFeature::Balances),
            ownership_refresh: refresh_record(a, core_data::DataFeature::Ownership),
            transaction_refresh: refresh_record(a, core_data::DataFeature::Transactions),
            supported_payment_method_types: a
                .supported_payment_method_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            livemode: a.livemode,
            created_unix_seconds: a.created,
        }
    }
}

fn refresh_record(a: &core_model::Account, f: core_data::DataFeature) -> Option<RefreshRecord> {
    f.state(a).as_ref().map(RefreshRecord::from)
}

/// What Stripe's `FinancialConnectionsSheet` reported.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum SheetResult {
    /// iOS `.completed(session:)`, Android `FinancialConnectionsSheetResult.Completed`.
    Completed,
    /// iOS `.canceled`, Android `Canceled`.
    Canceled,
    /// iOS `.failed(error:)`, Android `Failed(error)`: pass the error's description or code.
    Failed {
        /// The sheet's error, described; kept in the result and the report, never shown as is.
        error: String,
    },
}

impl From<SheetResult> for core_reconcile::SheetOutcome {
    fn from(r: SheetResult) -> Self {
        match r {
            SheetResult::Completed => core_reconcile::SheetOutcome::Completed { session: None },
            SheetResult::Canceled => core_reconcile::SheetOutcome::Canceled,
            SheetResult::Failed { error } => core_reconcile::SheetOutcome::Failed { error },
        }
    }
}

/// What happened to a relink request.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum RelinkOutcome {
    /// The requested authorization was repaired.
    Relinked {
        /// The authorization that was repaired (`fcauth_…`).
        authorization: String,
        /// The account the relink asked for, if it named one.
        account: Option<String>,
        /// Accounts the app had on this authorization that the session did not return (they
        /// may still be inactive).
        missing_account_ids: Vec<String>,
    },
    /// The user authenticated but Stripe created a new authorization.
    NewAuthorization {
        /// The new authorization (`fcauth_…`).
        authorization: String,
        /// Accounts to add: they are on the new authorization.
        new_account_ids: Vec<String>,
        /// The app's accounts the new authorization does not cover.
        missing_account_ids: Vec<String>,
    },
    /// `no_account`, `no_authorization`, `other`, or a newer reason.
    Failed {
        /// Stripe's reason, raw: `no_account`, `no_authorization`, `other`, or a newer value.
        reason: String,
    },
    /// The user left before the relink finished.
    Unfinished,
}

impl From<&core_reconcile::RelinkOutcome> for RelinkOutcome {
    fn from(o: &core_reconcile::RelinkOutcome) -> Self {
        use core_reconcile::RelinkOutcome as R;
        match o.clone() {
            R::Relinked {
                authorization,
                account,
                missing_account_ids,
            } => RelinkOutcome::Relinked {
                authorization,
                account,
                missing_account_ids,
            },
            R::NewAuthorization {
                authorization,
                new_account_ids,
                missing_account_ids,
            } => RelinkOutcome::NewAuthorization {
                authorization,
                new_account_ids,
                missing_account_ids,
            },
            R::Failed { reason } => RelinkOutcome::Failed {
                reason: reason.as_str().to_owned(),
            },
            R::Unfinished => RelinkOutcome::Unfinished,
        }
    }
}

/// The one final result of a flow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowResult {
    /// How the flow ended.
    pub status: FlowStatus,
    /// The Financial Connections session (`fcsess_…`); none if the flow ended before the
    /// backend created one.
    pub session_id: Option<String>,
    /// The accounts linked in this flow; empty when nothing was linked.
    pub accounts: Vec<Account>,
    /// What happened to the relink, for a flow started with `SessionOptions.relink`.
    pub relink: Option<RelinkOutcome>,
    /// The sheet's error for failed flows.
    pub error: Option<String>,
    /// Whether a server confirmed the result.
    pub source: ResultSource,
    /// What was odd about how the result was reached; for logs, nothing to show.
    pub warnings: Vec<ResultWarning>,
    /// New accounts that duplicate an active account the user already had: keep one.
    pub duplicates: Vec<DuplicateAccount>,
}

impl From<&core_reconcile::FlowResult> for FlowResult {
    fn from(r: &core_reconcile::FlowResult) -> Self {
        FlowResult {
            status: r.status,
            session_id: r.session_id.clone(),
            accounts: r.accounts.iter().map(Account::from).collect(),
            relink: r.relink.as_ref().map(RelinkOutcome::from),
            error: r.error.clone(),
            source: r.source,
            warnings: r.warnings.clone(),
            duplicates: r.duplicates.clone(),
        }
    }
}

/// What to give Stripe's `FinancialConnectionsSheet`. An object, not a record: its default
/// `toString()` / `description` shows no field, so logging it prints no secret. Read the values
/// with the accessors, hand them to Stripe's sheet, and keep them in memory only.
#[derive(uniffi::Object)]
pub struct SheetConfiguration {
    inner: core_flow::SheetConfiguration,
}

impl std::fmt::Debug for SheetConfiguration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug redacts both secrets.
        self.inner.fmt(f)
    }
}

impl From<core_flow::SheetConfiguration> for SheetConfiguration {
    fn from(inner: core_flow::SheetConfiguration) -> Self {
        SheetConfiguration { inner }
    }
}

#[uniffi::export]
impl SheetConfiguration {
    /// The Financial Connections session the sheet shows (`fcsess_…`).
    pub fn session_id(&self) -> String {
        self.inner.session_id.clone()
    }

    /// For `FinancialConnectionsSheet(financialConnectionsSessionClientSecret:)` /
    /// `FinancialConnectionsSheet.Configuration`. Never log, print or persist it.
    pub fn client_secret(&self) -> String {
        self.inner.client_secret.expose().to_owned()
    }

    /// For `STPAPIClient.shared.publishableKey` / `FinancialConnectionsSheet.Configuration`.
    pub fn publishable_key(&self) -> String {
        self.inner.publishable_key.expose().to_owned()
    }

    /// For Connect platforms: `stripeAccount` of the API client.
    pub fn stripe_account(&self) -> Option<String> {
        self.inner.stripe_account.clone()
    }

    /// True for a live-mode session, false for a test-mode one.
    pub fn livemode(&self) -> bool {
        self.inner.livemode
    }
}

/// What a matching deep link claims. Hints only: the outcome always comes from the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReturnUrlHints {
    /// `success`, `cancel`, `failure`, `authentication_return`, or another value.
    pub status: Option<String>,
    /// The error reason the link carries, if any.
    pub error_reason: Option<String>,
    /// The session id the link carries, if any.
    pub session_id: Option<String>,
}

impl From<&core_url::ReturnUrlHints> for ReturnUrlHints {
    fn from(h: &core_url::ReturnUrlHints) -> Self {
        ReturnUrlHints {
            status: h.status.as_ref().map(|s| s.as_str().to_owned()),
            error_reason: h.error_reason.clone(),
            session_id: h.session_id.clone(),
        }
    }
}

/// The verdict on a deep link, without any flow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UrlCheck {
    /// The link is one of the app's return links (or Stripe's Android redirects for it).
    pub matched: bool,
    /// Which rule matched; none when it did not match.
    pub kind: Option<MatchKind>,
    /// What the link claims, when it matched.
    pub hints: Option<ReturnUrlHints>,
    /// Why it was rejected, as a stable code (`host_mismatch`, `userinfo`, …).
    pub reject_reason: Option<String>,
    /// Why it was rejected, in a sentence for logs.
    pub reject_message: Option<String>,
}

impl From<core_url::UrlClassification> for UrlCheck {
    fn from(c: core_url::UrlClassification) -> Self {
        match c {
            core_url::UrlClassification::Matched(m) => UrlCheck {
                matched: true,
                kind: Some(m.kind),
                hints: Some((&m.hints).into()),
                reject_reason: None,
                reject_message: None,
            },
            core_url::UrlClassification::Rejected(r) => UrlCheck {
                matched: false,
                kind: None,
                hints: None,
                reject_reason: Some(r.as_str().to_owned()),
                reject_message: Some(r.to_string()),
            },
        }
    }
}

/// What a flow did with a deep link.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UrlHandling {
    /// The link belongs to this app's Financial Connections flows: do not route it elsewhere.
    pub is_flow_url: bool,
    /// The flow recorded its hints (it was waiting for the user to come back).
    pub recorded: bool,
    /// What the link claims, when it is a flow link.
    pub hints: Option<ReturnUrlHints>,
    /// Why it is not a flow link, as a stable code (`host_mismatch`, …).
    pub reject_reason: Option<String>,
}

impl From<core_flow::UrlHandling> for UrlHandling {
    fn from(h: core_flow::UrlHandling) -> Self {
        UrlHandling {
            is_flow_url: h.is_flow_url,
            recorded: h.recorded,
            hints: h.hints.as_ref().map(ReturnUrlHints::from),
            reject_reason: h.reject_reason,
        }
    }
}

/// The state of one of an account's refreshes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefreshRecord {
    /// `pending`, `succeeded`, `failed`, or a newer value.
    pub status: String,
    /// When Stripe last tried this refresh: Unix time in seconds, UTC, as Stripe sends it.
    pub last_attempted_at_unix_seconds: i64,
    /// When the next refresh may be asked for: Unix time in seconds, UTC, as Stripe sends it. `None` while pending.
    pub next_refresh_available_at_unix_seconds: Option<i64>,
}

impl From<&core_data::RefreshState> for RefreshRecord {
    fn from(s: &core_data::RefreshState) -> Self {
        RefreshRecord {
            status: s.status.as_str().to_owned(),
            last_attempted_at_unix_seconds: s.last_attempted_at,
            next_refresh_available_at_unix_seconds: s.next_refresh_available_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_configuration_debug_hides_the_secrets() {
        let c = SheetConfiguration::from(core_flow::SheetConfiguration {
            session_id: "fcsess_1".into(),
            client_secret: finconn_core::secret::Secret::new("fcsess_1_secret_TOP"),
            publishable_key: finconn_core::secret::Secret::new("pk_test_KEY"),
            stripe_account: None,
            livemode: false,
        });
        let debug = format!("{c:?}");
        assert!(
            debug.contains("fcsess_1") && !debug.contains("TOP") && !debug.contains("pk_test_KEY")
        );
        assert_eq!(c.client_secret(), "fcsess_1_secret_TOP");
    }

    #[test]
    fn options_convert_to_the_core_and_validate_there() {
        let options = SessionOptions {
            permissions: vec![Permission::Balances, Permission::PaymentMethod],
            prefetch: vec![DataFeature::Balances],
            account_subcategories: vec![AccountSubcategory::CreditCard],
            relink: Some(RelinkRequest {
                authorization: "fcauth_1".into(),
                account: None,
                known_account_ids: vec!["fca_1".into()],
            }),
            return_url: Some("myapp://stripe-redirect".into()),
        };
        let core: core_options::SessionOptions = options.into();
        assert_eq!(core.permissions[1].as_str(), "payment_method");
        assert_eq!(core.account_subcategories[0].as_str(), "credit_card");
        assert!(core.validate().is_ok());
        let empty: core_options::SessionOptions = SessionOptions {
            permissions: vec![],
            prefetch: vec![],
            account_subcategories: vec![],
            relink: None,
            return_url: None,
        }
        .into();
        assert!(empty.validate().is_err());
    }

    #[test]
    fn accounts_keep_unknown_stripe_values() {
        let account: core_model::Account = serde_json::from_value(serde_json::json!({
            "id": "fca_1", "category": "crypto", "subcategory": "moon", "status": "hibernating",
            "institution_name": "Bank", "last4": "1234", "created": 1, "livemode": false,
            "supported_payment_method_types": ["us_bank_account"]
        }))
        .unwrap();
        let ffi = Account::from(&account);
        assert_eq!(ffi.category, "crypto");
        assert_eq!(
            ffi.status,
            AccountStatus::Unknown {
                value: "hibernating".into()
            }
        );
        assert_eq!(ffi.display_line, "Bank •••• 1234");
    }
}
