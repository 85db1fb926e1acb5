//! tsuchi (通知): issues login credentials of the 介護 電子請求受付システム and prints the
//! notices that carry them.
//!
//! Four floors, each importing only from the floors below it (`ARCHITECTURE.md`):
//! - [`ground`]: the domain types, messages, 和暦, fonts, postal data, files and hashing;
//! - [`engine`]: intake → plan → write → record, with render, pack, handoff, mailroom, audit;
//! - [`app`]: one typed operation per thing a person does (check a list, run a batch, import
//!   the 発送リスト, verify, purge …), returning plain data and never printing;
//! - the faces: [`cli`] (the terminal) turns those results into text or JSON; [`web`] (the
//!   browser, `tsuchi serve`) into pages.

pub mod app;
pub mod cli;
pub mod engine;
pub mod ground;
pub mod web;
