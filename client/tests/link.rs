//! `FlowClient::link` with a fake sheet presenter against the loopback simulator: success, a
//! cancel, a sheet failure, a presenter that cannot show the sheet, the user leaving for the bank
//! and the deep link coming back through the client, a temporary backend error, and a process
//! killed in every phase the link passes (the relaunch's one `resume_pending` call finishes it:
//! exactly one session, exactly one report).

mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use finconn_client::flow::{FlowClient, SheetConfiguration};
use finconn_client::link::{LinkEvents, PresentError, SheetPresenter};
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::network::BoxFuture;
use finconn_core::reconcile::{FlowStatus, SheetOutcome};
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Fault, Institution};
use support::*;

/// What the fake sheet does once presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sheet {
    /// The user links at `institution`, leaves for the bank, and the redirect comes back
    /// through `FlowClient::handle_url`; the sheet reports what the institution did.
    Links(Institution),
    /// The sheet reports a failure of Stripe's own.
    Fails,
    /// The sheet cannot be shown at all.
    CannotPresent,
    /// The user leaves for the bank and the process dies there: never returns.
    DiesAtTheBank,
    /// The sheet is up and the process dies: never returns.
    DiesPresenting,
}

struct FakePresenter {
    /// The simulated Stripe, where the user's sheet runs.
    stripe: finconn_testkit::InMemoryStripe,
    client: FlowClient,
    sheet: Sheet,
    seen: Mutex<Vec<String>>,
}

impl FakePresenter {
    fn new(env: &Env, client: &FlowClient, sheet: Sheet) -> Arc<FakePresenter> {
        Arc::new(FakePresenter {
            stripe: env.sim.stripe().clone(),
            client: client.clone(),
            sheet,
            seen: Mutex::new(Vec::new()),
        })
    }
}

impl SheetPresenter for FakePresenter {
    fn present(
        &self,
        configuration: SheetConfiguration,
        events: LinkEvents,
    ) -> BoxFuture<'_, Result<SheetOutcome, PresentError>> {
        Box::pin(async move {
            self.seen
                .lock()
                .unwrap()
                .push(configuration.session_id.clone());
            match self.sheet {
                Sheet::CannotPresent => {
                    return Err(PresentError {
                        reason: "no activity to present from".into(),
                    })
                }
                Sheet::DiesPresenting => std::future::pending::<()>().await,
                _ => {}
            }
            events.record_stripe_event("open", HashMap::new());
            events.user_left_app();
            if self.sheet == Sheet::DiesAtTheBank {
                std::future::pending::<()>().await;
            }
            let Sheet::Links(institution) = self.sheet else {
                return Ok(SheetOutcome::Failed {
                    error: "unexpected_error".into(),
                });
            };
            let done = self
                .stripe
                .complete_sheet(&configuration.session_id, institution)
                .expect("the simulated sheet runs");
            if let Some(url) = &done.redirect_url {
                let handled = self.client.handle_url(url);
                assert!(handled.is_flow_url && handled.recorded, "{handled:?}");
            }
            Ok(sheet_outcome(&done))
        })
    }
}

fn quick_retry_opts() -> Opts {
    Opts::default()
}

#[tokio::test]
async fn link_drives_a_whole_flow_to_one_session_and_one_report() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts());
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let presenter = FakePresenter::new(&env, &client, Sheet::Links(Institution::SuccessThree));
    let result = client
        .link(options(), presenter.clone())
        .await
        .expect("linked");
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(result.accounts.len(), 3);
    let session = result.session_id.clone().expect("a session");
    assert_eq!(env.sim.sessions_created(), 1);
    assert_eq!(env.sim.reports_received(&session), 1);
    assert!(client.events_delivered().await);
    let phases: Vec<FlowPhase> = events
        .events()
        .iter()
        .filter_map(|e| match e {
            FlowEvent::PhaseChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect();
    assert!(phases.contains(&FlowPhase::Presenting), "{phases:?}");
    assert!(
        phases.contains(&FlowPhase::AwaitingReturn),
        "the presenter's userLeftApp reached the flow: {phases:?}"
    );
    assert!(events
        .events()
        .iter()
        .any(|e| matches!(e, FlowEvent::StripeEvent { name, .. } if name == "open")));
}

#[tokio::test]
async fn a_cancel_and_a_sheet_failure_end_the_flow_with_their_status() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts());
    let canceled = client
        .link(
            options(),
            FakePresenter::new(&env, &client, Sheet::Links(Institution::OauthCanceled)),
        )
        .await
        .expect("a cancel is a result");
    assert_eq!(canceled.status, FlowStatus::Canceled);
    assert!(canceled.accounts.is_empty());
    let failed = client
        .link(options(), FakePresenter::new(&env, &client, Sheet::Fails))
        .await
        .expect("a failure is a result");
    assert_eq!(failed.status, FlowStatus::Failed);
    for result in [&canceled, &failed] {
        let session = result.session_id.clone().expect("a session");
        assert_eq!(env.sim.reports_received(&session), 1, "{result:?}");
    }
}

#[tokio::test]
async fn a_presenter_that_cannot_show_the_sheet_cancels_the_flow() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts());
    let presenter = FakePresenter::new(&env, &client, Sheet::CannotPresent);
    let e = client.link(options(), presenter.clone()).await.unwrap_err();
    assert_eq!(e.code(), "other");
    assert!(
        !e.reason().contains("no activity"),
        "the host's reason is never shown: {e}"
    );
    let session = presenter.seen.lock().unwrap()[0].clone();
    assert_eq!(
        env.sim.reports_received(&session),
        1,
        "the session is reported canceled"
    );
    let report = &env.sim.reports(&session)[0];
    assert_eq!(report["sheet_outcome"], "canceled", "{report}");
}

#[tokio::test]
async fn a_temporary_backend_error_is_retried_within_a_bound() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts().attempts(2));
    // Two attempts of the client fail, the link's next try succeeds: one session.
    for _ in 0..2 {
        env.sim
            .faults()
            .push(Endpoint::CreateSession, Fault::Status(503));
    }
    let presenter = FakePresenter::new(&env, &client, Sheet::Links(Institution::SuccessOne));
    let result = client
        .link(options(), presenter)
        .await
        .expect("linked after a retry");
    assert_eq!(result.status, FlowStatus::Completed);
    assert_eq!(env.sim.sessions_created(), 1);

    // An outage longer than the bound reaches the app as ServiceUnavailable, nothing created.
    for _ in 0..(2 * 3) {
        env.sim
            .faults()
            .push(Endpoint::CreateSession, Fault::Status(503));
    }
    let presenter = FakePresenter::new(&env, &client, Sheet::Links(Institution::SuccessOne));
    let e = client.link(options(), presenter.clone()).await.unwrap_err();
    assert!(
        matches!(
            e,
            FinConnError::ServiceUnavailable {
                status: Some(503),
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        presenter.seen.lock().unwrap().is_empty(),
        "no sheet without a session"
    );
    assert_eq!(env.sim.sessions_created(), 1);
}

/// Kills the process while `link` is at `sheet` (after `wait` for the slow step to be reached),
/// relaunches on the same data directory, and checks that one `resume_pending` finishes the
/// flow with one session and one report.
async fn kill_and_relaunch(
    sheet: Sheet,
    prepare: impl FnOnce(&Env),
    bank_finishes: bool,
    expect: FlowStatus,
) {
    let env = Env::start().await;
    prepare(&env);
    let seen = {
        let client = env.client(&quick_retry_opts());
        let presenter = FakePresenter::new(&env, &client, sheet);
        let link = tokio::spawn({
            let client = client.clone();
            let presenter = presenter.clone();
            async move { client.link(options(), presenter).await }
        });
        tokio::time::sleep(Duration::from_millis(400)).await;
        link.abort(); // the process dies here
        let _ = link.await;
        let seen = presenter.seen.lock().unwrap().clone();
        seen
    };
    if bank_finishes {
        // The user finishes at the bank while the app is dead.
        env.sheet(&seen[0], Institution::SuccessOne);
    }
    let relaunched = env.client(&quick_retry_opts());
    let recovery = relaunched.resume_pending().await.expect("launch step");
    let again = relaunched
        .resume_pending()
        .await
        .expect("the launch step is idempotent");
    assert!(
        again.finished.is_empty() && again.waiting.is_empty(),
        "nothing twice"
    );
    let sessions = env.sim.sessions_created();
    assert!(sessions <= 1, "{sessions} sessions");
    match recovery.finished.as_slice() {
        [result] => {
            assert_eq!(result.status, expect, "{result:?}");
            if bank_finishes {
                assert_eq!(result.accounts.len(), 1, "{result:?}");
            }
            // A flow killed before it knew its session ends canceled with none to report.
            if let Some(session) = &result.session_id {
                assert_eq!(env.sim.reports_received(session), 1);
            }
        }
        [] => assert_eq!(
            sessions, 0,
            "a flow killed before its session leaves nothing to do"
        ),
        more => panic!("{} results for one flow", more.len()),
    }
}

#[tokio::test]
async fn killed_while_creating_the_session() {
    kill_and_relaunch(
        Sheet::Links(Institution::SuccessOne),
        |env| {
            env.sim.faults().push(
                Endpoint::CreateSession,
                Fault::Delay(Duration::from_millis(600)),
            );
        },
        false,
        FlowStatus::Canceled,
    )
    .await;
}

#[tokio::test]
async fn killed_while_the_sheet_is_up() {
    kill_and_relaunch(Sheet::DiesPresenting, |_| {}, false, FlowStatus::Canceled).await;
}

#[tokio::test]
async fn killed_while_the_user_is_at_the_bank_who_then_finishes_there() {
    kill_and_relaunch(Sheet::DiesAtTheBank, |_| {}, true, FlowStatus::Completed).await;
}

#[tokio::test]
async fn killed_while_reconciling() {
    kill_and_relaunch(
        Sheet::Links(Institution::SuccessOne),
        |env| {
            env.sim
                .faults()
                .push(Endpoint::Complete, Fault::Delay(Duration::from_millis(700)));
        },
        false,
        FlowStatus::Completed,
    )
    .await;
}

#[tokio::test]
async fn a_deep_link_with_no_flow_waiting_is_classified_not_recorded() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts());
    let handled = client.handle_url(&format!("{RETURN_URL}?status=success"));
    assert!(handled.is_flow_url && !handled.recorded, "{handled:?}");
    let hostile = client.handle_url("finconn-test://stripe-redirect.evil.example/?status=success");
    assert!(!hostile.is_flow_url, "{hostile:?}");
}

#[tokio::test]
async fn the_setup_self_check_names_what_to_fix() {
    let env = Env::start().await;
    let client = env.client(&quick_retry_opts());
    let findings = client.check_setup().await;
    let failed: Vec<&str> = findings
        .iter()
        .filter(|f| !f.passed)
        .map(|f| f.code.as_str())
        .collect();
    // The simulator is plain http on loopback: fine for development, flagged for a release.
    assert_eq!(failed, ["backend_https"], "{findings:?}");
    assert!(findings
        .iter()
        .any(|f| f.code == "data_dir_writable" && f.passed));
    assert!(
        std::fs::read_dir(env.dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("probe")),
        "the probe file is removed"
    );
}

#[tokio::test]
async fn a_deep_link_for_another_app_id_is_a_configuration_warning_not_silence() {
    let env = Env::start().await;
    let mut config = env.flow_config(&quick_retry_opts());
    config.android_app_id = Some("com.example.app".into());
    let client = FlowClient::new(
        config,
        Some(Arc::new(BearerToken(USER_TOKEN.into()))),
        transport(),
    )
    .expect("valid flow config");
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    // Stripe's Android redirect for another application id: rejected, and said loudly.
    let handled = client.handle_url(
        "stripe-auth://link-accounts/com.example.app.evil/success?linked_account=fca_1QUERY",
    );
    assert!(!handled.is_flow_url);
    assert_eq!(handled.reject_reason.as_deref(), Some("app_id_mismatch"));
    // An ordinary foreign link is rejected without a warning.
    let foreign = client.handle_url("https://example.com/somewhere-else");
    assert!(!foreign.is_flow_url);
    assert!(client.events_delivered().await);
    let warnings: Vec<(String, String)> = events
        .events()
        .into_iter()
        .filter_map(|e| match e {
            FlowEvent::ConfigurationWarning { code, message } => Some((code, message)),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "app_id_mismatch");
    assert!(
        warnings[0].1.contains("com.example.app"),
        "{}",
        warnings[0].1
    );
    // It names the application id that arrived, never the link's query.
    assert!(
        warnings[0].1.contains("com.example.app.evil"),
        "{}",
        warnings[0].1
    );
    assert!(!warnings[0].1.contains("QUERY"), "{}", warnings[0].1);
}
