//! No client secret and no publishable key anywhere they must not be: whole flows (a success, a
//! relink, a fault-heavy one through the Stripe fallback, a kill and restore) run with every log
//! line captured at TRACE (the `tracing` events of the core and the simulator, and the `log`
//! records of reqwest through the `tracing-log` bridge), and the secrets the simulator handed out
//! must appear in no log line, no `Debug`/`Display` of the public types (client, flow, sheet
//! configuration, results, errors, events), no snapshot, no outbox file and no request the
//! merchant backend received. Only Stripe's own fallback endpoints may receive the client secret
//! (as Stripe's API requires) — the test checks that they did, which proves it knew the secret.
//!
//! The subscriber is global for this test binary (the runtimes' worker threads log too); every
//! test checks the whole capture, which includes its own lines.

mod support;

use std::path::PathBuf;

use finconn_client::flow::{Flow, FlowClient, SheetConfiguration};
use finconn_core::error::FinConnError;
use finconn_core::options::RelinkRequest;
use finconn_core::reconcile::{FlowStatus, RelinkOutcome};
use finconn_testkit::{Endpoint, Fault, Institution, SimulatorConfig};
use std::sync::Arc;
use support::*;

/// The secrets of a test and everything they were checked against.
struct Secrets {
    needles: Vec<(String, &'static str)>,
    checked: usize,
}

impl Secrets {
    fn new(env: &Env) -> Secrets {
        // The simulator's own Stripe secret key never leaves it either.
        let mut s = Secrets {
            needles: Vec::new(),
            checked: 0,
        };
        s.add(env.sim.secret_key(), "the Stripe secret key");
        s
    }

    fn add(&mut self, value: &str, what: &'static str) {
        assert!(
            value.len() >= 12,
            "{what} looks wrong: too short to be a real secret"
        );
        if !self.needles.iter().any(|(v, _)| v == value) {
            self.needles.push((value.to_owned(), what));
        }
    }

    /// The client secret and publishable key of a started flow.
    fn add_sheet(&mut self, sheet: &SheetConfiguration) {
        let cs = sheet.client_secret.expose();
        assert!(
            cs.starts_with(&format!("{}_secret_", sheet.session_id)),
            "not a client secret"
        );
        self.add(cs, "a client secret");
        let pk = sheet.publishable_key.expose();
        assert!(pk.starts_with("pk_"), "not a publishable key");
        self.add(pk, "the publishable key");
    }

    fn check(&mut self, place: &str, text: &str) {
        self.checked += 1;
        for (needle, what) in &self.needles {
            assert!(
                !text.contains(needle.as_str()),
                "{what} found in {place}:\n{text}"
            );
        }
    }

    fn check_debug(&mut self, place: &str, value: &impl std::fmt::Debug) {
        let text = format!("{value:?} {value:#?}");
        self.check(place, &text);
    }

    fn check_error(&mut self, place: &str, e: &FinConnError) {
        self.check_debug(place, e);
        self.check(place, &e.to_string());
    }

    /// A flow's `Debug` and its snapshot.
    fn check_flow(&mut self, place: &str, flow: &Flow) {
        self.check_debug(place, flow);
        let snapshot = flow.snapshot();
        assert!(snapshot.contains("\"version\""), "a real snapshot");
        self.check(&format!("{place} snapshot ({})", flow.phase()), &snapshot);
    }

    /// Every file under the outbox directory (pending, temporary or quarantined); returns how
    /// many were read.
    fn check_outbox(&mut self, env: &Env) -> usize {
        let files: Vec<PathBuf> = env.outbox_files();
        for f in &files {
            let bytes = std::fs::read(f).expect("readable outbox file");
            self.check(
                &format!("outbox file {}", f.display()),
                &String::from_utf8_lossy(&bytes),
            );
        }
        files.len()
    }

    /// Every request the merchant backend received. Stripe's fallback endpoints are Stripe's
    /// API: the client secret must be there (it is how the SDKs read a session), never the
    /// secret key. Returns how many fallback requests carried a client secret.
    fn check_requests(&mut self, env: &Env) -> usize {
        let mut stripe_with_secret = 0;
        let mut backend_requests = 0;
        for endpoint in Endpoint::ALL {
            for r in env.sim.recorded_requests(endpoint) {
                let place = format!("a {endpoint} request ({} {})", r.method, r.path);
                let fallback = matches!(
                    endpoint,
                    Endpoint::StripeSessionReceipt | Endpoint::StripeListAccounts
                );
                if fallback {
                    if self
                        .needles
                        .iter()
                        .any(|(n, w)| *w == "a client secret" && r.contains(n))
                    {
                        stripe_with_secret += 1;
                    }
                    assert!(!r.contains(env.sim.secret_key()), "secret key in {place}");
                } else {
                    backend_requests += 1;
                    self.checked += 1;
                    for (needle, what) in &self.needles {
                        assert!(!r.contains(needle), "{what} found in {place}: {r:?}");
                    }
                }
            }
        }
        assert!(backend_requests > 0, "the backend received requests");
        stripe_with_secret
    }

    /// The whole log capture, after proving it holds what a flow logs.
    fn check_logs(&mut self, expected: &[&str]) {
        let text = logs().text();
        assert!(
            !text.is_empty(),
            "nothing was logged: the capture is broken"
        );
        for line in expected {
            assert!(
                text.contains(line),
                "expected {line:?} in the captured logs"
            );
        }
        for (i, line) in text.lines().enumerate() {
            self.check(&format!("log line {i}"), line);
        }
    }
}

/// Lines every complete flow logs: the core's phase changes and deep-link check, the
/// simulator's request line, and reqwest's `log` record (proves the `log` bridge is on).
const FLOW_LINES: [&str; 4] = [
    "flow phase changed",
    "deep link checked",
    "finconn-testkit request",
    "starting new connection",
];

fn check_client(s: &mut Secrets, place: &str, client: &FlowClient) {
    s.check_debug(place, client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_flow_leaks_nothing() {
    logs();
    let env = Env::start().await;
    let mut s = Secrets::new(&env);
    let client = env.client(&Opts::default().fallback());
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let flow = client.new_flow(options()).unwrap();
    s.check_flow("idle flow", &flow);
    let sheet = flow.start().await.expect("start");
    s.add_sheet(&sheet);
    assert_eq!(sheet.publishable_key.expose(), env.sim.publishable_key());
    s.check_debug("SheetConfiguration", &sheet);
    s.check_flow("ready flow", &flow);
    flow.sheet_presented().unwrap();
    flow.user_left_app().unwrap();
    s.check_flow("flow awaiting return", &flow);
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    let handling = flow.handle_url(done.redirect_url.as_deref().unwrap());
    s.check_debug("UrlHandling", &handling);
    s.check_flow("presenting flow", &flow);
    let result = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("result");
    assert_eq!(result.status, FlowStatus::Completed);
    s.check_debug("FlowResult", &result);
    s.check_flow("completed flow", &flow);
    check_client(&mut s, "FlowClient", &client);
    let accounts = client.list_accounts().await.unwrap();
    s.check_debug("accounts", &accounts);
    s.check_debug("events", &events.events());
    assert!(events.events().len() >= 6);
    s.check_outbox(&env);
    s.check_requests(&env);
    s.check_logs(&FLOW_LINES);
    assert!(s.checked > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relink_leaks_nothing() {
    logs();
    let env = Env::start().await;
    let mut s = Secrets::new(&env);
    let client = env.client(&Opts::default());
    let (flow, _done, first) = run_flow(&env, &client, Institution::InactiveNeedsRelink).await;
    let first = first.expect("first link");
    s.check_flow("first flow", &flow);
    let broken = first
        .accounts
        .iter()
        .find(|a| a.needs_relink_now())
        .expect("an account to relink");
    let mut o = options();
    o.relink = Some(RelinkRequest {
        authorization: broken.authorization.clone().expect("authorization"),
        account: Some(broken.id.clone()),
        known_account_ids: first.accounts.iter().map(|a| a.id.clone()).collect(),
    });
    let relink = client.new_flow(o).unwrap();
    let sheet = open_sheet(&relink).await;
    s.add_sheet(&sheet);
    s.check_debug("relink SheetConfiguration", &sheet);
    s.check_flow("relink flow", &relink);
    let done = env.sheet(&sheet.session_id, Institution::RelinkSame);
    come_back(&relink, &done);
    let result = relink
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("relink result");
    assert!(
        matches!(result.relink, Some(RelinkOutcome::Relinked { .. })),
        "{result:?}"
    );
    s.check_debug("relink FlowResult", &result);
    s.check_flow("relinked flow", &relink);
    s.check_outbox(&env);
    s.check_requests(&env);
    s.check_logs(&FLOW_LINES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_heavy_flow_leaks_nothing() {
    logs();
    let env = Env::with_config(SimulatorConfig {
        page_size: 1,
        ..SimulatorConfig::default()
    })
    .await;
    let mut s = Secrets::new(&env);
    let opts = Opts::default().attempts(5).fallback();
    let client = env.client(&opts);
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let faults = env.sim.faults();
    faults.push(Endpoint::CreateSession, Fault::ConnectionReset);
    faults.push(Endpoint::CreateSession, Fault::Status(503));
    faults.push(Endpoint::CreateSession, Fault::ResetAfterCommit);
    faults.push(
        Endpoint::CreateSession,
        Fault::after_commit(Fault::MalformedJson),
    );
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    s.add_sheet(&sheet);
    s.check_flow("flow after a flaky create", &flow);
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);

    // The backend cannot complete; the Stripe fallback (which carries the client secret) is
    // flaky too, and its errors are logged.
    faults.push_n(Endpoint::Complete, Fault::Status(503), 5);
    faults.push(Endpoint::StripeSessionReceipt, Fault::ConnectionReset);
    faults.push(Endpoint::StripeSessionReceipt, Fault::Status(500));
    faults.push(Endpoint::StripeSessionReceipt, Fault::MalformedJson);
    faults.push(
        Endpoint::StripeListAccounts,
        Fault::TooManyRequests {
            retry_after_secs: 0,
        },
    );
    faults.push(Endpoint::StripeListAccounts, Fault::ConnectionReset);
    let result = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("result through Stripe");
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result.accounts.len(), 3);
    s.check_debug("FlowResult", &result);
    s.check_flow("flow completed through the fallback", &flow);
    assert_eq!(s.check_outbox(&env), 1, "the pending report was read");

    // Errors that went through Stripe's URL (which holds the client secret) keep it out of their
    // messages: reset, timeout, unreadable body, Stripe's own error answer.
    let one_try = env.backend(&Opts::default().attempts(1));
    for fault in [
        Fault::ConnectionReset,
        Fault::NeverFinishingBody,
        Fault::MalformedJson,
        Fault::Status(401),
    ] {
        faults.push(Endpoint::StripeSessionReceipt, fault.clone());
        let e = one_try
            .stripe_session_receipt(&sheet.client_secret, &sheet.publishable_key, None)
            .await
            .expect_err("faulted");
        s.check_debug(&format!("BackendError after {fault:?}"), &e);
        s.check(
            &format!("BackendError text after {fault:?}"),
            &e.to_string(),
        );
        s.check_error(
            &format!("FinConnError after {fault:?}"),
            &FinConnError::from(e),
        );
    }
    s.check_debug("BackendClient", &one_try);

    // A typed error of the flow API.
    let other = client.new_flow(options()).unwrap();
    faults.push(Endpoint::CreateSession, Fault::Status(401));
    let e = other.start().await.expect_err("401");
    s.check_error("Unauthorized", &e);
    let other_sheet = other.start().await.expect("start again");
    s.add_sheet(&other_sheet);

    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!(summary.delivered, 1);
    s.check_debug("OutboxSummary", &summary);
    faults.push(Endpoint::ListAccounts, Fault::ResetAfterCommit);
    s.check_debug("accounts", &client.list_accounts().await.unwrap());
    faults.push(Endpoint::Disconnect, Fault::Status(502));
    s.check_debug(
        "disconnected",
        &client
            .disconnect_account(&done.account_ids[0])
            .await
            .unwrap(),
    );
    s.check_debug("events", &events.events());
    check_client(&mut s, "FlowClient", &client);
    s.check_outbox(&env);
    let with_secret = s.check_requests(&env);
    assert!(
        with_secret >= 3,
        "Stripe's fallback endpoints received the client secret ({with_secret})"
    );
    s.check_logs(&[
        FLOW_LINES[0],
        FLOW_LINES[2],
        FLOW_LINES[3],
        "retrying backend call",
        "backend call failed",
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_and_restored_flow_leaks_nothing() {
    logs();
    let env = Env::start().await;
    let mut s = Secrets::new(&env);
    let client = env.client(&Opts::default().attempts(1).fallback());
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    s.add_sheet(&sheet);
    let snapshot = flow.snapshot();
    s.check("snapshot at the kill", &snapshot);
    drop(flow);
    drop(client);
    let done = env.sheet(&sheet.session_id, Institution::SuccessOne);

    // Relaunch; the backend drops the answer once: the report is written and kept, then sent.
    let client = env.client(&Opts::default().attempts(1).fallback());
    let flow = client.restore_flow(&snapshot).expect("restore");
    s.check_flow("restored flow", &flow);
    come_back(&flow, &done);
    env.sim
        .faults()
        .push(Endpoint::Complete, Fault::ResetAfterCommit);
    let e = flow.resume().await.expect_err("answer lost");
    s.check_error("resume error", &e);
    s.check_flow("restored flow waiting", &flow);
    assert_eq!(s.check_outbox(&env), 1, "the queued report was read");
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!(summary.delivered, 1);
    let result = flow.resume().await.expect("resume");
    assert_eq!(result.status, FlowStatus::Completed);
    s.check_debug("restored FlowResult", &result);
    s.check_flow("restored flow completed", &flow);
    s.check_outbox(&env);
    s.check_requests(&env);
    s.check_logs(&[FLOW_LINES[0], FLOW_LINES[1], FLOW_LINES[2]]);
}
