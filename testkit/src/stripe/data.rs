//! Account data in the in-memory Stripe: balance, ownership and transaction refreshes, the owners
//! and transactions they produce, and transaction subscriptions — the operations behind
//! `…/accounts/{id}/refresh`, `…/accounts/{id}/owners`, `/v1/financial_connections/transactions`
//! and `…/subscribe` / `…/unsubscribe`.
//!
//! A requested refresh is `pending` for the configured delay (`refresh_delay`), then settles
//! **lazily**: the next time anything locks the state ([`settle`]) — no background task. It
//! succeeds, or fails when the account is inactive or disconnected by then, or when its
//! institution's refreshes always fail. What a success finds comes from `history.rs`.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::history::{self, generator, OwnerRec, Purpose, Stamp, TransactionRec};
use super::memory::{Inner, State};
use super::objects::{list, AccountRec, AccountState, RefreshRec};
use super::{InMemoryStripe, ListTransactionsQuery, StripeError};
use crate::ids::lock;
use crate::institution::RefreshBehaviour;

pub(crate) const TRANSACTIONS_URL: &str = "/v1/financial_connections/transactions";

/// A refreshable data feature (`features[]` of `refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    Balance,
    Ownership,
    Transactions,
}

impl Feature {
    const ALL: [Feature; 3] = [Feature::Balance, Feature::Ownership, Feature::Transactions];

    fn as_str(self) -> &'static str {
        match self {
            Feature::Balance => "balance",
            Feature::Ownership => "ownership",
            Feature::Transactions => "transactions",
        }
    }

    /// The account permission the feature needs.
    fn permission(self) -> &'static str {
        match self {
            Feature::Balance => "balances",
            Feature::Ownership => "ownership",
            Feature::Transactions => "transactions",
        }
    }
}

/// Reads `features`: at least one, each among `allowed`, duplicates dropped.
fn parse_features(features: &[String], allowed: &[Feature]) -> Result<Vec<Feature>, StripeError> {
    if features.is_empty() {
        return Err(StripeError::missing("features"));
    }
    let mut out = Vec::new();
    for f in features {
        let feature = allowed
            .iter()
            .copied()
            .find(|a| a.as_str() == f)
            .ok_or_else(|| StripeError::invalid_value("features", f))?;
        if !out.contains(&feature) {
            out.push(feature);
        }
    }
    Ok(out)
}

/// The owners and transactions of one account.
#[derive(Debug, Default)]
pub(crate) struct AccountData {
    /// Oldest first.
    pub transactions: Vec<TransactionRec>,
    /// Whether a transactions refresh has already found the first history.
    pub history_created: bool,
    /// Every transaction refresh of the account, oldest first (failed ones too).
    pub refresh_ids: Vec<String>,
    /// The owners of the current ownership.
    pub owners: Vec<OwnerRec>,
    /// Ownerships found so far (numbers the next one).
    pub ownerships: usize,
}

fn refresh_of(a: &mut AccountRec, f: Feature) -> Option<&mut RefreshRec> {
    match f {
        Feature::Balance => a.balance_refresh.as_mut(),
        Feature::Ownership => a.ownership_refresh.as_mut(),
        Feature::Transactions => a.transaction_refresh.as_mut().map(|(_, r)| r),
    }
}

fn is_inactive(a: &AccountRec) -> bool {
    matches!(
        a.state,
        AccountState::Inactive { .. } | AccountState::Disconnected
    )
}

// ---- settling --------------------------------------------------------------------------------

/// Settles every pending refresh whose time has come.
pub(crate) fn settle(inner: &Inner, st: &mut State) {
    if st.pending.is_empty() {
        return;
    }
    let now = Instant::now();
    let ids: Vec<String> = st.pending.iter().cloned().collect();
    for id in ids {
        settle_account(inner, st, &id, now);
    }
}

fn settle_account(inner: &Inner, st: &mut State, id: &str, now: Instant) {
    let Some(a) = st.accounts.get_mut(id) else {
        st.pending.remove(id);
        return;
    };
    let ok = !is_inactive(a) && a.data.refreshes != RefreshBehaviour::Fail;
    let cooldown = lock(&inner.refresh_cooldown).as_secs() as i64;
    let mut found = Vec::new();
    for f in Feature::ALL {
        if let Some(r) = refresh_of(a, f).filter(|r| r.is_due(now)) {
            r.finish(ok, cooldown);
            if ok {
                found.push(f);
            }
        }
    }
    if !a.has_pending_refresh() {
        st.pending.remove(id);
    }
    for f in found {
        match f {
            Feature::Balance => read_balance(inner, st, id),
            Feature::Ownership => read_ownership(inner, st, id),
            Feature::Transactions => read_transactions(inner, st, id),
        }
    }
}

fn read_balance(inner: &Inner, st: &mut State, id: &str) {
    if let Some(a) = st.accounts.get_mut(id) {
        a.balance = Some((a.bank_balance, inner.clock.now()));
    }
}

/// A new ownership with the account's owners becomes the account's `ownership`.
pub(crate) fn read_ownership(inner: &Inner, st: &mut State, id: &str) {
    let Some(a) = st.accounts.get_mut(id) else {
        return;
    };
    let d = st.data.entry(id.to_string()).or_default();
    let gen = generator(inner.seed, id, Purpose::Ownership, d.ownerships);
    // A prefetch has already named its ownership; a refresh makes a new one.
    let ownership = match (&a.ownership, d.ownerships) {
        (Some(o), 0) => o.clone(),
        _ => gen.id("fcaowns"),
    };
    d.owners = history::owners(&gen, &ownership, a.data.owners, inner.clock.now());
    d.ownerships += 1;
    a.ownership = Some(ownership);
}

/// The account's last transaction refresh finds the first history, or what changed since.
pub(crate) fn read_transactions(inner: &Inner, st: &mut State, id: &str) {
    let Some(a) = st.accounts.get(id) else {
        return;
    };
    let Some((refresh, _)) = &a.transaction_refresh else {
        return;
    };
    let d = st.data.entry(id.to_string()).or_default();
    let seq = match d.refresh_ids.iter().position(|r| r == refresh) {
        Some(seq) => seq,
        None => {
            d.refresh_ids.push(refresh.clone());
            d.refresh_ids.len() - 1
        }
    };
    let stamp = Stamp {
        account: id,
        livemode: a.livemode,
        refresh,
        seq,
        now: inner.clock.now(),
    };
    let gen = generator(inner.seed, id, Purpose::Transactions, seq);
    if d.history_created {
        history::advance(&gen, &stamp, &mut d.transactions);
    } else {
        d.transactions = history::first_history(&gen, &stamp, a.data.transactions);
        d.history_created = true;
    }
}

// ---- errors ----------------------------------------------------------------------------------

fn unknown_account(id: &str) -> StripeError {
    StripeError::no_such("financial_connections.account", id, Some("account"))
}

fn disconnected() -> StripeError {
    StripeError::Api {
        status: 400,
        kind: "invalid_request_error".into(),
        code: None,
        message: "This account is disconnected; its data can no longer be refreshed or subscribed to. Link it again in a new session.".into(),
        param: None,
    }
}

fn permission_missing(f: Feature, action: &str) -> StripeError {
    let p = f.permission();
    StripeError::Api {
        status: 400,
        kind: "invalid_request_error".into(),
        code: None,
        message: format!(
            "The account does not have the `{p}` permission, which is required to {action} {}. Collect it in a new session with `permissions[]={p}`.",
            f.as_str()
        ),
        param: Some("features".into()),
    }
}

fn refresh_pending(f: Feature) -> StripeError {
    StripeError::invalid(
        "refresh_pending",
        format!(
            "A {} refresh is already pending for this account; wait until it finishes.",
            f.as_str()
        ),
        Some("features"),
    )
}

fn account_mut<'s>(st: &'s mut State, id: &str) -> Result<&'s mut AccountRec, StripeError> {
    st.accounts.get_mut(id).ok_or_else(|| unknown_account(id))
}

// ---- operations ------------------------------------------------------------------------------

impl InMemoryStripe {
    /// How long a requested refresh stays `pending` (for refreshes requested from now on).
    pub fn set_refresh_delay(&self, delay: Duration) {
        *lock(&self.inner.refresh_delay) = delay;
    }

    pub fn refresh_delay(&self) -> Duration {
        *lock(&self.inner.refresh_delay)
    }

    /// How long after an attempt the next refresh may be asked for (`next_refresh_available_at`,
    /// default a minute); zero lets tests refresh again at once.
    pub fn set_refresh_cooldown(&self, cooldown: Duration) {
        *lock(&self.inner.refresh_cooldown) = cooldown;
    }

    /// How many transactions Stripe holds for the account now (0 for an unknown account).
    pub fn transactions_held(&self, account_id: &str) -> usize {
        self.state()
            .data
            .get(account_id)
            .map_or(0, |d| d.transactions.len())
    }

    /// The account's transaction refresh ids, oldest first (failed ones too).
    pub fn transaction_refresh_ids(&self, account_id: &str) -> Vec<String> {
        self.state()
            .data
            .get(account_id)
            .map(|d| d.refresh_ids.clone())
            .unwrap_or_default()
    }

    /// `POST /v1/financial_connections/accounts/{id}/refresh`.
    pub(crate) fn op_refresh(
        &self,
        id: &str,
        features: &[String],
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let features = parse_features(features, &Feature::ALL)?;
        let fingerprint = format!("{id} {features:?}");
        self.idempotent("refresh", idempotency_key, fingerprint, |st| {
            self.start_refreshes(st, id, &features)
        })
    }

    fn start_refreshes(
        &self,
        st: &mut State,
        id: &str,
        features: &[Feature],
    ) -> Result<Value, StripeError> {
        let inner = &self.inner;
        let refreshes_so_far = st.data.get(id).map_or(0, |d| d.refresh_ids.len());
        let a = account_mut(st, id)?;
        if a.state == AccountState::Disconnected {
            return Err(disconnected());
        }
        if let Some(f) = features.iter().find(|f| !a.has_permission(f.permission())) {
            return Err(permission_missing(*f, "refresh"));
        }
        if let Some(f) = features
            .iter()
            .find(|f| refresh_of(a, **f).is_some_and(|r| r.is_pending()))
        {
            return Err(refresh_pending(*f));
        }
        let deactivate = a.data.refreshes == RefreshBehaviour::DeactivateOnFirst;
        if deactivate {
            a.data.refreshes = RefreshBehaviour::Succeed;
        }
        let pending = RefreshRec::pending(inner.clock.now(), Instant::now() + self.refresh_delay());
        let mut new_refresh = None;
        for f in features {
            match f {
                Feature::Balance => a.balance_refresh = Some(pending.clone()),
                Feature::Ownership => a.ownership_refresh = Some(pending.clone()),
                Feature::Transactions => {
                    let gen = generator(
                        inner.seed,
                        id,
                        Purpose::TransactionRefresh,
                        refreshes_so_far,
                    );
                    let rid = gen.id("fctxnref");
                    a.transaction_refresh = Some((rid.clone(), pending.clone()));
                    new_refresh = Some(rid);
                }
            }
        }
        if let Some(rid) = new_refresh {
            st.data
                .entry(id.to_string())
                .or_default()
                .refresh_ids
                .push(rid);
        }
        if deactivate {
            st.deactivate(id, "access_expired");
        }
        st.pending.insert(id.to_string());
        st.accounts
            .get(id)
            .map(AccountRec::to_json)
            .ok_or_else(|| unknown_account(id))
    }

    /// `GET /v1/financial_connections/accounts/{id}/owners`.
    pub(crate) fn op_list_owners(
        &self,
        account_id: &str,
        ownership: Option<&str>,
        starting_after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Value, StripeError> {
        let limit = Self::check_limit(limit, self.inner.page_size)?;
        let st = self.state();
        let a = st
            .accounts
            .get(account_id)
            .ok_or_else(|| unknown_account(account_id))?;
        let ownership = ownership
            .filter(|o| !o.is_empty())
            .ok_or_else(|| StripeError::missing("ownership"))?;
        if a.ownership.as_deref() != Some(ownership) {
            return Err(StripeError::invalid(
                "resource_missing",
                format!("No such financial_connections.account_ownership: '{ownership}'"),
                Some("ownership"),
            ));
        }
        let owners = st.data.get(account_id).map_or(&[][..], |d| &d.owners[..]);
        let (page, more) = Self::page_of(
            "financial_connections.account_owner",
            owners,
            |o| o.id.as_str(),
            starting_after,
            limit,
        )?;
        let data = page.iter().map(OwnerRec::to_json).collect();
        let url = format!("/v1/financial_connections/accounts/{account_id}/owners");
        Ok(list(data, more, &url))
    }

    /// `GET /v1/financial_connections/transactions`: newest first (by creation, so pages stay
    /// stable while refreshes change older transactions).
    pub(crate) fn op_list_transactions(
        &self,
        q: &ListTransactionsQuery,
    ) -> Result<Value, StripeError> {
        let limit = Self::check_limit(q.limit, self.inner.page_size)?;
        if q.account.is_empty() {
            return Err(StripeError::missing("account"));
        }
        let st = self.state();
        if !st.accounts.contains_key(&q.account) {
            return Err(StripeError::invalid(
                "resource_missing",
                format!("No such financial_connections.account: '{}'", q.account),
                Some("account"),
            ));
        }
        let empty = AccountData::default();
        let d = st.data.get(&q.account).unwrap_or(&empty);
        let after = match q.transaction_refresh_after.as_deref() {
            None => None,
            Some(r) => Some(refresh_seq(d, r)?),
        };
        let selected: Vec<&TransactionRec> = d
            .transactions
            .iter()
            .rev()
            .filter(|t| after.is_none_or(|s| t.refresh_seq > s))
            .collect();
        let (page, more) = Self::page_of(
            "financial_connections.transaction",
            &selected,
            |t| t.id.as_str(),
            q.starting_after.as_deref(),
            limit,
        )?;
        let data = page.iter().map(|t| t.to_json()).collect();
        Ok(list(data, more, TRANSACTIONS_URL))
    }

    /// `POST …/subscribe` (`on`) or `…/unsubscribe`: only `transactions` can be subscribed to.
    pub(crate) fn op_subscribe(
        &self,
        id: &str,
        features: &[String],
        on: bool,
    ) -> Result<Value, StripeError> {
        let features = parse_features(features, &[Feature::Transactions])?;
        let mut st = self.state();
        let a = account_mut(&mut st, id)?;
        if a.state == AccountState::Disconnected {
            return Err(disconnected());
        }
        for f in features {
            let name = f.as_str().to_string();
            if on && !a.has_permission(f.permission()) {
                return Err(permission_missing(f, "subscribe to"));
            }
            a.subscriptions.retain(|s| *s != name);
            if on {
                a.subscriptions.push(name);
            }
        }
        Ok(a.to_json())
    }
}

/// The position of refresh `r` among the account's transaction refreshes.
fn refresh_seq(d: &AccountData, r: &str) -> Result<usize, StripeError> {
    d.refresh_ids.iter().position(|id| id == r).ok_or_else(|| {
        StripeError::invalid(
            "resource_missing",
            format!("No such transaction refresh for this account: '{r}'"),
            Some("transaction_refresh[after]"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn features_are_validated_and_deduplicated() {
        let all = Feature::ALL;
        assert_eq!(
            parse_features(&strings(&["transactions", "balance", "balance"]), &all).unwrap(),
            vec![Feature::Transactions, Feature::Balance]
        );
        let e = parse_features(&[], &all).unwrap_err();
        assert_eq!(e.to_json()["error"]["code"], "parameter_missing");
        assert!(parse_features(&strings(&["balances"]), &all).is_err());
        assert!(parse_features(&strings(&["balance"]), &[Feature::Transactions]).is_err());
    }

    #[test]
    fn permission_errors_name_the_permission() {
        let e = permission_missing(Feature::Balance, "refresh");
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("`balances` permission"), "{e}");
        assert_eq!(e.to_json()["error"]["type"], "invalid_request_error");
    }
}
