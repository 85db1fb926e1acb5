//! Any bytes given as the mail room's filled 発送リスト are read into its lines (every sheet
//! that looks like one, each cell with its type) or refused as a file, never a crash.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tsuchi::engine::lifecycle::mail_list;

fuzz_target!(|data: &[u8]| {
    let _ = mail_list::read_bytes(Path::new("発送リスト.xlsx"), data);
});
