//! `fc demo`: the project's main job. Starts the loopback simulator (merchant backend + in-memory
//! Stripe), runs a whole flow in-process through the core's public `FlowClient`/`Flow` API — the
//! "sheet" is played by a test institution and its redirect deep link is fed to `handle_url` —
//! and prints the linked accounts, or with `--json` one JSON object as the last line.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use finconn_client::backend::{BackendConfig, HeaderProvider, RetryPolicy};
use finconn_client::flow::{Flow, FlowClient, FlowConfig};
use finconn_core::model::{Account, Permission};
use finconn_core::options::{RelinkRequest, SessionOptions};
use finconn_core::reconcile::{FlowResult, FlowStatus, RelinkOutcome, SheetOutcome};
use finconn_testkit::{Endpoint, Fault, Institution, SheetCompletion, Simulator, SimulatorConfig};
use finconn_transport_reqwest::ReqwestTransport;
use serde::Serialize;

const RETURN_URL: &str = "finconn-demo://stripe-redirect";
const USER_TOKEN: &str = "demo-user-token";

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// Three accounts linked, the bank app redirects back: completed.
    Success,
    /// The user leaves the sheet before choosing a bank: canceled, no accounts.
    ExitEarly,
    /// The user cancels on the bank's OAuth page: canceled.
    OauthCanceled,
    /// An account goes inactive, the app starts a relink of its authorization: relinked.
    Relink,
    /// The app is killed while the user is in the bank's app; it is restored from its snapshot and
    /// the outbox: completed, exactly one report.
    KilledDuringOauth,
    /// Resets, 5xx, 429 and truncated bodies before success: one session, one report.
    FlakyBackend,
    /// The bank is down: the sheet fails, nothing is linked: failed.
    InstitutionDown,
    /// Accounts linked with balances, ownership and transactions: every feature refreshed
    /// (waiting for Stripe's asynchronous refreshes), owners read, all transactions synced.
    Data,
    /// As `data`, but the account goes inactive before the refresh: the refreshes fail and the
    /// account needs a relink.
    DataInactive,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Success => "success",
            Scenario::ExitEarly => "exit-early",
            Scenario::OauthCanceled => "oauth-canceled",
            Scenario::Relink => "relink",
            Scenario::KilledDuringOauth => "killed-during-oauth",
            Scenario::FlakyBackend => "flaky-backend",
            Scenario::InstitutionDown => "institution-down",
            Scenario::Data => "data",
            Scenario::DataInactive => "data-inactive",
        }
    }

    /// The status this scenario must end in; `fc demo` exits 1 otherwise.
    fn expected(self) -> FlowStatus {
        match self {
            Scenario::Success
            | Scenario::Relink
            | Scenario::KilledDuringOauth
            | Scenario::FlakyBackend
            | Scenario::Data
            | Scenario::DataInactive => FlowStatus::Completed,
            Scenario::ExitEarly | Scenario::OauthCanceled => FlowStatus::Canceled,
            Scenario::InstitutionDown => FlowStatus::Failed,
        }
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// Which story to run.
    #[arg(long, value_enum, default_value_t = Scenario::Success)]
    scenario: Scenario,
    /// Print one JSON object as the last line of standard output.
    #[arg(long)]
    json: bool,
    /// Log the core's steps to standard error (`RUST_LOG` syntax, e.g. `info`).
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
}

/// The host app's auth header, as a real app would supply it.
struct UserToken;

impl HeaderProvider for UserToken {
    fn headers(&self) -> Vec<(String, String)> {
        vec![("Authorization".into(), format!("Bearer {USER_TOKEN}"))]
    }
}

/// A demo failure: what went wrong, for standard error.
type DemoError = String;

struct Demo {
    sim: Simulator,
    data_dir: tempfile::TempDir,
}

impl Demo {
    fn say(&self, line: impl AsRef<str>) {
        println!("  {}", line.as_ref());
    }

    /// A fresh client, as an app process would make at launch.
    fn client(&self) -> Result<FlowClient, DemoError> {
        let mut backend = BackendConfig::new(self.sim.base_url());
        backend.stripe_api_base = self.sim.stripe_base_url();
        backend.request_timeout = Duration::from_secs(5);
        backend.retry = RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(400),
            max_retry_after: Duration::from_secs(5),
        };
        FlowClient::new(
            FlowConfig {
                backend,
                return_urls: vec![RETURN_URL.into()],
                android_app_id: None,
                data_dir: self.data_dir.path().to_path_buf(),
                stripe_fallback: true,
                refresh: finconn_client::account_data::RefreshPolicy {
                    deadline: Duration::from_secs(10),
                    first_poll: Duration::from_millis(20),
                    max_poll: Duration::from_millis(200),
                },
                data_limits: finconn_core::data::DataLimits::default(),
                link_retry: Default::default(),
            },
            Some(Arc::new(UserToken)),
            Arc::new(ReqwestTransport::new()),
        )
        .map_err(|e| format!("client: {e}"))
    }

    fn options(&self) -> SessionOptions {
        let mut o =
            SessionOptions::with_permissions(vec![Permission::Balances, Permission::PaymentMethod]);
        o.return_url = Some(RETURN_URL.into());
        o
    }

    /// start → present: returns the session id.
    async fn open_sheet(&self, flow: &Flow) -> Result<String, DemoError> {
        let sheet = flow.start().await.map_err(|e| format!("start: {e}"))?;
        self.say(format!(
            "backend created session {} (client secret and key stay in memory)",
            sheet.session_id
        ));
        flow.sheet_presented().map_err(|e| e.to_string())?;
        self.say("Stripe's sheet is presented");
        Ok(sheet.session_id)
    }

    /// The user goes through the sheet at `institution`.
    fn user_at_bank(
        &self,
        session_id: &str,
        institution: Institution,
    ) -> Result<SheetCompletion, DemoError> {
        let done = self
            .sim
            .complete_sheet(session_id, institution)
            .map_err(|e| format!("sheet: {e}"))?;
        self.say(format!(
            "user at \"{}\": sheet says {}{}",
            institution.name(),
            done.outcome.as_str(),
            done.error_code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default()
        ));
        Ok(done)
    }

    /// The redirect deep link (if any) comes back, then the sheet's callback.
    async fn finish(&self, flow: &Flow, done: &SheetCompletion) -> Result<FlowResult, DemoError> {
        if let Some(url) = &done.redirect_url {
            let handled = flow.handle_url(url);
            self.say(format!(
                "deep link {} → {}",
                strip_query(url),
                if handled.is_flow_url {
                    "ours (hints only)"
                } else {
                    "not ours"
                }
            ));
        }
        let outcome = sheet_outcome(done);
        flow.sheet_result(outcome)
            .await
            .map_err(|e| format!("sheet result: {e}"))
    }
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

fn sheet_outcome(done: &SheetCompletion) -> SheetOutcome {
    match done.outcome.as_str() {
        "completed" => SheetOutcome::Completed { session: None },
        "canceled" => SheetOutcome::Canceled,
        _ => SheetOutcome::Failed {
            error: done
                .error_code
                .clone()
                .unwrap_or_else(|| "unexpected_error".into()),
        },
    }
}

async fn run_scenario(demo: &Demo, scenario: Scenario) -> Result<FlowResult, DemoError> {
    let client = demo.client()?;
    match scenario {
        Scenario::Success
        | Scenario::ExitEarly
        | Scenario::OauthCanceled
        | Scenario::InstitutionDown => {
            let institution = match scenario {
                Scenario::Success => Institution::SuccessThree,
                Scenario::ExitEarly => Institution::ExitEarly,
                Scenario::OauthCanceled => Institution::OauthCanceled,
                _ => Institution::InstitutionDown,
            };
            let flow = client.new_flow(demo.options()).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            if institution == Institution::SuccessThree || institution == Institution::OauthCanceled
            {
                flow.user_left_app().map_err(|e| e.to_string())?;
                demo.say("user left for the bank's app");
            }
            let done = demo.user_at_bank(&session_id, institution)?;
            demo.finish(&flow, &done).await
        }
        Scenario::Relink => {
            // First link: one account is inactive and needs a relink.
            let flow = client.new_flow(demo.options()).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            let done = demo.user_at_bank(&session_id, Institution::InactiveNeedsRelink)?;
            let first = demo.finish(&flow, &done).await?;
            let broken: &Account = first
                .accounts
                .iter()
                .find(|a| a.needs_relink_now())
                .ok_or("the first link should leave an account needing relink")?;
            let authorization = broken
                .authorization
                .clone()
                .ok_or("the inactive account has no authorization")?;
            demo.say(format!(
                "{} needs a relink (authorization {authorization})",
                broken.display_line()
            ));
            // The relink flow.
            let mut options = demo.options();
            options.relink = Some(RelinkRequest {
                authorization,
                account: Some(broken.id.clone()),
                known_account_ids: first.accounts.iter().map(|a| a.id.clone()).collect(),
            });
            let flow = client.new_flow(options).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            let done = demo.user_at_bank(&session_id, Institution::RelinkSame)?;
            demo.finish(&flow, &done).await
        }
        Scenario::KilledDuringOauth => {
            let flow = client.new_flow(demo.options()).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            flow.user_left_app().map_err(|e| e.to_string())?;
            demo.say("user left for the bank's app; the core keeps the flow in the data directory (no secrets)");
            drop(flow);
            drop(client);
            demo.say("the OS kills the app");
            let done = demo.user_at_bank(&session_id, Institution::SuccessOne)?;
            // Relaunch: a new process, the same data directory.
            let client = demo.client()?;
            let pending = client.pending_flows().map_err(|e| e.to_string())?;
            demo.say(format!(
                "relaunch: {} interrupted flow(s) found",
                pending.flows.len()
            ));
            let flow = pending
                .flows
                .into_iter()
                .next()
                .ok_or("the interrupted flow was not found again")?;
            demo.say(format!(
                "flow {} found in phase {}",
                flow.flow_id(),
                flow.phase()
            ));
            if let Some(url) = &done.redirect_url {
                let handled = flow.handle_url(url);
                demo.say(format!(
                    "deep link {} → recorded: {}",
                    strip_query(url),
                    handled.recorded
                ));
            }
            let result = flow.resume().await.map_err(|e| format!("resume: {e}"))?;
            let reports = client
                .send_pending_reports()
                .await
                .map_err(|e| e.to_string())?;
            demo.say(format!(
                "pending reports: {} delivered, {} remaining",
                reports.delivered, reports.remaining
            ));
            Ok(result)
        }
        Scenario::Data | Scenario::DataInactive => {
            let institution = if scenario == Scenario::Data {
                Institution::DataBank
            } else {
                Institution::GoesInactiveBank
            };
            let mut options = SessionOptions::with_permissions(vec![
                Permission::Balances,
                Permission::Ownership,
                Permission::Transactions,
            ]);
            options.return_url = Some(RETURN_URL.into());
            let flow = client.new_flow(options).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            flow.user_left_app().map_err(|e| e.to_string())?;
            let done = demo.user_at_bank(&session_id, institution)?;
            demo.finish(&flow, &done).await
        }
        Scenario::FlakyBackend => {
            let faults = demo.sim.faults();
            faults.push(Endpoint::CreateSession, Fault::ConnectionReset);
            faults.push(Endpoint::CreateSession, Fault::Status(503));
            faults.push(Endpoint::CreateSession, Fault::ResetAfterCommit);
            faults.push(
                Endpoint::Complete,
                Fault::TooManyRequests {
                    retry_after_secs: 1,
                },
            );
            faults.push(
                Endpoint::Complete,
                Fault::after_commit(Fault::MalformedJson),
            );
            faults.push(Endpoint::Complete, Fault::Status(502));
            demo.say("faults queued: create = reset, 503, reset after commit; complete = 429, truncated body after commit, 502");
            let flow = client.new_flow(demo.options()).map_err(|e| e.to_string())?;
            let session_id = demo.open_sheet(&flow).await?;
            let done = demo.user_at_bank(&session_id, Institution::SuccessThree)?;
            demo.finish(&flow, &done).await
        }
    }
}

/// The `--json` line, fields in the documented order.
#[derive(Serialize)]
struct DemoJson<'a> {
    scenario: &'a str,
    status: &'a str,
    accounts: Vec<AccountJson<'a>>,
    relink: Option<RelinkJson<'a>>,
    backend_reports: usize,
    sessions_created: usize,
    /// `data` and `data-inactive` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_data: Option<Vec<crate::demo_data::AccountDataJson>>,
}

#[derive(Serialize)]
struct AccountJson<'a> {
    id: &'a str,
    institution_name: &'a str,
    last4: Option<&'a str>,
    category: &'a str,
    status: &'a str,
}

fn account_json(a: &Account) -> AccountJson<'_> {
    AccountJson {
        id: &a.id,
        institution_name: &a.institution_name,
        last4: a.last4.as_deref(),
        category: a.category.as_str(),
        status: a.status.as_str(),
    }
}

#[derive(Serialize)]
struct RelinkJson<'a> {
    outcome: &'a str,
    failure_reason: Option<&'a str>,
}

fn relink_json(r: &Option<RelinkOutcome>) -> Option<RelinkJson<'_>> {
    r.as_ref().map(|o| RelinkJson {
        outcome: o.as_str(),
        failure_reason: match o {
            RelinkOutcome::Failed { reason } => Some(reason.as_str()),
            _ => None,
        },
    })
}

fn print_table(result: &FlowResult) {
    println!();
    println!("Status: {}", result.status.as_str());
    if result.accounts.is_empty() {
        println!("No accounts linked.");
    } else {
        println!(
            "{:<30} {:<34} {:<10} {:<12} STATUS",
            "ACCOUNT", "ID", "CATEGORY", "SUBCATEGORY"
        );
        for a in &result.accounts {
            let badge = if a.needs_relink_now() {
                "  ⚠ relink now"
            } else if a.relink_required_soon().is_some() {
                "  ⚠ relink soon"
            } else {
                ""
            };
            println!(
                "{:<30} {:<34} {:<10} {:<12} {}{}",
                a.display_line(),
                a.id,
                a.category.as_str(),
                a.subcategory.as_str(),
                a.status.as_str(),
                badge
            );
        }
    }
    if let Some(r) = &result.relink {
        let line = serde_json::to_string(&relink_json(&Some(r.clone()))).unwrap_or_default();
        println!("Relink: {line}");
    }
    for w in &result.warnings {
        println!("Warning: {}", serde_json::to_string(w).unwrap_or_default());
    }
}

pub fn run(args: DemoArgs) -> ExitCode {
    if let Some(filter) = &args.log {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fc demo: cannot start a runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let sim = match Simulator::try_start(SimulatorConfig::default()).await {
            Ok(sim) => sim,
            Err(e) => {
                eprintln!("fc demo: cannot start the simulator on 127.0.0.1: {e}");
                return ExitCode::from(1);
            }
        };
        let data_dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("fc demo: cannot create a data directory: {e}");
                return ExitCode::from(1);
            }
        };
        let scenario = args.scenario;
        println!("fc demo — scenario {} (simulator on {})", scenario.name(), sim.base_url());
        let demo = Demo { sim, data_dir };
        let result = run_scenario(&demo, scenario).await;
        let code = match result {
            Ok(result) => {
                let session_id = result.session_id.clone().unwrap_or_default();
                let reports = demo.sim.reports_received(&session_id);
                let sessions = demo.sim.sessions_created();
                print_table(&result);
                println!("Backend: {sessions} session(s) created, {reports} completion report(s) received for {session_id}");
                let mut data_ok = true;
                let mut account_data = None;
                if matches!(scenario, Scenario::Data | Scenario::DataInactive) {
                    let data = match demo.client() {
                        Ok(client) => {
                            crate::demo_data::run(
                                &client,
                                &demo.sim,
                                &result.accounts,
                                scenario == Scenario::DataInactive,
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    match data {
                        Ok((entries, ok)) => {
                            account_data = Some(entries);
                            data_ok = ok;
                        }
                        Err(e) => {
                            eprintln!("fc demo: {e}");
                            data_ok = false;
                        }
                    }
                }
                if args.json {
                    let out = DemoJson {
                        scenario: scenario.name(),
                        status: result.status.as_str(),
                        accounts: result.accounts.iter().map(account_json).collect(),
                        relink: relink_json(&result.relink),
                        backend_reports: reports,
                        sessions_created: sessions,
                        account_data,
                    };
                    println!("{}", serde_json::to_string(&out).unwrap_or_default());
                }
                if !data_ok {
                    eprintln!(
                        "fc demo: scenario {}: the account data is not what the scenario promises",
                        scenario.name()
                    );
                    ExitCode::from(1)
                } else if result.status == scenario.expected() {
                    ExitCode::SUCCESS
                } else {
                    eprintln!(
                        "fc demo: scenario {} ended {} but should end {}",
                        scenario.name(),
                        result.status.as_str(),
                        scenario.expected().as_str()
                    );
                    ExitCode::from(1)
                }
            }
            Err(e) => {
                eprintln!("fc demo: scenario {} failed: {e}", scenario.name());
                ExitCode::from(1)
            }
        };
        demo.sim.shutdown().await;
        code
    })
}
