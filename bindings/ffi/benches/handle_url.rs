//! Benchmark of `finconn_ffi::client::Flow::handle_url`: the Rust method behind Kotlin's
//! `Flow.handleUrl(url)` and Swift's `Flow.handleUrl(url:)`, called directly from Rust, i.e. the
//! same work without the FFI boundary (argument lowering, the JNA/C call, UniFFI's future polled
//! from the foreign side, `UrlHandling` written to a RustBuffer and lifted on the other side).
//! The method is async: its body runs on the library's executor ("finconn-runtime") and the
//! bench's thread waits for it (`block_on` of a current-thread runtime of the bench's own), so
//! each sample holds the hop to that thread and back, as every call from Kotlin or Swift does.
//! `scripts/ffi-bench.sh` runs it next to `bindings/tests/kotlin-bench/HandleUrlBench.kt` (the
//! same call through the generated Kotlin) so that the difference is the per-call FFI overhead.
//!
//! The flow belongs to a `FlowClient` whose backend is a closed loopback port: `handle_url` never
//! touches the network. The flow is idle, as in the Kotlin program, so a matching link is
//! classified and reported but not recorded. Each iteration gets a fresh `String` argument (as the
//! FFI hands Rust an owned `String`), created outside the timed section.
//!
//! Inputs (the same as `finconn-core`'s `url_rules` bench): a matching return URL with Stripe's
//! extra query parameters, and a hostile look-alike; override with `FINCONN_BENCH_MATCHING_URL` /
//! `FINCONN_BENCH_HOSTILE_URL` (ffi-bench.sh passes the same values to both programs).
//!
//! Run: `cargo bench -p finconn-ffi --bench handle_url --profile release` (the shipped profile,
//! as the Kotlin program loads the release library), or through `scripts/ffi-bench.sh`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use finconn_ffi::client::{FlowClient, FlowClientConfig};
use finconn_ffi::types::{Permission, SessionOptions};

/// The app's return URLs.
const RETURN_URLS: [&str; 2] = ["myapp://stripe-redirect", "https://example.com/fc-return"];

/// A real-looking return: the app's https link plus what Stripe and the flow append.
const MATCHING: &str = "https://example.com/fc-return?status=success\
&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL\
&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa&redirect_status=succeeded&source_redirect_slug=test_YWNjdF8x";

/// A hostile look-alike that survives the byte scan and fails on the host.
const HOSTILE: &str = "https://example.com.evil.io/fc-return?status=success\
&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&next=https%3A%2F%2Fevil.io%2Fsteal";

fn url(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn bench(c: &mut Criterion) {
    let matching = url("FINCONN_BENCH_MATCHING_URL", MATCHING);
    let hostile = url("FINCONN_BENCH_HOSTILE_URL", HOSTILE);

    let data_dir: PathBuf =
        std::env::temp_dir().join(format!("finconn-ffi-bench-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).expect("temporary data dir");
    // The caller's side: one thread polling each call, as a Kotlin or Swift caller does.
    let caller = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime for the bench's thread");
    let client = caller
        .block_on(FlowClient::open(
            FlowClientConfig {
                // Nothing listens on port 9 (discard); handle_url makes no request anyway.
                backend_url: "http://127.0.0.1:9".to_owned(),
                return_urls: RETURN_URLS.iter().map(|u| (*u).to_owned()).collect(),
                android_app_id: None,
                data_dir: data_dir.to_string_lossy().into_owned(),
                stripe_fallback: true,
                stripe_api_url: None,
                connect_timeout_ms: 10_000,
                request_timeout_ms: 30_000,
                max_attempts: 4,
                paths: None,
                max_response_bytes: 1 << 20,
                refresh_deadline_ms: 30_000,
                max_items_per_call: 10_000,
                max_bytes_per_call: 8 << 20,
                call_deadline_ms: 60_000,
            },
            None,
            Arc::new(finconn_ffi::transport::CoreTransport(Arc::new(
                finconn_transport_reqwest::ReqwestTransport::new(),
            ))),
        ))
        .expect("valid client configuration");
    let flow = client
        .new_flow(SessionOptions {
            permissions: vec![Permission::Balances],
            prefetch: vec![],
            account_subcategories: vec![],
            relink: None,
            return_url: Some(RETURN_URLS[1].to_owned()),
        })
        .expect("valid session options");
    let handle_url = |url: String| caller.block_on(flow.handle_url(url));
    assert!(
        handle_url(matching.clone())
            .expect("handle_url")
            .is_flow_url,
        "{matching} must match"
    );
    assert!(
        !handle_url(hostile.clone()).expect("handle_url").is_flow_url,
        "{hostile} must be rejected"
    );

    let mut group = c.benchmark_group("handle_url");
    for (name, input) in [("matching", &matching), ("hostile", &hostile)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || input.clone(),
                |owned| black_box(handle_url(black_box(owned))),
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    drop(flow);
    drop(client);
    let _ = std::fs::remove_dir_all(&data_dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
