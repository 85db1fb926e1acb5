//! Reports the clerk reads back: the list of rejected rows as xlsx and CSV.
//!
//! Cell values come from the clerk's file and may start with `= + - @`: in xlsx they are
//! written as string cells, in CSV they get a leading apostrophe, so neither becomes a formula.
//! A value longer than an xlsx cell can hold is shortened there, with a note, so the list can
//! always be written; values shown on a terminal go through [`terminal_safe`].

use std::path::Path;

use crate::ground::xlsx::{self, Cell, Table};

use crate::ground::fsutil::write_atomic;
use crate::ground::model::Rejection;

/// Header of the rejected-rows list, in the language of the console: the list is for the
/// clerk who corrects the rows.
pub fn rejected_header() -> [String; 5] {
    [
        crate::msg!("run.rejected.row"),
        crate::msg!("run.rejected.letter"),
        crate::msg!("run.rejected.column"),
        crate::msg!("run.rejected.value"),
        crate::msg!("run.rejected.reason"),
    ]
}

/// Output problems: the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}", crate::msg!("run.cannot_write", path = .path.display(), detail = .detail))]
    Write { path: std::path::PathBuf, detail: String },
}

fn rejected_cells(r: &Rejection) -> [String; 5] {
    [
        r.row.to_string(),
        r.column_letter.clone().unwrap_or_default(),
        r.column.clone(),
        r.value.clone(),
        r.reason.clone(),
    ]
}

/// Makes a value safe for a CSV that Excel will open: a leading `= + - @` (or tab/CR, which
/// Excel strips before looking) would start a formula, so the value is prefixed with `'`.
pub fn csv_safe(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// Shows a value from the clerk's file safely on a terminal: control characters (C0 including
/// line breaks and tab, DEL, C1 and so ESC and CSI), the line and paragraph separators and the
/// bidirectional controls (U+202A–202E, U+2066–2069) are written as `U+XXXX`, so that no cell
/// can move the cursor, recolour the screen, break a line of the summary or reverse its text.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            out.push_str(&format!("U+{:04X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `rejected.csv`: UTF-8 with BOM (so Japanese Excel opens it correctly), CRLF.
pub fn write_rejected_csv(path: &Path, rejections: &[Rejection]) -> Result<(), ReportError> {
    let fail = |e: &dyn std::fmt::Display| ReportError::Write { path: path.to_path_buf(), detail: e.to_string() };
    // The BOM first, in the writer's own buffer: a list of 250,000 rows is not held twice.
    let bom = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(bom);
    writer.write_record(rejected_header()).map_err(|e| fail(&e))?;
    for r in rejections {
        writer.write_record(rejected_cells(r).iter().map(|c| csv_safe(c))).map_err(|e| fail(&e))?;
    }
    write_atomic(path, &writer.into_inner().map_err(|e| fail(&e))?).map_err(|e| fail(&e))
}

/// Writes `rejected.xlsx`: the row number as a number, everything else as text.
pub fn write_rejected_xlsx(path: &Path, rejections: &[Rejection]) -> Result<(), ReportError> {
    let fail = |e: &dyn std::fmt::Display| ReportError::Write { path: path.to_path_buf(), detail: e.to_string() };
    let rows = rejections.iter().map(|r| {
        let mut cells: Vec<Cell> = vec![Cell::Number(r.row as f64)];
        cells.extend(rejected_cells(r).into_iter().skip(1).map(Cell::Text));
        cells
    });
    let (name, header) = (crate::msg!("run.rejected.sheet"), rejected_header());
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let table = Table { name: &name, header: &header, widths: &[6.0, 6.0, 16.0, 30.0, 80.0], rows: Box::new(rows) };
    xlsx::save(path, vec![table]).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::model::NoticeKind;

    #[test]
    fn csv_values_never_start_a_formula() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("+81"), "'+81");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("髙橋"), "髙橋");
    }

    #[test]
    fn the_rejected_list_has_the_headings_of_the_console_language_and_keeps_the_values() {
        use crate::ground::i18n::{Lang, with_lang};
        let dir = tempfile::tempdir().unwrap();
        let rejection = Rejection {
            row: 7,
            column: "通知種別".into(),
            column_letter: Some("B".into()),
            value: "変更届".into(),
            reason: "why".into(),
        };
        for (lang, header) in [(Lang::Ja, "行,列,項目,値,理由"), (Lang::En, "Row,Column,Heading,Value,Reason")] {
            let path = dir.path().join(format!("{}.csv", lang.code()));
            with_lang(lang, || write_rejected_csv(&path, std::slice::from_ref(&rejection))).unwrap();
            let csv = std::fs::read_to_string(&path).unwrap();
            assert_eq!(csv, format!("\u{FEFF}{header}\r\n7,B,通知種別,変更届,why\r\n"));
        }
        assert_eq!(
            with_lang(Lang::En, || NoticeKind::CertPasswordReissue.console_label()),
            "certificate password reissue"
        );
        assert_eq!(
            with_lang(Lang::Ja, || NoticeKind::CertPasswordReissue.console_label()),
            NoticeKind::CertPasswordReissue.label()
        );
    }

    #[test]
    fn terminal_safe_shows_controls_separators_and_bidi_as_code_points() {
        assert_eq!(terminal_safe("a\x1b[31mb"), "aU+001B[31mb");
        assert_eq!(terminal_safe("x\ny\tz\r\0"), "xU+000AyU+0009zU+000DU+0000");
        assert_eq!(terminal_safe("\u{7F}\u{85}\u{9B}"), "U+007FU+0085U+009B");
        assert_eq!(terminal_safe("\u{2028}\u{2029}"), "U+2028U+2029");
        assert_eq!(terminal_safe("\u{202A}\u{202E}\u{2066}\u{2069}"), "U+202AU+202EU+2066U+2069");
        assert_eq!(terminal_safe("髙橋ケア　センター 1-2"), "髙橋ケア　センター 1-2");
    }
}
