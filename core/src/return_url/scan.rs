//! Low-level scanning shared by configuration and classification: the byte-level checks that run
//! before any parsing, the strict raw splitter (`scheme://authority/path?query#fragment`), the
//! path-hygiene checks, the WHATWG cross-check and small percent-decoding helpers. Only
//! [`whatwg_agrees`] (a `url::Url`), [`percent_decode`] (when the text holds a `%`) and the
//! re-decoding check of [`prescan`] (when `%25` occurs) allocate.

use std::borrow::Cow;

use super::{RejectReason, MAX_INPUT_LEN};

/// Byte classes for [`prescan`]: everything but `PLAIN` needs a closer look.
const PLAIN: u8 = 0;
const CONTROL: u8 = 1;
const NON_ASCII: u8 = 2;
const BACKSLASH: u8 = 3;
const INVALID: u8 = 4;
const PERCENT: u8 = 5;
const HASH: u8 = 6;

static BYTE_CLASS: [u8; 256] = {
    let mut table = [PLAIN; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            0x00..=0x20 | 0x7f => CONTROL,
            0x80..=0xff => NON_ASCII,
            b'\\' => BACKSLASH,
            b'"' | b'<' | b'>' => INVALID,
            b'%' => PERCENT,
            b'#' => HASH,
            _ => PLAIN,
        };
        c += 1;
    }
    table
};

/// Size and byte-level checks (steps 1 and 2 of the module docs), in one table-driven pass.
pub(super) fn prescan(input: &str) -> Result<(), RejectReason> {
    let b = input.as_bytes();
    if b.is_empty() {
        return Err(RejectReason::Empty);
    }
    if b.len() > MAX_INPUT_LEN {
        return Err(RejectReason::TooLong);
    }
    let mut saw_encoded_percent = false;
    let mut i = 0;
    while i < b.len() {
        match BYTE_CLASS[b[i] as usize] {
            PLAIN => {}
            CONTROL => return Err(RejectReason::ControlCharacter),
            NON_ASCII => return Err(non_ascii_reason(b, i)),
            BACKSLASH => return Err(RejectReason::Backslash),
            INVALID => return Err(RejectReason::InvalidCharacter),
            PERCENT => {
                let v = hex_pair(b, i + 1).ok_or(RejectReason::Unparseable)?;
                if v == 0 {
                    return Err(RejectReason::EncodedNul);
                }
                if is_control(v) {
                    return Err(RejectReason::EncodedControlCharacter);
                }
                saw_encoded_percent |= v == b'%';
                i += 3;
                continue;
            }
            _ => {
                // HASH
                if starts_with_ignore_case(&b[i + 1..], b"intent;") {
                    return Err(RejectReason::IntentUri);
                }
            }
        }
        i += 1;
    }
    if saw_encoded_percent {
        if let Some(reason) = reveals_control_after_decoding(b) {
            return Err(reason);
        }
    }
    Ok(())
}

/// Decodes `b` up to three more times (it is already known to hold `%25`) and reports a NUL or
/// control character that appears. Invalid `%` sequences produced by a decode are left as is.
fn reveals_control_after_decoding(b: &[u8]) -> Option<RejectReason> {
    let mut current = decode_lossy(b);
    for _ in 0..3 {
        if !current.contains(&b'%') {
            return None;
        }
        current = decode_lossy(&current);
        if current.contains(&0) {
            return Some(RejectReason::EncodedNul);
        }
        if current.iter().any(|&c| is_control(c)) {
            return Some(RejectReason::EncodedControlCharacter);
        }
    }
    None
}

fn decode_lossy(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if let Some(v) = hex_pair(b, i + 1) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `non_ascii_host` when byte `i` sits in the authority of `scheme://authority…`, else `non_ascii`.
fn non_ascii_reason(b: &[u8], i: usize) -> RejectReason {
    let Some(colon) = b.iter().position(|&c| c == b':') else {
        return RejectReason::NonAscii;
    };
    let start = colon + 3;
    if !b[colon + 1..].starts_with(b"//") || i < start {
        return RejectReason::NonAscii;
    }
    let end = b[start..]
        .iter()
        .position(|&c| matches!(c, b'/' | b'?' | b'#'))
        .map_or(b.len(), |p| start + p);
    if i < end {
        RejectReason::NonAsciiHost
    } else {
        RejectReason::NonAscii
    }
}

pub(super) fn is_control(v: u8) -> bool {
    v < 0x20 || v == 0x7f
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The byte encoded by the two hex digits at `b[i..i + 2]`, if they are hex digits.
fn hex_pair(b: &[u8], i: usize) -> Option<u8> {
    let hi = hex_val(*b.get(i)?)?;
    let lo = hex_val(*b.get(i + 1)?)?;
    Some(hi << 4 | lo)
}

fn starts_with_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// Splits `scheme:rest`. `None` if the scheme is not `ALPHA *(ALPHA / DIGIT / + / - / .)`.
pub(super) fn split_scheme(input: &str) -> Option<(&str, &str)> {
    let colon = input.find(':')?;
    let scheme = &input[..colon];
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    if !first.is_ascii_alphabetic()
        || !bytes.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    {
        return None;
    }
    Some((scheme, &input[colon + 1..]))
}

/// The parts of `scheme://host[:port]path[?query][#fragment]`, as written (not decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RawUrl<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    /// The explicit port, if any (not normalised).
    pub port: Option<u16>,
    /// Empty or starting with `/`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// Why [`split_authority`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SplitError {
    /// No `//` after the scheme.
    NoAuthority,
    Userinfo,
    /// A host character outside letters, digits, `-`, `_`, `.`.
    BadHost,
    /// Empty, non-numeric, leading-zero, zero or out-of-range port.
    BadPort,
}

/// Splits what follows `scheme:` (step 4 of the module docs). The host may be empty.
pub(super) fn split_authority<'a>(
    scheme: &'a str,
    rest: &'a str,
) -> Result<RawUrl<'a>, SplitError> {
    let after = rest.strip_prefix("//").ok_or(SplitError::NoAuthority)?;
    let auth_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..auth_end];
    if authority.contains('@') {
        return Err(SplitError::Userinfo);
    }
    let (host, port) = match authority.find(':') {
        Some(c) => (&authority[..c], Some(&authority[c + 1..])),
        None => (authority, None),
    };
    if !host
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    {
        return Err(SplitError::BadHost);
    }
    let port = port.map(parse_port).transpose()?;
    let tail = &after[auth_end..];
    let (before_fragment, fragment) = match tail.find('#') {
        Some(h) => (&tail[..h], Some(&tail[h + 1..])),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.find('?') {
        Some(q) => (&before_fragment[..q], Some(&before_fragment[q + 1..])),
        None => (before_fragment, None),
    };
    Ok(RawUrl {
        scheme,
        host,
        port,
        path,
        query,
        fragment,
    })
}

fn parse_port(s: &str) -> Result<u16, SplitError> {
    if s.is_empty() || s.len() > 5 || s.starts_with('0') || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(SplitError::BadPort);
    }
    match s.parse::<u16>() {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(SplitError::BadPort),
    }
}

/// True if the WHATWG parser (`url` crate) reads `input` with exactly this scheme, host
/// (case-insensitive), port (`None` = none or default), path (`/` for an empty `https` path) and no
/// userinfo. Only the part before the first `?` or `#` is parsed: the query and fragment cannot
/// change those components (that character ends the path for both parsers, and the byte scan
/// already refused the tabs and newlines WHATWG would strip), and skipping them halves the cost
/// on Stripe's long returns.
pub(super) fn whatwg_agrees(
    input: &str,
    scheme: &str,
    host: &str,
    port: Option<u16>,
    path: &str,
) -> bool {
    let before_query = input.find(['?', '#']).map_or(input, |end| &input[..end]);
    let Ok(url) = url::Url::parse(before_query) else {
        return false;
    };
    let expected_path = if path.is_empty() && scheme == "https" {
        "/"
    } else {
        path
    };
    url.scheme() == scheme
        && url.username().is_empty()
        && url.password().is_none()
        && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
        && url.port() == port
        && url.path() == expected_path
}

/// Path hygiene (step 6 of the module docs), on the raw path.
pub(super) fn check_path(path: &str) -> Result<(), RejectReason> {
    if path.contains("//") {
        return Err(RejectReason::EmbeddedUrl);
    }
    if path.split('/').any(is_dot_segment) {
        return Err(RejectReason::PathTraversal);
    }
    if path.contains('%') {
        let b = path.as_bytes();
        let mut encoded_separator = false;
        let mut double_encoded = false;
        for (i, _) in path.match_indices('%') {
            match hex_pair(b, i + 1) {
                Some(b'/') | Some(b'\\') => encoded_separator = true,
                Some(b'%') => double_encoded = true,
                _ => {}
            }
        }
        if encoded_separator {
            return Err(RejectReason::EncodedPathSeparator);
        }
        if double_encoded {
            return Err(RejectReason::DoubleEncoding);
        }
    }
    Ok(())
}

/// `.` or `..`, with any of the dots written `%2e`/`%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment.as_bytes();
    let mut dots = 0;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            rest = &rest[1..];
        } else if starts_with_ignore_case(rest, b"%2e") {
            rest = &rest[3..];
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// True if some label of `host` is punycode (`xn--`, any case).
pub(super) fn has_punycode_label(host: &str) -> bool {
    host.split('.')
        .any(|label| starts_with_ignore_case(label.as_bytes(), b"xn--"))
}

/// The raw `(key, value)` items of a query: split on `&`, empty items skipped, a key without `=`
/// has an empty value.
pub(super) fn query_items(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|item| !item.is_empty())
        .map(|item| item.split_once('=').unwrap_or((item, "")))
}

/// Percent-decodes `s` (`+` stays `+`). `None` if the result is not UTF-8 or a `%` is not
/// followed by two hex digits.
pub(super) fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('%') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(hex_pair(b, i + 1)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prescan_reports_the_first_offending_byte() {
        assert_eq!(prescan(""), Err(RejectReason::Empty));
        assert_eq!(
            prescan(&"a".repeat(MAX_INPUT_LEN + 1)),
            Err(RejectReason::TooLong)
        );
        assert_eq!(prescan(&"a".repeat(MAX_INPUT_LEN)), Ok(()));
        assert_eq!(prescan("a b"), Err(RejectReason::ControlCharacter));
        assert_eq!(prescan("a\\b<"), Err(RejectReason::Backslash));
        assert_eq!(prescan("a<b\\"), Err(RejectReason::InvalidCharacter));
        assert_eq!(prescan("a%0"), Err(RejectReason::Unparseable));
        assert_eq!(prescan("a%zz"), Err(RejectReason::Unparseable));
        assert_eq!(prescan("a%00"), Err(RejectReason::EncodedNul));
        assert_eq!(prescan("a%7F"), Err(RejectReason::EncodedControlCharacter));
        assert_eq!(
            prescan("a%0d%0a"),
            Err(RejectReason::EncodedControlCharacter)
        );
        assert_eq!(prescan("x://h/#Intent;end"), Err(RejectReason::IntentUri));
        assert_eq!(prescan("x://h/?a=%20%41%7e"), Ok(()));
    }

    #[test]
    fn prescan_sees_through_double_encoding() {
        assert_eq!(prescan("x://h/?a=%2500"), Err(RejectReason::EncodedNul));
        assert_eq!(prescan("x://h/?a=%25%30%30"), Err(RejectReason::EncodedNul));
        assert_eq!(
            prescan("x://h/?a=%25250a"),
            Err(RejectReason::EncodedControlCharacter)
        );
        assert_eq!(prescan("x://h/?a=%2541"), Ok(()));
        assert_eq!(prescan("x://h/?a=100%25"), Ok(()));
    }

    #[test]
    fn non_ascii_is_located() {
        assert_eq!(
            prescan("https://exämple.com/x"),
            Err(RejectReason::NonAsciiHost)
        );
        assert_eq!(
            prescan("https://example.com/ä"),
            Err(RejectReason::NonAscii)
        );
        assert_eq!(prescan("https:ä"), Err(RejectReason::NonAscii));
        assert_eq!(prescan("ä"), Err(RejectReason::NonAscii));
    }

    #[test]
    fn splits_authority_strictly() {
        let u = split_authority("https", "//Example.com:8443/a/b?c=d#e").unwrap();
        assert_eq!(
            (u.host, u.port, u.path, u.query, u.fragment),
            ("Example.com", Some(8443), "/a/b", Some("c=d"), Some("e"))
        );
        let u = split_authority("myapp", "//h#f?x").unwrap();
        assert_eq!((u.path, u.query, u.fragment), ("", None, Some("f?x")));
        assert_eq!(
            split_authority("https", "example.com"),
            Err(SplitError::NoAuthority)
        );
        assert_eq!(
            split_authority("https", "/example.com"),
            Err(SplitError::NoAuthority)
        );
        assert_eq!(
            split_authority("https", "//a@b/"),
            Err(SplitError::Userinfo)
        );
        assert_eq!(
            split_authority("https", "//a%2eb/"),
            Err(SplitError::BadHost)
        );
        assert_eq!(
            split_authority("https", "//[::1]/"),
            Err(SplitError::BadHost)
        );
        for port in ["", "0", "08", "65536", "99999999", "1a"] {
            assert_eq!(
                split_authority("https", &format!("//h:{port}/")),
                Err(SplitError::BadPort),
                "{port}"
            );
        }
        assert_eq!(
            split_authority("https", "//h:65535").unwrap().port,
            Some(65535)
        );
    }

    #[test]
    fn path_hygiene() {
        assert_eq!(check_path(""), Ok(()));
        assert_eq!(check_path("/a/b.c/..d"), Ok(()));
        assert_eq!(check_path("/a//b"), Err(RejectReason::EmbeddedUrl));
        assert_eq!(check_path("/a/../b"), Err(RejectReason::PathTraversal));
        assert_eq!(check_path("/a/."), Err(RejectReason::PathTraversal));
        assert_eq!(check_path("/a/%2E%2e/b"), Err(RejectReason::PathTraversal));
        assert_eq!(check_path("/a/.%2e"), Err(RejectReason::PathTraversal));
        assert_eq!(
            check_path("/a%2Fb"),
            Err(RejectReason::EncodedPathSeparator)
        );
        assert_eq!(
            check_path("/a%5cb"),
            Err(RejectReason::EncodedPathSeparator)
        );
        assert_eq!(check_path("/a%252Fb"), Err(RejectReason::DoubleEncoding));
    }

    #[test]
    fn decodes_and_iterates_queries() {
        assert_eq!(percent_decode("a%20b+c").unwrap(), "a b+c");
        assert_eq!(percent_decode("%ff"), None);
        let items: Vec<_> = query_items("a=1&&b&c=x=y").collect();
        assert_eq!(items, vec![("a", "1"), ("b", ""), ("c", "x=y")]);
        assert!(has_punycode_label("a.XN--pple.com"));
        assert!(!has_punycode_label("axn--b.com"));
    }
}
