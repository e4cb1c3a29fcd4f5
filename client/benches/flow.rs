//! Benchmark of one whole flow through the core on loopback (`new_flow` → `start` → present → the
//! simulated sheet → `handle_url` → `sheet_result` → result) against the same HTTP work done
//! through the bare transport (`finconn-transport-reqwest`, no policy, no flow): the flow makes
//! exactly two backend calls (create session, complete), so the baseline makes those two calls,
//! with the same bodies and headers, to the same kind of simulator.
//!
//! Fairness:
//! - the simulated sheet (`Simulator::complete_sheet`, in-process, no HTTP) runs on both sides,
//!   because the `complete` answer depends on it (three accounts to read back and upsert);
//! - both sides open a fresh TCP connection per call (the simulator answers `Connection: close`)
//!   and parse the JSON answers;
//! - each side has its own simulator and every iteration signs in as a new user: the simulated
//!   backend keeps a user's accounts in a list it scans, so one user's list growing over thousands
//!   of iterations would slow whichever side runs more of them.
//!
//! What remains in the ratio is the core's own cost: options validation, the state machine and
//! events, the durable outbox (write + `fsync` + rename + directory `fsync` before `complete`,
//! remove + directory `fsync` after), the typed session decode and reconciliation. The outbox
//! costs disk syncs, so the flow is measured twice: with its data directory on the real disk
//! (what an app pays) and, when `/dev/shm` exists, on tmpfs where `fsync` is nearly free (the
//! core's CPU cost).
//!
//! Run: `cargo bench -p finconn-core --bench flow -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use finconn_client::backend::{BackendConfig, HeaderProvider, RetryPolicy};
use finconn_client::flow::{FlowClient, FlowConfig};
use finconn_core::model::Permission;
use finconn_core::network::{HttpMethod, HttpRequest, HttpTransport};
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::{FlowStatus, SheetOutcome};
use finconn_testkit::{Institution, Simulator, SimulatorConfig};
use finconn_transport_reqwest::ReqwestTransport;
use serde_json::{json, Value};

const RETURN_URL: &str = "finconn-bench://stripe-redirect";
/// The signed-in user's token, changed by the benchmark before each flow.
#[derive(Clone, Default)]
struct Bearer(Arc<Mutex<String>>);

impl Bearer {
    fn sign_in(&self, n: u64) {
        *self.0.lock().unwrap() = format!("bench-user-{n}");
    }
}

impl HeaderProvider for Bearer {
    fn headers(&self) -> Vec<(String, String)> {
        vec![(
            "Authorization".into(),
            format!("Bearer {}", self.0.lock().unwrap()),
        )]
    }
}

fn options() -> SessionOptions {
    let mut o =
        SessionOptions::with_permissions(vec![Permission::Balances, Permission::PaymentMethod]);
    o.return_url = Some(RETURN_URL.into());
    o
}

/// One whole flow through the core.
async fn core_flow(sim: &Simulator, client: &FlowClient, user: &Bearer, n: u64) -> usize {
    user.sign_in(n);
    let flow = client.new_flow(options()).expect("options");
    let sheet = flow.start().await.expect("start");
    flow.sheet_presented().expect("present");
    let done = sim
        .complete_sheet(&sheet.session_id, Institution::SuccessThree)
        .expect("sheet");
    let url = done.redirect_url.as_deref().expect("redirect");
    assert!(flow.handle_url(url).recorded);
    let result = flow
        .sheet_result(SheetOutcome::Completed { session: None })
        .await
        .expect("result");
    assert_eq!(result.status, FlowStatus::Completed);
    flow.result().expect("final").accounts.len()
}

/// One POST of JSON through the bare transport.
async fn post(http: &ReqwestTransport, url: String, token: &str, key: &str, body: Value) -> Value {
    let response = http
        .send(HttpRequest {
            method: HttpMethod::Post,
            url,
            headers: vec![
                ("Authorization".into(), format!("Bearer {token}")),
                ("Accept".into(), "application/json".into()),
                ("Content-Type".into(), "application/json".into()),
                ("Idempotency-Key".into(), key.to_owned()),
            ],
            body: Some(serde_json::to_vec(&body).expect("json")),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
            max_response_bytes: 1 << 20,
        })
        .await
        .expect("answer");
    serde_json::from_slice(&response.body).expect("json answer")
}

/// The same two calls through the bare transport.
async fn raw_calls(sim: &Simulator, http: &ReqwestTransport, n: u64) -> usize {
    let base = sim.base_url();
    let token = format!("bench-user-{n}");
    let key = format!("fcidem_raw{n:016x}");
    let created = post(
        http,
        format!("{base}/financial-connections/sessions"),
        &token,
        &key,
        json!({"permissions": ["balances", "payment_method"], "return_url": RETURN_URL}),
    )
    .await;
    let session_id = created["session_id"]
        .as_str()
        .expect("session id")
        .to_owned();
    let done = sim
        .complete_sheet(&session_id, Institution::SuccessThree)
        .expect("sheet");
    let report_id = format!("{key}-complete");
    let answer = post(
        http,
        format!("{base}/financial-connections/sessions/{session_id}/complete"),
        &token,
        &report_id,
        json!({
            "report_id": report_id,
            "flow_id": format!("flow_raw{n:016x}"),
            "session_id": session_id,
            "report_token": created["report_token"],
            "sheet_outcome": "completed",
            "account_ids": [],
            "return_url_status": done.redirect_status,
        }),
    )
    .await;
    answer["session"]["accounts"]["data"]
        .as_array()
        .map_or(0, Vec::len)
}

/// A flow client of the core for `sim`, with its own data directory.
fn flow_client(sim: &Simulator, data_dir: &std::path::Path, user: &Bearer) -> FlowClient {
    let mut backend = BackendConfig::new(sim.base_url());
    backend.stripe_api_base = sim.stripe_base_url();
    backend.request_timeout = Duration::from_secs(5);
    backend.retry = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    FlowClient::new(
        FlowConfig {
            backend,
            return_urls: vec![RETURN_URL.into()],
            android_app_id: None,
            data_dir: data_dir.to_path_buf(),
            stripe_fallback: false,
            refresh: finconn_client::account_data::RefreshPolicy::default(),
            data_limits: finconn_core::data::DataLimits::default(),
            link_retry: Default::default(),
        },
        Some(Arc::new(user.clone())),
        Arc::new(ReqwestTransport::new()),
    )
    .expect("client")
}

fn bench_flow(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let core_sim = rt.block_on(Simulator::start(SimulatorConfig::default()));
    let raw_sim = rt.block_on(Simulator::start(SimulatorConfig::default()));
    let data_dir = tempfile::tempdir().expect("data dir");
    let user = Bearer::default();
    let client = flow_client(&core_sim, data_dir.path(), &user);
    let tmpfs = std::path::Path::new("/dev/shm")
        .is_dir()
        .then(|| tempfile::tempdir_in("/dev/shm").expect("tmpfs data dir"));
    let tmpfs_sim = rt.block_on(Simulator::start(SimulatorConfig::default()));
    let tmpfs_client = tmpfs
        .as_ref()
        .map(|d| flow_client(&tmpfs_sim, d.path(), &user));
    let http = ReqwestTransport::new();
    // Both sides answer the same: three accounts.
    assert_eq!(rt.block_on(core_flow(&core_sim, &client, &user, 0)), 3);
    assert_eq!(rt.block_on(raw_calls(&raw_sim, &http, 0)), 3);

    let mut group = c.benchmark_group("whole_flow_loopback");
    let n = AtomicU64::new(1);
    group.bench_function("finconn_flow", |b| {
        b.iter(|| {
            let i = n.fetch_add(1, Ordering::Relaxed);
            black_box(rt.block_on(core_flow(&core_sim, &client, &user, i)))
        })
    });
    if let Some(tmpfs_client) = &tmpfs_client {
        group.bench_function("finconn_flow_outbox_on_tmpfs", |b| {
            b.iter(|| {
                let i = n.fetch_add(1, Ordering::Relaxed);
                black_box(rt.block_on(core_flow(&tmpfs_sim, tmpfs_client, &user, i)))
            })
        });
    }
    group.bench_function("raw_transport_2_calls", |b| {
        b.iter(|| {
            let i = n.fetch_add(1, Ordering::Relaxed);
            black_box(rt.block_on(raw_calls(&raw_sim, &http, i)))
        })
    });
    group.finish();
    drop(client);
    drop(tmpfs_client);
    rt.block_on(core_sim.shutdown());
    rt.block_on(tmpfs_sim.shutdown());
    rt.block_on(raw_sim.shutdown());
}

criterion_group!(benches, bench_flow);
criterion_main!(benches);
