//! The public error: [`FinConnError`], one small enum where every variant is an action the app can
//! take, the same type in Rust, Swift and Kotlin. The detailed, flat errors of the pure modules
//! ([`OptionsError`], [`TransitionError`], [`SnapshotError`], [`ReturnUrlConfigError`]) convert into
//! it here; the networked ones in `finconn-client`'s `errors` module. Their message is kept so a
//! developer reading a log knows exactly what went wrong. If there is no action for a case, it goes
//! in [`FinConnError::Other`].

use crate::options::OptionsError;
use crate::return_url::ReturnUrlConfigError;
use crate::state::{SnapshotError, TransitionError};

/// What went wrong, grouped by what the app should do about it. Swift and Kotlin see this very
/// type (Swift `FinConnError`, Kotlin `FinConnException`) through the `uniffi` feature.
///
/// Every variant's `reason` is the whole sentence a developer reads in a log: what kind of failure,
/// then what happened (`offline: the backend could not be reached`). It is built by the
/// constructors below, so the kind's prefix is written once. Named `reason`, not `message`:
/// Kotlin exceptions already have a `message` property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Error))]
pub enum FinConnError {
    /// Fix the app's configuration or session options (a developer mistake; do not retry).
    #[error("{reason}")]
    InvalidConfiguration {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The call does not fit the flow's current state (an app bug, e.g. presenting twice).
    #[error("{reason}")]
    InvalidState {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The device is offline or the backend cannot be reached: tell the user, retry later.
    #[error("{reason}")]
    Offline {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The backend did not answer in time: retry.
    #[error("{reason}")]
    Timeout {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The secure connection failed: the TLS handshake, an untrusted, expired or wrong
    /// certificate, or a pinning mismatch (the host transport's own pinning included). Not
    /// offline, and not retried: a network that intercepts TLS stays one. Tell the user the
    /// connection is not secure (another network may help) and report it.
    #[error("{reason}")]
    Tls {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The backend refused the app's credentials (401/403): refresh the user's auth, then retry.
    #[error("{reason}")]
    Unauthorized {
        /// The HTTP status, 401 or 403.
        status: i32,
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
        /// The server's request id, for support.
        request_id: Option<String>,
    },
    /// The backend rejected the request (another 4xx): show an error, do not retry as is.
    #[error("{reason}")]
    Rejected {
        /// The HTTP status (a 4xx other than 401, 403 and 429).
        status: i32,
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
        /// The server's request id, for support; none when the answer carried none.
        request_id: Option<String>,
    },
    /// The backend or Stripe is unavailable (5xx, 429) even after retries: retry later.
    #[error("{reason}")]
    ServiceUnavailable {
        /// The HTTP status of the last answer (5xx or 429); none when the service could not be
        /// reached at all.
        status: Option<i32>,
        /// How long the server asked the app to wait (`Retry-After`), in milliseconds.
        retry_after_ms: Option<i64>,
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
        /// The server's request id, for support; none when the answer carried none.
        request_id: Option<String>,
    },
    /// A saved flow cannot be restored: discard the snapshot and start a new flow.
    #[error("{reason}")]
    SnapshotUnusable {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// The device's storage failed (full, read-only, an I/O error) while the library saved the
    /// flow's progress or a report in the app's data directory. A call that changes the flow's
    /// phase and fails with this left the flow where it was: tell the user (free some space),
    /// then call it again, or let the next launch's `resumePending()` finish the flow; its
    /// session still gets exactly one report. Not a network condition: waiting alone will not
    /// fix it.
    #[error("{reason}")]
    Storage {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
    },
    /// Anything else: a backend that broke the contract (a redirect, an oversized or malformed
    /// answer), a bug. Report it; retrying as is will not help.
    #[error("{reason}")]
    Other {
        /// The whole sentence for a developer's log: the kind of failure, then what happened
        /// (scrubbed of secrets). Not written for users: show your own text.
        reason: String,
        /// The server's request id, for support; none when the answer carried none.
        request_id: Option<String>,
    },
}

/// The error of every fallible call of this crate and of `finconn-client`.
pub type Result<T, E = FinConnError> = std::result::Result<T, E>;

impl FinConnError {
    /// A configuration or options mistake: `invalid configuration: {detail}`.
    pub fn invalid_configuration(detail: impl std::fmt::Display) -> Self {
        FinConnError::InvalidConfiguration {
            reason: format!("invalid configuration: {detail}"),
        }
    }

    /// A call out of order: `invalid flow state: {detail}`.
    pub fn invalid_state(detail: impl std::fmt::Display) -> Self {
        FinConnError::InvalidState {
            reason: format!("invalid flow state: {detail}"),
        }
    }

    /// `offline: {detail}`.
    pub fn offline(detail: impl std::fmt::Display) -> Self {
        FinConnError::Offline {
            reason: format!("offline: {detail}"),
        }
    }

    /// `timed out: {detail}`.
    pub fn timeout(detail: impl std::fmt::Display) -> Self {
        FinConnError::Timeout {
            reason: format!("timed out: {detail}"),
        }
    }

    /// `TLS failure: {detail}`.
    pub fn tls(detail: impl std::fmt::Display) -> Self {
        FinConnError::Tls {
            reason: format!("TLS failure: {detail}"),
        }
    }

    /// A 401 or 403: `unauthorized ({status}): {detail}`.
    pub fn unauthorized(
        status: u16,
        detail: impl std::fmt::Display,
        request_id: Option<String>,
    ) -> Self {
        FinConnError::Unauthorized {
            status: i32::from(status),
            reason: format!("unauthorized ({status}): {detail}"),
            request_id,
        }
    }

    /// Another 4xx: `rejected by the backend ({status}): {detail}`.
    pub fn rejected(
        status: u16,
        detail: impl std::fmt::Display,
        request_id: Option<String>,
    ) -> Self {
        FinConnError::Rejected {
            status: i32::from(status),
            reason: format!("rejected by the backend ({status}): {detail}"),
            request_id,
        }
    }

    /// A 5xx or 429 after the retries: `service unavailable ({status}): {detail}`.
    pub fn service_unavailable(
        status: Option<u16>,
        detail: impl std::fmt::Display,
        retry_after_ms: Option<u64>,
        request_id: Option<String>,
    ) -> Self {
        let status_text = status.map(|s| format!(" ({s})")).unwrap_or_default();
        FinConnError::ServiceUnavailable {
            status: status.map(i32::from),
            retry_after_ms: retry_after_ms.map(|ms| i64::try_from(ms).unwrap_or(i64::MAX)),
            reason: format!("service unavailable{status_text}: {detail}"),
            request_id,
        }
    }

    /// `flow snapshot unusable: {detail}`.
    pub fn snapshot_unusable(detail: impl std::fmt::Display) -> Self {
        FinConnError::SnapshotUnusable {
            reason: format!("flow snapshot unusable: {detail}"),
        }
    }

    /// A storage failure: `storage: {what_failed}: {the system's reason}` (`No space left on
    /// device (os error 28)`). Never a path or a file name.
    pub fn storage(what_failed: &str, e: &std::io::Error) -> Self {
        FinConnError::Storage {
            reason: format!("storage: {what_failed}: {e}"),
        }
    }

    /// An [`FinConnError::Other`] without a request id: the detail as it is.
    pub fn other(detail: impl Into<String>) -> Self {
        FinConnError::Other {
            reason: detail.into(),
            request_id: None,
        }
    }

    /// A short stable code for logs, analytics and `switch`es (`offline`, `timeout`, …).
    pub fn code(&self) -> &'static str {
        match self {
            FinConnError::InvalidConfiguration { .. } => "invalid_configuration",
            FinConnError::InvalidState { .. } => "invalid_state",
            FinConnError::Offline { .. } => "offline",
            FinConnError::Timeout { .. } => "timeout",
            FinConnError::Tls { .. } => "tls",
            FinConnError::Unauthorized { .. } => "unauthorized",
            FinConnError::Rejected { .. } => "rejected",
            FinConnError::ServiceUnavailable { .. } => "service_unavailable",
            FinConnError::SnapshotUnusable { .. } => "snapshot_unusable",
            FinConnError::Storage { .. } => "storage",
            FinConnError::Other { .. } => "other",
        }
    }

    /// The whole sentence: what kind of failure, then what happened.
    pub fn reason(&self) -> &str {
        match self {
            FinConnError::InvalidConfiguration { reason }
            | FinConnError::InvalidState { reason }
            | FinConnError::Offline { reason }
            | FinConnError::Timeout { reason }
            | FinConnError::Tls { reason }
            | FinConnError::Unauthorized { reason, .. }
            | FinConnError::Rejected { reason, .. }
            | FinConnError::ServiceUnavailable { reason, .. }
            | FinConnError::SnapshotUnusable { reason }
            | FinConnError::Storage { reason }
            | FinConnError::Other { reason, .. } => reason,
        }
    }

    /// The server's request id of the answer behind this error, for support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            FinConnError::Unauthorized { request_id, .. }
            | FinConnError::Rejected { request_id, .. }
            | FinConnError::ServiceUnavailable { request_id, .. }
            | FinConnError::Other { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// True when retrying the same call later may succeed (a network condition). A
    /// [`FinConnError::Storage`] is not: the device's storage must recover first; nor is
    /// [`FinConnError::Tls`]: a certificate that fails now fails again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            FinConnError::Offline { .. }
                | FinConnError::Timeout { .. }
                | FinConnError::ServiceUnavailable { .. }
        )
    }
}

/// What Swift and Kotlin can ask any error, whatever its variant: the same answers as the Rust
/// methods above (`code()`, `requestId()`, `isRetryable()`), so an app switches on a stable code
/// and sends the request id to support without matching every variant.
#[cfg(feature = "uniffi")]
#[uniffi::export]
impl FinConnError {
    /// A short stable code for logs, analytics and `switch`es: `invalid_configuration`,
    /// `invalid_state`, `offline`, `timeout`, `tls`, `unauthorized`, `rejected`,
    /// `service_unavailable`, `snapshot_unusable`, `storage` or `other`.
    #[uniffi::method(name = "code")]
    pub fn ffi_code(&self) -> String {
        self.code().to_owned()
    }

    /// The server's request id of the answer behind this error (give it to support), or none
    /// when no server answered.
    #[uniffi::method(name = "request_id")]
    pub fn ffi_request_id(&self) -> Option<String> {
        self.request_id().map(str::to_owned)
    }

    /// True when calling again later may succeed (offline, timeout, service unavailable).
    #[uniffi::method(name = "is_retryable")]
    pub fn ffi_is_retryable(&self) -> bool {
        self.is_retryable()
    }
}

/// A host callback (a foreign trait implemented in Swift or Kotlin) failed in a way its
/// declaration does not allow (UniFFI's catch-all). The host's reason is kept: it never holds
/// the library's secrets, and a developer needs it.
#[cfg(feature = "uniffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for FinConnError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FinConnError::other(format!("a host callback failed: {}", e.reason))
    }
}

impl From<OptionsError> for FinConnError {
    fn from(e: OptionsError) -> Self {
        FinConnError::invalid_configuration(e)
    }
}

impl From<ReturnUrlConfigError> for FinConnError {
    fn from(e: ReturnUrlConfigError) -> Self {
        FinConnError::invalid_configuration(e)
    }
}

impl From<TransitionError> for FinConnError {
    fn from(e: TransitionError) -> Self {
        FinConnError::invalid_state(e)
    }
}

impl From<SnapshotError> for FinConnError {
    fn from(e: SnapshotError) -> Self {
        FinConnError::snapshot_unusable(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FlowPhase;

    #[test]
    fn module_errors_map_to_actions_and_keep_their_message() {
        let e: FinConnError = OptionsError::NoPermissions.into();
        assert_eq!(e.code(), "invalid_configuration");
        assert!(e.to_string().contains("at least one permission"));
        let e: FinConnError = TransitionError::AlreadyFinished {
            phase: FlowPhase::Completed,
        }
        .into();
        assert_eq!(e.code(), "invalid_state");
        assert!(e.to_string().contains("already ended (completed)"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn storage_errors_are_typed_plain_and_not_retryable_as_offline() {
        let e = FinConnError::storage(
            "the flow's progress could not be saved",
            &std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
        );
        assert_eq!(e.code(), "storage");
        assert_eq!(
            e.to_string(),
            "storage: the flow's progress could not be saved: No space left on device"
        );
        assert!(!e.is_retryable());
        assert_eq!(e.request_id(), None);
    }

    #[test]
    fn service_unavailable_message_names_the_status() {
        let e = FinConnError::service_unavailable(Some(503), "backend overloaded", None, None);
        assert_eq!(
            e.to_string(),
            "service unavailable (503): backend overloaded"
        );
        assert!(e.is_retryable());
    }
}
