//! The completion report: built from the flow, queued in the outbox, sent under its send lock,
//! settled (removed, and its flow's files with it), the reports earlier runs left
//! ([`FlowClient::send_pending_reports`]), and the reconciliation of a flow with the server's
//! answer (or Stripe's, as a fallback).

use std::time::Duration;

use super::client::{lock, within_call_deadline, ClientInner, FlowClient};
use super::ops::Flow;
use super::persistence::settle_flow_files;
use crate::backend::{BackendError, CompletionReport};
use finconn_core::error::FinConnError;
use finconn_core::events::{FlowEvent, OutboxSummary};
use finconn_core::model::Session;
use finconn_core::reconcile::{reconcile, FlowResult, ReconcileInput, SheetOutcome};
use finconn_core::state::{FlowMachine, FlowPhase};

impl FlowClient {
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
            remaining: i32::try_from(pending.unreadable.len()).unwrap_or(i32::MAX),
            quarantined: i32::try_from(pending.quarantined.len()).unwrap_or(i32::MAX),
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

impl Flow {
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
    pub(super) async fn settle_report(&self) {
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
    pub(super) async fn reconcile_now(&self) -> Result<FlowResult, FinConnError> {
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
