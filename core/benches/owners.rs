//! Owner deduplication (`finconn_core::data::keep_first_by_key`, what `FlowClient::owners` runs
//! on every page) at 10,000 and 100,000 distinct owners in pages of 100, then every owner again
//! as duplicates. Linear: ten times the owners costs about ten times the time (the rule it
//! replaced compared each owner with every one kept: a hundred times).
//!
//! Run: `cargo bench -p finconn-core --bench owners -- --warm-up-time 1 --measurement-time 3`

use std::collections::HashSet;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use finconn_core::data::keep_first_by_key;
use finconn_core::model::AccountOwner;

fn owners(n: usize) -> Vec<Vec<AccountOwner>> {
    let all: Vec<AccountOwner> = (0..n)
        .map(|i| AccountOwner {
            id: format!("fcaown_1Pgc76B7WZ01zgk{i:010}"),
            object: Some("financial_connections.account_owner".into()),
            name: format!("Owner {i}"),
            ownership: "fcaowns_1Pgc76B7WZ01zgkWqlY".into(),
            email: Some("owner@example.com".into()),
            phone: None,
            raw_address: None,
            refreshed_at: Some(1),
        })
        .collect();
    // Every owner, then every owner again: the second half are all duplicates.
    all.chunks(100)
        .chain(all.chunks(100))
        .map(<[AccountOwner]>::to_vec)
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("owners_dedup");
    group.sample_size(10);
    for n in [10_000usize, 100_000] {
        let pages = owners(n);
        group.throughput(Throughput::Elements(2 * n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &pages, |b, pages| {
            b.iter_batched(
                || pages.clone(),
                |pages| {
                    let mut out = Vec::with_capacity(n);
                    let mut seen = HashSet::new();
                    for page in pages {
                        keep_first_by_key(&mut out, &mut seen, page, |o| o.id.clone());
                    }
                    assert_eq!(out.len(), n);
                    black_box(out)
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
