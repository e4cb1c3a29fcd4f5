//! The networked flow: ties the state machine, the return-URL rules, the backend client, the
//! outbox and reconciliation into the API a mobile app drives, and keeps every active flow on
//! disk so a killed app finds it again.
//!
//! ```text
//! let client = FlowClient::new(config, headers, transport)?;  // once per app
//! client.resume_pending().await?;                             // at launch: flows and reports a killed app left
//! let flow = client.new_flow(options)?;                       // per "Link your bank" tap
//! let sheet = flow.start().await?;                            // → client secret + publishable key
//! flow.sheet_presented()?;                                    // present Stripe's sheet with them
//! flow.handle_url(url);                                       // every incoming deep link
//! let result = flow.sheet_result(outcome).await?;             // the sheet's callback → final result
//! ```
//!
//! ## Persistence
//! Every phase change writes the flow's snapshot (secret-free, see [`finconn_core::state`]) atomically to
//! `<data_dir>/finconn-flows/flow-<id>.json` (mode 0600). The file goes once the flow is settled:
//! ended, with its completion report acknowledged (or refused for good) by the backend. A flow
//! holds an advisory lock (`flow-<id>.lock`) while an object drives it, so two clients or two
//! processes on one directory never drive the same flow. [`FlowClient::pending_flows`] /
//! [`FlowClient::resume_pending`] find what a previous process left.
//!
//! **When a write fails** (a full disk, a directory that refuses writes, an I/O error):
//! - A call that changes the phase (`start`, `sheet_presented`, `user_left_app`, `sheet_result`,
//!   `resume`, `cancel`) returns [`FinConnError::Storage`] and the change is **undone in memory**: the
//!   flow stays in the phase it had, the one its snapshot on disk holds (the write is atomic, the
//!   old snapshot is intact; a flow that never left `Idle` has none). Memory and disk agree, so
//!   the call can simply be made again once the storage recovers, and a kill at any moment leaves
//!   a snapshot a relaunch resumes from. What happened at the backend meanwhile is never lost:
//!   `start` keeps its idempotency key (a repeat gets the same session), and a report is rebuilt
//!   from the snapshot with the same report id, which the backend counts once. So every session
//!   still gets exactly one report, by a later call or by the next launch's `resume_pending`.
//!   No event announces an undone change. `handle_url` cannot fail: its hints are then not
//!   recorded (`recorded: false`); hints never decide the outcome.
//! - A change within a phase (a deep link's hints while the sheet is up, a repeated create, the
//!   session a canceled create returned, a settled report) is **kept in memory** and written with
//!   the next successful write; the earlier state on disk is one a relaunch recovers from the
//!   same way (same key, same report id).
//! - At launch, `FlowClient::new`, `pending_flows`, `resume_pending` and `send_pending_reports`
//!   return [`FinConnError::Storage`] when the data directory cannot be created or listed.
//!
//! ## Concurrency
//! Async operations of one flow (`start`, `sheet_result`, `resume`) run one at a time; the others
//! never wait for the network. Called while another operation is in flight:
//!
//! | called \ in flight | `start` | `sheet_result` / `resume` |
//! |---|---|---|
//! | `start` | waits, then returns the same sheet configuration (one session) | waits, then `InvalidState` (the flow moved on) |
//! | `sheet_result`, `resume` | waits for the session, then reconciles with the server (nothing linked: canceled) | waits, then returns the same result |
//! | `cancel` | ends the flow canceled at once; when the create answers, that session gets a `canceled` report and `start` fails with `InvalidState` | `InvalidState` (the sheet was shown: only its result ends the flow) |
//! | `sheet_presented` | `InvalidState` (not ready yet) | `InvalidState` |
//! | `user_left_app` | `InvalidState` | `InvalidState` |
//! | `handle_url` | classified, not recorded (nothing presented) | classified, not recorded |
//! | `snapshot`, `phase`, `result` | a consistent view | a consistent view |
//!
//! Synchronous operations are serialised by the flow's lock; each sees the state the previous one
//! left. `cancel` twice returns the same result; after the end, every mutating call is
//! `InvalidState` except `sheet_result`/`resume`, which return the result again. Whatever the
//! interleaving: at most one session per flow, and every session of an ended flow is reported
//! exactly once (`core/tests/flow_concurrency.rs` runs each pair).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::backend::{
    BackendClient, BackendConfig, BackendError, CallObserver, CallRecord, CompletionReport,
    HeaderProvider,
};
use crate::outbox::Outbox;
use crate::store::{Batch, FileLock, ReadOutcome, Store};
use finconn_core::error::FinConnError;
use finconn_core::events::{FlowEvent, OutboxSummary};
use finconn_core::model::{Account, Session};
use finconn_core::network::HttpTransport;
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::{reconcile, FlowResult, FlowStatus, ReconcileInput, SheetOutcome};
use finconn_core::return_url::{ReturnUrlHints, ReturnUrlRules, UrlClassification};
use finconn_core::secret::Secret;
use finconn_core::state::{
    FlowFailure, FlowMachine, FlowPhase, PhaseChange, ReportToken, SessionInfo, SheetCredentials,
};

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

/// What the app gives Stripe's `FinancialConnectionsSheet`. `Debug` hides the secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetConfiguration {
    pub session_id: String,
    pub client_secret: Secret,
    pub publishable_key: Secret,
    pub stripe_account: Option<String>,
    pub livemode: bool,
}

/// What [`Flow::handle_url`] decided about a deep link.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlHandling {
    /// The link belongs to this app's Financial Connections flows (do not route it elsewhere).
    pub is_flow_url: bool,
    /// The flow recorded its hints (it was waiting for the user to come back).
    pub recorded: bool,
    pub hints: Option<ReturnUrlHints>,
    /// Why the link was rejected, as a stable code.
    pub reject_reason: Option<String>,
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
struct Listeners {
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
    async fn delivered(&self) -> bool {
        self.queue.delivered(LISTENER_GRACE).await
    }
}

impl CallObserver for Listeners {
    fn on_call(&self, r: &CallRecord) {
        self.emit(FlowEvent::BackendCall {
            endpoint: r.endpoint.to_owned(),
            attempt: r.attempt,
            status: r.status,
            request_id: r.request_id.clone(),
            error: r.error.map(str::to_owned),
        });
    }
}

/// The persisted flows: `flow-<id>.json` snapshots and their `flow-<id>.lock` files.
#[derive(Debug, Clone)]
struct FlowStore {
    store: Store,
}

impl FlowStore {
    fn snapshot_name(flow_id: &str) -> String {
        format!("flow-{flow_id}.json")
    }
    fn lock_name(flow_id: &str) -> String {
        format!("flow-{flow_id}.lock")
    }
    fn lock(&self, flow_id: &str) -> std::io::Result<Option<FileLock>> {
        self.store.lock_file(&Self::lock_name(flow_id))
    }
    fn save(&self, machine: &FlowMachine) -> std::io::Result<()> {
        self.store.write_atomic(
            &Self::snapshot_name(machine.flow_id()),
            machine.snapshot().as_bytes(),
        )
    }
    /// Removes a settled flow's files; call with its lock held. The snapshot's removal is what
    /// counts (its error is returned); a lock file left behind goes at the next launch.
    fn remove(&self, flow_id: &str) -> std::io::Result<()> {
        let batch = self.store.batch();
        self.remove_in(&batch, flow_id)?;
        batch.finish()
    }
    /// [`remove`](Self::remove) within a pass (one directory sync at its end).
    fn remove_in(&self, batch: &Batch<'_>, flow_id: &str) -> std::io::Result<()> {
        batch.remove(&Self::snapshot_name(flow_id))?;
        if let Err(e) = batch.remove(&Self::lock_name(flow_id)) {
            tracing::warn!(flow_id, error = %e, "a settled flow's lock file could not be removed");
        }
        Ok(())
    }
    fn ids(&self) -> std::io::Result<Vec<String>> {
        Ok(self
            .store
            .list("flow-", ".json")?
            .into_iter()
            .map(|n| n["flow-".len()..n.len() - ".json".len()].to_owned())
            .collect())
    }
    /// Lock files whose snapshot is gone and that nobody holds (one directory sync for all).
    fn remove_orphan_locks(&self) {
        let Ok(names) = self.store.list("flow-", ".lock") else {
            return;
        };
        let batch = self.store.batch();
        for name in names {
            let id = &name["flow-".len()..name.len() - ".lock".len()];
            if !self.store.exists(&Self::snapshot_name(id)) {
                if let Ok(Some(_held)) = self.store.lock_file(&name) {
                    let _ = batch.remove(&name);
                }
            }
        }
        if let Err(e) = batch.finish() {
            tracing::warn!(error = %e, "flow store directory sync failed");
        }
    }
}

struct ClientInner {
    backend: BackendClient,
    refresh: crate::account_data::RefreshPolicy,
    data_limits: finconn_core::data::DataLimits,
    rules: ReturnUrlRules,
    outbox: Outbox,
    flows: FlowStore,
    stripe_fallback: bool,
    listeners: Arc<Listeners>,
    /// Flows driven by objects of this client, by id.
    live: Mutex<HashMap<String, Weak<FlowShared>>>,
}

impl ClientInner {
    fn emit(&self, event: FlowEvent) {
        self.listeners.emit(event);
    }

    fn live_flow(&self, flow_id: &str) -> Option<Arc<FlowShared>> {
        lock(&self.live).get(flow_id).and_then(Weak::upgrade)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves data that is still consistent (every mutation is a
    // single assignment), so a poisoned lock is recovered rather than propagated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One per app: the backend client, the URL rules, the outbox, the flow store and the listeners.
#[derive(Clone)]
pub struct FlowClient {
    inner: Arc<ClientInner>,
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
    pub fn new_flow(&self, options: SessionOptions) -> Result<Flow, FinConnError> {
        let options = options.validate()?;
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

    /// Sends the reports still queued (a previous run could not deliver them). Reports another
    /// client or process is sending right now are left to it.
    pub async fn send_pending_reports(&self) -> Result<OutboxSummary, FinConnError> {
        let out = within_call_deadline(
            &self.inner.data_limits,
            "send_pending_reports",
            self.send_pending_reports_op(),
        )
        .await;
        self.inner.listeners.delivered().await;
        out
    }

    async fn send_pending_reports_op(&self) -> Result<OutboxSummary, FinConnError> {
        let pending = self.inner.outbox.pending()?;
        let mut summary = OutboxSummary {
            remaining: pending.unreadable.len() as u32,
            quarantined: pending.quarantined.len() as u32,
            ..OutboxSummary::default()
        };
        for report in pending.reports {
            match deliver(&self.inner, &report, LockWait::No).await {
                Delivery::Delivered(_) => summary.delivered += 1,
                Delivery::Dropped(_) => summary.dropped += 1,
                Delivery::Kept(_) | Delivery::Busy => summary.remaining += 1,
                Delivery::Gone => {}
            }
        }
        Ok(summary)
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
async fn within_call_deadline<T>(
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

enum Delivery {
    Delivered(Box<Session>),
    Dropped(BackendError),
    Kept(BackendError),
    /// Another client or process holds the report's send lock.
    Busy,
    /// The report file vanished before it could be locked (delivered elsewhere).
    Gone,
}

#[derive(Clone, Copy)]
enum LockWait {
    No,
    /// Wait up to this long for another sender to finish.
    Upto(Duration),
}

/// Sends one report under its send lock; removes it from the outbox when acknowledged or refused
/// for good, and settles its flow. With `LockWait::Upto`, a report whose file is gone is still
/// sent (the caller needs the server's answer; the report id makes it count once).
async fn deliver(inner: &ClientInner, report: &CompletionReport, wait: LockWait) -> Delivery {
    let mut waited = Duration::ZERO;
    let held = loop {
        match inner.outbox.lock(&report.report_id) {
            Ok(Some(l)) => break Some(l),
            Ok(None) => {
                let exists = inner.outbox.contains(&report.report_id);
                match wait {
                    LockWait::No if exists => return Delivery::Busy,
                    LockWait::No => return Delivery::Gone,
                    LockWait::Upto(_) if !exists => break None,
                    LockWait::Upto(max) if waited >= max => return Delivery::Busy,
                    LockWait::Upto(_) => {
                        tokio::time::sleep(Duration::from_millis(25)).await;
                        waited += Duration::from_millis(25);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "report lock unavailable; sending without it (idempotent)");
                break None;
            }
        }
    };
    let outcome = match inner.backend.complete_session(report).await {
        Ok(session) => {
            inner.emit(FlowEvent::ReportDelivered {
                session_id: report.session_id.clone(),
                report_id: report.report_id.clone(),
            });
            Delivery::Delivered(Box::new(session))
        }
        // 400/404/410/422: the backend will never accept this report. 401/403 may be an expired
        // user token: keep it for the next launch.
        Err(
            e @ BackendError::Status {
                status: 400 | 404 | 410 | 422,
                ..
            },
        ) => {
            tracing::warn!(session_id = %report.session_id, error = %e, "completion report refused for good");
            inner.emit(FlowEvent::ReportDropped {
                session_id: report.session_id.clone(),
                report_id: report.report_id.clone(),
                reason: e.to_string(),
            });
            Delivery::Dropped(e)
        }
        Err(e) => return Delivery::Kept(e),
    };
    if let Err(e) = inner.outbox.remove(&report.report_id) {
        tracing::warn!(error = %e, "settled report could not be removed; it will be sent again (idempotent)");
    }
    drop(held);
    settle_flow_files(inner, &report.flow_id);
    outcome
}

/// A report of `flow_id` was settled: the flow's files go if the flow has ended.
fn settle_flow_files(inner: &ClientInner, flow_id: &str) {
    if let Some(shared) = inner.live_flow(flow_id) {
        let mut state = lock(&shared.state);
        state.machine.mark_report_settled();
        if let Err(e) = shared.persist(&mut state) {
            tracing::warn!(flow_id, error = %e, "settled report not saved; kept in memory, written with the next write");
        }
        return;
    }
    let store = &inner.flows;
    let Ok(Some(_held)) = store.lock(flow_id) else {
        return;
    };
    if let ReadOutcome::Found(bytes) = store.store.read(&FlowStore::snapshot_name(flow_id)) {
        if let Ok(mut m) = FlowMachine::restore(&String::from_utf8_lossy(&bytes)) {
            m.mark_report_settled();
            // On failure the snapshot on disk still owes the report: a relaunch sends it again
            // (same report id: the backend counts it once).
            let written = if m.is_settled() {
                store.remove(flow_id)
            } else {
                store.save(&m)
            };
            if let Err(e) = written {
                tracing::warn!(error = %e, "flow snapshot could not be updated");
            }
        }
    }
}

/// A snapshot read from the flow store: the flow, or why it is unusable (corrupt, forged, or
/// another flow's).
fn restore_found(bytes: &[u8], flow_id: &str) -> Result<FlowMachine, String> {
    std::str::from_utf8(bytes)
        .map_err(|_| "not UTF-8".to_owned())
        .and_then(|s| FlowMachine::restore(s).map_err(|e| e.to_string()))
        .and_then(|m| {
            if m.flow_id() == flow_id {
                Ok(m)
            } else {
                Err("the snapshot names another flow".to_owned())
            }
        })
}

struct FlowInner {
    machine: FlowMachine,
    /// The flow's advisory lock, taken at its first persisted phase.
    lock: Option<FileLock>,
}

struct FlowShared {
    client: Arc<ClientInner>,
    state: Mutex<FlowInner>,
    /// Serialises the async operations of one flow (start, reconcile).
    op: tokio::sync::Mutex<()>,
}

impl FlowShared {
    /// Writes the snapshot (taking the flow's lock first), or removes the files once settled.
    /// On failure the previous snapshot, if any, is still on disk, unchanged.
    fn persist(&self, state: &mut FlowInner) -> Result<(), FinConnError> {
        let store = &self.client.flows;
        let id = state.machine.flow_id().to_owned();
        if state.machine.phase() == FlowPhase::Idle {
            return Ok(()); // nothing happened yet that a relaunch would need
        }
        if state.lock.is_none() {
            if state.machine.is_settled() {
                // Never written (the lock comes with the first write): nothing to remove.
                return Ok(());
            }
            match store.lock(&id) {
                Ok(Some(l)) => state.lock = Some(l),
                Ok(None) => {
                    tracing::error!(flow_id = %id, "flow lock held elsewhere; not persisting");
                    return Err(FinConnError::invalid_state(
                        "another client or process is driving this flow",
                    ));
                }
                Err(e) => {
                    tracing::error!(flow_id = %id, error = %e, "flow lock unavailable; not persisting");
                    return Err(FinConnError::storage(
                        "the flow's progress could not be saved",
                        &e,
                    ));
                }
            }
        }
        let written = if state.machine.is_settled() {
            store.remove(&id)
        } else {
            store.save(&state.machine)
        };
        written.map_err(|e| {
            tracing::error!(flow_id = %id, error = %e, "flow snapshot could not be written");
            FinConnError::storage("the flow's progress could not be saved", &e)
        })
    }
}

impl Drop for FlowShared {
    fn drop(&mut self) {
        let id = lock(&self.state).machine.flow_id().to_owned();
        let mut live = lock(&self.client.live);
        if live.get(&id).is_some_and(|w| w.strong_count() == 0) {
            live.remove(&id);
        }
    }
}

/// One Financial Connections flow. Cheap to clone; clones share the flow.
#[derive(Clone)]
pub struct Flow {
    shared: Arc<FlowShared>,
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("machine", &lock(&self.shared.state).machine)
            .finish()
    }
}

impl Flow {
    fn wrap(client: Arc<ClientInner>, machine: FlowMachine, held: Option<FileLock>) -> Flow {
        let id = machine.flow_id().to_owned();
        let shared = Arc::new(FlowShared {
            client: client.clone(),
            state: Mutex::new(FlowInner {
                machine,
                lock: held,
            }),
            op: tokio::sync::Mutex::new(()),
        });
        lock(&client.live).insert(id, Arc::downgrade(&shared));
        Flow { shared }
    }

    fn client(&self) -> &ClientInner {
        &self.shared.client
    }

    /// Runs one transition, persists it, logs it and tells the listeners.
    fn transition<R>(
        &self,
        f: impl FnOnce(
            &mut FlowMachine,
        ) -> Result<(PhaseChange, R), finconn_core::state::TransitionError>,
    ) -> Result<R, FinConnError> {
        let (change, flow_id, out) = {
            let mut state = lock(&self.shared.state);
            let before = state.machine.clone();
            let (change, out) = f(&mut state.machine)?;
            if let Err(e) = self.shared.persist(&mut state) {
                let flow_id = state.machine.flow_id().to_owned();
                if change.from != change.to {
                    // Undone: memory agrees with the snapshot on disk again; the call can be
                    // made again (see "When a write fails" in the module doc).
                    state.machine = before;
                    tracing::warn!(flow_id = %flow_id, from = %change.from, to = %change.to, error = %e, "phase change not saved; undone");
                    return Err(e);
                }
                tracing::warn!(flow_id = %flow_id, phase = %change.to, error = %e, "change within the phase not saved; kept in memory, written with the next write");
            }
            (change, state.machine.flow_id().to_owned(), out)
        };
        if change.from != change.to {
            tracing::info!(flow_id = %flow_id, from = %change.from, to = %change.to, "flow phase changed");
            self.client().emit(FlowEvent::PhaseChanged {
                flow_id: flow_id.clone(),
                from: change.from,
                to: change.to,
            });
        }
        if change.to.is_terminal() && change.from != change.to {
            let status = match change.to {
                FlowPhase::Completed => FlowStatus::Completed,
                FlowPhase::Canceled => FlowStatus::Canceled,
                _ => FlowStatus::Failed,
            };
            self.client().emit(FlowEvent::Finished { flow_id, status });
        }
        Ok(out)
    }

    /// Changes the machine without a phase change, and persists it. A failed write keeps the
    /// change in memory; the next successful write includes it.
    fn update(&self, f: impl FnOnce(&mut FlowMachine)) {
        let mut state = lock(&self.shared.state);
        f(&mut state.machine);
        if let Err(e) = self.shared.persist(&mut state) {
            tracing::warn!(flow_id = %state.machine.flow_id(), error = %e, "flow change not saved; kept in memory, written with the next write");
        }
    }

    pub fn flow_id(&self) -> String {
        lock(&self.shared.state).machine.flow_id().to_owned()
    }

    pub fn phase(&self) -> FlowPhase {
        lock(&self.shared.state).machine.phase()
    }

    pub fn session_id(&self) -> Option<String> {
        lock(&self.shared.state)
            .machine
            .session()
            .map(|s| s.session_id.clone())
    }

    /// The final result, once the flow has one.
    pub fn result(&self) -> Option<FlowResult> {
        lock(&self.shared.state).machine.result().cloned()
    }

    /// Versioned JSON of the flow, without secrets. The core already persists every flow in
    /// `data_dir`; this is for hosts that keep their own copy.
    pub fn snapshot(&self) -> String {
        lock(&self.shared.state).machine.snapshot()
    }

    fn sheet_configuration(machine: &FlowMachine) -> Option<SheetConfiguration> {
        let (session, creds) = (machine.session()?, machine.credentials()?);
        Some(SheetConfiguration {
            session_id: session.session_id.clone(),
            client_secret: creds.client_secret.clone(),
            publishable_key: creds.publishable_key.clone(),
            stripe_account: session.stripe_account.clone(),
            livemode: session.livemode,
        })
    }

    /// Asks the backend for a session. Retries happen inside with the flow's idempotency key, so
    /// calling `start` again after an error never creates a second session. Calling it when the
    /// flow is already ready returns the same configuration.
    pub async fn start(&self) -> Result<SheetConfiguration, FinConnError> {
        let out = within_call_deadline(&self.client().data_limits, "start", self.start_op()).await;
        self.client().listeners.delivered().await;
        out
    }

    async fn start_op(&self) -> Result<SheetConfiguration, FinConnError> {
        let _op = self.shared.op.lock().await;
        {
            let state = lock(&self.shared.state);
            if state.machine.phase() == FlowPhase::Ready {
                if let Some(config) = Self::sheet_configuration(&state.machine) {
                    return Ok(config);
                }
            }
        }
        self.create_now().await
    }

    /// Begins (or repeats, with the same key) the create call and applies its answer. Call with
    /// the op lock held.
    async fn create_now(&self) -> Result<SheetConfiguration, FinConnError> {
        let (options, key) = self.transition(|m| {
            let change = m.begin_create()?;
            Ok((
                change,
                (m.options().clone(), m.idempotency_key().to_owned()),
            ))
        })?;
        match self.client().backend.create_session(&options, &key).await {
            Ok(created) => {
                let info = SessionInfo {
                    session_id: created.session_id.clone(),
                    livemode: created.livemode,
                    stripe_account: created.stripe_account.clone(),
                    report_token: created
                        .report_token
                        .as_ref()
                        .map(|t| ReportToken(t.expose().to_owned())),
                };
                let credentials = SheetCredentials {
                    client_secret: created.client_secret.clone(),
                    publishable_key: created.publishable_key.clone(),
                };
                // Checked and applied under the flow's lock: a `cancel` racing with this answer
                // either sees a Ready flow (and reports its session) or is seen here.
                let canceled_meanwhile = self.transition(|m| {
                    if m.phase() == FlowPhase::Canceled {
                        m.session_created_after_cancel(info)?;
                        let same = PhaseChange {
                            from: FlowPhase::Canceled,
                            to: FlowPhase::Canceled,
                        };
                        Ok((same, true))
                    } else {
                        Ok((m.session_created(info, credentials)?, false))
                    }
                })?;
                if canceled_meanwhile {
                    self.settle_report().await;
                    return Err(FinConnError::invalid_state("the flow was canceled while its session was being created; that session was reported canceled"));
                }
                Ok(SheetConfiguration {
                    session_id: created.session_id,
                    client_secret: created.client_secret,
                    publishable_key: created.publishable_key,
                    stripe_account: created.stripe_account,
                    livemode: created.livemode,
                })
            }
            Err(e) => {
                let error = FinConnError::from(e);
                // Only a refusal ends the flow. Anything else — offline, timeout, 5xx, 401, an
                // unreadable answer (the backend may have committed a session) — leaves it in
                // CreatingSession: `start` again reuses the key and gets that same session.
                let refused = matches!(
                    error,
                    FinConnError::Rejected { .. } | FinConnError::InvalidConfiguration { .. }
                );
                if self.phase() == FlowPhase::Canceled {
                    if refused {
                        self.update(FlowMachine::create_refused_after_cancel);
                    }
                    return Err(error);
                }
                if refused {
                    let failure = FlowFailure {
                        code: error.code().to_owned(),
                        message: error.to_string(),
                    };
                    self.transition(|m| Ok((m.create_failed(failure)?, ())))?;
                }
                Err(error)
            }
        }
    }

    /// The host is presenting Stripe's sheet now.
    pub fn sheet_presented(&self) -> Result<(), FinConnError> {
        self.transition(|m| Ok((m.present()?, ())))
    }

    /// The user left the app (to the bank's app or browser) while the sheet was up.
    pub fn user_left_app(&self) -> Result<(), FinConnError> {
        self.transition(|m| Ok((m.user_left_app()?, ())))
    }

    /// Checks an incoming deep link. A matching link's hints are recorded while the flow waits for
    /// the user to come back; they never decide the outcome. Forward the URL to Stripe's SDK too.
    pub fn handle_url(&self, url: &str) -> UrlHandling {
        let classification = self.client().rules.classify(url);
        let flow_id = self.flow_id();
        let handling = match classification {
            UrlClassification::Matched(m) => {
                let hints = m.hints;
                let recorded = self
                    .transition(|machine| Ok((machine.return_url_received(hints.clone())?, ())))
                    .is_ok();
                UrlHandling {
                    is_flow_url: true,
                    recorded,
                    hints: Some(hints),
                    reject_reason: None,
                }
            }
            UrlClassification::Rejected(reason) => UrlHandling {
                is_flow_url: false,
                recorded: false,
                hints: None,
                reject_reason: Some(reason.as_str().to_owned()),
            },
        };
        tracing::info!(flow_id = %flow_id, matched = handling.is_flow_url, reason = ?handling.reject_reason, "deep link checked");
        self.client().emit(FlowEvent::ReturnUrlChecked {
            flow_id,
            matched: handling.is_flow_url,
            reason: handling.reject_reason.clone(),
        });
        handling
    }

    /// Forwards an event of Stripe's SDK to the listeners (and the logs).
    pub fn record_stripe_event(
        &self,
        name: &str,
        metadata: std::collections::HashMap<String, String>,
    ) {
        let flow_id = self.flow_id();
        tracing::debug!(flow_id = %flow_id, name, "stripe sdk event");
        self.client().emit(FlowEvent::StripeEvent {
            flow_id,
            name: name.to_owned(),
            metadata,
        });
    }

    /// What the sheet reported → reconciliation with the server → the final result. A sheet
    /// result delivered again for a finished flow (Android re-delivers it to a recreated activity)
    /// returns the result already reached; it is not reconciled twice.
    pub async fn sheet_result(&self, outcome: SheetOutcome) -> Result<FlowResult, FinConnError> {
        let out = within_call_deadline(
            &self.client().data_limits,
            "sheet_result",
            self.sheet_result_op(outcome),
        )
        .await;
        self.client().listeners.delivered().await;
        out
    }

    async fn sheet_result_op(&self, outcome: SheetOutcome) -> Result<FlowResult, FinConnError> {
        let _op = self.shared.op.lock().await;
        if let Some(result) = self.result() {
            return Ok(result);
        }
        if self.phase() == FlowPhase::Reconciling {
            // Restored while reconciling: the sheet's word arrives again; finish reconciling.
            return self.reconcile_now().await;
        }
        self.transition(|m| Ok((m.sheet_result(outcome)?, ())))?;
        self.reconcile_now().await
    }

    /// After a restart (or whenever the app wants the server's word): the result, asked from the
    /// backend. On a finished flow, its result again, after settling a report still owed. A flow
    /// killed before it had a session never showed the sheet: it ends canceled, and a session the
    /// backend may have created meanwhile (same idempotency key) is reported canceled.
    pub async fn resume(&self) -> Result<FlowResult, FinConnError> {
        let out =
            within_call_deadline(&self.client().data_limits, "resume", self.resume_op()).await;
        self.client().listeners.delivered().await;
        out
    }

    async fn resume_op(&self) -> Result<FlowResult, FinConnError> {
        let _op = self.shared.op.lock().await;
        let (phase, create_pending, settled) = {
            let s = lock(&self.shared.state);
            (
                s.machine.phase(),
                s.machine.create_pending(),
                s.machine.is_settled(),
            )
        };
        if let Some(result) = self.result() {
            if phase == FlowPhase::Canceled && create_pending {
                // Canceled during a create whose answer was never seen: ask again (same key).
                self.settle_canceled_create().await?;
                return Ok(self.result().unwrap_or(result));
            }
            if !settled {
                self.settle_report().await;
            }
            return Ok(self.result().unwrap_or(result));
        }
        match phase {
            FlowPhase::Idle => return self.cancel_now(),
            FlowPhase::CreatingSession => {
                // The sheet was never shown. Learn the session the backend may hold, then cancel.
                self.create_now().await?;
                let result = self.cancel_now()?;
                self.settle_report().await;
                return Ok(self.result().unwrap_or(result));
            }
            _ => {}
        }
        self.transition(|m| Ok((m.resume_after_restart()?, ())))?;
        self.reconcile_now().await
    }

    /// A flow canceled while its create call was unanswered: the same create again (same
    /// idempotency key) tells whether the backend holds a session; if so it gets its `canceled`
    /// report.
    async fn settle_canceled_create(&self) -> Result<(), FinConnError> {
        let (options, key) = {
            let s = lock(&self.shared.state);
            (
                s.machine.options().clone(),
                s.machine.idempotency_key().to_owned(),
            )
        };
        match self.client().backend.create_session(&options, &key).await {
            Ok(created) => {
                let info = SessionInfo {
                    session_id: created.session_id,
                    livemode: created.livemode,
                    stripe_account: created.stripe_account,
                    report_token: created
                        .report_token
                        .as_ref()
                        .map(|t| ReportToken(t.expose().to_owned())),
                };
                self.update(|m| {
                    let _ = m.session_created_after_cancel(info);
                });
                self.settle_report().await;
                Ok(())
            }
            Err(e) => {
                let error = FinConnError::from(e);
                if matches!(
                    error,
                    FinConnError::Rejected { .. } | FinConnError::InvalidConfiguration { .. }
                ) {
                    self.update(FlowMachine::create_refused_after_cancel);
                    Ok(())
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Ends a flow whose sheet was never shown (Idle, CreatingSession, Ready): canceled, no
    /// accounts. Use it when the user backs out before the sheet appears. A session the flow
    /// already has gets its `canceled` report; one still being created gets it when the create
    /// answers. Does not wait for an in-flight `start`.
    pub async fn cancel(&self) -> Result<FlowResult, FinConnError> {
        let out =
            within_call_deadline(&self.client().data_limits, "cancel", self.cancel_op()).await;
        self.client().listeners.delivered().await;
        out
    }

    async fn cancel_op(&self) -> Result<FlowResult, FinConnError> {
        if let Some(result) = self.result() {
            if self.phase() == FlowPhase::Canceled {
                return Ok(result);
            }
        }
        let result = self.cancel_now()?;
        if self.session_id().is_some() {
            self.settle_report().await;
        }
        Ok(self.result().unwrap_or(result))
    }

    fn cancel_now(&self) -> Result<FlowResult, FinConnError> {
        self.transition(|m| Ok((m.cancel()?, ())))?;
        self.result()
            .ok_or_else(|| FinConnError::other("a canceled flow has no result"))
    }

    /// The completion report of the flow's current state (the queued one, if a run already
    /// queued it: that is what the backend may have seen).
    fn report(&self) -> Option<CompletionReport> {
        let state = lock(&self.shared.state);
        let m = &state.machine;
        let session = m.session()?;
        let sheet = m.sheet_outcome();
        let outcome = match sheet {
            Some(s) => s.as_str(),
            None if m.phase() == FlowPhase::Canceled => "canceled",
            None => "no_result",
        };
        let report = CompletionReport {
            report_id: CompletionReport::id_for(m.idempotency_key()),
            flow_id: m.flow_id().to_owned(),
            session_id: session.session_id.clone(),
            report_token: session.report_token.as_ref().map(|t| t.0.clone()),
            sheet_outcome: outcome.to_owned(),
            account_ids: match sheet {
                Some(SheetOutcome::Completed { session: Some(s) }) => {
                    s.accounts.data.iter().map(|a| a.id.clone()).collect()
                }
                _ => Vec::new(),
            },
            error_code: match sheet {
                Some(SheetOutcome::Failed { error }) => Some(error.clone()),
                _ => None,
            },
            return_url_status: m
                .url_hints()
                .and_then(|h| h.status.as_ref())
                .map(|s| s.as_str().to_owned()),
        };
        drop(state);
        match self.client().outbox.get(&report.report_id) {
            Ok(Some(queued)) => Some(queued),
            Ok(None) => Some(report),
            Err(e) => {
                tracing::warn!(error = %e, "queued report unreadable now; sending the same report rebuilt");
                Some(report)
            }
        }
    }

    /// Queues the report (if not queued yet) and delivers it, waiting for another sender to
    /// finish first.
    async fn queue_and_deliver(&self, report: &CompletionReport) -> Delivery {
        if matches!(self.client().outbox.get(&report.report_id), Ok(None)) {
            match self.client().outbox.put(report) {
                Ok(()) => self.client().emit(FlowEvent::ReportQueued {
                    session_id: report.session_id.clone(),
                    report_id: report.report_id.clone(),
                }),
                Err(e) => {
                    tracing::error!(error = %e, "completion report could not be queued; sending it anyway")
                }
            }
        }
        let wait = self.client().backend.config().request_timeout;
        deliver(self.client(), report, LockWait::Upto(wait)).await
    }

    /// Delivers the report of an ended flow (best effort: a failure leaves it queued for
    /// `send_pending_reports`).
    async fn settle_report(&self) {
        if let Some(report) = self.report() {
            match self.queue_and_deliver(&report).await {
                Delivery::Kept(e) => {
                    tracing::info!(error = %e, "report stays queued; it is sent again at the next launch")
                }
                Delivery::Busy => {}
                _ => self.update(FlowMachine::mark_report_settled),
            }
        }
    }

    /// Reconciling → final. With no evidence at all and the report still queued (any failure but
    /// a refusal for good) the flow stays in Reconciling and the error is returned: call
    /// [`resume`](Self::resume) later.
    async fn reconcile_now(&self) -> Result<FlowResult, FinConnError> {
        let (session, credentials, sheet, hints, relink) = {
            let state = lock(&self.shared.state);
            let m = &state.machine;
            let session = m.session().cloned().ok_or_else(|| {
                FinConnError::invalid_state("the flow has no session to reconcile")
            })?;
            (
                session,
                m.credentials().cloned(),
                m.sheet_outcome().cloned().unwrap_or(SheetOutcome::NoResult),
                m.url_hints().cloned(),
                m.options().relink.clone(),
            )
        };
        let report = self
            .report()
            .ok_or_else(|| FinConnError::invalid_state("the flow has no session to report"))?;

        let mut server_session = None;
        let mut last_error = None;
        // A kept report (any failure but a refusal for good, e.g. a truncated answer) may still be
        // accepted, and the backend may already have it: the flow must wait for it too.
        let mut report_kept = false;
        let mut settled = false;
        match self.queue_and_deliver(&report).await {
            Delivery::Delivered(s) => {
                server_session = Some(*s);
                settled = true;
            }
            Delivery::Dropped(e) => {
                last_error = Some(e);
                settled = true;
            }
            Delivery::Kept(e) => {
                last_error = Some(e);
                report_kept = true;
            }
            Delivery::Busy | Delivery::Gone => {
                last_error = Some(BackendError::Timeout {
                    endpoint: "complete_session (another client is sending this report)".into(),
                });
                report_kept = true;
            }
        }
        if server_session.is_none() && self.client().stripe_fallback {
            if let Some(creds) = &credentials {
                match self
                    .client()
                    .backend
                    .stripe_session_receipt(
                        &creds.client_secret,
                        &creds.publishable_key,
                        session.stripe_account.as_deref(),
                    )
                    .await
                {
                    Ok(s) => server_session = Some(s),
                    Err(e) => tracing::warn!(error = %e, "Stripe fallback failed"),
                }
            }
        }
        let sheet_has_session = matches!(sheet, SheetOutcome::Completed { session: Some(_) });
        if server_session.is_none() && !sheet_has_session {
            if let Some(e) = last_error {
                let error = FinConnError::from(e);
                if report_kept
                    || error.is_retryable()
                    || matches!(error, FinConnError::Unauthorized { .. })
                {
                    // Nothing to go on yet: stay in Reconciling, the report stays queued.
                    return Err(error);
                }
            }
        }

        // The user's other accounts, to flag new ones that duplicate them (best effort: a
        // failure only means no duplicate is flagged).
        let existing = match &server_session {
            Some(s) if !s.accounts.data.is_empty() => {
                match self.client().backend.list_accounts().await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::info!(error = %e, "accounts not listed; duplicates not checked");
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        };
        let result = reconcile(ReconcileInput {
            sheet: &sheet,
            url_hints: hints.as_ref(),
            server_session: server_session.as_ref(),
            expected_session_id: Some(&session.session_id),
            relink_request: relink.as_ref(),
            known_account_ids: relink
                .as_ref()
                .map(|r| r.known_account_ids.as_slice())
                .unwrap_or(&[]),
            existing_accounts: &existing,
        });
        self.transition(|m| {
            if settled {
                m.mark_report_settled();
            }
            Ok((m.finish(result.clone())?, ()))
        })?;
        Ok(result)
    }
}
