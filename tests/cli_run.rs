//! `tsuchi run`, `tsuchi init` as a clerk uses them, and the guarantee that a secret appears
//! only inside the notices: never on stdout, stderr or in the rejected-rows lists.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{batch_dir, sample, secrets_in, text, tsuchi, xlsx_rows};

fn xlsx_text(path: &std::path::Path) -> String {
    xlsx_rows(path).into_iter().flatten().collect::<Vec<_>>().join("\t")
}

#[test]
fn run_on_the_samples_writes_one_notice_per_request_and_no_secret_anywhere_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = sample("requests.xlsx");
    let result = tsuchi(
        &["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--date", "2026-01-10", "--allow-date"],
        dir.path(),
    );
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let batch = batch_dir(&out);
    let mut pdfs: Vec<PathBuf> = std::fs::read_dir(batch.join("notices")).unwrap().map(|e| e.unwrap().path()).collect();
    pdfs.sort();
    assert_eq!(pdfs.len(), 20);
    assert!(pdfs.iter().any(|p| p.ends_with("0175701069_登録結果.pdf")));
    assert!(pdfs.iter().any(|p| p.ends_with("2772000267_証明書PW再発行.pdf")));

    let mut secrets = Vec::new();
    for pdf in &pdfs {
        let found = secrets_in(pdf);
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        let expected: &[usize] = if name.contains("登録結果") {
            &[16, 12]
        } else if name.contains("証明書") {
            &[12]
        } else {
            &[16]
        };
        assert_eq!(found.iter().map(String::len).collect::<Vec<_>>(), expected, "{name}");
        secrets.extend(found);
    }
    let mut unique = secrets.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), secrets.len(), "every password is fresh");

    let stdout = text(&result.stdout);
    assert!(stdout.lines().any(|l| l.contains("通知書の合計") && l.contains(" 20通")), "{stdout}");
    let rejected_csv = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    let rejected_xlsx = xlsx_text(&batch.join("rejected.xlsx"));
    for (place, content) in [
        ("stdout", &stdout),
        ("stderr", &text(&result.stderr)),
        ("rejected.csv", &rejected_csv),
        ("rejected.xlsx", &rejected_xlsx),
    ] {
        for secret in &secrets {
            assert!(!content.contains(secret.as_str()), "a password leaked into {place}");
        }
    }
}

#[test]
fn good_rows_go_through_when_others_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = sample("requests_with_mistakes.xlsx");
    let result = tsuchi(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(result.status.code(), Some(1));
    let batch = batch_dir(&out);
    assert_eq!(std::fs::read_dir(batch.join("notices")).unwrap().count(), 2);
    let csv = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    // 12 problems and the 却下 row.
    assert_eq!(csv.lines().count(), 14, "{csv}");
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = sample("requests_sjis.csv");
    let result = tsuchi(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--dry-run"], dir.path());
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let said = text(&result.stdout);
    assert!(said.contains("■ 試行（--dry-run）：何も書き出していません"), "{said}");
    assert!(said.contains("発行対象　　：20件（登録結果 7／再発行 8／証明書PW再発行 5）"), "{said}");
    assert!(said.contains("15通・16頁"), "the bundle it would print: {said}");
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);
}

#[test]
fn init_writes_a_commented_config_that_run_accepts() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(tsuchi(&["init"], dir.path()).status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("tsuchi.toml")).unwrap();
    assert!(written.contains("# ") && written.contains("[passwords.temp]"));
    let again = tsuchi(&["init"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(tsuchi(&["init", "--force"], dir.path()).status.code(), Some(0));

    // As written, it names no real issuer and no operator: run refuses it, saying what to change.
    let input = sample("requests_sjis.csv");
    let refused = tsuchi(&["run", input.to_str().unwrap(), "--out", "out"], dir.path());
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stdout));
    let said = text(&refused.stderr);
    for key in ["[issuer] name", "[issuer] helpdesk", "[handoff] recipients"] {
        assert!(said.contains(key), "{key}: {said}");
    }
    assert!(!dir.path().join("out").exists(), "nothing written");

    std::fs::write(
        dir.path().join("tsuchi.toml"),
        written
            .replace("〇〇〇国民健康保険団体連合会", "見本県国民健康保険団体連合会")
            .replace("000-000-0000", "03-1234-5678")
            .replace("# mode = \"manual\"", "mode = \"manual\""),
    )
    .unwrap();
    let result = tsuchi(&["run", input.to_str().unwrap(), "--out", "out"], dir.path());
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let batch = batch_dir(&dir.path().join("out"));
    let pdf = std::fs::read_dir(batch.join("notices")).unwrap().next().unwrap().unwrap().path();
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    assert!(text(&info.stdout).contains("見本県国民健康保険団体連合会"), "the config in the working folder is used");
}

#[test]
fn a_broken_config_stops_the_run_with_one_message_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[passwords.temp]\nlength = 4\n").unwrap();
    let input = sample("requests.xlsx");
    let result = tsuchi(&["run", input.to_str().unwrap(), "--config", "bad.toml", "--out", "out"], dir.path());
    assert_eq!(result.status.code(), Some(2));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("bad.toml") && stderr.contains("passwords.temp"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn operator_and_host_come_from_the_os_not_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample("requests_sjis.csv");
    let account = common::tool("id", &["-run"]).trim().to_string();
    let host = common::tool("uname", &["-n"]).trim().to_string();
    // A scrubbed environment that lies about both (and keeps a list of ledgers of its own).
    common::test_config(dir.path());
    let result = Command::new(env!("CARGO_BIN_EXE_tsuchi"))
        .args(["run", input.to_str().unwrap(), "--out", "out"])
        .current_dir(dir.path())
        .env_clear()
        .env("TSUCHI_HOME", dir.path().join("home"))
        .envs([("USER", "someone-else"), ("LOGNAME", "someone-else"), ("USERNAME", "someone-else")])
        .envs([("HOSTNAME", "not-this-host"), ("COMPUTERNAME", "not-this-host")])
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let events = std::fs::read_to_string(batch_dir(&dir.path().join("out")).join("audit/events.jsonl")).unwrap();
    let started: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
    assert_eq!(started["kind"], "batch.started");
    assert_eq!(started["detail"]["operator"], account.as_str(), "{events}");
    assert_eq!(started["detail"]["host"], host.as_str(), "{events}");
}
