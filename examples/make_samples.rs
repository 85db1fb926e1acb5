//! Regenerates the request lists in `samples/`:
//! `cargo run --example make_samples`.
//!
//! `requests.xlsx` and `requests_sjis.csv` hold the same approved requests (the CSV as
//! Japanese Excel saves it: CP932, CRLF); `requests_with_mistakes.xlsx` shows every kind of
//! rejection next to rows that go through.

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use tsuchi::engine::intake::fields::office_check_digit;

const HEADER: [&str; 12] = [
    "申請番号",
    "通知種別",
    "審査結果",
    "事業所番号",
    "事業所名",
    "郵便番号",
    "住所",
    "電話番号",
    "FAX番号",
    "ユーザID",
    "請求先都道府県",
    "宛名",
];

/// (prefecture, 区分+郡市区+番号 payload after the prefecture, kind, name, postal, address, phone, fax, attention)
type Office = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const OFFICES: [Office; 20] = [
    (
        "13",
        "7100001",
        "登録結果",
        "社会福祉法人あおぞら会 特別養護老人ホームさくら苑",
        "100-0013",
        "東京都千代田区霞が関1丁目3番2号",
        "03-3581-0001",
        "03-3581-0002",
        "施設長 山田 太郎",
    ),
    (
        "13",
        "7100012",
        "再発行",
        "訪問介護ステーションひまわり",
        "160-0023",
        "東京都新宿区西新宿2-8-1 新宿ビル3F",
        "03-5321-1111",
        "03-5321-1112",
        "",
    ),
    (
        "13",
        "7100023",
        "証明書PW再発行",
        "訪問介護ステーションひまわり 第二事業所",
        "160-0023",
        "東京都新宿区西新宿2-8-1 新宿ビル4F",
        "03-5321-1113",
        "03-5321-1114",
        "",
    ),
    (
        "01",
        "7570106",
        "登録結果",
        "株式会社北の大地ケアサービス 札幌中央営業所",
        "060-0001",
        "北海道札幌市中央区北一条西2丁目1番地",
        "011-231-4111",
        "011-231-4112",
        "管理者 佐藤 花子",
    ),
    (
        "01",
        "1235467",
        "再発行",
        "医療法人社団 髙橋内科クリニック",
        "064-0941",
        "北海道札幌市中央区旭ケ丘5丁目6-7",
        "011-561-0001",
        "011-561-0002",
        "",
    ),
    (
        "27",
        "7200015",
        "登録結果",
        "デイサービスセンター 陽だまりの家",
        "530-0001",
        "大阪府大阪市北区梅田1-1-3 大阪駅前第3ビル12階",
        "06-6345-0001",
        "06-6345-0002",
        "",
    ),
    (
        "27",
        "7200026",
        "再発行",
        "グループホーム なごみ",
        "543-0001",
        "大阪府大阪市天王寺区上本町6丁目5-13",
        "06-6771-0001",
        "06-6771-0002",
        "管理者 中村 健一",
    ),
    (
        "27",
        "7200026",
        "証明書PW再発行",
        "グループホーム なごみ",
        "543-0001",
        "大阪府大阪市天王寺区上本町6丁目5-13",
        "06-6771-0001",
        "06-6771-0002",
        "管理者 中村 健一",
    ),
    (
        "23",
        "7300011",
        "登録結果",
        "有限会社みどり介護サービス",
        "460-0001",
        "愛知県名古屋市中区三の丸3丁目1番1号",
        "052-961-0001",
        "052-961-0002",
        "",
    ),
    (
        "23",
        "9300022",
        "再発行",
        "小規模多機能型居宅介護 ふれあいの里",
        "466-0064",
        "愛知県名古屋市昭和区鶴舞1-2-3",
        "052-741-0001",
        "052-741-0002",
        "",
    ),
    (
        "40",
        "7400013",
        "登録結果",
        "居宅介護支援事業所 﨑山ケアプランセンター",
        "810-0001",
        "福岡県福岡市中央区天神1丁目8番1号",
        "092-711-0001",
        "092-711-0002",
        "介護支援専門員 﨑山 直子",
    ),
    (
        "40",
        "7400024",
        "再発行",
        "通所リハビリテーション はなみずき",
        "812-0011",
        "福岡県福岡市博多区博多駅前2-1-1",
        "092-441-0001",
        "092-441-0002",
        "",
    ),
    (
        "40",
        "7400024",
        "証明書PW再発行",
        "通所リハビリテーション はなみずき",
        "812-0011",
        "福岡県福岡市博多区博多駅前2-1-1",
        "092-441-0001",
        "092-441-0002",
        "",
    ),
    (
        "04",
        "7100015",
        "登録結果",
        "社会福祉法人杜の都福祉会 短期入所生活介護 けやき",
        "980-0811",
        "宮城県仙台市青葉区一番町4丁目7-17",
        "022-261-0001",
        "022-261-0002",
        "",
    ),
    (
        "04",
        "7100026",
        "再発行",
        "訪問看護ステーション 青葉",
        "980-0021",
        "宮城県仙台市青葉区中央3-3-3",
        "022-222-0001",
        "022-222-0002",
        "",
    ),
    (
        "14",
        "7100017",
        "証明書PW再発行",
        "株式会社湘南ライフサポート 訪問入浴介護事業所",
        "231-0001",
        "神奈川県横浜市中区新港1-1-1",
        "045-211-0001",
        "045-211-0002",
        "",
    ),
    (
        "14",
        "7100028",
        "再発行",
        "認知症対応型共同生活介護 うみかぜ",
        "251-0052",
        "神奈川県藤沢市藤沢1丁目1番地の1",
        "0466-25-0001",
        "0466-25-0002",
        "",
    ),
    (
        "26",
        "7100019",
        "登録結果",
        "一般社団法人 京の杜 福祉用具貸与事業所",
        "604-8571",
        "京都府京都市中京区寺町通御池上る上本町488",
        "075-222-0001",
        "075-222-0002",
        "",
    ),
    (
        "26",
        "7100020",
        "再発行",
        "介護老人保健施設 鴨川の郷",
        "606-8501",
        "京都府京都市左京区吉田本町",
        "075-753-0001",
        "075-753-0002",
        "事務長 小林 誠",
    ),
    (
        "47",
        "7100011",
        "証明書PW再発行",
        "訪問介護事業所 ちゅら海ケア",
        "900-0021",
        "沖縄県那覇市泉崎1丁目2番2号",
        "098-866-0001",
        "098-866-0002",
        "",
    ),
];

fn office_no(pref: &str, payload: &str) -> String {
    let nine = format!("{pref}{payload}");
    format!("{nine}{}", office_check_digit(&nine).expect("digits"))
}

/// Rows as the clerk's sheet shows them (cell text).
fn approved_rows() -> Vec<[String; 12]> {
    OFFICES
        .iter()
        .enumerate()
        .map(|(i, (pref, payload, kind, name, postal, address, phone, fax, attention))| {
            let no = office_no(pref, payload);
            [
                format!("R08-{:04}", i + 1),
                kind.to_string(),
                "承認".to_string(),
                no.clone(),
                name.to_string(),
                postal.to_string(),
                address.to_string(),
                phone.to_string(),
                fax.to_string(),
                format!("KJ{pref}{no}"),
                pref.to_string(),
                attention.to_string(),
            ]
        })
        .collect()
}

fn write_sheet(sheet: &mut Worksheet, rows: &[[String; 12]]) -> Result<(), rust_xlsxwriter::XlsxError> {
    let bold = Format::new().set_bold();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            // A clerk types office numbers as numbers: Excel keeps them as numbers, and those
            // of Hokkaido–Tochigi lose their leading zero.
            match value.parse::<f64>() {
                Ok(n) if c == 3 && !value.contains('-') => sheet.write_number(r, c, n)?,
                _ => sheet.write_string(r, c, value)?,
            };
        }
    }
    for (c, width) in [10, 14, 8, 12, 44, 10, 44, 14, 14, 16, 12, 24].into_iter().enumerate() {
        sheet.set_column_width(c as u16, width)?;
    }
    Ok(())
}

fn save(path: &str, rows: &[[String; 12]]) -> Result<(), rust_xlsxwriter::XlsxError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("申請一覧")?;
    write_sheet(sheet, rows)?;
    book.save(path)
}

/// The CSV Excel writes from the same sheet: numbers as displayed (no leading zero), CP932.
fn save_sjis_csv(path: &str, rows: &[[String; 12]]) {
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    out.write_record(HEADER).unwrap();
    for row in rows {
        let shown: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, v)| if c == 3 { v.trim_start_matches('0').to_string() } else { v.clone() })
            .collect();
        out.write_record(&shown).unwrap();
    }
    let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable, "sample text must be representable in CP932");
    std::fs::write(path, bytes).unwrap();
}

fn mistakes() -> Vec<[String; 12]> {
    let good = approved_rows();
    let mut rows = Vec::new();
    let mut push = |id: &str, base: usize, edit: &dyn Fn(&mut [String; 12])| {
        let mut row = good[base].clone();
        row[0] = id.to_string();
        edit(&mut row);
        rows.push(row);
    };
    push("M-01", 0, &|_| {});
    push("M-02", 1, &|r| r[3] = "1311111111".into()); // the seed's placeholder: bad check digit
    push("M-03", 5, &|r| r[5] = "53-00001".into()); // bad postal code
    push("M-04", 8, &|_| {}); // duplicate 申請番号 …
    push("M-04", 9, &|_| {}); // … given twice
    push("M-05", 10, &|r| r[1] = "変更届".into()); // unknown 通知種別
    push("M-06", 11, &|r| r[4] = "通所リハビリテーション\u{E001}はなみずき".into()); // 外字 (CP932 F041)
    push("M-07", 13, &|r| r[4] = "𱁬田ケアサービス".into()); // in no bundled font (CJK Extension G)
    push("M-08", 3, &|r| r[3] = "175701068".into()); // 9 digits, no valid repair
    push("M-09", 14, &|r| r[6] = String::new()); // required 住所 missing
    push("M-10", 17, &|r| r[7] = String::new()); // 登録結果 without 電話番号
    push("M-11", 15, &|r| r[9] = "KJ-1410000".into()); // bad user ID
    push("M-12", 16, &|r| r[5] = "=1+2".into()); // a value that would be a formula
    push("M-13", 18, &|r| r[2] = "却下".into()); // not approved: skipped, not rejected
    push("M-14", 19, &|r| r[9] = format!("KJ47{}", "4710000001")); // mismatching user ID: a note
    rows
}

fn main() {
    std::fs::create_dir_all("samples").unwrap();
    let rows = approved_rows();
    save("samples/requests.xlsx", &rows).unwrap();
    save_sjis_csv("samples/requests_sjis.csv", &rows);
    save("samples/requests_with_mistakes.xlsx", &mistakes()).unwrap();
    println!("samples/requests.xlsx, samples/requests_sjis.csv, samples/requests_with_mistakes.xlsx を書き出しました");
}
