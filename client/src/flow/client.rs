//! The client side of the flow: [`FlowClient`] and its [`FlowConfig`], the state its flows share
//! (`ClientInner`), the listeners and the event thread, new, restored and pending flows, the
//! client's own calls and the one deadline of every public call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use super::ops::{Flow, FlowShared, UrlHandling};
use super::persistence::{restore_found, FlowStore};
use crate::backend::{BackendClient, BackendConfig, CallObserver, CallRecord, HeaderProvider};
use crate::outbox::Outbox;
use crate::store::{ReadOutcome, Store};
use finconn_core::error::FinConnError;
use finconn_core::events::{FlowEvent, OutboxSummary};
use finconn_core::model::Account;
use finconn_core::network::HttpTransport;
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::FlowResult;
use finconn_core::return_url::RejectReason;
use finconn_core::return_url::{ReturnUrlRules, UrlClassification};
use finconn_core::state::{FlowMachine, FlowPhase};

/// Everything a [`FlowClient`] needs besides the host's headers and transport.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub backend: BackendConfig,
    /// The app's registered return URLs (custom scheme and/or universal/app links).
    pub return_urls: Vec<String>,
    /// Android application id, to accept Stripe's own `stripe-auth://…/<appId>/…` redirects.
    pub android_app_id: Option<String>,
    /// The app's private data directory: `finconn-outbox/` and `finconn-flows/` live there.
    pub data_dir: PathBuf,
    /// When the backend cannot answer `complete`, read the session from Stripe with the
    /// publishable key, as Stripe's SDKs do (only possible while the flow still holds the client
    /// secret, i.e. not after a restore).
    pub stripe_fallback: bool,
    /// How `refresh` waits for Stripe's asynchronous account refreshes (its deadline bounds the
    /// whole call).
    pub refresh: crate::account_data::RefreshPolicy,
    /// What one account-data call may read and how long it may take
    /// ([`DataLimits`](finconn_core::data::DataLimits): 10,000 items, 8 MiB, 1,000 pages, 60 s).
    pub data_limits: finconn_core::data::DataLimits,
    /// How [`FlowClient::link`] retries a step after a temporary error.
    pub link_retry: crate::link::LinkRetry,
}

impl FlowConfig {
    /// The settings an app gives (its backend, its return URLs, its data directory) with every
    /// other one at the library's default: the backend client's ([`BackendConfig::new`]), the
    /// Stripe fallback on, the account-data limits and refresh policy, the link's retries. The
    /// FFI's `FlowClientConfig` shows these same defaults (a test compares them).
    pub fn new(
        backend_url: impl Into<String>,
        return_urls: Vec<String>,
        data_dir: impl Into<PathBuf>,
    ) -> FlowConfig {
        FlowConfig {
            backend: BackendConfig::new(backend_url),
            return_urls,
            android_app_id: None,
            data_dir: data_dir.into(),
            stripe_fallback: true,
            refresh: crate::account_data::RefreshPolicy::default(),
            data_limits: finconn_core::data::DataLimits::default(),
            link_retry: crate::link::LinkRetry::default(),
        }
    }
}

/// Receives [`FlowEvent`]s, one at a time and in order, on the client's event thread
/// ("finconn-events"), never on the thread that caused the event. A listener that blocks delays
/// only the events after it: the flow goes on. At most [`LISTENER_QUEUE`] events wait; beyond
/// that they are dropped and counted ([`FlowClient::dropped_events`]). The async operations
/// (`start`, `sheet_result`, `resume`, `cancel`, …) return once the listeners have seen their
/// events, or after at most [`LISTENER_GRACE`] (and not at all while a listener stays stuck).
pub trait FlowEventListener: Send + Sync {
    fn on_event(&self, event: &FlowEvent);
}

/// The flows a previous process left, found by [`FlowClient::pending_flows`].
#[derive(Debug, Default)]
pub struct PendingFlows {
    /// Each is locked for this client; call [`Flow::resume`].
    pub flows: Vec<Flow>,
    /// Held by another client or process right now.
    pub busy: u32,
    /// Could not be read (or moved aside) now; tried again next time.
    pub unreadable: u32,
    /// Corrupt or forged snapshots moved aside by this call; nothing was sent for them. A file
    /// moved aside is not seen again, so it is counted once.
    pub quarantined: u32,
}

/// What [`FlowClient::resume_pending`] did.
#[derive(Debug, Default)]
pub struct PendingRecovery {
    /// Flows of a previous process that have now ended.
    pub finished: Vec<FlowResult>,
    /// Flows that still wait for the backend (offline, 5xx): call [`Flow::resume`] later.
    pub waiting: Vec<Flow>,
    pub reports: OutboxSummary,
    /// Snapshots moved aside as corrupt or forged by this call.
    pub quarantined: u32,
}

/// The most events waiting for the listeners; more are dropped (and counted).
pub const LISTENER_QUEUE: usize = 1024;
/// The longest an async operation waits for the listeners to see its events.
pub const LISTENER_GRACE: Duration = Duration::from_millis(250);

type ListenerList = Arc<Mutex<Vec<(u64, Arc<dyn FlowEventListener>)>>>;

/// The host's listeners, shared by the client and its backend observer. Events go through a
/// bounded queue to one thread that calls the listeners ([`crate::callback::Dispatcher`]).
pub(super) struct Listeners {
    list: ListenerList,
    next: AtomicU64,
    /// Each event with the newest listener id when it happened: a listener sees the events that
    /// happened while it was registered.
    queue: crate::callback::Dispatcher<(FlowEvent, u64)>,
}

impl Default for Listeners {
    fn default() -> Self {
        let list = ListenerList::default();
        Listeners {
            queue: crate::callback::Dispatcher::new(
                "finconn-events",
                LISTENER_QUEUE,
                ListenerSink(list.clone()),
            ),
            list,
            next: AtomicU64::new(0),
        }
    }
}

struct ListenerSink(ListenerList);

impl crate::callback::Sink<(FlowEvent, u64)> for ListenerSink {
    fn deliver(&mut self, (event, newest): (FlowEvent, u64)) {
        let listeners: Vec<_> = lock(&self.0)
            .iter()
            .filter(|(id, _)| *id <= newest)
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            // A listener that panics must not take the others (or the flow) down with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l.on_event(&event)));
        }
    }

    fn dropped(&mut self, count: u64) {
        tracing::warn!(
            dropped = count,
            "a flow listener is too slow: events were dropped"
        );
    }
}

impl Listeners {
    /// Queues the event for the listeners; never waits for them.
    fn emit(&self, event: FlowEvent) {
        let newest = self.next.load(Ordering::SeqCst);
        if lock(&self.list).is_empty() {
            return;
        }
        self.queue.send((event, newest));
    }

    /// Waits (without blocking the runtime) until the listeners have seen every event so far, for
    /// at most [`LISTENER_GRACE`].
    pub(super) async fn delivered(&self) -> bool {
        self.queue.delivered(LISTENER_GRACE).await
    }
}

impl CallObserver for Listeners {
    fn on_call(&self, r: &CallRecord) {
        self.emit(FlowEvent::BackendCall {
            endpoint: r.endpoint.to_owned(),
            attempt: i32::try_from(r.attempt).unwrap_or(i32::MAX),
            status: r.status.map(i32::from),
            request_id: r.request_id.clone(),
            error: r.error.map(str::to_owned),
        });
    }
}

pub(super) struct ClientInner {
    pub(super) backend: BackendClient,
    refresh: crate::account_data::RefreshPolicy,
    pub(super) data_limits: finconn_core::data::DataLimits,
    pub(super) rules: ReturnUrlRules,
    pub(super) outbox: Outbox,
    pub(super) flows: FlowStore,
    pub(super) stripe_fallback: bool,
    pub(super) listeners: Arc<Listeners>,
    /// Flows driven by objects of this client, by id.
    pub(super) live: Mutex<HashMap<String, Weak<FlowShared>>>,
    link_retry: crate::link::LinkRetry,
    data_dir: PathBuf,
}

impl ClientInner {
    pub(super) fn emit(&self, event: FlowEvent) {
        self.listeners.emit(event);
    }

    /// A deep link rejected for a reason that points at the app's configuration rather than at
    /// the link: today `app_id_mismatch`, Stripe's Android redirect for another application id
    /// (the configured `androidAppId` is probably not the app's `applicationId`). Logged as a
    /// warning and told to the listeners ([`FlowEvent::ConfigurationWarning`]); the link stays
    /// rejected.
    pub(super) fn note_configuration_mistake(&self, url: &str, handling: &UrlHandling) {
        if handling.reject_reason.as_deref() != Some(RejectReason::AppIdMismatch.as_str()) {
            return;
        }
        let configured = self.rules.android_app_id().unwrap_or("none");
        let message = format!(
            "a Stripe Android redirect for another application id was rejected: the configured androidAppId is {configured:?}; set it to the app's applicationId if this link was the app's own ({})",
            finconn_core::network::policy::url_for_logs(url)
        );
        tracing::warn!(code = "app_id_mismatch", "{message}");
        self.emit(FlowEvent::ConfigurationWarning {
            code: "app_id_mismatch".into(),
            message,
        });
    }

    pub(super) fn live_flow(&self, flow_id: &str) -> Option<Arc<FlowShared>> {
        lock(&self.live).get(flow_id).and_then(Weak::upgrade)
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves data that is still consistent (every mutation is a
    // single assignment), so a poisoned lock is recovered rather than propagated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One per app: the backend client, the URL rules, the outbox, the flow store and the listeners.
#[derive(Clone)]
pub struct FlowClient {
    pub(super) inner: Arc<ClientInner>,
}

impl std::fmt::Debug for FlowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowClient")
            .field("backend", &self.inner.backend)
            .field("outbox", &self.inner.outbox.dir())
            .finish_non_exhaustive()
    }
}

/// A new idempotency key (`fcidem_` + 32 hex digits).
pub(crate) fn new_idempotency_key() -> String {
    new_id("fcidem_")
}

/// A random identifier: prefix + 32 hex digits.
fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

impl FlowClient {
    /// Checks the configuration (URLs, paths, return URLs, app id) and opens the outbox and the
    /// flow store in `data_dir`.
    pub fn new(
        config: FlowConfig,
        headers: Option<Arc<dyn HeaderProvider>>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, FinConnError> {
        let rules = ReturnUrlRules::new(&config.return_urls, config.android_app_id.as_deref())?;
        config
            .data_limits
            .check(config.backend.max_response_bytes)
            .map_err(FinConnError::invalid_configuration)?;
        let listeners = Arc::new(Listeners::default());
        let backend = BackendClient::new(config.backend, headers, transport)?
            .with_observer(listeners.clone());
        let outbox = Outbox::open(config.data_dir.join("finconn-outbox"))?;
        let dir = config.data_dir.join("finconn-flows");
        let store = Store::open(&dir)
            .map_err(|e| FinConnError::storage("the flow store could not be opened", &e))?;
        let flows = FlowStore { store };
        flows.remove_orphan_locks();
        Ok(FlowClient {
            inner: Arc::new(ClientInner {
                backend,
                refresh: config.refresh,
                data_limits: config.data_limits,
                rules,
                outbox,
                flows,
                stripe_fallback: config.stripe_fallback,
                listeners,
                live: Mutex::new(HashMap::new()),
                link_retry: config.link_retry,
                data_dir: config.data_dir.clone(),
            }),
        })
    }

    /// Adds a listener; returns its id for [`remove_listener`](Self::remove_listener).
    pub fn add_listener(&self, listener: Arc<dyn FlowEventListener>) -> u64 {
        let l = &self.inner.listeners;
        let id = l.next.fetch_add(1, Ordering::Relaxed) + 1;
        lock(&l.list).push((id, listener));
        id
    }

    /// Removes a listener. It may still be in the middle of an event; it gets no other.
    pub fn remove_listener(&self, id: u64) {
        lock(&self.inner.listeners.list).retain(|(i, _)| *i != id);
    }

    /// Waits until the listeners have seen every event emitted so far, for at most
    /// [`LISTENER_GRACE`] (not at all while a listener is stuck in an earlier event). `true` when
    /// they have. The flow's async operations do this before they return.
    pub async fn events_delivered(&self) -> bool {
        self.inner.listeners.delivered().await
    }

    /// Events dropped because a listener was too slow and [`LISTENER_QUEUE`] events were waiting.
    pub fn dropped_events(&self) -> u64 {
        self.inner.listeners.queue.dropped()
    }

    /// A new flow in `Idle`. The options are validated here, before any network call.
    /// A new flow. The options are validated here, and their return URL must be one of the
    /// configured ones ([`FinConnError::InvalidConfiguration`] otherwise).
    pub fn new_flow(&self, options: SessionOptions) -> Result<Flow, FinConnError> {
        let options = options.validate_for(&self.inner.rules)?;
        let machine = FlowMachine::new(new_id("flow_"), new_id("fcidem_"), options);
        Ok(Flow::wrap(self.inner.clone(), machine, None))
    }

    /// A flow from [`Flow::snapshot`] kept in the host's own storage. Call [`Flow::resume`] to
    /// get its result. The snapshot is validated (a forged or corrupt one is
    /// [`FinConnError::SnapshotUnusable`]); a flow another client or process is driving right now is
    /// [`FinConnError::InvalidState`].
    pub fn restore_flow(&self, snapshot: &str) -> Result<Flow, FinConnError> {
        let machine = FlowMachine::restore(snapshot)?;
        let id = machine.flow_id().to_owned();
        if self.inner.live_flow(&id).is_some() {
            return Err(FinConnError::invalid_state(
                "this flow is already open in this client",
            ));
        }
        let held = self
            .inner
            .flows
            .lock(&id)
            .map_err(|e| FinConnError::storage("the flow's lock could not be taken", &e))?;
        match held {
            Some(l) => Ok(Flow::wrap(self.inner.clone(), machine, Some(l))),
            None => Err(FinConnError::invalid_state(
                "another client or process is driving this flow",
            )),
        }
    }

    /// The flows a previous process left unsettled in `data_dir` (interrupted, or ended with a
    /// report still owed), each locked for this client. Corrupt or forged snapshots are moved
    /// aside; unreadable ones stay for next time; flows held by another process are skipped.
    /// Entries that are not regular files (a FIFO, a symbolic link …) or whose names are not
    /// plain are ignored: never opened, followed, moved or counted. The pass's removals and
    /// moves share one directory `fsync`.
    pub fn pending_flows(&self) -> Result<PendingFlows, FinConnError> {
        let store = &self.inner.flows;
        let mut found = PendingFlows::default();
        let ids = store
            .ids()
            .map_err(|e| FinConnError::storage("the saved flows could not be listed", &e))?;
        let batch = store.store.batch();
        // Counts a move aside only when the file really went.
        let quarantine = |found: &mut PendingFlows, name: &str| match batch.quarantine(name) {
            Ok(_) => found.quarantined += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %name, error = %e, "unusable flow snapshot could not be moved aside; kept for next time");
                found.unreadable += 1;
            }
        };
        let read = |name: &str, id: &str| -> Result<Option<Result<FlowMachine, String>>, ()> {
            match store.store.read(name) {
                ReadOutcome::Found(bytes) => Ok(Some(restore_found(&bytes, id))),
                ReadOutcome::Missing => Ok(None),
                ReadOutcome::Unreadable(e) => {
                    tracing::warn!(flow_id = %id, error = %e, "flow snapshot unreadable now; kept for next time");
                    Err(())
                }
            }
        };
        for id in ids {
            if self.inner.live_flow(&id).is_some() {
                continue;
            }
            let name = FlowStore::snapshot_name(&id);
            if !finconn_core::ids::is_valid(finconn_core::ids::IdKind::Flow, &id) {
                quarantine(&mut found, &name);
                continue;
            }
            let lock_name = FlowStore::lock_name(&id);
            // A first look without the lock, so that garbage costs no lock file: only a usable
            // snapshot is locked (its lock file created) and read again under the lock.
            let held = match read(&name, &id) {
                Err(()) => {
                    found.unreadable += 1;
                    continue;
                }
                Ok(None) => continue, // gone meanwhile, or not a regular file: not ours
                Ok(Some(Ok(_))) => store.lock(&id),
                // Unusable. A flow that is being driven has its lock file (created before its
                // first write, removed after its last): with none, nobody drives this one, and a
                // process that starts to finds the same garbage.
                Ok(Some(Err(_))) if !store.store.exists(&lock_name) => {
                    tracing::warn!(flow_id = %id, "unusable flow snapshot moved aside; nothing sent for it");
                    quarantine(&mut found, &name);
                    continue;
                }
                Ok(Some(Err(_))) => store.store.lock_existing(&lock_name),
            };
            let held = match held {
                Ok(Some(l)) => l,
                Ok(None) => {
                    found.busy += 1;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(flow_id = %id, error = %e, "flow lock unavailable; kept for next time");
                    found.unreadable += 1;
                    continue;
                }
            };
            // Under the lock: the snapshot as it is now.
            match read(&name, &id) {
                Err(()) => found.unreadable += 1,
                Ok(None) => {
                    // Settled by another process meanwhile.
                    let _ = batch.remove(&lock_name);
                }
                Ok(Some(Err(reason))) => {
                    tracing::warn!(flow_id = %id, reason = %reason, "unusable flow snapshot moved aside; nothing sent for it");
                    quarantine(&mut found, &name);
                    let _ = batch.remove(&lock_name);
                }
                Ok(Some(Ok(machine))) if machine.is_settled() => {
                    if let Err(e) = store.remove_in(&batch, &id) {
                        tracing::warn!(flow_id = %id, error = %e, "a settled flow's snapshot could not be removed");
                    }
                }
                Ok(Some(Ok(machine))) => {
                    found
                        .flows
                        .push(Flow::wrap(self.inner.clone(), machine, Some(held)))
                }
            }
        }
        if let Err(e) = batch.finish() {
            tracing::warn!(error = %e, "flow store directory sync failed");
        }
        Ok(found)
    }

    /// The launch step: resumes every flow a previous process left ([`pending_flows`] +
    /// [`Flow::resume`]), then delivers the reports still queued ([`send_pending_reports`]).
    ///
    /// [`pending_flows`]: Self::pending_flows
    /// [`send_pending_reports`]: Self::send_pending_reports
    pub async fn resume_pending(&self) -> Result<PendingRecovery, FinConnError> {
        within_call_deadline(
            &self.inner.data_limits,
            "resume_pending",
            self.resume_pending_op(),
        )
        .await
    }

    async fn resume_pending_op(&self) -> Result<PendingRecovery, FinConnError> {
        let pending = self.pending_flows()?;
        let mut recovery = PendingRecovery {
            quarantined: pending.quarantined,
            ..PendingRecovery::default()
        };
        for flow in pending.flows {
            match flow.resume().await {
                Ok(result) => recovery.finished.push(result),
                Err(e) => {
                    tracing::info!(flow_id = %flow.flow_id(), error = %e, "pending flow still waits for the backend");
                    recovery.waiting.push(flow);
                }
            }
        }
        recovery.reports = self.send_pending_reports().await?;
        Ok(recovery)
    }

    /// Checks a deep link against the configured rules, without any flow.
    pub fn classify_url(&self, url: &str) -> UrlClassification {
        self.inner.rules.classify(url)
    }

    /// Every incoming deep link, for the flows of this client: each one waiting for the user to
    /// come back records its hints ([`Flow::handle_url`]); `recorded` says whether one did. With
    /// no flow waiting, the link is only classified (`is_flow_url`), never recorded.
    pub fn handle_url(&self, url: &str) -> UrlHandling {
        let live: Vec<Flow> = {
            let live = lock(&self.inner.live);
            live.values()
                .filter_map(std::sync::Weak::upgrade)
                .map(|shared| Flow { shared })
                .collect()
        };
        let waiting: Vec<Flow> = live
            .into_iter()
            .filter(|f| matches!(f.phase(), FlowPhase::Presenting | FlowPhase::AwaitingReturn))
            .collect();
        let mut answer: Option<UrlHandling> = None;
        for flow in &waiting {
            let handling = flow.handle_url(url);
            if answer.as_ref().is_none_or(|a| !a.recorded) {
                answer = Some(handling);
            }
        }
        answer.unwrap_or_else(|| {
            let handling = UrlHandling::classified(self.inner.rules.classify(url));
            self.inner.note_configuration_mistake(url, &handling);
            handling
        })
    }

    /// The setup self-check, for debug builds: the configuration's rules
    /// ([`finconn_core::setup::check_configuration`]: an https backend, valid return URLs, a
    /// well-formed Android application id) and whether the data directory takes a durable write
    /// (a probe file written, synced and removed). Each item says what to change when it fails.
    pub async fn check_setup(&self) -> Vec<finconn_core::setup::SetupFinding> {
        use finconn_core::setup::SetupFinding;
        let backend = self.inner.backend.config();
        let return_urls: Vec<String> = self.inner.rules.return_urls().map(str::to_owned).collect();
        let mut findings = finconn_core::setup::check_configuration(
            &backend.base_url,
            &return_urls,
            self.inner.rules.android_app_id(),
        );
        let probe = self
            .inner
            .data_dir
            .join(format!(".finconn-setup-probe-{}", new_id("")));
        let written = std::fs::File::create(&probe)
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(b"finconn")?;
                f.sync_all()
            })
            .and_then(|()| std::fs::remove_file(&probe));
        findings.push(match written {
            Ok(()) => SetupFinding::pass("data_dir_writable", "the data directory takes a durable write"),
            Err(e) => {
                let _ = std::fs::remove_file(&probe);
                SetupFinding::fail(
                    "data_dir_writable",
                    format!("the data directory cannot be written ({e}): pass the app's private, non-backed-up directory (Android noBackupFilesDir, iOS Application Support)"),
                )
            }
        });
        findings
    }

    /// How [`FlowClient::link`] retries a step after a temporary error.
    pub fn link_retry(&self) -> &crate::link::LinkRetry {
        &self.inner.link_retry
    }

    /// The user's linked accounts, from the backend.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, FinConnError> {
        let out = within_call_deadline(&self.inner.data_limits, "list_accounts", async {
            Ok(self.inner.backend.list_accounts().await?)
        })
        .await;
        self.inner.listeners.delivered().await;
        out
    }

    /// Disconnects an account through the backend.
    pub async fn disconnect_account(&self, account_id: &str) -> Result<Account, FinConnError> {
        let key = new_id("fcidem_");
        let out = within_call_deadline(&self.inner.data_limits, "disconnect_account", async {
            Ok(self
                .inner
                .backend
                .disconnect_account(account_id, &key)
                .await?)
        })
        .await;
        self.inner.listeners.delivered().await;
        out
    }

    /// The backend client (for the account-data API and tools).
    pub fn backend(&self) -> &BackendClient {
        &self.inner.backend
    }

    /// How `refresh` waits.
    pub fn refresh_policy(&self) -> &crate::account_data::RefreshPolicy {
        &self.inner.refresh
    }

    /// What one account-data call may read and how long it may take.
    pub fn data_limits(&self) -> &finconn_core::data::DataLimits {
        &self.inner.data_limits
    }
}

/// One deadline for a whole public call of a flow or of the client (`DataLimits::call_deadline`,
/// 60 s by default): every attempt, backoff, poll and report of it. When it passes, the call ends
/// with [`FinConnError::Timeout`] and its work is dropped there. That is as safe as a killed process:
/// every phase reached is persisted, every report queued is sent again later, and the same call
/// again picks up where it stopped (the flow's idempotency key is kept).
pub(super) async fn within_call_deadline<T>(
    limits: &finconn_core::data::DataLimits,
    call: &'static str,
    op: impl std::future::Future<Output = Result<T, FinConnError>>,
) -> Result<T, FinConnError> {
    match tokio::time::timeout(limits.call_deadline, op).await {
        Ok(out) => out,
        Err(_) => Err(FinConnError::timeout(format!(
            "{call} did not finish within its deadline of {} ms",
            limits.call_deadline.as_millis()
        ))),
    }
}
