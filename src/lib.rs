//! tsuchi (通知): issues login credentials of the 介護 電子請求受付システム and prints the
//! notices that carry them.
//!
//! Data flows one way, one stage a module:
//! `intake` (file → `Request`s or `Rejection`s) → `secrets` (policy → `Secret`) → `notice`
//! (request + secrets, no geometry) → `render` (template → layout → PDF bytes) → `report`
//! (what the clerk reads back).
//! The binary in `main.rs` only wires the stages together and prints.

pub mod audit;
pub mod barcode;
pub mod batch;
pub mod config;
pub mod failpoint;
pub mod font;
pub mod fsutil;
pub mod intake;
/// The ledger lives in [`audit::ledger`]; this path stays for the binary and the tests.
pub use audit::ledger;
pub mod mailroom;
pub mod model;
pub mod notice;
pub mod pack;
pub mod plan;
pub mod record;
pub mod render;
pub mod report;
pub mod secrets;
pub mod wareki;
pub mod write;
pub mod xlsx;
