//! The library's own executor: one Tokio runtime, started at the first async call and driven by
//! one dedicated thread ("finconn-runtime"), on which every async export does its work.
//!
//! UniFFI polls a Rust future on the foreign caller's thread (the Kotlin coroutine's dispatcher,
//! often `Main`; the Swift task's thread). The flow's work is not all awaiting: writing a
//! snapshot, queueing a report and taking a lock are synchronous file writes and `fsync`s. So
//! every async export hands its body to [`offload`], which spawns it here and awaits only its
//! join handle: the foreign thread polls a handle and never touches the disk. Being one thread,
//! the runtime also runs the bodies in the order they were handed over.
//!
//! A panic in a body reaches the caller as UniFFI's panic error (Kotlin `InternalException`,
//! Swift `rustPanic`), as it would have on the caller's thread. Dropping the call (a cancelled
//! Kotlin coroutine, a dropped Swift task) aborts its body here: what it held (a flow and its
//! lock) is released as soon as the runtime gets to it, ahead of any call made after the drop.

use std::any::Any;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use tokio::runtime::{Builder, Handle};
use tokio::task::JoinHandle;

/// The name of the runtime's thread (the tests check that the disk is touched only there).
pub const RUNTIME_THREAD: &str = "finconn-runtime";

/// The runtime, started on first use. Its thread runs for the life of the process: a static has
/// no moment to shut it down, and nothing it runs outlives the calls that wait for it.
fn handle() -> &'static Handle {
    static HANDLE: OnceLock<Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|e| panic!("the library's runtime could not be built: {e}"));
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name(RUNTIME_THREAD.into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .unwrap_or_else(|e| panic!("the library's runtime thread could not be started: {e}"));
        handle
    })
}

/// What the runtime runs: every body behind one type, so that Tokio's task machinery (its
/// harness, its join handle) is compiled once for the library rather than once per async export
/// (about 120 KB of the stripped library when it was not).
type Body = Pin<Box<dyn Future<Output = Box<dyn Any + Send>> + Send>>;

/// A spawned body that is aborted when its awaiting call is dropped.
struct AbortOnDrop(JoinHandle<Box<dyn Any + Send>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        // A no-op once the body has finished.
        self.0.abort();
    }
}

impl AbortOnDrop {
    /// Hands `body` to the runtime. Not generic, like [`AbortOnDrop::poll_output`]: what every
    /// async export inlines of the executor is only [`Offloaded::poll`]'s downcast.
    #[inline(never)]
    fn spawn(body: Body) -> Self {
        AbortOnDrop(handle().spawn(body))
    }

    /// The body's output once it has finished; its panic resumed here.
    #[inline(never)]
    fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Box<dyn Any + Send>> {
        match Pin::new(&mut self.0).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(out)) => Poll::Ready(out),
            Poll::Ready(Err(e)) => match e.try_into_panic() {
                Ok(payload) => std::panic::resume_unwind(payload),
                // Only our own guard aborts a body, and then nothing awaits it any more.
                Err(e) => panic!("a call on the library's runtime ended without an answer: {e}"),
            },
        }
    }
}

/// The future [`offload`] returns: the body's output, once the runtime has run it.
pub struct Offloaded<T> {
    task: AbortOnDrop,
    output: PhantomData<fn() -> T>,
}

impl<T: 'static> Future for Offloaded<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.task
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
        task: AbortOnDrop::spawn(Box::pin(
            async move { Box::new(f.await) as Box<dyn Any + Send> },
        )),
        output: PhantomData,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
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
