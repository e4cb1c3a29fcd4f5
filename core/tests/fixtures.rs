//! The model against Stripe's official fixtures (`testdata/stripe-fixtures`, verbatim copies of
//! the shared reference): every valid file decodes to its expected object type, re-encodes to an equal value and
//! keeps every enum value verbatim; the iOS file with trailing commas is reported as invalid JSON
//! with its position. Property tests: decoding never panics, and random unknown enum values
//! survive a round trip.
//!
//! The fixtures directory is required: without it these tests fail rather than pass vacuously.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use finconn_core::model::{
    decode_object, decode_session, AccountStatus, DecodeError, Expandable, PaymentAccount,
    RelinkFailureReason, StripeObject,
};
use proptest::prelude::*;
use serde_json::Value;

const FIXTURES_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/stripe-fixtures");

const SESSION: &str = "financial_connections.session";
const ACCOUNT: &str = "financial_connections.account";
const OWNER: &str = "financial_connections.account_owner";
const OWNERSHIP: &str = "financial_connections.account_ownership";
const AUTHORIZATION: &str = "financial_connections.authorization";
const TRANSACTION: &str = "financial_connections.transaction";
const INSTITUTION: &str = "financial_connections.institution";
const INFERRED_BALANCE: &str = "financial_connections.account_inferred_balance";

use Expected::{InvalidJson, Type};

/// What each fixture file must give, by path relative to the fixtures directory.
#[rustfmt::skip]
const EXPECTED: &[(&str, Expected)] = &[
    ("openapi/account.json", Type(ACCOUNT)),
    ("openapi/account_owner.json", Type(OWNER)),
    ("openapi/account_ownership.json", Type(OWNERSHIP)),
    ("openapi/authorization.json", Type(AUTHORIZATION)),
    ("openapi/session.json", Type(SESSION)),
    ("openapi/transaction.json", Type(TRANSACTION)),
    ("openapi/private_preview/account.json", Type(ACCOUNT)),
    ("openapi/private_preview/account_inferred_balance.json", Type(INFERRED_BALANCE)),
    ("openapi/private_preview/account_owner.json", Type(OWNER)),
    ("openapi/private_preview/account_ownership.json", Type(OWNERSHIP)),
    ("openapi/private_preview/authorization.json", Type(AUTHORIZATION)),
    ("openapi/private_preview/institution.json", Type(INSTITUTION)),
    ("openapi/private_preview/session.json", Type(SESSION)),
    ("openapi/private_preview/transaction.json", Type(TRANSACTION)),
    ("sdk/android_linked_account_session_complete.json", Type(SESSION)),
    ("sdk/android_linked_account_session_new_accounts_key.json", Type(SESSION)),
    ("sdk/android_linked_account_session_with_token.json", Type(SESSION)),
    // The trailing comma after `"last_attempted_at": 1651248322,` of the first account's
    // `balance_refresh`: the `}` on line 30 is where the parser finds it.
    ("sdk/ios_FinancialConnectionsSession_all_account_fields.json", InvalidJson { line: 30, column: 9 }),
    ("sdk/ios_FinancialConnectionsSession_relink.json", Type(SESSION)),
    ("sdk/ios_FinancialConnectionsSession_relink_failure_inline_test.json", Type(SESSION)),
    ("sdk/ios_FinancialConnectionsSession_relink_options_only.json", Type(SESSION)),
];

const TRAILING_COMMA_FILE: &str = "sdk/ios_FinancialConnectionsSession_all_account_fields.json";

/// Keys whose values (a string, or an array of strings) are enums in Stripe's spec.
const ENUM_KEYS: &[&str] = &[
    "account_subcategories",
    "action",
    "category",
    "cause",
    "confidence_level",
    "delivery_method",
    "failure_reason",
    "identifier_type",
    "mode",
    "outcome",
    "permissions",
    "prefetch",
    "reason",
    "require_payment_method_support",
    "status",
    "subcategory",
    "subscriptions",
    "supported_networks",
    "supported_payment_method_types",
    "type",
    "ui_mode",
];

#[derive(Debug, Clone, Copy)]
enum Expected {
    /// Valid JSON that decodes to this canonical object type.
    Type(&'static str),
    /// Invalid JSON, reported at this position.
    InvalidJson { line: usize, column: usize },
}

struct Fixture {
    /// Path relative to the fixtures directory, with `/` separators.
    name: String,
    bytes: Vec<u8>,
}

struct ValidFixture {
    name: String,
    bytes: Vec<u8>,
    json: Value,
}

fn fixtures_dir() -> PathBuf {
    let dir = Path::new(FIXTURES_DIR);
    assert!(
        dir.is_dir(),
        "Stripe fixtures not found at {} (testdata/stripe-fixtures of this repository)",
        dir.display()
    );
    dir.to_path_buf()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "json") {
            out.push(path);
        }
    }
}

/// Every `.json` file under the fixtures directory, sorted by name.
fn all_fixtures() -> &'static [Fixture] {
    static FIXTURES: OnceLock<Vec<Fixture>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = fixtures_dir();
        let mut paths = Vec::new();
        walk(&dir, &mut paths);
        let mut fixtures: Vec<Fixture> = paths
            .into_iter()
            .map(|path| Fixture {
                name: path
                    .strip_prefix(&dir)
                    .expect("under the fixtures dir")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
                bytes: std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display())),
            })
            .collect();
        fixtures.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(
            !fixtures.is_empty(),
            "no .json fixtures under {}",
            dir.display()
        );
        fixtures
    })
}

/// The fixtures that are valid JSON, parsed.
fn valid_fixtures() -> &'static [ValidFixture] {
    static VALID: OnceLock<Vec<ValidFixture>> = OnceLock::new();
    VALID.get_or_init(|| {
        all_fixtures()
            .iter()
            .filter_map(|f| {
                let json = serde_json::from_slice::<Value>(&f.bytes).ok()?;
                Some(ValidFixture {
                    name: f.name.clone(),
                    bytes: f.bytes.clone(),
                    json,
                })
            })
            .collect()
    })
}

fn expected(name: &str) -> Expected {
    EXPECTED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, e)| e)
        .unwrap_or_else(|| panic!("fixture {name} is not listed in EXPECTED: add its type"))
}

fn fixture_bytes(name: &str) -> &'static [u8] {
    &all_fixtures()
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("fixture {name} not found"))
        .bytes
}

/// The canonical type of each `StripeObject` variant, spelled out here so that a wrong variant
/// cannot hide behind a wrong `object_type()`.
fn variant_type(object: &StripeObject) -> &'static str {
    match object {
        StripeObject::Session(_) => SESSION,
        StripeObject::Account(_) => ACCOUNT,
        StripeObject::AccountOwner(_) => OWNER,
        StripeObject::AccountOwnership(_) => OWNERSHIP,
        StripeObject::Transaction(_) => TRANSACTION,
        StripeObject::Authorization(_) => AUTHORIZATION,
        StripeObject::Institution(_) => INSTITUTION,
        StripeObject::AccountInferredBalance(_) => INFERRED_BALANCE,
        StripeObject::List(_) => "list",
    }
}

/// Encodes and decodes again. The client secret is never serialized, so it is cleared from the
/// first value before comparing.
fn round_trip(name: &str, decoded: &StripeObject) -> (StripeObject, Value) {
    let encoded = serde_json::to_vec(decoded).unwrap_or_else(|e| panic!("{name}: encode: {e}"));
    let again = decode_object(&encoded).unwrap_or_else(|e| {
        panic!(
            "{name}: re-decode: {e}\n{}",
            String::from_utf8_lossy(&encoded)
        )
    });
    let json = serde_json::from_slice(&encoded).expect("our own output is JSON");
    (again, json)
}

fn without_secrets(object: &StripeObject) -> StripeObject {
    let mut object = object.clone();
    if let StripeObject::Session(session) = &mut object {
        session.client_secret = None;
    }
    object
}

fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Maps a JSON pointer of the input to where the model writes that value: the legacy
/// `linked_accounts` key comes back as `accounts`.
fn output_pointer(pointer: &str) -> String {
    match pointer.strip_prefix("/linked_accounts") {
        Some(rest) => format!("/accounts{rest}"),
        None => pointer.to_owned(),
    }
}

/// Every enum value of `json` (by key, see [`ENUM_KEYS`]), with its JSON pointer.
fn enum_values(json: &Value) -> BTreeMap<String, String> {
    fn visit(value: &Value, pointer: &str, enum_key: bool, out: &mut BTreeMap<String, String>) {
        match value {
            Value::String(s) if enum_key => {
                out.insert(pointer.to_owned(), s.clone());
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    // Arrays of enum values; arrays of objects start a new context.
                    let is_enum = enum_key && item.is_string();
                    visit(item, &format!("{pointer}/{i}"), is_enum, out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let child = format!("{pointer}/{}", pointer_segment(key));
                    visit(item, &child, ENUM_KEYS.contains(&key.as_str()), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    visit(json, "", false, &mut out);
    out
}

/// Every non-null scalar of `json`, with its JSON pointer.
fn scalar_values(json: &Value) -> BTreeMap<String, Value> {
    fn visit(value: &Value, pointer: &str, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    visit(item, &format!("{pointer}/{i}"), out);
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    visit(item, &format!("{pointer}/{}", pointer_segment(key)), out);
                }
            }
            scalar => {
                out.insert(pointer.to_owned(), scalar.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    visit(json, "", &mut out);
    out
}

fn assert_enum_values_kept(name: &str, input: &Value, output: &Value) -> Result<(), String> {
    for (pointer, value) in enum_values(input) {
        let found = output.pointer(&output_pointer(&pointer));
        if found != Some(&Value::String(value.clone())) {
            return Err(format!(
                "{name}: enum {pointer} = {value:?} came back as {found:?}"
            ));
        }
    }
    Ok(())
}

/// Removes commas that directly precede a closing `}` or `]` (outside strings: the fixture has
/// none inside strings).
fn strip_trailing_commas(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b',' {
            let next = bytes[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                continue;
            }
        }
        out.push(b);
    }
    out
}

#[test]
fn every_fixture_is_listed_and_every_listed_fixture_exists() {
    let names: Vec<&str> = all_fixtures().iter().map(|f| f.name.as_str()).collect();
    for name in &names {
        expected(name);
    }
    for (name, _) in EXPECTED {
        assert!(
            names.contains(name),
            "listed fixture {name} is missing from {FIXTURES_DIR}"
        );
    }
}

#[test]
fn valid_fixtures_decode_to_their_object_type() {
    let mut checked = 0;
    for fixture in all_fixtures() {
        let is_json = serde_json::from_slice::<Value>(&fixture.bytes).is_ok();
        match expected(&fixture.name) {
            Type(object_type) => {
                assert!(is_json, "{} should be valid JSON", fixture.name);
                let decoded = decode_object(&fixture.bytes)
                    .unwrap_or_else(|e| panic!("{}: {e}", fixture.name));
                assert_eq!(variant_type(&decoded), object_type, "{}", fixture.name);
                assert_eq!(decoded.object_type(), object_type, "{}", fixture.name);
                checked += 1;
            }
            InvalidJson { .. } => {
                assert!(!is_json, "{} should be invalid JSON", fixture.name)
            }
        }
    }
    assert_eq!(checked, valid_fixtures().len());
    assert!(checked >= 20, "only {checked} valid fixtures found");
}

#[test]
fn trailing_comma_fixture_is_invalid_json_with_its_position() {
    let InvalidJson { line, column } = expected(TRAILING_COMMA_FILE) else {
        panic!("{TRAILING_COMMA_FILE} is expected to be invalid");
    };
    let bytes = fixture_bytes(TRAILING_COMMA_FILE);
    for err in [
        decode_object(bytes).unwrap_err(),
        decode_session(bytes).unwrap_err(),
    ] {
        assert_eq!(
            err,
            DecodeError::InvalidJson {
                line,
                column,
                message: "trailing comma".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "invalid JSON at line 30, column 9: trailing comma"
        );
    }
}

#[test]
fn trailing_comma_fixture_decodes_once_the_commas_are_removed() {
    let session = decode_session(&strip_trailing_commas(fixture_bytes(TRAILING_COMMA_FILE)))
        .expect("the iOS fixture is a valid session apart from its trailing commas");
    assert_eq!(session.object.as_deref(), Some("link_account_session"));
    let lines: Vec<String> = session.accounts.iter().map(|a| a.display_line()).collect();
    assert_eq!(
        lines,
        ["Bank of Testing •••• 7777", "Bank of Testing •••• 3333"]
    );
    let first = &session.accounts.data[0];
    assert_eq!(first.ownership, Some(Expandable::Id("1234".into())));
    let balance = first.balance.as_ref().unwrap();
    assert_eq!(balance.current["cad"], -10_000);
    assert_eq!(
        balance.cash.as_ref().unwrap().available.as_ref().unwrap()["jyp"],
        2000
    );
    let credit = session.accounts.data[1]
        .balance
        .as_ref()
        .unwrap()
        .credit
        .as_ref()
        .unwrap();
    assert_eq!(credit.used.as_ref().unwrap()["usd"], 10_000);
    let token = session.bank_account_token.as_ref().unwrap();
    assert_eq!(token.id(), Some("btok_1N3T00LkdIwHu7ixt44h1F8k"));
    assert_eq!(token.as_object().unwrap()["bank_account"]["last4"], "6789");
    assert_eq!(session.accounts.total_count, Some(2));
}

#[test]
fn fixture_details() {
    let decode = |name: &str| decode_object(fixture_bytes(name)).unwrap();

    let StripeObject::Account(account) = decode("openapi/account.json") else {
        panic!()
    };
    assert_eq!(
        account.balance.as_ref().unwrap().current["undefined"],
        1_126_940_025
    );
    assert_eq!(account.ownership, None);
    assert_eq!(account.display_line(), "StripeBank •••• 6789");
    assert!(!account.needs_relink_now());

    let StripeObject::Session(ga) = decode("openapi/session.json") else {
        panic!()
    };
    let StripeObject::Session(pp) = decode("openapi/private_preview/session.json") else {
        panic!()
    };
    assert_eq!(ga.prefetch, Some(vec![]));
    assert_eq!(pp.prefetch, None);
    assert_eq!(
        ga.client_secret.as_ref().map(|s| s.expose()),
        Some("fcsess_..._secret_...")
    );

    let StripeObject::Session(complete) =
        decode("sdk/android_linked_account_session_complete.json")
    else {
        panic!()
    };
    assert_eq!(complete.object, None);
    let Some(PaymentAccount::Account(payment)) = &complete.payment_account else {
        panic!()
    };
    assert_eq!(payment.status, AccountStatus::Inactive);
    assert_eq!(payment.display_line(), "StripeBank •••• 1234");

    let StripeObject::Session(token) = decode("sdk/android_linked_account_session_with_token.json")
    else {
        panic!()
    };
    assert!(token.accounts.is_empty());
    assert_eq!(
        token.bank_account_token.as_ref().unwrap().id(),
        Some("tok_1F4ACMCRMbs6FrXf6fPqLnN7")
    );

    let StripeObject::Session(legacy) =
        decode("sdk/android_linked_account_session_new_accounts_key.json")
    else {
        panic!()
    };
    assert_eq!(
        legacy.accounts.data[0].object.as_deref(),
        Some("linked_account")
    );
    assert_eq!(legacy.accounts.data[0].display_line(), "Chase •••• 5579");

    let StripeObject::Session(failed) =
        decode("sdk/ios_FinancialConnectionsSession_relink_failure_inline_test.json")
    else {
        panic!()
    };
    let result = failed.relink_result.as_ref().unwrap();
    assert_eq!(result.failure_reason, Some(RelinkFailureReason::NoAccount));
    assert!(!result.succeeded());

    let StripeObject::Session(relinked) = decode("sdk/ios_FinancialConnectionsSession_relink.json")
    else {
        panic!()
    };
    assert!(relinked.relink_result.as_ref().unwrap().succeeded());
    assert_eq!(
        relinked.relink_options.as_ref().unwrap().authorization,
        "fcauth_123"
    );
}

#[test]
fn re_encoding_a_fixture_decodes_to_an_equal_value() {
    for fixture in valid_fixtures() {
        let decoded = decode_object(&fixture.bytes).unwrap();
        let (again, output) = round_trip(&fixture.name, &decoded);
        assert_eq!(again, without_secrets(&decoded), "{}", fixture.name);
        assert!(
            output.get("client_secret").is_none(),
            "{}: secret written",
            fixture.name
        );
    }
}

#[test]
fn every_enum_value_survives_re_encoding() {
    let mut seen = 0;
    for fixture in valid_fixtures() {
        let decoded = decode_object(&fixture.bytes).unwrap();
        let (_, output) = round_trip(&fixture.name, &decoded);
        assert_enum_values_kept(&fixture.name, &fixture.json, &output).unwrap();
        seen += enum_values(&fixture.json).len();
    }
    assert!(seen > 30, "only {seen} enum values found in the fixtures");
}

#[test]
fn every_non_null_value_survives_re_encoding() {
    for fixture in valid_fixtures() {
        let decoded = decode_object(&fixture.bytes).unwrap();
        let (_, output) = round_trip(&fixture.name, &decoded);
        for (pointer, value) in scalar_values(&fixture.json) {
            if pointer == "/client_secret" {
                continue;
            }
            assert_eq!(
                output.pointer(&output_pointer(&pointer)),
                Some(&value),
                "{}: {pointer}",
                fixture.name
            );
        }
    }
}

/// Replaces every enum value of `json` with the next string of `replacements` (cycling).
fn replace_enum_values(json: &mut Value, replacements: &[String]) {
    fn visit(value: &mut Value, enum_key: bool, replacements: &[String], next: &mut usize) {
        match value {
            Value::String(s) if enum_key => {
                *s = replacements[*next % replacements.len()].clone();
                *next += 1;
            }
            Value::Array(items) => {
                for item in items {
                    let is_enum = enum_key && item.is_string();
                    visit(item, is_enum, replacements, next);
                }
            }
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    visit(item, ENUM_KEYS.contains(&key.as_str()), replacements, next);
                }
            }
            _ => {}
        }
    }
    visit(json, false, replacements, &mut 0);
}

proptest! {
    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_object(&bytes);
        let _ = decode_session(&bytes);
    }

    #[test]
    fn decode_never_panics_on_json_ish_strings(
        text in r#"[ \n{}\[\]":,.0-9a-z_\\-]{0,256}"#,
        prefix in prop::sample::select(vec![
            "", "{\"object\":", "{\"id\":\"fca_", "{\"id\":\"fcsess_1\",\"livemode\":true,\"accounts\":",
            "{\"data\":[", "{\"object\":\"list\",\"data\":",
        ]),
    ) {
        let input = format!("{prefix}{text}");
        let _ = decode_object(input.as_bytes());
        let _ = decode_session(input.as_bytes());
    }

    #[test]
    fn decode_never_panics_on_mutated_fixtures(
        index in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8),
    ) {
        let fixtures = all_fixtures();
        let mut bytes = fixtures[index.index(fixtures.len())].bytes.clone();
        for (at, byte, op) in edits {
            let at = at.index(bytes.len() + 1);
            match op {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if at < bytes.len() => { bytes.remove(at); }
                _ => {}
            }
        }
        if let Ok(decoded) = decode_object(&bytes) {
            // Whatever decodes also re-encodes and decodes to the same value.
            let encoded = serde_json::to_vec(&decoded).unwrap();
            prop_assert_eq!(decode_object(&encoded).unwrap(), without_secrets(&decoded));
        }
    }

    #[test]
    fn random_unknown_enum_values_round_trip_unchanged(
        index in any::<prop::sample::Index>(),
        replacements in proptest::collection::vec("\\PC{0,16}|[a-z_]{1,24}", 1..16),
    ) {
        let fixtures = valid_fixtures();
        let fixture = &fixtures[index.index(fixtures.len())];
        let mut json = fixture.json.clone();
        replace_enum_values(&mut json, &replacements);
        let input = serde_json::to_vec(&json).unwrap();

        let decoded = decode_object(&input)
            .map_err(|e| TestCaseError::fail(format!("{}: {e}", fixture.name)))?;
        let (again, output) = round_trip(&fixture.name, &decoded);
        prop_assert_eq!(again, without_secrets(&decoded));
        assert_enum_values_kept(&fixture.name, &json, &output).map_err(TestCaseError::fail)?;
    }
}
