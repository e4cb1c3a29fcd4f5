//! The one place that decides what an internal failure becomes for the app, and what the library
//! logs about it at which level (mozilla application-services' "error support" pattern).
//!
//! Internal errors stay detailed and flat: [`BackendError`] (one backend or Stripe exchange),
//! [`OutboxError`] (the report files); the pure core's own ([`finconn_core::error`]) convert
//! there. The app sees only [`FinConnError`], where every variant is an action:
//!
//! | internal | public | retryable | logged |
//! |---|---|---|---|
//! | `BackendError::InvalidConfiguration` | `InvalidConfiguration` | no | error |
//! | `Offline` | `Offline` | yes | warn |
//! | `Timeout`, `HeadersTimeout` | `Timeout` | yes | warn |
//! | `Tls` (handshake, certificate, pinning) | `Tls` — never `Offline` | no | error |
//! | `Status` 401, 403 | `Unauthorized` | no | warn |
//! | `Status` 429, 5xx | `ServiceUnavailable` | yes | warn |
//! | `Status` other 4xx | `Rejected` | no | warn |
//! | `Redirect`, `TooLarge`, `InvalidResponse`, `Cancelled` | `Other` (a contract break) | no | error |
//! | `OutboxError::Io` | `Storage` | no | — (the caller's log names the file) |
//! | `OutboxError::InvalidReport` | `Other` | no | — |
//!
//! Every message here is already scrubbed ([`finconn_core::network::policy::scrub`]): no secret,
//! no body, no `Location`, no path.

use std::time::Duration;

use finconn_core::error::FinConnError;

use crate::backend::BackendError;
use crate::outbox::OutboxError;

impl From<BackendError> for FinConnError {
    fn from(e: BackendError) -> Self {
        let detail = e.to_string();
        let request_id = e.request_id().map(str::to_owned);
        match e {
            BackendError::InvalidConfiguration(_) => FinConnError::invalid_configuration(detail),
            BackendError::Offline { .. } => FinConnError::offline(detail),
            // Never "offline, retry later": a pinning or certificate failure must stay loud.
            BackendError::Tls { .. } => FinConnError::tls(detail),
            BackendError::Timeout { .. } | BackendError::HeadersTimeout { .. } => {
                FinConnError::timeout(detail)
            }
            BackendError::Status {
                status,
                retry_after_ms,
                ..
            } => match status {
                401 | 403 => FinConnError::unauthorized(status, detail, request_id),
                429 | 500..=599 => FinConnError::service_unavailable(
                    Some(status),
                    detail,
                    retry_after_ms,
                    request_id,
                ),
                _ => FinConnError::rejected(status, detail, request_id),
            },
            BackendError::Redirect { .. }
            | BackendError::TooLarge { .. }
            | BackendError::InvalidResponse { .. }
            | BackendError::Cancelled { .. } => FinConnError::Other {
                reason: detail,
                request_id,
            },
        }
    }
}

impl From<OutboxError> for FinConnError {
    fn from(e: OutboxError) -> Self {
        match e {
            // No path in the message: the app's error says what failed, its log says where.
            OutboxError::Io { source, .. } => FinConnError::storage(
                "the completion reports could not be stored or read",
                &source,
            ),
            OutboxError::InvalidReport(_) => FinConnError::other(e.to_string()),
        }
    }
}

/// How loud a failed backend call is in the log: `error` for what a developer or a security team
/// must look at (a configuration mistake, a TLS or pinning failure, a backend breaking the
/// contract), `warn` for the network and the server's answers.
pub fn failure_level(e: &BackendError) -> tracing::Level {
    match e {
        BackendError::InvalidConfiguration(_)
        | BackendError::Tls { .. }
        | BackendError::Redirect { .. }
        | BackendError::TooLarge { .. }
        | BackendError::InvalidResponse { .. }
        | BackendError::Cancelled { .. } => tracing::Level::ERROR,
        BackendError::Offline { .. }
        | BackendError::Timeout { .. }
        | BackendError::HeadersTimeout { .. }
        | BackendError::Status { .. } => tracing::Level::WARN,
    }
}

/// A backend call failed for good (not retryable, or out of attempts).
pub(crate) fn log_backend_failure(endpoint: &str, attempt: u32, e: &BackendError) {
    let code = e.code();
    if failure_level(e) == tracing::Level::ERROR {
        tracing::error!(endpoint, attempt, code, error = %e, "backend call failed");
    } else {
        tracing::warn!(endpoint, attempt, code, error = %e, "backend call failed");
    }
}

/// A backend call failed and is tried again after `delay`.
pub(crate) fn log_backend_retry(endpoint: &str, attempt: u32, delay: Duration, e: &BackendError) {
    tracing::info!(
        endpoint,
        attempt,
        delay_ms = delay.as_millis() as u64,
        code = e.code(),
        error = %e,
        "retrying backend call"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> BackendError {
        BackendError::Status {
            endpoint: "create_session".into(),
            status,
            code: None,
            message: Some("nope".into()),
            retry_after_ms: Some(1000),
            request_id: Some("req_1".into()),
        }
    }

    #[test]
    fn a_tls_failure_is_its_own_loud_non_retryable_error_never_offline() {
        let e = BackendError::Tls {
            endpoint: "create_session".into(),
            message: "certificate pin mismatch".into(),
        };
        assert!(!e.retryable());
        assert_eq!(failure_level(&e), tracing::Level::ERROR);
        let public = FinConnError::from(e);
        assert_eq!(public.code(), "tls");
        assert!(!public.is_retryable());
        assert_eq!(
            public.reason(),
            "TLS failure: create_session: TLS failure: certificate pin mismatch"
        );
        let offline = FinConnError::from(BackendError::Offline {
            endpoint: "create_session".into(),
            message: "connection refused".into(),
        });
        assert_eq!(offline.code(), "offline");
        assert!(offline.is_retryable());
    }

    #[test]
    fn statuses_map_to_actions_and_keep_the_request_id() {
        let e = FinConnError::from(status(401));
        assert_eq!(e.code(), "unauthorized");
        assert_eq!(e.request_id(), Some("req_1"));
        let e = FinConnError::from(status(503));
        assert!(matches!(
            e,
            FinConnError::ServiceUnavailable {
                status: Some(503),
                retry_after_ms: Some(1000),
                ..
            }
        ));
        assert_eq!(
            e.reason(),
            "service unavailable (503): create_session answered HTTP 503: nope"
        );
        assert!(e.is_retryable());
        let e = FinConnError::from(status(404));
        assert_eq!(e.code(), "rejected");
        assert!(!e.is_retryable());
        assert_eq!(failure_level(&status(404)), tracing::Level::WARN);
    }

    #[test]
    fn contract_breaks_are_other_with_the_request_id_and_logged_as_errors() {
        let e = BackendError::Redirect {
            endpoint: "create_session".into(),
            status: 302,
            request_id: Some("req_9".into()),
        };
        assert_eq!(failure_level(&e), tracing::Level::ERROR);
        let public = FinConnError::from(e);
        assert_eq!(public.code(), "other");
        assert_eq!(public.request_id(), Some("req_9"));
        assert!(!public.is_retryable());
    }

    #[test]
    fn outbox_failures_are_storage_without_a_path() {
        let e = OutboxError::Io {
            path: "/data/user/0/app/files/finconn-outbox/report-1.json".into(),
            source: std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device"),
        };
        let public = FinConnError::from(e);
        assert_eq!(public.code(), "storage");
        assert!(!public.reason().contains("/data/"));
        assert!(!public.is_retryable());
    }

    #[test]
    fn status_errors_map_to_actions() {
        let status = |s| BackendError::Status {
            endpoint: "e".into(),
            status: s,
            code: None,
            message: Some("m".into()),
            retry_after_ms: Some(1000),
            request_id: Some("req_1".into()),
        };
        assert_eq!(FinConnError::from(status(401)).code(), "unauthorized");
        assert_eq!(FinConnError::from(status(403)).code(), "unauthorized");
        assert_eq!(FinConnError::from(status(404)).code(), "rejected");
        assert!(matches!(
            FinConnError::from(status(429)),
            FinConnError::ServiceUnavailable {
                retry_after_ms: Some(1000),
                ..
            }
        ));
        assert_eq!(
            FinConnError::from(status(503)).code(),
            "service_unavailable"
        );
        assert_eq!(FinConnError::from(status(503)).request_id(), Some("req_1"));
        assert!(status(503).retryable() && status(429).retryable() && !status(400).retryable());
        let redirect = BackendError::Redirect {
            endpoint: "e".into(),
            status: 307,
            request_id: None,
        };
        assert!(!redirect.retryable());
        assert_eq!(FinConnError::from(redirect).code(), "other");
    }
}
