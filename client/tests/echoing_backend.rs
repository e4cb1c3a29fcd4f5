//! The lying backend (`finconn_testkit::LyingBackend`) on the Rust transport: it creates a session
//! honestly with a report token that does not start with `rt_` and a publishable key that does
//! not start with `pk_`, then echoes the client's secrets (and the user's token) back in every
//! later answer, in each of `ECHO_SHAPES` and each of the contract's error-body forms: on the
//! completion report and on every account-data call.
//!
//! What must not happen: any byte run of a secret in an error's `Display` or `Debug`, a result,
//! an event, a log line (everything logged at TRACE), a snapshot or an outbox file (those two
//! hold the report token by design, once, in its own field: nowhere else).

mod support;

use std::sync::Arc;
use std::time::Duration;

use finconn_client::backend::HeaderProvider;
use finconn_client::flow::FlowClient;
use finconn_core::data::DataFeature;
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::network::policy::{scrub, REDACTED};
use finconn_core::reconcile::SheetOutcome;
use finconn_core::state::{FlowMachine, ReportToken, SessionInfo, SheetCredentials};
use finconn_testkit::{
    EchoLie, ErrorForm, LyingBackend, ECHO_SHAPES, LYING_ACCOUNT_ID, LYING_CLIENT_SECRET,
    LYING_REPORT_TOKEN, LYING_USER_TOKEN,
};
use support::*;

struct UserToken;

impl HeaderProvider for UserToken {
    fn headers(&self) -> Vec<(String, String)> {
        vec![(
            "Authorization".to_string(),
            format!("Bearer {LYING_USER_TOKEN}"),
        )]
    }
}

fn client(server: &LyingBackend, dir: &std::path::Path) -> FlowClient {
    server_client(
        server.base_url(),
        dir,
        Arc::new(UserToken),
        transport(),
        |config| {
            config.backend.request_timeout = Duration::from_millis(1500);
            config.backend.retry.initial_backoff = Duration::from_millis(5);
            config.backend.retry.max_backoff = Duration::from_millis(10);
            config.refresh = finconn_client::account_data::RefreshPolicy {
                deadline: Duration::from_millis(300),
                first_poll: Duration::from_millis(10),
                max_poll: Duration::from_millis(20),
            };
        },
    )
}

/// Texts that must hold no secret, with where they came from.
#[derive(Default)]
struct Texts(Vec<(String, String)>);

impl Texts {
    fn add(&mut self, place: impl Into<String>, text: impl Into<String>) {
        self.0.push((place.into(), text.into()));
    }

    fn error(&mut self, place: &str, e: &FinConnError) {
        self.add(format!("{place}: error Display"), e.to_string());
        self.add(format!("{place}: error Debug"), format!("{e:?} {e:#?}"));
    }

    /// What went wrong: a run of 8 bytes of any secret in any text, or the report token more
    /// than once in a persisted file (where it has its own field).
    fn leaks(&self) -> Vec<String> {
        let mut found = Vec::new();
        // A percent-encoded secret is a secret: each text is read decoded too.
        let decoded: Vec<(String, String)> = self
            .0
            .iter()
            .map(|(p, t)| (format!("{p} (percent-decoded)"), percent_decode(t)))
            .filter(|(_, t)| !self.0.iter().any(|(_, orig)| orig == t))
            .collect();
        for (place, text) in self.0.iter().chain(&decoded) {
            let persisted = place.contains("snapshot") || place.contains("outbox");
            for secret in LyingBackend::secrets() {
                if persisted && secret == LYING_REPORT_TOKEN {
                    let n = text.matches(secret).count();
                    if n > 1 {
                        found.push(format!("{place} holds the report token {n} times: {text}"));
                    }
                    continue;
                }
                // The client secret begins with the (public) session id: its secret half is
                // checked on its own.
                if secret == LYING_CLIENT_SECRET {
                    if text.contains(secret) {
                        found.push(format!("{place} shows the client secret: {text}"));
                    }
                    continue;
                }
                for i in 0..=secret.len() - 8 {
                    let part = &secret[i..i + 8];
                    if text.contains(part) {
                        found.push(format!("{place} shows {part:?} of {secret:?}: {text}"));
                        break;
                    }
                }
            }
        }
        found
    }
}

/// `%XX` escapes decoded (twice, for double encoding).
fn percent_decode(text: &str) -> String {
    let once = |t: &str| -> String {
        let b = t.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = (b[i] == b'%')
                .then(|| t.get(i + 1..i + 3))
                .flatten()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => {
                    out.push(v);
                    i += 3;
                }
                None => {
                    out.push(b[i]);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    once(&once(text))
}

/// The flow's texts: `Debug`, its snapshot, and every outbox file.
fn flow_texts(
    texts: &mut Texts,
    place: &str,
    flow: &finconn_client::flow::Flow,
    dir: &std::path::Path,
) {
    texts.add(format!("{place}: flow Debug"), format!("{flow:?}"));
    texts.add(format!("{place}: snapshot"), flow.snapshot());
    for sub in ["finconn-outbox", "finconn-flows"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                if let Ok(bytes) = std::fs::read(e.path()) {
                    let kind = if sub == "finconn-outbox" {
                        "outbox"
                    } else {
                        "snapshot"
                    };
                    texts.add(
                        format!("{place}: {kind} file {}", e.path().display()),
                        String::from_utf8_lossy(&bytes),
                    );
                }
            }
        }
    }
}

/// Every account-data call, and the other calls after the flow, against the lying backend.
/// Returns how many failed.
async fn account_calls(texts: &mut Texts, place: &str, client: &FlowClient) -> usize {
    let mut failed = 0;
    let mut note = |texts: &mut Texts, call: &str, r: Result<String, FinConnError>| match r {
        Ok(debug) => texts.add(format!("{place}: {call} answer"), debug),
        Err(e) => {
            failed += 1;
            texts.error(&format!("{place}: {call}"), &e);
        }
    };
    let r = client.account(LYING_ACCOUNT_ID).await;
    note(texts, "account", r.map(|a| format!("{a:?}")));
    let r = client
        .refresh(LYING_ACCOUNT_ID, &[DataFeature::Balances])
        .await;
    note(texts, "refresh", r.map(|a| format!("{a:?}")));
    let r = client.owners(LYING_ACCOUNT_ID).await;
    note(texts, "owners", r.map(|a| format!("{a:?}")));
    let r = client.sync_transactions(LYING_ACCOUNT_ID, None).await;
    note(texts, "sync_transactions", r.map(|a| format!("{a:?}")));
    let r = client.list_accounts().await;
    note(texts, "list_accounts", r.map(|a| format!("{a:?}")));
    let r = client.disconnect_account(LYING_ACCOUNT_ID).await;
    note(texts, "disconnect_account", r.map(|a| format!("{a:?}")));
    let r = client.send_pending_reports().await;
    note(texts, "send_pending_reports", r.map(|a| format!("{a:?}")));
    failed
}

/// One run of a lie: a flow to its end, then every account-data call.
async fn run(
    lie: EchoLie,
    place: &str,
    texts: &mut Texts,
) -> (Vec<FlowEvent>, usize, Option<FinConnError>) {
    let server = LyingBackend::start(lie)
        .await
        .expect("the lying backend listens on 127.0.0.1");
    let dir = tempfile::tempdir().expect("data dir");
    let client = client(&server, dir.path());
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let flow = client.new_flow(options()).expect("valid options");
    let sheet = flow
        .start()
        .await
        .expect("the lying backend creates honestly");
    texts.add(format!("{place}: sheet Debug"), format!("{sheet:?}"));
    flow.sheet_presented().expect("present");
    let flow_error = match flow
        .sheet_result(SheetOutcome::Completed { session: None })
        .await
    {
        Ok(result) => {
            texts.add(format!("{place}: result Debug"), format!("{result:?}"));
            None
        }
        Err(e) => {
            texts.error(&format!("{place}: sheet_result"), &e);
            Some(e)
        }
    };
    flow_texts(texts, place, &flow, dir.path());
    let failed = account_calls(texts, place, &client).await;
    assert!(client.events_delivered().await, "{place}: events delivered");
    let events = events.events();
    for e in &events {
        texts.add(format!("{place}: event"), format!("{e:?}"));
    }
    texts.add(format!("{place}: client Debug"), format!("{client:?}"));
    (events, failed, flow_error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_echo_shape_is_scrubbed_from_errors_events_logs_and_snapshots() {
    let capture = logs();
    let mut texts = Texts::default();
    let statuses = [400, 500, 401];
    let forms = [ErrorForm::Contract, ErrorForm::Plain, ErrorForm::Message];
    assert!(ECHO_SHAPES.len() >= 32);
    for (i, shape) in ECHO_SHAPES.iter().enumerate() {
        let status = statuses[i % 3];
        let form = forms[(i / 3) % 3];
        let place = format!("{} ({status}, {form:?})", shape.name);
        let started = std::time::Instant::now();
        let lie = EchoLie::Echo {
            status,
            message: shape.render(),
            form,
        };
        let (_, failed, flow_error) = run(lie, &place, &mut texts).await;
        // Every call after the create failed with the echo (a report kept for later is a
        // summary, not an error), and the echo reached the error scrubbed.
        assert_eq!(failed, 6, "{place}: every call after the create failed");
        let shown = texts
            .0
            .iter()
            .filter(|(p, _)| p.starts_with(&place) && p.ends_with("account: error Display"))
            .map(|(_, t)| t.clone())
            .next()
            .expect("the account error");
        assert!(
            shown.contains("[redact"),
            "{place}: the echo did not reach the error: {shown}"
        );
        if status != 400 {
            assert!(flow_error.is_some(), "{place}: a kept report is an error");
        }
        eprintln!("{place:<60} {:>5} ms", started.elapsed().as_millis());
    }
    let log = capture.text();
    assert!(
        log.contains("backend call failed"),
        "the failures were logged"
    );
    texts.add("log lines", log);
    let leaks = texts.leaks();
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

/// A `Request-Id` that is the report token is no request id: it reaches no event and no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_id_that_is_the_report_token_is_dropped() {
    let capture = logs();
    let mut texts = Texts::default();
    let (events, failed, flow_error) =
        run(EchoLie::RequestIdIsTheToken, "request id", &mut texts).await;
    assert!(flow_error.is_none(), "{flow_error:?}");
    assert_eq!(failed, 0);
    let calls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            FlowEvent::BackendCall { request_id, .. } => Some(request_id.clone()),
            _ => None,
        })
        .collect();
    assert!(calls.len() >= 8, "{calls:?}");
    assert!(calls.iter().all(Option::is_none), "{calls:?}");
    texts.add("log lines", capture.text());
    let leaks = texts.leaks();
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

/// The decoder names a value it cannot read (`invalid type: string "…"`): when that value is the
/// report token, the error says `[redacted]`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_token_where_an_object_belongs_is_not_named_by_the_decoder() {
    let capture = logs();
    let mut texts = Texts::default();
    let (_, failed, flow_error) = run(
        EchoLie::TokenWhereAnObjectBelongs,
        "token as an object",
        &mut texts,
    )
    .await;
    let e = flow_error.expect("an unreadable session");
    assert!(e.to_string().contains(REDACTED), "{e}");
    assert!(failed >= 5, "{failed}");
    texts.add("log lines", capture.text());
    let leaks = texts.leaks();
    assert!(leaks.is_empty(), "{}", leaks.join("\n\n"));
}

/// A flow restored from a snapshot (a new process) makes its report token known to the scrubber
/// before anything is sent.
#[test]
fn a_restored_report_token_is_scrubbed_whatever_its_shape() {
    const TOKEN: &str = "restored-N0tRT-token-77";
    let mut machine = FlowMachine::new(
        "flow_0123456789abcdef0123456789abcdef",
        "fcidem_0123456789abcdef0123456789abcdef",
        options().validate().expect("valid options"),
    );
    machine.begin_create().expect("create");
    machine
        .session_created(
            SessionInfo {
                session_id: "fcsess_restored".into(),
                livemode: false,
                stripe_account: None,
                report_token: Some(ReportToken(TOKEN.into())),
            },
            SheetCredentials {
                client_secret: finconn_core::secret::Secret::new("fcsess_restored_secret_x"),
                publishable_key: finconn_core::secret::Secret::new("pk_test_x"),
            },
        )
        .expect("created");
    let snapshot = machine.snapshot();
    let echo = format!("the backend says {TOKEN}");
    assert_eq!(scrub(&echo), echo, "not known before the restore");
    FlowMachine::restore(&snapshot).expect("restore");
    assert_eq!(scrub(&echo), format!("the backend says {REDACTED}"));
}
