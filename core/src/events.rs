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
        flow_id: String,
        from: FlowPhase,
        to: FlowPhase,
    },
    /// A deep link was checked against the flow's return URLs.
    ReturnUrlChecked {
        flow_id: String,
        matched: bool,
        /// Why it was rejected (`host_mismatch`, …); none when it matched.
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
    /// An event of Stripe's SDK the app forwarded with `Flow.recordStripeEvent` (`open`,
    /// `institution_selected`, …).
    StripeEvent {
        flow_id: String,
        name: String,
        metadata: HashMap<String, String>,
    },
    /// One HTTP exchange with the backend or Stripe; `request_id` is the server's, for support.
    BackendCall {
        endpoint: String,
        /// The attempt's number, 1 for the first.
        attempt: i32,
        /// The HTTP status, when there was an answer.
        status: Option<i32>,
        request_id: Option<String>,
        /// None on a 2xx; else a short code (`offline`, `redirect`, `too_large`, `http_error`…).
        error: Option<String>,
    },
    /// The flow ended.
    Finished { flow_id: String, status: FlowStatus },
    /// A mistake in the app's configuration noticed at run time: `app_id_mismatch` when a deep
    /// link was Stripe's Android redirect for another application id (the configured
    /// `androidAppId` is probably wrong). The link stays rejected; fix the configuration.
    ConfigurationWarning { code: String, message: String },
}

/// What `sendPendingReports` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct OutboxSummary {
    /// Reports the backend acknowledged in this call.
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
