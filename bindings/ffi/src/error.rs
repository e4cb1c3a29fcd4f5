//! The one error type Swift and Kotlin see: `FinConnError` (Swift `Error` enum, Kotlin
//! `FinConnException` subclasses). Each variant is an action the app can take; the message says
//! what happened. It is converted from the core's error, never decided here.

use finconn_core::error::Error;

/// What went wrong, grouped by what the app should do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FinConnError {
    /// Fix the app's configuration or session options (a developer mistake; do not retry).
    #[error("{reason}")]
    InvalidConfiguration { reason: String },
    /// The call does not fit the flow's current state (an app bug, e.g. presenting twice).
    #[error("{reason}")]
    InvalidState { reason: String },
    /// The device is offline or the backend cannot be reached: tell the user, retry later.
    #[error("{reason}")]
    Offline { reason: String },
    /// The backend did not answer in time: retry.
    #[error("{reason}")]
    Timeout { reason: String },
    /// The secure connection failed: the TLS handshake, an untrusted, expired or wrong
    /// certificate, or a pinning mismatch (your transport's pinning included). Not offline, and
    /// not retried: tell the user the connection is not secure (another network may help) and
    /// report it.
    #[error("{reason}")]
    Tls { reason: String },
    /// The backend refused the app's credentials (401/403): refresh the user's auth, then retry.
    #[error("{reason}")]
    Unauthorized {
        status: u16,
        reason: String,
        /// The server's request id, for support.
        request_id: Option<String>,
    },
    /// The backend rejected the request (another 4xx): show an error, do not retry as is.
    #[error("{reason}")]
    Rejected {
        status: u16,
        reason: String,
        request_id: Option<String>,
    },
    /// The backend or Stripe is unavailable (5xx, 429) even after retries: retry later.
    #[error("{reason}")]
    ServiceUnavailable {
        status: Option<u16>,
        retry_after_ms: Option<u64>,
        reason: String,
        request_id: Option<String>,
    },
    /// A saved flow cannot be restored: discard the snapshot and start a new flow.
    #[error("{reason}")]
    SnapshotUnusable { reason: String },
    /// The device's storage failed (full, read-only, an I/O error) while the library saved the
    /// flow's progress or a report in `dataDir`. A call that changes the flow's phase and throws
    /// this left the flow where it was: tell the user (free some space), then call it again, or
    /// let the next launch's `resumePending()` finish the flow; its session still gets exactly
    /// one report. Not a network condition: waiting alone will not fix it.
    #[error("{reason}")]
    Storage { reason: String },
    /// Anything else: a backend that broke the contract (a redirect, an oversized or malformed
    /// answer), a bug. Report it; retrying as is will not help.
    #[error("{reason}")]
    Other {
        reason: String,
        request_id: Option<String>,
    },
}

impl From<Error> for FinConnError {
    fn from(e: Error) -> Self {
        // Named `reason`, not `message`: Kotlin exceptions already have a `message` property.
        let reason = e.to_string();
        match e {
            Error::InvalidConfiguration { .. } => FinConnError::InvalidConfiguration { reason },
            Error::InvalidState { .. } => FinConnError::InvalidState { reason },
            Error::Offline { .. } => FinConnError::Offline { reason },
            Error::Tls { .. } => FinConnError::Tls { reason },
            Error::Timeout { .. } => FinConnError::Timeout { reason },
            Error::Unauthorized {
                status, request_id, ..
            } => FinConnError::Unauthorized {
                status,
                reason,
                request_id,
            },
            Error::Rejected {
                status, request_id, ..
            } => FinConnError::Rejected {
                status,
                reason,
                request_id,
            },
            Error::ServiceUnavailable {
                status,
                retry_after_ms,
                request_id,
                ..
            } => FinConnError::ServiceUnavailable {
                status,
                retry_after_ms,
                reason,
                request_id,
            },
            Error::SnapshotUnusable { .. } => FinConnError::SnapshotUnusable { reason },
            Error::Storage { .. } => FinConnError::Storage { reason },
            Error::Other { request_id, .. } => FinConnError::Other { reason, request_id },
        }
    }
}

/// UniFFI turns a Rust panic into an internal error on its own; this is for callback failures.
impl From<uniffi::UnexpectedUniFFICallbackError> for FinConnError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        FinConnError::Other {
            reason: format!("a host callback failed: {}", e.reason),
            request_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_keeps_its_action_and_message() {
        let e: FinConnError = Error::ServiceUnavailable {
            status: Some(503),
            message: "down".into(),
            retry_after_ms: Some(1000),
            request_id: Some("req_1".into()),
        }
        .into();
        assert_eq!(
            e,
            FinConnError::ServiceUnavailable {
                status: Some(503),
                retry_after_ms: Some(1000),
                reason: "service unavailable (503): down".into(),
                request_id: Some("req_1".into()),
            }
        );
        let e: FinConnError = Error::Unauthorized {
            status: 401,
            message: "token expired".into(),
            request_id: None,
        }
        .into();
        assert!(matches!(e, FinConnError::Unauthorized { status: 401, .. }));
        assert!(e.to_string().contains("token expired"));
        let e: FinConnError = Error::Storage {
            message: "the flow's progress could not be saved: No space left on device".into(),
        }
        .into();
        assert_eq!(
            e,
            FinConnError::Storage {
                reason: "storage: the flow's progress could not be saved: No space left on device"
                    .into()
            }
        );
    }
}
