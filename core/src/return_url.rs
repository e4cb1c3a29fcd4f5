//! Placeholder: replaced by the return-URL rules (helper task).
#[derive(Debug, thiserror::Error)]
#[error("config error")]
pub struct ReturnUrlConfigError;
