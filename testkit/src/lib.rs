//! # finconn-testkit
//!
//! A loopback simulator of everything around the app during a Stripe Financial Connections flow:
//! the **merchant backend** of `docs/backend-contract.md` running over an **in-memory Stripe**
//! (or real Stripe through [`HttpStripe`]), the **sheet** (test institutions decide what the
//! user does), and **fault injection** at the TCP level. Used by the core's tests, the FFI tests
//! and `fc demo` / `fc serve`.
//!
//! | module | owns |
//! |---|---|
//! | `server` | [`Simulator`]: the HTTP/1.1 server on `127.0.0.1:0`, routing, fault realisation, counters, [`serve`] |
//! | `backend` | the merchant backend: idempotent sessions, report checks, account upsert, account data routes, shapes and paths |
//! | `stripe` | [`StripeApi`], [`InMemoryStripe`], [`HttpStripe`], the `/v1` routes, Stripe-shaped objects, account data (refreshes, owners, transactions) |
//! | `sheet` | [`SheetCompletion`]: what the sheet does per [`Institution`] and what it returns to the app |
//! | `institution` | the test institutions and their account templates |
//! | `faults` | [`Endpoint`], [`Fault`], the FIFO [`Faults`] queues |
//! | `hostile` | [`HostileServer`] and [`HOSTILE_CASES`], the hostile-backend matrix every transport runs |
//! | `lying` | [`LyingBackend`] and [`ECHO_SHAPES`]: a backend that echoes the client's secrets back in every shape a scrubber may miss |
//! | `http` | the hand-rolled HTTP/1.1 reader/writer and the byte-level misbehaviours |
//! | `ids` | seeded ids, the clock, [`Redacted`] |
//!
//! ```no_run
//! # async fn demo() {
//! use finconn_testkit::{Endpoint, Fault, Institution, Simulator, SimulatorConfig};
//! let sim = Simulator::start(SimulatorConfig::default()).await;
//! sim.faults().push(Endpoint::Complete, Fault::ResetAfterCommit);
//! // … the app creates a session at sim.base_url(), then:
//! # let session_id = "fcsess_…";
//! let done = sim.complete_sheet(session_id, Institution::SuccessThree).unwrap();
//! assert_eq!(done.account_ids.len(), 3);
//! sim.shutdown().await;
//! # }
//! ```
//!
//! Secrets: the simulator logs method and path only. Keys live in [`Redacted`]; client secrets
//! are never echoed in error messages.

mod backend;
mod faults;
mod hostile;
mod http;
mod ids;
mod institution;
mod lying;
mod server;
mod sheet;
pub mod stripe;

pub use backend::{
    BackendPaths, CreateSessionShape, ErrorShape, ListAccountsShape, ResponseShapes, DEFAULT_USER,
};
pub use faults::{Endpoint, Fault, Faults};
pub use hostile::{
    hostile_case, Behaviour, HostileCase, HostileServer, Stage, HOSTILE_CASES,
    HOSTILE_CLIENT_SECRET, HOSTILE_PUBLISHABLE_KEY, HOSTILE_REPORT_TOKEN, HOSTILE_SESSION_ID,
    HOSTILE_USER_TOKEN,
};
pub use ids::Redacted;
pub use institution::Institution;
pub use lying::{
    EchoShape, ErrorForm, Lie, LyingBackend, ECHO_SHAPES, LYING_ACCOUNT_ID, LYING_CLIENT_SECRET,
    LYING_PUBLISHABLE_KEY, LYING_REPORT_TOKEN, LYING_SECRET_HALF, LYING_SESSION_ID,
    LYING_USER_TOKEN,
};
pub use server::{
    serve, serve_until, Headers, RecordedRequest, ServeError, ServeOptions, Simulator,
    SimulatorConfig, StripeMode,
};
pub use sheet::{SheetCompletion, SheetError, SheetOutcome, DEFAULT_ANDROID_APP_ID};
#[cfg(feature = "client")]
pub use stripe::HttpStripe;
pub use stripe::{
    AccountHolder, CreateSessionParams, InMemoryStripe, ListAccountsQuery, ListTransactionsQuery,
    RelinkOptions, StripeApi, StripeError,
};
