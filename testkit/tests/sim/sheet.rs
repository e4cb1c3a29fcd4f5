//! `complete_sheet` for every test institution: outcome, error code, linked accounts, session
//! status and `relink_result`, redirects; a full inactive → relink → active story; filters;
//! determinism per seed.

use finconn_testkit::{
    Institution, SheetError, SheetOutcome, Simulator, SimulatorConfig, DEFAULT_ANDROID_APP_ID,
};
use serde_json::{json, Value};

use crate::common::*;

async fn session(sim: &Simulator, key: &str, relink: Option<Value>) -> (String, Value) {
    let mut body = session_body();
    if let Some(r) = relink {
        body["relink"] = r;
    }
    let a = create_session(sim, key, &body).await;
    (a["session_id"].as_str().unwrap().to_string(), a)
}

fn relink() -> Option<Value> {
    Some(json!({"authorization": "fcauth_1Old", "account": "fca_1Old"}))
}

#[tokio::test]
async fn every_institution_does_what_it_says() {
    let sim = start().await;
    let app = DEFAULT_ANDROID_APP_ID;
    struct Case {
        inst: Institution,
        relink: bool,
        outcome: SheetOutcome,
        error: Option<&'static str>,
        accounts: usize,
        status: &'static str,
        redirect: Option<&'static str>,
    }
    let cases = [
        Case {
            inst: Institution::SuccessOne,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::SuccessThree,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 3,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::ExitEarly,
            relink: false,
            outcome: SheetOutcome::Canceled,
            error: None,
            accounts: 0,
            status: "cancelled",
            redirect: None,
        },
        Case {
            inst: Institution::OauthCanceled,
            relink: false,
            outcome: SheetOutcome::Canceled,
            error: None,
            accounts: 0,
            status: "cancelled",
            redirect: Some("cancel"),
        },
        Case {
            inst: Institution::InactiveNeedsRelink,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 2,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::RelinkSame,
            relink: true,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::RelinkNewAuthorization,
            relink: true,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::RelinkNoAccount,
            relink: true,
            outcome: SheetOutcome::Canceled,
            error: None,
            accounts: 0,
            status: "cancelled",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::RelinkNoAuthorization,
            relink: true,
            outcome: SheetOutcome::Canceled,
            error: None,
            accounts: 0,
            status: "cancelled",
            redirect: Some("failure"),
        },
        Case {
            inst: Institution::RelinkOther,
            relink: true,
            outcome: SheetOutcome::Failed,
            error: Some("unexpected_error"),
            accounts: 0,
            status: "failed",
            redirect: None,
        },
        Case {
            inst: Institution::InstitutionDown,
            relink: false,
            outcome: SheetOutcome::Failed,
            error: Some("institution_unavailable_unplanned"),
            accounts: 0,
            status: "failed",
            redirect: None,
        },
        Case {
            inst: Institution::DataBank,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 2,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::RefreshFailsBank,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::GoesInactiveBank,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
        Case {
            inst: Institution::NoTransactionsBank,
            relink: false,
            outcome: SheetOutcome::Completed,
            error: None,
            accounts: 1,
            status: "succeeded",
            redirect: Some("success"),
        },
    ];
    assert_eq!(cases.len(), Institution::ALL.len());
    for c in cases {
        let (id, _) = session(&sim, c.inst.name(), if c.relink { relink() } else { None }).await;
        let done = sim.complete_sheet(&id, c.inst).unwrap();
        let name = c.inst.name();
        assert_eq!(done.institution, c.inst);
        assert_eq!(done.outcome, c.outcome, "{name}");
        assert_eq!(done.error_code.as_deref(), c.error, "{name}");
        assert_eq!(done.account_ids.len(), c.accounts, "{name}");
        assert_eq!(done.session_id, id);
        let s = &done.session;
        assert!(
            s.get("client_secret").is_none(),
            "{name}: the sheet's session has no client secret"
        );
        assert_eq!(s["status"], c.status, "{name}");
        assert_eq!(
            s["accounts"]["data"].as_array().unwrap().len(),
            c.accounts,
            "{name}"
        );
        assert_eq!(s["accounts"]["has_more"], false);
        assert_eq!(done.redirect_status.as_deref(), c.redirect, "{name}");
        match c.redirect {
            None => {
                assert_eq!(done.redirect_url, None, "{name}");
                assert_eq!(done.android_redirect_url, None, "{name}");
            }
            Some(st) => {
                let url = done.redirect_url.clone().unwrap();
                assert!(
                    url.starts_with(&format!("myapp://stripe-redirect?status={st}")),
                    "{name}: {url}"
                );
                assert!(url.contains(&format!("session_id={id}")), "{url}");
                let android = done.android_redirect_url.clone().unwrap();
                if st == "failure" {
                    assert_eq!(android, format!("stripe://auth-redirect/{app}?status=failure&error_reason=authorization_failed"));
                    assert!(url.contains("error_reason=authorization_failed"));
                } else {
                    assert_eq!(android, format!("stripe-auth://link-accounts/{app}/{st}"));
                }
            }
        }
        for a in s["accounts"]["data"].as_array().unwrap() {
            assert!(a["id"].as_str().unwrap().starts_with("fca_"));
            assert!(a["authorization"].as_str().unwrap().starts_with("fcauth_"));
            assert_eq!(a["last4"].as_str().unwrap().len(), 4);
            assert!(
                a["balance"]["current"]["usd"].is_i64(),
                "balances were prefetched: {a}"
            );
            assert_eq!(a["permissions"], json!(["balances", "payment_method"]));
        }
        if c.relink {
            let rr = &s["relink_result"];
            assert!(rr.is_object(), "{name}: {s}");
            let reason = match c.inst {
                Institution::RelinkNoAccount => json!("no_account"),
                Institution::RelinkNoAuthorization => json!("no_authorization"),
                Institution::RelinkOther => json!("other"),
                _ => Value::Null,
            };
            assert_eq!(rr["failure_reason"], reason, "{name}");
        } else {
            assert!(s.get("relink_result").is_none(), "{name}");
        }
    }
}

#[tokio::test]
async fn success_three_links_checking_savings_and_a_credit_card() {
    let sim = start().await;
    let (id, _) = session(&sim, "k", None).await;
    let done = sim.complete_sheet(&id, Institution::SuccessThree).unwrap();
    let accts = done.session["accounts"]["data"].as_array().unwrap();
    let subs: Vec<&str> = accts
        .iter()
        .map(|a| a["subcategory"].as_str().unwrap())
        .collect();
    assert_eq!(subs, ["checking", "savings", "credit_card"]);
    let auths: Vec<&Value> = accts.iter().map(|a| &a["authorization"]).collect();
    assert!(
        auths.iter().all(|a| *a == auths[0]),
        "one authorization for one login"
    );
    assert_eq!(accts[2]["supported_payment_method_types"], json!([]));
    assert_eq!(
        accts[0]["supported_payment_method_types"],
        json!(["link", "us_bank_account"])
    );
    assert_eq!(accts[0]["institution_name"], "Sim National Bank");
    // The report an app would send.
    let r = done.report("idem_k-complete", Some("rt_1"), "flow_1");
    assert_eq!(r["sheet_outcome"], "completed");
    assert_eq!(r["account_ids"].as_array().unwrap().len(), 3);
    assert_eq!(r["return_url_status"], "success");
}

#[tokio::test]
async fn inactive_then_relink_same_reactivates() {
    let sim = start().await;
    let (id, a) = session(&sim, "first", None).await;
    let done = sim
        .complete_sheet(&id, Institution::InactiveNeedsRelink)
        .unwrap();
    let accts = done.session["accounts"]["data"].as_array().unwrap().clone();
    assert_eq!(accts[0]["status"], "inactive");
    assert_eq!(
        accts[0]["status_details"]["inactive"],
        json!({"action": "relink_required", "cause": "access_expired"})
    );
    assert_eq!(accts[1]["status"], "active");
    let active = &accts[1]["status_details"]["active"];
    assert_eq!(active["action"], "relink_required");
    assert!(
        active["expected_deactivation_date"].as_i64().unwrap()
            > accts[1]["created"].as_i64().unwrap()
    );
    let auth = accts[0]["authorization"].as_str().unwrap().to_string();
    assert_eq!(
        sim.stripe().authorization(&auth).unwrap()["status"],
        "inactive"
    );
    post_complete(&sim, &id, USER, &report("r1", a["report_token"].as_str())).await;

    let inactive = accts[0]["id"].as_str().unwrap().to_string();
    let (rid, ra) = session(
        &sim,
        "relink",
        Some(json!({"authorization": auth, "account": inactive})),
    )
    .await;
    let re = sim.complete_sheet(&rid, Institution::RelinkSame).unwrap();
    assert_eq!(re.account_ids, vec![inactive.clone()]);
    assert_eq!(
        re.session["relink_result"],
        json!({"authorization": auth, "account": inactive, "failure_reason": null})
    );
    assert_eq!(
        re.session["relink_options"],
        json!({"authorization": auth, "account": inactive})
    );
    assert_eq!(sim.stripe().account(&inactive).unwrap()["status"], "active");
    assert!(sim
        .stripe()
        .account(&inactive)
        .unwrap()
        .get("status_details")
        .is_none());
    assert_eq!(
        sim.stripe().authorization(&auth).unwrap()["status"],
        "active"
    );

    let resp = post_complete(&sim, &rid, USER, &report("r2", ra["report_token"].as_str())).await;
    assert_eq!(resp.status(), 200);
    let stored = sim.user_accounts(USER);
    assert_eq!(stored.len(), 2, "a relink updates, it does not add");
    assert!(stored.iter().all(|a| a["status"] == "active"));
}

#[tokio::test]
async fn relink_new_authorization_keeps_the_old_account_and_adds_a_new_one() {
    let sim = start().await;
    let (id, _) = session(&sim, "first", None).await;
    let old = sim.complete_sheet(&id, Institution::SuccessOne).unwrap();
    let old_acct = old.session["accounts"]["data"][0].clone();
    let old_auth = old_acct["authorization"].as_str().unwrap();
    let (rid, _) = session(
        &sim,
        "relink",
        Some(json!({"authorization": old_auth, "account": old_acct["id"]})),
    )
    .await;
    let re = sim
        .complete_sheet(&rid, Institution::RelinkNewAuthorization)
        .unwrap();
    let new = &re.session["accounts"]["data"][0];
    assert_ne!(new["id"], old_acct["id"]);
    assert_ne!(new["authorization"], old_acct["authorization"]);
    assert_eq!(new["last4"], old_acct["last4"], "the same bank account");
    assert_eq!(
        re.session["relink_result"]["authorization"],
        new["authorization"]
    );
    assert_eq!(re.session["relink_result"]["account"], Value::Null);
}

#[tokio::test]
async fn relink_institutions_need_a_relink_session_and_a_sheet_runs_once() {
    let sim = start().await;
    let (id, a) = session(&sim, "k", None).await;
    for inst in Institution::ALL.into_iter().filter(|i| i.is_relink()) {
        assert_eq!(
            sim.complete_sheet(&id, inst).unwrap_err(),
            SheetError::NotARelinkSession(inst)
        );
    }
    assert_eq!(
        sim.complete_sheet("fcsess_unknown", Institution::SuccessOne)
            .unwrap_err(),
        SheetError::UnknownSession
    );
    // By client secret, like the app's sheet.
    let cs = a["client_secret"].as_str().unwrap();
    let first = sim.complete_sheet(cs, Institution::SuccessOne).unwrap();
    assert_eq!(first.outcome, SheetOutcome::Completed);
    let again = sim.complete_sheet(&id, Institution::SuccessThree).unwrap();
    assert_eq!(again.outcome, SheetOutcome::Failed);
    assert_eq!(again.error_code.as_deref(), Some("session_expired"));
    assert_eq!(again.account_ids, first.account_ids);
    assert_eq!(again.session["status"], "succeeded");
}

#[tokio::test]
async fn filters_limit_what_can_be_linked() {
    let sim = start().await;
    let mut body = session_body();
    body["filters"] = json!({"account_subcategories": ["savings"]});
    let a = create_session(&sim, "k", &body).await;
    let done = sim
        .complete_sheet(a["session_id"].as_str().unwrap(), Institution::SuccessThree)
        .unwrap();
    assert_eq!(done.account_ids.len(), 1);
    assert_eq!(
        done.session["accounts"]["data"][0]["subcategory"],
        "savings"
    );

    body["filters"] = json!({"account_subcategories": ["mortgage"]});
    let a = create_session(&sim, "k2", &body).await;
    let done = sim
        .complete_sheet(a["session_id"].as_str().unwrap(), Institution::SuccessOne)
        .unwrap();
    assert_eq!(done.outcome, SheetOutcome::Failed);
    assert_eq!(done.error_code.as_deref(), Some("accounts_unavailable"));
    assert_eq!(done.session["status"], "failed");
}

#[tokio::test]
async fn ids_are_deterministic_per_seed() {
    async fn run(seed: u64) -> (String, Vec<String>, Value) {
        let sim = Simulator::start(SimulatorConfig { seed, ..config() }).await;
        let a = create_session(&sim, "k", &session_body()).await;
        let done = sim
            .complete_sheet(a["session_id"].as_str().unwrap(), Institution::SuccessThree)
            .unwrap();
        (
            a["session_id"].as_str().unwrap().to_string(),
            done.account_ids,
            done.session,
        )
    }
    let one = run(5).await;
    let two = run(5).await;
    assert_eq!(one, two);
    let other = run(6).await;
    assert_ne!(one.0, other.0);
    assert_ne!(one.1, other.1);
}

#[tokio::test]
async fn android_app_id_is_configurable() {
    let sim = Simulator::start(SimulatorConfig {
        android_app_id: "com.acme.bank".into(),
        ..config()
    })
    .await;
    let (id, _) = session(&sim, "k", None).await;
    let done = sim.complete_sheet(&id, Institution::OauthCanceled).unwrap();
    assert_eq!(
        done.android_redirect_url.as_deref(),
        Some("stripe-auth://link-accounts/com.acme.bank/cancel")
    );
}
