//! Shared helpers of the networked-flow integration tests (`flow_faults`, `flow_kills`,
//! `no_secrets`): a loopback [`Simulator`] plus a private data directory ([`Env`]), clients with
//! short timeouts and backoff ([`Opts`]), the host's auth header, a recording event listener, and
//! the steps of a whole flow (start → present → the simulated sheet → deep link → sheet result).
//!
//! Every test file pulls this in with `mod support;` and uses a different subset, hence the
//! `dead_code` allowance.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use finconn_client::backend::{BackendClient, BackendConfig, HeaderProvider, RetryPolicy};
use finconn_client::flow::{Flow, FlowClient, FlowConfig, FlowEventListener, SheetConfiguration};
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::model::Permission;
use finconn_core::network::HttpTransport;
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::{FlowResult, SheetOutcome};
use finconn_testkit::{Endpoint, Institution, SheetCompletion, Simulator, SimulatorConfig};
use finconn_transport_reqwest::ReqwestTransport;
use tracing_subscriber::fmt::MakeWriter;

/// The transport of the Rust tests: reqwest, with the core's policy on top.
pub fn transport() -> Arc<dyn HttpTransport> {
    Arc::new(ReqwestTransport::new())
}

/// The app's registered return URL.
pub const RETURN_URL: &str = "finconn-test://stripe-redirect";
/// The signed-in user's bearer token (the simulator's user id).
pub const USER_TOKEN: &str = "test-user-token";

/// The request timeout of the test clients: every "slow" fault is measured against it.
pub const TIMEOUT: Duration = Duration::from_millis(750);
/// A delay the client does not wait out.
pub const DELAY_BEYOND: Duration = Duration::from_millis(1_000);
/// A delay well within the timeout.
pub const DELAY_WITHIN: Duration = Duration::from_millis(100);

/// A fixed `Authorization: Bearer <token>` header, as a host app supplies it.
pub struct BearerToken(pub String);

impl HeaderProvider for BearerToken {
    fn headers(&self) -> Vec<(String, String)> {
        vec![("Authorization".into(), format!("Bearer {}", self.0))]
    }
}

/// A header provider whose token changes between calls: the n-th call gets `tokens[n]` (the last
/// one once exhausted). Counts its calls.
pub struct RotatingToken {
    tokens: Vec<String>,
    calls: AtomicUsize,
}

impl RotatingToken {
    pub fn new(tokens: &[&str]) -> Self {
        RotatingToken {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            calls: AtomicUsize::new(0),
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl HeaderProvider for RotatingToken {
    fn headers(&self) -> Vec<(String, String)> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let token = &self.tokens[n.min(self.tokens.len() - 1)];
        vec![("Authorization".into(), format!("Bearer {token}"))]
    }
}

/// Records every [`FlowEvent`].
#[derive(Default)]
pub struct EventLog(Mutex<Vec<FlowEvent>>);

impl EventLog {
    pub fn events(&self) -> Vec<FlowEvent> {
        self.0.lock().unwrap().clone()
    }
}

impl FlowEventListener for EventLog {
    fn on_event(&self, event: &FlowEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

/// Client settings of a test.
#[derive(Debug, Clone)]
pub struct Opts {
    pub max_attempts: u32,
    pub request_timeout: Duration,
    pub max_retry_after: Duration,
    pub stripe_fallback: bool,
    /// How long `refresh` waits for Stripe.
    pub refresh_deadline: Duration,
    /// What one account-data call may read and how long it may take.
    pub data_limits: finconn_core::data::DataLimits,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            max_attempts: 3,
            request_timeout: TIMEOUT,
            max_retry_after: Duration::from_secs(2),
            stripe_fallback: false,
            refresh_deadline: Duration::from_secs(5),
            data_limits: finconn_core::data::DataLimits::default(),
        }
    }
}

impl Opts {
    pub fn attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    pub fn fallback(mut self) -> Self {
        self.stripe_fallback = true;
        self
    }

    pub fn timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }
}

/// One simulator and one app data directory (the outbox lives in it).
pub struct Env {
    pub sim: Simulator,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub async fn start() -> Env {
        Env::with_config(SimulatorConfig::default()).await
    }

    pub async fn with_config(config: SimulatorConfig) -> Env {
        Env {
            sim: Simulator::start(config).await,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Short backoff, short timeouts, Stripe's API on the simulator.
    pub fn backend_config(&self, o: &Opts) -> BackendConfig {
        let mut backend = BackendConfig::new(self.sim.base_url());
        backend.stripe_api_base = self.sim.stripe_base_url();
        backend.connect_timeout = Duration::from_secs(2);
        backend.request_timeout = o.request_timeout;
        backend.retry = RetryPolicy {
            max_attempts: o.max_attempts,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(40),
            max_retry_after: o.max_retry_after,
        };
        backend
    }

    pub fn flow_config(&self, o: &Opts) -> FlowConfig {
        FlowConfig {
            backend: self.backend_config(o),
            return_urls: vec![RETURN_URL.into()],
            android_app_id: None,
            data_dir: self.dir.path().to_path_buf(),
            stripe_fallback: o.stripe_fallback,
            refresh: finconn_client::account_data::RefreshPolicy {
                deadline: o.refresh_deadline,
                first_poll: Duration::from_millis(20),
                max_poll: Duration::from_millis(100),
            },
            data_limits: o.data_limits.clone(),
            // Short waits: the link tests retry temporary errors in milliseconds.
            link_retry: finconn_client::link::LinkRetry {
                attempts: 2,
                first_delay: Duration::from_millis(20),
            },
        }
    }

    /// A fresh client (as an app process makes at launch) with the user's bearer token.
    pub fn client(&self, o: &Opts) -> FlowClient {
        self.client_with(o, Arc::new(BearerToken(USER_TOKEN.into())))
    }

    pub fn client_with(&self, o: &Opts, headers: Arc<dyn HeaderProvider>) -> FlowClient {
        FlowClient::new(self.flow_config(o), Some(headers), transport()).expect("valid flow config")
    }

    /// The bare backend client, for the Stripe endpoints' own typed errors.
    pub fn backend(&self, o: &Opts) -> BackendClient {
        BackendClient::new(
            self.backend_config(o),
            Some(Arc::new(BearerToken(USER_TOKEN.into()))),
            transport(),
        )
        .expect("valid backend config")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.dir.path().join("finconn-outbox")
    }

    /// Pending report files (`report-*.json`).
    pub fn outbox_reports(&self) -> Vec<PathBuf> {
        self.outbox_files()
            .into_iter()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("report-") && n.ends_with(".json"))
            })
            .collect()
    }

    /// Every file of the outbox directory, sorted.
    pub fn outbox_files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(self.outbox_dir()) {
            Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
            Err(_) => Vec::new(),
        };
        files.sort();
        files
    }

    /// Ids of the accounts the backend stored for the user.
    pub fn backend_account_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .sim
            .user_accounts(USER_TOKEN)
            .iter()
            .filter_map(|a| a.get("id").and_then(|v| v.as_str()).map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }

    /// The `Idempotency-Key` of every recorded request to `endpoint`, oldest first.
    pub fn idempotency_keys(&self, endpoint: Endpoint) -> Vec<String> {
        self.sim
            .recorded_requests(endpoint)
            .iter()
            .map(|r| r.header("idempotency-key").unwrap_or("<none>").to_owned())
            .collect()
    }

    /// The user's sheet: the simulated institution links (or not) accounts to the session.
    pub fn sheet(&self, session_id: &str, institution: Institution) -> SheetCompletion {
        self.sim
            .complete_sheet(session_id, institution)
            .expect("the simulated sheet runs")
    }
}

/// Options asking for balances and payment method, with the app's return URL.
pub fn options() -> SessionOptions {
    let mut o =
        SessionOptions::with_permissions(vec![Permission::Balances, Permission::PaymentMethod]);
    o.return_url = Some(RETURN_URL.into());
    o
}

/// What the native sheet hands the app, as the core's [`SheetOutcome`] (without the session, as
/// many hosts forward only the fact of completion).
pub fn sheet_outcome(done: &SheetCompletion) -> SheetOutcome {
    match done.outcome.as_str() {
        "completed" => SheetOutcome::Completed { session: None },
        "canceled" => SheetOutcome::Canceled,
        _ => SheetOutcome::Failed {
            error: done
                .error_code
                .clone()
                .unwrap_or_else(|| "unexpected_error".into()),
        },
    }
}

/// The result's account ids, sorted.
pub fn result_ids(result: &FlowResult) -> Vec<String> {
    let mut ids: Vec<String> = result.accounts.iter().map(|a| a.id.clone()).collect();
    ids.sort();
    ids
}

/// The sheet's linked account ids, sorted.
pub fn sheet_ids(done: &SheetCompletion) -> Vec<String> {
    let mut ids = done.account_ids.clone();
    ids.sort();
    ids
}

/// The flow's idempotency key, read from its (secret-free, versioned JSON) snapshot.
pub fn idempotency_key(flow: &Flow) -> String {
    let snapshot: serde_json::Value =
        serde_json::from_str(&flow.snapshot()).expect("snapshot is JSON");
    snapshot["idempotency_key"]
        .as_str()
        .expect("snapshot has a key")
        .to_owned()
}

/// start → sheet presented → user leaves for the bank: the sheet configuration.
pub async fn open_sheet(flow: &Flow) -> SheetConfiguration {
    let sheet = flow.start().await.expect("start");
    flow.sheet_presented().expect("present");
    flow.user_left_app().expect("user left the app");
    sheet
}

/// The user comes back: the redirect deep link (when there is one) is fed to the flow.
pub fn come_back(flow: &Flow, done: &SheetCompletion) {
    if let Some(url) = &done.redirect_url {
        let handled = flow.handle_url(url);
        assert!(handled.is_flow_url && handled.recorded, "{handled:?}");
    }
}

/// A whole flow at `institution`: the sheet's completion and the flow's result.
pub async fn run_flow(
    env: &Env,
    client: &FlowClient,
    institution: Institution,
) -> (Flow, SheetCompletion, Result<FlowResult, FinConnError>) {
    let flow = client.new_flow(options()).expect("valid options");
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, institution);
    come_back(&flow, &done);
    let result = flow.sheet_result(sheet_outcome(&done)).await;
    (flow, done, result)
}

/// Polls `cond` every 10 ms until it holds or `limit` passes; returns whether it held.
pub async fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if cond() {
            return true;
        }
        if start.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The message of a panicked task, for collecting the failures of a table.
pub fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panic".into()),
        Err(e) => e.to_string(),
    }
}

/// Every formatted log line of this test binary.
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

pub struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter(self.0.clone())
    }
}

impl Capture {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// Installs the TRACE subscriber once (with the `log` bridge) and returns the capture.
pub fn logs() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_target(true)
            .with_writer(capture.clone())
            .try_init()
            .expect("this test binary installs exactly one global subscriber");
        capture
    })
}

/// A client of a test server of its own at `base_url` (the hostile, echoing and lying backends;
/// not the simulator): Stripe's API at the same base, a 1 s connect timeout, two attempts with
/// 10–20 ms backoffs, no Stripe fallback, default refresh policy and data limits. `tune` adjusts
/// the configuration to a case before the client is made.
pub fn server_client(
    base_url: String,
    dir: &std::path::Path,
    headers: Arc<dyn HeaderProvider>,
    transport: Arc<dyn HttpTransport>,
    tune: impl FnOnce(&mut FlowConfig),
) -> FlowClient {
    let mut backend = BackendConfig::new(base_url.clone());
    backend.stripe_api_base = base_url;
    backend.connect_timeout = Duration::from_secs(1);
    backend.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    };
    let mut config = FlowConfig {
        backend,
        return_urls: vec![RETURN_URL.into()],
        android_app_id: None,
        data_dir: dir.to_path_buf(),
        stripe_fallback: false,
        refresh: finconn_client::account_data::RefreshPolicy::default(),
        data_limits: finconn_core::data::DataLimits::default(),
        link_retry: Default::default(),
    };
    tune(&mut config);
    FlowClient::new(config, Some(headers), transport).expect("valid client")
}
