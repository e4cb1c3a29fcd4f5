//! Host callbacks that lie about being quick, on the Rust transport against the loopback
//! simulator: a headers provider that blocks (3 s, or for good), answers late or panics; a
//! listener that blocks or never keeps up. What must not happen: a call stretched past its
//! deadline, a starved runtime (the FFI's is a current-thread runtime), a request sent without
//! the host's headers or with a late answer's, a flow held up by its listener, events out of
//! order.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use finconn_client::backend::HeaderProvider;
use finconn_client::flow::{FlowEventListener, LISTENER_QUEUE};
use finconn_core::error::FinConnError;
use finconn_core::events::FlowEvent;
use finconn_core::reconcile::FlowStatus;
use finconn_core::state::FlowPhase;
use finconn_testkit::{Endpoint, Institution};
use support::*;

/// A provider that sleeps `delay` on every call, then gives the user's token; counts its calls.
struct Sleeps {
    delay: Duration,
    calls: AtomicUsize,
}

impl Sleeps {
    fn new(delay: Duration) -> Arc<Sleeps> {
        Arc::new(Sleeps {
            delay,
            calls: AtomicUsize::new(0),
        })
    }
}

impl HeaderProvider for Sleeps {
    fn headers(&self) -> Vec<(String, String)> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(self.delay);
        vec![("Authorization".into(), format!("Bearer {USER_TOKEN}"))]
    }
}

const THREE_S: Duration = Duration::from_secs(3);
const CALL_TIMEOUT: Duration = Duration::from_millis(300);
/// `policy::call_deadline(300 ms)`: the attempt's deadline, provider included.
const ATTEMPT_DEADLINE: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded machine.
const SLACK: Duration = Duration::from_millis(300);

fn opts(attempts: u32) -> Opts {
    Opts::default().attempts(attempts).timeout(CALL_TIMEOUT)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3s_blocking_headers_provider_cannot_stretch_a_300ms_call() {
    let env = Env::start().await;
    let provider = Sleeps::new(THREE_S);
    let client = env.client_with(&opts(1), provider.clone());
    let flow = client.new_flow(options()).unwrap();
    let started = Instant::now();
    let e = flow.start().await.expect_err("the provider overran");
    let one = started.elapsed();
    eprintln!("start() with a 3 s headers provider, 300 ms timeout, 1 attempt: {one:?}");
    assert!(matches!(e, FinConnError::Timeout { .. }), "{e:?}");
    assert!(e.to_string().contains("headers provider"), "{e}");
    assert!(
        one >= ATTEMPT_DEADLINE - Duration::from_millis(20),
        "{one:?}"
    );
    assert!(one < ATTEMPT_DEADLINE + SLACK, "one attempt took {one:?}");
    assert_eq!(
        flow.phase(),
        FlowPhase::CreatingSession,
        "a timeout ends nothing"
    );

    // Two attempts: two deadlines and one backoff (at most 40 ms here), never 2 x 3 s.
    let client = env.client_with(&opts(2), provider.clone());
    let flow = client.new_flow(options()).unwrap();
    let started = Instant::now();
    flow.start().await.expect_err("the provider overran");
    let two = started.elapsed();
    eprintln!("start() with a 3 s headers provider, 300 ms timeout, 2 attempts: {two:?}");
    assert!(
        two < ATTEMPT_DEADLINE * 2 + SLACK,
        "two attempts took {two:?}"
    );

    // Nothing was ever sent without headers, and the stuck provider was called once per client
    // (the second attempt waited for the call in progress instead of starting another).
    assert_eq!(env.sim.requests(Endpoint::CreateSession), 0);
    assert_eq!(provider.calls.load(Ordering::SeqCst), 2);
}

/// The FFI polls every call on a current-thread runtime: a provider that blocks must not stop
/// the other tasks on it, another client's calls included.
#[tokio::test(flavor = "current_thread")]
async fn a_blocking_headers_provider_does_not_starve_a_current_thread_runtime() {
    let env = Env::start().await;
    let stuck = env.client_with(&opts(1), Sleeps::new(THREE_S));
    let healthy = env.client(&Opts::default());
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            t.fetch_add(1, Ordering::SeqCst);
        }
    });
    let flow = stuck.new_flow(options()).unwrap();
    let started = Instant::now();
    let (stuck_start, healthy_list) = tokio::join!(flow.start(), healthy.list_accounts());
    let elapsed = started.elapsed();
    ticker.abort();
    assert!(
        matches!(stuck_start, Err(FinConnError::Timeout { .. })),
        "{stuck_start:?}"
    );
    assert!(healthy_list.is_ok(), "{healthy_list:?}");
    assert!(elapsed < ATTEMPT_DEADLINE + SLACK, "{elapsed:?}");
    let ticks = ticks.load(Ordering::SeqCst);
    assert!(
        ticks >= 20,
        "the runtime was starved: {ticks} ticks in {elapsed:?}"
    );
}

/// An answer that comes after the deadline is dropped: no request goes out with it, later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_headers_answer_sends_nothing() {
    let env = Env::start().await;
    let client = env.client_with(&opts(1), Sleeps::new(Duration::from_millis(800)));
    let flow = client.new_flow(options()).unwrap();
    flow.start().await.expect_err("late");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(env.sim.requests(Endpoint::CreateSession), 0);
}

/// A provider that is slow but within the deadline works, and its time counts against the
/// attempt's: the call still ends by the deadline when the server is slow too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_provider_within_the_deadline_works_and_shares_it() {
    let env = Env::start().await;
    let client = env.client_with(&opts(1), Sleeps::new(Duration::from_millis(150)));
    let flow = client.new_flow(options()).unwrap();
    flow.start().await.expect("headers in time");
    let slow = client.new_flow(options()).unwrap();
    env.sim.faults().push(
        Endpoint::CreateSession,
        finconn_testkit::Fault::Delay(Duration::from_millis(400)),
    );
    let started = Instant::now();
    let e = slow
        .start()
        .await
        .expect_err("150 ms + 400 ms is past 300 ms");
    assert!(matches!(e, FinConnError::Timeout { .. }), "{e:?}");
    assert!(
        started.elapsed() < ATTEMPT_DEADLINE + SLACK,
        "{:?}",
        started.elapsed()
    );
}

struct Panics;

impl HeaderProvider for Panics {
    fn headers(&self) -> Vec<(String, String)> {
        panic!("the host threw");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_headers_provider_is_a_typed_error_and_sends_nothing() {
    let env = Env::start().await;
    let client = env.client_with(&opts(3), Arc::new(Panics));
    let flow = client.new_flow(options()).unwrap();
    let e = flow.start().await.expect_err("no headers");
    assert!(
        matches!(e, FinConnError::InvalidConfiguration { .. }),
        "{e:?}"
    );
    assert!(!e.to_string().contains("the host threw"), "{e}");
    assert_eq!(env.sim.requests(Endpoint::CreateSession), 0);
}

/// Records events; blocks `block` on the first one.
struct Stuck {
    block: Duration,
    blocked: AtomicBool,
    events: Mutex<Vec<FlowEvent>>,
}

impl Stuck {
    fn new(block: Duration) -> Arc<Stuck> {
        Arc::new(Stuck {
            block,
            blocked: AtomicBool::new(false),
            events: Mutex::new(Vec::new()),
        })
    }

    fn events(&self) -> Vec<FlowEvent> {
        self.events.lock().unwrap().clone()
    }
}

impl FlowEventListener for Stuck {
    fn on_event(&self, event: &FlowEvent) {
        if !self.blocked.swap(true, Ordering::SeqCst) {
            std::thread::sleep(self.block);
        }
        self.events.lock().unwrap().push(event.clone());
    }
}

fn phases(events: &[FlowEvent]) -> Vec<FlowPhase> {
    events
        .iter()
        .filter_map(|e| match e {
            FlowEvent::PhaseChanged { to, .. } => Some(*to),
            _ => None,
        })
        .collect()
}

/// The phases of a whole flow (the return link brings it back to `Presenting`).
const FLOW_PHASES: [FlowPhase; 7] = [
    FlowPhase::CreatingSession,
    FlowPhase::Ready,
    FlowPhase::Presenting,
    FlowPhase::AwaitingReturn,
    FlowPhase::Presenting,
    FlowPhase::Reconciling,
    FlowPhase::Completed,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_listener_cannot_stall_a_flow() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let listener = Stuck::new(THREE_S);
    client.add_listener(listener.clone());
    let flow = client.new_flow(options()).unwrap();
    let started = Instant::now();
    let sheet = flow.start().await.expect("start");
    let sync = Instant::now();
    flow.sheet_presented().unwrap();
    flow.user_left_app().unwrap();
    for i in 0..20 {
        flow.record_stripe_event(&format!("event_{i}"), Default::default());
    }
    let sync = sync.elapsed();
    let done = env.sheet(&sheet.session_id, Institution::SuccessOne);
    come_back(&flow, &done);
    let result = flow
        .sheet_result(sheet_outcome(&done))
        .await
        .expect("result");
    let elapsed = started.elapsed();
    eprintln!("a flow with a listener blocking 3 s: {elapsed:?} (sync calls: {sync:?})");
    assert_eq!(result.status, FlowStatus::Completed);
    // One grace of 250 ms at most (the listener stays stuck), never the listener's 3 s.
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    // Snapshot writes (fsync) only: never the listener's 3 s.
    assert!(sync < Duration::from_millis(1000), "{sync:?}");
    // Once it is unblocked, the listener gets every event, in order.
    assert!(
        wait_until(Duration::from_secs(10), || listener
            .events()
            .iter()
            .any(|e| matches!(e, FlowEvent::Finished { .. })))
        .await
    );
    let events = listener.events();
    assert_eq!(phases(&events), FLOW_PHASES);
    let names: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            FlowEvent::StripeEvent { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        names,
        (0..20).map(|i| format!("event_{i}")).collect::<Vec<_>>()
    );
    assert_eq!(client.dropped_events(), 0);
}

/// A listener that never keeps up: events beyond the queue are dropped and counted, the flow
/// and the calls that emit never wait, and what is delivered stays in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_that_cannot_keep_up_loses_events_not_the_flow() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let listener = Stuck::new(Duration::from_secs(1));
    client.add_listener(listener.clone());
    let flow = client.new_flow(options()).unwrap();
    let total = LISTENER_QUEUE + 500;
    let started = Instant::now();
    for i in 0..total {
        flow.record_stripe_event(&format!("{i}"), Default::default());
    }
    let emitting = started.elapsed();
    assert!(emitting < Duration::from_millis(500), "{emitting:?}");
    let dropped = client.dropped_events() as usize;
    assert!((499..=500).contains(&dropped), "{dropped}");
    // The flow goes on meanwhile (its events are dropped too: the queue is still full).
    let (_, _, result) = run_flow(&env, &client, Institution::SuccessOne).await;
    assert_eq!(result.expect("result").status, FlowStatus::Completed);
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    assert!(client.dropped_events() as usize > dropped);
    // Once the listener moves on, what was queued arrives, in order.
    let until = Instant::now() + Duration::from_secs(10);
    while !client.events_delivered().await {
        assert!(Instant::now() < until, "the queue never drained");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let numbers: Vec<usize> = listener
        .events()
        .iter()
        .filter_map(|e| match e {
            FlowEvent::StripeEvent { name, .. } => name.parse().ok(),
            _ => None,
        })
        .collect();
    assert_eq!(numbers.len(), total - dropped);
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "out of order");
}

/// A listener that keeps up has seen every event of an operation when it returns, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_listener_has_every_event_when_the_call_returns() {
    let env = Env::start().await;
    let client = env.client(&Opts::default());
    let events = Arc::new(EventLog::default());
    client.add_listener(events.clone());
    let flow = client.new_flow(options()).unwrap();
    flow.start().await.expect("start");
    assert_eq!(phases(&events.events()), FLOW_PHASES[..2]);
    let (_, _, result) = run_flow(&env, &client, Institution::SuccessOne).await;
    result.expect("result");
    let all = events.events();
    assert!(
        matches!(all.last(), Some(FlowEvent::Finished { .. })),
        "{all:?}"
    );
    let calls = all
        .iter()
        .filter(|e| matches!(e, FlowEvent::BackendCall { .. }))
        .count();
    assert!(calls >= 3, "{calls}");
}
