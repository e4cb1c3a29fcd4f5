//! `fc check-backend` end to end: every check passes against the simulator `fc serve` runs, and
//! against each hostile backend of the testkit's matrix it exits 1 with bounded memory and time,
//! reaches no other host and prints no secret. A `--header` with CR/LF is bad usage (exit 2) and
//! sends nothing.
#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use finconn_testkit::{hostile_case, HostileServer, Simulator, SimulatorConfig};
use serde_json::Value;

/// What one run of `fc` did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// Peak resident memory of the child, bytes (`wait4`'s `ru_maxrss`).
    peak_rss: u64,
    elapsed: Duration,
}

// Reaped with wait4 (for its rusage), not Child::wait.
#[allow(clippy::zombie_processes)]
fn fc(args: &[&str]) -> Run {
    use std::io::Read;
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fc runs");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let mut stderr = String::new();
    let _ = err.read_to_string(&mut stderr);
    let stdout = reader.join().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our child, not yet reaped (no other wait on it); pointers are valid.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Run {
        code,
        stdout,
        stderr,
        peak_rss: usage.ru_maxrss as u64 * 1024,
        elapsed: started.elapsed(),
    }
}

#[test]
fn every_check_passes_against_the_simulator_and_no_secret_is_printed() {
    let sim = Simulator::start_blocking(SimulatorConfig::default()).expect("simulator");
    let url = sim.base_url();
    let run = fc(&[
        "check-backend",
        &url,
        "--header",
        "Authorization: Bearer check-user",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let (summary, checks) = lines.split_last().expect("output");
    assert_eq!(summary["summary"]["failed"], 0, "{}", run.stdout);
    assert!(checks.len() >= 13, "{}", run.stdout);
    for c in checks {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 3, "{c}");
        assert!(
            c["check"].is_string() && c["ok"] == true && c["detail"].is_string(),
            "{c}"
        );
    }
    for name in [
        "create_session_shape",
        "client_secret_shape",
        "publishable_key_shape",
        "same_idempotency_key_same_session",
        "new_idempotency_key_new_session",
        "complete_answers_the_session",
        "same_report_twice_is_one_report",
        "wrong_report_token_403",
        "unknown_session_404",
        "list_accounts_shape",
        "error_body_shape",
        "https",
        "livemode_false",
    ] {
        assert!(checks.iter().any(|c| c["check"] == name), "{name} missing");
    }
    let printed = checks
        .iter()
        .find(|c| c["check"] == "client_secret_shape")
        .unwrap();
    assert!(printed["detail"]
        .as_str()
        .unwrap()
        .starts_with("fcsess_…_secret_[redacted]"));
    let key = checks
        .iter()
        .find(|c| c["check"] == "publishable_key_shape")
        .unwrap();
    assert_eq!(key["detail"], "pk_test_[redacted]");
    // The secrets the simulator handed out appear nowhere.
    let mut secrets = vec![
        sim.publishable_key().to_owned(),
        sim.secret_key().to_owned(),
    ];
    for id in sim.stripe().session_ids() {
        let s = sim.stripe().session(&id).unwrap();
        secrets.push(s["client_secret"].as_str().unwrap().to_owned());
    }
    assert!(secrets.len() >= 4, "sessions were created");
    for s in &secrets {
        assert!(
            !run.stdout.contains(s) && !run.stderr.contains(s),
            "{s} printed"
        );
    }
    // The human table says the same.
    let table = fc(&["check-backend", &url]);
    assert_eq!(table.code, 0, "{}", table.stdout);
    assert!(
        table.stdout.contains("13 passed, 0 failed"),
        "{}",
        table.stdout
    );
}

#[test]
fn hostile_backends_fail_the_run_with_bounded_memory_and_no_secret() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for name in [
        "redirect_307_other_host_on_complete",
        "redirect_301_other_host_on_create",
        "location_carries_secrets",
        "body_of_1_gib_with_length",
        "body_of_1_gib_chunked",
        "endless_chunked_body",
        "slow_drip_past_the_timeout",
        "error_echoing_the_request_on_create",
        "error_echoing_the_request_on_complete",
        "html_error_page",
        "garbage_instead_of_http",
    ] {
        let case = hostile_case(name).unwrap();
        let server = rt
            .block_on(HostileServer::start(case))
            .expect("hostile server");
        let run = fc(&[
            "check-backend",
            &server.base_url(),
            "--header",
            &format!(
                "Authorization: Bearer {}",
                finconn_testkit::HOSTILE_USER_TOKEN
            ),
            "--timeout-ms",
            "1000",
            "--json",
        ]);
        assert_eq!(run.code, 1, "{name}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(
            server.other_host_connections(),
            0,
            "{name}: reached the other host"
        );
        assert_eq!(
            server.steal_requests(),
            0,
            "{name}: followed a same-host redirect"
        );
        for s in HostileServer::secrets() {
            assert!(
                !run.stdout.contains(s) && !run.stderr.contains(s),
                "{name}: printed {s}:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        assert!(
            run.peak_rss < 256 * 1024 * 1024,
            "{name}: peak RSS {} MB",
            run.peak_rss >> 20
        );
        assert!(
            run.elapsed < Duration::from_secs(60),
            "{name}: {:?}",
            run.elapsed
        );
        let last: Value = serde_json::from_str(run.stdout.lines().last().unwrap()).unwrap();
        assert!(last["summary"]["failed"].as_u64().unwrap() >= 1, "{name}");
        eprintln!(
            "{name:<45} exit {}  {:>5} ms  peak {} MB",
            run.code,
            run.elapsed.as_millis(),
            run.peak_rss >> 20
        );
    }
}

#[test]
fn a_header_with_crlf_is_bad_usage_and_nothing_is_sent() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let case = hostile_case("crlf_in_a_host_header").unwrap();
    let server = rt.block_on(HostileServer::start(case)).unwrap();
    let run = fc(&[
        "check-backend",
        &server.base_url(),
        "--header",
        "X-Evil: a\r\nX-Injected: 1",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("control character"), "{}", run.stderr);
    assert_eq!(server.requests(), 0);
    assert_eq!(fc(&["check-backend", "not a url"]).code, 2);
    assert_eq!(
        fc(&[
            "check-backend",
            "http://127.0.0.1:1",
            "--header",
            "no colon"
        ])
        .code,
        2
    );
    // Plain http off loopback: the SDK refuses it, so the run fails without sending anything.
    let remote = fc(&["check-backend", "http://api.example.com", "--json"]);
    assert_eq!(remote.code, 1, "{}", remote.stdout);
    assert!(remote.stdout.contains("warning: plain http off loopback"));
}
