//! Intake rules, checked through the public API on the committed samples and on small files
//! written by the tests themselves.

use std::path::{Path, PathBuf};

use tsuchi::engine::intake::{self, Intake, NoticeKind, ReadOptions, Rejection};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples").join(name)
}

fn read(path: &Path) -> Intake {
    intake::read(path, &ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn write_csv(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const HEADER: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID\r\n";
const GOOD: &str = "R1,再発行,承認,1311111114,さくら苑,100-0013,東京都千代田区霞が関1-3-2,,,KJ131311111114\r\n";

fn rejection_for<'a>(intake: &'a Intake, row: usize, column: &str) -> &'a Rejection {
    intake
        .rejections
        .iter()
        .find(|r| r.row == row && r.column == column)
        .unwrap_or_else(|| panic!("no rejection at row {row} column {column}: {:#?}", intake.rejections))
}

#[test]
fn cp932_and_bom_csv_give_the_same_requests_as_the_xlsx() {
    let xlsx = read(&sample("requests.xlsx"));
    let sjis = read(&sample("requests_sjis.csv"));
    assert_eq!(xlsx.requests.len(), 20);
    assert!(xlsx.rejections.is_empty(), "{:#?}", xlsx.rejections);
    assert_eq!(xlsx.requests, sjis.requests);

    let dir = tempfile::tempdir().unwrap();
    let text = intake::decode_text(&std::fs::read(sample("requests_sjis.csv")).unwrap()).unwrap();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let bom_path = dir.path().join("bom.csv");
    std::fs::write(&bom_path, bom).unwrap();
    assert_eq!(read(&bom_path).requests, xlsx.requests);
    let plain_path = write_csv(dir.path(), "plain.csv", &text);
    assert_eq!(read(&plain_path).requests, xlsx.requests);
}

#[test]
fn samples_hold_all_three_kinds() {
    let intake = read(&sample("requests.xlsx"));
    for kind in NoticeKind::ALL {
        assert!(intake.requests.iter().filter(|r| r.kind == kind).count() >= 4, "{kind}");
    }
}

#[test]
fn names_and_addresses_are_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    // A compatibility ideograph (U+FA10) that even NFC would change, full-width digits and a
    // double space: none of them may be rewritten.
    let name = "\u{FA10}田ケア　ＡＢＣ  センター";
    let address = "東京都千代田区霞が関１−３−２";
    let line = format!("R1,再発行,承認,1311111114,{name},100-0013,{address},,,KJ131311111114\r\n");
    let intake = read(&write_csv(dir.path(), "t.csv", &format!("{HEADER}{line}")));
    assert_eq!(intake.requests[0].office_name.as_bytes(), name.as_bytes());
    assert_eq!(intake.requests[0].address.as_bytes(), address.as_bytes());
}

#[test]
fn code_fields_are_normalised_from_full_width_and_hyphen_lookalikes() {
    let dir = tempfile::tempdir().unwrap();
    let line = "Ｒ１,再発行,承認,１３１１１１１１１４,さくら苑,１００ー００１３,東京都千代田区霞が関１－３－２,,,ＫＪ１３１３１１１１１１１４\r\n";
    let intake = read(&write_csv(dir.path(), "t.csv", &format!("{HEADER}{line}")));
    let r = &intake.requests[0];
    assert_eq!(r.request_id.as_str(), "R1");
    assert_eq!(r.office_no.as_str(), "1311111114");
    assert_eq!(r.postal_code.to_string(), "100-0013");
    assert_eq!(r.user_id.as_str(), "KJ131311111114");
}

#[test]
fn nine_digit_office_no_is_repaired_only_when_its_check_digit_holds() {
    let intake = read(&sample("requests.xlsx"));
    let hokkaido = intake.requests.iter().find(|r| r.request_id.as_str() == "R08-0004").unwrap();
    assert_eq!(hokkaido.office_no.as_str(), "0175701069");
    assert!(intake.notes.iter().any(|n| n.row == Some(hokkaido.row) && n.message.contains("0175701069")));

    let mistakes = read(&sample("requests_with_mistakes.xlsx"));
    let r = rejection_for(&mistakes, 10, "事業所番号");
    assert_eq!(r.value, "175701068");
    assert!(r.reason.contains("9桁"), "{}", r.reason);
}

#[test]
fn each_mistake_is_rejected_with_a_reason_naming_row_and_column() {
    let intake = read(&sample("requests_with_mistakes.xlsx"));
    let cases: [(usize, &str, &str, &str); 11] = [
        (3, "事業所番号", "1311111111", "検査数字"),
        (4, "郵便番号", "53-00001", "郵便番号"),
        (5, "申請番号", "M-04", "重複"),
        (6, "申請番号", "M-04", "重複"),
        (7, "通知種別", "変更届", "通知種別"),
        (8, "事業所名", "通所リハビリテーション\u{E001}はなみずき", "U+E001"),
        (9, "事業所名", "𱁬田ケアサービス", "U+3106C"),
        (11, "住所", "", "空欄"),
        (12, "電話番号", "", "空欄"),
        (13, "ユーザID", "KJ-1410000", "KJ"),
        (14, "郵便番号", "=1+2", "郵便番号"),
    ];
    for (row, column, value, reason) in cases {
        let r = rejection_for(&intake, row, column);
        assert_eq!(r.value, value, "row {row}");
        assert!(r.reason.contains(reason), "row {row}: {}", r.reason);
        assert!(r.column_letter.is_some());
    }
    // Good rows still go through; the 却下 row is skipped, not rejected.
    assert_eq!(intake.requests.iter().map(|r| r.request_id.as_str()).collect::<Vec<_>>(), ["M-01", "M-14"]);
    assert_eq!(intake.skipped.len(), 1);
    assert_eq!(intake.skipped[0].status, "却下");
    assert_eq!(intake.data_rows, intake.requests.len() + intake.skipped.len() + intake.rejected_rows());
}

#[test]
fn rejects_duplicate_request_id_naming_the_other_row() {
    let dir = tempfile::tempdir().unwrap();
    let other = GOOD.replace("1311111114", "0175701069").replace("KJ131311111114", "KJ010175701069");
    let intake = read(&write_csv(dir.path(), "t.csv", &format!("{HEADER}{GOOD}{other}")));
    assert!(intake.requests.is_empty());
    assert!(rejection_for(&intake, 2, "申請番号").reason.contains("3行目"));
    assert!(rejection_for(&intake, 3, "申請番号").reason.contains("2行目"));
}

#[test]
fn rejects_two_notices_of_one_kind_for_one_office() {
    let dir = tempfile::tempdir().unwrap();
    let again = GOOD.replace("R1,", "R2,");
    let intake = read(&write_csv(dir.path(), "t.csv", &format!("{HEADER}{GOOD}{again}")));
    assert!(intake.requests.is_empty());
    assert!(rejection_for(&intake, 3, "事業所番号").reason.contains("2行目"));
}

#[test]
fn a_missing_status_column_means_all_approved_and_other_statuses_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace("審査結果,", "");
    let line = GOOD.replace("承認,", "");
    assert_eq!(read(&write_csv(dir.path(), "a.csv", &format!("{header}{line}"))).requests.len(), 1);
    let pending = GOOD.replace("承認", "保留");
    let intake = read(&write_csv(dir.path(), "b.csv", &format!("{HEADER}{pending}")));
    assert!(intake.requests.is_empty() && intake.rejections.is_empty());
    assert_eq!(intake.skipped[0].status, "保留");
}

#[test]
fn blank_rows_title_rows_and_unknown_columns_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace("\r\n", ",備考\r\n");
    let text = format!("令和8年1月分 申請一覧\r\n\r\n{header},,,,,,,,,,\r\n{GOOD}\r\n");
    let intake = read(&write_csv(dir.path(), "t.csv", &text));
    assert_eq!(intake.requests.len(), 1);
    assert_eq!(intake.requests[0].row, 5);
    assert!(intake.notes.iter().any(|n| n.message.contains("備考")));
    assert!(intake.notes.iter().any(|n| n.message.contains("表題")));
}

#[test]
fn english_aliases_in_any_order_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = "user_id,address,postal_code,office_name,office_no,kind,request_id\n\
                KJ131311111114,東京都千代田区,1000013,さくら苑,1311111114,login_reissue,A-1\n";
    let intake = read(&write_csv(dir.path(), "t.csv", text));
    assert_eq!(intake.requests.len(), 1, "{:#?}", intake.rejections);
    assert_eq!(intake.requests[0].kind, NoticeKind::LoginReissue);
}

#[test]
fn tab_separated_utf16_from_excel_unicode_text_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{HEADER}{GOOD}").replace(',', "\t");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let path = dir.path().join("t.txt");
    std::fs::write(&path, bytes).unwrap();
    assert_eq!(read(&path).requests.len(), 1);
}

#[test]
fn warns_when_user_id_does_not_repeat_the_office_number() {
    let intake = read(&sample("requests_with_mistakes.xlsx"));
    assert!(intake.notes.iter().any(|n| n.row == Some(16) && n.message.contains("ユーザID")));
}

#[test]
fn ods_xls_and_xlsm_give_the_same_requests_as_the_xlsx() {
    let xlsx = read(&sample("requests.xlsx"));
    // requests.ods and requests.xls are LibreOffice conversions of requests.xlsx (samples/README.md).
    assert_eq!(read(&sample("requests.ods")).requests, xlsx.requests);
    assert_eq!(read(&sample("requests.xls")).requests, xlsx.requests);
    let dir = tempfile::tempdir().unwrap();
    let xlsm = dir.path().join("requests.xlsm");
    std::fs::copy(sample("requests.xlsx"), &xlsm).unwrap();
    assert_eq!(read(&xlsm).requests, xlsx.requests);
}

#[test]
fn a_named_sheet_is_read_and_a_missing_one_is_named() {
    let options = ReadOptions { sheet: Some("申請一覧".into()), ..ReadOptions::default() };
    assert_eq!(intake::read(&sample("requests.xlsx"), &options).unwrap().requests.len(), 20);
    let options = ReadOptions { sheet: Some("2月分".into()), ..ReadOptions::default() };
    let err = intake::read(&sample("requests.xlsx"), &options).unwrap_err().to_string();
    assert!(err.contains("2月分") && err.contains("申請一覧"), "{err}");
}
