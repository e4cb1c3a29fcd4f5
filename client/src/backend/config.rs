//! The client's settings: [`BackendConfig`] and its [`RetryPolicy`] with their defaults, and the
//! configured endpoint paths parsed and checked against the policy when the client is built.

use std::time::Duration;

use super::{BackendError, EndpointPath};
use finconn_core::network::endpoints::BackendEndpoints;
use finconn_core::network::policy::{self, PathTemplate};

/// How failed calls are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails with `ServiceUnavailable`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// Backend client settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendConfig {
    /// `https://api.example.com` (http only for loopback hosts).
    pub base_url: String,
    pub paths: BackendEndpoints,
    pub connect_timeout: Duration,
    /// Total time for one attempt, body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Stripe's API for the fallback (`https://api.stripe.com`); tests point it at the simulator.
    pub stripe_api_base: String,
    /// The largest answer accepted, in bytes ([`policy::DEFAULT_MAX_RESPONSE_BYTES`]).
    pub max_response_bytes: u64,
}

impl BackendConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        BackendConfig {
            base_url: base_url.into(),
            paths: BackendEndpoints::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            stripe_api_base: "https://api.stripe.com".into(),
            max_response_bytes: policy::DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

pub(super) struct Templates {
    create_session: PathTemplate,
    complete_session: PathTemplate,
    list_accounts: PathTemplate,
    disconnect_account: PathTemplate,
    account: PathTemplate,
    refresh_account: PathTemplate,
    account_owners: PathTemplate,
    account_transactions: PathTemplate,
    subscribe: PathTemplate,
    unsubscribe: PathTemplate,
}

impl Templates {
    pub(super) fn parse(p: &BackendEndpoints) -> Result<Templates, BackendError> {
        let t = |raw: &str, ids: usize, name: &str| -> Result<PathTemplate, BackendError> {
            let t = PathTemplate::parse(raw)?;
            if t.placeholders() != ids {
                return Err(BackendError::InvalidConfiguration(format!(
                    "endpoint path {name} must have exactly {ids} {{id}} placeholder(s)"
                )));
            }
            Ok(t)
        };
        Ok(Templates {
            create_session: t(&p.create_session, 0, "create_session")?,
            complete_session: t(&p.complete_session, 1, "complete_session")?,
            list_accounts: t(&p.list_accounts, 0, "list_accounts")?,
            disconnect_account: t(&p.disconnect_account, 1, "disconnect_account")?,
            account: t(&p.account, 1, "account")?,
            refresh_account: t(&p.refresh_account, 1, "refresh_account")?,
            account_owners: t(&p.account_owners, 1, "account_owners")?,
            account_transactions: t(&p.account_transactions, 1, "account_transactions")?,
            subscribe: t(&p.subscribe, 1, "subscribe")?,
            unsubscribe: t(&p.unsubscribe, 1, "unsubscribe")?,
        })
    }

    pub(super) fn get(&self, path: EndpointPath) -> &PathTemplate {
        match path {
            EndpointPath::CreateSession => &self.create_session,
            EndpointPath::CompleteSession => &self.complete_session,
            EndpointPath::ListAccounts => &self.list_accounts,
            EndpointPath::DisconnectAccount => &self.disconnect_account,
            EndpointPath::Account => &self.account,
            EndpointPath::RefreshAccount => &self.refresh_account,
            EndpointPath::AccountOwners => &self.account_owners,
            EndpointPath::AccountTransactions => &self.account_transactions,
            EndpointPath::Subscribe => &self.subscribe,
            EndpointPath::Unsubscribe => &self.unsubscribe,
        }
    }
}
