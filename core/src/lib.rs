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
//! | [`ids`] | the shape of every id that enters a path, a file name or a snapshot |
//! | [`data`] | account data as pure rules: refresh plans and outcomes, the action an account needs, money, transaction merges, duplicate accounts |
//! | [`network`] | the network boundary: the [`network::HttpTransport`] the host supplies, and [`network::policy`], every rule applied to it |
//! | `backend`, `outbox`, `store`, `flow`, `account_data`, `callback` (feature `backend`) | the networked flow: backend client, durable completion reports, durable files and locks, the async flow and its persistence, the account-data calls, the host's callbacks kept off the caller's thread |
//!
//! Everything outside the `backend` feature is pure: no network, no files, no async runtime, no FFI
//! types. `cargo test -p finconn-core --no-default-features` proves it. Even with it, the core
//! holds no HTTP or TLS stack: the host's transport carries every byte.

// The pure test run sets `--cfg finconn_pure` (see Cargo.toml): it must really be pure.
#[cfg(all(finconn_pure, feature = "backend"))]
compile_error!("the pure test run resolved the `backend` feature through a dev-dependency");

pub mod data;
pub mod error;
pub mod ids;
pub mod model;
pub mod network;
pub mod options;
pub mod reconcile;
pub mod return_url;
pub mod secret;
pub mod state;

#[cfg(feature = "backend")]
pub mod account_data;
#[cfg(feature = "backend")]
pub mod backend;
#[cfg(feature = "backend")]
pub mod callback;
#[cfg(feature = "backend")]
pub mod flow;
#[cfg(feature = "backend")]
pub mod outbox;
#[cfg(feature = "backend")]
pub mod store;
