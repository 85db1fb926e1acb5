//! Intake: a clerk's request list (xlsx/xlsm/xls/ods/csv) becomes typed [`Request`]s, or
//! [`Rejection`]s that name row, column, value and reason (in the language of the messages,
//! `templates/messages/intake.toml` and `field.toml`).
//!
//! A bad row never stops the good ones; only a file that cannot be read at all is an error.
//! Intake knows nothing of secrets, PDFs or output folders.

mod biff;
mod bounds;
mod columns;
mod ods;
mod row;
mod table;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use crate::ground::model::fields;
pub use crate::ground::model::{
    NoticeKind, OfficeNo, PhoneNo, PostalCode, Prefecture, Rejection, Request, RequestId, ReviewStatus, UserId,
};
/// The largest request list the readers accept (the page's upload limit too).
pub use bounds::MAX_FILE_BYTES;
pub use columns::{Column, column_letter};
pub use row::{CellType, Row, Rows};
pub use table::{Table, decode_text, every_sheet_of, read_every_sheet};

use crate::ground::postal::Verdict;
use columns::{HeaderMap, HeaderProblem};
use row::RowProblem;

/// A file that cannot be read as a request list. Shown once, and nothing else is written.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{}", crate::msg!("intake.error.not_found", path = .path.display()))]
    NotFound { path: PathBuf },
    #[error("{}", crate::msg!("intake.error.io", path = .path.display(), detail = .detail))]
    Io { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("intake.error.unsupported_format", path = .path.display(), ext = .ext))]
    UnsupportedFormat { path: PathBuf, ext: String },
    #[error("{}", crate::msg!("intake.error.workbook", path = .path.display(), detail = .detail))]
    Workbook { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("intake.error.sheet_not_found", path = .path.display(), sheet = .sheet, available = .available))]
    SheetNotFound { path: PathBuf, sheet: String, available: String },
    #[error("{}", crate::msg!("intake.error.ambiguous_sheet", path = .path.display(), sheets = .sheets))]
    AmbiguousSheet { path: PathBuf, sheets: String },
    #[error("{}", crate::msg!("intake.error.encoding", path = .path.display()))]
    Encoding { path: PathBuf },
    #[error("{}", crate::msg!("intake.error.empty", path = .path.display()))]
    Empty { path: PathBuf },
    #[error("{}", crate::msg!("intake.error.no_header", path = .path.display()))]
    NoHeader { path: PathBuf },
    #[error("{}", crate::msg!("intake.error.missing_columns", path = .path.display(), row = .row, missing = .missing))]
    MissingColumns { path: PathBuf, row: usize, missing: String },
    /// `headings`: (letter, heading as written) of the two cells.
    #[error("{}", crate::msg!("intake.error.duplicate_column", path = .path.display(), row = .row, field = .field, first_letter = .headings[0].0, first = .headings[0].1, second_letter = .headings[1].0, second = .headings[1].1))]
    DuplicateColumn { path: PathBuf, row: usize, field: &'static str, headings: Box<[(String, String); 2]> },
    #[error("{}", crate::msg!("intake.error.too_large", path = .path.display(), what = .what))]
    TooLarge { path: PathBuf, what: String },
    #[error("{}", crate::msg!("intake.error.encrypted", path = .path.display()))]
    Encrypted { path: PathBuf },
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
            reason: crate::msg!("intake.not_approved", status = self.status),
        }
    }
}

/// A row the workbook hides (by hand or with a filter): the clerk may not have seen it, so it
/// is listed, not issued, unless [`ReadOptions::include_hidden`]. Its cells are not checked,
/// and it takes no part in the duplicate checks (old rows filtered away do not block new ones).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HiddenRow {
    pub row: usize,
    pub request_id: String,
    pub office_no: String,
    /// The 申請番号 column as written, and its letter.
    pub column: String,
    pub column_letter: Option<String>,
}

impl HiddenRow {
    /// The row as a line of the not-issued list.
    pub fn as_rejection(&self) -> Rejection {
        Rejection {
            row: self.row,
            column: self.column.clone(),
            column_letter: self.column_letter.clone(),
            value: self.request_id.clone(),
            reason: crate::msg!("intake.hidden_row"),
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

/// A row's 申請番号 and 事業所番号 as written in the list (trimmed; empty when the row has none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowKeys {
    pub request_id: String,
    pub office_no: String,
}

/// The outcome of reading a request list.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Intake {
    /// Not serialised: what a face shows of them is the batch's notices.
    #[serde(skip)]
    pub requests: Vec<Request>,
    pub skipped: Vec<Skipped>,
    pub rejections: Vec<Rejection>,
    /// Rows the workbook hides, not issued (empty with [`ReadOptions::include_hidden`]).
    pub hidden: Vec<HiddenRow>,
    pub notes: Vec<Note>,
    /// Non-blank data rows read (issued + skipped + rejected); hidden rows and rows holding
    /// only template defaults are not counted.
    pub data_rows: usize,
    /// The 申請番号 of every row read, normalised: issued, not approved, rejected or hidden.
    /// What `--reissue` may name.
    #[serde(skip)]
    pub request_ids: HashSet<RequestId>,
    /// The 申請番号 and 事業所番号 of every data row read, as written (trimmed), by row: what a
    /// rejected row is recorded with, so that the auditor can name it.
    #[serde(skip)]
    pub row_keys: std::collections::BTreeMap<usize, RowKeys>,
    /// The header row as the clerk wrote it.
    #[serde(skip)]
    header: Option<HeaderMap>,
    /// Rows passed over as blank because they held only template defaults (no 申請番号, no
    /// 事業所番号, nothing else a request is made of); one note names them.
    pub template_rows: usize,
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

    /// Every row not issued, for the not-issued list: rejections, rows not approved and
    /// hidden rows, in row order.
    pub fn not_issued(&self) -> Vec<Rejection> {
        let mut all = self.rejections.clone();
        all.extend(self.skipped.iter().map(Skipped::as_rejection));
        all.extend(self.hidden.iter().map(HiddenRow::as_rejection));
        all.sort_by_key(|r| r.row);
        all
    }
}

/// A rejection as one line of the console's list, in the language of the messages:
/// 「7行目 D列「事業所番号」 値「123456789」：…」, `Row 7, column D 「事業所番号」 (office number):
/// 「123456789」: …`. `shown` makes the clerk's text safe for the terminal (the column as written
/// and the value, which it may shorten) and `whole` tsuchi's reason (which may quote the value).
pub fn rejection_line(r: &Rejection, shown: impl Fn(&str) -> String, whole: impl Fn(&str) -> String) -> String {
    let column = quoted_column(&r.column, &shown);
    let letter = r.column_letter.as_deref().map(|letter| crate::msg!("intake.rejection.letter", letter));
    crate::msg!(
        "intake.rejection.line",
        row = r.row,
        letter = letter.unwrap_or_default(),
        column,
        value = shown(&r.value),
        reason = whole(&r.reason)
    )
}

/// A note as one line of the console's list: 「9行目「事業所番号」：…」, `Row 9, 「事業所番号」
/// (office number): …`; `shown` and `whole` as for [`rejection_line`].
pub fn note_line(n: &Note, shown: impl Fn(&str) -> String, whole: impl Fn(&str) -> String) -> String {
    let message = whole(&n.message);
    match (n.row, &n.column) {
        (Some(row), Some(heading)) => {
            crate::msg!("intake.note.at_cell", row, column = quoted_column(heading, &shown), message)
        }
        (Some(row), None) => crate::msg!("intake.note.at_row", row, message),
        (None, _) => message,
    }
}

/// A column as the clerk wrote its heading, quoted, with what it is when tsuchi knows it
/// ([`Column::named`]).
fn quoted_column(heading: &str, shown: impl Fn(&str) -> String) -> String {
    match Column::of_header(heading) {
        Some(known) => known.named(&shown(heading)),
        None => format!("「{}」", shown(heading)),
    }
}

/// How many rows `rejections` name (a row with several problems counts once).
pub fn distinct_rows(rejections: &[Rejection]) -> usize {
    rejections.iter().map(|r| r.row).collect::<std::collections::BTreeSet<_>>().len()
}

/// Options for reading a request list.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Sheet to read; when `None`, the active sheet if it is visible, else the only visible one.
    pub sheet: Option<String>,
    /// Read rows the workbook hides as ordinary rows (`--include-hidden`).
    pub include_hidden: bool,
}

/// Reads and validates a request list.
pub fn read(path: &Path, options: &ReadOptions) -> Result<Intake, IntakeError> {
    read_bytes(path, &load(path)?, options)
}

/// The bytes of the list at `path`, read once ([`table::load`]).
pub fn load(path: &Path) -> Result<Vec<u8>, IntakeError> {
    table::load(path)
}

/// Validates the request list whose bytes are `bytes`, read from `path` ([`load`]): a run
/// hashes for its record the very bytes it parses.
pub fn read_bytes(path: &Path, bytes: &[u8], options: &ReadOptions) -> Result<Intake, IntakeError> {
    let table::Table { rows, hidden } = table::table_of(path, bytes, options.sheet.as_deref())?;
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
        .find(|r| HeaderMap::known_count(r.cells().map(|(_, c)| c)) > 0)
        .ok_or_else(|| IntakeError::NoHeader { path: path.to_path_buf() })?;
    let header = HeaderMap::from_cells(&header_row.dense()).map_err(|problem| match problem {
        HeaderProblem::Missing(cols) => IntakeError::MissingColumns {
            path: path.to_path_buf(),
            row: header_row.number,
            missing: cols.iter().map(|c| format!("「{}」", c.header())).collect::<Vec<_>>().join(""),
        },
        HeaderProblem::Duplicate { field, first, second } => {
            let heading = |at: usize| (column_letter(at), header_row.cell(at).trim().to_string());
            IntakeError::DuplicateColumn {
                path: path.to_path_buf(),
                row: header_row.number,
                field: field.header(),
                headings: Box::new([heading(first), heading(second)]),
            }
        }
    })?;

    let mut intake = Intake { header: Some(header.clone()), ..Intake::default() };
    let header_number = header_row.number;
    let skipped_above: Vec<usize> =
        rows.iter().filter(|r| !r.is_blank() && r.number < header_number).map(|r| r.number).collect();
    if let (Some(first), Some(last)) = (skipped_above.first(), skipped_above.last()) {
        intake.notes.push(Note {
            row: None,
            column: None,
            message: crate::msg!("intake.note.title_rows", header = header_number, rows = row_span(*first, *last)),
        });
    }
    if !header.unknown.is_empty() {
        intake.notes.push(Note {
            row: None,
            column: None,
            message: crate::msg!(
                "intake.note.unknown_columns",
                columns = header.unknown.iter().map(|c| format!("「{c}」")).collect::<String>()
            ),
        });
    }

    let mut template_rows = Vec::new();
    let mut hidden_read = Vec::new();
    let mut candidates = Vec::new();
    // The rows are held in a few compact buffers (see `row.rs`) while their requests are made.
    for row in rows.iter().filter(|r| r.number > header_number && !r.is_blank()) {
        let row = &row;
        if row.problem.is_none()
            && header.present().all(|(col, at)| !col.holds_data() || row.cell(at).trim().is_empty())
        {
            template_rows.push(row.number);
            continue;
        }
        let mut check = RowCheck { header: &header, row, rejections: Vec::new(), notes: Vec::new() };
        if let Ok(id) = RequestId::parse(check.raw(Column::RequestId)) {
            intake.request_ids.insert(id);
        }
        if hidden.contains(&row.number) {
            if !options.include_hidden {
                intake.hidden.push(HiddenRow {
                    row: row.number,
                    request_id: check.raw(Column::RequestId).to_string(),
                    office_no: check.raw(Column::OfficeNo).to_string(),
                    column: header.header_of(Column::RequestId),
                    column_letter: header.position(Column::RequestId).map(column_letter),
                });
                continue;
            }
            hidden_read.push(row.number);
        }
        intake.data_rows += 1;
        let request_id = check.raw(Column::RequestId).to_string();
        // A 事業所番号 that reads is kept as the notices print it (Excel's lost zero back).
        let office_no = check.raw(Column::OfficeNo);
        let keys = RowKeys {
            request_id: request_id.trim().to_string(),
            office_no: OfficeNo::parse(office_no)
                .map(|(no, _)| no.as_str().to_string())
                .unwrap_or_else(|_| office_no.trim().to_string()),
        };
        intake.row_keys.insert(row.number, keys);
        if let Some(RowProblem::UnclosedQuote { column }) = row.problem {
            check.rejections.push(Rejection {
                row: row.number,
                column: header.headers.get(column).cloned().unwrap_or_default(),
                column_letter: Some(column_letter(column)),
                value: row.cell(column).to_string(),
                reason: crate::msg!("intake.unclosed_quote"),
            });
            candidates.push((row.number, request_id, None, check.rejections));
            continue;
        }
        let status = check.checked(Column::Status, false);
        if header.position(Column::Status).is_some()
            && let Some(ReviewStatus::NotApproved(status)) = status.as_deref().map(ReviewStatus::parse)
        {
            intake.skipped.push(Skipped {
                row: row.number,
                request_id,
                office_no: check.raw(Column::OfficeNo).to_string(),
                status: if status.is_empty() { crate::msg!("intake.blank_status") } else { status },
                column: header.header_of(Column::Status),
                column_letter: header.position(Column::Status).map(column_letter),
            });
            continue;
        }
        let request = check.request();
        intake.notes.append(&mut check.notes);
        candidates.push((row.number, request_id, request, check.rejections));
    }

    if let (Some(first), Some(last)) = (template_rows.first(), template_rows.last()) {
        intake.template_rows = template_rows.len();
        intake.notes.push(Note {
            row: None,
            column: None,
            message: crate::msg!(
                "intake.note.template_rows",
                count = template_rows.len(),
                span = row_span(*first, *last)
            ),
        });
    }
    if !intake.hidden.is_empty() {
        let numbers: Vec<usize> = intake.hidden.iter().map(|h| h.row).collect();
        intake.notes.push(Note {
            row: None,
            column: None,
            message: crate::msg!("intake.note.hidden_rows", count = numbers.len(), rows = row_list(&numbers)),
        });
    }
    if !hidden_read.is_empty() {
        intake.notes.push(Note {
            row: None,
            column: None,
            message: crate::msg!("intake.note.hidden_read", count = hidden_read.len(), rows = row_list(&hidden_read)),
        });
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

/// The rows from `first` to `last` (「5〜9行目」, or 「5行目」 when they are one).
fn row_span(first: usize, last: usize) -> String {
    if first == last {
        crate::msg!("intake.rows.one", row = first)
    } else {
        crate::msg!("intake.rows.span", first, last)
    }
}

/// Row numbers in ascending order as runs (「3・5〜9・12行目」), the first 20 runs at most, so
/// that one note stays one line however many rows it is about.
fn row_list(numbers: &[usize]) -> String {
    const SHOWN: usize = 20;
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    if let [(a, b)] = runs[..]
        && a == b
    {
        return crate::msg!("intake.rows.one", row = a);
    }
    let runs_text = runs
        .iter()
        .take(SHOWN)
        .map(
            |&(first, last)| {
                if first == last { first.to_string() } else { crate::msg!("intake.rows.run", first, last) }
            },
        )
        .collect::<Vec<_>>()
        .join(&crate::msg!("intake.rows.separator"));
    if runs.len() > SHOWN {
        crate::msg!("intake.rows.list_more", runs = runs_text)
    } else {
        crate::msg!("intake.rows.list", runs = runs_text)
    }
}

type Candidate = (usize, String, Option<Request>, Vec<Rejection>);

/// 申請番号 must be unique in the file, and one batch cannot hold two notices of one kind for
/// one ユーザID of one office. An office that bills several prefectures has one ユーザID per
/// 請求先都道府県 (seed 000's 他県ユーザID), so it may appear once per ユーザID. Every row of such a group is rejected: tsuchi
/// cannot know which one the clerk meant. Each row names one other row of its group (the
/// first names the second, the others the first), so the messages grow with the rows, not
/// with their square.
fn reject_duplicates(header: &HeaderMap, candidates: &mut [Candidate], skipped: &[Skipped]) {
    fn groups<K: std::hash::Hash + Eq>(rows: impl Iterator<Item = (K, usize)>) -> HashMap<K, (usize, Option<usize>)> {
        // Rows arrive in any order; keep the smallest two of each key.
        let mut first_two: HashMap<K, (usize, Option<usize>)> = HashMap::new();
        for (key, row) in rows {
            first_two
                .entry(key)
                .and_modify(|(a, b)| {
                    if row < *a {
                        *b = Some(*a);
                        *a = row;
                    } else if b.is_none_or(|b| row < b) {
                        *b = Some(row);
                    }
                })
                .or_insert((row, None));
        }
        first_two
    }
    let partner = |(first, second): (usize, Option<usize>), me: usize| match second {
        Some(second) if me == first => Some(second),
        Some(_) => Some(first),
        None => None,
    };
    let by_id = groups(
        candidates
            .iter()
            .map(|(row, id, _, _)| (id, *row))
            .chain(skipped.iter().map(|s| (&s.request_id, s.row)))
            .filter_map(|(id, row)| RequestId::parse(id).ok().map(|id| (id.as_str().to_string(), row))),
    );
    let by_office_kind = groups(
        candidates
            .iter()
            .filter_map(|(row, _, r, _)| r.as_ref().map(|r| ((r.office_no.clone(), r.user_id.clone(), r.kind), *row))),
    );
    for (row, id, request, rejections) in candidates.iter_mut() {
        if let Ok(parsed) = RequestId::parse(id)
            && let Some(other) = by_id.get(parsed.as_str()).and_then(|g| partner(*g, *row))
        {
            rejections.push(Rejection {
                row: *row,
                column: header.header_of(Column::RequestId),
                column_letter: header.position(Column::RequestId).map(column_letter),
                value: id.clone(),
                reason: crate::msg!("intake.duplicate_request_id", other),
            });
        }
        if let Some(r) = request
            && let Some(other) =
                by_office_kind.get(&(r.office_no.clone(), r.user_id.clone(), r.kind)).and_then(|g| partner(*g, *row))
        {
            rejections.push(Rejection {
                row: *row,
                column: header.header_of(Column::OfficeNo),
                column_letter: header.position(Column::OfficeNo).map(column_letter),
                value: r.office_no.to_string(),
                reason: crate::msg!("intake.duplicate_request", kind = r.kind.console_label(), other),
            });
        }
    }
}

/// Validates the cells of one row, collecting every problem rather than stopping at the first.
struct RowCheck<'a> {
    header: &'a HeaderMap,
    row: &'a Row<'a>,
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

    /// The cell's text when every column may hold it: no longer than Excel allows and free of
    /// control characters (line breaks only where `line_breaks`). Otherwise the row is
    /// rejected, naming the character by its code point.
    fn checked(&mut self, col: Column, line_breaks: bool) -> Option<String> {
        if let Err(reason) = self.stored_as_meant(col) {
            self.reject(col, reason);
            return None;
        }
        let raw = self.raw(col).to_string();
        let chars = raw.chars().count();
        if chars > text::MAX_CELL_CHARS {
            self.reject(col, crate::msg!("intake.too_long", count = group_digits(chars)));
            return None;
        }
        if let Some(c) = text::first_control(&raw, line_breaks) {
            self.reject(col, text::BadChar::Control(c).reason());
            return None;
        }
        Some(raw)
    }

    /// A code field: blank is "missing" when required, otherwise parsed.
    fn code<T>(&mut self, col: Column, required: bool, parse: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        let raw = self.checked(col, false)?;
        if raw.trim().is_empty() {
            if required {
                let reason = if self.header.position(col).is_some() {
                    crate::msg!("intake.blank_required", column = col.header())
                } else {
                    crate::msg!("intake.column_missing", column = col.header())
                };
                self.reject(col, reason);
            }
            return None;
        }
        parse(&raw).map_err(|reason| self.reject(col, reason)).ok()
    }

    /// A printed field (name, address): kept as written but for its line breaks, which become
    /// LF (see [`text`]), and checked for characters that cannot be printed.
    fn printed(&mut self, col: Column, required: bool) -> Option<String> {
        let raw = text::normalize_line_breaks(&self.checked(col, true)?);
        if text::is_blank(&raw) {
            if required {
                self.reject(col, crate::msg!("intake.blank_required", column = col.header()));
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

    /// A name printed as an addressee (事業所名, 宛名): a printed field that is more than 敬称,
    /// since 「御中」 alone would print an envelope with no name on it.
    fn name(&mut self, col: Column, required: bool) -> Option<String> {
        let name = self.printed(col, required)?;
        if crate::ground::model::honorific::without_any_honorific(&name).trim().is_empty() {
            self.reject(col, crate::msg!("intake.only_honorific", column = col.header()));
            return None;
        }
        Some(name)
    }

    /// The FAX番号, optional for every kind: blank prints blank, and a word meaning "none"
    /// (「なし」「-」…) is blank too, with a note naming the row, so that an office without a FAX
    /// gets its 登録結果.
    fn fax(&mut self) -> Option<PhoneNo> {
        let raw = self.checked(Column::Fax, false)?;
        if raw.trim().is_empty() {
            return None;
        }
        if PhoneNo::means_none(&raw) {
            self.note(Column::Fax, crate::msg!("intake.note.fax_none", value = raw.trim()));
            return None;
        }
        PhoneNo::parse_fax(&raw).map_err(|reason| self.reject(Column::Fax, reason)).ok()
    }

    /// The 申請番号 (see [`Self::stored_as_meant`] for how it must be stored).
    fn request_id(&mut self) -> Option<RequestId> {
        self.code(Column::RequestId, true, RequestId::parse)
    }

    /// Whether the cell holds what the clerk typed: not an error value, not a formula saved
    /// without its value, and not a date or number that Excel made of the input, except in the
    /// fields where a number is what the clerk meant (codes whose lost leading zero the field
    /// itself repairs or reports). A 申請番号 must be text: a key that differs from what was
    /// typed could issue one request twice.
    fn stored_as_meant(&self, col: Column) -> Result<(), String> {
        let Some(at) = self.header.position(col) else { return Ok(()) };
        let text = self.row.cell(at);
        let column = self.header.header_of(col);
        let stored = self.row.cell_type(at).or_else(|| text::is_error_value(text).then_some(CellType::Error));
        match stored {
            None => Ok(()),
            Some(CellType::Error) => Err(crate::msg!("intake.cell.error", error = text.trim())),
            Some(CellType::Unsaved) => Err(crate::msg!("intake.cell.unsaved")),
            Some(CellType::Date) if col == Column::RequestId => Err(crate::msg!("intake.request_id_date")),
            Some(CellType::Number) if col == Column::RequestId => Err(crate::msg!("intake.request_id_number")),
            Some(CellType::Date) => Err(crate::msg!("intake.cell.date", column)),
            Some(CellType::Number) => match col {
                Column::OfficeNo | Column::PostalCode | Column::Phone | Column::Fax | Column::Prefecture => Ok(()),
                // 番地 「12」 is a number in Excel and means just that; 「1.5」 or 「1E+3」 is not an address.
                Column::Address2 if text.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
                _ => Err(crate::msg!("intake.cell.number", column)),
            },
        }
    }

    fn request(&mut self) -> Option<Request> {
        let request_id = self.request_id();
        let kind = self.code(Column::Kind, true, NoticeKind::parse);
        let office_no = self.code(Column::OfficeNo, true, OfficeNo::parse).map(|(no, warning)| {
            if let Some(w) = warning {
                self.note(Column::OfficeNo, w);
            }
            no
        });
        let office_name = self.name(Column::OfficeName, true);
        let postal_code = self.code(Column::PostalCode, true, PostalCode::parse);
        let address = self.printed(Column::Address, true);
        let address2 = self.printed(Column::Address2, false);
        let needs_phone = kind == Some(NoticeKind::Registration);
        let phone = self.code(Column::Phone, needs_phone, PhoneNo::parse);
        let fax = self.fax();
        let user_id = self.code(Column::UserId, true, UserId::parse);
        let prefecture = self.code(Column::Prefecture, false, Prefecture::parse);
        let attention = self.name(Column::Attention, false);
        if let (Some(code), Some(address)) = (&postal_code, &address) {
            self.check_postal(code, address, address2.as_deref());
        }

        if let (Some(user_id), Some(office_no)) = (&user_id, &office_no) {
            if user_id.office_part() != office_no.as_str() {
                self.note(Column::UserId, crate::msg!("intake.note.user_id_office", office_no));
            }
            if let Some(pref) = prefecture
                && user_id.as_str()[2..4] != format!("{:02}", pref.code())
            {
                self.note(
                    Column::UserId,
                    crate::msg!(
                        "intake.note.user_id_prefecture",
                        name = pref.name(),
                        code = format!("{:02}", pref.code())
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

impl RowCheck<'_> {
    /// The 郵便番号 against its address, by Japan Post's table: another 都道府県・市区町村 or a
    /// code not in the data is a rejection (the letter would go astray); another 町域 of the
    /// right 市区町村 is a note, and the notice gets no barcode.
    fn check_postal(&mut self, code: &PostalCode, address: &str, address2: Option<&str>) {
        let table = crate::ground::postal::table();
        let Some(number) = crate::ground::postal::parse_code(code.digits()) else { return };
        let whole = crate::engine::barcode::joined(address, address2);
        match table.verdict(number, &whole).0 {
            Verdict::Matches(_) => {}
            Verdict::Unknown => {
                self.reject(Column::PostalCode, crate::msg!("intake.postal.unknown", code, date = table.date()))
            }
            Verdict::NoCity(entries) => self.reject(
                Column::PostalCode,
                crate::msg!(
                    "intake.postal.no_city",
                    code,
                    places = crate::ground::postal::places(&entries),
                    address = whole.replace('\n', " ")
                ),
            ),
            Verdict::OtherCity(entries) => self.reject(
                Column::PostalCode,
                crate::msg!(
                    "intake.postal.other_city",
                    code,
                    places = crate::ground::postal::places(&entries),
                    address = whole.replace('\n', " ")
                ),
            ),
            Verdict::OtherTown(entries) => self.note(
                Column::PostalCode,
                crate::msg!(
                    "intake.postal.other_town",
                    code,
                    places = crate::ground::postal::places(&entries),
                    address = whole.replace('\n', " ")
                ),
            ),
        }
    }
}

/// 32767 → 「32,767」.
fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}
