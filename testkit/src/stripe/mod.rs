//! The Stripe side: the async [`StripeApi`] trait the merchant backend talks through (the secret-key
//! Financial Connections API: sessions, accounts, and account data — refreshes, owners,
//! transactions, subscriptions), its parameters and form encoding, [`StripeError`], and the two
//! implementations — [`InMemoryStripe`] (the simulator's own Stripe) and [`HttpStripe`] (Stripe's
//! real API over HTTPS). The `/v1` HTTP routes of the in-memory Stripe live in `routes.rs`.
//!
//! Objects cross this API as `serde_json::Value`, exactly as Stripe sends them.

pub(crate) mod data;
pub(crate) mod history;
#[cfg(feature = "client")]
mod http_client;
pub(crate) mod memory;
pub(crate) mod objects;
pub(crate) mod routes;

use std::future::Future;
use std::pin::Pin;

use serde_json::{json, Value};

#[cfg(feature = "client")]
pub use http_client::HttpStripe;
pub use memory::InMemoryStripe;

/// A boxed, `Send` future: what [`StripeApi`]'s methods return, so the trait is object safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The secret-key Stripe API the merchant backend needs. Implementations: [`InMemoryStripe`]
/// (direct calls into the simulator's Stripe) and [`HttpStripe`] (Stripe's real API).
pub trait StripeApi: Send + Sync {
    /// `POST /v1/customers` (`description`): the `customer` object.
    fn create_customer<'a>(
        &'a self,
        description: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `POST /v1/financial_connections/sessions`: the session, with its `client_secret`.
    fn create_session<'a>(
        &'a self,
        params: &'a CreateSessionParams,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `GET /v1/financial_connections/sessions/{id}`: the session with the first page of accounts.
    fn retrieve_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `GET /v1/financial_connections/accounts`: one page, a Stripe list object.
    fn list_accounts<'a>(
        &'a self,
        query: &'a ListAccountsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `GET /v1/financial_connections/accounts/{id}`.
    fn retrieve_account<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `POST /v1/financial_connections/accounts/{id}/disconnect`: the account, `disconnected`.
    fn disconnect_account<'a>(
        &'a self,
        id: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `POST /v1/financial_connections/accounts/{id}/refresh` with `features[]=balance`,
    /// `ownership`, `transactions`: the account, those refreshes `pending`.
    fn refresh_account<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `GET /v1/financial_connections/accounts/{id}/owners?ownership=fcaowns_…`: one page, a
    /// Stripe list of `financial_connections.account_owner`.
    fn list_owners<'a>(
        &'a self,
        account_id: &'a str,
        ownership_id: &'a str,
        starting_after: Option<&'a str>,
        limit: Option<u32>,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `GET /v1/financial_connections/transactions?account=fca_…`: one page, a Stripe list of
    /// `financial_connections.transaction`, newest first.
    fn list_transactions<'a>(
        &'a self,
        query: &'a ListTransactionsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `POST /v1/financial_connections/accounts/{id}/subscribe` with `features[]=transactions`:
    /// the account, with `subscriptions: ["transactions"]`.
    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>>;

    /// `POST /v1/financial_connections/accounts/{id}/unsubscribe` with `features[]=transactions`:
    /// the account, without those subscriptions.
    fn unsubscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>>;
}

/// Who owns the accounts of a session (`account_holder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountHolder {
    /// `account_holder[type]=customer`, `account_holder[customer]=cus_…`.
    Customer(String),
    /// `account_holder[type]=account`, `account_holder[account]=acct_…`.
    Account(String),
}

impl AccountHolder {
    pub(crate) fn to_json(&self) -> Value {
        match self {
            AccountHolder::Customer(c) => json!({"customer": c, "type": "customer"}),
            AccountHolder::Account(a) => json!({"account": a, "type": "account"}),
        }
    }
}

/// `relink_options` of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelinkOptions {
    pub authorization: String,
    pub account: Option<String>,
}

/// The parameters of `POST /v1/financial_connections/sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSessionParams {
    pub account_holder: AccountHolder,
    pub permissions: Vec<String>,
    pub prefetch: Vec<String>,
    /// `filters[account_subcategories][]`; `None` when not filtered.
    pub account_subcategories: Option<Vec<String>>,
    pub return_url: Option<String>,
    pub relink_options: Option<RelinkOptions>,
}

pub(crate) const PERMISSIONS: &[&str] =
    &["balances", "ownership", "payment_method", "transactions"];
pub(crate) const PREFETCH: &[&str] =
    &["balances", "inferred_balances", "ownership", "transactions"];
pub(crate) const SUBCATEGORIES: &[&str] = &[
    "checking",
    "credit_card",
    "line_of_credit",
    "mortgage",
    "savings",
];

impl CreateSessionParams {
    /// A session for `customer` with these permissions and nothing else.
    pub fn for_customer(customer: impl Into<String>, permissions: &[&str]) -> Self {
        CreateSessionParams {
            account_holder: AccountHolder::Customer(customer.into()),
            permissions: permissions.iter().map(|s| s.to_string()).collect(),
            prefetch: Vec::new(),
            account_subcategories: None,
            return_url: None,
            relink_options: None,
        }
    }

    /// The form pairs Stripe expects, in a stable order: `account_holder[type]`,
    /// `account_holder[customer]` (or `[account]`), `permissions[]`…, `prefetch[]`…,
    /// `filters[account_subcategories][]`…, `return_url`, `relink_options[authorization]`,
    /// `relink_options[account]`. Empty `prefetch` is omitted.
    pub fn to_form(&self) -> Vec<(String, String)> {
        let mut f: Vec<(String, String)> = Vec::new();
        let mut push = |k: &str, v: &str| f.push((k.to_string(), v.to_string()));
        match &self.account_holder {
            AccountHolder::Customer(c) => {
                push("account_holder[type]", "customer");
                push("account_holder[customer]", c);
            }
            AccountHolder::Account(a) => {
                push("account_holder[type]", "account");
                push("account_holder[account]", a);
            }
        }
        for p in &self.permissions {
            push("permissions[]", p);
        }
        for p in &self.prefetch {
            push("prefetch[]", p);
        }
        if let Some(subs) = &self.account_subcategories {
            for s in subs {
                push("filters[account_subcategories][]", s);
            }
        }
        if let Some(r) = &self.return_url {
            push("return_url", r);
        }
        if let Some(r) = &self.relink_options {
            push("relink_options[authorization]", &r.authorization);
            if let Some(a) = &r.account {
                push("relink_options[account]", a);
            }
        }
        f
    }

    /// Reads Stripe's form encoding, validating like Stripe does: unknown parameters, missing
    /// required ones and values outside the enums are `400 invalid_request_error`. Arrays may be
    /// sent as `name[]` or `name[0]`, `name[1]`… (as Stripe's server SDKs do).
    pub fn from_form(pairs: &[(String, String)]) -> Result<Self, StripeError> {
        let mut holder_type = None;
        let mut customer = None;
        let mut account = None;
        let mut permissions = Vec::new();
        let mut prefetch = Vec::new();
        let mut subcategories: Option<Vec<String>> = None;
        let mut return_url = None;
        let mut relink_authorization = None;
        let mut relink_account = None;
        for (k, v) in pairs {
            let k = k.as_str();
            if array_item(k, "permissions").is_some() {
                permissions.push(v.clone());
            } else if array_item(k, "prefetch").is_some() {
                prefetch.push(v.clone());
            } else if array_item(k, "filters[account_subcategories]").is_some() {
                subcategories.get_or_insert_with(Vec::new).push(v.clone());
            } else if array_item(k, "expand").is_some()
                || array_item(k, "filters[countries]").is_some()
            {
                // accepted and ignored
            } else {
                match k {
                    "account_holder[type]" => holder_type = Some(v.clone()),
                    "account_holder[customer]" => customer = Some(v.clone()),
                    "account_holder[account]" => account = Some(v.clone()),
                    "return_url" => return_url = Some(v.clone()),
                    "relink_options[authorization]" => relink_authorization = Some(v.clone()),
                    "relink_options[account]" => relink_account = Some(v.clone()),
                    other => {
                        return Err(StripeError::invalid(
                            "parameter_unknown",
                            format!("Received unknown parameter: {other}"),
                            Some(other),
                        ))
                    }
                }
            }
        }
        let account_holder = match holder_type.as_deref() {
            None => return Err(StripeError::missing("account_holder[type]")),
            Some("customer") => AccountHolder::Customer(
                customer
                    .filter(|c| !c.is_empty())
                    .ok_or_else(|| StripeError::missing("account_holder[customer]"))?,
            ),
            Some("account") => AccountHolder::Account(
                account
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| StripeError::missing("account_holder[account]"))?,
            ),
            Some(other) => return Err(StripeError::invalid_value("account_holder[type]", other)),
        };
        let relink_options = match (relink_authorization, relink_account) {
            (None, None) => None,
            (Some(a), account) if !a.is_empty() => Some(RelinkOptions {
                authorization: a,
                account: account.filter(|s| !s.is_empty()),
            }),
            _ => return Err(StripeError::missing("relink_options[authorization]")),
        };
        let params = CreateSessionParams {
            account_holder,
            permissions,
            prefetch,
            account_subcategories: subcategories,
            return_url: return_url.filter(|r| !r.is_empty()),
            relink_options,
        };
        params.validate()?;
        Ok(params)
    }

    /// Stripe's checks on the values: permissions present, enums respected.
    pub fn validate(&self) -> Result<(), StripeError> {
        if self.permissions.is_empty() {
            return Err(StripeError::missing("permissions"));
        }
        check_enum("permissions", &self.permissions, PERMISSIONS)?;
        check_enum("prefetch", &self.prefetch, PREFETCH)?;
        if let Some(s) = &self.account_subcategories {
            check_enum("filters[account_subcategories]", s, SUBCATEGORIES)?;
        }
        if let Some(r) = &self.relink_options {
            if r.authorization.is_empty() {
                return Err(StripeError::missing("relink_options[authorization]"));
            }
        }
        Ok(())
    }
}

/// `Some(index)` when `key` is `name[]` (index `None` inside) or `name[<digits>]`.
pub(crate) fn array_item(key: &str, name: &str) -> Option<Option<usize>> {
    let rest = key
        .strip_prefix(name)?
        .strip_prefix('[')?
        .strip_suffix(']')?;
    if rest.is_empty() {
        Some(None)
    } else if rest.bytes().all(|b| b.is_ascii_digit()) {
        rest.parse().ok().map(Some)
    } else {
        None
    }
}

fn check_enum(param: &str, values: &[String], allowed: &[&str]) -> Result<(), StripeError> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(StripeError::invalid_value(param, bad)),
        None => Ok(()),
    }
}

/// The filters of `GET /v1/financial_connections/accounts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListAccountsQuery {
    /// `session=fcsess_…`.
    pub session: Option<String>,
    /// `account_holder[customer]=cus_…`.
    pub customer: Option<String>,
    pub starting_after: Option<String>,
    /// 1..=100; Stripe's default is 10.
    pub limit: Option<u32>,
}

impl ListAccountsQuery {
    pub fn for_session(session: impl Into<String>) -> Self {
        ListAccountsQuery {
            session: Some(session.into()),
            ..Default::default()
        }
    }

    pub fn for_customer(customer: impl Into<String>) -> Self {
        ListAccountsQuery {
            customer: Some(customer.into()),
            ..Default::default()
        }
    }

    /// The query pairs, in a stable order.
    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut q = Vec::new();
        if let Some(s) = &self.session {
            q.push(("session".to_string(), s.clone()));
        }
        if let Some(c) = &self.customer {
            q.push(("account_holder[customer]".to_string(), c.clone()));
        }
        if let Some(l) = self.limit {
            q.push(("limit".to_string(), l.to_string()));
        }
        if let Some(s) = &self.starting_after {
            q.push(("starting_after".to_string(), s.clone()));
        }
        q
    }
}

/// The filters of `GET /v1/financial_connections/transactions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTransactionsQuery {
    /// `account=fca_…` (required).
    pub account: String,
    pub starting_after: Option<String>,
    /// 1..=100; Stripe's default is 10.
    pub limit: Option<u32>,
    /// `transaction_refresh[after]=fctxnref_…`: only the transactions created or changed by a
    /// later transaction refresh of the account.
    pub transaction_refresh_after: Option<String>,
}

impl ListTransactionsQuery {
    pub fn for_account(account: impl Into<String>) -> Self {
        ListTransactionsQuery {
            account: account.into(),
            ..Default::default()
        }
    }

    /// The query pairs, in a stable order: `account`, `limit`, `starting_after`,
    /// `transaction_refresh[after]`.
    pub fn to_query(&self) -> Vec<(String, String)> {
        let mut q = vec![("account".to_string(), self.account.clone())];
        if let Some(l) = self.limit {
            q.push(("limit".to_string(), l.to_string()));
        }
        if let Some(s) = &self.starting_after {
            q.push(("starting_after".to_string(), s.clone()));
        }
        if let Some(r) = &self.transaction_refresh_after {
            q.push(("transaction_refresh[after]".to_string(), r.clone()));
        }
        q
    }
}

/// The form of `refresh`, `subscribe` and `unsubscribe`: one `features[]` pair per feature.
pub fn features_form(features: &[String]) -> Vec<(String, String)> {
    features
        .iter()
        .map(|f| ("features[]".to_string(), f.clone()))
        .collect()
}

/// Reads `features[]` (or `features[0]`, `features[1]`…) from a form; anything else but
/// `expand[]` is Stripe's `parameter_unknown`.
pub(crate) fn features_from_form(pairs: &[(String, String)]) -> Result<Vec<String>, StripeError> {
    let mut features = Vec::new();
    for (k, v) in pairs {
        if array_item(k, "features").is_some() {
            features.push(v.clone());
        } else if array_item(k, "expand").is_none() {
            return Err(StripeError::invalid(
                "parameter_unknown",
                format!("Received unknown parameter: {k}"),
                Some(k),
            ));
        }
    }
    Ok(features)
}

/// Pages a list from `starting_after` while `has_more` (at most 100 pages).
async fn collect_pages<'a, F>(
    starting_after: Option<String>,
    mut fetch: F,
) -> Result<Vec<Value>, StripeError>
where
    F: FnMut(Option<String>) -> BoxFuture<'a, Result<Value, StripeError>>,
{
    let mut all = Vec::new();
    let mut after = starting_after;
    for _ in 0..100 {
        let page = fetch(after.take()).await?;
        let data = page
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| StripeError::Decode("a list without `data`".into()))?;
        all.extend(data.iter().cloned());
        let has_more = page.get("has_more").and_then(Value::as_bool) == Some(true);
        let last = data
            .last()
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str);
        match (has_more, last) {
            (true, Some(last)) => after = Some(last.to_string()),
            _ => return Ok(all),
        }
    }
    Ok(all)
}

/// Every account of a list, paging with `starting_after` while `has_more` (100 per page, at
/// most 100 pages).
pub async fn list_all_accounts(
    api: &dyn StripeApi,
    query: &ListAccountsQuery,
) -> Result<Vec<Value>, StripeError> {
    collect_pages(query.starting_after.clone(), |after| {
        let q = ListAccountsQuery {
            limit: Some(100),
            starting_after: after,
            ..query.clone()
        };
        Box::pin(async move { api.list_accounts(&q).await })
    })
    .await
}

/// Every transaction of a list (newest first), paging like [`list_all_accounts`].
pub async fn list_all_transactions(
    api: &dyn StripeApi,
    query: &ListTransactionsQuery,
) -> Result<Vec<Value>, StripeError> {
    collect_pages(query.starting_after.clone(), |after| {
        let q = ListTransactionsQuery {
            limit: Some(100),
            starting_after: after,
            ..query.clone()
        };
        Box::pin(async move { api.list_transactions(&q).await })
    })
    .await
}

/// Every owner of an account's ownership, paging like [`list_all_accounts`].
pub async fn list_all_owners(
    api: &dyn StripeApi,
    account_id: &str,
    ownership_id: &str,
) -> Result<Vec<Value>, StripeError> {
    collect_pages(None, |after| {
        Box::pin(async move {
            api.list_owners(account_id, ownership_id, after.as_deref(), Some(100))
                .await
        })
    })
    .await
}

/// The session with **all** its accounts in `accounts.data` (`has_more: false`): what the
/// merchant backend answers to a completion report.
pub async fn retrieve_session_with_accounts(
    api: &dyn StripeApi,
    id: &str,
) -> Result<Value, StripeError> {
    let mut session = api.retrieve_session(id).await?;
    let accounts = session.get("accounts").cloned().unwrap_or(Value::Null);
    let complete = accounts.get("has_more").and_then(Value::as_bool) == Some(false);
    let data = if complete {
        accounts
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    } else {
        list_all_accounts(api, &ListAccountsQuery::for_session(id)).await?
    };
    session["accounts"] = json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": "/v1/financial_connections/accounts",
    });
    Ok(session)
}

/// A failed Stripe call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error object.
    #[error("Stripe answered {status} {kind}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        status: u16,
        /// `type`: `invalid_request_error`, `api_error`, `authentication_error`, …
        kind: String,
        code: Option<String>,
        message: String,
        param: Option<String>,
    },
    /// The request did not get an answer (connection, timeout).
    #[error("could not reach Stripe: {0}")]
    Transport(String),
    /// The answer was not the JSON expected.
    #[error("unreadable answer from Stripe: {0}")]
    Decode(String),
    /// A client that cannot be used as configured.
    #[error("invalid Stripe client configuration: {0}")]
    Config(String),
}

impl StripeError {
    pub(crate) fn invalid(code: &str, message: impl Into<String>, param: Option<&str>) -> Self {
        StripeError::Api {
            status: 400,
            kind: "invalid_request_error".into(),
            code: Some(code.into()),
            message: message.into(),
            param: param.map(str::to_string),
        }
    }

    pub(crate) fn missing(param: &str) -> Self {
        StripeError::invalid(
            "parameter_missing",
            format!("Missing required param: {param}."),
            Some(param),
        )
    }

    pub(crate) fn invalid_value(param: &str, value: &str) -> Self {
        StripeError::invalid(
            "parameter_invalid_empty",
            format!("Invalid {param}: must be one of the documented values (got `{value}`)"),
            Some(param),
        )
    }

    pub(crate) fn no_such(kind: &str, id: &str, param: Option<&str>) -> Self {
        StripeError::Api {
            status: 404,
            kind: "invalid_request_error".into(),
            code: Some("resource_missing".into()),
            message: format!("No such {kind}: '{id}'"),
            param: param.map(str::to_string),
        }
    }

    pub(crate) fn unauthorized() -> Self {
        StripeError::Api {
            status: 401,
            kind: "invalid_request_error".into(),
            code: None,
            message: "Invalid API Key provided.".into(),
            param: None,
        }
    }

    /// The HTTP status this error is served with (`502` for transport/decode failures).
    pub fn status(&self) -> u16 {
        match self {
            StripeError::Api { status, .. } => *status,
            _ => 502,
        }
    }

    /// Stripe's error body: `{"error": {"type", "code", "message", "param"}}`.
    pub fn to_json(&self) -> Value {
        match self {
            StripeError::Api {
                kind,
                code,
                message,
                param,
                ..
            } => {
                let mut e = json!({"type": kind, "message": message});
                if let Some(c) = code {
                    e["code"] = json!(c);
                }
                if let Some(p) = param {
                    e["param"] = json!(p);
                }
                json!({ "error": e })
            }
            other => json!({"error": {"type": "api_error", "message": other.to_string()}}),
        }
    }

    /// Reads Stripe's error body (anything else becomes an `api_error` with the status).
    #[cfg_attr(not(feature = "client"), allow(dead_code))]
    pub(crate) fn from_body(status: u16, body: &[u8]) -> Self {
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let e = &v["error"];
        let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        StripeError::Api {
            status,
            kind: s("type").unwrap_or_else(|| "api_error".into()),
            code: s("code"),
            message: s("message").unwrap_or_else(|| format!("HTTP {status}")),
            param: s("param"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn form_round_trip_with_every_field() {
        let p = CreateSessionParams {
            account_holder: AccountHolder::Customer("cus_1".into()),
            permissions: vec!["balances".into(), "payment_method".into()],
            prefetch: vec!["balances".into()],
            account_subcategories: Some(vec!["checking".into(), "savings".into()]),
            return_url: Some("myapp://stripe-redirect?x=1".into()),
            relink_options: Some(RelinkOptions {
                authorization: "fcauth_1".into(),
                account: Some("fca_1".into()),
            }),
        };
        let form = p.to_form();
        assert_eq!(form[0], ("account_holder[type]".into(), "customer".into()));
        assert_eq!(CreateSessionParams::from_form(&form).unwrap(), p);
    }

    #[test]
    fn indexed_arrays_are_accepted() {
        let form = pairs(&[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", "cus_1"),
            ("permissions[0]", "balances"),
            ("permissions[1]", "ownership"),
            ("filters[account_subcategories][0]", "checking"),
        ]);
        let p = CreateSessionParams::from_form(&form).unwrap();
        assert_eq!(p.permissions, vec!["balances", "ownership"]);
        assert_eq!(p.account_subcategories, Some(vec!["checking".to_string()]));
    }

    #[test]
    fn validation_errors_look_like_stripe() {
        let base = [
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", "cus_1"),
        ];
        let e = CreateSessionParams::from_form(&pairs(&base)).unwrap_err();
        assert!(
            matches!(&e, StripeError::Api { status: 400, param: Some(p), .. } if p == "permissions")
        );
        let mut bad = base.to_vec();
        bad.push(("permissions[]", "everything"));
        assert!(CreateSessionParams::from_form(&pairs(&bad)).is_err());
        let mut unknown = base.to_vec();
        unknown.extend([("permissions[]", "balances"), ("surprise", "1")]);
        let e = CreateSessionParams::from_form(&pairs(&unknown)).unwrap_err();
        assert_eq!(e.to_json()["error"]["code"], "parameter_unknown");
        let only_account = pairs(&[
            ("account_holder[type]", "customer"),
            ("account_holder[customer]", "cus_1"),
            ("permissions[]", "balances"),
            ("relink_options[account]", "fca_1"),
        ]);
        assert!(CreateSessionParams::from_form(&only_account).is_err());
    }

    #[test]
    fn features_forms() {
        let f = vec!["balance".to_string(), "transactions".to_string()];
        let form = features_form(&f);
        assert_eq!(form[0], ("features[]".into(), "balance".into()));
        assert_eq!(features_from_form(&form).unwrap(), f);
        let indexed = pairs(&[("features[0]", "ownership"), ("expand[]", "x")]);
        assert_eq!(features_from_form(&indexed).unwrap(), vec!["ownership"]);
        let bad = pairs(&[("features", "balance")]);
        let e = features_from_form(&bad).unwrap_err();
        assert_eq!(e.to_json()["error"]["code"], "parameter_unknown");
    }

    #[test]
    fn transaction_queries_in_a_stable_order() {
        let q = ListTransactionsQuery {
            account: "fca_1".into(),
            starting_after: Some("fctxn_1".into()),
            limit: Some(100),
            transaction_refresh_after: Some("fctxnref_1".into()),
        };
        let keys: Vec<String> = q.to_query().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "account",
                "limit",
                "starting_after",
                "transaction_refresh[after]"
            ]
        );
        assert_eq!(
            ListTransactionsQuery::for_account("fca_1").to_query().len(),
            1
        );
    }

    #[test]
    fn error_body_round_trip() {
        let e = StripeError::no_such("financial_connections.session", "fcsess_x", Some("id"));
        let body = serde_json::to_vec(&e.to_json()).unwrap();
        assert_eq!(StripeError::from_body(404, &body), e);
    }
}
