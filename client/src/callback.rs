//! The host's callbacks, kept off the caller's thread and under the core's timers. A Swift or
//! Kotlin callback is foreign code the core cannot interrupt: one that blocks must cost the flow
//! a bounded time, never a thread of the async runtime (the FFI's is a current-thread runtime).
//!
//! | callback | how it runs |
//! |---|---|
//! | the headers provider ([`HeaderProvider`]) | on one dedicated thread per client (`HeadersWorker`), awaited under the attempt's deadline; a late answer is dropped; while it runs, further requests wait for the next call (one call answers every request that was waiting), so a provider stuck for good holds one thread, not one per attempt |
//! | flow listeners, the host's logger | through a bounded queue drained in order by one dedicated thread ([`Dispatcher`]); a full queue drops (and counts) the item instead of waiting; async operations wait a short grace ([`Dispatcher::delivered`]) so a well-behaved listener has seen an operation's events when it returns |

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{oneshot, watch};

use crate::backend::HeaderProvider;
use finconn_core::network::policy::Headers;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "panic".into())
}

/// Why the headers provider gave no headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadersFailure {
    /// It did not answer before the deadline; its answer, if it ever comes, is dropped.
    TimedOut,
    /// It returned an error (a Swift or Kotlin provider threw), panicked, or its thread could not
    /// be started. The message is not shown: it may hold anything.
    Failed,
}

type HeadersAnswer = Result<Headers, String>;
type HeadersRequest = oneshot::Sender<HeadersAnswer>;

/// Runs the host's [`HeaderProvider`] on a thread of its own ("finconn-headers", started at the
/// first call, ended with the client).
pub(crate) struct HeadersWorker {
    provider: Arc<dyn HeaderProvider>,
    queue: Mutex<Option<mpsc::Sender<HeadersRequest>>>,
}

impl HeadersWorker {
    pub(crate) fn new(provider: Arc<dyn HeaderProvider>) -> Self {
        HeadersWorker {
            provider,
            queue: Mutex::new(None),
        }
    }

    fn request(&self) -> Option<oneshot::Receiver<HeadersAnswer>> {
        let (tx, rx) = oneshot::channel();
        let mut queue = lock(&self.queue);
        let tx = match queue.as_ref() {
            Some(q) => match q.send(tx) {
                Ok(()) => return Some(rx),
                // The thread is gone (it cannot panic, but be sure): start another.
                Err(mpsc::SendError(tx)) => tx,
            },
            None => tx,
        };
        let (send, receive) = mpsc::channel();
        let provider = self.provider.clone();
        let started = std::thread::Builder::new()
            .name("finconn-headers".into())
            .spawn(move || serve_headers(provider.as_ref(), receive));
        if let Err(e) = started {
            tracing::error!(error = %e, "the headers provider's thread could not be started");
            *queue = None;
            return None;
        }
        let _ = send.send(tx);
        *queue = Some(send);
        Some(rx)
    }

    /// The provider's headers, or why there are none by `deadline`.
    pub(crate) async fn headers(
        &self,
        deadline: tokio::time::Instant,
    ) -> Result<Headers, HeadersFailure> {
        let rx = self.request().ok_or(HeadersFailure::Failed)?;
        match tokio::time::timeout_at(deadline, rx).await {
            Err(_) => Err(HeadersFailure::TimedOut),
            Ok(Ok(Ok(headers))) => Ok(headers),
            Ok(Ok(Err(panic))) => {
                // The message is the host's; it is not logged (it may hold anything).
                drop(panic);
                Err(HeadersFailure::Failed)
            }
            Ok(Err(_)) => Err(HeadersFailure::Failed),
        }
    }
}

/// The worker thread: one provider call at a time, answering every request that was waiting
/// when it began; requests whose caller gave up are skipped.
fn serve_headers(provider: &dyn HeaderProvider, requests: mpsc::Receiver<HeadersRequest>) {
    while let Ok(first) = requests.recv() {
        let mut waiting = vec![first];
        waiting.extend(requests.try_iter());
        waiting.retain(|w| !w.is_closed());
        if waiting.is_empty() {
            continue;
        }
        let answer = catch_unwind(AssertUnwindSafe(|| provider.try_headers()))
            .map_err(panic_message)
            .and_then(|answer| answer);
        for w in waiting {
            let _ = w.send(answer.clone());
        }
    }
}

/// Where a [`Dispatcher`] delivers, on its own thread.
pub trait Sink<T>: Send + 'static {
    fn deliver(&mut self, item: T);
    /// `count` more items were dropped because the queue was full (called after the next
    /// delivery).
    fn dropped(&mut self, _count: u64) {}
}

struct Progress {
    /// The sequence number of the last item delivered.
    delivered: watch::Sender<u64>,
    dropped: AtomicU64,
}

struct Queue<T> {
    tx: Option<mpsc::SyncSender<(u64, T)>>,
    /// Until the thread starts.
    sink: Option<Box<dyn Sink<T>>>,
    /// The sequence number of the last item queued.
    sent: u64,
}

/// A bounded queue drained in order by one dedicated thread (started at the first item, ended
/// when the dispatcher is dropped and the queue is empty). [`send`](Self::send) never blocks: a
/// full queue drops the item and counts it.
pub struct Dispatcher<T: Send + 'static> {
    name: &'static str,
    capacity: usize,
    queue: Mutex<Queue<T>>,
    progress: Arc<Progress>,
    /// `delivered` when a wait last gave up: no new wait until the thread moves on.
    stalled_at: Mutex<Option<u64>>,
}

impl<T: Send + 'static> Dispatcher<T> {
    /// `name` names the thread; at most `capacity` items wait.
    pub fn new(name: &'static str, capacity: usize, sink: impl Sink<T>) -> Self {
        Dispatcher {
            name,
            capacity: capacity.max(1),
            queue: Mutex::new(Queue {
                tx: None,
                sink: Some(Box::new(sink)),
                sent: 0,
            }),
            progress: Arc::new(Progress {
                delivered: watch::Sender::new(0),
                dropped: AtomicU64::new(0),
            }),
            stalled_at: Mutex::new(None),
        }
    }

    fn start(&self, queue: &mut Queue<T>) -> bool {
        let Some(mut sink) = queue.sink.take() else {
            return false;
        };
        let (tx, rx) = mpsc::sync_channel::<(u64, T)>(self.capacity);
        let progress = self.progress.clone();
        let started = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let mut reported = 0;
                for (seq, item) in rx {
                    let _ = catch_unwind(AssertUnwindSafe(|| sink.deliver(item)));
                    progress.delivered.send_replace(seq);
                    let dropped = progress.dropped.load(Ordering::SeqCst);
                    if dropped > reported {
                        let _ = catch_unwind(AssertUnwindSafe(|| sink.dropped(dropped - reported)));
                        reported = dropped;
                    }
                }
            });
        match started {
            Ok(_) => {
                queue.tx = Some(tx);
                true
            }
            Err(_) => false,
        }
    }

    /// Queues `item`; `false` when it was dropped (the queue is full).
    pub fn send(&self, item: T) -> bool {
        let mut queue = lock(&self.queue);
        if queue.tx.is_none() && !self.start(&mut queue) {
            self.progress.dropped.fetch_add(1, Ordering::SeqCst);
            return false;
        }
        let seq = queue.sent + 1;
        let sent = queue.tx.as_ref().map(|tx| tx.try_send((seq, item)));
        match sent {
            Some(Ok(())) => {
                queue.sent = seq;
                true
            }
            _ => {
                self.progress.dropped.fetch_add(1, Ordering::SeqCst);
                false
            }
        }
    }

    /// Items dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.progress.dropped.load(Ordering::SeqCst)
    }

    /// `(target, delivered now)`, or `None` when there is nothing to wait for: everything queued
    /// so far is delivered, or an earlier wait gave up and the thread has not moved since (a sink
    /// that blocks costs one grace, not one per call).
    fn wait_needed(&self) -> Option<u64> {
        let target = lock(&self.queue).sent;
        let delivered = *self.progress.delivered.borrow();
        if delivered >= target || *lock(&self.stalled_at) == Some(delivered) {
            return None;
        }
        Some(target)
    }

    fn gave_up(&self) {
        *lock(&self.stalled_at) = Some(*self.progress.delivered.borrow());
    }

    /// Waits, without blocking the thread, until every item queued before the call is delivered,
    /// for at most `grace`. `true` when they were.
    pub async fn delivered(&self, grace: Duration) -> bool {
        let Some(target) = self.wait_needed() else {
            return *self.progress.delivered.borrow() >= lock(&self.queue).sent;
        };
        let mut rx = self.progress.delivered.subscribe();
        let done = tokio::time::timeout(grace, rx.wait_for(|d| *d >= target)).await;
        if matches!(done, Ok(Ok(_))) {
            true
        } else {
            self.gave_up();
            false
        }
    }

    /// [`delivered`](Self::delivered) for a caller outside the async runtime: blocks the calling
    /// thread for at most `grace`.
    pub fn delivered_blocking(&self, grace: Duration) -> bool {
        let Some(target) = self.wait_needed() else {
            return *self.progress.delivered.borrow() >= lock(&self.queue).sent;
        };
        let started = Instant::now();
        while *self.progress.delivered.borrow() < target {
            if started.elapsed() >= grace {
                self.gave_up();
                return false;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Recorder(Arc<Mutex<Vec<u32>>>, Duration);

    impl Sink<u32> for Recorder {
        fn deliver(&mut self, item: u32) {
            std::thread::sleep(self.1);
            if item == 13 {
                panic!("a sink that panics");
            }
            lock(&self.0).push(item);
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn items_arrive_in_order_and_a_panic_stops_nothing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let d = Dispatcher::new("test-dispatch", 64, Recorder(seen.clone(), Duration::ZERO));
        for i in 0..40 {
            assert!(d.send(i));
        }
        assert!(d.delivered(Duration::from_secs(5)).await);
        let expected: Vec<u32> = (0..40).filter(|i| *i != 13).collect();
        assert_eq!(*lock(&seen), expected);
        assert_eq!(d.dropped(), 0);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_blocked_sink_costs_one_grace_and_a_full_queue_drops() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let d = Dispatcher::new(
            "test-dispatch",
            4,
            Recorder(seen.clone(), Duration::from_millis(400)),
        );
        let started = Instant::now();
        let accepted = (0..20).filter(|i| d.send(*i)).count();
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "send blocked"
        );
        // One in the sink, four waiting; the rest dropped and counted.
        assert!((4..=5).contains(&accepted), "{accepted}");
        assert_eq!(d.dropped(), 20 - accepted as u64);
        let started = Instant::now();
        assert!(!d.delivered(Duration::from_millis(50)).await);
        // The thread has not moved: no second wait.
        assert!(!d.delivered(Duration::from_millis(50)).await);
        assert!(!d.delivered_blocking(Duration::from_millis(50)));
        assert!(
            started.elapsed() < Duration::from_millis(150),
            "{:?}",
            started.elapsed()
        );
        // Once the thread has moved on, waits again; everything queued arrives in order.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(d.delivered(Duration::from_secs(5)).await);
        let got = lock(&seen).clone();
        assert_eq!(got, (0..accepted as u32).collect::<Vec<_>>());
    }

    struct Slow(Duration, Arc<AtomicUsize>);

    impl HeaderProvider for Slow {
        fn headers(&self) -> Headers {
            self.1.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.0);
            vec![("Authorization".into(), "Bearer t".into())]
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_stuck_provider_is_cut_at_the_deadline_and_called_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let w = HeadersWorker::new(Arc::new(Slow(Duration::from_millis(600), calls.clone())));
        let started = Instant::now();
        for _ in 0..3 {
            let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
            assert_eq!(w.headers(deadline).await, Err(HeadersFailure::TimedOut));
        }
        assert!(
            started.elapsed() < Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
        // The late answers were dropped; the stuck call was the only one.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        assert_eq!(w.headers(deadline).await.unwrap().len(), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    struct Panics;

    impl HeaderProvider for Panics {
        fn headers(&self) -> Headers {
            panic!("the host threw");
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_panicking_provider_is_a_failure_not_a_crash() {
        let w = HeadersWorker::new(Arc::new(Panics));
        for _ in 0..2 {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
            assert_eq!(w.headers(deadline).await, Err(HeadersFailure::Failed));
        }
    }
}
