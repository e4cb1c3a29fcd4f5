//! The networked flow: ties the state machine, the return-URL rules, the backend client, the
//! outbox and reconciliation into the API a mobile app drives.
//!
//! ```text
//! let client = FlowClient::new(config, headers)?;          // once per app
//! client.send_pending_reports().await;                      // at launch: reports a killed app left
//! let flow = client.new_flow(options)?;                     // per "Link your bank" tap
//! let sheet = flow.start().await?;                          // → client secret + publishable key
//! flow.sheet_presented()?;                                  // present Stripe's sheet with them
//! flow.handle_url(url);                                     // every incoming deep link
//! let result = flow.sheet_result(outcome).await?;           // the sheet's callback → final result
//! // after the app was killed: client.restore_flow(&snapshot)?.resume().await?
//! ```
//! Async methods hold no lock across an `.await`; one flow runs one network operation at a time.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::backend::{
    BackendClient, BackendConfig, BackendError, CompletionReport, HeaderProvider,
};
use crate::error::Error;
use crate::model::{Account, Session};
use crate::options::SessionOptions;
use crate::outbox::Outbox;
use crate::reconcile::{reconcile, FlowResult, FlowStatus, ReconcileInput, SheetOutcome};
use crate::return_url::{ReturnUrlHints, ReturnUrlRules, UrlClassification};
use crate::secret::Secret;
use crate::state::{
    FlowFailure, FlowMachine, FlowPhase, PhaseChange, ReportToken, SessionInfo, SheetCredentials,
};

/// Everything a [`FlowClient`] needs.
#[derive(Debug, Clone)]
pub struct FlowConfig {
    pub backend: BackendConfig,
    /// The app's registered return URLs (custom scheme and/or universal/app links).
    pub return_urls: Vec<String>,
    /// Android application id, to accept Stripe's own `stripe-auth://…/<appId>/…` redirects.
    pub android_app_id: Option<String>,
    /// The app's private data directory; the outbox lives in `<data_dir>/finconn-outbox`.
    pub data_dir: PathBuf,
    /// When the backend cannot answer `complete`, read the session from Stripe with the
    /// publishable key, as Stripe's SDKs do (only possible while the flow still holds the client
    /// secret, i.e. not after a restore).
    pub stripe_fallback: bool,
}

/// Something that happened, for the host's listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowEvent {
    /// The flow moved from one phase to another.
    PhaseChanged {
        flow_id: String,
        from: FlowPhase,
        to: FlowPhase,
    },
    /// A deep link was checked against the flow's return URLs.
    ReturnUrlChecked {
        flow_id: String,
        matched: bool,
        /// Why it was rejected (`host_mismatch`, …); `None` when it matched.
        reason: Option<String>,
    },
    /// A completion report was written to the outbox.
    ReportQueued {
        session_id: String,
        report_id: String,
    },
    /// The backend acknowledged a report; it left the outbox.
    ReportDelivered {
        session_id: String,
        report_id: String,
    },
    /// The backend refused a report for good (e.g. unknown session); it left the outbox.
    ReportDropped {
        session_id: String,
        report_id: String,
        reason: String,
    },
    /// An event of Stripe's SDK forwarded by the host (`open`, `institution_selected`, …).
    StripeEvent {
        flow_id: String,
        name: String,
        metadata: Vec<(String, String)>,
    },
    /// The flow ended.
    Finished { flow_id: String, status: FlowStatus },
}

/// Receives [`FlowEvent`]s. Called synchronously on the thread that caused the event: keep it short.
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

/// What [`FlowClient::send_pending_reports`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    pub delivered: u32,
    pub remaining: u32,
    pub dropped: u32,
}

struct ClientInner {
    backend: BackendClient,
    rules: ReturnUrlRules,
    outbox: Outbox,
    stripe_fallback: bool,
    listeners: Mutex<Vec<(u64, Arc<dyn FlowEventListener>)>>,
    next_listener: AtomicU64,
}

impl ClientInner {
    fn emit(&self, event: FlowEvent) {
        let listeners: Vec<_> = lock(&self.listeners)
            .iter()
            .map(|(_, l)| l.clone())
            .collect();
        for l in listeners {
            // A listener that panics must not take the flow down with it.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| l.on_event(&event)));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves data that is still consistent (every mutation is a
    // single assignment), so a poisoned lock is recovered rather than propagated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One per app: the backend client, the URL rules, the outbox and the listeners.
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

/// A random identifier: prefix + 32 hex digits.
fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}{:016x}{:016x}",
        fastrand::u64(..),
        fastrand::u64(..)
    )
}

impl FlowClient {
    /// Checks the configuration (URLs, return URLs, app id) and opens the outbox.
    pub fn new(
        config: FlowConfig,
        headers: Option<Arc<dyn HeaderProvider>>,
    ) -> Result<Self, Error> {
        let rules = ReturnUrlRules::new(&config.return_urls, config.android_app_id.as_deref())?;
        let backend = BackendClient::new(config.backend, headers)?;
        let outbox = Outbox::open(config.data_dir.join("finconn-outbox"))?;
        Ok(FlowClient {
            inner: Arc::new(ClientInner {
                backend,
                rules,
                outbox,
                stripe_fallback: config.stripe_fallback,
                listeners: Mutex::new(Vec::new()),
                next_listener: AtomicU64::new(1),
            }),
        })
    }

    /// Adds a listener; returns its id for [`remove_listener`](Self::remove_listener).
    pub fn add_listener(&self, listener: Arc<dyn FlowEventListener>) -> u64 {
        let id = self.inner.next_listener.fetch_add(1, Ordering::Relaxed);
        lock(&self.inner.listeners).push((id, listener));
        id
    }

    pub fn remove_listener(&self, id: u64) {
        lock(&self.inner.listeners).retain(|(i, _)| *i != id);
    }

    /// A new flow in `Idle`. The options are validated here, before any network call.
    pub fn new_flow(&self, options: SessionOptions) -> Result<Flow, Error> {
        let options = options.validate()?;
        let machine = FlowMachine::new(new_id("flow_"), new_id("fcidem_"), options);
        Ok(Flow::wrap(self.inner.clone(), machine))
    }

    /// A flow from [`Flow::snapshot`], typically after the app was killed. Call
    /// [`Flow::resume`] to get its result.
    pub fn restore_flow(&self, snapshot: &str) -> Result<Flow, Error> {
        let machine = FlowMachine::restore(snapshot)?;
        Ok(Flow::wrap(self.inner.clone(), machine))
    }

    /// Checks a deep link against the configured rules, without any flow.
    pub fn classify_url(&self, url: &str) -> UrlClassification {
        self.inner.rules.classify(url)
    }

    /// Sends the reports a previous run could not deliver. Call at launch.
    pub async fn send_pending_reports(&self) -> Result<OutboxSummary, Error> {
        let pending = self.inner.outbox.pending()?;
        let mut summary = OutboxSummary::default();
        for report in pending.reports {
            match deliver(&self.inner, &report).await {
                Delivery::Delivered(_) => summary.delivered += 1,
                Delivery::Dropped(_) => summary.dropped += 1,
                Delivery::Kept(_) => summary.remaining += 1,
            }
        }
        Ok(summary)
    }

    /// The user's linked accounts, from the backend.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, Error> {
        Ok(self.inner.backend.list_accounts().await?)
    }

    /// Disconnects an account through the backend.
    pub async fn disconnect_account(&self, account_id: &str) -> Result<Account, Error> {
        let key = new_id("fcidem_");
        Ok(self
            .inner
            .backend
            .disconnect_account(account_id, &key)
            .await?)
    }
}

enum Delivery {
    Delivered(Box<Session>),
    Dropped(BackendError),
    Kept(BackendError),
}

/// Sends one report; removes it from the outbox when acknowledged or refused for good.
async fn deliver(inner: &ClientInner, report: &CompletionReport) -> Delivery {
    match inner.backend.complete_session(report).await {
        Ok(session) => {
            if let Err(e) = inner.outbox.remove(&report.report_id) {
                tracing::warn!(error = %e, "delivered report could not be removed; it will be sent again (idempotent)");
            }
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
            let _ = inner.outbox.remove(&report.report_id);
            tracing::warn!(session_id = %report.session_id, error = %e, "completion report refused for good");
            inner.emit(FlowEvent::ReportDropped {
                session_id: report.session_id.clone(),
                report_id: report.report_id.clone(),
                reason: e.to_string(),
            });
            Delivery::Dropped(e)
        }
        Err(e) => Delivery::Kept(e),
    }
}

struct FlowInner {
    machine: FlowMachine,
}

/// One Financial Connections flow. Cheap to clone; clones share the flow.
#[derive(Clone)]
pub struct Flow {
    client: Arc<ClientInner>,
    state: Arc<Mutex<FlowInner>>,
    /// Serialises the async operations of one flow (start, reconcile).
    op: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("machine", &lock(&self.state).machine)
            .finish()
    }
}

impl Flow {
    fn wrap(client: Arc<ClientInner>, machine: FlowMachine) -> Flow {
        Flow {
            client,
            state: Arc::new(Mutex::new(FlowInner { machine })),
            op: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// Runs one transition, logs it and tells the listeners.
    fn transition<R>(
        &self,
        f: impl FnOnce(&mut FlowMachine) -> Result<(PhaseChange, R), crate::state::TransitionError>,
    ) -> Result<R, Error> {
        let (change, flow_id, out) = {
            let mut state = lock(&self.state);
            let (change, out) = f(&mut state.machine)?;
            (change, state.machine.flow_id().to_owned(), out)
        };
        if change.from != change.to {
            tracing::info!(flow_id = %flow_id, from = %change.from, to = %change.to, "flow phase changed");
            self.client.emit(FlowEvent::PhaseChanged {
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
            self.client.emit(FlowEvent::Finished { flow_id, status });
        }
        Ok(out)
    }

    pub fn flow_id(&self) -> String {
        lock(&self.state).machine.flow_id().to_owned()
    }

    pub fn phase(&self) -> FlowPhase {
        lock(&self.state).machine.phase()
    }

    pub fn session_id(&self) -> Option<String> {
        lock(&self.state)
            .machine
            .session()
            .map(|s| s.session_id.clone())
    }

    /// The final result, once the flow has one.
    pub fn result(&self) -> Option<FlowResult> {
        lock(&self.state).machine.result().cloned()
    }

    /// Versioned JSON of the flow, without secrets. Save it whenever the app may be killed
    /// (iOS `scenePhase == .background`, Android `onSaveInstanceState`).
    pub fn snapshot(&self) -> String {
        lock(&self.state).machine.snapshot()
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
    pub async fn start(&self) -> Result<SheetConfiguration, Error> {
        let _op = self.op.lock().await;
        {
            let state = lock(&self.state);
            if state.machine.phase() == FlowPhase::Ready {
                if let Some(config) = Self::sheet_configuration(&state.machine) {
                    return Ok(config);
                }
            }
        }
        let (options, key) = self.transition(|m| {
            let change = m.begin_create()?;
            Ok((
                change,
                (m.options().clone(), m.idempotency_key().to_owned()),
            ))
        })?;
        match self.client.backend.create_session(&options, &key).await {
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
                self.transition(|m| Ok((m.session_created(info, credentials)?, ())))?;
                Ok(SheetConfiguration {
                    session_id: created.session_id,
                    client_secret: created.client_secret,
                    publishable_key: created.publishable_key,
                    stripe_account: created.stripe_account,
                    livemode: created.livemode,
                })
            }
            Err(e) => {
                let error = Error::from(e);
                // Only a refusal ends the flow. Anything else — offline, timeout, 5xx, 401, an
                // unreadable answer (the backend may have committed a session) — leaves it in
                // CreatingSession: `start` again reuses the key and gets that same session.
                if matches!(
                    error,
                    Error::Rejected { .. } | Error::InvalidConfiguration { .. }
                ) {
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
    pub fn sheet_presented(&self) -> Result<(), Error> {
        self.transition(|m| Ok((m.present()?, ())))
    }

    /// The user left the app (to the bank's app or browser) while the sheet was up.
    pub fn user_left_app(&self) -> Result<(), Error> {
        self.transition(|m| Ok((m.user_left_app()?, ())))
    }

    /// Checks an incoming deep link. A matching link's hints are recorded while the flow waits for
    /// the user to come back; they never decide the outcome. Forward the URL to Stripe's SDK too.
    pub fn handle_url(&self, url: &str) -> UrlHandling {
        let classification = self.client.rules.classify(url);
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
        self.client.emit(FlowEvent::ReturnUrlChecked {
            flow_id,
            matched: handling.is_flow_url,
            reason: handling.reject_reason.clone(),
        });
        handling
    }

    /// Forwards an event of Stripe's SDK to the listeners (and the logs).
    pub fn record_stripe_event(&self, name: &str, metadata: Vec<(String, String)>) {
        let flow_id = self.flow_id();
        tracing::debug!(flow_id = %flow_id, name, "stripe sdk event");
        self.client.emit(FlowEvent::StripeEvent {
            flow_id,
            name: name.to_owned(),
            metadata,
        });
    }

    /// What the sheet reported → reconciliation with the server → the final result. A sheet
    /// result delivered again for a finished flow (Android re-delivers it to a recreated activity)
    /// returns the result already reached; it is not reconciled twice.
    pub async fn sheet_result(&self, outcome: SheetOutcome) -> Result<FlowResult, Error> {
        let _op = self.op.lock().await;
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

    /// After a restore: asks the server for the result. On a finished flow, its result again. A
    /// flow killed before it had a session (Idle, CreatingSession) never showed the sheet: it
    /// ends canceled, with no accounts.
    pub async fn resume(&self) -> Result<FlowResult, Error> {
        let _op = self.op.lock().await;
        if let Some(result) = self.result() {
            return Ok(result);
        }
        if matches!(self.phase(), FlowPhase::Idle | FlowPhase::CreatingSession) {
            return self.cancel_now();
        }
        self.transition(|m| Ok((m.resume_after_restart()?, ())))?;
        self.reconcile_now().await
    }

    /// Ends a flow whose sheet was never shown (Idle, CreatingSession, Ready): canceled, no
    /// accounts. Use it when the user backs out before the sheet appears.
    pub fn cancel(&self) -> Result<FlowResult, Error> {
        self.cancel_now()
    }

    fn cancel_now(&self) -> Result<FlowResult, Error> {
        self.transition(|m| Ok((m.cancel()?, ())))?;
        self.result().ok_or_else(|| Error::Other {
            message: "a canceled flow has no result".into(),
        })
    }

    /// Reconciling → final. With no evidence at all and the report still queued (any failure but
    /// a refusal for good) the flow stays in Reconciling and the error is returned: call
    /// [`resume`](Self::resume) later.
    async fn reconcile_now(&self) -> Result<FlowResult, Error> {
        let (report, session, credentials, sheet, hints, relink) = {
            let state = lock(&self.state);
            let m = &state.machine;
            let session = m.session().cloned().ok_or_else(|| Error::InvalidState {
                message: "the flow has no session to reconcile".into(),
            })?;
            let sheet = m.sheet_outcome().cloned().unwrap_or(SheetOutcome::NoResult);
            let report = CompletionReport {
                report_id: format!("{}-complete", m.idempotency_key()),
                flow_id: m.flow_id().to_owned(),
                session_id: session.session_id.clone(),
                report_token: session.report_token.as_ref().map(|t| t.0.clone()),
                sheet_outcome: sheet.as_str().to_owned(),
                account_ids: match &sheet {
                    SheetOutcome::Completed { session: Some(s) } => {
                        s.accounts.data.iter().map(|a| a.id.clone()).collect()
                    }
                    _ => Vec::new(),
                },
                error_code: match &sheet {
                    SheetOutcome::Failed { error } => Some(error.clone()),
                    _ => None,
                },
                return_url_status: m
                    .url_hints()
                    .and_then(|h| h.status.as_ref())
                    .map(|s| s.as_str().to_owned()),
            };
            (
                report,
                session,
                m.credentials().cloned(),
                sheet,
                m.url_hints().cloned(),
                m.options().relink.clone(),
            )
        };

        // The report a killed run already queued wins: it is what the backend may have seen.
        let report = match self.client.outbox.get(&report.report_id) {
            Ok(Some(queued)) => queued,
            _ => {
                match self.client.outbox.put(&report) {
                    Ok(()) => self.client.emit(FlowEvent::ReportQueued {
                        session_id: report.session_id.clone(),
                        report_id: report.report_id.clone(),
                    }),
                    Err(e) => {
                        tracing::error!(error = %e, "completion report could not be queued; sending it anyway")
                    }
                }
                report
            }
        };

        let mut server_session = None;
        let mut last_error = None;
        // A kept report (any failure but a refusal for good, e.g. a truncated answer) may still be
        // accepted, and the backend may already have it: the flow must wait for it too.
        let mut report_kept = false;
        match deliver(&self.client, &report).await {
            Delivery::Delivered(s) => server_session = Some(*s),
            Delivery::Dropped(e) => last_error = Some(e),
            Delivery::Kept(e) => {
                last_error = Some(e);
                report_kept = true;
            }
        }
        if server_session.is_none() && self.client.stripe_fallback {
            if let Some(creds) = &credentials {
                match self
                    .client
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
                let error = Error::from(e);
                if report_kept
                    || error.is_retryable()
                    || matches!(error, Error::Unauthorized { .. })
                {
                    // Nothing to go on yet: stay in Reconciling, the report stays queued.
                    return Err(error);
                }
            }
        }

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
        });
        self.transition(|m| Ok((m.finish(result.clone())?, ())))?;
        Ok(result)
    }
}
