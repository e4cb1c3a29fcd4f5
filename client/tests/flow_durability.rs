//! The core keeps every flow itself: each phase change is on disk, a killed process's flows are
//! found again by `pending_flows` / `resume_pending` and finish with exactly one report per
//! session, settled flows leave no file, two clients on one data directory never drive the same
//! flow or send the same report at the same time, and a forged or corrupt snapshot is refused (or
//! moved aside) without sending anything.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use finconn_core::error::FinConnError;
use finconn_core::reconcile::{FlowStatus, SheetOutcome};
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution};
use support::*;

fn flows_dir(env: &Env) -> PathBuf {
    env.dir.path().join("finconn-flows")
}

/// Every file under the data directory (outbox and flows), names only, sorted.
fn files(env: &Env) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [env.outbox_dir(), flows_dir(env)] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_flow_is_found_again_and_finishes_with_one_report() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let flow_id = flow.flow_id();
    assert!(
        flows_dir(&env)
            .join(format!("flow-{flow_id}.json"))
            .exists(),
        "every phase is on disk"
    );
    // A second client in the same process cannot take a flow that is being driven.
    let other = env.client(&Opts::default());
    let busy = other.pending_flows().unwrap();
    assert!(busy.flows.is_empty());
    assert_eq!(busy.busy, 1);
    drop(other);
    // The OS kills the app while the user is at the bank.
    drop(flow);
    drop(client);
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);

    let client = env.client(&Opts::default());
    let recovery = client.resume_pending().await.unwrap();
    assert_eq!(recovery.finished.len(), 1, "{recovery:?}");
    assert!(recovery.waiting.is_empty());
    let result = &recovery.finished[0];
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result_ids(result), sheet_ids(&done));
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
    assert!(
        files(&env).is_empty(),
        "settled: nothing left {:?}",
        files(&env)
    );
    // Nothing is pending any more.
    let again = env.client(&Opts::default());
    assert!(again.resume_pending().await.unwrap().finished.is_empty());
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_pending_settles_every_phase_a_kill_can_leave() {
    let env = Env::start().await;
    let o = Opts::default();
    let client = env.client(&o);
    // 1. Killed while creating: the backend committed a session the app never saw.
    env.sim
        .faults()
        .push(Endpoint::CreateSession, Fault::ResetAfterCommit);
    let one_attempt = env.client(&o.clone().attempts(1));
    let creating = one_attempt.new_flow(options()).unwrap();
    let e = client_start_fails(&creating).await;
    assert!(e.is_retryable(), "{e}");
    assert_eq!(creating.phase(), FlowPhase::CreatingSession);
    // 2. Ready (sheet never shown). 3. Waiting for the bank. 4. Reconciling, report queued.
    let ready = client.new_flow(options()).unwrap();
    let ready_sheet = ready.start().await.unwrap();
    let away = client.new_flow(options()).unwrap();
    let away_sheet = open_sheet(&away).await;
    let reconciling = client.new_flow(options()).unwrap();
    let rec_sheet = open_sheet(&reconciling).await;
    let rec_done = env.sheet(&rec_sheet.session_id, Institution::SuccessOne);
    env.sim
        .faults()
        .push_n(Endpoint::Complete, Fault::Status(503), 3);
    assert!(reconciling
        .sheet_result(sheet_outcome(&rec_done))
        .await
        .is_err());
    assert_eq!(reconciling.phase(), FlowPhase::Reconciling);
    assert_eq!(env.outbox_reports().len(), 1);
    let away_done = env.sheet(&away_sheet.session_id, Institution::SuccessThree);
    drop((creating, one_attempt, ready, away, reconciling, client));

    let client = env.client(&o);
    let recovery = client.resume_pending().await.unwrap();
    assert!(recovery.waiting.is_empty(), "{recovery:?}");
    assert_eq!(recovery.finished.len(), 4, "{recovery:?}");
    let by_session = |id: &str| {
        recovery
            .finished
            .iter()
            .find(|r| r.session_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no result for {id}: {recovery:?}"))
    };
    assert_eq!(
        by_session(&ready_sheet.session_id).status,
        FlowStatus::Canceled
    );
    assert_eq!(
        by_session(&away_sheet.session_id).status,
        FlowStatus::Completed
    );
    assert_eq!(
        result_ids(by_session(&away_sheet.session_id)),
        sheet_ids(&away_done)
    );
    assert_eq!(
        by_session(&rec_sheet.session_id).status,
        FlowStatus::Completed
    );
    // The committed-but-unseen session was found again (same key) and reported canceled.
    assert_eq!(env.sim.sessions_created(), 4);
    let creating_result = recovery
        .finished
        .iter()
        .find(|r| {
            ![
                &ready_sheet.session_id,
                &away_sheet.session_id,
                &rec_sheet.session_id,
            ]
            .contains(&r.session_id.as_ref().unwrap())
        })
        .expect("the creating flow's result");
    assert_eq!(creating_result.status, FlowStatus::Canceled);
    // Exactly one report per session, nothing left on disk.
    for id in env.sim.stripe().session_ids() {
        assert_eq!(env.sim.reports_received(&id), 1, "{id}");
    }
    assert!(files(&env).is_empty(), "{:?}", files(&env));
}

async fn client_start_fails(flow: &finconn_client::flow::Flow) -> FinConnError {
    flow.start().await.expect_err("start fails")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_an_inflight_start_reports_the_session_canceled() {
    let env = Env::start().await;
    let client = env.client(&Opts::default().timeout(Duration::from_secs(3)));
    env.sim.faults().push(
        Endpoint::CreateSession,
        Fault::Delay(Duration::from_millis(400)),
    );
    let flow = client.new_flow(options()).unwrap();
    let starting = tokio::spawn({
        let flow = flow.clone();
        async move { flow.start().await }
    });
    assert!(
        wait_until(Duration::from_secs(2), || env
            .sim
            .requests(Endpoint::CreateSession)
            == 1)
        .await
    );
    let canceled = flow.cancel().await.unwrap();
    assert_eq!(canceled.status, FlowStatus::Canceled);
    assert_eq!(flow.phase(), FlowPhase::Canceled);
    let started = starting.await.unwrap();
    assert!(
        matches!(started, Err(FinConnError::InvalidState { .. })),
        "{started:?}"
    );
    // The session that start created got its canceled report, once.
    let session_id = flow.session_id().expect("the session was recorded");
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&session_id), 1);
    assert_eq!(env.sim.reports(&session_id)[0]["sheet_outcome"], "canceled");
    assert_eq!(
        flow.result().unwrap().session_id.as_deref(),
        Some(session_id.as_str())
    );
    assert!(files(&env).is_empty(), "{:?}", files(&env));
    // Canceling again gives the same result and no second report.
    assert_eq!(flow.cancel().await.unwrap().status, FlowStatus::Canceled);
    assert_eq!(env.sim.reports_received(&session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_never_send_the_same_report_at_the_same_time() {
    let env = Env::start().await;
    let o = Opts::default().timeout(Duration::from_secs(3));
    // Three reports queued and undelivered.
    let client = env.client(&o);
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let flow = client.new_flow(options()).unwrap();
        let sheet = open_sheet(&flow).await;
        let done = env.sheet(&sheet.session_id, Institution::SuccessOne);
        env.sim
            .faults()
            .push_n(Endpoint::Complete, Fault::Status(503), 3);
        assert!(flow.sheet_result(sheet_outcome(&done)).await.is_err());
        sessions.push(sheet.session_id);
    }
    drop(client);
    assert_eq!(env.outbox_reports().len(), 3);
    // Two clients (an app and its extension) send them at once; each answer is slow.
    env.sim.faults().push_n(
        Endpoint::Complete,
        Fault::Delay(Duration::from_millis(300)),
        6,
    );
    let (a, b) = (env.client(&o), env.client(&o));
    let (sa, sb) = tokio::join!(a.send_pending_reports(), b.send_pending_reports());
    let (sa, sb) = (sa.unwrap(), sb.unwrap());
    assert_eq!(sa.delivered + sb.delivered, 3, "{sa:?} {sb:?}");
    for id in &sessions {
        assert_eq!(
            env.sim.complete_requests(id),
            4,
            "3 refused + exactly one send of {id}, never two at once"
        );
        assert_eq!(env.sim.reports_received(id), 1);
    }
    assert!(env.outbox_reports().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_snapshots_are_refused_and_send_nothing() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let flow = client.new_flow(options()).unwrap();
    let sheet = flow.start().await.unwrap();
    let good: serde_json::Value = serde_json::from_str(&flow.snapshot()).unwrap();
    drop(flow);
    let requests_before =
        env.sim.requests(Endpoint::CreateSession) + env.sim.requests(Endpoint::Complete);
    let forge = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        v.to_string()
    };
    let forged = [
        (
            "no permissions",
            forge(&|v| v["options"]["permissions"] = serde_json::json!([])),
        ),
        (
            "javascript return URL",
            forge(&|v| v["options"]["return_url"] = "javascript:alert(1)".into()),
        ),
        (
            "key with a newline",
            forge(&|v| v["idempotency_key"] = "a\nb".into()),
        ),
        (
            "key that is a path",
            forge(&|v| v["idempotency_key"] = "../../x".into()),
        ),
        (
            "session id ..",
            forge(&|v| v["session"]["session_id"] = "..".into()),
        ),
        (
            "flow id a path",
            forge(&|v| v["flow_id"] = "../flow_1".into()),
        ),
        (
            "report token with CR/LF",
            forge(&|v| v["session"]["report_token"] = "rt_1\r\nX: y".into()),
        ),
        (
            "completed without a result",
            forge(&|v| v["phase"] = "completed".into()),
        ),
        (
            "ready without a session",
            forge(&|v| {
                v.as_object_mut().unwrap().remove("session");
            }),
        ),
        (
            "a result for another session",
            forge(&|v| {
                v["phase"] = "canceled".into();
                v["result"] = serde_json::json!({"status": "canceled", "session_id": "fcsess_other", "accounts": [], "relink": null, "error": null, "source": "none", "warnings": []});
            }),
        ),
        (
            "huge",
            format!("{{\"version\":1,\"pad\":\"{}\"}}", "x".repeat(2 << 20)),
        ),
        ("not json", "{\"version\": 1, ".to_owned()),
    ];
    for (what, snapshot) in &forged {
        let e = client.restore_flow(snapshot).expect_err(what);
        assert!(
            matches!(e, FinConnError::SnapshotUnusable { .. }),
            "{what}: {e:?}"
        );
    }
    // The same forgeries as files in the flow store: moved aside, nothing sent.
    let dir = flows_dir(&env);
    for (i, (_, snapshot)) in forged.iter().enumerate() {
        std::fs::write(dir.join(format!("flow-flow_forged{i:02}.json")), snapshot).unwrap();
    }
    let pending = env.client(&Opts::default()).pending_flows().unwrap();
    assert!(
        pending
            .flows
            .iter()
            .all(|f| f.session_id().as_deref() == Some(sheet.session_id.as_str())),
        "only the genuine flow is pending"
    );
    assert_eq!(pending.quarantined as usize, forged.len());
    let after = env.sim.requests(Endpoint::CreateSession) + env.sim.requests(Endpoint::Complete);
    assert_eq!(
        after, requests_before,
        "nothing was sent for a forged snapshot"
    );
    let corrupt = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
        .count();
    assert_eq!(
        corrupt,
        forged.len(),
        "kept aside for inspection, none overwritten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_create_leaves_nothing_behind() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    env.sim
        .faults()
        .push(Endpoint::CreateSession, Fault::Status(400));
    let flow = client.new_flow(options()).unwrap();
    assert!(matches!(
        flow.start().await,
        Err(FinConnError::Rejected { .. })
    ));
    assert_eq!(flow.phase(), FlowPhase::Failed);
    assert!(files(&env).is_empty(), "{:?}", files(&env));
    // A never-started flow writes nothing at all.
    let idle = client.new_flow(options()).unwrap();
    drop(idle);
    assert!(files(&env).is_empty());
    let _ = SheetOutcome::NoResult;
}
