//! Benchmark of `finconn_core::return_url`: `ReturnUrlRules::classify` against a bare
//! `url::Url::parse` of the same inputs — a matching return URL carrying Stripe's extra query
//! parameters, a hostile look-alike, a Stripe Android redirect, and the mix of the first two.
//!
//! Run: `cargo bench -p finconn-core --bench url_rules -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use finconn_core::return_url::ReturnUrlRules;

/// A real-looking return: the app's https link plus what Stripe and the flow append.
const MATCHING: &str = "https://example.com/fc-return?status=success\
&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&linked_account=fca_1MuOLGIG1CZuezXpjZnH7XAL\
&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa&redirect_status=succeeded&source_redirect_slug=test_YWNjdF8x";

/// A hostile look-alike that survives the byte scan and fails on the host.
const HOSTILE: &str = "https://example.com.evil.io/fc-return?status=success\
&session_id=fcsess_1MuOL4IG1CZuezXpoeuzQJYm&next=https%3A%2F%2Fevil.io%2Fsteal";

/// Stripe's Android web-flow success redirect.
const ANDROID: &str =
    "stripe-auth://link-accounts/com.example.app/success?payment_method=eyJpZCI6InBtXzEifQ&last4=6789";

fn bench(c: &mut Criterion) {
    let rules = ReturnUrlRules::new(
        &["myapp://stripe-redirect", "https://example.com/fc-return"],
        Some("com.example.app"),
    )
    .expect("valid configuration");
    assert!(rules.classify(MATCHING).is_match());
    assert!(!rules.classify(HOSTILE).is_match());
    assert!(rules.classify(ANDROID).is_match());

    for (name, inputs) in [
        ("matching", &[MATCHING][..]),
        ("hostile", &[HOSTILE][..]),
        ("android", &[ANDROID][..]),
        ("mix", &[MATCHING, HOSTILE][..]),
    ] {
        let mut group = c.benchmark_group(name);
        group.bench_function("classify", |b| {
            b.iter(|| {
                for input in inputs {
                    black_box(rules.classify(black_box(input)));
                }
            })
        });
        group.bench_function("url_parse", |b| {
            b.iter(|| {
                for input in inputs {
                    let _ = black_box(url::Url::parse(black_box(input)));
                }
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
