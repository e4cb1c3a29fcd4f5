//! Test-only exports (cargo feature `testing`, never in a shipped XCFramework or AAR): the
//! loopback simulator, the hostile backend and the lying account-data backend from
//! `finconn-testkit`, panic triggers (on the caller's thread and on the library's executor), and
//! a witness of which thread touched the disk, so the Kotlin/JVM tests can drive
//! whole flows against a real HTTP backend in-process, the way uniffi-rs's own fixtures do.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use finconn_testkit::{
    hostile_case, lying_case, Endpoint, Fault, HostileServer, Institution, Lie, LyingServer,
    Simulator, SimulatorConfig, ENDLESS_HONEST_PAGES, HOSTILE_CASES, LYING_ACCOUNT_ID, LYING_CASES,
};

use finconn_core::error::FinConnError;

/// What the simulated sheet did: the pieces a real `FinancialConnectionsSheet` would hand the app.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestSheetCompletion {
    /// `completed`, `canceled` or `failed`.
    pub outcome: String,
    /// The sheet's error code, for a `failed` outcome.
    pub error_code: Option<String>,
    /// The accounts the user linked at the test institution (`fca_…`).
    pub account_ids: Vec<String>,
    /// The deep link the bank app opens (`<return_url>?status=…`), if the user reached the bank.
    pub redirect_url: Option<String>,
    /// Stripe Android's `stripe-auth://…` form of the same redirect.
    pub android_redirect_url: Option<String>,
}

/// The merchant backend + in-memory Stripe on `127.0.0.1:<ephemeral port>`.
#[derive(uniffi::Object)]
pub struct TestSimulator {
    sim: Mutex<Option<Simulator>>,
    base_url: String,
}

fn invalid(message: String) -> FinConnError {
    FinConnError::InvalidConfiguration { reason: message }
}

/// `create_session`, `complete`, `list_accounts`, `disconnect`, `account`, `refresh`, `owners`,
/// `transactions`, `subscriptions`, `stripe_session_receipt`, `stripe_list_accounts`.
fn endpoint(name: &str) -> Result<Endpoint, FinConnError> {
    Ok(match name {
        "create_session" => Endpoint::CreateSession,
        "complete" => Endpoint::Complete,
        "list_accounts" => Endpoint::ListAccounts,
        "disconnect" => Endpoint::Disconnect,
        "account" => Endpoint::Account,
        "refresh" => Endpoint::Refresh,
        "owners" => Endpoint::Owners,
        "transactions" => Endpoint::Transactions,
        "subscriptions" => Endpoint::Subscriptions,
        "stripe_session_receipt" => Endpoint::StripeSessionReceipt,
        "stripe_list_accounts" => Endpoint::StripeListAccounts,
        other => return Err(invalid(format!("unknown endpoint {other:?}"))),
    })
}

/// A count of the simulator's as the API's `i32` (saturating: no test counts that far).
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Milliseconds or bytes of a test table as the API's `i64`.
fn as_i64(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// A number from Swift or Kotlin that must not be negative: a negative one is refused as
/// `InvalidConfiguration`, never wrapped round.
fn non_negative<T: TryFrom<i64>>(name: &str, value: i64) -> Result<T, FinConnError> {
    T::try_from(value).map_err(|_| invalid(format!("{name} is {value}: it must not be negative")))
}

/// `status:<code>`, `too_many_requests:<secs>`, `delay_ms:<ms>`, `reset`, `reset_after_commit`,
/// `malformed_json`, `malformed_json_after_commit`, `never_finishing_body`.
fn fault(spec: &str) -> Result<Fault, FinConnError> {
    let (name, arg) = spec.split_once(':').unwrap_or((spec, ""));
    let number = || {
        arg.parse::<u64>()
            .map_err(|_| invalid(format!("fault {spec:?} needs a number")))
    };
    Ok(match name {
        "status" => Fault::Status(
            u16::try_from(number()?)
                .map_err(|_| invalid(format!("fault {spec:?}: not a status")))?,
        ),
        "too_many_requests" => Fault::TooManyRequests {
            retry_after_secs: number()?,
        },
        "delay_ms" => Fault::Delay(Duration::from_millis(number()?)),
        "reset" => Fault::ConnectionReset,
        "reset_after_commit" => Fault::ResetAfterCommit,
        "malformed_json" => Fault::MalformedJson,
        "malformed_json_after_commit" => Fault::after_commit(Fault::MalformedJson),
        "never_finishing_body" => Fault::NeverFinishingBody,
        other => return Err(invalid(format!("unknown fault {other:?}"))),
    })
}

impl TestSimulator {
    fn with<R>(&self, f: impl FnOnce(&Simulator) -> R) -> Result<R, FinConnError> {
        let guard = self.sim.lock().unwrap_or_else(|p| p.into_inner());
        let sim = guard.as_ref().ok_or_else(|| FinConnError::InvalidState {
            reason: "the simulator was shut down".into(),
        })?;
        Ok(f(sim))
    }
}

#[uniffi::export]
impl TestSimulator {
    /// Starts a simulator on its own runtime thread.
    #[uniffi::constructor]
    pub fn start() -> Result<Arc<Self>, FinConnError> {
        let sim = Simulator::start_blocking(SimulatorConfig::default()).map_err(|e| {
            FinConnError::Other {
                reason: format!("cannot start the simulator: {e}"),
                request_id: None,
            }
        })?;
        let base_url = sim.base_url();
        Ok(Arc::new(TestSimulator {
            sim: Mutex::new(Some(sim)),
            base_url,
        }))
    }

    /// The merchant backend's base URL (also Stripe's `/v1` API).
    pub fn backend_url(&self) -> String {
        self.base_url.clone()
    }

    /// The user goes through the sheet at one of the test institutions (`success_one`,
    /// `success_three`, `exit_early`, `oauth_canceled`, `inactive_needs_relink`, `relink_same`,
    /// `relink_new_authorization`, `relink_no_account`, `relink_no_authorization`, `relink_other`,
    /// `institution_down`, `data_bank`, `refresh_fails_bank`, `goes_inactive_bank`,
    /// `no_transactions_bank`).
    pub fn complete_sheet(
        &self,
        session_id: String,
        institution: String,
    ) -> Result<TestSheetCompletion, FinConnError> {
        let institution = Institution::from_name(&institution)
            .ok_or_else(|| invalid(format!("unknown institution {institution:?}")))?;
        let done = self
            .with(|sim| sim.complete_sheet(&session_id, institution))?
            .map_err(|e| FinConnError::Other {
                reason: e.to_string(),
                request_id: None,
            })?;
        Ok(TestSheetCompletion {
            outcome: done.outcome.as_str().to_owned(),
            error_code: done.error_code,
            account_ids: done.account_ids,
            redirect_url: done.redirect_url,
            android_redirect_url: done.android_redirect_url,
        })
    }

    /// Queues `count` faults on an endpoint (see the module's fault names).
    pub fn push_fault(
        &self,
        endpoint_name: String,
        fault_spec: String,
        count: i32,
    ) -> Result<(), FinConnError> {
        let endpoint = endpoint(&endpoint_name)?;
        let fault = fault(&fault_spec)?;
        let count: usize = non_negative("count", i64::from(count))?;
        self.with(|sim| {
            sim.faults().push_n(endpoint, fault, count);
        })
    }

    /// Sessions the backend created.
    pub fn sessions_created(&self) -> Result<i32, FinConnError> {
        self.with(|sim| count(sim.sessions_created()))
    }

    /// Distinct completion reports the backend accepted for a session.
    pub fn reports_received(&self, session_id: String) -> Result<i32, FinConnError> {
        self.with(|sim| count(sim.reports_received(&session_id)))
    }

    /// Requests the simulator received on an endpoint (names as for `pushFault`).
    pub fn requests(&self, endpoint_name: String) -> Result<i32, FinConnError> {
        let endpoint = endpoint(&endpoint_name)?;
        self.with(|sim| count(sim.requests(endpoint)))
    }

    /// How many transactions the simulated Stripe holds for an account.
    pub fn transactions_held(&self, account_id: String) -> Result<i32, FinConnError> {
        self.with(|sim| count(sim.transactions_held(&account_id)))
    }

    /// How long refreshes requested from now on stay pending, milliseconds (default 50 ms; not
    /// negative).
    pub fn set_refresh_delay_ms(&self, ms: i64) -> Result<(), FinConnError> {
        let ms = non_negative("ms", ms)?;
        self.with(|sim| sim.set_refresh_delay(Duration::from_millis(ms)))
    }

    /// How long after an attempt the next refresh may be asked for, milliseconds (default 60 s;
    /// not negative).
    pub fn set_refresh_cooldown_ms(&self, ms: i64) -> Result<(), FinConnError> {
        let ms = non_negative("ms", ms)?;
        self.with(|sim| sim.set_refresh_cooldown(Duration::from_millis(ms)))
    }

    /// The report token the backend issued for a session (for the no-secret tests).
    pub fn report_token(&self, session_id: String) -> Result<Option<String>, FinConnError> {
        self.with(|sim| sim.report_token(&session_id))
    }

    /// Stops the server.
    pub fn shutdown(&self) {
        let sim = self.sim.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(sim);
    }
}

/// Panics with `message`: proves a Rust panic reaches Kotlin/Swift as an error, not a crash.
#[uniffi::export]
pub fn testing_panic(message: String) -> Result<(), FinConnError> {
    panic!("{message}");
}

/// The same panic inside an async call, on the library's executor: it must reach the caller as
/// UniFFI's panic error too, not abort the process or leave the call hanging.
#[uniffi::export]
pub async fn testing_panic_offloaded(message: String) -> Result<(), FinConnError> {
    crate::executor::offload(async move { panic!("{message}") }).await
}

/// What the data directories of this process saw so far (`finconn_client::store::witness`):
/// how many store operations (open, listing, read, write, removal, lock) and the name of the
/// thread that did the last one.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestDiskWork {
    /// Store operations of the process so far (a lifetime count: an `i64`).
    pub operations: i64,
    /// `None`: a thread without a name.
    pub last_thread: Option<String>,
}

/// See [`TestDiskWork`]: the tests call it before and after a call, and check that the call did
/// disk work, and where.
#[uniffi::export]
pub fn testing_disk_work() -> TestDiskWork {
    let (operations, last_thread) = finconn_client::store::witness::last();
    TestDiskWork {
        operations: i64::try_from(operations).unwrap_or(i64::MAX),
        last_thread,
    }
}

/// One row of the hostile-backend matrix (`finconn_testkit::HOSTILE_CASES`), for the Kotlin and
/// Swift runs of the same table.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestHostileCase {
    /// The case's name, for `TestHostileServer.start`.
    pub name: String,
    /// `create` (`Flow.start`) or `complete` (`Flow.sheetResult`).
    pub stage: String,
    /// `None`: the call must succeed. Else the error's code: `other`, `timeout`, `offline`,
    /// `service_unavailable`, `rejected`, `invalid_configuration`.
    pub expected_error: Option<String>,
    /// A word the error's `reason` must contain.
    pub message_contains: String,
    /// The client's `maxResponseBytes` for this case, bytes.
    pub max_response_bytes: i64,
    /// The host's header provider must add `X-Evil: a\r\nX-Injected: 1`.
    pub crlf_header: bool,
    /// The server speaks HTTPS with the certificate of `TestHostileServer.certificateDer()`.
    pub tls: bool,
}

/// The whole matrix.
#[uniffi::export]
pub fn hostile_cases() -> Vec<TestHostileCase> {
    HOSTILE_CASES
        .iter()
        .map(|c| TestHostileCase {
            name: c.name.to_owned(),
            stage: c.stage.as_str().to_owned(),
            expected_error: c.expected_error.map(str::to_owned),
            message_contains: c.message_contains.to_owned(),
            max_response_bytes: as_i64(c.max_response_bytes),
            crlf_header: c.crlf_header,
            tls: c.tls,
        })
        .collect()
}

/// A hostile backend for one case, on its own runtime thread, with its bystander on 127.0.0.2.
#[derive(uniffi::Object)]
pub struct TestHostileServer {
    server: Mutex<Option<HostileServer>>,
    base_url: String,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl TestHostileServer {
    fn with<R>(&self, f: impl FnOnce(&HostileServer) -> R) -> Result<R, FinConnError> {
        let guard = self.server.lock().unwrap_or_else(|p| p.into_inner());
        let s = guard.as_ref().ok_or_else(|| FinConnError::InvalidState {
            reason: "the hostile server was shut down".into(),
        })?;
        Ok(f(s))
    }
}

#[uniffi::export]
impl TestHostileServer {
    /// The server for one case of `hostileCases()` (by its `name`).
    #[uniffi::constructor]
    pub fn start(case_name: String) -> Result<Arc<Self>, FinConnError> {
        let case = hostile_case(&case_name)
            .ok_or_else(|| invalid(format!("unknown hostile case {case_name:?}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("finconn-testkit-hostile")
            .enable_all()
            .build()
            .map_err(|e| invalid(format!("runtime: {e}")))?;
        let server = runtime
            .block_on(HostileServer::start(case))
            .map_err(|e| invalid(format!("cannot listen on 127.0.0.1/127.0.0.2: {e}")))?;
        let base_url = server.base_url();
        Ok(Arc::new(TestHostileServer {
            server: Mutex::new(Some(server)),
            base_url,
            runtime: Mutex::new(Some(runtime)),
        }))
    }

    /// The hostile backend's base URL, for `FlowClientConfig.backendUrl`.
    pub fn backend_url(&self) -> String {
        self.base_url.clone()
    }

    /// Requests the hostile server read.
    pub fn requests(&self) -> Result<i32, FinConnError> {
        self.with(|s| count(s.requests()))
    }

    /// Requests for the same-host redirect target.
    pub fn steal_requests(&self) -> Result<i32, FinConnError> {
        self.with(|s| count(s.steal_requests()))
    }

    /// Connections the bystander on 127.0.0.2 accepted.
    pub fn other_host_connections(&self) -> Result<i32, FinConnError> {
        self.with(|s| count(s.other_host_connections()))
    }

    /// The secrets the server handed out and the user token the tests send: none may appear in
    /// any error, event or log line.
    pub fn secrets(&self) -> Vec<String> {
        HostileServer::secrets()
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    /// For a `tls` case, the DER of the server's self-signed certificate (for 127.0.0.1), the
    /// one root the test's transport trusts; `None` for plain http.
    pub fn certificate_der(&self) -> Result<Option<Vec<u8>>, FinConnError> {
        self.with(|s| s.certificate_der().map(<[u8]>::to_vec))
    }

    /// The user token a test's header provider must send.
    pub fn user_token(&self) -> String {
        finconn_testkit::HOSTILE_USER_TOKEN.to_owned()
    }

    /// Stops the server and its runtime thread; its base URL stops answering.
    pub fn shutdown(&self) {
        let server = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(rt) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _guard = rt.enter();
            drop(server);
            rt.shutdown_background();
        }
    }
}

/// One row of the lying-backend table (`finconn_testkit::LYING_CASES`): account-data answers
/// that lie, for the Kotlin and Swift runs of the same table.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestLyingCase {
    /// The case's name, for `TestLyingServer.start`.
    pub name: String,
    /// `account`, `refresh` (of the balance), `owners` or `sync` (from no cursor).
    pub call: String,
    /// `None`: the call must succeed. Else the error's code: `other`, `timeout`.
    pub expected_error: Option<String>,
    /// A word the error's `reason` must contain.
    pub message_contains: String,
    /// A succeeding sync must stop at a per-call limit (`hasMore`).
    pub expect_has_more: bool,
    /// A succeeding refresh must report the balance `StillPending`.
    pub expect_still_pending: bool,
    /// The most owners/transactions requests the call may send.
    pub max_list_requests: i32,
    /// The call must return within this many milliseconds.
    pub max_ms: i64,
    /// The client's `callDeadlineMs` for this case, milliseconds.
    pub call_deadline_ms: i64,
    /// The client's `refreshDeadlineMs` for this case, milliseconds.
    pub refresh_deadline_ms: i64,
    /// Values the lie plants that must never reach the app (error, result, cursor).
    pub planted: Vec<String>,
}

/// The whole lying-backend table.
#[uniffi::export]
pub fn lying_cases() -> Vec<TestLyingCase> {
    LYING_CASES
        .iter()
        .map(|c| TestLyingCase {
            name: c.name.to_owned(),
            call: c.call.as_str().to_owned(),
            expected_error: c.expected_error.map(str::to_owned),
            message_contains: c.message_contains.to_owned(),
            expect_has_more: c.expect_has_more,
            expect_still_pending: c.expect_still_pending,
            max_list_requests: count(c.max_list_requests),
            max_ms: as_i64(c.max_ms),
            call_deadline_ms: as_i64(c.call_deadline_ms),
            refresh_deadline_ms: as_i64(c.refresh_deadline_ms),
            planted: c.planted(),
        })
        .collect()
}

/// A lying account-data backend for one case of `lyingCases()`, on its own runtime thread. It
/// serves one account (`accountId()`) under the default paths.
#[derive(uniffi::Object)]
pub struct TestLyingServer {
    server: Mutex<Option<LyingServer>>,
    base_url: String,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

impl TestLyingServer {
    fn with<R>(&self, f: impl FnOnce(&LyingServer) -> R) -> Result<R, FinConnError> {
        let guard = self.server.lock().unwrap_or_else(|p| p.into_inner());
        let s = guard.as_ref().ok_or_else(|| FinConnError::InvalidState {
            reason: "the lying server was shut down".into(),
        })?;
        Ok(f(s))
    }

    fn start_lie(lie: Lie) -> Result<Arc<Self>, FinConnError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("finconn-testkit-lying")
            .enable_all()
            .build()
            .map_err(|e| invalid(format!("runtime: {e}")))?;
        let server = runtime
            .block_on(LyingServer::start(lie))
            .map_err(|e| invalid(format!("cannot listen on 127.0.0.1: {e}")))?;
        let base_url = server.base_url();
        Ok(Arc::new(TestLyingServer {
            server: Mutex::new(Some(server)),
            base_url,
            runtime: Mutex::new(Some(runtime)),
        }))
    }
}

#[uniffi::export]
impl TestLyingServer {
    /// The server for one case of the table.
    #[uniffi::constructor]
    pub fn start(case_name: String) -> Result<Arc<Self>, FinConnError> {
        let case = lying_case(&case_name)
            .ok_or_else(|| invalid(format!("unknown lying case {case_name:?}")))?;
        Self::start_lie(case.lie)
    }

    /// Honest pages of exactly the `limit` asked for, `pages` of them (100 items each): a list
    /// to read to its end across capped calls.
    #[uniffi::constructor]
    pub fn start_with_pages(pages: i32) -> Result<Arc<Self>, FinConnError> {
        Self::start_lie(Lie {
            pages: non_negative("pages", i64::from(pages))?,
            item_bytes: 0,
            ..ENDLESS_HONEST_PAGES
        })
    }

    /// The lying backend's base URL, for `FlowClientConfig.backendUrl`.
    pub fn backend_url(&self) -> String {
        self.base_url.clone()
    }

    /// The one account it serves.
    pub fn account_id(&self) -> String {
        LYING_ACCOUNT_ID.to_owned()
    }

    /// Requests it received: `account`, `refresh`, `owners`, `transactions`, or `other`
    /// (unrouted).
    pub fn requests(&self, endpoint: String) -> Result<i32, FinConnError> {
        self.with(|s| count(s.requests(&endpoint)))
    }

    /// The largest `limit=` a list request asked for.
    pub fn max_limit_asked(&self) -> Result<i32, FinConnError> {
        self.with(|s| count(usize::try_from(s.max_limit_asked()).unwrap_or(usize::MAX)))
    }

    /// Stops the server and its runtime thread; its base URL stops answering.
    pub fn shutdown(&self) {
        let server = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(rt) = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _guard = rt.enter();
            drop(server);
            rt.shutdown_background();
        }
    }
}

/// The flat configuration with the core's own defaults (`FlowConfig::new`), for the tests that
/// prove the defaults the generated Swift and Kotlin show are the core's.
#[uniffi::export]
pub fn testing_core_defaults(
    backend_url: String,
    return_urls: Vec<String>,
    data_dir: String,
) -> crate::client::FlowClientConfig {
    crate::client::FlowClientConfig::core_defaults(backend_url, return_urls, data_dir)
}

/// The backend's endpoint paths as the core defaults them (`BackendEndpoints::default()`).
#[uniffi::export]
pub fn testing_core_backend_endpoints() -> finconn_core::network::endpoints::BackendEndpoints {
    finconn_core::network::endpoints::BackendEndpoints::default()
}
