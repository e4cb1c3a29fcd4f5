//! Every rule the core applies at the network boundary, in one place. The transport only carries
//! bytes; these functions decide what is sent and what an answer may do.
//!
//! | rule | where |
//! |---|---|
//! | base URLs are `https` (plain `http` only on loopback), without credentials, query or fragment | [`BaseUrl::parse`] |
//! | endpoint paths are `/`-separated literal segments of unreserved characters and `{id}` | [`PathTemplate::parse`] |
//! | ids become one percent-encoded segment; the joined URL is parsed again and must keep the base's scheme, host, port and the expected path | [`BaseUrl::join`] |
//! | the host's headers may add, never override [`RESERVED_HEADERS`]; a name or value with a control character is a configuration error | [`check_header`], [`host_headers`] |
//! | redirects are never followed: any 3xx is an error, and its `Location` is neither read nor logged | [`is_redirect`] |
//! | bodies are capped ([`DEFAULT_MAX_RESPONSE_BYTES`]); a larger one is an error, never retried | [`within_cap`] |
//! | every transport call is bounded by the core's own timer | [`call_deadline`] |
//! | an error body contributes only the contract's `error.code` and a scrubbed message of at most [`MAX_ERROR_MESSAGE_CHARS`] characters | [`error_detail`] |
//! | anything shaped like a Stripe secret, key or token is replaced by `[redacted]` in every error and log line | [`scrub`] |
//! | request ids (`Request-Id`, `X-Request-Id`) are kept for support, when they look like ids | [`request_id`] |
//! | `Retry-After` is read in seconds | [`retry_after`] |

use std::time::Duration;

use super::HttpResponse;

/// The response cap when the app configures none: 1 MiB. The largest answer of the contract (a
/// session with 100 accounts) is about 150 KB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// The longest error message taken from a server's error body.
pub const MAX_ERROR_MESSAGE_CHARS: usize = 200;

/// What replaces a secret in any text the core produces.
pub const REDACTED: &str = "[redacted]";

/// Headers the host's provider may not set: the core sets them, or the transport derives them
/// from the request. Lower case.
pub const RESERVED_HEADERS: &[&str] = &[
    "idempotency-key",
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
    "connection",
    // The core reads bodies as sent; a compressed body would be unreadable.
    "accept-encoding",
];

/// The response headers the core reads (a transport may drop every other one). Lower case.
pub const RESPONSE_HEADERS: &[&str] =
    &["retry-after", "content-type", "request-id", "x-request-id"];

/// The longest header value the core sends or reads.
const MAX_HEADER_VALUE: usize = 8 * 1024;

/// A configuration the policy refuses. Each is a developer mistake, found when the client is
/// created or before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("{what} {value:?} is not an absolute URL")]
    NotAUrl { what: &'static str, value: String },
    #[error("{what} must use https (plain http only for loopback hosts during development)")]
    Insecure { what: &'static str },
    #[error(
        "{what} must not contain credentials, a query or a fragment; pass credentials as headers"
    )]
    UrlExtras { what: &'static str },
    #[error("endpoint path {path:?} is invalid: {reason}")]
    InvalidPath { path: String, reason: &'static str },
    #[error("the URL built for {endpoint} leaves the configured base URL")]
    LeavesBase { endpoint: &'static str },
    #[error("{endpoint}: an id or query value cannot be sent: {reason}")]
    InvalidPathValue {
        endpoint: &'static str,
        reason: &'static str,
    },
    #[error("header {name:?} is invalid: {reason}")]
    InvalidHeader { name: String, reason: &'static str },
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A checked base URL: `https://host[:port][/prefix]`, or `http://` on a loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: url::Url,
}

impl BaseUrl {
    /// Parses and checks a base URL; `what` names it in the error.
    pub fn parse(raw: &str, what: &'static str) -> Result<BaseUrl, PolicyError> {
        let url = url::Url::parse(raw.trim()).map_err(|_| PolicyError::NotAUrl {
            what,
            value: scrub(raw),
        })?;
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(PolicyError::UrlExtras { what });
        }
        if url.host().is_none() {
            return Err(PolicyError::NotAUrl {
                what,
                value: scrub(raw),
            });
        }
        match url.scheme() {
            "https" => Ok(BaseUrl { url }),
            "http" if is_loopback(&url) => Ok(BaseUrl { url }),
            _ => Err(PolicyError::Insecure { what }),
        }
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// True for plain http (only ever on loopback).
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// True when the host is loopback.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }

    /// `scheme://host[:port]` with the base's path prefix, without a trailing slash.
    fn prefix(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// The URL of an endpoint: the template's segments after the base's path, each `{id}` replaced
    /// by the next of `ids` as one percent-encoded segment, then `query` form-encoded. The result
    /// is parsed again and must have the base's scheme, host and port and exactly the path that
    /// was built, or it is refused.
    pub fn join(
        &self,
        endpoint: &'static str,
        template: &PathTemplate,
        ids: &[&str],
        query: &[(&str, &str)],
    ) -> Result<String, PolicyError> {
        let placeholders = template
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Id))
            .count();
        if placeholders != ids.len() {
            return Err(PolicyError::InvalidPathValue {
                endpoint,
                reason: "the path has a different number of {id} placeholders",
            });
        }
        let mut ids = ids.iter();
        let mut path = String::new();
        for segment in &template.segments {
            path.push('/');
            match segment {
                Segment::Literal(s) => path.push_str(s),
                Segment::Id => {
                    let id = ids.next().copied().unwrap_or_default();
                    if id.is_empty() || id.bytes().all(|b| b == b'.') {
                        return Err(PolicyError::InvalidPathValue {
                            endpoint,
                            reason: "an id is empty or a dot segment",
                        });
                    }
                    path.push_str(&encode_segment(id));
                }
            }
        }
        let mut out = format!("{}{}", self.prefix(), path);
        if !query.is_empty() {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                q.append_pair(k, v);
            }
            out.push('?');
            out.push_str(&q.finish());
        }
        let parsed = url::Url::parse(&out).map_err(|_| PolicyError::LeavesBase { endpoint })?;
        let expected_path = format!("{}{}", self.url.path().trim_end_matches('/'), path);
        if parsed.scheme() != self.url.scheme()
            || parsed.host() != self.url.host()
            || parsed.port_or_known_default() != self.url.port_or_known_default()
            || parsed.path() != expected_path
            || !parsed.username().is_empty()
            || parsed.password().is_some()
            || parsed.fragment().is_some()
        {
            return Err(PolicyError::LeavesBase { endpoint });
        }
        Ok(out)
    }
}

/// Percent-encodes everything but `[A-Za-z0-9_.~-]`: the value stays one path segment.
fn encode_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'~' | b'.') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Id,
}

/// A configured endpoint path such as `/financial-connections/sessions/{id}/complete`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    raw: String,
    segments: Vec<Segment>,
}

impl PathTemplate {
    /// Checks a path: it starts with `/`, has no empty, `.` or `..` segment, and every segment is
    /// either `{id}` or made of `[A-Za-z0-9_.~-]`. So no configuration can add a host (`@`,
    /// `//`), a query, a fragment, a backslash, an escape or whitespace.
    pub fn parse(raw: &str) -> Result<PathTemplate, PolicyError> {
        let bad = |reason| PolicyError::InvalidPath {
            path: raw.chars().take(200).collect(),
            reason,
        };
        let rest = raw
            .strip_prefix('/')
            .ok_or_else(|| bad("it must start with /"))?;
        if rest.is_empty() {
            return Err(bad("it is empty"));
        }
        let mut segments = Vec::new();
        for s in rest.split('/') {
            if s.is_empty() {
                return Err(bad("it has an empty segment (// or a trailing /)"));
            }
            if s == "{id}" {
                segments.push(Segment::Id);
                continue;
            }
            if s == "." || s == ".." {
                return Err(bad("it has a . or .. segment"));
            }
            if !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'~' | b'.'))
            {
                return Err(bad(
                    "segments may only hold letters, digits, - _ . ~ or be exactly {id}",
                ));
            }
            segments.push(Segment::Literal(s.to_owned()));
        }
        Ok(PathTemplate {
            raw: raw.to_owned(),
            segments,
        })
    }

    /// How many `{id}` placeholders it has.
    pub fn placeholders(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Id))
            .count()
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

/// Checks one header: the name is an RFC 9110 token, the value has no control character (CR, LF,
/// NUL, …; horizontal tab aside) and is at most 8 KiB.
pub fn check_header(name: &str, value: &str) -> Result<(), PolicyError> {
    let bad = |reason| PolicyError::InvalidHeader {
        name: scrub(&name.chars().take(64).collect::<String>()),
        reason,
    };
    if name.is_empty() || name.len() > 256 {
        return Err(bad("the name is empty or too long"));
    }
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if !name.bytes().all(token) {
        return Err(bad("the name has a character outside RFC 9110's token set"));
    }
    if value.len() > MAX_HEADER_VALUE {
        return Err(bad("the value is longer than 8 KiB"));
    }
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(bad(
            "the value contains a control character (CR, LF, NUL, …)",
        ));
    }
    Ok(())
}

/// Header name/value pairs, in order.
pub type Headers = Vec<(String, String)>;

/// The host's headers as they will be sent: each checked with [`check_header`] (any failure
/// refuses the whole call, nothing is sent), [`RESERVED_HEADERS`] removed. Returns the headers
/// and the reserved names that were dropped (for a warning).
pub fn host_headers(provided: Headers) -> Result<(Headers, Vec<String>), PolicyError> {
    let mut kept = Vec::with_capacity(provided.len());
    let mut dropped = Vec::new();
    for (name, value) in provided {
        check_header(&name, &value)?;
        if RESERVED_HEADERS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&name))
        {
            dropped.push(name.to_ascii_lowercase());
        } else {
            kept.push((name, value));
        }
    }
    Ok((kept, dropped))
}

/// Redirects are answers, never followed.
pub fn is_redirect(status: u16) -> bool {
    (300..400).contains(&status)
}

/// Whether a body fits the cap.
pub fn within_cap(body_len: usize, cap: u64) -> bool {
    body_len as u64 <= cap
}

/// How long the core waits for a transport call, whatever the transport does: the request's own
/// timeout plus a short grace for the transport to report its own timeout first.
pub fn call_deadline(timeout: Duration) -> Duration {
    timeout + Duration::from_millis(500).min(timeout / 2 + Duration::from_millis(50))
}

/// `Retry-After` in seconds (fractions allowed); dates and garbage are ignored.
pub fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let v = response.header("retry-after")?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && (0.0..=86_400.0).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// The server's request id (`Request-Id`, Stripe's name, or `X-Request-Id`), when it looks like
/// one: 1 to 128 characters of `[A-Za-z0-9_.:-]`, and nothing shaped like a secret.
pub fn request_id(response: &HttpResponse) -> Option<String> {
    let v = response
        .header("request-id")
        .or_else(|| response.header("x-request-id"))?
        .trim();
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
        && scrub(v) == v;
    ok.then(|| v.to_owned())
}

/// What an error body may tell: the contract's `error.code` and a short, scrubbed message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDetail {
    /// `error.code`, when it is `[a-z0-9_]{1,64}`.
    pub code: Option<String>,
    /// `error.message` (or the contract's alternatives `{"error": "…"}`, `{"message": "…"}`),
    /// scrubbed, then cut to [`MAX_ERROR_MESSAGE_CHARS`]. `None` when the body has no message
    /// (an HTML page, garbage, nothing): raw bodies are never shown.
    pub message: Option<String>,
}

/// Reads an error body under the rules above.
pub fn error_detail(body: &[u8]) -> ErrorDetail {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return ErrorDetail::default();
    };
    let code = v
        .pointer("/error/code")
        .and_then(serde_json::Value::as_str)
        .filter(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned);
    let message = v
        .pointer("/error/message")
        .or_else(|| v.get("error").filter(|e| e.is_string()))
        .or_else(|| v.get("message"))
        .and_then(serde_json::Value::as_str)
        .map(|m| {
            // Scrub first: a cut must not leave half a secret unrecognised.
            let clean = scrub(m);
            let mut out: String = clean
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_ERROR_MESSAGE_CHARS)
                .collect();
            if clean.chars().count() > MAX_ERROR_MESSAGE_CHARS {
                out.push('…');
            }
            out
        })
        .filter(|m| !m.trim().is_empty());
    ErrorDetail { code, message }
}

/// The URL without its query and fragment, for logs and `Debug`.
pub fn url_for_logs(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    scrub(&url[..end])
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'%' | b'-')
}

/// Ends a secret value that follows a key name: whitespace and the JSON, query and markup
/// delimiters.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace() || b"&\"',;}])<>".contains(&b)
}

/// Lower-cased, with `%5f` and `-` read as `_`, so encoded secrets and header names match too.
fn normalized(word: &str) -> String {
    word.to_ascii_lowercase()
        .replace("%5f", "_")
        .replace('-', "_")
}

fn is_secret_word(word: &str) -> bool {
    let w = normalized(word);
    const KEY_PREFIXES: &[&str] = &[
        "pk_test_", "pk_live_", "sk_test_", "sk_live_", "rk_test_", "rk_live_", "whsec_",
    ];
    w.contains("_secret_")
        || KEY_PREFIXES.iter().any(|p| w.starts_with(p))
        || (w.starts_with("rt_") && w.len() > 3)
}

/// Names whose value is a secret whatever its shape (`client_secret=…`, `"report_token": "…"`,
/// `X-Api-Key: …`, `Bearer …`).
fn names_a_secret(word: &str) -> bool {
    let w = normalized(word);
    const NAMES: &[&str] = &[
        "client_secret",
        "report_token",
        "publishable_key",
        "secret_key",
        "api_key",
        "access_token",
        "refresh_token",
        "password",
    ];
    w == "bearer" || NAMES.iter().any(|n| w.ends_with(n))
}

/// Replaces anything shaped like a Stripe secret, key or token with [`REDACTED`]: words holding
/// `_secret_` (client secrets), `pk_`/`sk_`/`rk_` + `test_`/`live_` keys, `whsec_…`, report tokens
/// `rt_…`, and the value after a name such as `client_secret`, `report_token`, `api_key` or
/// `Bearer` (separated by `=`, `:`, quotes or spaces). Percent-encoded forms (`%5F` for `_`) are
/// recognised too.
pub fn scrub(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // After a name of a secret: `Some(needs_separator)`. A key name needs `=`, `:` or a quote
    // before its value (`client_secret=…`, `"report_token": "…"`); `Bearer` only a space.
    let mut expect_value: Option<bool> = None;
    let mut saw_separator = false;
    while i < bytes.len() {
        let b = bytes[i];
        if let Some(needs_separator) = expect_value {
            if matches!(b, b'=' | b':' | b'"' | b'\'' | b'\\') {
                saw_separator = true;
                out.push(b as char);
                i += 1;
                continue;
            }
            if b == b' ' {
                out.push(' ');
                i += 1;
                continue;
            }
            let lower3 = text.get(i..i + 3).map(str::to_ascii_lowercase);
            if matches!(lower3.as_deref(), Some("%22" | "%3d" | "%3a" | "%20")) {
                saw_separator = true;
                out.push_str(&text[i..i + 3]);
                i += 3;
                continue;
            }
            expect_value = None;
            if !needs_separator || saw_separator {
                let start = i;
                while i < bytes.len() && !ends_value(bytes[i]) {
                    i += 1;
                }
                if i > start {
                    out.push_str(REDACTED);
                }
                continue;
            }
        }
        if is_word(b) {
            let start = i;
            while i < bytes.len() && is_word(bytes[i]) {
                i += 1;
            }
            let word = &text[start..i];
            if is_secret_word(word) {
                out.push_str(REDACTED);
            } else {
                out.push_str(word);
                if names_a_secret(word) {
                    expect_value = Some(normalized(word) != "bearer");
                    saw_separator = false;
                }
            }
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status: 400,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        for ok in [
            "https://api.example.com",
            "https://api.example.com/",
            "https://api.example.com/v2",
            "http://127.0.0.1:8080",
            "http://127.0.0.2:1",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(BaseUrl::parse(ok, "x").is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://127.0.0.1.evil.com",
            // plain http to a host that is not loopback (an emulator's alias for the dev machine)
            "http://dev-machine.invalid:4242",
            "ftp://x",
            "https://u:p@x.com",
            "https://x.com/?a=1",
            "https://x.com/#f",
            "not a url",
            "file:///etc/passwd",
            "javascript:alert(1)",
        ] {
            assert!(BaseUrl::parse(bad, "backend URL").is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_cannot_leave_the_base() {
        for bad in [
            "@otherhost:9/x",
            "/@otherhost/x",
            "//otherhost/x",
            "/a/../b",
            "/a/./b",
            "/a//b",
            "/a/",
            "a/b",
            "/a?x=1",
            "/a#f",
            "/a\\b",
            "/a b",
            "/a%2F..",
            "/{id}x",
            "/{other}",
            "",
            "/",
        ] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad:?}");
        }
        let t = PathTemplate::parse("/financial-connections/sessions/{id}/complete").unwrap();
        assert_eq!(t.placeholders(), 1);
    }

    #[test]
    fn joined_urls_keep_scheme_host_port_and_path() {
        let base = BaseUrl::parse("https://api.example.com/prefix/", "b").unwrap();
        let t = PathTemplate::parse("/s/{id}/complete").unwrap();
        assert_eq!(
            base.join("e", &t, &["fcsess_1"], &[]).unwrap(),
            "https://api.example.com/prefix/s/fcsess_1/complete"
        );
        // Hostile ids stay one segment or are refused.
        assert_eq!(
            base.join("e", &t, &["a/../../x"], &[]).unwrap(),
            "https://api.example.com/prefix/s/a%2F..%2F..%2Fx/complete"
        );
        assert_eq!(
            base.join("e", &t, &["a b?c#d@e"], &[]).unwrap(),
            "https://api.example.com/prefix/s/a%20b%3Fc%23d%40e/complete"
        );
        for id in ["", ".", ".."] {
            assert!(base.join("e", &t, &[id], &[]).is_err(), "{id:?}");
        }
        assert!(base.join("e", &t, &[], &[]).is_err());
        let list = PathTemplate::parse("/accounts/{id}/transactions").unwrap();
        assert_eq!(
            base.join("e", &list, &["fca_1"], &[("starting_after", "fctxn_1"), ("x", "a&b=c")])
                .unwrap(),
            "https://api.example.com/prefix/accounts/fca_1/transactions?starting_after=fctxn_1&x=a%26b%3Dc"
        );
    }

    #[test]
    fn headers_with_control_characters_are_refused() {
        for (n, v) in [
            ("X-A", "a\r\nX-Injected: 1"),
            ("X-A", "a\nb"),
            ("X-A", "a\0b"),
            ("X-A", "a\x7fb"),
            ("X A", "v"),
            ("X-A\r\n", "v"),
            ("", "v"),
            ("X:A", "v"),
        ] {
            assert!(check_header(n, v).is_err(), "{n:?}: {v:?}");
        }
        assert!(check_header("Authorization", "Bearer abc\tdef").is_ok());
        let (kept, dropped) = host_headers(vec![
            ("Authorization".into(), "Bearer t".into()),
            ("Idempotency-Key".into(), "mine".into()),
            ("content-TYPE".into(), "text/plain".into()),
            ("Host".into(), "evil".into()),
        ])
        .unwrap();
        assert_eq!(
            kept,
            vec![("Authorization".to_string(), "Bearer t".to_string())]
        );
        assert_eq!(dropped, ["idempotency-key", "content-type", "host"]);
        let e = host_headers(vec![
            ("X-Ok".into(), "1".into()),
            ("X-Bad".into(), "a\r\nb".into()),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("X-Bad") && !e.to_string().contains("a\r\nb"));
    }

    #[test]
    fn secrets_are_scrubbed_in_every_shape() {
        let cases = [
            ("client_secret=fcsess_1abc_secret_XYZ&x=1", "XYZ"),
            ("fcsess_1abc_secret_XYZ", "XYZ"),
            ("fcsess%5F1abc%5Fsecret%5FXYZ", "XYZ"),
            ("key pk_test_51ABCdef and sk_live_999 rk_test_x", "51ABCdef"),
            ("sk_live_999", "999"),
            ("token rt_abcdef123", "abcdef123"),
            ("{\"client_secret\": \"opaque-value-1\"}", "value"),
            ("{\"report_token\":\"t0k.123\"}", "t0k"),
            ("x-api-key: k3y-v4lue", "v4lue"),
            ("client_secret: opaque2", "opaque2"),
            ("Authorization: Bearer user-token-77", "user-token-77"),
            ("whsec_hook", "hook"),
        ];
        for (text, secret) in cases {
            let s = scrub(text);
            assert!(!s.contains(secret), "{text:?} -> {s:?}");
            assert!(s.contains(REDACTED), "{text:?} -> {s:?}");
        }
        for harmless in [
            "no such session for this user",
            "report_token is wrong",
            "the secret is out",
            "pk_ alone",
            "rt_",
            "fca_1Pgc76B7WZ01zgkWqlYVCIub",
        ] {
            assert_eq!(scrub(harmless), harmless);
        }
    }

    #[test]
    fn error_bodies_give_code_and_a_short_scrubbed_message_only() {
        let d = error_detail(
            br#"{"error": {"code": "session_not_found", "message": "no such session"}}"#,
        );
        assert_eq!(d.code.as_deref(), Some("session_not_found"));
        assert_eq!(d.message.as_deref(), Some("no such session"));
        assert_eq!(
            error_detail(br#"{"error": "nope"}"#).message.as_deref(),
            Some("nope")
        );
        assert_eq!(
            error_detail(br#"{"message": "m"}"#).message.as_deref(),
            Some("m")
        );
        assert_eq!(
            error_detail(b"<html>secret page</html>"),
            ErrorDetail::default()
        );
        assert_eq!(error_detail(b""), ErrorDetail::default());
        let long = format!(
            r#"{{"error": {{"code": "Bad Code!", "message": "{}fcsess_1_secret_abc"}}}}"#,
            "x".repeat(195)
        );
        let d = error_detail(long.as_bytes());
        assert_eq!(d.code, None);
        let m = d.message.unwrap();
        assert!(m.chars().count() <= MAX_ERROR_MESSAGE_CHARS + 1, "{m}");
        assert!(!m.contains("_secret_") && !m.contains("abc"), "{m}");
    }

    #[test]
    fn request_ids_retry_after_and_logs() {
        let r = response(&[("Request-Id", "req_123"), ("Retry-After", "1.5")], "");
        assert_eq!(request_id(&r).as_deref(), Some("req_123"));
        assert_eq!(retry_after(&r), Some(Duration::from_millis(1500)));
        let r = response(&[("x-request-id", "abc-1")], "");
        assert_eq!(request_id(&r).as_deref(), Some("abc-1"));
        for bad in ["", "a b", "fcsess_1_secret_x", &"a".repeat(200), "a\r\nb"] {
            assert_eq!(
                request_id(&response(&[("request-id", bad)], "")),
                None,
                "{bad:?}"
            );
        }
        for bad in ["soon", "-1", "NaN", "1e9"] {
            assert_eq!(
                retry_after(&response(&[("retry-after", bad)], "")),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            url_for_logs("https://api.stripe.com/v1/x?client_secret=fcsess_1_secret_2"),
            "https://api.stripe.com/v1/x"
        );
        assert!(is_redirect(301) && is_redirect(308) && !is_redirect(200) && !is_redirect(400));
        assert!(call_deadline(Duration::from_secs(30)) <= Duration::from_millis(30_500));
        assert!(call_deadline(Duration::from_millis(100)) > Duration::from_millis(100));
    }
}
