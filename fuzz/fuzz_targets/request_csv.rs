//! Any bytes given as a CSV request list (UTF-8, UTF-16 or Shift_JIS, comma or tab) are read
//! or refused as a file, never a crash.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tsuchi::engine::intake::{self, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let _ = intake::read_bytes(Path::new("申請一覧.csv"), data, &ReadOptions::default());
});
