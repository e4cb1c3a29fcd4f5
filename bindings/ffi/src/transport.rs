//! The host's HTTP stack as Swift and Kotlin implement it: the foreign trait `HttpTransport`, the
//! `HttpRequest` it receives and the `HttpResponse` it returns. `HttpMethod` and `TransportError`
//! are the core's own types (`finconn_core::network`); `TransportError` is declared here as a
//! remote type (see below). The core decides every rule
//! (`finconn_core::network::policy`); this module only adapts the foreign trait.
//!
//! `HttpRequest` and `HttpResponse` are objects, not records: their default `toString()` /
//! `description` shows no field, so a transport that logs them prints no header value, URL or
//! body (a Stripe fallback URL carries the client secret, a request the user's token, a create
//! answer the client secret).
//!
//! The platform transports shipped beside the generated code (`PlatformHttpTransport`, Kotlin
//! HttpURLConnection and Swift URLSession) implement the trait; an app may pass its own (OkHttp
//! with a `CertificatePinner`, a URLSession with a pinning delegate).

use std::collections::HashMap;
use std::sync::Arc;

use finconn_core::network as core_net;
use finconn_core::network::{HttpMethod, TransportError};

// The core's `TransportError`, declared to UniFFI in this component (no copy, no conversion: the
// macro emits only the FFI traits, and fails to compile if this list and the core's type differ).
// Not derived in the core like its other types because the foreign trait below throws it, and
// UniFFI 0.32's Kotlin cannot lower an error of another component thrown from a foreign trait
// (the generated `FfiConverterTypeTransportError.lower` returns the other package's RustBuffer).
/// Why the transport got no answer.
#[uniffi::remote(Error)]
pub enum TransportError {
    /// No connection: offline, DNS failure, refused, reset.
    Offline {
        /// What failed, for logs (the core scrubs it before it goes anywhere).
        reason: String,
    },
    /// The connect or total timeout elapsed.
    Timeout {
        /// What failed, for logs (the core scrubs it before it goes anywhere).
        reason: String,
    },
    /// The TLS handshake or the certificate check failed (a pinning failure too).
    Tls {
        /// What failed, for logs (the core scrubs it before it goes anywhere).
        reason: String,
    },
    /// The body exceeded `maxResponseBytes()`.
    TooLarge {
        /// The request's `maxResponseBytes()`, in bytes.
        limit: i64,
    },
    /// The call was cancelled.
    Cancelled,
    /// Anything else.
    Other {
        /// What failed, for logs (the core scrubs it before it goes anywhere).
        reason: String,
    },
}

/// One request, completely decided by the core. Send exactly this: add no header (a
/// `User-Agent` aside), follow no redirect (return the 3xx as the answer), keep no cookie, use no
/// cache, and stop reading once the body exceeds `maxResponseBytes()`. Never log `url()`, header
/// values or the body.
#[derive(uniffi::Object)]
pub struct HttpRequest {
    inner: core_net::HttpRequest,
}

#[uniffi::export]
impl HttpRequest {
    /// The HTTP method to send.
    pub fn method(&self) -> HttpMethod {
        self.inner.method
    }

    /// The absolute URL. The Stripe fallback's carries the client secret: never log it.
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }

    /// The URL without its query, safe for logs.
    pub fn url_for_logs(&self) -> String {
        core_net::policy::url_for_logs(&self.inner.url)
    }

    /// Names of the headers to send, in order.
    pub fn header_names(&self) -> Vec<String> {
        self.inner.headers.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The value of a header to send (names compared case-insensitively).
    pub fn header_value(&self, name: String) -> Option<String> {
        self.inner
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.clone())
    }

    /// The body of a POST.
    pub fn body(&self) -> Option<Vec<u8>> {
        self.inner.body.clone()
    }

    /// Time to establish the connection, milliseconds.
    pub fn connect_timeout_ms(&self) -> i64 {
        crate::numbers::as_millis(self.inner.connect_timeout)
    }

    /// Total time for the exchange, body included, milliseconds.
    pub fn timeout_ms(&self) -> i64 {
        crate::numbers::as_millis(self.inner.timeout)
    }

    /// Fail with `TransportError.TooLarge` as soon as more than this many bytes have been read.
    pub fn max_response_bytes(&self) -> i64 {
        i64::try_from(self.inner.max_response_bytes).unwrap_or(i64::MAX)
    }
}

/// The response headers the core reads (lower case): a transport returns these when the server
/// sent them and may drop every other one. The one list, decided by the core
/// (`finconn_core::network::policy::RESPONSE_HEADERS`); both platform transports read it from here.
#[uniffi::export]
pub fn response_header_names() -> Vec<String> {
    core_net::policy::RESPONSE_HEADERS
        .iter()
        .map(|name| (*name).to_owned())
        .collect()
}

/// What the server answered: any status (3xx included), at least the headers the core reads
/// (`responseHeaderNames()`), and the body.
#[derive(uniffi::Object)]
pub struct HttpResponse {
    /// As the transport gave it: checked when the core takes the answer.
    status: i32,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

#[uniffi::export]
impl HttpResponse {
    /// The answer as the transport received it: the HTTP `status` (any, 3xx included), the
    /// response `headers` the core reads (`responseHeaderNames()`) and the
    /// whole `body`, at most `maxResponseBytes()` of the request.
    /// `status` must be the HTTP status (100 to 599): the call fails with a transport error
    /// (`TransportError.Other`, an `Other` error for the app) when it is anything else.
    #[uniffi::constructor]
    pub fn new(status: i32, headers: HashMap<String, String>, body: Vec<u8>) -> Arc<Self> {
        Arc::new(HttpResponse {
            status,
            headers: headers.into_iter().collect(),
            body,
        })
    }

    /// The HTTP status, as given to `new`.
    pub fn status(&self) -> i32 {
        self.status
    }
}

impl HttpResponse {
    /// The answer as the core's, its status checked by the core's rule
    /// (`policy::http_status`).
    fn to_core(&self) -> Result<core_net::HttpResponse, TransportError> {
        Ok(core_net::HttpResponse {
            status: core_net::policy::http_status(self.status)?,
            headers: self.headers.clone(),
            body: self.body.clone(),
        })
    }
}

/// The host's HTTP stack: performs exactly one request. See `HttpRequest` for the rules.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` once and returns the server's answer, whatever its status; throws
    /// `TransportError` only when no answer came (offline, timeout, TLS, too large, cancelled).
    /// The core retries, never the transport.
    async fn send(&self, request: Arc<HttpRequest>) -> Result<Arc<HttpResponse>, TransportError>;
}

/// The host's transport as the core's.
pub(crate) struct TransportAdapter(pub Arc<dyn HttpTransport>);

impl core_net::HttpTransport for TransportAdapter {
    fn send(
        &self,
        request: core_net::HttpRequest,
    ) -> core_net::BoxFuture<'_, Result<core_net::HttpResponse, TransportError>> {
        let transport = self.0.clone();
        Box::pin(async move {
            let request = Arc::new(HttpRequest { inner: request });
            let response = transport.send(request).await?;
            response.to_core()
        })
    }
}

/// A core transport (e.g. the reqwest one) as the FFI trait, for Rust callers and tests.
pub struct CoreTransport(pub Arc<dyn core_net::HttpTransport>);

#[async_trait::async_trait]
impl HttpTransport for CoreTransport {
    async fn send(&self, request: Arc<HttpRequest>) -> Result<Arc<HttpResponse>, TransportError> {
        let r = self.0.send(request.inner.clone()).await?;
        Ok(Arc::new(HttpResponse {
            status: i32::from(r.status),
            headers: r.headers,
            body: r.body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn requests_show_no_secret_in_debug_and_give_values_by_name() {
        let r = HttpRequest {
            inner: core_net::HttpRequest {
                method: core_net::HttpMethod::Get,
                url: "https://api.stripe.com/v1/x?client_secret=fcsess_1_secret_ABC".into(),
                headers: vec![("Authorization".into(), "Bearer pk_test_KEY".into())],
                body: None,
                connect_timeout: Duration::from_secs(1),
                timeout: Duration::from_secs(2),
                max_response_bytes: 10,
            },
        };
        let d = format!("{:?}", r.inner);
        assert!(!d.contains("ABC") && !d.contains("pk_test_KEY"), "{d}");
        assert_eq!(r.header_names(), ["Authorization"]);
        assert_eq!(
            r.header_value("authorization".into()).as_deref(),
            Some("Bearer pk_test_KEY")
        );
        assert_eq!(r.url_for_logs(), "https://api.stripe.com/v1/x");
        assert_eq!((r.timeout_ms(), r.max_response_bytes()), (2000, 10));
    }

    struct Answers(i32);

    #[async_trait::async_trait]
    impl HttpTransport for Answers {
        async fn send(&self, _: Arc<HttpRequest>) -> Result<Arc<HttpResponse>, TransportError> {
            Ok(HttpResponse::new(self.0, HashMap::new(), b"{}".to_vec()))
        }
    }

    fn request() -> core_net::HttpRequest {
        core_net::HttpRequest {
            method: core_net::HttpMethod::Get,
            url: "http://127.0.0.1:1/x".into(),
            headers: vec![],
            body: None,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            max_response_bytes: 10,
        }
    }

    #[test]
    fn a_platform_status_outside_100_to_599_is_a_transport_error_not_a_wrapped_status() {
        use core_net::HttpTransport as _;
        let send = |status| {
            let adapter = TransportAdapter(Arc::new(Answers(status)));
            block_on(adapter.send(request()))
        };
        assert_eq!(send(204).unwrap().status, 204);
        // As a u16, -65332 would be 204 and 65740 would be 204: neither may pass as one.
        for bad in [-1, 0, 600, -65332, 65740, i32::MAX] {
            match send(bad) {
                Err(TransportError::Other { reason }) => {
                    assert!(reason.contains(&bad.to_string()), "{reason}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    /// Runs a future that never waits (the adapters above complete at once).
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }
}
