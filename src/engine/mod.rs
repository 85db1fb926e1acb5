//! The engine: a request list becomes notices, secrets, files and a record, one stage a module,
//! the data flowing one way over the ground's types.
//!
//! `intake` (file → `Request`s or `Rejection`s) → `plan` (prepare every row: `secrets` draws
//! the passwords, `notice` makes the business document, `render` lays out every page and label
//! a row appears on; a row that cannot be prepared becomes a `Rejection`) → `write` (I/O only:
//! `render` to PDF bytes, `pack` to ZIPs, `handoff` to the age-encrypted file for the 受付システム,
//! `mailroom` to the print bundle and the 発送リスト, `report` to the rejected lists) → `record`
//! (`audit`: the ledger rows, the chained events, the manifest). `batch` orders these stages for
//! one run; `outcome` holds what a batch is asked and gives back, shared by `batch`, `write` and
//! `record`. After a batch, `lifecycle` follows each notice (mailed, returned, purged) in the
//! ledger; `home` finds where the ledger lives. `config` is the settings every stage reads.
//!
//! Nothing in the engine prints: it returns values and reports progress through
//! [`outcome::Progress`]. A secret leaves the engine only through `render`, `pack` and
//! `handoff`.

pub mod age;
pub mod audit;
pub mod barcode;
pub mod batch;
pub mod config;
pub mod handoff;
pub mod home;
pub mod intake;
pub mod lifecycle;
pub mod mailroom;
pub mod notice;
pub mod outcome;
pub mod pack;
pub mod plan;
pub mod presort;
pub mod record;
pub mod render;
pub mod report;
pub mod secrets;
pub mod write;
