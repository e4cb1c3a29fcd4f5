//! Placeholder: replaced by the Stripe object models (helper task).
#[derive(Debug, thiserror::Error)]
#[error("decode error")]
pub struct DecodeError;
