//! Audit: what an auditor checks later — the typed events of a batch, the ledger that chains
//! them, the batch manifest (every output file with its SHA-256), the audit log and `verify`;
//! never a plaintext secret.
//!
//! The arrows point one way: `event` knows only the domain model; `ledger` records events and
//! batches; `log`, `manifest` and `verify` read what the ledger holds. Nothing here imports a
//! stage that runs before it (intake, render, batch).

pub mod event;
pub mod finding;
mod identity;
pub mod integrity;
pub mod ledger;
pub mod lock;
pub mod log;
pub mod manifest;
pub mod rows;
pub mod verify;

pub use identity::{host, operator};
