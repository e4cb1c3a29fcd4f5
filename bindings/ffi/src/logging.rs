//! Forwards the core's `tracing` logs to a logger the host implements (OSLog on iOS, Logcat on
//! Android). The core never puts a secret in a log field; each line is scrubbed once more
//! (`policy::scrub`) before it leaves. Lines go through a bounded queue to one thread that calls
//! the logger in order ("finconn-log", `finconn_client::callback::Dispatcher`): a logger that blocks
//! never blocks the code that logs. When [`LOG_QUEUE`] lines wait, the next ones are dropped,
//! counted ([`dropped_log_lines`]) and reported to the logger by one line once it catches up.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once, OnceLock, RwLock};
use std::time::Duration;

use finconn_client::callback::{Dispatcher, Sink};
use finconn_core::network::policy;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, uniffi::Enum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    fn from_tracing(level: &Level) -> LogLevel {
        match *level {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// The host's log sink, e.g. `os_log` / `android.util.Log`. Called on the library's log thread,
/// one line at a time, in order. One that blocks delays only the lines after it (at most 4096
/// wait; further ones are dropped and counted: `droppedLogLines()`).
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    /// A throw is ignored: the line is lost, the next one is delivered as usual.
    fn log(
        &self,
        level: LogLevel,
        target: String,
        message: String,
    ) -> Result<(), crate::client::CallbackError>;
}

static LOGGER: RwLock<Option<(Arc<dyn Logger>, LogLevel)>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// The most lines waiting for the logger.
pub const LOG_QUEUE: usize = 4096;
/// The longest an async call (or `clearLogger`) waits for the logger to take the lines so far.
const LOG_GRACE: Duration = Duration::from_millis(250);

/// One line for one logger.
struct LogLine {
    logger: Arc<dyn Logger>,
    level: LogLevel,
    target: String,
    message: String,
}

struct LoggerSink;

impl Sink<LogLine> for LoggerSink {
    fn deliver(&mut self, line: LogLine) {
        let _ = line.logger.log(line.level, line.target, line.message);
    }

    /// Told to the logger installed now, if any (the sink keeps no logger alive).
    fn dropped(&mut self, count: u64) {
        let current = LOGGER
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(|(l, _)| l.clone());
        if let Some(logger) = current {
            let _ = logger.log(
                LogLevel::Warn,
                "finconn".into(),
                format!("{count} log line(s) dropped: the logger was too slow"),
            );
        }
    }
}

static QUEUE: OnceLock<Dispatcher<LogLine>> = OnceLock::new();

fn queue() -> &'static Dispatcher<LogLine> {
    QUEUE.get_or_init(|| Dispatcher::new("finconn-log", LOG_QUEUE, LoggerSink))
}

/// Waits (without blocking the runtime) until the logger has every line logged so far, for at
/// most 250 ms (not at all while the logger is stuck on an earlier line). The async calls of the
/// library do this before they return.
pub(crate) async fn lines_delivered() {
    if let Some(q) = QUEUE.get() {
        q.delivered(LOG_GRACE).await;
    }
}

/// Log lines dropped so far because the logger was too slow, since the process started (a count
/// of the process's lifetime: an `i64`, not an `i32`).
#[uniffi::export]
pub fn dropped_log_lines() -> i64 {
    QUEUE
        .get()
        .map_or(0, |q| i64::try_from(q.dropped()).unwrap_or(i64::MAX))
}

/// Sends the library's logs at `max_level` and above to `logger`. Call again to replace it.
#[uniffi::export]
pub fn set_logger(logger: Arc<dyn Logger>, max_level: LogLevel) {
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = Some((logger, max_level));
    INSTALL.call_once(|| {
        // If the host process already installed a global subscriber (another Rust library), ours
        // cannot be added; logs then go to that subscriber.
        let _ = tracing::subscriber::set_global_default(HostSubscriber);
    });
}

/// Stops forwarding logs. Lines already logged are handed over first (waiting at most 250 ms).
#[uniffi::export]
pub fn clear_logger() {
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = None;
    if let Some(q) = QUEUE.get() {
        q.delivered_blocking(LOG_GRACE);
    }
}

/// The global `tracing` subscriber: every event (all levels, every target) goes to
/// [`HostSubscriber::event`], which keeps those at or above the installed logger's level. Spans
/// carry nothing the logger sees (lines are `message key=value`, without span context), so they
/// get an id and are otherwise ignored.
struct HostSubscriber;

impl Subscriber for HostSubscriber {
    fn enabled(&self, _metadata: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Id::from_u64(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let guard = LOGGER.read().unwrap_or_else(|p| p.into_inner());
        let Some((logger, max)) = guard.as_ref() else {
            return;
        };
        let level = LogLevel::from_tracing(event.metadata().level());
        if level > *max {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        let logger = logger.clone();
        drop(guard);
        // Queued, never waited for: a logger that blocks cannot block the code that logs.
        queue().send(LogLine {
            logger,
            level,
            target: event.metadata().target().to_owned(),
            message: policy::scrub(&line.finish()),
        });
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// `message key=value key=value`.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Line {
    fn finish(self) -> String {
        if self.fields.is_empty() {
            self.message
        } else if self.message.is_empty() {
            self.fields.trim_start().to_owned()
        } else {
            format!("{}{}", self.message, self.fields)
        }
    }
}

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    /// Blocks for a second on its first line, then keeps every line.
    struct StuckOnce {
        blocked: AtomicBool,
        lines: Mutex<Vec<String>>,
    }

    impl Logger for StuckOnce {
        fn log(
            &self,
            _level: LogLevel,
            _target: String,
            message: String,
        ) -> Result<(), crate::client::CallbackError> {
            if !self.blocked.swap(true, Ordering::SeqCst) {
                std::thread::sleep(Duration::from_secs(1));
            }
            self.lines.lock().unwrap().push(message);
            Ok(())
        }
    }

    #[test]
    fn a_blocking_logger_never_blocks_the_code_that_logs() {
        let logger = Arc::new(StuckOnce {
            blocked: AtomicBool::new(false),
            lines: Mutex::new(Vec::new()),
        });
        set_logger(logger.clone(), LogLevel::Trace);
        let started = Instant::now();
        let total = LOG_QUEUE + 200;
        for n in 0..total {
            tracing::info!(
                n,
                "echo client_secret=ffiLOGsecret42 and Bearer\tffiLOGtoken42"
            );
        }
        let logging = started.elapsed();
        assert!(
            logging < Duration::from_millis(900),
            "logging took {logging:?}"
        );
        // One line in the logger, LOG_QUEUE waiting: the rest dropped and counted.
        let dropped = dropped_log_lines();
        assert!((199..=200).contains(&dropped), "{dropped}");
        // clearLogger hands over what waits, for at most its grace.
        let clearing = Instant::now();
        clear_logger();
        assert!(clearing.elapsed() < Duration::from_millis(600));
        // Installed again: the report of the dropped lines goes to the logger installed then.
        set_logger(logger.clone(), LogLevel::Warn);
        // Once unblocked, every queued line arrives, in order, scrubbed, and one line tells of
        // the dropped ones.
        let until = Instant::now() + Duration::from_secs(20);
        while logger.lines.lock().unwrap().len() < total - dropped as usize + 1 {
            assert!(Instant::now() < until, "the queued lines never arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
        let lines = logger.lines.lock().unwrap().clone();
        let numbers: Vec<usize> = lines
            .iter()
            .filter_map(|l| l.split("n=").nth(1)?.parse().ok())
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "out of order");
        assert!(
            lines.iter().all(|l| !l.contains("ffiLOG")),
            "a secret reached the logger"
        );
        let report = format!("{dropped} log line(s) dropped");
        assert_eq!(lines.iter().filter(|l| l.contains(&report)).count(), 1);
        clear_logger();
    }
}
