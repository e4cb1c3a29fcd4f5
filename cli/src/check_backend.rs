//! `fc check-backend URL`: a conformance checker of the backend contract
//! (`docs/backend-contract.md`) that a merchant runs against their own backend in test mode, or
//! against `fc serve`. Every call goes through the core's network policy (no redirects, the
//! response cap, timeouts, scrubbed errors) over the reqwest transport, one attempt each, so
//! memory and time stay bounded whatever the backend does. Nothing secret is printed: the client
//! secret and key appear only as `fcsess_…_secret_[redacted]` and `pk_test_[redacted]`.
//!
//! Exit status: 0 when every check passed, 1 when one failed (or the backend misbehaved), 2 for
//! bad usage (a `--header` with CR/LF, a URL that is not a URL).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use finconn_client::backend::{
    BackendClient, BackendConfig, EndpointPath, HeaderProvider, RawCall, RetryPolicy,
};
use finconn_core::model::Account;
use finconn_core::network::policy::{self, BaseUrl};
use finconn_core::network::HttpMethod;
use finconn_transport_reqwest::ReqwestTransport;
use serde_json::{json, Value};

#[derive(Args)]
pub struct CheckBackendArgs {
    /// The backend's base URL (`https://…`; plain http only for loopback).
    url: String,
    /// A header for every call, `Name: value` (e.g. the test user's `Authorization: Bearer …`).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Timeout of each call, milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// One JSON object per check, then a summary line.
    #[arg(long)]
    json: bool,
}

struct FixedHeaders(Vec<(String, String)>);

impl HeaderProvider for FixedHeaders {
    fn headers(&self) -> Vec<(String, String)> {
        self.0.clone()
    }
}

/// One check's verdict. Every text of the backend in `detail` has gone through
/// [`policy::scrub`] (the core's errors already have).
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
}

/// `Name: value` → checked pair; a CR, LF or other control character is bad usage.
fn parse_header(raw: &str) -> Result<(String, String), String> {
    let (name, value) = raw
        .split_once(':')
        .ok_or_else(|| format!("--header {:?}: expected `Name: value`", policy::scrub(raw)))?;
    // Only spaces and tabs are trimmed: a CR or LF stays and is refused below.
    let blank = |c: char| c == ' ' || c == '\t';
    let (name, value) = (
        name.trim_matches(blank).to_owned(),
        value.trim_matches(blank).to_owned(),
    );
    policy::check_header(&name, &value).map_err(|e| format!("--header: {e}"))?;
    Ok((name, value))
}

/// `fcsess_…_secret_[redacted]`, never the secret.
fn redact_client_secret(secret: &str) -> String {
    if secret.contains("_secret_") {
        "fcsess_…_secret_[redacted]".into()
    } else {
        "[redacted]".into()
    }
}

fn redact_key(key: &str) -> String {
    for prefix in ["pk_test_", "pk_live_"] {
        if key.starts_with(prefix) {
            return format!("{prefix}[redacted]");
        }
    }
    "[redacted]".into()
}

/// What the create call gave, for the checks that need a session.
struct Created {
    session_id: String,
    report_token: Option<String>,
}

struct Checker {
    client: BackendClient,
    checks: Vec<Check>,
    run_id: String,
}

impl Checker {
    fn record(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok,
            detail: detail.into(),
        });
    }

    fn key(&self, n: u32) -> String {
        format!("fcidem_{}{n:08x}", self.run_id)
    }

    async fn create(&mut self, key: &str) -> Result<Value, String> {
        let body = serde_json::to_vec(&json!({"permissions": ["balances", "payment_method"]}))
            .unwrap_or_default();
        let x = self
            .client
            .exchange(RawCall {
                endpoint: "create_session",
                method: HttpMethod::Post,
                path: EndpointPath::CreateSession,
                ids: &[],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(key),
            })
            .await
            .map_err(|e| e.to_string())?;
        if !(200..300).contains(&x.status) {
            let d = x.error_detail();
            return Err(format!(
                "HTTP {}{}",
                x.status,
                d.message.map(|m| format!(": {m}")).unwrap_or_default()
            ));
        }
        x.json().ok_or_else(|| "the answer is not JSON".to_owned())
    }

    async fn complete(
        &mut self,
        session_id: &str,
        report_id: &str,
        report_token: Option<&str>,
    ) -> Result<finconn_client::backend::Exchange, String> {
        let mut body = json!({
            "report_id": report_id,
            "flow_id": format!("flow_{}", self.run_id),
            "session_id": session_id,
            "sheet_outcome": "canceled",
            "account_ids": [],
        });
        if let Some(t) = report_token {
            body["report_token"] = Value::String(t.to_owned());
        }
        let body = serde_json::to_vec(&body).unwrap_or_default();
        self.client
            .exchange(RawCall {
                endpoint: "complete_session",
                method: HttpMethod::Post,
                path: EndpointPath::CompleteSession,
                ids: &[session_id],
                query: &[],
                body: Some(&body),
                idempotency_key: Some(report_id),
            })
            .await
            .map_err(|e| e.to_string())
    }

    /// create: shape, secrets' shapes, livemode.
    async fn check_create(&mut self) -> Option<Created> {
        let key = self.key(1);
        let v = match self.create(&key).await {
            Ok(v) => v,
            Err(e) => {
                self.record("create_session_shape", false, e);
                return None;
            }
        };
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let session_id = s("session_id").or_else(|| s("sessionId"));
        let secret = s("client_secret").or_else(|| s("clientSecret"));
        let key_ = s("publishable_key").or_else(|| s("publishableKey"));
        let missing: Vec<&str> = [
            ("session_id", session_id.is_some()),
            ("client_secret", secret.is_some()),
            ("publishable_key", key_.is_some()),
        ]
        .iter()
        .filter(|(_, present)| !present)
        .map(|(n, _)| *n)
        .collect();
        if missing.is_empty() {
            self.record(
                "create_session_shape",
                true,
                "session_id, client_secret and publishable_key present",
            );
        } else {
            self.record(
                "create_session_shape",
                false,
                format!("missing: {}", missing.join(", ")),
            );
        }
        let session_id = session_id.or_else(|| {
            secret
                .as_deref()
                .and_then(|c| c.split_once("_secret_"))
                .map(|(id, _)| id.to_owned())
        })?;
        let id_ok = finconn_core::ids::is_valid(finconn_core::ids::IdKind::Session, &session_id);
        let secret = secret.unwrap_or_default();
        let secret_ok = secret.starts_with(&format!("{session_id}_secret_"));
        self.record(
            "client_secret_shape",
            id_ok && secret_ok,
            format!(
                "{} ({})",
                redact_client_secret(&secret),
                if id_ok && secret_ok {
                    "the session's id followed by _secret_"
                } else {
                    "expected <session id>_secret_…"
                }
            ),
        );
        let key_ = key_.unwrap_or_default();
        let key_ok = key_.starts_with("pk_test_") || key_.starts_with("pk_live_");
        self.record(
            "publishable_key_shape",
            key_ok,
            format!(
                "{}{}",
                redact_key(&key_),
                if key_ok {
                    ""
                } else {
                    " (expected pk_test_… or pk_live_…)"
                }
            ),
        );
        match v.get("livemode").and_then(Value::as_bool) {
            Some(true) => self.record(
                "livemode_false",
                true,
                "warning: livemode is true; run these checks against test mode",
            ),
            _ => self.record("livemode_false", true, "test mode"),
        }
        Some(Created {
            session_id,
            report_token: s("report_token").or_else(|| s("reportToken")),
        })
    }

    async fn check_idempotency(&mut self, first: &Created) {
        let again = self.create(&self.key(1)).await;
        let id = |v: &Value| {
            v.get("session_id")
                .or_else(|| v.get("sessionId"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        match again {
            Ok(v) if id(&v).as_deref() == Some(first.session_id.as_str()) => self.record(
                "same_idempotency_key_same_session",
                true,
                format!("{} again", first.session_id),
            ),
            Ok(v) => self.record(
                "same_idempotency_key_same_session",
                false,
                format!(
                    "a second session {} for the same Idempotency-Key",
                    policy::scrub(&id(&v).unwrap_or_default())
                ),
            ),
            Err(e) => self.record("same_idempotency_key_same_session", false, e),
        }
        match self.create(&self.key(2)).await {
            Ok(v) if id(&v).is_some() && id(&v).as_deref() != Some(first.session_id.as_str()) => {
                self.record(
                    "new_idempotency_key_new_session",
                    true,
                    policy::scrub(&id(&v).unwrap_or_default()),
                )
            }
            Ok(_) => self.record(
                "new_idempotency_key_new_session",
                false,
                "a new key returned the first session again",
            ),
            Err(e) => self.record("new_idempotency_key_new_session", false, e),
        }
    }

    async fn check_complete(&mut self, created: &Created) {
        let report_id = format!("{}-complete", self.key(1));
        let first = self
            .complete(
                &created.session_id,
                &report_id,
                created.report_token.as_deref(),
            )
            .await;
        let session_of = |x: &finconn_client::backend::Exchange| {
            x.json().and_then(|v| {
                let s = v.get("session").cloned().unwrap_or(v);
                s.get("id").and_then(Value::as_str).map(str::to_owned)
            })
        };
        let first_id = match &first {
            Ok(x) if (200..300).contains(&x.status) => session_of(x),
            _ => None,
        };
        match (&first, &first_id) {
            (Ok(_), Some(id)) if *id == created.session_id => self.record(
                "complete_answers_the_session",
                true,
                format!("{{\"session\": {}}}", policy::scrub(id)),
            ),
            (Ok(x), _) => self.record(
                "complete_answers_the_session",
                false,
                format!(
                    "HTTP {}: expected {{\"session\": <financial_connections.session {}>}}",
                    x.status, created.session_id
                ),
            ),
            (Err(e), _) => self.record("complete_answers_the_session", false, e.clone()),
        }
        let again = self
            .complete(
                &created.session_id,
                &report_id,
                created.report_token.as_deref(),
            )
            .await;
        match again {
            Ok(x) if (200..300).contains(&x.status) && session_of(&x) == first_id => self.record(
                "same_report_twice_is_one_report",
                true,
                "the same report id answered the same session again",
            ),
            Ok(x) => self.record(
                "same_report_twice_is_one_report",
                false,
                format!("the same report sent again answered HTTP {}", x.status),
            ),
            Err(e) => self.record("same_report_twice_is_one_report", false, e),
        }
    }

    async fn check_refusals(&mut self) {
        // A wrong token, on a fresh session whose report was never sent.
        match self.create(&self.key(3)).await {
            Ok(v) => {
                let id = v
                    .get("session_id")
                    .or_else(|| v.get("sessionId"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let has_token = v
                    .get("report_token")
                    .or_else(|| v.get("reportToken"))
                    .is_some();
                if !has_token {
                    self.record(
                        "wrong_report_token_403",
                        true,
                        "skipped: the backend issues no report_token (optional in the contract)",
                    );
                } else {
                    let report_id = format!("{}-complete", self.key(3));
                    match self
                        .complete(&id, &report_id, Some("rt_finconnCheckWrongToken"))
                        .await
                    {
                        Ok(x) if x.status == 403 => {
                            self.record("wrong_report_token_403", true, "HTTP 403")
                        }
                        Ok(x) => self.record(
                            "wrong_report_token_403",
                            false,
                            format!("HTTP {} for a wrong report token (expected 403)", x.status),
                        ),
                        Err(e) => self.record("wrong_report_token_403", false, e),
                    }
                }
            }
            Err(e) => self.record(
                "wrong_report_token_403",
                false,
                format!("create failed: {e}"),
            ),
        }
        let unknown = "fcsess_finconnCheckUnknownSession";
        let report_id = format!("{}-complete", self.key(4));
        match self
            .complete(unknown, &report_id, Some("rt_finconnCheck"))
            .await
        {
            Ok(x) => {
                let d = x.error_detail();
                if x.status == 404 {
                    self.record("unknown_session_404", true, "HTTP 404");
                } else {
                    self.record(
                        "unknown_session_404",
                        false,
                        format!("HTTP {} for an unknown session (expected 404)", x.status),
                    );
                }
                let documented = x.json().is_some_and(|v| {
                    v.pointer("/error/code").is_some_and(Value::is_string)
                        && v.pointer("/error/message").is_some_and(Value::is_string)
                });
                self.record(
                    "error_body_shape",
                    documented,
                    if documented {
                        format!(
                            "{{\"error\": {{\"code\": \"{}\", \"message\": …}}}}",
                            d.code.unwrap_or_default()
                        )
                    } else {
                        "a 4xx without the documented {\"error\": {\"code\", \"message\"}}".into()
                    },
                );
            }
            Err(e) => {
                self.record("unknown_session_404", false, e.clone());
                self.record("error_body_shape", false, e);
            }
        }
    }

    async fn check_accounts(&mut self) {
        let x = self
            .client
            .exchange(RawCall {
                endpoint: "list_accounts",
                method: HttpMethod::Get,
                path: EndpointPath::ListAccounts,
                ids: &[],
                query: &[],
                body: None,
                idempotency_key: None,
            })
            .await;
        match x {
            Ok(x) if (200..300).contains(&x.status) => {
                let v = x.json().unwrap_or(Value::Null);
                let list = v
                    .get("accounts")
                    .or_else(|| v.get("data"))
                    .cloned()
                    .unwrap_or(Value::Null);
                match serde_json::from_value::<Vec<Account>>(list) {
                    Ok(a) => self.record(
                        "list_accounts_shape",
                        true,
                        format!("{} account(s)", a.len()),
                    ),
                    Err(e) => self.record(
                        "list_accounts_shape",
                        false,
                        format!(
                            "expected {{\"accounts\": [<financial_connections.account>]}}: {e}"
                        ),
                    ),
                }
            }
            Ok(x) => self.record("list_accounts_shape", false, format!("HTTP {}", x.status)),
            Err(e) => self.record("list_accounts_shape", false, e.to_string()),
        }
    }
}

/// A `--json` line, fields in the documented order.
#[derive(serde::Serialize)]
struct CheckJson<'a> {
    check: &'a str,
    ok: bool,
    detail: &'a str,
}

fn print(checks: &[Check], as_json: bool) {
    let passed = checks.iter().filter(|c| c.ok).count();
    let failed = checks.len() - passed;
    if as_json {
        for c in checks {
            let line = CheckJson {
                check: c.name,
                ok: c.ok,
                detail: &c.detail,
            };
            println!("{}", serde_json::to_string(&line).unwrap_or_default());
        }
        println!(
            "{}",
            json!({"summary": {"passed": passed, "failed": failed}})
        );
    } else {
        println!("{:<36} {:<6} DETAIL", "CHECK", "RESULT");
        for c in checks {
            println!(
                "{:<36} {:<6} {}",
                c.name,
                if c.ok { "ok" } else { "FAIL" },
                c.detail
            );
        }
        println!("{passed} passed, {failed} failed");
    }
}

pub fn run(args: CheckBackendArgs) -> ExitCode {
    let mut headers = Vec::new();
    for raw in &args.headers {
        match parse_header(raw) {
            Ok(h) => headers.push(h),
            Err(e) => {
                eprintln!("fc check-backend: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if args.timeout_ms == 0 || args.timeout_ms > 600_000 {
        eprintln!("fc check-backend: --timeout-ms must be between 1 and 600000");
        return ExitCode::from(2);
    }
    let mut checks = Vec::new();
    match BaseUrl::parse(&args.url, "backend URL") {
        Ok(base) if base.is_plain_http() => checks.push(Check {
            name: "https",
            ok: true,
            detail: "warning: plain http on loopback (development only; apps need https)".into(),
        }),
        Ok(_) => checks.push(Check {
            name: "https",
            ok: true,
            detail: "https".into(),
        }),
        Err(policy::PolicyError::Insecure { .. }) if args.url.starts_with("http://") => {
            checks.push(Check {
                name: "https",
                ok: true,
                detail: "warning: plain http off loopback: the SDK refuses this URL, so nothing else was run; use https".into(),
            });
            checks.push(Check {
                name: "backend_usable",
                ok: false,
                detail: "the SDK sends nothing to plain http off loopback".into(),
            });
            print(&checks, args.json);
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("fc check-backend: {e}");
            return ExitCode::from(2);
        }
    }
    let mut config = BackendConfig::new(args.url.trim());
    config.request_timeout = Duration::from_millis(args.timeout_ms);
    config.connect_timeout = Duration::from_millis(args.timeout_ms.min(10_000));
    config.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let client = match BackendClient::new(
        config,
        Some(Arc::new(FixedHeaders(headers))),
        Arc::new(ReqwestTransport::new()),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fc check-backend: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fc check-backend: cannot start a runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let run_id = format!("{:016x}", fastrand_u64());
    let mut checker = Checker {
        client,
        checks,
        run_id,
    };
    runtime.block_on(async {
        if let Some(created) = checker.check_create().await {
            checker.check_idempotency(&created).await;
            checker.check_complete(&created).await;
        } else {
            for name in [
                "same_idempotency_key_same_session",
                "new_idempotency_key_new_session",
                "complete_answers_the_session",
                "same_report_twice_is_one_report",
            ] {
                checker.record(name, false, "not run: no session was created");
            }
        }
        checker.check_refusals().await;
        checker.check_accounts().await;
    });
    print(&checker.checks, args.json);
    if checker.checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A random run id (time and address entropy; the ids only need to differ between runs).
fn fastrand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_with_control_characters_are_bad_usage() {
        assert!(parse_header("Authorization: Bearer t").is_ok());
        for bad in ["X: a\r\nY: b", "X: a\nb", "X\r: v", "novalue", "X: a\0b"] {
            assert!(parse_header(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_printed_redacted() {
        assert_eq!(
            redact_client_secret("fcsess_1_secret_ABC"),
            "fcsess_…_secret_[redacted]"
        );
        assert_eq!(redact_key("pk_test_ABC"), "pk_test_[redacted]");
        assert_eq!(redact_key("sk_live_ABC"), "[redacted]");
    }
}
