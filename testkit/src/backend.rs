//! The merchant backend of `docs/backend-contract.md`, over any [`StripeApi`]: create session
//! (idempotent per user and `Idempotency-Key`), completion report (report-token check, the
//! session re-read from Stripe — never from the report —, idempotent account upsert per user,
//! distinct reports counted), list accounts (refreshed from Stripe), disconnect, and the account
//! data routes (retrieve, refresh, owners, transactions, subscribe / unsubscribe), each only for
//! the signed-in user's accounts. Also the paths and the alternative response shapes the contract
//! allows, so tests can exercise each one.

mod data;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::http::{Request, Response};
use crate::ids::{lock, IdGen};
use crate::stripe::{
    list_all_accounts, retrieve_session_with_accounts, AccountHolder, CreateSessionParams,
    ListAccountsQuery, RelinkOptions, StripeApi, StripeError,
};

/// The user of requests without an `Authorization` header (when tokens are not required).
pub const DEFAULT_USER: &str = "default";

/// The backend's paths; `{session_id}` and `{account_id}` are placeholders for one segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendPaths {
    pub create_session: String,
    pub complete: String,
    pub list_accounts: String,
    pub disconnect: String,
    /// `GET`: `{"account": <financial_connections.account>}`.
    pub account: String,
    /// `POST {"features": [...]}`: `{"account": …}` with those refreshes pending.
    pub refresh: String,
    /// `GET ?starting_after=&limit=`: a Stripe list of the account's current owners.
    pub owners: String,
    /// `GET ?starting_after=&limit=&after_refresh=`: a Stripe list of transactions.
    pub transactions: String,
    /// `POST {"features": ["transactions"]}`: `{"account": …}`.
    pub subscribe: String,
    /// `POST {"features": ["transactions"]}`: `{"account": …}`.
    pub unsubscribe: String,
}

impl Default for BackendPaths {
    fn default() -> Self {
        BackendPaths {
            create_session: "/financial-connections/sessions".into(),
            complete: "/financial-connections/sessions/{session_id}/complete".into(),
            list_accounts: "/financial-connections/accounts".into(),
            disconnect: "/financial-connections/accounts/{account_id}/disconnect".into(),
            account: "/financial-connections/accounts/{account_id}".into(),
            refresh: "/financial-connections/accounts/{account_id}/refresh".into(),
            owners: "/financial-connections/accounts/{account_id}/owners".into(),
            transactions: "/financial-connections/accounts/{account_id}/transactions".into(),
            subscribe: "/financial-connections/accounts/{account_id}/subscribe".into(),
            unsubscribe: "/financial-connections/accounts/{account_id}/unsubscribe".into(),
        }
    }
}

impl BackendPaths {
    /// `template` with its placeholder replaced by `value`.
    pub fn fill(template: &str, value: &str) -> String {
        template
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    value
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The create-session answer's shape (all accepted by the contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreateSessionShape {
    /// `{session_id, client_secret, publishable_key, stripe_account, livemode, report_token}`.
    #[default]
    Standard,
    /// `{client_secret, publishable_key}` only (no report token is issued or checked).
    SecretOnly,
    /// Stripe's guides: `{financialConnectionsSessionClientSecret, publishableKey}` (no report token).
    StripeGuide,
    /// `{sessionId, clientSecret, publishableKey, stripeAccount, livemode, reportToken}`.
    CamelCase,
}

/// The list-accounts answer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListAccountsShape {
    /// `{"accounts": [...]}`.
    #[default]
    Wrapped,
    /// A Stripe list `{"object": "list", "data": [...], "has_more": false, "url": …}`.
    StripeList,
}

/// The shape of backend error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorShape {
    /// `{"error": {"code": "...", "message": "..."}}`.
    #[default]
    Nested,
    /// `{"error": "..."}`.
    Flat,
    /// `{"message": "..."}`.
    Message,
}

/// How the backend words its answers; change it at run time with `Simulator::set_shapes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseShapes {
    pub create_session: CreateSessionShape,
    /// `200` (default) or `201` for a created session.
    pub create_status: u16,
    /// Answer the completion report with the bare session instead of `{"session": …}`.
    pub complete_bare: bool,
    pub list_accounts: ListAccountsShape,
    /// Answer a disconnect with the bare account instead of `{"account": …}`.
    pub disconnect_bare: bool,
    pub errors: ErrorShape,
}

impl Default for ResponseShapes {
    fn default() -> Self {
        ResponseShapes {
            create_session: CreateSessionShape::Standard,
            create_status: 200,
            complete_bare: false,
            list_accounts: ListAccountsShape::Wrapped,
            disconnect_bare: false,
            errors: ErrorShape::Nested,
        }
    }
}

/// A recognised backend route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BackendRoute {
    CreateSession,
    Complete(String),
    ListAccounts,
    Disconnect(String),
    Account(String),
    Refresh(String),
    Owners(String),
    Transactions(String),
    Subscribe(String),
    Unsubscribe(String),
}

/// Matches `segments` against a path template; `Some(placeholder value)` (or `Some("")` when the
/// template has none) on a match.
fn match_template(template: &str, segments: &[String]) -> Option<String> {
    let t: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    if t.len() != segments.len() {
        return None;
    }
    let mut captured = String::new();
    for (pat, seg) in t.iter().zip(segments) {
        if pat.starts_with('{') && pat.ends_with('}') {
            if seg.is_empty() {
                return None;
            }
            captured = seg.clone();
        } else if pat != seg {
            return None;
        }
    }
    Some(captured)
}

struct StoredAnswer {
    request: Value,
    status: u16,
    body: Value,
}

struct BackendSession {
    user: String,
    report_token: Option<String>,
}

#[derive(Default)]
struct BackendState {
    customers: HashMap<String, String>,
    idempotency: HashMap<(String, String), StoredAnswer>,
    sessions: HashMap<String, BackendSession>,
    sessions_created: usize,
    /// Distinct accepted reports per session, in arrival order: (report_id, body).
    reports: HashMap<String, Vec<(String, Value)>>,
    /// The user's accounts, in first-link order.
    accounts: HashMap<String, Vec<Value>>,
}

/// The merchant backend.
pub(crate) struct Backend {
    stripe: Arc<dyn StripeApi>,
    publishable_key: String,
    ids: IdGen,
    paths: BackendPaths,
    shapes: Mutex<ResponseShapes>,
    allowed_tokens: Option<Vec<String>>,
    state: Mutex<BackendState>,
    /// Serialises the mutating calls, so two concurrent retries with one key cannot both create.
    gate: tokio::sync::Mutex<()>,
}

type Answer = Result<Response, Response>;

fn user_ref(user: &str) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    user.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

impl Backend {
    pub(crate) fn new(
        stripe: Arc<dyn StripeApi>,
        publishable_key: String,
        seed: u64,
        paths: BackendPaths,
        shapes: ResponseShapes,
        allowed_tokens: Option<Vec<String>>,
    ) -> Self {
        Backend {
            stripe,
            publishable_key,
            ids: IdGen::new(seed, 0x6261_636b),
            paths,
            shapes: Mutex::new(shapes),
            allowed_tokens,
            state: Mutex::new(BackendState::default()),
            gate: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn set_shapes(&self, shapes: ResponseShapes) {
        *lock(&self.shapes) = shapes;
    }

    fn shapes(&self) -> ResponseShapes {
        *lock(&self.shapes)
    }

    pub(crate) fn route(&self, method: &str, segments: &[String]) -> Option<BackendRoute> {
        let p = &self.paths;
        type Make = fn(String) -> BackendRoute;
        let candidates: &[(&String, Make)] = match method {
            "POST" => &[
                (&p.create_session, |_| BackendRoute::CreateSession),
                (&p.complete, BackendRoute::Complete),
                (&p.disconnect, BackendRoute::Disconnect),
                (&p.refresh, BackendRoute::Refresh),
                (&p.subscribe, BackendRoute::Subscribe),
                (&p.unsubscribe, BackendRoute::Unsubscribe),
            ],
            "GET" => &[
                (&p.list_accounts, |_| BackendRoute::ListAccounts),
                (&p.account, BackendRoute::Account),
                (&p.owners, BackendRoute::Owners),
                (&p.transactions, BackendRoute::Transactions),
            ],
            _ => &[],
        };
        candidates
            .iter()
            .find_map(|(template, make)| match_template(template, segments).map(make))
    }

    // ---- counters -------------------------------------------------------------------------

    pub(crate) fn sessions_created(&self) -> usize {
        lock(&self.state).sessions_created
    }

    pub(crate) fn reports(&self, session_id: &str) -> Vec<Value> {
        lock(&self.state)
            .reports
            .get(session_id)
            .map(|r| r.iter().map(|(_, v)| v.clone()).collect())
            .unwrap_or_default()
    }

    pub(crate) fn report_token(&self, session_id: &str) -> Option<String> {
        lock(&self.state)
            .sessions
            .get(session_id)
            .and_then(|s| s.report_token.clone())
    }

    pub(crate) fn user_accounts(&self, user: &str) -> Vec<Value> {
        lock(&self.state)
            .accounts
            .get(user)
            .cloned()
            .unwrap_or_default()
    }

    // ---- helpers --------------------------------------------------------------------------

    pub(crate) fn error(&self, status: u16, code: &str, message: &str) -> Response {
        let body = match self.shapes().errors {
            ErrorShape::Nested => json!({"error": {"code": code, "message": message}}),
            ErrorShape::Flat => json!({ "error": message }),
            ErrorShape::Message => json!({ "message": message }),
        };
        Response::json(status, &body)
    }

    /// Maps a Stripe failure: the app's bad parameters are `400`, everything else (Stripe down,
    /// rate limited, misconfigured key) is a retryable `502`.
    fn stripe_error(&self, e: &StripeError) -> Response {
        match e {
            StripeError::Api {
                status, message, ..
            } if (400..500).contains(status) && ![401, 403, 429].contains(status) => {
                self.error(400, "stripe_invalid_request", message)
            }
            other => self.error(502, "stripe_unavailable", &other.to_string()),
        }
    }

    fn user(&self, req: &Request) -> Result<String, Response> {
        let token = req.header("authorization").map(|v| {
            let v = v.trim();
            match v.split_once(' ') {
                Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim().to_string(),
                _ => v.to_string(),
            }
        });
        match (&self.allowed_tokens, token) {
            (None, None) => Ok(DEFAULT_USER.to_string()),
            (None, Some(t)) if !t.is_empty() => Ok(t),
            (None, Some(_)) => Ok(DEFAULT_USER.to_string()),
            (Some(allowed), Some(t)) if allowed.contains(&t) => Ok(t),
            (Some(_), _) => Err(self.error(401, "unauthorized", "missing or unknown user token")),
        }
    }

    fn json_body(&self, req: &Request) -> Result<Value, Response> {
        if req.body.is_empty() {
            return Ok(json!({}));
        }
        serde_json::from_slice(&req.body)
            .map_err(|_| self.error(400, "invalid_json", "the request body is not valid JSON"))
    }

    /// The signed-in user, when `account_id` is one of their accounts; another user's account is
    /// as unknown as one that does not exist (`404 account_not_found`).
    fn owner_of(&self, account_id: &str, req: &Request) -> Result<String, Response> {
        let user = self.user(req)?;
        let owned = lock(&self.state)
            .accounts
            .get(&user)
            .is_some_and(|a| a.iter().any(|x| id_of(x) == Some(account_id)));
        if owned {
            Ok(user)
        } else {
            Err(self.error(404, "account_not_found", "no such account for this user"))
        }
    }

    /// Keeps the user's copy of an account Stripe just answered.
    fn store_account(&self, user: &str, account: &Value) {
        upsert(
            lock(&self.state)
                .accounts
                .entry(user.to_string())
                .or_default(),
            vec![account.clone()],
        );
    }

    async fn customer_for(&self, user: &str) -> Result<String, Response> {
        if let Some(c) = lock(&self.state).customers.get(user) {
            return Ok(c.clone());
        }
        let r = user_ref(user);
        let customer = self
            .stripe
            .create_customer(
                &format!("finconn simulator user {r}"),
                Some(&format!("fcsim-customer-{r}")),
            )
            .await
            .map_err(|e| self.stripe_error(&e))?;
        let id = id_of(&customer)
            .ok_or_else(|| self.error(502, "stripe_unavailable", "customer without id"))?
            .to_string();
        lock(&self.state)
            .customers
            .insert(user.to_string(), id.clone());
        Ok(id)
    }

    pub(crate) async fn handle(&self, route: &BackendRoute, req: &Request) -> Response {
        let r = match route {
            BackendRoute::CreateSession => self.create_session(req).await,
            BackendRoute::Complete(id) => self.complete(id, req).await,
            BackendRoute::ListAccounts => self.list_accounts(req).await,
            BackendRoute::Disconnect(id) => self.disconnect(id, req).await,
            BackendRoute::Account(id) => self.account(id, req).await,
            BackendRoute::Refresh(id) => self.refresh(id, req).await,
            BackendRoute::Owners(id) => self.owners(id, req).await,
            BackendRoute::Transactions(id) => self.transactions(id, req).await,
            BackendRoute::Subscribe(id) => self.subscription(id, req, true).await,
            BackendRoute::Unsubscribe(id) => self.subscription(id, req, false).await,
        };
        r.unwrap_or_else(|e| e)
    }

    // ---- POST /financial-connections/sessions ---------------------------------------------

    fn parse_create(&self, body: &Value) -> Result<CreateSessionParams, Response> {
        let bad = |m: &str| self.error(400, "invalid_request", m);
        let strings = |v: &Value, name: &str| -> Result<Vec<String>, Response> {
            v.as_array()
                .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_string)).collect())
                .ok_or_else(|| bad(&format!("`{name}` must be an array of strings")))
        };
        let permissions = match body.get("permissions") {
            Some(v) => strings(v, "permissions")?,
            None => return Err(bad("`permissions` is required")),
        };
        if permissions.is_empty() {
            return Err(bad("`permissions` must not be empty"));
        }
        let prefetch = match body.get("prefetch") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => strings(v, "prefetch")?,
        };
        let account_subcategories = match body
            .get("filters")
            .and_then(|f| f.get("account_subcategories"))
        {
            None | Some(Value::Null) => None,
            Some(v) => Some(strings(v, "filters.account_subcategories")?),
        };
        let return_url = match body.get("return_url") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => return Err(bad("`return_url` must be a non-empty string")),
        };
        let relink_options = match body.get("relink") {
            None | Some(Value::Null) => None,
            Some(r) => {
                let authorization = r
                    .get("authorization")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| bad("`relink.authorization` is required"))?;
                let account = match r.get("account") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                    Some(_) => return Err(bad("`relink.account` must be a string")),
                };
                Some(RelinkOptions {
                    authorization: authorization.to_string(),
                    account,
                })
            }
        };
        Ok(CreateSessionParams {
            // Set by the caller once the user's customer is known.
            account_holder: AccountHolder::Customer(String::new()),
            permissions,
            prefetch,
            account_subcategories,
            return_url,
            relink_options,
        })
    }

    async fn create_session(&self, req: &Request) -> Answer {
        let user = self.user(req)?;
        let key = req
            .header("idempotency-key")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                self.error(
                    400,
                    "idempotency_key_missing",
                    "the Idempotency-Key header is required",
                )
            })?
            .to_string();
        let body = self.json_body(req)?;
        let _gate = self.gate.lock().await;
        if let Some(stored) = lock(&self.state)
            .idempotency
            .get(&(user.clone(), key.clone()))
        {
            if stored.request != body {
                return Err(self.error(
                    400,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used with a different request body",
                ));
            }
            return Ok(Response::json(stored.status, &stored.body));
        }
        let mut params = self.parse_create(&body)?;
        let customer = self.customer_for(&user).await?;
        params.account_holder = AccountHolder::Customer(customer);
        let mut stripe_key = format!("fcsim-{}-{key}", user_ref(&user));
        truncate_at_char(&mut stripe_key, 255);
        let session = self
            .stripe
            .create_session(&params, Some(&stripe_key))
            .await
            .map_err(|e| self.stripe_error(&e))?;
        let session_id = id_of(&session)
            .ok_or_else(|| self.error(502, "stripe_unavailable", "session without id"))?
            .to_string();
        let client_secret = session
            .get("client_secret")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let livemode = session
            .get("livemode")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let shapes = self.shapes();
        let report_token = format!("rt_{}", self.ids.token(32));
        let (answer, report_token) = match shapes.create_session {
            CreateSessionShape::Standard => (
                json!({
                    "session_id": session_id,
                    "client_secret": client_secret,
                    "publishable_key": self.publishable_key,
                    "stripe_account": null,
                    "livemode": livemode,
                    "report_token": report_token,
                }),
                Some(report_token),
            ),
            CreateSessionShape::CamelCase => (
                json!({
                    "sessionId": session_id,
                    "clientSecret": client_secret,
                    "publishableKey": self.publishable_key,
                    "stripeAccount": null,
                    "livemode": livemode,
                    "reportToken": report_token,
                }),
                Some(report_token),
            ),
            CreateSessionShape::SecretOnly => (
                json!({"client_secret": client_secret, "publishable_key": self.publishable_key}),
                None,
            ),
            CreateSessionShape::StripeGuide => (
                json!({
                    "financialConnectionsSessionClientSecret": client_secret,
                    "publishableKey": self.publishable_key,
                }),
                None,
            ),
        };
        let status = shapes.create_status;
        let mut st = lock(&self.state);
        if !st.sessions.contains_key(&session_id) {
            st.sessions_created += 1;
        }
        st.sessions.insert(
            session_id,
            BackendSession {
                user: user.clone(),
                report_token,
            },
        );
        st.idempotency.insert(
            (user, key),
            StoredAnswer {
                request: body,
                status,
                body: answer.clone(),
            },
        );
        Ok(Response::json(status, &answer))
    }

    // ---- POST /financial-connections/sessions/{id}/complete -------------------------------

    async fn complete(&self, session_id: &str, req: &Request) -> Answer {
        let user = self.user(req)?;
        let _gate = self.gate.lock().await;
        let expected_token = {
            let st = lock(&self.state);
            match st.sessions.get(session_id) {
                Some(s) if s.user == user => s.report_token.clone(),
                // Another user's session is as unknown as a session that does not exist.
                _ => {
                    return Err(self.error(
                        404,
                        "session_not_found",
                        "no such session for this user",
                    ))
                }
            }
        };
        let body = self.json_body(req)?;
        let report_id = req
            .header("idempotency-key")
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .or_else(|| {
                body.get("report_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .ok_or_else(|| {
                self.error(
                    400,
                    "report_id_missing",
                    "an Idempotency-Key or report_id is required",
                )
            })?;
        if let Some(expected) = expected_token {
            if body.get("report_token").and_then(Value::as_str) != Some(expected.as_str()) {
                return Err(self.error(
                    403,
                    "invalid_report_token",
                    "wrong or missing report_token",
                ));
            }
        }
        // The truth comes from Stripe, never from the report.
        let mut session = retrieve_session_with_accounts(self.stripe.as_ref(), session_id)
            .await
            .map_err(|e| self.stripe_error(&e))?;
        if let Some(o) = session.as_object_mut() {
            o.remove("client_secret");
        }
        let accounts: Vec<Value> = session["accounts"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        {
            let mut st = lock(&self.state);
            upsert(st.accounts.entry(user).or_default(), accounts);
            let reports = st.reports.entry(session_id.to_string()).or_default();
            if !reports.iter().any(|(id, _)| *id == report_id) {
                reports.push((report_id, body));
            }
        }
        let answer = if self.shapes().complete_bare {
            session
        } else {
            json!({ "session": session })
        };
        Ok(Response::json(200, &answer))
    }

    // ---- GET /financial-connections/accounts ----------------------------------------------

    async fn list_accounts(&self, req: &Request) -> Answer {
        let user = self.user(req)?;
        let customer = lock(&self.state).customers.get(&user).cloned();
        let mut accounts = self.user_accounts(&user);
        if let (Some(customer), false) = (customer, accounts.is_empty()) {
            let fresh = list_all_accounts(
                self.stripe.as_ref(),
                &ListAccountsQuery::for_customer(customer),
            )
            .await
            .map_err(|e| self.stripe_error(&e))?;
            let mut st = lock(&self.state);
            let stored = st.accounts.entry(user).or_default();
            upsert_existing(stored, fresh);
            accounts = stored.clone();
        }
        let answer = match self.shapes().list_accounts {
            ListAccountsShape::Wrapped => json!({ "accounts": accounts }),
            ListAccountsShape::StripeList => json!({
                "object": "list",
                "data": accounts,
                "has_more": false,
                "url": self.paths.list_accounts,
            }),
        };
        Ok(Response::json(200, &answer))
    }

    // ---- POST /financial-connections/accounts/{id}/disconnect -----------------------------

    async fn disconnect(&self, account_id: &str, req: &Request) -> Answer {
        let user = self.owner_of(account_id, req)?;
        let _gate = self.gate.lock().await;
        let stripe_key = stripe_key(&user, req);
        let account = self
            .stripe
            .disconnect_account(account_id, stripe_key.as_deref())
            .await
            .map_err(|e| self.stripe_error(&e))?;
        self.store_account(&user, &account);
        let answer = if self.shapes().disconnect_bare {
            account
        } else {
            json!({ "account": account })
        };
        Ok(Response::json(200, &answer))
    }
}

/// The Stripe idempotency key derived from the request's `Idempotency-Key` (per user).
fn stripe_key(user: &str, req: &Request) -> Option<String> {
    req.header("idempotency-key").map(|k| {
        let mut s = format!("fcsim-{}-{}", user_ref(user), k.trim());
        truncate_at_char(&mut s, 255);
        s
    })
}

/// Truncates to at most `max` bytes, on a character boundary (header values may be any UTF-8).
fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() > max {
        let cut = (0..=max)
            .rev()
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        s.truncate(cut);
    }
}

/// Update-or-create by account id, keeping first-link order.
fn upsert(stored: &mut Vec<Value>, accounts: Vec<Value>) {
    for a in accounts {
        let Some(id) = id_of(&a).map(str::to_string) else {
            continue;
        };
        match stored.iter_mut().find(|x| id_of(x) == Some(id.as_str())) {
            Some(slot) => *slot = a,
            None => stored.push(a),
        }
    }
}

/// Update only the accounts already stored.
fn upsert_existing(stored: &mut [Value], fresh: Vec<Value>) {
    for a in fresh {
        if let Some(slot) = stored.iter_mut().find(|x| id_of(x) == id_of(&a)) {
            *slot = a;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn templates_match_one_segment() {
        let p = BackendPaths::default();
        assert_eq!(
            match_template(
                &p.complete,
                &segs("/financial-connections/sessions/fcsess_1/complete")
            ),
            Some("fcsess_1".into())
        );
        assert_eq!(
            match_template(
                &p.complete,
                &segs("/financial-connections/sessions/complete")
            ),
            None
        );
        assert_eq!(
            match_template(&p.create_session, &segs("/financial-connections/sessions")),
            Some(String::new())
        );
        assert_eq!(
            match_template(
                &p.create_session,
                &segs("/financial-connections/sessions/x")
            ),
            None
        );
    }

    #[test]
    fn upsert_is_update_or_create() {
        let mut s = vec![json!({"id": "fca_1", "status": "active"})];
        upsert(
            &mut s,
            vec![
                json!({"id": "fca_2"}),
                json!({"id": "fca_1", "status": "inactive"}),
            ],
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0]["status"], "inactive");
        upsert_existing(
            &mut s,
            vec![json!({"id": "fca_3"}), json!({"id": "fca_2", "x": 1})],
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[1]["x"], 1);
    }

    #[test]
    fn stripe_keys_are_cut_on_a_character_boundary() {
        let mut s = "é".repeat(200);
        truncate_at_char(&mut s, 255);
        assert_eq!(s.len(), 254);
        let mut short = "abc".to_string();
        truncate_at_char(&mut short, 255);
        assert_eq!(short, "abc");
    }

    #[test]
    fn templates_are_filled() {
        let p = BackendPaths::default();
        assert_eq!(
            BackendPaths::fill(&p.owners, "fca_1"),
            "/financial-connections/accounts/fca_1/owners"
        );
        assert_eq!(
            BackendPaths::fill(&p.list_accounts, "x"),
            "/financial-connections/accounts"
        );
    }

    #[test]
    fn account_data_routes() {
        let b = Backend::new(
            Arc::new(crate::stripe::InMemoryStripe::new(1)),
            String::new(),
            1,
            BackendPaths::default(),
            ResponseShapes::default(),
            None,
        );
        let r = |m: &str, p: &str| b.route(m, &segs(p));
        let base = "/financial-connections/accounts";
        assert_eq!(r("GET", base), Some(BackendRoute::ListAccounts));
        assert_eq!(
            r("GET", &format!("{base}/fca_1")),
            Some(BackendRoute::Account("fca_1".into()))
        );
        assert_eq!(
            r("POST", &format!("{base}/fca_1/refresh")),
            Some(BackendRoute::Refresh("fca_1".into()))
        );
        assert_eq!(
            r("GET", &format!("{base}/fca_1/owners")),
            Some(BackendRoute::Owners("fca_1".into()))
        );
        assert_eq!(
            r("GET", &format!("{base}/fca_1/transactions")),
            Some(BackendRoute::Transactions("fca_1".into()))
        );
        assert_eq!(
            r("POST", &format!("{base}/fca_1/subscribe")),
            Some(BackendRoute::Subscribe("fca_1".into()))
        );
        assert_eq!(
            r("POST", &format!("{base}/fca_1/unsubscribe")),
            Some(BackendRoute::Unsubscribe("fca_1".into()))
        );
        assert_eq!(r("POST", &format!("{base}/fca_1")), None);
        assert_eq!(r("GET", &format!("{base}/fca_1/refresh")), None);
    }

    #[test]
    fn user_refs_hide_tokens() {
        let r = user_ref("secret-session-token");
        assert_eq!(r.len(), 16);
        assert!(!r.contains("secret"));
        assert_eq!(r, user_ref("secret-session-token"));
    }
}
