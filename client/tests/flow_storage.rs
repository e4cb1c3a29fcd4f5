//! The app's storage fails or holds what the core did not put there.
//!
//! - A directory that refuses writes, and a disk that fills up in the middle of a write: the call
//!   that changed the phase fails with `FinConnError::Storage`, the flow stays where it was (in memory and
//!   on disk), and the session still gets exactly one report, by a retry or after a relaunch.
//! - FIFOs, symbolic links and 20,000 junk files in the data directory: the launch neither hangs
//!   nor slows down, nothing outside the directory is followed, and the counts are true on every
//!   launch (a file moved aside is counted once; what is not ours is never counted).
#![cfg(unix)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use finconn_client::backend::CompletionReport;
use finconn_client::flow::{Flow, FlowClient, FlowConfig};
use finconn_client::outbox::Outbox;
use finconn_client::store::{seam, CORRUPT_KEEP};
use finconn_core::error::FinConnError;
use finconn_core::events::{FlowEvent, OutboxSummary};
use finconn_core::reconcile::FlowStatus;
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Institution};
use support::*;

fn flows_dir(env: &Env) -> PathBuf {
    env.dir.path().join("finconn-flows")
}

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every file the core keeps for flows and reports.
fn store_files(env: &Env) -> Vec<String> {
    let mut all = names(&flows_dir(env));
    all.extend(names(&env.outbox_dir()));
    all
}

/// The phase the flow's snapshot on disk holds (`None`: no snapshot).
fn disk_phase(env: &Env, flow_id: &str) -> Option<FlowPhase> {
    let bytes = fs::read(flows_dir(env).join(format!("flow-{flow_id}.json"))).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).expect("a whole snapshot");
    Some(serde_json::from_value(v["phase"].clone()).expect("a phase"))
}

/// A directory that refuses writes, the way the system does it: `chmod 0500` when that refuses
/// (not root), else (root ignores permissions) the directory moved away and a regular file in its
/// place, so every create, rename and removal under it fails (`ENOTDIR`). Either way a real
/// failure of the system, which each test asserts it got.
struct Refusing {
    dir: PathBuf,
    away: Option<PathBuf>,
}

impl Refusing {
    fn start(dir: &Path) -> Refusing {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o500)).unwrap();
        let probe = dir.join("probe");
        if fs::File::create(&probe).is_err() {
            return Refusing {
                dir: dir.to_owned(),
                away: None,
            };
        }
        fs::remove_file(&probe).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
        let away = dir.with_extension("away");
        fs::rename(dir, &away).unwrap();
        fs::write(dir, b"not a directory").unwrap();
        Refusing {
            dir: dir.to_owned(),
            away: Some(away),
        }
    }

    fn repair(self) {
        use std::os::unix::fs::PermissionsExt;
        match &self.away {
            None => fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700)).unwrap(),
            Some(away) => {
                fs::remove_file(&self.dir).unwrap();
                fs::rename(away, &self.dir).unwrap();
            }
        }
    }
}

fn is_storage<T: std::fmt::Debug>(r: &Result<T, FinConnError>) -> bool {
    matches!(r, Err(FinConnError::Storage { .. }))
}

/// The phases the listener heard of.
fn phases_announced(log: &EventLog) -> Vec<FlowPhase> {
    log.events()
        .into_iter()
        .filter_map(|e| match e {
            FlowEvent::PhaseChanged { to, .. } => Some(to),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_refuses_writes_fails_each_phase_change_typed_and_a_retry_reports_once() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let log = Arc::new(EventLog::default());
    client.add_listener(log.clone());
    let flow = client.new_flow(options()).unwrap();
    let flows = flows_dir(&env);

    // Refused before anything was sent: no session exists, the flow is still idle.
    let refusing = Refusing::start(&flows);
    let started = flow.start().await;
    assert!(is_storage(&started), "{started:?}");
    assert_eq!(flow.phase(), FlowPhase::Idle);
    assert_eq!(env.sim.requests(Endpoint::CreateSession), 0, "nothing sent");
    let message = started.unwrap_err().to_string();
    assert!(
        !message.contains(&env.dir.path().display().to_string()),
        "no path in {message}"
    );
    refusing.repair();
    let sheet = flow.start().await.expect("the retry");
    assert_eq!(disk_phase(&env, &flow.flow_id()), Some(FlowPhase::Ready));

    // Each later phase change: refused, undone, never announced; then the same call again.
    let refusing = Refusing::start(&flows);
    assert!(is_storage(&flow.sheet_presented()));
    assert_eq!(flow.phase(), FlowPhase::Ready);
    assert!(!phases_announced(&log).contains(&FlowPhase::Presenting));
    refusing.repair();
    assert_eq!(disk_phase(&env, &flow.flow_id()), Some(FlowPhase::Ready));
    flow.sheet_presented().expect("the retry");

    let refusing = Refusing::start(&flows);
    assert!(is_storage(&flow.user_left_app()));
    assert_eq!(flow.phase(), FlowPhase::Presenting);
    refusing.repair();
    flow.user_left_app().expect("the retry");

    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    come_back(&flow, &done);
    let refusing = Refusing::start(&flows);
    let result = flow.sheet_result(sheet_outcome(&done)).await;
    assert!(is_storage(&result), "{result:?}");
    assert_eq!(flow.phase(), FlowPhase::Presenting);
    assert_eq!(
        env.sim.reports_received(&sheet.session_id),
        0,
        "the outcome was not saved: nothing was reported"
    );
    refusing.repair();
    let result = flow.sheet_result(sheet_outcome(&done)).await.unwrap();
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result_ids(&result), sheet_ids(&done));
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
    assert!(store_files(&env).is_empty(), "{:?}", store_files(&env));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_that_refuses_writes_loses_no_report_across_a_relaunch() {
    // The review's case: the flows directory refuses writes after `start`; the app carries on,
    // the user links at the bank, the app is killed and relaunched with the disk healthy again.
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let flow = client.new_flow(options()).unwrap();
    let sheet = flow.start().await.unwrap();
    let refusing = Refusing::start(&flows_dir(&env));
    assert!(is_storage(&flow.sheet_presented()));
    assert!(matches!(
        flow.user_left_app(),
        Err(FinConnError::InvalidState { .. })
    ));
    let done = env.sheet(&sheet.session_id, Institution::SuccessThree);
    drop(flow);
    drop(client);
    refusing.repair();

    let client = env.client(&Opts::default());
    let recovery = client.resume_pending().await.unwrap();
    assert_eq!(recovery.finished.len(), 1, "{recovery:?}");
    assert!(recovery.waiting.is_empty());
    let result = &recovery.finished[0];
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result_ids(result), sheet_ids(&done));
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
    assert!(store_files(&env).is_empty(), "{:?}", store_files(&env));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_reached_but_not_saved_is_asked_again_without_a_second_report() {
    // The report reaches the backend, then the flow's end cannot be saved (the snapshot cannot
    // be removed): `Storage`, the flow is still reconciling; asking again gives the result.
    let env = Env::start().await;
    let client = env.client(&Opts::default().timeout(Duration::from_secs(3)));
    let flow = client.new_flow(options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, Institution::SuccessOne);
    come_back(&flow, &done);
    // The backend takes its time: the directory starts refusing once `Reconciling` is saved.
    env.sim.faults().push(
        Endpoint::Complete,
        finconn_testkit::Fault::Delay(Duration::from_millis(400)),
    );
    let reconciling = tokio::spawn({
        let flow = flow.clone();
        let outcome = sheet_outcome(&done);
        async move { flow.sheet_result(outcome).await }
    });
    assert!(
        wait_until(Duration::from_secs(2), || flow.phase()
            == FlowPhase::Reconciling)
        .await,
        "reconciling"
    );
    assert_eq!(
        disk_phase(&env, &flow.flow_id()),
        Some(FlowPhase::Reconciling)
    );
    let refusing = Refusing::start(&flows_dir(&env));
    let result = reconciling.await.unwrap();
    assert!(is_storage(&result), "{result:?}");
    assert_eq!(flow.phase(), FlowPhase::Reconciling);
    assert_eq!(env.sim.reports_received(&sheet.session_id), 1);
    refusing.repair();
    let result = flow.resume().await.unwrap();
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result_ids(&result), sheet_ids(&done));
    assert_eq!(
        env.sim.reports_received(&sheet.session_id),
        1,
        "the same report again (same id): counted once"
    );
    assert!(store_files(&env).is_empty(), "{:?}", store_files(&env));
}

/// The call during which the disk fills up, and the writes that still fit before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FullAt {
    /// `start`: its first write (creating the session) fails; nothing is sent.
    Creating,
    /// `start`: the session was created, saving it fails.
    Ready,
    /// `sheet_presented`.
    Presenting,
    /// `user_left_app`.
    AwaitingReturn,
    /// `sheet_result`: saving the sheet's outcome fails; nothing is reported.
    Reconciling,
}

const FULL_AT: [FullAt; 5] = [
    FullAt::Creating,
    FullAt::Ready,
    FullAt::Presenting,
    FullAt::AwaitingReturn,
    FullAt::Reconciling,
];

impl FullAt {
    /// Index of the failing step: 0 start, 1 present, 2 leave, 3 the sheet's result.
    fn step(self) -> usize {
        match self {
            FullAt::Creating | FullAt::Ready => 0,
            FullAt::Presenting => 1,
            FullAt::AwaitingReturn => 2,
            FullAt::Reconciling => 3,
        }
    }
    /// Writes that still fit when the step begins.
    fn writes_that_fit(self) -> u64 {
        u64::from(self == FullAt::Ready)
    }
    /// The phase whose write fails.
    fn undone(self) -> FlowPhase {
        match self {
            FullAt::Creating => FlowPhase::CreatingSession,
            FullAt::Ready => FlowPhase::Ready,
            FullAt::Presenting => FlowPhase::Presenting,
            FullAt::AwaitingReturn => FlowPhase::AwaitingReturn,
            FullAt::Reconciling => FlowPhase::Reconciling,
        }
    }
    /// The phase the flow keeps, in memory and on disk (`Idle` is never written).
    fn kept(self) -> FlowPhase {
        match self {
            FullAt::Creating => FlowPhase::Idle,
            FullAt::Ready => FlowPhase::CreatingSession,
            FullAt::Presenting => FlowPhase::Ready,
            FullAt::AwaitingReturn => FlowPhase::Presenting,
            // The deep link brought the flow back to presenting.
            FullAt::Reconciling => FlowPhase::Presenting,
        }
    }
}

/// Runs a flow whose disk fills up (through the store's seam) in the middle of the write of one
/// phase change, then either repeats the call once there is space (`retry`) or is killed and
/// relaunched. Either way: one session at most, exactly one report for it, nothing left on disk.
async fn full_disk_case(at: FullAt, retry: bool) {
    let env = Env::start().await;
    let full = seam::watch(&flows_dir(&env));
    let client = env.client(&Opts::default());
    let log = Arc::new(EventLog::default());
    client.add_listener(log.clone());
    let flow = client.new_flow(options()).unwrap();
    let flow_id = flow.flow_id();
    let mut session_id = None;
    let mut done = None;
    for step in 0..4 {
        if step == 3 && done.is_none() {
            // The user links at the bank and comes back (the deep link is saved before the disk
            // fills up).
            let d = env.sheet(session_id.as_deref().unwrap(), Institution::SuccessThree);
            come_back(&flow, &d);
            done = Some(d);
        }
        if step == at.step() {
            full.fill_after_writes(Some(at.writes_that_fit()));
        }
        let outcome = run_step(&flow, step, &mut session_id, &done).await;
        if step != at.step() {
            outcome.unwrap_or_else(|e| panic!("{at:?} step {step}: {e}"));
            continue;
        }
        assert!(
            matches!(outcome, Err(FinConnError::Storage { .. })),
            "{at:?}: {outcome:?}"
        );
        assert_eq!(full.injected(), 1, "{at:?}: the disk really filled up");
        assert_eq!(flow.phase(), at.kept(), "{at:?}: undone in memory");
        let on_disk = disk_phase(&env, &flow_id);
        let expected = (at.kept() != FlowPhase::Idle).then_some(at.kept());
        assert_eq!(on_disk, expected, "{at:?}: the old snapshot is intact");
        let leftovers: Vec<_> = names(&flows_dir(&env))
            .into_iter()
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{at:?}: {leftovers:?}");
        let announced = phases_announced(&log);
        assert!(
            !announced.contains(&at.undone()),
            "{at:?}: the undone change was never announced: {announced:?}"
        );
        if at == FullAt::Ready {
            assert_eq!(env.sim.sessions_created(), 1, "created, not saved");
        }
        full.fill_after_writes(None);
        if retry {
            run_step(&flow, step, &mut session_id, &done)
                .await
                .unwrap_or_else(|e| panic!("{at:?}: the retry: {e}"));
            continue;
        }
        // Killed now; the next launch has space again.
        if step >= 1 {
            // The app showed the sheet anyway: the user links at the bank.
            let sid = session_id.as_deref().unwrap();
            done.get_or_insert_with(|| env.sheet(sid, Institution::SuccessThree));
        }
        drop(flow);
        drop(client);
        let client = env.client(&Opts::default());
        let recovery = client.resume_pending().await.unwrap();
        assert!(recovery.waiting.is_empty(), "{at:?}: {recovery:?}");
        match at {
            FullAt::Creating => {
                assert!(recovery.finished.is_empty(), "{recovery:?}");
                assert_eq!(env.sim.sessions_created(), 0);
            }
            FullAt::Ready => {
                // Found again with the same key: that session is reported canceled.
                assert_eq!(recovery.finished.len(), 1, "{recovery:?}");
                assert_eq!(recovery.finished[0].status, FlowStatus::Canceled);
                session_id = recovery.finished[0].session_id.clone();
            }
            _ => {
                assert_eq!(recovery.finished.len(), 1, "{at:?}: {recovery:?}");
                let result = &recovery.finished[0];
                assert_eq!(result.status, FlowStatus::Completed, "{at:?}");
                assert_eq!(result_ids(result), sheet_ids(done.as_ref().unwrap()));
            }
        }
        return one_report_nothing_left(&env, at, session_id.as_deref());
    }
    let result = flow.result().expect("finished in this process");
    assert_eq!(result.status, FlowStatus::Completed, "{at:?}");
    assert_eq!(result_ids(&result), sheet_ids(done.as_ref().unwrap()));
    one_report_nothing_left(&env, at, session_id.as_deref());
}

/// At most one session, exactly one report for it, no file left.
fn one_report_nothing_left(env: &Env, at: FullAt, session_id: Option<&str>) {
    if let Some(sid) = session_id {
        assert_eq!(env.sim.sessions_created(), 1, "{at:?}");
        assert_eq!(
            env.sim.reports_received(sid),
            1,
            "{at:?}: exactly one report"
        );
    }
    assert!(
        store_files(env).is_empty(),
        "{at:?}: {:?}",
        store_files(env)
    );
}

/// One step of the flow: 0 start, 1 present, 2 leave for the bank, 3 the sheet reports what the
/// user did at the bank (`done`).
async fn run_step(
    flow: &Flow,
    step: usize,
    session_id: &mut Option<String>,
    done: &Option<finconn_testkit::SheetCompletion>,
) -> Result<(), FinConnError> {
    match step {
        0 => {
            let sheet = flow.start().await?;
            *session_id = Some(sheet.session_id);
            Ok(())
        }
        1 => flow.sheet_presented(),
        2 => flow.user_left_app(),
        _ => {
            let outcome = sheet_outcome(done.as_ref().expect("back from the bank"));
            flow.sheet_result(outcome).await.map(|_| ())
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_up_mid_write_at_any_phase_change_still_gets_one_report() {
    let cases: Vec<(FullAt, bool)> = FULL_AT
        .iter()
        .flat_map(|&at| [(at, true), (at, false)])
        .collect();
    let handles: Vec<_> = cases
        .iter()
        .map(|&(at, retry)| (at, retry, tokio::spawn(full_disk_case(at, retry))))
        .collect();
    let mut failures = Vec::new();
    for (at, retry, handle) in handles {
        if let Err(e) = handle.await {
            let how = if retry { "retried" } else { "relaunched" };
            failures.push(format!("  full at {at:?}, {how}: {}", panic_message(e)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---- what the data directory may hold -----------------------------------------------------------

/// A FIFO at `path` (through `mkfifo(1)`: `libc` is not a dependency).
fn mkfifo(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
    assert!(fs::symlink_metadata(path).unwrap().file_type().is_fifo());
}

/// What a launch (`FlowClient::new` + `resume_pending`) found, and how long it took.
#[derive(Debug, PartialEq, Eq)]
struct Launch {
    finished: usize,
    waiting: usize,
    quarantined: u32,
    reports: OutboxSummary,
}

/// Launches on a thread of its own; fails the test if the launch has not returned within
/// `limit` (a hang: a blocked `open` cannot be interrupted, the thread is left behind).
fn launch_within(limit: Duration, config: FlowConfig) -> (Launch, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let started = Instant::now();
        let launch = rt.block_on(async {
            let client = FlowClient::new(
                config,
                Some(Arc::new(BearerToken(USER_TOKEN.into()))),
                transport(),
            )
            .expect("the client opens");
            let r = client.resume_pending().await.expect("resume_pending");
            let again = client.send_pending_reports().await.expect("reports");
            assert_eq!(again, OutboxSummary::default(), "nothing left to send");
            Launch {
                finished: r.finished.len(),
                waiting: r.waiting.len(),
                quarantined: r.quarantined,
                reports: r.reports,
            }
        });
        let _ = tx.send((launch, started.elapsed()));
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("the launch did not return within {limit:?}: it hangs"))
}

fn nothing_found() -> Launch {
    Launch {
        finished: 0,
        waiting: 0,
        quarantined: 0,
        reports: OutboxSummary::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifos_in_the_data_directory_never_hang_the_launch() {
    let env = Env::start().await;
    let (flows, outbox) = (flows_dir(&env), env.outbox_dir());
    fs::create_dir_all(&flows).unwrap();
    fs::create_dir_all(&outbox).unwrap();
    let fifos = [
        outbox.join(".report-fcidem_a-complete.json.1.0123456789abcdef.tmp"),
        outbox.join(format!("report-fcidem_{:032x}-complete.json", 7)),
        flows.join(".flow-flow_a.json.1.0123456789abcdef.tmp"),
        flows.join(format!("flow-flow_{:032x}.json", 7)),
        flows.join(format!("flow-flow_{:032x}.lock", 8)),
    ];
    for f in &fifos {
        mkfifo(f);
    }
    // A FIFO moved aside long ago is pruned (removed, never opened).
    let old_aside = flows.join("flow-flow_b.json.corrupt-1-0000000a");
    mkfifo(&old_aside);

    for launch in 0..2 {
        let (found, took) =
            launch_within(Duration::from_secs(10), env.flow_config(&Opts::default()));
        assert_eq!(
            found,
            nothing_found(),
            "launch {launch}: not ours, not counted"
        );
        assert!(
            took < Duration::from_secs(2),
            "launch {launch} took {took:?}"
        );
    }
    for f in &fifos {
        assert!(
            fs::symlink_metadata(f).is_ok(),
            "left alone: {}",
            f.display()
        );
    }
    assert!(fs::symlink_metadata(&old_aside).is_err(), "pruned");
    // Flows still run next to them.
    let client = env.client(&Opts::default());
    let (_, done, result) = run_flow(&env, &client, Institution::SuccessOne).await;
    assert_eq!(result.unwrap().status, FlowStatus::Completed);
    assert_eq!(env.sim.reports_received(&done.session_id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbolic_links_to_files_outside_the_data_directory_are_never_followed() {
    let env = Env::start().await;
    let outside = tempfile::tempdir().unwrap();
    // A genuine flow in Ready and a genuine queued report, both moved outside the data directory
    // and linked back in under their own names.
    let client = env.client(&Opts::default());
    let flow = client.new_flow(options()).unwrap();
    flow.start().await.unwrap();
    let flow_id = flow.flow_id();
    drop(flow);
    drop(client);
    let snapshot_name = format!("flow-{flow_id}.json");
    let outside_snapshot = outside.path().join(&snapshot_name);
    fs::rename(flows_dir(&env).join(&snapshot_name), &outside_snapshot).unwrap();
    fs::remove_file(flows_dir(&env).join(format!("flow-{flow_id}.lock"))).unwrap();
    std::os::unix::fs::symlink(&outside_snapshot, flows_dir(&env).join(&snapshot_name)).unwrap();
    let report = CompletionReport {
        report_id: CompletionReport::id_for(&format!("fcidem_{:032x}", 9)),
        flow_id: format!("flow_{:032x}", 9),
        session_id: "fcsess_outside".into(),
        report_token: None,
        sheet_outcome: "completed".into(),
        account_ids: vec![],
        error_code: None,
        return_url_status: None,
    };
    Outbox::open(outside.path().join("outbox"))
        .unwrap()
        .put(&report)
        .unwrap();
    let report_name = format!("report-{}.json", report.report_id);
    std::os::unix::fs::symlink(
        outside.path().join("outbox").join(&report_name),
        env.outbox_dir().join(&report_name),
    )
    .unwrap();
    let before = fs::read(&outside_snapshot).unwrap();
    let requests = env.sim.requests(Endpoint::CreateSession) + env.sim.requests(Endpoint::Complete);

    for launch in 0..2 {
        let (found, _) = launch_within(Duration::from_secs(10), env.flow_config(&Opts::default()));
        assert_eq!(
            found,
            nothing_found(),
            "launch {launch}: not followed, not counted"
        );
    }
    assert_eq!(
        env.sim.requests(Endpoint::CreateSession) + env.sim.requests(Endpoint::Complete),
        requests,
        "nothing was resumed or sent through a link"
    );
    assert_eq!(fs::read(&outside_snapshot).unwrap(), before, "untouched");
    for link in [
        flows_dir(&env).join(&snapshot_name),
        env.outbox_dir().join(&report_name),
    ] {
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink(),
            "left alone: {}",
            link.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_junk_files_launch_fast_with_one_fsync_per_pass_and_true_counts() {
    let env = Env::start().await;
    let (flows, outbox) = (flows_dir(&env), env.outbox_dir());
    fs::create_dir_all(&flows).unwrap();
    fs::create_dir_all(&outbox).unwrap();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let old = now - 40 * 24 * 60 * 60;
    let mut made = 0;
    let mut junk = |path: PathBuf| {
        fs::write(path, b"\x00junk").unwrap();
        made += 1;
    };
    for i in 0..4_000 {
        junk(flows.join(format!("flow-junk{i}.json"))); // not a flow id: moved aside unread
        junk(flows.join(format!("flow-flow_{i:032x}.json"))); // a flow id, garbage: moved aside
        junk(flows.join(format!(".flow-flow_{i:x}.json.1.{i:016x}.tmp"))); // dead writer's
    }
    for i in 0..2_000 {
        junk(flows.join(format!("flow-a b{i}.json"))); // not a plain name: ignored
    }
    for i in 0..3_000 {
        junk(outbox.join(format!("report-fcidem_{i:032x}-complete.json"))); // garbage: moved aside
        junk(outbox.join(format!("report-x.json.corrupt-{old}-{i:08x}"))); // too old: pruned
    }
    assert_eq!(made, 20_000);

    let (flow_syncs, outbox_syncs) = (seam::watch(&flows), seam::watch(&outbox));
    let (first, took_first) =
        launch_within(Duration::from_secs(60), env.flow_config(&Opts::default()));
    assert_eq!(
        first,
        Launch {
            finished: 0,
            waiting: 0,
            quarantined: 8_000,
            reports: OutboxSummary {
                quarantined: 3_000,
                ..OutboxSummary::default()
            },
        }
    );
    // One fsync for the cleanup at open and one for the scan, per directory.
    assert_eq!(
        (flow_syncs.dir_syncs(), outbox_syncs.dir_syncs()),
        (2, 2),
        "directory fsyncs of the launch"
    );
    let count = |dir: &Path, f: &dyn Fn(&str) -> bool| names(dir).iter().filter(|n| f(n)).count();
    assert_eq!(count(&flows, &|n| n.contains(".corrupt-")), CORRUPT_KEEP);
    assert_eq!(count(&outbox, &|n| n.contains(".corrupt-")), CORRUPT_KEEP);
    assert_eq!(count(&flows, &|n| n.ends_with(".tmp")), 0);
    assert_eq!(
        count(&flows, &|n| n.starts_with("flow-a b")),
        2_000,
        "ignored"
    );
    assert_eq!(
        names(&flows).len(),
        CORRUPT_KEEP + 2_000,
        "nothing else left"
    );
    assert_eq!(names(&outbox).len(), CORRUPT_KEEP);

    // The next launch finds nothing to count and nothing to sync.
    let (second, took_second) =
        launch_within(Duration::from_secs(60), env.flow_config(&Opts::default()));
    assert_eq!(second, nothing_found());
    assert_eq!(
        (flow_syncs.dir_syncs(), outbox_syncs.dir_syncs()),
        (2, 2),
        "no fsync when nothing changed"
    );
    eprintln!(
        "launch over 20,000 junk files: first {took_first:?} (8,000 + 3,000 moved aside, \
         4,000 temporaries removed, 3,000 pruned), second {took_second:?}"
    );
    // Generous bounds for a debug build on a shared machine: the point is no per-file fsync and
    // no quadratic work (the review measured 7 s and 87 s before).
    assert!(took_first < Duration::from_secs(20), "{took_first:?}");
    assert!(took_second < Duration::from_secs(5), "{took_second:?}");
}
