//! The account-data API of [`FlowClient`]: one call per concern, over the backend's account
//! endpoints (`docs/backend-contract.md`), with the decisions made by the pure rules of
//! [`finconn_core::data`]:
//!
//! | call | what it does |
//! |---|---|
//! | [`FlowClient::account`] | the account as Stripe has it now |
//! | [`FlowClient::refresh`] | starts Stripe's refreshes and **waits for them** (polling with backoff, within a deadline that bounds the whole call); a feature asked for before `next_refresh_available_at` is answered `TooSoon` without any call |
//! | [`FlowClient::owners`] | every owner, all pages |
//! | [`FlowClient::sync_transactions`] | the transactions added or changed since a cursor, page after page up to the per-call caps, and the cursor of the next sync (or of the rest of this one) |
//! | [`FlowClient::subscribe`] / [`FlowClient::unsubscribe`] | daily transaction refreshes on or off |
//!
//! Every call is bounded as a whole, whatever the backend does ([`DataLimits`], the module doc of
//! [`finconn_core::data`]): one deadline covers every request, retry and poll of the call; a list call
//! reads at most `max_items` items, `max_bytes` bytes and `max_pages` pages, asks `limit=100` and
//! refuses a larger page, and stops at the first page that ends where an earlier one did. Every
//! value of an answer is shape-checked before the app sees it.
//!
//! What the app must do about the account comes back typed ([`AccountAction`]): relink it
//! (inactive, or a permission never granted), or forget it (disconnected).

use std::collections::HashSet;
use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::backend::BackendError;
use crate::flow::FlowClient;
use finconn_core::data::{
    account_action, any_pending, item_capacity, keep_first_by_key, plan_refresh, settled_outcomes,
    sync_cursor, AccountAction, DataFeature, DataLimits, FeatureRefresh, HeldBytes, PageStep,
    PageWalk, RelinkReason, SyncCursor, TransactionMerge, PAGE_LIMIT,
};
use finconn_core::error::FinConnError;
use finconn_core::ids::{self, IdKind};
use finconn_core::model::{Account, AccountOwner, Transaction};

/// How [`FlowClient::refresh`] waits for Stripe's asynchronous refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// The longest a refresh call takes, **as a whole**: the first read of the account, the
    /// refresh request and every poll (each request is cut when it passes). Features still
    /// pending then are `StillPending`; a call that could not even read the account and ask for
    /// the refresh in time is a `Timeout`.
    pub deadline: Duration,
    /// The first wait between two reads of the account; it grows by half each time.
    pub first_poll: Duration,
    pub max_poll: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            deadline: Duration::from_secs(30),
            first_poll: Duration::from_millis(200),
            max_poll: Duration::from_secs(2),
        }
    }
}

/// What [`FlowClient::refresh`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshReport {
    /// The account after the refreshes (balance, refresh records).
    pub account: Account,
    /// One entry per requested feature, in the order asked.
    pub features: Vec<FeatureRefresh>,
    /// What the app must do about the account, if anything.
    pub action: Option<AccountAction>,
}

/// What [`FlowClient::owners`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnersResult {
    pub owners: Vec<AccountOwner>,
    pub action: Option<AccountAction>,
}

/// What [`FlowClient::sync_transactions`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionSync {
    /// Added or changed since the cursor (pending → posted, voids included), one per id, newest
    /// first. Upsert them by id: a sync may repeat a change, it never misses one.
    pub transactions: Vec<Transaction>,
    /// Give it to the next sync. `None` until the account had a succeeded transaction refresh.
    /// With `has_more`, it continues this listing where it stopped.
    pub cursor: Option<String>,
    /// Pages read.
    pub pages: u32,
    /// The call stopped at a per-call limit (items, bytes, pages or its deadline) before the end
    /// of the list: what it returns is complete so far; sync again with `cursor` to read on.
    pub has_more: bool,
    pub action: Option<AccountAction>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn bad_id(kind: IdKind, value: &str) -> Result<(), FinConnError> {
    ids::check(kind, value).map_err(|e| FinConnError::invalid_configuration(e.to_string()))
}

/// The one deadline of a public call: every backend request of the call runs within what is
/// left of it, and is cut (its transport call cancelled) when it passes.
struct Deadline {
    at: tokio::time::Instant,
    total: Duration,
    call: &'static str,
}

/// A backend call that failed, or the call's deadline that passed first.
enum Cut {
    Failed(BackendError),
    Deadline,
}

impl Deadline {
    fn after(total: Duration, call: &'static str) -> Self {
        Deadline {
            at: tokio::time::Instant::now() + total,
            total,
            call,
        }
    }

    fn passed(&self) -> bool {
        tokio::time::Instant::now() >= self.at
    }

    fn left(&self) -> Duration {
        self.at
            .saturating_duration_since(tokio::time::Instant::now())
    }

    fn timeout(&self) -> FinConnError {
        FinConnError::timeout(format!(
            "{} did not finish within its deadline of {} ms",
            self.call,
            self.total.as_millis()
        ))
    }

    /// Runs `call` within what is left.
    async fn within<T>(
        &self,
        call: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, Cut> {
        match tokio::time::timeout_at(self.at, call).await {
            Ok(r) => r.map_err(Cut::Failed),
            Err(_) => Err(Cut::Deadline),
        }
    }

    /// Runs `call` within what is left; the deadline passing is a [`FinConnError::Timeout`].
    async fn run<T>(
        &self,
        call: impl Future<Output = Result<T, BackendError>>,
    ) -> Result<T, FinConnError> {
        self.within(call).await.map_err(|c| match c {
            Cut::Failed(e) => e.into(),
            Cut::Deadline => self.timeout(),
        })
    }
}

/// What a page's items hold in memory.
fn held<T: HeldBytes>(items: &[T]) -> u64 {
    items.iter().map(HeldBytes::held_bytes).sum()
}

/// A paging error as the invalid response of `endpoint`.
fn paging(
    endpoint: &'static str,
    e: impl std::fmt::Display,
    request_id: Option<String>,
) -> FinConnError {
    FinConnError::Other {
        reason: format!("{endpoint} sent a response this SDK cannot read: {e}"),
        request_id,
    }
}

impl FlowClient {
    /// The account as Stripe has it now: balance, refresh records, status.
    pub async fn account(&self, account_id: &str) -> Result<Account, FinConnError> {
        bad_id(IdKind::Account, account_id)?;
        let deadline = Deadline::after(self.data_limits().call_deadline, "account");
        deadline.run(self.backend().get_account(account_id)).await
    }

    /// Refreshes `features` and waits for Stripe to finish them, within the client's
    /// [`RefreshPolicy`], whose deadline bounds the whole call. Features refreshed too recently
    /// are answered `TooSoon` without a call, features whose permission was never granted
    /// `NotPermitted` (with a relink action), a disconnected account's `Gone`; features still
    /// pending at the deadline `StillPending`.
    pub async fn refresh(
        &self,
        account_id: &str,
        features: &[DataFeature],
    ) -> Result<RefreshReport, FinConnError> {
        bad_id(IdKind::Account, account_id)?;
        if features.is_empty() {
            return Err(FinConnError::invalid_configuration(
                "refresh needs at least one feature",
            ));
        }
        let backend = self.backend();
        let policy = self.refresh_policy().clone();
        let deadline = Deadline::after(policy.deadline, "refresh");
        let mut account = deadline.run(backend.get_account(account_id)).await?;
        let plan = plan_refresh(&account, features, unix_now());
        if !plan.to_request.is_empty() {
            let names: Vec<&str> = plan.to_request.iter().map(|f| f.refresh_name()).collect();
            let key = crate::flow::new_idempotency_key();
            account = deadline
                .run(backend.refresh_account(account_id, &names, &key))
                .await?;
        }
        let waiting: Vec<DataFeature> = plan
            .to_request
            .iter()
            .chain(&plan.already_pending)
            .copied()
            .collect();
        let mut delay = policy.first_poll;
        while any_pending(&account, &waiting) {
            let left = deadline.left();
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(delay.min(left)).await;
            if deadline.passed() {
                break;
            }
            delay = (delay + delay / 2).min(policy.max_poll);
            match deadline.within(backend.get_account(account_id)).await {
                Ok(a) => account = a,
                // The deadline cut the poll: report what the last read said.
                Err(Cut::Deadline) => break,
                Err(Cut::Failed(e)) => return Err(e.into()),
            }
        }
        let mut outcomes = plan.answered;
        outcomes.extend(settled_outcomes(&account, &waiting));
        outcomes.sort_by_key(|f| features.iter().position(|x| *x == f.feature));
        let action = account_action(&account, features);
        tracing::info!(
            account_id,
            features = ?outcomes.iter().map(|f| (f.feature.refresh_name(), f.outcome.as_str())).collect::<Vec<_>>(),
            "account refresh finished"
        );
        Ok(RefreshReport {
            account,
            features: outcomes,
            action,
        })
    }

    /// Every owner of the account (all pages, each owner once). Without the `ownership`
    /// permission nothing is read and the action asks for a relink. A list longer than the
    /// per-call caps ([`DataLimits`]) is an invalid response (no real account has 10,000 owners);
    /// the deadline passing is a `Timeout`.
    pub async fn owners(&self, account_id: &str) -> Result<OwnersResult, FinConnError> {
        bad_id(IdKind::Account, account_id)?;
        let limits = self.data_limits().clone();
        let cap = self.backend().config().max_response_bytes;
        let deadline = Deadline::after(limits.call_deadline, "owners");
        let account = deadline.run(self.backend().get_account(account_id)).await?;
        let action = account_action(&account, &[DataFeature::Ownership]);
        if blocks_reading(&action) {
            return Ok(OwnersResult {
                owners: Vec::new(),
                action,
            });
        }
        let mut owners: Vec<AccountOwner> =
            Vec::with_capacity(item_capacity::<AccountOwner>(&limits));
        let mut ids: HashSet<String> = HashSet::new();
        let mut walk = PageWalk::new(None);
        loop {
            if !walk.has_room(&limits, cap) {
                return Err(paging(
                    "account_owners",
                    format_args!(
                        "the owners do not end within one call's limits ({} owners, {} bytes, {} pages)",
                        limits.max_items, limits.max_bytes, limits.max_pages
                    ),
                    None,
                ));
            }
            let page = deadline
                .run(
                    self.backend()
                        .owners_page(account_id, walk.after.as_deref(), PAGE_LIMIT),
                )
                .await?;
            let last = page.list.data.last().map(|o| o.id.as_str());
            let held = held(&page.list.data).max(page.bytes);
            let step = walk
                .take(page.list.data.len(), held, page.list.has_more, last)
                .map_err(|e| paging("account_owners", e, page.request_id.clone()))?;
            keep_first_by_key(&mut owners, &mut ids, page.list.data, |o| o.id.clone());
            if step == PageStep::Done {
                return Ok(OwnersResult { owners, action });
            }
        }
    }

    /// The transactions added or changed since `cursor` (from a previous sync; `None` reads
    /// everything), page after page, and the cursor for the next sync. Without the
    /// `transactions` permission nothing is read and the action asks for a relink.
    ///
    /// One call reads at most the per-call caps ([`DataLimits`]: 10,000 transactions, 8 MiB
    /// held, 1,000 pages) within its deadline (60 s). When one of them stops it before the
    /// list ends, it **returns what it read** with `has_more` and a cursor that continues where
    /// it stopped: sync again with it (a continuation is accepted only as this call made it). It
    /// fails with `Timeout` only when the deadline passes before the first page. A page larger
    /// than `limit`, a paging loop, or a value of the wrong shape is an invalid response.
    pub async fn sync_transactions(
        &self,
        account_id: &str,
        cursor: Option<&str>,
    ) -> Result<TransactionSync, FinConnError> {
        bad_id(IdKind::Account, account_id)?;
        let start = match cursor {
            Some(c) => SyncCursor::parse(c)
                .map_err(|e| FinConnError::invalid_configuration(e.to_string()))?,
            None => SyncCursor::default(),
        };
        let limits: DataLimits = self.data_limits().clone();
        let cap = self.backend().config().max_response_bytes;
        let deadline = Deadline::after(limits.call_deadline, "sync_transactions");
        let account = deadline.run(self.backend().get_account(account_id)).await?;
        let action = account_action(&account, &[DataFeature::Transactions]);
        if blocks_reading(&action) {
            return Ok(TransactionSync {
                transactions: Vec::new(),
                cursor: cursor.map(str::to_owned),
                pages: 0,
                has_more: false,
                action,
            });
        }
        // Taken before listing (or when the listing this call continues began): a refresh that
        // finishes meanwhile is read again next time.
        let target = if start.is_continuation() {
            start.target.clone()
        } else {
            sync_cursor(&account).or_else(|| start.from.clone())
        };
        let mut walk = PageWalk::new(start.after.clone());
        let mut merge = TransactionMerge::with_capacity(item_capacity::<Transaction>(&limits));
        let finished = loop {
            if deadline.passed() && walk.pages == 0 {
                return Err(deadline.timeout());
            }
            // `has_room` holds for the first page (the limits were checked at creation), so a
            // call that stops has read at least one page and `walk.after` continues it.
            if !walk.has_room(&limits, cap) || deadline.passed() {
                break false;
            }
            let read = self.backend().transactions_page(
                account_id,
                start.from.as_deref(),
                walk.after.as_deref(),
                PAGE_LIMIT,
            );
            let page = match deadline.within(read).await {
                Ok(p) => p,
                Err(Cut::Deadline) if walk.pages > 0 => break false,
                Err(Cut::Deadline) => return Err(deadline.timeout()),
                Err(Cut::Failed(e)) => return Err(e.into()),
            };
            let last = page.list.data.last().map(|t| t.id.as_str());
            let held = held(&page.list.data).max(page.bytes);
            let step = walk
                .take(page.list.data.len(), held, page.list.has_more, last)
                .map_err(|e| paging("account_transactions", e, page.request_id.clone()))?;
            merge.add_page(page.list.data);
            if step == PageStep::Done {
                break true;
            }
        };
        let next = SyncCursor {
            from: start.from.clone(),
            after: if finished { None } else { walk.after.clone() },
            target,
        };
        if !finished {
            tracing::info!(
                account_id,
                items = walk.items,
                bytes = walk.bytes,
                pages = walk.pages,
                "transaction sync stopped at a per-call limit; the cursor continues it"
            );
        }
        Ok(TransactionSync {
            transactions: merge.finish(),
            cursor: next.encode(),
            pages: walk.pages,
            has_more: !finished,
            action,
        })
    }

    /// Turns on Stripe's daily refreshes of `features` (only `transactions` today).
    pub async fn subscribe(
        &self,
        account_id: &str,
        features: &[DataFeature],
    ) -> Result<Account, FinConnError> {
        self.subscription(account_id, features, true).await
    }

    /// Turns them off.
    pub async fn unsubscribe(
        &self,
        account_id: &str,
        features: &[DataFeature],
    ) -> Result<Account, FinConnError> {
        self.subscription(account_id, features, false).await
    }

    async fn subscription(
        &self,
        account_id: &str,
        features: &[DataFeature],
        on: bool,
    ) -> Result<Account, FinConnError> {
        bad_id(IdKind::Account, account_id)?;
        if features.is_empty() || features.iter().any(|f| *f != DataFeature::Transactions) {
            return Err(FinConnError::invalid_configuration(
                "only `transactions` can be subscribed to",
            ));
        }
        let key = crate::flow::new_idempotency_key();
        let call = if on { "subscribe" } else { "unsubscribe" };
        let deadline = Deadline::after(self.data_limits().call_deadline, call);
        deadline
            .run(
                self.backend()
                    .subscription(account_id, &["transactions"], on, &key),
            )
            .await
    }
}

/// A disconnected account or a missing permission: there is nothing to read.
fn blocks_reading(action: &Option<AccountAction>) -> bool {
    matches!(
        action,
        Some(AccountAction::Disconnected)
            | Some(AccountAction::RelinkRequired {
                reason: RelinkReason::MissingPermissions(_),
                ..
            })
    )
}
