//! Account data over HTTP, through the merchant backend's routes and Stripe's `/v1`: refreshes
//! that go pending → succeeded (or failed) after the delay, refusals (pending, permission,
//! disconnected), owners and transactions paging, incremental reads after a transaction refresh,
//! subscriptions, per-user isolation, faults on the new endpoints, determinism.

use std::collections::HashSet;
use std::time::Duration;

use finconn_testkit::{Endpoint, Fault, Institution, Simulator, SimulatorConfig};
use serde_json::{json, Value};

use crate::common::*;

const ALL_PERMISSIONS: [&str; 4] = ["balances", "ownership", "payment_method", "transactions"];
const DELAY: Duration = Duration::from_millis(50);

/// Links `institution`'s accounts for `USER` through the backend (session, sheet, report).
async fn link_with(
    sim: &Simulator,
    institution: Institution,
    key: &str,
    body: Value,
) -> Vec<String> {
    let a = create_session(sim, key, &body).await;
    let id = a["session_id"].as_str().unwrap();
    let done = sim.complete_sheet(id, institution).unwrap();
    let resp = post_complete(sim, id, USER, &report(key, a["report_token"].as_str())).await;
    assert_eq!(resp.status(), 200);
    done.account_ids
}

/// [`link_with`] every permission and no prefetch.
async fn link(sim: &Simulator, institution: Institution, key: &str) -> Vec<String> {
    let body = json!({"permissions": ALL_PERMISSIONS, "return_url": "myapp://stripe-redirect"});
    link_with(sim, institution, key, body).await
}

fn account_url(sim: &Simulator, account: &str, tail: &str) -> String {
    format!(
        "{}/financial-connections/accounts/{account}{tail}",
        sim.base_url()
    )
}

async fn answer(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// A backend `GET` of the account (`tail` = "" or "/owners", "/transactions", with a query).
async fn get_as(sim: &Simulator, user: &str, account: &str, tail: &str) -> (u16, Value) {
    let resp = client()
        .get(account_url(sim, account, tail))
        .bearer_auth(user)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

async fn get(sim: &Simulator, account: &str, tail: &str) -> (u16, Value) {
    get_as(sim, USER, account, tail).await
}

/// A backend `POST` (`tail` = "/refresh", "/subscribe", "/unsubscribe").
async fn post_as(
    sim: &Simulator,
    user: &str,
    account: &str,
    tail: &str,
    body: &Value,
) -> (u16, Value) {
    let resp = client()
        .post(account_url(sim, account, tail))
        .bearer_auth(user)
        .json(body)
        .send()
        .await
        .unwrap();
    answer(resp).await
}

async fn refresh(sim: &Simulator, account: &str, features: &[&str]) -> (u16, Value) {
    post_as(
        sim,
        USER,
        account,
        "/refresh",
        &json!({ "features": features }),
    )
    .await
}

/// Refreshes and checks the answer: `200`, those refreshes pending.
async fn refresh_ok(sim: &Simulator, account: &str, features: &[&str]) -> Value {
    let (status, body) = refresh(sim, account, features).await;
    assert_eq!(status, 200, "{body}");
    body["account"].clone()
}

/// Waits out the refresh delay, then reads the account through the backend.
async fn settled(sim: &Simulator, account: &str) -> Value {
    tokio::time::sleep(DELAY + Duration::from_millis(30)).await;
    let (status, body) = get(sim, account, "").await;
    assert_eq!(status, 200, "{body}");
    body["account"].clone()
}

/// A secret-key `/v1` call to the in-memory Stripe (`GET` sends `pairs` as the query).
async fn v1(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, Value) {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let mut url = format!("{}{path}", sim.stripe_base_url());
    let mut req = if method == reqwest::Method::GET {
        url.push('?');
        url.push_str(&encoded);
        client().get(url)
    } else {
        client()
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encoded)
    };
    req = req.bearer_auth(sim.secret_key());
    answer(req.send().await.unwrap()).await
}

fn ids_of(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every page of a backend list route (`tail` like "/transactions?limit=100"), checking that
/// each page has at most `max` items: (ids, pages).
async fn all_pages(sim: &Simulator, account: &str, tail: &str, max: usize) -> (Vec<String>, usize) {
    let sep = if tail.contains('?') { '&' } else { '?' };
    let mut all = Vec::new();
    let mut pages = 0;
    let mut after: Option<String> = None;
    loop {
        let t = match &after {
            None => tail.to_string(),
            Some(a) => format!("{tail}{sep}starting_after={a}"),
        };
        let (status, page) = get(sim, account, &t).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["object"], "list");
        let page_ids = ids_of(&page);
        assert!(page_ids.len() <= max, "{} > {max}", page_ids.len());
        pages += 1;
        all.extend(page_ids);
        if page["has_more"] != true {
            return (all, pages);
        }
        after = all.last().cloned();
        assert!(pages < 50, "paging does not end");
    }
}

fn assert_error(status: u16, body: &Value, expected: u16, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
}

#[tokio::test]
async fn a_refresh_is_pending_then_succeeds_after_the_delay() {
    let sim = start().await;
    let now = config().now.unwrap();
    let ids = link(&sim, Institution::SuccessThree, "k").await;
    let (checking, credit) = (&ids[0], &ids[2]);
    let before = &sim.stripe().account(checking).unwrap();
    assert_eq!(before["balance"], Value::Null, "nothing before a refresh");
    assert_eq!(before["balance_refresh"], Value::Null);
    assert_eq!(before["transaction_refresh"], Value::Null);

    let a = refresh_ok(&sim, checking, &["balance", "ownership", "transactions"]).await;
    let pending =
        json!({"status": "pending", "last_attempted_at": now, "next_refresh_available_at": null});
    assert_eq!(a["balance_refresh"], pending);
    assert_eq!(a["ownership_refresh"], pending);
    let tr = &a["transaction_refresh"];
    assert_eq!(tr["status"], "pending");
    assert_eq!(tr["next_refresh_available_at"], Value::Null);
    let tr_id = tr["id"].as_str().unwrap().to_string();
    assert!(tr_id.starts_with("fctxnref_1") && tr_id.len() == "fctxnref_".len() + 24);
    assert_eq!(a["balance"], Value::Null, "read when the refresh finishes");

    let a = settled(&sim, checking).await;
    let done = json!({"status": "succeeded", "last_attempted_at": now, "next_refresh_available_at": now + 60});
    assert_eq!(a["balance_refresh"], done);
    assert_eq!(a["ownership_refresh"], done);
    assert_eq!(a["transaction_refresh"]["status"], "succeeded");
    assert_eq!(a["transaction_refresh"]["id"], tr_id.as_str());
    let b = &a["balance"];
    assert_eq!(b["type"], "cash");
    assert_eq!(b["as_of"], now);
    let cash = b["current"]["usd"].as_i64().unwrap();
    assert!(cash > 0);
    assert_eq!(b["cash"]["available"]["usd"], cash);
    assert!(a["ownership"].as_str().unwrap().starts_with("fcaowns_1"));
    assert_eq!(sim.transactions_held(checking), 30);
    assert_eq!(sim.transaction_refresh_ids(checking), vec![tr_id]);
    // Stripe's own view agrees, and the backend's stored copy was updated.
    let (status, v1_account) = v1(
        &sim,
        reqwest::Method::GET,
        &format!("/v1/financial_connections/accounts/{checking}"),
        &[],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(v1_account, a);
    let stored = sim.user_accounts(USER);
    assert_eq!(
        stored.iter().find(|x| x["id"] == checking.as_str()),
        Some(&a)
    );

    // A credit balance is owed by the holder.
    refresh_ok(&sim, credit, &["balance"]).await;
    let c = settled(&sim, credit).await;
    let b = &c["balance"];
    assert_eq!(b["type"], "credit");
    let used = b["credit"]["used"]["usd"].as_i64().unwrap();
    assert!(used > 0);
    assert_eq!(b["current"]["usd"], -used);
    assert_eq!(c["ownership_refresh"], Value::Null, "only what was asked");
    // The list route shows settled refreshes too.
    let (_, list) = answer(
        client()
            .get(format!("{}/financial-connections/accounts", sim.base_url()))
            .bearer_auth(USER)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let listed = &list["accounts"].as_array().unwrap()[2];
    assert_eq!(listed["balance_refresh"]["status"], "succeeded");
}

#[tokio::test]
async fn a_refresh_while_pending_is_refused() {
    let sim = Simulator::start(SimulatorConfig {
        refresh_delay: Duration::from_secs(60),
        ..config()
    })
    .await;
    assert_eq!(sim.refresh_delay(), Duration::from_secs(60));
    let ids = link(&sim, Institution::SuccessOne, "k").await;
    let id = &ids[0];
    refresh_ok(&sim, id, &["balance"]).await;
    let (status, e) = refresh(&sim, id, &["ownership", "balance"]).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "stripe_invalid_request");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("balance refresh is already pending"));
    // At Stripe: `400 invalid_request_error`, code `refresh_pending`.
    let path = format!("/v1/financial_connections/accounts/{id}/refresh");
    let (status, e) = v1(
        &sim,
        reqwest::Method::POST,
        &path,
        &[("features[0]", "balance")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert_eq!(e["error"]["code"], "refresh_pending");
    // Still pending; other features can be refreshed meanwhile.
    let (_, a) = get(&sim, id, "").await;
    assert_eq!(a["account"]["balance_refresh"]["status"], "pending");
    let a = refresh_ok(&sim, id, &["ownership"]).await;
    assert_eq!(a["ownership_refresh"]["status"], "pending");
    assert_eq!(a["balance_refresh"]["status"], "pending");
    // The delay applies to refreshes requested after it changes.
    sim.set_refresh_delay(Duration::ZERO);
    let a = refresh_ok(&sim, id, &["transactions"]).await;
    assert_eq!(
        a["transaction_refresh"]["status"], "pending",
        "answered pending"
    );
    let (_, a) = get(&sim, id, "").await;
    assert_eq!(a["account"]["transaction_refresh"]["status"], "succeeded");
    assert_eq!(a["account"]["balance_refresh"]["status"], "pending");
}

#[tokio::test]
async fn refresh_fails_bank_refreshes_fail() {
    let sim = start().await;
    let now = config().now.unwrap();
    let ids = link(&sim, Institution::RefreshFailsBank, "k").await;
    assert_eq!(ids.len(), 1);
    let id = &ids[0];
    refresh_ok(&sim, id, &["balance", "ownership", "transactions"]).await;
    let a = settled(&sim, id).await;
    let failed = json!({"status": "failed", "last_attempted_at": now, "next_refresh_available_at": now + 60});
    assert_eq!(a["balance_refresh"], failed);
    assert_eq!(a["ownership_refresh"], failed);
    assert_eq!(a["transaction_refresh"]["status"], "failed");
    assert_eq!(a["balance"], Value::Null);
    assert_eq!(a["ownership"], Value::Null);
    assert_eq!(a["status"], "active");
    assert_eq!(sim.transactions_held(id), 0);
    let (status, list) = get(&sim, id, "/transactions").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"], json!([]));
    // A failed refresh can be tried again.
    let a = refresh_ok(&sim, id, &["balance"]).await;
    assert_eq!(a["balance_refresh"]["status"], "pending");
}

#[tokio::test]
async fn goes_inactive_bank_becomes_inactive_and_its_refresh_fails() {
    let sim = start().await;
    let ids = link(&sim, Institution::GoesInactiveBank, "k").await;
    let id = &ids[0];
    let before = sim.stripe().account(id).unwrap();
    assert_eq!(before["status"], "active");
    let auth = before["authorization"].as_str().unwrap().to_string();
    assert_eq!(
        sim.stripe().authorization(&auth).unwrap()["status"],
        "active"
    );

    let a = refresh_ok(&sim, id, &["balance", "transactions"]).await;
    assert_eq!(a["status"], "inactive");
    assert_eq!(
        a["status_details"],
        json!({"inactive": {"action": "relink_required", "cause": "access_expired"}})
    );
    assert_eq!(a["balance_refresh"]["status"], "pending");
    assert_eq!(
        sim.stripe().authorization(&auth).unwrap()["status"],
        "inactive"
    );
    let a = settled(&sim, id).await;
    assert_eq!(a["status"], "inactive");
    assert_eq!(a["balance_refresh"]["status"], "failed");
    assert_eq!(a["transaction_refresh"]["status"], "failed");
    assert_eq!(sim.transactions_held(id), 0);
    // Refreshes of an inactive account keep failing.
    refresh_ok(&sim, id, &["ownership"]).await;
    assert_eq!(
        settled(&sim, id).await["ownership_refresh"]["status"],
        "failed"
    );
}

#[tokio::test]
async fn a_declined_transactions_permission_refuses_the_refresh() {
    let sim = start().await;
    let ids = link(&sim, Institution::NoTransactionsBank, "k").await;
    let id = &ids[0];
    let a = sim.stripe().account(id).unwrap();
    assert_eq!(
        a["permissions"],
        json!(["balances", "ownership", "payment_method"])
    );
    let (status, e) = refresh(&sim, id, &["balance", "transactions"]).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["error"]["code"], "stripe_invalid_request");
    let message = e["error"]["message"].as_str().unwrap();
    assert!(message.contains("`transactions` permission"), "{message}");
    assert!(!e.to_string().contains(sim.secret_key()));
    // Nothing started, not even the balance.
    assert_eq!(
        sim.stripe().account(id).unwrap()["balance_refresh"],
        Value::Null
    );
    let path = format!("/v1/financial_connections/accounts/{id}/refresh");
    let (status, e) = v1(
        &sim,
        reqwest::Method::POST,
        &path,
        &[("features[]", "transactions")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`transactions` permission"));
    let (status, e) = post_as(
        &sim,
        USER,
        id,
        "/subscribe",
        &json!({"features": ["transactions"]}),
    )
    .await;
    assert_eq!(status, 400, "{e}");
    // What was granted works.
    refresh_ok(&sim, id, &["balance"]).await;
    assert_eq!(
        settled(&sim, id).await["balance_refresh"]["status"],
        "succeeded"
    );

    // A session without `balances`: a balance refresh names that permission.
    let body = json!({"permissions": ["payment_method"]});
    let other = link_with(&sim, Institution::SuccessOne, "k2", body).await;
    let (status, e) = refresh(&sim, &other[0], &["balance"]).await;
    assert_eq!(status, 400);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`balances` permission"));
}

#[tokio::test]
async fn disconnected_accounts_cannot_be_refreshed_or_subscribed() {
    let sim = start().await;
    let ids = link(&sim, Institution::SuccessOne, "k").await;
    let id = &ids[0];
    let (status, _) = post_as(&sim, USER, id, "/disconnect", &json!({})).await;
    assert_eq!(status, 200);
    let (status, e) = refresh(&sim, id, &["balance"]).await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("disconnected"));
    let (status, _) = post_as(
        &sim,
        USER,
        id,
        "/subscribe",
        &json!({"features": ["transactions"]}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, a) = get(&sim, id, "").await;
    assert_eq!(
        (status, &a["account"]["status"]),
        (200, &json!("disconnected"))
    );
}

#[tokio::test]
async fn owners_come_in_pages_of_ten() {
    let sim = start().await;
    let ids = link(&sim, Institution::DataBank, "k").await;
    assert_eq!(ids.len(), 2);
    let (checking, savings) = (&ids[0], &ids[1]);
    // No ownership yet: an empty list.
    let (status, empty) = get(&sim, savings, "/owners").await;
    assert_eq!(status, 200, "{empty}");
    assert_eq!(
        empty,
        json!({"object": "list", "data": [], "has_more": false, "url": format!("/financial-connections/accounts/{savings}/owners")})
    );

    refresh_ok(&sim, savings, &["ownership"]).await;
    let ownership = settled(&sim, savings).await["ownership"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, first) = get(&sim, savings, "/owners").await;
    assert_eq!(status, 200);
    assert_eq!(
        first["data"].as_array().unwrap().len(),
        10,
        "the default page size"
    );
    assert_eq!(first["has_more"], true);
    assert_eq!(
        first["url"],
        format!("/financial-connections/accounts/{savings}/owners")
    );
    let o = &first["data"][0];
    assert_eq!(o["object"], "financial_connections.account_owner");
    assert_eq!(o["ownership"], ownership.as_str());
    assert!(o["id"].as_str().unwrap().starts_with("fcaown_1"));
    for key in ["email", "name", "phone", "raw_address", "refreshed_at"] {
        assert!(!o[key].is_null(), "{key}: {o}");
    }
    let (all, pages) = all_pages(&sim, savings, "/owners", 10).await;
    assert_eq!(pages, 2);
    assert_eq!(all.len(), 12);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        12,
        "every owner once"
    );
    let (_, small) = get(&sim, savings, "/owners?limit=5").await;
    assert_eq!(small["data"].as_array().unwrap().len(), 5);

    refresh_ok(&sim, checking, &["ownership"]).await;
    settled(&sim, checking).await;
    let (all, pages) = all_pages(&sim, checking, "/owners", 10).await;
    assert_eq!((all.len(), pages), (1, 1));

    // At Stripe: `ownership` is required and must be the account's current one.
    let path = format!("/v1/financial_connections/accounts/{savings}/owners");
    let (status, e) = v1(&sim, reqwest::Method::GET, &path, &[]).await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["code"], "parameter_missing");
    let (status, page) = v1(
        &sim,
        reqwest::Method::GET,
        &path,
        &[("ownership", &ownership), ("limit", "12")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["url"], path.as_str());
    assert_eq!(page["has_more"], false);
    refresh_ok(&sim, savings, &["ownership"]).await;
    let newer = settled(&sim, savings).await["ownership"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(
        newer, ownership,
        "each ownership refresh finds a new ownership"
    );
    let (status, e) = v1(
        &sim,
        reqwest::Method::GET,
        &path,
        &[("ownership", &ownership)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(e["error"]["param"], "ownership");
}

#[tokio::test]
async fn two_hundred_fifty_transactions_come_in_three_pages() {
    let sim = start().await;
    let ids = link(&sim, Institution::DataBank, "k").await;
    let (checking, savings) = (&ids[0], &ids[1]);
    let (status, empty) = get(&sim, checking, "/transactions").await;
    assert_eq!(status, 200);
    assert_eq!(
        empty["data"],
        json!([]),
        "no history before a transactions refresh"
    );
    refresh_ok(&sim, checking, &["transactions"]).await;
    refresh_ok(&sim, savings, &["transactions"]).await;
    let a = settled(&sim, checking).await;
    let refresh_id = a["transaction_refresh"]["id"].as_str().unwrap().to_string();
    assert_eq!(sim.transactions_held(checking), 250);
    assert_eq!(sim.transactions_held(savings), 40);

    let (all, pages) = all_pages(&sim, checking, "/transactions?limit=100", 100).await;
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 250);
    assert_eq!(
        all.iter().collect::<HashSet<_>>().len(),
        250,
        "every id once"
    );
    let (default_page, _) = all_pages(&sim, savings, "/transactions", 10).await;
    assert_eq!(default_page.len(), 40);

    let (_, page) = get(&sim, checking, "/transactions?limit=100").await;
    assert_eq!(
        page["url"],
        format!("/financial-connections/accounts/{checking}/transactions")
    );
    let data = page["data"].as_array().unwrap();
    let t = &data[0];
    assert_eq!(t["object"], "financial_connections.transaction");
    assert_eq!(t["account"], checking.as_str());
    assert_eq!(t["currency"], "usd");
    assert_eq!(t["livemode"], false);
    assert_eq!(t["transaction_refresh"], refresh_id.as_str());
    assert!(t["amount"].is_i64() && t["description"].is_string());
    // Newest first, the newest three pending, the rest posted.
    let statuses: Vec<&str> = data.iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(&statuses[..4], ["pending", "pending", "pending", "posted"]);
    assert!(data
        .windows(2)
        .all(|w| w[0]["transacted_at"].as_i64() > w[1]["transacted_at"].as_i64()));
    assert!(data[0]["status_transitions"]["posted_at"].is_null());
    assert!(data[3]["status_transitions"]["posted_at"].is_i64());

    // At Stripe: `account` is required, 100 is the largest page.
    let path = "/v1/financial_connections/transactions";
    let (status, e) = v1(&sim, reqwest::Method::GET, path, &[]).await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (400, &json!("parameter_missing"))
    );
    let (status, _) = v1(
        &sim,
        reqwest::Method::GET,
        path,
        &[("account", checking), ("limit", "101")],
    )
    .await;
    assert_eq!(status, 400);
    let (status, e) = v1(
        &sim,
        reqwest::Method::GET,
        path,
        &[("account", checking), ("transacted_at[gte]", "1")],
    )
    .await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (400, &json!("parameter_unknown"))
    );
    let (status, page) = v1(
        &sim,
        reqwest::Method::GET,
        path,
        &[("account", checking), ("limit", "100")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["url"], path);
    assert_eq!(ids_of(&page), all[..100]);
}

#[tokio::test]
async fn an_incremental_read_returns_exactly_what_changed() {
    let sim = start().await;
    let ids = link(&sim, Institution::DataBank, "k").await;
    let id = &ids[0];
    refresh_ok(&sim, id, &["transactions"]).await;
    let r1 = settled(&sim, id).await["transaction_refresh"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (first, _) = all_pages(&sim, id, "/transactions?limit=100", 100).await;
    let (_, newest) = get(&sim, id, "/transactions?limit=3").await;
    let pending_before: HashSet<String> = ids_of(&newest).into_iter().collect();

    let (nothing, _) = all_pages(&sim, id, &format!("/transactions?after_refresh={r1}"), 10).await;
    assert!(nothing.is_empty(), "nothing after the latest refresh");

    let a = refresh_ok(&sim, id, &["transactions"]).await;
    let r2 = a["transaction_refresh"]["id"].as_str().unwrap().to_string();
    assert_ne!(r2, r1, "a new id per transaction refresh");
    settled(&sim, id).await;
    assert_eq!(
        sim.transaction_refresh_ids(id),
        vec![r1.clone(), r2.clone()]
    );
    let held = sim.transactions_held(id);
    let added = held - 250;
    assert!((2..=3).contains(&added), "{added}");

    let (_, page) = get(
        &sim,
        id,
        &format!("/transactions?limit=100&after_refresh={r1}"),
    )
    .await;
    assert_eq!(page["has_more"], false);
    let changed = page["data"].as_array().unwrap();
    assert_eq!(changed.len(), added + 3, "the new ones, 2 posted, 1 voided");
    assert!(changed
        .iter()
        .all(|t| t["transaction_refresh"] == r2.as_str()));
    let (new, old): (Vec<&Value>, Vec<&Value>) = changed
        .iter()
        .partition(|t| !first.contains(&t["id"].as_str().unwrap().to_string()));
    assert_eq!(new.len(), added);
    assert_eq!(new.iter().filter(|t| t["status"] == "pending").count(), 1);
    assert_eq!(old.len(), 3);
    assert!(old
        .iter()
        .all(|t| pending_before.contains(t["id"].as_str().unwrap())));
    let posted: Vec<&&Value> = old.iter().filter(|t| t["status"] == "posted").collect();
    let voided: Vec<&&Value> = old.iter().filter(|t| t["status"] == "void").collect();
    assert_eq!((posted.len(), voided.len()), (2, 1));
    assert!(posted
        .iter()
        .all(|t| t["status_transitions"]["posted_at"].is_i64()));
    assert!(voided[0]["status_transitions"]["void_at"].is_i64());
    assert!(voided[0]["status_transitions"]["posted_at"].is_null());

    // The full list holds everything once; a read after the latest refresh is empty.
    let (all, _) = all_pages(&sim, id, "/transactions?limit=100", 100).await;
    assert_eq!(all.len(), held);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), held);
    let (status, after_r2) = get(&sim, id, &format!("/transactions?after_refresh={r2}")).await;
    assert_eq!((status, &after_r2["data"]), (200, &json!([])));
    // The same through Stripe's parameter.
    let (status, page) = v1(
        &sim,
        reqwest::Method::GET,
        "/v1/financial_connections/transactions",
        &[
            ("account", id),
            ("transaction_refresh[after]", &r1),
            ("limit", "100"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), changed.len());
    // An unknown refresh is a 400.
    let (status, e) = get(&sim, id, "/transactions?after_refresh=fctxnref_1Unknown").await;
    assert_error(status, &e, 400, "stripe_invalid_request");
}

#[tokio::test]
async fn subscribe_and_unsubscribe() {
    let sim = start().await;
    let ids = link(&sim, Institution::SuccessOne, "k").await;
    let id = &ids[0];
    assert_eq!(
        sim.stripe().account(id).unwrap()["subscriptions"],
        json!([])
    );
    let body = json!({"features": ["transactions"]});
    let (status, a) = post_as(&sim, USER, id, "/subscribe", &body).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["account"]["subscriptions"], json!(["transactions"]));
    let (_, a) = post_as(&sim, USER, id, "/subscribe", &body).await;
    assert_eq!(
        a["account"]["subscriptions"],
        json!(["transactions"]),
        "idempotent"
    );
    let (_, got) = get(&sim, id, "").await;
    assert_eq!(got["account"]["subscriptions"], json!(["transactions"]));
    let (status, a) = post_as(&sim, USER, id, "/unsubscribe", &body).await;
    assert_eq!(status, 200);
    assert_eq!(a["account"]["subscriptions"], json!([]));
    assert_eq!(
        sim.stripe().account(id).unwrap()["subscriptions"],
        json!([])
    );
    // Only transactions can be subscribed to.
    let (status, e) = post_as(
        &sim,
        USER,
        id,
        "/subscribe",
        &json!({"features": ["balance"]}),
    )
    .await;
    assert_error(status, &e, 400, "invalid_request");
    let path = format!("/v1/financial_connections/accounts/{id}/subscribe");
    let (status, a) = v1(
        &sim,
        reqwest::Method::POST,
        &path,
        &[("features[0]", "transactions")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(a["subscriptions"], json!(["transactions"]));
    let (status, e) = v1(&sim, reqwest::Method::POST, &path, &[]).await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (400, &json!("parameter_missing"))
    );
}

#[tokio::test]
async fn another_users_account_is_not_found() {
    let sim = start().await;
    let ids = link(&sim, Institution::SuccessOne, "k").await;
    let id = &ids[0];
    let features = json!({"features": ["transactions"]});
    for tail in ["", "/owners", "/transactions"] {
        let (status, e) = get_as(&sim, "bob", id, tail).await;
        assert_error(status, &e, 404, "account_not_found");
        let (status, e) = get_as(&sim, USER, "fca_1Missing", tail).await;
        assert_error(status, &e, 404, "account_not_found");
    }
    for tail in ["/refresh", "/subscribe", "/unsubscribe"] {
        let (status, e) = post_as(&sim, "bob", id, tail, &features).await;
        assert_error(status, &e, 404, "account_not_found");
    }
    assert_eq!(
        sim.stripe().account(id).unwrap()["transaction_refresh"],
        Value::Null
    );
    assert_eq!(
        sim.stripe().account(id).unwrap()["subscriptions"],
        json!([])
    );
}

#[tokio::test]
async fn bad_requests_are_400() {
    let sim = start().await;
    let ids = link(&sim, Institution::SuccessOne, "k").await;
    let id = &ids[0];
    for body in [
        json!({}),
        json!({"features": []}),
        json!({"features": ["balances"]}),
        json!({"features": "balance"}),
        json!({"features": [1]}),
    ] {
        let (status, e) = post_as(&sim, USER, id, "/refresh", &body).await;
        assert_error(status, &e, 400, "invalid_request");
    }
    let resp = client()
        .post(account_url(&sim, id, "/refresh"))
        .bearer_auth(USER)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, e) = answer(resp).await;
    assert_error(status, &e, 400, "invalid_json");
    for tail in [
        "/transactions?limit=0",
        "/transactions?limit=x",
        "/owners?limit=101",
    ] {
        let (status, e) = get(&sim, id, tail).await;
        assert_error(status, &e, 400, "invalid_request");
    }
    let (status, e) = get(&sim, id, "/transactions?starting_after=fctxn_1Nope").await;
    assert_error(status, &e, 400, "stripe_invalid_request");
    // Unknown Stripe parameters are refused, and no refresh started.
    let path = format!("/v1/financial_connections/accounts/{id}/refresh");
    let (status, e) = v1(
        &sim,
        reqwest::Method::POST,
        &path,
        &[("features", "balance")],
    )
    .await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (400, &json!("parameter_unknown"))
    );
    let (status, e) = v1(
        &sim,
        reqwest::Method::POST,
        &path,
        &[("features[]", "balances")],
    )
    .await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = v1(
        &sim,
        reqwest::Method::POST,
        "/v1/financial_connections/accounts/fca_1Nope/refresh",
        &[("features[]", "balance")],
    )
    .await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (404, &json!("resource_missing"))
    );
    assert_eq!(
        sim.stripe().account(id).unwrap()["balance_refresh"],
        Value::Null
    );
}

#[tokio::test]
async fn faults_on_the_new_endpoints() {
    let sim = start().await;
    let ids = link(&sim, Institution::DataBank, "k").await;
    let id = &ids[0];
    sim.faults().push(Endpoint::Refresh, Fault::Status(503));
    let (status, e) = refresh(&sim, id, &["transactions"]).await;
    assert_error(status, &e, 503, "simulated_fault");
    assert_eq!(
        sim.stripe().account(id).unwrap()["transaction_refresh"],
        Value::Null,
        "nothing done"
    );
    assert_eq!(sim.requests(Endpoint::Refresh), 1);
    refresh_ok(&sim, id, &["transactions"]).await;
    assert_eq!(sim.requests(Endpoint::Refresh), 2);
    settled(&sim, id).await;

    sim.faults().push(
        Endpoint::Transactions,
        Fault::TooManyRequests {
            retry_after_secs: 2,
        },
    );
    let resp = client()
        .get(account_url(&sim, id, "/transactions"))
        .bearer_auth(USER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    sim.faults().push(Endpoint::Owners, Fault::ConnectionReset);
    assert!(client()
        .get(account_url(&sim, id, "/owners"))
        .bearer_auth(USER)
        .send()
        .await
        .is_err());

    // Stripe-side endpoints answer in Stripe's error shape.
    sim.faults()
        .push(Endpoint::StripeTransactions, Fault::Status(500));
    let (status, e) = v1(
        &sim,
        reqwest::Method::GET,
        "/v1/financial_connections/transactions",
        &[("account", id)],
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(e["error"]["type"], "api_error");
    // A refresh committed, then the answer lost: the retry with the same key is the same answer.
    sim.faults()
        .push(Endpoint::StripeRefresh, Fault::ResetAfterCommit);
    let send = || {
        client()
            .post(format!(
                "{}/v1/financial_connections/accounts/{id}/refresh",
                sim.stripe_base_url()
            ))
            .bearer_auth(sim.secret_key())
            .header("Idempotency-Key", "refresh-1")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("features%5B%5D=transactions")
            .send()
    };
    assert!(send().await.is_err());
    let (status, a) = answer(send().await.unwrap()).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["transaction_refresh"]["status"], "pending");
    assert_eq!(
        sim.transaction_refresh_ids(id).len(),
        2,
        "one refresh for two requests"
    );
    assert_eq!(sim.requests(Endpoint::StripeRefresh), 2);
    sim.faults()
        .push(Endpoint::Subscriptions, Fault::Status(502));
    let (status, _) = post_as(
        &sim,
        USER,
        id,
        "/subscribe",
        &json!({"features": ["transactions"]}),
    )
    .await;
    assert_eq!(status, 502);
    sim.faults().push(Endpoint::Account, Fault::MalformedJson);
    let resp = client()
        .get(account_url(&sim, id, ""))
        .bearer_auth(USER)
        .send()
        .await
        .unwrap();
    assert!(resp.json::<Value>().await.is_err());
}

#[tokio::test]
async fn prefetched_data_is_there_at_once() {
    let sim = start().await;
    let body = json!({
        "permissions": ALL_PERMISSIONS,
        "prefetch": ["balances", "ownership", "transactions"],
    });
    let ids = link_with(&sim, Institution::DataBank, "k", body).await;
    let id = &ids[1];
    let a = sim.stripe().account(id).unwrap();
    assert_eq!(a["balance_refresh"]["status"], "succeeded");
    assert_eq!(a["ownership_refresh"]["status"], "succeeded");
    assert_eq!(a["transaction_refresh"]["status"], "succeeded");
    assert_eq!(a["subscriptions"], json!([]));
    assert_eq!(sim.transactions_held(id), 40);
    let (owners, _) = all_pages(&sim, id, "/owners?limit=100", 100).await;
    assert_eq!(owners.len(), 12);
    let (_, page) = get(&sim, id, "/transactions?limit=1").await;
    assert_eq!(
        page["data"][0]["transaction_refresh"],
        a["transaction_refresh"]["id"]
    );
    // A prefetch needs the permission: the declined one is not prefetched.
    let body = json!({"permissions": ALL_PERMISSIONS, "prefetch": ["transactions"]});
    let declined = link_with(&sim, Institution::NoTransactionsBank, "k2", body).await;
    let a = sim.stripe().account(&declined[0]).unwrap();
    assert_eq!(a["transaction_refresh"], Value::Null);
    assert_eq!(sim.transactions_held(&declined[0]), 0);
}

#[tokio::test]
async fn histories_are_deterministic_per_seed() {
    async fn history(seed: u64) -> (Vec<String>, Vec<String>) {
        let sim = Simulator::start(SimulatorConfig { seed, ..config() }).await;
        let ids = link(&sim, Institution::DataBank, "k").await;
        refresh_ok(&sim, &ids[1], &["transactions", "ownership"]).await;
        settled(&sim, &ids[1]).await;
        refresh_ok(&sim, &ids[1], &["transactions"]).await;
        settled(&sim, &ids[1]).await;
        let (txns, _) = all_pages(&sim, &ids[1], "/transactions?limit=100", 100).await;
        let (owners, _) = all_pages(&sim, &ids[1], "/owners?limit=100", 100).await;
        (txns, owners)
    }
    let a = history(11).await;
    assert_eq!(a, history(11).await);
    let b = history(12).await;
    assert_ne!(a.0, b.0);
    assert_ne!(a.1, b.1);
}
