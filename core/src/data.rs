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
//!
//! ## Every call is bounded as a whole ([`DataLimits`])
//!
//! A backend may lie: ignore `limit`, never end a list, send pages that cycle, answer slowly.
//! Whatever it does, one account-data call reads and holds at most:
//!
//! | rule | default | where |
//! |---|---|---|
//! | a page asks for `limit=`[`PAGE_LIMIT`] (100); a page holding more is an **invalid response** | 100 | [`check_page_len`] (in the backend client's `owners_page` / `transactions_page`) |
//! | items (transactions or owners) read per call | 10,000 ([`DEFAULT_MAX_ITEMS`]) | [`DataLimits::max_items`] |
//! | bytes held per call: every item read, decoded ([`HeldBytes`]: struct, strings, index entry) | 8 MiB ([`DEFAULT_MAX_BYTES`]) | [`DataLimits::max_bytes`] |
//! | pages read per call | 1,000 ([`DEFAULT_MAX_PAGES`]) | [`DataLimits::max_pages`] |
//! | one deadline per call, every request, retry and poll included | 60 s ([`DEFAULT_CALL_DEADLINE`]); `refresh`: its `RefreshPolicy::deadline`, 30 s | [`DataLimits::call_deadline`] |
//! | a paging loop — a page ending where any earlier page of the call ended, whatever the cycle (A, B, A…) — is an **invalid response** | | [`PageWalk::take`] |
//! | a page with `has_more` and no item is an **invalid response** | | [`PageWalk::take`] |
//! | owners are deduplicated by id in linear time (a hash set) | | [`keep_first_by_key`] |
//!
//! A page is only asked for when a *full* one (`PAGE_LIMIT` items, `max_response_bytes` of
//! strings plus [`ITEM_OVERHEAD_BOUND`] per item) still fits under the caps
//! ([`PageWalk::has_room`]), so a call never holds more than `max_items` items or `max_bytes`
//! bytes, and while it reads and decodes the next page at most that page more. Transactions are
//! merged as they arrive into one vector reserved once ([`TransactionMerge`]), never copied. When
//! the caps or the deadline stop a transaction sync before the list ends, the call **returns what
//! it read**, with `has_more` and a cursor that continues where it stopped ([`SyncCursor`]); the
//! app stores it and calls again. Owners have no cursor: a list of owners beyond the caps is an
//! invalid response, and a deadline passed is a timeout.
//!
//! ## Every backend value is checked before it reaches the app
//!
//! [`check_account`], [`check_transaction`] and [`check_owner`] run on every answer (sessions,
//! account lists and account-data calls alike); a value of the wrong shape makes the answer an
//! **invalid response naming the field** ([`BadField`]; the value itself is never repeated: it
//! may be a path, a secret, CR/LF or 200 KB). Ids have Stripe's shape ([`crate::ids`]):
//! `id`, `authorization`, `ownership` (and an expanded ownership's owners),
//! `transaction_refresh.id` (the next sync's cursor), a transaction's `id`, `account`,
//! `transaction_refresh`, an owner's `id` and `ownership`. Currency codes — the keys of
//! `balance.current`, `balance.cash.available`, `balance.credit.used` and a transaction's
//! `currency` — are lowercase ISO 4217 codes: exactly three letters `a`–`z`
//! ([`is_currency_code`]; `USD`, `""` or `"undefined"` are refused). The decoder itself stays
//! tolerant (`model`); these checks are the boundary of what the app is handed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use crate::ids::{self, IdKind};
use crate::model::{
    Account, AccountOwner, AccountStatus, Balance, BalanceType, Expandable, Permission, Refresh,
    RefreshStatus, Transaction, TransactionRefresh,
};

/// The `limit` every list page asks for: Stripe's maximum. A page holding more items than the
/// limit asked for is an invalid response (the backend ignored it).
pub const PAGE_LIMIT: u32 = 100;
/// Default of [`DataLimits::max_items`].
pub const DEFAULT_MAX_ITEMS: u32 = 10_000;
/// Default of [`DataLimits::max_bytes`]: 8 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Default of [`DataLimits::max_pages`].
pub const DEFAULT_MAX_PAGES: u32 = 1_000;
/// Default of [`DataLimits::call_deadline`].
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(60);

/// What one account-data call may read and how long it may take, whatever the backend sends
/// (see the module doc). Checked against the response cap when the client is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataLimits {
    /// Items (transactions or owners) one call reads at most. Default 10,000.
    pub max_items: u32,
    /// Bytes one call holds at most for what it read: each item decoded (its struct, strings
    /// and index entry, [`HeldBytes`]; the answer's size when larger). Default 8 MiB; at least
    /// `max_response_bytes` + 100 KiB, so that one full page always fits.
    pub max_bytes: u64,
    /// Pages one call reads at most. Default 1,000.
    pub max_pages: u32,
    /// The deadline of one call as a whole — every request, retry and backoff included — for
    /// `account`, `owners`, `sync_transactions`, `subscribe` and `unsubscribe`. (`refresh` is
    /// bounded the same way by its own `RefreshPolicy::deadline`.) Default 60 s.
    pub call_deadline: Duration,
}

impl Default for DataLimits {
    fn default() -> Self {
        DataLimits {
            max_items: DEFAULT_MAX_ITEMS,
            max_bytes: DEFAULT_MAX_BYTES,
            max_pages: DEFAULT_MAX_PAGES,
            call_deadline: DEFAULT_CALL_DEADLINE,
        }
    }
}

impl DataLimits {
    /// Limits under which a call can always read at least one full page: `max_items` at least
    /// [`PAGE_LIMIT`], `max_bytes` at least what one page may hold (`max_response_bytes` +
    /// 100 KiB), one page, a positive deadline.
    pub fn check(&self, max_response_bytes: u64) -> Result<(), String> {
        if self.max_items < PAGE_LIMIT {
            return Err(format!(
                "data limits: max_items must be at least {PAGE_LIMIT}"
            ));
        }
        if self.max_bytes < page_bound(max_response_bytes) {
            return Err(format!(
                "data limits: max_bytes must be at least max_response_bytes + 100 KiB ({})",
                page_bound(max_response_bytes)
            ));
        }
        if self.max_pages == 0 {
            return Err("data limits: max_pages must be at least 1".into());
        }
        if self.call_deadline.is_zero() {
            return Err("data limits: call_deadline must be positive".into());
        }
        Ok(())
    }
}

/// Why a page of a list is an invalid response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagingError {
    /// The backend ignored `limit`.
    #[error("a page of {got} items, more than the limit of {limit} asked for")]
    OverLimit { got: usize, limit: u32 },
    /// `has_more` without an item to continue after.
    #[error("an empty page says it has more")]
    EmptyWithMore,
    /// The page ends where an earlier page of the same call ended: a cycle of any length.
    #[error("paging loop: the page ends where an earlier page ended (`starting_after` ignored, or pages that cycle)")]
    Loop,
}

/// The most one page may hold once decoded: its answer's strings (at most the answer's size) and
/// [`ITEM_OVERHEAD_BOUND`] per item.
fn page_bound(max_response_bytes: u64) -> u64 {
    max_response_bytes.saturating_add(u64::from(PAGE_LIMIT) * ITEM_OVERHEAD_BOUND)
}

/// The most items of type `T` one call can hold under `limits` (to reserve room once).
pub fn item_capacity<T>(limits: &DataLimits) -> usize {
    let by_bytes = limits.max_bytes / (std::mem::size_of::<T>().max(1) as u64);
    u64::from(limits.max_items).min(by_bytes) as usize
}

/// A page may not hold more items than the `limit` it was asked for.
pub fn check_page_len(len: usize, limit: u32) -> Result<(), PagingError> {
    if len > limit as usize {
        return Err(PagingError::OverLimit { got: len, limit });
    }
    Ok(())
}

/// One paged read through a list, bounded by [`DataLimits`]: what was read so far, and every
/// cursor already used (a loop of any length is caught the first time a cursor comes back).
#[derive(Debug, Clone, Default)]
pub struct PageWalk {
    /// Items read.
    pub items: u64,
    /// Bytes held: each item's [`HeldBytes`] (or the answer's size, when larger).
    pub bytes: u64,
    /// Pages read.
    pub pages: u32,
    /// The `starting_after` of the next page.
    pub after: Option<String>,
    seen: HashSet<String>,
}

/// What to do after a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStep {
    /// The list ended.
    Done,
    /// Ask for the next page (after [`PageWalk::after`]), if [`PageWalk::has_room`].
    More,
}

impl PageWalk {
    /// A walk starting after `after` (a continued sync), or at the top.
    pub fn new(after: Option<String>) -> Self {
        let mut seen = HashSet::new();
        if let Some(a) = &after {
            seen.insert(a.clone());
        }
        PageWalk {
            after,
            seen,
            ..PageWalk::default()
        }
    }

    /// Whether one more full page still fits under `limits` — `PAGE_LIMIT` items, holding at most
    /// the answer's size (`max_response_bytes`) plus [`ITEM_OVERHEAD_BOUND`] each: a call never
    /// holds more than its caps, not even for one page.
    pub fn has_room(&self, limits: &DataLimits, max_response_bytes: u64) -> bool {
        self.pages < limits.max_pages
            && self.items + u64::from(PAGE_LIMIT) <= u64::from(limits.max_items)
            && self.bytes.saturating_add(page_bound(max_response_bytes)) <= limits.max_bytes
    }

    /// Counts one page of `len` items (holding `bytes`, ending with the item `last`) and
    /// decides what follows. An empty page with `has_more`, or a page ending on a cursor already
    /// used, is an error.
    pub fn take(
        &mut self,
        len: usize,
        bytes: u64,
        has_more: bool,
        last: Option<&str>,
    ) -> Result<PageStep, PagingError> {
        self.items += len as u64;
        self.bytes = self.bytes.saturating_add(bytes);
        self.pages += 1;
        if !has_more {
            return Ok(PageStep::Done);
        }
        let Some(last) = last else {
            return Err(PagingError::EmptyWithMore);
        };
        if !self.seen.insert(last.to_owned()) {
            return Err(PagingError::Loop);
        }
        self.after = Some(last.to_owned());
        Ok(PageStep::More)
    }
}

/// Appends the items of `page` whose key was not seen yet, in order: the first of each key wins.
/// One hash-set lookup per item, so `n` items cost O(n), however many pages they come in.
pub fn keep_first_by_key<T, K: Hash + Eq>(
    out: &mut Vec<T>,
    seen: &mut HashSet<K>,
    page: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) {
    for item in page {
        if seen.insert(key(&item)) {
            out.push(item);
        }
    }
}

/// Where a transaction sync starts, and the cursor it hands out. The app sees it as one opaque
/// string ([`encode`](Self::encode)):
///
/// - `fctxnref_…` — a transaction refresh id: read what later refreshes added or changed;
/// - `<target>.<from>.<after>` — a sync stopped at a limit (`has_more`): go on listing what
///   changed after refresh `from` (empty: everything), after transaction `after`, and hand out
///   `target` (empty: `from`) once the list ends. Each part has its id shape.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncCursor {
    /// `after_refresh`: only what refreshes after this one changed; `None` reads everything.
    pub from: Option<String>,
    /// `starting_after` of a continued listing.
    pub after: Option<String>,
    /// The cursor to hand out when the listing ends, taken before it began.
    pub target: Option<String>,
}

impl SyncCursor {
    /// Parses the app's cursor; any other shape is refused (naming the cursor, not repeating it).
    pub fn parse(value: &str) -> Result<SyncCursor, BadField> {
        let bad = |e: ids::IdError| BadField {
            field: "cursor",
            reason: e.to_string(),
        };
        if !value.contains('.') {
            ids::check(IdKind::TransactionRefresh, value).map_err(bad)?;
            return Ok(SyncCursor {
                from: Some(value.to_owned()),
                ..SyncCursor::default()
            });
        }
        let parts: Vec<&str> = value.splitn(4, '.').collect();
        let [target, from, after] = parts.as_slice() else {
            return Err(BadField {
                field: "cursor",
                reason: "not a transaction refresh id nor a continuation".into(),
            });
        };
        let refresh = |p: &str| -> Result<Option<String>, BadField> {
            if p.is_empty() {
                return Ok(None);
            }
            ids::check(IdKind::TransactionRefresh, p).map_err(bad)?;
            Ok(Some(p.to_owned()))
        };
        ids::check(IdKind::Transaction, after).map_err(bad)?;
        Ok(SyncCursor {
            target: refresh(target)?,
            from: refresh(from)?,
            after: Some((*after).to_owned()),
        })
    }

    /// Whether this continues a listing that stopped at a limit.
    pub fn is_continuation(&self) -> bool {
        self.after.is_some()
    }

    /// The string the app keeps: the continuation while `after` is set, else the refresh id the
    /// next sync starts from (`None` before any succeeded transaction refresh).
    pub fn encode(&self) -> Option<String> {
        match &self.after {
            Some(after) => Some(format!(
                "{}.{}.{after}",
                self.target.as_deref().unwrap_or(""),
                self.from.as_deref().unwrap_or("")
            )),
            None => self.target.clone().or_else(|| self.from.clone()),
        }
    }
}

/// A backend value that may not reach the app: which field, and why. The value itself is never
/// repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct BadField {
    pub field: &'static str,
    pub reason: String,
}

/// A lowercase ISO 4217 code: exactly three letters `a`–`z` (`usd`, `eur`).
pub fn is_currency_code(value: &str) -> bool {
    value.len() == 3 && value.bytes().all(|b| b.is_ascii_lowercase())
}

fn id_field(field: &'static str, kind: IdKind, value: &str) -> Result<(), BadField> {
    ids::check(kind, value).map_err(|e| BadField {
        field,
        reason: e.to_string(),
    })
}

fn currency_keys(
    field: &'static str,
    amounts: Option<&BTreeMap<String, i64>>,
) -> Result<(), BadField> {
    match amounts {
        Some(a) if !a.keys().all(|k| is_currency_code(k)) => Err(BadField {
            field,
            reason: "a currency is not a lowercase ISO 4217 code (three letters a-z)".into(),
        }),
        _ => Ok(()),
    }
}

/// Checks every id and currency of an account the app will be handed (see the module doc).
pub fn check_account(a: &Account) -> Result<(), BadField> {
    id_field("id", IdKind::Account, &a.id)?;
    if let Some(auth) = &a.authorization {
        id_field("authorization", IdKind::Authorization, auth)?;
    }
    match &a.ownership {
        None => {}
        Some(Expandable::Id(id)) => id_field("ownership", IdKind::Ownership, id)?,
        Some(Expandable::Object(o)) => {
            id_field("ownership.id", IdKind::Ownership, &o.id)?;
            for owner in &o.owners.data {
                check_owner(owner).map_err(|e| BadField {
                    field: "ownership.owners",
                    reason: e.to_string(),
                })?;
            }
        }
    }
    if let Some(r) = &a.transaction_refresh {
        id_field("transaction_refresh.id", IdKind::TransactionRefresh, &r.id)?;
    }
    if let Some(b) = &a.balance {
        currency_keys("balance.current", Some(&b.current))?;
        currency_keys(
            "balance.cash.available",
            b.cash.as_ref().and_then(|c| c.available.as_ref()),
        )?;
        currency_keys(
            "balance.credit.used",
            b.credit.as_ref().and_then(|c| c.used.as_ref()),
        )?;
    }
    Ok(())
}

/// Checks a transaction of `account_id`'s list: its ids, that it belongs to that account, its
/// currency.
pub fn check_transaction(t: &Transaction, account_id: &str) -> Result<(), BadField> {
    id_field("id", IdKind::Transaction, &t.id)?;
    if t.account != account_id {
        return Err(BadField {
            field: "account",
            reason: "the transaction belongs to another account".into(),
        });
    }
    id_field(
        "transaction_refresh",
        IdKind::TransactionRefresh,
        &t.transaction_refresh,
    )?;
    if !is_currency_code(&t.currency) {
        return Err(BadField {
            field: "currency",
            reason: "not a lowercase ISO 4217 code (three letters a-z)".into(),
        });
    }
    Ok(())
}

/// Checks an owner's ids.
pub fn check_owner(o: &AccountOwner) -> Result<(), BadField> {
    id_field("id", IdKind::Owner, &o.id)?;
    id_field("ownership", IdKind::Ownership, &o.ownership)
}

/// A kind of account data: what a session prefetches (`SessionOptions.prefetch`), what a refresh
/// asks Stripe for (`refresh`), what an account is subscribed to (`subscribe`, `transactions`
/// only). One enum for the one idea; Stripe's spellings differ per call (`balances` in a session's
/// `prefetch`, `balance` in an account's `refresh`) and are mapped here, never by the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum DataFeature {
    /// The account's balance (prefetch `balances`, refresh `balance`).
    Balances,
    /// The account's owners (`ownership`).
    Ownership,
    /// The account's transactions (`transactions`).
    Transactions,
    /// Balances Stripe infers from transactions (`inferred_balances`; Stripe private preview): a
    /// refresh of it on an account outside the preview is `Rejected` (400), with Stripe's reason.
    InferredBalances,
}

impl DataFeature {
    /// Balances, ownership and transactions: the generally available features (not the
    /// private preview's `InferredBalances`).
    pub const GENERALLY_AVAILABLE: [DataFeature; 3] = [
        DataFeature::Balances,
        DataFeature::Ownership,
        DataFeature::Transactions,
    ];

    /// Stripe's name in a session's `prefetch[]`: `balances`, `ownership`, `transactions`,
    /// `inferred_balances`.
    pub fn prefetch_name(self) -> &'static str {
        match self {
            DataFeature::Balances => "balances",
            DataFeature::Ownership => "ownership",
            DataFeature::Transactions => "transactions",
            DataFeature::InferredBalances => "inferred_balances",
        }
    }

    /// Stripe's name in an account's `refresh` (and `subscribe`) `features[]`: `balance`
    /// (singular), `ownership`, `transactions`, `inferred_balances`.
    pub fn refresh_name(self) -> &'static str {
        match self {
            DataFeature::Balances => "balance",
            DataFeature::Ownership => "ownership",
            DataFeature::Transactions => "transactions",
            DataFeature::InferredBalances => "inferred_balances",
        }
    }

    /// The permission reading or refreshing this feature needs.
    pub fn permission(self) -> Permission {
        match self {
            DataFeature::Balances | DataFeature::InferredBalances => Permission::Balances,
            DataFeature::Ownership => Permission::Ownership,
            DataFeature::Transactions => Permission::Transactions,
        }
    }

    /// The account's refresh record of this feature.
    pub fn state(self, account: &Account) -> Option<RefreshState> {
        match self {
            DataFeature::Balances => account.balance_refresh.as_ref().map(RefreshState::from),
            DataFeature::Ownership => account.ownership_refresh.as_ref().map(RefreshState::from),
            DataFeature::Transactions => {
                account.transaction_refresh.as_ref().map(RefreshState::from)
            }
            DataFeature::InferredBalances => account
                .inferred_balances_refresh
                .as_ref()
                .map(RefreshState::from),
        }
    }
}

impl From<DataFeature> for crate::model::PrefetchFeature {
    /// The session's wire value (`balances`, …).
    fn from(f: DataFeature) -> Self {
        crate::model::PrefetchFeature::from(f.prefetch_name())
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
pub fn account_action(account: &Account, features: &[DataFeature]) -> Option<AccountAction> {
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
pub fn missing_permissions(account: &Account, features: &[DataFeature]) -> Vec<Permission> {
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[cfg_attr(feature = "uniffi", uniffi::export(Debug))]
pub enum FeatureOutcome {
    /// Stripe refreshed the data: read it again now.
    Succeeded,
    /// Stripe's refresh failed (the bank did not answer): the data stays as it was; try again
    /// later.
    Failed,
    /// Still pending when the deadline passed: ask again later.
    StillPending,
    /// Asked for before `next_refresh_available_at`: nothing was sent; retry at
    /// `retry_at_unix_seconds`.
    TooSoon {
        /// When to ask again: Unix time in seconds, UTC, as Stripe sends it.
        retry_at_unix_seconds: i64,
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct FeatureRefresh {
    /// The feature this line is about.
    pub feature: DataFeature,
    /// How its refresh ended.
    pub outcome: FeatureOutcome,
    /// When Stripe last tried this refresh: Unix time in seconds, UTC, as Stripe sends it.
    /// `None` when the account has no record of it.
    pub last_attempted_at_unix_seconds: Option<i64>,
    /// When the next refresh may be asked for: Unix time in seconds, UTC, as Stripe sends it. `None` while pending.
    pub next_refresh_available_at_unix_seconds: Option<i64>,
}

/// What to do with each requested feature before calling: refresh it, wait for the refresh
/// already running, or answer at once (too soon, not permitted, gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPlan {
    /// Features to send in `POST …/refresh`.
    pub to_request: Vec<DataFeature>,
    /// Features already pending at Stripe: only wait for them.
    pub already_pending: Vec<DataFeature>,
    /// Features answered without any call.
    pub answered: Vec<FeatureRefresh>,
}

/// Decides, from the account as it is now and the time, what a refresh of `features` does.
pub fn plan_refresh(account: &Account, features: &[DataFeature], now: i64) -> RefreshPlan {
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
            last_attempted_at_unix_seconds: state.as_ref().map(|s| s.last_attempted_at),
            next_refresh_available_at_unix_seconds: state
                .as_ref()
                .and_then(|s| s.next_refresh_available_at),
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
            plan.answered.push(answer(FeatureOutcome::TooSoon {
                retry_at_unix_seconds: at,
            }));
        } else {
            plan.to_request.push(f);
        }
    }
    plan
}

/// Whether any of `features` is still pending on `account`.
pub fn any_pending(account: &Account, features: &[DataFeature]) -> bool {
    features.iter().any(|f| {
        f.state(account)
            .is_some_and(|s| s.status == RefreshStatus::Pending)
    })
}

/// The outcome of each polled feature once polling stopped (deadline or none pending).
pub fn settled_outcomes(account: &Account, features: &[DataFeature]) -> Vec<FeatureRefresh> {
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
                last_attempted_at_unix_seconds: state.as_ref().map(|s| s.last_attempted_at),
                next_refresh_available_at_unix_seconds: state
                    .as_ref()
                    .and_then(|s| s.next_refresh_available_at),
            }
        })
        .collect()
}

/// An amount of money: integer minor units and a lowercase ISO currency code.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Money {
    /// The amount in the currency's minor units (cents for `usd`; yen for `jpy`).
    pub amount_minor: i64,
    /// Lowercase ISO 4217 code, e.g. `usd`.
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

/// An account's balance at one time, as the app shows it. Swift and Kotlin call it `Balance`
/// (Stripe's own object is [`crate::model::Balance`], which the app never sees).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record), uniffi(name = "Balance"))]
pub struct BalanceView {
    /// When the balance was read: Unix time in seconds, UTC, as Stripe sends it.
    pub as_of_unix_seconds: i64,
    /// `cash` or `credit` (or a newer value).
    pub balance_type: String,
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
            as_of_unix_seconds: b.as_of,
            balance_type: b.type_.as_str().to_owned(),
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
    let mut merge = TransactionMerge::with_capacity(pages.iter().map(Vec::len).sum());
    for page in pages {
        merge.add_page(page);
    }
    merge.finish()
}

/// [`merge_transactions`] as the pages arrive, holding each transaction once: one vector and an
/// index of ids, no page kept, no copy. The vector is reserved once for the most the call may
/// read, so it never grows by reallocation (two copies at once); memory is backed only as it is
/// written.
#[derive(Debug, Default)]
pub struct TransactionMerge {
    out: Vec<Transaction>,
    at: HashMap<String, usize>,
}

impl TransactionMerge {
    /// Room for `capacity` transactions (the call's bound on what it reads).
    pub fn with_capacity(capacity: usize) -> Self {
        TransactionMerge {
            out: Vec::with_capacity(capacity),
            at: HashMap::new(),
        }
    }

    /// Adds a page (read after every earlier one).
    pub fn add_page(&mut self, page: Vec<Transaction>) {
        for t in page {
            match self.at.get(&t.id) {
                Some(&i) => {
                    if self.out[i].updated <= t.updated {
                        self.out[i] = t;
                    }
                }
                None => {
                    self.at.insert(t.id.clone(), self.out.len());
                    self.out.push(t);
                }
            }
        }
    }

    /// Transactions held so far.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// The merged transactions, newest `transacted_at` first (then by id), sorted in place.
    pub fn finish(self) -> Vec<Transaction> {
        let TransactionMerge { mut out, at } = self;
        drop(at);
        out.sort_unstable_by(|a, b| {
            b.transacted_at
                .cmp(&a.transacted_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        out
    }
}

/// The memory a decoded item holds: its struct, the heap of its strings and vectors, and the
/// entry a call's index keeps for it (a copy of its id in a hash table). What
/// [`DataLimits::max_bytes`] counts.
pub trait HeldBytes {
    fn held_bytes(&self) -> u64;
}

/// A bound on what a decoded item holds besides the strings of its answer (its struct and its
/// index entry): with the answer's size, a bound on what one more page may hold.
pub const ITEM_OVERHEAD_BOUND: u64 = 1024;

/// A hash-table entry of the index (the id's `String`, a position, control bytes and slack).
const INDEX_ENTRY: u64 = 48;

fn text(s: &str) -> u64 {
    s.len() as u64
}

fn opt_text(s: &Option<String>) -> u64 {
    s.as_deref().map_or(0, text)
}

impl HeldBytes for Transaction {
    fn held_bytes(&self) -> u64 {
        let label = |l: &Option<crate::model::ClassificationLabel>| {
            l.as_ref().map_or(0, |l| {
                opt_text(&l.detailed_label)
                    + opt_text(&l.primary_label)
                    + l.confidence_level.as_ref().map_or(0, |c| text(c.as_str()))
            })
        };
        let classifications = self.classifications.as_ref().map_or(0, |cs| {
            cs.iter()
                .map(|c| {
                    std::mem::size_of_val(c) as u64
                        + text(&c.type_)
                        + label(&c.financial_activity)
                        + label(&c.money_movement)
                        + label(&c.personal_finance)
                })
                .sum()
        });
        let enrichments = self
            .enrichments
            .as_ref()
            .and_then(|e| e.merchant.as_ref())
            .map_or(0, |m| opt_text(&m.name));
        std::mem::size_of::<Transaction>() as u64
            + 2 * text(&self.id)
            + opt_text(&self.object)
            + text(&self.account)
            + text(&self.currency)
            + text(&self.description)
            + text(self.status.as_str())
            + text(&self.transaction_refresh)
            + classifications
            + enrichments
            + INDEX_ENTRY
    }
}

impl HeldBytes for AccountOwner {
    fn held_bytes(&self) -> u64 {
        std::mem::size_of::<AccountOwner>() as u64
            + 2 * text(&self.id)
            + opt_text(&self.object)
            + text(&self.name)
            + text(&self.ownership)
            + opt_text(&self.email)
            + opt_text(&self.phone)
            + opt_text(&self.raw_address)
            + INDEX_ENTRY
    }
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
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
    fn one_feature_enum_two_stripe_spellings() {
        use crate::model::PrefetchFeature;
        let names: Vec<_> = [
            DataFeature::Balances,
            DataFeature::Ownership,
            DataFeature::Transactions,
            DataFeature::InferredBalances,
        ]
        .iter()
        .map(|f| (f.prefetch_name(), f.refresh_name(), f.permission()))
        .collect();
        assert_eq!(
            names,
            [
                ("balances", "balance", Permission::Balances),
                ("ownership", "ownership", Permission::Ownership),
                ("transactions", "transactions", Permission::Transactions),
                (
                    "inferred_balances",
                    "inferred_balances",
                    Permission::Balances
                ),
            ]
        );
        assert_eq!(
            PrefetchFeature::from(DataFeature::Balances),
            PrefetchFeature::Balances
        );
        assert_eq!(
            PrefetchFeature::from(DataFeature::InferredBalances),
            PrefetchFeature::InferredBalances
        );
        // Inferred balances read their own refresh record.
        let a = account(json!({
            "inferred_balances_refresh": {"status": "pending", "last_attempted_at": 100}
        }));
        assert_eq!(
            DataFeature::InferredBalances.state(&a).map(|s| s.status),
            Some(RefreshStatus::Pending)
        );
        assert!(any_pending(&a, &[DataFeature::InferredBalances]));
    }

    #[test]
    fn actions_in_order_gone_inactive_permissions() {
        let all = DataFeature::GENERALLY_AVAILABLE;
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
        assert_eq!(account_action(&no_txn, &[DataFeature::Balances]), None);
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
        let p = plan_refresh(&a, &DataFeature::GENERALLY_AVAILABLE, 150);
        assert_eq!(p.to_request, [DataFeature::Transactions]);
        assert_eq!(p.already_pending, [DataFeature::Ownership]);
        assert_eq!(
            p.answered,
            [FeatureRefresh {
                feature: DataFeature::Balances,
                outcome: FeatureOutcome::TooSoon {
                    retry_at_unix_seconds: 200
                },
                last_attempted_at_unix_seconds: Some(100),
                next_refresh_available_at_unix_seconds: Some(200)
            }]
        );
        // After the time: requested; duplicates asked once.
        let p = plan_refresh(&a, &[DataFeature::Balances, DataFeature::Balances], 200);
        assert_eq!(p.to_request, [DataFeature::Balances]);
        let no_txn = account(json!({"permissions": ["balances"]}));
        let p = plan_refresh(&no_txn, &[DataFeature::Transactions], 0);
        assert_eq!(p.answered[0].outcome, FeatureOutcome::NotPermitted);
        let gone = account(json!({"status": "disconnected"}));
        assert_eq!(
            plan_refresh(&gone, &[DataFeature::Balances], 0).answered[0].outcome,
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
        let o: Vec<_> = settled_outcomes(&a, &DataFeature::GENERALLY_AVAILABLE)
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
        assert!(any_pending(&a, &DataFeature::GENERALLY_AVAILABLE));
        assert!(!any_pending(&a, &[DataFeature::Balances]));
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
        assert_eq!(v.balance_type, "cash");
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

    #[test]
    fn a_paging_loop_of_any_length_is_caught_the_first_time_a_cursor_comes_back() {
        // A, B, A, B…: the third page ends where the first did.
        let mut walk = PageWalk::new(None);
        assert_eq!(walk.take(2, 10, true, Some("fctxn_a")), Ok(PageStep::More));
        assert_eq!(walk.take(2, 10, true, Some("fctxn_b")), Ok(PageStep::More));
        assert_eq!(
            walk.take(2, 10, true, Some("fctxn_a")),
            Err(PagingError::Loop)
        );
        // A plain repeat, and a cycle back to where a continued walk started.
        let mut walk = PageWalk::new(None);
        walk.take(1, 1, true, Some("x")).unwrap();
        assert_eq!(walk.take(1, 1, true, Some("x")), Err(PagingError::Loop));
        let mut walk = PageWalk::new(Some("start".into()));
        walk.take(1, 1, true, Some("y")).unwrap();
        assert_eq!(walk.take(1, 1, true, Some("start")), Err(PagingError::Loop));
        // More without an item to continue after; the end is always fine.
        assert_eq!(
            PageWalk::new(None).take(0, 1, true, None),
            Err(PagingError::EmptyWithMore)
        );
        assert_eq!(
            PageWalk::new(None).take(0, 1, false, None),
            Ok(PageStep::Done)
        );
        assert_eq!(
            check_page_len(1000, PAGE_LIMIT),
            Err(PagingError::OverLimit {
                got: 1000,
                limit: 100
            })
        );
        assert_eq!(check_page_len(100, PAGE_LIMIT), Ok(()));
    }

    #[test]
    fn a_walk_asks_for_a_page_only_while_a_full_one_still_fits() {
        let limits = DataLimits::default();
        let cap = 1024 * 1024;
        assert_eq!(limits.check(cap), Ok(()));
        let mut walk = PageWalk::new(None);
        let mut pages = 0;
        while walk.has_room(&limits, cap) {
            walk.take(100, 1000, true, Some(&format!("fctxn_{pages}")))
                .unwrap();
            pages += 1;
        }
        assert_eq!((walk.items, pages), (10_000, 100), "the item cap, exactly");
        // Bytes: pages of 0.97 MB stop before an eighth could pass 8 MiB.
        let mut walk = PageWalk::new(None);
        while walk.has_room(&limits, cap) {
            walk.take(100, 970_000, true, Some(&format!("fctxn_{}", walk.pages)))
                .unwrap();
        }
        assert!(walk.bytes <= limits.max_bytes, "{}", walk.bytes);
        assert_eq!(walk.pages, 8);
        // Pages.
        let few = DataLimits {
            max_pages: 3,
            ..DataLimits::default()
        };
        let mut walk = PageWalk::new(None);
        while walk.has_room(&few, cap) {
            walk.take(1, 1, true, Some(&format!("fctxn_{}", walk.pages)))
                .unwrap();
        }
        assert_eq!(walk.pages, 3);
        // Limits under which not even one page fits are refused.
        for bad in [
            DataLimits {
                max_items: 99,
                ..DataLimits::default()
            },
            DataLimits {
                max_bytes: cap - 1,
                ..DataLimits::default()
            },
            DataLimits {
                max_pages: 0,
                ..DataLimits::default()
            },
            DataLimits {
                call_deadline: Duration::ZERO,
                ..DataLimits::default()
            },
        ] {
            assert!(bad.check(cap).is_err(), "{bad:?}");
        }
    }

    thread_local! {
        /// Hashes and comparisons of [`Counted`] keys on this thread.
        static OPERATIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// A key that counts every hash and every comparison made with it.
    struct Counted(u64);

    fn count() {
        OPERATIONS.with(|o| o.set(o.get() + 1));
    }

    impl PartialEq for Counted {
        fn eq(&self, other: &Self) -> bool {
            count();
            self.0 == other.0
        }
    }
    impl Eq for Counted {}
    impl std::hash::Hash for Counted {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            count();
            self.0.hash(state);
        }
    }

    /// Operations (hashes + comparisons) to keep the first of `n` distinct items in pages of
    /// 1,000, then the same `n` again (all duplicates).
    fn dedup_operations(n: u64) -> u64 {
        OPERATIONS.with(|o| o.set(0));
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for _round in 0..2 {
            for start in (0..n).step_by(1000) {
                let page: Vec<u64> = (start..(start + 1000).min(n)).collect();
                keep_first_by_key(&mut out, &mut seen, page, |x| Counted(*x));
            }
        }
        assert_eq!(out.len() as u64, n);
        OPERATIONS.with(|o| o.get())
    }

    #[test]
    fn owners_are_deduplicated_in_linear_time() {
        // The old rule compared each new owner with every owner kept: ~n²/2 = 5·10⁹ at 100,000.
        let small = dedup_operations(10_000);
        let large = dedup_operations(100_000);
        assert!(
            large <= 6 * 200_000,
            "{large} operations for 100,000 owners twice"
        );
        // Ten times the owners, about ten times the work (a quadratic rule: a hundred times).
        assert!(large <= 12 * small, "{small} -> {large}");
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        keep_first_by_key(&mut out, &mut seen, ["b1", "a", "b2"], |s| s.as_bytes()[0]);
        assert_eq!(out, ["b1", "a"], "the first of each id wins, in order");
    }

    #[test]
    fn cursors_are_refresh_ids_or_continuations_of_their_shape() {
        let plain = SyncCursor::parse("fctxnref_1").unwrap();
        assert_eq!(plain.from.as_deref(), Some("fctxnref_1"));
        assert!(!plain.is_continuation());
        let cont = SyncCursor {
            from: Some("fctxnref_1".into()),
            after: Some("fctxn_9".into()),
            target: Some("fctxnref_2".into()),
        };
        let text = cont.encode().unwrap();
        assert_eq!(text, "fctxnref_2.fctxnref_1.fctxn_9");
        assert_eq!(SyncCursor::parse(&text).unwrap(), cont);
        let all = SyncCursor {
            after: Some("fctxn_9".into()),
            ..SyncCursor::default()
        };
        assert_eq!(SyncCursor::parse(&all.encode().unwrap()).unwrap(), all);
        // Finished: the target, else where it started.
        let done = SyncCursor {
            after: None,
            ..cont.clone()
        };
        assert_eq!(done.encode().as_deref(), Some("fctxnref_2"));
        assert_eq!(SyncCursor::default().encode(), None);
        let long = format!("fctxnref_{}", "a".repeat(200_000));
        for bad in [
            "",
            "../../admin?x=1",
            "fctxnref_1\r\nX: y",
            "fcsess_1_secret_abc",
            long.as_str(),
            "fctxnref_1.fctxnref_2",
            "a.b.c",
            "fctxnref_1.fctxnref_2.fctxn_1.x",
            "..",
            "fctxnref_1.fctxnref_2.",
            "fctxnref_1.x/y.fctxn_1",
        ] {
            let e = SyncCursor::parse(bad).unwrap_err();
            assert_eq!(e.field, "cursor");
            assert!(bad.is_empty() || !e.to_string().contains(bad), "{e}");
        }
    }

    #[test]
    fn only_lowercase_iso_currencies_and_stripe_ids_reach_the_app() {
        for ok in ["usd", "eur", "jpy"] {
            assert!(is_currency_code(ok));
        }
        let long = "x".repeat(10_000);
        for bad in [
            "",
            "USD",
            "Usd",
            "us",
            "usdd",
            "../../x\r\n<script>",
            "undefined",
            "u$d",
            long.as_str(),
        ] {
            assert!(!is_currency_code(bad), "{bad:?}");
        }
        let good = account(json!({
            "ownership": "fcaowns_1",
            "transaction_refresh": {"id": "fctxnref_1", "status": "succeeded", "last_attempted_at": 1},
            "balance": {"as_of": 1, "type": "cash", "current": {"usd": 1, "eur": 2}, "cash": {"available": {"usd": 1}}},
        }));
        assert_eq!(check_account(&good), Ok(()));
        let field = |extra: Value| check_account(&account(extra)).unwrap_err().field;
        for (extra, name) in [
            (
                json!({"transaction_refresh": {"id": "../../admin?x=1", "status": "succeeded", "last_attempted_at": 1}}),
                "transaction_refresh.id",
            ),
            (
                json!({"transaction_refresh": {"id": "fcsess_1_secret_abc", "status": "succeeded", "last_attempted_at": 1}}),
                "transaction_refresh.id",
            ),
            (
                json!({"balance": {"as_of": 1, "type": "cash", "current": {"usd": 1, "USD": 2}}}),
                "balance.current",
            ),
            (
                json!({"balance": {"as_of": 1, "type": "cash", "current": {"": 1}}}),
                "balance.current",
            ),
            (
                json!({"balance": {"as_of": 1, "type": "cash", "current": {"usd": 1}, "cash": {"available": {"../../x\r\n<script>": 1}}}}),
                "balance.cash.available",
            ),
            (
                json!({"balance": {"as_of": 1, "type": "credit", "current": {"usd": 1}, "credit": {"used": {"US": 1}}}}),
                "balance.credit.used",
            ),
            (json!({"ownership": "../x"}), "ownership"),
            (json!({"authorization": "fcauth_1\n"}), "authorization"),
            (json!({"id": "fca_1/.."}), "id"),
        ] {
            assert_eq!(field(extra.clone()), name, "{extra}");
        }
        let t = txn("fctxn_a", "posted", 1, 1);
        assert_eq!(check_transaction(&t, "fca_1"), Ok(()));
        assert_eq!(check_transaction(&t, "fca_2").unwrap_err().field, "account");
        let mut upper = t.clone();
        upper.currency = "USD".into();
        assert_eq!(
            check_transaction(&upper, "fca_1").unwrap_err().field,
            "currency"
        );
        let mut bad_ref = t;
        bad_ref.transaction_refresh = "fctxnref_1\r\n".into();
        assert_eq!(
            check_transaction(&bad_ref, "fca_1").unwrap_err().field,
            "transaction_refresh"
        );
    }

    #[test]
    fn held_bytes_count_the_struct_the_strings_and_the_index() {
        // What one page may hold besides its answer's strings is bounded per item.
        for size in [
            std::mem::size_of::<Transaction>(),
            std::mem::size_of::<AccountOwner>(),
        ] {
            assert!(
                size as u64 + INDEX_ENTRY + 64 <= ITEM_OVERHEAD_BOUND,
                "{size}"
            );
        }
        let t = txn("fctxn_a", "posted", 1, 1);
        let strings = 2 * 7 + 5 + 3 + 1 + 6 + 10;
        assert_eq!(
            t.held_bytes(),
            (std::mem::size_of::<Transaction>() + strings) as u64 + INDEX_ENTRY
        );
        assert_eq!(item_capacity::<Transaction>(&DataLimits::default()), 10_000);
        let tight = DataLimits {
            max_bytes: 100 * std::mem::size_of::<Transaction>() as u64,
            ..DataLimits::default()
        };
        assert_eq!(item_capacity::<Transaction>(&tight), 100);
    }

    #[test]
    fn a_merge_as_pages_arrive_equals_the_merge_of_all_pages() {
        let pages = vec![
            vec![
                txn("fctxn_a", "pending", 1, 10),
                txn("fctxn_b", "posted", 1, 20),
            ],
            vec![
                txn("fctxn_a", "posted", 2, 10),
                txn("fctxn_a", "void", 2, 10),
            ],
            vec![
                txn("fctxn_b", "pending", 0, 20),
                txn("fctxn_c", "posted", 1, 20),
            ],
        ];
        let mut merge = TransactionMerge::with_capacity(2);
        for p in pages.clone() {
            merge.add_page(p);
        }
        assert_eq!(merge.len(), 3);
        let merged = merge.finish();
        assert_eq!(merged, merge_transactions(pages));
        let got: Vec<_> = merged
            .iter()
            .map(|t| (t.id.as_str(), t.status.as_str()))
            .collect();
        // a: the later page wins a tie of `updated`; b: an older update never wins.
        assert_eq!(
            got,
            [
                ("fctxn_b", "posted"),
                ("fctxn_c", "posted"),
                ("fctxn_a", "void")
            ]
        );
    }
}
