//! [`HttpStripe`]: the [`StripeApi`] over Stripe's real HTTP API, used by `fc serve` when it is
//! given a secret key. Form-encoded POSTs (arrays as `features[]=…` pairs), `Authorization:
//! Bearer <secret key>`, `Idempotency-Key` on creating calls, optional `Stripe-Version`. The
//! bytes travel through an [`HttpTransport`] (by default `finconn-transport-reqwest`: no
//! redirects, no `Referer`, a 4 MiB cap). The secret key lives in a [`Redacted`] and appears in no `Debug` output, error or log.

use std::sync::Arc;
use std::time::Duration;

use finconn_core::network::{HttpMethod, HttpRequest, HttpTransport};
use finconn_transport_reqwest::ReqwestTransport;
use serde_json::Value;

use super::{
    features_form, BoxFuture, CreateSessionParams, ListAccountsQuery, ListTransactionsQuery,
    StripeApi, StripeError,
};
use crate::ids::Redacted;

/// Stripe's API over HTTP(S).
#[derive(Clone)]
pub struct HttpStripe {
    api_base: String,
    secret_key: Redacted,
    stripe_version: Option<String>,
    transport: Arc<dyn HttpTransport>,
}

impl std::fmt::Debug for HttpStripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpStripe")
            .field("api_base", &self.api_base)
            .field("secret_key", &self.secret_key)
            .field("stripe_version", &self.stripe_version)
            .finish()
    }
}

fn is_loopback_http(base: &url::Url) -> bool {
    base.scheme() == "http"
        && match base.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

impl HttpStripe {
    /// Stripe's production API base.
    pub const DEFAULT_API_BASE: &'static str = "https://api.stripe.com";

    /// A client for `api_base` (`https://api.stripe.com`, or `http://127.0.0.1:<port>` for a
    /// simulator: plain `http` is refused for anything but loopback, so the secret key never
    /// travels in clear).
    pub fn new(
        api_base: impl Into<String>,
        secret_key: impl Into<Redacted>,
    ) -> Result<Self, StripeError> {
        let api_base = api_base.into().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&api_base)
            .map_err(|e| StripeError::Config(format!("api_base is not a URL: {e}")))?;
        if parsed.scheme() != "https" && !is_loopback_http(&parsed) {
            return Err(StripeError::Config(
                "api_base must be https (plain http only for loopback hosts)".into(),
            ));
        }
        let secret_key = secret_key.into();
        if secret_key.expose().is_empty() {
            return Err(StripeError::Config("empty secret key".into()));
        }
        Ok(HttpStripe {
            api_base,
            secret_key,
            stripe_version: None,
            transport: Arc::new(ReqwestTransport::new()),
        })
    }

    /// The same client over another transport.
    pub fn with_transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = transport;
        self
    }

    /// Sends `Stripe-Version: <version>` on every request.
    pub fn with_stripe_version(mut self, version: impl Into<String>) -> Self {
        self.stripe_version = Some(version.into());
        self
    }

    /// The API base, without a trailing slash.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    async fn send(
        &self,
        method: HttpMethod,
        path: &str,
        query: &[(String, String)],
        form: Option<&[(String, String)]>,
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut url = format!("{}{}", self.api_base, path);
        if !query.is_empty() {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            url.push('?');
            url.push_str(&q);
        }
        let mut headers = vec![
            (
                "Authorization".to_string(),
                format!("Bearer {}", self.secret_key.expose()),
            ),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        if let Some(v) = &self.stripe_version {
            headers.push(("Stripe-Version".into(), v.clone()));
        }
        if let Some(k) = idempotency_key {
            headers.push(("Idempotency-Key".into(), k.to_string()));
        }
        let body = form.map(|form| {
            headers.push((
                "Content-Type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish()
                .into_bytes()
        });
        for (n, v) in &headers {
            finconn_core::network::policy::check_header(n, v)
                .map_err(|e| StripeError::Config(e.to_string()))?;
        }
        let request = HttpRequest {
            method,
            url,
            headers,
            body,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_response_bytes: 4 * 1024 * 1024,
        };
        let response = self.transport.send(request).await.map_err(|e| {
            StripeError::Transport(finconn_core::network::policy::scrub(&e.to_string()))
        })?;
        let status = response.status;
        if (300..400).contains(&status) {
            return Err(StripeError::Transport(format!(
                "Stripe answered a redirect (HTTP {status}); not followed"
            )));
        }
        if !(200..300).contains(&status) {
            return Err(StripeError::from_body(status, &response.body));
        }
        serde_json::from_slice(&response.body).map_err(|e| StripeError::Decode(e.to_string()))
    }
}

fn seg(id: &str) -> String {
    // Ids are [A-Za-z0-9_]; anything else is escaped so it cannot change the path.
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl StripeApi for HttpStripe {
    fn create_customer<'a>(
        &'a self,
        description: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let form = vec![("description".to_string(), description.to_string())];
            self.send(
                HttpMethod::Post,
                "/v1/customers",
                &[],
                Some(&form),
                idempotency_key,
            )
            .await
        })
    }

    fn create_session<'a>(
        &'a self,
        params: &'a CreateSessionParams,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let form = params.to_form();
            self.send(
                HttpMethod::Post,
                "/v1/financial_connections/sessions",
                &[],
                Some(&form),
                idempotency_key,
            )
            .await
        })
    }

    fn retrieve_session<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let path = format!("/v1/financial_connections/sessions/{}", seg(id));
            self.send(HttpMethod::Get, &path, &[], None, None).await
        })
    }

    fn list_accounts<'a>(
        &'a self,
        query: &'a ListAccountsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            self.send(
                HttpMethod::Get,
                "/v1/financial_connections/accounts",
                &query.to_query(),
                None,
                None,
            )
            .await
        })
    }

    fn retrieve_account<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let path = format!("/v1/financial_connections/accounts/{}", seg(id));
            self.send(HttpMethod::Get, &path, &[], None, None).await
        })
    }

    fn disconnect_account<'a>(
        &'a self,
        id: &'a str,
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let path = format!("/v1/financial_connections/accounts/{}/disconnect", seg(id));
            self.send(HttpMethod::Post, &path, &[], Some(&[]), idempotency_key)
                .await
        })
    }

    fn refresh_account<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
        idempotency_key: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let path = format!("/v1/financial_connections/accounts/{}/refresh", seg(id));
            let form = features_form(features);
            self.send(HttpMethod::Post, &path, &[], Some(&form), idempotency_key)
                .await
        })
    }

    fn list_owners<'a>(
        &'a self,
        account_id: &'a str,
        ownership_id: &'a str,
        starting_after: Option<&'a str>,
        limit: Option<u32>,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            let path = format!(
                "/v1/financial_connections/accounts/{}/owners",
                seg(account_id)
            );
            let query = owners_query(ownership_id, starting_after, limit);
            self.send(HttpMethod::Get, &path, &query, None, None).await
        })
    }

    fn list_transactions<'a>(
        &'a self,
        query: &'a ListTransactionsQuery,
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move {
            self.send(
                HttpMethod::Get,
                "/v1/financial_connections/transactions",
                &query.to_query(),
                None,
                None,
            )
            .await
        })
    }

    fn subscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.subscription(id, "subscribe", features).await })
    }

    fn unsubscribe<'a>(
        &'a self,
        id: &'a str,
        features: &'a [String],
    ) -> BoxFuture<'a, Result<Value, StripeError>> {
        Box::pin(async move { self.subscription(id, "unsubscribe", features).await })
    }
}

impl HttpStripe {
    /// `POST …/accounts/{id}/subscribe` or `…/unsubscribe`.
    async fn subscription(
        &self,
        id: &str,
        action: &str,
        features: &[String],
    ) -> Result<Value, StripeError> {
        let path = format!("/v1/financial_connections/accounts/{}/{action}", seg(id));
        let form = features_form(features);
        self.send(HttpMethod::Post, &path, &[], Some(&form), None)
            .await
    }
}

/// `ownership`, `limit`, `starting_after`, in that order.
fn owners_query(
    ownership_id: &str,
    starting_after: Option<&str>,
    limit: Option<u32>,
) -> Vec<(String, String)> {
    let mut q = vec![("ownership".to_string(), ownership_id.to_string())];
    if let Some(l) = limit {
        q.push(("limit".to_string(), l.to_string()));
    }
    if let Some(s) = starting_after {
        q.push(("starting_after".to_string(), s.to_string()));
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_plain_http_to_remote_hosts() {
        assert!(HttpStripe::new("http://api.stripe.com", "sk_test_x").is_err());
        assert!(HttpStripe::new("http://10.0.0.1:80", "sk_test_x").is_err());
        assert!(HttpStripe::new("https://api.stripe.com/", "sk_test_x").is_ok());
        assert!(HttpStripe::new("http://127.0.0.1:9", "sk_test_x").is_ok());
        assert!(HttpStripe::new("http://localhost:9", "sk_test_x").is_ok());
        assert!(HttpStripe::new("http://[::1]:9", "sk_test_x").is_ok());
        assert!(HttpStripe::new("https://api.stripe.com", "").is_err());
    }

    #[test]
    fn debug_hides_the_secret_key() {
        let s = HttpStripe::new("https://api.stripe.com", "sk_test_supersecret").unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("supersecret"), "{d}");
        assert_eq!(s.api_base(), "https://api.stripe.com");
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(seg("fca_1Ab"), "fca_1Ab");
        assert_eq!(seg("a/../b?x"), "a%2F%2E%2E%2Fb%3Fx");
    }
}
