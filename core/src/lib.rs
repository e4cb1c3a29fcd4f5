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
//! | [`events`] | what the networked flow tells the app, as plain data: `FlowEvent`, `OutboxSummary` |
//! | [`secret`] | the `Secret` wrapper that keeps client secrets and keys out of logs and `Debug` |
//! | [`setup`] | the setup self-check's configuration rules (`SetupFinding`): https backend, return URLs, Android application id |
//! | [`ids`] | the shape of every id that enters a path, a file name or a snapshot |
//! | [`data`] | account data as pure rules: refresh plans and outcomes, the action an account needs, money, transaction merges, duplicate accounts, the per-call limits (`DataLimits`, paging loops, sync cursors) and the shape of every value handed to the app |
//! | [`network`] | the network boundary: the [`network::HttpTransport`] the host supplies, and [`network::policy`], every rule applied to it |
//!
//! This crate is pure: no network, no files, no async runtime. Its dependencies say so (`cargo tree
//! -p finconn-core` shows no tokio and no HTTP crate), and the networked half is another crate,
//! `finconn-client`, built on this one. Even there the core holds no HTTP or TLS stack: the host's
//! transport carries every byte. With the `uniffi` feature (the FFI crate's), the records, enums
//! and the public error also derive UniFFI, so Swift and Kotlin see these types, not copies.

pub mod data;
pub mod error;
pub mod events;
pub mod ids;
pub mod model;
pub mod network;
pub mod options;
pub mod reconcile;
pub mod return_url;
pub mod secret;
pub mod setup;
pub mod state;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
