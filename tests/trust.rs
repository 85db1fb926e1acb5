//! What lets a clerk and an auditor trust the ledger (issue 「Issued once, readable by no one
//! else」): every edit of every ledger table is found and stops the next run; a missing or extra
//! batch folder is found; a wholesale rewrite is caught against the head printed on paper; a
//! run from another folder never starts a fresh ledger silently; and nothing of a batch is
//! readable by another user, whatever the umask.

mod common;

use std::path::Path;

use common::{batch_dirs, sample, text};
use tsuchi::engine::audit::ledger::{GENESIS, Ledger, request_row_hash};

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
    use tsuchi::ground::digest::sha256_hex;
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
        e.detail = tsuchi::engine::audit::ledger::Detail::of(&detail);
    }
    let rechain = |events: &mut Vec<tsuchi::engine::audit::ledger::Event>| {
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
        let jsonl = tsuchi::engine::audit::log::jsonl(&in_folder);
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
        seal.detail = tsuchi::engine::audit::ledger::Detail::of(&detail);
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

/// A clerk's installation: `tsuchi.toml` (the test settings, without `[output] root`) in
/// `folder`, so that its ledger is the folder itself.
fn installation(folder: &Path) -> std::path::PathBuf {
    std::fs::create_dir_all(folder).unwrap();
    let config = folder.join("tsuchi.toml");
    std::fs::write(&config, format!("{}\n[handoff]\nmode = \"manual\"\n", common::TEST_ISSUER)).unwrap();
    config
}

#[test]
fn the_ledger_is_the_folder_of_the_tsuchi_toml_in_use_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let config = installation(&dir.path().join("office"));
    let run = |cwd: &Path| {
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home)
            .current_dir(cwd)
            .arg("run")
            .arg(sample("requests.xlsx"))
            .arg("--config")
            .arg(&config);
        c.output().unwrap()
    };
    let first = run(&a);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let ledger = dir.path().join("office").join("ledger.sqlite");
    assert!(
        text(&first.stdout).contains(&ledger.display().to_string()),
        "the ledger is printed: {}",
        text(&first.stdout)
    );
    let again = run(&b);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("発行するものはありません"), "{}", text(&again.stdout));
    assert_eq!(batch_dirs(&dir.path().join("office")).len(), 1);
    assert!(!a.join("output").exists() && !b.join("output").exists());
    // The tsuchi.toml found in the folder where tsuchi starts is the same installation.
    let mut c = common::command();
    c.env("TSUCHI_HOME", &home).current_dir(dir.path().join("office")).arg("run").arg(sample("requests.xlsx"));
    let here = c.output().unwrap();
    assert_eq!(here.status.code(), Some(0), "{}", text(&here.stderr));
    assert!(text(&here.stdout).contains("発行するものはありません"), "{}", text(&here.stdout));
}

#[test]
fn without_a_config_every_folder_consults_the_users_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let ledger = home.join("data").join("ledger.sqlite");
    for cwd in [dir.path().join("a"), dir.path().join("b")] {
        std::fs::create_dir_all(&cwd).unwrap();
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home).current_dir(&cwd).arg("check").arg(sample("requests.xlsx"));
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(text(&o.stdout).contains(&ledger.display().to_string()), "{}", text(&o.stdout));
        assert!(!cwd.join("output").exists(), "nothing written where the clerk stands");
        let mut c = common::command();
        let listed = c.env("TSUCHI_HOME", &home).current_dir(&cwd).arg("ledgers").output().unwrap();
        assert!(text(&listed.stdout).contains(&ledger.display().to_string()), "{}", text(&listed.stdout));
    }
}

#[test]
fn a_second_ledger_is_refused_naming_the_one_used_last_how_many_are_listed_and_tsuchi_ledgers() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let tsuchi = |folder: &str, args: &[&str]| {
        let config = installation(&dir.path().join(folder));
        let mut c = common::command();
        c.env("TSUCHI_HOME", &home).current_dir(dir.path()).args(args).arg("--config").arg(&config);
        c.output().unwrap()
    };
    let run = |folder: &str, extra: &[&str]| {
        let list = sample("requests.xlsx");
        let mut args = vec!["run", list.to_str().unwrap()];
        args.extend(extra);
        tsuchi(folder, &args)
    };
    // Someone's test first, then two more ledgers started on purpose; "y" is used last.
    assert_eq!(run("x", &[]).status.code(), Some(0));
    assert_eq!(run("z", &["--new-ledger"]).status.code(), Some(0));
    assert_eq!(run("y", &["--new-ledger"]).status.code(), Some(0));
    let ledger_of = |folder: &str| dir.path().join(folder).join("ledger.sqlite").display().to_string();

    let refused = run("w", &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    let said = text(&refused.stderr);
    assert!(said.contains(&format!("最後に使った台帳「{}」", ledger_of("y"))), "the one used last: {said}");
    assert!(!said.contains(&ledger_of("x")), "not the oldest: {said}");
    assert!(said.contains("合わせて3件") && said.contains("tsuchi ledgers"), "{said}");
    assert!(said.contains("--new-ledger"), "{said}");
    assert!(!dir.path().join("w").join("ledger.sqlite").exists(), "nothing written");

    // check reads only: it never refuses for this, names the ledger it consulted and says what run would do.
    let checked = tsuchi("w", &["check", sample("requests.xlsx").to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked.stderr));
    let said = text(&checked.stdout);
    assert!(said.contains(&ledger_of("w")) && said.contains(&ledger_of("y")), "{said}");
    assert!(said.contains("run はこのままでは発行しません"), "{said}");
    let checked = tsuchi("y", &["check", sample("requests.xlsx").to_str().unwrap()]);
    assert!(text(&checked.stdout).contains(&format!("照合した台帳：{}", ledger_of("y"))), "{}", text(&checked.stdout));

    // The list, in order of use, the one used last marked.
    let listed = tsuchi("w", &["ledgers"]);
    let said = text(&listed.stdout);
    let at = |folder: &str| said.find(&ledger_of(folder)).unwrap_or_else(|| panic!("{folder} listed: {said}"));
    assert!(at("x") < at("z") && at("z") < at("y"), "{said}");
    let last = said.lines().find(|l| l.contains(&ledger_of("y"))).unwrap();
    assert!(last.contains("最後に使った") && last.contains("バッチ1件"), "{said}");
    assert!(said.contains("台帳（3件"), "{said}");

    // Using an older one makes it the one used last.
    assert_eq!(run("x", &[]).status.code(), Some(0));
    let said = text(&run("w", &[]).stderr);
    assert!(said.contains(&format!("最後に使った台帳「{}」", ledger_of("x"))), "{said}");
    // A deliberate new ledger.
    let fresh = run("w", &["--new-ledger"]);
    assert_eq!(fresh.status.code(), Some(0), "{}", text(&fresh.stderr));
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
            "--config",
            common::test_config(dir.path()).to_str().unwrap(),
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
        c.arg("--config").arg(common::test_config(dir.path()));
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
