//! The `/v1` HTTP routes of the in-memory Stripe: the secret-key API the merchant backend (or
//! [`HttpStripe`](super::HttpStripe)) calls, and the two publishable-key endpoints Stripe's mobile
//! SDKs call after the sheet (`session_receipt`, `list_accounts`). Request parsing, key checks
//! and Stripe-shaped errors; the objects come from [`InMemoryStripe`].

use serde_json::Value;

use super::{
    features_from_form, CreateSessionParams, InMemoryStripe, ListAccountsQuery,
    ListTransactionsQuery, StripeError,
};
use crate::faults::Endpoint;
use crate::http::{Request, Response};

/// A recognised `/v1` route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StripeRoute {
    CreateCustomer,
    CreateSession,
    RetrieveSession(String),
    ListAccounts,
    RetrieveAccount(String),
    Disconnect(String),
    Refresh(String),
    Owners(String),
    Transactions,
    Subscribe(String),
    Unsubscribe(String),
    Authorization(String),
    SessionReceipt,
    ReceiptAccounts,
}

impl StripeRoute {
    pub fn endpoint(&self) -> Endpoint {
        match self {
            StripeRoute::CreateCustomer => Endpoint::StripeCreateCustomer,
            StripeRoute::CreateSession => Endpoint::StripeCreateSession,
            StripeRoute::RetrieveSession(_) => Endpoint::StripeRetrieveSession,
            StripeRoute::ListAccounts | StripeRoute::RetrieveAccount(_) => Endpoint::StripeAccounts,
            StripeRoute::Disconnect(_) => Endpoint::StripeDisconnect,
            StripeRoute::Refresh(_) => Endpoint::StripeRefresh,
            StripeRoute::Owners(_) => Endpoint::StripeOwners,
            StripeRoute::Transactions => Endpoint::StripeTransactions,
            StripeRoute::Subscribe(_) | StripeRoute::Unsubscribe(_) => {
                Endpoint::StripeSubscriptions
            }
            StripeRoute::Authorization(_) => Endpoint::StripeAuthorization,
            StripeRoute::SessionReceipt => Endpoint::StripeSessionReceipt,
            StripeRoute::ReceiptAccounts => Endpoint::StripeListAccounts,
        }
    }

    fn publishable(&self) -> bool {
        matches!(
            self,
            StripeRoute::SessionReceipt | StripeRoute::ReceiptAccounts
        )
    }
}

/// Matches a `/v1/…` request. `None` when it is not one of ours.
pub(crate) fn route(method: &str, segments: &[String]) -> Option<StripeRoute> {
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let r = match (method, s.as_slice()) {
        ("POST", ["v1", "customers"]) => StripeRoute::CreateCustomer,
        ("POST", ["v1", "financial_connections", "sessions"]) => StripeRoute::CreateSession,
        ("GET", ["v1", "financial_connections", "sessions", id]) => {
            StripeRoute::RetrieveSession(id.to_string())
        }
        ("GET", ["v1", "financial_connections", "accounts"]) => StripeRoute::ListAccounts,
        ("GET", ["v1", "financial_connections", "accounts", id]) => {
            StripeRoute::RetrieveAccount(id.to_string())
        }
        ("POST", ["v1", "financial_connections", "accounts", id, "disconnect"]) => {
            StripeRoute::Disconnect(id.to_string())
        }
        ("POST", ["v1", "financial_connections", "accounts", id, "refresh"]) => {
            StripeRoute::Refresh(id.to_string())
        }
        ("GET", ["v1", "financial_connections", "accounts", id, "owners"]) => {
            StripeRoute::Owners(id.to_string())
        }
        ("POST", ["v1", "financial_connections", "accounts", id, "subscribe"]) => {
            StripeRoute::Subscribe(id.to_string())
        }
        ("POST", ["v1", "financial_connections", "accounts", id, "unsubscribe"]) => {
            StripeRoute::Unsubscribe(id.to_string())
        }
        ("GET", ["v1", "financial_connections", "transactions"]) => StripeRoute::Transactions,
        ("GET", ["v1", "financial_connections", "authorizations", id]) => {
            StripeRoute::Authorization(id.to_string())
        }
        ("GET", ["v1", "link_account_sessions", "session_receipt"]) => StripeRoute::SessionReceipt,
        ("GET", ["v1", "link_account_sessions", "list_accounts"]) => StripeRoute::ReceiptAccounts,
        _ => return None,
    };
    Some(r)
}

/// Stripe's 404 for a path it does not know.
pub(crate) fn unrecognized(req: &Request) -> Response {
    let e = StripeError::Api {
        status: 404,
        kind: "invalid_request_error".into(),
        code: None,
        message: format!("Unrecognized request URL ({} {}).", req.method, req.path),
        param: None,
    };
    error(&e)
}

pub(crate) fn error(e: &StripeError) -> Response {
    Response::json(e.status(), &e.to_json())
}

fn auth_error(message: &str) -> StripeError {
    StripeError::Api {
        status: 401,
        kind: "invalid_request_error".into(),
        code: None,
        message: message.into(),
        param: None,
    }
}

fn check_key(
    stripe: &InMemoryStripe,
    route: &StripeRoute,
    req: &Request,
) -> Result<(), StripeError> {
    let Some(auth) = req.header("authorization") else {
        return Err(auth_error(
            "You did not provide an API key. Provide it in the Authorization header, using Bearer auth.",
        ));
    };
    let key = auth.strip_prefix("Bearer ").unwrap_or("").trim();
    let expected = if route.publishable() {
        stripe.publishable_key()
    } else {
        stripe.secret_key()
    };
    if key == expected {
        return Ok(());
    }
    // Messages never echo the key that was sent.
    if route.publishable() && key.starts_with("sk_") {
        return Err(auth_error(
            "This endpoint is called by Stripe's mobile SDKs with the publishable key; a secret key must never reach an app.",
        ));
    }
    if !route.publishable() && key.starts_with("pk_") {
        return Err(auth_error(
            "This API call cannot be made with a publishable API key. Please use a secret API key.",
        ));
    }
    Err(StripeError::unauthorized())
}

fn only_params(pairs: &[(String, String)], allowed: &[&str]) -> Result<(), StripeError> {
    for (k, _) in pairs {
        let base = k.split('[').next().unwrap_or(k);
        let ok = allowed.iter().any(|a| a == k || *a == base);
        if !ok {
            return Err(StripeError::invalid(
                "parameter_unknown",
                format!("Received unknown parameter: {k}"),
                Some(k),
            ));
        }
    }
    Ok(())
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn limit(pairs: &[(String, String)]) -> Result<Option<u32>, StripeError> {
    match get(pairs, "limit") {
        None => Ok(None),
        Some(l) => l.parse().map(Some).map_err(|_| {
            StripeError::invalid(
                "parameter_invalid_integer",
                "Invalid integer: limit",
                Some("limit"),
            )
        }),
    }
}

fn transactions_query(query: &[(String, String)]) -> Result<ListTransactionsQuery, StripeError> {
    Ok(ListTransactionsQuery {
        account: get(query, "account")
            .ok_or_else(|| StripeError::missing("account"))?
            .to_string(),
        starting_after: get(query, "starting_after").map(str::to_string),
        limit: limit(query)?,
        transaction_refresh_after: get(query, "transaction_refresh[after]").map(str::to_string),
    })
}

/// Answers one `/v1` request.
pub(crate) fn handle(stripe: &InMemoryStripe, route: &StripeRoute, req: &Request) -> Response {
    match handle_inner(stripe, route, req) {
        Ok(v) => Response::json(200, &v),
        Err(e) => error(&e),
    }
}

fn handle_inner(
    stripe: &InMemoryStripe,
    route: &StripeRoute,
    req: &Request,
) -> Result<Value, StripeError> {
    check_key(stripe, route, req)?;
    let idem = req.header("idempotency-key");
    let query = req.query();
    match route {
        StripeRoute::CreateCustomer => {
            let form = req.form();
            only_params(&form, &["description", "email", "name", "metadata"])?;
            stripe.op_create_customer(get(&form, "description").unwrap_or(""), idem)
        }
        StripeRoute::CreateSession => {
            let params = CreateSessionParams::from_form(&req.form())?;
            stripe.op_create_session(&params, idem)
        }
        StripeRoute::RetrieveSession(id) => {
            only_params(&query, &["expand"])?;
            stripe.op_retrieve_session(id)
        }
        StripeRoute::ListAccounts => {
            only_params(
                &query,
                &[
                    "session",
                    "account_holder[customer]",
                    "limit",
                    "starting_after",
                    "expand",
                ],
            )?;
            let q = ListAccountsQuery {
                session: get(&query, "session").map(str::to_string),
                customer: get(&query, "account_holder[customer]").map(str::to_string),
                starting_after: get(&query, "starting_after").map(str::to_string),
                limit: limit(&query)?,
            };
            stripe.op_list_accounts(&q)
        }
        StripeRoute::RetrieveAccount(id) => {
            only_params(&query, &["expand"])?;
            stripe.op_retrieve_account(id)
        }
        StripeRoute::Disconnect(id) => {
            only_params(&req.form(), &["expand"])?;
            stripe.op_disconnect(id, idem)
        }
        StripeRoute::Refresh(id) => stripe.op_refresh(id, &features_from_form(&req.form())?, idem),
        StripeRoute::Owners(id) => {
            only_params(&query, &["ownership", "limit", "starting_after", "expand"])?;
            stripe.op_list_owners(
                id,
                get(&query, "ownership"),
                get(&query, "starting_after"),
                limit(&query)?,
            )
        }
        StripeRoute::Transactions => {
            only_params(
                &query,
                &[
                    "account",
                    "limit",
                    "starting_after",
                    "transaction_refresh[after]",
                    "expand",
                ],
            )?;
            stripe.op_list_transactions(&transactions_query(&query)?)
        }
        StripeRoute::Subscribe(id) => {
            stripe.op_subscribe(id, &features_from_form(&req.form())?, true)
        }
        StripeRoute::Unsubscribe(id) => {
            stripe.op_subscribe(id, &features_from_form(&req.form())?, false)
        }
        StripeRoute::Authorization(id) => stripe.op_retrieve_authorization(id),
        StripeRoute::SessionReceipt => {
            only_params(&query, &["client_secret", "expand"])?;
            let cs = get(&query, "client_secret")
                .ok_or_else(|| StripeError::missing("client_secret"))?;
            stripe.op_session_receipt(cs)
        }
        StripeRoute::ReceiptAccounts => {
            only_params(
                &query,
                &["client_secret", "starting_after", "limit", "expand"],
            )?;
            let cs = get(&query, "client_secret")
                .ok_or_else(|| StripeError::missing("client_secret"))?;
            stripe.op_receipt_accounts(cs, get(&query, "starting_after"), limit(&query)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<String> {
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn routes() {
        assert_eq!(
            route("GET", &segs("/v1/financial_connections/sessions/fcsess_1")),
            Some(StripeRoute::RetrieveSession("fcsess_1".into()))
        );
        assert_eq!(
            route(
                "POST",
                &segs("/v1/financial_connections/accounts/fca_1/disconnect")
            ),
            Some(StripeRoute::Disconnect("fca_1".into()))
        );
        assert_eq!(
            route("GET", &segs("/v1/link_account_sessions/list_accounts")).map(|r| r.endpoint()),
            Some(Endpoint::StripeListAccounts)
        );
        assert_eq!(
            route(
                "POST",
                &segs("/v1/financial_connections/accounts/fca_1/refresh")
            ),
            Some(StripeRoute::Refresh("fca_1".into()))
        );
        assert_eq!(
            route(
                "GET",
                &segs("/v1/financial_connections/accounts/fca_1/owners")
            )
            .map(|r| r.endpoint()),
            Some(Endpoint::StripeOwners)
        );
        assert_eq!(
            route("GET", &segs("/v1/financial_connections/transactions")),
            Some(StripeRoute::Transactions)
        );
        assert_eq!(
            route(
                "POST",
                &segs("/v1/financial_connections/accounts/fca_1/unsubscribe")
            )
            .map(|r| r.endpoint()),
            Some(Endpoint::StripeSubscriptions)
        );
        assert_eq!(
            route(
                "GET",
                &segs("/v1/financial_connections/accounts/fca_1/refresh")
            ),
            None
        );
        assert_eq!(route("DELETE", &segs("/v1/customers")), None);
        assert_eq!(route("GET", &segs("/financial-connections/accounts")), None);
    }

    #[test]
    fn unknown_params_are_rejected() {
        let p = vec![
            ("limit".to_string(), "3".to_string()),
            ("expand[]".into(), "x".into()),
        ];
        assert!(only_params(&p, &["limit", "expand"]).is_ok());
        let bad = vec![("secret".to_string(), "x".to_string())];
        assert!(only_params(&bad, &["limit"]).is_err());
    }
}
