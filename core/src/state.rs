//! The per-flow state machine and its snapshot.
//!
//! ```text
//! Idle ─begin_create─▶ CreatingSession ─session_created─▶ Ready ─present─▶ Presenting
//!                            │                              │                │  ▲
//!                            │ create_failed                │ sheet_result   │  │ return_url_received
//!                            ▼                              ▼                ▼  │ (user is back)
//!                          Failed                      Reconciling ◀──── AwaitingReturn
//!                                                           │  ▲  (user_left_app while presenting)
//!                                                  finish   │  └── resume_after_restart (from Ready,
//!                                                           ▼      Presenting or AwaitingReturn)
//!                                           Completed / Canceled / Failed
//! ```
//! `cancel` ends a flow that has not been presented yet. Every other move is a
//! [`TransitionError`], never a panic.
//!
//! ## Snapshots
//! [`FlowMachine::snapshot`] writes versioned JSON at any state; [`FlowMachine::restore`] reads it
//! back. The snapshot never holds the client secret or the publishable key: after a restore those
//! are gone, the sheet cannot be shown again, and the result is asked from the server with the
//! session id ([`FlowMachine::resume_after_restart`]).

use serde::{Deserialize, Serialize};

use crate::options::SessionOptions;
use crate::reconcile::{FlowResult, FlowStatus, SheetOutcome};
use crate::return_url::ReturnUrlHints;
use crate::secret::Secret;

/// The snapshot format this build writes. Older versions are migrated on restore; newer ones are
/// refused (an app downgrade must not misread a flow).
pub const SNAPSHOT_VERSION: u32 = 1;

/// The largest snapshot [`FlowMachine::restore`] reads (a result with 100 accounts is ~150 KB).
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;

/// Where a flow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FlowPhase {
    /// Created by `newFlow`; no session asked for yet.
    Idle,
    /// `start` is asking the backend for a session.
    CreatingSession,
    /// The session exists: the sheet can be presented with its `SheetConfiguration`.
    Ready,
    /// Stripe's sheet is up (`sheetPresented` was called).
    Presenting,
    /// The user left the app for the bank's app or a browser; waiting for the deep link back
    /// or the sheet's result.
    AwaitingReturn,
    /// The sheet's outcome is being checked against the backend's session.
    Reconciling,
    /// Ended with linked accounts: see the flow's `FlowResult`.
    Completed,
    /// Ended without linked accounts: the user left early or the flow was canceled.
    Canceled,
    /// Ended in failure: see the `FlowResult`'s `error`.
    Failed,
}

impl FlowPhase {
    pub fn as_str(&self) -> &'static str {
        match self {
            FlowPhase::Idle => "idle",
            FlowPhase::CreatingSession => "creating_session",
            FlowPhase::Ready => "ready",
            FlowPhase::Presenting => "presenting",
            FlowPhase::AwaitingReturn => "awaiting_return",
            FlowPhase::Reconciling => "reconciling",
            FlowPhase::Completed => "completed",
            FlowPhase::Canceled => "canceled",
            FlowPhase::Failed => "failed",
        }
    }

    /// Completed, canceled or failed: nothing more can happen.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            FlowPhase::Completed | FlowPhase::Canceled | FlowPhase::Failed
        )
    }

    /// Every phase, in flow order (for tests and tools).
    pub const ALL: [FlowPhase; 9] = [
        FlowPhase::Idle,
        FlowPhase::CreatingSession,
        FlowPhase::Ready,
        FlowPhase::Presenting,
        FlowPhase::AwaitingReturn,
        FlowPhase::Reconciling,
        FlowPhase::Completed,
        FlowPhase::Canceled,
        FlowPhase::Failed,
    ];
}

impl std::fmt::Display for FlowPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The facts about the session a backend created that are safe to persist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub session_id: String,
    #[serde(default)]
    pub livemode: bool,
    /// Connected account the session belongs to (Stripe Connect platforms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_account: Option<String>,
    /// The backend's per-session report token (see `docs/backend-contract.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_token: Option<ReportToken>,
}

/// The backend's per-session token proving a completion report comes from the app that created
/// the session. It only lets the app ask the backend to re-check that one session, so it is kept
/// in snapshots and the outbox (a report must be deliverable after the app was killed); it is not
/// a Stripe secret, but `Debug` hides it all the same.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportToken(pub String);

impl std::fmt::Debug for ReportToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportToken([redacted])")
    }
}

/// What the Stripe sheet needs to start. Never persisted, never printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCredentials {
    pub client_secret: Secret,
    pub publishable_key: Secret,
}

/// Why a flow ended in `Failed` without a reconciled result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowFailure {
    /// Stable code (`backend_rejected`, `invalid_options`, …).
    pub code: String,
    /// Human-readable message, free of secrets.
    pub message: String,
}

/// An illegal move. The flow is left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot {action} while the flow is {phase}")]
    NotAllowed {
        action: &'static str,
        phase: FlowPhase,
    },
    #[error("the flow already ended ({phase}); start a new flow")]
    AlreadyFinished { phase: FlowPhase },
    #[error("the sheet credentials are gone (the flow was restored from a snapshot); reconcile with the server instead of presenting")]
    CredentialsLost,
}

/// Why a snapshot could not be restored. The app should discard it and start a new flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("the flow snapshot is not valid JSON or is missing fields: {0}")]
    Malformed(String),
    #[error("the flow snapshot has version {found}, this SDK reads up to {supported}: was the app downgraded?")]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("the flow snapshot is inconsistent: {0}")]
    Inconsistent(String),
}

/// Something a transition did, for the host's event stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseChange {
    pub from: FlowPhase,
    pub to: FlowPhase,
}

/// One flow: its phase and what it has learned so far.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowMachine {
    data: FlowData,
    credentials: Option<SheetCredentials>,
    /// True once restored from a snapshot (the credentials are gone).
    restored: bool,
}

/// The persistable part of a flow: exactly what a snapshot holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FlowData {
    version: u32,
    flow_id: String,
    phase: FlowPhase,
    options: SessionOptions,
    /// Sent with `POST /sessions`; reused on every retry and after a restore, so the backend never
    /// creates a second session for one flow.
    idempotency_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<SessionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url_hints: Option<ReturnUrlHints>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sheet_outcome: Option<SheetOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    result: Option<FlowResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    failure: Option<FlowFailure>,
    /// A create request went out and its answer has not been seen: the backend may hold a
    /// session for this flow that still needs its report.
    #[serde(default, skip_serializing_if = "is_false")]
    create_pending: bool,
    /// The backend acknowledged (or refused for good) the flow's completion report.
    #[serde(default, skip_serializing_if = "is_false")]
    report_settled: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl FlowMachine {
    /// A new flow in `Idle`. `flow_id` and `idempotency_key` come from the caller (this module has
    /// no randomness): use unique, unguessable values.
    pub fn new(
        flow_id: impl Into<String>,
        idempotency_key: impl Into<String>,
        options: SessionOptions,
    ) -> Self {
        FlowMachine {
            data: FlowData {
                version: SNAPSHOT_VERSION,
                flow_id: flow_id.into(),
                phase: FlowPhase::Idle,
                options,
                idempotency_key: idempotency_key.into(),
                session: None,
                url_hints: None,
                sheet_outcome: None,
                result: None,
                failure: None,
                create_pending: false,
                report_settled: false,
            },
            credentials: None,
            restored: false,
        }
    }

    pub fn phase(&self) -> FlowPhase {
        self.data.phase
    }
    pub fn flow_id(&self) -> &str {
        &self.data.flow_id
    }
    pub fn options(&self) -> &SessionOptions {
        &self.data.options
    }
    pub fn idempotency_key(&self) -> &str {
        &self.data.idempotency_key
    }
    pub fn session(&self) -> Option<&SessionInfo> {
        self.data.session.as_ref()
    }
    pub fn credentials(&self) -> Option<&SheetCredentials> {
        self.credentials.as_ref()
    }
    pub fn url_hints(&self) -> Option<&ReturnUrlHints> {
        self.data.url_hints.as_ref()
    }
    pub fn sheet_outcome(&self) -> Option<&SheetOutcome> {
        self.data.sheet_outcome.as_ref()
    }
    pub fn result(&self) -> Option<&FlowResult> {
        self.data.result.as_ref()
    }
    pub fn failure(&self) -> Option<&FlowFailure> {
        self.data.failure.as_ref()
    }
    /// True when this flow came back from a snapshot.
    pub fn was_restored(&self) -> bool {
        self.restored
    }
    /// A create request may have reached the backend without its answer being seen.
    pub fn create_pending(&self) -> bool {
        self.data.create_pending
    }
    /// The backend acknowledged (or refused for good) the completion report.
    pub fn report_settled(&self) -> bool {
        self.data.report_settled
    }
    /// Records that the completion report is settled.
    pub fn mark_report_settled(&mut self) {
        self.data.report_settled = true;
    }

    /// Nothing more is owed to anyone: the flow ended, no create answer is outstanding, and a
    /// flow that had a session had its report settled. Only then may its persisted state go.
    pub fn is_settled(&self) -> bool {
        self.data.phase.is_terminal()
            && !self.data.create_pending
            && (self.data.session.is_none() || self.data.report_settled)
    }

    fn check(&self, action: &'static str, allowed: &[FlowPhase]) -> Result<(), TransitionError> {
        let phase = self.data.phase;
        if allowed.contains(&phase) {
            Ok(())
        } else if phase.is_terminal() {
            Err(TransitionError::AlreadyFinished { phase })
        } else {
            Err(TransitionError::NotAllowed { action, phase })
        }
    }

    fn go(&mut self, to: FlowPhase) -> PhaseChange {
        let from = self.data.phase;
        self.data.phase = to;
        PhaseChange { from, to }
    }

    /// Idle → CreatingSession. Also allowed in CreatingSession (a retry, or a flow restored while
    /// the request was in flight): the same idempotency key is reused.
    pub fn begin_create(&mut self) -> Result<PhaseChange, TransitionError> {
        self.check(
            "create a session",
            &[FlowPhase::Idle, FlowPhase::CreatingSession],
        )?;
        self.data.create_pending = true;
        Ok(self.go(FlowPhase::CreatingSession))
    }

    /// CreatingSession → Ready.
    pub fn session_created(
        &mut self,
        session: SessionInfo,
        credentials: SheetCredentials,
    ) -> Result<PhaseChange, TransitionError> {
        self.check("accept a created session", &[FlowPhase::CreatingSession])?;
        self.data.create_pending = false;
        self.data.session = Some(session);
        self.credentials = Some(credentials);
        Ok(self.go(FlowPhase::Ready))
    }

    /// CreatingSession → Failed.
    pub fn create_failed(&mut self, failure: FlowFailure) -> Result<PhaseChange, TransitionError> {
        self.check("fail session creation", &[FlowPhase::CreatingSession])?;
        self.data.create_pending = false;
        self.data.failure = Some(failure);
        Ok(self.go(FlowPhase::Failed))
    }

    /// Ready → Presenting: the host is about to show the sheet. Presenting twice is an error.
    pub fn present(&mut self) -> Result<PhaseChange, TransitionError> {
        self.check("present the sheet", &[FlowPhase::Ready])?;
        if self.credentials.is_none() {
            return Err(TransitionError::CredentialsLost);
        }
        Ok(self.go(FlowPhase::Presenting))
    }

    /// Presenting → AwaitingReturn: the user went to the bank's app or browser.
    pub fn user_left_app(&mut self) -> Result<PhaseChange, TransitionError> {
        self.check(
            "leave the app",
            &[FlowPhase::Presenting, FlowPhase::AwaitingReturn],
        )?;
        Ok(self.go(FlowPhase::AwaitingReturn))
    }

    /// Presenting/AwaitingReturn → Presenting: a matching return URL arrived; its hints are kept
    /// (the latest wins) and the sheet carries on.
    pub fn return_url_received(
        &mut self,
        hints: ReturnUrlHints,
    ) -> Result<PhaseChange, TransitionError> {
        self.check(
            "accept a return URL",
            &[FlowPhase::Presenting, FlowPhase::AwaitingReturn],
        )?;
        self.data.url_hints = Some(hints);
        Ok(self.go(FlowPhase::Presenting))
    }

    /// Ready/Presenting/AwaitingReturn → Reconciling with what the sheet reported. `Ready` is
    /// accepted because some hosts never call [`present`](Self::present).
    pub fn sheet_result(&mut self, outcome: SheetOutcome) -> Result<PhaseChange, TransitionError> {
        self.check(
            "accept a sheet result",
            &[
                FlowPhase::Ready,
                FlowPhase::Presenting,
                FlowPhase::AwaitingReturn,
            ],
        )?;
        self.data.sheet_outcome = Some(outcome);
        Ok(self.go(FlowPhase::Reconciling))
    }

    /// After a restore: Ready/Presenting/AwaitingReturn → Reconciling with
    /// [`SheetOutcome::NoResult`] (the sheet died with the app). Reconciling stays Reconciling.
    pub fn resume_after_restart(&mut self) -> Result<PhaseChange, TransitionError> {
        self.check(
            "resume after a restart",
            &[
                FlowPhase::Ready,
                FlowPhase::Presenting,
                FlowPhase::AwaitingReturn,
                FlowPhase::Reconciling,
            ],
        )?;
        if self.data.sheet_outcome.is_none() {
            self.data.sheet_outcome = Some(SheetOutcome::NoResult);
        }
        Ok(self.go(FlowPhase::Reconciling))
    }

    /// Reconciling → Completed/Canceled/Failed, from the reconciled result. A second result is
    /// [`TransitionError::AlreadyFinished`].
    pub fn finish(&mut self, result: FlowResult) -> Result<PhaseChange, TransitionError> {
        self.check("finish", &[FlowPhase::Reconciling])?;
        let to = match result.status {
            FlowStatus::Completed => FlowPhase::Completed,
            FlowStatus::Canceled => FlowPhase::Canceled,
            FlowStatus::Failed => FlowPhase::Failed,
        };
        self.data.result = Some(result);
        Ok(self.go(to))
    }

    /// A session arrived for a flow canceled while it was being created (`cancel` during an
    /// in-flight `start`): it is recorded, with the result's session id, so the canceled report
    /// can reach the backend. Only valid on a flow canceled without a session.
    pub fn session_created_after_cancel(
        &mut self,
        session: SessionInfo,
    ) -> Result<(), TransitionError> {
        if self.data.phase != FlowPhase::Canceled || self.data.session.is_some() {
            return Err(TransitionError::NotAllowed {
                action: "accept a session after a cancel",
                phase: self.data.phase,
            });
        }
        if let Some(result) = &mut self.data.result {
            result.session_id = Some(session.session_id.clone());
        }
        self.data.create_pending = false;
        self.data.session = Some(session);
        Ok(())
    }

    /// The create request of a canceled flow was refused for good: no session exists.
    pub fn create_refused_after_cancel(&mut self) {
        if self.data.phase == FlowPhase::Canceled {
            self.data.create_pending = false;
        }
    }

    /// Idle/CreatingSession/Ready → Canceled: the app gave up before showing the sheet. The
    /// flow's result is a cancel with no accounts: nothing can have been linked.
    pub fn cancel(&mut self) -> Result<PhaseChange, TransitionError> {
        self.check(
            "cancel",
            &[
                FlowPhase::Idle,
                FlowPhase::CreatingSession,
                FlowPhase::Ready,
            ],
        )?;
        self.credentials = None;
        self.data.result = Some(FlowResult {
            status: FlowStatus::Canceled,
            session_id: self.data.session.as_ref().map(|s| s.session_id.clone()),
            accounts: Vec::new(),
            relink: None,
            error: None,
            source: crate::reconcile::ResultSource::None,
            warnings: Vec::new(),
            duplicates: Vec::new(),
        });
        Ok(self.go(FlowPhase::Canceled))
    }

    /// The flow as versioned JSON, without any secret.
    pub fn snapshot(&self) -> String {
        // FlowData holds only strings, enums and numbers: serialization cannot fail.
        serde_json::to_string(&self.data).unwrap_or_else(|_| String::from("{}"))
    }

    /// A flow from [`snapshot`](Self::snapshot) output. The credentials are gone.
    ///
    /// Nothing in a snapshot is trusted: it may be corrupt or forged. The size is bounded, the
    /// options are validated again as on creation, every id, the idempotency key and the report
    /// token must have their shape, and the phase must agree with what the flow holds (a session
    /// from `Ready` on, a sheet outcome while reconciling, a result of the right status once
    /// finished). Anything else is a [`SnapshotError`] and nothing is sent.
    pub fn restore(snapshot: &str) -> Result<FlowMachine, SnapshotError> {
        #[derive(Deserialize)]
        struct VersionOnly {
            version: u32,
        }
        if snapshot.len() > MAX_SNAPSHOT_BYTES {
            return Err(SnapshotError::Malformed(format!(
                "larger than {MAX_SNAPSHOT_BYTES} bytes"
            )));
        }
        let v: VersionOnly = serde_json::from_slice(snapshot.as_bytes())
            .map_err(|e| SnapshotError::Malformed(crate::network::policy::scrub(&e.to_string())))?;
        if v.version > SNAPSHOT_VERSION || v.version == 0 {
            return Err(SnapshotError::UnsupportedVersion {
                found: v.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        let mut data: FlowData = serde_json::from_slice(snapshot.as_bytes())
            .map_err(|e| SnapshotError::Malformed(crate::network::policy::scrub(&e.to_string())))?;
        data.options = data
            .options
            .validate()
            .map_err(|e| SnapshotError::Inconsistent(format!("options: {e}")))?;
        check_snapshot(&data).map_err(SnapshotError::Inconsistent)?;
        // The scrubber redacts the flow's report token wherever it appears from now on.
        if let Some(t) = data.session.as_ref().and_then(|s| s.report_token.as_ref()) {
            crate::network::policy::remember_secret(&t.0);
        }
        Ok(FlowMachine {
            data,
            credentials: None,
            restored: true,
        })
    }
}

/// The shape and consistency rules of a restored flow.
fn check_snapshot(data: &FlowData) -> Result<(), String> {
    use crate::ids::{self, IdKind};
    let id = |kind: IdKind, v: &str| ids::check(kind, v).map_err(|e| e.to_string());
    id(IdKind::Flow, &data.flow_id)?;
    id(IdKind::IdempotencyKey, &data.idempotency_key)?;
    if let Some(s) = &data.session {
        id(IdKind::Session, &s.session_id)?;
        if let Some(a) = &s.stripe_account {
            if !a.starts_with("acct_")
                || a.len() > 255
                || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err("malformed stripe_account".into());
            }
        }
        if let Some(t) = &s.report_token {
            if !ids::is_valid_report_token(&t.0) {
                return Err("malformed report token".into());
            }
        }
    }
    if let Some(h) = &data.url_hints {
        let short = |v: &Option<String>| v.as_ref().is_none_or(|v| v.len() <= 200);
        if !short(&h.error_reason) || !short(&h.session_id) {
            return Err("return URL hints too long".into());
        }
    }
    if let Some(SheetOutcome::Failed { error }) = &data.sheet_outcome {
        if error.len() > 500 {
            return Err("sheet error too long".into());
        }
    }
    if let Some(f) = &data.failure {
        if f.code.len() > 100 || f.message.len() > 2000 {
            return Err("failure too long".into());
        }
    }
    if let Some(r) = &data.result {
        if r.accounts.len() > 1000 {
            return Err("too many accounts in the result".into());
        }
        for a in &r.accounts {
            id(IdKind::Account, &a.id)?;
        }
        match (&r.session_id, &data.session) {
            (Some(rid), Some(s)) if *rid != s.session_id => {
                return Err("the result names another session".into())
            }
            (Some(_), None) => return Err("a result session without a flow session".into()),
            _ => {}
        }
    }
    let phase = data.phase;
    let has_session = data.session.is_some();
    let status = data.result.as_ref().map(|r| r.status);
    if data.report_settled && !(phase.is_terminal() || phase == FlowPhase::Reconciling) {
        return Err(format!("phase {phase} cannot have a settled report"));
    }
    let ok = match phase {
        FlowPhase::Idle => {
            !has_session
                && !data.create_pending
                && data.sheet_outcome.is_none()
                && status.is_none()
                && data.failure.is_none()
        }
        FlowPhase::CreatingSession => !has_session && status.is_none() && data.failure.is_none(),
        FlowPhase::Ready | FlowPhase::Presenting | FlowPhase::AwaitingReturn => {
            has_session && status.is_none() && data.sheet_outcome.is_none()
        }
        FlowPhase::Reconciling => has_session && status.is_none() && data.sheet_outcome.is_some(),
        FlowPhase::Completed => {
            has_session && !data.create_pending && status == Some(FlowStatus::Completed)
        }
        FlowPhase::Canceled => status == Some(FlowStatus::Canceled),
        FlowPhase::Failed => {
            status == Some(FlowStatus::Failed) || (status.is_none() && data.failure.is_some())
        }
    };
    if !ok {
        return Err(format!(
            "phase {phase} does not agree with what the flow holds (session: {has_session}, result: {})",
            status.map(|s| s.as_str()).unwrap_or("none")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
