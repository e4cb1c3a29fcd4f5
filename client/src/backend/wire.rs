//! What travels on the wire: [`CreatedSession`], [`CompletionReport`], [`Page`], the JSON bodies
//! the client sends, and the decoding and checking of every answer (its wrapper, its ids, its
//! accounts) before anything reaches the app.

use serde::{Deserialize, Serialize};

use super::BackendError;
use finconn_core::data;
use finconn_core::ids::{self, IdKind};
use finconn_core::model::{Account, List, Session};
use finconn_core::network::policy;
use finconn_core::options::SessionOptions;
use finconn_core::secret::Secret;

/// What the backend gives for a new session. Secrets stay wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedSession {
    pub session_id: String,
    pub client_secret: Secret,
    pub publishable_key: Secret,
    pub stripe_account: Option<String>,
    pub livemode: bool,
    pub report_token: Option<Secret>,
}

/// The app's completion report, as sent to `POST /sessions/{id}/complete` and kept in the outbox.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletionReport {
    /// Also the `Idempotency-Key` of the call: one report per flow, however often it is sent.
    pub report_id: String,
    pub flow_id: String,
    pub session_id: String,
    /// Per-session token from the backend; lets the app ask it to re-check the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_token: Option<String>,
    pub sheet_outcome: String,
    #[serde(default)]
    pub account_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url_status: Option<String>,
}

impl std::fmt::Debug for CompletionReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompletionReport")
            .field("report_id", &self.report_id)
            .field("flow_id", &self.flow_id)
            .field("session_id", &self.session_id)
            .field(
                "report_token",
                &self.report_token.as_ref().map(|_| "[redacted]"),
            )
            .field("sheet_outcome", &self.sheet_outcome)
            .field("account_ids", &self.account_ids)
            .field("error_code", &self.error_code)
            .field("return_url_status", &self.return_url_status)
            .finish()
    }
}

impl CompletionReport {
    /// The report id of a flow's idempotency key.
    pub fn id_for(idempotency_key: &str) -> String {
        format!("{idempotency_key}-complete")
    }

    /// Checks every field that reaches a path, a file name or a header: the ids' shapes, the
    /// report token's, bounded sizes.
    pub fn check(&self) -> Result<(), String> {
        let key = self
            .report_id
            .strip_suffix("-complete")
            .ok_or("the report id does not end in -complete")?;
        ids::check(IdKind::IdempotencyKey, key).map_err(|e| e.to_string())?;
        ids::check(IdKind::Flow, &self.flow_id).map_err(|e| e.to_string())?;
        ids::check(IdKind::Session, &self.session_id).map_err(|e| e.to_string())?;
        if let Some(t) = &self.report_token {
            if !ids::is_valid_report_token(t) {
                return Err("malformed report token".into());
            }
        }
        if self.account_ids.len() > 100
            || self
                .account_ids
                .iter()
                .any(|a| !ids::is_valid(IdKind::Account, a))
        {
            return Err("malformed account ids".into());
        }
        let short = |s: &Option<String>| s.as_ref().is_none_or(|s| s.len() <= 200);
        if self.sheet_outcome.len() > 40
            || !short(&self.error_code)
            || !short(&self.return_url_status)
        {
            return Err("a field is too long".into());
        }
        Ok(())
    }
}

/// One page of a list as received: the items, how many bytes the answer had, its request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub list: List<T>,
    /// The answer's size, as received (what the per-call byte cap counts).
    pub bytes: u64,
    pub request_id: Option<String>,
}

impl<T> Page<T> {
    /// The page's length against the `limit` asked for ([`data::check_page_len`]), then every
    /// item's shape; either failing is an invalid response naming the item's field.
    pub(super) fn check(
        &self,
        endpoint: &'static str,
        limit: u32,
        item: impl Fn(&T) -> Result<(), data::BadField>,
    ) -> Result<(), BackendError> {
        data::check_page_len(self.list.data.len(), limit)
            .map_err(|e| BackendError::invalid(endpoint, e.to_string(), self.request_id.clone()))?;
        for (i, x) in self.list.data.iter().enumerate() {
            item(x).map_err(|e| {
                BackendError::invalid(endpoint, format!("data[{i}].{e}"), self.request_id.clone())
            })?;
        }
        Ok(())
    }
}

/// Where the contract lets an answer be wrapped: `{"session": …}`, `{"account": …}`,
/// `{"accounts": […]}` (or a Stripe list's `data`); the bare object is always accepted too.
#[derive(Clone, Copy)]
pub(super) enum Wrapper {
    None,
    Session,
    Account,
    Accounts,
}

#[derive(Deserialize)]
struct InSession<T> {
    session: T,
}

#[derive(Deserialize)]
struct InAccount<T> {
    account: T,
}

#[derive(Deserialize)]
struct InAccounts<T> {
    accounts: T,
}

#[derive(Deserialize)]
struct InData<T> {
    data: T,
}

/// Reads an answer as `T`, from its wrapper when it has one. Decoded straight from the bytes (no
/// intermediate `serde_json::Value`).
pub(super) fn decode_answer<T: serde::de::DeserializeOwned>(
    endpoint: &'static str,
    bytes: &[u8],
    wrapper: Wrapper,
    what: &str,
    request_id: Option<String>,
) -> Result<T, BackendError> {
    use serde::de::IgnoredAny;
    // One reader for everything (`from_slice`, as snapshots, reports and every other text are
    // read): each type's decoder is compiled once, not once per reader.
    fn read<'a, X: Deserialize<'a>>(text: &'a str) -> serde_json::Result<X> {
        serde_json::from_slice(text.as_bytes())
    }
    let bytes = std::str::from_utf8(bytes).map_err(|_| {
        BackendError::invalid(endpoint, format!("{what}: not UTF-8"), request_id.clone())
    })?;
    let has = |probe: Result<(), serde_json::Error>| probe.is_ok();
    let wrapped: Option<Result<T, serde_json::Error>> = match wrapper {
        Wrapper::None => None,
        Wrapper::Session => has(read::<InSession<IgnoredAny>>(bytes).map(drop))
            .then(|| read::<InSession<T>>(bytes).map(|w| w.session)),
        Wrapper::Account => has(read::<InAccount<IgnoredAny>>(bytes).map(drop))
            .then(|| read::<InAccount<T>>(bytes).map(|w| w.account)),
        Wrapper::Accounts => {
            if has(read::<InAccounts<IgnoredAny>>(bytes).map(drop)) {
                Some(read::<InAccounts<T>>(bytes).map(|w| w.accounts))
            } else {
                has(read::<InData<IgnoredAny>>(bytes).map(drop))
                    .then(|| read::<InData<T>>(bytes).map(|w| w.data))
            }
        }
    };
    wrapped
        .unwrap_or_else(|| read::<T>(bytes))
        .map_err(|e| BackendError::invalid(endpoint, format!("{what}: {e}"), request_id))
}

/// `{"features": [...]}`.
pub(super) fn features_body(features: &[&str]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        features: &'a [&'a str],
    }
    serde_json::to_vec(&Body { features }).unwrap_or_default()
}

/// Every account of an answer checked before it can reach the app ([`data::check_account`]):
/// ids of Stripe's shape, lowercase ISO currency codes. A bad value is an invalid response naming
/// the field.
pub(super) fn check_accounts(
    endpoint: &'static str,
    accounts: &[Account],
    request_id: Option<String>,
) -> Result<(), BackendError> {
    for a in accounts {
        data::check_account(a)
            .map_err(|e| BackendError::invalid(endpoint, e.to_string(), request_id.clone()))?;
    }
    Ok(())
}

pub(super) fn check_session_ids(
    endpoint: &'static str,
    session: &Session,
    request_id: Option<String>,
) -> Result<(), BackendError> {
    ids::check(IdKind::Session, &session.id)
        .map_err(|e| BackendError::invalid(endpoint, e.to_string(), request_id.clone()))?;
    // The relink outcome hands these ids to the app.
    if let Some(r) = &session.relink_result {
        let field = |field: &str, kind, id: &Option<String>| match id {
            Some(id) => ids::check(kind, id).map_err(|e| {
                BackendError::invalid(endpoint, format!("{field}: {e}"), request_id.clone())
            }),
            None => Ok(()),
        };
        field("relink_result.account", IdKind::Account, &r.account)?;
        field(
            "relink_result.authorization",
            IdKind::Authorization,
            &r.authorization,
        )?;
    }
    check_accounts(endpoint, &session.accounts.data, request_id)
}

pub(super) fn create_session_body(options: &SessionOptions) -> Vec<u8> {
    #[derive(Serialize)]
    struct Filters<'a> {
        account_subcategories: &'a [finconn_core::model::AccountSubcategory],
    }
    #[derive(Serialize)]
    struct Relink<'a> {
        authorization: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        account: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        permissions: &'a [finconn_core::model::Permission],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        prefetch: &'a [finconn_core::model::PrefetchFeature],
        #[serde(skip_serializing_if = "Option::is_none")]
        filters: Option<Filters<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        return_url: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        relink: Option<Relink<'a>>,
    }
    let body = Body {
        permissions: &options.permissions,
        prefetch: &options.prefetch,
        filters: (!options.account_subcategories.is_empty()).then_some(Filters {
            account_subcategories: &options.account_subcategories,
        }),
        return_url: options.return_url.as_deref(),
        relink: options.relink.as_ref().map(|r| Relink {
            authorization: &r.authorization,
            account: r.account.as_deref(),
        }),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// Reads every response shape of the contract (ours, and the two of Stripe's guides), and checks
/// the shapes of what will be persisted or put in a path.
pub(super) fn parse_created_session(bytes: &[u8]) -> Result<CreatedSession, String> {
    /// Every accepted spelling, decoded straight from the bytes.
    #[derive(Deserialize)]
    struct Wire {
        #[serde(default, alias = "sessionId")]
        session_id: Option<String>,
        #[serde(default)]
        id: Option<String>,
        #[serde(
            default,
            alias = "clientSecret",
            alias = "financialConnectionsSessionClientSecret",
            alias = "financial_connections_session_client_secret"
        )]
        client_secret: Option<String>,
        #[serde(default, alias = "publishableKey")]
        publishable_key: Option<String>,
        #[serde(default, alias = "stripeAccount")]
        stripe_account: Option<String>,
        #[serde(default)]
        livemode: Option<bool>,
        #[serde(default, alias = "reportToken")]
        report_token: Option<String>,
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "the answer is not UTF-8".to_owned())?;
    let w: Wire = serde_json::from_slice(text.as_bytes())
        .map_err(|e| policy::scrub(&format!("not the create-session answer: {e}")))?;
    let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
    let client_secret = nonempty(w.client_secret).ok_or("no client_secret in the answer")?;
    let publishable_key = nonempty(w.publishable_key).ok_or("no publishable_key in the answer")?;
    let session_id = nonempty(w.session_id)
        .or_else(|| nonempty(w.id))
        .or_else(|| {
            client_secret
                .split_once("_secret_")
                .map(|(id, _)| id.to_owned())
        })
        .ok_or("no session_id in the answer, and the client secret does not contain one")?;
    ids::check(IdKind::Session, &session_id).map_err(|e| e.to_string())?;
    if client_secret.len() > 512 || !client_secret.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the client secret is not a Stripe client secret".into());
    }
    if publishable_key.len() > 512 || !publishable_key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the publishable key is not a Stripe key".into());
    }
    let stripe_account = nonempty(w.stripe_account);
    if let Some(a) = &stripe_account {
        if !a.starts_with("acct_")
            || a.len() > 255
            || !a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err("stripe_account is not a Stripe account id (acct_…)".into());
        }
    }
    let report_token = nonempty(w.report_token);
    if let Some(t) = &report_token {
        if !ids::is_valid_report_token(t) {
            return Err("report_token is not 1 to 512 visible ASCII characters".into());
        }
    }
    // From now on the scrubber redacts them wherever they appear, whatever their shape.
    policy::remember_secret(&client_secret);
    if let Some((_, half)) = client_secret.split_once("_secret_") {
        policy::remember_secret(half);
    }
    policy::remember_secret(&publishable_key);
    if let Some(t) = &report_token {
        policy::remember_secret(t);
    }
    Ok(CreatedSession {
        session_id,
        client_secret: Secret::new(client_secret),
        publishable_key: Secret::new(publishable_key),
        stripe_account,
        livemode: w.livemode.unwrap_or(false),
        report_token: report_token.map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parse(v: &Value) -> Result<CreatedSession, String> {
        parse_created_session(&serde_json::to_vec(v).unwrap())
    }

    fn body(o: &SessionOptions) -> Value {
        serde_json::from_slice(&create_session_body(o)).unwrap()
    }

    #[test]
    fn every_documented_response_shape_parses() {
        let ours = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "livemode": true, "report_token": "rt_1", "stripe_account": "acct_1"});
        let s = parse(&ours).unwrap();
        assert_eq!(s.session_id, "fcsess_1");
        assert!(s.livemode);
        assert_eq!(s.stripe_account.as_deref(), Some("acct_1"));
        assert_eq!(s.report_token.unwrap().expose(), "rt_1");
        let guide = json!({"client_secret": "fcsess_2_secret_y", "publishable_key": "pk_test_2"});
        assert_eq!(parse(&guide).unwrap().session_id, "fcsess_2");
        let camel = json!({"financialConnectionsSessionClientSecret": "fcsess_3_secret_z", "publishableKey": "pk_test_3"});
        let s = parse(&camel).unwrap();
        assert_eq!(s.session_id, "fcsess_3");
        assert_eq!(s.publishable_key.expose(), "pk_test_3");
        assert!(parse(&json!({"publishable_key": "pk"}))
            .unwrap_err()
            .contains("client_secret"));
        assert!(parse(&json!({"client_secret": "opaque", "publishable_key": "pk"})).is_err());
    }

    #[test]
    fn hostile_session_ids_and_tokens_are_refused() {
        for id in ["..", ".", "a b", "fcsess_a/b", "fcsess_1%2F..", "../../x"] {
            let v = json!({"session_id": id, "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1"});
            assert!(parse(&v).is_err(), "{id:?}");
        }
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "report_token": "a\nb"});
        assert!(parse(&v).is_err());
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x\r\nX: y", "publishable_key": "pk_test_1"});
        assert!(parse(&v).is_err());
        let v = json!({"session_id": "fcsess_1", "client_secret": "fcsess_1_secret_x", "publishable_key": "pk_test_1", "stripe_account": "acct_1\r\nX: y"});
        assert!(parse(&v).is_err());
    }

    #[test]
    fn created_session_and_report_debug_redact_secrets() {
        let s = parse(&json!({"client_secret": "fcsess_9_secret_TOPSECRET", "publishable_key": "pk_test_KEY", "report_token": "rt_TOKEN"})).unwrap();
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("TOPSECRET")
                && !debug.contains("pk_test_KEY")
                && !debug.contains("rt_TOKEN"),
            "{debug}"
        );
        let report = CompletionReport {
            report_id: "fcidem_1-complete".into(),
            flow_id: "flow_1".into(),
            session_id: "fcsess_1".into(),
            report_token: Some("rt_TOKEN".into()),
            sheet_outcome: "completed".into(),
            account_ids: vec![],
            error_code: None,
            return_url_status: None,
        };
        assert!(!format!("{report:?}").contains("rt_TOKEN"));
        assert!(report.check().is_ok());
    }

    #[test]
    fn ids_and_currencies_a_session_hands_the_app_are_checked() {
        let session = |extra: Value| -> Session {
            let mut v = json!({"id": "fcsess_1", "object": "financial_connections.session",
                "livemode": false, "permissions": ["balances"],
                "accounts": {"object": "list", "has_more": false, "data": []}});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value(v).unwrap()
        };
        let ok =
            session(json!({"relink_result": {"account": "fca_1", "authorization": "fcauth_1"}}));
        assert!(check_session_ids("complete_session", &ok, None).is_ok());
        for (extra, field) in [
            (
                json!({"relink_result": {"account": "../../x", "authorization": "fcauth_1"}}),
                "relink_result.account",
            ),
            (
                json!({"relink_result": {"authorization": "fcauth_1\r\nX: y"}}),
                "relink_result.authorization",
            ),
            (
                json!({"accounts": {"object": "list", "has_more": false, "data": [{
                    "id": "fca_1", "object": "financial_connections.account", "livemode": false,
                    "created": 1, "institution_name": "Bank", "category": "cash",
                    "subcategory": "checking", "status": "active",
                    "balance": {"as_of": 1, "type": "cash", "current": {"USD": 1}}}]}}),
                "balance.current",
            ),
        ] {
            let e = check_session_ids("complete_session", &session(extra), None).unwrap_err();
            assert!(e.to_string().contains(field), "{e}");
            assert_eq!(e.code(), "invalid_response");
        }
    }

    #[test]
    fn create_body_follows_the_contract() {
        let mut o =
            SessionOptions::with_permissions(vec![finconn_core::model::Permission::Balances]);
        assert_eq!(body(&o), json!({"permissions": ["balances"]}));
        o.relink = Some(finconn_core::options::RelinkRequest {
            authorization: "fcauth_1".into(),
            account: None,
            known_account_ids: vec!["fca_9".into()],
        });
        o.account_subcategories = vec![finconn_core::model::AccountSubcategory::Checking];
        o.return_url = Some("myapp://r".into());
        assert_eq!(
            body(&o),
            json!({"permissions": ["balances"], "filters": {"account_subcategories": ["checking"]}, "return_url": "myapp://r", "relink": {"authorization": "fcauth_1"}})
        );
    }
}
