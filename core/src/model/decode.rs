//! Decoding entry points: [`decode_object`] (any Financial Connections object, type detected),
//! [`decode_session`], [`decode_account`], [`decode_account_list`]; the [`StripeObject`] they
//! produce and the [`DecodeError`] they fail with.
//!
//! Detection reads `object` first, including the legacy names `link_account_session` and
//! `linked_account`. Without `object` (Stripe's SDK fixtures omit it) the id prefix decides
//! (`fcsess_`/`las_`, `fca_`/`la_`, `fcaown_`, `fcaowns_`, `fctxn_`, `fcauth_`, `fcinst_`), then the
//! shape (an `accounts`/`linked_accounts` key means a session, a `data` key a list).
//!
//! Decoding never panics: every input gives a value or a `DecodeError`.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::error::Category;

use super::account::{Account, AccountInferredBalance};
use super::authorization::Authorization;
use super::expandable::HasObjectId;
use super::institution::Institution;
use super::list::List;
use super::object_kind::ObjectKind;
use super::ownership::{AccountOwner, AccountOwnership};
use super::serde_util::null_as_default;
use super::session::Session;
use super::transaction::Transaction;

/// Why bytes could not be decoded into a Stripe object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not valid JSON. `line` and `column` are 1-based and point at the problem.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What is wrong, e.g. `trailing comma`.
        message: String,
    },
    /// Valid JSON, but not a Financial Connections object this crate knows: an unknown `object`
    /// name, or no `object` and no recognizable id prefix or shape (or not a JSON object).
    #[error("not a known Stripe object (object: {})", .object.as_deref().unwrap_or("absent"))]
    UnknownObject {
        /// The `object` value, when there was a string one.
        object: Option<String>,
    },
    /// Valid JSON of a known object type, but not its shape (a required field missing, a field
    /// of the wrong JSON type, …).
    #[error("not a valid {object_type} (line {line}, column {column}): {message}")]
    Mismatch {
        /// The canonical name of the object type that was being decoded.
        object_type: &'static str,
        /// 1-based line where decoding stopped.
        line: usize,
        /// 1-based column where decoding stopped.
        column: usize,
        /// What is wrong, e.g. ``missing field `id` ``.
        message: String,
    },
    /// A typed decoder (`decode_session`, …) got an object whose `object` names another type.
    #[error("expected a {expected}, found a {found}")]
    UnexpectedObject {
        /// The canonical name of the expected object type.
        expected: &'static str,
        /// The `object` value that was found.
        found: String,
    },
}

impl DecodeError {
    fn from_json(err: &serde_json::Error, object_type: &'static str) -> Self {
        let (line, column) = (err.line(), err.column());
        let full = err.to_string();
        let message = match full.strip_suffix(&format!(" at line {line} column {column}")) {
            Some(message) => message.to_owned(),
            None => full,
        };
        match err.classify() {
            Category::Data => DecodeError::Mismatch {
                object_type,
                line,
                column,
                message,
            },
            Category::Syntax | Category::Eof | Category::Io => DecodeError::InvalidJson {
                line,
                column,
                message,
            },
        }
    }
}

/// Any Financial Connections object, as decoded by [`decode_object`].
///
/// Encodes back to the object's own JSON (no wrapper).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StripeObject {
    /// `financial_connections.session` (legacy `link_account_session`).
    Session(Box<Session>),
    /// `financial_connections.account` (legacy `linked_account`).
    Account(Box<Account>),
    /// `financial_connections.account_owner`.
    AccountOwner(Box<AccountOwner>),
    /// `financial_connections.account_ownership`.
    AccountOwnership(Box<AccountOwnership>),
    /// `financial_connections.transaction`.
    Transaction(Box<Transaction>),
    /// `financial_connections.authorization`.
    Authorization(Box<Authorization>),
    /// `financial_connections.institution`.
    Institution(Box<Institution>),
    /// `financial_connections.account_inferred_balance`.
    AccountInferredBalance(Box<AccountInferredBalance>),
    /// `list`, with its items left as JSON.
    List(List<serde_json::Value>),
}

impl StripeObject {
    /// The canonical Stripe object name, e.g. `financial_connections.session` or `list`, even when
    /// the input used a legacy name or had no `object`.
    pub fn object_type(&self) -> &'static str {
        self.kind().canonical()
    }

    /// The object's id (`None` for a list).
    pub fn id(&self) -> Option<&str> {
        match self {
            StripeObject::Session(o) => o.object_id(),
            StripeObject::Account(o) => o.object_id(),
            StripeObject::AccountOwner(o) => o.object_id(),
            StripeObject::AccountOwnership(o) => o.object_id(),
            StripeObject::Transaction(o) => o.object_id(),
            StripeObject::Authorization(o) => o.object_id(),
            StripeObject::Institution(o) => o.object_id(),
            StripeObject::AccountInferredBalance(o) => o.object_id(),
            StripeObject::List(_) => None,
        }
    }

    fn kind(&self) -> ObjectKind {
        match self {
            StripeObject::Session(_) => ObjectKind::Session,
            StripeObject::Account(_) => ObjectKind::Account,
            StripeObject::AccountOwner(_) => ObjectKind::AccountOwner,
            StripeObject::AccountOwnership(_) => ObjectKind::AccountOwnership,
            StripeObject::Transaction(_) => ObjectKind::Transaction,
            StripeObject::Authorization(_) => ObjectKind::Authorization,
            StripeObject::Institution(_) => ObjectKind::Institution,
            StripeObject::AccountInferredBalance(_) => ObjectKind::AccountInferredBalance,
            StripeObject::List(_) => ObjectKind::List,
        }
    }
}

/// Decodes any Financial Connections object, detecting its type (see the module docs).
///
/// # Errors
/// [`DecodeError::InvalidJson`] for bytes that are not JSON, [`DecodeError::UnknownObject`] when
/// the type cannot be told, [`DecodeError::Mismatch`] when the JSON is not that type's shape.
pub fn decode_object(bytes: &[u8]) -> Result<StripeObject, DecodeError> {
    let kind = detect(bytes)?;
    Ok(match kind {
        ObjectKind::Session => StripeObject::Session(Box::new(parse(bytes, kind)?)),
        ObjectKind::Account => StripeObject::Account(Box::new(parse(bytes, kind)?)),
        ObjectKind::AccountOwner => StripeObject::AccountOwner(Box::new(parse(bytes, kind)?)),
        ObjectKind::AccountOwnership => {
            StripeObject::AccountOwnership(Box::new(parse(bytes, kind)?))
        }
        ObjectKind::Transaction => StripeObject::Transaction(Box::new(parse(bytes, kind)?)),
        ObjectKind::Authorization => StripeObject::Authorization(Box::new(parse(bytes, kind)?)),
        ObjectKind::Institution => StripeObject::Institution(Box::new(parse(bytes, kind)?)),
        ObjectKind::AccountInferredBalance => {
            StripeObject::AccountInferredBalance(Box::new(parse(bytes, kind)?))
        }
        ObjectKind::List => StripeObject::List(parse(bytes, kind)?),
    })
}

/// Decodes a session (`financial_connections.session` or legacy `link_account_session`; a
/// missing `object` is accepted).
///
/// # Errors
/// As [`decode_object`], plus [`DecodeError::UnexpectedObject`] when `object` names another type.
pub fn decode_session(bytes: &[u8]) -> Result<Session, DecodeError> {
    let session: Session = parse(bytes, ObjectKind::Session)?;
    expect_object(session.object.as_deref(), ObjectKind::Session)?;
    Ok(session)
}

/// Decodes an account (`financial_connections.account` or legacy `linked_account`; a missing
/// `object` is accepted).
///
/// # Errors
/// As [`decode_session`].
pub fn decode_account(bytes: &[u8]) -> Result<Account, DecodeError> {
    let account: Account = parse(bytes, ObjectKind::Account)?;
    expect_object(account.object.as_deref(), ObjectKind::Account)?;
    Ok(account)
}

/// Decodes one page of accounts, e.g. the answer to `list_accounts` while paging a session's
/// accounts. Every item must be an account.
///
/// # Errors
/// As [`decode_session`]; an item that is not an account gives [`DecodeError::Mismatch`] or
/// [`DecodeError::UnexpectedObject`].
pub fn decode_account_list(bytes: &[u8]) -> Result<List<Account>, DecodeError> {
    /// `List<Account>` plus its `object`, which `List` itself does not keep.
    #[derive(Deserialize)]
    struct Page {
        #[serde(default)]
        object: Option<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        data: Vec<Account>,
        #[serde(default)]
        has_more: bool,
        #[serde(default)]
        url: Option<String>,
        #[serde(default)]
        total_count: Option<u64>,
    }
    let page: Page = parse(bytes, ObjectKind::List)?;
    expect_object(page.object.as_deref(), ObjectKind::List)?;
    for account in &page.data {
        expect_object(account.object.as_deref(), ObjectKind::Account)?;
    }
    Ok(List {
        data: page.data,
        has_more: page.has_more,
        url: page.url,
        total_count: page.total_count,
    })
}

/// Decodes `T`. On failure the error is classified against a standard parse of the same bytes
/// (error path only), so that broken JSON is always `InvalidJson` with the precise position and
/// message, even where the typed pass stopped earlier on a shape problem or skipped an ignored
/// field leniently, and `Mismatch` is only ever reported for valid JSON.
fn parse<'a, T: Deserialize<'a>>(bytes: &'a [u8], kind: ObjectKind) -> Result<T, DecodeError> {
    serde_json::from_slice(bytes).map_err(|err| match serde_json::from_slice::<IgnoredAny>(bytes) {
        Ok(_) if err.classify() == Category::Data => DecodeError::from_json(&err, kind.canonical()),
        _ => syntax_error(bytes, &err),
    })
}

fn expect_object(found: Option<&str>, expected: ObjectKind) -> Result<(), DecodeError> {
    match found {
        Some(name) if ObjectKind::from_object_name(name) != Some(expected) => {
            Err(DecodeError::UnexpectedObject {
                expected: expected.canonical(),
                found: name.to_owned(),
            })
        }
        _ => Ok(()),
    }
}

/// Tells the object type with one allocation-light pass over the bytes (only `object` and `id`
/// are kept; everything else is skipped).
fn detect(bytes: &[u8]) -> Result<ObjectKind, DecodeError> {
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first != Some(&b'{') {
        // Not an object: report broken JSON as such, anything else as not a Stripe object.
        return match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => Err(DecodeError::UnknownObject { object: None }),
            Err(err) => Err(syntax_error(bytes, &err)),
        };
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|err| syntax_error(bytes, &err))?;
    if let Some(object) = &probe.object {
        return ObjectKind::from_object_name(object).ok_or_else(|| DecodeError::UnknownObject {
            object: Some(object.clone()),
        });
    }
    probe
        .id
        .as_deref()
        .and_then(ObjectKind::from_id)
        .or(if probe.has_accounts {
            Some(ObjectKind::Session)
        } else if probe.has_data {
            Some(ObjectKind::List)
        } else {
            None
        })
        .ok_or(DecodeError::UnknownObject { object: None })
}

/// Describes a JSON syntax error. serde_json's fast skipping of ignored values reports some
/// errors less precisely (a trailing comma comes out as "key must be a string"), so the bytes are
/// parsed again the standard way, on this error path only, for the message.
fn syntax_error(bytes: &[u8], err: &serde_json::Error) -> DecodeError {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(precise) => DecodeError::from_json(&precise, "JSON value"),
        Ok(_) => DecodeError::from_json(err, "JSON value"),
    }
}

/// What [`detect`] reads from the top-level object.
#[derive(Default)]
struct Probe {
    /// `object`, when a string.
    object: Option<String>,
    /// `id`, when a string.
    id: Option<String>,
    /// An `accounts` or `linked_accounts` key is present.
    has_accounts: bool,
    /// A `data` key is present.
    has_data: bool,
}

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProbeVisitor;

        impl<'de> Visitor<'de> for ProbeVisitor {
            type Value = Probe;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
                let mut probe = Probe::default();
                while let Some(key) = map.next_key::<ProbeKey>()? {
                    match key {
                        ProbeKey::Object => probe.object = map.next_value::<MaybeString>()?.0,
                        ProbeKey::Id => probe.id = map.next_value::<MaybeString>()?.0,
                        ProbeKey::Accounts => {
                            map.next_value::<IgnoredAny>()?;
                            probe.has_accounts = true;
                        }
                        ProbeKey::Data => {
                            map.next_value::<IgnoredAny>()?;
                            probe.has_data = true;
                        }
                        ProbeKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(probe)
            }
        }

        deserializer.deserialize_map(ProbeVisitor)
    }
}

/// The top-level keys [`Probe`] cares about, matched without allocating.
enum ProbeKey {
    Object,
    Id,
    Accounts,
    Data,
    Other,
}

impl<'de> Deserialize<'de> for ProbeKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl Visitor<'_> for KeyVisitor {
            type Value = ProbeKey;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<ProbeKey, E> {
                Ok(match key {
                    "object" => ProbeKey::Object,
                    "id" => ProbeKey::Id,
                    "accounts" | "linked_accounts" => ProbeKey::Accounts,
                    "data" => ProbeKey::Data,
                    _ => ProbeKey::Other,
                })
            }
        }

        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// A value kept only when it is a string; any other JSON value is skipped.
struct MaybeString(Option<String>);

impl<'de> Deserialize<'de> for MaybeString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaybeStringVisitor;

        impl<'de> Visitor<'de> for MaybeStringVisitor {
            type Value = MaybeString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<MaybeString, E> {
                Ok(MaybeString(Some(value.to_owned())))
            }

            fn visit_string<E: de::Error>(self, value: String) -> Result<MaybeString, E> {
                Ok(MaybeString(Some(value)))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_unit<E: de::Error>(self) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<MaybeString, E> {
                Ok(MaybeString(None))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeString, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeString(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeString, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(MaybeString(None))
            }
        }

        deserializer.deserialize_any(MaybeStringVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bytes(value: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&value).unwrap()
    }

    fn account_json() -> serde_json::Value {
        json!({
            "id": "fca_1", "livemode": true, "created": 1, "institution_name": "Bank",
            "category": "cash", "subcategory": "checking", "status": "active",
        })
    }

    #[test]
    fn detects_by_object_including_legacy_names() {
        let cases = [
            (
                "financial_connections.session",
                "financial_connections.session",
            ),
            ("link_account_session", "financial_connections.session"),
            (
                "financial_connections.account",
                "financial_connections.account",
            ),
            ("linked_account", "financial_connections.account"),
        ];
        for (object, expected) in cases {
            let mut value = account_json();
            value["object"] = json!(object);
            let decoded = decode_object(&bytes(value)).unwrap();
            assert_eq!(decoded.object_type(), expected, "{object}");
            assert_eq!(decoded.id(), Some("fca_1"));
        }
    }

    #[test]
    fn detects_by_id_prefix_and_shape() {
        let cases = [
            (
                json!({"id": "fcsess_1", "livemode": true}),
                "financial_connections.session",
            ),
            (
                json!({"id": "las_1", "livemode": true}),
                "financial_connections.session",
            ),
            (
                json!({"id": "obj_1", "livemode": true, "linked_accounts": {"data": []}}),
                "financial_connections.session",
            ),
            (
                json!({"id": "obj_1", "livemode": true, "accounts": null}),
                "financial_connections.session",
            ),
            (account_json(), "financial_connections.account"),
            (
                json!({"id": "fcaown_1", "name": "n", "ownership": "fcaowns_1"}),
                "financial_connections.account_owner",
            ),
            (
                json!({"id": "fcaowns_1", "created": 1, "owners": {"data": []}}),
                "financial_connections.account_ownership",
            ),
            (
                json!({"id": "fcauth_1", "livemode": true, "institution_name": "B", "status": "active", "status_details": {}}),
                "financial_connections.authorization",
            ),
            (
                json!({"id": "fcinst_1", "livemode": true, "name": "B"}),
                "financial_connections.institution",
            ),
            (json!({"data": [1, "two"], "has_more": false}), "list"),
        ];
        for (value, expected) in cases {
            let decoded = decode_object(&bytes(value.clone()));
            assert_eq!(decoded.map(|o| o.object_type()), Ok(expected), "{value}");
        }
    }

    #[test]
    fn unknown_objects() {
        assert_eq!(
            decode_object(br#"{"object": "charge", "id": "ch_1"}"#),
            Err(DecodeError::UnknownObject {
                object: Some("charge".into())
            })
        );
        for input in [
            &br#"{"id": "ch_1"}"#[..],
            b"{}",
            b"[]",
            b"42",
            b" \"str\" ",
            b"null",
        ] {
            assert_eq!(
                decode_object(input),
                Err(DecodeError::UnknownObject { object: None }),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        // A non-string `object` is treated as absent.
        assert_eq!(
            decode_object(br#"{"object": 7, "data": []}"#).map(|o| o.object_type()),
            Ok("list")
        );
        let err = DecodeError::UnknownObject {
            object: Some("charge".into()),
        };
        assert_eq!(
            err.to_string(),
            "not a known Stripe object (object: charge)"
        );
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = decode_object(b"{\n  \"id\": \"fca_1\",\n}").unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidJson {
                line: 3,
                column: 1,
                message: "trailing comma".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "invalid JSON at line 3, column 1: trailing comma"
        );
        for input in [
            &b""[..],
            b"   ",
            b"{",
            b"[1,",
            b"nul",
            b"{\"a\":1}x",
            b"\xff",
        ] {
            assert!(
                matches!(decode_object(input), Err(DecodeError::InvalidJson { .. })),
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn mismatch_names_the_type_and_position() {
        let err =
            decode_object(br#"{"object": "financial_connections.account", "livemode": true}"#)
                .unwrap_err();
        let DecodeError::Mismatch {
            object_type,
            line,
            message,
            ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(*object_type, "financial_connections.account");
        assert_eq!(*line, 1);
        assert_eq!(message, "missing field `id`");
        assert!(err
            .to_string()
            .starts_with("not a valid financial_connections.account (line 1"));

        let wrong_type = decode_session(br#"{"id": "fcsess_1", "livemode": "yes"}"#).unwrap_err();
        assert!(
            matches!(wrong_type, DecodeError::Mismatch { .. }),
            "{wrong_type:?}"
        );
    }

    #[test]
    fn typed_decoders_report_broken_json_as_invalid_json() {
        // A shape problem first, broken JSON later: the JSON error wins.
        let err = decode_session(b"{\"id\": 5, \"livemode\": true, \"x\": [1,}").unwrap_err();
        assert!(
            matches!(err, DecodeError::InvalidJson { line: 1, .. }),
            "{err:?}"
        );
        // A trailing comma inside an ignored field is named as such.
        let err = decode_session(b"{\"id\":\"fcsess_1\",\"livemode\":true,\n\"extra\":{\"a\":1,}}")
            .unwrap_err();
        assert_eq!(
            err,
            DecodeError::InvalidJson {
                line: 2,
                column: 16,
                message: "trailing comma".into()
            }
        );
        // Invalid UTF-8 inside a string.
        let err = decode_object(b"{\"id\":\"fca_\xff\"}").unwrap_err();
        assert!(matches!(err, DecodeError::InvalidJson { .. }), "{err:?}");
    }

    #[test]
    fn typed_decoders_check_the_object_name() {
        let mut value = account_json();
        value["object"] = json!("financial_connections.account");
        assert_eq!(
            decode_session(&bytes(value.clone())),
            Err(DecodeError::UnexpectedObject {
                expected: "financial_connections.session",
                found: "financial_connections.account".into()
            })
        );
        assert!(decode_account(&bytes(value)).is_ok());
        let legacy =
            decode_session(br#"{"id":"las_1","object":"link_account_session","livemode":true}"#)
                .unwrap();
        assert_eq!(legacy.object.as_deref(), Some("link_account_session"));
        assert!(decode_session(br#"{"id":"x","livemode":true}"#).is_ok());
    }

    #[test]
    fn account_list_pages() {
        let page = json!({"object": "list", "data": [account_json()], "has_more": true,
                          "url": "/v1/link_account_sessions/list_accounts"});
        let list = decode_account_list(&bytes(page)).unwrap();
        assert_eq!(list.len(), 1);
        assert!(list.has_more);

        let not_a_list = json!({"object": "financial_connections.account", "data": []});
        assert!(matches!(
            decode_account_list(&bytes(not_a_list)),
            Err(DecodeError::UnexpectedObject { .. })
        ));
        let mut owner = account_json();
        owner["object"] = json!("financial_connections.account_owner");
        assert!(matches!(
            decode_account_list(&bytes(json!({"data": [owner]}))),
            Err(DecodeError::UnexpectedObject { .. })
        ));
    }

    #[test]
    fn re_encodes_to_the_objects_own_json() {
        let decoded =
            decode_object(&bytes(json!({"data": [1, {"a": null}], "has_more": true}))).unwrap();
        assert_eq!(
            serde_json::to_value(&decoded).unwrap(),
            json!({"object": "list", "data": [1, {"a": null}], "has_more": true})
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            "{{\"id\":\"fca_1\",\"x\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(decode_object(deep.as_bytes()).is_err());
        let deep_token = format!(
            "{{\"id\":\"fcsess_1\",\"livemode\":true,\"bank_account_token\":{}{}}}",
            "{\"a\":".repeat(10_000),
            "}".repeat(10_000)
        );
        assert!(decode_session(deep_token.as_bytes()).is_err());
    }
}
