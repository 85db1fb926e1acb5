//! Any bytes given as a workbook (xlsx, xlsm, xlsb, xls or ods: the reader tells them apart by
//! their content) are read as a request list or refused as a file, never a crash, and within the
//! memory limit libFuzzer is given (scripts/fuzz: 512 MB). Seeded with the samples.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use tsuchi::engine::intake::{self, ReadOptions};

fuzz_target!(|data: &[u8]| {
    let _ = intake::read_bytes(Path::new("申請一覧.xlsx"), data, &ReadOptions::default());
});
