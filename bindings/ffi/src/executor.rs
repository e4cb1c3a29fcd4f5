//! The library's own executor: one thread ("finconn-runtime"), started at the first async call,
//! on which every async export does its work, inside a current-thread Tokio runtime that gives
//! the bodies their timers (`tokio::time`: retries, backoff, call deadlines).
//!
//! UniFFI polls a Rust future on the foreign caller's thread (the Kotlin coroutine's dispatcher,
//! often `Main`; the Swift task's thread). The flow's work is not all awaiting: writing a
//! snapshot, queueing a report and taking a lock are synchronous file writes and `fsync`s. So
//! every async export hands its body to [`offload`], which queues it here and awaits only its
//! output: the foreign thread polls a slot and never touches the disk. One queue, first in
//! first out, and one thread: the bodies run in the order they were handed over.
//!
//! The executor is a small one of its own rather than Tokio's `spawn`: a queue of boxed bodies,
//! each woken by a std `Waker` that queues it again, polled one after the other from the one
//! future the Tokio runtime's `block_on` drives (so inside the runtime's context, where its timer
//! driver runs). Tokio's task machinery (its harness, join handles, task ids) is not compiled in.
//!
//! A panic in a body reaches the caller as UniFFI's panic error (Kotlin `InternalException`,
//! Swift `rustPanic`), as it would have on the caller's thread. Dropping the call (a cancelled
//! Kotlin coroutine, a dropped Swift task) aborts its body here: what it held (a flow and its
//! lock) is released as soon as the runtime gets to it, ahead of any call made after the drop.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::Builder;

/// The name of the runtime's thread (the tests check that the disk is touched only there).
pub const RUNTIME_THREAD: &str = "finconn-runtime";

/// What the runtime runs: every body behind one type, so that the executor is compiled once for
/// the library rather than once per async export.
type Body = Pin<Box<dyn Future<Output = Box<dyn Any + Send>> + Send>>;

/// A body's end: its output, or the payload of its panic.
type Outcome = std::thread::Result<Box<dyn Any + Send>>;

/// The bodies to poll, in order, and the runtime thread's waker for when there are none.
struct Queue {
    ready: VecDeque<Arc<Task>>,
    runtime: Option<Waker>,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    ready: VecDeque::new(),
    runtime: None,
});

/// A lock that a panic elsewhere never makes unusable (nothing here is left half-written).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts the runtime thread on first use. It runs for the life of the process: a static has no
/// moment to shut it down, and nothing it runs outlives the calls that wait for it.
fn start() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let runtime = Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|e| panic!("the library's runtime could not be built: {e}"));
        std::thread::Builder::new()
            .name(RUNTIME_THREAD.into())
            .spawn(move || runtime.block_on(std::future::poll_fn(run_ready)))
            .unwrap_or_else(|e| panic!("the library's runtime thread could not be started: {e}"));
    });
}

/// The runtime thread's one future: polls the bodies queued when it is polled, then yields to
/// the runtime (its timers) before the ones they queued in turn. Never ends.
fn run_ready(cx: &mut Context<'_>) -> Poll<()> {
    let batch = std::mem::take(&mut lock(&QUEUE).ready);
    for task in batch {
        task.run();
    }
    let mut queue = lock(&QUEUE);
    if queue.ready.is_empty() {
        queue.runtime = Some(cx.waker().clone());
    } else {
        cx.waker().wake_by_ref();
    }
    Poll::Pending
}

/// One body handed to the runtime.
struct Task {
    /// Until it ends or is aborted; only the runtime thread touches it.
    body: Mutex<Option<Body>>,
    /// What the caller's side shares with the runtime.
    state: Mutex<State>,
    /// Whether it is in the queue already (a wake then adds nothing).
    queued: AtomicBool,
}

#[derive(Default)]
struct State {
    outcome: Option<Outcome>,
    /// The caller's waker, for when the outcome is there.
    caller: Option<Waker>,
    /// The body has ended: its outcome was given (and perhaps taken already).
    ended: bool,
    /// The call was dropped: the body is to be dropped unpolled.
    aborted: bool,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            let runtime = {
                let mut queue = lock(&QUEUE);
                queue.ready.push_back(self);
                queue.runtime.take()
            };
            if let Some(runtime) = runtime {
                runtime.wake();
            }
        }
    }
}

impl Task {
    /// On the runtime thread: polls the body once, or drops it if its call was dropped.
    fn run(self: Arc<Self>) {
        self.queued.store(false, Ordering::Release);
        let mut body = lock(&self.body);
        let Some(future) = body.as_mut() else {
            return; // ended already
        };
        let outcome = if lock(&self.state).aborted {
            None
        } else {
            let waker = Waker::from(self.clone());
            match catch_unwind(AssertUnwindSafe(|| {
                future.as_mut().poll(&mut Context::from_waker(&waker))
            })) {
                Ok(Poll::Pending) => return,
                Ok(Poll::Ready(out)) => Some(Ok(out)),
                Err(payload) => Some(Err(payload)),
            }
        };
        // What an aborted or panicked body held goes here, on this thread; a panic of its drop
        // has no one to reach.
        let ended = body.take();
        drop(body);
        let _ = catch_unwind(AssertUnwindSafe(|| drop(ended)));
        if let Some(outcome) = outcome {
            let caller = {
                let mut state = lock(&self.state);
                state.outcome = Some(outcome);
                state.ended = true;
                state.caller.take()
            };
            if let Some(caller) = caller {
                caller.wake();
            }
        }
    }
}

/// The caller's side of a task: its outcome, and the abort when dropped before it.
struct Call(Arc<Task>);

impl Call {
    /// Queues `body` behind every body handed over before it. Not generic, like
    /// [`Call::poll_output`]: what every async export inlines of the executor is only
    /// [`Offloaded::poll`]'s downcast.
    #[inline(never)]
    fn spawn(body: Body) -> Self {
        start();
        let task = Arc::new(Task {
            body: Mutex::new(Some(body)),
            state: Mutex::new(State::default()),
            queued: AtomicBool::new(false),
        });
        task.clone().wake();
        Call(task)
    }

    /// The body's output once it has ended; its panic resumed here.
    #[inline(never)]
    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Box<dyn Any + Send>> {
        let outcome = {
            let mut state = lock(&self.0.state);
            match state.outcome.take() {
                Some(outcome) => outcome,
                None => {
                    state.caller = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        };
        match outcome {
            Ok(out) => Poll::Ready(out),
            Err(payload) => resume_unwind(payload),
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        let abort = {
            let mut state = lock(&self.0.state);
            state.caller = None;
            state.aborted = true;
            // Nothing to do once it has ended (its outcome, if not taken, goes with the task).
            !state.ended
        };
        if abort {
            // Queued now, so dropped before any body handed over after this.
            self.0.clone().wake();
        }
    }
}

/// The future [`offload`] returns: the body's output, once the runtime has run it.
pub struct Offloaded<T> {
    call: Call,
    output: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Offloaded<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.call
            .poll_output(cx)
            .map(|out| match out.downcast::<T>() {
                Ok(out) => *out,
                Err(_) => unreachable!("a body's output is the type it was spawned with"),
            })
    }
}

/// Runs `f` on the library's runtime and waits for its output. Cancel-safe: dropping the
/// returned future aborts `f`. A panic in `f` is resumed here, in the caller's future.
pub fn offload<F>(f: F) -> Offloaded<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Offloaded {
        call: Call::spawn(Box::pin(
            async move { Box::new(f.await) as Box<dyn Any + Send> },
        )),
        output: PhantomData,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A small executor of the test's own: the caller's thread polling the call.
    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn the_body_runs_on_the_runtime_thread_not_the_callers() {
        let caller = std::thread::current().name().map(str::to_owned);
        let ran_on = block_on(offload(async {
            std::thread::current().name().map(str::to_owned)
        }));
        assert_eq!(ran_on.as_deref(), Some(RUNTIME_THREAD));
        assert_ne!(ran_on, caller);
    }

    #[test]
    fn a_panic_reaches_the_caller_with_its_message() {
        let caught =
            std::panic::catch_unwind(|| block_on(offload(async { panic!("boom on the runtime") })))
                .expect_err("the panic must reach the caller");
        let message = caught
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| caught.downcast_ref::<String>().cloned());
        assert_eq!(message.as_deref(), Some("boom on the runtime"));
        // The runtime goes on.
        assert_eq!(block_on(offload(async { 7 })), 7);
    }

    #[test]
    fn timers_of_tokio_work_in_a_body() {
        let slept = block_on(offload(async {
            let start = std::time::Instant::now();
            tokio::time::sleep(Duration::from_millis(20)).await;
            let timed_out =
                tokio::time::timeout(Duration::from_millis(5), std::future::pending::<()>()).await;
            (start.elapsed(), timed_out.is_err())
        }));
        assert!(slept.0 >= Duration::from_millis(25), "slept {:?}", slept.0);
        assert!(slept.1, "the timeout never fired");
    }

    #[test]
    fn bodies_run_in_the_order_they_were_handed_over() {
        let order = Arc::new(Mutex::new(Vec::new()));
        let calls: Vec<_> = (0..50)
            .map(|i| {
                let order = order.clone();
                offload(async move {
                    order.lock().unwrap().push(i);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    i
                })
            })
            .collect();
        let outputs: Vec<i32> = calls.into_iter().map(block_on).collect();
        assert_eq!(outputs, (0..50).collect::<Vec<_>>());
        assert_eq!(*order.lock().unwrap(), (0..50).collect::<Vec<_>>());
    }

    /// Sets its flag when dropped.
    struct Dropped(Arc<AtomicBool>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_call_aborts_its_body_before_the_next_call_runs() {
        let dropped = Arc::new(AtomicBool::new(false));
        let held = Dropped(dropped.clone());
        let started = Arc::new(AtomicBool::new(false));
        let started_too = started.clone();
        block_on(async {
            let call = offload(async move {
                let _held = held;
                started_too.store(true, Ordering::SeqCst);
                std::future::pending::<()>().await
            });
            // Poll it until the body is running (the runtime may be busy with another test),
            // then drop it: a cancelled coroutine.
            let mut call = Box::pin(call);
            for _ in 0..2000 {
                if started.load(Ordering::SeqCst) {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_millis(5), &mut call).await;
            }
            assert!(started.load(Ordering::SeqCst), "the body never ran");
        });
        // A call made after the drop runs after the abort: the body's values are gone by then.
        let gone = block_on(offload({
            let dropped = dropped.clone();
            async move { dropped.load(Ordering::SeqCst) }
        }));
        assert!(gone, "the aborted body still held its values");
    }
}
