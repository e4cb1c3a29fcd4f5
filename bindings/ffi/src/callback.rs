//! What a host callback may throw (`CallbackError`): the one error type of every foreign trait the
//! app implements (`HeadersProvider`, `FlowListener`, `Logger`, `SheetPresenter`), in its own module
//! so that each module defining such a trait depends on it and none on another.

/// What a host callback (`HeadersProvider`, `FlowListener`, `Logger`) may throw. Its reason is
/// never shown or logged by the library: it may hold anything.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback could not do its job (no headers to give, no screen to present from).
    #[error("the host callback failed")]
    Failed {
        /// Anything the app wants to say; the library never shows, logs or sends it.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed { reason: e.reason }
    }
}
