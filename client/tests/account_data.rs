//! The account-data API end to end against the simulator: refreshes that finish asynchronously
//! (waited for, within the deadline), too-soon refreshes answered without a call, failed and
//! inactive accounts, a permission never granted, disconnected accounts, owners and transactions
//! across pages, an incremental sync that sees new, posted and voided transactions, and duplicate
//! accounts flagged at the end of a flow.

mod support;

use std::time::Duration;

use finconn_client::flow::FlowClient;
use finconn_core::data::{AccountAction, DataFeature, FeatureOutcome, RelinkReason};
use finconn_core::model::{Permission, TransactionStatus};
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::{FlowResult, FlowStatus, SheetOutcome};
use finconn_testkit::{Endpoint, Institution};
use support::*;

fn data_options() -> SessionOptions {
    let mut o = SessionOptions::with_permissions(vec![
        Permission::Balances,
        Permission::Ownership,
        Permission::Transactions,
    ]);
    o.return_url = Some(RETURN_URL.into());
    o
}

/// A whole flow at `institution` with the data permissions.
async fn link(env: &Env, client: &FlowClient, institution: Institution) -> FlowResult {
    let flow = client.new_flow(data_options()).unwrap();
    let sheet = open_sheet(&flow).await;
    let done = env.sheet(&sheet.session_id, institution);
    come_back(&flow, &done);
    let result = flow
        .sheet_result(SheetOutcome::Completed { session: None })
        .await
        .unwrap();
    assert_eq!(result.status, FlowStatus::Completed, "{result:?}");
    result
}

fn outcome(report: &finconn_client::account_data::RefreshReport, f: DataFeature) -> FeatureOutcome {
    report
        .features
        .iter()
        .find(|x| x.feature == f)
        .map(|x| x.outcome.clone())
        .expect("every requested feature is reported")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_waits_for_stripe_and_reports_every_feature() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let result = link(&env, &client, Institution::DataBank).await;
    let checking = &result.accounts[0];
    assert!(checking.balance.is_none(), "no prefetch: no balance yet");
    let report = client
        .refresh(&checking.id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    for f in DataFeature::GENERALLY_AVAILABLE {
        assert_eq!(outcome(&report, f), FeatureOutcome::Succeeded, "{f:?}");
    }
    assert_eq!(report.action, None);
    let balance = report
        .account
        .balance
        .as_ref()
        .expect("a balance after the refresh");
    assert!(balance.current.values().all(|v| *v != 0));
    let b = &report.features[0];
    assert!(b.last_attempted_at_unix_seconds.is_some());
    assert!(b.next_refresh_available_at_unix_seconds > b.last_attempted_at_unix_seconds);
    // The simulator finished them asynchronously: the account was read more than once.
    assert!(env.sim.requests(Endpoint::Account) >= 2);

    // Asked again before next_refresh_available_at: answered without any call.
    let refreshes = env.sim.requests(Endpoint::Refresh);
    let again = client
        .refresh(&checking.id, &[DataFeature::Balances])
        .await
        .unwrap();
    assert_eq!(
        outcome(&again, DataFeature::Balances),
        FeatureOutcome::TooSoon {
            retry_at_unix_seconds: b.next_refresh_available_at_unix_seconds.unwrap()
        }
    );
    assert_eq!(
        env.sim.requests(Endpoint::Refresh),
        refreshes,
        "nothing sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_still_pending_at_the_deadline_says_so() {
    let env = Env::start().await;
    env.sim.set_refresh_delay(Duration::from_secs(30));
    let o = Opts {
        refresh_deadline: Duration::from_millis(300),
        ..Opts::default()
    };
    let client = env.client(&o);
    let result = link(&env, &client, Institution::DataBank).await;
    let started = std::time::Instant::now();
    let report = client
        .refresh(&result.accounts[0].id, &[DataFeature::Balances])
        .await
        .unwrap();
    assert_eq!(
        outcome(&report, DataFeature::Balances),
        FeatureOutcome::StillPending
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "bounded by the deadline"
    );
    // A second call while it is pending waits for it instead of asking again.
    let refreshes = env.sim.requests(Endpoint::Refresh);
    let again = client
        .refresh(&result.accounts[0].id, &[DataFeature::Balances])
        .await
        .unwrap();
    assert_eq!(
        outcome(&again, DataFeature::Balances),
        FeatureOutcome::StillPending
    );
    assert_eq!(env.sim.requests(Endpoint::Refresh), refreshes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_inactive_and_unpermitted_accounts_come_back_typed() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());

    let failing = link(&env, &client, Institution::RefreshFailsBank).await;
    let report = client
        .refresh(&failing.accounts[0].id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    assert!(
        report
            .features
            .iter()
            .all(|f| f.outcome == FeatureOutcome::Failed),
        "{report:?}"
    );
    assert_eq!(
        report.action, None,
        "a failed refresh alone needs no relink"
    );

    let inactive = link(&env, &client, Institution::GoesInactiveBank).await;
    let account = &inactive.accounts[0];
    let report = client
        .refresh(&account.id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    assert!(
        report
            .features
            .iter()
            .all(|f| f.outcome == FeatureOutcome::Failed),
        "{report:?}"
    );
    assert_eq!(
        report.action,
        Some(AccountAction::RelinkRequired {
            authorization: account.authorization.clone(),
            reason: RelinkReason::Inactive
        })
    );
    assert!(report.account.balance.is_none());

    let no_txn = link(&env, &client, Institution::NoTransactionsBank).await;
    let account = &no_txn.accounts[0];
    let before = env.sim.requests(Endpoint::Transactions);
    let report = client
        .refresh(&account.id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    assert_eq!(
        outcome(&report, DataFeature::Balances),
        FeatureOutcome::Succeeded
    );
    assert_eq!(
        outcome(&report, DataFeature::Transactions),
        FeatureOutcome::NotPermitted
    );
    let missing = AccountAction::RelinkRequired {
        authorization: account.authorization.clone(),
        reason: RelinkReason::MissingPermissions(vec![Permission::Transactions]),
    };
    assert_eq!(report.action, Some(missing.clone()));
    let sync = client.sync_transactions(&account.id, None).await.unwrap();
    assert!(sync.transactions.is_empty());
    assert_eq!(sync.action, Some(missing));
    assert_eq!(
        env.sim.requests(Endpoint::Transactions),
        before,
        "nothing read without permission"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_account_is_gone() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let result = link(&env, &client, Institution::DataBank).await;
    let id = &result.accounts[0].id;
    client.disconnect_account(id).await.unwrap();
    let report = client
        .refresh(id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    assert!(report
        .features
        .iter()
        .all(|f| f.outcome == FeatureOutcome::Gone));
    assert_eq!(report.action, Some(AccountAction::Disconnected));
    assert_eq!(
        client.owners(id).await.unwrap().action,
        Some(AccountAction::Disconnected)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_and_transactions_are_read_across_pages() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let result = link(&env, &client, Institution::DataBank).await;
    assert_eq!(result.accounts.len(), 2);
    let mut paged = false;
    for a in &result.accounts {
        client
            .refresh(&a.id, &DataFeature::GENERALLY_AVAILABLE)
            .await
            .unwrap();
        let owners = client.owners(&a.id).await.unwrap();
        let mut ids: Vec<_> = owners.owners.iter().map(|o| o.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), owners.owners.len(), "every owner once");
        assert!(!owners.owners.is_empty());
        let sync = client.sync_transactions(&a.id, None).await.unwrap();
        assert_eq!(
            sync.transactions.len(),
            env.sim.transactions_held(&a.id),
            "{}",
            a.id
        );
        paged |= sync.pages > 1;
        assert!(sync
            .cursor
            .as_deref()
            .is_some_and(|c| c.starts_with("fctxnref_")));
    }
    assert!(paged, "one account has more than one page of transactions");
    let most = result
        .accounts
        .iter()
        .map(|a| env.sim.transactions_held(&a.id))
        .max()
        .unwrap();
    assert!(most > 100, "more than Stripe's page limit: {most}");
    let owners: Vec<usize> = {
        let mut v = Vec::new();
        for a in &result.accounts {
            v.push(client.owners(&a.id).await.unwrap().owners.len());
        }
        v
    };
    assert!(
        owners.iter().any(|n| *n > 10),
        "owners across pages: {owners:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incremental_sync_sees_new_posted_and_voided_transactions_once() {
    let env = Env::start().await;
    env.sim.set_refresh_cooldown(Duration::ZERO);
    let client = env.client(&Opts::default());
    let result = link(&env, &client, Institution::DataBank).await;
    let id = &result.accounts[0].id;
    client
        .refresh(id, &[DataFeature::Transactions])
        .await
        .unwrap();
    let first = client.sync_transactions(id, None).await.unwrap();
    let cursor = first
        .cursor
        .clone()
        .expect("a cursor after a succeeded refresh");
    let pending: Vec<String> = first
        .transactions
        .iter()
        .filter(|t| t.status == TransactionStatus::Pending)
        .map(|t| t.id.clone())
        .collect();
    assert!(!pending.is_empty());

    let report = client
        .refresh(id, &[DataFeature::Transactions])
        .await
        .unwrap();
    assert_eq!(
        outcome(&report, DataFeature::Transactions),
        FeatureOutcome::Succeeded
    );
    let second = client.sync_transactions(id, Some(&cursor)).await.unwrap();
    assert_ne!(
        second.cursor.as_deref(),
        Some(cursor.as_str()),
        "the cursor moved"
    );
    assert!(
        second.transactions.len() < first.transactions.len(),
        "only the changes"
    );
    let known: Vec<&str> = first.transactions.iter().map(|t| t.id.as_str()).collect();
    let new = second
        .transactions
        .iter()
        .filter(|t| !known.contains(&t.id.as_str()))
        .count();
    let posted = second
        .transactions
        .iter()
        .filter(|t| pending.contains(&t.id) && t.status == TransactionStatus::Posted)
        .count();
    let voided = second
        .transactions
        .iter()
        .filter(|t| pending.contains(&t.id) && t.status == TransactionStatus::Void)
        .count();
    assert!(
        new >= 1 && posted >= 1 && voided >= 1,
        "new {new}, posted {posted}, voided {voided}"
    );
    // The ledger: all of the first, upserted with the second, equals what the backend holds.
    let mut ledger = std::collections::BTreeMap::new();
    for t in first.transactions.iter().chain(&second.transactions) {
        ledger.insert(t.id.clone(), t.status.clone());
    }
    assert_eq!(ledger.len(), env.sim.transactions_held(id));
    // Nothing changed since: an empty sync, the same cursor.
    let third = client
        .sync_transactions(id, second.cursor.as_deref())
        .await
        .unwrap();
    assert!(
        third.transactions.is_empty(),
        "{:?}",
        third.transactions.len()
    );
    assert_eq!(third.cursor, second.cursor);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linking_the_same_bank_twice_flags_the_duplicates() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let first = link(&env, &client, Institution::DataBank).await;
    assert!(first.duplicates.is_empty());
    let second = link(&env, &client, Institution::DataBank).await;
    assert_eq!(
        second.duplicates.len(),
        second.accounts.len(),
        "{:?}",
        second.duplicates
    );
    for d in &second.duplicates {
        assert!(first.accounts.iter().any(|a| a.id == d.duplicate_of));
        assert!(second.accounts.iter().any(|a| a.id == d.account_id));
    }
    // Subscriptions turn on and off.
    let id = &second.accounts[0].id;
    let on = client
        .subscribe(id, &[DataFeature::Transactions])
        .await
        .unwrap();
    assert!(on
        .subscriptions
        .unwrap_or_default()
        .iter()
        .any(|s| s.as_str() == "transactions"));
    let off = client
        .unsubscribe(id, &[DataFeature::Transactions])
        .await
        .unwrap();
    assert!(off.subscriptions.unwrap_or_default().is_empty());
    assert!(client
        .subscribe(id, &[DataFeature::Balances])
        .await
        .is_err());
}

/// `InferredBalances` is a Stripe private preview: an account without it (the simulator's, like
/// any account outside the preview) refuses its refresh. The app gets the typed 4xx with Stripe's
/// reason, not a panic and not a report claiming a feature outcome; nothing is
/// retried, and the generally available features still refresh afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_of_a_preview_feature_the_account_lacks_is_a_typed_rejection() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let result = link(&env, &client, Institution::DataBank).await;
    let id = &result.accounts[0].id;
    let refreshes = env.sim.requests(Endpoint::Refresh);
    let err = client
        .refresh(id, &[DataFeature::InferredBalances])
        .await
        .expect_err("the simulator has no inferred balances");
    let public = err;
    assert_eq!(public.code(), "rejected", "{public:?}");
    assert!(!public.is_retryable(), "{public:?}");
    assert!(
        public.to_string().contains("`features` must be"),
        "Stripe's reason reaches the app's log: {public}"
    );
    assert!(
        env.sim.requests(Endpoint::Refresh) <= refreshes + 1,
        "a 4xx is not retried"
    );
    let report = client
        .refresh(id, &DataFeature::GENERALLY_AVAILABLE)
        .await
        .unwrap();
    for f in DataFeature::GENERALLY_AVAILABLE {
        assert_eq!(outcome(&report, f), FeatureOutcome::Succeeded, "{f:?}");
    }
}
