//! The audit events of a batch, typed. Each variant is serialised here and only here into the
//! `kind` and JSON `detail` the ledger chains and hashes; the strings and field names are a
//! stored format (existing ledgers are verified against them), so a rename here is a migration.
//! No event carries a secret: the types below have no field that could hold one.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use super::manifest::Source;
use super::rows::BatchRow;
use crate::ground::model::{NoticeKind, ZipOpening};

/// Something that happened in a batch, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "detail")]
pub enum AuditEvent {
    #[serde(rename = "batch.started")]
    BatchStarted {
        input: Source,
        /// `None` when tsuchi ran on its defaults.
        config_sha256: Option<String>,
        operator: String,
        host: String,
        /// `tsuchi <version>`.
        tool: String,
        issue_date: NaiveDate,
        /// `aes256` or `zip_crypto`.
        zip_encryption: String,
        /// What recovery did with a run that was cut off.
        recovery: Vec<String>,
    },
    /// The batch packs with ZipCrypto; the warning the clerk was shown.
    #[serde(rename = "zip.zipcrypto")]
    ZipCrypto { warning: String },
    /// The 発行日 is more than a year from today and was let through with `--allow-date`; the
    /// warning the clerk was shown.
    #[serde(rename = "batch.issue_date_allowed")]
    IssueDateAllowed { issue_date: NaiveDate, warning: String },
    #[serde(rename = "request.issued")]
    RequestIssued {
        row: usize,
        request_id: String,
        kind: NoticeKind,
        office_no: String,
        /// The ユーザID and 請求先都道府県 the notice was issued for (an office billing several
        /// prefectures has one notice of a kind per ユーザID); a later batch finds the office's
        /// earlier notices by (事業所番号, ユーザID, kind). Absent in events recorded before
        /// they were kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prefecture: Option<String>,
        /// Paths relative to the batch folder.
        pdf: PathBuf,
        zip: PathBuf,
        zip_opening: ZipOpening,
        control_no: Option<String>,
        /// For a deliberate reissue: the batch that issued it before, and why again.
        reissue_of: Option<String>,
        reissue_reason: Option<String>,
    },
    #[serde(rename = "request.skipped")]
    RequestSkipped(NotIssued),
    #[serde(rename = "request.rejected")]
    RequestRejected(NotIssued),
    #[serde(rename = "request.already_issued")]
    RequestAlreadyIssued(NotIssued),
    /// The batch's システム登録ファイル: its path, the SHA-256 of its ciphertext, how many notices
    /// it holds, and the age public keys it is encrypted to. Never its content.
    #[serde(rename = "handoff.written")]
    HandoffWritten { file: PathBuf, sha256: String, rows: usize, recipients: Vec<String> },
    /// No システム登録ファイル, and why (no recipient configured).
    #[serde(rename = "handoff.not_written")]
    HandoffNotWritten { reason: String },
    #[serde(rename = "batch.completed")]
    BatchCompleted { counts: BTreeMap<String, usize> },
    /// The batch's `batches` row and a hash of each of its `requests` rows (by row number),
    /// bound into the chain before `batch.completed`: the head printed on the bundle's cover
    /// covers them.
    #[serde(rename = "batch.rows")]
    BatchRows(RowsSeal),
    /// The batch's `files` rows, recorded in the ledger once the folder is complete (so after
    /// the head on the cover, which is in one of those files, and not in `events.jsonl`).
    #[serde(rename = "batch.sealed")]
    BatchSealed(FilesSeal),
    /// A paper notice went out: its 書留番号 (and 発送日), read back from the mail room's list.
    #[serde(rename = "mail.sent")]
    MailSent {
        notice: NoticeRef,
        registered_no: String,
        sent_on: Option<NaiveDate>,
        /// The 発送リスト.xlsx it was read from.
        list: Source,
        operator: String,
        host: String,
    },
    /// A 書留番号 or 発送日 recorded wrongly, corrected from a 発送リスト with `mail import
    /// --correct`: the values recorded before and the new ones (the `mail.sent` event stays).
    #[serde(rename = "mail.corrected")]
    MailCorrected {
        notice: NoticeRef,
        was_registered_no: String,
        was_sent_on: Option<NaiveDate>,
        registered_no: String,
        sent_on: Option<NaiveDate>,
        list: Source,
        operator: String,
        host: String,
    },
    /// A notice came back (返戻): 宛所不明, 受取拒否 …
    #[serde(rename = "mail.returned")]
    MailReturned { notice: NoticeRef, reason: String, operator: String, host: String },
    /// A paper notice put into its envelope (封入済み): its page's control code read by the mail
    /// room's scanner (`tsuchi mail scan`).
    #[serde(rename = "mail.enclosed")]
    MailEnclosed { notice: NoticeRef, operator: String, host: String },
    /// A notice withdrawn: its passwords are not to be used. `spoiled`: its page was spoiled in
    /// the mail room (`tsuchi spoil`); never printed again, a later batch issues new passwords
    /// (`run --reissue`) and its hand-off marks these withdrawn.
    #[serde(rename = "notice.withdrawn")]
    NoticeWithdrawn { notice: NoticeRef, reason: String, spoiled: bool, operator: String, host: String },
    /// Files that held or opened with a plaintext password, overwritten and removed after mailing.
    #[serde(rename = "batch.purged")]
    BatchPurged {
        /// (path, SHA-256, size) of every file removed, as it was.
        files: Vec<(String, String, u64)>,
        /// Purged although some paper notices were neither sent nor returned.
        forced: bool,
        reason: Option<String>,
        operator: String,
        host: String,
    },
}

/// Which notice a lifecycle event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct NoticeRef {
    pub request_id: String,
    /// The kind's English alias.
    pub kind: String,
    pub office_no: String,
    /// The 管理番号 in the print bundle (paper notices).
    pub control_no: Option<String>,
}

/// Whether an event of `kind` is recorded after its batch was written (the files seal and a
/// notice's later life), so not in the batch folder's `events.jsonl`.
pub fn after_the_batch(kind: &str) -> bool {
    [SEALED, MAIL_SENT, MAIL_CORRECTED, MAIL_RETURNED, MAIL_ENCLOSED, WITHDRAWN, PURGED].contains(&kind)
}

/// The `kind`s of the lifecycle events.
pub const MAIL_SENT: &str = "mail.sent";
pub const MAIL_CORRECTED: &str = "mail.corrected";
pub const MAIL_RETURNED: &str = "mail.returned";
pub const MAIL_ENCLOSED: &str = "mail.enclosed";
pub const WITHDRAWN: &str = "notice.withdrawn";
pub const PURGED: &str = "batch.purged";

/// What [`AuditEvent::BatchRows`] binds.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RowsSeal {
    pub batch: BatchRow,
    /// (row number, SHA-256 of the row's canonical form) for every `requests` row.
    pub requests: Vec<(usize, String)>,
    /// Bound by the migration of a ledger written before rows were chained.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

/// What [`AuditEvent::BatchSealed`] binds.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct FilesSeal {
    /// (path, SHA-256, size) for every `files` row.
    pub files: Vec<(String, String, u64)>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

/// The `kind` of [`AuditEvent::BatchRows`].
pub const ROWS: &str = "batch.rows";

/// The `kind` of [`AuditEvent::BatchSealed`].
pub const SEALED: &str = "batch.sealed";

/// A request row that was not issued, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotIssued {
    pub row: usize,
    pub request_id: String,
    /// The kind's English alias; empty when the row had none.
    pub kind: String,
    pub reason: String,
    /// The row's 事業所番号 as written; recorded since rejected rows name it, absent before
    /// (and when the row had none), so older events hash as they did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_no: Option<String>,
}

impl AuditEvent {
    /// The event's `kind` and `detail` as the ledger stores them. A batch's file seal lists
    /// every file (300,000 for 100,000 notices): it is written straight to text, in the form
    /// the general way gives (an object of one key holds no key order to sort).
    pub fn to_detail(&self) -> (String, super::rows::Detail) {
        if let AuditEvent::BatchSealed(FilesSeal { files, adopted: false }) = self {
            // One buffer, sized to fit: the text of 300,000 files is tens of megabytes.
            let mut text = Vec::with_capacity(16 + files.iter().map(|(p, h, _)| p.len() + h.len() + 32).sum::<usize>());
            text.extend_from_slice(br#"{"files":"#);
            serde_json::to_writer(&mut text, files).expect("file rows serialise");
            text.push(b'}');
            let text = String::from_utf8(text).expect("serde_json writes UTF-8");
            return (SEALED.to_string(), super::rows::Detail::from_json(text).expect("serde_json writes JSON"));
        }
        let (kind, detail) = self.to_record();
        (kind, super::rows::Detail::of(&detail))
    }

    /// The event's `kind` and `detail` as a JSON value, keys sorted.
    pub fn to_record(&self) -> (String, serde_json::Value) {
        let mut value = serde_json::to_value(self).expect("an audit event serialises");
        let detail = value["detail"].take();
        let kind = value["kind"].as_str().expect("an audit event has a kind").to_string();
        (kind, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::audit::ledger::{Event, GENESIS};
    use serde_json::json;

    /// The hash the ledger stores for (kind, detail) at a fixed place in the chain.
    fn hash_of(kind: &str, detail: serde_json::Value) -> String {
        let mut event = Event {
            seq: 7,
            batch_id: "20250401-090000".into(),
            at: "2025-04-01T09:00:00.000000+09:00".into(),
            kind: kind.into(),
            detail: crate::engine::audit::rows::Detail::of(&detail),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        event.hash = event.computed_hash();
        event.hash
    }

    fn assert_same_hash(event: AuditEvent, kind: &str, old: serde_json::Value) {
        let (new_kind, detail) = event.to_record();
        assert_eq!(new_kind, kind);
        assert_eq!(hash_of(&new_kind, detail), hash_of(kind, old), "{kind}");
    }

    #[test]
    fn every_event_hashes_exactly_as_the_json_the_batch_built_before() {
        let input = Source { path: "requests.xlsx".into(), sha256: "ab".repeat(32), size: 1234 };
        let recovery = vec!["前回中断したバッチ x の作業用フォルダを削除しました".to_string()];
        let issue_date = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        assert_same_hash(
            AuditEvent::BatchStarted {
                input: input.clone(),
                config_sha256: None,
                operator: "clerk".into(),
                host: "pc01".into(),
                tool: "tsuchi 0.1.0".into(),
                issue_date,
                zip_encryption: "aes256".into(),
                recovery: recovery.clone(),
            },
            "batch.started",
            json!({
                "input": { "path": input.path, "sha256": input.sha256, "size": input.size },
                "config_sha256": Option::<String>::None,
                "operator": "clerk", "host": "pc01", "tool": "tsuchi 0.1.0",
                "issue_date": issue_date.to_string(), "zip_encryption": "aes256",
                "recovery": recovery,
            }),
        );
        assert_same_hash(
            AuditEvent::ZipCrypto { warning: "ZipCrypto は弱い".into() },
            "zip.zipcrypto",
            json!({ "warning": "ZipCrypto は弱い" }),
        );
        let reissue_of = Some("20250301-100000".to_string());
        for (reissue_of, reason) in [(None, None), (reissue_of.as_ref(), Some("再送".to_string()))] {
            let pdf = PathBuf::from("notices").join("1310000001_登録結果.pdf");
            let zip = PathBuf::from("zip").join("1310000001_登録結果.zip");
            assert_same_hash(
                AuditEvent::RequestIssued {
                    row: 3,
                    request_id: "R08-0001".into(),
                    kind: NoticeKind::LoginReissue,
                    office_no: "1310000001".into(),
                    user_id: None,
                    prefecture: None,
                    pdf: pdf.clone(),
                    zip: zip.clone(),
                    zip_opening: ZipOpening::Login,
                    control_no: Some("0001".into()),
                    reissue_of: reissue_of.cloned(),
                    reissue_reason: reason.clone(),
                },
                "request.issued",
                json!({
                    "row": 3usize, "request_id": "R08-0001", "kind": NoticeKind::LoginReissue,
                    "office_no": "1310000001", "pdf": pdf, "zip": zip, "zip_opening": ZipOpening::Login,
                    "control_no": Some("0001"), "reissue_of": reissue_of, "reissue_reason": reason,
                }),
            );
        }
        let not_issued = NotIssued {
            row: 5,
            request_id: "R08-0002".into(),
            kind: String::new(),
            reason: "承認以外".into(),
            office_no: None,
        };
        let old = json!({ "row": 5usize, "request_id": "R08-0002", "kind": "", "reason": "承認以外" });
        assert_same_hash(AuditEvent::RequestSkipped(not_issued.clone()), "request.skipped", old.clone());
        assert_same_hash(AuditEvent::RequestRejected(not_issued.clone()), "request.rejected", old.clone());
        assert_same_hash(AuditEvent::RequestAlreadyIssued(not_issued), "request.already_issued", old);
        let counts: BTreeMap<String, usize> = [("issued".to_string(), 3), ("rows".to_string(), 5)].into();
        assert_same_hash(
            AuditEvent::BatchCompleted { counts: counts.clone() },
            "batch.completed",
            json!({ "counts": counts }),
        );
    }

    #[test]
    fn the_handoff_events_record_hash_and_recipients_and_nothing_else() {
        let (kind, detail) = AuditEvent::HandoffWritten {
            file: PathBuf::from("handoff").join("b.csv.age"),
            sha256: "ab".repeat(32),
            rows: 2,
            recipients: vec!["age1example".into()],
        }
        .to_record();
        assert_eq!(kind, "handoff.written");
        assert_eq!(
            detail,
            json!({ "file": "handoff/b.csv.age", "sha256": "ab".repeat(32), "rows": 2, "recipients": ["age1example"] })
        );
        let (kind, detail) = AuditEvent::HandoffNotWritten { reason: "公開鍵がない".into() }.to_record();
        assert_eq!((kind.as_str(), detail), ("handoff.not_written", json!({ "reason": "公開鍵がない" })));
    }

    #[test]
    fn a_file_seal_written_straight_to_text_reads_as_the_general_way_writes_it() {
        let files = vec![
            ("notices/1_登録結果.pdf".to_string(), "ab".repeat(32), 31_096),
            ("zip/\"quoted\"\\.zip".to_string(), "cd".repeat(32), 0),
        ];
        for adopted in [false, true] {
            let event = AuditEvent::BatchSealed(FilesSeal { files: files.clone(), adopted });
            let (kind, detail) = event.to_detail();
            let (general_kind, value) = event.to_record();
            assert_eq!((kind, detail.text()), (general_kind, value.to_string().as_str()));
        }
    }

    #[test]
    fn a_known_event_keeps_its_recorded_canonical_form() {
        // Pinned bytes: existing ledgers were hashed over exactly this text.
        let (kind, detail) = AuditEvent::ZipCrypto { warning: "w".into() }.to_record();
        let event = Event {
            seq: 1,
            batch_id: "b".into(),
            at: "t".into(),
            kind,
            detail: crate::engine::audit::rows::Detail::of(&detail),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        assert_eq!(
            event.canonical(),
            format!(
                r#"{{"at":"t","batch_id":"b","detail":{{"warning":"w"}},"kind":"zip.zipcrypto","prev_hash":"{GENESIS}","seq":1}}"#
            )
        );
    }
}
