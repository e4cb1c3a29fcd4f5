//! [`Simulator`]: the loopback HTTP server that serves the merchant backend and the in-memory
//! Stripe's `/v1` endpoints on one ephemeral `127.0.0.1` port, realises queued faults on the
//! socket, records requests and counts them; plus [`serve`] / [`serve_until`] for `fc serve`.
//!
//! One request per connection (`Connection: close`). Every connection runs in a task owned by the
//! accept loop: [`Simulator::shutdown`] and `Drop` abort them all, so a hanging fault
//! (`NeverFinishingBody`, a long `Delay`) never keeps the simulator alive.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::backend::{Backend, BackendPaths, BackendRoute, ResponseShapes};
use crate::faults::{Endpoint, Fault, Faults};
use crate::http::{self, ReadError, Request, Response};
use crate::ids::{lock, Redacted};
use crate::institution::Institution;
use crate::sheet::{SheetCompletion, SheetError, DEFAULT_ANDROID_APP_ID};
use crate::stripe::memory::DEFAULT_REFRESH_DELAY;
use crate::stripe::routes::{self, StripeRoute};
#[cfg(feature = "client")]
use crate::stripe::HttpStripe;
use crate::stripe::{InMemoryStripe, StripeApi, StripeError};

const RECORDED_PER_ENDPOINT: usize = 200;

/// Which Stripe the merchant backend talks to.
#[derive(Debug, Clone, Default)]
pub enum StripeMode {
    /// The simulator's own [`InMemoryStripe`] (direct calls, no HTTP).
    #[default]
    InMemory,
    /// A Stripe reached over HTTP (real Stripe test mode for `fc serve`, or another simulator's
    /// `/v1`). `publishable_key` is what the backend hands the app.
    #[cfg(feature = "client")]
    Http {
        api: HttpStripe,
        publishable_key: String,
    },
}

/// How to start a [`Simulator`].
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Seeds every id and key (same seed + same steps = same ids).
    pub seed: u64,
    /// `0` (default) for an ephemeral port.
    pub port: u16,
    /// Listen on `0.0.0.0` instead of `127.0.0.1`. Only for `fc serve --bind-all` (a phone on the
    /// LAN); never in tests.
    pub bind_all: bool,
    /// Default page size of Stripe lists and of the accounts embedded in a session (1..=100,
    /// default 10 like Stripe). Set it low to exercise paging.
    pub page_size: usize,
    /// Fixed Unix time for every timestamp; `None` = wall clock.
    pub now: Option<i64>,
    /// Android application id of the `stripe-auth://` redirects.
    pub android_app_id: String,
    pub paths: BackendPaths,
    pub shapes: ResponseShapes,
    /// `None`: any `Authorization: Bearer <token>` is a user, no header is
    /// [`DEFAULT_USER`](crate::DEFAULT_USER). `Some(list)`: only these tokens, anything else is
    /// `401`.
    pub allowed_tokens: Option<Vec<String>>,
    pub stripe: StripeMode,
    /// How long a refresh requested from the in-memory Stripe stays `pending` before it
    /// finishes (default 50 ms). Change it at run time with [`Simulator::set_refresh_delay`].
    pub refresh_delay: Duration,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            seed: 42,
            port: 0,
            bind_all: false,
            page_size: 10,
            now: None,
            android_app_id: DEFAULT_ANDROID_APP_ID.to_string(),
            paths: BackendPaths::default(),
            shapes: ResponseShapes::default(),
            allowed_tokens: None,
            stripe: StripeMode::InMemory,
            refresh_delay: DEFAULT_REFRESH_DELAY,
        }
    }
}

impl SimulatorConfig {
    /// The defaults with another seed.
    pub fn with_seed(seed: u64) -> Self {
        SimulatorConfig {
            seed,
            ..Default::default()
        }
    }
}

/// Request headers as received (names lower-cased, in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A request as the simulator received it, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// The raw (percent-encoded) path.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    pub fn body_json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Whether `needle` appears anywhere: path, query, any header value, body (raw or
    /// percent-decoded). Use it to prove a client secret was never sent.
    pub fn contains(&self, needle: &str) -> bool {
        let decoded = |s: &str| http::percent_decode(s);
        self.path.contains(needle)
            || decoded(&self.path).contains(needle)
            || self
                .query
                .as_deref()
                .is_some_and(|q| q.contains(needle) || decoded(q).contains(needle))
            || self.headers.iter().any(|(_, v)| v.contains(needle))
            || self.body_text().contains(needle)
            || decoded(&self.body_text()).contains(needle)
    }
}

#[derive(Default)]
struct Stats {
    requests: HashMap<Endpoint, usize>,
    complete_hits: HashMap<String, usize>,
    recorded: HashMap<Endpoint, VecDeque<RecordedRequest>>,
    unmatched: usize,
}

enum Target {
    Stripe(StripeRoute),
    Backend(BackendRoute),
}

impl Target {
    fn endpoint(&self) -> Endpoint {
        match self {
            Target::Stripe(r) => r.endpoint(),
            Target::Backend(BackendRoute::CreateSession) => Endpoint::CreateSession,
            Target::Backend(BackendRoute::Complete(_)) => Endpoint::Complete,
            Target::Backend(BackendRoute::ListAccounts) => Endpoint::ListAccounts,
            Target::Backend(BackendRoute::Disconnect(_)) => Endpoint::Disconnect,
            Target::Backend(BackendRoute::Account(_)) => Endpoint::Account,
            Target::Backend(BackendRoute::Refresh(_)) => Endpoint::Refresh,
            Target::Backend(BackendRoute::Owners(_)) => Endpoint::Owners,
            Target::Backend(BackendRoute::Transactions(_)) => Endpoint::Transactions,
            Target::Backend(BackendRoute::Subscribe(_) | BackendRoute::Unsubscribe(_)) => {
                Endpoint::Subscriptions
            }
        }
    }
}

struct Shared {
    stripe: InMemoryStripe,
    backend: Backend,
    faults: Faults,
    stats: Mutex<Stats>,
    android_app_id: String,
}

impl Shared {
    fn target(&self, req: &Request) -> Option<Target> {
        let segments = req.segments();
        routes::route(&req.method, &segments)
            .map(Target::Stripe)
            .or_else(|| {
                self.backend
                    .route(&req.method, &segments)
                    .map(Target::Backend)
            })
    }

    fn record(&self, target: &Target, req: &Request) {
        let endpoint = target.endpoint();
        let mut st = lock(&self.stats);
        *st.requests.entry(endpoint).or_default() += 1;
        if let Target::Backend(BackendRoute::Complete(id)) = target {
            *st.complete_hits.entry(id.clone()).or_default() += 1;
        }
        let log = st.recorded.entry(endpoint).or_default();
        if log.len() == RECORDED_PER_ENDPOINT {
            log.pop_front();
        }
        log.push_back(RecordedRequest {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.raw_query.clone(),
            headers: Headers(req.headers.clone()),
            body: req.body.clone(),
        });
    }

    async fn work(&self, target: &Target, req: &Request) -> Response {
        match target {
            Target::Stripe(r) => routes::handle(&self.stripe, r, req),
            Target::Backend(r) => self.backend.handle(r, req).await,
        }
    }

    /// The error body of an injected status, in the endpoint's own error shape.
    fn fault_response(&self, endpoint: Endpoint, status: u16) -> Response {
        let message = format!("simulated fault: HTTP {status}");
        if endpoint.is_stripe() {
            let (kind, code) = if status == 429 {
                ("invalid_request_error", Some("rate_limit".to_string()))
            } else {
                ("api_error", None)
            };
            routes::error(&StripeError::Api {
                status,
                kind: kind.into(),
                code,
                message,
                param: None,
            })
        } else {
            let code = if status == 429 {
                "rate_limited"
            } else {
                "simulated_fault"
            };
            self.backend.error(status, code, &message)
        }
    }
}

/// `(after_commit, base fault)`: `ResetAfterCommit` is `AfterCommit(ConnectionReset)`, nested
/// `AfterCommit`s collapse.
fn split(fault: Fault) -> (bool, Fault) {
    match fault {
        Fault::ResetAfterCommit => (true, Fault::ConnectionReset),
        Fault::AfterCommit(inner) => (true, split(*inner).1),
        other => (false, other),
    }
}

async fn handle_conn(shared: Arc<Shared>, mut stream: TcpStream) {
    let req = match http::read_request(&mut stream).await {
        Ok(r) => r,
        Err(ReadError::Gone) => return,
        Err(ReadError::Bad(status, message)) => {
            let body = json!({"error": {"code": "bad_request", "message": message}});
            let _ = http::write_response(&mut stream, &Response::json(status, &body)).await;
            return;
        }
    };
    // Method and path only: queries and headers may carry client secrets and keys.
    tracing::debug!(method = %req.method, path = %req.path, "finconn-testkit request");
    if let Some(resp) = sheet_route(&shared, &req) {
        let _ = http::write_response(&mut stream, &resp).await;
        return;
    }
    let Some(target) = shared.target(&req) else {
        lock(&shared.stats).unmatched += 1;
        let resp = if req.path.starts_with("/v1/") {
            routes::unrecognized(&req)
        } else {
            shared.backend.error(
                404,
                "not_found",
                &format!("no route for {} {}", req.method, req.path),
            )
        };
        let _ = http::write_response(&mut stream, &resp).await;
        return;
    };
    shared.record(&target, &req);
    let endpoint = target.endpoint();
    let Some(fault) = shared.faults.pop(endpoint) else {
        let resp = shared.work(&target, &req).await;
        let _ = http::write_response(&mut stream, &resp).await;
        return;
    };
    let (after_commit, fault) = split(fault);
    let committed = if after_commit {
        Some(shared.work(&target, &req).await)
    } else {
        None
    };
    match fault {
        Fault::Delay(d) => {
            tokio::time::sleep(d).await;
            let resp = match committed {
                Some(r) => r,
                None => shared.work(&target, &req).await,
            };
            let _ = http::write_response(&mut stream, &resp).await;
        }
        Fault::Status(status) => {
            let resp = shared.fault_response(endpoint, status);
            let _ = http::write_response(&mut stream, &resp).await;
        }
        Fault::TooManyRequests { retry_after_secs } => {
            let resp = shared
                .fault_response(endpoint, 429)
                .with_header("Retry-After", retry_after_secs.to_string());
            let _ = http::write_response(&mut stream, &resp).await;
        }
        Fault::ConnectionReset | Fault::ResetAfterCommit | Fault::AfterCommit(_) => {
            http::reset(stream);
        }
        Fault::MalformedJson => {
            let body = committed.map(|r| r.body).unwrap_or_else(placeholder_body);
            let _ = http::write_truncated(&mut stream, &body).await;
        }
        Fault::NeverFinishingBody => {
            let resp = committed.unwrap_or_else(|| Response {
                status: 200,
                headers: Vec::new(),
                body: placeholder_body(),
            });
            let _ = http::write_never_finishing(&mut stream, &resp).await;
        }
    }
}

/// `POST /__sim/sheet/{session_id}/{institution}`: the simulated user goes through the sheet
/// (what [`Simulator::complete_sheet`] does), for a test driving the app from another process
/// (`finconn-soak`'s children). Answers `{outcome, error_code, account_ids, redirect_url}`.
fn sheet_route(shared: &Shared, req: &Request) -> Option<Response> {
    let segments = req.segments();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let ["__sim", "sheet", session_id, institution] = s.as_slice() else {
        return None;
    };
    if req.method != "POST" {
        return None;
    }
    let Some(institution) = Institution::from_name(institution) else {
        return Some(
            shared
                .backend
                .error(400, "unknown_institution", "no such test institution"),
        );
    };
    Some(
        match shared
            .stripe
            .complete_sheet_for_app(session_id, institution, &shared.android_app_id)
        {
            Ok(done) => Response::json(
                200,
                &json!({
                    "outcome": done.outcome.as_str(),
                    "error_code": done.error_code,
                    "account_ids": done.account_ids,
                    "redirect_url": done.redirect_url,
                }),
            ),
            Err(e) => shared.backend.error(409, "sheet_failed", &e.to_string()),
        },
    )
}

fn placeholder_body() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "simulated_fault",
        "detail": "this body is cut short on purpose; the request was not processed"
    }))
    .unwrap_or_default()
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    conns.spawn(handle_conn(shared.clone(), stream));
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    conns.shutdown().await;
}

/// The running simulator. Stops on [`Simulator::shutdown`] or when dropped.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

fn build(config: &SimulatorConfig) -> Arc<Shared> {
    let stripe = InMemoryStripe::with_options(config.seed, config.page_size, config.now);
    stripe.set_refresh_delay(config.refresh_delay);
    let (api, publishable_key): (Arc<dyn StripeApi>, String) = match &config.stripe {
        StripeMode::InMemory => (
            Arc::new(stripe.clone()),
            stripe.publishable_key().to_string(),
        ),
        #[cfg(feature = "client")]
        StripeMode::Http {
            api,
            publishable_key,
        } => (Arc::new(api.clone()), publishable_key.clone()),
    };
    Arc::new(Shared {
        backend: Backend::new(
            api,
            publishable_key,
            config.seed,
            config.paths.clone(),
            config.shapes,
            config.allowed_tokens.clone(),
        ),
        stripe,
        faults: Faults::default(),
        stats: Mutex::new(Stats::default()),
        android_app_id: config.android_app_id.clone(),
    })
}

fn bind_addr(config: &SimulatorConfig) -> SocketAddr {
    let ip = if config.bind_all {
        Ipv4Addr::UNSPECIFIED
    } else {
        Ipv4Addr::LOCALHOST
    };
    SocketAddr::from((ip, config.port))
}

impl Simulator {
    /// Starts on the current Tokio runtime. Panics if it cannot listen (use
    /// [`try_start`](Self::try_start) to handle that).
    pub async fn start(config: SimulatorConfig) -> Simulator {
        Simulator::try_start(config)
            .await
            .expect("finconn-testkit: cannot listen on 127.0.0.1")
    }

    /// Starts on the current Tokio runtime.
    pub async fn try_start(config: SimulatorConfig) -> io::Result<Simulator> {
        let listener = TcpListener::bind(bind_addr(&config)).await?;
        let addr = listener.local_addr()?;
        let shared = build(&config);
        let (stop, rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, shared.clone(), rx));
        Ok(Simulator {
            shared,
            addr,
            stop,
            task: Some(task),
            runtime: None,
        })
    }

    /// Starts on a runtime of its own (one worker thread), for synchronous tests or callers that
    /// block their own runtime. Must not be called from inside an async context.
    pub fn start_blocking(config: SimulatorConfig) -> io::Result<Simulator> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("finconn-testkit-sim")
            .enable_all()
            .build()?;
        let mut sim = runtime.block_on(Simulator::try_start(config))?;
        sim.runtime = Some(runtime);
        Ok(sim)
    }

    /// The address it listens on (always `127.0.0.1:<port>` for clients).
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.addr.port()))
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:<port>`: the merchant backend's base URL (paths per [`BackendPaths`]).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The Stripe API base for SDK-style and secret-key calls (`…/v1/…`): the same server.
    pub fn stripe_base_url(&self) -> String {
        self.base_url()
    }

    /// The fault queues.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// The in-memory Stripe (inspect sessions/accounts, deactivate accounts, …).
    pub fn stripe(&self) -> &InMemoryStripe {
        &self.shared.stripe
    }

    /// The in-memory Stripe's publishable key (what the SDK endpoints accept).
    pub fn publishable_key(&self) -> &str {
        self.shared.stripe.publishable_key()
    }

    /// The in-memory Stripe's secret key (a simulator key; for [`HttpStripe`] tests).
    pub fn secret_key(&self) -> &str {
        self.shared.stripe.secret_key()
    }

    /// Runs the simulated sheet on a session (by id or client secret) for `institution`.
    pub fn complete_sheet(
        &self,
        session_id_or_client_secret: &str,
        institution: Institution,
    ) -> Result<SheetCompletion, SheetError> {
        self.shared.stripe.complete_sheet_for_app(
            session_id_or_client_secret,
            institution,
            &self.shared.android_app_id,
        )
    }

    /// Changes how the backend words its answers.
    pub fn set_shapes(&self, shapes: ResponseShapes) {
        self.shared.backend.set_shapes(shapes);
    }

    /// Sessions the merchant backend created (idempotent replays not counted).
    pub fn sessions_created(&self) -> usize {
        self.shared.backend.sessions_created()
    }

    /// Distinct completion reports (by report id) the backend accepted for the session.
    pub fn reports_received(&self, session_id: &str) -> usize {
        self.shared.backend.reports(session_id).len()
    }

    /// The accepted report bodies for the session, first receipt of each report id.
    pub fn reports(&self, session_id: &str) -> Vec<Value> {
        self.shared.backend.reports(session_id)
    }

    /// The report token the backend issued for the session.
    pub fn report_token(&self, session_id: &str) -> Option<String> {
        self.shared.backend.report_token(session_id)
    }

    /// Raw requests to the session's `…/complete`, faulted and rejected ones included.
    pub fn complete_requests(&self, session_id: &str) -> usize {
        lock(&self.shared.stats)
            .complete_hits
            .get(session_id)
            .copied()
            .unwrap_or(0)
    }

    /// Raw requests to an endpoint, faulted and rejected ones included.
    pub fn requests(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.stats)
            .requests
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests that matched no route.
    pub fn unmatched_requests(&self) -> usize {
        lock(&self.shared.stats).unmatched
    }

    /// Headers of the last request to an endpoint.
    pub fn last_request_headers(&self, endpoint: Endpoint) -> Option<Headers> {
        self.last_request(endpoint).map(|r| r.headers)
    }

    /// The last request to an endpoint.
    pub fn last_request(&self, endpoint: Endpoint) -> Option<RecordedRequest> {
        lock(&self.shared.stats)
            .recorded
            .get(&endpoint)
            .and_then(|l| l.back().cloned())
    }

    /// The last requests (up to 200) to an endpoint, oldest first.
    pub fn recorded_requests(&self, endpoint: Endpoint) -> Vec<RecordedRequest> {
        lock(&self.shared.stats)
            .recorded
            .get(&endpoint)
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The accounts the backend stored for a user (token, or [`crate::DEFAULT_USER`]).
    pub fn user_accounts(&self, user: &str) -> Vec<Value> {
        self.shared.backend.user_accounts(user)
    }

    /// How many transactions the in-memory Stripe holds for the account now (0 when unknown).
    pub fn transactions_held(&self, account_id: &str) -> usize {
        self.shared.stripe.transactions_held(account_id)
    }

    /// The account's transaction refresh ids in the in-memory Stripe, oldest first (failed
    /// ones included): what `transaction_refresh[after]` / `after_refresh` accept.
    pub fn transaction_refresh_ids(&self, account_id: &str) -> Vec<String> {
        self.shared.stripe.transaction_refresh_ids(account_id)
    }

    /// How long refreshes requested from now on stay `pending` in the in-memory Stripe.
    pub fn set_refresh_delay(&self, delay: Duration) {
        self.shared.stripe.set_refresh_delay(delay);
    }

    /// The in-memory Stripe's current refresh delay.
    pub fn refresh_delay(&self) -> Duration {
        self.shared.stripe.refresh_delay()
    }

    /// How long after an attempt the next refresh may be asked for (default a minute).
    pub fn set_refresh_cooldown(&self, cooldown: Duration) {
        self.shared.stripe.set_refresh_cooldown(cooldown);
    }

    /// Stops listening, aborts every open connection and waits for it.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            if self.runtime.is_none() {
                let _ = task.await;
            }
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            // Dropping the accept loop drops its JoinSet, which aborts every connection.
            task.abort();
        }
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Options of [`serve`] (`fc serve`).
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Listen on `0.0.0.0` (all interfaces) instead of `127.0.0.1`. Off unless explicitly asked:
    /// the simulator has no TLS and trusts any bearer token.
    pub bind_all: bool,
    pub seed: u64,
    /// Use Stripe (test mode) through [`HttpStripe`] instead of the in-memory Stripe.
    pub stripe_secret_key: Option<Redacted>,
    /// Required with `stripe_secret_key`: handed to the app in the create-session answer.
    pub stripe_publishable_key: Option<String>,
    /// Defaults to `https://api.stripe.com`.
    pub stripe_api_base: Option<String>,
    pub stripe_version: Option<String>,
    pub allowed_tokens: Option<Vec<String>>,
    pub android_app_id: Option<String>,
}

/// Why [`serve`] could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("invalid options: {0}")]
    Config(String),
    #[error("cannot listen: {0}")]
    Bind(#[from] io::Error),
}

impl ServeOptions {
    /// The simulator configuration these options describe.
    pub fn into_config(self, port: u16) -> Result<SimulatorConfig, ServeError> {
        let stripe =
            match self.stripe_secret_key {
                None => StripeMode::InMemory,
                #[cfg(not(feature = "client"))]
                Some(_) => return Err(ServeError::Config(
                    "this build has no HTTP client (feature `client`): Stripe mode is unavailable"
                        .into(),
                )),
                #[cfg(feature = "client")]
                Some(sk) => {
                    let publishable_key = self.stripe_publishable_key.ok_or_else(|| {
                        ServeError::Config(
                            "a Stripe secret key needs the matching publishable key too".into(),
                        )
                    })?;
                    let base = self
                        .stripe_api_base
                        .unwrap_or_else(|| HttpStripe::DEFAULT_API_BASE.to_string());
                    let mut api =
                        HttpStripe::new(base, sk).map_err(|e| ServeError::Config(e.to_string()))?;
                    if let Some(v) = self.stripe_version {
                        api = api.with_stripe_version(v);
                    }
                    StripeMode::Http {
                        api,
                        publishable_key,
                    }
                }
            };
        Ok(SimulatorConfig {
            seed: self.seed,
            port,
            bind_all: self.bind_all,
            android_app_id: self
                .android_app_id
                .unwrap_or_else(|| DEFAULT_ANDROID_APP_ID.to_string()),
            allowed_tokens: self.allowed_tokens,
            stripe,
            ..SimulatorConfig::default()
        })
    }
}

/// Runs the merchant backend on `127.0.0.1:<port>` (`0.0.0.0` with `bind_all`) until Ctrl-C.
/// Prints where it listens (stdout, first line: `listening on http://127.0.0.1:<port>`) and
/// which Stripe it uses — never a key or a client secret.
pub async fn serve(port: u16, options: ServeOptions) -> Result<(), ServeError> {
    serve_until(port, options, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// [`serve`], stopping when `shutdown` completes.
pub async fn serve_until(
    port: u16,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let config = options.into_config(port)?;
    let stripe_line = match &config.stripe {
        StripeMode::InMemory => {
            "Stripe: in-memory simulator (SDK and API endpoints under /v1 on the same address)"
                .to_string()
        }
        #[cfg(feature = "client")]
        StripeMode::Http { api, .. } => {
            format!("Stripe: {} (secret key given, not shown)", api.api_base())
        }
    };
    let bind_all = config.bind_all;
    let paths = config.paths.clone();
    let sim = Simulator::try_start(config).await?;
    println!("listening on {}", sim.base_url());
    if bind_all {
        println!(
            "WARNING: listening on all interfaces (0.0.0.0:{}); no TLS, any bearer token is a user",
            sim.port()
        );
    }
    println!("{stripe_line}");
    println!(
        "backend: POST {} | POST {} | GET {} | POST {}",
        paths.create_session, paths.complete, paths.list_accounts, paths.disconnect
    );
    println!(
        "account data: GET {} | POST {} | GET {} | GET {} | POST {} | POST {}",
        paths.account,
        paths.refresh,
        paths.owners,
        paths.transactions,
        paths.subscribe,
        paths.unsubscribe
    );
    shutdown.await;
    sim.shutdown().await;
    Ok(())
}
