//! The public error of the flow API: one small enum where every variant is an action the app can
//! take. The detailed, flat errors of each module ([`OptionsError`], [`TransitionError`],
//! [`SnapshotError`], [`ReturnUrlConfigError`], the backend's errors) convert into it; their message
//! is kept so a developer reading a log knows exactly what went wrong. If there is no action for a
//! case, it goes in [`Error::Other`].

use crate::options::OptionsError;
use crate::return_url::ReturnUrlConfigError;
use crate::state::{SnapshotError, TransitionError};

/// What went wrong, grouped by what the app should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fix the app's configuration or session options (a developer mistake; do not retry).
    #[error("invalid configuration: {message}")]
    InvalidConfiguration { message: String },
    /// The call does not fit the flow's current state (an app bug, e.g. presenting twice).
    #[error("invalid flow state: {message}")]
    InvalidState { message: String },
    /// The device is offline or the backend cannot be reached: tell the user, retry later.
    #[error("offline: {message}")]
    Offline { message: String },
    /// The backend did not answer in time: retry.
    #[error("timed out: {message}")]
    Timeout { message: String },
    /// The secure connection failed: the TLS handshake, an untrusted, expired or wrong
    /// certificate, or a pinning mismatch (the host transport's own pinning included). Not
    /// offline, and not retried: a network that intercepts TLS stays one. Tell the user the
    /// connection is not secure (another network may help) and report it.
    #[error("TLS failure: {message}")]
    Tls { message: String },
    /// The backend refused the app's credentials (401/403): refresh the user's auth, then retry.
    #[error("unauthorized ({status}): {message}")]
    Unauthorized {
        status: u16,
        message: String,
        /// The server's request id, for support.
        request_id: Option<String>,
    },
    /// The backend rejected the request (another 4xx): show an error, don't retry as is.
    #[error("rejected by the backend ({status}): {message}")]
    Rejected {
        status: u16,
        message: String,
        request_id: Option<String>,
    },
    /// The backend or Stripe is unavailable (5xx, 429) even after retries: retry later.
    #[error("service unavailable{}: {message}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    ServiceUnavailable {
        status: Option<u16>,
        message: String,
        retry_after_ms: Option<u64>,
        request_id: Option<String>,
    },
    /// A saved flow cannot be restored: discard it and start a new flow.
    #[error("flow snapshot unusable: {message}")]
    SnapshotUnusable { message: String },
    /// The device's storage failed (full, read-only, an I/O error) while the core wrote the
    /// flow's progress or a report to the app's data directory. A call that changes the flow's
    /// phase and fails with this left the flow where it was: tell the user (free some space),
    /// then call it again, or let a later launch's `resume_pending` finish the flow. Not a
    /// network condition: waiting alone will not fix it.
    #[error("storage: {message}")]
    Storage { message: String },
    /// Anything else: a backend that broke the contract (a redirect, an oversized or malformed
    /// answer), a bug. Report it; retrying as is will not help.
    #[error("{message}")]
    Other {
        message: String,
        request_id: Option<String>,
    },
}

impl Error {
    /// A short stable code for logs and analytics (`offline`, `timeout`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidConfiguration { .. } => "invalid_configuration",
            Error::InvalidState { .. } => "invalid_state",
            Error::Offline { .. } => "offline",
            Error::Timeout { .. } => "timeout",
            Error::Tls { .. } => "tls",
            Error::Unauthorized { .. } => "unauthorized",
            Error::Rejected { .. } => "rejected",
            Error::ServiceUnavailable { .. } => "service_unavailable",
            Error::SnapshotUnusable { .. } => "snapshot_unusable",
            Error::Storage { .. } => "storage",
            Error::Other { .. } => "other",
        }
    }

    /// The server's request id of the answer behind this error, for support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::Rejected { request_id, .. }
            | Error::ServiceUnavailable { request_id, .. }
            | Error::Other { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// An [`Error::Other`] without a request id.
    pub fn other(message: impl Into<String>) -> Self {
        Error::Other {
            message: message.into(),
            request_id: None,
        }
    }

    /// An [`Error::Storage`]: a plain sentence saying what failed, then the system's reason
    /// (`No space left on device (os error 28)`). Never a path or a file name.
    pub fn storage(what_failed: &str, e: &std::io::Error) -> Self {
        Error::Storage {
            message: format!("{what_failed}: {e}"),
        }
    }

    /// True when retrying the same call later may succeed (a network condition). A
    /// [`Error::Storage`] is not: the device's storage must recover first; nor is
    /// [`Error::Tls`]: a certificate that fails now fails again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Offline { .. } | Error::Timeout { .. } | Error::ServiceUnavailable { .. }
        )
    }
}

impl From<OptionsError> for Error {
    fn from(e: OptionsError) -> Self {
        Error::InvalidConfiguration {
            message: e.to_string(),
        }
    }
}

impl From<ReturnUrlConfigError> for Error {
    fn from(e: ReturnUrlConfigError) -> Self {
        Error::InvalidConfiguration {
            message: e.to_string(),
        }
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        Error::InvalidState {
            message: e.to_string(),
        }
    }
}

impl From<SnapshotError> for Error {
    fn from(e: SnapshotError) -> Self {
        Error::SnapshotUnusable {
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FlowPhase;

    #[test]
    fn module_errors_map_to_actions_and_keep_their_message() {
        let e: Error = OptionsError::NoPermissions.into();
        assert_eq!(e.code(), "invalid_configuration");
        assert!(e.to_string().contains("at least one permission"));
        let e: Error = TransitionError::AlreadyFinished {
            phase: FlowPhase::Completed,
        }
        .into();
        assert_eq!(e.code(), "invalid_state");
        assert!(e.to_string().contains("already ended (completed)"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn storage_errors_are_typed_plain_and_not_retryable_as_offline() {
        let e = Error::storage(
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
        let e = Error::ServiceUnavailable {
            status: Some(503),
            message: "backend overloaded".into(),
            retry_after_ms: None,
            request_id: None,
        };
        assert_eq!(
            e.to_string(),
            "service unavailable (503): backend overloaded"
        );
        assert!(e.is_retryable());
    }
}
