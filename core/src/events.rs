//! What the networked flow tells the app, as plain data: [`FlowEvent`] (for the app's listeners)
//! and [`OutboxSummary`] (what a pass over the pending completion reports did). The flow in
//! `finconn-client` produces them; they live here, pure, so Swift and Kotlin see these very types
//! (feature `uniffi`).

use std::collections::HashMap;

use crate::reconcile::FlowStatus;
use crate::state::FlowPhase;

/// Something that happened in a flow, for the app's `FlowListener`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum FlowEvent {
    /// The flow moved from one phase to another.
    PhaseChanged {
        /// The flow it happened in (`Flow.flowId`).
        flow_id: String,
        /// The phase it left.
        from: FlowPhase,
        /// The phase it is in now.
        to: FlowPhase,
    },
    /// A deep link was checked against the flow's return URLs.
    ReturnUrlChecked {
        /// The flow it happened in (`Flow.flowId`).
        flow_id: String,
        /// Whether the link is one of the flow's return links.
        matched: bool,
        /// Why it was rejected (`host_mismatch`, …); none when it matched.
        reason: Option<String>,
    },
    /// A completion report was written to the outbox.
    ReportQueued {
        /// The session the report is about (`fcsess_…`).
        session_id: String,
        /// The report's own id, the same on every attempt to send it.
        report_id: String,
    },
    /// The backend acknowledged a report; it left the outbox.
    ReportDelivered {
        /// The session the report is about (`fcsess_…`).
        session_id: String,
        /// The report's own id, the same on every attempt to send it.
        report_id: String,
    },
    /// The backend refused a report for good (e.g. unknown session); it left the outbox.
    ReportDropped {
        /// The session the report is about (`fcsess_…`).
        session_id: String,
        /// The report's own id, the same on every attempt to send it.
        report_id: String,
        /// Why the backend refused it, for logs.
        reason: String,
    },
    /// An event of Stripe's SDK the app forwarded with `Flow.recordStripeEvent` (`open`,
    /// `institution_selected`, …).
    StripeEvent {
        /// The flow it happened in (`Flow.flowId`).
        flow_id: String,
        /// Stripe's event name, as the SDK gave it.
        name: String,
        /// Stripe's event metadata, as the SDK gave it.
        metadata: HashMap<String, String>,
    },
    /// One HTTP exchange with the backend or Stripe; `request_id` is the server's, for support.
    BackendCall {
        /// Which call of the contract (`create_session`, `complete_session`, …).
        endpoint: String,
        /// 1 for the first attempt, 2 for the first retry, and so on.
        attempt: i32,
        /// The HTTP status; none when no answer came (offline, timeout).
        status: Option<i32>,
        /// The server's `Request-Id` / `X-Request-Id`, to give to support; none if it sent none.
        request_id: Option<String>,
        /// None on a 2xx; else a short code (`offline`, `redirect`, `too_large`, `http_error`…).
        error: Option<String>,
    },
    /// The flow ended.
    Finished {
        /// The flow it happened in (`Flow.flowId`).
        flow_id: String,
        /// How it ended; the whole result is the flow's `FlowResult`.
        status: FlowStatus,
    },
    /// A mistake in the app's configuration noticed at run time: `app_id_mismatch` when a deep
    /// link was Stripe's Android redirect for another application id (the configured
    /// `androidAppId` is probably wrong). The link stays rejected; fix the configuration.
    ConfigurationWarning {
        /// A short stable code, e.g. `app_id_mismatch`.
        code: String,
        /// What is wrong and what to change, for a developer.
        message: String,
    },
}

/// What `sendPendingReports` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxSummary {
    /// Reports the backend acknowledged in this pass; they left the outbox.
    pub delivered: i32,
    /// Still pending: unreachable backend, another client or process sending them now, or a file
    /// unreadable at the moment. Sent again next time.
    pub remaining: i32,
    /// Refused for good by the backend (unknown session, …).
    pub dropped: i32,
    /// Files whose content could not be decoded, moved aside by this call (never sent; counted
    /// once; the newest 20 kept for 30 days at most). Entries that are not regular files or not
    /// the library's names are ignored and not counted anywhere.
    pub quarantined: i32,
}
