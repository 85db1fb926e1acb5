//! The one error type of the application: each engine error as it is, and the application's
//! own refusals, every one displayed as the catalogue words it.

use crate::engine::audit::ledger::LedgerError;
use crate::engine::audit::verify::VerifyError;
use crate::engine::batch::BatchError;
use crate::engine::config::ConfigError;
use crate::engine::lifecycle::LifecycleError;
use crate::engine::render::RenderError;
use crate::engine::report::ReportError;
use crate::ground::postal::PostalError;

/// Why an operation could not be done. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Postal(#[from] PostalError),
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The application's own refusal, in the catalogue's words.
    #[error("{0}")]
    Refused(String),
}

impl AppError {
    /// A refusal worded by the catalogue (`msg!`).
    pub fn refused(message: impl Into<String>) -> AppError {
        AppError::Refused(message.into())
    }
}
