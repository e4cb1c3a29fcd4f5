//! One account-data call against a lying backend, measured in a process of its own
//! (`finconn-lying-sync`, which reads its own `VmHWM`): whatever the backend sends — 1,000 pages
//! of 1,000 transactions (0.97 MB each, under the 1 MiB response cap), 1,000 honest pages of 100,
//! 1,000 pages of 100 fat transactions (~1 GB in all) — one sync holds at most the documented
//! per-call caps (10,000 transactions, 8 MiB of answers) and its peak resident memory grows by at
//! most the byte cap plus a few MiB; the requests stop at the bound, the time stays short. Then
//! 100,000 owners in one call (caps raised) against 10,000: linear, not quadratic.
//!
//! The server runs here, the client in the child: the child's peak counts only the client.
//! Linux only (`/proc/self/status`); elsewhere the memory bound is skipped, the rest holds.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use finconn_testkit::{
    Lie, LyingServer, ENDLESS_FAT_PAGES, ENDLESS_HONEST_PAGES, LYING_ACCOUNT_ID,
    THOUSAND_PAGES_OF_THOUSAND,
};
use serde_json::Value;

const MIB: u64 = 1024 * 1024;
/// What a call may add to the process's resident memory above the byte cap: the next page in
/// flight (its ≤ 1 MiB answer and its decoded items beside what is held), the connection's
/// buffers, the allocator's slack. Measured growth (glibc; debug / release): 4.7 / 2.3 MiB for
/// one 0.97 MB page, 9.3 / 7.1 MiB for 10,000 transactions of 400 bytes, 11.3 / 8.8 MiB at the
/// 8 MiB byte cap.
const SLACK_KIB: u64 = 6 * 1024;

/// Runs the child once against `lie` (`extra` arguments appended); its JSON line, and the
/// server's list requests.
fn measure(lie: Lie, call: &str, extra: &[&str]) -> (Value, usize) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(LyingServer::start(lie)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_finconn-lying-sync"))
        .args(["--url", &server.base_url(), "--account", LYING_ACCOUNT_ID])
        .args(["--call", call])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("finconn-lying-sync starts");
    // A hang is a failure, not a stuck test.
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the call did not end within 180 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let line = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    let requests = server.requests("transactions") + server.requests("owners");
    drop(server);
    rt.shutdown_background();
    println!("{call} {v} list_requests={requests}");
    (v, requests)
}

fn growth_within(v: &Value, cap_bytes: u64) {
    if v["peak_rss_kib"].as_u64() == Some(0) {
        eprintln!("no /proc/self/status: memory not measured");
        return;
    }
    let growth = v["growth_kib"].as_u64().unwrap();
    assert!(
        growth <= cap_bytes / 1024 + SLACK_KIB,
        "peak RSS grew by {growth} KiB, over the cap of {} KiB + {SLACK_KIB} KiB: {v}",
        cap_bytes / 1024
    );
}

#[test]
fn a_thousand_pages_of_a_thousand_stop_at_the_first_page() {
    let (v, requests) = measure(THOUSAND_PAGES_OF_THOUSAND, "sync", &[]);
    assert_eq!(v["ok"], false);
    assert_eq!(v["error_code"], "other");
    assert!(v["error"].as_str().unwrap().contains("limit"), "{v}");
    assert_eq!(requests, 1, "no request after the page over the limit");
    growth_within(&v, 8 * MIB);
}

#[test]
fn endless_lists_stop_at_the_documented_caps() {
    // 1,000 pages of 100: the item cap, exactly.
    let (v, requests) = measure(ENDLESS_HONEST_PAGES, "sync", &[]);
    assert_eq!(
        (v["ok"].as_bool(), v["has_more"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["items"], 10_000);
    assert_eq!(requests, 100);
    growth_within(&v, 8 * MIB);
    // 1,000 pages of 0.97 MB: the byte cap.
    let (v, requests) = measure(ENDLESS_FAT_PAGES, "sync", &[]);
    assert_eq!(
        (v["ok"].as_bool(), v["has_more"].as_bool()),
        (Some(true), Some(true))
    );
    assert!(
        requests <= 8,
        "{requests} requests: 8 MiB is 8 pages at most"
    );
    assert!(v["items"].as_u64().unwrap() <= 800);
    growth_within(&v, 8 * MIB);
    assert!(v["elapsed_ms"].as_u64().unwrap() < 60_000, "{v}");
}

#[test]
fn a_hundred_thousand_owners_take_linear_time() {
    let raised = [
        "--max-items",
        "100000",
        "--max-bytes",
        &(256 * MIB).to_string(),
    ];
    let small = Lie {
        pages: 100,
        item_bytes: 0,
        ..ENDLESS_HONEST_PAGES
    };
    let large = Lie {
        pages: 1000,
        item_bytes: 0,
        ..ENDLESS_HONEST_PAGES
    };
    let (s, _) = measure(small, "owners", &raised);
    let (l, requests) = measure(large, "owners", &raised);
    assert_eq!(
        (s["items"].as_u64(), l["items"].as_u64()),
        (Some(10_000), Some(100_000))
    );
    assert_eq!(requests, 1000);
    let (ts, tl) = (
        s["elapsed_ms"].as_u64().unwrap().max(1),
        l["elapsed_ms"].as_u64().unwrap(),
    );
    // Ten times the owners: about ten times the time (a quadratic dedup: a hundred times).
    assert!(
        tl <= 40 * ts,
        "10,000 owners {ts} ms, 100,000 owners {tl} ms"
    );
}
