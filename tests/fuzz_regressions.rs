//! Every input the fuzzers keep (fuzz/corpus: inputs that reached new code; fuzz/regressions:
//! inputs that once crashed a reader or took it beyond its memory) is read again on every
//! `cargo test`: each is a request list or a refused file, never a panic. scripts/fuzz runs the
//! fuzzers themselves.

use std::path::{Path, PathBuf};

use tsuchi::engine::intake::{self, ReadOptions};

fn inputs(folder: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut files = Vec::new();
    for dir in [root.join("corpus").join(folder), root.join("regressions").join(folder)] {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            files.extend(entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    files
}

fn read_all(folder: &str, as_name: &str) -> usize {
    let files = inputs(folder);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let read = std::panic::catch_unwind(|| {
            let _ = intake::read_bytes(Path::new(as_name), &bytes, &ReadOptions::default());
        });
        assert!(read.is_ok(), "{} made the reader panic", file.display());
    }
    files.len()
}

#[test]
fn every_kept_workbook_input_is_read_or_refused() {
    assert!(read_all("request_list", "申請一覧.xlsx") >= 5, "the corpus holds at least the samples");
}

#[test]
fn every_kept_csv_input_is_read_or_refused() {
    assert!(read_all("request_csv", "申請一覧.csv") >= 1, "the corpus holds at least the sample");
}

#[test]
fn every_kept_mailing_list_input_is_read_or_refused() {
    let files = inputs("mailing_list");
    assert!(!files.is_empty(), "the corpus holds at least a blank 発送リスト");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let read = std::panic::catch_unwind(|| {
            let _ = tsuchi::engine::lifecycle::mail_list::read_bytes(Path::new("発送リスト.xlsx"), &bytes);
        });
        assert!(read.is_ok(), "{} made the reader panic", file.display());
    }
}
