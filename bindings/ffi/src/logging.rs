//! Forwards the core's `tracing` logs to a logger the host implements (OSLog on iOS, Logcat on
//! Android). The core never puts a secret in a log field, so nothing here filters content; it only
//! formats events and routes them.

use std::fmt::Write as _;
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

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

/// The host's log sink, e.g. `os_log` / `android.util.Log`. Called on any thread.
#[uniffi::export(with_foreign)]
pub trait Logger: Send + Sync {
    fn log(&self, level: LogLevel, target: String, message: String);
}

static LOGGER: RwLock<Option<(Arc<dyn Logger>, LogLevel)>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// Sends the library's logs at `max_level` and above to `logger`. Call again to replace it.
#[uniffi::export]
pub fn set_logger(logger: Arc<dyn Logger>, max_level: LogLevel) {
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = Some((logger, max_level));
    INSTALL.call_once(|| {
        // If the host process already installed a global subscriber (another Rust library), ours
        // cannot be added; logs then go to that subscriber.
        let _ = tracing_subscriber::registry().with(HostLayer).try_init();
    });
}

/// Stops forwarding logs.
#[uniffi::export]
pub fn clear_logger() {
    *LOGGER.write().unwrap_or_else(|p| p.into_inner()) = None;
}

struct HostLayer;

impl<S: Subscriber> Layer<S> for HostLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
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
        logger.log(level, event.metadata().target().to_owned(), line.finish());
    }
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
