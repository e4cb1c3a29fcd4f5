//! The hostile backend: a loopback server that answers the contract's create and complete calls
//! the way an attacker (or a badly broken backend) would, and [`HOSTILE_CASES`], the one table of
//! cases that the Rust transport (`core/tests/hostile_backend.rs`) and the Kotlin transport
//! (`bindings/tests/kotlin`, through the FFI's `testing` exports) both run.
//!
//! Every case starts a [`HostileServer`] on `127.0.0.1` and a bystander on `127.0.0.2` ("another
//! host"; tests never leave 127.0.0.0/8). The bystander counts every connection it accepts and, if
//! ever reached, answers a forged session (`fcsess_evil` with `fca_EVIL`): a client that followed a
//! redirect there would both be seen and be fooled. The server hands out known secrets
//! ([`HostileServer::secrets`]) so a test can prove none of them appears in any error, event or log
//! line. A case with `tls` serves HTTPS with a self-signed certificate for `127.0.0.1`
//! ([`HostileServer::certificate_der`], which the test's transport trusts), so that a redirect
//! from https to plain http can be tried.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use crate::http::{self, Response};

/// The client secret the hostile backend hands out.
pub const HOSTILE_CLIENT_SECRET: &str = "fcsess_1hostile_secret_H0STILEclientSECRET";
/// Its publishable key.
pub const HOSTILE_PUBLISHABLE_KEY: &str = "pk_test_H0STILEpublishableKEY";
/// Its report token.
pub const HOSTILE_REPORT_TOKEN: &str = "rt_H0STILEreportTOKEN";
/// The session id.
pub const HOSTILE_SESSION_ID: &str = "fcsess_1hostile";
/// The user token a test's header provider sends (the host's own secret).
pub const HOSTILE_USER_TOKEN: &str = "user-H0STILE-bearer-token";

/// Which call of the flow misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `POST /financial-connections/sessions` (`Flow.start`).
    Create,
    /// `POST /financial-connections/sessions/{id}/complete` (`Flow.sheetResult`), carrying the
    /// report token and the host's headers.
    Complete,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Create => "create",
            Stage::Complete => "complete",
        }
    }
}

/// What the hostile server does at its stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behaviour {
    /// A 3xx to the bystander on 127.0.0.2 (`other_host`) or to `/steal` on the same server.
    Redirect { status: u16, other_host: bool },
    /// A 3xx whose `Location` carries the client secret, the key and the report token.
    RedirectWithSecrets,
    /// A 200 JSON answer of exactly `len` bytes (padded with spaces).
    BodyOfLen(usize),
    /// `Content-Length: 1 GiB`, then bytes as fast as the client reads.
    GibWithLength,
    /// A chunked 1 GiB body (no length), as fast as the client reads.
    GibChunked,
    /// A chunked body that never ends: 1 KiB every 10 ms.
    EndlessChunked,
    /// `Content-Length: 100`, then one byte every 200 ms.
    SlowDrip,
    /// A 502 HTML page (with secret-looking text in it).
    HtmlErrorPage,
    /// An error (`status`) whose JSON message echoes the whole request: headers and body.
    EchoRequest { status: u16 },
    /// Bytes that are not HTTP.
    Garbage,
    /// A create answer whose `session_id` is this value (`..`, `.`, `a b`): it must never
    /// become a path.
    SessionId(&'static str),
    /// Behaves; the case is a hostile *host* (a header provider returning CR/LF).
    Normal,
}

/// One row of the hostile-backend matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostileCase {
    pub name: &'static str,
    pub stage: Stage,
    pub behaviour: Behaviour,
    /// The client's response cap (`max_response_bytes`) for this case.
    pub max_response_bytes: u64,
    /// The host's header provider adds `X-Evil: a\r\nX-Injected: 1`.
    pub crlf_header: bool,
    /// The server speaks HTTPS (self-signed certificate for 127.0.0.1, see
    /// [`HostileServer::certificate_der`]); the bystander stays plain http.
    pub tls: bool,
    /// `None` when the call must succeed; else the public error code (`Error::code()`:
    /// `other`, `timeout`, `offline`, `service_unavailable`, `rejected`,
    /// `invalid_configuration`).
    pub expected_error: Option<&'static str>,
    /// A word the error's message must contain (`redirect`, `larger than`, …).
    pub message_contains: &'static str,
}

const MIB: u64 = 1024 * 1024;
const SMALL_CAP: u64 = 64 * 1024;

const fn case(
    name: &'static str,
    stage: Stage,
    behaviour: Behaviour,
    expected_error: Option<&'static str>,
    message_contains: &'static str,
) -> HostileCase {
    HostileCase {
        name,
        stage,
        behaviour,
        max_response_bytes: MIB,
        crlf_header: false,
        tls: false,
        expected_error,
        message_contains,
    }
}

/// The matrix. Each case asserts a typed error (or success), zero connections at the other host,
/// bounded memory, and no secret in any error (Display and Debug), event or log line.
pub const HOSTILE_CASES: &[HostileCase] = &[
    case(
        "redirect_301_other_host_on_create",
        Stage::Create,
        Behaviour::Redirect {
            status: 301,
            other_host: true,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_302_other_host_on_create",
        Stage::Create,
        Behaviour::Redirect {
            status: 302,
            other_host: true,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_303_other_host_on_complete",
        Stage::Complete,
        Behaviour::Redirect {
            status: 303,
            other_host: true,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_307_other_host_on_complete",
        Stage::Complete,
        Behaviour::Redirect {
            status: 307,
            other_host: true,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_308_other_host_on_complete",
        Stage::Complete,
        Behaviour::Redirect {
            status: 308,
            other_host: true,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_301_same_host_on_create",
        Stage::Create,
        Behaviour::Redirect {
            status: 301,
            other_host: false,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "redirect_307_same_host_on_complete",
        Stage::Complete,
        Behaviour::Redirect {
            status: 307,
            other_host: false,
        },
        Some("other"),
        "redirect",
    ),
    case(
        "location_carries_secrets",
        Stage::Complete,
        Behaviour::RedirectWithSecrets,
        Some("other"),
        "redirect",
    ),
    HostileCase {
        max_response_bytes: SMALL_CAP,
        ..case(
            "body_at_the_cap",
            Stage::Create,
            Behaviour::BodyOfLen(SMALL_CAP as usize),
            None,
            "",
        )
    },
    HostileCase {
        max_response_bytes: SMALL_CAP,
        ..case(
            "body_one_byte_over_the_cap",
            Stage::Create,
            Behaviour::BodyOfLen(SMALL_CAP as usize + 1),
            Some("other"),
            "larger than",
        )
    },
    case(
        "body_of_1_gib_with_length",
        Stage::Create,
        Behaviour::GibWithLength,
        Some("other"),
        "larger than",
    ),
    case(
        "body_of_1_gib_chunked",
        Stage::Create,
        Behaviour::GibChunked,
        Some("other"),
        "larger than",
    ),
    case(
        "endless_chunked_body",
        Stage::Create,
        Behaviour::EndlessChunked,
        Some("timeout"),
        "in time",
    ),
    case(
        "slow_drip_past_the_timeout",
        Stage::Create,
        Behaviour::SlowDrip,
        Some("timeout"),
        "in time",
    ),
    case(
        "html_error_page",
        Stage::Create,
        Behaviour::HtmlErrorPage,
        Some("service_unavailable"),
        "502",
    ),
    case(
        "error_echoing_the_request_on_create",
        Stage::Create,
        Behaviour::EchoRequest { status: 400 },
        Some("rejected"),
        "400",
    ),
    case(
        "error_echoing_the_request_on_complete",
        Stage::Complete,
        Behaviour::EchoRequest { status: 500 },
        Some("service_unavailable"),
        "500",
    ),
    case(
        "garbage_instead_of_http",
        Stage::Create,
        Behaviour::Garbage,
        Some("offline"),
        "reach",
    ),
    case(
        "session_id_dot_dot",
        Stage::Create,
        Behaviour::SessionId(".."),
        Some("other"),
        "malformed session id",
    ),
    case(
        "session_id_dot",
        Stage::Create,
        Behaviour::SessionId("."),
        Some("other"),
        "malformed session id",
    ),
    case(
        "session_id_with_a_space",
        Stage::Create,
        Behaviour::SessionId("a b"),
        Some("other"),
        "malformed session id",
    ),
    case(
        "session_id_with_a_slash",
        Stage::Create,
        Behaviour::SessionId("fcsess_1/../../x"),
        Some("other"),
        "malformed session id",
    ),
    // https -> http downgrade to another host: refused like any redirect, nothing sent in clear.
    HostileCase {
        tls: true,
        ..case(
            "https_redirect_to_http_other_host",
            Stage::Create,
            Behaviour::Redirect {
                status: 302,
                other_host: true,
            },
            Some("other"),
            "redirect",
        )
    },
    HostileCase {
        tls: true,
        ..case(
            "https_redirect_to_http_other_host_on_complete",
            Stage::Complete,
            Behaviour::Redirect {
                status: 307,
                other_host: true,
            },
            Some("other"),
            "redirect",
        )
    },
    HostileCase {
        crlf_header: true,
        ..case(
            "crlf_in_a_host_header",
            Stage::Create,
            Behaviour::Normal,
            Some("invalid_configuration"),
            "control character",
        )
    },
];

/// A case by name.
pub fn hostile_case(name: &str) -> Option<&'static HostileCase> {
    HOSTILE_CASES.iter().find(|c| c.name == name)
}

#[derive(Default)]
struct Counters {
    requests: AtomicUsize,
    steal_requests: AtomicUsize,
    other_host_connections: AtomicUsize,
}

/// The running hostile server and its bystander. Stops when dropped.
pub struct HostileServer {
    port: u16,
    certificate_der: Option<Vec<u8>>,
    counters: Arc<Counters>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostileServer")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl HostileServer {
    /// Starts the server for `case` on the current Tokio runtime.
    pub async fn start(case: &HostileCase) -> std::io::Result<HostileServer> {
        let bystander = TcpListener::bind("127.0.0.2:0").await?;
        let other_port = bystander.local_addr()?.port();
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let by = tokio::spawn(async move {
            while let Ok((mut s, _)) = bystander.accept().await {
                c.other_host_connections.fetch_add(1, Ordering::SeqCst);
                let forged = json!({"session": {"id": "fcsess_evil", "object": "financial_connections.session", "livemode": false, "accounts": {"object": "list", "has_more": false, "data": [{"id": "fca_EVIL", "object": "financial_connections.account", "category": "cash", "subcategory": "checking", "status": "active", "institution_name": "Evil Bank", "livemode": false, "created": 1, "supported_payment_method_types": []}]}, "permissions": ["balances"]}});
                let _ = http::write_response(&mut s, &Response::json(200, &forged)).await;
            }
        });
        let (acceptor, certificate_der) = if case.tls {
            let (acceptor, der) = tls_acceptor()?;
            (Some(acceptor), Some(der))
        } else {
            (None, None)
        };
        let c = counters.clone();
        let case = case.clone();
        let main = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((s, _)) = listener.accept().await {
                let (case, c) = (case.clone(), c.clone());
                match &acceptor {
                    None => {
                        conns.spawn(handle(s, case, c, port, other_port));
                    }
                    Some(acceptor) => {
                        let accept = acceptor.accept(s);
                        conns.spawn(async move {
                            let handshake = tokio::time::timeout(Duration::from_secs(5), accept);
                            if let Ok(Ok(tls)) = handshake.await {
                                handle(tls, case, c, port, other_port).await;
                            }
                        });
                    }
                }
                while conns.try_join_next().is_some() {}
            }
        });
        Ok(HostileServer {
            port,
            certificate_der,
            counters,
            tasks: vec![by, main],
        })
    }

    /// `http://127.0.0.1:<port>`, or `https://` for a `tls` case.
    pub fn base_url(&self) -> String {
        let scheme = if self.certificate_der.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The DER of the server's self-signed certificate (for 127.0.0.1) for a `tls` case: what
    /// the test's transport adds as its only trusted root.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.certificate_der.as_deref()
    }

    /// Requests the server read.
    pub fn requests(&self) -> usize {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Requests for the same-host redirect target (`/steal`).
    pub fn steal_requests(&self) -> usize {
        self.counters.steal_requests.load(Ordering::SeqCst)
    }

    /// Connections the bystander on 127.0.0.2 accepted.
    pub fn other_host_connections(&self) -> usize {
        self.counters.other_host_connections.load(Ordering::SeqCst)
    }

    /// Every secret this server handed out, and the user token the tests send.
    pub fn secrets() -> [&'static str; 5] {
        [
            HOSTILE_CLIENT_SECRET,
            HOSTILE_PUBLISHABLE_KEY,
            HOSTILE_REPORT_TOKEN,
            HOSTILE_USER_TOKEN,
            // The secret half alone, in case something split it.
            "H0STILEclientSECRET",
        ]
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn created() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "session_id": HOSTILE_SESSION_ID,
        "client_secret": HOSTILE_CLIENT_SECRET,
        "publishable_key": HOSTILE_PUBLISHABLE_KEY,
        "report_token": HOSTILE_REPORT_TOKEN,
        "livemode": false,
    }))
    .unwrap_or_default()
}

fn completed() -> Vec<u8> {
    serde_json::to_vec(&json!({"session": {
        "id": HOSTILE_SESSION_ID, "object": "financial_connections.session", "livemode": false,
        "accounts": {"object": "list", "has_more": false, "data": []}, "permissions": ["balances"],
    }}))
    .unwrap_or_default()
}

/// A TLS acceptor with a fresh self-signed certificate for `127.0.0.1`, and that certificate.
fn tls_acceptor() -> std::io::Result<(TlsAcceptor, Vec<u8>)> {
    let other = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).map_err(|e| other(&e))?;
    let der = certified.cert.der().to_vec();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| other(&e))?
    .with_no_client_auth()
    .with_single_cert(vec![der.clone().into()], key.into())
    .map_err(|e| other(&e))?;
    Ok((TlsAcceptor::from(Arc::new(config)), der))
}

async fn handle<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    case: HostileCase,
    counters: Arc<Counters>,
    port: u16,
    other_port: u16,
) {
    let Ok(req) = http::read_request(&mut s).await else {
        return;
    };
    counters.requests.fetch_add(1, Ordering::SeqCst);
    if req.path.starts_with("/steal") {
        counters.steal_requests.fetch_add(1, Ordering::SeqCst);
        let _ = http::write_response(&mut s, &Response::json(200, &json!({"stolen": true}))).await;
        return;
    }
    let stage = if req.path.ends_with("/complete") {
        Stage::Complete
    } else {
        Stage::Create
    };
    let normal = match stage {
        Stage::Create => created(),
        Stage::Complete => completed(),
    };
    if stage != case.stage {
        let _ = write_raw(&mut s, 200, &[], &normal).await;
        return;
    }
    let _ = match &case.behaviour {
        Behaviour::Normal => write_raw(&mut s, 200, &[], &normal).await,
        Behaviour::Redirect { status, other_host } => {
            let location = if *other_host {
                format!("http://127.0.0.2:{other_port}/steal")
            } else {
                format!("http://127.0.0.1:{port}/steal")
            };
            write_raw(&mut s, *status, &[("Location", &location)], b"").await
        }
        Behaviour::RedirectWithSecrets => {
            let location = format!(
                "http://127.0.0.2:{other_port}/steal?client_secret={HOSTILE_CLIENT_SECRET}&key={HOSTILE_PUBLISHABLE_KEY}&token={HOSTILE_REPORT_TOKEN}"
            );
            write_raw(&mut s, 302, &[("Location", &location)], b"").await
        }
        Behaviour::BodyOfLen(len) => {
            let mut body = normal;
            body.resize(*len, b' ');
            write_raw(&mut s, 200, &[], &body).await
        }
        Behaviour::GibWithLength => stream_body(&mut s, Some(1 << 30), 1 << 30, None).await,
        Behaviour::GibChunked => stream_body(&mut s, None, 1 << 30, None).await,
        Behaviour::EndlessChunked => {
            stream_body(&mut s, None, u64::MAX, Some(Duration::from_millis(10))).await
        }
        Behaviour::SlowDrip => slow_drip(&mut s).await,
        Behaviour::HtmlErrorPage => {
            let page = format!("<html><body><h1>502 Bad Gateway</h1><!-- {HOSTILE_CLIENT_SECRET} --></body></html>");
            write_raw(
                &mut s,
                502,
                &[("Content-Type", "text/html")],
                page.as_bytes(),
            )
            .await
        }
        Behaviour::EchoRequest { status } => {
            let headers: Vec<String> = req
                .headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            let echo = format!(
                "you sent {} {} {} {}",
                req.method,
                req.path,
                headers.join(" | "),
                String::from_utf8_lossy(&req.body)
            );
            // Also echo the secrets it handed out, as an attacker that kept them would.
            let echo =
                format!("{echo} client_secret={HOSTILE_CLIENT_SECRET} {HOSTILE_PUBLISHABLE_KEY}");
            let body = serde_json::to_vec(&json!({"error": {"code": "echo", "message": echo}}))
                .unwrap_or_default();
            write_raw(&mut s, *status, &[], &body).await
        }
        Behaviour::SessionId(id) => {
            let body = serde_json::to_vec(&json!({
                "session_id": id,
                "client_secret": HOSTILE_CLIENT_SECRET,
                "publishable_key": HOSTILE_PUBLISHABLE_KEY,
                "report_token": HOSTILE_REPORT_TOKEN,
            }))
            .unwrap_or_default();
            write_raw(&mut s, 200, &[], &body).await
        }
        Behaviour::Garbage => s
            .write_all(b"SSH-2.0-OpenSSH_9.6 not http at all\r\n\r\n\x00\x01\x02")
            .await
            .and(s.shutdown().await),
    };
}

async fn write_raw<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} Hostile\r\nContent-Length: {}\r\nConnection: close\r\nRequest-Id: req_hostile_{status}\r\n", body.len());
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    s.flush().await?;
    // Drain what the client still sends, then close.
    let _ = tokio::time::timeout(Duration::from_millis(50), s.read(&mut [0u8; 1024])).await;
    s.shutdown().await
}

/// A body of `total` bytes (chunked when `length` is `None`), written as fast as the client reads
/// or one 1 KiB chunk per `pace`. Stops when the client goes away.
async fn stream_body<S: AsyncWrite + Unpin>(
    s: &mut S,
    length: Option<u64>,
    total: u64,
    pace: Option<Duration>,
) -> std::io::Result<()> {
    let head = match length {
        Some(len) => format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"),
        None => "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_string(),
    };
    s.write_all(head.as_bytes()).await?;
    let size: usize = if pace.is_some() { 1024 } else { 64 * 1024 };
    let chunk = vec![b' '; size];
    let mut sent = 0u64;
    while sent < total {
        if length.is_some() {
            s.write_all(&chunk).await?;
        } else {
            s.write_all(format!("{size:x}\r\n").as_bytes()).await?;
            s.write_all(&chunk).await?;
            s.write_all(b"\r\n").await?;
        }
        sent += size as u64;
        if let Some(p) = pace {
            tokio::time::sleep(p).await;
        }
    }
    Ok(())
}

async fn slow_drip<S: AsyncWrite + Unpin>(s: &mut S) -> std::io::Result<()> {
    s.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    )
    .await?;
    for _ in 0..100 {
        s.write_all(b" ").await?;
        s.flush().await?;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_names_are_unique_and_every_behaviour_is_covered() {
        let mut names: Vec<_> = HOSTILE_CASES.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), HOSTILE_CASES.len());
        for status in [301, 302, 303, 307, 308] {
            assert!(HOSTILE_CASES.iter().any(|c| matches!(c.behaviour, Behaviour::Redirect { status: s, other_host: true } if s == status)), "{status}");
        }
        assert!(hostile_case("slow_drip_past_the_timeout").is_some());
        assert!(HOSTILE_CASES.iter().any(|c| c.tls
            && matches!(
                c.behaviour,
                Behaviour::Redirect {
                    other_host: true,
                    ..
                }
            )));
    }
}
