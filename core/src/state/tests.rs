//! Tests of the flow state machine: every legal path, every illegal move, snapshots at every phase.

use super::*;
use crate::model::Permission;
use crate::reconcile::{reconcile, ReconcileInput, ResultSource};
use crate::return_url::{RedirectStatus, ReturnUrlHints};
use proptest::prelude::*;

const SECRET: &str = "fcsess_1abc_secret_DO_NOT_LEAK";
const PK: &str = "pk_test_DO_NOT_LEAK";

fn machine() -> FlowMachine {
    FlowMachine::new(
        "flow_1",
        "fcidem_1",
        SessionOptions::with_permissions(vec![Permission::Balances]),
    )
}

fn info() -> SessionInfo {
    SessionInfo {
        session_id: "fcsess_1".into(),
        livemode: false,
        stripe_account: None,
        report_token: Some(ReportToken("rt_1".into())),
    }
}

fn creds() -> SheetCredentials {
    SheetCredentials {
        client_secret: Secret::new(SECRET),
        publishable_key: Secret::new(PK),
    }
}

fn hints(status: RedirectStatus) -> ReturnUrlHints {
    ReturnUrlHints {
        status: Some(status),
        error_reason: None,
        session_id: None,
    }
}

fn result(status: FlowStatus) -> FlowResult {
    FlowResult {
        status,
        session_id: Some("fcsess_1".into()),
        accounts: vec![],
        relink: None,
        error: None,
        source: ResultSource::Server,
        warnings: vec![],
        duplicates: vec![],
    }
}

/// Drives a fresh machine to `phase` along the happy path.
fn at(phase: FlowPhase) -> FlowMachine {
    let mut m = machine();
    let path: &[FlowPhase] = match phase {
        FlowPhase::Idle => &[],
        FlowPhase::CreatingSession => &[FlowPhase::CreatingSession],
        FlowPhase::Ready => &[FlowPhase::CreatingSession, FlowPhase::Ready],
        FlowPhase::Presenting => &[
            FlowPhase::CreatingSession,
            FlowPhase::Ready,
            FlowPhase::Presenting,
        ],
        FlowPhase::AwaitingReturn => &[
            FlowPhase::CreatingSession,
            FlowPhase::Ready,
            FlowPhase::Presenting,
            FlowPhase::AwaitingReturn,
        ],
        FlowPhase::Reconciling => &[
            FlowPhase::CreatingSession,
            FlowPhase::Ready,
            FlowPhase::Presenting,
            FlowPhase::Reconciling,
        ],
        FlowPhase::Completed | FlowPhase::Canceled | FlowPhase::Failed => &[
            FlowPhase::CreatingSession,
            FlowPhase::Ready,
            FlowPhase::Presenting,
            FlowPhase::Reconciling,
            phase,
        ],
    };
    for step in path {
        match step {
            FlowPhase::CreatingSession => m.begin_create().unwrap(),
            FlowPhase::Ready => m.session_created(info(), creds()).unwrap(),
            FlowPhase::Presenting => m.present().unwrap(),
            FlowPhase::AwaitingReturn => m.user_left_app().unwrap(),
            FlowPhase::Reconciling => m.sheet_result(SheetOutcome::Canceled).unwrap(),
            FlowPhase::Completed => m.finish(result(FlowStatus::Completed)).unwrap(),
            FlowPhase::Canceled => m.finish(result(FlowStatus::Canceled)).unwrap(),
            FlowPhase::Failed => m.finish(result(FlowStatus::Failed)).unwrap(),
            FlowPhase::Idle => unreachable!(),
        };
    }
    assert_eq!(m.phase(), phase);
    m
}

#[test]
fn happy_path_with_a_bank_app_round_trip() {
    let mut m = machine();
    assert_eq!(
        m.begin_create().unwrap(),
        PhaseChange {
            from: FlowPhase::Idle,
            to: FlowPhase::CreatingSession
        }
    );
    m.session_created(info(), creds()).unwrap();
    assert_eq!(m.credentials().unwrap().client_secret.expose(), SECRET);
    m.present().unwrap();
    m.user_left_app().unwrap();
    assert_eq!(m.phase(), FlowPhase::AwaitingReturn);
    let change = m
        .return_url_received(hints(RedirectStatus::Success))
        .unwrap();
    assert_eq!(change.to, FlowPhase::Presenting);
    assert_eq!(m.url_hints().unwrap().status, Some(RedirectStatus::Success));
    m.sheet_result(SheetOutcome::Completed { session: None })
        .unwrap();
    let r = reconcile(ReconcileInput::new(m.sheet_outcome().unwrap()));
    m.finish(r).unwrap();
    // No session anywhere: reconciliation cannot confirm anything.
    assert_eq!(m.phase(), FlowPhase::Failed);
}

#[test]
fn presenting_twice_is_an_error_and_changes_nothing() {
    let mut m = at(FlowPhase::Presenting);
    let before = m.clone();
    assert_eq!(
        m.present(),
        Err(TransitionError::NotAllowed {
            action: "present the sheet",
            phase: FlowPhase::Presenting
        })
    );
    assert_eq!(m, before);
}

#[test]
fn a_result_for_a_flow_that_never_started_is_an_error() {
    for phase in [FlowPhase::Idle, FlowPhase::CreatingSession] {
        let mut m = at(phase);
        let err = m.sheet_result(SheetOutcome::Canceled).unwrap_err();
        assert!(
            matches!(err, TransitionError::NotAllowed { .. }),
            "{phase}: {err}"
        );
        assert!(err.to_string().contains(phase.as_str()));
    }
}

#[test]
fn a_second_completion_is_an_error() {
    let mut m = at(FlowPhase::Completed);
    assert_eq!(
        m.finish(result(FlowStatus::Completed)),
        Err(TransitionError::AlreadyFinished {
            phase: FlowPhase::Completed
        })
    );
    assert_eq!(m.result().unwrap().status, FlowStatus::Completed);
}

#[test]
fn terminal_phases_refuse_everything() {
    for phase in [FlowPhase::Completed, FlowPhase::Canceled, FlowPhase::Failed] {
        let mut m = at(phase);
        let errors = [
            m.begin_create().unwrap_err(),
            m.present().unwrap_err(),
            m.user_left_app().unwrap_err(),
            m.return_url_received(hints(RedirectStatus::Cancel))
                .unwrap_err(),
            m.sheet_result(SheetOutcome::NoResult).unwrap_err(),
            m.resume_after_restart().unwrap_err(),
            m.cancel().unwrap_err(),
        ];
        for e in errors {
            assert_eq!(e, TransitionError::AlreadyFinished { phase });
        }
    }
}

#[test]
fn return_urls_are_only_accepted_while_the_sheet_is_up() {
    for phase in [
        FlowPhase::Idle,
        FlowPhase::CreatingSession,
        FlowPhase::Ready,
        FlowPhase::Reconciling,
    ] {
        let mut m = at(phase);
        assert!(
            m.return_url_received(hints(RedirectStatus::Success))
                .is_err(),
            "{phase}"
        );
    }
}

#[test]
fn cancel_before_presenting_only() {
    for phase in [
        FlowPhase::Idle,
        FlowPhase::CreatingSession,
        FlowPhase::Ready,
    ] {
        let mut m = at(phase);
        m.cancel().unwrap();
        assert_eq!(m.phase(), FlowPhase::Canceled);
        assert!(m.credentials().is_none());
        let result = m.result().expect("a canceled flow has a result");
        assert_eq!(result.status, FlowStatus::Canceled);
        assert!(result.accounts.is_empty());
    }
    assert!(at(FlowPhase::Presenting).cancel().is_err());
}

#[test]
fn create_failure_ends_the_flow() {
    let mut m = at(FlowPhase::CreatingSession);
    m.create_failed(FlowFailure {
        code: "backend_rejected".into(),
        message: "400".into(),
    })
    .unwrap();
    assert_eq!(m.phase(), FlowPhase::Failed);
    assert_eq!(m.failure().unwrap().code, "backend_rejected");
}

#[test]
fn creating_again_reuses_the_idempotency_key() {
    let mut m = at(FlowPhase::CreatingSession);
    m.begin_create().unwrap();
    assert_eq!(m.idempotency_key(), "fcidem_1");
    let mut restored = FlowMachine::restore(&m.snapshot()).unwrap();
    restored.begin_create().unwrap();
    assert_eq!(restored.idempotency_key(), "fcidem_1");
}

#[test]
fn snapshot_at_every_phase_restores_without_secrets() {
    for phase in FlowPhase::ALL {
        let m = at(phase);
        let snap = m.snapshot();
        assert!(!snap.contains(SECRET), "{phase}: {snap}");
        assert!(!snap.contains(PK), "{phase}: {snap}");
        let json: serde_json::Value = serde_json::from_str(&snap).unwrap();
        assert_eq!(json["version"], SNAPSHOT_VERSION);
        let back = FlowMachine::restore(&snap).unwrap();
        assert_eq!(back.phase(), phase);
        assert!(back.was_restored());
        assert!(back.credentials().is_none());
        assert_eq!(
            back.snapshot(),
            snap,
            "{phase}: snapshot → restore → snapshot is lossless"
        );
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let m = at(FlowPhase::Presenting);
    let debug = format!("{m:?}");
    assert!(!debug.contains(SECRET) && !debug.contains(PK), "{debug}");
}

#[test]
fn a_restored_flow_cannot_present_but_reconciles() {
    let mut m = FlowMachine::restore(&at(FlowPhase::Ready).snapshot()).unwrap();
    assert_eq!(m.present(), Err(TransitionError::CredentialsLost));
    for phase in [
        FlowPhase::Ready,
        FlowPhase::Presenting,
        FlowPhase::AwaitingReturn,
        FlowPhase::Reconciling,
    ] {
        let mut m = FlowMachine::restore(&at(phase).snapshot()).unwrap();
        m.resume_after_restart().unwrap();
        assert_eq!(m.phase(), FlowPhase::Reconciling);
        let expected = if phase == FlowPhase::Reconciling {
            SheetOutcome::Canceled // the outcome it had before the kill is kept
        } else {
            SheetOutcome::NoResult
        };
        assert_eq!(m.sheet_outcome(), Some(&expected));
        assert_eq!(m.session().unwrap().session_id, "fcsess_1");
    }
    let mut idle = FlowMachine::restore(&at(FlowPhase::Idle).snapshot()).unwrap();
    assert!(idle.resume_after_restart().is_err());
}

#[test]
fn bad_snapshots_are_typed_errors() {
    assert!(matches!(
        FlowMachine::restore(""),
        Err(SnapshotError::Malformed(_))
    ));
    assert!(matches!(
        FlowMachine::restore("{\"version\":1}"),
        Err(SnapshotError::Malformed(_))
    ));
    assert!(matches!(
        FlowMachine::restore("[1,2]"),
        Err(SnapshotError::Malformed(_))
    ));
    let future = at(FlowPhase::Ready)
        .snapshot()
        .replacen("\"version\":1", "\"version\":99", 1);
    assert_eq!(
        FlowMachine::restore(&future),
        Err(SnapshotError::UnsupportedVersion {
            found: 99,
            supported: SNAPSHOT_VERSION
        })
    );
    let mut v: serde_json::Value =
        serde_json::from_str(&at(FlowPhase::Presenting).snapshot()).unwrap();
    v.as_object_mut().unwrap().remove("session");
    assert!(matches!(
        FlowMachine::restore(&v.to_string()),
        Err(SnapshotError::Inconsistent(_))
    ));
}

/// One step of a random walk over the machine's API.
#[derive(Debug, Clone)]
enum Step {
    BeginCreate,
    Created,
    CreateFailed,
    Present,
    LeftApp,
    Url(u8),
    Sheet(u8),
    Resume,
    Finish(u8),
    Cancel,
    SnapshotRestore,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::BeginCreate),
        Just(Step::Created),
        Just(Step::CreateFailed),
        Just(Step::Present),
        Just(Step::LeftApp),
        any::<u8>().prop_map(Step::Url),
        any::<u8>().prop_map(Step::Sheet),
        Just(Step::Resume),
        any::<u8>().prop_map(Step::Finish),
        Just(Step::Cancel),
        Just(Step::SnapshotRestore),
    ]
}

proptest! {
    /// Any sequence of calls: never a panic, errors leave the machine unchanged, and at every
    /// point snapshot → restore → snapshot is the identity and holds no secret.
    #[test]
    fn random_walks_keep_snapshots_lossless(steps in proptest::collection::vec(step(), 0..24)) {
        let mut m = machine();
        for s in steps {
            let before = m.clone();
            let outcome = match s {
                Step::BeginCreate => m.begin_create(),
                Step::Created => m.session_created(info(), creds()),
                Step::CreateFailed => m.create_failed(FlowFailure { code: "x".into(), message: "y".into() }),
                Step::Present => m.present(),
                Step::LeftApp => m.user_left_app(),
                Step::Url(n) => m.return_url_received(hints(match n % 4 {
                    0 => RedirectStatus::Success,
                    1 => RedirectStatus::Cancel,
                    2 => RedirectStatus::Failure,
                    _ => RedirectStatus::Unknown(format!("weird_{n}")),
                })),
                Step::Sheet(n) => m.sheet_result(match n % 3 {
                    0 => SheetOutcome::Canceled,
                    1 => SheetOutcome::Failed { error: format!("e{n}") },
                    _ => SheetOutcome::Completed { session: None },
                }),
                Step::Resume => m.resume_after_restart(),
                Step::Finish(n) => m.finish(result(match n % 3 {
                    0 => FlowStatus::Completed,
                    1 => FlowStatus::Canceled,
                    _ => FlowStatus::Failed,
                })),
                Step::Cancel => m.cancel(),
                Step::SnapshotRestore => {
                    m = FlowMachine::restore(&m.snapshot()).unwrap();
                    Ok(PhaseChange { from: m.phase(), to: m.phase() })
                }
            };
            if outcome.is_err() {
                prop_assert_eq!(&m, &before);
            }
            let snap = m.snapshot();
            prop_assert!(!snap.contains(SECRET) && !snap.contains(PK));
            let back = FlowMachine::restore(&snap).unwrap();
            prop_assert_eq!(back.phase(), m.phase());
            prop_assert_eq!(back.snapshot(), snap);
        }
    }
}
