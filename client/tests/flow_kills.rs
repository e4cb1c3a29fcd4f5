//! The app killed at every state of a flow. A "kill" keeps only what a real app keeps — the
//! flow's snapshot (saved when backgrounded) and its data directory (the outbox) — and drops the
//! `Flow` and the `FlowClient`. The relaunch builds a new client on the same directory, sends the
//! pending reports, restores the flow and resumes it (`start` again for `Idle` and
//! `CreatingSession`, which must reuse the idempotency key). Every case must recover the result
//! the server has, with exactly one session and exactly one report at the backend.
//!
//! Also: the snapshot lost but the outbox kept (the report still reaches the backend), a flow
//! killed twice, and a corrupted outbox file (quarantined, not lost, not blocking the others).

mod support;

use std::time::{Duration, Instant};

use finconn_client::flow::{Flow, FlowClient};
use finconn_core::error::FinConnError;
use finconn_core::reconcile::{FlowResult, FlowStatus, ResultSource};
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution, SheetCompletion};
use support::*;

/// Where the app is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KillPoint {
    Idle,
    /// The create request is in flight (the server answers late; the process dies first).
    CreatingSessionInFlight,
    /// The create request was committed but its answer lost (`ResetAfterCommit`, no retry).
    CreatingSessionAnswerLost,
    Ready,
    Presenting,
    AwaitingReturn,
    /// The report was queued and committed at the backend, the answer lost.
    ReconcilingAnswerLost,
    /// The report was queued, the backend too slow to answer before the kill.
    ReconcilingTimedOut,
    Completed,
}

const KILL_POINTS: [KillPoint; 9] = [
    KillPoint::Idle,
    KillPoint::CreatingSessionInFlight,
    KillPoint::CreatingSessionAnswerLost,
    KillPoint::Ready,
    KillPoint::Presenting,
    KillPoint::AwaitingReturn,
    KillPoint::ReconcilingAnswerLost,
    KillPoint::ReconcilingTimedOut,
    KillPoint::Completed,
];

impl KillPoint {
    fn phase(self) -> FlowPhase {
        match self {
            KillPoint::Idle => FlowPhase::Idle,
            KillPoint::CreatingSessionInFlight | KillPoint::CreatingSessionAnswerLost => {
                FlowPhase::CreatingSession
            }
            KillPoint::Ready => FlowPhase::Ready,
            KillPoint::Presenting => FlowPhase::Presenting,
            KillPoint::AwaitingReturn => FlowPhase::AwaitingReturn,
            KillPoint::ReconcilingAnswerLost | KillPoint::ReconcilingTimedOut => {
                FlowPhase::Reconciling
            }
            KillPoint::Completed => FlowPhase::Completed,
        }
    }

    /// The sheet outcome the backend's one report carries.
    fn reported_outcome(self) -> &'static str {
        match self {
            // Killed with the sheet up: the sheet's answer died with the app.
            KillPoint::Ready | KillPoint::Presenting | KillPoint::AwaitingReturn => "no_result",
            _ => "completed",
        }
    }
}

/// The OS kills the app: only the snapshot (and the data directory) survive.
/// After a relaunch: restores the snapshot, resumes, and checks the flow completed with the
/// sheet's accounts and exactly one report at the backend.
async fn resume_completed(env: &Env, client: &FlowClient, snapshot: &str, done: &SheetCompletion) {
    let result = client
        .restore_flow(snapshot)
        .unwrap()
        .resume()
        .await
        .expect("resume");
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result_ids(&result), sheet_ids(done));
    assert_eq!(env.sim.reports_received(&done.session_id), 1);
}

fn kill(flow: Flow, client: FlowClient) -> String {
    let snapshot = flow.snapshot();
    drop(flow);
    drop(client);
    snapshot
}

async fn kill_case(point: KillPoint) {
    let env = Env::start().await;
    let before_kill = match point {
        KillPoint::CreatingSessionAnswerLost
        | KillPoint::ReconcilingAnswerLost
        | KillPoint::ReconcilingTimedOut => Opts::default().attempts(1),
        _ => Opts::default(),
    };
    let client = env.client(&before_kill);
    let flow = client.new_flow(options()).unwrap();
    let key = idempotency_key(&flow);
    let faults = env.sim.faults();
    let mut session_id = None;
    let mut done: Option<SheetCompletion> = None;
    let mut first_result: Option<FlowResult> = None;
    let mut in_flight = None;
    let started = Instant::now();

    // Drive the flow to the kill point.
    match point {
        KillPoint::Idle => {}
        KillPoint::CreatingSessionInFlight => {
            faults.push(
                Endpoint::CreateSession,
                Fault::Delay(Duration::from_millis(300)),
            );
            let f = flow.clone();
            in_flight = Some(tokio::spawn(async move { f.start().await }));
            assert!(
                wait_until(Duration::from_secs(2), || env
                    .sim
                    .requests(Endpoint::CreateSession)
                    == 1)
                .await,
                "the create request never arrived"
            );
        }
        KillPoint::CreatingSessionAnswerLost => {
            faults.push(Endpoint::CreateSession, Fault::ResetAfterCommit);
            assert!(matches!(
                flow.start().await,
                Err(FinConnError::Offline { .. })
            ));
            assert_eq!(env.sim.sessions_created(), 1, "committed");
        }
        KillPoint::Ready => session_id = Some(flow.start().await.expect("start").session_id),
        KillPoint::Presenting => {
            session_id = Some(flow.start().await.expect("start").session_id);
            flow.sheet_presented().unwrap();
        }
        KillPoint::AwaitingReturn => session_id = Some(open_sheet(&flow).await.session_id),
        KillPoint::ReconcilingAnswerLost
        | KillPoint::ReconcilingTimedOut
        | KillPoint::Completed => {
            let sheet = open_sheet(&flow).await;
            let d = env.sheet(&sheet.session_id, Institution::SuccessThree);
            come_back(&flow, &d);
            let outcome = sheet_outcome(&d);
            session_id = Some(sheet.session_id);
            done = Some(d);
            match point {
                KillPoint::ReconcilingAnswerLost => {
                    faults.push(Endpoint::Complete, Fault::ResetAfterCommit);
                    assert!(matches!(
                        flow.sheet_result(outcome).await,
                        Err(FinConnError::Offline { .. })
                    ));
                }
                KillPoint::ReconcilingTimedOut => {
                    faults.push(Endpoint::Complete, Fault::Delay(DELAY_BEYOND));
                    assert!(matches!(
                        flow.sheet_result(outcome).await,
                        Err(FinConnError::Timeout { .. })
                    ));
                }
                _ => first_result = Some(flow.sheet_result(outcome).await.expect("result")),
            }
        }
    }
    assert_eq!(flow.phase(), point.phase());
    if point.phase() == FlowPhase::Reconciling {
        assert_eq!(env.outbox_reports().len(), 1, "queued before the call");
    }

    // Kill. An in-flight call dies with the process.
    let snapshot = kill(flow, client);
    if let Some(task) = in_flight {
        task.abort();
        let _ = task.await;
    }
    assert!(
        snapshot.contains(&key),
        "the snapshot keeps the idempotency key"
    );

    // While the app is dead: the server finishes what it was doing, and the user may finish the
    // bank's pages (the session then has the accounts even though the app never heard of it).
    if point == KillPoint::CreatingSessionInFlight {
        assert!(
            wait_until(Duration::from_secs(3), || env.sim.sessions_created() == 1).await,
            "the server creates the session after the client gave up"
        );
    }
    if matches!(point, KillPoint::Presenting | KillPoint::AwaitingReturn) {
        done = Some(env.sheet(session_id.as_deref().unwrap(), Institution::SuccessThree));
    }

    // Relaunch.
    let complete_requests_before = session_id.as_deref().map(|s| env.sim.complete_requests(s));
    let client = env.client(&Opts::default());
    let summary = client
        .send_pending_reports()
        .await
        .expect("outbox readable");
    let expected_pending = i32::from(point.phase() == FlowPhase::Reconciling);
    assert_eq!(
        (summary.delivered, summary.remaining, summary.dropped),
        (expected_pending, 0, 0)
    );
    let flow = client.restore_flow(&snapshot).expect("restore");
    assert_eq!(flow.phase(), point.phase());
    assert_eq!(idempotency_key(&flow), key);

    let result = match point {
        KillPoint::Idle
        | KillPoint::CreatingSessionInFlight
        | KillPoint::CreatingSessionAnswerLost => {
            // Nothing was shown yet: start (again), with the same key.
            let sheet = flow.start().await.expect("start after restore");
            assert_eq!(
                env.sim.sessions_created(),
                1,
                "the key was reused: one session"
            );
            flow.sheet_presented().unwrap();
            let d = env.sheet(&sheet.session_id, Institution::SuccessThree);
            come_back(&flow, &d);
            let result = flow.sheet_result(sheet_outcome(&d)).await.expect("result");
            session_id = Some(sheet.session_id);
            done = Some(d);
            result
        }
        _ => {
            if point == KillPoint::Ready {
                // The sheet cannot be shown again: the credentials are not in the snapshot.
                assert!(matches!(
                    flow.sheet_presented(),
                    Err(FinConnError::InvalidState { .. })
                ));
            }
            if point == KillPoint::AwaitingReturn {
                // The bank's redirect relaunched the app: recorded as a hint.
                come_back(&flow, done.as_ref().unwrap());
            }
            flow.resume().await.expect("resume")
        }
    };
    let sid = session_id.expect("a session");

    // The recovered result is what the server has.
    assert_eq!(flow.phase(), phase_of(result.status));
    assert_eq!(result.session_id.as_deref(), Some(sid.as_str()));
    assert_eq!(result.source, ResultSource::Server);
    match &done {
        Some(d) => {
            assert_eq!(result.status, FlowStatus::Completed, "{result:?}");
            assert_eq!(result_ids(&result), sheet_ids(d));
            assert_eq!(env.backend_account_ids(), sheet_ids(d));
        }
        None => {
            // Killed in Ready: the user never saw the sheet, nothing was linked.
            assert_eq!(result.status, FlowStatus::Canceled, "{result:?}");
            assert!(result.accounts.is_empty() && env.backend_account_ids().is_empty());
        }
    }
    if let Some(first) = &first_result {
        assert_eq!(
            &result, first,
            "a finished flow's result survives the kill unchanged"
        );
        assert_eq!(
            Some(env.sim.complete_requests(&sid)),
            complete_requests_before,
            "no new call"
        );
    }
    // A slow request the app gave up on may land late: it is still the same report.
    if point == KillPoint::ReconcilingTimedOut {
        tokio::time::sleep_until((started + DELAY_BEYOND + Duration::from_millis(250)).into())
            .await;
    }
    assert_eq!(env.sim.sessions_created(), 1, "one session");
    assert_eq!(env.sim.reports_received(&sid), 1, "one report");
    assert_eq!(
        env.sim.reports(&sid)[0]["sheet_outcome"],
        point.reported_outcome()
    );
    assert!(env.outbox_reports().is_empty(), "{:?}", env.outbox_files());
    let keys = env.idempotency_keys(Endpoint::CreateSession);
    assert!(keys.iter().all(|k| *k == key), "{keys:?}");
    // Asking again gives the same answer without a new report.
    assert_eq!(flow.resume().await.expect("resume again"), result);
    assert_eq!(env.sim.reports_received(&sid), 1);
}

/// The terminal phase of a final status (the mapping `Flow` uses).
fn phase_of(status: FlowStatus) -> FlowPhase {
    match status {
        FlowStatus::Completed => FlowPhase::Completed,
        FlowStatus::Canceled => FlowPhase::Canceled,
        FlowStatus::Failed => FlowPhase::Failed,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_at_every_state_recovers_the_result_with_one_report() {
    // Every non-terminal phase, and a finished flow, is covered.
    let covered: Vec<FlowPhase> = KILL_POINTS.iter().map(|p| p.phase()).collect();
    for phase in FlowPhase::ALL {
        let terminal_other_than_completed = phase.is_terminal() && phase != FlowPhase::Completed;
        assert!(
            terminal_other_than_completed || covered.contains(&phase),
            "{phase} not covered"
        );
    }
    let handles: Vec<_> = KILL_POINTS
        .iter()
        .map(|&p| (p, tokio::spawn(kill_case(p))))
        .collect();
    let mut failures = Vec::new();
    for (point, handle) in handles {
        if let Err(e) = handle.await {
            failures.push(format!("  killed at {point:?}: {}", panic_message(e)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} kill points failed:\n{}",
        failures.len(),
        KILL_POINTS.len(),
        failures.join("\n")
    );
}

/// A flow whose `complete` failed (not committed) and whose report waits in the outbox.
async fn pending_report(env: &Env) -> (FlowClient, Flow, SheetCompletion) {
    let client = env.client(&Opts::default().attempts(1));
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    env.sim
        .faults()
        .push(Endpoint::Complete, Fault::Status(503));
    assert!(matches!(
        flow.sheet_result(sheet_outcome(&done)).await,
        Err(FinConnError::ServiceUnavailable {
            status: Some(503),
            ..
        })
    ));
    assert_eq!(env.outbox_reports().len(), 1);
    assert_eq!(env.sim.reports_received(&done.session_id), 0);
    (client, flow, done)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_lost_but_outbox_kept_still_delivers_the_report() {
    let env = Env::start().await;
    let (client, flow, done) = pending_report(&env).await;
    drop(kill(flow, client)); // the snapshot is lost too

    let client = env.client(&Opts::default());
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!(
        (summary.delivered, summary.remaining, summary.dropped),
        (1, 0, 0)
    );
    assert_eq!(env.sim.reports_received(&done.session_id), 1);
    let report = &env.sim.reports(&done.session_id)[0];
    assert_eq!(report["sheet_outcome"], "completed");
    assert_eq!(report["return_url_status"], "success");
    // The backend re-read the session from Stripe and stored the user's accounts.
    assert_eq!(env.backend_account_ids(), sheet_ids(&done));
    assert!(env.outbox_reports().is_empty());
    assert_eq!(client.send_pending_reports().await.unwrap().delivered, 0);
    assert_eq!(env.sim.sessions_created(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_twice_while_reconciling_still_one_report() {
    let env = Env::start().await;
    let (client, flow, done) = pending_report(&env).await;
    let snapshot = kill(flow, client);

    // First relaunch: the backend is still down; the report stays queued, the flow waits.
    let client = env.client(&Opts::default().attempts(1));
    env.sim
        .faults()
        .push_n(Endpoint::Complete, Fault::Status(502), 2);
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!((summary.delivered, summary.remaining), (0, 1));
    let flow = client.restore_flow(&snapshot).unwrap();
    assert!(matches!(
        flow.resume().await,
        Err(FinConnError::ServiceUnavailable {
            status: Some(502),
            ..
        })
    ));
    assert_eq!(flow.phase(), FlowPhase::Reconciling);
    let snapshot = kill(flow, client);

    // Second relaunch: healthy.
    let client = env.client(&Opts::default());
    assert_eq!(client.send_pending_reports().await.unwrap().delivered, 1);
    resume_completed(&env, &client, &snapshot, &done).await;
    assert_eq!(env.sim.complete_requests(&done.session_id), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_outbox_file_is_quarantined_not_lost() {
    let env = Env::start().await;
    let (client, flow, done) = pending_report(&env).await;
    let snapshot = kill(flow, client);

    // Disk trouble: a stranger's unreadable report next to ours, and ours cut in half.
    let stranger = env
        .outbox_dir()
        .join("report-fcidem_stranger-complete.json");
    std::fs::write(
        &stranger,
        b"{\"report_id\": \"fcidem_stranger-complete\", \"flow_id\": tr",
    )
    .unwrap();
    let ours = env
        .outbox_reports()
        .into_iter()
        .find(|p| *p != stranger)
        .expect("our report");
    let ours_bytes = std::fs::read(&ours).unwrap();
    std::fs::write(&ours, &ours_bytes[..ours_bytes.len() / 2]).unwrap();

    let client = env.client(&Opts::default());
    let summary = client.send_pending_reports().await.unwrap();
    assert_eq!(
        (
            summary.delivered,
            summary.remaining,
            summary.dropped,
            summary.quarantined
        ),
        (0, 0, 0, 2)
    );
    // Both moved aside, byte for byte, and no longer retried.
    let stranger_aside = aside(&stranger);
    let ours_aside = aside(&ours);
    assert_eq!(
        std::fs::read(&stranger_aside).unwrap(),
        b"{\"report_id\": \"fcidem_stranger-complete\", \"flow_id\": tr".to_vec()
    );
    assert_eq!(
        std::fs::read(&ours_aside).unwrap(),
        ours_bytes[..ours_bytes.len() / 2].to_vec()
    );
    assert!(env.outbox_reports().is_empty());
    assert_eq!(
        client.send_pending_reports().await.unwrap(),
        Default::default()
    );
    assert!(
        stranger_aside.exists() && ours_aside.exists(),
        "quarantine is kept"
    );

    // Our report is rebuilt from the snapshot and delivered once.
    resume_completed(&env, &client, &snapshot, &done).await;
    assert!(env.outbox_reports().is_empty());
    assert!(stranger_aside.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_report_met_by_resume_is_quarantined_too() {
    // The app restores and resumes before sending pending reports: the flow meets its own
    // unreadable report first.
    let env = Env::start().await;
    let (client, flow, done) = pending_report(&env).await;
    let snapshot = kill(flow, client);
    let ours = env.outbox_reports().pop().expect("our report");
    std::fs::write(&ours, b"\x00\x00\x00garbage").unwrap();

    let client = env.client(&Opts::default());
    resume_completed(&env, &client, &snapshot, &done).await;
    assert_eq!(
        std::fs::read(aside(&ours)).expect("moved aside, not overwritten"),
        b"\x00\x00\x00garbage"
    );
    assert!(env.outbox_reports().is_empty());
}

/// Where the quarantine moved `path`: `<name>.corrupt-<time>-<random>` next to it (exactly one).
fn aside(path: &std::path::Path) -> std::path::PathBuf {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let found: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{name}.corrupt-"))
        })
        .collect();
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found[0].clone()
}
