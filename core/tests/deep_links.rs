//! Table test and property tests of `finconn_core::return_url`: one row per deep link — good,
//! near-miss and hostile — with the expected verdict, over a few configurations; then properties
//! (classification never panics, matches always have the configured scheme/host/path, extra query
//! items are tolerated, hints are always sanitized).

use finconn_core::return_url::{MatchKind, RedirectStatus, ReturnUrlRules, UrlClassification};
use proptest::prelude::*;

const APP_ID: &str = "com.example.app";

/// The configurations the table runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Cfg {
    /// `myapp://stripe-redirect` + `https://example.com/fc-return` + app id `com.example.app`.
    Full,
    /// `myapp://stripe-redirect/fc?flow=fc` only (path and a required query item, no app id).
    CustomWithQuery,
    /// Android app id only.
    AppIdOnly,
    /// A configured punycode host: `https://xn--bcher-kva.example/return`.
    Punycode,
}

fn rules(cfg: Cfg) -> ReturnUrlRules {
    let r = match cfg {
        Cfg::Full => ReturnUrlRules::new(
            &["myapp://stripe-redirect", "https://example.com/fc-return"],
            Some(APP_ID),
        ),
        Cfg::CustomWithQuery => ReturnUrlRules::new(&["myapp://stripe-redirect/fc?flow=fc"], None),
        Cfg::AppIdOnly => ReturnUrlRules::new(&[] as &[&str], Some(APP_ID)),
        Cfg::Punycode => ReturnUrlRules::new(&["https://xn--bcher-kva.example/return"], None),
    };
    r.expect("test configurations are valid")
}

/// `matched:<kind>[/status=<status>]` or `rejected:<code>`.
fn verdict(c: &UrlClassification) -> String {
    match c {
        UrlClassification::Matched(m) => match &m.hints.status {
            Some(s) => format!("matched:{}/status={}", m.kind.as_str(), s.as_str()),
            None => format!("matched:{}", m.kind.as_str()),
        },
        UrlClassification::Rejected(r) => format!("rejected:{}", r.as_str()),
    }
}

use Cfg::*;

#[rustfmt::skip]
const TABLE: &[(Cfg, &str, &str)] = &[
    // ---- configured custom scheme: good
    (Full, "myapp://stripe-redirect", "matched:return_url"),
    (Full, "MyApp://STRIPE-REDIRECT", "matched:return_url"),
    (Full, "myapp://stripe-redirect?", "matched:return_url"),
    (Full, "myapp://stripe-redirect?status=success", "matched:return_url/status=success"),
    (Full, "myapp://stripe-redirect?status=failure&error_reason=institution_unavailable", "matched:return_url/status=failure"),
    (Full, "myapp://stripe-redirect?status=canceled&linked_account=fca_1&session_id=fcsess_123", "matched:return_url/status=cancel"),
    (Full, "myapp://stripe-redirect?payment_intent=pi_1&payment_intent_client_secret=pi_1_secret_x&redirect_status=succeeded", "matched:return_url"),
    (Full, "myapp://stripe-redirect?next=https%3A%2F%2Fexample.com%2F", "matched:return_url"),
    (Full, "myapp://stripe-redirect?a[]=1&b=%7Bx%7D", "matched:return_url"),
    // ---- configured custom scheme: near misses
    (Full, "myapp://stripe-redirect/", "rejected:path_mismatch"),
    (Full, "myapp://stripe-redirect/callback", "rejected:path_mismatch"),
    (Full, "myapp://stripe-redirectx", "rejected:host_mismatch"),
    (Full, "myapp://stripe-redirect.evil.io", "rejected:host_mismatch"),
    (Full, "myapp://evil-stripe-redirect", "rejected:host_mismatch"),
    (Full, "myapp://stripe-redirect:443", "rejected:port_mismatch"),
    (Full, "myapp://stripe-redirect#done", "rejected:fragment"),
    (Full, "myappx://stripe-redirect", "rejected:scheme_mismatch"),
    (Full, "myapp:stripe-redirect", "rejected:unparseable"),
    (Full, "myapp:/stripe-redirect", "rejected:unparseable"),
    (Full, "myapp:///stripe-redirect", "rejected:host_mismatch"),
    // ---- configured https link: good
    (Full, "https://example.com/fc-return", "matched:return_url"),
    (Full, "https://EXAMPLE.com/fc-return", "matched:return_url"),
    (Full, "HTTPS://example.com:443/fc-return", "matched:return_url"),
    (Full, "https://example.com/fc-return?status=success&session_id=fcsess_1Mu0L4", "matched:return_url/status=success"),
    (Full, "https://example.com/fc-return?status=mystery", "matched:return_url/status=mystery"),
    // ---- configured https link: look-alikes and near misses
    (Full, "https://example.com/fc-return/", "rejected:path_mismatch"),
    (Full, "https://example.com/FC-RETURN", "rejected:path_mismatch"),
    (Full, "https://example.com/fc-return.html", "rejected:path_mismatch"),
    (Full, "https://example.com/fc-return;jsessionid=1", "rejected:path_mismatch"),
    (Full, "https://example.com/fc%2dreturn", "rejected:path_mismatch"),
    (Full, "https://example.com", "rejected:path_mismatch"),
    (Full, "https://example.com:8443/fc-return", "rejected:port_mismatch"),
    (Full, "https://example.com.evil.io/fc-return", "rejected:host_mismatch"),
    (Full, "https://evil-example.com/fc-return", "rejected:host_mismatch"),
    (Full, "https://evilexample.com/fc-return", "rejected:host_mismatch"),
    (Full, "https://www.example.com/fc-return", "rejected:host_mismatch"),
    (Full, "https://example.com./fc-return", "rejected:host_mismatch"),
    (Full, "https://example..com/fc-return", "rejected:host_mismatch"),
    (Full, "https://xn--exmple-cua.com/fc-return", "rejected:non_ascii_host"),
    (Full, "https://example.xn--com-9o0a/fc-return", "rejected:non_ascii_host"),
    (Full, "https://exаmple.com/fc-return", "rejected:non_ascii_host"),
    (Full, "https://example.com/fc-return#access_token=x", "rejected:fragment"),
    (Full, "http://example.com/fc-return", "rejected:scheme_mismatch"),
    (Full, "wss://example.com/fc-return", "rejected:scheme_mismatch"),
    // ---- userinfo and authority tricks
    (Full, "https://example.com@evil.io/fc-return", "rejected:userinfo"),
    (Full, "https://evil.io@example.com/fc-return", "rejected:userinfo"),
    (Full, "https://user:pass@example.com/fc-return", "rejected:userinfo"),
    (Full, "myapp://x@stripe-redirect", "rejected:userinfo"),
    (Full, "https://example.com%40evil.io/fc-return", "rejected:invalid_host"),
    (Full, "https://example%2Ecom/fc-return", "rejected:invalid_host"),
    (Full, "https://[::1]/fc-return", "rejected:invalid_host"),
    (Full, "https://example.com:0/fc-return", "rejected:unparseable"),
    (Full, "https://example.com:00443/fc-return", "rejected:unparseable"),
    (Full, "https://example.com:99999/fc-return", "rejected:unparseable"),
    (Full, "https:example.com/fc-return", "rejected:unparseable"),
    (Full, "https:/example.com/fc-return", "rejected:unparseable"),
    (Full, "https:///example.com/fc-return", "rejected:host_mismatch"),
    // ---- backslashes, whitespace, control characters
    (Full, "https://example.com\\@evil.io/fc-return", "rejected:backslash"),
    (Full, "https:\\\\example.com/fc-return", "rejected:backslash"),
    (Full, "myapp://stripe-redirect\\..\\x", "rejected:backslash"),
    (Full, " myapp://stripe-redirect", "rejected:control_character"),
    (Full, "myapp://stripe-redirect ", "rejected:control_character"),
    (Full, "myapp://stripe-redirect\n", "rejected:control_character"),
    (Full, "myapp://stripe-\tredirect", "rejected:control_character"),
    (Full, "https://example.com/fc-return\r\nX: y", "rejected:control_character"),
    (Full, "myapp://stripe-redirect?x=\u{0}", "rejected:control_character"),
    (Full, "myapp://stripe-redirect?x=\u{202e}", "rejected:non_ascii"),
    (Full, "myapp://stripe-redirect?x=\u{a0}", "rejected:non_ascii"),
    // ---- encoded NUL / control characters, double encoding
    (Full, "myapp://stripe-redirect?x=%00", "rejected:encoded_nul"),
    (Full, "https://example.com/fc-return%00.evil", "rejected:encoded_nul"),
    (Full, "myapp://stripe-redirect?x=%0a", "rejected:encoded_control_character"),
    (Full, "myapp://stripe-redirect?x=%0D%0ASet-Cookie:%20a=b", "rejected:encoded_control_character"),
    (Full, "myapp://stripe-redirect?x=%7f", "rejected:encoded_control_character"),
    (Full, "myapp://stripe-redirect?x=%2500", "rejected:encoded_nul"),
    (Full, "myapp://stripe-redirect?x=%25%30%30", "rejected:encoded_nul"),
    (Full, "myapp://stripe-redirect?x=%250d", "rejected:encoded_control_character"),
    (Full, "myapp://stripe-redirect?x=%25", "matched:return_url"),
    (Full, "myapp://stripe-redirect?x=%zz", "rejected:unparseable"),
    (Full, "myapp://stripe-redirect?x=%4", "rejected:unparseable"),
    (Full, "myapp://stripe-redirect?<script>alert(1)</script>", "rejected:invalid_character"),
    (Full, "myapp://stripe-redirect?x=\"y\"", "rejected:invalid_character"),
    // ---- embedded URLs and path tricks
    (Full, "myapp://stripe-redirect//evil.com", "rejected:embedded_url"),
    (Full, "myapp://stripe-redirect/https://evil.com", "rejected:embedded_url"),
    (Full, "https://example.com//evil.com/fc-return", "rejected:embedded_url"),
    (Full, "https://example.com/fc-return//", "rejected:embedded_url"),
    (Full, "https://example.com/fc-return/../admin", "rejected:path_traversal"),
    (Full, "https://example.com/x/../fc-return", "rejected:path_traversal"),
    (Full, "https://example.com/./fc-return", "rejected:path_traversal"),
    (Full, "https://example.com/fc-return/%2e%2e/admin", "rejected:path_traversal"),
    (Full, "https://example.com/fc-return/.%2E/admin", "rejected:path_traversal"),
    (Full, "https://example.com/fc-return%2f..%2fadmin", "rejected:encoded_path_separator"),
    (Full, "https://example.com/fc-return%5Cadmin", "rejected:encoded_path_separator"),
    (Full, "https://example.com/fc-return%252f..", "rejected:double_encoding"),
    (Full, "https://example.com/%252e%252e/fc-return", "rejected:double_encoding"),
    // ---- other schemes and intent: URIs
    (Full, "intent://stripe-redirect#Intent;scheme=myapp;package=com.evil;end", "rejected:intent_uri"),
    (Full, "INTENT:#Intent;component=com.evil/.X;end", "rejected:intent_uri"),
    (Full, "myapp://stripe-redirect#Intent;scheme=myapp;end", "rejected:intent_uri"),
    (Full, "javascript:alert(document.cookie)", "rejected:scheme_mismatch"),
    (Full, "JavaScript://stripe-redirect/%0aalert(1)", "rejected:encoded_control_character"),
    (Full, "data:text/html,<script>alert(1)</script>", "rejected:invalid_character"),
    (Full, "data:text/html;base64,PHNjcmlwdD4=", "rejected:scheme_mismatch"),
    (Full, "file:///data/data/com.example.app/x", "rejected:scheme_mismatch"),
    (Full, "content://com.example.app.provider/x", "rejected:scheme_mismatch"),
    // ---- garbage
    (Full, "", "rejected:empty"),
    (Full, "myapp", "rejected:unparseable"),
    (Full, "://stripe-redirect", "rejected:unparseable"),
    (Full, "1myapp://stripe-redirect", "rejected:unparseable"),
    (Full, "my_app://stripe-redirect", "rejected:unparseable"),
    (Full, "%6dyapp://stripe-redirect", "rejected:unparseable"),
    (Full, "¯\\_(ツ)_/¯", "rejected:non_ascii"),
    // ---- Stripe's Android forms
    (Full, "stripe-auth://link-accounts/com.example.app/success", "matched:stripe_android/status=success"),
    (Full, "stripe-auth://link-accounts/com.example.app/success?payment_method=eyJ4Ijox&last4=6789", "matched:stripe_android/status=success"),
    (Full, "stripe-auth://link-accounts/com.example.app/cancel", "matched:stripe_android/status=cancel"),
    (Full, "stripe-auth://link-accounts/com.example.app/authentication_return?code=x#authSessionId=fcauthsess_1&state=y", "matched:stripe_android/status=authentication_return"),
    (Full, "stripe-auth://link-native-accounts/com.example.app/authentication_return", "matched:stripe_android/status=authentication_return"),
    (Full, "stripe://auth-redirect/com.example.app?status=success", "matched:stripe_android/status=success"),
    (Full, "stripe://auth-redirect/com.example.app?status=failure&error_reason=account_numbers_unavailable", "matched:stripe_android/status=failure"),
    (Full, "stripe://auth-redirect/com.example.app", "matched:stripe_android"),
    (Full, "stripe-auth://native-redirect/com.example.app/https://bank.example/oauth?x=1", "rejected:not_a_return"),
    (Full, "stripe-auth://native-redirect/com.example.app/", "rejected:not_a_return"),
    (Full, "stripe-auth://link-accounts/com.evil.app/success", "rejected:app_id_mismatch"),
    (Full, "stripe-auth://link-accounts/com.example.application/success", "rejected:app_id_mismatch"),
    (Full, "stripe-auth://link-accounts/COM.EXAMPLE.APP/success", "rejected:app_id_mismatch"),
    (Full, "stripe://auth-redirect/com.example.app.evil", "rejected:app_id_mismatch"),
    (Full, "stripe-auth://link-accounts/com.example.app/fail", "rejected:path_mismatch"),
    (Full, "stripe-auth://link-accounts/com.example.app/success/x", "rejected:path_mismatch"),
    (Full, "stripe-auth://link-accounts/com.example.app/success#x", "rejected:fragment"),
    (Full, "stripe-auth://link-native-accounts/com.example.app/cancel", "rejected:path_mismatch"),
    (Full, "stripe://auth-redirect/com.example.app/authentication_return", "rejected:path_mismatch"),
    (Full, "stripe-auth://link-accounts/com.example.app/%2e%2e/success", "rejected:path_traversal"),
    (Full, "stripe-auth://link-accounts//com.example.app/success", "rejected:embedded_url"),
    (Full, "stripe-auth://evil@link-accounts/com.example.app/success", "rejected:userinfo"),
    (Full, "stripe-auth://link-accounts.evil.io/com.example.app/success", "rejected:host_mismatch"),
    (Full, "stripe-auth://link-accounts:80/com.example.app/success", "rejected:port_mismatch"),
    (Full, "stripesdk://payment_return_url/com.example.app", "rejected:scheme_mismatch"),
    // ---- required query item configuration
    (CustomWithQuery, "myapp://stripe-redirect/fc?flow=fc", "matched:return_url"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?status=success&flow=fc", "matched:return_url/status=success"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?flow=%66%63", "matched:return_url"),
    (CustomWithQuery, "myapp://stripe-redirect/fc", "rejected:missing_query_item"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?flo=fc", "rejected:missing_query_item"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?flow=FC", "rejected:query_item_mismatch"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?flow=fc&flow=evil", "rejected:query_item_mismatch"),
    (CustomWithQuery, "myapp://stripe-redirect/fc?flow=f+c", "rejected:query_item_mismatch"),
    (CustomWithQuery, "myapp://stripe-redirect?flow=fc", "rejected:path_mismatch"),
    (CustomWithQuery, "stripe-auth://link-accounts/com.example.app/success", "rejected:scheme_mismatch"),
    (CustomWithQuery, "stripe-auth://native-redirect/com.example.app/x", "rejected:scheme_mismatch"),
    // ---- app id only
    (AppIdOnly, "stripe-auth://link-accounts/com.example.app/cancel", "matched:stripe_android/status=cancel"),
    (AppIdOnly, "stripe://auth-redirect/com.example.app?status=cancel", "matched:stripe_android/status=cancel"),
    (AppIdOnly, "myapp://stripe-redirect", "rejected:scheme_mismatch"),
    (AppIdOnly, "https://example.com/fc-return", "rejected:scheme_mismatch"),
    (AppIdOnly, "stripe-auth://native-redirect/com.example.app/x", "rejected:not_a_return"),
    // ---- configured punycode host
    (Punycode, "https://xn--bcher-kva.example/return", "matched:return_url"),
    (Punycode, "https://XN--BCHER-KVA.example/return", "matched:return_url"),
    (Punycode, "https://xn--bcher-kvb.example/return", "rejected:non_ascii_host"),
    (Punycode, "https://bücher.example/return", "rejected:non_ascii_host"),
    (Punycode, "https://bucher.example/return", "rejected:host_mismatch"),
];

#[test]
fn table_of_deep_links() {
    assert!(
        TABLE.len() >= 70,
        "the table must stay comprehensive ({} rows)",
        TABLE.len()
    );
    let configured: Vec<(Cfg, ReturnUrlRules)> = [Full, CustomWithQuery, AppIdOnly, Punycode]
        .into_iter()
        .map(|c| (c, rules(c)))
        .collect();
    let mut failures = Vec::new();
    for (cfg, input, expected) in TABLE {
        let rules = &configured
            .iter()
            .find(|(c, _)| c == cfg)
            .expect("configured")
            .1;
        let got = verdict(&rules.classify(input));
        if got != *expected {
            failures.push(format!("{cfg:?} {input:?}: expected {expected}, got {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn table_rows_are_unique() {
    let mut seen = std::collections::HashSet::new();
    for (cfg, input, _) in TABLE {
        assert!(
            seen.insert((*cfg, *input)),
            "duplicate row {cfg:?} {input:?}"
        );
    }
}

// ---------------------------------------------------------------- properties

/// URLs that match [`Cfg::Full`].
const VALID: &[&str] = &[
    "myapp://stripe-redirect",
    "myapp://stripe-redirect?status=success&session_id=fcsess_1",
    "https://example.com/fc-return",
    "https://example.com/fc-return?status=failure&error_reason=x",
    "stripe-auth://link-accounts/com.example.app/success?last4=1234",
    "stripe-auth://link-accounts/com.example.app/cancel",
    "stripe-auth://link-accounts/com.example.app/authentication_return#code=1",
    "stripe-auth://link-native-accounts/com.example.app/authentication_return",
    "stripe://auth-redirect/com.example.app?status=cancel",
];

/// What a matched URL must look like once parsed by the WHATWG parser: `(scheme, host, path)`.
const ALLOWED_TARGETS: &[(&str, &str, &str)] = &[
    ("myapp", "stripe-redirect", ""),
    ("https", "example.com", "/fc-return"),
    ("stripe-auth", "link-accounts", "/com.example.app/success"),
    ("stripe-auth", "link-accounts", "/com.example.app/cancel"),
    (
        "stripe-auth",
        "link-accounts",
        "/com.example.app/authentication_return",
    ),
    (
        "stripe-auth",
        "link-native-accounts",
        "/com.example.app/authentication_return",
    ),
    ("stripe", "auth-redirect", "/com.example.app"),
];

/// Checks the invariants of a classification of any input.
fn check_invariants(rules: &ReturnUrlRules, input: &str) -> Result<(), TestCaseError> {
    let c = rules.classify(input);
    prop_assert_eq!(
        &c,
        &rules.classify(input),
        "classification is deterministic"
    );
    if let UrlClassification::Matched(m) = &c {
        let url = url::Url::parse(input);
        prop_assert!(url.is_ok(), "matched but unparseable: {:?}", input);
        let url = url.unwrap();
        let target = (
            url.scheme(),
            url.host_str().unwrap_or("").to_ascii_lowercase(),
            url.path(),
        );
        prop_assert!(
            ALLOWED_TARGETS
                .iter()
                .any(|(s, h, p)| (*s, h.to_string(), *p) == (target.0, target.1.clone(), target.2)),
            "matched {:?} with unexpected target {:?}",
            input,
            target
        );
        prop_assert!(url.username().is_empty() && url.password().is_none());
        prop_assert_eq!(url.port(), None);
        prop_assert!(input.len() <= finconn_core::return_url::MAX_INPUT_LEN);
        prop_assert_eq!(
            m.kind == MatchKind::StripeAndroid,
            url.scheme().starts_with("stripe"),
            "kind follows the scheme"
        );
        let safe = |s: &str| {
            !s.is_empty()
                && s.len() <= finconn_core::return_url::MAX_HINT_LEN
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b))
        };
        if let Some(RedirectStatus::Unknown(s)) = &m.hints.status {
            prop_assert!(safe(s), "unsafe status hint {:?}", s);
        }
        if let Some(s) = &m.hints.error_reason {
            prop_assert!(safe(s), "unsafe error hint {:?}", s);
        }
        if let Some(s) = &m.hints.session_id {
            prop_assert!(
                safe(s) && s.starts_with("fcsess_"),
                "bad session hint {:?}",
                s
            );
        }
    }
    Ok(())
}

/// One edit of a URL, aimed at the characters that matter to URL parsers.
#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, char),
    Delete(usize),
    Replace(usize, char),
    PercentEncode(usize),
    FlipCase(usize),
    DuplicateTail(usize),
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            '/', '\\', '.', '%', '@', '#', '?', '&', '=', ':', ';', '+', '~', '-', '_', ' ', '\t',
            '\n', '\0', '0', '2', 'e', 'f', 'x', 'A', '[', ']', '<', '"', '\u{7f}', '\u{a0}',
            '\u{202e}', 'а', 'é', '\u{ff0f}',
        ]),
        1 => any::<char>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), interesting_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), interesting_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        any::<usize>().prop_map(Mutation::PercentEncode),
        any::<usize>().prop_map(Mutation::FlipCase),
        any::<usize>().prop_map(Mutation::DuplicateTail),
    ]
}

fn apply(url: &str, m: &Mutation) -> String {
    let chars: Vec<char> = url.chars().collect();
    let at = |i: usize| {
        if chars.is_empty() {
            0
        } else {
            i % (chars.len() + 1)
        }
    };
    let idx = |i: usize| {
        if chars.is_empty() {
            None
        } else {
            Some(i % chars.len())
        }
    };
    let mut out = chars.clone();
    match *m {
        Mutation::Insert(i, c) => out.insert(at(i), c),
        Mutation::Delete(i) => {
            if let Some(i) = idx(i) {
                out.remove(i);
            }
        }
        Mutation::Replace(i, c) => {
            if let Some(i) = idx(i) {
                out[i] = c;
            }
        }
        Mutation::PercentEncode(i) => {
            if let Some(i) = idx(i) {
                let mut buf = [0u8; 4];
                let encoded: String = out[i]
                    .encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect();
                out.splice(i..=i, encoded.chars());
            }
        }
        Mutation::FlipCase(i) => {
            if let Some(i) = idx(i) {
                let c = out[i];
                out[i] = if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
            }
        }
        Mutation::DuplicateTail(i) => {
            let i = at(i);
            let tail: Vec<char> = out[i..].to_vec();
            out.extend(tail);
        }
    }
    out.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_strings(input in any::<String>()) {
        check_invariants(&rules(Full), &input)?;
    }

    #[test]
    fn never_panics_on_url_like_strings(input in "[a-zA-Z+.-]{0,12}:(//)?[a-zA-Z0-9%@:._\\[\\]\\\\/?#&=~-]{0,80}") {
        check_invariants(&rules(Full), &input)?;
        check_invariants(&rules(AppIdOnly), &input)?;
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let input = String::from_utf8_lossy(&bytes);
        check_invariants(&rules(Full), &input)?;
    }

    #[test]
    fn never_panics_on_mutations_of_valid_urls(
        base in prop::sample::select(VALID),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut url = base.to_owned();
        for m in &mutations {
            url = apply(&url, m);
        }
        check_invariants(&rules(Full), &url)?;
    }

    #[test]
    fn extra_query_items_are_tolerated(
        base in prop::sample::select(VALID),
        extra in prop::collection::vec(("[a-z_]{1,12}", "[A-Za-z0-9_.~-]{0,24}"), 1..6),
    ) {
        let hint_keys = ["status", "error_reason", "error", "reason", "session_id", "session",
                         "fc_session", "financial_connections_session", "fcsess"];
        let (before_fragment, fragment) = match base.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (base, None),
        };
        let mut url = before_fragment.to_owned();
        for (k, v) in &extra {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(k);
            url.push('=');
            url.push_str(v);
        }
        if let Some(f) = fragment {
            url.push('#');
            url.push_str(f);
        }
        let c = rules(Full).classify(&url);
        prop_assert!(c.is_match(), "{} -> {:?}", url, c);
        let original = rules(Full).classify(base);
        if extra.iter().all(|(k, _)| !hint_keys.contains(&k.as_str())) {
            prop_assert_eq!(c, original, "unrelated extra items change nothing");
        }
        check_invariants(&rules(Full), &url)?;
    }

    #[test]
    fn scheme_and_host_case_never_matters(base in prop::sample::select(VALID), flips in any::<u64>()) {
        let (scheme_host, rest) = {
            let start = base.find("://").unwrap() + 3;
            let end = base[start..].find(['/', '?', '#']).map_or(base.len(), |e| start + e);
            (&base[..end], &base[end..])
        };
        let flipped: String = scheme_host
            .chars()
            .enumerate()
            .map(|(i, c)| if flips >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        let url = format!("{flipped}{rest}");
        prop_assert_eq!(rules(Full).classify(&url), rules(Full).classify(base));
    }
}
