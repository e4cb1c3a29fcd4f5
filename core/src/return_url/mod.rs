//! Return-URL rules: the strict, documented decision whether an incoming deep link belongs to a
//! Stripe Financial Connections flow. This module owns the configuration
//! ([`ReturnUrlRules::new`], [`ReturnUrlConfigError`]), the classifier
//! ([`ReturnUrlRules::classify`]) and its result types. It is pure: no I/O, no panics, and it
//! allocates only to build a match or to percent-decode a query item it must compare.
//!
//! **This comment is the contract the iOS and Android teams rely on.** Every rule below is tested
//! (unit tests beside the code, the table test `tests/deep_links.rs`, property tests).
//!
//! # Why so strict
//! A deep link is attacker-controlled input: any web page, e-mail, QR code or other app can open
//! `myapp://…` or an app link. Matching it loosely (prefix, `contains`, "parse then compare
//! host") is how apps get tricked into treating `https://example.com.evil.io/…` or
//! `https://example.com@evil.io/…` as their own. A false reject costs little — the flow's result is
//! always fetched from the server anyway — so when in doubt this module rejects.
//!
//! # Hints, never outcomes
//! A match carries [`ReturnUrlHints`] (status, error reason, session id) read from the URL. **They
//! are hints only.** Anyone can craft `myapp://stripe-redirect?status=success`; the outcome of a
//! flow is decided by the server's session (see `reconcile`), a hint can at most add a warning
//! when it disagrees. Never unlock anything, show "bank linked", or skip the server because of a
//! hint. The app must not read other query parameters from the raw URL either: only the sanitized
//! hints leave this module.
//!
//! # Calling it
//! Pass the link **exactly as received** — iOS `url.absoluteString`, Android
//! `intent.data?.toString()` — never decoded, trimmed or rebuilt: every rule below is about the
//! raw text, and decoding first would hide exactly the tricks they catch. A rejected link is
//! "not ours": hand it to the app's other deep-link handling (or drop it); log
//! [`RejectReason::as_str`], never the URL itself (it may carry tokens).
//!
//! # Configuration ([`ReturnUrlRules::new`])
//! At least one return URL **or** an Android application id; at most
//! [`MAX_CONFIGURED_RETURN_URLS`] return URLs (duplicates are merged). Each return URL must be:
//! * at most [`MAX_CONFIG_URL_LEN`] bytes of printable ASCII: no whitespace, control characters,
//!   backslash or non-ASCII (write IDN hosts in their `xn--` form);
//! * `scheme://host[:port][/path][?query]` with a host (`myapp:callback` and `myapp:///x` are
//!   refused);
//! * a custom scheme (`myapp://stripe-redirect`, RFC 3986 scheme syntax, stored lower-case) or
//!   `https` (universal link / app link). **`http` is refused** (a return URL is opened by other
//!   apps and browsers; cleartext is never needed), and so are schemes that are not app schemes:
//!   `javascript`, `vbscript`, `data`, `file`, `blob`, `about`, `content`, `filesystem`, `ftp`,
//!   `ws`, `wss`, `mailto`, `tel`, `sms`, `intent`, `android-app`, `chrome`. `stripe` and
//!   `stripe-auth` are reserved for Stripe's own Android redirects (configure the app id instead);
//! * without userinfo (`user@`) and without a fragment (`#…`): neither can be matched safely;
//! * with a plain host: letters, digits, `-`, `_`, `.`, no empty label, no trailing dot;
//! * with a port, if any, in 1–65535, written without leading zeros (`https://h:443` is the same
//!   as `https://h`);
//! * with a path made of RFC 3986 path characters, **no percent-encoding**, no `//`, no `.`/`..`
//!   segment. For `https` an empty path is `/` (RFC 3986 §6.2.3; browsers always send `/`);
//! * with query items written `key=value`, keys and values made of unreserved characters
//!   (`A–Z a–z 0–9 - . _ ~`), no duplicate key, no empty item;
//! * read identically by the WHATWG URL parser (`url` crate): this refuses invalid punycode and
//!   hosts a browser would rewrite, such as `0x7f.1` (an IPv4 address), which could never match.
//!
//! The Android application id (`com.example.app`) must be Java-package-like: at least two
//! `.`-separated segments, each `[A-Za-z][A-Za-z0-9_]*`, at most 255 bytes.
//!
//! # Classification ([`ReturnUrlRules::classify`])
//! Steps run in this order; the first one that fails decides the [`RejectReason`]. Codes in
//! `backticks` are [`RejectReason::as_str`].
//!
//! 1. **Size.** Empty input → `empty`; more than [`MAX_INPUT_LEN`] (4096) bytes → `too_long`.
//!    Stripe's return URLs, with the parameters it appends, are a few hundred bytes; the cap
//!    bounds the work per call and keeps absurd inputs out of logs. Input is **not trimmed**:
//!    leading/trailing whitespace is a `control_character`.
//! 2. **Byte scan**, before any parsing; the first offending byte decides:
//!    * a raw control character, DEL or space (including tab, CR, LF) → `control_character`
//!      (they split or truncate URLs differently in different parsers and logs);
//!    * a raw non-ASCII byte → `non_ascii_host` if it sits in the authority (IDN/homograph
//!      hosts), else `non_ascii`. Browsers and Stripe percent-encode non-ASCII in the links they
//!      open (RFC 3986), so a raw one means the string was hand-made or decoded on the way;
//!    * `\` anywhere → `backslash` (WHATWG parsers read it as `/` in `https` URLs, others don't);
//!    * `"`, `<` or `>` → `invalid_character` (never valid in a URI, markers of injection);
//!    * `%` not followed by two hex digits → `unparseable`;
//!    * `%00` → `encoded_nul` (truncates strings in native code); `%01`–`%1F` or `%7F` →
//!      `encoded_control_character` (header/log injection via `%0d%0a`). This applies to the
//!      whole URL, query and fragment included;
//!    * `#Intent;` (any case) → `intent_uri`.
//!
//!    Then, only if `%25` occurs: decoding the URL again, up to three more times, must not reveal
//!    a NUL or control character (`%2500`, `%25%30%30` → `encoded_nul`; `%250a` →
//!    `encoded_control_character`): double encoding defeats consumers that decode twice.
//! 3. **Scheme.** `ALPHA *(ALPHA / DIGIT / + / - / .)` then `:`, else `unparseable`. `intent`
//!    (any case) → `intent_uri` (Chrome's `intent:` URIs can launch arbitrary components).
//!    A scheme that is neither a configured scheme nor — with an app id configured — `stripe` /
//!    `stripe-auth` → `scheme_mismatch` (this is where `javascript:`, `data:`, `file:`, `http:` …
//!    end). Schemes compare case-insensitively.
//! 4. **Authority.** The scheme must be followed by `//` (`https:example.com` and
//!    `https:/example.com` are `unparseable`: WHATWG parsers would silently "fix" them). The
//!    authority runs to the first `/`, `?` or `#`. Any `@` → `userinfo`. The host may only hold
//!    letters, digits, `-`, `_`, `.` (no percent-encoding, no IP-literal brackets) → else
//!    `invalid_host`. A port must be 1–65535 without leading zeros → else `unparseable`.
//! 5. **Stripe's app-to-app hand-off.** With an app id configured, `stripe-auth://native-redirect/…`
//!    is Stripe asking the app to open the bank's app or site: it is **not a return** →
//!    `not_a_return` (the Stripe SDK handles it; the flow must not treat it as the user coming
//!    back). Checked before the path rules because its path legitimately embeds a URL.
//! 6. **Path hygiene**, on the raw path (parsers normalise these away, so they are checked before
//!    any parser sees them):
//!    * `//` anywhere (empty segment, `//evil.com`, `https://…` inside the path) → `embedded_url`;
//!    * a `.` or `..` segment, raw or percent-encoded (`%2e`, `.%2E`, …) → `path_traversal`
//!      (`https://example.com/fc-return/../admin` is *not* `/admin` for us);
//!    * `%2F` or `%5C` (encoded `/` or `\`) → `encoded_path_separator`;
//!    * `%25` (an encoded `%`: double encoding) → `double_encoding`.
//! 7. **Matching** against each configured return URL, then against Stripe's Android forms. If
//!    one matches, the URL is [`UrlClassification::Matched`]. Otherwise the reason comes from the
//!    candidate that got furthest through these checks (ties: configuration order):
//!    1. scheme (case-insensitive) → `scheme_mismatch`;
//!    2. host, exactly, case-insensitive → `host_mismatch` (`example.com.evil.io`,
//!       `evil-example.com`, `example.com.` are all mismatches), or `non_ascii_host` when the host
//!       has a punycode (`xn--`) label: an IDN look-alike unless that exact host is configured;
//!    3. port, with the scheme's default normalised (`https` 443; custom schemes have none) →
//!       `port_mismatch`;
//!    4. path, exactly, case-sensitive, byte for byte → `path_mismatch`. **A trailing-slash
//!       difference is a mismatch**: iOS (`URLComponents.path`) and Android intent filters
//!       (`android:path`) both compare paths exactly, and a server may route `/x` and `/x/`
//!       differently. The only normalisation is `https` empty path = `/`. Percent-encoded
//!       characters never match (configured paths have none). For Stripe's forms a wrong
//!       application id segment is `app_id_mismatch` (compared exactly, case-sensitive);
//!    5. query: every item of the configured URL must be present → else `missing_query_item`,
//!       and every occurrence of that key must carry exactly the configured value (after
//!       percent-decoding; `+` is *not* a space) → else `query_item_mismatch`. Extra items are
//!       always tolerated (Stripe appends its own), as on iOS;
//!    6. fragment: a `#` (even empty) → `fragment`, except on Stripe's `authentication_return`
//!       forms, whose fragment carries the app-to-app state Stripe's SDK forwards. Stripe documents
//!       that it may append *parameters* (query items) to return URLs; neither its docs nor its
//!       SDKs' return-URL handling use a fragment there, and a fragment cannot be part of an
//!       intent filter or of iOS's matching, so on a return URL it only signals a hand-made link.
//! 8. **Cross-check.** A match is re-parsed with the WHATWG parser (`url` crate), up to its query
//!    or fragment; if it disagrees on scheme, userinfo, host, port or path → `unparseable`.
//!    Defence in depth against parser differentials; with the rules above it should never fire.
//!
//! # Stripe's Android forms (only with an Android app id)
//! From `FinancialConnectionsSheetRedirectActivity` and its intent filters in stripe-android
//! (`<appId>` is the configured id, compared exactly):
//! * `stripe-auth://link-accounts/<appId>/success` and `…/cancel` — end of the web AuthFlow
//!   (status hint from the path; query tolerated);
//! * `stripe-auth://link-accounts/<appId>/authentication_return` — back from the bank's app in the
//!   web flow; `stripe-auth://link-native-accounts/<appId>/authentication_return` — same, native
//!   flow (query and fragment tolerated);
//! * `stripe://auth-redirect/<appId>` — native flow's redirect back from the web, status in
//!   `?status=success|cancel|failure` and `error_reason`; the path is exactly `/<appId>`;
//! * `stripe-auth://native-redirect/<appId>/…` — **not a return** (step 5).
//!
//! Stripe's intent filters use `pathPrefix`, which would also accept `/<appId>.evil/…`; this
//! module compares whole paths instead, as the SDK's own view models do.
//!
//! # Hints ([`ReturnUrlHints`])
//! * `status`: from the path for Stripe's `link-accounts` and `link-native-accounts` forms
//!   (`success`, `cancel`, `authentication_return`), else from the query item `status`: `success`/`succeeded` →
//!   Success, `cancel`/`canceled`/`cancelled` → Cancel, `failure`/`failed`/`error` → Failure,
//!   `authentication_return` → AuthenticationReturn (any case), anything else →
//!   `Unknown(value)`.
//! * `error_reason`: the first present of the query items `error_reason`, `error`, `reason`.
//! * `session_id`: the first present of `session_id`, `session`, `fc_session`,
//!   `financial_connections_session`, `fcsess`, and only if it looks like a session id
//!   (`fcsess_` then ASCII letters/digits).
//! * Values are percent-decoded and kept only if they are 1–128 bytes of `A–Z a–z 0–9 _ - . :`;
//!   a key given twice with different values is ambiguous and dropped. A dropped hint is `None`;
//!   it never turns a match into a reject.

mod classify;
mod config;
mod scan;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use config::ReturnUrlConfigError;

/// Longest input [`ReturnUrlRules::classify`] looks at, in bytes; longer is `too_long`.
pub const MAX_INPUT_LEN: usize = 4096;
/// Longest configured return URL, in bytes.
pub const MAX_CONFIG_URL_LEN: usize = 2048;
/// Most return URLs one [`ReturnUrlRules`] holds (keeps classification cheap and bounded).
pub const MAX_CONFIGURED_RETURN_URLS: usize = 16;
/// Longest hint value kept, in bytes.
pub const MAX_HINT_LEN: usize = 128;

/// The validated return-URL configuration of an app. Cheap to clone, immutable, `Send + Sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnUrlRules {
    rules: Vec<config::ConfiguredUrl>,
    android_app_id: Option<String>,
}

impl ReturnUrlRules {
    /// The configured return URLs, as given (after de-duplication).
    pub fn return_urls(&self) -> impl Iterator<Item = &str> + '_ {
        self.rules.iter().map(|r| r.original.as_str())
    }

    /// The configured Android application id, if any.
    pub fn android_app_id(&self) -> Option<&str> {
        self.android_app_id.as_deref()
    }

    /// Shorthand for `self.classify(input).is_match()`.
    pub fn is_match(&self, input: &str) -> bool {
        self.classify(input).is_match()
    }
}

/// The verdict on one deep link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlClassification {
    /// The link belongs to a Financial Connections flow of this app.
    Matched(ReturnUrlMatch),
    /// The link is not ours (or is hostile); handle it as any other link, or drop it.
    Rejected(RejectReason),
}

impl UrlClassification {
    pub fn is_match(&self) -> bool {
        matches!(self, UrlClassification::Matched(_))
    }

    /// The match, if any.
    pub fn matched(&self) -> Option<&ReturnUrlMatch> {
        match self {
            UrlClassification::Matched(m) => Some(m),
            UrlClassification::Rejected(_) => None,
        }
    }

    /// The reject reason, if any.
    pub fn reject_reason(&self) -> Option<RejectReason> {
        match self {
            UrlClassification::Matched(_) => None,
            UrlClassification::Rejected(reason) => Some(*reason),
        }
    }

    /// `matched:<kind>` or `rejected:<code>`, for logs and tests.
    pub fn code(&self) -> String {
        match self {
            UrlClassification::Matched(m) => format!("matched:{}", m.kind.as_str()),
            UrlClassification::Rejected(reason) => format!("rejected:{}", reason.as_str()),
        }
    }
}

/// A deep link that belongs to a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnUrlMatch {
    pub kind: MatchKind,
    /// What the URL *claims*. Hints only: the outcome always comes from the server.
    pub hints: ReturnUrlHints,
}

/// Which rule matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum MatchKind {
    /// One of the app's configured return URLs (custom scheme or https link).
    ReturnUrl,
    /// One of Stripe's `stripe-auth://` / `stripe://` Android redirects for the configured app id.
    StripeAndroid,
}

impl MatchKind {
    /// `return_url` or `stripe_android`.
    pub fn as_str(&self) -> &'static str {
        match self {
            MatchKind::ReturnUrl => "return_url",
            MatchKind::StripeAndroid => "stripe_android",
        }
    }
}

/// What a matched URL says about the flow. **Hints only, never trusted**: a URL can be crafted by
/// anyone; the flow's outcome is decided by the server's session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnUrlHints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RedirectStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
}

/// The status a return URL claims. Serialized as its [`as_str`](Self::as_str) string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RedirectStatus {
    Success,
    Cancel,
    Failure,
    /// Back from the bank's app or site; says nothing about the outcome.
    AuthenticationReturn,
    /// A status value this SDK does not know (sanitized, see the module docs).
    Unknown(String),
}

impl RedirectStatus {
    /// `success`, `cancel`, `failure`, `authentication_return`, or the unknown value itself.
    pub fn as_str(&self) -> &str {
        match self {
            RedirectStatus::Success => "success",
            RedirectStatus::Cancel => "cancel",
            RedirectStatus::Failure => "failure",
            RedirectStatus::AuthenticationReturn => "authentication_return",
            RedirectStatus::Unknown(s) => s,
        }
    }

    /// Reads a status value (case-insensitive, with the synonyms listed in the module docs).
    /// Never fails: anything else is `Unknown`.
    pub fn from_value(value: &str) -> RedirectStatus {
        const TABLE: &[(&str, RedirectStatus)] = &[
            ("success", RedirectStatus::Success),
            ("succeeded", RedirectStatus::Success),
            ("cancel", RedirectStatus::Cancel),
            ("canceled", RedirectStatus::Cancel),
            ("cancelled", RedirectStatus::Cancel),
            ("failure", RedirectStatus::Failure),
            ("failed", RedirectStatus::Failure),
            ("error", RedirectStatus::Failure),
            (
                "authentication_return",
                RedirectStatus::AuthenticationReturn,
            ),
        ];
        TABLE
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|(_, status)| status.clone())
            .unwrap_or_else(|| RedirectStatus::Unknown(value.to_owned()))
    }
}

impl std::fmt::Display for RedirectStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RedirectStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RedirectStatus {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Ok(RedirectStatus::from_value(&s))
    }
}

/// Why a deep link was rejected. [`as_str`](Self::as_str) is a stable snake_case code (also the
/// serde form); `Display` is a sentence for developers. See the module docs for the exact rules
/// and their order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_INPUT_LEN} bytes")]
    TooLong,
    #[error("the URL contains whitespace or a raw control character")]
    ControlCharacter,
    #[error("the URL contains a raw non-ASCII character outside its host")]
    NonAscii,
    #[error(
        "the host is not plain ASCII (raw non-ASCII or an unconfigured punycode `xn--` label)"
    )]
    NonAsciiHost,
    #[error("the URL contains a backslash")]
    Backslash,
    #[error("the URL contains a character that is never valid in a URL (`\"`, `<` or `>`)")]
    InvalidCharacter,
    #[error("the URL contains a percent-encoded NUL (`%00`), possibly double-encoded")]
    EncodedNul,
    #[error("the URL contains a percent-encoded control character (`%0A`, `%0D`, …), possibly double-encoded")]
    EncodedControlCharacter,
    #[error("the URL is an Android `intent:` URI")]
    IntentUri,
    #[error("the URL is not a well-formed `scheme://host/path` URL")]
    Unparseable,
    #[error("the URL carries userinfo (`user@host`)")]
    Userinfo,
    #[error(
        "the host contains characters a hostname cannot have (percent-encoding, IP literal, …)"
    )]
    InvalidHost,
    #[error("the path embeds another URL or an empty segment (`//`)")]
    EmbeddedUrl,
    #[error("the path contains a `.` or `..` segment, possibly percent-encoded")]
    PathTraversal,
    #[error("the path contains an encoded `/` or `\\` (`%2F`, `%5C`)")]
    EncodedPathSeparator,
    #[error("the path is double-encoded (`%25`)")]
    DoubleEncoding,
    #[error("the scheme is not one of the configured return URLs' schemes")]
    SchemeMismatch,
    #[error("the host is not the configured return URL's host")]
    HostMismatch,
    #[error("the port is not the configured return URL's port")]
    PortMismatch,
    #[error("the path is not exactly the configured return URL's path")]
    PathMismatch,
    #[error("the Android application id in the Stripe redirect is not this app's")]
    AppIdMismatch,
    #[error("the URL lacks a query item that the configured return URL requires")]
    MissingQueryItem,
    #[error("the URL gives another value to a query item that the configured return URL requires")]
    QueryItemMismatch,
    #[error("the URL has a fragment (`#…`), which return URLs never carry")]
    Fragment,
    #[error("the URL is Stripe asking to open the bank's app (`stripe-auth://native-redirect`), not a return")]
    NotAReturn,
}

impl RejectReason {
    /// Every reason, in the order the checks run.
    pub const ALL: [RejectReason; 26] = [
        RejectReason::Empty,
        RejectReason::TooLong,
        RejectReason::ControlCharacter,
        RejectReason::NonAscii,
        RejectReason::NonAsciiHost,
        RejectReason::Backslash,
        RejectReason::InvalidCharacter,
        RejectReason::EncodedNul,
        RejectReason::EncodedControlCharacter,
        RejectReason::IntentUri,
        RejectReason::Unparseable,
        RejectReason::Userinfo,
        RejectReason::InvalidHost,
        RejectReason::NotAReturn,
        RejectReason::EmbeddedUrl,
        RejectReason::PathTraversal,
        RejectReason::EncodedPathSeparator,
        RejectReason::DoubleEncoding,
        RejectReason::SchemeMismatch,
        RejectReason::HostMismatch,
        RejectReason::PortMismatch,
        RejectReason::PathMismatch,
        RejectReason::AppIdMismatch,
        RejectReason::MissingQueryItem,
        RejectReason::QueryItemMismatch,
        RejectReason::Fragment,
    ];

    /// The short stable snake_case code (`host_mismatch`, `encoded_nul`, …).
    pub fn as_str(&self) -> &'static str {
        match self {
            RejectReason::Empty => "empty",
            RejectReason::TooLong => "too_long",
            RejectReason::ControlCharacter => "control_character",
            RejectReason::NonAscii => "non_ascii",
            RejectReason::NonAsciiHost => "non_ascii_host",
            RejectReason::Backslash => "backslash",
            RejectReason::InvalidCharacter => "invalid_character",
            RejectReason::EncodedNul => "encoded_nul",
            RejectReason::EncodedControlCharacter => "encoded_control_character",
            RejectReason::IntentUri => "intent_uri",
            RejectReason::Unparseable => "unparseable",
            RejectReason::Userinfo => "userinfo",
            RejectReason::InvalidHost => "invalid_host",
            RejectReason::EmbeddedUrl => "embedded_url",
            RejectReason::PathTraversal => "path_traversal",
            RejectReason::EncodedPathSeparator => "encoded_path_separator",
            RejectReason::DoubleEncoding => "double_encoding",
            RejectReason::SchemeMismatch => "scheme_mismatch",
            RejectReason::HostMismatch => "host_mismatch",
            RejectReason::PortMismatch => "port_mismatch",
            RejectReason::PathMismatch => "path_mismatch",
            RejectReason::AppIdMismatch => "app_id_mismatch",
            RejectReason::MissingQueryItem => "missing_query_item",
            RejectReason::QueryItemMismatch => "query_item_mismatch",
            RejectReason::Fragment => "fragment",
            RejectReason::NotAReturn => "not_a_return",
        }
    }

    /// The reason with this [`as_str`](Self::as_str) code.
    pub fn from_code(code: &str) -> Option<RejectReason> {
        RejectReason::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// True for reasons that mean "crafted or mangled", as opposed to "simply another link"
    /// (`scheme_mismatch`, `host_mismatch`, `port_mismatch`, `path_mismatch`, `app_id_mismatch`,
    /// `missing_query_item`, `query_item_mismatch`, `not_a_return`, `empty`). Useful to decide
    /// what to log or report.
    pub fn is_suspicious(&self) -> bool {
        !matches!(
            self,
            RejectReason::Empty
                | RejectReason::SchemeMismatch
                | RejectReason::HostMismatch
                | RejectReason::PortMismatch
                | RejectReason::PathMismatch
                | RejectReason::AppIdMismatch
                | RejectReason::MissingQueryItem
                | RejectReason::QueryItemMismatch
                | RejectReason::NotAReturn
        )
    }
}
