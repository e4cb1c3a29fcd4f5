//! Every public flow operation called while each async operation is in flight, checked against
//! the table in `core/src/flow.rs` ("Concurrency"): `start`, `sheet_result` and `resume` are held
//! in the network by a slow simulator while the other operation runs; then both outcomes, the
//! final phase, the sessions created and the reports received are checked. A second test runs
//! every pair of operations from two threads at once, many times, and checks the invariants: no
//! panic, no stuck flow, at most one session per flow, exactly one report per session of a
//! finished flow.

mod support;

use std::time::Duration;

use finconn_client::flow::{Flow, FlowClient};
use finconn_core::error::FinConnError;
use finconn_core::reconcile::{FlowStatus, SheetOutcome};
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution};
use support::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Start,
    SheetPresented,
    UserLeftApp,
    HandleUrl,
    SheetResult,
    Resume,
    Cancel,
    Snapshot,
}

const OPS: [Op; 8] = [
    Op::Start,
    Op::SheetPresented,
    Op::UserLeftApp,
    Op::HandleUrl,
    Op::SheetResult,
    Op::Resume,
    Op::Cancel,
    Op::Snapshot,
];

/// What an operation gave, reduced to what the table documents.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// `start`: the session id of the configuration.
    Sheet(String),
    Done,
    /// `sheet_result` / `resume` / `cancel`: the status.
    Result(FlowStatus),
    /// `handle_url`: (is a flow URL, recorded).
    Url(bool, bool),
    /// `snapshot`: the phase it shows.
    Snapshot(String),
    Err(&'static str),
}

fn err(e: FinConnError) -> Outcome {
    Outcome::Err(e.code())
}

async fn call(flow: &Flow, op: Op) -> Outcome {
    match op {
        Op::Start => flow
            .start()
            .await
            .map(|s| Outcome::Sheet(s.session_id))
            .unwrap_or_else(err),
        Op::SheetPresented => flow
            .sheet_presented()
            .map(|_| Outcome::Done)
            .unwrap_or_else(err),
        Op::UserLeftApp => flow
            .user_left_app()
            .map(|_| Outcome::Done)
            .unwrap_or_else(err),
        Op::HandleUrl => {
            let h = flow.handle_url(&format!("{RETURN_URL}?status=success"));
            Outcome::Url(h.is_flow_url, h.recorded)
        }
        Op::SheetResult => flow
            .sheet_result(SheetOutcome::Completed { session: None })
            .await
            .map(|r| Outcome::Result(r.status))
            .unwrap_or_else(err),
        Op::Resume => flow
            .resume()
            .await
            .map(|r| Outcome::Result(r.status))
            .unwrap_or_else(err),
        Op::Cancel => flow
            .cancel()
            .await
            .map(|r| Outcome::Result(r.status))
            .unwrap_or_else(err),
        Op::Snapshot => {
            let v: serde_json::Value = serde_json::from_str(&flow.snapshot()).unwrap();
            Outcome::Snapshot(v["phase"].as_str().unwrap().to_owned())
        }
    }
}

/// A flow where `in_flight` is legal, and the endpoint its call will be slow on.
async fn prepare(env: &Env, client: &FlowClient, in_flight: Op) -> (Flow, Endpoint) {
    let flow = client.new_flow(options()).unwrap();
    match in_flight {
        Op::Start => (flow, Endpoint::CreateSession),
        Op::SheetResult => {
            let sheet = flow.start().await.unwrap();
            flow.sheet_presented().unwrap();
            env.sheet(&sheet.session_id, Institution::SuccessOne);
            (flow, Endpoint::Complete)
        }
        Op::Resume => {
            let sheet = open_sheet(&flow).await;
            env.sheet(&sheet.session_id, Institution::SuccessOne);
            (flow, Endpoint::Complete)
        }
        _ => unreachable!("only async operations are held in flight"),
    }
}

/// The table of `core/src/flow.rs`: what `other` gives while `in_flight` is in the network, and
/// what `in_flight` itself then gives.
fn expected(in_flight: Op, other: Op) -> (Option<Outcome>, Option<Outcome>) {
    use Outcome as O;
    let invalid = O::Err("invalid_state");
    match (in_flight, other) {
        // start in flight (CreatingSession)
        (Op::Start, Op::Start) => (None, None), // both: the same session (checked separately)
        (Op::Start, Op::SheetPresented | Op::UserLeftApp) => (Some(invalid), None),
        (Op::Start, Op::HandleUrl) => (Some(O::Url(true, false)), None),
        (Op::Start, Op::SheetResult | Op::Resume) => (Some(O::Result(FlowStatus::Canceled)), None),
        (Op::Start, Op::Cancel) => (Some(O::Result(FlowStatus::Canceled)), Some(invalid)),
        (Op::Start, Op::Snapshot) => (Some(O::Snapshot("creating_session".into())), None),
        // sheet_result / resume in flight (Reconciling)
        (_, Op::Start) => (Some(invalid), Some(O::Result(FlowStatus::Completed))),
        (_, Op::SheetPresented | Op::UserLeftApp | Op::Cancel) => {
            (Some(invalid), Some(O::Result(FlowStatus::Completed)))
        }
        (_, Op::HandleUrl) => (
            Some(O::Url(true, false)),
            Some(O::Result(FlowStatus::Completed)),
        ),
        (_, Op::SheetResult | Op::Resume) => (
            Some(O::Result(FlowStatus::Completed)),
            Some(O::Result(FlowStatus::Completed)),
        ),
        (_, Op::Snapshot) => (
            Some(O::Snapshot("reconciling".into())),
            Some(O::Result(FlowStatus::Completed)),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_while_each_async_operation_is_in_flight() {
    let mut failures = Vec::new();
    for in_flight in [Op::Start, Op::SheetResult, Op::Resume] {
        for other in OPS {
            let env = Env::start().await;
            let client = env.client(&Opts::default().timeout(Duration::from_secs(3)));
            let (flow, endpoint) = prepare(&env, &client, in_flight).await;
            let before = env.sim.requests(endpoint);
            env.sim
                .faults()
                .push(endpoint, Fault::Delay(Duration::from_millis(300)));
            let first = tokio::spawn({
                let flow = flow.clone();
                async move { call(&flow, in_flight).await }
            });
            let reached = wait_until(Duration::from_secs(2), || {
                env.sim.requests(endpoint) > before
            })
            .await;
            assert!(reached, "{in_flight:?} never reached the simulator");
            let second = call(&flow, other).await;
            let first = first.await.expect("no panic");
            let (want_second, want_first) = expected(in_flight, other);
            let label = format!("{in_flight:?} in flight, then {other:?}");
            if let Some(w) = want_second {
                if second != w {
                    failures.push(format!(
                        "{label}: {other:?} gave {second:?}, expected {w:?}"
                    ));
                }
            }
            if let Some(w) = want_first {
                if first != w {
                    failures.push(format!(
                        "{label}: {in_flight:?} gave {first:?}, expected {w:?}"
                    ));
                }
            }
            if (in_flight, other) == (Op::Start, Op::Start) && first != second {
                failures.push(format!(
                    "{label}: two configurations {first:?} / {second:?}"
                ));
            }
            // Invariants: one session at most, and every session of an ended flow reported once.
            if env.sim.sessions_created() > 1 {
                failures.push(format!("{label}: {} sessions", env.sim.sessions_created()));
            }
            if flow.phase().is_terminal() {
                if let Some(id) = flow.session_id() {
                    if env.sim.reports_received(&id) != 1 {
                        failures.push(format!(
                            "{label}: {} reports for {id}",
                            env.sim.reports_received(&id)
                        ));
                    }
                }
            } else if flow.phase() != FlowPhase::Ready {
                failures.push(format!("{label}: left in {}", flow.phase()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_from_two_threads_keeps_the_invariants() {
    let env = Env::start().await;
    let client = env.client(&Opts::default().timeout(Duration::from_secs(3)));
    let mut failures = Vec::new();
    for a in OPS {
        for b in OPS {
            for round in 0..2 {
                let flow = client.new_flow(options()).unwrap();
                // Half the rounds start from a flow with a presented sheet.
                if round == 1 {
                    let sheet = flow.start().await.unwrap();
                    flow.sheet_presented().unwrap();
                    env.sheet(&sheet.session_id, Institution::SuccessOne);
                }
                let (x, y) = tokio::join!(
                    tokio::spawn({
                        let f = flow.clone();
                        async move { call(&f, a).await }
                    }),
                    tokio::spawn({
                        let f = flow.clone();
                        async move { call(&f, b).await }
                    }),
                );
                if x.is_err() || y.is_err() {
                    failures.push(format!("{a:?} + {b:?}: a panic"));
                    continue;
                }
                // Whatever happened, the flow can be brought to an end.
                let end = tokio::time::timeout(Duration::from_secs(10), async {
                    if !flow.phase().is_terminal() {
                        match flow.phase() {
                            FlowPhase::Idle | FlowPhase::CreatingSession | FlowPhase::Ready => {
                                let _ = flow.cancel().await;
                            }
                            _ => {
                                let _ = flow.resume().await;
                            }
                        }
                    }
                })
                .await;
                if end.is_err() || !flow.phase().is_terminal() {
                    failures.push(format!(
                        "{a:?} + {b:?} (round {round}): stuck in {}",
                        flow.phase()
                    ));
                }
                if let Some(id) = flow.session_id() {
                    if env.sim.reports_received(&id) != 1 {
                        failures.push(format!(
                            "{a:?} + {b:?} (round {round}): {} reports for {id}",
                            env.sim.reports_received(&id)
                        ));
                    }
                }
            }
        }
    }
    // One session per flow at most: never more sessions than flows that started.
    assert!(env.sim.sessions_created() <= 2 * OPS.len() * OPS.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
