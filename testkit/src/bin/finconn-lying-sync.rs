//! `finconn-lying-sync`: one account-data call against a (lying) backend, in a process of its
//! own, measuring this process's peak resident memory — so that nothing else (the server, other
//! tests) is counted.
//!
//! ```text
//! finconn-lying-sync --url http://127.0.0.1:PORT --account fca_… [--call sync|owners]
//!                    [--max-items N] [--max-bytes N]
//! ```
//!
//! It builds a `FlowClient` over the reqwest transport with the default limits (or those given),
//! reads `/proc/self/status` (`VmRSS`) just before the call, makes the call once, then reads
//! `VmHWM` (the process's peak, the result included), and prints one JSON line:
//! `{"call", "ok", "error_code", "error", "items", "pages", "has_more", "max_items", "max_bytes",
//! "baseline_rss_kib", "peak_rss_kib", "growth_kib", "elapsed_ms"}` (`peak_rss_kib` and
//! `baseline_rss_kib` are 0 where `/proc` does not exist). Used by
//! `testkit/tests/lying_sync_memory.rs`; exits 2 on bad usage, else 0.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use finconn_client::backend::{BackendConfig, RetryPolicy};
use finconn_client::flow::{FlowClient, FlowConfig};
use finconn_core::data::DataLimits;
use finconn_transport_reqwest::ReqwestTransport;

/// A `/proc/self/status` field in KiB (0 when unavailable).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

struct Args {
    url: String,
    account: String,
    call: String,
    limits: DataLimits,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut account = None;
    let mut call = "sync".to_owned();
    let mut limits = DataLimits::default();
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        v.and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("{what} needs a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--url" => url = it.next(),
            "--account" => account = it.next(),
            "--call" => call = it.next().ok_or("--call needs sync or owners")?,
            "--max-items" => limits.max_items = num(it.next(), "--max-items")? as u32,
            "--max-bytes" => limits.max_bytes = num(it.next(), "--max-bytes")?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if call != "sync" && call != "owners" {
        return Err("--call is sync or owners".into());
    }
    Ok(Args {
        url: url.ok_or("--url is required")?,
        account: account.ok_or("--account is required")?,
        call,
        limits,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("finconn-lying-sync: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("finconn-lying-sync-{}", std::process::id()));
    let mut backend = BackendConfig::new(&args.url);
    backend.request_timeout = Duration::from_secs(10);
    backend.retry = RetryPolicy {
        max_attempts: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    };
    let client = FlowClient::new(
        FlowConfig {
            backend,
            return_urls: vec!["finconn-lying://r".into()],
            android_app_id: None,
            data_dir: dir.clone(),
            stripe_fallback: false,
            refresh: Default::default(),
            data_limits: args.limits.clone(),
            link_retry: Default::default(),
        },
        None,
        Arc::new(ReqwestTransport::new()),
    )
    .expect("a valid client");
    let baseline = status_kib("VmRSS:");
    let started = Instant::now();
    let (outcome, items, pages, has_more) = runtime.block_on(async {
        match args.call.as_str() {
            "owners" => match client.owners(&args.account).await {
                Ok(o) => (Ok(()), o.owners.len(), 0, false),
                Err(e) => (Err(e), 0, 0, false),
            },
            _ => match client.sync_transactions(&args.account, None).await {
                Ok(s) => (Ok(()), s.transactions.len(), s.pages, s.has_more),
                Err(e) => (Err(e), 0, 0, false),
            },
        }
    });
    let elapsed = started.elapsed();
    let peak = status_kib("VmHWM:");
    let _ = std::fs::remove_dir_all(&dir);
    let (error_code, error) = match &outcome {
        Ok(()) => (None, None),
        Err(e) => (Some(e.code()), Some(e.to_string())),
    };
    println!(
        "{}",
        serde_json::json!({
            "call": args.call,
            "ok": outcome.is_ok(),
            "error_code": error_code,
            "error": error,
            "items": items,
            "pages": pages,
            "has_more": has_more,
            "max_items": args.limits.max_items,
            "max_bytes": args.limits.max_bytes,
            "baseline_rss_kib": baseline,
            "peak_rss_kib": peak,
            "growth_kib": peak.saturating_sub(baseline),
            "elapsed_ms": elapsed.as_millis() as u64,
        })
    );
    ExitCode::SUCCESS
}
