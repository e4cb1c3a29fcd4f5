//! Unit tests of the return-URL rules: configuration errors, each classification step, hints, and
//! the coherence of the reason codes. The big table of deep links lives in `tests/deep_links.rs`.

use super::*;

const APP: &str = "com.example.app";

fn rules() -> ReturnUrlRules {
    ReturnUrlRules::new(
        &["myapp://stripe-redirect", "https://example.com/fc-return"],
        Some(APP),
    )
    .unwrap()
}

fn reason(rules: &ReturnUrlRules, input: &str) -> Option<RejectReason> {
    rules.classify(input).reject_reason()
}

fn hints_of(rules: &ReturnUrlRules, input: &str) -> ReturnUrlHints {
    match rules.classify(input) {
        UrlClassification::Matched(m) => m.hints,
        other => panic!("{input} should match, got {other:?}"),
    }
}

// ---------------------------------------------------------------- configuration

#[test]
fn accepts_custom_schemes_and_https() {
    let r = ReturnUrlRules::new(
        &[
            "myapp://stripe-redirect",
            "MyApp.Beta+x://Host_1.example/a/b?flow=fc",
            "https://Example.com:443",
            "https://example.com:8443/fc-return/?k=v&k2=",
            "https://my_host.example/x",
        ],
        None,
    )
    .unwrap();
    assert_eq!(r.return_urls().count(), 5);
    assert!(r.is_match("https://MY_HOST.example/x"));
    assert_eq!(r.android_app_id(), None);
    let c = &r.configured()[1];
    assert_eq!(
        (c.scheme.as_str(), c.host.as_str()),
        ("myapp.beta+x", "host_1.example")
    );
    let c = &r.configured()[2];
    assert_eq!((c.port, c.path.as_str()), (None, "/"));
    let c = &r.configured()[3];
    assert_eq!(c.port, Some(8443));
    assert_eq!(
        c.query,
        vec![("k".into(), "v".into()), ("k2".into(), String::new())]
    );
}

#[test]
fn app_id_alone_is_enough_and_duplicates_merge() {
    let r = ReturnUrlRules::new(&[] as &[&str], Some(APP)).unwrap();
    assert_eq!(r.android_app_id(), Some(APP));
    let r = ReturnUrlRules::new(&["myapp://x", "myapp://x"], None).unwrap();
    assert_eq!(r.return_urls().collect::<Vec<_>>(), vec!["myapp://x"]);
    // `new` takes owned strings too.
    let owned = vec![String::from("myapp://x")];
    assert!(ReturnUrlRules::new(&owned, None).is_ok());
}

#[test]
fn refuses_bad_configurations_with_clear_messages() {
    use ReturnUrlConfigError as E;
    type IsExpected = fn(&E) -> bool;
    let cases: &[(&str, IsExpected, &str)] = &[
        ("", |e| matches!(e, E::Empty { index: 0 }), "is empty"),
        (
            " myapp://x",
            |e| matches!(e, E::ControlCharacter { .. }),
            "whitespace",
        ),
        (
            "myapp://x\n",
            |e| matches!(e, E::ControlCharacter { .. }),
            "control",
        ),
        (
            "myapp://exämple",
            |e| matches!(e, E::NonAscii { .. }),
            "punycode",
        ),
        (
            "myapp://x\\y",
            |e| matches!(e, E::Backslash { .. }),
            "backslash",
        ),
        (
            "not a url",
            |e| matches!(e, E::ControlCharacter { .. }),
            "whitespace",
        ),
        (
            "stripe-redirect",
            |e| matches!(e, E::Malformed { .. }),
            "valid scheme",
        ),
        (
            "1app://x",
            |e| matches!(e, E::Malformed { .. }),
            "valid scheme",
        ),
        (
            "http://example.com/x",
            |e| matches!(e, E::HttpNotAllowed { .. }),
            "use `https`",
        ),
        (
            "HTTP://example.com/x",
            |e| matches!(e, E::HttpNotAllowed { .. }),
            "use `https`",
        ),
        (
            "javascript:alert(1)",
            |e| matches!(e, E::ForbiddenScheme { .. }),
            "`javascript`",
        ),
        (
            "data:text/html,x",
            |e| matches!(e, E::ForbiddenScheme { .. }),
            "`data`",
        ),
        (
            "file:///etc/passwd",
            |e| matches!(e, E::ForbiddenScheme { .. }),
            "`file`",
        ),
        (
            "intent://x#Intent;end",
            |e| matches!(e, E::ForbiddenScheme { .. }),
            "`intent`",
        ),
        (
            "stripe-auth://link-accounts/x",
            |e| matches!(e, E::ReservedScheme { .. }),
            "reserved",
        ),
        (
            "stripe://auth-redirect/x",
            |e| matches!(e, E::ReservedScheme { .. }),
            "reserved",
        ),
        (
            "myapp:stripe-redirect",
            |e| matches!(e, E::Malformed { .. }),
            "`//`",
        ),
        (
            "myapp:///stripe-redirect",
            |e| matches!(e, E::InvalidHost { .. }),
            "empty",
        ),
        (
            "https://user@example.com/x",
            |e| matches!(e, E::Userinfo { .. }),
            "userinfo",
        ),
        (
            "https://example.com/x#frag",
            |e| matches!(e, E::Fragment { .. }),
            "fragment",
        ),
        (
            "https://example.com/x#",
            |e| matches!(e, E::Fragment { .. }),
            "fragment",
        ),
        (
            "https://exa%6dple.com/x",
            |e| matches!(e, E::InvalidHost { .. }),
            "percent",
        ),
        (
            "https://[::1]/x",
            |e| matches!(e, E::InvalidHost { .. }),
            "IP literal",
        ),
        (
            "https://example.com./x",
            |e| matches!(e, E::InvalidHost { .. }),
            "empty label",
        ),
        (
            "https://example.com:0/x",
            |e| matches!(e, E::InvalidPort { .. }),
            "1-65535",
        ),
        (
            "https://example.com:/x",
            |e| matches!(e, E::InvalidPort { .. }),
            "1-65535",
        ),
        (
            "https://example.com:0443/x",
            |e| matches!(e, E::InvalidPort { .. }),
            "leading",
        ),
        (
            "https://example.com/a%20b",
            |e| matches!(e, E::InvalidPath { .. }),
            "percent",
        ),
        (
            "https://example.com/a//b",
            |e| matches!(e, E::InvalidPath { .. }),
            "`//`",
        ),
        (
            "https://example.com/a/../b",
            |e| matches!(e, E::InvalidPath { .. }),
            "`..`",
        ),
        (
            "https://example.com/a|b",
            |e| matches!(e, E::InvalidPath { .. }),
            "not allowed",
        ),
        (
            "https://example.com/<x>",
            |e| matches!(e, E::Malformed { .. }),
            "`<`",
        ),
        (
            "https://example.com/x?a",
            |e| matches!(e, E::InvalidQuery { .. }),
            "key=value",
        ),
        (
            "https://example.com/x?a=1&&b=2",
            |e| matches!(e, E::InvalidQuery { .. }),
            "key=value",
        ),
        (
            "https://example.com/x?=1",
            |e| matches!(e, E::InvalidQuery { .. }),
            "empty key",
        ),
        (
            "https://example.com/x?a=1&a=2",
            |e| matches!(e, E::InvalidQuery { .. }),
            "twice",
        ),
        (
            "https://example.com/x?a=b+c",
            |e| matches!(e, E::InvalidQuery { .. }),
            "letters",
        ),
    ];
    for (url, is_expected, needle) in cases {
        let err = ReturnUrlRules::new(&[*url], None).expect_err(url);
        assert!(is_expected(&err), "{url}: unexpected {err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains(needle),
            "{url}: message `{msg}` lacks `{needle}`"
        );
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_CONFIG_URL_LEN));
    let err = ReturnUrlRules::new(&[long.as_str()], None).unwrap_err();
    assert!(matches!(err, E::TooLong { .. }));
    assert!(
        err.to_string().len() < 300,
        "long URLs are shortened in messages"
    );
}

#[test]
fn refuses_nothing_configured_and_too_many() {
    let err = ReturnUrlRules::new(&[] as &[&str], None).unwrap_err();
    assert_eq!(err, ReturnUrlConfigError::NothingConfigured);
    assert!(err.to_string().contains("at least one"));
    let many: Vec<String> = (0..=MAX_CONFIGURED_RETURN_URLS)
        .map(|i| format!("myapp://h{i}"))
        .collect();
    assert!(matches!(
        ReturnUrlRules::new(&many, None),
        Err(ReturnUrlConfigError::TooManyReturnUrls { .. })
    ));
}

#[test]
fn validates_android_app_ids() {
    for ok in ["com.example.app", "a.b", "Com.Ex_1.A2", "io.x_.y"] {
        assert!(
            ReturnUrlRules::new(&[] as &[&str], Some(ok)).is_ok(),
            "{ok}"
        );
    }
    for (bad, needle) in [
        ("", "empty"),
        ("app", "two segments"),
        ("com..app", "empty segment"),
        (".com.app", "empty segment"),
        ("com.app.", "empty segment"),
        ("com.1app", "start with"),
        ("com._app", "start with"),
        ("com.ex-ample", "letters, digits"),
        ("com.exämple", "letters, digits"),
        ("com.example/app", "letters, digits"),
        ("com.example app", "letters, digits"),
    ] {
        let err = ReturnUrlRules::new(&[] as &[&str], Some(bad)).expect_err(bad);
        assert!(
            matches!(err, ReturnUrlConfigError::InvalidAndroidAppId { .. }),
            "{bad}: {err:?}"
        );
        assert!(err.to_string().contains(needle), "{bad}: {err}");
    }
    let long = format!("a.{}", "b".repeat(300));
    assert!(ReturnUrlRules::new(&[] as &[&str], Some(long.as_str())).is_err());
}

// ---------------------------------------------------------------- classification

#[test]
fn matches_configured_urls_exactly() {
    let r = rules();
    for ok in [
        "myapp://stripe-redirect",
        "MYAPP://Stripe-Redirect",
        "myapp://stripe-redirect?",
        "myapp://stripe-redirect?status=success&extra=1",
        "https://example.com/fc-return",
        "HTTPS://EXAMPLE.COM/fc-return",
        "https://example.com:443/fc-return",
        "https://example.com/fc-return?a=b&redirect=https%3A%2F%2Fx.io%2F",
    ] {
        assert!(r.classify(ok).is_match(), "{ok}: {:?}", r.classify(ok));
        assert_eq!(r.classify(ok).matched().unwrap().kind, MatchKind::ReturnUrl);
    }
    let cases = [
        ("myapp://stripe-redirect/", RejectReason::PathMismatch),
        ("myapp://stripe-redirect/x", RejectReason::PathMismatch),
        ("myapp://stripe-redirect:80", RejectReason::PortMismatch),
        ("myapp://other", RejectReason::HostMismatch),
        ("myapp:///stripe-redirect", RejectReason::HostMismatch),
        ("https://example.com/fc-return/", RejectReason::PathMismatch),
        ("https://example.com/FC-return", RejectReason::PathMismatch),
        ("https://example.com/fc-returnx", RejectReason::PathMismatch),
        (
            "https://example.com/fc%2Dreturn",
            RejectReason::PathMismatch,
        ),
        (
            "https://example.com:8443/fc-return",
            RejectReason::PortMismatch,
        ),
        (
            "https://example.com.evil.io/fc-return",
            RejectReason::HostMismatch,
        ),
        (
            "https://evil-example.com/fc-return",
            RejectReason::HostMismatch,
        ),
        (
            "https://xn--exmple-cua.com/fc-return",
            RejectReason::NonAsciiHost,
        ),
        ("https://example.com/fc-return#x", RejectReason::Fragment),
        ("https://example.com/fc-return#", RejectReason::Fragment),
        ("otherapp://stripe-redirect", RejectReason::SchemeMismatch),
        ("http://example.com/fc-return", RejectReason::SchemeMismatch),
    ];
    for (input, expected) in cases {
        assert_eq!(reason(&r, input), Some(expected), "{input}");
    }
}

#[test]
fn https_empty_path_is_slash() {
    let r = ReturnUrlRules::new(&["https://example.com"], None).unwrap();
    assert!(r.is_match("https://example.com"));
    assert!(r.is_match("https://example.com/"));
    assert!(r.is_match("https://example.com?x=1"));
    assert_eq!(
        reason(&r, "https://example.com/x"),
        Some(RejectReason::PathMismatch)
    );
    // Custom schemes: empty and `/` differ (as on iOS).
    let r = ReturnUrlRules::new(&["myapp://cb"], None).unwrap();
    assert_eq!(reason(&r, "myapp://cb/"), Some(RejectReason::PathMismatch));
}

#[test]
fn required_query_items() {
    let r = ReturnUrlRules::new(&["myapp://cb/x?flow=fc&v=1"], None).unwrap();
    assert!(r.is_match("myapp://cb/x?flow=fc&v=1"));
    assert!(r.is_match("myapp://cb/x?v=1&other=2&flow=fc"));
    assert!(
        r.is_match("myapp://cb/x?flow=f%63&v=1"),
        "values are percent-decoded"
    );
    assert!(
        r.is_match("myapp://cb/x?flow=fc&flow=fc&v=1"),
        "repeats with the same value are fine"
    );
    assert_eq!(
        reason(&r, "myapp://cb/x?flow=fc"),
        Some(RejectReason::MissingQueryItem)
    );
    assert_eq!(
        reason(&r, "myapp://cb/x"),
        Some(RejectReason::MissingQueryItem)
    );
    assert_eq!(
        reason(&r, "myapp://cb/x?flow=FC&v=1"),
        Some(RejectReason::QueryItemMismatch)
    );
    assert_eq!(
        reason(&r, "myapp://cb/x?flow=evil&flow=fc&v=1"),
        Some(RejectReason::QueryItemMismatch),
        "every occurrence must match, not just the first or last"
    );
    assert_eq!(
        reason(&r, "myapp://cb/x?flow=fc&v=1#f"),
        Some(RejectReason::Fragment)
    );
}

#[test]
fn reports_the_candidate_that_got_furthest() {
    let r = ReturnUrlRules::new(&["myapp://a/x", "myapp://b/y?k=v"], None).unwrap();
    assert_eq!(reason(&r, "myapp://c/y"), Some(RejectReason::HostMismatch));
    assert_eq!(reason(&r, "myapp://b/x"), Some(RejectReason::PathMismatch));
    assert_eq!(
        reason(&r, "myapp://b/y"),
        Some(RejectReason::MissingQueryItem)
    );
    assert!(r.is_match("myapp://a/x"));
    assert!(r.is_match("myapp://b/y?k=v"));
}

#[test]
fn hostile_inputs_get_specific_reasons() {
    let r = rules();
    let long = format!("myapp://stripe-redirect?x={}", "a".repeat(MAX_INPUT_LEN));
    let cases: Vec<(&str, RejectReason)> = vec![
        ("", RejectReason::Empty),
        (&long, RejectReason::TooLong),
        (" myapp://stripe-redirect", RejectReason::ControlCharacter),
        ("myapp://stripe-redirect\t", RejectReason::ControlCharacter),
        (
            "myapp://stripe-redirect?x=\u{7f}",
            RejectReason::ControlCharacter,
        ),
        ("https://exаmple.com/fc-return", RejectReason::NonAsciiHost), // Cyrillic а
        ("https://example.com/fc-return?x=é", RejectReason::NonAscii),
        (
            "https://example.com\\@evil.io/fc-return",
            RejectReason::Backslash,
        ),
        (
            "https://example.com/fc-return?<script>",
            RejectReason::InvalidCharacter,
        ),
        (
            "https://example.com/fc-return?x=%00",
            RejectReason::EncodedNul,
        ),
        (
            "https://example.com/fc-return?x=%0d%0aSet-Cookie:1",
            RejectReason::EncodedControlCharacter,
        ),
        (
            "https://example.com/fc-return?x=%250a",
            RejectReason::EncodedControlCharacter,
        ),
        (
            "https://example.com/fc-return?x=%",
            RejectReason::Unparseable,
        ),
        (
            "intent://stripe-redirect#Intent;scheme=myapp;end",
            RejectReason::IntentUri,
        ),
        ("INTENT:#Intent;end", RejectReason::IntentUri),
        (
            "myapp://stripe-redirect#intent;end",
            RejectReason::IntentUri,
        ),
        ("://stripe-redirect", RejectReason::Unparseable),
        ("stripe-redirect", RejectReason::Unparseable),
        ("https:example.com/fc-return", RejectReason::Unparseable),
        ("https:/example.com/fc-return", RejectReason::Unparseable),
        (
            "https://example.com:abc/fc-return",
            RejectReason::Unparseable,
        ),
        (
            "https://example.com@evil.io/fc-return",
            RejectReason::Userinfo,
        ),
        (
            "https://evil.io@example.com/fc-return",
            RejectReason::Userinfo,
        ),
        (
            "https://example.com%2eevil.io/fc-return",
            RejectReason::InvalidHost,
        ),
        ("https://[::1]/fc-return", RejectReason::InvalidHost),
        (
            "myapp://stripe-redirect//evil.com",
            RejectReason::EmbeddedUrl,
        ),
        ("https://example.com//fc-return", RejectReason::EmbeddedUrl),
        (
            "https://example.com/fc-return/../admin",
            RejectReason::PathTraversal,
        ),
        (
            "https://example.com/admin/../fc-return",
            RejectReason::PathTraversal,
        ),
        (
            "https://example.com/fc-return/%2e%2e/admin",
            RejectReason::PathTraversal,
        ),
        (
            "https://example.com/fc-return%2F..%2Fadmin",
            RejectReason::EncodedPathSeparator,
        ),
        (
            "https://example.com/fc-return%252F",
            RejectReason::DoubleEncoding,
        ),
        ("javascript:alert(1)", RejectReason::SchemeMismatch),
        (
            "data:text/html;base64,PHNjcmlwdD4=",
            RejectReason::SchemeMismatch,
        ),
        ("file:///etc/passwd", RejectReason::SchemeMismatch),
    ];
    for (input, expected) in cases {
        assert_eq!(reason(&r, input), Some(expected), "{input}");
    }
}

#[test]
fn stripe_android_forms() {
    let r = rules();
    for (ok, status) in [
        (
            "stripe-auth://link-accounts/com.example.app/success",
            RedirectStatus::Success,
        ),
        (
            "stripe-auth://link-accounts/com.example.app/cancel?x=1",
            RedirectStatus::Cancel,
        ),
        (
            "stripe-auth://link-accounts/com.example.app/authentication_return#code=1&state=x",
            RedirectStatus::AuthenticationReturn,
        ),
        (
            "stripe-auth://link-native-accounts/com.example.app/authentication_return?a=1#b",
            RedirectStatus::AuthenticationReturn,
        ),
        (
            "stripe://auth-redirect/com.example.app?status=failure",
            RedirectStatus::Failure,
        ),
        (
            "STRIPE://Auth-Redirect/com.example.app?status=success",
            RedirectStatus::Success,
        ),
    ] {
        let c = r.classify(ok);
        let m = c.matched().unwrap_or_else(|| panic!("{ok}: {c:?}"));
        assert_eq!(m.kind, MatchKind::StripeAndroid, "{ok}");
        assert_eq!(m.hints.status, Some(status), "{ok}");
    }
    let cases = [
        (
            "stripe-auth://native-redirect/com.example.app/https://bank.example/x",
            RejectReason::NotAReturn,
        ),
        (
            "stripe-auth://NATIVE-REDIRECT/com.example.app/x",
            RejectReason::NotAReturn,
        ),
        (
            "stripe-auth://link-accounts/com.example.app.evil/success",
            RejectReason::AppIdMismatch,
        ),
        (
            "stripe-auth://link-accounts/com.Example.app/success",
            RejectReason::AppIdMismatch,
        ),
        (
            "stripe-auth://link-accounts/com.example.app/successx",
            RejectReason::PathMismatch,
        ),
        (
            "stripe-auth://link-accounts/com.example.app/success/",
            RejectReason::PathMismatch,
        ),
        (
            "stripe-auth://link-accounts/com.example.app",
            RejectReason::PathMismatch,
        ),
        ("stripe-auth://link-accounts", RejectReason::PathMismatch),
        (
            "stripe-auth://link-accounts/com.example.app/success#x",
            RejectReason::Fragment,
        ),
        (
            "stripe-auth://link-native-accounts/com.example.app/success",
            RejectReason::PathMismatch,
        ),
        (
            "stripe-auth://auth-redirect/com.example.app",
            RejectReason::HostMismatch,
        ),
        (
            "stripe://auth-redirect/com.example.app/",
            RejectReason::PathMismatch,
        ),
        (
            "stripe://auth-redirect/com.example.app/success",
            RejectReason::PathMismatch,
        ),
        (
            "stripe://auth-redirect/com.example.appx",
            RejectReason::AppIdMismatch,
        ),
        (
            "stripe://auth-redirect/com.example.app#x",
            RejectReason::Fragment,
        ),
        (
            "stripe://auth-redirect:1/com.example.app",
            RejectReason::PortMismatch,
        ),
        (
            "stripe://link-accounts/com.example.app/success",
            RejectReason::HostMismatch,
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(reason(&r, input), Some(expected), "{input}");
    }
    // Without an app id, Stripe's schemes are foreign.
    let no_app = ReturnUrlRules::new(&["myapp://stripe-redirect"], None).unwrap();
    for input in [
        "stripe-auth://link-accounts/com.example.app/success",
        "stripe-auth://native-redirect/com.example.app/x",
        "stripe://auth-redirect/com.example.app",
    ] {
        assert_eq!(
            reason(&no_app, input),
            Some(RejectReason::SchemeMismatch),
            "{input}"
        );
    }
}

// ---------------------------------------------------------------- hints

#[test]
fn hints_from_the_query() {
    let r = rules();
    let h = hints_of(
        &r,
        "myapp://stripe-redirect?status=Cancelled&error_reason=user_exit&session_id=fcsess_1AbC",
    );
    assert_eq!(h.status, Some(RedirectStatus::Cancel));
    assert_eq!(h.error_reason.as_deref(), Some("user_exit"));
    assert_eq!(h.session_id.as_deref(), Some("fcsess_1AbC"));

    let h = hints_of(
        &r,
        "myapp://stripe-redirect?status=weird-thing&reason=r1&error=e1&fcsess=fcsess_9",
    );
    assert_eq!(
        h.status,
        Some(RedirectStatus::Unknown("weird-thing".into()))
    );
    assert_eq!(
        h.error_reason.as_deref(),
        Some("e1"),
        "`error` ranks above `reason`"
    );
    assert_eq!(h.session_id.as_deref(), Some("fcsess_9"));

    assert_eq!(
        hints_of(&r, "myapp://stripe-redirect"),
        ReturnUrlHints::default()
    );
    let h = hints_of(
        &r,
        "myapp://stripe-redirect?st%61tus=success&error_reason=a%3Ab",
    );
    assert_eq!(
        h.status,
        Some(RedirectStatus::Success),
        "keys are percent-decoded"
    );
    assert_eq!(h.error_reason.as_deref(), Some("a:b"));
}

#[test]
fn hints_are_sanitized_or_dropped() {
    let r = rules();
    let long = "x".repeat(MAX_HINT_LEN + 1);
    for input in [
        "myapp://stripe-redirect?status=success&status=cancel".to_owned(),
        "myapp://stripe-redirect?status=".to_owned(),
        "myapp://stripe-redirect?status=a+b".to_owned(),
        "myapp://stripe-redirect?status=%3Cscript%3E".to_owned(),
        "myapp://stripe-redirect?status=%ff".to_owned(),
        format!("myapp://stripe-redirect?status={long}"),
    ] {
        assert_eq!(hints_of(&r, &input).status, None, "{input}");
    }
    for sid in [
        "acct_1",
        "fcsess_",
        "fcsess_a-b",
        "fcsess_1%26x",
        "FCSESS_1",
    ] {
        let input = format!("myapp://stripe-redirect?session_id={sid}");
        assert_eq!(hints_of(&r, &input).session_id, None, "{sid}");
    }
    // An ambiguous higher-priority key hides the lower ones: no guessing.
    let h = hints_of(
        &r,
        "myapp://stripe-redirect?error_reason=a&error_reason=b&error=c",
    );
    assert_eq!(h.error_reason, None);
    // The path status of Stripe's forms wins over the query.
    let h = hints_of(
        &r,
        "stripe-auth://link-accounts/com.example.app/cancel?status=success",
    );
    assert_eq!(h.status, Some(RedirectStatus::Cancel));
}

#[test]
fn redirect_status_round_trips() {
    for (s, expected) in [
        ("success", RedirectStatus::Success),
        ("SUCCEEDED", RedirectStatus::Success),
        ("canceled", RedirectStatus::Cancel),
        ("failed", RedirectStatus::Failure),
        ("error", RedirectStatus::Failure),
        (
            "authentication_return",
            RedirectStatus::AuthenticationReturn,
        ),
        ("pending", RedirectStatus::Unknown("pending".into())),
    ] {
        assert_eq!(RedirectStatus::from_value(s), expected);
        let json = serde_json::to_string(&expected).unwrap();
        assert_eq!(json, format!("\"{}\"", expected.as_str()));
        assert_eq!(
            serde_json::from_str::<RedirectStatus>(&json).unwrap(),
            expected
        );
    }
    let hints = ReturnUrlHints {
        status: Some(RedirectStatus::Failure),
        error_reason: Some("x".into()),
        session_id: None,
    };
    let json = serde_json::to_string(&hints).unwrap();
    assert_eq!(json, r#"{"status":"failure","error_reason":"x"}"#);
    assert_eq!(
        serde_json::from_str::<ReturnUrlHints>(&json).unwrap(),
        hints
    );
    assert_eq!(
        serde_json::from_str::<ReturnUrlHints>("{}").unwrap(),
        ReturnUrlHints::default()
    );
}

// ---------------------------------------------------------------- codes

#[test]
fn reason_codes_are_unique_snake_case_and_match_serde() {
    let mut seen = std::collections::HashSet::new();
    for reason in RejectReason::ALL {
        let code = reason.as_str();
        assert!(seen.insert(code), "duplicate code {code}");
        assert!(
            code.bytes().all(|c| c.is_ascii_lowercase() || c == b'_'),
            "{code}"
        );
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            format!("\"{code}\"")
        );
        assert_eq!(RejectReason::from_code(code), Some(reason));
        let sentence = reason.to_string();
        assert!(sentence.starts_with("the "), "{code}: {sentence}");
        assert_ne!(sentence, code);
    }
    assert_eq!(RejectReason::from_code("nope"), None);
    assert!(RejectReason::Userinfo.is_suspicious());
    assert!(!RejectReason::HostMismatch.is_suspicious());
}

#[test]
fn classification_codes() {
    let r = rules();
    assert_eq!(
        r.classify("myapp://stripe-redirect").code(),
        "matched:return_url"
    );
    assert_eq!(
        r.classify("stripe://auth-redirect/com.example.app").code(),
        "matched:stripe_android"
    );
    assert_eq!(r.classify("myapp://nope").code(), "rejected:host_mismatch");
    assert_eq!(MatchKind::ReturnUrl.as_str(), "return_url");
}

#[test]
fn rules_are_send_sync_and_cheap_to_share() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<ReturnUrlRules>();
    assert_send_sync::<UrlClassification>();
}
