//! Property tests: no input bytes make the reader panic, and every data row of a readable
//! file ends up exactly once as a request, a skipped row or a rejected row.

use proptest::prelude::*;
use tsuchi::engine::intake::{self, ReadOptions};

fn read_bytes(name: &str, bytes: &[u8]) -> Result<intake::Intake, intake::IntakeError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    intake::read(&path, &ReadOptions::default())
}

const HEADER: &str = "申請番号,通知種別,審査結果,事業所番号,事業所名,郵便番号,住所,電話番号,FAX番号,ユーザID";

/// Cells drawn from values that matter (valid and nearly valid codes, odd characters).
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("承認".to_string()),
        Just("却下".to_string()),
        Just("登録結果".to_string()),
        Just("再発行".to_string()),
        Just("1311111114".to_string()),
        Just("175701069".to_string()),
        Just("100-0013".to_string()),
        Just("KJ131311111114".to_string()),
        Just("03-1234-5678".to_string()),
        Just("\u{E000}".to_string()),
        Just("𠮷".to_string()),
        Just("𱁬".to_string()),
        Just("\"a,\r\nb\"".to_string()),
        "[ -~ぁ-んァ-ヶ亜-熙０-９ー－]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_bytes_make_the_csv_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_bytes("t.csv", &bytes);
    }

    #[test]
    fn no_bytes_make_the_workbook_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_bytes("t.xlsx", &bytes);
        let _ = read_bytes("t.ods", &bytes);
        let _ = read_bytes("t.xls", &bytes);
    }

    #[test]
    fn corrupted_sample_workbooks_do_not_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/samples/requests.xlsx")).unwrap();
        let len = bytes.len();
        for (at, value) in flips {
            bytes[at.index(len)] = value;
        }
        let _ = read_bytes("t.xlsx", &bytes);
    }

    #[test]
    fn every_data_row_is_accounted_for_once(rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..12), 1..20)) {
        let mut text = format!("{HEADER}\r\n");
        for row in &rows {
            text.push_str(&row.join(","));
            text.push_str("\r\n");
        }
        if let Ok(intake) = read_bytes("t.csv", text.as_bytes()) {
            prop_assert_eq!(
                intake.data_rows,
                intake.requests.len() + intake.skipped.len() + intake.rejected_rows()
            );
        }
    }

    #[test]
    fn csv_rows_are_numbered_by_the_terminators_before_them(
        lines in proptest::collection::vec(("[a-z0-9]{0,4}", prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]), 1..20)
    ) {
        // A data line is ID,再発行,… so that it is rejected or issued, never blank; an empty
        // one is a blank line. A row is 1 + the terminators before it, CRLF counting once (so
        // a blank line ended by CR followed by one starting with LF are one blank line).
        let mut text = format!("{HEADER}\n");
        let mut expected = Vec::new();
        for (id, eol) in &lines {
            if !id.is_empty() {
                expected.push(1 + text.replace("\r\n", "\n").matches(['\r', '\n']).count());
                text.push_str(&format!("{id},再発行,承認,1311111114,さくら苑,100-0013,東京都,,,KJ131311111114"));
            }
            text.push_str(eol);
        }
        let intake = read_bytes("t.csv", text.as_bytes()).unwrap();
        let mut rows: Vec<usize> = intake.requests.iter().map(|r| r.row).chain(intake.rejections.iter().map(|r| r.row)).collect();
        rows.sort_unstable();
        rows.dedup();
        prop_assert_eq!(rows, expected);
    }
}
