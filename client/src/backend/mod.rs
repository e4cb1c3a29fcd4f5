//! The client of the app's backend (see `docs/backend-contract.md`) and of Stripe's
//! publishable-key endpoints (the fallback when the backend cannot answer).
//!
//! It owns the calls: which endpoint, which body, retries with exponential backoff and jitter,
//! `Retry-After`, idempotency keys, the host's headers (read again on every attempt), and turning
//! every failure into a typed [`BackendError`]. The bytes travel through the host's
//! [`HttpTransport`]; every rule about them (URLs, headers, redirects, the response cap, timeouts,
//! what an error may say) is [`finconn_core::network::policy`]. What the answers *mean* is decided by
//! [`finconn_core::reconcile`].
//!
//! One file per job, each endpoint family with its own `impl BackendClient`:
//!
//! | file | owns |
//! |---|---|
//! | `client.rs` | [`BackendClient`] itself: building it from a checked configuration, the host's [`HeaderProvider`], the [`CallObserver`] and its [`CallRecord`] |
//! | `config.rs` | [`BackendConfig`] and [`RetryPolicy`], their defaults, the endpoint paths checked against the policy |
//! | `error.rs` | [`BackendError`] and what can be read off it (code, status, request id, retryable) |
//! | `wire.rs` | the wire types ([`CreatedSession`], [`CompletionReport`], [`Page`]), the request bodies, the decoding and checking of answers |
//! | `retry.rs` | the retry engine: the call loop, backoff, one attempt and its headers, the checks of an answer, transport errors |
//! | `sessions.rs` | the session endpoints: create, complete (the report), Stripe's fallback reading a session |
//! | `accounts.rs` | listing and disconnecting accounts |
//! | `data_endpoints.rs` | the account-data endpoints: account, refresh, owners, transactions, subscribe/unsubscribe |
//! | `raw.rs` | the raw call API of `fc check-backend`: [`RawCall`], [`EndpointPath`], [`Exchange`], [`BackendClient::exchange`] |
//!
//! [`HttpTransport`]: finconn_core::network::HttpTransport

mod accounts;
mod client;
mod config;
mod data_endpoints;
mod error;
mod raw;
mod retry;
mod sessions;
mod wire;

pub use client::{BackendClient, CallObserver, CallRecord, HeaderProvider};
pub use config::{BackendConfig, RetryPolicy};
pub use error::BackendError;
pub use raw::{EndpointPath, Exchange, RawCall};
pub use wire::{CompletionReport, CreatedSession, Page};
