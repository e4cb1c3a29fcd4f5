//! The account-data records and enums Swift and Kotlin see (balances, refresh reports, owners,
//! transactions, the action an account needs, duplicates), converted from `finconn_core::data`
//! and `finconn_client::account_data`. Nothing is decided here.
//!
//! Money is `Money { amountMinor, currency }`: integer minor units (`1234` usd is $12.34), never a
//! float. A balance's `current` is positive when owed to the account holder and negative when
//! owed by them (a credit card with a debt).

use finconn_client::account_data as core_ad;
use finconn_core::data as core_data;
use finconn_core::data::{FeatureRefresh, Money};
use finconn_core::model as core_model;

use crate::types::{Account, Permission};

/// Why a relink is required.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum RelinkReason {
    /// The account is inactive: its link stopped working.
    Inactive,
    /// The user never granted these permissions: relink asking for them.
    MissingPermissions {
        /// The permissions to add to the relink's `SessionOptions.permissions`.
        permissions: Vec<Permission>,
    },
}

/// What the app must do about an account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum AccountAction {
    /// Start a relink flow (`RelinkRequest(authorization)`), with the missing permissions added
    /// to its `SessionOptions` when there are some.
    RelinkRequired {
        /// The authorization to repair (`RelinkRequest.authorization`): the account's own; none
        /// when Stripe gave the account none.
        authorization: Option<String>,
        /// Why the relink is needed.
        reason: RelinkReason,
    },
    /// The account is disconnected: it is gone.
    Disconnected,
}

fn permission(p: &core_model::Permission) -> Option<Permission> {
    Some(match p {
        core_model::Permission::Balances => Permission::Balances,
        core_model::Permission::Ownership => Permission::Ownership,
        core_model::Permission::PaymentMethod => Permission::PaymentMethod,
        core_model::Permission::Transactions => Permission::Transactions,
        _ => return None,
    })
}

impl From<&core_data::AccountAction> for AccountAction {
    fn from(a: &core_data::AccountAction) -> Self {
        match a {
            core_data::AccountAction::Disconnected => AccountAction::Disconnected,
            core_data::AccountAction::RelinkRequired {
                authorization,
                reason,
            } => AccountAction::RelinkRequired {
                authorization: authorization.clone(),
                reason: match reason {
                    core_data::RelinkReason::Inactive => RelinkReason::Inactive,
                    core_data::RelinkReason::MissingPermissions(p) => {
                        RelinkReason::MissingPermissions {
                            permissions: p.iter().filter_map(permission).collect(),
                        }
                    }
                },
            },
        }
    }
}

/// What `refresh` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RefreshReport {
    /// The account after the refreshes.
    pub account: Account,
    /// One per requested feature, in the order asked.
    pub features: Vec<FeatureRefresh>,
    /// What the app must do before the data can be refreshed (a relink, or nothing: it is
    /// disconnected); none when nothing is needed.
    pub action: Option<AccountAction>,
}

impl From<&core_ad::RefreshReport> for RefreshReport {
    fn from(r: &core_ad::RefreshReport) -> Self {
        RefreshReport {
            account: (&r.account).into(),
            features: r.features.clone(),
            action: r.action.as_ref().map(AccountAction::from),
        }
    }
}

/// One owner of an account, as the institution reports it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AccountOwner {
    /// `fcaown_…`
    pub id: String,
    /// The owner's name, as the institution has it.
    pub name: String,
    /// The owner's email address, when the institution gives one.
    pub email: Option<String>,
    /// The owner's phone number, as the institution formats it, when it gives one.
    pub phone: Option<String>,
    /// The address, unparsed.
    pub raw_address: Option<String>,
    /// When the institution last reported this owner: Unix time in seconds, UTC, as Stripe sends it.
    pub refreshed_at_unix_seconds: Option<i64>,
}

impl From<&core_model::AccountOwner> for AccountOwner {
    fn from(o: &core_model::AccountOwner) -> Self {
        AccountOwner {
            id: o.id.clone(),
            name: o.name.clone(),
            email: o.email.clone(),
            phone: o.phone.clone(),
            raw_address: o.raw_address.clone(),
            refreshed_at_unix_seconds: o.refreshed_at,
        }
    }
}

/// What `owners` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OwnersResult {
    /// Every owner, each once.
    pub owners: Vec<AccountOwner>,
    /// What the app must do before owners can be read (relink with the ownership permission,
    /// or nothing: it is disconnected); none when nothing is needed.
    pub action: Option<AccountAction>,
}

impl From<&core_ad::OwnersResult> for OwnersResult {
    fn from(r: &core_ad::OwnersResult) -> Self {
        OwnersResult {
            owners: r.owners.iter().map(AccountOwner::from).collect(),
            action: r.action.as_ref().map(AccountAction::from),
        }
    }
}

/// A transaction's status. Values Stripe adds later arrive as `Unknown`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[uniffi::export(Debug)]
pub enum TransactionStatus {
    /// Not settled yet: its amount or description may still change.
    Pending,
    /// Settled.
    Posted,
    /// Canceled before it settled; no money moved.
    Void,
    /// A status Stripe added after this library was built.
    Unknown {
        /// Stripe's raw value.
        value: String,
    },
}

/// One transaction of an account.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Transaction {
    /// `fctxn_…`
    pub id: String,
    /// The account it belongs to (`fca_…`).
    pub account_id: String,
    /// Signed: negative is money out of the account.
    pub amount: Money,
    /// The bank's description of it, as the bank wrote it.
    pub description: String,
    /// Pending, posted or void.
    pub status: TransactionStatus,
    /// When it happened: Unix time in seconds, UTC, as Stripe sends it.
    pub transacted_at_unix_seconds: i64,
    /// When it was posted: Unix time in seconds, UTC, as Stripe sends it. `None` until then.
    pub posted_at_unix_seconds: Option<i64>,
    /// When it was voided: Unix time in seconds, UTC, as Stripe sends it. `None` unless it was.
    pub void_at_unix_seconds: Option<i64>,
    /// When it last changed: Unix time in seconds, UTC, as Stripe sends it.
    pub updated_unix_seconds: i64,
    /// The refresh that last changed it (`fctxnref_…`).
    pub transaction_refresh: String,
}

/// By value: a sync's transactions are moved across, never copied (a sync may hold 8 MiB).
impl From<core_model::Transaction> for Transaction {
    fn from(t: core_model::Transaction) -> Self {
        Transaction {
            status: match t.status {
                core_model::TransactionStatus::Pending => TransactionStatus::Pending,
                core_model::TransactionStatus::Posted => TransactionStatus::Posted,
                core_model::TransactionStatus::Void => TransactionStatus::Void,
                other => TransactionStatus::Unknown {
                    value: other.as_str().to_owned(),
                },
            },
            id: t.id,
            account_id: t.account,
            amount: Money {
                amount_minor: t.amount,
                currency: t.currency,
            },
            description: t.description,
            transacted_at_unix_seconds: t.transacted_at,
            posted_at_unix_seconds: t.status_transitions.posted_at,
            void_at_unix_seconds: t.status_transitions.void_at,
            updated_unix_seconds: t.updated,
            transaction_refresh: t.transaction_refresh,
        }
    }
}

/// What `syncTransactions` found.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TransactionSync {
    /// Added or changed since the cursor, one per id, newest first: upsert them by id.
    pub transactions: Vec<Transaction>,
    /// For the next sync; `None` until a transactions refresh succeeded. With `hasMore`, it
    /// continues this listing where it stopped.
    pub cursor: Option<String>,
    /// Pages of the backend's list this call read.
    pub pages: i32,
    /// The call stopped at a per-call limit (`maxItemsPerCall`, `maxBytesPerCall`, 1,000 pages,
    /// `callDeadlineMs`) before the end of the list: what it returns is complete so far; sync
    /// again with `cursor` to read on.
    pub has_more: bool,
    /// What the app must do before transactions can be read (relink with the transactions
    /// permission, or nothing: it is disconnected); none when nothing is needed.
    pub action: Option<AccountAction>,
}

impl From<core_ad::TransactionSync> for TransactionSync {
    fn from(s: core_ad::TransactionSync) -> Self {
        TransactionSync {
            transactions: s.transactions.into_iter().map(Transaction::from).collect(),
            cursor: s.cursor,
            pages: i32::try_from(s.pages).unwrap_or(i32::MAX),
            has_more: s.has_more,
            action: s.action.as_ref().map(AccountAction::from),
        }
    }
}
