//! The fault matrix of the networked flow: every backend endpoint the core calls (create session,
//! complete, list accounts, disconnect, and Stripe's `session_receipt` / `list_accounts` used as
//! the fallback) × every fault kind the simulator injects (slow, 5xx, 4xx, 429, reset, truncated
//! body, never-finishing body, faults after the server committed). Each cell must end in a clean
//! retry or in the documented typed [`FinConnError`], and never in a second session or a lost report.
//!
//! Also: the same fault past `max_attempts` (typed error, still no duplicate, the report still
//! deliverable), a `Retry-After` longer than allowed (no wait), one `Idempotency-Key` across all
//! attempts, and host headers read again on every attempt.
//!
//! Cases of one table run concurrently, each on its own simulator and data directory; failures
//! are collected and reported together.

mod support;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::reconcile::{FlowStatus, ResultSource, ResultWarning};
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution, SimulatorConfig};
use support::*;

/// A fault kind of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DelayBeyond,
    DelayWithin,
    Status(u16),
    TooManyRequests,
    Reset,
    MalformedJson,
    NeverFinishingBody,
    ResetAfterCommit,
    AfterCommitMalformed,
}

const KINDS: [Kind; 15] = [
    Kind::DelayBeyond,
    Kind::DelayWithin,
    Kind::Status(500),
    Kind::Status(502),
    Kind::Status(503),
    Kind::Status(400),
    Kind::Status(401),
    Kind::Status(403),
    Kind::Status(404),
    Kind::TooManyRequests,
    Kind::Reset,
    Kind::MalformedJson,
    Kind::NeverFinishingBody,
    Kind::ResetAfterCommit,
    Kind::AfterCommitMalformed,
];

impl Kind {
    fn fault(self) -> Fault {
        match self {
            Kind::DelayBeyond => Fault::Delay(DELAY_BEYOND),
            Kind::DelayWithin => Fault::Delay(DELAY_WITHIN),
            Kind::Status(s) => Fault::Status(s),
            Kind::TooManyRequests => Fault::TooManyRequests {
                retry_after_secs: 1,
            },
            Kind::Reset => Fault::ConnectionReset,
            Kind::MalformedJson => Fault::MalformedJson,
            Kind::NeverFinishingBody => Fault::NeverFinishingBody,
            Kind::ResetAfterCommit => Fault::ResetAfterCommit,
            Kind::AfterCommitMalformed => Fault::after_commit(Fault::MalformedJson),
        }
    }

    /// One such fault, with attempts to spare: `None` = a clean retry, else the typed error.
    fn expect(self) -> Option<Typed> {
        match self {
            Kind::Status(s @ (401 | 403)) => Some(Typed::Unauthorized(i32::from(s))),
            Kind::Status(s @ (400 | 404)) => Some(Typed::Rejected(i32::from(s))),
            _ => None,
        }
    }

    /// Requests a clean call takes with this fault queued once.
    fn attempts(self) -> usize {
        match self {
            Kind::DelayWithin => 1,
            _ if self.expect().is_some() => 1,
            _ => 2,
        }
    }

    /// The least time a clean call takes (`Retry-After: 1` is honoured).
    fn min_elapsed(self) -> Duration {
        match self {
            Kind::TooManyRequests => Duration::from_millis(950),
            Kind::DelayWithin => DELAY_WITHIN,
            _ => Duration::ZERO,
        }
    }
}

/// The documented typed errors, by variant and the fields that matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typed {
    Offline,
    Timeout,
    Unavailable {
        status: i32,
        retry_after_ms: Option<i64>,
    },
    Unauthorized(i32),
    Rejected(i32),
    Other,
}

impl Typed {
    fn check(self, e: &FinConnError) {
        let ok = match (self, e) {
            (Typed::Offline, FinConnError::Offline { .. })
            | (Typed::Timeout, FinConnError::Timeout { .. }) => true,
            (
                Typed::Unavailable {
                    status,
                    retry_after_ms,
                },
                FinConnError::ServiceUnavailable {
                    status: s,
                    retry_after_ms: r,
                    ..
                },
            ) => *s == Some(status) && *r == retry_after_ms,
            (Typed::Unauthorized(s), FinConnError::Unauthorized { status, .. }) => *status == s,
            (Typed::Rejected(s), FinConnError::Rejected { status, .. }) => *status == s,
            (Typed::Other, FinConnError::Other { .. }) => true,
            _ => false,
        };
        assert!(ok, "expected {self:?}, got {e:?}");
    }
}

/// Runs every case concurrently and fails with the list of failed cases.
async fn table<C, F>(name: &str, cases: Vec<C>, run: impl Fn(C) -> F)
where
    C: std::fmt::Debug + Clone,
    F: Future<Output = ()> + Send + 'static,
{
    let total = cases.len();
    let handles: Vec<_> = cases
        .into_iter()
        .map(|c| (c.clone(), tokio::spawn(run(c))))
        .collect();
    let mut failures = Vec::new();
    for (case, handle) in handles {
        if let Err(e) = handle.await {
            failures.push(format!("  {name} × {case:?}: {}", panic_message(e)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Waits until the server finished the work of a request the client gave up on (a `Delay` past
/// the timeout), so counters include it.
async fn settle(started: Instant) {
    tokio::time::sleep_until((started + DELAY_BEYOND + Duration::from_millis(250)).into()).await;
}

/// The rest of a flow after `start`: the sheet links three accounts, the result comes back
/// completed with what the backend has, and exactly one report reached the backend.
async fn finish_flow(env: &Env, flow: &finconn_client::flow::Flow, session_id: &str) {
    flow.sheet_presented().expect("present");
    let done = env.sheet(session_id, Institution::SuccessThree);
    come_back(flow, &done);
    let result = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("result");
    assert_completed(env, &result, &done);
    assert_eq!(env.sim.reports_received(session_id), 1, "reports");
    assert!(
        env.outbox_reports().is_empty(),
        "outbox: {:?}",
        env.outbox_files()
    );
}

fn assert_completed(
    env: &Env,
    result: &finconn_core::reconcile::FlowResult,
    done: &finconn_testkit::SheetCompletion,
) {
    assert_eq!(result.status, FlowStatus::Completed, "{result:?}");
    assert_eq!(result.source, ResultSource::Server, "{result:?}");
    assert_eq!(result_ids(result), sheet_ids(done));
    assert_eq!(result.session_id.as_deref(), Some(done.session_id.as_str()));
    // The backend may learn of the accounts through a later pending report; when it has them,
    // they are the same.
    let backend = env.backend_account_ids();
    assert!(
        backend.is_empty() || backend == sheet_ids(done),
        "backend {backend:?} vs sheet {:?}",
        done.account_ids
    );
}

// ---- create session ------------------------------------------------------------------------

async fn create_case(kind: Kind) {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let flow = client.new_flow(options()).unwrap();
    let key = idempotency_key(&flow);
    env.sim.faults().push(Endpoint::CreateSession, kind.fault());
    let started = Instant::now();
    let r = flow.start().await;
    let elapsed = started.elapsed();
    match kind.expect() {
        None => {
            let sheet = r.unwrap_or_else(|e| panic!("expected a clean retry, got {e:?}"));
            assert!(elapsed >= kind.min_elapsed(), "{elapsed:?}");
            assert_eq!(flow.phase(), FlowPhase::Ready);
            assert_eq!(env.sim.requests(Endpoint::CreateSession), kind.attempts());
            settle(started).await;
            assert_eq!(env.sim.sessions_created(), 1, "sessions");
            finish_flow(&env, &flow, &sheet.session_id).await;
        }
        Some(t @ Typed::Unauthorized(_)) => {
            t.check(&r.unwrap_err());
            // The host refreshes its auth and calls `start` again: same key, one session.
            assert_eq!(flow.phase(), FlowPhase::CreatingSession);
            assert_eq!(env.sim.sessions_created(), 0);
            let sheet = flow.start().await.expect("start again");
            assert_eq!(env.sim.requests(Endpoint::CreateSession), 2);
            assert_eq!(env.sim.sessions_created(), 1);
            finish_flow(&env, &flow, &sheet.session_id).await;
        }
        Some(t) => {
            t.check(&r.unwrap_err());
            assert_eq!(flow.phase(), FlowPhase::Failed);
            assert_eq!(env.sim.requests(Endpoint::CreateSession), 1, "not retried");
            assert!(matches!(
                flow.start().await,
                Err(FinConnError::InvalidState { .. })
            ));
            assert_eq!(env.sim.sessions_created(), 0);
        }
    }
    let keys = env.idempotency_keys(Endpoint::CreateSession);
    assert!(keys.iter().all(|k| *k == key), "keys {keys:?} vs {key}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_create_session() {
    table("CreateSession", KINDS.to_vec(), create_case).await;
}

// ---- complete ------------------------------------------------------------------------------

async fn complete_case(kind: Kind) {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let flow = client.new_flow(options()).unwrap();
    let report_id = format!("{}-complete", idempotency_key(&flow));
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    env.sim.faults().push(Endpoint::Complete, kind.fault());
    let started = Instant::now();
    let r = flow.sheet_result(sheet_outcome(&done)).await;
    let elapsed = started.elapsed();
    let sid = sheet.session_id.as_str();
    match kind.expect() {
        None => {
            let result = r.unwrap_or_else(|e| panic!("expected a clean retry, got {e:?}"));
            assert!(elapsed >= kind.min_elapsed(), "{elapsed:?}");
            assert_completed(&env, &result, &done);
            assert_eq!(env.sim.complete_requests(sid), kind.attempts());
            settle(started).await;
            assert_eq!(env.sim.reports_received(sid), 1, "reports");
            assert_eq!(env.backend_account_ids(), sheet_ids(&done));
            assert!(env.outbox_reports().is_empty());
        }
        Some(t @ Typed::Unauthorized(_)) => {
            // Maybe an expired user token: the report stays queued and the flow in Reconciling.
            t.check(&r.unwrap_err());
            assert_eq!(flow.phase(), FlowPhase::Reconciling);
            assert_eq!(env.outbox_reports().len(), 1);
            assert_eq!(env.sim.reports_received(sid), 0);
            let summary = client.send_pending_reports().await.unwrap();
            assert_eq!(
                (summary.delivered, summary.remaining, summary.dropped),
                (1, 0, 0)
            );
            assert_eq!(env.sim.reports_received(sid), 1);
            let result = flow.resume().await.expect("resume");
            assert_completed(&env, &result, &done);
            assert_eq!(
                env.sim.reports_received(sid),
                1,
                "the resumed report is the same report"
            );
        }
        Some(t) => {
            // 400/404: the backend refuses the report for good (`docs/backend-contract.md`: 404 =
            // unknown session). It is dropped with an event, not retried forever, and with no
            // fallback the flow ends failed with nothing to show.
            let result = r.expect("a refused report still ends the flow");
            assert_eq!(result.status, FlowStatus::Failed, "{result:?}");
            assert!(result.warnings.contains(&ResultWarning::ServerUnavailable));
            let dropped = events.events().into_iter().find_map(|e| match e {
                FlowEvent::ReportDropped {
                    report_id, reason, ..
                } => Some((report_id, reason)),
                _ => None,
            });
            let (dropped_id, reason) = dropped.expect("a ReportDropped event");
            assert_eq!(dropped_id, report_id);
            let Typed::Rejected(status) = t else {
                unreachable!()
            };
            assert!(reason.contains(&format!("HTTP {status}")), "{reason}");
            assert!(env.outbox_reports().is_empty());
            assert_eq!(env.sim.complete_requests(sid), 1, "not retried");
        }
    }
    let keys = env.idempotency_keys(Endpoint::Complete);
    assert!(
        keys.iter().all(|k| *k == report_id),
        "keys {keys:?} vs {report_id}"
    );
    assert_eq!(env.sim.sessions_created(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_complete() {
    table("Complete", KINDS.to_vec(), complete_case).await;
}

// ---- list accounts -------------------------------------------------------------------------

async fn list_case(kind: Kind) {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let (_flow, done, r) = run_flow(&env, &client, Institution::SuccessThree).await;
    r.expect("flow");
    // The flow itself listed the accounts once (duplicate check): count from here.
    let before = env.sim.requests(Endpoint::ListAccounts);
    env.sim.faults().push(Endpoint::ListAccounts, kind.fault());
    let started = Instant::now();
    let r = client.list_accounts().await;
    match kind.expect() {
        None => {
            let accounts = r.unwrap_or_else(|e| panic!("expected a clean retry, got {e:?}"));
            assert!(started.elapsed() >= kind.min_elapsed());
            let mut ids: Vec<String> = accounts.iter().map(|a| a.id.clone()).collect();
            ids.sort();
            assert_eq!(ids, sheet_ids(&done));
            assert_eq!(ids, env.backend_account_ids());
            assert_eq!(
                env.sim.requests(Endpoint::ListAccounts) - before,
                kind.attempts()
            );
        }
        Some(t) => {
            t.check(&r.unwrap_err());
            assert_eq!(
                env.sim.requests(Endpoint::ListAccounts) - before,
                1,
                "not retried"
            );
            assert_eq!(client.list_accounts().await.expect("again").len(), 3);
        }
    }
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&done.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_list_accounts() {
    table("ListAccounts", KINDS.to_vec(), list_case).await;
}

// ---- disconnect ----------------------------------------------------------------------------

fn backend_status(env: &Env, account_id: &str) -> String {
    env.sim
        .user_accounts(USER_TOKEN)
        .iter()
        .find(|a| a["id"] == account_id)
        .and_then(|a| a["status"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn disconnect_case(kind: Kind) {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let (_flow, done, r) = run_flow(&env, &client, Institution::SuccessThree).await;
    r.expect("flow");
    let id = done.account_ids[0].clone();
    env.sim.faults().push(Endpoint::Disconnect, kind.fault());
    let started = Instant::now();
    let r = client.disconnect_account(&id).await;
    match kind.expect() {
        None => {
            let account = r.unwrap_or_else(|e| panic!("expected a clean retry, got {e:?}"));
            assert!(started.elapsed() >= kind.min_elapsed());
            assert_eq!(account.id, id);
            assert_eq!(account.status.as_str(), "disconnected");
            assert_eq!(env.sim.requests(Endpoint::Disconnect), kind.attempts());
            let keys = env.idempotency_keys(Endpoint::Disconnect);
            assert!(
                keys.windows(2).all(|w| w[0] == w[1]) && keys[0].starts_with("fcidem_"),
                "{keys:?}"
            );
            settle(started).await;
        }
        Some(t) => {
            t.check(&r.unwrap_err());
            assert_eq!(env.sim.requests(Endpoint::Disconnect), 1, "not retried");
            assert_eq!(backend_status(&env, &id), "active");
            let account = client.disconnect_account(&id).await.expect("again");
            assert_eq!(account.status.as_str(), "disconnected");
        }
    }
    assert_eq!(backend_status(&env, &id), "disconnected");
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&done.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_disconnect() {
    table("Disconnect", KINDS.to_vec(), disconnect_case).await;
}

// ---- Stripe fallback -----------------------------------------------------------------------

/// One account per page, so the fallback reads `session_receipt` and then pages
/// `list_accounts` twice for the three accounts of `SuccessThree`.
fn paging_config() -> SimulatorConfig {
    SimulatorConfig {
        page_size: 1,
        ..SimulatorConfig::default()
    }
}

/// Requests a healthy fallback makes to each Stripe endpoint.
fn stripe_requests(endpoint: Endpoint) -> usize {
    match endpoint {
        Endpoint::StripeSessionReceipt => 1,
        _ => 2,
    }
}

async fn stripe_case(endpoint: Endpoint, kind: Kind) {
    let env = Env::with_config(paging_config()).await;
    let opts = Opts::default().fallback();
    let client = env.client(&opts);
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    let sid = sheet.session_id.as_str();

    if let Some(t) = kind.expect() {
        // The endpoint's own typed error, straight from the backend client. (The flow only logs
        // a failed fallback and returns the backend's error, below.)
        let backend = env.backend(&opts);
        env.sim.faults().push(endpoint, kind.fault());
        let e = backend
            .stripe_session_receipt(
                &sheet.client_secret,
                &sheet.publishable_key,
                sheet.stripe_account.as_deref(),
            )
            .await
            .expect_err("a non-retryable Stripe status");
        t.check(&FinConnError::from(e));
    }

    // The backend cannot answer `complete` at all; the flow asks Stripe, which has this fault.
    let before = env.sim.requests(endpoint);
    env.sim.faults().push_n(
        Endpoint::Complete,
        Fault::Status(503),
        opts.max_attempts as usize,
    );
    env.sim.faults().push(endpoint, kind.fault());
    let started = Instant::now();
    let r = flow.sheet_result(sheet_outcome(&done)).await;
    assert_eq!(env.sim.complete_requests(sid), opts.max_attempts as usize);
    assert_eq!(env.sim.reports_received(sid), 0);
    assert_eq!(env.outbox_reports().len(), 1, "the report stays queued");
    match kind.expect() {
        None => {
            let result =
                r.unwrap_or_else(|e| panic!("expected the fallback to succeed, got {e:?}"));
            assert!(started.elapsed() >= kind.min_elapsed());
            assert_completed(&env, &result, &done);
            let extra = kind.attempts() - 1;
            assert_eq!(
                env.sim.requests(endpoint) - before,
                stripe_requests(endpoint) + extra
            );
        }
        Some(_) => {
            // Fallback failed too: the backend's own (retryable) error, the flow waits.
            Typed::Unavailable {
                status: 503,
                retry_after_ms: None,
            }
            .check(&r.unwrap_err());
            assert_eq!(flow.phase(), FlowPhase::Reconciling);
        }
    }
    // At the next launch the queued report goes out: exactly one at the backend.
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!((summary.delivered, summary.remaining), (1, 0));
    assert_eq!(env.sim.reports_received(sid), 1);
    assert_eq!(env.backend_account_ids(), sheet_ids(&done));
    if kind.expect().is_some() {
        let result = flow.resume().await.expect("resume");
        assert_completed(&env, &result, &done);
        assert_eq!(env.sim.reports_received(sid), 1);
    }
    assert_eq!(env.sim.sessions_created(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_stripe_session_receipt() {
    table("StripeSessionReceipt", KINDS.to_vec(), |k| {
        stripe_case(Endpoint::StripeSessionReceipt, k)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_on_stripe_list_accounts() {
    table("StripeListAccounts", KINDS.to_vec(), |k| {
        stripe_case(Endpoint::StripeListAccounts, k)
    })
    .await;
}

// ---- faults past max_attempts --------------------------------------------------------------

const ATTEMPTS: u32 = 2;

/// Faults that are retried, each pushed `ATTEMPTS` times, and the typed error that results.
fn exhausting() -> Vec<(Fault, Typed)> {
    vec![
        (
            Fault::Status(503),
            Typed::Unavailable {
                status: 503,
                retry_after_ms: None,
            },
        ),
        (
            Fault::TooManyRequests {
                retry_after_secs: 0,
            },
            Typed::Unavailable {
                status: 429,
                retry_after_ms: Some(0),
            },
        ),
        (Fault::ConnectionReset, Typed::Offline),
        (Fault::MalformedJson, Typed::Other),
        (Fault::NeverFinishingBody, Typed::Timeout),
        (Fault::Delay(DELAY_BEYOND), Typed::Timeout),
        (Fault::ResetAfterCommit, Typed::Offline),
        (Fault::after_commit(Fault::MalformedJson), Typed::Other),
    ]
}

fn commits(fault: &Fault) -> bool {
    matches!(
        fault,
        Fault::ResetAfterCommit | Fault::AfterCommit(_) | Fault::Delay(_)
    )
}

async fn exhausted_create((fault, typed): (Fault, Typed)) {
    let env = Env::start().await;
    let client = env.client(&Opts::default().attempts(ATTEMPTS));
    let flow = client.new_flow(options()).unwrap();
    let key = idempotency_key(&flow);
    env.sim
        .faults()
        .push_n(Endpoint::CreateSession, fault.clone(), ATTEMPTS as usize);
    let started = Instant::now();
    typed.check(&flow.start().await.expect_err("exhausted"));
    assert_eq!(env.sim.requests(Endpoint::CreateSession), ATTEMPTS as usize);
    settle(started).await;
    let committed = usize::from(commits(&fault));
    assert_eq!(env.sim.sessions_created(), committed, "never two sessions");
    // Whatever the failure (even an unreadable answer), the flow waits in CreatingSession and
    // `start` again reuses the key: the session the backend may have committed comes back.
    assert_eq!(flow.phase(), FlowPhase::CreatingSession);
    let sheet = flow.start().await.expect("start again: same key");
    assert_eq!(
        env.sim.sessions_created(),
        1,
        "the committed session is returned again"
    );
    finish_flow(&env, &flow, &sheet.session_id).await;
    let keys = env.idempotency_keys(Endpoint::CreateSession);
    assert!(keys.iter().all(|k| *k == key), "{keys:?}");
}

async fn exhausted_complete((fault, typed): (Fault, Typed)) {
    let env = Env::start().await;
    let client = env.client(&Opts::default().attempts(ATTEMPTS));
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    let sid = sheet.session_id.as_str();
    env.sim
        .faults()
        .push_n(Endpoint::Complete, fault.clone(), ATTEMPTS as usize);
    let started = Instant::now();
    typed.check(
        &flow
            .sheet_result(sheet_outcome(&done))
            .await
            .expect_err("exhausted"),
    );
    assert_eq!(env.sim.complete_requests(sid), ATTEMPTS as usize);
    // Whatever the error, the backend may have the report or not: the flow must wait for it, with
    // the report queued.
    assert_eq!(flow.phase(), FlowPhase::Reconciling);
    assert_eq!(env.outbox_reports().len(), 1);
    settle(started).await;
    assert_eq!(env.sim.reports_received(sid), usize::from(commits(&fault)));
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!(summary.delivered, 1);
    assert_eq!(env.sim.reports_received(sid), 1);
    let result = flow.resume().await.expect("resume");
    assert_completed(&env, &result, &done);
    assert_eq!(env.sim.reports_received(sid), 1);
    assert!(env.outbox_reports().is_empty());
}

async fn exhausted_list((fault, typed): (Fault, Typed)) {
    let env = Env::start().await;
    let client = env.client(&Opts::default().attempts(ATTEMPTS));
    let (_flow, _done, r) = run_flow(&env, &client, Institution::SuccessOne).await;
    r.expect("flow");
    let before = env.sim.requests(Endpoint::ListAccounts);
    env.sim
        .faults()
        .push_n(Endpoint::ListAccounts, fault, ATTEMPTS as usize);
    typed.check(&client.list_accounts().await.expect_err("exhausted"));
    assert_eq!(
        env.sim.requests(Endpoint::ListAccounts) - before,
        ATTEMPTS as usize
    );
    assert_eq!(
        client.list_accounts().await.expect("healthy again").len(),
        1
    );
}

async fn exhausted_disconnect((fault, typed): (Fault, Typed)) {
    let env = Env::start().await;
    let client = env.client(&Opts::default().attempts(ATTEMPTS));
    let (_flow, done, r) = run_flow(&env, &client, Institution::SuccessOne).await;
    r.expect("flow");
    let id = &done.account_ids[0];
    env.sim
        .faults()
        .push_n(Endpoint::Disconnect, fault.clone(), ATTEMPTS as usize);
    let started = Instant::now();
    typed.check(&client.disconnect_account(id).await.expect_err("exhausted"));
    assert_eq!(env.sim.requests(Endpoint::Disconnect), ATTEMPTS as usize);
    let keys = env.idempotency_keys(Endpoint::Disconnect);
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
    settle(started).await;
    let expected = if commits(&fault) {
        "disconnected"
    } else {
        "active"
    };
    assert_eq!(backend_status(&env, id), expected);
    let account = client.disconnect_account(id).await.expect("healthy again");
    assert_eq!(account.status.as_str(), "disconnected");
}

async fn exhausted_stripe(endpoint: Endpoint, (fault, typed): (Fault, Typed)) {
    let env = Env::with_config(paging_config()).await;
    let opts = Opts::default().attempts(ATTEMPTS).fallback();
    let client = env.client(&opts);
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let _done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    let backend = env.backend(&opts);
    env.sim.faults().push_n(endpoint, fault, ATTEMPTS as usize);
    let e = backend
        .stripe_session_receipt(&sheet.client_secret, &sheet.publishable_key, None)
        .await
        .expect_err("exhausted");
    typed.check(&FinConnError::from(e));
    // For `list_accounts` the receipt itself went through first.
    assert_eq!(env.sim.requests(endpoint), ATTEMPTS as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_past_max_attempts_on_create_and_complete() {
    table("CreateSession (exhausted)", exhausting(), exhausted_create).await;
    table("Complete (exhausted)", exhausting(), exhausted_complete).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_past_max_attempts_on_accounts_and_stripe() {
    table("ListAccounts (exhausted)", exhausting(), exhausted_list).await;
    table("Disconnect (exhausted)", exhausting(), exhausted_disconnect).await;
    table("StripeSessionReceipt (exhausted)", exhausting(), |c| {
        exhausted_stripe(Endpoint::StripeSessionReceipt, c)
    })
    .await;
    table("StripeListAccounts (exhausted)", exhausting(), |c| {
        exhausted_stripe(Endpoint::StripeListAccounts, c)
    })
    .await;
}

// ---- Retry-After, idempotency keys, host headers -------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_beyond_the_limit_fails_without_waiting() {
    let env = Env::start().await;
    let opts = Opts {
        max_retry_after: Duration::from_secs(1),
        ..Opts::default()
    };
    let client = env.client(&opts);
    let flow = client.new_flow(options()).unwrap();
    env.sim.faults().push(
        Endpoint::CreateSession,
        Fault::TooManyRequests {
            retry_after_secs: 30,
        },
    );
    let started = Instant::now();
    let e = flow.start().await.expect_err("429 with a long Retry-After");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    Typed::Unavailable {
        status: 429,
        retry_after_ms: Some(30_000),
    }
    .check(&e);
    assert!(e.is_retryable());
    assert_eq!(env.sim.requests(Endpoint::CreateSession), 1);
    assert_eq!(flow.phase(), FlowPhase::CreatingSession);
    let sheet = flow.start().await.expect("later, the same flow starts");
    assert_eq!(env.sim.sessions_created(), 1);

    // The same on `complete`: the report waits in the outbox.
    flow.sheet_presented().unwrap();
    let done = env.sheet(&sheet.session_id, Institution::SuccessOne);
    env.sim.faults().push(
        Endpoint::Complete,
        Fault::TooManyRequests {
            retry_after_secs: 60,
        },
    );
    let started = Instant::now();
    let e = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect_err("429");
    assert!(started.elapsed() < Duration::from_millis(900));
    Typed::Unavailable {
        status: 429,
        retry_after_ms: Some(60_000),
    }
    .check(&e);
    assert_eq!(flow.phase(), FlowPhase::Reconciling);
    assert_eq!(env.outbox_reports().len(), 1);
    let result = flow.resume().await.expect("resume");
    assert_completed(&env, &result, &done);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_idempotency_key_across_all_attempts() {
    let env = Env::start().await;
    let client = env.client(&Opts::default().attempts(5));
    let flow = client.new_flow(options()).unwrap();
    let key = idempotency_key(&flow);
    let faults = env.sim.faults();
    faults.push(Endpoint::CreateSession, Fault::ConnectionReset);
    faults.push(Endpoint::CreateSession, Fault::ResetAfterCommit);
    faults.push(Endpoint::CreateSession, Fault::Status(503));
    faults.push(
        Endpoint::CreateSession,
        Fault::after_commit(Fault::MalformedJson),
    );
    let sheet = open_sheet(&flow).await;
    assert_eq!(
        env.idempotency_keys(Endpoint::CreateSession),
        vec![key.clone(); 5]
    );
    assert_eq!(env.sim.sessions_created(), 1);

    faults.push(Endpoint::Complete, Fault::ResetAfterCommit);
    faults.push(Endpoint::Complete, Fault::Status(502));
    faults.push(
        Endpoint::Complete,
        Fault::after_commit(Fault::MalformedJson),
    );
    faults.push(Endpoint::Complete, Fault::ConnectionReset);
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    let result = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("result");
    assert_completed(&env, &result, &done);
    let report_id = format!("{key}-complete");
    assert_eq!(
        env.idempotency_keys(Endpoint::Complete),
        vec![report_id.clone(); 5]
    );
    // The body is the same report every time, too.
    for r in env.sim.recorded_requests(Endpoint::Complete) {
        assert_eq!(r.body_json().unwrap()["report_id"], report_id.as_str());
    }
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);

    faults.push(Endpoint::Disconnect, Fault::ResetAfterCommit);
    faults.push(Endpoint::Disconnect, Fault::ConnectionReset);
    client
        .disconnect_account(&done.account_ids[0])
        .await
        .expect("disconnect");
    let keys = env.idempotency_keys(Endpoint::Disconnect);
    assert_eq!(keys.len(), 3);
    assert!(keys.windows(2).all(|w| w[0] == w[1]), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_headers_are_read_again_on_every_attempt() {
    // Within one call's retries: the first attempt fails (503, nothing done), the retry carries
    // the token the provider gives then.
    let env = Env::start().await;
    let tokens = Arc::new(RotatingToken::new(&["stale-token", USER_TOKEN]));
    let client = env.client_with(&Opts::default(), tokens.clone());
    env.sim
        .faults()
        .push(Endpoint::CreateSession, Fault::Status(503));
    let flow = client.new_flow(options()).unwrap();
    let sheet = flow.start().await.expect("start");
    let auth: Vec<String> = env
        .sim
        .recorded_requests(Endpoint::CreateSession)
        .iter()
        .map(|r| r.header("authorization").unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        auth,
        vec![
            "Bearer stale-token".to_owned(),
            format!("Bearer {USER_TOKEN}")
        ]
    );
    assert_eq!(tokens.calls(), 2);
    finish_flow(&env, &flow, &sheet.session_id).await;

    // Across calls, with a backend that knows only the fresh token: the stale one is a 401
    // (not retried), the flow waits in CreatingSession, and `start` again picks up the fresh one.
    let env = Env::with_config(SimulatorConfig {
        allowed_tokens: Some(vec![USER_TOKEN.into()]),
        ..SimulatorConfig::default()
    })
    .await;
    let tokens = Arc::new(RotatingToken::new(&["expired-token", USER_TOKEN]));
    let client = env.client_with(&Opts::default(), tokens.clone());
    let flow = client.new_flow(options()).unwrap();
    Typed::Unauthorized(401).check(&flow.start().await.expect_err("expired token"));
    assert_eq!(flow.phase(), FlowPhase::CreatingSession);
    let sheet = flow.start().await.expect("start with the refreshed token");
    assert_eq!(tokens.calls(), 2);
    assert_eq!(env.sim.sessions_created(), 1);
    finish_flow(&env, &flow, &sheet.session_id).await;
}
