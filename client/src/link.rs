//! The link operation: one call, [`FlowClient::link`], that drives a whole flow around the
//! platform's sheet. The app implements [`SheetPresenter`] (or takes the Stripe adapter shipped
//! beside the bindings), gives deep links to [`FlowClient::handle_url`], and calls
//! [`FlowClient::resume_pending`] once at launch; everything between is here: creating the
//! session, telling the flow the sheet is up, forwarding Stripe's events and the user leaving for
//! the bank, mapping the sheet's result, cancelling when the sheet cannot be shown, retrying
//! temporary backend errors within a bound, and returning the reconciled [`FlowResult`].
//!
//! The lower-level [`Flow`](crate::flow::Flow) API stays for apps that draw their own UI around the flow.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use finconn_core::error::FinConnError;
use finconn_core::network::BoxFuture;
use finconn_core::options::SessionOptions;
use finconn_core::reconcile::{FlowResult, SheetOutcome};

use crate::flow::{FlowClient, SheetConfiguration, WeakFlow};

/// How often [`FlowClient::link`] calls a step again after a temporary failure (offline, timeout,
/// service unavailable) that outlasted the backend client's own retries, and how long it waits
/// first. After the last one the error reaches the app; the flow stays saved and the next
/// [`FlowClient::resume_pending`] finishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRetry {
    /// Further attempts of one step (creating the session, reconciling the result).
    pub attempts: u32,
    /// The wait before the first further attempt; doubled for each next one.
    pub first_delay: Duration,
}

impl Default for LinkRetry {
    fn default() -> Self {
        LinkRetry {
            attempts: 2,
            first_delay: Duration::from_secs(1),
        }
    }
}

/// What the presenter reports while the sheet is up. Handed to [`SheetPresenter::present`].
/// It does not keep the flow alive: a presenter (or the platform object wrapping this) that
/// outlives its `link` call changes nothing, and holds no lock a relaunch would wait for.
#[derive(Clone)]
pub struct LinkEvents {
    flow: WeakFlow,
    flow_id: String,
}

impl LinkEvents {
    /// The user left the app while the sheet was up (the bank's app or a browser opened).
    /// Presenters call it from the platform's lifecycle signal; calling it more than once, or
    /// when the flow has moved on, changes nothing.
    pub fn user_left_app(&self) {
        if let Some(flow) = self.flow.upgrade() {
            if let Err(e) = flow.user_left_app() {
                tracing::debug!(flow_id = %self.flow_id, code = e.code(), "user_left_app ignored");
            }
        }
    }

    /// An event of Stripe's SDK (`open`, `institution_selected`, …), for the app's listeners.
    pub fn record_stripe_event(&self, name: &str, metadata: HashMap<String, String>) {
        if let Some(flow) = self.flow.upgrade() {
            flow.record_stripe_event(name, metadata);
        }
    }

    /// The flow this presentation belongs to.
    pub fn flow_id(&self) -> String {
        self.flow_id.clone()
    }
}

/// Why a presenter could not show the sheet (no screen to present from, Stripe refused the
/// configuration before showing anything). The flow is then canceled. The reason is the host's:
/// the library never shows or logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentError {
    pub reason: String,
}

/// The platform's sheet: presents Stripe's `FinancialConnectionsSheet` with the configuration
/// and resolves with what the sheet reported once it is dismissed.
pub trait SheetPresenter: Send + Sync {
    fn present(
        &self,
        configuration: SheetConfiguration,
        events: LinkEvents,
    ) -> BoxFuture<'_, Result<SheetOutcome, PresentError>>;
}

impl FlowClient {
    /// Links bank accounts: the whole flow around `presenter`, to its reconciled result.
    ///
    /// Errors: the options' and the backend's (after the retries of [`LinkRetry`]), and
    /// `Other` when the presenter could not show the sheet (the flow is canceled first, so its
    /// session is reported canceled). A process killed at any point leaves the flow saved:
    /// [`FlowClient::resume_pending`] at the next launch finishes it.
    pub async fn link(
        &self,
        options: SessionOptions,
        presenter: Arc<dyn SheetPresenter>,
    ) -> Result<FlowResult, FinConnError> {
        let retry = self.link_retry().clone();
        let flow = self.new_flow(options)?;
        let configuration = with_retries(&retry, || flow.start()).await?;
        flow.sheet_presented()?;
        let events = LinkEvents {
            flow: flow.downgrade(),
            flow_id: flow.flow_id(),
        };
        let outcome = match presenter.present(configuration, events).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // The sheet never showed: the flow ends canceled, through the usual reconciliation
                // (the session gets its one report, the server's word still counts).
                if let Err(end) = flow.sheet_result(SheetOutcome::Canceled).await {
                    tracing::warn!(flow_id = %flow.flow_id(), code = end.code(), "flow not ended after the sheet failed to show; the next launch finishes it");
                }
                // The presenter's reason is the host's: never shown or logged (it may hold anything).
                let _ = e.reason;
                return Err(FinConnError::other(
                    "the sheet could not be presented (the app's SheetPresenter threw); the flow was canceled",
                ));
            }
        };
        match flow.sheet_result(outcome).await {
            Err(e) if e.is_retryable() => with_retries_after(&retry, e, || flow.resume()).await,
            other => other,
        }
    }
}

/// Calls `step`; while it fails with a temporary error, calls it again up to `retry.attempts`
/// more times.
async fn with_retries<T, F, Fut>(retry: &LinkRetry, step: F) -> Result<T, FinConnError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, FinConnError>>,
{
    match step().await {
        Err(e) if e.is_retryable() => with_retries_after(retry, e, step).await,
        other => other,
    }
}

/// `step` already failed with the temporary `first`: waits and calls it again, at most
/// `retry.attempts` times, doubling the wait.
async fn with_retries_after<T, F, Fut>(
    retry: &LinkRetry,
    first: FinConnError,
    step: F,
) -> Result<T, FinConnError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, FinConnError>>,
{
    let mut last = first;
    let mut delay = retry.first_delay;
    for attempt in 1..=retry.attempts {
        tracing::info!(
            attempt,
            delay_ms = delay.as_millis() as u64,
            code = last.code(),
            "link: calling the step again after a temporary error"
        );
        tokio::time::sleep(delay).await;
        match step().await {
            Err(e) if e.is_retryable() => last = e,
            other => return other,
        }
        delay = delay.saturating_mul(2);
    }
    Err(last)
}
