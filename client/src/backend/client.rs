//! [`BackendClient`] itself: building it (the configuration checked against the policy, the
//! host's [`HeaderProvider`], the transport) and the [`CallObserver`] that sees every exchange as a
//! [`CallRecord`]. The calls are in the sibling files, each family with its own `impl`.

use std::sync::Arc;

use super::config::Templates;
use super::{BackendConfig, BackendError};
use crate::callback::HeadersWorker;
use finconn_core::network::policy::{BaseUrl, PathTemplate};
use finconn_core::network::HttpTransport;

/// Supplies the headers of every backend call (e.g. the user's current auth token). Called for
/// each attempt, so a token refreshed between retries is picked up. Never called for Stripe.
///
/// It runs on a thread of the client's own ("finconn-headers"), never on the async runtime, and
/// inside the attempt's deadline ([`policy::call_deadline`] of the request timeout): one that has
/// not answered by then fails the attempt with [`BackendError::HeadersTimeout`] and its late
/// answer is dropped. It may block (to refresh a token), for less than the request timeout. While
/// a call is running, the attempts that need headers wait for the next call, which answers them
/// all. A failure ([`HeaderProvider::try_headers`] returns an error, or it panics) is
/// [`BackendError::InvalidConfiguration`], and nothing is sent.
///
/// [`policy::call_deadline`]: finconn_core::network::policy::call_deadline
pub trait HeaderProvider: Send + Sync {
    fn headers(&self) -> Vec<(String, String)>;

    /// The headers, or why there are none (a host whose provider can fail: the user is signed
    /// out, a token refresh failed). The reason is never shown or logged: it may hold anything.
    /// The core calls this; the default is [`HeaderProvider::headers`].
    fn try_headers(&self) -> Result<Vec<(String, String)>, String> {
        Ok(self.headers())
    }
}

/// One HTTP exchange, for the host's listeners and for support: which call, which attempt, what
/// status and request id came back (or which error code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub endpoint: &'static str,
    pub attempt: u32,
    pub status: Option<u16>,
    pub request_id: Option<String>,
    /// `None` for a 2xx answer, else the error's [`BackendError::code`].
    pub error: Option<&'static str>,
}

/// Sees every exchange (the flow client turns them into events).
pub trait CallObserver: Send + Sync {
    fn on_call(&self, record: &CallRecord);
}

pub(super) struct Inner {
    pub(super) config: BackendConfig,
    pub(super) base: BaseUrl,
    pub(super) stripe_base: BaseUrl,
    pub(super) templates: Templates,
    pub(super) stripe_receipt: PathTemplate,
    pub(super) stripe_accounts: PathTemplate,
    pub(super) headers: Option<HeadersWorker>,
    pub(super) transport: Arc<dyn HttpTransport>,
}

/// The client. Cheap to clone.
#[derive(Clone)]
pub struct BackendClient {
    pub(super) inner: Arc<Inner>,
    pub(super) observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for BackendClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendClient")
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl BackendClient {
    /// Checks the configuration against the policy (base URLs, every path, limits) and keeps the
    /// transport. A configuration that could leave the base host is refused here.
    pub fn new(
        config: BackendConfig,
        headers: Option<Arc<dyn HeaderProvider>>,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, BackendError> {
        let base = BaseUrl::parse(&config.base_url, "backend base URL")?;
        let stripe_base = BaseUrl::parse(&config.stripe_api_base, "Stripe API base URL")?;
        let templates = Templates::parse(&config.paths)?;
        if config.retry.max_attempts == 0 {
            return Err(BackendError::InvalidConfiguration(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        if config.max_response_bytes < 1024 {
            return Err(BackendError::InvalidConfiguration(
                "max_response_bytes must be at least 1024".into(),
            ));
        }
        if config.request_timeout.is_zero() || config.connect_timeout.is_zero() {
            return Err(BackendError::InvalidConfiguration(
                "timeouts must be positive".into(),
            ));
        }
        Ok(BackendClient {
            inner: Arc::new(Inner {
                config,
                base,
                stripe_base,
                templates,
                stripe_receipt: PathTemplate::parse("/v1/link_account_sessions/session_receipt")?,
                stripe_accounts: PathTemplate::parse("/v1/link_account_sessions/list_accounts")?,
                headers: headers.map(HeadersWorker::new),
                transport,
            }),
            observer: None,
        })
    }

    /// The same client, reporting every exchange to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn CallObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn config(&self) -> &BackendConfig {
        &self.inner.config
    }

    /// The checked base URL.
    pub fn base_url(&self) -> &BaseUrl {
        &self.inner.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use finconn_core::network::{HttpRequest, HttpResponse, TransportError};

    #[test]
    fn paths_that_leave_the_base_are_refused_at_creation() {
        struct Never;
        impl HttpTransport for Never {
            fn send(
                &self,
                _: HttpRequest,
            ) -> finconn_core::network::BoxFuture<'_, Result<HttpResponse, TransportError>>
            {
                Box::pin(async { Err(TransportError::Cancelled) })
            }
        }
        let mut config = BackendConfig::new("http://127.0.0.1:1");
        config.paths.create_session = "@otherhost:9/x".into();
        assert!(matches!(
            BackendClient::new(config, None, Arc::new(Never)),
            Err(BackendError::InvalidConfiguration(_))
        ));
        let mut config = BackendConfig::new("http://127.0.0.1:1");
        config.paths.complete_session = "/sessions/complete".into();
        assert!(BackendClient::new(config, None, Arc::new(Never)).is_err());
        assert!(BackendClient::new(
            BackendConfig::new("http://dev-machine.invalid:1"),
            None,
            Arc::new(Never)
        )
        .is_err());
    }
}
