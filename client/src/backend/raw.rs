//! The raw call API, for conformance tools such as `fc check-backend`: a [`RawCall`] to a
//! configured [`EndpointPath`], sent once under the full policy by [`BackendClient::exchange`],
//! whose answer is an [`Exchange`] whatever its status (the retry engine reads its answers as
//! [`Exchange`]s too).

use std::time::Duration;

use serde_json::Value;

use super::retry::Auth;
use super::{BackendClient, BackendError};
use finconn_core::network::policy;
use finconn_core::network::HttpMethod;

/// An answer of any non-redirect status within the cap (for [`BackendClient::exchange`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
}

impl std::fmt::Debug for Exchange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("content_type", &self.content_type)
            .field("request_id", &self.request_id)
            .finish()
    }
}

impl Exchange {
    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The scrubbed `error.code` / message of an error body.
    pub fn error_detail(&self) -> policy::ErrorDetail {
        policy::error_detail(&self.body)
    }
}

/// Which configured endpoint a raw call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointPath {
    CreateSession,
    CompleteSession,
    ListAccounts,
    DisconnectAccount,
    Account,
    RefreshAccount,
    AccountOwners,
    AccountTransactions,
    Subscribe,
    Unsubscribe,
}

/// One call as the policy will send it.
pub struct RawCall<'a> {
    /// For errors, logs and events.
    pub endpoint: &'static str,
    pub method: HttpMethod,
    pub path: EndpointPath,
    /// One per `{id}` in the path.
    pub ids: &'a [&'a str],
    pub query: &'a [(&'a str, &'a str)],
    /// The JSON body of a POST.
    pub body: Option<&'a [u8]>,
    pub idempotency_key: Option<&'a str>,
}

impl BackendClient {
    /// One exchange with a configured endpoint under the full policy, without retries, returning
    /// any non-redirect answer within the cap (4xx and 5xx included). For conformance tools such
    /// as `fc check-backend`; the typed methods above are what apps use.
    pub async fn exchange(&self, call: RawCall<'_>) -> Result<Exchange, BackendError> {
        let url = self.endpoint_url(&call)?;
        self.attempt(
            call.endpoint,
            1,
            call.method,
            &url,
            call.body,
            call.idempotency_key,
            Auth::Host,
        )
        .await
    }

    pub(super) fn endpoint_url(&self, call: &RawCall<'_>) -> Result<String, BackendError> {
        Ok(self.inner.base.join(
            call.endpoint,
            self.inner.templates.get(call.path),
            call.ids,
            call.query,
        )?)
    }
}
