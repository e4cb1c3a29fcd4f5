//! Return-URL configuration: [`ReturnUrlRules::new`], the validation of each configured return URL
//! and of the Android application id, and [`ReturnUrlConfigError`] with its developer-facing
//! messages. The rules themselves are documented in the parent module.

use super::scan::{self, SplitError};
use super::{ReturnUrlRules, MAX_CONFIGURED_RETURN_URLS, MAX_CONFIG_URL_LEN};

/// Why a return-URL configuration was refused. Every message names the offending value and says
/// what to do; they are meant for the developer integrating the SDK, not for end users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReturnUrlConfigError {
    #[error("no return URL and no Android application id configured: configure at least one")]
    NothingConfigured,
    #[error("{count} return URLs configured; at most {max} are supported")]
    TooManyReturnUrls { count: usize, max: usize },
    #[error("return URL #{index} is empty")]
    Empty { index: usize },
    #[error("return URL `{url}` is {len} bytes long; at most {max} bytes are allowed")]
    TooLong { url: String, len: usize, max: usize },
    #[error("return URL `{url}` contains whitespace or a control character (is it padded?)")]
    ControlCharacter { url: String },
    #[error("return URL `{url}` contains a non-ASCII character: percent-encode it, and write IDN hosts in their punycode (`xn--`) form")]
    NonAscii { url: String },
    #[error("return URL `{url}` contains a backslash")]
    Backslash { url: String },
    #[error("return URL `{url}` is not a `scheme://host[/path][?query]` URL: {detail}")]
    Malformed { url: String, detail: &'static str },
    #[error("return URL `{url}` uses `http`: use `https` (universal link / app link) or a custom scheme")]
    HttpNotAllowed { url: String },
    #[error("return URL `{url}` uses the scheme `{scheme}`, which cannot open an app: use `https` or your app's custom scheme")]
    ForbiddenScheme { url: String, scheme: String },
    #[error("return URL `{url}` uses the scheme `{scheme}`, reserved for Stripe's own Android redirects: configure the Android application id instead")]
    ReservedScheme { url: String, scheme: String },
    #[error("return URL `{url}` contains userinfo (`user@`), which return URLs must not have")]
    Userinfo { url: String },
    #[error("return URL `{url}` has a fragment (`#…`), which cannot be matched: remove it")]
    Fragment { url: String },
    #[error("return URL `{url}` has an invalid host: {detail}")]
    InvalidHost { url: String, detail: &'static str },
    #[error("return URL `{url}` has an invalid port: use 1-65535 without leading zeros, or none")]
    InvalidPort { url: String },
    #[error("return URL `{url}` has an invalid path: {detail}")]
    InvalidPath { url: String, detail: &'static str },
    #[error("return URL `{url}` has an invalid query: {detail}")]
    InvalidQuery { url: String, detail: &'static str },
    #[error("Android application id `{app_id}` is invalid: {detail}")]
    InvalidAndroidAppId {
        app_id: String,
        detail: &'static str,
    },
}

/// Schemes that can never be an app's return URL (besides `http`, `stripe`, `stripe-auth`).
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "about",
    "content",
    "filesystem",
    "ftp",
    "ws",
    "wss",
    "mailto",
    "tel",
    "sms",
    "intent",
    "android-app",
    "chrome",
];

/// Longest Android application id accepted.
const MAX_APP_ID_LEN: usize = 255;

/// One validated return URL, normalised for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ConfiguredUrl {
    pub original: String,
    /// Lower-case.
    pub scheme: String,
    /// Lower-case.
    pub host: String,
    /// `None` for no port or the scheme's default port.
    pub port: Option<u16>,
    /// Exact path (`/` for an empty `https` path).
    pub path: String,
    /// Required `(key, value)` query items, unreserved characters only.
    pub query: Vec<(String, String)>,
}

impl ReturnUrlRules {
    /// Validates a configuration: one or more return URLs (custom scheme or `https`) and/or the
    /// Android application id (for Stripe's `stripe-auth://` and `stripe://` redirects). At least
    /// one of the two is required. See the module docs for every rule.
    pub fn new<S: AsRef<str>>(
        return_urls: &[S],
        android_app_id: Option<&str>,
    ) -> Result<ReturnUrlRules, ReturnUrlConfigError> {
        if return_urls.is_empty() && android_app_id.is_none() {
            return Err(ReturnUrlConfigError::NothingConfigured);
        }
        let mut rules: Vec<ConfiguredUrl> = Vec::with_capacity(return_urls.len());
        for (index, url) in return_urls.iter().enumerate() {
            let rule = parse_configured(index, url.as_ref())?;
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        if rules.len() > MAX_CONFIGURED_RETURN_URLS {
            return Err(ReturnUrlConfigError::TooManyReturnUrls {
                count: rules.len(),
                max: MAX_CONFIGURED_RETURN_URLS,
            });
        }
        let android_app_id = android_app_id
            .map(|id| validate_app_id(id).map(|()| id.to_owned()))
            .transpose()?;
        Ok(ReturnUrlRules {
            rules,
            android_app_id,
        })
    }

    pub(super) fn configured(&self) -> &[ConfiguredUrl] {
        &self.rules
    }
}

/// A short, safe copy of a configured URL for error messages.
fn shown(url: &str) -> String {
    const MAX_SHOWN: usize = 120;
    if url.len() <= MAX_SHOWN {
        return url.to_owned();
    }
    let mut end = MAX_SHOWN;
    while !url.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &url[..end])
}

fn parse_configured(index: usize, url: &str) -> Result<ConfiguredUrl, ReturnUrlConfigError> {
    use ReturnUrlConfigError as E;
    if url.is_empty() {
        return Err(E::Empty { index });
    }
    if url.len() > MAX_CONFIG_URL_LEN {
        return Err(E::TooLong {
            url: shown(url),
            len: url.len(),
            max: MAX_CONFIG_URL_LEN,
        });
    }
    if let Some(c) = url.bytes().find(|&c| c <= b' ' || c >= 0x7f || c == b'\\') {
        return Err(match c {
            b'\\' => E::Backslash { url: shown(url) },
            0x80.. => E::NonAscii { url: shown(url) },
            _ => E::ControlCharacter { url: shown(url) },
        });
    }
    let malformed = |detail| E::Malformed {
        url: shown(url),
        detail,
    };
    let (scheme, rest) = scan::split_scheme(url)
        .ok_or_else(|| malformed("it does not start with a valid scheme followed by `:`"))?;
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "http" => return Err(E::HttpNotAllowed { url: shown(url) }),
        "stripe" | "stripe-auth" => {
            return Err(E::ReservedScheme {
                url: shown(url),
                scheme,
            })
        }
        s if FORBIDDEN_SCHEMES.contains(&s) => {
            return Err(E::ForbiddenScheme {
                url: shown(url),
                scheme,
            })
        }
        _ => {}
    }
    if url.contains(['"', '<', '>']) {
        return Err(malformed("it contains `\"`, `<` or `>`"));
    }
    let raw = scan::split_authority(&scheme, rest).map_err(|e| match e {
        SplitError::NoAuthority => malformed("the scheme must be followed by `//` and a host"),
        SplitError::Userinfo => E::Userinfo { url: shown(url) },
        SplitError::BadHost => E::InvalidHost {
            url: shown(url),
            detail: "only letters, digits, `-`, `_` and `.` are allowed (no percent-encoding, no IP literal)",
        },
        SplitError::BadPort => E::InvalidPort { url: shown(url) },
    })?;
    if raw.fragment.is_some() {
        return Err(E::Fragment { url: shown(url) });
    }
    validate_host(url, raw.host)?;
    let path = validate_path(url, &scheme, raw.path)?;
    let query = raw
        .query
        .map(|q| validate_query(url, q))
        .transpose()?
        .unwrap_or_default();
    let port = match (scheme.as_str(), raw.port) {
        ("https", Some(443)) => None,
        (_, port) => port,
    };
    let configured = ConfiguredUrl {
        original: url.to_owned(),
        host: raw.host.to_ascii_lowercase(),
        scheme,
        port,
        path,
        query,
    };
    let c = &configured;
    if !scan::whatwg_agrees(url, &c.scheme, &c.host, c.port, &c.path) {
        return Err(malformed(
            "browsers would read it differently (invalid punycode, or a host that looks like an IP address?)",
        ));
    }
    Ok(configured)
}

fn validate_host(url: &str, host: &str) -> Result<(), ReturnUrlConfigError> {
    let invalid = |detail| ReturnUrlConfigError::InvalidHost {
        url: shown(url),
        detail,
    };
    if host.is_empty() {
        return Err(invalid("it is empty (`scheme:///path` has no host)"));
    }
    if host.split('.').any(str::is_empty) {
        return Err(invalid(
            "it has an empty label (leading, trailing or doubled `.`)",
        ));
    }
    Ok(())
}

/// Characters allowed in a configured path besides `/`: RFC 3986 `pchar` without `%`.
fn is_path_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@".contains(&c)
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

fn validate_path(url: &str, scheme: &str, path: &str) -> Result<String, ReturnUrlConfigError> {
    let invalid = |detail| ReturnUrlConfigError::InvalidPath {
        url: shown(url),
        detail,
    };
    if path.contains('%') {
        return Err(invalid(
            "percent-encoding is not supported in return URL paths",
        ));
    }
    if !path.bytes().all(|c| c == b'/' || is_path_char(c)) {
        return Err(invalid(
            "it contains characters that are not allowed in a URL path",
        ));
    }
    if path.contains("//") {
        return Err(invalid("it contains an empty segment (`//`)"));
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Err(invalid("it contains a `.` or `..` segment"));
    }
    Ok(if path.is_empty() && scheme == "https" {
        "/".to_owned()
    } else {
        path.to_owned()
    })
}

fn validate_query(url: &str, query: &str) -> Result<Vec<(String, String)>, ReturnUrlConfigError> {
    let invalid = |detail| ReturnUrlConfigError::InvalidQuery {
        url: shown(url),
        detail,
    };
    let mut items: Vec<(String, String)> = Vec::new();
    if query.is_empty() {
        return Ok(items);
    }
    for item in query.split('&') {
        let (key, value) = item
            .split_once('=')
            .ok_or_else(|| invalid("every item must be written `key=value` (no empty item)"))?;
        if key.is_empty() {
            return Err(invalid("an item has an empty key"));
        }
        if !key.bytes().chain(value.bytes()).all(is_unreserved) {
            return Err(invalid(
                "keys and values may only use letters, digits, `-`, `.`, `_` and `~`",
            ));
        }
        if items.iter().any(|(k, _)| k == key) {
            return Err(invalid("a key appears twice"));
        }
        items.push((key.to_owned(), value.to_owned()));
    }
    Ok(items)
}

fn validate_app_id(app_id: &str) -> Result<(), ReturnUrlConfigError> {
    let invalid = |detail| ReturnUrlConfigError::InvalidAndroidAppId {
        app_id: shown(app_id),
        detail,
    };
    if app_id.is_empty() {
        return Err(invalid("it is empty"));
    }
    if app_id.len() > MAX_APP_ID_LEN {
        return Err(invalid("it is longer than 255 bytes"));
    }
    let mut segments = 0;
    for segment in app_id.split('.') {
        let mut bytes = segment.bytes();
        match bytes.next() {
            None => {
                return Err(invalid(
                    "it has an empty segment (leading, trailing or doubled `.`)",
                ))
            }
            Some(c) if !c.is_ascii_alphabetic() => {
                return Err(invalid("every segment must start with an ASCII letter"))
            }
            Some(_) => {}
        }
        if !bytes.all(|c| c.is_ascii_alphanumeric() || c == b'_') {
            return Err(invalid(
                "segments may only contain ASCII letters, digits and `_`",
            ));
        }
        segments += 1;
    }
    if segments < 2 {
        return Err(invalid(
            "it needs at least two segments, like `com.example.app`",
        ));
    }
    Ok(())
}
