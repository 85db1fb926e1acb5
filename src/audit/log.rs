//! 監査ログ.xlsx and events.jsonl: the audit trail of one batch (written into the batch) or of
//! a period (`tsuchi audit export`), both from ledger records. No secret is in any record.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::ledger::{BatchRow, Event, Outcome, RequestRecord};

#[derive(Debug, thiserror::Error)]
#[error("監査ログ「{}」を書き込めません：{detail}", .path.display())]
pub struct AuditWriteError {
    pub path: std::path::PathBuf,
    pub detail: String,
}

fn header(sheet: &mut Worksheet, names: &[&str], widths: &[f64]) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (c, (name, width)) in names.iter().zip(widths).enumerate() {
        sheet.write_string_with_format(0, c as u16, *name, &bold)?;
        sheet.set_column_width(c as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn rows(sheet: &mut Worksheet, rows: &[Vec<String>], columns: usize) -> Result<(), XlsxError> {
    for (i, row) in rows.iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write_string(i as u32 + 1, c as u16, value)?;
        }
    }
    sheet.autofilter(0, 0, rows.len() as u32, columns as u16 - 1)?;
    Ok(())
}

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::Issued => "発行",
        Outcome::Skipped => "承認以外",
        Outcome::Rejected => "差戻し",
        Outcome::AlreadyIssued => "発行済み",
    }
}

/// Writes 監査ログ.xlsx with the sheets 概要, 発行一覧, 差戻し一覧 and イベント.
pub fn write_xlsx(
    path: &Path,
    batches: &[BatchRow],
    requests: &[(String, RequestRecord)],
    events: &[Event],
) -> Result<(), AuditWriteError> {
    let build = || -> Result<Vec<u8>, XlsxError> {
        let mut book = Workbook::new();
        let count =
            |id: &str, o: Outcome| requests.iter().filter(|(b, r)| b == id && r.outcome == o).count().to_string();

        let sheet = book.add_worksheet().set_name("概要")?;
        let names = [
            "バッチID",
            "開始",
            "終了",
            "実行者",
            "ホスト",
            "版",
            "申請一覧",
            "申請一覧SHA-256",
            "設定SHA-256",
            "発行日",
            "ZIP暗号",
            "発行",
            "承認以外",
            "差戻し",
            "発行済み",
        ];
        header(sheet, &names, &[18.0, 26.0, 26.0, 12.0, 12.0, 14.0, 30.0, 66.0, 66.0, 12.0, 12.0, 8.0, 8.0, 8.0, 8.0])?;
        let summary: Vec<Vec<String>> = batches
            .iter()
            .map(|b| {
                vec![
                    b.id.clone(),
                    b.started.clone(),
                    b.finished.clone(),
                    b.operator.clone(),
                    b.host.clone(),
                    b.tool.clone(),
                    b.input_path.clone(),
                    b.input_sha256.clone(),
                    b.config_sha256.clone().unwrap_or_else(|| "（既定値）".into()),
                    b.issue_date.clone(),
                    b.zip_encryption.clone(),
                    count(&b.id, Outcome::Issued),
                    count(&b.id, Outcome::Skipped),
                    count(&b.id, Outcome::Rejected),
                    count(&b.id, Outcome::AlreadyIssued),
                ]
            })
            .collect();
        rows(sheet, &summary, names.len())?;

        let request_names =
            ["バッチID", "行", "申請番号", "通知種別", "事業所番号", "結果", "理由・備考", "再発行元", "再発行の理由"];
        let widths = [18.0, 6.0, 14.0, 22.0, 12.0, 10.0, 60.0, 18.0, 30.0];
        let to_row = |(b, r): &(String, RequestRecord)| {
            vec![
                b.clone(),
                r.row.to_string(),
                r.request_id.clone(),
                crate::intake::NoticeKind::from_alias(&r.kind).map(|k| k.label().to_string()).unwrap_or_default(),
                r.office_no.clone(),
                outcome_label(r.outcome).to_string(),
                r.reason.clone(),
                r.reissue_of.clone().unwrap_or_default(),
                r.reissue_reason.clone().unwrap_or_default(),
            ]
        };
        let issued: Vec<Vec<String>> =
            requests.iter().filter(|(_, r)| r.outcome == Outcome::Issued).map(to_row).collect();
        let sheet = book.add_worksheet().set_name("発行一覧")?;
        header(sheet, &request_names, &widths)?;
        rows(sheet, &issued, request_names.len())?;
        let others: Vec<Vec<String>> =
            requests.iter().filter(|(_, r)| r.outcome != Outcome::Issued).map(to_row).collect();
        let sheet = book.add_worksheet().set_name("差戻し一覧")?;
        header(sheet, &request_names, &widths)?;
        rows(sheet, &others, request_names.len())?;

        let sheet = book.add_worksheet().set_name("イベント")?;
        let event_names = ["番号", "バッチID", "日時", "種類", "内容", "直前のハッシュ", "ハッシュ"];
        header(sheet, &event_names, &[8.0, 18.0, 26.0, 22.0, 80.0, 66.0, 66.0])?;
        let event_rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| {
                vec![
                    e.seq.to_string(),
                    e.batch_id.clone(),
                    e.at.clone(),
                    e.kind.clone(),
                    e.detail.to_string(),
                    e.prev_hash.clone(),
                    e.hash.clone(),
                ]
            })
            .collect();
        rows(sheet, &event_rows, event_names.len())?;
        book.save_to_buffer()
    };
    let fail = |detail: String| AuditWriteError { path: path.to_path_buf(), detail };
    let bytes = build().map_err(|e| fail(e.to_string()))?;
    crate::fsutil::write_atomic(path, &bytes).map_err(|e| fail(e.to_string()))
}

/// events.jsonl: one event a line, exactly as chained in the ledger.
pub fn jsonl(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend(serde_json::to_vec(e).expect("events serialise"));
        out.push(b'\n');
    }
    out
}
