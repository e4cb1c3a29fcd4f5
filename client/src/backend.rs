//! The client of the app's backend (see `docs/backend-contract.md`) and of Stripe's
//! publishable-key endpoints (the fallback when the backend cannot answer).
//!
//! It owns the calls: which endpoint, which body, retries with exponential backoff and jitter,
//! `Retry-After`, idempotency keys, the host's headers (read again on every attempt), and turning
//! every failure into a typed [`BackendError`]. The bytes travel through the host's
//! [`HttpTransport`]; every rule about them (URLs, headers, redirects, the response cap, timeouts,
//! what an error may say) is [`finconn_core::network::policy`]. What the answers *mean* is decided by
//! [`finconn_core::reconcile`].

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::callback::{HeadersFailure, HeadersWorker};
use finconn_core::data;
use finconn_core::ids::{self, IdKind};
use finconn_core::model::{Account, AccountOwner, List, Session, Transaction};
use finconn_core::network::endpoints::BackendEndpoints;
use finconn_core::network::policy::{self, BaseUrl, PathTemplate, PolicyError};
use finconn_core::network::{HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError};
use finconn_core::options::SessionOptions;
use finconn_core::secret::Secret;

/// How failed calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails with `ServiceUnavailable`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// Backend client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendConfig {
    /// `https://api.example.com` (http only for loopback hosts).
    pub base_url: String,
    pub paths: BackendEndpoints,
    pub connect_timeout: Duration,
    /// Total time for one attempt, body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Stripe's API for the fallback (`https://api.stripe.com`); tests point it at the simulator.
    pub stripe_api_base: String,
    /// The largest answer accepted, in bytes ([`policy::DEFAULT_MAX_RESPONSE_BYTES`]).
    pub max_response_bytes: u64,
}

impl BackendConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        BackendConfig {
            base_url: base_url.into(),
            paths: BackendEndpoints::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            stripe_api_base: "https://api.stripe.com".into(),
            max_response_bytes: policy::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Supplies the headers of every backend call (e.g. the user's current auth token). Called for
/// each attempt, so a token refreshed between retries is picked up. Never called for Stripe.
///
/// It runs on a thread of the client's own ("finconn-headers"), never on the async runtime, and
/// inside the attempt's deadline ([`policy::call_deadline`] of the request timeout): one that has
/// not answered by then fails the attempt with [`BackendError::HeadersTimeout`] and its late
/// answer is dropped. It may block (to refresh a token), for less than the request timeout. While
/// a call is running, the attempts that need headers wait for the next call, which answers them
/// all. A failure ([`HeaderProvider::try_headers`] returns an error, or it panics) is
/// [`BackendError::InvalidConfiguration`], and nothing is sent.
pub trait HeaderProvider: Send + Sync {
    fn headers(&self) -> Vec<(String, String)>;

    /// The headers, or why there are none (a host whose provider can fail: the user is signed
    /// out, a token refresh failed). The reason is never shown or logged: it may hold anything.
    /// The core calls this; the default is [`HeaderProvider::headers`].
    fn try_headers(&self) -> Result<Vec<(String, String)>, String> {
        Ok(self.headers())
    }
}

/// One HTTP exchange, for the host's listeners and for support: which call, which attempt, what
/// status and request id came back (or which error code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub endpoint: &'static str,
    pub attempt: u32,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// `None` for a 2xx answer, else the error's [`BackendError::code`].
    pub error: Option<&'static str>,
}

/// Sees every exchange (the flow client turns them into events).
pub trait CallObserver: Send + Sync {
    fn on_call(&self, record: &CallRecord);
}

/// A failed call, flat. Converted into [`FinConnError`] for the app. Every message is scrubbed
/// ([`policy::scrub`]): no secret, no raw body, no `Location`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The configuration or a value to send breaks the policy (nothing was sent).
    #[error("{0}")]
    InvalidConfiguration(String),
    #[error("cannot reach {endpoint}: {message}")]
    Offline { endpoint: String, message: String },
    #[error("{endpoint} did not answer in time")]
    Timeout { endpoint: String },
    /// The host's headers provider did not answer within the attempt's deadline (nothing was
    /// sent).
    #[error("{endpoint}: the app's headers provider did not answer in time; nothing was sent")]
    HeadersTimeout { endpoint: String },
    #[error("{endpoint}: TLS failure: {message}")]
    Tls { endpoint: String, message: String },
    #[error("{endpoint} answered HTTP {status}{}: {}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().unwrap_or("no error message"))]
    Status {
        endpoint: String,
        status: u16,
        /// The contract's `error.code`.
        code: Option<String>,
        /// The scrubbed, shortened `error.message`.
        message: Option<String>,
        retry_after_ms: Option<u64>,
        request_id: Option<String>,
    },
    /// A 3xx. Redirects are never followed; the `Location` is not kept.
    #[error("{endpoint} answered with a redirect (HTTP {status}); this SDK never follows redirects: configure the final URL")]
    Redirect {
        endpoint: String,
        status: u16,
        request_id: Option<String>,
    },
    /// The answer was larger than the cap.
    #[error("{endpoint}: the answer is larger than {limit} bytes")]
    TooLarge {
        endpoint: String,
        limit: u64,
        request_id: Option<String>,
    },
    #[error("{endpoint} sent a response this SDK cannot read: {message}")]
    InvalidResponse {
        endpoint: String,
        message: String,
        request_id: Option<String>,
    },
    /// The transport reported the call cancelled.
    #[error("{endpoint}: the call was cancelled")]
    Cancelled { endpoint: String },
}

impl From<PolicyError> for BackendError {
    fn from(e: PolicyError) -> Self {
        BackendError::InvalidConfiguration(e.to_string())
    }
}

impl BackendError {
    pub(crate) fn retryable(&self) -> bool {
        match self {
            BackendError::Offline { .. }
            | BackendError::Timeout { .. }
            | BackendError::HeadersTimeout { .. } => true,
            BackendError::Status { status, .. } => *status == 429 || *status >= 500,
            // A garbled body is a transport accident: the idempotency key makes a retry safe.
            BackendError::InvalidResponse { .. } => true,
            BackendError::InvalidConfiguration(_)
            | BackendError::Tls { .. }
            | BackendError::Redirect { .. }
            | BackendError::TooLarge { .. }
            | BackendError::Cancelled { .. } => false,
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            BackendError::Status { status, .. } | BackendError::Redirect { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The server's request id, when it answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            BackendError::Status { request_id, .. }
            | BackendError::Redirect { request_id, .. }
            | BackendError::TooLarge { request_id, .. }
            | BackendError::InvalidResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// A short stable code (`offline`, `redirect`, `too_large`, `http_503`, …).
    pub fn code(&self) -> &'static str {
        match self {
            BackendError::InvalidConfiguration(_) => "invalid_configuration",
            BackendError::Offline { .. } => "offline",
            BackendError::Timeout { .. } => "timeout",
            BackendError::HeadersTimeout { .. } => "headers_timeout",
            BackendError::Tls { .. } => "tls",
            BackendError::Status { status, .. } => match status {
                401 | 403 => "unauthorized",
                429 => "rate_limited",
                500..=599 => "server_error",
                _ => "rejected",
            },
            BackendError::Redirect { .. } => "redirect",
            BackendError::TooLarge { .. } => "too_large",
            BackendError::InvalidResponse { .. } => "invalid_response",
            BackendError::Cancelled { .. } => "cancelled",
        }
    }

    fn invalid(endpoint: &str, message: impl AsRef<str>, request_id: Option<String>) -> Self {
        BackendError::InvalidResponse {
            endpoint: endpoint.into(),
            message: policy::scrub(message.as_ref()),
            request_id,
        }
    }
}

/// What the backend gives for a new session. Secrets stay wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSession {
    pub session_id: String,
    pub client_secret: Secret,
    pub publishable_key: Secret,
    pub stripe_account: Option<String>,
    pub livemode: bool,
    pub report_token: Option<Secret>,
}

/// The app's completion report, as sent to `POST /sessions/{id}/complete` and kept in the outbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionReport {
    /// Also the `Idempotency-Key` of the call: one report per flow, however often it is sent.
    pub report_id: String,
    pub flow_id: String,
    pub session_id: String,
    /// Per-session token from the backend; lets the app ask it to re-check the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_token: Option<String>,
    pub sheet_outcome: String,
    #[serde(default)]
    pub account_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url_status: Option<String>,
}

impl std::fmt::Debug for CompletionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionReport")
            .field("report_id", &self.report_id)
            .field("flow_id", &self.flow_id)
            .field("session_id", &self.session_id)
            .field(
                "report_token",
                &self.report_token.as_ref().map(|_| "[redacted]"),
            )
            .field("sheet_outcome", &self.sheet_outcome)
            .field("account_ids", &self.account_ids)
            .field("error_code", &self.error_code)
            .field("return_url_status", &self.return_url_status)
            .finish()
    }
}

impl CompletionReport {
    /// The report id of a flow's idempotency key.
    pub fn id_for(idempotency_key: &str) -> String {
        format!("{idempotency_key}-complete")
    }

    /// Checks every field that reaches a path, a file name or a header: the ids' shapes, the
    /// report token's, bounded sizes.
    pub fn check(&self) -> Result<(), String> {
        let key = self
            .report_id
            .strip_suffix("-complete")
            .ok_or("the report id does not end in -complete")?;
        ids::check(IdKind::IdempotencyKey, key).map_err(|e| e.to_string())?;
        ids::check(IdKind::Flow, &self.flow_id).map_err(|e| e.to_string())?;
        ids::check(IdKind::Session, &self.session_id).map_err(|e| e.to_string())?;
        if let Some(t) = &self.report_token {
            if !ids::is_valid_report_token(t) {
                return Err("malformed report token".into());
            }
        }
        if self.account_ids.len() > 100
            || self
                .account_ids
                .iter()
                .any(|a| !ids::is_valid(IdKind::Account, a))
        {
            return Err("malformed account ids".into());
        }
        let short = |s: &Option<String>| s.as_ref().is_none_or(|s| s.len() <= 200);
        if self.sheet_outcome.len() > 40
            || !short(&self.error_code)
            || !short(&self.return_url_status)
        {
            return Err("a field is too long".into());
        }
        Ok(())
    }
}

/// An answer of any non-redirect status within the cap (for [`BackendClient::exchange`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("content_type", &self.content_type)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl Exchange {
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The scrubbed `error.code` / message of an error body.
    pub fn error_detail(&self) -> policy::ErrorDetail {
        policy::error_detail(&self.body)
    }
}

/// One page of a list as received: the items, how many bytes the answer had, its request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub list: List<T>,
    /// The answer's size, as received (what the per-call byte cap counts).
    pub bytes: u64,
    pub request_id: Option<String>,
}

impl<T> Page<T> {
    /// The page's length against the `limit` asked for ([`data::check_page_len`]), then every
    /// item's shape; either failing is an invalid response naming the item's field.
    fn check(
        &self,
        endpoint: &'static str,
        limit: u32,
        item: impl Fn(&T) -> Result<(), data::BadField>,
    ) -> Result<(), BackendError> {
        data::check_page_len(self.list.data.len(), limit)
            .map_err(|e| BackendError::invalid(endpoint, e.to_string(), self.request_id.clone()))?;
        for (i, x) in self.list.data.iter().enumerate() {
            item(x).map_err(|e| {
                BackendError::invalid(endpoint, format!("data[{i}].{e}"), self.request_id.clone())
            })?;
        }
        Ok(())
    }
}

/// Which configured endpoint a raw call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPath {
    CreateSession,
    CompleteSession,
    ListAccounts,
    DisconnectAccount,
    Account,
    RefreshAccount,
    AccountOwners,
    AccountTransactions,
    Subscribe,
    Unsubscribe,
}

/// One call as the policy will send it.
pub struct RawCall<'a> {
    /// For errors, logs and events.
    pub endpoint: &'static str,
    pub method: HttpMethod,
    pub path: EndpointPath,
    /// One per `{id}` in the path.
    pub ids: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    /// The JSON body of a POST.
    pub body: Option<&'a [u8]>,
    pub idempotency_key: Option<&'a str>,
}

struct Templates {
    create_session: PathTemplate,
    complete_session: PathTemplate,
    list_accounts: PathTemplate,
    disconnect_account: PathTemplate,
    account: PathTemplate,
    refresh_account: PathTemplate,
    account_owners: PathTemplate,
    account_transactions: PathTemplate,
    subscribe: PathTemplate,
    unsubscribe: PathTemplate,
}

impl Templates {
    fn parse(p: &BackendEndpoints) -> Result<Templates, BackendError> {
        let t = |raw: &str, ids: usize, name: &str| -> Result<PathTemplate, BackendError> {
            let t = PathTemplate::parse(raw)?;
            if t.placeholders() != ids {
                return Err(BackendError::InvalidConfiguration(format!(
                    "endpoint path {name} must have exactly {ids} {{id}} placeholder(s)"
                )));
            }
            Ok(t)
        };
        Ok(Templates {
            create_session: t(&p.create_session, 0, "create_session")?,
            complete_session: t(&p.complete_session, 1, "complete_session")?,
            list_accounts: t(&p.list_accounts, 0, "list_accounts")?,
            disconnect_account: t(&p.disconnect_account, 1, "disconnect_account")?,
            account: t(&p.account, 1, "account")?,
            refresh_account: t(&p.refresh_account, 1, "refresh_account")?,
            account_owners: t(&p.account_owners, 1, "account_owners")?,
            account_transactions: t(&p.account_transactions, 1, "account_transactions")?,
            subscribe: t(&p.subscribe, 1, "subscribe")?,
            unsubscribe: t(&p.unsubscribe, 1, "unsubscribe")?,
        })
    }

    fn get(&self, path: EndpointPath) -> &PathTemplate {
        match path {
            EndpointPath::CreateSession => &self.create_session,
            EndpointPath::CompleteSession => &self.complete_session,
            EndpointPath::ListAccounts => &self.list_accounts,
            EndpointPath::DisconnectAccount => &self.disconnect_account,
            EndpointPath::Account => &self.account,
            EndpointPath::RefreshAccount => &self.refresh_account,
            EndpointPath::AccountOwners => &self.account_owners,
            EndpointPath::AccountTransactions => &self.account_transactions,
            EndpointPath::Subscribe => &self.subscribe,
            EndpointPath::Unsubscribe => &self.unsubscribe,
        }
    }
}

/// Who a request authenticates as.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// The host's headers (the user's token) — backend calls only.
    Host,
    /// `Authorization: Bearer <publishable key>`, `Stripe-Account` — Stripe calls only.
    Stripe {
        key: &'a Secret,
        account: Option<&'a str>,
    },
}

struct Inner {
    config: BackendConfig,
    base: BaseUrl,
    stripe_base: BaseUrl,
    templates: Templates,
    stripe_receipt: PathTemplate,
    stripe_accounts: PathTemplate,
    headers: Option<HeadersWorker>,
    transport: Arc<dyn HttpTransport>,
}

/// The client. Cheap to clone.
#[derive(Clone)]
pub struct BackendClient {
    inner: Arc<Inner>,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for BackendClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendClient")
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl BackendClient {
    /// Checks the configuration against the policy (base URLs, every path, limits) and keeps the
    /// transport. A configuration that could leave the base host is refused here.
    pub fn new(
        config: BackendConfig,
        headers: Option<Arc<dyn HeaderProvider>>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, BackendError> {
        let base = BaseUrl::parse(&config.base_url, "backend base URL")?;
        let stripe_base = BaseUrl::parse(&config.stripe_api_base, "Stripe API base URL")?;
        let templates = Templates::parse(&config.paths)?;
        if config.retry.max_attempts == 0 {
            return Err(BackendError::InvalidConfiguration(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        if config.max_response_bytes < 1024 {
            return Err(BackendError::InvalidConfiguration(
                "max_response_bytes must be at least 1024".into(),
            ));
        }
        if config.request_timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(BackendError::InvalidConfiguration(
                "timeouts must be positive".into(),
            ));
        }
        Ok(BackendClient {
            inner: Arc::new(Inner {
                config,
                base,
                stripe_base,
                templates,
                stripe_receipt: PathTemplate::parse("/v1/link_account_sessions/session_receipt")?,
                stripe_accounts: PathTemplate::parse("/v1/link_account_sessions/list_accounts")?,
                headers: headers.map(HeadersWorker::new),
                transport,
            }),
            observer: None,
        })
    }

    /// The same client, reporting every exchange to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn config(&self) -> &BackendConfig {
        &self.inner.config
    }

    /// The checked base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base
    }

    /// `POST /sessions`: creates (or, for a known key, returns again) the flow's session.
    pub async fn create_session(
        &self,
        options: &SessionOptions,
        idempotency_key: &str,
    ) -> Result<CreatedSession, BackendError> {
        let body = create_session_body(options);
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "create_session",
                method: HttpMethod::Post,
                path: EndpointPath::CreateSession,
                ids: &[],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(idempotency_key),
            })
            .await?;
        parse_created_session(&answer)
            .map_err(|message| BackendError::invalid("create_session", message, request_id))
    }

    /// `POST /sessions/{id}/complete`: sends the report, returns the server's session.
    pub async fn complete_session(
        &self,
        report: &CompletionReport,
    ) -> Result<Session, BackendError> {
        report
            .check()
            .map_err(|m| BackendError::InvalidConfiguration(format!("completion report: {m}")))?;
        if let Some(t) = &report.report_token {
            policy::remember_secret(t);
        }
        let body = serde_json::to_vec(report).unwrap_or_default();
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "complete_session",
                method: HttpMethod::Post,
                path: EndpointPath::CompleteSession,
                ids: &[&report.session_id],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(&report.report_id),
            })
            .await?;
        let session: Session = decode_answer(
            "complete_session",
            &answer,
            Wrapper::Session,
            "not a financial_connections.session",
            request_id.clone(),
        )?;
        check_session_ids("complete_session", &session, request_id)?;
        Ok(session)
    }

    /// `GET /accounts`: the user's linked accounts.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, BackendError> {
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "list_accounts",
                method: HttpMethod::Get,
                path: EndpointPath::ListAccounts,
                ids: &[],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await?;
        let accounts: Vec<Account> = decode_answer(
            "list_accounts",
            &answer,
            Wrapper::Accounts,
            "expected a list of accounts",
            request_id.clone(),
        )?;
        check_accounts("list_accounts", &accounts, request_id)?;
        Ok(accounts)
    }

    /// `POST /accounts/{id}/disconnect`.
    pub async fn disconnect_account(
        &self,
        account_id: &str,
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let body = b"{}".to_vec();
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint: "disconnect_account",
                method: HttpMethod::Post,
                path: EndpointPath::DisconnectAccount,
                ids: &[account_id],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(idempotency_key),
            })
            .await?;
        let account: Account = decode_answer(
            "disconnect_account",
            &answer,
            Wrapper::Account,
            "not a financial_connections.account",
            request_id.clone(),
        )?;
        check_accounts(
            "disconnect_account",
            std::slice::from_ref(&account),
            request_id,
        )?;
        Ok(account)
    }

    /// `GET /accounts/{id}`: the account as Stripe has it now (balance, refresh records).
    pub async fn get_account(&self, account_id: &str) -> Result<Account, BackendError> {
        self.account_call(
            "account",
            HttpMethod::Get,
            EndpointPath::Account,
            account_id,
            None,
            None,
        )
        .await
    }

    /// `POST /accounts/{id}/refresh {"features": [...]}`: starts Stripe's refreshes; the answer
    /// is the account with the refreshes `pending`.
    pub async fn refresh_account(
        &self,
        account_id: &str,
        features: &[&str],
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        let body = features_body(features);
        self.account_call(
            "refresh_account",
            HttpMethod::Post,
            EndpointPath::RefreshAccount,
            account_id,
            Some(&body),
            Some(idempotency_key),
        )
        .await
    }

    /// `POST /accounts/{id}/subscribe` (or `/unsubscribe` when `on` is false).
    pub async fn subscription(
        &self,
        account_id: &str,
        features: &[&str],
        on: bool,
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        let body = features_body(features);
        let (endpoint, path) = if on {
            ("subscribe", EndpointPath::Subscribe)
        } else {
            ("unsubscribe", EndpointPath::Unsubscribe)
        };
        self.account_call(
            endpoint,
            HttpMethod::Post,
            path,
            account_id,
            Some(&body),
            Some(idempotency_key),
        )
        .await
    }

    async fn account_call(
        &self,
        endpoint: &'static str,
        method: HttpMethod,
        path: EndpointPath,
        account_id: &str,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
    ) -> Result<Account, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint,
                method,
                path,
                ids: &[account_id],
                query: &[],
                body,
                idempotency_key,
            })
            .await?;
        let account: Account = decode_answer(
            endpoint,
            &answer,
            Wrapper::Account,
            "not a financial_connections.account",
            request_id.clone(),
        )?;
        check_accounts(endpoint, std::slice::from_ref(&account), request_id.clone())?;
        if account.id != account_id {
            return Err(BackendError::invalid(
                endpoint,
                "the answer is another account",
                request_id,
            ));
        }
        Ok(account)
    }

    /// `GET /accounts/{id}/owners?limit=&starting_after=`: one page of the account's owners. A
    /// page holding more than `limit` owners, or an owner of the wrong shape, is an invalid
    /// response.
    pub async fn owners_page(
        &self,
        account_id: &str,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<AccountOwner>, BackendError> {
        let endpoint = "account_owners";
        let limit = limit.clamp(1, data::PAGE_LIMIT);
        let limit_text = limit.to_string();
        let mut query = vec![("limit", limit_text.as_str())];
        if let Some(after) = starting_after {
            query.push(("starting_after", after));
        }
        let page: Page<AccountOwner> = self
            .list_call(
                endpoint,
                EndpointPath::AccountOwners,
                account_id,
                &query,
                "not a list of owners",
            )
            .await?;
        page.check(endpoint, limit, data::check_owner)?;
        Ok(page)
    }

    /// `GET /accounts/{id}/transactions?limit=&starting_after=&after_refresh=`: one page. A page
    /// holding more than `limit` transactions, or a transaction of the wrong shape or of another
    /// account, is an invalid response.
    pub async fn transactions_page(
        &self,
        account_id: &str,
        after_refresh: Option<&str>,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Page<Transaction>, BackendError> {
        let endpoint = "account_transactions";
        let limit = limit.clamp(1, data::PAGE_LIMIT);
        let limit_text = limit.to_string();
        let mut query = vec![("limit", limit_text.as_str())];
        if let Some(after) = starting_after {
            query.push(("starting_after", after));
        }
        if let Some(r) = after_refresh {
            ids::check(IdKind::TransactionRefresh, r)
                .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
            query.push(("after_refresh", r));
        }
        let page: Page<Transaction> = self
            .list_call(
                endpoint,
                EndpointPath::AccountTransactions,
                account_id,
                &query,
                "not a list of transactions",
            )
            .await?;
        page.check(endpoint, limit, |t| data::check_transaction(t, account_id))?;
        Ok(page)
    }

    async fn list_call<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &'static str,
        path: EndpointPath,
        account_id: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Page<T>, BackendError> {
        ids::check(IdKind::Account, account_id)
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        let (answer, request_id) = self
            .call_json(RawCall {
                endpoint,
                method: HttpMethod::Get,
                path,
                ids: &[account_id],
                query,
                body: None,
                idempotency_key: None,
            })
            .await?;
        let bytes = answer.len() as u64;
        let list = decode_answer(endpoint, &answer, Wrapper::None, what, request_id.clone())?;
        Ok(Page {
            list,
            bytes,
            request_id,
        })
    }

    /// Stripe fallback: the session as Stripe's own SDKs read it after the sheet closes,
    /// `GET /v1/link_account_sessions/session_receipt` then every page of `list_accounts`.
    ///
    /// This is the one place a client secret leaves the process, to Stripe's API and only as
    /// Stripe's API requires (a query parameter, `Authorization: Bearer <publishable key>`); it is
    /// never logged, and the host's headers are never sent to Stripe.
    pub async fn stripe_session_receipt(
        &self,
        client_secret: &Secret,
        publishable_key: &Secret,
        stripe_account: Option<&str>,
    ) -> Result<Session, BackendError> {
        let auth = Auth::Stripe {
            key: publishable_key,
            account: stripe_account,
        };
        let url = self.inner.stripe_base.join(
            "stripe_session_receipt",
            &self.inner.stripe_receipt,
            &[],
            &[("client_secret", client_secret.expose())],
        )?;
        let (receipt, request_id) = self
            .call_url(
                "stripe_session_receipt",
                HttpMethod::Get,
                url,
                None,
                None,
                auth,
            )
            .await?;
        let mut session: Session = decode_answer(
            "stripe_session_receipt",
            &receipt,
            Wrapper::None,
            "not a session",
            request_id.clone(),
        )?;
        check_session_ids("stripe_session_receipt", &session, request_id)?;
        // Page the accounts the way the SDKs do, up to Stripe's 100-account cap.
        let mut has_more = session.accounts.has_more;
        while has_more && session.accounts.data.len() < 100 {
            let after = session
                .accounts
                .data
                .last()
                .map(|a| a.id.clone())
                .unwrap_or_default();
            let mut query = vec![("client_secret", client_secret.expose())];
            if !after.is_empty() {
                query.push(("starting_after", after.as_str()));
            }
            let url = self.inner.stripe_base.join(
                "stripe_list_accounts",
                &self.inner.stripe_accounts,
                &[],
                &query,
            )?;
            let (page, request_id) = self
                .call_url(
                    "stripe_list_accounts",
                    HttpMethod::Get,
                    url,
                    None,
                    None,
                    auth,
                )
                .await?;
            let page: finconn_core::model::List<Account> = decode_answer(
                "stripe_list_accounts",
                &page,
                Wrapper::None,
                "not a list of accounts",
                request_id.clone(),
            )?;
            check_accounts("stripe_list_accounts", &page.data, request_id)?;
            if page.data.is_empty() {
                break;
            }
            has_more = page.has_more;
            session.accounts.data.extend(page.data);
        }
        session.accounts.has_more = has_more;
        Ok(session)
    }

    /// One exchange with a configured endpoint under the full policy, without retries, returning
    /// any non-redirect answer within the cap (4xx and 5xx included). For conformance tools such
    /// as `fc check-backend`; the typed methods above are what apps use.
    pub async fn exchange(&self, call: RawCall<'_>) -> Result<Exchange, BackendError> {
        let url = self.endpoint_url(&call)?;
        self.attempt(
            call.endpoint,
            1,
            call.method,
            &url,
            call.body,
            call.idempotency_key,
            Auth::Host,
        )
        .await
    }

    fn endpoint_url(&self, call: &RawCall<'_>) -> Result<String, BackendError> {
        Ok(self.inner.base.join(
            call.endpoint,
            self.inner.templates.get(call.path),
            call.ids,
            call.query,
        )?)
    }

    /// A configured endpoint, with retries, answering JSON (the body, checked well-formed).
    async fn call_json(
        &self,
        call: RawCall<'_>,
    ) -> Result<(Vec<u8>, Option<String>), BackendError> {
        let url = self.endpoint_url(&call)?;
        self.call_url(
            call.endpoint,
            call.method,
            url,
            call.body,
            call.idempotency_key,
            Auth::Host,
        )
        .await
    }

    /// One call with retries. `idempotency_key` is sent unchanged on every attempt.
    async fn call_url(
        &self,
        endpoint: &'static str,
        method: HttpMethod,
        url: String,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
    ) -> Result<(Vec<u8>, Option<String>), BackendError> {
        let policy_retry = &self.inner.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(endpoint, attempt, method, &url, body, idempotency_key, auth)
                .await
                .and_then(|x| into_json(endpoint, x));
            let err = match outcome {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.retryable() || attempt >= policy_retry.max_attempts {
                crate::errors::log_backend_failure(endpoint, attempt, &err);
                return Err(err);
            }
            let delay = match &err {
                BackendError::Status {
                    retry_after_ms: Some(ms),
                    ..
                } => {
                    let wait = Duration::from_millis(*ms);
                    if wait > policy_retry.max_retry_after {
                        tracing::warn!(
                            endpoint,
                            retry_after_ms = ms,
                            "Retry-After too long, giving up"
                        );
                        return Err(err);
                    }
                    wait
                }
                _ => backoff(policy_retry, attempt),
            };
            crate::errors::log_backend_retry(endpoint, attempt, delay, &err);
            tokio::time::sleep(delay).await;
        }
    }

    /// The headers of one attempt, in order: the host's (asked for under `deadline`, checked,
    /// reserved names dropped) or Stripe's authentication, then the core's. The host's
    /// credentials are remembered for the scrubber ([`policy::remember_header_secret`]).
    async fn headers(
        &self,
        endpoint: &'static str,
        has_body: bool,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<(String, String)>, BackendError> {
        let mut headers = Vec::new();
        match auth {
            Auth::Host => {
                if let Some(provider) = &self.inner.headers {
                    let provided = provider.headers(deadline).await.map_err(|f| match f {
                        HeadersFailure::TimedOut => BackendError::HeadersTimeout {
                            endpoint: endpoint.into(),
                        },
                        HeadersFailure::Failed => BackendError::InvalidConfiguration(format!(
                            "{endpoint}: the app's headers provider failed (it threw or panicked); nothing was sent"
                        )),
                    })?;
                    let (kept, dropped) = policy::host_headers(provided).map_err(|e| {
                        BackendError::InvalidConfiguration(format!("{endpoint}: {e}"))
                    })?;
                    if !dropped.is_empty() {
                        tracing::warn!(endpoint, dropped = ?dropped, "host headers the core sets itself were ignored");
                    }
                    for (name, value) in &kept {
                        policy::remember_header_secret(name, value);
                    }
                    headers = kept;
                }
            }
            Auth::Stripe { key, account } => {
                headers.push(("Authorization".into(), format!("Bearer {}", key.expose())));
                if let Some(account) = account {
                    headers.push(("Stripe-Account".into(), account.to_owned()));
                }
                for (n, v) in &headers {
                    policy::check_header(n, v).map_err(|e| {
                        BackendError::InvalidConfiguration(format!("{endpoint}: {e}"))
                    })?;
                }
            }
        }
        headers.push(("Accept".into(), "application/json".into()));
        if has_body {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        if let Some(key) = idempotency_key {
            policy::check_header("Idempotency-Key", key)
                .map_err(|e| BackendError::InvalidConfiguration(format!("{endpoint}: {e}")))?;
            headers.push(("Idempotency-Key".into(), key.to_owned()));
        }
        Ok(headers)
    }

    /// One exchange under the policy: any non-redirect status within the cap is an [`Exchange`].
    #[allow(clippy::too_many_arguments)]
    async fn attempt(
        &self,
        endpoint: &'static str,
        attempt: u32,
        method: HttpMethod,
        url: &str,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
    ) -> Result<Exchange, BackendError> {
        let config = &self.inner.config;
        // One deadline for the whole attempt: the host's headers provider, then the transport.
        let started = tokio::time::Instant::now();
        let deadline = started + policy::call_deadline(config.request_timeout);
        let result = match self
            .headers(endpoint, body.is_some(), idempotency_key, auth, deadline)
            .await
        {
            Err(e) => Err(e),
            Ok(headers) => {
                // The provider's time counts against the attempt's.
                let timeout = config
                    .request_timeout
                    .saturating_sub(started.elapsed())
                    .max(Duration::from_millis(1));
                let request = HttpRequest {
                    method,
                    url: url.to_owned(),
                    headers,
                    body: body.map(<[u8]>::to_vec),
                    connect_timeout: config.connect_timeout.min(timeout),
                    timeout,
                    max_response_bytes: config.max_response_bytes,
                };
                let sent =
                    tokio::time::timeout_at(deadline, self.inner.transport.send(request)).await;
                match sent {
                    // Dropping the transport's future cancels the host's request.
                    Err(_) => Err(BackendError::Timeout {
                        endpoint: endpoint.into(),
                    }),
                    Ok(Err(e)) => Err(transport_error(endpoint, e, url)),
                    Ok(Ok(response)) => self.check_response(endpoint, response),
                }
            }
        };
        if let Some(observer) = &self.observer {
            let (status, request_id, error) = match &result {
                Ok(x) => (
                    Some(x.status),
                    x.request_id.clone(),
                    (!(200..300).contains(&x.status)).then_some("http_error"),
                ),
                Err(e) => (
                    e.status(),
                    e.request_id().map(str::to_owned),
                    Some(e.code()),
                ),
            };
            observer.on_call(&CallRecord {
                endpoint,
                attempt,
                status,
                request_id,
                error,
            });
        }
        result
    }

    fn check_response(
        &self,
        endpoint: &'static str,
        response: HttpResponse,
    ) -> Result<Exchange, BackendError> {
        let request_id = policy::request_id(&response);
        if policy::is_redirect(response.status) {
            return Err(BackendError::Redirect {
                endpoint: endpoint.into(),
                status: response.status,
                request_id,
            });
        }
        let limit = self.inner.config.max_response_bytes;
        if !policy::within_cap(response.body.len(), limit) {
            return Err(BackendError::TooLarge {
                endpoint: endpoint.into(),
                limit,
                request_id,
            });
        }
        if !(100..=599).contains(&response.status) {
            return Err(BackendError::invalid(
                endpoint,
                format!("HTTP status {} is not a status", response.status),
                request_id,
            ));
        }
        Ok(Exchange {
            status: response.status,
            retry_after: policy::retry_after(&response),
            content_type: response
                .header("content-type")
                .map(|c| policy::scrub(&c.chars().take(100).collect::<String>())),
            body: response.body,
            request_id,
        })
    }
}

/// A 2xx answer's body, checked to be well-formed JSON (a truncated one is retried); any other
/// status as [`BackendError::Status`].
fn into_json(
    endpoint: &'static str,
    x: Exchange,
) -> Result<(Vec<u8>, Option<String>), BackendError> {
    if !(200..300).contains(&x.status) {
        let detail = x.error_detail();
        return Err(BackendError::Status {
            endpoint: endpoint.into(),
            status: x.status,
            code: detail.code,
            message: detail.message,
            retry_after_ms: x.retry_after.map(|d| d.as_millis() as u64),
            request_id: x.request_id,
        });
    }
    let text = std::str::from_utf8(&x.body).map_err(|_| {
        BackendError::invalid(endpoint, "the answer is not UTF-8", x.request_id.clone())
    })?;
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => Ok((x.body, x.request_id)),
        Err(e) => Err(BackendError::invalid(
            endpoint,
            format!("invalid JSON at line {}, column {}", e.line(), e.column()),
            x.request_id,
        )),
    }
}

/// A transport failure, its platform message scrubbed and stripped of the URL.
fn transport_error(endpoint: &'static str, e: TransportError, url: &str) -> BackendError {
    let clean = |m: String| {
        policy::scrub(&m.replace(url, "<url>"))
            .chars()
            .take(300)
            .collect()
    };
    match e {
        TransportError::Offline { reason: m } | TransportError::Other { reason: m } => {
            BackendError::Offline {
                endpoint: endpoint.into(),
                message: clean(m),
            }
        }
        TransportError::Timeout { .. } => BackendError::Timeout {
            endpoint: endpoint.into(),
        },
        TransportError::Tls { reason: m } => BackendError::Tls {
            endpoint: endpoint.into(),
            message: clean(m),
        },
        TransportError::TooLarge { limit } => BackendError::TooLarge {
            endpoint: endpoint.into(),
            limit,
            request_id: None,
        },
        TransportError::Cancelled => BackendError::Cancelled {
            endpoint: endpoint.into(),
        },
    }
}

/// Where the contract lets an answer be wrapped: `{"session": …}`, `{"account": …}`,
/// `{"accounts": […]}` (or a Stripe list's `data`); the bare object is always accepted too.
#[derive(Clone, Copy)]
enum Wrapper {
    None,
    Session,
    Account,
    Accounts,
}

#[derive(Deserialize)]
struct InSession<T> {
    session: T,
}

#[derive(Deserialize)]
struct InAccount<T> {
    account: T,
}

#[derive(Deserialize)]
struct InAccounts<T> {
    accounts: T,
}

#[derive(Deserialize)]
struct InData<T> {
    data: T,
}

/// Reads an answer as `T`, from its wrapper when it has one. Decoded straight from the bytes (no
/// intermediate `serde_json::Value`).
fn decode_answer<T: serde::de::DeserializeOwned>(
    endpoint: &'static str,
    bytes: &[u8],
    wrapper: Wrapper,
    what: &str,
    request_id: Option<String>,
) -> Result<T, BackendError> {
    use serde::de::IgnoredAny;
    // One reader for everything (`from_str`, as snapshots are read): each type's decoder is
    // compiled once, not once per reader.
    use serde_json::from_str as read;
    let bytes = std::str::from_utf8(bytes).map_err(|_| {
        BackendError::invalid(endpoint, format!("{what}: not UTF-8"), request_id.clone())
    })?;
    let has = |probe: Result<(), serde_json::Error>| probe.is_ok();
    let wrapped: Option<Result<T, serde_json::Error>> = match wrapper {
        Wrapper::None => None,
        Wrapper::Session => has(read::<InSession<IgnoredAny>>(bytes).map(drop))
            .then(|| read::<InSession<T>>(bytes).map(|w| w.session)),
        Wrapper::Account => has(read::<InAccount<IgnoredAny>>(bytes).map(drop))
            .then(|| read::<InAccount<T>>(bytes).map(|w| w.account)),
        Wrapper::Accounts => {
            if has(read::<InAccounts<IgnoredAny>>(bytes).map(drop)) {
                Some(read::<InAccounts<T>>(bytes).map(|w| w.accounts))
            } else {
                has(read::<InData<IgnoredAny>>(bytes).map(drop))
                    .then(|| read::<InData<T>>(bytes).map(|w| w.data))
            }
        }
    };
    wrapped
        .unwrap_or_else(|| read::<T>(bytes))
        .map_err(|e| BackendError::invalid(endpoint, format!("{what}: {e}"), request_id))
}

/// `{"features": [...]}`.
fn features_body(features: &[&str]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        features: &'a [&'a str],
    }
    serde_json::to_vec(&Body { features }).unwrap_or_default()
}

/// Every account of an answer checked before it can reach the app ([`data::check_account`]):
/// ids of Stripe's shape, lowercase ISO currency codes. A bad value is an invalid response naming
/// the field.
fn check_accounts(
    endpoint: &'static str,
    accounts: &[Account],
    request_id: Option<String>,
) -> Result<(), BackendError> {
    for a in accounts {
        data::check_account(a)
            .map_err(|e| BackendError::invalid(endpoint, e.to_string(), request_id.clone()))?;
    }
    Ok(())
}

fn check_session_ids(
    endpoint: &'static str,
    session: &Session,
    request_id: Option<String>,
) -> Result<(), BackendError> {
    ids::check(IdKind::Session, &session.id)
        .map_err(|e| BackendError::invalid(endpoint, e.to_string(), request_id.clone()))?;
    // The relink outcome hands these ids to the app.
    if let Some(r) = &session.relink_result {
        let field = |field: &str, kind, id: &Option<String>| match id {
            Some(id) => ids::check(kind, id).map_err(|e| {
                BackendError::invalid(endpoint, format!("{field}: {e}"), request_id.clone())
            }),
            None => Ok(()),
        };
        field("relink_result.account", IdKind::Account, &r.account)?;
        field(
            "relink_result.authorization",
            IdKind::Authorization,
            &r.authorization,
        )?;
    }
    check_accounts(endpoint, &session.accounts.data, request_id)
}

/// Exponential backoff with full jitter: a random delay in [base/2, base], base doubling per attempt.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let base = exp.min(policy.max_backoff);
    let half = base / 2;
    half + Duration::from_nanos(fastrand::u64(
        0..=half.as_nanos().min(u64::MAX as u128) as u64,
    ))
}

fn create_session_body(options: &SessionOptions) -> Vec<u8> {
    #[derive(Serialize)]
    struct Filters<'a> {
        account_subcategories: &'a [finconn_core::model::AccountSubcategory],
    }
    #[derive(Serialize)]
    struct Relink<'a> {
        authorization: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        permissions: &'a [finconn_core::model::Permission],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        prefetch: &'a [finconn_core::model::DataFeature],
        #[serde(skip_serializing_if = "Option::is_none")]
        filters: Option<Filters<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        return_url: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        relink: Option<Relink<'a>>,
    }
    let body = Body {
        permissions: &options.permissions,
        prefetch: &options.prefetch,
        filters: (!options.account_subcategories.is_empty()).then_some(Filters {
            account_subcategories: &options.account_subcategories,
        }),
        return_url: options.return_url.as_deref(),
        relink: options.relink.as_ref().map(|r| Relink {
            authorization: &r.authorization,
            account: r.account.as_deref(),
        }),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Reads every response shape of the contract (ours, and the two of Stripe's guides), and checks
/// the shapes of what will be persisted or put in a path.
fn parse_created_session(bytes: &[u8]) -> Result<CreatedSession, String> {
    /// Every accepted spelling, decoded straight from the bytes.
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default, alias = "sessionId")]
        session_id: Option<String>,
        #[serde(default)]
        id: Option<String>,
        #[serde(
            default,
            alias = "clientSecret",
            alias = "financialConnectionsSessionClientSecret",
            alias = "financial_connections_session_client_secret"
        )]
        client_secret: Option<String>,
        #[serde(default, alias = "publishableKey")]
        publishable_key: Option<String>,
        #[serde(default, alias = "stripeAccount")]
        stripe_account: Option<String>,
        #[serde(default)]
        livemode: Option<bool>,
        #[serde(default, alias = "reportToken")]
        report_token: Option<String>,
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the answer is not UTF-8".to_owned())?;
    let w: Wire = serde_json::from_str(text)
        .map_err(|e| policy::scrub(&format!("not the create-session answer: {e}")))?;
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let client_secret = nonempty(w.client_secret).ok_or("no client_secret in the answer")?;
    let publishable_key = nonempty(w.publishable_key).ok_or("no publishable_key in the answer")?;
    let session_id = nonempty(w.session_id)
        .or_else(|| nonempty(w.id))
        .or_else(|| {
            client_secret
                .split_once("_secret_")
                .map(|(id, _)| id.to_owned())
        })
        .ok_or("no session_id in the answer, and the client secret does not contain one")?;
    ids::check(IdKind::Session, &session_id).map_err(|e| e.to_string())?;
    if client_secret.len() > 512 || !client_secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the client secret is not a Stripe client secret".into());
    }
    if publishable_key.len() > 512 || !publishable_key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the publishable key is not a Stripe key".into());
    }
    let stripe_account = nonempty(w.stripe_account);
    if let Some(a) = &stripe_account {
        if !a.starts_with("acct_")
            || a.len() > 255
            || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err("stripe_account is not a Stripe account id (acct_…)".into());
        }
    }
    let report_token = nonempty(w.report_token);
    if let Some(t) = &report_token {
        if !ids::is_valid_report_token(t) {
            return Err("report_token is not 1 to 512 visible ASCII characters".into());
        }
    }
    // From now on the scrubber redacts them wherever they appear, whatever their shape.
    policy::remember_secret(&client_secret);
    if let Some((_, half)) = client_secret.split_once("_secret_") {
        policy::remember_secret(half);
    }
    policy::remember_secret(&publishable_key);
    if let Some(t) = &report_token {
        policy::remember_secret(t);
    }
    Ok(CreatedSession {
        session_id,
        client_secret: Secret::new(client_secret),
        publishable_key: Secret::new(publishable_key),
        stripe_account,
        livemode: w.livemode.unwrap_or(false),
        report_token: report_token.map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: &Value) -> Result<CreatedSession, String> {
        parse_created_session(&serde_json::to_vec(v).unwrap())
    }

    fn body(o: &SessionOptions) -> Value {
        serde_json::from_slice(&create_session_body(o)).unwrap()
    }

    #[test]
    fn every_documented_response_shape_parses() {
        let ours = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "livemode": true, "report_token": "rt_1", "stripe_account": "acct_1"});
        let s = parse(&ours).unwrap();
        assert_eq!(s.session_id, "fcsess_1");
        assert!(s.livemode);
        assert_eq!(s.stripe_account.as_deref(), Some("acct_1"));
        assert_eq!(s.report_token.unwrap().expose(), "rt_1");
        let guide = json!({"client_secret": "fcsess_2_secret_y", "publishable_key": "pk_test_2"});
        assert_eq!(parse(&guide).unwrap().session_id, "fcsess_2");
        let camel = json!({"financialConnectionsSessionClientSecret": "fcsess_3_secret_z", "publishableKey": "pk_test_3"});
        let s = parse(&camel).unwrap();
        assert_eq!(s.session_id, "fcsess_3");
        assert_eq!(s.publishable_key.expose(), "pk_test_3");
        assert!(parse(&json!({"publishable_key": "pk"}))
            .unwrap_err()
            .contains("client_secret"));
        assert!(parse(&json!({"client_secret": "opaque", "publishable_key": "pk"})).is_err());
    }

    #[test]
    fn hostile_session_ids_and_tokens_are_refused() {
        for id in ["..", ".", "a b", "fcsess_a/b", "fcsess_1%2F..", "../../x"] {
            let v = json!({"session_id": id, "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1"});
            assert!(parse(&v).is_err(), "{id:?}");
        }
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "report_token": "a\nb"});
        assert!(parse(&v).is_err());
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x\r\nX: y", "publishable_key": "pk_test_1"});
        assert!(parse(&v).is_err());
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "stripe_account": "acct_1\r\nX: y"});
        assert!(parse(&v).is_err());
    }

    #[test]
    fn created_session_and_report_debug_redact_secrets() {
        let s = parse(&json!({"client_secret": "fcsess_9_secret_TOPSECRET", "publishable_key": "pk_test_KEY", "report_token": "rt_TOKEN"})).unwrap();
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("TOPSECRET")
                && !debug.contains("pk_test_KEY")
                && !debug.contains("rt_TOKEN"),
            "{debug}"
        );
        let report = CompletionReport {
            report_id: "fcidem_1-complete".into(),
            flow_id: "flow_1".into(),
            session_id: "fcsess_1".into(),
            report_token: Some("rt_TOKEN".into()),
            sheet_outcome: "completed".into(),
            account_ids: vec![],
            error_code: None,
            return_url_status: None,
        };
        assert!(!format!("{report:?}").contains("rt_TOKEN"));
        assert!(report.check().is_ok());
    }

    #[test]
    fn ids_and_currencies_a_session_hands_the_app_are_checked() {
        let session = |extra: Value| -> Session {
            let mut v = json!({"id": "fcsess_1", "object": "financial_connections.session",
                "livemode": false, "permissions": ["balances"],
                "accounts": {"object": "list", "has_more": false, "data": []}});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value(v).unwrap()
        };
        let ok =
            session(json!({"relink_result": {"account": "fca_1", "authorization": "fcauth_1"}}));
        assert!(check_session_ids("complete_session", &ok, None).is_ok());
        for (extra, field) in [
            (
                json!({"relink_result": {"account": "../../x", "authorization": "fcauth_1"}}),
                "relink_result.account",
            ),
            (
                json!({"relink_result": {"authorization": "fcauth_1\r\nX: y"}}),
                "relink_result.authorization",
            ),
            (
                json!({"accounts": {"object": "list", "has_more": false, "data": [{
                    "id": "fca_1", "object": "financial_connections.account", "livemode": false,
                    "created": 1, "institution_name": "Bank", "category": "cash",
                    "subcategory": "checking", "status": "active",
                    "balance": {"as_of": 1, "type": "cash", "current": {"USD": 1}}}]}}),
                "balance.current",
            ),
        ] {
            let e = check_session_ids("complete_session", &session(extra), None).unwrap_err();
            assert!(e.to_string().contains(field), "{e}");
            assert_eq!(e.code(), "invalid_response");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let d = backoff(&p, attempt);
            assert!(d <= p.max_backoff, "{attempt}: {d:?}");
            let base = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(p.max_backoff);
            assert!(d >= base / 2);
        }
    }

    #[test]
    fn create_body_follows_the_contract() {
        let mut o =
            SessionOptions::with_permissions(vec![finconn_core::model::Permission::Balances]);
        assert_eq!(body(&o), json!({"permissions": ["balances"]}));
        o.relink = Some(finconn_core::options::RelinkRequest {
            authorization: "fcauth_1".into(),
            account: None,
            known_account_ids: vec!["fca_9".into()],
        });
        o.account_subcategories = vec![finconn_core::model::AccountSubcategory::Checking];
        o.return_url = Some("myapp://r".into());
        assert_eq!(
            body(&o),
            json!({"permissions": ["balances"], "filters": {"account_subcategories": ["checking"]}, "return_url": "myapp://r", "relink": {"authorization": "fcauth_1"}})
        );
    }

    #[test]
    fn paths_that_leave_the_base_are_refused_at_creation() {
        struct Never;
        impl HttpTransport for Never {
            fn send(
                &self,
                _: HttpRequest,
            ) -> finconn_core::network::BoxFuture<'_, Result<HttpResponse, TransportError>>
            {
                Box::pin(async { Err(TransportError::Cancelled) })
            }
        }
        let mut config = BackendConfig::new("http://127.0.0.1:1");
        config.paths.create_session = "@otherhost:9/x".into();
        assert!(matches!(
            BackendClient::new(config, None, Arc::new(Never)),
            Err(BackendError::InvalidConfiguration(_))
        ));
        let mut config = BackendConfig::new("http://127.0.0.1:1");
        config.paths.complete_session = "/sessions/complete".into();
        assert!(BackendClient::new(config, None, Arc::new(Never)).is_err());
        assert!(BackendClient::new(
            BackendConfig::new("http://dev-machine.invalid:1"),
            None,
            Arc::new(Never)
        )
        .is_err());
    }
}
