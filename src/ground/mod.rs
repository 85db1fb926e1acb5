//! The ground floor: what every layer above may use and what uses nothing above it. The domain
//! types (`model`), the message catalogue (`i18n`), 和暦 (`wareki`), the bundled fonts (`font`),
//! Japan Post's data (`postal`), hashing (`digest`), and the operating system: files written
//! safely (`fsutil`), the user and host (`os`), xlsx writing (`xlsx`) and crash points for the
//! crash test (`failpoint`). Nothing here knows a batch, a ledger or a command.

pub mod digest;
pub mod failpoint;
pub mod font;
pub mod fsutil;
pub mod i18n;
pub mod model;
pub mod os;
pub mod postal;
pub mod wareki;
pub mod xlsx;
