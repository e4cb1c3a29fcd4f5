//! # finconn-core
//!
//! The shared Rust core behind the iOS and Android Stripe Financial Connections integrations.
//! Stripe's native `FinancialConnectionsSheet` draws the UI; this crate owns everything around it:
//!
//! | module | owns |
//! |---|---|
//! | [`model`] | Stripe's Financial Connections objects (serde), tolerant of unknown enum values and fields |
//! | [`return_url`] | the strict rules deciding whether an incoming deep link belongs to a flow |
//! | [`options`] | session options, validated before any network call |
//! | [`state`] | the per-flow state machine and its versioned, secret-free snapshot |
//! | [`reconcile`] | merging the sheet's result, the return-URL hints and the server's session into one result |
//! | [`error`] | the small public error enums, one variant per action the app can take |
//! | [`secret`] | the `Secret` wrapper that keeps client secrets and keys out of logs and `Debug` |
//! | `backend`, `outbox`, `flow` (feature `backend`) | the networked flow: backend client, durable completion report, async flow |
//!
//! Everything outside the `backend` feature is pure: no network, no files, no async runtime, no FFI
//! types. `cargo test -p finconn-core --no-default-features` proves it.

pub mod error;
pub mod model;
pub mod options;
pub mod reconcile;
pub mod return_url;
pub mod secret;
pub mod state;

#[cfg(feature = "backend")]
pub mod backend;
#[cfg(feature = "backend")]
pub mod flow;
#[cfg(feature = "backend")]
pub mod outbox;
