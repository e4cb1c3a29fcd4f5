//! [`HttpStripe`] against the simulator's own `/v1` endpoints (Stripe is unreachable here): the
//! exact form encoding and headers (account data calls included), the answers, error mapping,
//! and a merchant backend running over HTTP Stripe end to end.

use finconn_testkit::stripe::{
    list_all_accounts, list_all_owners, list_all_transactions, retrieve_session_with_accounts,
};
use finconn_testkit::{
    AccountHolder, CreateSessionParams, Endpoint, Fault, HttpStripe, Institution,
    ListAccountsQuery, ListTransactionsQuery, RelinkOptions, Simulator, SimulatorConfig, StripeApi,
    StripeError, StripeMode,
};
use serde_json::json;

use crate::common::*;

fn http(sim: &Simulator) -> HttpStripe {
    HttpStripe::new(sim.stripe_base_url(), sim.secret_key()).unwrap()
}

fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

#[tokio::test]
async fn create_session_encoding_round_trip() {
    let sim = start().await;
    let api = http(&sim).with_stripe_version("2026-07-29.dahlia");
    let cus = api
        .create_customer("finconn test", Some("idem-cus"))
        .await
        .unwrap();
    let cus = cus["id"].as_str().unwrap().to_string();
    let req = sim.last_request(Endpoint::StripeCreateCustomer).unwrap();
    assert_eq!(
        pairs(&req.body),
        vec![("description".to_string(), "finconn test".to_string())]
    );

    let params = CreateSessionParams {
        account_holder: AccountHolder::Customer(cus.clone()),
        permissions: vec!["balances".into(), "payment_method".into()],
        prefetch: vec!["balances".into(), "transactions".into()],
        account_subcategories: Some(vec!["checking".into(), "savings".into()]),
        return_url: Some("myapp://stripe-redirect?flow=a b&x=1".into()),
        relink_options: Some(RelinkOptions {
            authorization: "fcauth_1Abc".into(),
            account: Some("fca_1Xyz".into()),
        }),
    };
    let s = api
        .create_session(&params, Some("idem-sess"))
        .await
        .unwrap();

    let req = sim.last_request(Endpoint::StripeCreateSession).unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/financial_connections/sessions");
    let expected: Vec<(String, String)> = [
        ("account_holder[type]", "customer"),
        ("account_holder[customer]", cus.as_str()),
        ("permissions[]", "balances"),
        ("permissions[]", "payment_method"),
        ("prefetch[]", "balances"),
        ("prefetch[]", "transactions"),
        ("filters[account_subcategories][]", "checking"),
        ("filters[account_subcategories][]", "savings"),
        ("return_url", "myapp://stripe-redirect?flow=a b&x=1"),
        ("relink_options[authorization]", "fcauth_1Abc"),
        ("relink_options[account]", "fca_1Xyz"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(pairs(&req.body), expected);
    // Brackets and separators are percent-encoded on the wire.
    assert!(req
        .body_text()
        .contains("account_holder%5Btype%5D=customer"));
    assert!(req
        .body_text()
        .contains("return_url=myapp%3A%2F%2Fstripe-redirect%3Fflow%3Da+b%26x%3D1"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {}", sim.secret_key()).as_str())
    );
    assert_eq!(req.header("idempotency-key"), Some("idem-sess"));
    assert_eq!(req.header("stripe-version"), Some("2026-07-29.dahlia"));

    // The simulator decoded exactly what was meant.
    assert_eq!(
        s["account_holder"],
        json!({"customer": cus, "type": "customer"})
    );
    assert_eq!(s["permissions"], json!(["balances", "payment_method"]));
    assert_eq!(s["prefetch"], json!(["balances", "transactions"]));
    assert_eq!(
        s["filters"]["account_subcategories"],
        json!(["checking", "savings"])
    );
    assert_eq!(s["return_url"], "myapp://stripe-redirect?flow=a b&x=1");
    assert_eq!(
        s["relink_options"],
        json!({"authorization": "fcauth_1Abc", "account": "fca_1Xyz"})
    );

    // Idempotency at Stripe: the same key gives the same session.
    let again = api
        .create_session(&params, Some("idem-sess"))
        .await
        .unwrap();
    assert_eq!(again["id"], s["id"]);
    assert_eq!(sim.stripe().session_count(), 1);

    // Minimal params: no empty arrays or absent options on the wire.
    let minimal = CreateSessionParams::for_customer(&cus, &["ownership"]);
    api.create_session(&minimal, None).await.unwrap();
    let req = sim.last_request(Endpoint::StripeCreateSession).unwrap();
    assert_eq!(
        req.body_text(),
        format!("account_holder%5Btype%5D=customer&account_holder%5Bcustomer%5D={cus}&permissions%5B%5D=ownership")
    );
    assert_eq!(req.header("idempotency-key"), None);
}

#[tokio::test]
async fn reads_sessions_accounts_and_disconnects() {
    let sim = Simulator::start(SimulatorConfig {
        page_size: 2,
        ..config()
    })
    .await;
    let api = http(&sim);
    let cus = api.create_customer("c", None).await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = api
        .create_session(
            &CreateSessionParams::for_customer(&cus, &["balances"]),
            None,
        )
        .await
        .unwrap();
    let id = s["id"].as_str().unwrap();
    let done = sim.complete_sheet(id, Institution::SuccessThree).unwrap();

    let got = api.retrieve_session(id).await.unwrap();
    assert_eq!(got["accounts"]["has_more"], true);
    let full = retrieve_session_with_accounts(&api, id).await.unwrap();
    let ids: Vec<String> = full["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, done.account_ids);
    let all = list_all_accounts(&api, &ListAccountsQuery::for_session(id))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let req = sim.last_request(Endpoint::StripeAccounts).unwrap();
    assert_eq!(
        req.query.as_deref(),
        Some(format!("session={id}&limit=100").as_str())
    );
    let one_page = api
        .list_accounts(&ListAccountsQuery {
            limit: Some(1),
            ..ListAccountsQuery::for_customer(&cus)
        })
        .await
        .unwrap();
    assert_eq!(one_page["has_more"], true);
    let req = sim.last_request(Endpoint::StripeAccounts).unwrap();
    assert_eq!(
        req.query.as_deref(),
        Some(format!("account_holder%5Bcustomer%5D={cus}&limit=1").as_str())
    );

    let a = api.retrieve_account(&done.account_ids[0]).await.unwrap();
    assert_eq!(a["object"], "financial_connections.account");
    let d = api
        .disconnect_account(&done.account_ids[0], Some("disc-1"))
        .await
        .unwrap();
    assert_eq!(d["status"], "disconnected");
    let req = sim.last_request(Endpoint::StripeDisconnect).unwrap();
    assert_eq!(
        req.path,
        format!(
            "/v1/financial_connections/accounts/{}/disconnect",
            done.account_ids[0]
        )
    );
    assert_eq!(req.header("idempotency-key"), Some("disc-1"));
}

#[tokio::test]
async fn errors_are_mapped_and_never_show_the_key() {
    let sim = start().await;
    let api = http(&sim);
    match api.retrieve_session("fcsess_nope").await.unwrap_err() {
        StripeError::Api { status, code, .. } => {
            assert_eq!((status, code.as_deref()), (404, Some("resource_missing")))
        }
        other => panic!("{other:?}"),
    }
    let wrong = HttpStripe::new(sim.stripe_base_url(), "sk_test_wrongkey").unwrap();
    let e = wrong.retrieve_account("fca_1").await.unwrap_err();
    assert_eq!(e.status(), 401);
    assert!(!e.to_string().contains("wrongkey"));

    sim.faults()
        .push(Endpoint::StripeCreateCustomer, Fault::Status(503));
    let e = api.create_customer("x", None).await.unwrap_err();
    assert!(
        matches!(&e, StripeError::Api { status: 503, kind, .. } if kind == "api_error"),
        "{e:?}"
    );
    sim.faults()
        .push(Endpoint::StripeCreateCustomer, Fault::ConnectionReset);
    let reset = api.create_customer("x", None).await.unwrap_err();
    assert!(matches!(reset, StripeError::Transport(_)), "{reset:?}");
    sim.faults()
        .push(Endpoint::StripeCreateCustomer, Fault::MalformedJson);
    let bad = api.create_customer("x", None).await.unwrap_err();
    assert!(matches!(bad, StripeError::Decode(_)), "{bad:?}");
    for e in [&reset, &bad] {
        assert!(!format!("{e} {e:?}").contains(sim.secret_key()));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_backend_over_http_stripe_end_to_end() {
    // `stripe_side` plays Stripe; `backend` is a merchant backend reaching it over HTTP, as
    // `fc serve --stripe-secret-key` reaches api.stripe.com.
    let stripe_side = Simulator::start(SimulatorConfig {
        page_size: 1,
        ..config()
    })
    .await;
    let backend = Simulator::start(SimulatorConfig {
        stripe: StripeMode::Http {
            api: http(&stripe_side),
            publishable_key: stripe_side.publishable_key().to_string(),
        },
        ..SimulatorConfig::with_seed(99)
    })
    .await;

    let a = create_session(&backend, "flow-1", &session_body()).await;
    assert_eq!(a["publishable_key"], stripe_side.publishable_key());
    let id = a["session_id"].as_str().unwrap();
    assert!(stripe_side.stripe().session(id).is_some());
    assert_eq!(backend.stripe().session_count(), 0);
    // The backend's Stripe call carried a derived idempotency key.
    let stripe_req = stripe_side
        .last_request(Endpoint::StripeCreateSession)
        .unwrap();
    assert!(stripe_req
        .header("idempotency-key")
        .unwrap()
        .ends_with("-flow-1"));
    assert!(
        !stripe_req.contains(USER),
        "the user's token never goes to Stripe"
    );

    let done = stripe_side
        .complete_sheet(id, Institution::SuccessThree)
        .unwrap();
    let body: serde_json::Value = post_complete(
        &backend,
        id,
        USER,
        &report("r1", a["report_token"].as_str()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        body["session"]["accounts"]["data"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(body["session"].get("client_secret").is_none());
    assert_eq!(backend.user_accounts(USER).len(), done.account_ids.len());

    // Stripe flakes: the backend answers 502 (retryable), then recovers.
    stripe_side
        .faults()
        .push(Endpoint::StripeRetrieveSession, Fault::Status(500));
    let resp = post_complete(
        &backend,
        id,
        USER,
        &report("r2", a["report_token"].as_str()),
    )
    .await;
    assert_eq!(resp.status(), 502);
    let e: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "stripe_unavailable");
    assert!(!e.to_string().contains(stripe_side.secret_key()));
    assert_eq!(backend.reports_received(id), 1);
    let resp = post_complete(
        &backend,
        id,
        USER,
        &report("r2", a["report_token"].as_str()),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(backend.reports_received(id), 2);

    let list: serde_json::Value = client()
        .get(format!(
            "{}/financial-connections/accounts",
            backend.base_url()
        ))
        .bearer_auth(USER)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["accounts"].as_array().unwrap().len(), 3);
    let resp = client()
        .post(format!(
            "{}/financial-connections/accounts/{}/disconnect",
            backend.base_url(),
            done.account_ids[2]
        ))
        .bearer_auth(USER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        stripe_side.stripe().account(&done.account_ids[2]).unwrap()["status"],
        "disconnected"
    );
}

#[tokio::test]
async fn account_data_calls_are_encoded_as_stripe_expects() {
    let sim = start().await;
    let api = http(&sim);
    let cus = api.create_customer("c", None).await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let perms = ["balances", "ownership", "transactions"];
    let s = api
        .create_session(&CreateSessionParams::for_customer(&cus, &perms), None)
        .await
        .unwrap();
    let done = sim
        .complete_sheet(s["id"].as_str().unwrap(), Institution::DataBank)
        .unwrap();
    let acct = done.account_ids[1].clone();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    let a = api
        .refresh_account(
            &acct,
            &strings(&["balance", "ownership", "transactions"]),
            Some("idem-refresh"),
        )
        .await
        .unwrap();
    assert_eq!(a["balance_refresh"]["status"], "pending");
    let req = sim.last_request(Endpoint::StripeRefresh).unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        format!("/v1/financial_connections/accounts/{acct}/refresh")
    );
    assert_eq!(
        req.body_text(),
        "features%5B%5D=balance&features%5B%5D=ownership&features%5B%5D=transactions"
    );
    assert_eq!(req.header("idempotency-key"), Some("idem-refresh"));
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let again = api
        .refresh_account(
            &acct,
            &strings(&["balance", "ownership", "transactions"]),
            Some("idem-refresh"),
        )
        .await
        .unwrap();
    assert_eq!(again, a, "Stripe's idempotency replays the first answer");
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;

    let a = api.retrieve_account(&acct).await.unwrap();
    assert_eq!(a["ownership_refresh"]["status"], "succeeded");
    let ownership = a["ownership"].as_str().unwrap().to_string();
    let refresh = a["transaction_refresh"]["id"].as_str().unwrap().to_string();

    let page = api
        .list_owners(&acct, &ownership, None, Some(5))
        .await
        .unwrap();
    assert_eq!(page["data"].as_array().unwrap().len(), 5);
    let req = sim.last_request(Endpoint::StripeOwners).unwrap();
    assert_eq!(req.method, "GET");
    assert_eq!(
        req.path,
        format!("/v1/financial_connections/accounts/{acct}/owners")
    );
    assert_eq!(
        req.query.as_deref(),
        Some(format!("ownership={ownership}&limit=5").as_str())
    );
    let last = page["data"][4]["id"].as_str().unwrap().to_string();
    api.list_owners(&acct, &ownership, Some(&last), None)
        .await
        .unwrap();
    let req = sim.last_request(Endpoint::StripeOwners).unwrap();
    assert_eq!(
        req.query.as_deref(),
        Some(format!("ownership={ownership}&starting_after={last}").as_str())
    );
    let owners = list_all_owners(&api, &acct, &ownership).await.unwrap();
    assert_eq!(owners.len(), 12);

    let q = ListTransactionsQuery {
        account: acct.clone(),
        starting_after: Some("fctxn_1x".into()),
        limit: Some(20),
        transaction_refresh_after: Some(refresh.clone()),
    };
    let e = api.list_transactions(&q).await.unwrap_err();
    assert_eq!(e.status(), 404, "an unknown starting_after: {e}");
    let req = sim.last_request(Endpoint::StripeTransactions).unwrap();
    assert_eq!(req.path, "/v1/financial_connections/transactions");
    assert_eq!(
        req.query.as_deref(),
        Some(
            format!(
                "account={acct}&limit=20&starting_after=fctxn_1x&transaction_refresh%5Bafter%5D={refresh}"
            )
            .as_str()
        )
    );
    let page = api
        .list_transactions(&ListTransactionsQuery {
            limit: Some(20),
            ..ListTransactionsQuery::for_account(&acct)
        })
        .await
        .unwrap();
    assert_eq!(page["has_more"], true);
    let all = list_all_transactions(&api, &ListTransactionsQuery::for_account(&acct))
        .await
        .unwrap();
    assert_eq!(all.len(), 40);
    let req = sim.last_request(Endpoint::StripeTransactions).unwrap();
    assert_eq!(
        req.query.as_deref(),
        Some(format!("account={acct}&limit=100").as_str())
    );

    let a = api
        .subscribe(&acct, &strings(&["transactions"]))
        .await
        .unwrap();
    assert_eq!(a["subscriptions"], json!(["transactions"]));
    let req = sim.last_request(Endpoint::StripeSubscriptions).unwrap();
    assert_eq!(
        req.path,
        format!("/v1/financial_connections/accounts/{acct}/subscribe")
    );
    assert_eq!(req.body_text(), "features%5B%5D=transactions");
    let a = api
        .unsubscribe(&acct, &strings(&["transactions"]))
        .await
        .unwrap();
    assert_eq!(a["subscriptions"], json!([]));
    let req = sim.last_request(Endpoint::StripeSubscriptions).unwrap();
    assert_eq!(
        req.path,
        format!("/v1/financial_connections/accounts/{acct}/unsubscribe")
    );
    assert_eq!(req.body_text(), "features%5B%5D=transactions");

    match api
        .refresh_account(&acct, &strings(&["balances"]), None)
        .await
        .unwrap_err()
    {
        StripeError::Api {
            status,
            kind,
            param,
            ..
        } => assert_eq!(
            (status, kind.as_str(), param.as_deref()),
            (400, "invalid_request_error", Some("features"))
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_backend_over_http_stripe_serves_account_data() {
    let stripe_side = start().await;
    let backend = Simulator::start(SimulatorConfig {
        stripe: StripeMode::Http {
            api: http(&stripe_side),
            publishable_key: stripe_side.publishable_key().to_string(),
        },
        ..SimulatorConfig::with_seed(99)
    })
    .await;
    let body = json!({"permissions": ["balances", "ownership", "transactions"]});
    let a = create_session(&backend, "flow-1", &body).await;
    let id = a["session_id"].as_str().unwrap();
    let done = stripe_side
        .complete_sheet(id, Institution::DataBank)
        .unwrap();
    let resp = post_complete(
        &backend,
        id,
        USER,
        &report("r1", a["report_token"].as_str()),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let acct = &done.account_ids[0];
    let url = |tail: &str| {
        format!(
            "{}/financial-connections/accounts/{acct}{tail}",
            backend.base_url()
        )
    };
    let resp = client()
        .post(url("/refresh"))
        .bearer_auth(USER)
        .header("Idempotency-Key", "refresh-1")
        .json(&json!({"features": ["ownership", "transactions"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let stripe_req = stripe_side.last_request(Endpoint::StripeRefresh).unwrap();
    assert_eq!(
        stripe_req.body_text(),
        "features%5B%5D=ownership&features%5B%5D=transactions"
    );
    assert!(stripe_req
        .header("idempotency-key")
        .unwrap()
        .ends_with("-refresh-1"));
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;

    let get = |tail: String| {
        let c = client().get(url(&tail)).bearer_auth(USER);
        async move {
            let resp = c.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<serde_json::Value>().await.unwrap()
        }
    };
    let owners = get("/owners".into()).await;
    assert_eq!(owners["data"].as_array().unwrap().len(), 1);
    let mut seen = 0;
    let mut after: Option<String> = None;
    loop {
        let tail = match &after {
            None => "/transactions?limit=100".to_string(),
            Some(a) => format!("/transactions?limit=100&starting_after={a}"),
        };
        let page = get(tail).await;
        let data = page["data"].as_array().unwrap();
        seen += data.len();
        if page["has_more"] != true {
            break;
        }
        after = data
            .last()
            .and_then(|t| t["id"].as_str())
            .map(str::to_string);
    }
    assert_eq!(seen, 250);
    let r = stripe_side.transaction_refresh_ids(acct)[0].clone();
    let incremental = get(format!("/transactions?after_refresh={r}")).await;
    assert_eq!(incremental["data"], json!([]));
    let req = stripe_side
        .last_request(Endpoint::StripeTransactions)
        .unwrap();
    assert!(req
        .query
        .unwrap()
        .contains(&format!("transaction_refresh%5Bafter%5D={r}")));
    assert_eq!(
        backend.transactions_held(acct),
        0,
        "the backend's own Stripe is unused"
    );
    assert_eq!(stripe_side.transactions_held(acct), 250);

    // Stripe down: a retryable 502 that shows no key.
    stripe_side
        .faults()
        .push(Endpoint::StripeOwners, Fault::Status(500));
    let resp = client()
        .get(url("/owners"))
        .bearer_auth(USER)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 502);
    let e: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "stripe_unavailable");
    assert!(!e.to_string().contains(stripe_side.secret_key()));
}
