//! End-to-end tests of the `fc` binary: the exact output contracts of `fc url`, `fc decode` and
//! `fc demo --json`, exit codes, and standard-input handling.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn fc(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fc"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fc runs");
    {
        let mut pipe = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            pipe.write_all(bytes).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

const RULES: [&str; 6] = [
    "url",
    "--return-url",
    "myapp://stripe-redirect",
    "--return-url",
    "https://example.com/fc-return",
    "--android-app-id",
];

fn url_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = RULES.to_vec();
    v.push("com.example.app");
    v.extend_from_slice(extra);
    v
}

#[test]
fn url_prints_one_object_per_argument_in_order() {
    let inputs = [
        "myapp://stripe-redirect?status=success&extra=1",
        "https://example.com/fc-return?session_id=fcsess_1",
        "stripe-auth://link-accounts/com.example.app/success?foo=bar",
        "https://example.com.evil.io/fc-return",
        "https://example.com@evil.io/fc-return",
        "intent://x#Intent;scheme=myapp;end",
    ];
    let out = fc(&url_args(&inputs), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), inputs.len());
    for (line, input) in lines.iter().zip(inputs) {
        let obj = line.as_object().unwrap();
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{line}");
        assert_eq!(line["input"], input);
    }
    assert_eq!(lines[0]["matched"], true);
    assert_eq!(lines[0]["kind"], "return_url");
    assert_eq!(lines[0]["reason"], Value::Null);
    assert_eq!(lines[1]["kind"], "return_url");
    assert_eq!(lines[2]["kind"], "stripe_android");
    for rejected in &lines[3..] {
        assert_eq!(rejected["matched"], false);
        assert_eq!(rejected["kind"], Value::Null);
        assert!(
            rejected["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{rejected}"
        );
    }
}

#[test]
fn url_reads_stdin_line_by_line_and_an_empty_line_is_an_input() {
    let out = fc(
        &url_args(&[]),
        Some(b"myapp://stripe-redirect\n\nmyapp://stripe-redirect.evil\r\n\xff\xfe\nlast-without-newline"),
    );
    assert!(out.status.success());
    let lines = json_lines(&out);
    let inputs: Vec<&str> = lines.iter().map(|l| l["input"].as_str().unwrap()).collect();
    assert_eq!(inputs.len(), 5, "{inputs:?}");
    assert_eq!(inputs[0], "myapp://stripe-redirect");
    assert_eq!(inputs[1], "");
    assert_eq!(lines[1]["matched"], false);
    assert_eq!(lines[1]["reason"], "empty");
    assert_eq!(inputs[2], "myapp://stripe-redirect.evil");
    assert_eq!(
        lines[3]["matched"], false,
        "invalid UTF-8 is rejected, not a crash"
    );
    assert_eq!(inputs[4], "last-without-newline");
}

#[test]
fn url_with_invalid_options_exits_non_zero_with_a_message() {
    let out = fc(&["url", "--return-url", "javascript:alert(1)", "x"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.is_empty());
    let out = fc(
        &[
            "url",
            "--return-url",
            "myapp://r",
            "--android-app-id",
            "not an id",
            "x",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

fn fixture(path: &str) -> String {
    format!(
        "{}/../testdata/stripe-fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn decode_prints_one_line_per_file_and_keeps_unknown_enum_values() {
    let dir = tempfile::tempdir().unwrap();
    let unknown = dir.path().join("future.json");
    std::fs::write(
        &unknown,
        r#"{"id":"fca_1","object":"financial_connections.account","category":"crypto_wallet","subcategory":"moon","status":"hibernating","institution_name":"X","created":1,"livemode":false,"supported_payment_method_types":["teleport"],"brand_new_field":{"a":1}}"#,
    )
    .unwrap();
    let session = fixture("openapi/session.json");
    let out = fc(&["decode", &session, unknown.to_str().unwrap()], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["file"], session.as_str());
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["object"], "financial_connections.session");
    assert!(
        lines[0]["value"].get("client_secret").is_none(),
        "secrets are not written back"
    );
    let v = &lines[1]["value"];
    assert_eq!(lines[1]["object"], "financial_connections.account");
    assert_eq!(v["category"], "crypto_wallet");
    assert_eq!(v["subcategory"], "moon");
    assert_eq!(v["status"], "hibernating");
    assert_eq!(v["supported_payment_method_types"][0], "teleport");
}

#[test]
fn decode_reports_bad_files_and_exits_one() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, b"{\"id\": ").unwrap();
    let trailing = fixture("sdk/ios_FinancialConnectionsSession_all_account_fields.json");
    let missing = dir.path().join("missing.json");
    let good = fixture("openapi/transaction.json");
    let out = fc(
        &[
            "decode",
            garbage.to_str().unwrap(),
            &trailing,
            missing.to_str().unwrap(),
            &good,
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "every file gets its line, in order");
    for l in &lines[..3] {
        assert_eq!(l["ok"], false);
        assert!(l.get("value").is_none());
        assert!(l["error"].as_str().is_some_and(|e| !e.is_empty()), "{l}");
    }
    let trailing_error = lines[1]["error"].as_str().unwrap();
    assert!(trailing_error.contains("line 30"), "{trailing_error}");
    assert_eq!(lines[3]["ok"], true);
    assert_eq!(lines[3]["object"], "financial_connections.transaction");
}

fn demo(scenario: &str) -> Value {
    let out = fc(&["demo", "--json", "--scenario", scenario], None);
    assert!(
        out.status.success(),
        "fc demo --scenario {scenario}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().expect("some output");
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line is not JSON: {last}: {e}"))
}

#[test]
fn demo_scenarios_end_as_documented() {
    let v = demo("success");
    assert_eq!(v["scenario"], "success");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["accounts"].as_array().unwrap().len(), 3);
    for a in v["accounts"].as_array().unwrap() {
        for key in ["id", "institution_name", "last4", "category", "status"] {
            assert!(a.get(key).is_some(), "{key} in {a}");
        }
    }
    assert_eq!(v["relink"], Value::Null);
    assert_eq!(v["backend_reports"], 1);
    assert_eq!(v["sessions_created"], 1);

    let v = demo("exit-early");
    assert_eq!(v["status"], "canceled");
    assert_eq!(v["accounts"].as_array().unwrap().len(), 0);

    let v = demo("relink");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["relink"]["outcome"], "relinked");
    assert_eq!(v["relink"]["failure_reason"], Value::Null);
    assert_eq!(v["backend_reports"], 1);

    let v = demo("killed-during-oauth");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["backend_reports"], 1);
    assert_eq!(v["sessions_created"], 1);

    let v = demo("flaky-backend");
    assert_eq!(v["status"], "completed");
    assert_eq!(v["backend_reports"], 1);
    assert_eq!(v["sessions_created"], 1);

    assert_eq!(demo("oauth-canceled")["status"], "canceled");
    assert_eq!(demo("institution-down")["status"], "failed");
}

#[test]
fn demo_data_scenarios_give_the_documented_account_data() {
    let v = demo("data");
    assert_eq!(v["status"], "completed");
    let data = v["account_data"].as_array().expect("account_data");
    assert!(!data.is_empty());
    let mut paged = false;
    for a in data {
        for key in [
            "id",
            "balance",
            "owners",
            "transactions",
            "transactions_at_backend",
            "refresh",
            "relink_required",
        ] {
            assert!(a.get(key).is_some(), "{key} in {a}");
        }
        assert!(a["id"].as_str().unwrap().starts_with("fca_"));
        let b = &a["balance"];
        assert!(
            b["as_of"].is_i64() && (b["type"] == "cash" || b["type"] == "credit"),
            "{b}"
        );
        assert!(
            b["current"]
                .as_object()
                .unwrap()
                .values()
                .all(Value::is_i64),
            "integer minor units: {b}"
        );
        assert!(b["available"].is_null() || b["available"].is_object());
        assert!(!a["owners"].as_array().unwrap().is_empty());
        assert_eq!(a["transactions"], a["transactions_at_backend"], "{a}");
        for f in ["balance", "ownership", "transactions"] {
            assert_eq!(a["refresh"][f], "succeeded", "{a}");
        }
        assert_eq!(a["relink_required"], false);
        paged |= a["transaction_pages"].as_u64().unwrap() > 1;
    }
    assert!(paged, "one account needed more than one page");

    let v = demo("data-inactive");
    assert_eq!(v["status"], "completed");
    let data = v["account_data"].as_array().expect("account_data");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["relink_required"], true);
    assert_eq!(data[0]["balance"], Value::Null);
    for f in ["balance", "ownership", "transactions"] {
        assert_eq!(data[0]["refresh"][f], "failed");
    }
    // Other scenarios carry no account data.
    assert!(demo("success").get("account_data").is_none());
}
