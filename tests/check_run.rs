//! The promise of `check`: every row it accepts is a row `run` issues, every row it refuses
//! `run` refuses, and no content of any row makes `run` lose the batch.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use proptest::prelude::*;
use tsuchi::engine::batch::{self, RunOptions, Silent};
use tsuchi::engine::config::Config;
use tsuchi::engine::intake::{self, ReadOptions};
use tsuchi::engine::plan::{self, PlanInput, SecretSource};
use tsuchi::engine::render::Renderer;

use common::{batch_dir, text, tsuchi};

const HEADER: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,番地,電話番号,FAX番号,ユーザID,宛名";

/// One request row; printed fields as given.
#[derive(Debug, Clone)]
struct Row {
    name: String,
    address: String,
    address2: String,
    attention: String,
}

fn office_no(i: usize) -> String {
    let payload = format!("131{:06}", 100_000 + i);
    format!("{payload}{}", tsuchi::engine::intake::fields::office_check_digit(&payload).unwrap())
}

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

fn csv_line(i: usize, kind: &str, row: &Row) -> String {
    let office = office_no(i);
    [
        format!("R-{i:05}"),
        kind.to_string(),
        "承認".into(),
        office.clone(),
        quote(&row.name),
        "100-0013".into(),
        quote(&row.address),
        quote(&row.address2),
        "03-1234-5678".into(),
        "03-1234-5679".into(),
        format!("KJ13{office}"),
        quote(&row.attention),
    ]
    .join(",")
}

fn write_csv(dir: &Path, rows: &[Row]) -> PathBuf {
    let kinds = ["登録結果", "再発行", "証明書PW再発行"];
    let mut body = format!("{HEADER}\r\n");
    for (i, row) in rows.iter().enumerate() {
        body.push_str(&csv_line(i, kinds[i % 3], row));
        body.push_str("\r\n");
    }
    let path = dir.join("requests.csv");
    std::fs::write(&path, body).unwrap();
    path
}

/// Rows `check` would issue and rows it refuses, as the library's `check` computes them.
fn check_verdict(input: &Path, config: &Config, renderer: &Renderer) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let intake = intake::read(input, &ReadOptions::default()).expect("readable");
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let input =
        PlanInput { intake: &intake, ledger: None, reissue: &[], issue_date: date, secrets: SecretSource::Specimen };
    let plan = plan::prepare(&input, config, renderer).expect("a plan");
    let issued = plan.notices.iter().map(|n| n.request.row).collect();
    let refused = intake.rejections.iter().chain(&plan.rejections).map(|r| r.row).collect();
    (issued, refused)
}

fn run_verdict(input: &Path, out: &Path, config: &Config, renderer: &Renderer) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let options = RunOptions {
        input: input.to_path_buf(),
        sheet: None,
        include_hidden: false,
        out_root: out.to_path_buf(),
        config_path: None,
        issue_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 10),
        allow_date: true,
        dry_run: false,
        reissue: Vec::new(),
        reissue_reason: None,
        new_ledger: false,
        registry: None,
    };
    let report = batch::run(&options, config, renderer, &Silent).unwrap_or_else(|e| panic!("the batch was lost: {e}"));
    let issued = report.issued.iter().map(|n| n.row).collect();
    let refused = report.rejections().iter().map(|r| r.row).collect();
    (issued, refused)
}

fn from(chars: &'static str) -> impl Strategy<Value = char> {
    prop::sample::select(chars.chars().collect::<Vec<_>>())
}

/// Every class of character intake accepts in a printed field, and variation selectors.
fn printed_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => from("社会福祉法人地域包括支援センター附属特別養護老人ホーム東京都千代田区霞関丁目番号館合同庁舎第本"),
        2 => from("あいうえおかきくけこさしすせそグランドハイツメゾンケアサービス"),
        1 => from("ｱｲｳｴｵｶｷｸｹｺﾊｲﾂﾒｿﾞﾝｰ"),
        2 => from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        1 => from("0123456789０１２３４５６７８９"),
        1 => from("\n\r"),
        1 => from(" 　"),
        // What IPAex lacks (the fallback face draws it) and variation selectors: the variant
        // of either face, the base of a sequence no face lists, a selector with no base.
        1 => from("𠮷𠀁𠀃ĐĊ"),
        1 => from("\u{E0100}\u{E0102}\u{FE00}\u{E01EF}"),
    ]
}

fn printed(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(printed_char(), 0..max).prop_map(String::from_iter)
}

fn row() -> impl Strategy<Value = Row> {
    (printed(200), printed(200), printed(60), printed(60)).prop_map(|(name, address, address2, attention)| Row {
        name,
        address,
        address2,
        attention,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random 事業所名, 住所, 宛名 and 番地 of 0 to 200 characters of every class: `check` and
    /// `run` agree on every row, and `run` never loses the batch.
    #[test]
    fn check_and_run_agree_on_every_row_and_run_never_fails_on_a_readable_file(rows in prop::collection::vec(row(), 1..7)) {
        let dir = tempfile::tempdir().unwrap();
        let input = write_csv(dir.path(), &rows);
        let config = common::test_settings();
        let renderer = Renderer::new(&config).unwrap();
        let check = check_verdict(&input, &config, &renderer);
        let run = run_verdict(&input, &dir.path().join("out"), &config, &renderer);
        prop_assert_eq!(&check, &run);
        prop_assert_eq!(check.0.len() + check.1.len(), rows.len());
    }
}

fn ordinary(i: usize) -> Row {
    Row {
        name: format!("株式会社みどりケアサービス 第{i}事業所"),
        address: "東京都千代田区霞が関1丁目3番2号".into(),
        address2: String::new(),
        attention: "管理者 山田 太郎".into(),
    }
}

fn one(row: Row) -> (BTreeSet<usize>, BTreeSet<usize>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let input = write_csv(dir.path(), &[row]);
    let config = common::test_settings();
    let renderer = Renderer::new(&config).unwrap();
    let check = check_verdict(&input, &config, &renderer);
    let run = run_verdict(&input, &dir.path().join("out"), &config, &renderer);
    assert_eq!(check, run);
    (run.0, run.1, dir)
}

#[test]
fn a_sixty_character_office_name_is_issued() {
    let name = "社会福祉法人みどり福祉会 地域包括支援センター附属 特別養護老人ホームみどりの里 居宅介護支援事業所本館東棟第二別館南側";
    assert_eq!(name.chars().count(), 60);
    let (issued, refused, _dir) = one(Row { name: name.into(), ..ordinary(0) });
    assert_eq!((issued.len(), refused.len()), (1, 0));
}

#[test]
fn a_name_with_line_breaks_is_issued_and_prints_no_break_character() {
    for name in [
        "株式会社みどり\nケアサービス",
        "株式会社みどり\r\nケアサービス",
        "\n株式会社みどり\rケアサービス\r",
        "株式会社みどり\r\n\nケアサービス\n",
    ] {
        let (issued, refused, dir) = one(Row { name: name.into(), ..ordinary(0) });
        assert_eq!((issued.len(), refused.len()), (1, 0), "{name:?}");
        let batch = batch_dir(&dir.path().join("out"));
        let list = std::fs::read_dir(batch.join("notices")).unwrap().next().unwrap().unwrap().path();
        let words = common::tool("pdftotext", &[list.to_str().unwrap(), "-"]);
        assert!(words.contains("株式会社みどり ケアサービス"), "{name:?}: {words}");
    }
}

#[test]
fn katakana_only_in_the_building_column_gets_its_glyphs_into_the_batch_fonts() {
    for building in ["グランドハイツ2F", "メゾン庁", "ﾊｲﾂ101"] {
        let (issued, refused, _dir) = one(Row { address2: building.into(), ..ordinary(0) });
        assert_eq!((issued.len(), refused.len()), (1, 0), "{building}");
    }
}

#[test]
fn an_address_too_long_is_refused_under_the_address_column_not_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let row = Row { address: "東京都千代田区霞が関".repeat(30), ..ordinary(0) };
    let input = write_csv(dir.path(), &[row]);
    let config = Config::default();
    let renderer = Renderer::new(&config).unwrap();
    let intake = intake::read(&input, &ReadOptions::default()).unwrap();
    let date = chrono::NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    let input =
        PlanInput { intake: &intake, ledger: None, reissue: &[], issue_date: date, secrets: SecretSource::Specimen };
    let plan = plan::prepare(&input, &config, &renderer).unwrap();
    let columns: Vec<&str> = plan.rejections.iter().map(|r| r.column.as_str()).collect();
    assert_eq!(columns, ["住所"], "{:?}", plan.rejections);
    assert_eq!(plan.rejections[0].column_letter.as_deref(), Some("G"));
    assert_eq!(plan.rejections[0].row, 2);
}

#[test]
fn thirty_thousand_latin_letters_without_spaces_are_refused_not_hung_on() {
    let (issued, refused, _dir) = one(Row { name: "abcdefghij".repeat(3_000), ..ordinary(0) });
    assert_eq!((issued.len(), refused.len()), (0, 1));
}

#[test]
fn a_long_name_on_the_second_channel_list_is_cut_short_not_fatal() {
    // A 証明書PW再発行 (row 3 of three) opens with a separate password listed by name.
    let dir = tempfile::tempdir().unwrap();
    let long = "社会福祉法人みどり福祉会地域包括支援センター附属特別養護老人ホームみどりの里居宅介護支援事業所本館東棟";
    let rows = [ordinary(0), ordinary(1), Row { name: long.into(), ..ordinary(2) }];
    let input = write_csv(dir.path(), &rows);
    let out = dir.path().join("out");
    let result = tsuchi(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let list = batch_dir(&out).join("secrets").join("開封パスワード一覧.pdf");
    let listed = common::tool("pdftotext", &[list.to_str().unwrap(), "-"]);
    assert!(listed.contains("社会福祉法人みどり福祉会"), "{listed}");
    // The name gives way; the ZIP's file name, which the clerk needs, stays whole.
    assert!(listed.contains(&format!("（{}_証明書PW再発行.zip）", office_no(2))), "{listed}");
}

#[test]
fn a_closed_stdout_after_the_commit_does_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_csv(dir.path(), &(0..3).map(ordinary).collect::<Vec<_>>());
    let out = dir.path().join("out");
    common::test_config(dir.path());
    let mut child = common::command()
        .args(["run", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `| head -0`: the reader is gone
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"));
    assert_eq!(std::fs::read_dir(batch_dir(&out).join("notices")).unwrap().count(), 3);
}

/// Row verdicts from the `--json` output of `check` or `run`: (issued rows, refused rows).
fn verdict_json(stdout: &[u8]) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let v: serde_json::Value = serde_json::from_slice(stdout).expect("JSON on stdout");
    let rows = |key: &str| -> BTreeSet<u64> {
        v[key].as_array().unwrap().iter().map(|e| e["row"].as_u64().unwrap()).collect()
    };
    (rows("issued"), rows("rejected"))
}

/// The list of the issue's 「done when」: 300 rows with a 60-character office name, a katakana
/// building name in 番地, a name with a line break, one NUL in a cell, and a template tail of
/// 5,000 rows with only 審査結果 filled down. `check` then `run` agree row by row, and every good
/// row is issued.
#[test]
fn check_then_run_on_a_clerks_300_row_list_agree_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<Row> = (0..300).map(ordinary).collect();
    rows[10].name = "社会福祉法人みどり福祉会 地域包括支援センター附属 特別養護老人ホームみどりの里 居宅介護支援事業所本館東棟第二別館南側".into();
    assert_eq!(rows[10].name.chars().count(), 60);
    rows[20].address2 = "グランドハイツ2F".into();
    rows[30].name = "株式会社みどり\nケアサービス".into();
    rows[40].attention = "管理者\0山田".into();
    let path = write_csv(dir.path(), &rows);
    let mut body = std::fs::read_to_string(&path).unwrap();
    for _ in 0..5_000 {
        body.push_str(",,承認,,,,,,,,,\r\n");
    }
    std::fs::write(&path, body).unwrap();
    let input = path.to_str().unwrap();
    let out = dir.path().join("out");

    let check = tsuchi(&["check", input, "--json", "--out", dir.path().join("check").to_str().unwrap()], dir.path());
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    let run = tsuchi(&["run", input, "--json", "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    let (check_issued, check_refused) = verdict_json(&check.stdout);
    let (run_issued, run_refused) = verdict_json(&run.stdout);
    assert_eq!(check_issued, run_issued);
    assert_eq!(check_refused, run_refused);
    // Row 42 of the file (the NUL) is the only one refused; the other 299 are issued.
    assert_eq!(run_refused, BTreeSet::from([42]));
    assert_eq!(run_issued.len(), 299);
    assert_eq!(std::fs::read_dir(batch_dir(&out).join("notices")).unwrap().count(), 299);
    // The template tail is one note, not 5,000 messages.
    assert!(run.stdout.len() < 200_000, "{} bytes of output", run.stdout.len());
}

/// A row that is not issued still lands in the audit workbook and the ledger: a 40,000-character
/// 申請番号 on a 却下 row must not make those unwritable and lose the batch.
#[test]
fn a_huge_value_on_a_row_not_issued_does_not_lose_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(dir.path(), &[ordinary(0)]);
    let mut body = std::fs::read_to_string(&path).unwrap();
    let office = office_no(1);
    body.push_str(&format!(
        "{},再発行,却下,{office},株式会社みどり,100-0013,東京都千代田区霞が関1丁目3番2号,,03-1234-5678,03-1234-5679,KJ13{office},\r\n",
        "\\".repeat(40_000)
    ));
    std::fs::write(&path, body).unwrap();
    let out = dir.path().join("out");
    let check = tsuchi(&["check", path.to_str().unwrap(), "--out", dir.path().join("c").to_str().unwrap()], dir.path());
    let run = tsuchi(&["run", path.to_str().unwrap(), "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(check.status.code(), run.status.code(), "{}", text(&run.stderr));
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let log = common::xlsx_rows(&batch_dir(&out).join("audit").join("監査ログ.xlsx"));
    assert!(!log.is_empty());
}
