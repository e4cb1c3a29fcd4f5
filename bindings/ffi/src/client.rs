//! The objects Swift and Kotlin drive: `FlowClient` (one per app) and `Flow` (one per "Link your
//! bank account" tap), the host-implemented `HeadersProvider` and `FlowListener`, and the
//! standalone `checkReturnUrl`. Each method converts its arguments, calls `finconn-core` and
//! converts the answer back. The host's `HttpTransport` (module `transport`) carries every byte.

use std::collections::HashMap;
use std::sync::Arc;

use finconn_client::backend::HeaderProvider;
use finconn_client::flow as core_flow;
use finconn_core::events::{FlowEvent, OutboxSummary};
use finconn_core::network::endpoints::BackendEndpoints;
use finconn_core::return_url::ReturnUrlRules;

use crate::callback::CallbackError;
use crate::data::{OwnersResult, RefreshReport, TransactionSync};
use crate::executor::offload;
use crate::numbers::{as_millis, millis, unsigned};
use crate::transport::{HttpTransport, TransportAdapter};
use crate::types::{
    Account, FlowResult, SessionOptions, SheetConfiguration, SheetResult, UrlCheck, UrlHandling,
};
use finconn_core::data::DataFeature;
use finconn_core::error::FinConnError;
use finconn_core::state::FlowPhase;

/// How the library reaches the app's backend and recognises its deep links.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowClientConfig {
    /// The app's backend, e.g. `https://api.example.com` (plain http only for 127.0.0.1/localhost
    /// during development, e.g. `fc serve`).
    pub backend_url: String,
    /// The return URLs the app registered (custom scheme like `myapp://stripe-redirect`, and/or
    /// https universal/app links).
    pub return_urls: Vec<String>,
    /// The Android application id, to accept Stripe's own `stripe-auth://…` redirects.
    #[uniffi(default)]
    pub android_app_id: Option<String>,
    /// The app's private data directory, excluded from backups (Android `noBackupFilesDir`; iOS
    /// Application Support marked `isExcludedFromBackup`): its files are this device's state. The core
    /// keeps every active flow there (`finconn-flows/`) and every completion report until the
    /// backend acknowledges it (`finconn-outbox/`).
    pub data_dir: String,
    /// On by default: read the result from Stripe with the publishable key when the backend
    /// cannot answer (as Stripe's own SDKs do). Set false to rely on the backend alone.
    #[uniffi(default = true)]
    pub stripe_fallback: bool,
    /// Stripe's API base URL; only tests change it.
    #[uniffi(default)]
    pub stripe_api_url: Option<String>,
    /// Connect timeout, milliseconds (not negative).
    #[uniffi(default = 10000)]
    pub connect_timeout_ms: i64,
    /// Total time of one attempt, milliseconds (not negative).
    #[uniffi(default = 30000)]
    pub request_timeout_ms: i64,
    /// Attempts per call, the first included (not negative).
    #[uniffi(default = 4)]
    pub max_attempts: i32,
    /// Paths of the backend's endpoints, when they differ from `docs/backend-contract.md`.
    #[uniffi(default)]
    pub paths: Option<BackendEndpoints>,
    /// The largest answer accepted, in bytes (1 MiB). A larger one fails, and is not retried.
    #[uniffi(default = 1048576)]
    pub max_response_bytes: i64,
    /// How long `refresh` may take as a whole, milliseconds: its requests and every poll of
    /// Stripe's asynchronous refreshes (features still pending then are `StillPending`).
    #[uniffi(default = 30000)]
    pub refresh_deadline_ms: i64,
    /// Transactions or owners one account-data call reads at most (10,000; at least 100).
    #[uniffi(default = 10000)]
    pub max_items_per_call: i32,
    /// Bytes one account-data call holds at most for what it read, each item counted decoded
    /// (8 MiB; at least `maxResponseBytes` + 100 KiB).
    #[uniffi(default = 8388608)]
    pub max_bytes_per_call: i64,
    /// The deadline of every public call as a whole (the flow's and the client's, account data
    /// included), every request, retry, poll and report included, milliseconds. `link` applies
    /// it to each of its steps, never to the time the user spends in the sheet.
    #[uniffi(default = 60000)]
    pub call_deadline_ms: i64,
}

// The defaults above are the core's (`finconn_core::data::DataLimits::default()`).
const _: () = assert!(
    finconn_core::data::DEFAULT_MAX_ITEMS == 10000
        && finconn_core::data::DEFAULT_MAX_BYTES == 8388608
        && finconn_core::data::DEFAULT_CALL_DEADLINE.as_millis() == 60000
        && finconn_core::network::policy::DEFAULT_MAX_RESPONSE_BYTES == 1048576
);

/// Supplies the headers of every backend call, e.g. `Authorization: Bearer <user token>`. Called
/// before each attempt, so a refreshed token is used on retries.
///
/// Called on the library's own thread, never on the caller's or the async runtime's, and inside
/// the attempt's deadline (`requestTimeoutMs` plus a short grace): it may block (to refresh a
/// token) but an answer later than that fails the attempt with `Timeout` (retried like any
/// timeout) and is dropped; nothing is sent without headers. While one call runs, the attempts
/// waiting for headers get the next call's answer. Throw `CallbackError` when there are no
/// headers to give (the user signed out, a token refresh failed): the call then fails with
/// `InvalidConfiguration` and nothing is sent (any other throw does the same).
#[uniffi::export(with_foreign)]
pub trait HeadersProvider: Send + Sync {
    /// The headers to add to the next attempt (names and values without CR/LF; they may not
    /// replace the library's own headers).
    fn headers(&self) -> Result<HashMap<String, String>, CallbackError>;
}

/// Receives flow events (phase changes, deep links, reports, forwarded Stripe events). Called on
/// the library's event thread, one event at a time, in order: hop to the main thread before
/// touching UI. One that blocks delays only the events after it, never the flow: at most 1024
/// wait, further ones are dropped and counted (`droppedEvents()`). An async call returns once
/// the listeners have its events, or after at most 250 ms.
///
/// A throw is ignored: the flow goes on and the next event is delivered as usual.
#[uniffi::export(with_foreign)]
pub trait FlowListener: Send + Sync {
    /// One event of one of the client's flows, in the order they happened.
    fn on_event(&self, event: FlowEvent) -> Result<(), CallbackError>;
}

struct HeadersAdapter(Arc<dyn HeadersProvider>);

impl HeaderProvider for HeadersAdapter {
    fn headers(&self) -> Vec<(String, String)> {
        self.try_headers().unwrap_or_default()
    }

    fn try_headers(&self) -> Result<Vec<(String, String)>, String> {
        match self.0.headers() {
            Ok(headers) => Ok(headers.into_iter().collect()),
            Err(CallbackError::Failed { reason }) => Err(reason),
        }
    }
}

struct ListenerAdapter(Arc<dyn FlowListener>);

impl core_flow::FlowEventListener for ListenerAdapter {
    fn on_event(&self, event: &FlowEvent) {
        // A listener that throws misses only this event (its reason is the host's: not logged).
        let _ = self.0.on_event(event.clone());
    }
}

impl TryFrom<FlowClientConfig> for core_flow::FlowConfig {
    type Error = FinConnError;

    fn try_from(c: FlowClientConfig) -> Result<Self, FinConnError> {
        // The library's defaults first (`FlowConfig::new`), then what the app set.
        let mut config = core_flow::FlowConfig::new(c.backend_url, c.return_urls, c.data_dir);
        let backend = &mut config.backend;
        backend.connect_timeout = millis("connectTimeoutMs", c.connect_timeout_ms)?;
        backend.request_timeout = millis("requestTimeoutMs", c.request_timeout_ms)?;
        backend.retry.max_attempts = unsigned("maxAttempts", i64::from(c.max_attempts))?;
        backend.max_response_bytes = unsigned("maxResponseBytes", c.max_response_bytes)?;
        if let Some(url) = c.stripe_api_url {
            backend.stripe_api_base = url;
        }
        if let Some(paths) = c.paths {
            backend.paths = paths;
        }
        config.android_app_id = c.android_app_id;
        config.stripe_fallback = c.stripe_fallback;
        config.refresh.deadline = millis("refreshDeadlineMs", c.refresh_deadline_ms)?;
        config.data_limits.max_items =
            unsigned("maxItemsPerCall", i64::from(c.max_items_per_call))?;
        config.data_limits.max_bytes = unsigned("maxBytesPerCall", c.max_bytes_per_call)?;
        config.data_limits.call_deadline = millis("callDeadlineMs", c.call_deadline_ms)?;
        Ok(config)
    }
}

impl FlowClientConfig {
    /// The flat configuration with every default the core has (`FlowConfig::new`): what the
    /// `uniffi(default)` values of this record must equal (the Kotlin and Swift tests compare
    /// them through `testingCoreDefaults`).
    pub fn core_defaults(backend_url: String, return_urls: Vec<String>, data_dir: String) -> Self {
        let c =
            core_flow::FlowConfig::new(backend_url.clone(), return_urls.clone(), data_dir.clone());
        FlowClientConfig {
            backend_url,
            return_urls,
            android_app_id: c.android_app_id,
            data_dir,
            stripe_fallback: c.stripe_fallback,
            stripe_api_url: None,
            connect_timeout_ms: as_millis(c.backend.connect_timeout),
            request_timeout_ms: as_millis(c.backend.request_timeout),
            max_attempts: i32::try_from(c.backend.retry.max_attempts).unwrap_or(i32::MAX),
            paths: None,
            max_response_bytes: i64::try_from(c.backend.max_response_bytes).unwrap_or(i64::MAX),
            refresh_deadline_ms: as_millis(c.refresh.deadline),
            max_items_per_call: i32::try_from(c.data_limits.max_items).unwrap_or(i32::MAX),
            max_bytes_per_call: i64::try_from(c.data_limits.max_bytes).unwrap_or(i64::MAX),
            call_deadline_ms: as_millis(c.data_limits.call_deadline),
        }
    }
}

/// One per app: creates and restores flows, checks deep links, lists and disconnects accounts,
/// and delivers completion reports a killed app left behind. Open it with `open` (async: it
/// creates and tidies its directories in `dataDir`).
///
/// Every async method runs on the library's own executor (one thread, "finconn-runtime"), never
/// on the caller's: the caller's thread only waits for the answer, so any dispatcher (Android
/// `Main` included) or Swift task may call them. The synchronous methods touch no file.
#[derive(uniffi::Object)]
pub struct FlowClient {
    pub(crate) inner: core_flow::FlowClient,
}

#[uniffi::export]
impl FlowClient {
    /// Checks the configuration and opens the flow store and the report outbox in `data_dir`,
    /// on the library's executor. `transport` carries every request: the platform's
    /// (`PlatformHttpTransport`, which the two-argument `open(config, headers)` of the Swift
    /// package and the Android library passes) or the app's own.
    #[uniffi::constructor(name = "open")]
    pub async fn open(
        config: FlowClientConfig,
        headers: Option<Arc<dyn HeadersProvider>>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Arc<Self>, FinConnError> {
        let headers = headers.map(|h| Arc::new(HeadersAdapter(h)) as Arc<dyn HeaderProvider>);
        let transport = Arc::new(TransportAdapter(transport));
        offload(async move {
            let inner = core_flow::FlowClient::new(config.try_into()?, headers, transport)?;
            Ok(Arc::new(FlowClient { inner }))
        })
        .await
    }

    /// A new flow for a "Link your bank account" tap. Options are validated here. Touches no
    /// file (a flow is written once it starts).
    pub fn new_flow(&self, options: SessionOptions) -> Result<Arc<Flow>, FinConnError> {
        Ok(Arc::new(Flow {
            inner: self.inner.new_flow(options.into())?,
        }))
    }

    /// A flow from `Flow.snapshot()` kept in the app's own storage; call `resume()` on it. Apps
    /// that let the core keep their flows use `resumePending()` instead. Runs on the library's
    /// executor (it takes the flow's lock file).
    pub async fn restore_flow(&self, snapshot: String) -> Result<Arc<Flow>, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok(Arc::new(Flow {
                inner: inner.restore_flow(&snapshot)?,
            }))
        })
        .await
    }

    /// The flows a previous process left in `data_dir` (interrupted, or ended with a report still
    /// owed), each ready for `resume()`. Flows another process is driving are skipped; corrupt or
    /// forged snapshots are moved aside and nothing is sent for them. Runs on the library's
    /// executor.
    pub async fn pending_flows(&self) -> Result<Vec<Arc<Flow>>, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok(inner
                .pending_flows()?
                .flows
                .into_iter()
                .map(|inner| Arc::new(Flow { inner }))
                .collect())
        })
        .await
    }

    /// The launch step, once per process: resumes every flow a previous process left, then sends
    /// the reports still queued. Runs on the library's executor.
    pub async fn resume_pending(&self) -> Result<PendingRecovery, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            let r = settled(&inner, inner.resume_pending().await).await?;
            Ok(PendingRecovery {
                finished: r.finished.iter().map(FlowResult::from).collect(),
                waiting: r
                    .waiting
                    .into_iter()
                    .map(|inner| Arc::new(Flow { inner }))
                    .collect(),
                reports: r.reports,
                quarantined: i32::try_from(r.quarantined).unwrap_or(i32::MAX),
            })
        })
        .await
    }

    /// Whether a deep link is one of this app's Financial Connections return links. Throws only
    /// if the library itself fails (it is built never to, even on hostile input). Touches no
    /// file.
    pub fn check_url(&self, url: String) -> Result<UrlCheck, FinConnError> {
        Ok(self.inner.classify_url(&url).into())
    }

    /// Sends the completion reports a previous run could not deliver. `resumePending()` (the launch
    /// step) already does it; call this alone to retry later, e.g. when the network comes back.
    /// Runs on the library's executor.
    pub async fn send_pending_reports(&self) -> Result<OutboxSummary, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { settled(&inner, inner.send_pending_reports().await).await }).await
    }

    /// The user's linked accounts, from the backend. Runs on the library's executor.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok(settled(&inner, inner.list_accounts().await)
                .await?
                .iter()
                .map(Account::from)
                .collect())
        })
        .await
    }

    /// Disconnects an account through the backend; returns it with its new status. Runs on the
    /// library's executor.
    pub async fn disconnect_account(&self, account_id: String) -> Result<Account, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok((&settled(&inner, inner.disconnect_account(&account_id).await).await?).into())
        })
        .await
    }

    /// The account as Stripe has it now (balance, refresh records, status). Runs on the
    /// library's executor.
    pub async fn account(&self, account_id: String) -> Result<Account, FinConnError> {
        let inner = self.inner.clone();
        offload(
            async move { Ok((&settled(&inner, inner.account(&account_id).await).await?).into()) },
        )
        .await
    }

    /// Refreshes `features` and waits for Stripe to finish (within `refreshDeadlineMs`). Features
    /// refreshed too recently come back `TooSoon` without any call; `action` says when the
    /// account needs a relink (inactive, or a permission never granted) or is gone. Runs on the
    /// library's executor.
    pub async fn refresh(
        &self,
        account_id: String,
        features: Vec<DataFeature>,
    ) -> Result<RefreshReport, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok((&settled(&inner, inner.refresh(&account_id, &features).await).await?).into())
        })
        .await
    }

    /// Every owner of the account, all pages. Runs on the library's executor.
    pub async fn owners(&self, account_id: String) -> Result<OwnersResult, FinConnError> {
        let inner = self.inner.clone();
        offload(
            async move { Ok((&settled(&inner, inner.owners(&account_id).await).await?).into()) },
        )
        .await
    }

    /// The transactions added or changed since `cursor` (`None`: all of them) and the cursor for
    /// the next call. Keep a local ledger by upserting them by id. One call reads at most
    /// `maxItemsPerCall` transactions and `maxBytesPerCall` bytes within `callDeadlineMs`; when
    /// it stops there, `hasMore` is true and `cursor` continues where it stopped. Runs on the
    /// library's executor.
    pub async fn sync_transactions(
        &self,
        account_id: String,
        cursor: Option<String>,
    ) -> Result<TransactionSync, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            let sync = inner
                .sync_transactions(&account_id, cursor.as_deref())
                .await;
            Ok(settled(&inner, sync).await?.into())
        })
        .await
    }

    /// Turns on Stripe's daily refreshes of `features` (only `Transactions`). Runs on the
    /// library's executor.
    pub async fn subscribe(
        &self,
        account_id: String,
        features: Vec<DataFeature>,
    ) -> Result<Account, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok((&settled(&inner, inner.subscribe(&account_id, &features).await).await?).into())
        })
        .await
    }

    /// Turns them off. Runs on the library's executor.
    pub async fn unsubscribe(
        &self,
        account_id: String,
        features: Vec<DataFeature>,
    ) -> Result<Account, FinConnError> {
        let inner = self.inner.clone();
        offload(async move {
            Ok((&settled(&inner, inner.unsubscribe(&account_id, &features).await).await?).into())
        })
        .await
    }

    /// Adds a listener for every flow of this client; returns an id for `removeListener`.
    pub fn add_listener(&self, listener: Arc<dyn FlowListener>) -> i64 {
        let id = self.inner.add_listener(Arc::new(ListenerAdapter(listener)));
        // Ids count up from 1: an i64 holds every one a process can make.
        i64::try_from(id).unwrap_or(i64::MAX)
    }

    /// Removes the listener `addListener` returned this id for; an id it never returned
    /// (negative ones included) removes nothing.
    pub fn remove_listener(&self, listener_id: i64) {
        if let Ok(id) = u64::try_from(listener_id) {
            self.inner.remove_listener(id)
        }
    }

    /// Events dropped because a listener was too slow (1024 were waiting for it), since the
    /// client was opened. A count of the process's lifetime: an `i64`, not an `i32`.
    pub fn dropped_events(&self) -> i64 {
        i64::try_from(self.inner.dropped_events()).unwrap_or(i64::MAX)
    }
}

/// After an async call of the client: the listeners and the logger have what it emitted (each
/// waited for at most 250 ms, and not at all while one is stuck).
pub(crate) async fn settled<T>(client: &core_flow::FlowClient, out: T) -> T {
    client.events_delivered().await;
    crate::logging::lines_delivered().await;
    out
}

/// What `resumePending()` did at launch.
#[derive(uniffi::Record)]
pub struct PendingRecovery {
    /// Flows of the previous process that have now ended.
    pub finished: Vec<FlowResult>,
    /// Flows still waiting for the backend (offline, 5xx): call `resume()` on them later.
    pub waiting: Vec<Arc<Flow>>,
    /// What the delivery of the queued completion reports did.
    pub reports: OutboxSummary,
    /// Corrupt or forged flow snapshots moved aside by this call (counted once, never resumed).
    pub quarantined: i32,
}

/// One Financial Connections flow: `start` → present Stripe's sheet → `handleUrl` for deep links →
/// `sheetResult` with the sheet's outcome → the final `FlowResult`. The core keeps it in
/// `data_dir` at every step; after a kill, `FlowClient.resumePending()` finds it. When that write
/// fails, the call that changed the step throws `Storage` and the flow stays at the step before:
/// call it again later, or let the next launch finish the flow (one report either way).
///
/// Every call that writes the flow is async and runs on the library's own executor (one thread,
/// "finconn-runtime"), never on the caller's; in the order they were made. The synchronous ones
/// (`flowId`, `phase`, `sessionId`, `result`, `snapshot`, `recordStripeEvent`) touch no file.
#[derive(uniffi::Object)]
pub struct Flow {
    inner: core_flow::Flow,
}

#[uniffi::export]
impl Flow {
    /// This flow's own id, the same in its events, its snapshot and after a restore.
    pub fn flow_id(&self) -> String {
        self.inner.flow_id()
    }

    /// Where the flow is now.
    pub fn phase(&self) -> FlowPhase {
        self.inner.phase()
    }

    /// The Financial Connections session (`fcsess_…`) once `start` created it; none before.
    pub fn session_id(&self) -> Option<String> {
        self.inner.session_id()
    }

    /// Asks the backend for a session; returns what the sheet needs. Safe to call again after an
    /// error: no second session is created. Runs on the library's executor.
    pub async fn start(&self) -> Result<Arc<SheetConfiguration>, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok(Arc::new(logged(inner.start().await).await?.into())) }).await
    }

    /// Call right before presenting Stripe's sheet. Saves the flow's new phase, on the library's
    /// executor.
    pub async fn sheet_presented(&self) -> Result<(), FinConnError> {
        let inner = self.inner.clone();
        offload(async move { inner.sheet_presented() }).await
    }

    /// Call when the app goes to the background while the sheet is up (the user went to the
    /// bank's app or browser). Saves the flow's new phase, on the library's executor.
    pub async fn user_left_app(&self) -> Result<(), FinConnError> {
        let inner = self.inner.clone();
        offload(async move { inner.user_left_app() }).await
    }

    /// Every incoming deep link. Forward it to Stripe's SDK as well. Throws only if the library
    /// itself fails (it is built never to, even on hostile input). `recorded` is false when the
    /// hints could not be saved (a failing disk); they never decide the outcome. Saves the hints,
    /// on the library's executor.
    pub async fn handle_url(&self, url: String) -> Result<UrlHandling, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok(inner.handle_url(&url).into()) }).await
    }

    /// Forwards an event of Stripe's SDK (`open`, `institution_selected`, …) to the listeners.
    /// Touches no file.
    pub fn record_stripe_event(&self, name: String, metadata: HashMap<String, String>) {
        self.inner.record_stripe_event(&name, metadata)
    }

    /// The sheet's outcome → reconciliation with the backend → the final result. Delivered again
    /// for a finished flow, it returns the same result. Runs on the library's executor.
    pub async fn sheet_result(&self, result: SheetResult) -> Result<FlowResult, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok((&logged(inner.sheet_result(result.into()).await).await?).into()) })
            .await
    }

    /// After a restore: the result, asked from the backend. On a finished flow, its result again;
    /// a flow killed before it had a session ends canceled. Runs on the library's executor.
    pub async fn resume(&self) -> Result<FlowResult, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok((&logged(inner.resume().await).await?).into()) }).await
    }

    /// Ends a flow whose sheet was never shown (the user backed out before it appeared):
    /// canceled, no accounts. A session it already has (or gets from an in-flight `start`) is
    /// reported canceled to the backend. Runs on the library's executor.
    pub async fn cancel(&self) -> Result<FlowResult, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok((&logged(inner.cancel().await).await?).into()) }).await
    }

    /// The final result, once there is one.
    pub fn result(&self) -> Option<FlowResult> {
        self.inner.result().as_ref().map(FlowResult::from)
    }

    /// Versioned JSON of the flow, for hosts that keep their own copy (the core already persists
    /// it). Holds no secret.
    pub fn snapshot(&self) -> String {
        self.inner.snapshot()
    }
}

/// After an async call of a flow (whose listeners the core already waited for): the logger has
/// what it logged (waiting at most 250 ms).
async fn logged<T>(out: T) -> T {
    crate::logging::lines_delivered().await;
    out
}

/// Checks a deep link against return URLs without a client (e.g. in a URL router).
#[uniffi::export]
pub fn check_return_url(
    url: String,
    return_urls: Vec<String>,
    android_app_id: Option<String>,
) -> Result<UrlCheck, FinConnError> {
    let rules = ReturnUrlRules::new(&return_urls, android_app_id.as_deref())
        .map_err(finconn_core::error::FinConnError::from)?;
    Ok(rules.classify(&url).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FlowClientConfig {
        FlowClientConfig::core_defaults(
            "http://127.0.0.1:8080".into(),
            vec!["myapp://stripe-redirect".into()],
            "/tmp/finconn-config-test".into(),
        )
    }

    #[test]
    fn the_defaults_convert_unchanged() {
        let c: core_flow::FlowConfig = config().try_into().unwrap();
        let d = core_flow::FlowConfig::new(
            "http://127.0.0.1:8080".to_owned(),
            vec!["myapp://stripe-redirect".to_owned()],
            "/tmp/finconn-config-test".to_owned(),
        );
        assert_eq!(c.backend.connect_timeout, d.backend.connect_timeout);
        assert_eq!(c.backend.max_response_bytes, d.backend.max_response_bytes);
        assert_eq!(c.data_limits.max_items, d.data_limits.max_items);
        assert_eq!(c.refresh.deadline, d.refresh.deadline);
    }

    #[test]
    fn a_negative_number_in_the_configuration_is_invalid_configuration_naming_it() {
        type Set = fn(&mut FlowClientConfig);
        let cases: [(&str, Set); 8] = [
            ("connectTimeoutMs", |c| c.connect_timeout_ms = -1),
            ("requestTimeoutMs", |c| c.request_timeout_ms = -30_000),
            ("maxAttempts", |c| c.max_attempts = -4),
            ("maxResponseBytes", |c| c.max_response_bytes = i64::MIN),
            ("refreshDeadlineMs", |c| c.refresh_deadline_ms = -1),
            ("maxItemsPerCall", |c| c.max_items_per_call = i32::MIN),
            ("maxBytesPerCall", |c| c.max_bytes_per_call = -8),
            ("callDeadlineMs", |c| c.call_deadline_ms = -60_000),
        ];
        for (field, set) in cases {
            let mut c = config();
            set(&mut c);
            match core_flow::FlowConfig::try_from(c) {
                Err(FinConnError::InvalidConfiguration { reason }) => assert!(
                    reason.contains(field) && reason.contains("negative"),
                    "{field}: {reason}"
                ),
                Err(other) => panic!("{field}: {other:?}"),
                Ok(_) => panic!("{field}: a negative value was accepted"),
            }
        }
    }

    #[test]
    fn zero_is_not_negative() {
        let mut c = config();
        c.max_attempts = 0;
        c.connect_timeout_ms = 0;
        let core: core_flow::FlowConfig = c.try_into().unwrap();
        assert_eq!(core.backend.retry.max_attempts, 0);
        assert_eq!(core.backend.connect_timeout, std::time::Duration::ZERO);
    }
}
