//! [`InMemoryStripe`]: the simulator's own Stripe. It holds customers, Financial Connections
//! sessions, accounts and authorizations in memory, implements [`StripeApi`] directly, and backs
//! the `/v1` HTTP routes (secret-key and publishable-key). Ids are deterministic per seed.
//! Account data (refreshes, owners, transactions, subscriptions) is in `data.rs`; every lock of
//! the state first settles the refreshes whose time has come.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Value};

use super::data::{self, AccountData};
use super::objects::{
    list, AccountRec, AccountState, AuthorizationRec, SessionRec, SessionStatus, ACCOUNTS_URL,
};
use super::{
    AccountHolder, BoxFuture, CreateSessionParams, ListAccountsQuery, ListTransactionsQuery,
    StripeApi, StripeError,
};
use crate::ids::{lock, Clock, IdGen};

/// Stripe's in-memory double. Cloning shares the state.
#[derive(Clone)]
pub struct InMemoryStripe {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for InMemoryStripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InMemoryStripe").finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub seed: u64,
    pub ids: IdGen,
    pub clock: Clock,
    publishable_key: String,
    secret_key: String,
    /// Default page size of lists and of the accounts embedded in a session.
    pub page_size: usize,
    /// How long a requested refresh stays `pending`.
    pub refresh_delay: Mutex<Duration>,
    /// How long after a refresh's attempt the next one may be asked for
    /// (`next_refresh_available_at`), default a minute.
    pub refresh_cooldown: Mutex<Duration>,
    state: Mutex<State>,
}

type IdemKey = (&'static str, String);

#[derive(Default)]
pub(crate) struct State {
    customers: HashSet<String>,
    pub sessions: HashMap<String, SessionRec>,
    by_secret: HashMap<String, String>,
    pub accounts: HashMap<String, AccountRec>,
    pub account_order: Vec<String>,
    pub authorizations: HashMap<String, AuthorizationRec>,
    idempotency: HashMap<IdemKey, (String, Value)>,
    /// Owners and transactions per account id.
    pub data: HashMap<String, AccountData>,
    /// Accounts with a pending refresh.
    pub pending: BTreeSet<String>,
}

impl State {
    pub fn session_id_for(&self, id_or_secret: &str) -> Option<String> {
        if self.sessions.contains_key(id_or_secret) {
            return Some(id_or_secret.to_string());
        }
        self.by_secret.get(id_or_secret).cloned()
    }

    pub fn session_accounts(&self, s: &SessionRec) -> Vec<Value> {
        s.account_ids
            .iter()
            .filter_map(|id| self.accounts.get(id))
            .map(AccountRec::to_json)
            .collect()
    }

    /// Makes an account inactive (and its authorization); `false` when it is unknown.
    pub fn deactivate(&mut self, id: &str, cause: &str) -> bool {
        let Some(a) = self.accounts.get_mut(id) else {
            return false;
        };
        a.state = AccountState::Inactive {
            cause: cause.to_string(),
        };
        let auth = a.authorization.clone();
        if let Some(au) = self.authorizations.get_mut(&auth) {
            au.active = false;
        }
        true
    }
}

/// The refresh delay of a new simulator.
pub(crate) const DEFAULT_REFRESH_DELAY: Duration = Duration::from_millis(50);

impl InMemoryStripe {
    /// A fresh Stripe with keys and ids derived from `seed`, lists of 10 per page, wall-clock time.
    pub fn new(seed: u64) -> Self {
        InMemoryStripe::with_options(seed, 10, None)
    }

    /// `page_size` (1..=100) is the default `limit` of lists and how many accounts a session
    /// embeds; `now` fixes the clock (Unix seconds) for fully deterministic objects.
    pub fn with_options(seed: u64, page_size: usize, now: Option<i64>) -> Self {
        let keys = IdGen::new(seed, 0x6b65_7973);
        let publishable_key = format!("pk_test_sim{}", keys.token(24));
        let secret_key = format!("sk_test_sim{}", keys.token(24));
        InMemoryStripe {
            inner: Arc::new(Inner {
                seed,
                ids: IdGen::new(seed, 0x7374_7269_7065),
                clock: Clock::new(now),
                publishable_key,
                secret_key,
                page_size: page_size.clamp(1, 100),
                refresh_delay: Mutex::new(DEFAULT_REFRESH_DELAY),
                refresh_cooldown: Mutex::new(Duration::from_secs(60)),
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The publishable key the SDK endpoints (`/v1/link_account_sessions/…`) accept.
    pub fn publishable_key(&self) -> &str {
        &self.inner.publishable_key
    }

    /// The secret key the secret-key endpoints accept (a simulator key, not a real one).
    pub fn secret_key(&self) -> &str {
        &self.inner.secret_key
    }

    /// The state, with every refresh whose time has come settled.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        let mut st = lock(&self.inner.state);
        data::settle(&self.inner, &mut st);
        st
    }

    /// A session by id or client secret, with its client secret and **all** its accounts.
    pub fn session(&self, id_or_client_secret: &str) -> Option<Value> {
        let st = self.state();
        let id = st.session_id_for(id_or_client_secret)?;
        let s = st.sessions.get(&id)?;
        Some(s.to_json(st.session_accounts(s), false, true))
    }

    /// Ids of every session (in no particular order).
    pub fn session_ids(&self) -> Vec<String> {
        self.state().sessions.keys().cloned().collect()
    }

    /// Number of sessions created (by the backend or directly).
    pub fn session_count(&self) -> usize {
        self.state().sessions.len()
    }

    /// An account object.
    pub fn account(&self, id: &str) -> Option<Value> {
        self.state().accounts.get(id).map(AccountRec::to_json)
    }

    /// An authorization object.
    pub fn authorization(&self, id: &str) -> Option<Value> {
        self.state()
            .authorizations
            .get(id)
            .map(AuthorizationRec::to_json)
    }

    /// Makes an account `inactive` (`status_details.inactive = {action: relink_required, cause}`,
    /// or `action: none` for `account_closed`) and its authorization inactive, as when a bank's
    /// OAuth token expires. `false` when the account is unknown.
    pub fn deactivate_account(&self, id: &str, cause: &str) -> bool {
        self.state().deactivate(id, cause)
    }

    pub(super) fn check_limit(limit: Option<u32>, default: usize) -> Result<usize, StripeError> {
        match limit {
            None => Ok(default),
            Some(l) if (1..=100).contains(&l) => Ok(l as usize),
            Some(_) => Err(StripeError::invalid(
                "parameter_invalid_integer",
                "Invalid limit: must be between 1 and 100",
                Some("limit"),
            )),
        }
    }

    /// One page of account `ids` after `starting_after`.
    fn page(
        ids: &[String],
        starting_after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, bool), StripeError> {
        let (page, more) = Self::page_of(
            "financial_connections.account",
            ids,
            |i| i.as_str(),
            starting_after,
            limit,
        )?;
        Ok((page.to_vec(), more))
    }

    /// One page of `items` (of Stripe type `kind`, identified by `id`) after `starting_after`,
    /// and whether more follow. An unknown `starting_after` is Stripe's `404 resource_missing`.
    pub(super) fn page_of<'i, T>(
        kind: &str,
        items: &'i [T],
        id: impl Fn(&T) -> &str,
        starting_after: Option<&str>,
        limit: usize,
    ) -> Result<(&'i [T], bool), StripeError> {
        let start = match starting_after {
            None => 0,
            Some(after) => {
                items
                    .iter()
                    .position(|i| id(i) == after)
                    .ok_or_else(|| StripeError::no_such(kind, after, Some("starting_after")))?
                    + 1
            }
        };
        let rest = &items[start.min(items.len())..];
        let take = rest.len().min(limit);
        Ok((&rest[..take], rest.len() > take))
    }

    pub(super) fn idempotent(
        &self,
        op: &'static str,
        key: Option<&str>,
        fingerprint: String,
        f: impl FnOnce(&mut State) -> Result<Value, StripeError>,
    ) -> Result<Value, StripeError> {
        let mut st = self.state();
        let Some(key) = key else {
            return f(&mut st);
        };
        let k = (op, key.to_string());
        if let Some((fp, stored)) = st.idempotency.get(&k) {
            if *fp != fingerprint {
                return Err(StripeError::Api {
                    status: 400,
                    kind: "idempotency_error".into(),
                    code: None,
                    message: "Keys for idempotent requests can only be used with the same parameters they were first used with.".into(),
                    param: None,
                });
            }
            return Ok(stored.clone());
        }
        let result = f(&mut st);
        // Only successes are remembered: a request rejected before it did anything can be fixed
        // and retried with the same key.
        if let Ok(v) = &result {
            st.idempotency.insert(k, (fingerprint, v.clone()));
        }
        result
    }

    pub(crate) fn op_create_customer(
        &self,
        description: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let inner = &self.inner;
        self.idempotent("customer", idempotency_key, description.to_string(), |st| {
            let id = inner.ids.id("cus");
            st.customers.insert(id.clone());
            Ok(json!({
                "id": id,
                "object": "customer",
                "created": inner.clock.now(),
                "description": description,
                "livemode": false,
            }))
        })
    }

    pub(crate) fn op_create_session(
        &self,
        params: &CreateSessionParams,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        params.validate()?;
        let inner = &self.inner;
        self.idempotent("session", idempotency_key, format!("{params:?}"), |st| {
            if let AccountHolder::Customer(c) = &params.account_holder {
                if !st.customers.contains(c) {
                    return Err(StripeError::invalid(
                        "resource_missing",
                        format!("No such customer: '{c}'"),
                        Some("account_holder[customer]"),
                    ));
                }
            }
            let id = inner.ids.id("fcsess");
            let client_secret = format!("{id}_secret_{}", inner.ids.token(24));
            let rec = SessionRec {
                id: id.clone(),
                client_secret: client_secret.clone(),
                livemode: false,
                account_holder: params.account_holder.clone(),
                permissions: params.permissions.clone(),
                prefetch: params.prefetch.clone(),
                account_subcategories: params.account_subcategories.clone(),
                return_url: params.return_url.clone(),
                relink_options: params.relink_options.clone(),
                relink_result: None,
                status: SessionStatus::Pending,
                account_ids: Vec::new(),
            };
            let json = rec.to_json(Vec::new(), false, true);
            st.by_secret.insert(client_secret, id.clone());
            st.sessions.insert(id, rec);
            Ok(json)
        })
    }

    fn session_page_json(
        &self,
        st: &State,
        s: &SessionRec,
        with_secret: bool,
    ) -> Result<Value, StripeError> {
        let (ids, more) = Self::page(&s.account_ids, None, self.inner.page_size)?;
        let accounts = ids
            .iter()
            .filter_map(|i| st.accounts.get(i))
            .map(AccountRec::to_json)
            .collect();
        Ok(s.to_json(accounts, more, with_secret))
    }

    pub(crate) fn op_retrieve_session(&self, id: &str) -> Result<Value, StripeError> {
        let st = self.state();
        let s = st
            .sessions
            .get(id)
            .ok_or_else(|| StripeError::no_such("financial_connections.session", id, Some("id")))?;
        self.session_page_json(&st, s, true)
    }

    pub(crate) fn op_list_accounts(&self, q: &ListAccountsQuery) -> Result<Value, StripeError> {
        let limit = Self::check_limit(q.limit, self.inner.page_size)?;
        let st = self.state();
        let ids: Vec<String> = match (&q.session, &q.customer) {
            (Some(_), Some(_)) => {
                return Err(StripeError::invalid(
                    "parameter_invalid_empty",
                    "You may only specify one of these parameters: account_holder, session.",
                    Some("session"),
                ))
            }
            (Some(sid), None) => st
                .sessions
                .get(sid)
                .ok_or_else(|| {
                    StripeError::invalid(
                        "resource_missing",
                        format!("No such financial_connections.session: '{sid}'"),
                        Some("session"),
                    )
                })?
                .account_ids
                .clone(),
            (None, Some(c)) => {
                let holder = AccountHolder::Customer(c.clone());
                st.account_order
                    .iter()
                    .filter(|id| st.accounts.get(*id).map(|a| &a.account_holder) == Some(&holder))
                    .cloned()
                    .collect()
            }
            (None, None) => st.account_order.clone(),
        };
        let (page, more) = Self::page(&ids, q.starting_after.as_deref(), limit)?;
        let data = page
            .iter()
            .filter_map(|i| st.accounts.get(i))
            .map(AccountRec::to_json)
            .collect();
        Ok(list(data, more, ACCOUNTS_URL))
    }

    pub(crate) fn op_retrieve_account(&self, id: &str) -> Result<Value, StripeError> {
        self.state()
            .accounts
            .get(id)
            .map(AccountRec::to_json)
            .ok_or_else(|| StripeError::no_such("financial_connections.account", id, Some("id")))
    }

    pub(crate) fn op_disconnect(
        &self,
        id: &str,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        self.idempotent("disconnect", idempotency_key, id.to_string(), |st| {
            let a = st.accounts.get_mut(id).ok_or_else(|| {
                StripeError::no_such("financial_connections.account", id, Some("account"))
            })?;
            a.state = AccountState::Disconnected;
            Ok(a.to_json())
        })
    }

    pub(crate) fn op_retrieve_authorization(&self, id: &str) -> Result<Value, StripeError> {
        self.authorization(id).ok_or_else(|| {
            StripeError::no_such("financial_connections.authorization", id, Some("id"))
        })
    }

    fn by_client_secret<'s>(
        st: &'s State,
        client_secret: &str,
    ) -> Result<&'s SessionRec, StripeError> {
        st.by_secret
            .get(client_secret)
            .and_then(|id| st.sessions.get(id))
            .ok_or_else(|| {
                // Never echo the client secret back.
                StripeError::Api {
                    status: 400,
                    kind: "invalid_request_error".into(),
                    code: Some("resource_missing".into()),
                    message: "No such financial_connections.session for this client_secret.".into(),
                    param: Some("client_secret".into()),
                }
            })
    }

    /// `GET /v1/link_account_sessions/session_receipt`: the session with its first page of accounts.
    pub(crate) fn op_session_receipt(&self, client_secret: &str) -> Result<Value, StripeError> {
        let st = self.state();
        let s = Self::by_client_secret(&st, client_secret)?;
        self.session_page_json(&st, s, true)
    }

    /// `GET /v1/link_account_sessions/list_accounts`: a page of the session's accounts.
    pub(crate) fn op_receipt_accounts(
        &self,
        client_secret: &str,
        starting_after: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Value, StripeError> {
        let limit = Self::check_limit(limit, self.inner.page_size)?;
        let st = self.state();
        let s = Self::by_client_secret(&st, client_secret)?;
        let (page, more) = Self::page(&s.account_ids, starting_after, limit)?;
        let data = page
            .iter()
            .filter_map(|i| st.accounts.get(i))
            .map(AccountRec::to_json)
            .collect();
        Ok(list(data, more, "/v1/link_account_sessions/list_accounts"))
    }
}

impl StripeApi for InMemoryStripe {
    fn create_customer<'a>(
        &'a self,
        description: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_create_customer(description, idempotency_key) })
    }

    fn create_session<'a>(
        &'a self,
        params: &'a CreateSessionParams,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_create_session(params, idempotency_key) })
    }

    fn retrieve_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_retrieve_session(id) })
    }

    fn list_accounts<'a>(
        &'a self,
        query: &'a ListAccountsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_list_accounts(query) })
    }

    fn retrieve_account<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_retrieve_account(id) })
    }

    fn disconnect_account<'a>(
        &'a self,
        id: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_disconnect(id, idempotency_key) })
    }

    fn refresh_account<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_refresh(id, features, idempotency_key) })
    }

    fn list_owners<'a>(
        &'a self,
        account_id: &'a str,
        ownership_id: &'a str,
        starting_after: Option<&'a str>,
        limit: Option<u32>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            self.op_list_owners(account_id, Some(ownership_id), starting_after, limit)
        })
    }

    fn list_transactions<'a>(
        &'a self,
        query: &'a ListTransactionsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_list_transactions(query) })
    }

    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_subscribe(id, features, true) })
    }

    fn unsubscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.op_subscribe(id, features, false) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_ids_are_deterministic() {
        let a = InMemoryStripe::new(1);
        let b = InMemoryStripe::new(1);
        assert_eq!(a.publishable_key(), b.publishable_key());
        assert!(a.publishable_key().starts_with("pk_test_"));
        assert!(a.secret_key().starts_with("sk_test_"));
        let ca = a.op_create_customer("x", None).unwrap();
        let cb = b.op_create_customer("x", None).unwrap();
        assert_eq!(ca["id"], cb["id"]);
        assert_ne!(
            ca["id"],
            InMemoryStripe::new(2)
                .op_create_customer("x", None)
                .unwrap()["id"]
        );
    }

    #[test]
    fn idempotent_create_session() {
        let s = InMemoryStripe::new(3);
        let cus = s.op_create_customer("u", None).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let p = CreateSessionParams::for_customer(&cus, &["balances"]);
        let one = s.op_create_session(&p, Some("k")).unwrap();
        let two = s.op_create_session(&p, Some("k")).unwrap();
        assert_eq!(one, two);
        assert_eq!(s.session_count(), 1);
        let other = CreateSessionParams::for_customer(&cus, &["ownership"]);
        let e = s.op_create_session(&other, Some("k")).unwrap_err();
        assert_eq!(e.to_json()["error"]["type"], "idempotency_error");
        let missing = CreateSessionParams::for_customer("cus_nope", &["balances"]);
        assert_eq!(
            s.op_create_session(&missing, None).unwrap_err().status(),
            400
        );
    }

    #[test]
    fn paging() {
        let ids: Vec<String> = (0..5).map(|i| format!("fca_{i}")).collect();
        let (p, more) = InMemoryStripe::page(&ids, None, 2).unwrap();
        assert_eq!((p.len(), more), (2, true));
        let (p, more) = InMemoryStripe::page(&ids, Some("fca_3"), 2).unwrap();
        assert_eq!((p, more), (vec!["fca_4".to_string()], false));
        assert!(InMemoryStripe::page(&ids, Some("fca_x"), 2).is_err());
    }
}
