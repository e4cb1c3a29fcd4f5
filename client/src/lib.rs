//! # finconn-client
//!
//! The networked half of finconn, on top of the pure [`finconn_core`]: everything that talks to the
//! app's backend, keeps files or runs on an async runtime. The host still supplies the HTTP
//! transport ([`finconn_core::network::HttpTransport`]); this crate holds no HTTP or TLS stack.
//!
//! | module | owns |
//! |---|---|
//! | [`backend`] | the app backend's contract: configuration, wire types, the retry engine, one file per family of endpoints |
//! | [`link`] | `FlowClient::link`: the whole flow around the platform's sheet presenter, in one call |
//! | [`flow`] | `FlowClient` and `Flow`: the async flow, its persistence, its events and the report delivery |
//! | [`account_data`] | balances, ownership, transactions and refreshes of linked accounts |
//! | [`outbox`] | durable completion reports, sent exactly once per session |
//! | [`store`] | durable files and locks in the app's data directory |
//! | [`callback`] | the host's callbacks (headers, listeners, logs) kept off the caller's thread |
//! | [`errors`] | the one place that turns internal errors into the public [`finconn_core::error::FinConnError`] and decides what is logged at which level |

pub mod account_data;
pub mod backend;
pub mod callback;
pub mod errors;
pub mod flow;
pub mod link;
pub mod outbox;
pub mod store;
