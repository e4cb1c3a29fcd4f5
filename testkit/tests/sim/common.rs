//! Shared helpers of the integration tests: starting a simulator, a reqwest client, the
//! contract's calls, and raw TCP requests for byte-level assertions.

use std::time::Duration;

use finconn_testkit::{Simulator, SimulatorConfig};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const USER: &str = "user_token_alice";

pub fn config() -> SimulatorConfig {
    SimulatorConfig {
        now: Some(1_767_225_600),
        ..SimulatorConfig::with_seed(7)
    }
}

pub async fn start() -> Simulator {
    Simulator::start(config()).await
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

pub fn session_body() -> Value {
    json!({
        "permissions": ["balances", "payment_method"],
        "prefetch": ["balances"],
        "return_url": "myapp://stripe-redirect",
    })
}

/// `POST /financial-connections/sessions` as `USER`.
pub async fn post_session(sim: &Simulator, key: Option<&str>, body: &Value) -> reqwest::Response {
    let mut req = client()
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .bearer_auth(USER)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

/// Creates a session as `USER` and returns the answer.
pub async fn create_session(sim: &Simulator, key: &str, body: &Value) -> Value {
    let resp = post_session(sim, Some(key), body).await;
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

pub async fn post_complete(
    sim: &Simulator,
    session_id: &str,
    user: &str,
    report: &Value,
) -> reqwest::Response {
    let report_id = report["report_id"].as_str().unwrap_or("r").to_string();
    client()
        .post(format!(
            "{}/financial-connections/sessions/{session_id}/complete",
            sim.base_url()
        ))
        .bearer_auth(user)
        .header("Idempotency-Key", report_id)
        .json(report)
        .send()
        .await
        .unwrap()
}

pub fn report(report_id: &str, token: Option<&str>) -> Value {
    json!({
        "report_id": report_id,
        "report_token": token,
        "flow_id": "flow_1",
        "sheet_outcome": "completed",
        "account_ids": [],
        "error_code": null,
        "return_url_status": "success",
    })
}

/// Sends raw bytes on a fresh connection and reads until EOF (or the error).
pub async fn raw(sim: &Simulator, request: &str) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(sim.addr()).await?;
    s.write_all(request.as_bytes()).await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    Ok(out)
}

pub fn raw_post(path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}
