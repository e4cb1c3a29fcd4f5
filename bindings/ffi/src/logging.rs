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
    /// Failures: something did not work and a call or a report is affected.
    Error,
    /// Problems the library handled or will retry (a failed attempt, a file moved aside).
    Warn,
    /// The course of flows and reports (phase changes, a report that stays queued).
    Info,
    /// Details for debugging (Stripe's events as the app forwards them, ignored calls).
    Debug,
    /// Everything, the finest detail included.
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
    /// One line at `level`, from `target` (the library's module that wrote it). A throw is
    /// ignored: the line is lost, the next one is delivered as usual.
    fn log(
        &self,
        level: LogLevel,
        target: String,
        message: String,
    ) -> Result<(), crate::callback::CallbackError>;
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

    /// As `record_debug` writes it (tracing's default), through [`FloatDebug`].
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.record_debug(field, &FloatDebug(value))
    }
}

/// `digits` x 10^`exponent` is the shortest text of `x`; when two such texts are equally near
/// (`x` exactly halfway), serde_json's formatter takes the even one and `{:?}` the upper one:
/// the upper one, then.
fn tie_up(x: f64, digits: &str, exponent: i32) -> String {
    let bits = x.to_bits();
    let (fraction, biased) = (bits & ((1 << 52) - 1), (bits >> 52) as i32);
    let (m, q) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    // x = odd x 2^q; halfway between D and D + 1 (units of 10^exponent) when
    // 2x = (2D + 1) x 10^exponent, that is q + 1 = exponent and 2D + 1 = odd x 5^-exponent.
    let (odd, q) = (
        u128::from(m >> m.trailing_zeros()),
        q + m.trailing_zeros() as i32,
    );
    let twice_plus_one = match exponent {
        e if q + 1 != e => None,
        e if e < 0 => 5u128
            .checked_pow(e.unsigned_abs())
            .and_then(|p| odd.checked_mul(p)),
        e => 5u128
            .checked_pow(e as u32)
            .filter(|p| odd % p == 0)
            .map(|p| odd / p),
    };
    let mut out = digits.to_owned();
    if twice_plus_one.is_some_and(|t| digits.parse::<u128>().ok() == Some(t / 2)) {
        // The lower one is even: its last digit is at most 8.
        let last = out.pop().map_or(b'0', |c| c as u8);
        out.push(char::from(last + 1));
    }
    out
}

/// An `f64` written exactly as `{:?}` writes it (shortest digits that read back as the float;
/// positional from 1e-4 to below 1e16, with at least one decimal, else `<digits>e<exponent>`),
/// from the shortest digits of serde_json's float formatter, which the library links anyway:
/// the standard library's own float formatting would add about 16 KB for log fields alone.
struct FloatDebug(f64);

impl std::fmt::Debug for FloatDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.is_nan() {
            return f.write_str("NaN");
        }
        let sign = if v.is_sign_negative() { "-" } else { "" };
        let abs = v.abs();
        if abs.is_infinite() {
            return write!(f, "{sign}inf");
        }
        if abs == 0.0 {
            return write!(f, "{sign}0.0");
        }
        // serde_json's text of a finite float: digits, perhaps a '.', perhaps e<exponent>.
        let text = serde_json::Number::from_f64(abs).map_or_else(String::new, |n| n.to_string());
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
            None => (text.as_str(), 0),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        // abs = 0.DIGITS x 10^point, DIGITS without leading or trailing zeros.
        let all = format!("{whole}{fraction}");
        let digits = all.trim_start_matches('0');
        let point = whole.len() as i32 - (all.len() - digits.len()) as i32 + exponent;
        let digits = digits.trim_end_matches('0');
        let len = digits.len() as i32;
        let digits = tie_up(abs, digits, point - len);
        let digits = digits.as_str();
        f.write_str(sign)?;
        if !(1e-4..1e16).contains(&abs) {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            write!(f, "{first}{dot}{rest}e{}", point - 1)
        } else if point <= 0 {
            write!(f, "0.{:0>width$}", digits, width = (len - point) as usize)
        } else if point >= len {
            write!(
                f,
                "{digits}{:0<width$}.0",
                "",
                width = (point - len) as usize
            )
        } else {
            let (int, frac) = digits.split_at(point as usize);
            write!(f, "{int}.{frac}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_float_field_is_written_as_its_debug_form() {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.3,
            1.5,
            100.0,
            123.456,
            1e-4,
            9.999e-5,
            1e-5,
            1.5e-5,
            1e-7,
            1e15,
            9_999_999_999_999_998.0,
            1e16,
            1.2345e20,
            1e300,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            5e-324,
            f64::EPSILON,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.000123,
            1234567.0,
            0.1 + 0.2,
            86_400.0,
            2.5e-3,
        ];
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state));
            // Values of the sizes a log is likely to hold (many of them exactly halfway between
            // two shortest texts).
            values.push((state >> 11) as f64 / (1u64 << (state % 60)) as f64);
        }
        for v in values {
            assert_eq!(
                format!("{:?}", FloatDebug(v)),
                format!("{v:?}"),
                "{:#x}",
                v.to_bits()
            );
        }
    }
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
        ) -> Result<(), crate::callback::CallbackError> {
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
