//! 監査ログ.xlsx and events.jsonl: the audit trail of one batch (written into the batch) or of
//! a period (`tsuchi audit export`), both from ledger records. No secret is in any record.

use std::path::Path;

use crate::ground::model::NoticeKind;
use crate::ground::xlsx::{self, Cell, Table};

use super::rows::{BatchRow, Event, Head, Outcome, RequestRecord};
pub use super::rows::{jsonl, read_jsonl, write_jsonl};

#[derive(Debug, thiserror::Error)]
#[error("{}", crate::msg!("audit.log_cannot_write", path = .path.display(), detail = .detail))]
pub struct AuditWriteError {
    pub path: std::path::PathBuf,
    pub detail: String,
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
pub fn write_xlsx<'a>(
    path: &Path,
    batches: &'a [BatchRow],
    requests: &'a [(&'a str, &'a RequestRecord)],
    events: impl Iterator<Item = Event> + 'a,
    head: Option<&'a Head>,
) -> Result<(), AuditWriteError> {
    let count = |id: &str, o: Outcome| requests.iter().filter(|(b, r)| *b == id && r.outcome == o).count() as f64;
    let summary = batches.iter().map(move |b| {
        let mut row: Vec<Cell> = [
            &b.id,
            &b.started,
            &b.finished,
            &b.operator,
            &b.host,
            &b.tool,
            &b.input_path,
            &b.input_sha256,
            b.config_sha256.as_ref().unwrap_or(&"（既定値）".to_string()),
            &b.issue_date,
            &b.zip_encryption,
        ]
        .into_iter()
        .map(|t| Cell::Text(t.clone()))
        .collect();
        row.extend(
            [Outcome::Issued, Outcome::Skipped, Outcome::Rejected, Outcome::AlreadyIssued]
                .map(|o| Cell::Number(count(&b.id, o))),
        );
        row
    });
    let request_row = |&(b, r): &(&str, &RequestRecord)| -> Vec<Cell> {
        vec![
            b.into(),
            Cell::Number(r.row as f64),
            r.request_id.as_str().into(),
            NoticeKind::from_alias(&r.kind).map(|k| k.label()).unwrap_or_default().into(),
            r.office_no.as_str().into(),
            outcome_label(r.outcome).into(),
            r.reason.as_str().into(),
            r.reissue_of.clone().unwrap_or_default().into(),
            r.reissue_reason.clone().unwrap_or_default().into(),
        ]
    };
    let issued = requests.iter().filter(|(_, r)| r.outcome == Outcome::Issued).map(request_row);
    let others = requests.iter().filter(|(_, r)| r.outcome != Outcome::Issued).map(request_row);
    let event_rows = events.map(|e| {
        vec![
            Cell::Number(e.seq as f64),
            e.batch_id.into(),
            e.at.into(),
            e.kind.into(),
            e.detail.text().into(),
            e.prev_hash.into(),
            e.hash.into(),
        ]
    });
    let request_header =
        ["バッチID", "行", "申請番号", "通知種別", "事業所番号", "結果", "理由・備考", "再発行元", "再発行の理由"];
    let request_widths = [18.0, 6.0, 14.0, 16.0, 12.0, 10.0, 60.0, 18.0, 30.0];
    let head_rows = head.map(|h| {
        vec![
            Cell::Number(h.count as f64),
            h.hash.as_str().into(),
            h.grouped().into(),
            format!("tsuchi verify --head {h}").into(),
        ]
    });
    let tables = vec![
        Table {
            name: "概要",
            header: &[
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
            ],
            widths: &[18.0, 26.0, 26.0, 12.0, 12.0, 14.0, 30.0, 66.0, 66.0, 12.0, 12.0, 8.0, 8.0, 8.0, 8.0],
            rows: Box::new(summary),
        },
        Table { name: "発行一覧", header: &request_header, widths: &request_widths, rows: Box::new(issued) },
        Table { name: "差戻し一覧", header: &request_header, widths: &request_widths, rows: Box::new(others) },
        Table {
            name: "イベント",
            header: &["番号", "バッチID", "日時", "種類", "内容", "直前のハッシュ", "ハッシュ"],
            widths: &[8.0, 18.0, 30.0, 22.0, 80.0, 66.0, 66.0],
            rows: Box::new(event_rows),
        },
        Table {
            name: "連鎖の先頭",
            header: &["イベント件数", "ハッシュ", "紙の控え（8桁ずつ）", "確かめ方"],
            widths: &[12.0, 66.0, 76.0, 90.0],
            rows: Box::new(head_rows.into_iter()),
        },
    ];
    let fail = |detail: String| AuditWriteError { path: path.to_path_buf(), detail };
    // A document for auditors: Japanese whatever the console speaks.
    crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || xlsx::save(path, tables))
        .map_err(|e| fail(e.to_string()))
}
