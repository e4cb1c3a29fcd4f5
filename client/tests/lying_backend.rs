//! The lying-backend table on the Rust transport (`finconn-transport-reqwest`): account-data
//! answers that lie (`finconn_testkit::LYING_CASES`; the Kotlin transport runs the same table on
//! the JVM, `bindings/tests/kotlin/AccountDataTest.kt`).
//!
//! For every case, what must not happen: a result beyond the per-call caps, a request beyond the
//! bound (a page larger than `limit` or a loop is caught at once, not after 1,000 requests), a
//! `limit` above 100 asked, a call outliving its deadline (a hang), and the lie's value (a path,
//! CR/LF, 200 KB, a client secret, a bad currency key) reaching the app in an error, a result or
//! a cursor. Then: a sync stopped at the cap continues from its cursor until the list ends, and a
//! continuation cursor is checked like any other.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use finconn_client::flow::FlowClient;
use finconn_core::data::{DataFeature, DataLimits, FeatureOutcome};
use finconn_core::error::FinConnError;
use finconn_testkit::{
    DataCall, Lie, LyingCase, LyingServer, ENDLESS_HONEST_PAGES, LYING_ACCOUNT_ID, LYING_CASES,
};
use support::*;

fn client(server: &LyingServer, dir: &std::path::Path, case: &LyingCase) -> FlowClient {
    server_client(
        server.base_url(),
        dir,
        Arc::new(BearerToken(USER_TOKEN.into())),
        transport(),
        |config| {
            config.backend.request_timeout = Duration::from_secs(5);
            config.refresh = finconn_client::account_data::RefreshPolicy {
                deadline: Duration::from_millis(case.refresh_deadline_ms),
                first_poll: Duration::from_millis(20),
                max_poll: Duration::from_millis(100),
            };
            config.data_limits = DataLimits {
                call_deadline: Duration::from_millis(case.call_deadline_ms),
                ..DataLimits::default()
            };
        },
    )
}

/// Runs one case; returns what went wrong (empty when all held).
async fn run(case: &LyingCase) -> Vec<String> {
    let mut wrong = Vec::new();
    let server = LyingServer::start(case.lie)
        .await
        .expect("the lying backend listens on 127.0.0.1");
    let dir = tempfile::tempdir().expect("data dir");
    let client = client(&server, dir.path(), case);
    let limits = client.data_limits().clone();
    let started = Instant::now();
    // What the call returned, as the app would see it (Debug of the whole result).
    let outcome: Result<String, FinConnError> = match case.call {
        DataCall::Account => client
            .account(LYING_ACCOUNT_ID)
            .await
            .map(|a| format!("{a:?}")),
        DataCall::Refresh => client
            .refresh(LYING_ACCOUNT_ID, &[DataFeature::Balances])
            .await
            .map(|r| {
                let pending = r.features[0].outcome == FeatureOutcome::StillPending;
                if case.expect_still_pending != pending {
                    wrong.push(format!("still pending: {pending}"));
                }
                format!("{r:?}")
            }),
        DataCall::Owners => client.owners(LYING_ACCOUNT_ID).await.map(|o| {
            if o.owners.len() > limits.max_items as usize {
                wrong.push(format!("{} owners, over the cap", o.owners.len()));
            }
            format!("{o:?}")
        }),
        DataCall::Sync => client
            .sync_transactions(LYING_ACCOUNT_ID, None)
            .await
            .map(|s| {
                if s.transactions.len() > limits.max_items as usize {
                    wrong.push(format!(
                        "{} transactions, over the cap",
                        s.transactions.len()
                    ));
                }
                if s.has_more != case.expect_has_more {
                    wrong.push(format!("has_more {}", s.has_more));
                }
                if s.has_more && !s.cursor.as_deref().is_some_and(|c| c.contains('.')) {
                    wrong.push(format!("stopped without a continuation: {:?}", s.cursor));
                }
                format!("{:?} {:?}", s.cursor, s.transactions.first())
            }),
    };
    let took = started.elapsed();
    let mut texts = Vec::new();
    match (case.expected_error, &outcome) {
        (None, Ok(result)) => texts.push(result.clone()),
        (None, Err(e)) => wrong.push(format!("expected success, got {e}")),
        (Some(code), Ok(_)) => wrong.push(format!("expected `{code}`, got success")),
        (Some(code), Err(e)) => {
            if e.code() != code {
                wrong.push(format!("expected `{code}`, got `{}`: {e}", e.code()));
            }
            if !e.to_string().contains(case.message_contains) {
                wrong.push(format!(
                    "the message does not say {:?}: {e}",
                    case.message_contains
                ));
            }
            texts.push(e.to_string());
            texts.push(format!("{e:?}"));
        }
    }
    let list = server.requests("owners") + server.requests("transactions");
    if list > case.max_list_requests {
        wrong.push(format!(
            "{list} list requests, more than {}",
            case.max_list_requests
        ));
    }
    if server.max_limit_asked() > 100 {
        wrong.push(format!("asked limit={}", server.max_limit_asked()));
    }
    if took > Duration::from_millis(case.max_ms) {
        wrong.push(format!("took {took:?}, more than {} ms", case.max_ms));
    }
    for planted in case.planted() {
        for t in &texts {
            if t.contains(&planted) {
                wrong.push(format!(
                    "the lie's value ({} bytes) reached the app",
                    planted.len()
                ));
            }
        }
    }
    if server.requests("other") != 0 {
        wrong.push("a request went to an unknown path".into());
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lying_case_is_bounded_and_nothing_it_plants_reaches_the_app() {
    let mut failures = Vec::new();
    for case in LYING_CASES {
        let wrong = run(case).await;
        if !wrong.is_empty() {
            failures.push(format!("{}: {}", case.name, wrong.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stopped_at_the_cap_continues_from_its_cursor_until_the_list_ends() {
    // 250 pages of 100: 25,000 transactions, read in three calls of at most 10,000.
    let server = LyingServer::start(Lie {
        pages: 250,
        item_bytes: 0,
        ..ENDLESS_HONEST_PAGES
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let case = finconn_testkit::lying_case("transactions_beyond_the_total_cap").unwrap();
    let client = client(&server, dir.path(), case);
    let mut cursor: Option<String> = None;
    let mut ids = std::collections::HashSet::new();
    let mut sizes = Vec::new();
    for _ in 0..5 {
        let before = server.requests("transactions");
        let sync = client
            .sync_transactions(LYING_ACCOUNT_ID, cursor.as_deref())
            .await
            .unwrap();
        assert!(server.requests("transactions") - before <= 100);
        sizes.push(sync.transactions.len());
        ids.extend(sync.transactions.into_iter().map(|t| t.id));
        cursor = sync.cursor;
        if !sync.has_more {
            break;
        }
    }
    assert_eq!(sizes, [10_000, 10_000, 5_000]);
    assert_eq!(ids.len(), 25_000, "every transaction once, none skipped");
    assert_eq!(
        cursor.as_deref(),
        Some("fctxnref_1lying"),
        "the listing ended: the cursor is the refresh taken when it began"
    );

    // A continuation is checked like any cursor: nothing is sent for a forged one.
    let before = server.requests("account");
    for forged in [
        "fctxnref_1.fctxnref_1.../../admin",
        "fctxnref_1\r\n.x.fctxn_1",
        ".x.fctxn_1",
    ] {
        let e = client
            .sync_transactions(LYING_ACCOUNT_ID, Some(forged))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "invalid_configuration", "{forged:?}: {e}");
    }
    assert_eq!(server.requests("account"), before, "nothing sent");
}
