//! The retry engine under every call: the call loop (exponential backoff with jitter,
//! `Retry-After`), one attempt (its headers, its deadline, the observer's record), the checks of an
//! answer, and the translation of transport errors.

use std::time::Duration;

use super::{BackendClient, BackendError, CallRecord, Exchange, RawCall, RetryPolicy};
use crate::callback::HeadersFailure;
use finconn_core::network::policy;
use finconn_core::network::{HttpMethod, HttpRequest, HttpResponse, TransportError};
use finconn_core::secret::Secret;

/// Who a request authenticates as.
#[derive(Clone, Copy)]
pub(super) enum Auth<'a> {
    /// The host's headers (the user's token) — backend calls only.
    Host,
    /// `Authorization: Bearer <publishable key>`, `Stripe-Account` — Stripe calls only.
    Stripe {
        key: &'a Secret,
        account: Option<&'a str>,
    },
}

impl BackendClient {
    /// A configured endpoint, with retries, answering JSON (the body, checked well-formed).
    pub(super) async fn call_json(
        &self,
        call: RawCall<'_>,
    ) -> Result<(Vec<u8>, Option<String>), BackendError> {
        let url = self.endpoint_url(&call)?;
        self.call_url(
            call.endpoint,
            call.method,
            url,
            call.body,
            call.idempotency_key,
            Auth::Host,
        )
        .await
    }

    /// One call with retries. `idempotency_key` is sent unchanged on every attempt.
    pub(super) async fn call_url(
        &self,
        endpoint: &'static str,
        method: HttpMethod,
        url: String,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
    ) -> Result<(Vec<u8>, Option<String>), BackendError> {
        let policy_retry = &self.inner.config.retry;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(endpoint, attempt, method, &url, body, idempotency_key, auth)
                .await
                .and_then(|x| into_json(endpoint, x));
            let err = match outcome {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.retryable() || attempt >= policy_retry.max_attempts {
                crate::errors::log_backend_failure(endpoint, attempt, &err);
                return Err(err);
            }
            let delay = match &err {
                BackendError::Status {
                    retry_after_ms: Some(ms),
                    ..
                } => {
                    let wait = Duration::from_millis(*ms);
                    if wait > policy_retry.max_retry_after {
                        tracing::warn!(
                            endpoint,
                            retry_after_ms = ms,
                            "Retry-After too long, giving up"
                        );
                        return Err(err);
                    }
                    wait
                }
                _ => backoff(policy_retry, attempt),
            };
            crate::errors::log_backend_retry(endpoint, attempt, delay, &err);
            tokio::time::sleep(delay).await;
        }
    }

    /// The headers of one attempt, in order: the host's (asked for under `deadline`, checked,
    /// reserved names dropped) or Stripe's authentication, then the core's. The host's
    /// credentials are remembered for the scrubber ([`policy::remember_header_secret`]).
    async fn headers(
        &self,
        endpoint: &'static str,
        has_body: bool,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<Vec<(String, String)>, BackendError> {
        let mut headers = Vec::new();
        match auth {
            Auth::Host => {
                if let Some(provider) = &self.inner.headers {
                    let provided = provider.headers(deadline).await.map_err(|f| match f {
                        HeadersFailure::TimedOut => BackendError::HeadersTimeout {
                            endpoint: endpoint.into(),
                        },
                        HeadersFailure::Failed => BackendError::InvalidConfiguration(format!(
                            "{endpoint}: the app's headers provider failed (it threw or panicked); nothing was sent"
                        )),
                    })?;
                    let (kept, dropped) = policy::host_headers(provided).map_err(|e| {
                        BackendError::InvalidConfiguration(format!("{endpoint}: {e}"))
                    })?;
                    if !dropped.is_empty() {
                        tracing::warn!(endpoint, dropped = ?dropped, "host headers the core sets itself were ignored");
                    }
                    for (name, value) in &kept {
                        policy::remember_header_secret(name, value);
                    }
                    headers = kept;
                }
            }
            Auth::Stripe { key, account } => {
                headers.push(("Authorization".into(), format!("Bearer {}", key.expose())));
                if let Some(account) = account {
                    headers.push(("Stripe-Account".into(), account.to_owned()));
                }
                for (n, v) in &headers {
                    policy::check_header(n, v).map_err(|e| {
                        BackendError::InvalidConfiguration(format!("{endpoint}: {e}"))
                    })?;
                }
            }
        }
        headers.push(("Accept".into(), "application/json".into()));
        if has_body {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        if let Some(key) = idempotency_key {
            policy::check_header("Idempotency-Key", key)
                .map_err(|e| BackendError::InvalidConfiguration(format!("{endpoint}: {e}")))?;
            headers.push(("Idempotency-Key".into(), key.to_owned()));
        }
        Ok(headers)
    }

    /// One exchange under the policy: any non-redirect status within the cap is an [`Exchange`].
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn attempt(
        &self,
        endpoint: &'static str,
        attempt: u32,
        method: HttpMethod,
        url: &str,
        body: Option<&[u8]>,
        idempotency_key: Option<&str>,
        auth: Auth<'_>,
    ) -> Result<Exchange, BackendError> {
        let config = &self.inner.config;
        // One deadline for the whole attempt: the host's headers provider, then the transport.
        let started = tokio::time::Instant::now();
        let deadline = started + policy::call_deadline(config.request_timeout);
        let result = match self
            .headers(endpoint, body.is_some(), idempotency_key, auth, deadline)
            .await
        {
            Err(e) => Err(e),
            Ok(headers) => {
                // The provider's time counts against the attempt's.
                let timeout = config
                    .request_timeout
                    .saturating_sub(started.elapsed())
                    .max(Duration::from_millis(1));
                let request = HttpRequest {
                    method,
                    url: url.to_owned(),
                    headers,
                    body: body.map(<[u8]>::to_vec),
                    connect_timeout: config.connect_timeout.min(timeout),
                    timeout,
                    max_response_bytes: config.max_response_bytes,
                };
                let sent =
                    tokio::time::timeout_at(deadline, self.inner.transport.send(request)).await;
                match sent {
                    // Dropping the transport's future cancels the host's request.
                    Err(_) => Err(BackendError::Timeout {
                        endpoint: endpoint.into(),
                    }),
                    Ok(Err(e)) => Err(transport_error(endpoint, e, url)),
                    Ok(Ok(response)) => self.check_response(endpoint, response),
                }
            }
        };
        if let Some(observer) = &self.observer {
            let (status, request_id, error) = match &result {
                Ok(x) => (
                    Some(x.status),
                    x.request_id.clone(),
                    (!(200..300).contains(&x.status)).then_some("http_error"),
                ),
                Err(e) => (
                    e.status(),
                    e.request_id().map(str::to_owned),
                    Some(e.code()),
                ),
            };
            observer.on_call(&CallRecord {
                endpoint,
                attempt,
                status,
                request_id,
                error,
            });
        }
        result
    }

    fn check_response(
        &self,
        endpoint: &'static str,
        response: HttpResponse,
    ) -> Result<Exchange, BackendError> {
        let request_id = policy::request_id(&response);
        if policy::is_redirect(response.status) {
            return Err(BackendError::Redirect {
                endpoint: endpoint.into(),
                status: response.status,
                request_id,
            });
        }
        let limit = self.inner.config.max_response_bytes;
        if !policy::within_cap(response.body.len(), limit) {
            return Err(BackendError::TooLarge {
                endpoint: endpoint.into(),
                limit,
                request_id,
            });
        }
        if !(100..=599).contains(&response.status) {
            return Err(BackendError::invalid(
                endpoint,
                format!("HTTP status {} is not a status", response.status),
                request_id,
            ));
        }
        Ok(Exchange {
            status: response.status,
            retry_after: policy::retry_after(&response),
            content_type: response
                .header("content-type")
                .map(|c| policy::scrub(&c.chars().take(100).collect::<String>())),
            body: response.body,
            request_id,
        })
    }
}

/// A 2xx answer's body, checked to be well-formed JSON (a truncated one is retried); any other
/// status as [`BackendError::Status`].
fn into_json(
    endpoint: &'static str,
    x: Exchange,
) -> Result<(Vec<u8>, Option<String>), BackendError> {
    if !(200..300).contains(&x.status) {
        let detail = x.error_detail();
        return Err(BackendError::Status {
            endpoint: endpoint.into(),
            status: x.status,
            code: detail.code,
            message: detail.message,
            retry_after_ms: x.retry_after.map(|d| d.as_millis() as u64),
            request_id: x.request_id,
        });
    }
    let text = std::str::from_utf8(&x.body).map_err(|_| {
        BackendError::invalid(endpoint, "the answer is not UTF-8", x.request_id.clone())
    })?;
    match serde_json::from_slice::<serde::de::IgnoredAny>(text.as_bytes()) {
        Ok(_) => Ok((x.body, x.request_id)),
        Err(e) => Err(BackendError::invalid(
            endpoint,
            format!("invalid JSON at line {}, column {}", e.line(), e.column()),
            x.request_id,
        )),
    }
}

/// A transport failure, its platform message scrubbed and stripped of the URL.
fn transport_error(endpoint: &'static str, e: TransportError, url: &str) -> BackendError {
    let clean = |m: String| {
        policy::scrub(&m.replace(url, "<url>"))
            .chars()
            .take(300)
            .collect()
    };
    match e {
        TransportError::Offline { reason: m } | TransportError::Other { reason: m } => {
            BackendError::Offline {
                endpoint: endpoint.into(),
                message: clean(m),
            }
        }
        TransportError::Timeout { .. } => BackendError::Timeout {
            endpoint: endpoint.into(),
        },
        TransportError::Tls { reason: m } => BackendError::Tls {
            endpoint: endpoint.into(),
            message: clean(m),
        },
        TransportError::TooLarge { limit } => BackendError::TooLarge {
            endpoint: endpoint.into(),
            // A negative cap from a foreign transport is its mistake; the answer is refused anyway.
            limit: u64::try_from(limit).unwrap_or(0),
            request_id: None,
        },
        TransportError::Cancelled => BackendError::Cancelled {
            endpoint: endpoint.into(),
        },
    }
}

/// Exponential backoff with full jitter: a random delay in [base/2, base], base doubling per attempt.
fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let base = exp.min(policy.max_backoff);
    let half = base / 2;
    half + Duration::from_nanos(fastrand::u64(
        0..=half.as_nanos().min(u64::MAX as u128) as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..40 {
            let d = backoff(&p, attempt);
            assert!(d <= p.max_backoff, "{attempt}: {d:?}");
            let base = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(p.max_backoff);
            assert!(d >= base / 2);
        }
    }
}
