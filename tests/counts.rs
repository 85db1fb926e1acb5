//! What tsuchi says is true: every count that `check`, `run --dry-run`, `run` (its table and
//! `--json`), the manifest and `status` print equals what is on disk — notices, archive copies,
//! ZIPs split by how they open, bundle pages (pdfinfo), mailing-list rows, hand-off rows (age).
//! And every `--json` follows `docs/json/summary.schema.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

mod common;
use common::schema::{assert_schema, schema, validate};
use common::{batch_dirs, command, files_under, sample, text, tool, xlsx_rows};

const HEADER: &str =
    "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID,請求先都道府県,宛名\n";

/// Three kinds; an office billing two prefectures (two ユーザID); two 証明書PW再発行 ZIPs that
/// open with a login issued beside them and one that cannot; a blank FAX and a FAX 「なし」;
/// a rejected row and a row not approved.
const MIXED: &str = "\
M-1,再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ131371000124,13,
M-2,再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ141371000124,14,
M-3,証明書PW再発行,承認,1371000124,訪問介護ステーションひまわり,160-0023,東京都新宿区西新宿2-8-1 新宿ビル3F,03-5321-1111,03-5321-1112,KJ141371000124,14,
M-4,登録結果,承認,1371000017,社会福祉法人あおぞら会 特別養護老人ホームさくら苑,100-0013,東京都千代田区霞が関1丁目3番2号,03-3581-0001,,KJ131371000017,13,施設長 山田 太郎
M-5,再発行,承認,2772000267,グループホーム なごみ,543-0001,大阪府大阪市天王寺区上本町6丁目5-13,06-6771-0001,06-6771-0002,KJ272772000267,27,管理者 中村 健一
M-6,証明書PW再発行,承認,2772000267,グループホーム なごみ,543-0001,大阪府大阪市天王寺区上本町6丁目5-13,06-6771-0001,06-6771-0002,KJ272772000267,27,管理者 中村 健一
M-7,証明書PW再発行,承認,4771000116,訪問介護事業所 ちゅら海ケア,900-0021,沖縄県那覇市泉崎1丁目2番2号,098-866-0001,098-866-0002,KJ474771000116,47,
M-8,登録結果,承認,4074000136,居宅介護支援事業所 﨑山ケアプランセンター,810-0001,福岡県福岡市中央区天神1丁目8番1号,092-711-0001,なし,KJ404074000136,40,介護支援専門員 﨑山 直子
M-9,再発行,承認,1371000018,誤った事業所,100-0013,東京都千代田区霞が関1丁目3番2号,03-3581-0001,,KJ131371000018,13,
M-10,登録結果,却下,2373000112,有限会社みどり介護サービス,460-0001,愛知県名古屋市中区三の丸3丁目1番1号,052-961-0001,052-961-0002,KJ232373000112,23,
";

/// One more row for the second run, beside the eight issued by the first.
const ONE_MORE: &str = "\
M-11,再発行,承認,4074000243,通所リハビリテーション はなみずき,812-0011,福岡県福岡市博多区博多駅前2-1-1,092-441-0001,-,KJ404074000243,40,
";

struct Setup {
    dir: tempfile::TempDir,
    home: PathBuf,
    config: PathBuf,
    key: PathBuf,
}

/// A folder with a tsuchi.toml naming an age recipient from Debian's `age-keygen`.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.txt");
    let recipient = common::age_identity(&key);
    let config = dir.path().join("tsuchi.toml");
    std::fs::write(&config, format!("{}\n[handoff]\nrecipients = [\"{recipient}\"]\n", common::TEST_ISSUER)).unwrap();
    let home = dir.path().join("home");
    Setup { dir, home, config, key }
}

impl Setup {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn list(&self, name: &str, rows: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
        path
    }

    /// `tsuchi <args>` with the setup's config and output root: (exit code, stdout, stderr).
    fn tsuchi(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = command()
            .env("TSUCHI_HOME", &self.home)
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    }

    fn json(&self, args: &[&str]) -> Value {
        let (code, stdout, stderr) = self.tsuchi(args);
        assert!(matches!(code, Some(0 | 1)), "{args:?}: {stdout}{stderr}");
        let value: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{stdout}"));
        assert_schema(&value);
        value
    }
}

/// A `counts` object of `--json` or the manifest as a map.
fn counts_of(value: &Value) -> BTreeMap<String, u64> {
    value.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
}

/// The numbers the summary table prints, by the row's label: `印刷束（郵送分） 5通・6頁` → [5, 6].
fn table(stdout: &str) -> BTreeMap<String, Vec<u64>> {
    let mut rows = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.trim_start().starts_with('│')) {
        let cells: Vec<&str> = line.split('│').map(str::trim).filter(|c| !c.is_empty()).collect();
        let numbers = cells[1]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        rows.insert(cells[0].to_string(), numbers);
    }
    rows
}

/// What a batch folder holds, counted with tools that are not tsuchi's.
#[derive(Debug, PartialEq, Eq)]
struct OnDisk {
    notices: usize,
    archive: usize,
    zips: usize,
    /// ZIPs named in the second-channel list (their 開封パスワード is there).
    zips_separate: usize,
    pages: usize,
    mailing_rows: usize,
    handoff_rows: usize,
}

fn on_disk(batch: &Path, key: &Path) -> OnDisk {
    let count = |sub: &str| files_under(&batch.join(sub)).len();
    let id = batch.file_name().unwrap().to_string_lossy().into_owned();
    let bundle = batch.join("print").join(format!("{id}.pdf"));
    let info = tool("pdfinfo", &[bundle.to_str().unwrap()]);
    let pages = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    let secrets = batch.join("secrets").join("開封パスワード一覧.pdf");
    let listed = if secrets.exists() { tool("pdftotext", &[secrets.to_str().unwrap(), "-"]) } else { String::new() };
    let zips_separate = files_under(&batch.join("zip"))
        .iter()
        .filter(|z| listed.contains(z.file_name().unwrap().to_str().unwrap()))
        .count();
    let mailing_rows = xlsx_rows(&batch.join("print").join("発送リスト.xlsx")).len() - 1;
    let handoff = batch.join("handoff").join(format!("{id}.csv.age"));
    let handoff_rows = match handoff.exists() {
        true => tool("age", &["-d", "-i", key.to_str().unwrap(), handoff.to_str().unwrap()]).lines().count() - 1,
        false => 0,
    };
    OnDisk {
        notices: count("notices"),
        archive: count("archive"),
        zips: count("zip"),
        zips_separate,
        pages,
        mailing_rows,
        handoff_rows,
    }
}

/// What `counts` says the batch folder holds.
fn expected(counts: &BTreeMap<String, u64>) -> OnDisk {
    let n = |k: &str| counts[k] as usize;
    OnDisk {
        notices: n("issued"),
        archive: n("issued"),
        zips: n("zip.login") + n("zip.separate"),
        zips_separate: n("zip.separate"),
        pages: n("print.pages"),
        mailing_rows: n("print.notices"),
        handoff_rows: n("handoff.rows"),
    }
}

/// The table's numbers as `counts` names them.
fn table_counts(table: &BTreeMap<String, Vec<u64>>) -> BTreeMap<String, u64> {
    let one = |label: &str| table.get(label).unwrap_or_else(|| panic!("no row {label}: {table:?}"))[0];
    let bundle = &table["印刷束（郵送分）"];
    BTreeMap::from([
        ("issued.registration".to_string(), one("登録結果")),
        ("issued.login_reissue".to_string(), one("再発行")),
        ("issued.cert_password_reissue".to_string(), one("証明書PW再発行")),
        ("issued".to_string(), one("通知書の合計")),
        ("print.notices".to_string(), bundle[0]),
        ("print.pages".to_string(), bundle[1]),
        ("zip.login".to_string(), one("ZIP（ログイン用パスワードで開く）")),
        ("zip.separate".to_string(), one("ZIP（開封パスワード別送）")),
        ("handoff.rows".to_string(), one("システム登録ファイルの行")),
        ("rejected_rows".to_string(), one("差戻し")),
        ("already_issued".to_string(), one("発行済み（発行しません）")),
    ])
}

fn assert_table_says(stdout: &str, counts: &BTreeMap<String, u64>) {
    for (key, value) in table_counts(&table(stdout)) {
        assert_eq!(counts[&key], value, "the table's {key} against the counts\n{stdout}");
    }
}

#[test]
fn every_count_of_a_mixed_batch_equals_its_files_in_check_dry_run_run_and_a_second_run() {
    let s = setup();
    let out = s.out();
    let out_str = out.to_str().unwrap();
    let list = s.list("mixed.csv", MIXED);
    let list_str = list.to_str().unwrap();

    let check = s.json(&["check", list_str, "--ledger", out_str, "--out", &format!("{out_str}/check"), "--json"]);
    let dry = s.json(&["run", list_str, "--out", out_str, "--dry-run", "--json"]);
    let predicted = counts_of(&check["counts"]);
    assert_eq!(predicted, counts_of(&dry["counts"]), "check and the dry run disagree");
    assert_eq!(dry["batch_id"], Value::Null, "a dry run makes no batch");
    let want = [
        ("issued", 8),
        ("issued.registration", 2),
        ("issued.login_reissue", 3),
        ("issued.cert_password_reissue", 3),
        ("zip.login", 2),
        ("zip.separate", 6),
        ("print.notices", 5),
        ("print.pages", 6),
        ("handoff.rows", 8),
        ("rejected_rows", 1),
        ("skipped", 1),
        ("already_issued", 0),
    ];
    for (key, value) in want {
        assert_eq!(predicted[key], value, "{key}: {predicted:?}");
    }
    // The dry run's table says the same.
    let (_, dry_text, _) = s.tsuchi(&["run", list_str, "--out", out_str, "--dry-run"]);
    assert_table_says(&dry_text, &predicted);

    // The run: its table, its manifest and its files.
    let (code, stdout, stderr) = s.tsuchi(&["run", list_str, "--out", out_str]);
    assert_eq!(code, Some(1), "a rejected row: {stdout}{stderr}");
    assert!(stdout.contains("発行対象　　：8件（登録結果 2／再発行 3／証明書PW再発行 3）"), "{stdout}");
    assert!(stdout.contains("9行目「FAX番号」：FAX番号「なし」"), "the FAX note names the row: {stdout}");
    let batch = batch_dirs(&out).into_iter().find(|d| !d.ends_with("check")).unwrap();
    let manifest: Value = serde_json::from_slice(&std::fs::read(batch.join("manifest.json")).unwrap()).unwrap();
    let recorded = counts_of(&manifest["counts"]);
    assert_eq!(recorded, predicted, "what was written against what was predicted");
    assert_table_says(&stdout, &recorded);
    assert_eq!(on_disk(&batch, &s.key), expected(&recorded));

    // A second run of the list with one row more: eight 発行済み, one notice.
    let list = s.list("mixed2.csv", &format!("{MIXED}{ONE_MORE}"));
    let second = s.json(&["run", list.to_str().unwrap(), "--out", out_str, "--json"]);
    let counts = counts_of(&second["counts"]);
    assert_eq!((counts["issued"], counts["already_issued"], counts["print.pages"]), (1, 8, 2), "{counts:?}");
    assert_eq!(second["already_issued"].as_array().unwrap().len(), 8);
    let id = second["batch_id"].as_str().expect("a batch was made");
    assert_eq!(on_disk(&out.join(id), &s.key), expected(&counts));
    // The FAX 「-」 is blank, noted, not a rejection.
    assert!(second["notes"].as_array().unwrap().iter().any(|n| n["row"] == 12 && n["column"] == "FAX番号"));
}

#[test]
fn the_samples_counts_equal_their_files() {
    let s = setup();
    let out = s.out();
    let (code, stdout, stderr) =
        s.tsuchi(&["run", sample("requests.xlsx").to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("発行対象　　：20件（登録結果 7／再発行 8／証明書PW再発行 5）"), "{stdout}");
    let batch = common::batch_dir(&out);
    let manifest: Value = serde_json::from_slice(&std::fs::read(batch.join("manifest.json")).unwrap()).unwrap();
    let counts = counts_of(&manifest["counts"]);
    assert_eq!((counts["zip.login"], counts["zip.separate"], counts["print.pages"]), (2, 18, 16));
    assert_table_says(&stdout, &counts);
    assert_eq!(on_disk(&batch, &s.key), expected(&counts));
}

#[test]
fn a_run_with_nothing_to_issue_names_no_batch() {
    let s = setup();
    let out = s.out();
    let out_str = out.to_str().unwrap();
    let list = s.list("mixed.csv", MIXED);
    let (code, _, stderr) = s.tsuchi(&["run", list.to_str().unwrap(), "--out", out_str]);
    assert_eq!(code, Some(1), "{stderr}");
    let again = s.json(&["run", list.to_str().unwrap(), "--out", out_str, "--json"]);
    assert_eq!(again["batch_id"], Value::Null, "{again}");
    assert_eq!(again["dir"], Value::Null);
    assert_eq!(again["nothing_to_issue"], true);
    assert_eq!(again["counts"]["issued"], 0);
    assert_eq!(again["counts"]["already_issued"], 8);
    let (_, stdout, _) = s.tsuchi(&["run", list.to_str().unwrap(), "--out", out_str]);
    assert!(stdout.contains("バッチは作りませんでした"), "{stdout}");
    assert!(!stdout.contains("■ バッチ "), "{stdout}");
    assert_eq!(batch_dirs(&out).len(), 1, "still one batch");
}

#[test]
fn status_names_the_user_id_and_prefecture_and_its_counts_add_up() {
    let s = setup();
    let out = s.out();
    let out_str = out.to_str().unwrap();
    let list = s.list("mixed.csv", MIXED);
    s.tsuchi(&["run", list.to_str().unwrap(), "--out", out_str]);
    let id = batch_dirs(&out)[0].file_name().unwrap().to_string_lossy().into_owned();

    // The office's two prefectures are two notices, told apart.
    let (code, said, _) = s.tsuchi(&["status", "1371000124", "--out", out_str]);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("ユーザID KJ131371000124 請求先都道府県 東京都"), "{said}");
    assert!(said.contains("ユーザID KJ141371000124 請求先都道府県 神奈川県"), "{said}");
    // A ユーザID finds its own notices only.
    let found = s.json(&["status", "KJ131371000124", "--out", out_str, "--json"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["user_id"], "KJ131371000124");

    // Returned, then reissued in a later batch: counted once, as returned, and noted as reissued.
    let (code, said, err) = s.tsuchi(&["mail", "returned", "M-1", "--reason", "宛所不明", "--out", out_str]);
    assert_eq!(code, Some(0), "{said}{err}");
    let (code, said, err) =
        s.tsuchi(&["run", list.to_str().unwrap(), "--out", out_str, "--reissue", "M-1", "--reason", "返戻のため"]);
    assert_eq!(code, Some(1), "{said}{err}");
    let status = s.json(&["status", "--batch", &id, "--out", out_str, "--json"]);
    let n = |k: &str| status[k].as_u64().unwrap();
    let not_yet = status["not_yet_sent"].as_array().unwrap().len() as u64;
    assert_eq!(n("sent") + n("returned") + not_yet + n("destroyed"), n("paper"), "{status}");
    assert_eq!((n("paper"), n("returned"), not_yet, n("reissued"), n("electronic")), (5, 1, 4, 1, 3), "{status}");
    let (_, said, _) = s.tsuchi(&["status", "--batch", &id, "--out", out_str]);
    assert!(said.contains("郵送 5通（発送 0・返戻 1・未発送 4・廃棄 0）、電子送付 3通"), "{said}");
    assert!(said.contains("うち後のバッチで再発行したもの：1通"), "{said}");
}

#[test]
fn words_for_no_fax_are_blank_and_a_bad_fax_is_named_as_a_fax() {
    use tsuchi::ground::model::PhoneNo;
    for none in ["なし", "無し", "-", "ー", "－", "―", " なし ", "ナシ", "N/A", "none", "--"] {
        assert!(PhoneNo::means_none(none), "{none}");
    }
    for number in ["03-1234-5678", "0312345678", "", "なしです03"] {
        assert!(!PhoneNo::means_none(number), "{number}");
    }
    let reason =
        tsuchi::ground::i18n::with_lang(tsuchi::ground::i18n::Lang::Ja, || PhoneNo::parse_fax("12345").unwrap_err());
    assert!(reason.starts_with("FAX番号は"), "{reason}");
}

#[test]
fn the_schema_checker_refuses_what_the_schema_does_not_allow() {
    let root = schema();
    let check = |value: &Value| {
        let mut errors = Vec::new();
        validate(&root, &root, value, "$", &mut errors);
        errors
    };
    let status = serde_json::json!({
        "batch": "b", "paper": 1, "sent": 1, "returned": 0, "not_yet_sent": [], "destroyed": 0,
        "reissued": 0, "electronic": 0, "purged": false, "purged_at": null
    });
    assert!(check(&status).is_empty(), "{:?}", check(&status));
    let mut missing = status.clone();
    missing.as_object_mut().unwrap().remove("destroyed");
    assert!(!check(&missing).is_empty());
    let mut negative = status.clone();
    negative["sent"] = serde_json::json!(-1);
    assert!(!check(&negative).is_empty());
    assert!(!check(&serde_json::json!({ "command": "run" })).is_empty());
}
