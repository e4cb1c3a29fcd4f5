//! Account data, as pure rules: what a refresh may ask for and what its answer means, what the
//! app must do about an account (relink it, or forget it), money as integer minor units, the
//! merge of an incremental transaction sync, and duplicate accounts. No I/O: the networked calls
//! are in `account_data` (feature `backend`).
//!
//! Stripe's refreshes are asynchronous: `POST …/refresh` starts them (`status: pending`), the
//! account then shows `succeeded` or `failed`, and `next_refresh_available_at` rate-limits the
//! next one. An **inactive** account fails its refreshes and needs a relink; a feature whose
//! **permission** the user never granted needs a relink that asks for it; a **disconnected**
//! account is gone.
//!
//! **Money**: amounts are `i64` minor units with their currency (`{"usd": 1234}` is $12.34),
//! never floats. `balance.current` follows Stripe's sign convention: positive is owed *to* the
//! account holder, negative is owed *by* them — a credit card with a $50 debt shows `-5000`.

use std::collections::BTreeMap;

use crate::model::{
    Account, AccountStatus, Balance, BalanceType, Permission, Refresh, RefreshStatus, Transaction,
    TransactionRefresh,
};

/// A data feature a refresh can ask for (`features[]` of Stripe's refresh call).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefreshFeature {
    Balance,
    Ownership,
    Transactions,
}

impl RefreshFeature {
    pub const ALL: [RefreshFeature; 3] = [
        RefreshFeature::Balance,
        RefreshFeature::Ownership,
        RefreshFeature::Transactions,
    ];

    /// `balance`, `ownership`, `transactions` (Stripe's names).
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshFeature::Balance => "balance",
            RefreshFeature::Ownership => "ownership",
            RefreshFeature::Transactions => "transactions",
        }
    }

    /// The permission a refresh of this feature needs.
    pub fn permission(self) -> Permission {
        match self {
            RefreshFeature::Balance => Permission::Balances,
            RefreshFeature::Ownership => Permission::Ownership,
            RefreshFeature::Transactions => Permission::Transactions,
        }
    }

    /// The account's refresh record of this feature.
    pub fn state(self, account: &Account) -> Option<RefreshState> {
        match self {
            RefreshFeature::Balance => account.balance_refresh.as_ref().map(RefreshState::from),
            RefreshFeature::Ownership => account.ownership_refresh.as_ref().map(RefreshState::from),
            RefreshFeature::Transactions => {
                account.transaction_refresh.as_ref().map(RefreshState::from)
            }
        }
    }
}

/// A refresh record, whichever feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshState {
    pub status: RefreshStatus,
    pub last_attempted_at: i64,
    pub next_refresh_available_at: Option<i64>,
}

impl From<&Refresh> for RefreshState {
    fn from(r: &Refresh) -> Self {
        RefreshState {
            status: r.status.clone(),
            last_attempted_at: r.last_attempted_at,
            next_refresh_available_at: r.next_refresh_available_at,
        }
    }
}

impl From<&TransactionRefresh> for RefreshState {
    fn from(r: &TransactionRefresh) -> Self {
        RefreshState {
            status: r.status.clone(),
            last_attempted_at: r.last_attempted_at,
            next_refresh_available_at: r.next_refresh_available_at,
        }
    }
}

/// What the app must do about an account before its data can be read or refreshed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountAction {
    /// Start a relink flow (`SessionOptions.relink` with this authorization), asking for
    /// `missing_permissions` when there are some.
    RelinkRequired {
        authorization: Option<String>,
        reason: RelinkReason,
    },
    /// The account was disconnected: it is gone; link it again as a new account if needed.
    Disconnected,
}

/// Why a relink is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelinkReason {
    /// The account is inactive (`status_details.inactive`): its link stopped working.
    Inactive,
    /// The user never granted these permissions for the data asked for.
    MissingPermissions(Vec<Permission>),
}

/// The action an account needs for `features` (in order of importance: gone, inactive, missing
/// permissions), or `None` when the data can be read.
pub fn account_action(account: &Account, features: &[RefreshFeature]) -> Option<AccountAction> {
    if account.status == AccountStatus::Disconnected {
        return Some(AccountAction::Disconnected);
    }
    let relink = |reason| AccountAction::RelinkRequired {
        authorization: account.authorization.clone(),
        reason,
    };
    if account.status == AccountStatus::Inactive {
        return Some(relink(RelinkReason::Inactive));
    }
    let missing = missing_permissions(account, features);
    (!missing.is_empty()).then(|| relink(RelinkReason::MissingPermissions(missing)))
}

/// The permissions `features` need that the account lacks. An account whose `permissions` are
/// not known (absent) is assumed to have them: the server will say.
pub fn missing_permissions(account: &Account, features: &[RefreshFeature]) -> Vec<Permission> {
    let Some(granted) = &account.permissions else {
        return Vec::new();
    };
    let mut missing: Vec<Permission> = features
        .iter()
        .map(|f| f.permission())
        .filter(|p| !granted.contains(p))
        .collect();
    missing.dedup();
    missing
}

/// How one feature's refresh ended, as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureOutcome {
    Succeeded,
    Failed,
    /// Still pending when the deadline passed: ask again later.
    StillPending,
    /// Asked for before `next_refresh_available_at`: nothing was sent; retry at this Unix time.
    TooSoon {
        retry_at: i64,
    },
    /// The user never granted this feature's permission: see the report's action.
    NotPermitted,
    /// The account is disconnected: nothing was sent.
    Gone,
}

impl FeatureOutcome {
    /// `succeeded`, `failed`, `pending`, `too_soon`, `not_permitted`, `gone`.
    pub fn as_str(&self) -> &'static str {
        match self {
            FeatureOutcome::Succeeded => "succeeded",
            FeatureOutcome::Failed => "failed",
            FeatureOutcome::StillPending => "pending",
            FeatureOutcome::TooSoon { .. } => "too_soon",
            FeatureOutcome::NotPermitted => "not_permitted",
            FeatureOutcome::Gone => "gone",
        }
    }
}

/// One feature of a refresh report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRefresh {
    pub feature: RefreshFeature,
    pub outcome: FeatureOutcome,
    pub last_attempted_at: Option<i64>,
    pub next_refresh_available_at: Option<i64>,
}

/// What to do with each requested feature before calling: refresh it, wait for the refresh
/// already running, or answer at once (too soon, not permitted, gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPlan {
    /// Features to send in `POST …/refresh`.
    pub to_request: Vec<RefreshFeature>,
    /// Features already pending at Stripe: only wait for them.
    pub already_pending: Vec<RefreshFeature>,
    /// Features answered without any call.
    pub answered: Vec<FeatureRefresh>,
}

/// Decides, from the account as it is now and the time, what a refresh of `features` does.
pub fn plan_refresh(account: &Account, features: &[RefreshFeature], now: i64) -> RefreshPlan {
    let mut plan = RefreshPlan {
        to_request: Vec::new(),
        already_pending: Vec::new(),
        answered: Vec::new(),
    };
    let mut seen = Vec::new();
    for &f in features {
        if seen.contains(&f) {
            continue;
        }
        seen.push(f);
        let state = f.state(account);
        let answer = |outcome| FeatureRefresh {
            feature: f,
            outcome,
            last_attempted_at: state.as_ref().map(|s| s.last_attempted_at),
            next_refresh_available_at: state.as_ref().and_then(|s| s.next_refresh_available_at),
        };
        if account.status == AccountStatus::Disconnected {
            plan.answered.push(answer(FeatureOutcome::Gone));
        } else if !missing_permissions(account, &[f]).is_empty() {
            plan.answered.push(answer(FeatureOutcome::NotPermitted));
        } else if state
            .as_ref()
            .is_some_and(|s| s.status == RefreshStatus::Pending)
        {
            plan.already_pending.push(f);
        } else if let Some(at) = state
            .as_ref()
            .and_then(|s| s.next_refresh_available_at)
            .filter(|at| *at > now)
        {
            plan.answered
                .push(answer(FeatureOutcome::TooSoon { retry_at: at }));
        } else {
            plan.to_request.push(f);
        }
    }
    plan
}

/// Whether any of `features` is still pending on `account`.
pub fn any_pending(account: &Account, features: &[RefreshFeature]) -> bool {
    features.iter().any(|f| {
        f.state(account)
            .is_some_and(|s| s.status == RefreshStatus::Pending)
    })
}

/// The outcome of each polled feature once polling stopped (deadline or none pending).
pub fn settled_outcomes(account: &Account, features: &[RefreshFeature]) -> Vec<FeatureRefresh> {
    features
        .iter()
        .map(|&f| {
            let state = f.state(account);
            let outcome = match state.as_ref().map(|s| &s.status) {
                Some(RefreshStatus::Succeeded) => FeatureOutcome::Succeeded,
                Some(RefreshStatus::Pending) => FeatureOutcome::StillPending,
                // Failed, an unknown status, or no record at all after a refresh was requested.
                _ => FeatureOutcome::Failed,
            };
            FeatureRefresh {
                feature: f,
                outcome,
                last_attempted_at: state.as_ref().map(|s| s.last_attempted_at),
                next_refresh_available_at: state.as_ref().and_then(|s| s.next_refresh_available_at),
            }
        })
        .collect()
}

/// An amount of money: integer minor units and a lowercase ISO currency code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: String,
}

/// Amounts per currency as [`Money`], sorted by currency.
pub fn money(amounts: &BTreeMap<String, i64>) -> Vec<Money> {
    amounts
        .iter()
        .map(|(currency, amount)| Money {
            amount_minor: *amount,
            currency: currency.clone(),
        })
        .collect()
}

/// A balance as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceView {
    pub as_of: i64,
    /// `cash` or `credit` (or a newer value).
    pub type_: String,
    /// Positive: owed to the holder; negative: owed by the holder.
    pub current: Vec<Money>,
    /// Cash accounts: what can be moved or paid out now.
    pub available: Option<Vec<Money>>,
    /// Credit accounts: the credit used.
    pub credit_used: Option<Vec<Money>>,
}

impl From<&Balance> for BalanceView {
    fn from(b: &Balance) -> Self {
        BalanceView {
            as_of: b.as_of,
            type_: b.type_.as_str().to_owned(),
            current: money(&b.current),
            available: match b.type_ {
                BalanceType::Cash => b
                    .cash
                    .as_ref()
                    .and_then(|c| c.available.as_ref())
                    .map(money),
                _ => None,
            },
            credit_used: b.credit.as_ref().and_then(|c| c.used.as_ref()).map(money),
        }
    }
}

/// The transactions added or changed since a cursor, merged from every page read: one entry per
/// id, the latest `updated` (then the later page) wins; newest `transacted_at` first.
pub fn merge_transactions(pages: Vec<Vec<Transaction>>) -> Vec<Transaction> {
    let mut by_id: BTreeMap<String, Transaction> = BTreeMap::new();
    for t in pages.into_iter().flatten() {
        match by_id.get(&t.id) {
            Some(old) if old.updated > t.updated => {}
            _ => {
                by_id.insert(t.id.clone(), t);
            }
        }
    }
    let mut out: Vec<Transaction> = by_id.into_values().collect();
    out.sort_by(|a, b| {
        b.transacted_at
            .cmp(&a.transacted_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    out
}

/// The cursor a sync may move to: the account's latest **succeeded** transaction refresh.
pub fn sync_cursor(account: &Account) -> Option<String> {
    account
        .transaction_refresh
        .as_ref()
        .filter(|r| r.status == RefreshStatus::Succeeded)
        .map(|r| r.id.clone())
}

/// A newly linked account that duplicates one the user already has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DuplicateAccount {
    /// The new account, `fca_…`.
    pub account_id: String,
    /// The existing account it duplicates.
    pub duplicate_of: String,
}

/// New accounts that duplicate an **active** existing account: same institution name, same
/// `last4` and same subcategory (an account without `last4` is never called a duplicate). An
/// existing account that is itself one of the new ones is not a duplicate of it.
pub fn find_duplicates(new: &[Account], existing: &[Account]) -> Vec<DuplicateAccount> {
    let key = |a: &Account| {
        a.last4.as_ref().filter(|l| !l.is_empty()).map(|l| {
            (
                a.institution_name.clone(),
                l.clone(),
                a.subcategory.as_str().to_owned(),
            )
        })
    };
    let mut out = Vec::new();
    for n in new {
        let Some(k) = key(n) else { continue };
        let twin = existing.iter().find(|e| {
            e.id != n.id
                && e.status == AccountStatus::Active
                && !new.iter().any(|x| x.id == e.id)
                && key(e).as_ref() == Some(&k)
        });
        if let Some(e) = twin {
            out.push(DuplicateAccount {
                account_id: n.id.clone(),
                duplicate_of: e.id.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn account(extra: Value) -> Account {
        let mut base = json!({
            "id": "fca_1", "livemode": false, "created": 1, "institution_name": "Bank",
            "category": "cash", "subcategory": "checking", "status": "active", "last4": "1234",
            "permissions": ["balances", "ownership", "transactions"], "authorization": "fcauth_1",
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn actions_in_order_gone_inactive_permissions() {
        let all = RefreshFeature::ALL;
        assert_eq!(account_action(&account(json!({})), &all), None);
        assert_eq!(
            account_action(&account(json!({"status": "disconnected"})), &all),
            Some(AccountAction::Disconnected)
        );
        assert_eq!(
            account_action(&account(json!({"status": "inactive"})), &all),
            Some(AccountAction::RelinkRequired {
                authorization: Some("fcauth_1".into()),
                reason: RelinkReason::Inactive
            })
        );
        let no_txn = account(json!({"permissions": ["balances", "payment_method"]}));
        assert_eq!(
            account_action(&no_txn, &all),
            Some(AccountAction::RelinkRequired {
                authorization: Some("fcauth_1".into()),
                reason: RelinkReason::MissingPermissions(vec![
                    Permission::Ownership,
                    Permission::Transactions
                ])
            })
        );
        assert_eq!(account_action(&no_txn, &[RefreshFeature::Balance]), None);
        // Unknown permissions: the server decides.
        let mut unknown = account(json!({}));
        unknown.permissions = None;
        assert_eq!(account_action(&unknown, &all), None);
    }

    #[test]
    fn plans_request_wait_or_answer_without_calling() {
        let a = account(json!({
            "balance_refresh": {"status": "succeeded", "last_attempted_at": 100, "next_refresh_available_at": 200},
            "ownership_refresh": {"status": "pending", "last_attempted_at": 150},
            "transaction_refresh": {"id": "fctxnref_1", "status": "failed", "last_attempted_at": 90, "next_refresh_available_at": 120},
        }));
        let p = plan_refresh(&a, &RefreshFeature::ALL, 150);
        assert_eq!(p.to_request, [RefreshFeature::Transactions]);
        assert_eq!(p.already_pending, [RefreshFeature::Ownership]);
        assert_eq!(
            p.answered,
            [FeatureRefresh {
                feature: RefreshFeature::Balance,
                outcome: FeatureOutcome::TooSoon { retry_at: 200 },
                last_attempted_at: Some(100),
                next_refresh_available_at: Some(200)
            }]
        );
        // After the time: requested; duplicates asked once.
        let p = plan_refresh(&a, &[RefreshFeature::Balance, RefreshFeature::Balance], 200);
        assert_eq!(p.to_request, [RefreshFeature::Balance]);
        let no_txn = account(json!({"permissions": ["balances"]}));
        let p = plan_refresh(&no_txn, &[RefreshFeature::Transactions], 0);
        assert_eq!(p.answered[0].outcome, FeatureOutcome::NotPermitted);
        let gone = account(json!({"status": "disconnected"}));
        assert_eq!(
            plan_refresh(&gone, &[RefreshFeature::Balance], 0).answered[0].outcome,
            FeatureOutcome::Gone
        );
    }

    #[test]
    fn settled_outcomes_read_the_records() {
        let a = account(json!({
            "balance_refresh": {"status": "succeeded", "last_attempted_at": 1, "next_refresh_available_at": 61},
            "ownership_refresh": {"status": "pending", "last_attempted_at": 1},
            "transaction_refresh": {"id": "fctxnref_1", "status": "paused_by_stripe", "last_attempted_at": 1},
        }));
        let o: Vec<_> = settled_outcomes(&a, &RefreshFeature::ALL)
            .into_iter()
            .map(|f| f.outcome)
            .collect();
        assert_eq!(
            o,
            [
                FeatureOutcome::Succeeded,
                FeatureOutcome::StillPending,
                FeatureOutcome::Failed
            ]
        );
        assert!(any_pending(&a, &RefreshFeature::ALL));
        assert!(!any_pending(&a, &[RefreshFeature::Balance]));
    }

    #[test]
    fn money_keeps_minor_units_and_the_credit_sign() {
        let credit = account(
            json!({"category": "credit", "subcategory": "credit_card", "balance": {
            "as_of": 5, "type": "credit", "current": {"usd": -5000}, "credit": {"used": {"usd": 5000}}}}),
        );
        let v = BalanceView::from(credit.balance.as_ref().unwrap());
        assert_eq!(
            v.current,
            [Money {
                amount_minor: -5000,
                currency: "usd".into()
            }]
        );
        assert_eq!(v.credit_used.unwrap()[0].amount_minor, 5000);
        assert_eq!(v.available, None);
        let cash = account(
            json!({"balance": {"as_of": 5, "type": "cash", "current": {"usd": 123, "eur": 7}, "cash": {"available": {"usd": 100}}}}),
        );
        let v = BalanceView::from(cash.balance.as_ref().unwrap());
        assert_eq!(v.type_, "cash");
        assert_eq!(v.current.len(), 2);
        assert_eq!(v.current[0].currency, "eur", "sorted by currency");
        assert_eq!(v.available.unwrap()[0].amount_minor, 100);
    }

    fn txn(id: &str, status: &str, updated: i64, at: i64) -> Transaction {
        serde_json::from_value(json!({
            "id": id, "livemode": false, "account": "fca_1", "amount": -100, "currency": "usd",
            "description": "x", "status": status, "status_transitions": {}, "transacted_at": at,
            "transaction_refresh": "fctxnref_1", "updated": updated,
        }))
        .unwrap()
    }

    #[test]
    fn merges_keep_one_entry_per_id_the_latest_update() {
        let merged = merge_transactions(vec![
            vec![
                txn("fctxn_a", "pending", 1, 10),
                txn("fctxn_b", "posted", 1, 20),
            ],
            vec![
                txn("fctxn_a", "posted", 2, 10),
                txn("fctxn_c", "void", 3, 30),
            ],
            vec![txn("fctxn_a", "pending", 1, 10)],
        ]);
        let ids: Vec<_> = merged
            .iter()
            .map(|t| (t.id.as_str(), t.status.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("fctxn_c", "void"),
                ("fctxn_b", "posted"),
                ("fctxn_a", "posted")
            ]
        );
    }

    #[test]
    fn the_cursor_is_the_latest_succeeded_refresh() {
        let ok = account(
            json!({"transaction_refresh": {"id": "fctxnref_2", "status": "succeeded", "last_attempted_at": 1}}),
        );
        assert_eq!(sync_cursor(&ok).as_deref(), Some("fctxnref_2"));
        let pending = account(
            json!({"transaction_refresh": {"id": "fctxnref_3", "status": "pending", "last_attempted_at": 1}}),
        );
        assert_eq!(sync_cursor(&pending), None);
        assert_eq!(sync_cursor(&account(json!({}))), None);
    }

    #[test]
    fn duplicates_match_institution_last4_and_subcategory_of_active_accounts() {
        let old = account(json!({"id": "fca_old"}));
        let old_inactive =
            account(json!({"id": "fca_old2", "status": "inactive", "subcategory": "savings"}));
        let dup = account(json!({"id": "fca_new"}));
        let other_last4 = account(json!({"id": "fca_new2", "last4": "9999"}));
        let same_but_savings = account(json!({"id": "fca_new3", "subcategory": "savings"}));
        let no_last4 = account(json!({"id": "fca_new4", "last4": null}));
        let found = find_duplicates(
            &[dup.clone(), other_last4, same_but_savings, no_last4],
            &[old.clone(), old_inactive, dup.clone()],
        );
        assert_eq!(
            found,
            [DuplicateAccount {
                account_id: "fca_new".into(),
                duplicate_of: "fca_old".into()
            }]
        );
        // A relink returns the same account: not a duplicate of itself.
        let same = std::slice::from_ref(&old);
        assert!(find_duplicates(same, same).is_empty());
    }
}
