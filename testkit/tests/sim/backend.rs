//! The merchant backend over real HTTP: each endpoint's happy path and error codes, idempotency,
//! per-user isolation, the alternative shapes and paths, token enforcement.

use finconn_testkit::{
    BackendPaths, CreateSessionShape, Endpoint, ErrorShape, Institution, ListAccountsShape,
    ResponseShapes, Simulator, SimulatorConfig, DEFAULT_USER,
};
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn create_session_answers_the_contract_and_creates_a_stripe_session() {
    let sim = start().await;
    let body = json!({
        "permissions": ["balances", "payment_method"],
        "prefetch": ["balances"],
        "filters": {"account_subcategories": ["checking", "savings"]},
        "return_url": "myapp://stripe-redirect",
        "relink": {"authorization": "fcauth_123", "account": "fca_123"},
    });
    let a = create_session(&sim, "idem_1", &body).await;
    let id = a["session_id"].as_str().unwrap();
    assert!(id.starts_with("fcsess_"));
    assert!(a["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{id}_secret_")));
    assert_eq!(a["publishable_key"], sim.publishable_key());
    assert_eq!(a["stripe_account"], Value::Null);
    assert_eq!(a["livemode"], false);
    assert!(a["report_token"].as_str().unwrap().starts_with("rt_"));
    assert_eq!(sim.sessions_created(), 1);
    assert_eq!(sim.report_token(id).as_deref(), a["report_token"].as_str());

    let s = sim.stripe().session(id).unwrap();
    assert_eq!(s["object"], "financial_connections.session");
    assert_eq!(s["account_holder"]["type"], "customer");
    assert!(s["account_holder"]["customer"]
        .as_str()
        .unwrap()
        .starts_with("cus_"));
    assert_eq!(s["permissions"], json!(["balances", "payment_method"]));
    assert_eq!(s["prefetch"], json!(["balances"]));
    assert_eq!(
        s["filters"]["account_subcategories"],
        json!(["checking", "savings"])
    );
    assert_eq!(s["return_url"], "myapp://stripe-redirect");
    assert_eq!(
        s["relink_options"],
        json!({"authorization": "fcauth_123", "account": "fca_123"})
    );
    assert_eq!(s["status"], "pending");
    assert_eq!(s["accounts"]["data"], json!([]));

    let h = sim.last_request_headers(Endpoint::CreateSession).unwrap();
    assert_eq!(h.get("idempotency-key"), Some("idem_1"));
    assert_eq!(
        h.get("Authorization"),
        Some(format!("Bearer {USER}").as_str())
    );
}

#[tokio::test]
async fn create_session_is_idempotent_per_user_and_key() {
    let sim = start().await;
    let first = create_session(&sim, "k1", &session_body()).await;
    let again = create_session(&sim, "k1", &session_body()).await;
    assert_eq!(first, again);
    assert_eq!(sim.sessions_created(), 1);
    assert_eq!(sim.stripe().session_count(), 1);

    let other_key = create_session(&sim, "k2", &session_body()).await;
    assert_ne!(other_key["session_id"], first["session_id"]);
    // Same key, another user: another session.
    let bob = client()
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .bearer_auth("bob")
        .header("Idempotency-Key", "k1")
        .json(&session_body())
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 200);
    let bob: Value = bob.json().await.unwrap();
    assert_ne!(bob["session_id"], first["session_id"]);
    assert_eq!(sim.sessions_created(), 3);
    assert_eq!(sim.requests(Endpoint::CreateSession), 4);

    // Same key with another body is refused, nothing created.
    let resp = post_session(&sim, Some("k1"), &json!({"permissions": ["ownership"]})).await;
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "idempotency_key_reused");
    assert_eq!(sim.sessions_created(), 3);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_session() {
    let sim = start().await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = format!("{}/financial-connections/sessions", sim.base_url());
        tasks.push(tokio::spawn(async move {
            client()
                .post(url)
                .bearer_auth(USER)
                .header("Idempotency-Key", "same")
                .json(&session_body())
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap()["session_id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(sim.sessions_created(), 1);
}

#[tokio::test]
async fn create_session_errors() {
    let sim = start().await;
    let resp = post_session(&sim, None, &session_body()).await;
    assert_eq!(resp.status(), 400);
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "idempotency_key_missing");

    let resp = client()
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .header("Idempotency-Key", "x")
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    for (key, body) in [
        ("a", json!({})),
        ("b", json!({"permissions": []})),
        ("c", json!({"permissions": "balances"})),
        (
            "d",
            json!({"permissions": ["balances"], "relink": {"account": "fca_1"}}),
        ),
        ("e", json!({"permissions": ["telepathy"]})),
    ] {
        let resp = post_session(&sim, Some(key), &body).await;
        assert_eq!(resp.status(), 400, "{body}");
        let e: Value = resp.json().await.unwrap();
        assert!(e["error"]["message"].as_str().is_some(), "{e}");
    }
    assert_eq!(sim.sessions_created(), 0);
    // A refused body does not burn the key.
    create_session(&sim, "e", &session_body()).await;
    assert_eq!(sim.sessions_created(), 1);
}

#[tokio::test]
async fn complete_reads_the_truth_from_stripe_and_counts_distinct_reports() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    let token = a["report_token"].as_str();
    let done = sim.complete_sheet(id, Institution::SuccessThree).unwrap();

    // The report lies about the accounts: the backend must not care.
    let mut r = report("idem_k-complete", token);
    r["account_ids"] = json!(["fca_forged"]);
    let resp = post_complete(&sim, id, USER, &r).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let s = &body["session"];
    assert_eq!(s["id"], id);
    assert!(
        s.get("client_secret").is_none(),
        "the backend never echoes the client secret"
    );
    let ids: Vec<&str> = s["accounts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        done.account_ids
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    assert_eq!(s["accounts"]["has_more"], false);
    assert_eq!(sim.reports_received(id), 1);
    assert_eq!(sim.user_accounts(USER).len(), 3);

    // The same report again: one report, two hits, accounts not duplicated.
    let resp = post_complete(&sim, id, USER, &r).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(sim.reports_received(id), 1);
    assert_eq!(sim.complete_requests(id), 2);
    assert_eq!(sim.user_accounts(USER).len(), 3);

    // Another report id is another report.
    let resp = post_complete(&sim, id, USER, &report("idem_other", token)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(sim.reports_received(id), 2);
    assert_eq!(sim.reports(id)[0]["account_ids"], json!(["fca_forged"]));
    let h = sim.last_request_headers(Endpoint::Complete).unwrap();
    assert_eq!(h.get("idempotency-key"), Some("idem_other"));
    for req in sim.recorded_requests(Endpoint::Complete) {
        assert!(!req.contains(a["client_secret"].as_str().unwrap()));
    }
}

#[tokio::test]
async fn complete_pages_all_accounts_from_stripe() {
    let sim = Simulator::start(SimulatorConfig {
        page_size: 1,
        ..config()
    })
    .await;
    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    sim.complete_sheet(id, Institution::SuccessThree).unwrap();
    let body: Value = post_complete(&sim, id, USER, &report("r1", a["report_token"].as_str()))
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
    assert_eq!(body["session"]["accounts"]["has_more"], false);
}

#[tokio::test]
async fn complete_errors() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    let token = a["report_token"].as_str();

    let wrong = post_complete(&sim, id, USER, &report("r1", Some("rt_wrong"))).await;
    assert_eq!(wrong.status(), 403);
    let e: Value = wrong.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid_report_token");
    assert_eq!(
        post_complete(&sim, id, USER, &report("r1", None))
            .await
            .status(),
        403
    );

    let unknown = post_complete(&sim, "fcsess_nope", USER, &report("r1", token)).await;
    assert_eq!(unknown.status(), 404);
    // Another user's session is unknown to them.
    assert_eq!(
        post_complete(&sim, id, "mallory", &report("r1", token))
            .await
            .status(),
        404
    );

    let no_id = client()
        .post(format!(
            "{}/financial-connections/sessions/{id}/complete",
            sim.base_url()
        ))
        .bearer_auth(USER)
        .json(&json!({"report_token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_id.status(), 400);
    assert_eq!(sim.reports_received(id), 0);
    assert_eq!(sim.complete_requests(id), 4);

    // Without the header, the body's report_id is the key.
    let ok = client()
        .post(format!(
            "{}/financial-connections/sessions/{id}/complete",
            sim.base_url()
        ))
        .bearer_auth(USER)
        .json(&report("r_body", token))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(sim.reports_received(id), 1);
}

#[tokio::test]
async fn list_accounts_is_per_user_with_current_status() {
    let sim = start().await;
    let get = |user: Option<&'static str>| {
        let url = format!("{}/financial-connections/accounts", sim.base_url());
        async move {
            let mut r = client().get(url);
            if let Some(u) = user {
                r = r.bearer_auth(u);
            }
            let resp = r.send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(get(Some(USER)).await, json!({"accounts": []}));

    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    let done = sim.complete_sheet(id, Institution::SuccessOne).unwrap();
    post_complete(&sim, id, USER, &report("r", a["report_token"].as_str())).await;

    let list = get(Some(USER)).await;
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(list["accounts"][0]["id"], done.account_ids[0].as_str());
    assert_eq!(list["accounts"][0]["status"], "active");
    assert_eq!(get(Some("bob")).await["accounts"], json!([]));
    assert_eq!(get(None).await["accounts"], json!([]));

    // Stripe deactivates the account later: the list shows it.
    assert!(sim
        .stripe()
        .deactivate_account(&done.account_ids[0], "access_expired"));
    let list = get(Some(USER)).await;
    assert_eq!(list["accounts"][0]["status"], "inactive");
    assert_eq!(
        list["accounts"][0]["status_details"]["inactive"]["action"],
        "relink_required"
    );

    sim.set_shapes(ResponseShapes {
        list_accounts: ListAccountsShape::StripeList,
        ..Default::default()
    });
    let list = get(Some(USER)).await;
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(list["has_more"], false);
    assert_eq!(sim.requests(Endpoint::ListAccounts), 6);
}

#[tokio::test]
async fn disconnect_happy_path_and_errors() {
    let sim = start().await;
    let a = create_session(&sim, "k", &session_body()).await;
    let id = a["session_id"].as_str().unwrap();
    let done = sim.complete_sheet(id, Institution::SuccessThree).unwrap();
    post_complete(&sim, id, USER, &report("r", a["report_token"].as_str())).await;
    let acct = &done.account_ids[1];

    let disconnect = |user: &'static str, account: String, key: &'static str| {
        let url = format!(
            "{}/financial-connections/accounts/{account}/disconnect",
            sim.base_url()
        );
        async move {
            client()
                .post(url)
                .bearer_auth(user)
                .header("Idempotency-Key", key)
                .send()
                .await
                .unwrap()
        }
    };
    let resp = disconnect(USER, acct.clone(), "d1").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["account"]["id"], acct.as_str());
    assert_eq!(body["account"]["status"], "disconnected");
    assert_eq!(
        sim.stripe().account(acct).unwrap()["status"],
        "disconnected"
    );
    // Again (a retry): same answer.
    let again: Value = disconnect(USER, acct.clone(), "d1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, body);
    let stored = sim.user_accounts(USER);
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1]["status"], "disconnected");
    assert_eq!(stored[0]["status"], "active");

    assert_eq!(
        disconnect(USER, "fca_unknown".into(), "d2").await.status(),
        404
    );
    assert_eq!(
        disconnect("bob", done.account_ids[0].clone(), "d3")
            .await
            .status(),
        404
    );
    assert_eq!(
        sim.stripe().account(&done.account_ids[0]).unwrap()["status"],
        "active"
    );
    assert_eq!(
        sim.last_request_headers(Endpoint::Disconnect)
            .unwrap()
            .get("idempotency-key"),
        Some("d3")
    );

    sim.set_shapes(ResponseShapes {
        disconnect_bare: true,
        ..Default::default()
    });
    let bare: Value = disconnect(USER, done.account_ids[2].clone(), "d4")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bare["object"], "financial_connections.account");
    assert_eq!(bare["status"], "disconnected");
}

#[tokio::test]
async fn alternative_shapes() {
    let sim = start().await;
    let shapes = |create_session, errors| ResponseShapes {
        create_session,
        errors,
        ..Default::default()
    };
    sim.set_shapes(shapes(CreateSessionShape::SecretOnly, ErrorShape::Flat));
    let a = create_session(&sim, "k1", &session_body()).await;
    assert_eq!(a.as_object().unwrap().len(), 2);
    let secret = a["client_secret"].as_str().unwrap();
    let id = secret.split("_secret_").next().unwrap().to_string();
    assert_eq!(a["publishable_key"], sim.publishable_key());
    // No report token was issued, so none is checked.
    sim.complete_sheet(secret, Institution::SuccessOne).unwrap();
    assert_eq!(
        post_complete(&sim, &id, USER, &report("r", None))
            .await
            .status(),
        200
    );
    let e: Value = post_session(&sim, None, &session_body())
        .await
        .json()
        .await
        .unwrap();
    assert!(e["error"].is_string(), "{e}");

    sim.set_shapes(shapes(CreateSessionShape::StripeGuide, ErrorShape::Message));
    let a = create_session(&sim, "k2", &session_body()).await;
    assert!(a["financialConnectionsSessionClientSecret"]
        .as_str()
        .unwrap()
        .contains("_secret_"));
    assert_eq!(a["publishableKey"], sim.publishable_key());
    let e: Value = post_session(&sim, None, &session_body())
        .await
        .json()
        .await
        .unwrap();
    assert!(e["message"].is_string() && e.get("error").is_none(), "{e}");

    sim.set_shapes(shapes(CreateSessionShape::CamelCase, ErrorShape::Nested));
    let a = create_session(&sim, "k3", &session_body()).await;
    for k in [
        "sessionId",
        "clientSecret",
        "publishableKey",
        "stripeAccount",
        "livemode",
        "reportToken",
    ] {
        assert!(a.get(k).is_some(), "{k} in {a}");
    }

    sim.set_shapes(ResponseShapes {
        create_status: 201,
        complete_bare: true,
        ..Default::default()
    });
    let resp = post_session(&sim, Some("k4"), &session_body()).await;
    assert_eq!(resp.status(), 201);
    let a: Value = resp.json().await.unwrap();
    let id = a["session_id"].as_str().unwrap();
    let bare: Value = post_complete(&sim, id, USER, &report("r", a["report_token"].as_str()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bare["object"], "financial_connections.session");
    // A replay keeps the status it was first answered with.
    sim.set_shapes(ResponseShapes::default());
    assert_eq!(
        post_session(&sim, Some("k4"), &session_body())
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn allowed_tokens_and_default_user() {
    let sim = Simulator::start(SimulatorConfig {
        allowed_tokens: Some(vec!["good".into()]),
        ..config()
    })
    .await;
    let post = |auth: Option<&'static str>, key: &'static str| {
        let url = format!("{}/financial-connections/sessions", sim.base_url());
        async move {
            let mut r = client()
                .post(url)
                .header("Idempotency-Key", key)
                .json(&session_body());
            if let Some(a) = auth {
                r = r.bearer_auth(a);
            }
            r.send().await.unwrap()
        }
    };
    let missing = post(None, "1").await;
    assert_eq!(missing.status(), 401);
    let e: Value = missing.json().await.unwrap();
    assert_eq!(e["error"]["code"], "unauthorized");
    assert_eq!(post(Some("bad"), "2").await.status(), 401);
    assert_eq!(post(Some("good"), "3").await.status(), 200);
    assert_eq!(sim.sessions_created(), 1);

    // Without a token list, no header is the default user.
    let open = start().await;
    let resp = client()
        .post(format!(
            "{}/financial-connections/sessions",
            open.base_url()
        ))
        .header("Idempotency-Key", "k")
        .json(&session_body())
        .send()
        .await
        .unwrap();
    let a: Value = resp.json().await.unwrap();
    let id = a["session_id"].as_str().unwrap();
    open.complete_sheet(id, Institution::SuccessOne).unwrap();
    let resp = client()
        .post(format!(
            "{}/financial-connections/sessions/{id}/complete",
            open.base_url()
        ))
        .header("Idempotency-Key", "r")
        .json(&report("r", a["report_token"].as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(open.user_accounts(DEFAULT_USER).len(), 1);
}

#[tokio::test]
async fn custom_paths_and_unknown_routes() {
    let sim = Simulator::start(SimulatorConfig {
        paths: BackendPaths {
            create_session: "/api/fc/sessions".into(),
            complete: "/api/fc/sessions/{session_id}/report".into(),
            list_accounts: "/api/fc/accounts".into(),
            disconnect: "/api/fc/accounts/{account_id}/unlink".into(),
            ..BackendPaths::default()
        },
        ..config()
    })
    .await;
    let c = client();
    let resp = c
        .post(format!("{}/api/fc/sessions", sim.base_url()))
        .header("Idempotency-Key", "k")
        .json(&session_body())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let a: Value = resp.json().await.unwrap();
    let id = a["session_id"].as_str().unwrap();
    let done = sim.complete_sheet(id, Institution::SuccessOne).unwrap();
    let resp = c
        .post(format!("{}/api/fc/sessions/{id}/report", sim.base_url()))
        .header("Idempotency-Key", "r")
        .json(&report("r", a["report_token"].as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let list: Value = c
        .get(format!("{}/api/fc/accounts", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["accounts"].as_array().unwrap().len(), 1);
    let resp = c
        .post(format!(
            "{}/api/fc/accounts/{}/unlink",
            sim.base_url(),
            done.account_ids[0]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let old = c
        .post(format!("{}/financial-connections/sessions", sim.base_url()))
        .header("Idempotency-Key", "k")
        .json(&session_body())
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    let e: Value = old.json().await.unwrap();
    assert_eq!(e["error"]["code"], "not_found");
    assert_eq!(sim.unmatched_requests(), 1);
    // Wrong method on a known path is unmatched too.
    let get = c
        .get(format!("{}/api/fc/sessions", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 404);
}
