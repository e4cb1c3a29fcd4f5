//! One deadline for a whole flow call (`DataLimits::call_deadline`): a backend that answers every
//! attempt just inside the request timeout cannot stretch `start`, `sheet_result` or
//! `list_accounts` to attempts × timeout. What must not happen: a call past its deadline, a
//! second session when the same call runs again, a lost report.

mod support;

use std::time::{Duration, Instant};

use finconn_core::error::FinConnError;
use finconn_core::reconcile::FlowStatus;
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution};
use support::*;

/// Each attempt alone is within the request timeout (1.5 s); four of them are not within 1 s.
fn slow_opts() -> Opts {
    let mut o = Opts::default()
        .attempts(4)
        .timeout(Duration::from_millis(1_500));
    o.data_limits.call_deadline = Duration::from_millis(1_000);
    o
}

fn assert_timeout_within(
    out: Result<impl std::fmt::Debug, FinConnError>,
    started: Instant,
    what: &str,
) {
    let took = started.elapsed();
    match out {
        Err(FinConnError::Timeout { reason: message }) => {
            assert!(message.contains(what), "{message}")
        }
        other => panic!("{what}: expected a Timeout, got {other:?}"),
    }
    assert!(
        took < Duration::from_millis(1_400),
        "{what} took {took:?} against a 1 s deadline"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_backend_cannot_stretch_start_past_its_deadline_and_start_again_makes_no_second_session(
) {
    let env = Env::start().await;
    let client = env.client(&slow_opts());
    for _ in 0..4 {
        env.sim.faults().push(
            Endpoint::CreateSession,
            Fault::Delay(Duration::from_millis(1_200)),
        );
    }
    let flow = client.new_flow(options()).unwrap();
    let started = Instant::now();
    assert_timeout_within(flow.start().await, started, "start");
    assert_eq!(
        flow.phase(),
        FlowPhase::CreatingSession,
        "the phase reached is kept"
    );
    // The backend recovers: the same call again gets the one session (same idempotency key).
    env.sim.faults().clear();
    let sheet = flow.start().await.expect("start again");
    assert_eq!(env.sim.sessions_created(), 1, "one session for one flow");
    flow.sheet_presented().unwrap();
    let done = env
        .sim
        .complete_sheet(&sheet.session_id, Institution::SuccessOne)
        .unwrap();
    let result = flow.sheet_result(sheet_outcome(&done)).await.unwrap();
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_backend_cannot_stretch_list_accounts_or_the_result_past_their_deadline() {
    let env = Env::start().await;
    let client = env.client(&slow_opts());
    for _ in 0..4 {
        env.sim.faults().push(
            Endpoint::ListAccounts,
            Fault::Delay(Duration::from_millis(1_200)),
        );
    }
    let started = Instant::now();
    assert_timeout_within(client.list_accounts().await, started, "list_accounts");

    let flow = client.new_flow(options()).unwrap();
    let sheet = flow.start().await.unwrap();
    flow.sheet_presented().unwrap();
    let done = env
        .sim
        .complete_sheet(&sheet.session_id, Institution::SuccessOne)
        .unwrap();
    for _ in 0..4 {
        env.sim.faults().push(
            Endpoint::Complete,
            Fault::Delay(Duration::from_millis(1_200)),
        );
    }
    let started = Instant::now();
    assert_timeout_within(
        flow.sheet_result(sheet_outcome(&done)).await,
        started,
        "sheet_result",
    );
    // Nothing lost: the next launch finishes the flow with its one report.
    env.sim.faults().clear();
    drop(flow);
    let again = env.client(&Opts::default());
    let recovery = again.resume_pending().await.unwrap();
    assert_eq!(recovery.finished.len(), 1, "{recovery:?}");
    assert_eq!(recovery.finished[0].status, FlowStatus::Completed);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
}
