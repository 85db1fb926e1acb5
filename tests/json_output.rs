//! Every command has `--json`, and what it prints follows `docs/json/summary.schema.json`
//! (checked against the real output of a whole month) and says what the files and the
//! ledger say.

use std::path::Path;

use serde_json::Value;

mod common;
use common::mailing::{Value as Cell, rows_of, write_list};
use common::schema::assert_schema;
use common::{sample, text, tsuchi};

/// `tsuchi <args> --json` in `dir`: the JSON, checked against the schema, and the exit code.
fn json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let mut all: Vec<&str> = args.to_vec();
    all.push("--json");
    let out = tsuchi(&all, dir);
    let stdout = text(&out.stdout);
    let value: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{stdout}{}", text(&out.stderr)));
    assert_schema(&value);
    (value, out.status.code().unwrap())
}

#[test]
fn every_command_says_json() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["run", "check", "status", "verify", "purge", "calibrate", "ledgers", "init", "barcode"]
        .iter()
        .map(|c| vec![*c])
        .chain([vec!["mail", "import"], vec!["mail", "returned"], vec!["audit", "export"]])
    {
        let mut args = command.clone();
        args.push("--help");
        let out = tsuchi(&args, dir.path());
        assert!(text(&out.stdout).contains("--json"), "`tsuchi {}` has no --json", command.join(" "));
    }
}

#[test]
fn the_whole_month_in_json_follows_the_schema_and_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(sample("requests.xlsx"), d.join("requests.xlsx")).unwrap();

    let (check, code) = json(d, &["check", "requests.xlsx", "--date", "2026-04-01"]);
    assert_eq!((check["command"].as_str(), code), (Some("check"), 0));
    let (run, code) = json(d, &["run", "requests.xlsx", "--date", "2026-04-01"]);
    assert_eq!(code, 0);
    assert_eq!(run["counts"], check["counts"], "check and run count alike");
    let id = run["batch_id"].as_str().unwrap().to_string();
    let batch = d.join("output").join(&id);
    assert_eq!(run["dir"].as_str().map(Path::new), Some(batch.as_path()));

    let (status, _) = json(d, &["status", "--batch", &id]);
    let paper = status["paper"].as_u64().unwrap();
    assert_eq!(paper, run["counts"]["print.notices"].as_u64().unwrap());

    // The mail room fills every row but the first, then the first comes back.
    let rows = rows_of(&batch, |r| Cell::Text(common::mailing::number(r)));
    let (first, rest) = rows.split_first().unwrap();
    let list = write_list(d, "filled.xlsx", &[("発送リスト", rest)]);
    let (import, code) = json(d, &["mail", "import", list.to_str().unwrap()]);
    assert_eq!((import["recorded"].as_u64(), code), (Some(paper - 1), 0));
    let (returned, _) = json(d, &["mail", "returned", first.control(), "--reason", "宛所不明"]);
    assert_eq!(returned["notice"]["control_no"].as_str(), Some(first.control()));
    let (status, _) = json(d, &["status", "--batch", &id]);
    assert_eq!((status["sent"].as_u64(), status["returned"].as_u64()), (Some(paper - 1), Some(1)));
    let office = returned["notice"]["office_no"].as_str().unwrap().to_string();
    let (lives, _) = json(d, &["status", &office]);
    assert!(!lives.as_array().unwrap().is_empty());

    let (verify, code) = json(d, &["verify"]);
    assert_eq!((verify["verified"].as_bool(), verify["scope"].as_str(), code), (Some(true), Some("ledger"), 0));
    assert_eq!(verify["batches"].as_u64(), Some(1));
    let (verify, _) = json(d, &["verify", &id]);
    assert_eq!((verify["verified"].as_bool(), verify["scope"].as_str()), (Some(true), Some("batch")));

    let (export, code) = json(d, &["audit", "export", "--dest", "audit"]);
    assert_eq!((export["batches"].as_u64(), code), (Some(1), 0));
    assert!(d.join("audit").join("監査ログ.xlsx").is_file() && d.join("audit").join("events.jsonl").is_file());
    let events = std::fs::read_to_string(d.join("audit").join("events.jsonl")).unwrap().lines().count();
    assert_eq!(export["events"].as_u64(), Some(events as u64));

    // What carries a password: the notices, the ZIPs, the 開封パスワード一覧 and the print bundle.
    let secret_files = common::files_under(&batch)
        .iter()
        .filter(|p| {
            let p = p.strip_prefix(&batch).unwrap();
            let bundle = p.starts_with("print") && p.extension().is_some_and(|e| e == "pdf");
            p.starts_with("notices") || p.starts_with("zip") || p.starts_with("secrets") || bundle
        })
        .count();
    let (purge, code) = json(d, &["purge", &id]);
    assert_eq!((purge["files"].as_array().map(Vec::len), code), (Some(secret_files), 0), "{purge}");
    let (again, _) = json(d, &["purge", &id]);
    assert!(again["earlier"].is_string() && again["files"].as_array().unwrap().is_empty());

    let (ledgers, _) = json(d, &["ledgers"]);
    assert!(ledgers["here"].as_str().unwrap().ends_with("ledger.sqlite"));
    let (init, _) = json(d, &["init", "new.toml"]);
    assert!(d.join(init["path"].as_str().unwrap()).is_file());
    let (sheet, _) = json(d, &["calibrate", "--out", "calibrate.pdf"]);
    assert_eq!(sheet["offset_mm"], serde_json::json!([0.0, 0.0]));
    assert!(d.join("calibrate.pdf").is_file());
    let (barcode, code) = json(d, &["barcode", "0640941", "北海道札幌市中央区旭ケ丘５丁目６−５１"]);
    assert_eq!((barcode["code"]["data"].as_str(), code), (Some("5-6-51"), 0));
    let (none, code) = json(d, &["barcode", "9999999", "どこか"]);
    assert!(none["code"].is_null() && none["reason"].is_string() && code == 1, "{none}");
}
