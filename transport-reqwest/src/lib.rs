//! # finconn-transport-reqwest
//!
//! [`ReqwestTransport`]: finconn-core's [`HttpTransport`] over `reqwest` (rustls), for `fc`, the
//! testkit, the Rust tests and any desktop or server user. It is its own crate so the mobile
//! library can never link it by accident: iOS and Android use the platform transports shipped
//! with the Swift package and the Android library.
//!
//! It performs exactly one request, as [`HttpTransport`] requires:
//! - **redirects off** (`Policy::none()`): a 3xx comes back as an answer, for the core to refuse;
//! - **no `Referer`**, **no cookies** (no cookie store), **no decompression** (no `Accept-Encoding`
//!   is sent and no body is inflated), no HTTP/2;
//! - **the cap while streaming**: a `Content-Length` above `max_response_bytes` fails at once, and
//!   the body is read chunk by chunk, failing as soon as it passes the cap, so at most the cap plus
//!   one chunk is ever held;
//! - the request's total timeout; the connect timeout of the first request (reqwest sets it per
//!   client);
//! - only the response headers the core reads are returned.
//!
//! Trust: the Web PKI roots (webpki-roots), plus any root given to
//! [`ReqwestTransport::with_root_certificate_der`] (a private CA, a test server).

use std::sync::OnceLock;
use std::time::Duration;

use finconn_core::network::policy::RESPONSE_HEADERS;
use finconn_core::network::{
    BoxFuture, HttpMethod, HttpRequest, HttpResponse, HttpTransport, TransportError,
};

/// The reqwest transport. Cheap to share (`Arc`); one connection pool.
#[derive(Default)]
pub struct ReqwestTransport {
    client: OnceLock<Result<reqwest::Client, String>>,
    /// Extra trusted roots (DER), added to the Web PKI roots.
    roots: Vec<Vec<u8>>,
}

impl std::fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    pub fn new() -> Self {
        ReqwestTransport::default()
    }

    /// Also trusts this root certificate (DER), e.g. a private CA. Checked when the first request
    /// builds the client: an unparsable certificate fails that request as `Other`.
    pub fn with_root_certificate_der(mut self, der: &[u8]) -> Self {
        self.roots.push(der.to_vec());
        self
    }

    fn client(&self, connect_timeout: Duration) -> Result<&reqwest::Client, TransportError> {
        self.client
            .get_or_init(|| {
                let mut builder = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .referer(false)
                    .connect_timeout(connect_timeout)
                    .user_agent(concat!("finconn/", env!("CARGO_PKG_VERSION")));
                for der in &self.roots {
                    let root = reqwest::Certificate::from_der(der).map_err(|e| message(&e))?;
                    builder = builder.add_root_certificate(root);
                }
                builder.build().map_err(|e| message(&e))
            })
            .as_ref()
            .map_err(|m| TransportError::Other { reason: m.clone() })
    }

    async fn perform(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let client = self.client(request.connect_timeout)?;
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = client
            .request(method, &request.url)
            .timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let cap = request.max_response_bytes;
        let mut response = builder.send().await.map_err(|e| classify(&e))?;
        if response.content_length().is_some_and(|len| len > cap) {
            return Err(TransportError::TooLarge {
                limit: i64::try_from(cap).unwrap_or(i64::MAX),
            });
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| RESPONSE_HEADERS.contains(&name.as_str()))
            .filter_map(|(name, value)| {
                Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
            })
            .collect();
        // Sized once from a (capped) Content-Length: no doubling while reading, no second copy.
        let expected = response.content_length().unwrap_or(0).min(cap);
        let mut body = Vec::with_capacity(expected as usize);
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
            if (body.len() + chunk.len()) as u64 > cap {
                return Err(TransportError::TooLarge {
                    limit: i64::try_from(cap).unwrap_or(i64::MAX),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(self.perform(request))
    }
}

/// reqwest's message and its sources, without the URL (which may carry a client secret).
fn message(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s.replace(url.as_str(), "<url>");
    }
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

fn classify(e: &reqwest::Error) -> TransportError {
    let text = message(e);
    if e.is_timeout() {
        TransportError::Timeout {
            reason: "the connect or total timeout elapsed".into(),
        }
    } else if e.is_connect() {
        let lower = text.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            TransportError::Tls { reason: text }
        } else {
            TransportError::Offline { reason: text }
        }
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportError::Offline { reason: text }
    } else {
        TransportError::Other { reason: text }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn serve_once(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = vec![0u8; 8192];
            let n = s.read(&mut req).await.unwrap_or(0);
            let _ = s.write_all(&answer).await;
            let _ = s.shutdown().await;
            req.truncate(n);
            req
        });
        (format!("http://{addr}/x"), task)
    }

    fn request(url: String, cap: u64) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            max_response_bytes: cap,
        }
    }

    #[tokio::test]
    async fn redirects_are_returned_not_followed_and_nothing_extra_is_sent() {
        let (url, server) = serve_once(
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.2:9/steal\r\nSet-Cookie: a=b\r\nContent-Length: 0\r\n\r\n".to_vec(),
        )
        .await;
        let t = ReqwestTransport::new();
        let r = t.send(request(url, 1024)).await.unwrap();
        assert_eq!(r.status, 307);
        assert!(
            r.header("location").is_none(),
            "only the core's headers come back"
        );
        let sent = String::from_utf8_lossy(&server.await.unwrap()).to_ascii_lowercase();
        assert!(
            !sent.contains("referer")
                && !sent.contains("cookie")
                && !sent.contains("accept-encoding"),
            "{sent}"
        );
    }

    #[tokio::test]
    async fn bodies_over_the_cap_fail_by_length_or_while_streaming() {
        let (url, _s) =
            serve_once(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n".to_vec()).await;
        let t = ReqwestTransport::new();
        assert_eq!(
            t.send(request(url, 1024)).await.unwrap_err(),
            TransportError::TooLarge { limit: 1024 }
        );
        let mut chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..5 {
            chunked.extend_from_slice(b"100\r\n");
            chunked.extend_from_slice(&[b'x'; 256]);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let (url, _s) = serve_once(chunked).await;
        assert_eq!(
            t.send(request(url, 1024)).await.unwrap_err(),
            TransportError::TooLarge { limit: 1024 }
        );
        let (url, _s) = serve_once(
            b"HTTP/1.1 200 OK\r\nContent-Length: 1024\r\n\r\n"
                .iter()
                .copied()
                .chain(std::iter::repeat_n(b'y', 1024))
                .collect(),
        )
        .await;
        assert_eq!(
            t.send(request(url, 1024)).await.unwrap().body.len(),
            1024,
            "at the cap is fine"
        );
    }

    #[tokio::test]
    async fn refused_connections_are_offline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let t = ReqwestTransport::new();
        let e = t
            .send(request(
                format!("http://127.0.0.1:{port}/x?client_secret=fcsess_1_secret_2"),
                1024,
            ))
            .await
            .unwrap_err();
        assert!(matches!(e, TransportError::Offline { .. }), "{e:?}");
        assert!(!e.to_string().contains("fcsess_1_secret_2"), "{e}");
    }
}
