//! Deterministic identifiers and the small helpers everything else shares: the seeded id
//! generator (`fca_…`, `fcsess_…`, …), the clock, [`Redacted`] for keys that must never be shown,
//! and a poison-tolerant lock helper.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A seeded generator of Stripe-looking ids. The same seed and the same sequence of calls give the
/// same ids, so a test that runs its steps in order sees the same ids on every run.
#[derive(Debug)]
pub(crate) struct IdGen {
    seed: u64,
    counter: Mutex<u64>,
}

impl IdGen {
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        IdGen {
            seed: splitmix64(seed ^ splitmix64(stream)),
            counter: Mutex::new(0),
        }
    }

    fn next_u64(&self) -> u64 {
        let mut c = lock(&self.counter);
        *c += 1;
        splitmix64(self.seed ^ c.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    /// `len` base62 characters.
    pub(crate) fn token(&self, len: usize) -> String {
        let mut out = String::with_capacity(len);
        let mut word = self.next_u64();
        let mut left = 10;
        while out.len() < len {
            if left == 0 {
                word = self.next_u64();
                left = 10;
            }
            out.push(BASE62[(word % 62) as usize] as char);
            word /= 62;
            left -= 1;
        }
        out
    }

    /// `<prefix>_1<23 base62 chars>`, the shape of Stripe's ids (`fca_1Pgc76B7WZ01zgkWqlYVCIub`).
    pub(crate) fn id(&self, prefix: &str) -> String {
        format!("{prefix}_1{}", self.token(23))
    }

    /// `n` decimal digits (for `last4`).
    pub(crate) fn digits(&self, n: usize) -> String {
        let mut v = self.next_u64();
        (0..n)
            .map(|_| {
                let d = (v % 10) as u8;
                v /= 10;
                (b'0' + d) as char
            })
            .collect()
    }

    /// A number in `lo..hi`.
    pub(crate) fn range(&self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo).max(1) as u64;
        lo + (self.next_u64() % span) as i64
    }
}

/// The simulator's clock: a fixed time when configured (deterministic objects), else wall time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    fixed: Option<i64>,
}

impl Clock {
    pub(crate) fn new(fixed: Option<i64>) -> Self {
        Clock { fixed }
    }

    pub(crate) fn now(&self) -> i64 {
        self.fixed.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }
}

/// A key or token that must never appear in `Debug`, `Display` or a log line. Read it with
/// [`Redacted::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Redacted(String);

impl Redacted {
    pub fn new(value: impl Into<String>) -> Self {
        Redacted(value.into())
    }

    /// The raw value, for the one place that needs it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Redacted([redacted])")
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Redacted {
    fn from(s: &str) -> Self {
        Redacted::new(s)
    }
}

impl From<String> for Redacted {
    fn from(s: String) -> Self {
        Redacted::new(s)
    }
}

/// Locks a mutex, ignoring poisoning: a panicking test thread must not wedge the simulator.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_per_seed_and_stream() {
        let a = IdGen::new(7, 1);
        let b = IdGen::new(7, 1);
        let c = IdGen::new(8, 1);
        let ia = a.id("fca");
        assert_eq!(ia, b.id("fca"));
        assert_ne!(ia, c.id("fca"));
        assert!(ia.starts_with("fca_1") && ia.len() == "fca_".len() + 24);
        assert!(ia[4..].chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(a.digits(4).len(), 4);
    }

    #[test]
    fn redacted_never_shows_the_value() {
        let r = Redacted::new("sk_test_abc");
        assert!(!format!("{r:?} {r}").contains("abc"));
        assert_eq!(r.expose(), "sk_test_abc");
    }
}
