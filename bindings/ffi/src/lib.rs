//! # finconn-ffi
//!
//! The UniFFI layer shipped to iOS (Swift module `FinConn`, C module `FinConnFFI`) and Android
//! (Kotlin package `io.finconn`). It converts between `finconn-core` and FFI-friendly types and
//! never decides anything itself: every rule lives in the core.
//!
//! | module | owns |
//! |---|---|
//! | `callback` | `CallbackError`, what every host callback (foreign trait) may throw |
//! | `numbers` | the checked conversions between the API's signed numbers and the core's unsigned ones |
//! | `client` | `FlowClient`, `Flow`, `FlowClientConfig`, `PendingRecovery`, `HeadersProvider`, `FlowListener`, `checkReturnUrl` |
//! | `link` | `FlowClient.link` and `FlowClient.handleUrl`, the foreign trait `SheetPresenter`, `LinkEvents` |
//! | `executor` | the library's own runtime ("finconn-runtime") and `offload`, through which every async export runs |
//! | `transport` | `HttpTransport` (the host's HTTP stack), `HttpRequest`, `HttpResponse`, `TransportError` |
//! | `types` | the records and enums the apps see (`Account` and its `RefreshRecord`s included), and their conversions |
//! | `data` | the account-data records: balances (`Money`), refresh reports, owners, transactions, `AccountAction`, duplicates |
//! | `logging` | `Logger`/`setLogger`: the core's `tracing` logs to OSLog / Logcat |
//! | `testing` | (feature `testing`, never shipped) the loopback simulator and a panic trigger for the JVM tests |
//!
//! Rules of this surface: every call that does real work returns `Result`, because Swift wraps
//! non-throwing calls in `try!` and a Rust panic there would crash the app. Every call that reads,
//! writes or `fsync`s a file is async, and every async export runs its body on the library's own
//! executor (`executor::offload`): the foreign thread that polls it (a Kotlin dispatcher, a Swift
//! task's thread) only waits for its output. The synchronous exports touch no file. Names and
//! packages come from the repository's `uniffi.toml`.

uniffi::setup_scaffolding!();

pub mod callback;
pub mod client;
pub mod data;
pub mod executor;
pub mod link;

pub mod logging;
pub mod numbers;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
pub mod types;

/// The version of the Rust core compiled into this library.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
