//! The in-memory Stripe's `/v1` endpoints over HTTP: the SDK's publishable-key calls
//! (`session_receipt`, `list_accounts` paging) and the secret-key API, with Stripe's error shapes
//! and key checks. Objects are checked against the fields Stripe's spec requires.

use finconn_testkit::{Institution, Simulator, SimulatorConfig};
use serde_json::{json, Value};

use crate::common::*;

/// Keys Stripe's spec lists as required for `financial_connections.session` (GA + PP).
const SESSION_KEYS: &[&str] = &[
    "account_holder",
    "accounts",
    "id",
    "livemode",
    "object",
    "permissions",
    "prefetch",
];
/// Keys Stripe's spec lists as required for `financial_connections.account` (GA + PP).
const ACCOUNT_KEYS: &[&str] = &[
    "account_holder",
    "account_numbers",
    "balance",
    "balance_refresh",
    "category",
    "created",
    "display_name",
    "id",
    "institution_name",
    "last4",
    "livemode",
    "object",
    "ownership",
    "ownership_refresh",
    "permissions",
    "status",
    "subcategory",
    "subscriptions",
    "supported_payment_method_types",
    "transaction_refresh",
];

async fn sdk_get(sim: &Simulator, path: &str, query: &[(&str, &str)], key: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}{path}", sim.stripe_base_url()))
        .query(query)
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn sdk_endpoints_return_the_session_and_page_accounts() {
    let sim = Simulator::start(SimulatorConfig {
        page_size: 2,
        ..config()
    })
    .await;
    let a = create_session(&sim, "k", &session_body()).await;
    let cs = a["client_secret"].as_str().unwrap();
    let pk = a["publishable_key"].as_str().unwrap();

    // Before the sheet: pending, no accounts.
    let (status, s) = sdk_get(
        &sim,
        "/v1/link_account_sessions/session_receipt",
        &[("client_secret", cs)],
        pk,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(s["status"], "pending");
    assert_eq!(s["accounts"]["data"], json!([]));

    let done = sim.complete_sheet(cs, Institution::SuccessThree).unwrap();
    let (status, s) = sdk_get(
        &sim,
        "/v1/link_account_sessions/session_receipt",
        &[("client_secret", cs)],
        pk,
    )
    .await;
    assert_eq!(status, 200);
    for k in SESSION_KEYS {
        assert!(s.get(*k).is_some(), "session lacks {k}: {s}");
    }
    assert_eq!(s["client_secret"], cs);
    assert_eq!(s["status"], "succeeded");
    assert_eq!(s["accounts"]["data"].as_array().unwrap().len(), 2);
    assert_eq!(s["accounts"]["has_more"], true);
    for acct in s["accounts"]["data"].as_array().unwrap() {
        for k in ACCOUNT_KEYS {
            assert!(acct.get(*k).is_some(), "account lacks {k}: {acct}");
        }
    }

    // Page like the SDKs: starting_after while has_more.
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut q = vec![("client_secret", cs)];
        if let Some(a) = &after {
            q.push(("starting_after", a.as_str()));
        }
        let (status, page) = sdk_get(&sim, "/v1/link_account_sessions/list_accounts", &q, pk).await;
        assert_eq!(status, 200);
        assert_eq!(page["object"], "list");
        let data = page["data"].as_array().unwrap();
        ids.extend(data.iter().map(|a| a["id"].as_str().unwrap().to_string()));
        if page["has_more"] != true {
            break;
        }
        after = Some(ids.last().unwrap().clone());
    }
    assert_eq!(ids, done.account_ids);
    let (_, one) = sdk_get(
        &sim,
        "/v1/link_account_sessions/list_accounts",
        &[("client_secret", cs), ("limit", "100")],
        pk,
    )
    .await;
    assert_eq!(one["data"].as_array().unwrap().len(), 3);
    assert_eq!(one["has_more"], false);
    assert_eq!(
        sim.requests(finconn_testkit::Endpoint::StripeListAccounts),
        3
    );
    let h = sim
        .last_request_headers(finconn_testkit::Endpoint::StripeSessionReceipt)
        .unwrap();
    assert_eq!(
        h.get("authorization"),
        Some(format!("Bearer {pk}").as_str())
    );
}

#[tokio::test]
async fn sdk_endpoint_errors() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let cs = a["client_secret"].as_str().unwrap();
    let pk = sim.publishable_key().to_string();
    let path = "/v1/link_account_sessions/list_accounts";

    let (status, e) = sdk_get(&sim, path, &[("client_secret", cs), ("limit", "101")], &pk).await;
    assert_eq!((status, e["error"]["param"].as_str()), (400, Some("limit")));
    let (status, e) = sdk_get(
        &sim,
        path,
        &[("client_secret", cs), ("starting_after", "fca_nope")],
        &pk,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(e["error"]["code"], "resource_missing");
    let (status, e) = sdk_get(&sim, path, &[], &pk).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("parameter_missing"))
    );
    let forged = format!("{cs}x");
    let (status, e) = sdk_get(
        &sim,
        "/v1/link_account_sessions/session_receipt",
        &[("client_secret", &forged)],
        &pk,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        !e.to_string().contains(cs),
        "never echo a client secret: {e}"
    );
    let (status, e) = sdk_get(&sim, path, &[("client_secret", cs)], "pk_test_wrong").await;
    assert_eq!(status, 401);
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(!e.to_string().contains("pk_test_wrong"));
    let (status, _) = sdk_get(&sim, path, &[("client_secret", cs)], sim.secret_key()).await;
    assert_eq!(
        status, 401,
        "a secret key must not be accepted on SDK endpoints"
    );
    let resp = client()
        .get(format!("{}{path}", sim.base_url()))
        .query(&[("client_secret", cs)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let (status, e) = sdk_get(&sim, path, &[("client_secret", cs), ("surprise", "1")], &pk).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("parameter_unknown"))
    );
}

async fn secret(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
    key: &str,
) -> (u16, Value) {
    let mut req = client()
        .request(method.clone(), format!("{}{path}", sim.stripe_base_url()))
        .bearer_auth(key);
    if method == reqwest::Method::GET {
        req = req.query(form);
    } else {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        req = req
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn secret_key_api_over_http() {
    use reqwest::Method;
    let sim = Simulator::start(SimulatorConfig {
        page_size: 2,
        ..config()
    })
    .await;
    let sk = sim.secret_key().to_string();
    let (status, cus) = secret(
        &sim,
        Method::POST,
        "/v1/customers",
        &[("description", "t")],
        &sk,
    )
    .await;
    assert_eq!(status, 200);
    let cus = cus["id"].as_str().unwrap().to_string();

    // Indexed arrays, as Stripe's server SDKs send them.
    let (status, s) = secret(
        &sim,
        Method::POST,
        "/v1/financial_connections/sessions",
        &[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", &cus),
            ("permissions[0]", "balances"),
            ("permissions[1]", "ownership"),
            ("prefetch[0]", "balances"),
            ("prefetch[1]", "ownership"),
            ("filters[account_subcategories][0]", "checking"),
            ("filters[account_subcategories][1]", "credit_card"),
            ("return_url", "https://example.com/fc?x=1"),
        ],
        &sk,
    )
    .await;
    assert_eq!(status, 200, "{s}");
    let id = s["id"].as_str().unwrap().to_string();
    assert!(s["client_secret"].as_str().unwrap().starts_with(&id));
    assert_eq!(s["permissions"], json!(["balances", "ownership"]));
    assert_eq!(s["return_url"], "https://example.com/fc?x=1");

    let done = sim.complete_sheet(&id, Institution::SuccessThree).unwrap();
    // The filter keeps checking and the credit card.
    assert_eq!(done.account_ids.len(), 2);
    let (status, s) = secret(
        &sim,
        Method::GET,
        &format!("/v1/financial_connections/sessions/{id}"),
        &[],
        &sk,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(s["accounts"]["data"].as_array().unwrap().len(), 2);
    let acct = &s["accounts"]["data"][1];
    assert_eq!(acct["subcategory"], "credit_card");
    assert_eq!(acct["category"], "credit");
    assert!(acct["balance"]["current"]["usd"].as_i64().unwrap() < 0);
    assert_eq!(acct["balance"]["type"], "credit");
    assert!(acct["ownership"].as_str().unwrap().starts_with("fcaowns_"));
    assert_eq!(acct["ownership_refresh"]["status"], "succeeded");
    assert!(acct["authorization"]
        .as_str()
        .unwrap()
        .starts_with("fcauth_"));

    let (status, page) = secret(
        &sim,
        Method::GET,
        "/v1/financial_connections/accounts",
        &[("session", &id), ("limit", "1")],
        &sk,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["url"], "/v1/financial_connections/accounts");
    assert_eq!(
        (
            page["data"].as_array().unwrap().len(),
            page["has_more"].as_bool()
        ),
        (1, Some(true))
    );
    let first = page["data"][0]["id"].as_str().unwrap().to_string();
    let (_, page) = secret(
        &sim,
        Method::GET,
        "/v1/financial_connections/accounts",
        &[("session", &id), ("starting_after", &first)],
        &sk,
    )
    .await;
    assert_eq!(page["has_more"], false);
    assert_eq!(page["data"][0]["id"], done.account_ids[1].as_str());
    let (_, by_customer) = secret(
        &sim,
        Method::GET,
        "/v1/financial_connections/accounts",
        &[("account_holder[customer]", &cus)],
        &sk,
    )
    .await;
    assert_eq!(by_customer["data"].as_array().unwrap().len(), 2);

    let (status, a) = secret(
        &sim,
        Method::GET,
        &format!("/v1/financial_connections/accounts/{first}"),
        &[],
        &sk,
    )
    .await;
    assert_eq!((status, a["id"].as_str()), (200, Some(first.as_str())));
    let auth = a["authorization"].as_str().unwrap().to_string();
    let (status, au) = secret(
        &sim,
        Method::GET,
        &format!("/v1/financial_connections/authorizations/{auth}"),
        &[],
        &sk,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(au["object"], "financial_connections.authorization");
    assert_eq!(au["status"], "active");
    assert_eq!(au["institution_name"], "Sim National Bank");

    let (status, d) = secret(
        &sim,
        Method::POST,
        &format!("/v1/financial_connections/accounts/{first}/disconnect"),
        &[],
        &sk,
    )
    .await;
    assert_eq!((status, d["status"].as_str()), (200, Some("disconnected")));
}

#[tokio::test]
async fn secret_key_api_errors() {
    use reqwest::Method;
    let sim = start().await;
    let sk = sim.secret_key().to_string();
    let pk = sim.publishable_key().to_string();
    let (status, e) = secret(
        &sim,
        Method::GET,
        "/v1/financial_connections/sessions/fcsess_nope",
        &[],
        &sk,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );
    let (status, e) = secret(&sim, Method::POST, "/v1/customers", &[], &pk).await;
    assert_eq!(
        status, 401,
        "publishable keys cannot use the secret API: {e}"
    );
    let (status, _) = secret(&sim, Method::POST, "/v1/customers", &[], "sk_test_wrong").await;
    assert_eq!(status, 401);
    let (status, e) = secret(
        &sim,
        Method::POST,
        "/v1/financial_connections/sessions",
        &[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", "cus_missing"),
            ("permissions[]", "balances"),
        ],
        &sk,
    )
    .await;
    assert_eq!(
        (status, e["error"]["param"].as_str()),
        (400, Some("account_holder[customer]"))
    );
    let (status, e) = secret(
        &sim,
        Method::POST,
        "/v1/financial_connections/sessions",
        &[("bogus", "1")],
        &sk,
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (400, Some("parameter_unknown"))
    );
    let (status, e) = secret(
        &sim,
        Method::GET,
        "/v1/financial_connections/accounts",
        &[
            ("session", "fcsess_x"),
            ("account_holder[customer]", "cus_x"),
        ],
        &sk,
    )
    .await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = secret(&sim, Method::GET, "/v1/charges", &[], &sk).await;
    assert_eq!(status, 404);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Unrecognized request URL"));
    let (status, _) = secret(
        &sim,
        Method::POST,
        "/v1/financial_connections/accounts/fca_nope/disconnect",
        &[],
        &sk,
    )
    .await;
    assert_eq!(status, 404);
}
