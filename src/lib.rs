//! tsuchi (通知): issues login credentials of the 介護 電子請求受付システム and prints the
//! notices that carry them.
//!
//! Data flows one way, one stage a module, over the domain types of `model` (the ground
//! floor every stage may import):
//! `intake` (file → `Request`s or `Rejection`s) → `plan` (prepare: `secrets` → `notice` →
//! `render`'s layout of every page and label a row appears on, and the glyphs it needs; a row
//! that cannot be prepared becomes a `Rejection`) → `write` (I/O only: `render` to PDF bytes,
//! `pack` to ZIPs, `mailroom` bundle and list, `report` lists) → `record` (`audit`: ledger rows,
//! chained events, manifest). `batch` orders these for `tsuchi run`; `tsuchi check` runs
//! `intake` and `plan` with specimen secrets, so the two agree on every row.
//! The binary in `main.rs` only wires the stages together and prints.

pub mod age;
pub mod audit;
pub mod barcode;
pub mod batch;
pub mod config;
pub mod failpoint;
pub mod font;
pub mod fsutil;
pub mod handoff;
pub mod home;
pub mod i18n;
pub mod intake;
pub mod lifecycle;
/// The ledger lives in [`audit::ledger`]; this path stays for the binary and the tests.
pub use audit::ledger;
pub mod mailroom;
pub mod model;
pub mod notice;
pub mod os;
pub mod pack;
pub mod plan;
pub mod postal;
pub mod record;
pub mod render;
pub mod report;
pub mod secrets;
pub mod wareki;
pub mod web;
pub mod write;
pub mod xlsx;
