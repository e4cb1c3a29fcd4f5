//! Tests of reconciliation: the rule table of the module docs, case by case, plus Stripe's own
//! relink fixtures and a property that reconciliation is total.

use super::*;
use proptest::prelude::*;
use serde_json::{json, Value};

fn account(id: &str) -> Value {
    json!({
        "id": id, "object": "financial_connections.account", "category": "cash",
        "subcategory": "checking", "status": "active", "institution_name": "StripeBank",
        "last4": "6789", "created": 1, "livemode": false,
        "supported_payment_method_types": ["us_bank_account"]
    })
}

fn session_json(id: &str, accounts: Vec<Value>) -> Value {
    json!({
        "id": id, "object": "financial_connections.session", "livemode": false,
        "permissions": ["balances"],
        "accounts": {"object": "list", "data": accounts, "has_more": false, "url": "/v1/financial_connections/accounts"}
    })
}

fn session(v: Value) -> Session {
    serde_json::from_value(v).expect("test session decodes")
}

fn run(sheet: &SheetOutcome, server: Option<&Session>) -> FlowResult {
    reconcile(ReconcileInput {
        server_session: server,
        expected_session_id: Some("fcsess_1"),
        ..ReconcileInput::new(sheet)
    })
}

fn ids(r: &FlowResult) -> Vec<&str> {
    r.accounts.iter().map(|a| a.id.as_str()).collect()
}

#[test]
fn server_session_wins_over_the_sheet() {
    let server = session(session_json(
        "fcsess_1",
        vec![account("fca_1"), account("fca_2")],
    ));
    let sheet_session = session(session_json("fcsess_1", vec![account("fca_1")]));
    let sheet = SheetOutcome::Completed {
        session: Some(Box::new(sheet_session)),
    };
    let r = run(&sheet, Some(&server));
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(r.source, ResultSource::Server);
    assert_eq!(ids(&r), ["fca_1", "fca_2"]);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn zero_accounts_means_the_user_left_early() {
    let server = session(session_json("fcsess_1", vec![]));
    for sheet in [
        SheetOutcome::Completed { session: None },
        SheetOutcome::Canceled,
        SheetOutcome::NoResult,
    ] {
        let r = run(&sheet, Some(&server));
        assert_eq!(r.status, FlowStatus::Canceled, "{sheet:?}");
        assert!(r.accounts.is_empty());
    }
}

#[test]
fn payment_account_or_bank_token_alone_count_as_linked() {
    let mut v = session_json("fcsess_1", vec![]);
    v["bank_account_token"] = json!({"id": "btok_1", "object": "token"});
    let r = run(&SheetOutcome::Canceled, Some(&session(v)));
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(
        r.warnings,
        vec![ResultWarning::SheetCanceledButAccountsLinked]
    );

    let mut v = session_json("fcsess_1", vec![]);
    v["payment_account"] = account("fca_pay");
    let r = run(&SheetOutcome::NoResult, Some(&session(v)));
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(
        ids(&r),
        ["fca_pay"],
        "the payment account is reported as a linked account"
    );
}

#[test]
fn cancel_with_accounts_linked_is_completed() {
    let server = session(session_json("fcsess_1", vec![account("fca_1")]));
    let r = run(&SheetOutcome::Canceled, Some(&server));
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(
        r.warnings,
        vec![ResultWarning::SheetCanceledButAccountsLinked]
    );
}

#[test]
fn failed_sheet_with_accounts_is_completed_with_a_warning() {
    let server = session(session_json("fcsess_1", vec![account("fca_1")]));
    let sheet = SheetOutcome::Failed {
        error: "institution_timeout".into(),
    };
    let r = run(&sheet, Some(&server));
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(
        r.warnings,
        vec![ResultWarning::SheetFailedButAccountsLinked {
            sheet_error: "institution_timeout".into()
        }]
    );
    assert_eq!(r.error, None);
}

#[test]
fn failed_sheet_without_accounts_is_failed_with_its_error() {
    let server = session(session_json("fcsess_1", vec![]));
    let r = run(
        &SheetOutcome::Failed {
            error: "session_expired".into(),
        },
        Some(&server),
    );
    assert_eq!(r.status, FlowStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("session_expired"));
}

#[test]
fn server_failed_status_without_accounts_is_failed() {
    let mut v = session_json("fcsess_1", vec![]);
    v["status"] = json!("failed");
    let r = run(&SheetOutcome::NoResult, Some(&session(v)));
    assert_eq!(r.status, FlowStatus::Failed);
    assert_eq!(r.error.as_deref(), Some("session_failed"));
}

#[test]
fn accounts_are_deduplicated_by_id() {
    let mut v = session_json(
        "fcsess_1",
        vec![account("fca_1"), account("fca_2"), account("fca_1")],
    );
    v["payment_account"] = account("fca_2");
    let r = run(
        &SheetOutcome::Completed { session: None },
        Some(&session(v)),
    );
    assert_eq!(ids(&r), ["fca_1", "fca_2"]);
    assert_eq!(
        r.warnings,
        vec![ResultWarning::DuplicateAccountsRemoved { count: 1 }]
    );
}

#[test]
fn without_the_server_the_sheet_session_is_used_with_a_warning() {
    let sheet_session = session(session_json("fcsess_1", vec![account("fca_1")]));
    let sheet = SheetOutcome::Completed {
        session: Some(Box::new(sheet_session)),
    };
    let r = run(&sheet, None);
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(r.source, ResultSource::Sheet);
    assert_eq!(r.warnings, vec![ResultWarning::ServerUnavailable]);
}

#[test]
fn no_evidence_at_all_is_a_failure_to_retry() {
    let r = run(&SheetOutcome::NoResult, None);
    assert_eq!(r.status, FlowStatus::Failed);
    assert_eq!(r.source, ResultSource::None);
    assert_eq!(r.error.as_deref(), Some("result_unavailable"));
    assert_eq!(r.session_id.as_deref(), Some("fcsess_1"));
    let r = run(&SheetOutcome::Canceled, None);
    assert_eq!(r.status, FlowStatus::Canceled);
}

#[test]
fn a_session_with_another_id_is_ignored() {
    let foreign = session(session_json("fcsess_evil", vec![account("fca_x")]));
    let r = run(&SheetOutcome::Canceled, Some(&foreign));
    assert_eq!(r.status, FlowStatus::Canceled);
    assert!(r.accounts.is_empty());
    assert!(r.warnings.contains(&ResultWarning::SessionIdMismatch {
        expected: "fcsess_1".into(),
        received: "fcsess_evil".into()
    }));
}

#[test]
fn the_return_url_never_decides_but_disagreement_is_reported() {
    let server = session(session_json("fcsess_1", vec![]));
    let hints = ReturnUrlHints {
        status: Some(RedirectStatus::Success),
        error_reason: None,
        session_id: Some("fcsess_1".into()),
    };
    let sheet = SheetOutcome::Completed { session: None };
    let r = reconcile(ReconcileInput {
        url_hints: Some(&hints),
        server_session: Some(&server),
        ..ReconcileInput::new(&sheet)
    });
    assert_eq!(r.status, FlowStatus::Canceled);
    assert_eq!(
        r.warnings,
        vec![ResultWarning::ReturnUrlDisagrees {
            url_status: "success".into(),
            final_status: FlowStatus::Canceled
        }]
    );
}

#[test]
fn has_more_is_reported() {
    let mut v = session_json("fcsess_1", vec![account("fca_1")]);
    v["accounts"]["has_more"] = json!(true);
    let r = run(&SheetOutcome::NoResult, Some(&session(v)));
    assert!(r.warnings.contains(&ResultWarning::MoreAccountsNotListed));
}

fn relink_session(result: Value, accounts: Vec<Value>) -> Session {
    let mut v = session_json("fcsess_1", accounts);
    v["relink_options"] = json!({"authorization": "fcauth_1", "account": "fca_1"});
    if !result.is_null() {
        v["relink_result"] = result;
    }
    session(v)
}

fn run_relink(server: &Session, known: &[String]) -> FlowResult {
    let sheet = SheetOutcome::Completed { session: None };
    reconcile(ReconcileInput {
        server_session: Some(server),
        known_account_ids: known,
        ..ReconcileInput::new(&sheet)
    })
}

#[test]
fn relink_with_the_same_authorization() {
    let s = relink_session(
        json!({"authorization": "fcauth_1", "account": "fca_1", "failure_reason": null}),
        vec![account("fca_1")],
    );
    let r = run_relink(&s, &["fca_1".into(), "fca_2".into()]);
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(
        r.relink,
        Some(RelinkOutcome::Relinked {
            authorization: "fcauth_1".into(),
            account: Some("fca_1".into()),
            missing_account_ids: vec!["fca_2".into()],
        })
    );
}

#[test]
fn relink_with_a_new_authorization() {
    let s = relink_session(
        json!({"authorization": "fcauth_NEW", "account": null, "failure_reason": null}),
        vec![account("fca_1"), account("fca_9")],
    );
    let r = run_relink(&s, &["fca_1".into(), "fca_2".into()]);
    assert_eq!(
        r.relink,
        Some(RelinkOutcome::NewAuthorization {
            authorization: "fcauth_NEW".into(),
            new_account_ids: vec!["fca_9".into()],
            missing_account_ids: vec!["fca_2".into()],
        })
    );
}

#[test]
fn relink_failures_keep_their_reason_even_unknown_ones() {
    for reason in [
        "no_account",
        "no_authorization",
        "other",
        "reason_from_2030",
    ] {
        let s = relink_session(
            json!({"authorization": null, "account": null, "failure_reason": reason}),
            vec![],
        );
        let r = run_relink(&s, &[]);
        assert_eq!(r.status, FlowStatus::Canceled);
        assert_eq!(
            r.relink,
            Some(RelinkOutcome::Failed {
                reason: RelinkFailureReason::from(reason)
            })
        );
    }
}

#[test]
fn relink_without_result_is_unfinished() {
    let s = relink_session(Value::Null, vec![]);
    assert_eq!(run_relink(&s, &[]).relink, Some(RelinkOutcome::Unfinished));
    let request = RelinkRequest {
        authorization: "fcauth_1".into(),
        account: None,
        known_account_ids: vec![],
    };
    let sheet = SheetOutcome::Canceled;
    let r = reconcile(ReconcileInput {
        relink_request: Some(&request),
        ..ReconcileInput::new(&sheet)
    });
    assert_eq!(r.relink, Some(RelinkOutcome::Unfinished));
}

#[test]
fn no_relink_means_no_relink_outcome() {
    let s = session(session_json("fcsess_1", vec![account("fca_1")]));
    assert_eq!(run(&SheetOutcome::NoResult, Some(&s)).relink, None);
}

#[test]
fn relink_needs_now_and_soon() {
    let mut inactive = account("fca_dead");
    inactive["status"] = json!("inactive");
    inactive["status_details"] =
        json!({"inactive": {"action": "relink_required", "cause": "access_expired"}});
    let mut expiring_late = account("fca_late");
    expiring_late["status_details"] = json!({"active": {"action": "relink_required", "cause": "access_expired", "expected_deactivation_date": 2_000_000_000}});
    let mut expiring_soon = account("fca_soon");
    expiring_soon["status_details"] = json!({"active": {"action": "none", "cause": "unspecified", "expected_deactivation_date": 1_900_000_000}});
    let accounts: Vec<Account> = [account("fca_ok"), inactive, expiring_late, expiring_soon]
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect();
    let needs = relink_needs(&accounts);
    assert_eq!(
        needs.now.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        ["fca_dead"]
    );
    assert_eq!(
        needs
            .soon
            .iter()
            .map(|(a, d)| (a.id.as_str(), *d))
            .collect::<Vec<_>>(),
        [("fca_soon", 1_900_000_000), ("fca_late", 2_000_000_000)]
    );
}

fn fixture(name: &str) -> Session {
    let path = format!(
        "{}/../testdata/stripe-fixtures/sdk/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {path} must exist: {e}"));
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn stripe_ios_relink_fixtures() {
    let s = fixture("ios_FinancialConnectionsSession_relink.json");
    let sheet = SheetOutcome::NoResult;
    let r = reconcile(ReconcileInput {
        server_session: Some(&s),
        ..ReconcileInput::new(&sheet)
    });
    assert!(
        matches!(r.relink, Some(RelinkOutcome::Relinked { ref authorization, .. }) if authorization == "fcauth_123")
    );

    let s = fixture("ios_FinancialConnectionsSession_relink_failure_inline_test.json");
    let r = reconcile(ReconcileInput {
        server_session: Some(&s),
        ..ReconcileInput::new(&sheet)
    });
    assert_eq!(
        r.relink,
        Some(RelinkOutcome::Failed {
            reason: RelinkFailureReason::NoAccount
        })
    );

    let s = fixture("ios_FinancialConnectionsSession_relink_options_only.json");
    let r = reconcile(ReconcileInput {
        server_session: Some(&s),
        ..ReconcileInput::new(&sheet)
    });
    assert_eq!(r.relink, Some(RelinkOutcome::Unfinished));
    assert_eq!(r.status, FlowStatus::Canceled);
}

#[test]
fn stripe_android_fixtures() {
    // Payment account only, accounts list empty: completed with that account.
    let s = fixture("android_linked_account_session_complete.json");
    let r = reconcile(ReconcileInput {
        server_session: Some(&s),
        ..ReconcileInput::new(&SheetOutcome::NoResult)
    });
    assert_eq!(r.status, FlowStatus::Completed);
    assert_eq!(ids(&r), ["fca_123"]);
    // Legacy `linked_accounts` key with no accounts but a bank account token: completed.
    let s = fixture("android_linked_account_session_with_token.json");
    let r = reconcile(ReconcileInput {
        server_session: Some(&s),
        ..ReconcileInput::new(&SheetOutcome::Canceled)
    });
    assert_eq!(r.status, FlowStatus::Completed);
}

fn sheet_strategy() -> impl Strategy<Value = SheetOutcome> {
    prop_oneof![
        Just(SheetOutcome::Canceled),
        Just(SheetOutcome::NoResult),
        Just(SheetOutcome::Completed { session: None }),
        "[a-z_]{0,12}".prop_map(|error| SheetOutcome::Failed { error }),
    ]
}

proptest! {
    /// Total and consistent: any mix of inputs gives one result whose accounts are unique, and
    /// linked accounts always mean completed.
    #[test]
    fn reconciliation_is_total(
        sheet in sheet_strategy(),
        account_ids in proptest::collection::vec("fca_[a-c]", 0..6),
        with_server in any::<bool>(),
        server_id_matches in any::<bool>(),
    ) {
        let accounts: Vec<Value> = account_ids.iter().map(|id| account(id)).collect();
        let id = if server_id_matches { "fcsess_1" } else { "fcsess_2" };
        let server = session(session_json(id, accounts));
        let r = run(&sheet, with_server.then_some(&server));
        let mut unique = ids(&r);
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), r.accounts.len());
        if !r.accounts.is_empty() {
            prop_assert_eq!(r.status, FlowStatus::Completed);
        }
        if with_server && server_id_matches {
            prop_assert_eq!(r.source, ResultSource::Server);
            prop_assert_eq!(r.accounts.is_empty(), account_ids.is_empty());
        }
    }
}
