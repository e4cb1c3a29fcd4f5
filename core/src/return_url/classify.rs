//! Classification: [`ReturnUrlRules::classify`] runs the steps documented in the parent module —
//! byte-level checks, strict split, Stripe's hand-off, path hygiene, matching against the
//! configured return URLs and Stripe's Android forms, the WHATWG cross-check — and extracts the
//! sanitized [`ReturnUrlHints`].

use super::config::ConfiguredUrl;
use super::scan::{self, RawUrl, SplitError};
use super::{
    MatchKind, RedirectStatus, RejectReason, ReturnUrlHints, ReturnUrlMatch, ReturnUrlRules,
    UrlClassification, MAX_HINT_LEN,
};

/// How far a candidate rule got before failing (higher is further), used to pick the most
/// informative reject reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Scheme,
    Host,
    Port,
    Path,
    Query,
    Fragment,
}

type Miss = (Stage, RejectReason);

/// Which of Stripe's Android forms matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StripeForm {
    /// `stripe-auth://link-accounts/<appId>/success`.
    LinkAccountsSuccess,
    /// `stripe-auth://link-accounts/<appId>/cancel`.
    LinkAccountsCancel,
    /// `stripe-auth://link-accounts/<appId>/authentication_return`.
    LinkAccountsAuthReturn,
    /// `stripe-auth://link-native-accounts/<appId>/authentication_return`.
    LinkNativeAuthReturn,
    /// `stripe://auth-redirect/<appId>`.
    AuthRedirect,
}

impl StripeForm {
    fn scheme_and_host(self) -> (&'static str, &'static str) {
        match self {
            StripeForm::LinkAccountsSuccess
            | StripeForm::LinkAccountsCancel
            | StripeForm::LinkAccountsAuthReturn => ("stripe-auth", "link-accounts"),
            StripeForm::LinkNativeAuthReturn => ("stripe-auth", "link-native-accounts"),
            StripeForm::AuthRedirect => ("stripe", "auth-redirect"),
        }
    }

    /// The status the path itself carries.
    fn path_status(self) -> Option<RedirectStatus> {
        match self {
            StripeForm::LinkAccountsSuccess => Some(RedirectStatus::Success),
            StripeForm::LinkAccountsCancel => Some(RedirectStatus::Cancel),
            StripeForm::LinkAccountsAuthReturn | StripeForm::LinkNativeAuthReturn => {
                Some(RedirectStatus::AuthenticationReturn)
            }
            StripeForm::AuthRedirect => None,
        }
    }

    /// Only the app-to-app returns carry a fragment (the state Stripe's SDK forwards).
    fn allows_fragment(self) -> bool {
        matches!(
            self,
            StripeForm::LinkAccountsAuthReturn | StripeForm::LinkNativeAuthReturn
        )
    }
}

impl ReturnUrlRules {
    /// Decides whether `input` is one of this app's Financial Connections return URLs (or one of
    /// Stripe's Android redirects for the configured app id). Never panics. See the module docs
    /// for the exact rules and their order.
    pub fn classify(&self, input: &str) -> UrlClassification {
        match self.classify_inner(input) {
            Ok(m) => UrlClassification::Matched(m),
            Err(reason) => UrlClassification::Rejected(reason),
        }
    }

    fn classify_inner(&self, input: &str) -> Result<ReturnUrlMatch, RejectReason> {
        scan::prescan(input)?;
        let (scheme, rest) = scan::split_scheme(input).ok_or(RejectReason::Unparseable)?;
        if scheme.eq_ignore_ascii_case("intent") {
            return Err(RejectReason::IntentUri);
        }
        let stripe_scheme = self.android_app_id.is_some()
            && (scheme.eq_ignore_ascii_case("stripe")
                || scheme.eq_ignore_ascii_case("stripe-auth"));
        if !stripe_scheme
            && !self
                .configured()
                .iter()
                .any(|r| r.scheme.eq_ignore_ascii_case(scheme))
        {
            return Err(RejectReason::SchemeMismatch);
        }
        let raw = scan::split_authority(scheme, rest).map_err(|e| match e {
            SplitError::NoAuthority | SplitError::BadPort => RejectReason::Unparseable,
            SplitError::Userinfo => RejectReason::Userinfo,
            SplitError::BadHost => RejectReason::InvalidHost,
        })?;
        if stripe_scheme
            && scheme.eq_ignore_ascii_case("stripe-auth")
            && raw.host.eq_ignore_ascii_case("native-redirect")
        {
            return Err(RejectReason::NotAReturn);
        }
        scan::check_path(raw.path)?;

        let mut furthest: Option<Miss> = None;
        let mut note = |miss: Miss| {
            if furthest.is_none_or(|f| miss.0 > f.0) {
                furthest = Some(miss);
            }
        };
        for rule in self.configured() {
            match match_configured(rule, &raw) {
                Ok(()) => {
                    cross_check(input, &rule.scheme, &rule.host, rule.port, &rule.path)?;
                    return Ok(ReturnUrlMatch {
                        kind: MatchKind::ReturnUrl,
                        hints: hints(raw.query, None),
                    });
                }
                Err(miss) => note(miss),
            }
        }
        if let (true, Some(app_id)) = (stripe_scheme, self.android_app_id.as_deref()) {
            match match_stripe(app_id, &raw) {
                Ok(form) => {
                    let (scheme, host) = form.scheme_and_host();
                    cross_check(input, scheme, host, None, raw.path)?;
                    return Ok(ReturnUrlMatch {
                        kind: MatchKind::StripeAndroid,
                        hints: hints(raw.query, form.path_status()),
                    });
                }
                Err(miss) => note(miss),
            }
        }
        Err(furthest.map_or(RejectReason::SchemeMismatch, |(_, reason)| reason))
    }
}

fn host_miss(host: &str) -> Miss {
    let reason = if scan::has_punycode_label(host) {
        RejectReason::NonAsciiHost
    } else {
        RejectReason::HostMismatch
    };
    (Stage::Host, reason)
}

fn match_configured(rule: &ConfiguredUrl, raw: &RawUrl<'_>) -> Result<(), Miss> {
    if !rule.scheme.eq_ignore_ascii_case(raw.scheme) {
        return Err((Stage::Scheme, RejectReason::SchemeMismatch));
    }
    if !rule.host.eq_ignore_ascii_case(raw.host) {
        return Err(host_miss(raw.host));
    }
    let port = match (rule.scheme.as_str(), raw.port) {
        ("https", Some(443)) => None,
        (_, port) => port,
    };
    if port != rule.port {
        return Err((Stage::Port, RejectReason::PortMismatch));
    }
    let path = if raw.path.is_empty() && rule.scheme == "https" {
        "/"
    } else {
        raw.path
    };
    if path != rule.path {
        return Err((Stage::Path, RejectReason::PathMismatch));
    }
    for (key, value) in &rule.query {
        let mut present = false;
        for (k, v) in raw.query.into_iter().flat_map(scan::query_items) {
            if scan::percent_decode(k).as_deref() != Some(key.as_str()) {
                continue;
            }
            present = true;
            if scan::percent_decode(v).as_deref() != Some(value.as_str()) {
                return Err((Stage::Query, RejectReason::QueryItemMismatch));
            }
        }
        if !present {
            return Err((Stage::Query, RejectReason::MissingQueryItem));
        }
    }
    if raw.fragment.is_some() {
        return Err((Stage::Fragment, RejectReason::Fragment));
    }
    Ok(())
}

fn match_stripe(app_id: &str, raw: &RawUrl<'_>) -> Result<StripeForm, Miss> {
    let link_accounts = raw.host.eq_ignore_ascii_case("link-accounts");
    let link_native = raw.host.eq_ignore_ascii_case("link-native-accounts");
    let auth_redirect = raw.host.eq_ignore_ascii_case("auth-redirect");
    let host_ok = if raw.scheme.eq_ignore_ascii_case("stripe-auth") {
        link_accounts || link_native
    } else {
        auth_redirect
    };
    if !host_ok {
        return Err(host_miss(raw.host));
    }
    if raw.port.is_some() {
        return Err((Stage::Port, RejectReason::PortMismatch));
    }
    let path_miss = (Stage::Path, RejectReason::PathMismatch);
    let Some(after_slash) = raw.path.strip_prefix('/').filter(|p| !p.is_empty()) else {
        return Err(path_miss);
    };
    let (first, rest) = match after_slash.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (after_slash, None),
    };
    if first != app_id {
        return Err((Stage::Path, RejectReason::AppIdMismatch));
    }
    let form = match rest {
        None if auth_redirect => StripeForm::AuthRedirect,
        Some("success") if link_accounts => StripeForm::LinkAccountsSuccess,
        Some("cancel") if link_accounts => StripeForm::LinkAccountsCancel,
        Some("authentication_return") if link_accounts => StripeForm::LinkAccountsAuthReturn,
        Some("authentication_return") if link_native => StripeForm::LinkNativeAuthReturn,
        _ => return Err(path_miss),
    };
    if raw.fragment.is_some() && !form.allows_fragment() {
        return Err((Stage::Fragment, RejectReason::Fragment));
    }
    Ok(form)
}

/// Step 8: the WHATWG parser must agree on what matched.
fn cross_check(
    input: &str,
    scheme: &str,
    host: &str,
    port: Option<u16>,
    path: &str,
) -> Result<(), RejectReason> {
    if scan::whatwg_agrees(input, scheme, host, port, path) {
        Ok(())
    } else {
        Err(RejectReason::Unparseable)
    }
}

/// A query key's value across the query: absent, one value, or ambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot<'a> {
    Absent,
    One(&'a str),
    Conflict,
}

impl<'a> Slot<'a> {
    fn add(&mut self, value: &'a str) {
        *self = match *self {
            Slot::Absent => Slot::One(value),
            Slot::One(prev) if prev == value => Slot::One(prev),
            _ => Slot::Conflict,
        };
    }

    /// The sanitized value, if present and unambiguous.
    fn value(self) -> Option<String> {
        match self {
            Slot::One(raw) => sanitize(raw),
            Slot::Absent | Slot::Conflict => None,
        }
    }

    fn is_absent(self) -> bool {
        self == Slot::Absent
    }
}

const ERROR_KEYS: [&str; 3] = ["error_reason", "error", "reason"];
const SESSION_KEYS: [&str; 5] = [
    "session_id",
    "session",
    "fc_session",
    "financial_connections_session",
    "fcsess",
];

/// Reads the hints (see the module docs). `path_status` wins over the `status` query item.
fn hints(query: Option<&str>, path_status: Option<RedirectStatus>) -> ReturnUrlHints {
    let mut status = Slot::Absent;
    let mut errors = [Slot::Absent; ERROR_KEYS.len()];
    let mut sessions = [Slot::Absent; SESSION_KEYS.len()];
    for (key, value) in query.into_iter().flat_map(scan::query_items) {
        let Some(key) = scan::percent_decode(key) else {
            continue;
        };
        if key == "status" {
            status.add(value);
        } else if let Some(i) = ERROR_KEYS.iter().position(|k| *k == key) {
            errors[i].add(value);
        } else if let Some(i) = SESSION_KEYS.iter().position(|k| *k == key) {
            sessions[i].add(value);
        }
    }
    let first_present = |slots: &[Slot<'_>]| {
        slots
            .iter()
            .find(|s| !s.is_absent())
            .and_then(|s| s.value())
    };
    ReturnUrlHints {
        status: path_status.or_else(|| status.value().map(|v| RedirectStatus::from_value(&v))),
        error_reason: first_present(&errors),
        session_id: first_present(&sessions).filter(|v| looks_like_session_id(v)),
    }
}

/// Percent-decoded, 1–[`MAX_HINT_LEN`] bytes of `A–Z a–z 0–9 _ - . :`.
fn sanitize(raw: &str) -> Option<String> {
    let decoded = scan::percent_decode(raw)?;
    let ok = !decoded.is_empty()
        && decoded.len() <= MAX_HINT_LEN
        && decoded
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'));
    ok.then(|| decoded.into_owned())
}

fn looks_like_session_id(v: &str) -> bool {
    v.strip_prefix("fcsess_")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_alphanumeric()))
}
