//! One flow, [`Flow`], and its public operations: start, sheet presented, user left the app, deep
//! links, Stripe's events, the sheet's result, resume, cancel and the read-only views.

use std::sync::{Arc, Mutex};

use super::client::{lock, within_call_deadline, ClientInner};
use crate::store::FileLock;
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::reconcile::{FlowResult, SheetOutcome};
use finconn_core::return_url::{ReturnUrlHints, UrlClassification};
use finconn_core::secret::Secret;
use finconn_core::state::{
    FlowFailure, FlowMachine, FlowPhase, PhaseChange, ReportToken, SessionInfo, SheetCredentials,
};

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

impl UrlHandling {
    /// The verdict alone, recorded by no flow.
    pub fn classified(classification: UrlClassification) -> UrlHandling {
        match classification {
            UrlClassification::Matched(m) => UrlHandling {
                is_flow_url: true,
                recorded: false,
                hints: Some(m.hints),
                reject_reason: None,
            },
            UrlClassification::Rejected(reason) => UrlHandling {
                is_flow_url: false,
                recorded: false,
                hints: None,
                reject_reason: Some(reason.as_str().to_owned()),
            },
        }
    }
}

pub(super) struct FlowInner {
    pub(super) machine: FlowMachine,
    /// The flow's advisory lock, taken at its first persisted phase.
    pub(super) lock: Option<FileLock>,
}

pub(super) struct FlowShared {
    pub(super) client: Arc<ClientInner>,
    pub(super) state: Mutex<FlowInner>,
    /// Serialises the async operations of one flow (start, reconcile).
    op: tokio::sync::Mutex<()>,
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
    pub(super) shared: Arc<FlowShared>,
}

/// A handle on a [`Flow`] that does not keep it alive: once every [`Flow`] is gone (the call
/// that drove it was dropped, as when its process dies), the flow's lock is released and the
/// next [`FlowClient::resume_pending`](super::FlowClient::resume_pending) finds it.
#[derive(Clone)]
pub struct WeakFlow {
    shared: std::sync::Weak<FlowShared>,
}

impl WeakFlow {
    /// The flow, while something still drives it.
    pub fn upgrade(&self) -> Option<Flow> {
        self.shared.upgrade().map(|shared| Flow { shared })
    }
}

impl Flow {
    /// A handle that does not keep this flow alive.
    pub fn downgrade(&self) -> WeakFlow {
        WeakFlow {
            shared: Arc::downgrade(&self.shared),
        }
    }
}

impl std::fmt::Debug for Flow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flow")
            .field("machine", &lock(&self.shared.state).machine)
            .finish()
    }
}

impl Flow {
    pub(super) fn wrap(
        client: Arc<ClientInner>,
        machine: FlowMachine,
        held: Option<FileLock>,
    ) -> Flow {
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

    pub(super) fn client(&self) -> &ClientInner {
        &self.shared.client
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
            rejected @ UrlClassification::Rejected(_) => UrlHandling::classified(rejected),
        };
        tracing::info!(
            flow_id = %flow_id,
            matched = handling.is_flow_url,
            reason = handling.reject_reason.as_deref().unwrap_or("none"),
            "deep link checked"
        );
        self.client().note_configuration_mistake(url, &handling);
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
}
