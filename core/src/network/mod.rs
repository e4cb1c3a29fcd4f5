//! The network boundary. The host performs HTTP (URLSession on iOS, HttpURLConnection or OkHttp
//! on Android, reqwest in Rust tools) through the one interface defined here, [`HttpTransport`];
//! the core decides everything else, in [`policy`]: which URL, which headers, that no redirect is
//! followed, how many bytes an answer may have, how long a call may take, and what an error may
//! say. A transport performs exactly one request and reports exactly what happened.
//!
//! Why the platform carries the bytes: the app keeps its trust store (MDM and user CAs), ATS and
//! Network Security Config (pinning, cleartext rules), proxies, VPNs and interceptors, and the
//! shipped library carries no TLS stack. Why the core holds the rules: one implementation of the
//! hostile-server defences for every platform, tested once.
//!
//! Nothing in this module's types prints a secret: [`HttpRequest`]'s `Debug` shows the method,
//! the URL without its query, and header *names*; [`HttpResponse`]'s shows the status, header
//! names and the body's length.

pub mod endpoints;
pub mod policy;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// A boxed `Send` future, so [`HttpTransport`] is object safe without an async-trait dependency.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The two methods the contract uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum HttpMethod {
    /// A read: no body.
    Get,
    /// A write, with a JSON body (`HttpRequest.body()`).
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// One request, completely decided by the core. A transport sends exactly this: it adds no
/// header (its `User-Agent` aside), follows no redirect, keeps no cookie, uses no cache, and stops
/// reading once the body exceeds [`max_response_bytes`](Self::max_response_bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: HttpMethod,
    /// Absolute URL, already checked by [`policy`]. May carry a client secret in its query (the
    /// Stripe fallback only): never log it.
    pub url: String,
    /// Final headers, already checked: no control characters, no duplicates of reserved names.
    pub headers: Vec<(String, String)>,
    /// JSON body of a POST.
    pub body: Option<Vec<u8>>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Total time for the exchange, body included. The core bounds the call with its own timer
    /// too, so a transport that ignores this cannot hang a flow.
    pub timeout: Duration,
    /// Largest body the core accepts. A transport must fail with [`TransportError::TooLarge`] as
    /// soon as it has read more than this, holding at most this much plus one read chunk.
    pub max_response_bytes: u64,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &policy::url_for_logs(&self.url))
            .field("headers", &names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// What the server answered. A transport returns any status as an answer (3xx, 4xx and 5xx
/// included; deciding what they mean is the core's job) and at least the headers named in
/// [`policy::RESPONSE_HEADERS`]; others are ignored.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of `name`, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Why a transport got no answer. Messages come from the platform and are scrubbed by the core
/// before they reach an error or a log. Swift and Kotlin transports throw this very type: the FFI
/// crate declares it to UniFFI as a remote type of its own component, because a foreign trait
/// cannot throw another component's error in UniFFI 0.32's Kotlin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No connection: offline, DNS failure, refused, reset.
    #[error("offline: {reason}")]
    Offline { reason: String },
    /// The connect or total timeout elapsed.
    #[error("timed out")]
    Timeout { reason: String },
    /// The TLS handshake or the certificate check failed (a pinning failure too).
    #[error("TLS failure: {reason}")]
    Tls { reason: String },
    /// The body exceeded the request's `max_response_bytes`; `limit` is that cap, in bytes.
    #[error("the response exceeded {limit} bytes")]
    TooLarge { limit: i64 },
    /// The call was cancelled (the caller went away).
    #[error("cancelled")]
    Cancelled,
    /// Anything else the platform reported.
    #[error("{reason}")]
    Other { reason: String },
}

/// A Swift or Kotlin transport threw something other than a `TransportError`.
#[cfg(feature = "uniffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Other {
            reason: format!("the transport failed: {}", e.reason),
        }
    }
}

/// The host's HTTP stack. Performs exactly one request; see [`HttpRequest`] for what it must and
/// must not do. Implementations: the Kotlin `PlatformHttpTransport` (HttpURLConnection), the Swift
/// `PlatformHttpTransport` (URLSession), `finconn-transport-reqwest` for Rust tools, or the app's
/// own (OkHttp with a `CertificatePinner`, a URLSession with a pinning delegate).
pub trait HttpTransport: Send + Sync {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}
