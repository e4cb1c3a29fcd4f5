//! The hostile-backend matrix on the Rust transport (`finconn-transport-reqwest`) under the core's
//! policy. The table is `finconn_testkit::HOSTILE_CASES`; the Kotlin transport runs the same table
//! on the JVM (`bindings/tests/kotlin/HostileBackendTest.kt`).
//!
//! For every case: the typed error the table expects (or success), zero connections at the other
//! host (127.0.0.2) and zero requests for the same-host redirect target, nothing sent at all when
//! the host's own header is hostile, no secret (client secret, publishable key, report token, the
//! user's token) in the error's `Display` or `Debug`, in any event or in any log line; and, after
//! the whole table (1 GiB bodies included), a peak resident memory under 256 MB. The `tls` cases
//! (an https server redirecting to plain http) trust the server's self-signed certificate only.

mod support;

use std::sync::Arc;
use std::time::Duration;

use finconn_client::backend::HeaderProvider;
use finconn_client::flow::FlowClient;
use finconn_core::error::FinConnError;
use finconn_core::network::HttpTransport;
use finconn_core::reconcile::SheetOutcome;
use finconn_testkit::{
    HostileCase, HostileServer, Stage, HOSTILE_CASES, HOSTILE_REPORT_TOKEN, HOSTILE_USER_TOKEN,
};
use finconn_transport_reqwest::ReqwestTransport;
use support::*;

/// The host's headers: the user's token, plus a CR/LF header when the case says so.
struct HostHeaders {
    crlf: bool,
}

impl HeaderProvider for HostHeaders {
    fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![(
            "Authorization".to_string(),
            format!("Bearer {HOSTILE_USER_TOKEN}"),
        )];
        if self.crlf {
            h.push(("X-Evil".into(), "a\r\nX-Injected: 1".into()));
        }
        h
    }
}

/// The transport a case runs on: the Rust transport, trusting only the server's self-signed
/// certificate for an https case.
fn transport_for(server: &HostileServer) -> Arc<dyn HttpTransport> {
    match server.certificate_der() {
        Some(der) => Arc::new(ReqwestTransport::new().with_root_certificate_der(der)),
        None => transport(),
    }
}

fn client(
    case: &HostileCase,
    server: &HostileServer,
    dir: &std::path::Path,
    transport: Arc<dyn HttpTransport>,
) -> FlowClient {
    let headers = Arc::new(HostHeaders {
        crlf: case.crlf_header,
    });
    server_client(server.base_url(), dir, headers, transport, |config| {
        config.backend.request_timeout = Duration::from_millis(1500);
        config.backend.max_response_bytes = case.max_response_bytes;
    })
}

/// Texts that must hold no secret, with where they came from.
type Texts = Vec<(String, String)>;

/// Runs one case; returns what went wrong (empty when all held) and the texts to check.
async fn run(case: &HostileCase) -> (Vec<String>, Texts) {
    let mut wrong = Vec::new();
    let mut texts = Texts::new();
    let server = HostileServer::start(case)
        .await
        .expect("the hostile server listens on 127.0.0.1 and 127.0.0.2");
    let dir = tempfile::tempdir().expect("data dir");
    let client = client(case, &server, dir.path(), transport_for(&server));
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let flow = client.new_flow(options()).expect("valid options");
    let outcome: Result<(), FinConnError> = async {
        let sheet = flow.start().await?;
        texts.push(("sheet configuration Debug".into(), format!("{sheet:?}")));
        if case.stage == Stage::Complete {
            flow.sheet_presented()?;
            flow.sheet_result(SheetOutcome::Completed { session: None })
                .await?;
        }
        Ok(())
    }
    .await;
    match (case.expected_error, &outcome) {
        (None, Ok(())) => {}
        (None, Err(e)) => wrong.push(format!("expected success, got {e}")),
        (Some(code), Ok(())) => wrong.push(format!("expected `{code}`, got success")),
        (Some(code), Err(e)) => {
            if e.code() != code {
                wrong.push(format!("expected `{code}`, got `{}`: {e}", e.code()));
            }
            if !e.to_string().contains(case.message_contains) {
                wrong.push(format!(
                    "the message does not say {:?}: {e}",
                    case.message_contains
                ));
            }
            texts.push(("error Display".into(), e.to_string()));
            texts.push(("error Debug".into(), format!("{e:?}")));
        }
    }
    if server.other_host_connections() != 0 {
        wrong.push(format!(
            "{} connection(s) reached the other host",
            server.other_host_connections()
        ));
    }
    if server.steal_requests() != 0 {
        wrong.push("the same-host redirect target was requested".into());
    }
    if case.tls && server.requests() == 0 {
        wrong.push("no request came over TLS: the https case did not test https".into());
    }
    if case.crlf_header && server.requests() != 0 {
        wrong.push(format!(
            "{} request(s) sent with a CR/LF header",
            server.requests()
        ));
    }
    for e in events.events() {
        texts.push(("event".into(), format!("{e:?}")));
    }
    texts.push(("flow Debug".into(), format!("{flow:?}")));
    // The snapshot is persisted: it holds the report token by design (a report must be deliverable
    // after a kill), never the client secret, the key or the user's token.
    let snapshot = flow.snapshot();
    for secret in HostileServer::secrets() {
        if secret != HOSTILE_REPORT_TOKEN && snapshot.contains(secret) {
            wrong.push(format!("the snapshot holds {secret}"));
        }
    }
    (wrong, texts)
}

/// Peak resident memory of this process (Linux `VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_case_gets_a_typed_error_and_nothing_else() {
    let capture = logs();
    let mut failures = Vec::new();
    let mut all_texts = Texts::new();
    for case in HOSTILE_CASES {
        let started = std::time::Instant::now();
        let (wrong, texts) = run(case).await;
        eprintln!(
            "{:<45} {:>6} ms  {}",
            case.name,
            started.elapsed().as_millis(),
            if wrong.is_empty() { "ok" } else { "FAILED" }
        );
        failures.extend(wrong.into_iter().map(|w| format!("{}: {w}", case.name)));
        all_texts.extend(
            texts
                .into_iter()
                .map(|(place, t)| (format!("{}: {place}", case.name), t)),
        );
    }
    all_texts.push(("log lines".into(), capture.text()));
    for (place, text) in &all_texts {
        for secret in HostileServer::secrets() {
            if text.contains(secret) {
                failures.push(format!("{place} shows a secret ({secret}): {text}"));
            }
        }
    }
    if let Some(peak) = peak_rss() {
        eprintln!("peak RSS after the matrix: {} MB", peak / (1024 * 1024));
        if peak > 256 * 1024 * 1024 {
            failures.push(format!(
                "peak RSS {} MB is over 256 MB",
                peak / (1024 * 1024)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The other half of the https cases: the same server with a certificate the transport does not
/// trust is refused at the handshake (an `offline` error that says TLS), before any request, and
/// the core never falls back to plain http.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_before_any_request() {
    let case = finconn_testkit::hostile_case("https_redirect_to_http_other_host").unwrap();
    let server = HostileServer::start(case).await.unwrap();
    assert!(server.base_url().starts_with("https://"));
    let dir = tempfile::tempdir().unwrap();
    let client = client(case, &server, dir.path(), transport()); // Web PKI roots only
    let flow = client.new_flow(options()).unwrap();
    let err = flow.start().await.expect_err("an untrusted certificate");
    assert_eq!(err.code(), "tls", "{err}");
    assert!(
        !err.is_retryable(),
        "a certificate failure is not offline: {err}"
    );
    assert!(err.to_string().contains("TLS"), "{err}");
    assert_eq!(server.requests(), 0, "a request went through");
    assert_eq!(server.other_host_connections(), 0);
}
