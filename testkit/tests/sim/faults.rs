//! Every fault really happens on the wire: statuses and `Retry-After`, RST on reset, truncated
//! JSON, a body that never finishes (without blocking shutdown), delays; and faults after the
//! work is committed prove that retries with the same key do not duplicate sessions or reports.

use std::io::ErrorKind;
use std::time::{Duration, Instant};

use finconn_testkit::{Endpoint, Fault, Institution, Simulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::*;

fn create_request(key: &str) -> String {
    raw_post(
        "/financial-connections/sessions",
        &[("Idempotency-Key", key), ("Authorization", "Bearer u")],
        &session_body().to_string(),
    )
}

fn split_response(raw: &[u8]) -> (String, Vec<u8>) {
    let text = String::from_utf8_lossy(raw);
    let end = text.find("\r\n\r\n").expect("a complete head");
    (text[..end].to_string(), raw[end + 4..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn status_fault_answers_json_and_does_nothing() {
    let sim = start().await;
    sim.faults()
        .push(Endpoint::CreateSession, Fault::Status(503));
    let raw = raw(&sim, &create_request("k")).await.unwrap();
    let (head, body) = split_response(&raw);
    assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    let e: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(e["error"]["code"], "simulated_fault");
    assert_eq!(sim.sessions_created(), 0);
    // The queue is consumed: the next request is normal.
    assert_eq!(
        post_session(&sim, Some("k"), &session_body())
            .await
            .status(),
        200
    );
    assert_eq!(sim.requests(Endpoint::CreateSession), 2);
}

#[tokio::test]
async fn too_many_requests_sends_retry_after() {
    let sim = start().await;
    sim.faults().push(
        Endpoint::ListAccounts,
        Fault::TooManyRequests {
            retry_after_secs: 3,
        },
    );
    let resp = client()
        .get(format!("{}/financial-connections/accounts", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "rate_limited");

    // Stripe endpoints use Stripe's error shape.
    sim.faults().push(
        Endpoint::StripeSessionReceipt,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
    );
    let resp = client()
        .get(format!(
            "{}/v1/link_account_sessions/session_receipt",
            sim.base_url()
        ))
        .query(&[("client_secret", "x")])
        .bearer_auth(sim.publishable_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "rate_limit");
}

#[tokio::test]
async fn connection_reset_is_a_tcp_rst() {
    let sim = start().await;
    sim.faults()
        .push(Endpoint::CreateSession, Fault::ConnectionReset);
    let err = raw(&sim, &create_request("k")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
    assert_eq!(sim.sessions_created(), 0);

    sim.faults()
        .push(Endpoint::CreateSession, Fault::ConnectionReset);
    let err = post_session_result(&sim, "k").await.unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert_eq!(sim.sessions_created(), 0);
    assert_eq!(sim.requests(Endpoint::CreateSession), 2);
}

async fn post_session_result(sim: &Simulator, key: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .bearer_auth(USER)
        .header("Idempotency-Key", key)
        .json(&session_body())
        .send()
        .await
}

#[tokio::test]
async fn malformed_json_is_a_framed_200_with_invalid_json() {
    let sim = start().await;
    sim.faults()
        .push(Endpoint::CreateSession, Fault::MalformedJson);
    let raw = raw(&sim, &create_request("k")).await.unwrap();
    let (head, body) = split_response(&raw);
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert_eq!(
        header(&head, "content-length"),
        Some(body.len().to_string().as_str())
    );
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    assert!(body.starts_with(b"{"));
    assert_eq!(
        sim.sessions_created(),
        0,
        "a plain fault does not do the work"
    );

    // After commit: the session exists and the body is a prefix of the real answer.
    sim.faults().push(
        Endpoint::CreateSession,
        Fault::after_commit(Fault::MalformedJson),
    );
    let resp = post_session(&sim, Some("k2"), &session_body()).await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert!(text.starts_with("{\""));
    assert_eq!(sim.sessions_created(), 1);
    let retry = create_session(&sim, "k2", &session_body()).await;
    let retry_text = serde_json::to_string(&retry).unwrap();
    assert!(retry_text.starts_with(&text), "{text} / {retry_text}");
    assert_eq!(sim.sessions_created(), 1);
}

#[tokio::test]
async fn never_finishing_body_hangs_until_the_client_gives_up_and_not_past_shutdown() {
    let sim = start().await;
    sim.faults()
        .push(Endpoint::ListAccounts, Fault::NeverFinishingBody);
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    s.write_all(b"GET /financial-connections/accounts HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // Read what comes, until nothing more arrives for 300 ms.
    loop {
        match tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await {
            Ok(Ok(0)) => panic!("the server closed a never-finishing body"),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => break,
        }
    }
    let (head, body) = split_response(&got);
    assert!(head.starts_with("HTTP/1.1 200 "));
    let announced: usize = header(&head, "content-length").unwrap().parse().unwrap();
    assert!(announced > body.len(), "{announced} vs {}", body.len());

    // reqwest gives up on its timeout.
    sim.faults()
        .push(Endpoint::ListAccounts, Fault::NeverFinishingBody);
    let started = Instant::now();
    let resp = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap()
        .get(format!("{}/financial-connections/accounts", sim.base_url()))
        .send()
        .await;
    let err = match resp {
        Ok(r) => r.bytes().await.unwrap_err(),
        Err(e) => e,
    };
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Shutdown is not blocked by the hanging connection, and closes it.
    let started = Instant::now();
    sim.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let end = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .expect("the hanging connection is closed at shutdown");
    assert!(matches!(end, Ok(0) | Err(_)));
}

#[tokio::test]
async fn delay_then_normal_answer_and_client_timeouts() {
    let sim = start().await;
    sim.faults().push(
        Endpoint::CreateSession,
        Fault::Delay(Duration::from_millis(150)),
    );
    let started = Instant::now();
    let a = create_session(&sim, "k", &session_body()).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(a["session_id"].is_string());

    // The client gives up during the delay; the server still does the work afterwards, and the
    // retry with the same key gets that same session.
    sim.faults().push(
        Endpoint::CreateSession,
        Fault::Delay(Duration::from_millis(400)),
    );
    let err = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap()
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .bearer_auth(USER)
        .header("Idempotency-Key", "slow")
        .json(&session_body())
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sim.sessions_created(), 2);
    create_session(&sim, "slow", &session_body()).await;
    assert_eq!(sim.sessions_created(), 2);

    // A long delay does not hold shutdown.
    sim.faults().push(
        Endpoint::ListAccounts,
        Fault::Delay(Duration::from_secs(60)),
    );
    let url = format!("{}/financial-connections/accounts", sim.base_url());
    let pending = tokio::spawn(async move { client().get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    sim.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(pending.await.unwrap().is_err());
}

#[tokio::test]
async fn reset_after_commit_then_retry_creates_one_session() {
    let sim = start().await;
    sim.faults()
        .push(Endpoint::CreateSession, Fault::ResetAfterCommit);
    let err = raw(
        &sim,
        &raw_post(
            "/financial-connections/sessions",
            &[
                ("Idempotency-Key", "flow-1"),
                ("Authorization", &format!("Bearer {USER}")),
            ],
            &session_body().to_string(),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    assert_eq!(
        sim.sessions_created(),
        1,
        "the work was done before the reset"
    );
    let retry = create_session(&sim, "flow-1", &session_body()).await;
    assert_eq!(sim.sessions_created(), 1);
    assert_eq!(sim.stripe().session_count(), 1);
    assert!(sim
        .stripe()
        .session(retry["session_id"].as_str().unwrap())
        .is_some());
}

#[tokio::test]
async fn reset_after_commit_on_complete_counts_one_report() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    sim.complete_sheet(id, Institution::SuccessOne).unwrap();
    let r = report("idem_k-complete", a["report_token"].as_str());

    sim.faults()
        .push(Endpoint::Complete, Fault::ResetAfterCommit)
        .push(Endpoint::Complete, Fault::after_commit(Fault::Status(502)))
        .push(
            Endpoint::Complete,
            Fault::after_commit(Fault::Delay(Duration::from_millis(50))),
        );
    let first = client()
        .post(format!(
            "{}/financial-connections/sessions/{id}/complete",
            sim.base_url()
        ))
        .bearer_auth(USER)
        .header("Idempotency-Key", "idem_k-complete")
        .json(&r)
        .send()
        .await;
    assert!(first.is_err());
    assert_eq!(sim.reports_received(id), 1);
    assert_eq!(post_complete(&sim, id, USER, &r).await.status(), 502);
    assert_eq!(post_complete(&sim, id, USER, &r).await.status(), 200);
    assert_eq!(post_complete(&sim, id, USER, &r).await.status(), 200);
    assert_eq!(sim.reports_received(id), 1);
    assert_eq!(sim.complete_requests(id), 4);
    assert_eq!(sim.user_accounts(USER).len(), 1);
}

#[tokio::test]
async fn stripe_endpoint_faults() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let cs = a["client_secret"].as_str().unwrap().to_string();
    sim.complete_sheet(&cs, Institution::SuccessOne).unwrap();
    let get = |path: &'static str| {
        let url = format!("{}{path}", sim.stripe_base_url());
        let pk = sim.publishable_key().to_string();
        let cs = cs.clone();
        async move {
            client()
                .get(url)
                .query(&[("client_secret", cs)])
                .bearer_auth(pk)
                .send()
                .await
        }
    };
    sim.faults()
        .push(Endpoint::StripeSessionReceipt, Fault::Status(500))
        .push(Endpoint::StripeListAccounts, Fault::ConnectionReset);
    let resp = get("/v1/link_account_sessions/session_receipt")
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["type"], "api_error");
    assert!(get("/v1/link_account_sessions/list_accounts")
        .await
        .is_err());
    assert_eq!(
        get("/v1/link_account_sessions/session_receipt")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        get("/v1/link_account_sessions/list_accounts")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(sim.requests(Endpoint::StripeSessionReceipt), 2);
    assert_eq!(sim.requests(Endpoint::StripeListAccounts), 2);
    assert_eq!(sim.faults().pending(Endpoint::StripeListAccounts), 0);
}

#[tokio::test]
async fn dropping_the_simulator_stops_it() {
    let sim = start().await;
    let addr = sim.addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(TcpStream::connect(addr).await.is_err());
}

#[test]
fn start_blocking_serves_sync_callers() {
    use std::io::{Read, Write};
    let sim = Simulator::start_blocking(config()).unwrap();
    let mut s = std::net::TcpStream::connect(sim.addr()).unwrap();
    s.write_all(b"GET /financial-connections/accounts HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.ends_with("{\"accounts\":[]}"));
    let addr = sim.addr();
    drop(sim);
    std::thread::sleep(Duration::from_millis(50));
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn bad_requests_are_answered_not_crashed() {
    let sim = start().await;
    let raw_bytes = raw(&sim, "BROKEN\r\n\r\n").await.unwrap();
    assert!(String::from_utf8_lossy(&raw_bytes).starts_with("HTTP/1.1 400 "));
    let chunked = "POST /financial-connections/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    let raw_bytes = raw(&sim, chunked).await.unwrap();
    assert!(String::from_utf8_lossy(&raw_bytes).starts_with("HTTP/1.1 411 "));
    // Still serving.
    assert_eq!(
        post_session(&sim, Some("k"), &session_body())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn expect_100_continue_is_honoured() {
    let sim = start().await;
    let body = session_body().to_string();
    let head = format!(
        "POST /financial-connections/sessions HTTP/1.1\r\nHost: x\r\nIdempotency-Key: k\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"HTTP/1.1 100 Continue\r\n\r\n");
    s.write_all(body.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    assert!(String::from_utf8_lossy(&out).starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(sim.sessions_created(), 1);
}
