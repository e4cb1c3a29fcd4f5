//! The link operation as Swift and Kotlin see it: `FlowClient.link(options, presenter)`,
//! `FlowClient.handleUrl(url)`, the foreign trait `SheetPresenter` the platform implements (the
//! Stripe adapters beside the bindings do), and `LinkEvents`, what a presenter reports while the
//! sheet is up. The flow logic is the client crate's (`finconn_client::link`); this module adapts.

use std::collections::HashMap;
use std::sync::Arc;

use finconn_client::link as core_link;
use finconn_core::error::FinConnError;
use finconn_core::network::BoxFuture;
use finconn_core::reconcile::SheetOutcome;

use crate::callback::CallbackError;
use crate::client::{settled, FlowClient};
use crate::executor::offload;
use crate::types::{FlowResult, SessionOptions, SheetConfiguration, SheetResult, UrlHandling};

/// The platform's sheet. `present` shows Stripe's `FinancialConnectionsSheet` with
/// `configuration` and returns what the sheet reported once it is dismissed. While it is up,
/// report through `events`: `userLeftApp()` when the app goes to the background (the user went to
/// the bank's app or a browser) and `recordStripeEvent` for each of Stripe's events.
///
/// Throw `CallbackError` when the sheet cannot be shown at all (no screen to present from): the
/// flow is then canceled and `link` throws `FinConnError.Other`. Its reason is never shown or
/// logged by the library.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait SheetPresenter: Send + Sync {
    /// Shows Stripe's sheet with `configuration` and returns, once it is dismissed, what it
    /// reported. `events` is this presentation's: report the app leaving and Stripe's events
    /// there while the sheet is up.
    async fn present(
        &self,
        configuration: Arc<SheetConfiguration>,
        events: Arc<LinkEvents>,
    ) -> Result<SheetResult, CallbackError>;
}

/// What a presenter reports while the sheet is up.
#[derive(uniffi::Object)]
pub struct LinkEvents {
    inner: core_link::LinkEvents,
}

#[uniffi::export]
impl LinkEvents {
    /// The app went to the background while the sheet was up. Calling it again, or after the
    /// flow moved on, changes nothing. Saves the flow's new phase, on the library's executor
    /// (never on the caller's thread): call it from a coroutine or a `Task`.
    pub async fn user_left_app(&self) {
        let inner = self.inner.clone();
        offload(async move { inner.user_left_app() }).await
    }

    /// An event of Stripe's SDK (`open`, `institution_selected`, …), for the app's listeners.
    /// Touches no file.
    pub fn record_stripe_event(&self, name: String, metadata: HashMap<String, String>) {
        self.inner.record_stripe_event(&name, metadata)
    }

    /// The flow this presentation belongs to.
    pub fn flow_id(&self) -> String {
        self.inner.flow_id()
    }
}

struct PresenterAdapter(Arc<dyn SheetPresenter>);

impl core_link::SheetPresenter for PresenterAdapter {
    fn present(
        &self,
        configuration: finconn_client::flow::SheetConfiguration,
        events: core_link::LinkEvents,
    ) -> BoxFuture<'_, Result<SheetOutcome, core_link::PresentError>> {
        let presenter = self.0.clone();
        Box::pin(async move {
            let configuration = Arc::new(SheetConfiguration::from(configuration));
            let events = Arc::new(LinkEvents { inner: events });
            match presenter.present(configuration, events).await {
                Ok(result) => Ok(result.into()),
                Err(CallbackError::Failed { reason }) => Err(core_link::PresentError { reason }),
            }
        })
    }
}

#[uniffi::export]
impl FlowClient {
    /// Links bank accounts: creates the session, presents the sheet through `presenter`, follows
    /// the user to the bank and back, and returns the reconciled result. Temporary backend errors
    /// are retried within a bound; after that the error is thrown and the flow stays saved, so
    /// the next launch's `resumePending()` finishes it (one report per session either way).
    ///
    /// Around it the app makes two more calls: `handleUrl(url)` for every incoming deep link,
    /// and `resumePending()` once at launch.
    ///
    /// Runs on the library's executor; the presenter is called from there and may suspend for
    /// as long as the sheet is up. Cancelling the call (the coroutine, the task) drops the flow
    /// at once, as a killed process would: the next `resumePending()` finishes it.
    pub async fn link(
        &self,
        options: SessionOptions,
        presenter: Arc<dyn SheetPresenter>,
    ) -> Result<FlowResult, FinConnError> {
        let inner = self.inner.clone();
        let presenter = Arc::new(PresenterAdapter(presenter));
        offload(async move {
            let result = settled(&inner, inner.link(options.into(), presenter).await).await?;
            Ok((&result).into())
        })
        .await
    }

    /// The setup self-check, for debug builds: an https backend, valid return URLs, a
    /// well-formed Android application id, a writable data directory. Each finding says what to
    /// change when it fails (`passed == false`); nothing here stops the client from working.
    /// Runs on the library's executor (it writes and removes a probe file).
    pub async fn check_setup(&self) -> Vec<finconn_core::setup::SetupFinding> {
        let inner = self.inner.clone();
        offload(async move { inner.check_setup().await }).await
    }

    /// Every incoming deep link: given to the flows of this client waiting for the user to come
    /// back. `isFlowUrl` says whether it is one of this app's Financial Connections links (do not
    /// route it elsewhere; forward it to Stripe's SDK as well). A hostile link is only rejected;
    /// this throws only if the library itself fails (it is built never to). Saves the hints of
    /// the flows it reaches, on the library's executor.
    pub async fn handle_url(&self, url: String) -> Result<UrlHandling, FinConnError> {
        let inner = self.inner.clone();
        offload(async move { Ok(inner.handle_url(&url).into()) }).await
    }
}
