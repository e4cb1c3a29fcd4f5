//! `finconn-soak`: a real-process kill soak of the core's durability.
//!
//! ```text
//! cargo run -p finconn-testkit --release --bin finconn-soak -- --kills N [--json] [--parallel P] [--seed S]
//! ```
//!
//! The parent runs the loopback simulator (merchant backend + in-memory Stripe) and keeps `P`
//! (default 2) child processes running flows on **one** data directory: an app and its extension
//! sharing storage. Each child first resumes whatever is pending (`resume_pending`), then runs
//! flows through the public `FlowClient`/`Flow` API over the reqwest transport — the simulated user
//! goes through the sheet over HTTP — printing every phase change. The parent kills a child with
//! SIGKILL at a random instant, records the phase it was in (including during its launch-time
//! recovery and inside the snapshot and outbox writes every phase change makes), and relaunches it
//! on the same directory. After `N` kills a last child recovers everything, and the parent checks
//! the backend and the directory.
//!
//! It prints one JSON line:
//! `{"kills", "phases_killed": {"<phase>": n, …}, "flows", "flows_finished", "reports_applied",
//! "lost", "duplicates_applied", "stale_files", "secrets_on_disk", "unfinished"}`:
//! `flows` sessions the backend created; `flows_finished` those whose flow ended (none is left on
//! disk); `reports_applied` sessions with a report applied; `lost` ended flows without one;
//! `duplicates_applied` sessions with two different reports applied; `stale_files` files left in
//! the data directory; `secrets_on_disk` files that ever held a client secret or the publishable
//! key; `unfinished` flows still pending after the recovery. Exits 0 only when `lost`,
//! `duplicates_applied`, `stale_files`, `secrets_on_disk` and `unfinished` are 0 and
//! `reports_applied == flows_finished`.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use finconn_client::backend::{BackendConfig, HeaderProvider, RetryPolicy};
use finconn_client::flow::{FlowClient, FlowConfig, FlowEventListener};
use finconn_core::events::FlowEvent;
use finconn_core::model::Permission;
use finconn_core::network::{HttpMethod, HttpRequest, HttpTransport};
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::SheetOutcome;
use finconn_testkit::{Simulator, SimulatorConfig};
use finconn_transport_reqwest::ReqwestTransport;

const RETURN_URL: &str = "finconn-soak://stripe-redirect";

struct Args {
    kills: u32,
    json: bool,
    parallel: usize,
    seed: u64,
    child: Option<ChildArgs>,
}

struct ChildArgs {
    backend: String,
    data_dir: PathBuf,
    seed: u64,
    recover_only: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        kills: 100,
        json: false,
        parallel: 2,
        seed: 1,
        child: None,
    };
    let mut backend = None;
    let mut data_dir = None;
    let mut child_mode = None;
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        v.and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{what} needs a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--kills" => a.kills = num(it.next(), "--kills")? as u32,
            "--json" => a.json = true,
            "--parallel" => a.parallel = num(it.next(), "--parallel")?.clamp(1, 8) as usize,
            "--seed" => a.seed = num(it.next(), "--seed")?,
            "--child" => child_mode = Some(false),
            "--recover" => child_mode = Some(true),
            "--backend" => backend = it.next(),
            "--data-dir" => data_dir = it.next().map(PathBuf::from),
            "-h" | "--help" => {
                return Err(
                    "usage: finconn-soak --kills N [--json] [--parallel P] [--seed S]".into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if let Some(recover_only) = child_mode {
        a.child = Some(ChildArgs {
            backend: backend.ok_or("--backend is required")?,
            data_dir: data_dir.ok_or("--data-dir is required")?,
            seed: a.seed,
            recover_only,
        });
    }
    Ok(a)
}

fn main() -> ExitCode {
    match parse_args() {
        Err(e) => {
            eprintln!("finconn-soak: {e}");
            ExitCode::from(2)
        }
        Ok(args) => match &args.child {
            Some(c) => child_main(c),
            None => parent_main(&args),
        },
    }
}

// ---- the child: an app process ------------------------------------------------------------------

struct Bearer;

impl HeaderProvider for Bearer {
    fn headers(&self) -> Vec<(String, String)> {
        vec![("Authorization".into(), "Bearer soak-user".into())]
    }
}

/// Prints each phase change for the parent (one line each, flushed).
struct PhasePrinter;

impl FlowEventListener for PhasePrinter {
    fn on_event(&self, event: &FlowEvent) {
        if let FlowEvent::PhaseChanged { to, .. } = event {
            say(&format!("phase {to}"));
        }
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn client(backend: &str, data_dir: &Path) -> Result<FlowClient, String> {
    let mut b = BackendConfig::new(backend);
    b.stripe_api_base = backend.to_owned();
    b.request_timeout = Duration::from_secs(5);
    b.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    };
    FlowClient::new(
        FlowConfig {
            backend: b,
            return_urls: vec![RETURN_URL.into()],
            android_app_id: None,
            data_dir: data_dir.to_owned(),
            stripe_fallback: false,
            refresh: finconn_client::account_data::RefreshPolicy::default(),
            data_limits: finconn_core::data::DataLimits::default(),
            link_retry: Default::default(),
        },
        Some(Arc::new(Bearer)),
        Arc::new(ReqwestTransport::new()),
    )
    .map_err(|e| e.to_string())
}

/// The simulated user goes through the sheet (the simulator's test route).
async fn user_at_bank(
    transport: &ReqwestTransport,
    backend: &str,
    session_id: &str,
    institution: &str,
) -> Result<serde_json::Value, String> {
    let r = transport
        .send(HttpRequest {
            method: HttpMethod::Post,
            url: format!("{backend}/__sim/sheet/{session_id}/{institution}"),
            headers: vec![],
            body: Some(Vec::new()),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            max_response_bytes: 1 << 20,
        })
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&r.body).map_err(|e| e.to_string())
}

fn child_main(args: &ChildArgs) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => return ExitCode::from(3),
    };
    let code = rt.block_on(async {
        let client = match client(&args.backend, &args.data_dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("finconn-soak child: {e}");
                return 3;
            }
        };
        client.add_listener(Arc::new(PhasePrinter));
        say("launch");
        let recovery = match client.resume_pending().await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("finconn-soak child: resume_pending: {e}");
                return 4;
            }
        };
        for r in &recovery.finished {
            say(&format!(
                "finished {}",
                r.session_id.clone().unwrap_or_default()
            ));
        }
        if args.recover_only {
            let reports = client.send_pending_reports().await.map(|s| s.remaining);
            say(&format!(
                "recovered waiting={} remaining={}",
                recovery.waiting.len(),
                reports.unwrap_or(i32::MAX)
            ));
            return 0;
        }
        say("idle");
        let transport = ReqwestTransport::new();
        let mut rng = Rng(args.seed | 1);
        let mut options = SessionOptions::with_permissions(vec![Permission::Balances]);
        options.return_url = Some(RETURN_URL.into());
        for _ in 0..10_000 {
            let Ok(flow) = client.new_flow(options.clone()) else {
                return 5;
            };
            let Ok(sheet) = flow.start().await else {
                continue;
            };
            let pick = rng.below(10);
            if pick == 0 {
                // The user backs out before the sheet appears.
                if flow.cancel().await.is_ok() {
                    say(&format!("finished {}", sheet.session_id));
                }
                say("idle");
                continue;
            }
            if flow.sheet_presented().is_err() || flow.user_left_app().is_err() {
                continue;
            }
            let institution = match pick {
                1 => "exit_early",
                2 => "oauth_canceled",
                _ => "success_one",
            };
            let Ok(done) =
                user_at_bank(&transport, &args.backend, &sheet.session_id, institution).await
            else {
                continue;
            };
            if let Some(url) = done["redirect_url"].as_str() {
                flow.handle_url(url);
            }
            let outcome = match done["outcome"].as_str() {
                Some("completed") => SheetOutcome::Completed { session: None },
                Some("canceled") => SheetOutcome::Canceled,
                _ => SheetOutcome::Failed {
                    error: "unexpected_error".into(),
                },
            };
            if flow.sheet_result(outcome).await.is_ok() {
                say(&format!("finished {}", sheet.session_id));
            }
            say("idle");
        }
        0
    });
    ExitCode::from(code)
}

// ---- the parent: the OS that kills, and the auditor --------------------------------------------

struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    started: Instant,
    kill_after: Duration,
}

fn spawn(
    exe: &Path,
    backend: &str,
    dir: &Path,
    seed: u64,
    recover: bool,
) -> std::io::Result<Running> {
    let mut child = Command::new(exe)
        .arg(if recover { "--recover" } else { "--child" })
        .args(["--backend", backend, "--seed", &seed.to_string()])
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let lines = Arc::new(Mutex::new(Vec::new()));
    if let Some(out) = child.stdout.take() {
        let l = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                l.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
    }
    Ok(Running {
        child,
        lines,
        started: Instant::now(),
        kill_after: Duration::ZERO,
    })
}

/// The phase a child was in: its last phase line (`launch` before any, `idle` between flows).
fn last_phase(lines: &[String]) -> String {
    lines
        .iter()
        .rev()
        .find_map(|l| {
            if let Some(p) = l.strip_prefix("phase ") {
                Some(p.to_owned())
            } else if l == "launch" || l == "idle" {
                Some(l.clone())
            } else {
                None
            }
        })
        .unwrap_or_else(|| "launch".into())
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// Files that hold any of `secrets` (added to `found`).
fn scan_for_secrets(dir: &Path, secrets: &[String], found: &mut HashSet<PathBuf>) {
    for f in files_under(dir) {
        if let Ok(bytes) = std::fs::read(&f) {
            let text = String::from_utf8_lossy(&bytes);
            if secrets.iter().any(|s| text.contains(s.as_str())) {
                found.insert(f);
            }
        }
    }
}

fn secrets(sim: &Simulator) -> Vec<String> {
    let mut s = vec![
        sim.publishable_key().to_owned(),
        sim.secret_key().to_owned(),
    ];
    for id in sim.stripe().session_ids() {
        if let Some(cs) = sim
            .stripe()
            .session(&id)
            .and_then(|v| v["client_secret"].as_str().map(str::to_owned))
        {
            s.push(cs);
        }
    }
    s
}

/// The JSON line, in the documented order.
#[derive(serde::Serialize)]
struct Summary {
    kills: u32,
    phases_killed: BTreeMap<String, u32>,
    flows: u64,
    flows_finished: u64,
    reports_applied: u64,
    lost: u64,
    duplicates_applied: u64,
    stale_files: usize,
    secrets_on_disk: usize,
    unfinished: u64,
}

fn parent_main(args: &Args) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("finconn-soak: {e}");
            return ExitCode::from(2);
        }
    };
    let sim = match Simulator::start_blocking(SimulatorConfig::with_seed(args.seed)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("finconn-soak: cannot start the simulator: {e}");
            return ExitCode::from(2);
        }
    };
    let backend = sim.base_url();
    let dir = std::env::temp_dir().join(format!(
        "finconn-soak-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos() ^ args.seed as u128
    ));
    if std::fs::create_dir_all(&dir).is_err() {
        eprintln!("finconn-soak: cannot create {}", dir.display());
        return ExitCode::from(2);
    }
    let started = Instant::now();
    let mut rng = Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut phases: BTreeMap<String, u32> = BTreeMap::new();
    let mut with_secrets: HashSet<PathBuf> = HashSet::new();
    let mut kills = 0u32;
    let mut slots: Vec<Option<Running>> = (0..args.parallel).map(|_| None).collect();
    loop {
        let alive = slots.iter().filter(|s| s.is_some()).count() as u32;
        if kills >= args.kills && alive == 0 {
            break;
        }
        for i in 0..slots.len() {
            let alive = slots.iter().filter(|s| s.is_some()).count() as u32;
            // Each child launched is killed once: launch only while kills are still owed.
            if slots[i].is_none() && kills + alive < args.kills {
                match spawn(&exe, &backend, &dir, rng.next(), false) {
                    Ok(mut r) => {
                        // One kill in five lands early, in the launch-time recovery.
                        let window = if rng.below(5) == 0 { 20_000 } else { 150_000 };
                        r.kill_after = Duration::from_micros(rng.below(window));
                        slots[i] = Some(r);
                    }
                    Err(e) => {
                        eprintln!("finconn-soak: cannot start a child: {e}");
                        return ExitCode::from(2);
                    }
                }
            }
            let Some(r) = slots[i].as_mut() else { continue };
            let exited = matches!(r.child.try_wait(), Ok(Some(_)));
            if exited || r.started.elapsed() >= r.kill_after {
                if !exited {
                    let phase = last_phase(&r.lines.lock().unwrap_or_else(|p| p.into_inner()));
                    let _ = r.child.kill(); // SIGKILL
                    let _ = r.child.wait();
                    kills += 1;
                    *phases.entry(phase).or_default() += 1;
                }
                slots[i] = None;
                scan_for_secrets(&dir, &secrets(&sim), &mut with_secrets);
            }
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    // Recovery: a last process, not killed, until nothing is pending.
    let mut unfinished_after = u32::MAX;
    for attempt in 0..5 {
        let Ok(mut r) = spawn(&exe, &backend, &dir, 7 + attempt, true) else {
            break;
        };
        let _ = r.child.wait();
        std::thread::sleep(Duration::from_millis(20)); // the reader thread drains stdout
        let lines = r.lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let summary = lines.iter().find_map(|l| l.strip_prefix("recovered "));
        if let Some(s) = summary {
            let num = |k: &str| {
                s.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(k))
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(u32::MAX)
            };
            unfinished_after = num("waiting=").saturating_add(num("remaining="));
            if unfinished_after == 0 {
                break;
            }
        }
    }
    scan_for_secrets(&dir, &secrets(&sim), &mut with_secrets);
    let stale = files_under(&dir);
    // The backend's truth.
    let sessions = sim.stripe().session_ids();
    let flows = sessions.len() as u64;
    let mut reports_applied = 0u64;
    let mut duplicates = 0u64;
    let mut without_report = 0u64;
    for id in &sessions {
        match sim.reports_received(id) {
            0 => without_report += 1,
            1 => reports_applied += 1,
            _ => {
                reports_applied += 1;
                duplicates += 1;
            }
        }
    }
    // A flow still on disk after the recovery has not ended; every other flow with a session has.
    let pending_flows = stale
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("flow-") && n.ends_with(".json"))
        })
        .count() as u64;
    let unfinished = if unfinished_after == 0 {
        pending_flows
    } else {
        pending_flows.max(1)
    };
    let flows_finished = flows.saturating_sub(unfinished);
    let lost = without_report.saturating_sub(unfinished);
    let ok = lost == 0
        && duplicates == 0
        && stale.is_empty()
        && with_secrets.is_empty()
        && unfinished == 0
        && reports_applied == flows_finished;
    let line = Summary {
        kills,
        phases_killed: phases.clone(),
        flows,
        flows_finished,
        reports_applied,
        lost,
        duplicates_applied: duplicates,
        stale_files: stale.len(),
        secrets_on_disk: with_secrets.len(),
        unfinished,
    };
    if !args.json {
        println!(
            "finconn-soak: {kills} kills in {:.1} s over {} phases, {flows} flows, {} parallel processes on {}",
            started.elapsed().as_secs_f64(),
            phases.len(),
            args.parallel,
            dir.display()
        );
        for f in &stale {
            println!("stale: {}", f.display());
        }
        for f in &with_secrets {
            println!("secret on disk: {}", f.display());
        }
    }
    println!("{}", serde_json::to_string(&line).unwrap_or_default());
    let _ = std::fs::remove_dir_all(&dir);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
