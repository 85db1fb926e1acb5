//! Intake: a clerk's request list (xlsx/xlsm/xls/ods/csv) becomes typed [`Request`]s, or
//! [`Rejection`]s that name row, column, value and reason in Japanese.
//!
//! A bad row never stops the good ones; only a file that cannot be read at all is an error.
//! Intake knows nothing of secrets, PDFs or output folders.

mod columns;
mod table;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use crate::model::fields;
pub use crate::model::{
    NoticeKind, OfficeNo, PhoneNo, PostalCode, Prefecture, Rejection, Request, RequestId, ReviewStatus, UserId,
};
pub use columns::{Column, column_letter};
pub use table::decode_text;

use columns::{HeaderMap, HeaderProblem};
use table::Row;

/// A file that cannot be read as a request list. Shown once, and nothing else is written.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("ファイル「{}」が見つかりません", .path.display())]
    NotFound { path: PathBuf },
    #[error("ファイル「{}」を読めません：{detail}", .path.display())]
    Io { path: PathBuf, detail: String },
    #[error("ファイル「{}」の形式（拡張子「{ext}」）には対応していません。xlsx・xlsm・xls・ods・csv のいずれかを指定してください", .path.display())]
    UnsupportedFormat { path: PathBuf, ext: String },
    #[error("ファイル「{}」をExcel/ODSのブックとして開けません（壊れているか、別の形式のファイルです）：{detail}", .path.display())]
    Workbook { path: PathBuf, detail: String },
    #[error("ファイル「{}」にシート「{sheet}」がありません（あるシート：{available}）", .path.display())]
    SheetNotFound { path: PathBuf, sheet: String, available: String },
    #[error("ファイル「{}」の文字コードを判別できません（UTF-8・Shift_JIS のどちらでもありません）", .path.display())]
    Encoding { path: PathBuf },
    #[error("ファイル「{}」をCSVとして読めません（{line}行目付近）：{detail}", .path.display())]
    Csv { path: PathBuf, line: u64, detail: String },
    #[error("ファイル「{}」にデータがありません", .path.display())]
    Empty { path: PathBuf },
    #[error("ファイル「{}」に見出し行が見つかりません。先頭の行に「申請番号」「通知種別」「事業所番号」などの列名を入れてください", .path.display())]
    NoHeader { path: PathBuf },
    #[error("ファイル「{}」の見出し行（{row}行目）に必須の列がありません：{missing}", .path.display())]
    MissingColumns { path: PathBuf, row: usize, missing: String },
    #[error("ファイル「{}」の見出し行（{row}行目）に列「{column}」が2回あります（{first}列と{second}列）", .path.display())]
    DuplicateColumn { path: PathBuf, row: usize, column: String, first: String, second: String },
}

/// An approved-or-not decision that keeps a row out of the batch without it being an error.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    pub row: usize,
    pub request_id: String,
    pub office_no: String,
    pub status: String,
    /// The 審査結果 column as written, and its letter.
    pub column: String,
    pub column_letter: Option<String>,
}

impl Skipped {
    /// The row as a line of the not-issued list.
    pub fn as_rejection(&self) -> Rejection {
        Rejection {
            row: self.row,
            column: self.column.clone(),
            column_letter: self.column_letter.clone(),
            value: self.status.clone(),
            reason: format!("審査結果が「{}」のため発行しません（承認の行だけを発行します）", self.status),
        }
    }
}

/// Something the clerk should know that does not stop a row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

/// The outcome of reading a request list.
#[derive(Debug, Clone, Default)]
pub struct Intake {
    pub requests: Vec<Request>,
    pub skipped: Vec<Skipped>,
    pub rejections: Vec<Rejection>,
    pub notes: Vec<Note>,
    /// Non-blank data rows read (issued + skipped + rejected).
    pub data_rows: usize,
    /// The header row as the clerk wrote it.
    header: Option<HeaderMap>,
}

impl Intake {
    /// Number of distinct rows rejected.
    pub fn rejected_rows(&self) -> usize {
        distinct_rows(&self.rejections)
    }

    /// A column's header as the clerk wrote it, and its Excel letter, for messages.
    pub fn column(&self, column: Column) -> (String, Option<String>) {
        match &self.header {
            Some(h) => (h.header_of(column), h.position(column).map(column_letter)),
            None => (column.header().to_string(), None),
        }
    }
}

/// How many rows `rejections` name (a row with several problems counts once).
pub fn distinct_rows(rejections: &[Rejection]) -> usize {
    rejections.iter().map(|r| r.row).collect::<std::collections::BTreeSet<_>>().len()
}

/// Options for reading a request list.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Sheet to read; the first sheet when `None`.
    pub sheet: Option<String>,
}

/// Reads and validates a request list.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Intake, IntakeError> {
    let rows = table::read_rows(path, options.sheet.as_deref())?;
    let mut non_blank = rows.iter().filter(|r| !r.is_blank()).peekable();
    if non_blank.peek().is_none() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    // The header is the first non-empty row; a title row above it (common in Excel lists)
    // is passed over with a note, as long as it names no column.
    let header_row = rows
        .iter()
        .filter(|r| !r.is_blank())
        .take(10)
        .find(|r| HeaderMap::known_count(&r.cells) > 0)
        .ok_or_else(|| IntakeError::NoHeader { path: path.to_path_buf() })?;
    let header = HeaderMap::from_cells(&header_row.cells).map_err(|problem| match problem {
        HeaderProblem::Missing(cols) => IntakeError::MissingColumns {
            path: path.to_path_buf(),
            row: header_row.number,
            missing: cols.iter().map(|c| format!("「{}」", c.header())).collect::<Vec<_>>().join(""),
        },
        HeaderProblem::Duplicate { column, first, second } => IntakeError::DuplicateColumn {
            path: path.to_path_buf(),
            row: header_row.number,
            column,
            first: column_letter(first),
            second: column_letter(second),
        },
    })?;

    let mut intake = Intake { header: Some(header.clone()), ..Intake::default() };
    let skipped_above: Vec<usize> =
        rows.iter().filter(|r| !r.is_blank() && r.number < header_row.number).map(|r| r.number).collect();
    if let (Some(first), Some(last)) = (skipped_above.first(), skipped_above.last()) {
        intake.notes.push(Note {
            row: None,
            column: None,
            message: format!(
                "見出し行（{}行目）より上の行（{first}〜{last}行目）は表題とみなして読み飛ばしました",
                header_row.number
            ),
        });
    }
    if !header.unknown.is_empty() {
        intake.notes.push(Note {
            row: None,
            column: None,
            message: format!(
                "使わない列があります（無視しました）：{}",
                header.unknown.iter().map(|c| format!("「{c}」")).collect::<String>()
            ),
        });
    }

    let mut candidates = Vec::new();
    for row in rows.iter().filter(|r| r.number > header_row.number && !r.is_blank()) {
        intake.data_rows += 1;
        let mut check = RowCheck { header: &header, row, rejections: Vec::new(), notes: Vec::new() };
        let status = header.position(Column::Status).map(|_| ReviewStatus::parse(check.raw(Column::Status)));
        let request_id = check.raw(Column::RequestId).to_string();
        if let Some(ReviewStatus::NotApproved(status)) = status {
            intake.skipped.push(Skipped {
                row: row.number,
                request_id,
                office_no: check.raw(Column::OfficeNo).to_string(),
                status: if status.is_empty() { "（空欄）".to_string() } else { status },
                column: header.header_of(Column::Status),
                column_letter: header.position(Column::Status).map(column_letter),
            });
            continue;
        }
        let request = check.request();
        intake.notes.append(&mut check.notes);
        candidates.push((row.number, request_id, request, check.rejections));
    }

    reject_duplicates(&header, &mut candidates, &intake.skipped);
    for (_, _, request, mut rejections) in candidates {
        match request {
            Some(request) if rejections.is_empty() => intake.requests.push(request),
            _ => intake.rejections.append(&mut rejections),
        }
    }
    intake.rejections.sort_by_key(|r| r.row);
    Ok(intake)
}

type Candidate = (usize, String, Option<Request>, Vec<Rejection>);

/// 申請番号 must be unique in the file, and one batch cannot hold two notices of one kind for
/// one office (they would share a file name). Every row of such a group is rejected: tsuchi
/// cannot know which one the clerk meant.
fn reject_duplicates(header: &HeaderMap, candidates: &mut [Candidate], skipped: &[Skipped]) {
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (row, id, _, _) in candidates.iter() {
        if let Ok(id) = RequestId::parse(id) {
            by_id.entry(id.as_str().to_string()).or_default().push(*row);
        }
    }
    for s in skipped {
        if let Ok(id) = RequestId::parse(&s.request_id) {
            by_id.entry(id.as_str().to_string()).or_default().push(s.row);
        }
    }
    let mut by_office_kind: HashMap<(OfficeNo, NoticeKind), Vec<usize>> = HashMap::new();
    for (row, _, request, _) in candidates.iter() {
        if let Some(r) = request {
            by_office_kind.entry((r.office_no.clone(), r.kind)).or_default().push(*row);
        }
    }
    let others = |rows: &[usize], me: usize| {
        rows.iter().filter(|&&r| r != me).map(|r| format!("{r}行目")).collect::<Vec<_>>().join("・")
    };
    for (row, id, request, rejections) in candidates.iter_mut() {
        if let Ok(parsed) = RequestId::parse(id)
            && let Some(rows) = by_id.get(parsed.as_str()).filter(|rows| rows.len() > 1)
        {
            rejections.push(Rejection {
                row: *row,
                column: header.header_of(Column::RequestId),
                column_letter: header.position(Column::RequestId).map(column_letter),
                value: id.clone(),
                reason: format!(
                    "申請番号が重複しています（{}と同じ）。申請番号はファイル内で一意にしてください",
                    others(rows, *row)
                ),
            });
        }
        if let Some(r) = request
            && let Some(rows) = by_office_kind.get(&(r.office_no.clone(), r.kind)).filter(|rows| rows.len() > 1)
        {
            rejections.push(Rejection {
                row: *row,
                column: header.header_of(Column::OfficeNo),
                column_letter: header.position(Column::OfficeNo).map(column_letter),
                value: r.office_no.to_string(),
                reason: format!(
                    "同じ事業所番号・通知種別（{}）の申請が{}にもあります。1つにまとめてください",
                    r.kind,
                    others(rows, *row)
                ),
            });
        }
    }
}

/// Validates the cells of one row, collecting every problem rather than stopping at the first.
struct RowCheck<'a> {
    header: &'a HeaderMap,
    row: &'a Row,
    rejections: Vec<Rejection>,
    notes: Vec<Note>,
}

impl RowCheck<'_> {
    fn raw(&self, col: Column) -> &str {
        self.header.position(col).map(|i| self.row.cell(i)).unwrap_or("")
    }

    fn reject(&mut self, col: Column, reason: String) {
        self.rejections.push(Rejection {
            row: self.row.number,
            column: self.header.header_of(col),
            column_letter: self.header.position(col).map(column_letter),
            value: self.raw(col).to_string(),
            reason,
        });
    }

    fn note(&mut self, col: Column, message: String) {
        self.notes.push(Note { row: Some(self.row.number), column: Some(self.header.header_of(col)), message });
    }

    /// A code field: blank is "missing" when required, otherwise parsed.
    fn code<T>(&mut self, col: Column, required: bool, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.raw(col).to_string();
        if raw.trim().is_empty() {
            if required {
                let reason = if self.header.position(col).is_some() {
                    format!("{}が空欄です（必須）", col.header())
                } else {
                    format!("{}の列がありません（この通知種別では必須）", col.header())
                };
                self.reject(col, reason);
            }
            return None;
        }
        parse(&raw).map_err(|reason| self.reject(col, reason)).ok()
    }

    /// A printed field (name, address): kept byte-for-byte, checked for unprintable characters.
    fn printed(&mut self, col: Column, required: bool) -> Option<String> {
        let raw = self.raw(col).to_string();
        if text::is_blank(&raw) {
            if required {
                self.reject(col, format!("{}が空欄です（必須）", col.header()));
            }
            return None;
        }
        match text::first_unprintable(&raw) {
            Some(bad) => {
                self.reject(col, bad.reason());
                None
            }
            None => Some(raw),
        }
    }

    fn request(&mut self) -> Option<Request> {
        let request_id = self.code(Column::RequestId, true, RequestId::parse);
        let kind = self.code(Column::Kind, true, NoticeKind::parse);
        let office_no = self.code(Column::OfficeNo, true, OfficeNo::parse).map(|(no, warning)| {
            if let Some(w) = warning {
                self.note(Column::OfficeNo, w);
            }
            no
        });
        let office_name = self.printed(Column::OfficeName, true);
        let postal_code = self.code(Column::PostalCode, true, PostalCode::parse);
        let address = self.printed(Column::Address, true);
        let address2 = self.printed(Column::Address2, false);
        let needs_phone = kind == Some(NoticeKind::Registration);
        let phone = self.code(Column::Phone, needs_phone, PhoneNo::parse);
        let fax = self.code(Column::Fax, needs_phone, PhoneNo::parse);
        let user_id = self.code(Column::UserId, true, UserId::parse);
        let prefecture = self.code(Column::Prefecture, false, Prefecture::parse);
        let attention = self.printed(Column::Attention, false);

        if let (Some(user_id), Some(office_no)) = (&user_id, &office_no) {
            if user_id.office_part() != office_no.as_str() {
                self.note(
                    Column::UserId,
                    format!("ユーザIDの末尾10桁が事業所番号「{office_no}」と一致しません。確認してください"),
                );
            }
            if let Some(pref) = prefecture
                && user_id.as_str()[2..4] != format!("{:02}", pref.code())
            {
                self.note(
                    Column::UserId,
                    format!(
                        "ユーザIDの3〜4桁目が請求先都道府県（{} = {:02}）と一致しません。確認してください",
                        pref.name(),
                        pref.code()
                    ),
                );
            }
        }
        Some(Request {
            row: self.row.number,
            request_id: request_id?,
            kind: kind?,
            office_no: office_no?,
            office_name: office_name?,
            postal_code: postal_code?,
            address: address?,
            address2,
            phone,
            fax,
            user_id: user_id?,
            prefecture,
            attention,
        })
    }
}
