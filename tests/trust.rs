//! What lets a clerk and an auditor trust the ledger (issue 「Issued once, readable by no one
//! else」): every edit of every ledger table is found and stops the next run; a missing or extra
//! batch folder is found; a wholesale rewrite is caught against the head printed on paper; a
//! run from another folder never starts a fresh ledger silently; and nothing of a batch is
//! readable by another user, whatever the umask.

mod common;

use std::path::Path;

use common::{batch_dirs, sample, text};
use tsuchi::ledger::{GENESIS, Ledger, request_row_hash};

fn verify_all(out: &Path, extra: &[&str]) -> (i32, String) {
    let o = common::command().arg("verify").arg("--out").arg(out).args(extra).output().unwrap();
    (o.status.code().unwrap_or(-1), text(&o.stdout) + &text(&o.stderr))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn every_edit_of_every_ledger_table_is_named_and_stops_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = common::pristine(dir.path(), "pristine");
    let (code, said) = verify_all(&pristine, &[]);
    assert_eq!(code, 0, "{said}");
    let cases: [(&str, &str, &[&str]); 12] = [
        ("UPDATE requests SET outcome = 'rejected' WHERE rowid = 3", "requests", &["requests 表", "変更"]),
        ("DELETE FROM requests WHERE rowid = 5", "requests", &["requests 表", "削除"]),
        (
            "INSERT INTO requests SELECT batch_id, 99, request_id, kind, office_no, 'rejected', 'x', NULL, NULL
             FROM requests WHERE rowid = 1",
            "requests",
            &["requests 表", "99行目", "追加"],
        ),
        ("UPDATE batches SET operator = 'mallory'", "batches", &["batches 表", "operator", "変更"]),
        ("UPDATE batches SET input_sha256 = 'ab'", "batches", &["batches 表", "input_sha256"]),
        ("DELETE FROM batches", "batches", &["batches 表", "削除"]),
        (
            "INSERT INTO batches SELECT '20990101-000000', started, finished, operator, host, tool, input_path,
             input_sha256, config_sha256, issue_date, zip_encryption FROM batches",
            "batches",
            &["batches 表", "20990101-000000", "追加"],
        ),
        (
            "UPDATE files SET sha256 = 'ab' WHERE path LIKE 'notices/%' AND rowid = (SELECT min(rowid) FROM files WHERE path LIKE 'notices/%')",
            "files",
            &["files 表", "notices/", "変更"],
        ),
        ("DELETE FROM files WHERE path = 'manifest.json'", "files", &["files 表", "manifest.json", "削除"]),
        (
            "INSERT INTO files SELECT batch_id, 'zip/extra.zip', sha256, size FROM files LIMIT 1",
            "files",
            &["files 表", "zip/extra.zip", "追加"],
        ),
        ("UPDATE events SET detail = '{}' WHERE seq = 3", "events", &["連鎖", "3 番"]),
        ("DELETE FROM events WHERE kind = 'batch.sealed'", "events", &["files 表", "連鎖に記録がありません"]),
    ];
    for (i, (statement, table, expected)) in cases.iter().enumerate() {
        let out = dir.path().join(format!("case{i}"));
        copy_dir(&pristine, &out);
        common::edit_ledger(&out, statement);
        let (code, said) = verify_all(&out, &[]);
        assert_eq!(code, 1, "{table}: {statement}\n{said}");
        for e in *expected {
            assert!(said.contains(e), "{table}: {statement}: expected 「{e}」 in\n{said}");
        }
        // The next run refuses before issuing anything: a damaged ledger never issues twice.
        let before = batch_dirs(&out).len();
        let again = common::run_sample(dir.path(), &out, &["--reissue", "R08-0001", "--reason", "試験"]);
        assert_eq!(again.status.code(), Some(2), "{statement}: {}", text(&again.stdout));
        assert!(text(&again.stderr).contains("台帳"), "{}", text(&again.stderr));
        assert!(text(&again.stderr).contains("中止"), "{}", text(&again.stderr));
        assert_eq!(batch_dirs(&out).len(), before, "{statement}: nothing written");
        let check = common::command()
            .arg("check")
            .arg(sample("requests.xlsx"))
            .arg("--ledger")
            .arg(&out)
            .arg("--out")
            .arg(dir.path().join(format!("check{i}")))
            .output()
            .unwrap();
        assert_eq!(check.status.code(), Some(2), "check agrees with run: {statement}");
    }
}

#[test]
fn a_missing_an_extra_and_a_renamed_folder_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let pristine = common::pristine(dir.path(), "pristine");
    let id = batch_dirs(&pristine)[0].file_name().unwrap().to_string_lossy().into_owned();

    let out = dir.path().join("renamed");
    copy_dir(&pristine, &out);
    std::fs::rename(out.join(&id), out.join("old")).unwrap();
    let (code, said) = verify_all(&out, &[]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains(&format!("バッチ {id} のフォルダがありません")), "{said}");
    assert!(said.contains("記録のないフォルダがあります：old"), "{said}");

    // The last batch deleted from the ledger with all its rows and events: its folder remains.
    let out = dir.path().join("forgotten");
    copy_dir(&pristine, &out);
    common::edit_ledger(&out, "DELETE FROM requests; DELETE FROM files; DELETE FROM batches; DELETE FROM events;");
    let (code, said) = verify_all(&out, &[]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains(&format!("記録のないフォルダがあります：{id}")), "{said}");

    // check's own reports and audit export's copies are tsuchi's, not findings.
    let out = dir.path().join("tools");
    copy_dir(&pristine, &out);
    std::fs::create_dir_all(out.join("check")).unwrap();
    std::fs::create_dir_all(out.join("audit-20260101-000000")).unwrap();
    let (code, said) = verify_all(&out, &[]);
    assert_eq!(code, 0, "{said}");
}

#[test]
fn a_wholesale_rewrite_passes_the_chain_but_not_the_head_kept_on_paper() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "pristine");
    let batch = batch_dirs(&out).remove(0);
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let head = common::head_on_cover(&batch);
    let (code, said) = verify_all(&out, &["--head", &head]);
    assert_eq!(code, 0, "the untouched ledger extends the head on paper: {head}\n{said}");
    // The head in the audit log is the same.
    let audit = common::xlsx_rows(&batch.join("audit").join("監査ログ.xlsx"));
    assert!(audit.iter().any(|r| r.iter().any(|c| c.contains(&format!("--head {head}")))));

    // A SQLite-only rewrite that recomputes every hash (see `rewrite`) is caught by the
    // batch folder's own copy of its events.
    let copy = dir.path().join("sqlite-only");
    copy_dir(&out, &copy);
    rewrite(&copy, &id, false);
    let (code, said) = verify_all(&copy, &[]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("events.jsonl"), "{said}");

    // An attacker who rewrites the folder's record too (events.jsonl, manifest.json, the files
    // rows and their seal): without the paper the rewrite is undetectable (the README says
    // so) ...
    rewrite(&out, &id, true);
    let (code, said) = verify_all(&out, &[]);
    assert_eq!(code, 0, "{said}");
    // ... with the head kept on paper, it is caught.
    let (code, said) = verify_all(&out, &["--head", &head]);
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("紙の控え"), "{said}");
}

/// Marks one issued request of batch `id` rejected and recomputes every hash from the genesis,
/// as someone who knows the format would; with `folder`, also the batch folder's events.jsonl,
/// its manifest and their `files` rows.
fn rewrite(out: &Path, id: &str, folder: bool) {
    use tsuchi::audit::sha256_hex;
    common::edit_ledger(out, "UPDATE requests SET outcome = 'rejected', reason = 'x' WHERE rowid = 1");
    let ledger = Ledger::open_read_only(out).unwrap().unwrap();
    let changed = ledger.requests(id).unwrap().into_iter().find(|r| r.reason == "x").unwrap();
    let mut events = ledger.events(None).unwrap();
    drop(ledger);
    for e in events.iter_mut().filter(|e| e.kind == "batch.rows") {
        let mut detail = e.detail.value();
        for pair in detail["requests"].as_array_mut().unwrap() {
            if pair[0] == changed.row {
                pair[1] = request_row_hash(id, &changed).into();
            }
        }
        e.detail = tsuchi::ledger::Detail::of(&detail);
    }
    let rechain = |events: &mut Vec<tsuchi::ledger::Event>| {
        let mut prev = GENESIS.to_string();
        for e in events.iter_mut() {
            e.prev_hash = prev.clone();
            e.hash = e.computed_hash();
            prev = e.hash.clone();
        }
    };
    rechain(&mut events);
    if folder {
        let batch = out.join(id);
        let mut written: Vec<(String, Vec<u8>)> = Vec::new();
        let in_folder: Vec<_> = events.iter().filter(|e| e.kind != "batch.sealed").cloned().collect();
        let jsonl = tsuchi::audit::log::jsonl(&in_folder);
        std::fs::write(batch.join("audit").join("events.jsonl"), &jsonl).unwrap();
        written.push(("audit/events.jsonl".into(), jsonl));
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(batch.join("manifest.json")).unwrap()).unwrap();
        for f in manifest["files"].as_array_mut().unwrap() {
            if f["path"] == "audit/events.jsonl" {
                f["sha256"] = sha256_hex(&written[0].1).into();
                f["size"] = written[0].1.len().into();
            }
        }
        let manifest = serde_json::to_vec_pretty(&manifest).unwrap();
        std::fs::write(batch.join("manifest.json"), &manifest).unwrap();
        written.push(("manifest.json".into(), manifest));
        let seal = events.iter_mut().find(|e| e.kind == "batch.sealed").unwrap();
        let mut detail = seal.detail.value();
        for f in detail["files"].as_array_mut().unwrap() {
            if let Some((_, bytes)) = written.iter().find(|(p, _)| f[0] == p.as_str()) {
                f[1] = sha256_hex(bytes).into();
                f[2] = bytes.len().into();
            }
        }
        seal.detail = tsuchi::ledger::Detail::of(&detail);
        let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
        for (path, bytes) in &written {
            conn.execute(
                "UPDATE files SET sha256 = ?1, size = ?2 WHERE path = ?3",
                rusqlite::params![sha256_hex(bytes), bytes.len() as i64, path],
            )
            .unwrap();
        }
        rechain(&mut events);
    }
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    for e in &events {
        conn.execute(
            "UPDATE events SET detail = ?1, prev_hash = ?2, hash = ?3 WHERE seq = ?4",
            rusqlite::params![e.detail.text(), e.prev_hash, e.hash, e.seq],
        )
        .unwrap();
    }
}

#[test]
fn a_run_from_another_folder_never_starts_a_fresh_ledger_silently() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let run = |cwd: &Path, extra: &[&str]| {
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home).current_dir(cwd).arg("run").arg(sample("requests.xlsx")).args(extra);
        c.output().unwrap()
    };
    let first = run(&a, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // The default `output` from another folder: refused, naming the ledger that holds batches.
    let other = run(&b, &[]);
    assert_eq!(other.status.code(), Some(2), "{}", text(&other.stdout));
    let said = text(&other.stderr);
    assert!(said.contains(&a.join("output").join("ledger.sqlite").display().to_string()), "{said}");
    assert!(said.contains("--new-ledger"), "{said}");
    assert!(!b.join("output").exists(), "nothing was written");
    // check refuses likewise.
    let mut c = common::command();
    c.env("TSUCHI_HOME", &home).current_dir(&b).arg("check").arg(sample("requests.xlsx"));
    assert_eq!(c.output().unwrap().status.code(), Some(2));
    // The same ledger named with --out: everything is 発行済み.
    let same = run(&b, &["--out", a.join("output").to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same.stderr));
    assert!(text(&same.stdout).contains("発行するものはありません"));
    // A deliberate new ledger.
    let fresh = run(&b, &["--new-ledger"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));
    assert_eq!(batch_dirs(&b.join("output")).len(), 1);
}

#[test]
fn the_output_root_in_the_config_is_the_same_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, conf) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("conf"));
    for d in [&a, &b, &conf] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(conf.join("tsuchi.toml"), "[output]\nroot = \"ledger\"\n").unwrap();
    let config = conf.join("tsuchi.toml");
    let run = |cwd: &Path| {
        let mut c = common::command();
        c.current_dir(cwd).arg("run").arg(sample("requests.xlsx")).arg("--config").arg(&config);
        c.output().unwrap()
    };
    assert_eq!(run(&a).status.code(), Some(0));
    let again = run(&b);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("発行するものはありません"), "{}", text(&again.stdout));
    assert_eq!(batch_dirs(&conf.join("ledger")).len(), 1);
    assert!(!a.join("output").exists() && !b.join("output").exists());
}

#[cfg(unix)]
#[test]
fn no_other_user_can_read_a_notice_a_bundle_or_a_staging_file_under_umask_022() {
    use std::os::unix::fs::PermissionsExt;
    fn open_to_others(root: &Path) -> Vec<String> {
        let mut found = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(p) = stack.pop() {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            if mode & 0o077 != 0 {
                found.push(format!("{:o} {}", mode & 0o777, p.display()));
            }
            if p.is_dir() {
                stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            }
        }
        found
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let umask_run = |crash: Option<&str>| {
        let mut c = common::command();
        c.arg("-c").arg("umask 022; exec \"$0\" \"$@\"").arg(env!("CARGO_BIN_EXE_tsuchi")).args([
            "run",
            sample("requests.xlsx").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        // `common::command` runs tsuchi; here the shell runs it, with the same environment.
        let mut shell = std::process::Command::new("sh");
        shell.args(c.get_args()).envs(c.get_envs().filter_map(|(k, v)| Some((k, v?))));
        if let Some(at) = crash {
            shell.env("TSUCHI_CRASH_AT", at);
        }
        shell.output().unwrap()
    };
    // A run killed before its commit leaves its staging folder: private already.
    let killed = umask_run(Some("commit:before"));
    assert!(!killed.status.success());
    let staging = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(".staging-"))
        .expect("the killed run left its staging folder");
    assert!(staging.join("notices").read_dir().unwrap().count() > 0);
    assert_eq!(open_to_others(&staging), Vec::<String>::new());
    // A whole batch: notices, ZIPs, the bundle, every list.
    let done = umask_run(None);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let batch = batch_dirs(&out).remove(0);
    assert!(batch.join("print").read_dir().unwrap().count() >= 2);
    assert_eq!(open_to_others(&batch), Vec::<String>::new());
}

#[test]
fn deleting_the_last_batch_whole_stops_the_next_run_of_the_same_user() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home).arg("run").arg(sample("requests.xlsx")).arg("--out").arg(&out).args(extra);
        c.output().unwrap()
    };
    assert_eq!(run(&[]).status.code(), Some(0));
    // Someone deletes the batch from the ledger (every row and event) and its folder: the chain
    // is merely shorter, and without the list's record the next run would issue it all again.
    let batch = batch_dirs(&out).remove(0);
    std::fs::remove_dir_all(&batch).unwrap();
    common::edit_ledger(&out, "DELETE FROM requests; DELETE FROM files; DELETE FROM batches; DELETE FROM events;");
    let again = run(&[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stdout));
    let said = text(&again.stderr);
    assert!(said.contains("続いていません"), "{said}");
    assert!(batch_dirs(&out).is_empty(), "nothing issued");
    // The same, with the ledger file itself deleted.
    std::fs::remove_file(out.join("ledger.sqlite")).unwrap();
    let _ = std::fs::remove_file(out.join("ledger.sqlite-wal"));
    let _ = std::fs::remove_file(out.join("ledger.sqlite-shm"));
    let gone = run(&[]);
    assert_eq!(gone.status.code(), Some(2), "{}", text(&gone.stdout));
    // A deliberate fresh start is still possible.
    let fresh = run(&["--new-ledger"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));
}
