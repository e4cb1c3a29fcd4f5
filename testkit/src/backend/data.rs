//! The merchant backend's account-data routes, each only for the signed-in user's accounts:
//! retrieve an account (Stripe settles its finished refreshes), request refreshes, page the
//! current owners and the transactions (all, or only what changed after a transaction refresh),
//! subscribe to and unsubscribe from transaction refreshes. Answers are Stripe's objects; Stripe's
//! errors are mapped like every other route's (`400` for a refused request, `502` otherwise).

use serde_json::{json, Value};

use super::{stripe_key, Answer, Backend, BackendPaths};
use crate::http::{Request, Response};
use crate::stripe::objects::list;
use crate::stripe::ListTransactionsQuery;

const REFRESHABLE: &[&str] = &["balance", "ownership", "transactions"];
const SUBSCRIBABLE: &[&str] = &["transactions"];

/// `starting_after` and `limit` of a list route.
struct PageParams {
    starting_after: Option<String>,
    limit: Option<u32>,
}

/// A query parameter, `None` when absent or empty.
fn param(query: &[(String, String)], name: &str) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The id of an account's current ownership (an id, or an expanded object).
fn ownership_id(account: &Value) -> Option<String> {
    let o = account.get("ownership")?;
    o.as_str()
        .or_else(|| o.get("id").and_then(Value::as_str))
        .map(str::to_string)
}

/// Stripe's list as the backend answers it: the same page, under the backend's own `url`.
fn relabel(mut page: Value, url: String) -> Value {
    page["url"] = json!(url);
    page
}

fn wrapped(account: Value) -> Response {
    Response::json(200, &json!({ "account": account }))
}

impl Backend {
    fn bad_request(&self, message: &str) -> Response {
        self.error(400, "invalid_request", message)
    }

    fn page_params(&self, query: &[(String, String)]) -> Result<PageParams, Response> {
        let limit = match param(query, "limit") {
            None => None,
            Some(l) => match l.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Some(n),
                _ => return Err(self.bad_request("`limit` must be an integer from 1 to 100")),
            },
        };
        Ok(PageParams {
            starting_after: param(query, "starting_after"),
            limit,
        })
    }

    /// `{"features": [...]}`: a non-empty array of strings, each one of `allowed`.
    fn features(&self, req: &Request, allowed: &[&str]) -> Result<Vec<String>, Response> {
        let body = self.json_body(req)?;
        let shape = format!(
            "`features` must be a non-empty array of: {}",
            allowed.join(", ")
        );
        let features: Vec<String> = body
            .get("features")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().map(|f| f.as_str().map(str::to_string)).collect())
            .filter(|f: &Vec<String>| !f.is_empty())
            .ok_or_else(|| self.bad_request(&shape))?;
        if features.iter().all(|f| allowed.contains(&f.as_str())) {
            Ok(features)
        } else {
            Err(self.bad_request(&shape))
        }
    }

    async fn retrieve(&self, user: &str, account_id: &str) -> Result<Value, Response> {
        let account = self
            .stripe
            .retrieve_account(account_id)
            .await
            .map_err(|e| self.stripe_error(&e))?;
        self.store_account(user, &account);
        Ok(account)
    }

    // ---- GET /financial-connections/accounts/{id} -----------------------------------------

    pub(super) async fn account(&self, account_id: &str, req: &Request) -> Answer {
        let user = self.owner_of(account_id, req)?;
        Ok(wrapped(self.retrieve(&user, account_id).await?))
    }

    // ---- POST /financial-connections/accounts/{id}/refresh --------------------------------

    pub(super) async fn refresh(&self, account_id: &str, req: &Request) -> Answer {
        let user = self.owner_of(account_id, req)?;
        let features = self.features(req, REFRESHABLE)?;
        let _gate = self.gate.lock().await;
        let key = stripe_key(&user, req);
        let account = self
            .stripe
            .refresh_account(account_id, &features, key.as_deref())
            .await
            .map_err(|e| self.stripe_error(&e))?;
        self.store_account(&user, &account);
        Ok(wrapped(account))
    }

    // ---- GET /financial-connections/accounts/{id}/owners ----------------------------------

    pub(super) async fn owners(&self, account_id: &str, req: &Request) -> Answer {
        let user = self.owner_of(account_id, req)?;
        let page = self.page_params(&req.query())?;
        let url = BackendPaths::fill(&self.paths.owners, account_id);
        let account = self.retrieve(&user, account_id).await?;
        let Some(ownership) = ownership_id(&account) else {
            return Ok(Response::json(200, &list(Vec::new(), false, &url)));
        };
        let owners = self
            .stripe
            .list_owners(
                account_id,
                &ownership,
                page.starting_after.as_deref(),
                page.limit,
            )
            .await
            .map_err(|e| self.stripe_error(&e))?;
        Ok(Response::json(200, &relabel(owners, url)))
    }

    // ---- GET /financial-connections/accounts/{id}/transactions ----------------------------

    pub(super) async fn transactions(&self, account_id: &str, req: &Request) -> Answer {
        self.owner_of(account_id, req)?;
        let query = req.query();
        let page = self.page_params(&query)?;
        let q = ListTransactionsQuery {
            account: account_id.to_string(),
            starting_after: page.starting_after,
            limit: page.limit,
            transaction_refresh_after: param(&query, "after_refresh"),
        };
        let txns = self
            .stripe
            .list_transactions(&q)
            .await
            .map_err(|e| self.stripe_error(&e))?;
        let url = BackendPaths::fill(&self.paths.transactions, account_id);
        Ok(Response::json(200, &relabel(txns, url)))
    }

    // ---- POST /financial-connections/accounts/{id}/subscribe | unsubscribe ----------------

    pub(super) async fn subscription(&self, account_id: &str, req: &Request, on: bool) -> Answer {
        let user = self.owner_of(account_id, req)?;
        let features = self.features(req, SUBSCRIBABLE)?;
        let _gate = self.gate.lock().await;
        let result = if on {
            self.stripe.subscribe(account_id, &features).await
        } else {
            self.stripe.unsubscribe(account_id, &features).await
        };
        let account = result.map_err(|e| self.stripe_error(&e))?;
        self.store_account(&user, &account);
        Ok(wrapped(account))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_ids_expanded_or_not() {
        assert_eq!(
            ownership_id(&json!({"ownership": "fcaowns_1"})).as_deref(),
            Some("fcaowns_1")
        );
        assert_eq!(
            ownership_id(&json!({"ownership": {"id": "fcaowns_2"}})).as_deref(),
            Some("fcaowns_2")
        );
        assert_eq!(ownership_id(&json!({"ownership": null})), None);
    }

    #[test]
    fn params_ignore_empty_values() {
        let q = vec![
            ("limit".to_string(), "".to_string()),
            ("starting_after".to_string(), " fctxn_1 ".to_string()),
        ];
        assert_eq!(param(&q, "limit"), None);
        assert_eq!(param(&q, "starting_after").as_deref(), Some("fctxn_1"));
        assert_eq!(
            relabel(json!({"url": "/v1/x", "data": []}), "/y".into())["url"],
            "/y"
        );
    }
}
