//! The shape of every identifier that enters a URL path, a file name or a snapshot: Stripe's ids
//! from the backend (`fcsess_…`, `fca_…`, `fcauth_…`, …) and the core's own (`flow_…`,
//! `fcidem_…`). An id is its known prefix followed by `[A-Za-z0-9_]`, at most 255 bytes. A value
//! of any other shape is refused before it can become a different path (`..`, `a/b`, `a b`) or a
//! different file.

use std::fmt;

/// The kinds of ids the core handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    /// `fcsess_…` (legacy `las_…`).
    Session,
    /// `fca_…` (legacy `la_…`).
    Account,
    /// `fcauth_…`.
    Authorization,
    /// `fctxn_…`.
    Transaction,
    /// `fctxnref_…`.
    TransactionRefresh,
    /// `fcaowns_…`.
    Ownership,
    /// `fcaown_…`.
    Owner,
    /// The core's flow ids, `flow_…`.
    Flow,
    /// The core's idempotency keys, `fcidem_…`.
    IdempotencyKey,
}

impl IdKind {
    /// The accepted prefixes, the current one first.
    pub fn prefixes(self) -> &'static [&'static str] {
        match self {
            IdKind::Session => &["fcsess_", "las_"],
            IdKind::Account => &["fca_", "la_"],
            IdKind::Authorization => &["fcauth_"],
            IdKind::Transaction => &["fctxn_"],
            IdKind::TransactionRefresh => &["fctxnref_"],
            IdKind::Ownership => &["fcaowns_"],
            IdKind::Owner => &["fcaown_"],
            IdKind::Flow => &["flow_"],
            IdKind::IdempotencyKey => &["fcidem_"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            IdKind::Session => "session id",
            IdKind::Account => "account id",
            IdKind::Authorization => "authorization id",
            IdKind::Transaction => "transaction id",
            IdKind::TransactionRefresh => "transaction refresh id",
            IdKind::Ownership => "ownership id",
            IdKind::Owner => "owner id",
            IdKind::Flow => "flow id",
            IdKind::IdempotencyKey => "idempotency key",
        }
    }
}

/// The longest id accepted (Stripe documents ids of up to 255 characters).
pub const MAX_ID_LEN: usize = 255;

/// An id that does not have its kind's shape. The value is not kept: it may be anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IdError {
    pub kind: IdKind,
    pub reason: &'static str,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed {}: {} (expected {}… followed by letters, digits or _, at most {MAX_ID_LEN} characters)",
            self.kind.name(),
            self.reason,
            self.kind.prefixes()[0]
        )
    }
}

/// Checks `value` against `kind`'s shape.
pub fn check(kind: IdKind, value: &str) -> Result<(), IdError> {
    let err = |reason| Err(IdError { kind, reason });
    if value.len() > MAX_ID_LEN {
        return err("too long");
    }
    let Some(rest) = kind.prefixes().iter().find_map(|p| value.strip_prefix(p)) else {
        return err("unknown prefix");
    };
    if rest.is_empty() {
        return err("nothing after the prefix");
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return err("a character outside [A-Za-z0-9_]");
    }
    Ok(())
}

/// True when `value` has `kind`'s shape.
pub fn is_valid(kind: IdKind, value: &str) -> bool {
    check(kind, value).is_ok()
}

/// The longest report token accepted from a backend.
pub const MAX_REPORT_TOKEN_LEN: usize = 512;

/// A report token is opaque to the core, but it is persisted and sent in JSON: 1 to 512 visible
/// ASCII characters.
pub fn is_valid_report_token(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_REPORT_TOKEN_LEN
        && value.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_shapes_are_accepted() {
        for (kind, id) in [
            (IdKind::Session, "fcsess_1Pgc76B7WZ01zgkWqlYVCIub"),
            (IdKind::Session, "las_123"),
            (IdKind::Account, "fca_1"),
            (IdKind::Account, "la_1MJWkPHYDa1dbfGD0000000"),
            (IdKind::Authorization, "fcauth_1Mx"),
            (IdKind::TransactionRefresh, "fctxnref_1"),
            (IdKind::Flow, "flow_0123abcd"),
            (IdKind::IdempotencyKey, "fcidem_00ff"),
        ] {
            assert!(is_valid(kind, id), "{kind:?} {id}");
        }
    }

    #[test]
    fn every_other_shape_is_refused() {
        let long = format!("fcsess_{}", "a".repeat(300));
        for bad in [
            "",
            "..",
            ".",
            "a b",
            "fcsess_",
            "fcsess_a/b",
            "fcsess_../x",
            "fcsess_a b",
            "fcsess_a\nb",
            "fcsess_a-b",
            "fcsess_%2e",
            "fca_1",
            "FCSESS_1",
            "fcsess_é",
            long.as_str(),
        ] {
            assert!(!is_valid(IdKind::Session, bad), "{bad:?}");
        }
        let e = check(IdKind::Session, "..").unwrap_err();
        assert!(e.to_string().contains("session id") && !e.to_string().contains(".."));
    }

    #[test]
    fn report_tokens_are_visible_ascii() {
        assert!(is_valid_report_token("rt_abc-DEF.123"));
        for bad in ["", "a b", "a\nb", "é", &"x".repeat(513)] {
            assert!(!is_valid_report_token(bad), "{bad:?}");
        }
    }
}
