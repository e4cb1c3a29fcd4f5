//! The networked flow: ties the state machine, the return-URL rules, the backend client, the
//! outbox and reconciliation into the API a mobile app drives, and keeps every active flow on
//! disk so a killed app finds it again.
//!
//! ```text
//! let client = FlowClient::new(config, headers, transport)?;  // once per app
//! client.resume_pending().await?;                             // at launch: flows and reports a killed app left
//! let flow = client.new_flow(options)?;                       // per "Link your bank" tap
//! let sheet = flow.start().await?;                            // → client secret + publishable key
//! flow.sheet_presented()?;                                    // present Stripe's sheet with them
//! flow.handle_url(url);                                       // every incoming deep link
//! let result = flow.sheet_result(outcome).await?;             // the sheet's callback → final result
//! ```
//!
//! ## Files
//!
//! | file | owns |
//! |---|---|
//! | `client.rs` | [`FlowClient`] and [`FlowConfig`]: creation, the state the flows share, the listeners and their event thread, new, restored and pending flows, the deadline of every public call |
//! | `ops.rs` | [`Flow`] and its public operations (`start`, `sheet_presented`, `user_left_app`, `handle_url`, `record_stripe_event`, `sheet_result`, `resume`, `cancel`, `snapshot` …) |
//! | `persistence.rs` | the flow store in `finconn-flows/`: writing, reading, locking and removing a flow's snapshot, and the write of every phase change |
//! | `delivery.rs` | the completion report: queued in the outbox, sent, settled, `send_pending_reports`, and the reconciliation with the server's answer (or Stripe's, as a fallback) |
//!
//! ## Persistence
//! Every phase change writes the flow's snapshot (secret-free, see [`finconn_core::state`]) atomically to
//! `<data_dir>/finconn-flows/flow-<id>.json` (mode 0600). The file goes once the flow is settled:
//! ended, with its completion report acknowledged (or refused for good) by the backend. A flow
//! holds an advisory lock (`flow-<id>.lock`) while an object drives it, so two clients or two
//! processes on one directory never drive the same flow. [`FlowClient::pending_flows`] /
//! [`FlowClient::resume_pending`] find what a previous process left.
//!
//! **When a write fails** (a full disk, a directory that refuses writes, an I/O error):
//! - A call that changes the phase (`start`, `sheet_presented`, `user_left_app`, `sheet_result`,
//!   `resume`, `cancel`) returns [`FinConnError::Storage`] and the change is **undone in memory**: the
//!   flow stays in the phase it had, the one its snapshot on disk holds (the write is atomic, the
//!   old snapshot is intact; a flow that never left `Idle` has none). Memory and disk agree, so
//!   the call can simply be made again once the storage recovers, and a kill at any moment leaves
//!   a snapshot a relaunch resumes from. What happened at the backend meanwhile is never lost:
//!   `start` keeps its idempotency key (a repeat gets the same session), and a report is rebuilt
//!   from the snapshot with the same report id, which the backend counts once. So every session
//!   still gets exactly one report, by a later call or by the next launch's `resume_pending`.
//!   No event announces an undone change. `handle_url` cannot fail: its hints are then not
//!   recorded (`recorded: false`); hints never decide the outcome.
//! - A change within a phase (a deep link's hints while the sheet is up, a repeated create, the
//!   session a canceled create returned, a settled report) is **kept in memory** and written with
//!   the next successful write; the earlier state on disk is one a relaunch recovers from the
//!   same way (same key, same report id).
//! - At launch, `FlowClient::new`, `pending_flows`, `resume_pending` and `send_pending_reports`
//!   return [`FinConnError::Storage`] when the data directory cannot be created or listed.
//!
//! ## Concurrency
//! Async operations of one flow (`start`, `sheet_result`, `resume`) run one at a time; the others
//! never wait for the network. Called while another operation is in flight:
//!
//! | called \ in flight | `start` | `sheet_result` / `resume` |
//! |---|---|---|
//! | `start` | waits, then returns the same sheet configuration (one session) | waits, then `InvalidState` (the flow moved on) |
//! | `sheet_result`, `resume` | waits for the session, then reconciles with the server (nothing linked: canceled) | waits, then returns the same result |
//! | `cancel` | ends the flow canceled at once; when the create answers, that session gets a `canceled` report and `start` fails with `InvalidState` | `InvalidState` (the sheet was shown: only its result ends the flow) |
//! | `sheet_presented` | `InvalidState` (not ready yet) | `InvalidState` |
//! | `user_left_app` | `InvalidState` | `InvalidState` |
//! | `handle_url` | classified, not recorded (nothing presented) | classified, not recorded |
//! | `snapshot`, `phase`, `result` | a consistent view | a consistent view |
//!
//! Synchronous operations are serialised by the flow's lock; each sees the state the previous one
//! left. `cancel` twice returns the same result; after the end, every mutating call is
//! `InvalidState` except `sheet_result`/`resume`, which return the result again. Whatever the
//! interleaving: at most one session per flow, and every session of an ended flow is reported
//! exactly once (`core/tests/flow_concurrency.rs` runs each pair).
//!
//! [`FinConnError::Storage`]: finconn_core::error::FinConnError::Storage

mod client;
mod delivery;
mod ops;
mod persistence;

pub(crate) use client::new_idempotency_key;
pub use client::{
    FlowClient, FlowConfig, FlowEventListener, PendingFlows, PendingRecovery, LISTENER_GRACE,
    LISTENER_QUEUE,
};
pub use ops::{Flow, SheetConfiguration, UrlHandling, WeakFlow};
