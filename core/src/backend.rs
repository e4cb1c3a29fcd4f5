//! The HTTP client for the app's backend (see `docs/backend-contract.md`) and for Stripe's
//! publishable-key endpoints (the fallback when the backend cannot answer).
//!
//! It owns transport concerns only: timeouts, retries with exponential backoff and jitter,
//! `Retry-After`, idempotency keys, the host's headers, https enforcement, and turning every failure
//! into a typed [`BackendError`]. What the answers *mean* is decided by [`crate::reconcile`].

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Error;
use crate::model::{Account, Session};
use crate::options::SessionOptions;
use crate::secret::Secret;

/// Where the backend's endpoints live, relative to the base URL. `{id}` is replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendPaths {
    pub create_session: String,
    pub complete_session: String,
    pub list_accounts: String,
    pub disconnect_account: String,
}

impl Default for BackendPaths {
    fn default() -> Self {
        BackendPaths {
            create_session: "/financial-connections/sessions".into(),
            complete_session: "/financial-connections/sessions/{id}/complete".into(),
            list_accounts: "/financial-connections/accounts".into(),
            disconnect_account: "/financial-connections/accounts/{id}/disconnect".into(),
        }
    }
}

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
    pub paths: BackendPaths,
    pub connect_timeout: Duration,
    /// Total time for one attempt, body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Stripe's API for the fallback (`https://api.stripe.com`); tests point it at the simulator.
    pub stripe_api_base: String,
}

impl BackendConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        BackendConfig {
            base_url: base_url.into(),
            paths: BackendPaths::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            stripe_api_base: "https://api.stripe.com".into(),
        }
    }
}

/// Supplies the headers of every backend call (e.g. the user's current auth token). Called once
/// per attempt, so a token refreshed between retries is picked up.
pub trait HeaderProvider: Send + Sync {
    fn headers(&self) -> Vec<(String, String)>;
}

/// A transport failure, flat. Converted into [`Error`] for the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    InvalidConfiguration(String),
    #[error("cannot reach {endpoint}: {message}")]
    Offline { endpoint: String, message: String },
    #[error("{endpoint} did not answer in time")]
    Timeout { endpoint: String },
    #[error("{endpoint} answered HTTP {status}: {message}")]
    Status {
        endpoint: String,
        status: u16,
        message: String,
        retry_after_ms: Option<u64>,
    },
    #[error("{endpoint} sent a response this SDK cannot read: {message}")]
    InvalidResponse { endpoint: String, message: String },
}

impl BackendError {
    fn retryable(&self) -> bool {
        match self {
            BackendError::Offline { .. } | BackendError::Timeout { .. } => true,
            BackendError::Status { status, .. } => *status == 429 || *status >= 500,
            // A truncated or garbled body is a transport accident: the idempotency key makes a
            // retry safe.
            BackendError::InvalidResponse { .. } => true,
            BackendError::InvalidConfiguration(_) => false,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            BackendError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<BackendError> for Error {
    fn from(e: BackendError) -> Self {
        let message = e.to_string();
        match e {
            BackendError::InvalidConfiguration(_) => Error::InvalidConfiguration { message },
            BackendError::Offline { .. } => Error::Offline { message },
            BackendError::Timeout { .. } => Error::Timeout { message },
            BackendError::Status {
                status,
                retry_after_ms,
                ..
            } => match status {
                401 | 403 => Error::Unauthorized { status, message },
                429 | 500..=599 => Error::ServiceUnavailable {
                    status: Some(status),
                    message,
                    retry_after_ms,
                },
                _ => Error::Rejected { status, message },
            },
            BackendError::InvalidResponse { .. } => Error::Other { message },
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionReport {
    /// Also the `Idempotency-Key` of the call: one report per flow, however often it is sent.
    pub report_id: String,
    pub flow_id: String,
    pub session_id: String,
    /// Per-session token from the backend; lets the app ask it to re-check the session. Not a
    /// Stripe secret.
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

/// The client. Cheap to clone; one underlying connection pool.
#[derive(Clone)]
pub struct BackendClient {
    config: Arc<BackendConfig>,
    headers: Option<Arc<dyn HeaderProvider>>,
    http: Arc<OnceLock<reqwest::Client>>,
}

impl std::fmt::Debug for BackendClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendClient")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

/// True for `https`, and for `http` on a loopback host.
pub fn check_base_url(raw: &str, what: &str) -> Result<url::Url, BackendError> {
    let url = url::Url::parse(raw).map_err(|e| {
        BackendError::InvalidConfiguration(format!("{what} {raw:?} is not a URL: {e}"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BackendError::InvalidConfiguration(format!(
            "{what} must not contain credentials; pass them as headers"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BackendError::InvalidConfiguration(format!(
            "{what} must not have a query or fragment"
        )));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(BackendError::InvalidConfiguration(format!(
            "{what} must use https (plain http is allowed only for loopback during development): {raw}"
        ))),
        other => Err(BackendError::InvalidConfiguration(format!(
            "{what} must be an https URL, not {other}:"
        ))),
    }
}

impl BackendClient {
    pub fn new(
        config: BackendConfig,
        headers: Option<Arc<dyn HeaderProvider>>,
    ) -> Result<Self, BackendError> {
        check_base_url(&config.base_url, "backend base URL")?;
        check_base_url(&config.stripe_api_base, "Stripe API base URL")?;
        if config.retry.max_attempts == 0 {
            return Err(BackendError::InvalidConfiguration(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        Ok(BackendClient {
            config: Arc::new(config),
            headers,
            http: Arc::new(OnceLock::new()),
        })
    }

    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(self.config.connect_timeout)
                .timeout(self.config.request_timeout)
                .user_agent(concat!("finconn/", env!("CARGO_PKG_VERSION")))
                .build()
                // Building only fails if the TLS backend cannot initialise; with rustls and bundled
                // roots that does not happen, and a default client is the sane fallback.
                .unwrap_or_default()
        })
    }

    fn url(&self, base: &str, path: &str, id: Option<&str>) -> String {
        let path = match id {
            Some(id) => path.replace("{id}", &encode_path_segment(id)),
            None => path.to_owned(),
        };
        format!("{}{}", base.trim_end_matches('/'), path)
    }

    /// `POST /sessions`: creates (or, for a known key, returns again) the flow's session.
    pub async fn create_session(
        &self,
        options: &SessionOptions,
        idempotency_key: &str,
    ) -> Result<CreatedSession, BackendError> {
        let body = create_session_body(options);
        let url = self.url(
            &self.config.base_url,
            &self.config.paths.create_session,
            None,
        );
        let value = self
            .send_json(
                "create_session",
                reqwest::Method::POST,
                &url,
                Some(&body),
                Some(idempotency_key),
                None,
            )
            .await?;
        parse_created_session(&value).map_err(|message| BackendError::InvalidResponse {
            endpoint: "create_session".into(),
            message,
        })
    }

    /// `POST /sessions/{id}/complete`: sends the report, returns the server's session.
    pub async fn complete_session(
        &self,
        report: &CompletionReport,
    ) -> Result<Session, BackendError> {
        let url = self.url(
            &self.config.base_url,
            &self.config.paths.complete_session,
            Some(&report.session_id),
        );
        let body = serde_json::to_value(report).unwrap_or(Value::Null);
        let value = self
            .send_json(
                "complete_session",
                reqwest::Method::POST,
                &url,
                Some(&body),
                Some(&report.report_id),
                None,
            )
            .await?;
        decode_answer(
            "complete_session",
            value,
            &["session"],
            "not a financial_connections.session",
        )
    }

    /// `GET /accounts`: the user's linked accounts.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, BackendError> {
        let url = self.url(
            &self.config.base_url,
            &self.config.paths.list_accounts,
            None,
        );
        let value = self
            .send_json(
                "list_accounts",
                reqwest::Method::GET,
                &url,
                None,
                None,
                None,
            )
            .await?;
        decode_answer(
            "list_accounts",
            value,
            &["accounts", "data"],
            "expected a list of accounts",
        )
    }

    /// `POST /accounts/{id}/disconnect`.
    pub async fn disconnect_account(
        &self,
        account_id: &str,
        idempotency_key: &str,
    ) -> Result<Account, BackendError> {
        let url = self.url(
            &self.config.base_url,
            &self.config.paths.disconnect_account,
            Some(account_id),
        );
        let value = self
            .send_json(
                "disconnect_account",
                reqwest::Method::POST,
                &url,
                Some(&Value::Object(Default::default())),
                Some(idempotency_key),
                None,
            )
            .await?;
        decode_answer(
            "disconnect_account",
            value,
            &["account"],
            "not a financial_connections.account",
        )
    }

    /// Stripe fallback: the session as Stripe's own SDKs read it after the sheet closes,
    /// `GET /v1/link_account_sessions/session_receipt` then every page of `list_accounts`.
    ///
    /// This is the one place a client secret leaves the process, to Stripe's API and only as
    /// Stripe's API requires (a query parameter over TLS, `Authorization: Bearer <publishable
    /// key>`); it is never logged.
    pub async fn stripe_session_receipt(
        &self,
        client_secret: &Secret,
        publishable_key: &Secret,
        stripe_account: Option<&str>,
    ) -> Result<Session, BackendError> {
        let auth = (publishable_key, stripe_account);
        let receipt = self
            .stripe_get(
                "stripe_session_receipt",
                "/v1/link_account_sessions/session_receipt",
                client_secret,
                None,
                auth,
            )
            .await?;
        let mut session: Session =
            decode_answer("stripe_session_receipt", receipt, &[], "not a session")?;
        // Page the accounts the way the SDKs do, up to Stripe's 100-account cap.
        let mut starting_after = session.accounts.data.last().map(|a| a.id.clone());
        let mut has_more = session.accounts.has_more;
        while has_more && session.accounts.data.len() < 100 {
            let page = self
                .stripe_get(
                    "stripe_list_accounts",
                    "/v1/link_account_sessions/list_accounts",
                    client_secret,
                    starting_after.as_deref(),
                    auth,
                )
                .await?;
            let page: crate::model::List<Account> =
                decode_answer("stripe_list_accounts", page, &[], "not a list of accounts")?;
            if page.data.is_empty() {
                break;
            }
            starting_after = page.data.last().map(|a| a.id.clone());
            has_more = page.has_more;
            session.accounts.data.extend(page.data);
        }
        session.accounts.has_more = has_more;
        Ok(session)
    }

    /// `GET <stripe_api_base><path>?client_secret=…[&starting_after=…]` with the publishable key.
    async fn stripe_get(
        &self,
        endpoint: &'static str,
        path: &str,
        client_secret: &Secret,
        starting_after: Option<&str>,
        (publishable_key, stripe_account): (&Secret, Option<&str>),
    ) -> Result<Value, BackendError> {
        let mut url = url::Url::parse(&self.url(&self.config.stripe_api_base, path, None))
            .map_err(|e| BackendError::InvalidConfiguration(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("client_secret", client_secret.expose());
        if let Some(after) = starting_after {
            url.query_pairs_mut().append_pair("starting_after", after);
        }
        self.send_json(
            endpoint,
            reqwest::Method::GET,
            url.as_str(),
            None,
            None,
            Some((publishable_key, stripe_account)),
        )
        .await
    }

    /// One call with retries. `idempotency_key` is sent unchanged on every attempt.
    async fn send_json(
        &self,
        endpoint: &'static str,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        stripe_auth: Option<(&Secret, Option<&str>)>,
    ) -> Result<Value, BackendError> {
        let policy = &self.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(
                    endpoint,
                    method.clone(),
                    url,
                    body,
                    idempotency_key,
                    stripe_auth,
                )
                .await;
            let err = match outcome {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.retryable() || attempt >= policy.max_attempts {
                tracing::warn!(endpoint, attempt, error = %err, "backend call failed");
                return Err(err);
            }
            let delay = match &err {
                BackendError::Status {
                    retry_after_ms: Some(ms),
                    ..
                } => {
                    let wait = Duration::from_millis(*ms);
                    if wait > policy.max_retry_after {
                        tracing::warn!(
                            endpoint,
                            retry_after_ms = ms,
                            "Retry-After too long, giving up"
                        );
                        return Err(err);
                    }
                    wait
                }
                _ => backoff(policy, attempt),
            };
            tracing::info!(endpoint, attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying backend call");
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt(
        &self,
        endpoint: &'static str,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        stripe_auth: Option<(&Secret, Option<&str>)>,
    ) -> Result<Value, BackendError> {
        let mut request = self
            .http()
            .request(method, url)
            .header("Accept", "application/json");
        match stripe_auth {
            Some((key, account)) => {
                request = request.bearer_auth(key.expose());
                if let Some(account) = account {
                    request = request.header("Stripe-Account", account);
                }
            }
            None => {
                if let Some(provider) = &self.headers {
                    for (name, value) in provider.headers() {
                        request = request.header(name, value);
                    }
                }
            }
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let to_transport_error = |e: reqwest::Error| {
            if e.is_timeout() {
                BackendError::Timeout {
                    endpoint: endpoint.into(),
                }
            } else if e.is_builder() {
                BackendError::InvalidConfiguration(format!("{endpoint}: {}", without_url(&e)))
            } else if e.is_body() || e.is_decode() {
                BackendError::InvalidResponse {
                    endpoint: endpoint.into(),
                    message: format!("the body was cut off: {}", without_url(&e)),
                }
            } else {
                BackendError::Offline {
                    endpoint: endpoint.into(),
                    message: without_url(&e),
                }
            }
        };
        let response = request.send().await.map_err(to_transport_error)?;
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| (s * 1000.0) as u64);
        let bytes = response.bytes().await.map_err(to_transport_error)?;
        if !(200..300).contains(&status) {
            return Err(BackendError::Status {
                endpoint: endpoint.into(),
                status,
                message: error_message(&bytes),
                retry_after_ms,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| BackendError::InvalidResponse {
            endpoint: endpoint.into(),
            message: format!("invalid JSON: {e}"),
        })
    }
}

/// Reads an answer as `T`, unwrapping it from the first of `wrappers` it is found under (the
/// contract accepts `{"session": {...}}` and the bare object alike).
fn decode_answer<T: serde::de::DeserializeOwned>(
    endpoint: &'static str,
    mut value: Value,
    wrappers: &[&str],
    what: &str,
) -> Result<T, BackendError> {
    if let Some(key) = wrappers.iter().find(|w| value.get(**w).is_some()) {
        value = value[*key].take();
    }
    serde_json::from_value(value).map_err(|e| BackendError::InvalidResponse {
        endpoint: endpoint.into(),
        message: format!("{what}: {e}"),
    })
}

/// reqwest errors print the URL, which may carry a client secret (Stripe's query): drop it.
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
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

fn encode_path_segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The backend's error message from `{"error": {"message"}}`, `{"error": "..."}`, `{"message"}`,
/// or the first 200 characters of the body.
fn error_message(bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        let found = v
            .pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str);
        if let Some(m) = found {
            return m.chars().take(500).collect();
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        "no message".into()
    } else {
        text.chars().take(200).collect()
    }
}

fn create_session_body(options: &SessionOptions) -> Value {
    let mut body = serde_json::Map::new();
    body.insert(
        "permissions".into(),
        serde_json::to_value(&options.permissions).unwrap_or_default(),
    );
    if !options.prefetch.is_empty() {
        body.insert(
            "prefetch".into(),
            serde_json::to_value(&options.prefetch).unwrap_or_default(),
        );
    }
    if !options.account_subcategories.is_empty() {
        body.insert(
            "filters".into(),
            serde_json::json!({ "account_subcategories": options.account_subcategories }),
        );
    }
    if let Some(url) = &options.return_url {
        body.insert("return_url".into(), Value::String(url.clone()));
    }
    if let Some(relink) = &options.relink {
        let mut r = serde_json::json!({ "authorization": relink.authorization });
        if let Some(account) = &relink.account {
            r["account"] = Value::String(account.clone());
        }
        body.insert("relink".into(), r);
    }
    Value::Object(body)
}

/// Reads every response shape of the contract (ours, and the two of Stripe's guides).
fn parse_created_session(v: &Value) -> Result<CreatedSession, String> {
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| v.get(*n).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let client_secret = field(&[
        "client_secret",
        "clientSecret",
        "financialConnectionsSessionClientSecret",
        "financial_connections_session_client_secret",
    ])
    .ok_or("no client_secret in the answer")?;
    let publishable_key =
        field(&["publishable_key", "publishableKey"]).ok_or("no publishable_key in the answer")?;
    let session_id = field(&["session_id", "sessionId", "id"])
        .or_else(|| {
            client_secret
                .split_once("_secret_")
                .map(|(id, _)| id.to_owned())
        })
        .ok_or("no session_id in the answer, and the client secret does not contain one")?;
    Ok(CreatedSession {
        session_id,
        client_secret: Secret::new(client_secret),
        publishable_key: Secret::new(publishable_key),
        stripe_account: field(&["stripe_account", "stripeAccount"]),
        livemode: v.get("livemode").and_then(Value::as_bool).unwrap_or(false),
        report_token: field(&["report_token", "reportToken"]).map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn https_is_required_except_on_loopback() {
        for ok in [
            "https://api.example.com",
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(check_base_url(ok, "x").is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "ftp://x",
            "https://u:p@x.com",
            "not a url",
            "https://x.com/?a=1",
            "http://127.0.0.1.evil.com",
        ] {
            let e = check_base_url(bad, "backend base URL").unwrap_err();
            assert!(matches!(e, BackendError::InvalidConfiguration(_)), "{bad}");
        }
    }

    #[test]
    fn every_documented_response_shape_parses() {
        let ours = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "livemode": true, "report_token": "rt_1", "stripe_account": "acct_1"});
        let s = parse_created_session(&ours).unwrap();
        assert_eq!(s.session_id, "fcsess_1");
        assert!(s.livemode);
        assert_eq!(s.stripe_account.as_deref(), Some("acct_1"));
        assert_eq!(s.report_token.unwrap().expose(), "rt_1");
        let guide = json!({"client_secret": "fcsess_2_secret_y", "publishable_key": "pk_test_2"});
        assert_eq!(
            parse_created_session(&guide).unwrap().session_id,
            "fcsess_2"
        );
        let camel = json!({"financialConnectionsSessionClientSecret": "fcsess_3_secret_z", "publishableKey": "pk_test_3"});
        let s = parse_created_session(&camel).unwrap();
        assert_eq!(s.session_id, "fcsess_3");
        assert_eq!(s.publishable_key.expose(), "pk_test_3");
        assert!(parse_created_session(&json!({"publishable_key": "pk"}))
            .unwrap_err()
            .contains("client_secret"));
        assert!(parse_created_session(
            &json!({"client_secret": "opaque", "publishable_key": "pk"})
        )
        .is_err());
    }

    #[test]
    fn created_session_debug_redacts_secrets() {
        let s = parse_created_session(&json!({"client_secret": "fcsess_9_secret_TOPSECRET", "publishable_key": "pk_test_KEY", "report_token": "rt_TOKEN"})).unwrap();
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("TOPSECRET")
                && !debug.contains("pk_test_KEY")
                && !debug.contains("rt_TOKEN"),
            "{debug}"
        );
    }

    #[test]
    fn error_messages_are_extracted() {
        assert_eq!(
            error_message(br#"{"error": {"message": "bad token", "code": "x"}}"#),
            "bad token"
        );
        assert_eq!(error_message(br#"{"error": "nope"}"#), "nope");
        assert_eq!(error_message(br#"{"message": "m"}"#), "m");
        assert_eq!(error_message(b"<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_message(b""), "no message");
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
    fn status_errors_map_to_actions() {
        let status = |s| BackendError::Status {
            endpoint: "e".into(),
            status: s,
            message: "m".into(),
            retry_after_ms: Some(1000),
        };
        assert_eq!(Error::from(status(401)).code(), "unauthorized");
        assert_eq!(Error::from(status(403)).code(), "unauthorized");
        assert_eq!(Error::from(status(404)).code(), "rejected");
        assert!(matches!(
            Error::from(status(429)),
            Error::ServiceUnavailable {
                retry_after_ms: Some(1000),
                ..
            }
        ));
        assert_eq!(Error::from(status(503)).code(), "service_unavailable");
        assert!(status(503).retryable() && status(429).retryable() && !status(400).retryable());
    }

    #[test]
    fn create_body_follows_the_contract() {
        let mut o = SessionOptions::with_permissions(vec![crate::model::Permission::Balances]);
        assert_eq!(
            create_session_body(&o),
            json!({"permissions": ["balances"]})
        );
        o.relink = Some(crate::options::RelinkRequest {
            authorization: "fcauth_1".into(),
            account: None,
            known_account_ids: vec!["fca_9".into()],
        });
        o.account_subcategories = vec![crate::model::AccountSubcategory::Checking];
        o.return_url = Some("myapp://r".into());
        assert_eq!(
            create_session_body(&o),
            json!({"permissions": ["balances"], "filters": {"account_subcategories": ["checking"]}, "return_url": "myapp://r", "relink": {"authorization": "fcauth_1"}})
        );
    }

    #[test]
    fn path_ids_are_encoded() {
        let c = BackendClient::new(BackendConfig::new("https://api.example.com/"), None).unwrap();
        assert_eq!(
            c.url(
                "https://api.example.com/",
                "/s/{id}/complete",
                Some("fcsess_1/../x")
            ),
            "https://api.example.com/s/fcsess_1%2F..%2Fx/complete"
        );
    }
}
