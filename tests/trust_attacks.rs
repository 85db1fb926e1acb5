//! Attacks on the promises of 「Issued once, readable by no one else, and the whole ledger
//! verifiable」 found by red-teaming them: each test is one way a clerk or an attacker got a
//! request issued twice, or got `verify` to pass over a tampered batch, or got a misleading
//! message.

mod common;

use std::path::Path;

use common::{batch_dirs, sample, text};
use tsuchi::engine::audit::ledger::{GENESIS, Ledger};

fn verify(args: &[&str], cwd: &Path) -> (i32, String) {
    let o = common::command().arg("verify").args(args).current_dir(cwd).output().unwrap();
    (o.status.code().unwrap_or(-1), text(&o.stdout) + &text(&o.stderr))
}

/// The last batch's `batch.sealed` event is the chain's last event, and its `files` rows are
/// bound by nothing else: deleting both is a truncation the chain alone cannot see. The batch
/// still has its `batch.rows` seal, so a missing files seal is a finding, and the folder is
/// still checked against its manifest.
#[test]
fn deleting_the_last_files_seal_with_its_files_rows_does_not_hide_an_edited_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = batch_dirs(&out).remove(0);
    let head = common::head_on_cover(&batch);
    common::edit_ledger(&out, "DELETE FROM events WHERE kind = 'batch.sealed'; DELETE FROM files;");
    let notice = std::fs::read_dir(batch.join("notices")).unwrap().next().unwrap().unwrap().path();
    std::fs::write(&notice, b"not the notice that was issued").unwrap();
    std::fs::write(batch.join("extra.txt"), b"x").unwrap();

    let (code, said) = verify(&["--out", out.to_str().unwrap()], dir.path());
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("batch.sealed"), "the missing seal is named: {said}");
    assert!(said.contains("notices/"), "the edited notice is named: {said}");
    assert!(said.contains("extra.txt"), "{said}");
    let (code, said) = verify(&["--out", out.to_str().unwrap(), "--head", &head], dir.path());
    assert_eq!(code, 1, "the head on the cover is older than the files seal: {said}");
    let (code, said) = verify(&[batch.to_str().unwrap()], dir.path());
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("notices/"), "{said}");
    // And the next run refuses.
    let again = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stdout));
}

/// A run killed after its commit leaves its ledger off the user's list of ledgers; the next run
/// in the same folder has nothing to issue. A run from another folder must still be refused.
#[test]
fn a_ledger_whose_first_run_was_cut_off_after_the_commit_is_still_found_from_another_folder() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    // Two installations: a tsuchi.toml in each folder, each with its ledger beside it.
    common::test_config(&a);
    common::test_config(&b);
    let run = |cwd: &Path, crash: Option<&str>| {
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home).current_dir(cwd).arg("run").arg(sample("requests.xlsx"));
        if let Some(at) = crash {
            c.env("TSUCHI_CRASH_AT", at);
        }
        c.output().unwrap()
    };
    let killed = run(&a, Some("commit:published"));
    assert!(!killed.status.success());
    let again = run(&a, None);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("発行するものはありません"), "{}", text(&again.stdout));
    let other = run(&b, None);
    assert_eq!(other.status.code(), Some(2), "issued everything again from another folder: {}", text(&other.stdout));
    assert!(text(&other.stderr).contains("--new-ledger"), "{}", text(&other.stderr));
    assert!(!b.join("output").exists());
}

/// A ledger written before the 申請番号 was upper-cased (schema 1) holds the numbers as they
/// were typed, e.g. in lower case. After the upgrade the same list must be 発行済み.
#[test]
fn requests_recorded_before_the_id_was_normalised_are_not_issued_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    // Make it a schema-1 ledger: no row seals, numbers stored as typed (here: lower case).
    let ledger = Ledger::open_read_only(&out).unwrap().unwrap();
    let mut events: Vec<_> = ledger
        .events(None)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind != "batch.rows" && e.kind != "batch.sealed")
        .collect();
    drop(ledger);
    let mut prev = GENESIS.to_string();
    for (seq, e) in (1..).zip(events.iter_mut()) {
        e.seq = seq;
        e.prev_hash = prev.clone();
        e.hash = e.computed_hash();
        prev = e.hash.clone();
    }
    common::edit_ledger(
        &out,
        "DELETE FROM events; UPDATE requests SET request_id = lower(request_id); PRAGMA user_version = 1;",
    );
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    for e in &events {
        conn.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params![e.seq, e.batch_id, e.at, e.kind, e.detail.text(), e.prev_hash, e.hash],
        )
        .unwrap();
    }
    drop(conn);

    let again = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("発行するものはありません"), "issued again: {}", text(&again.stdout));
    assert_eq!(batch_dirs(&out).len(), 1);
}

/// Recovery acts on what the ledger says. On a ledger that does not verify it must do nothing:
/// a committed batch whose `batches` row was deleted is not "unknown" and its staging folder
/// (the only copy of the issued notices) must not be deleted.
#[test]
fn a_damaged_ledger_stops_the_run_before_recovery_touches_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(first.status.code(), Some(0));
    let mut c = common::command();
    c.arg("run").arg(sample("requests.xlsx")).arg("--out").arg(&out).args(["--reissue", "R08-0001", "--reason", "x"]);
    c.arg("--config").arg(common::test_config(dir.path()));
    let killed = c.env("TSUCHI_CRASH_AT", "commit:after").output().unwrap();
    assert!(!killed.status.success());
    let staging = |out: &Path| {
        std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(".staging-"))
    };
    let left = staging(&out).expect("the killed run left its staging folder");
    let id = left.trim_start_matches(".staging-").to_string();
    common::edit_ledger(&out, &format!("DELETE FROM batches WHERE id = '{id}';"));

    let refused = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    assert_eq!(staging(&out), Some(left), "the committed batch's notices were deleted by recovery");
    // The message lists its findings on lines of their own.
    let said = text(&refused.stderr);
    assert!(!said.contains("U+000A"), "{said}");
    assert!(said.lines().any(|l| l.trim_start().starts_with("・台帳の batches 表")), "{said}");
}

/// `verify` given the output root (where ledger.sqlite is) or `.` inside a batch folder must not
/// say that there is no ledger.
#[test]
fn verify_of_the_output_root_or_of_dot_finds_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = batch_dirs(&out).remove(0);
    for (arg, cwd) in [(out.to_str().unwrap(), dir.path()), ("out/", dir.path()), (".", batch.as_path())] {
        let (code, said) = verify(&[arg], cwd);
        assert_eq!(code, 0, "verify {arg}: {said}");
        assert!(!said.contains("見つかりません"), "verify {arg}: {said}");
    }
}

/// The head typed back from paper with a Japanese input method: full-width digits and colon.
#[test]
fn the_head_may_be_typed_in_full_width() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let head = common::head_on_cover(&batch_dirs(&out)[0]);
    let wide: String = head
        .chars()
        .map(|c| if c.is_ascii_graphic() { char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap() } else { c })
        .collect();
    let (code, said) = verify(&["--out", out.to_str().unwrap(), "--head", &wide], dir.path());
    assert_eq!(code, 0, "{wide}: {said}");
}
