//! The account-data API of [`FlowClient`]: one call per concern, over the backend's account
//! endpoints (`docs/backend-contract.md`), with the decisions made by the pure rules of
//! [`crate::data`]:
//!
//! | call | what it does |
//! |---|---|
//! | [`FlowClient::account`] | the account as Stripe has it now |
//! | [`FlowClient::refresh`] | starts Stripe's refreshes and **waits for them** (polling with backoff, within a deadline); a feature asked for before `next_refresh_available_at` is answered `TooSoon` without any call |
//! | [`FlowClient::owners`] | every owner, all pages |
//! | [`FlowClient::sync_transactions`] | the transactions added or changed since a cursor (a transaction refresh id), all pages, and the new cursor |
//! | [`FlowClient::subscribe`] / [`FlowClient::unsubscribe`] | daily transaction refreshes on or off |
//!
//! What the app must do about the account comes back typed ([`AccountAction`]): relink it
//! (inactive, or a permission never granted), or forget it (disconnected).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::data::{
    account_action, any_pending, merge_transactions, plan_refresh, settled_outcomes, sync_cursor,
    AccountAction, FeatureRefresh, RefreshFeature, RelinkReason,
};
use crate::error::Error;
use crate::flow::FlowClient;
use crate::ids::{self, IdKind};
use crate::model::{Account, AccountOwner, Transaction};

/// How [`FlowClient::refresh`] waits for Stripe's asynchronous refreshes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// The longest a refresh call waits; features still pending then are `StillPending`.
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
    pub cursor: Option<String>,
    /// Pages read.
    pub pages: u32,
    pub action: Option<AccountAction>,
}

/// The longest list read (pages of 100): far above any real account.
const MAX_PAGES: u32 = 1000;

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn bad_id(kind: IdKind, value: &str) -> Result<(), Error> {
    ids::check(kind, value).map_err(|e| Error::InvalidConfiguration {
        message: e.to_string(),
    })
}

/// A page loop that stops when the server repeats itself (a broken `starting_after`).
fn next_cursor(last: Option<String>, previous: &Option<String>) -> Result<Option<String>, Error> {
    if last.is_some() && last == *previous {
        return Err(Error::other(
            "the backend returned the same page twice (`starting_after` ignored?)",
        ));
    }
    Ok(last)
}

impl FlowClient {
    /// The account as Stripe has it now: balance, refresh records, status.
    pub async fn account(&self, account_id: &str) -> Result<Account, Error> {
        bad_id(IdKind::Account, account_id)?;
        Ok(self.backend().get_account(account_id).await?)
    }

    /// Refreshes `features` and waits for Stripe to finish them, within the client's
    /// [`RefreshPolicy`]. Features refreshed too recently are answered `TooSoon` without a call,
    /// features whose permission was never granted `NotPermitted` (with a relink action), a
    /// disconnected account's `Gone`.
    pub async fn refresh(
        &self,
        account_id: &str,
        features: &[RefreshFeature],
    ) -> Result<RefreshReport, Error> {
        bad_id(IdKind::Account, account_id)?;
        if features.is_empty() {
            return Err(Error::InvalidConfiguration {
                message: "refresh needs at least one feature".into(),
            });
        }
        let backend = self.backend();
        let policy = self.refresh_policy().clone();
        let mut account = backend.get_account(account_id).await?;
        let plan = plan_refresh(&account, features, unix_now());
        if !plan.to_request.is_empty() {
            let names: Vec<&str> = plan.to_request.iter().map(|f| f.as_str()).collect();
            let key = crate::flow::new_idempotency_key();
            account = backend.refresh_account(account_id, &names, &key).await?;
        }
        let waiting: Vec<RefreshFeature> = plan
            .to_request
            .iter()
            .chain(&plan.already_pending)
            .copied()
            .collect();
        let started = Instant::now();
        let mut delay = policy.first_poll;
        while any_pending(&account, &waiting) {
            let left = policy.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            tokio::time::sleep(delay.min(left)).await;
            delay = (delay + delay / 2).min(policy.max_poll);
            account = backend.get_account(account_id).await?;
        }
        let mut outcomes = plan.answered;
        outcomes.extend(settled_outcomes(&account, &waiting));
        outcomes.sort_by_key(|f| features.iter().position(|x| *x == f.feature));
        let action = account_action(&account, features);
        tracing::info!(
            account_id,
            features = ?outcomes.iter().map(|f| (f.feature.as_str(), f.outcome.as_str())).collect::<Vec<_>>(),
            "account refresh finished"
        );
        Ok(RefreshReport {
            account,
            features: outcomes,
            action,
        })
    }

    /// Every owner of the account (all pages). Without the `ownership` permission nothing is
    /// read and the action asks for a relink.
    pub async fn owners(&self, account_id: &str) -> Result<OwnersResult, Error> {
        bad_id(IdKind::Account, account_id)?;
        let account = self.backend().get_account(account_id).await?;
        let action = account_action(&account, &[RefreshFeature::Ownership]);
        if blocks_reading(&action) {
            return Ok(OwnersResult {
                owners: Vec::new(),
                action,
            });
        }
        let mut owners: Vec<AccountOwner> = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = self
                .backend()
                .owners_page(account_id, after.as_deref())
                .await?;
            let last = page.data.last().map(|o| o.id.clone());
            for o in page.data {
                if !owners.iter().any(|x| x.id == o.id) {
                    owners.push(o);
                }
            }
            if !page.has_more {
                return Ok(OwnersResult { owners, action });
            }
            after = next_cursor(last, &after)?;
            if after.is_none() {
                break;
            }
        }
        Err(Error::other("the owners list does not end"))
    }

    /// The transactions added or changed since `cursor` (a transaction refresh id from a previous
    /// sync; `None` reads everything), paging until `has_more` is false, and the cursor for the
    /// next sync. Without the `transactions` permission nothing is read and the action asks for
    /// a relink.
    pub async fn sync_transactions(
        &self,
        account_id: &str,
        cursor: Option<&str>,
    ) -> Result<TransactionSync, Error> {
        bad_id(IdKind::Account, account_id)?;
        if let Some(c) = cursor {
            bad_id(IdKind::TransactionRefresh, c)?;
        }
        let account = self.backend().get_account(account_id).await?;
        let action = account_action(&account, &[RefreshFeature::Transactions]);
        if blocks_reading(&action) {
            return Ok(TransactionSync {
                transactions: Vec::new(),
                cursor: cursor.map(str::to_owned),
                pages: 0,
                action,
            });
        }
        // Taken before listing: a refresh that finishes meanwhile is read again next time.
        let next = sync_cursor(&account).or_else(|| cursor.map(str::to_owned));
        let mut pages = Vec::new();
        let mut after: Option<String> = None;
        loop {
            if pages.len() as u32 >= MAX_PAGES {
                return Err(Error::other("the transaction list does not end"));
            }
            let page = self
                .backend()
                .transactions_page(account_id, cursor, after.as_deref(), 100)
                .await?;
            let last = page.data.last().map(|t| t.id.clone());
            let more = page.has_more;
            pages.push(page.data);
            if !more {
                break;
            }
            after = next_cursor(last, &after)?;
            if after.is_none() {
                break;
            }
        }
        let count = pages.len() as u32;
        Ok(TransactionSync {
            transactions: merge_transactions(pages),
            cursor: next,
            pages: count,
            action,
        })
    }

    /// Turns on Stripe's daily refreshes of `features` (only `transactions` today).
    pub async fn subscribe(
        &self,
        account_id: &str,
        features: &[RefreshFeature],
    ) -> Result<Account, Error> {
        self.subscription(account_id, features, true).await
    }

    /// Turns them off.
    pub async fn unsubscribe(
        &self,
        account_id: &str,
        features: &[RefreshFeature],
    ) -> Result<Account, Error> {
        self.subscription(account_id, features, false).await
    }

    async fn subscription(
        &self,
        account_id: &str,
        features: &[RefreshFeature],
        on: bool,
    ) -> Result<Account, Error> {
        bad_id(IdKind::Account, account_id)?;
        if features.is_empty() || features.iter().any(|f| *f != RefreshFeature::Transactions) {
            return Err(Error::InvalidConfiguration {
                message: "only `transactions` can be subscribed to".into(),
            });
        }
        let key = crate::flow::new_idempotency_key();
        Ok(self
            .backend()
            .subscription(account_id, &["transactions"], on, &key)
            .await?)
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
