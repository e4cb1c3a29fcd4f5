//! [`BackendError`], the one typed failure of every call, and what can be read off it: a stable
//! code, the HTTP status, the request id, whether it is retried. Turning it into the public error
//! is `crate::errors`' job.

use finconn_core::network::policy::{self, PolicyError};

/// A failed call, flat. Converted into [`FinConnError`] for the app. Every message is scrubbed
/// ([`policy::scrub`]): no secret, no raw body, no `Location`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The configuration or a value to send breaks the policy (nothing was sent).
    #[error("{0}")]
    InvalidConfiguration(String),
    #[error("cannot reach {endpoint}: {message}")]
    Offline { endpoint: String, message: String },
    #[error("{endpoint} did not answer in time")]
    Timeout { endpoint: String },
    /// The host's headers provider did not answer within the attempt's deadline (nothing was
    /// sent).
    #[error("{endpoint}: the app's headers provider did not answer in time; nothing was sent")]
    HeadersTimeout { endpoint: String },
    #[error("{endpoint}: TLS failure: {message}")]
    Tls { endpoint: String, message: String },
    #[error("{endpoint} answered HTTP {status}{}: {}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().unwrap_or("no error message"))]
    Status {
        endpoint: String,
        status: u16,
        /// The contract's `error.code`.
        code: Option<String>,
        /// The scrubbed, shortened `error.message`.
        message: Option<String>,
        retry_after_ms: Option<u64>,
        request_id: Option<String>,
    },
    /// A 3xx. Redirects are never followed; the `Location` is not kept.
    #[error("{endpoint} answered with a redirect (HTTP {status}); this SDK never follows redirects: configure the final URL")]
    Redirect {
        endpoint: String,
        status: u16,
        request_id: Option<String>,
    },
    /// The answer was larger than the cap.
    #[error("{endpoint}: the answer is larger than {limit} bytes")]
    TooLarge {
        endpoint: String,
        limit: u64,
        request_id: Option<String>,
    },
    #[error("{endpoint} sent a response this SDK cannot read: {message}")]
    InvalidResponse {
        endpoint: String,
        message: String,
        request_id: Option<String>,
    },
    /// The transport reported the call cancelled.
    #[error("{endpoint}: the call was cancelled")]
    Cancelled { endpoint: String },
}

impl From<PolicyError> for BackendError {
    fn from(e: PolicyError) -> Self {
        BackendError::InvalidConfiguration(e.to_string())
    }
}

impl BackendError {
    pub(crate) fn retryable(&self) -> bool {
        match self {
            BackendError::Offline { .. }
            | BackendError::Timeout { .. }
            | BackendError::HeadersTimeout { .. } => true,
            BackendError::Status { status, .. } => *status == 429 || *status >= 500,
            // A garbled body is a transport accident: the idempotency key makes a retry safe.
            BackendError::InvalidResponse { .. } => true,
            BackendError::InvalidConfiguration(_)
            | BackendError::Tls { .. }
            | BackendError::Redirect { .. }
            | BackendError::TooLarge { .. }
            | BackendError::Cancelled { .. } => false,
        }
    }

    /// The HTTP status, when the server answered with an error status.
    pub fn status(&self) -> Option<u16> {
        match self {
            BackendError::Status { status, .. } | BackendError::Redirect { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// The server's request id, when it answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            BackendError::Status { request_id, .. }
            | BackendError::Redirect { request_id, .. }
            | BackendError::TooLarge { request_id, .. }
            | BackendError::InvalidResponse { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// A short stable code (`offline`, `redirect`, `too_large`, `http_503`, …).
    pub fn code(&self) -> &'static str {
        match self {
            BackendError::InvalidConfiguration(_) => "invalid_configuration",
            BackendError::Offline { .. } => "offline",
            BackendError::Timeout { .. } => "timeout",
            BackendError::HeadersTimeout { .. } => "headers_timeout",
            BackendError::Tls { .. } => "tls",
            BackendError::Status { status, .. } => match status {
                401 | 403 => "unauthorized",
                429 => "rate_limited",
                500..=599 => "server_error",
                _ => "rejected",
            },
            BackendError::Redirect { .. } => "redirect",
            BackendError::TooLarge { .. } => "too_large",
            BackendError::InvalidResponse { .. } => "invalid_response",
            BackendError::Cancelled { .. } => "cancelled",
        }
    }

    pub(super) fn invalid(
        endpoint: &str,
        message: impl AsRef<str>,
        request_id: Option<String>,
    ) -> Self {
        BackendError::InvalidResponse {
            endpoint: endpoint.into(),
            message: policy::scrub(message.as_ref()),
            request_id,
        }
    }
}
