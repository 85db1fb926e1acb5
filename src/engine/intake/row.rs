//! The rows of a sheet as the readers hand them over: each row's number, and the text and type
//! of its filled cells. A list may hold [`bounds::MAX_CELLS`] cells, most of them a character
//! or two, so a sheet keeps the text of all its cells in one buffer, each cell as 12 bytes
//! (column, where its text ends, type) and each row as 8: 3.2 million one-character cells cost
//! some 45 MB, where a `String` and a `Vec` apiece cost hundreds.

use std::collections::BTreeSet;
use std::path::Path;

use calamine::{Data, Sheet, SheetVisible};

use super::IntakeError;
use super::bounds::{self, CellBudget};

// Rows, columns and text offsets are kept as u32. A sheet's text is refused beyond
// MAX_TEXT_BYTES before it is stored; a CSV's rows and columns are at most one for each byte
// of its text once decoded (at most three bytes of UTF-8 for every byte read).
const _: () = assert!(bounds::MAX_TEXT_BYTES < u32::MAX as usize && bounds::MAX_FILE_BYTES * 3 < u32::MAX as u64);
const _: () = assert!(bounds::MAX_CELLS < u32::MAX as usize);

/// What a workbook cell stores when it is not text. Excel turns some typed values into these
/// on its own (「1-5」 becomes 5 January, 「0012」 becomes 12), so a field that must be exactly
/// what the clerk typed can tell the difference; and a formula's result may be an error value
/// or, when the file was saved without calculating, nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    Number,
    /// A date, a time or a duration.
    Date,
    /// An error value (`#N/A`, `#REF!` …); the cell's text is the error as Excel shows it.
    Error,
    /// A formula saved without its value; the cell's text is empty.
    Unsaved,
}

impl CellType {
    pub(super) fn of(cell: &Data) -> Option<CellType> {
        match cell {
            Data::Int(_) | Data::Float(_) => Some(CellType::Number),
            Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) => Some(CellType::Date),
            Data::Error(_) => Some(CellType::Error),
            Data::Empty | Data::String(_) | Data::Bool(_) => None,
        }
    }
}

/// A row that the reader could only read in part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowProblem {
    /// A `"` opened a cell (at this 0-based column) and nothing closed it before the end of
    /// the file. The cell holds the rest of the line where the quote opened.
    UnclosedQuote { column: usize },
}

/// The rows of a sheet holding at least one filled cell (or a problem), in order.
#[derive(Debug, Clone, Default)]
pub struct Rows {
    /// The text of every filled cell, one after the other.
    text: String,
    /// Every filled cell, row after row, each row's in column order.
    cells: Vec<Slot>,
    /// Every row, in order.
    heads: Vec<Head>,
    /// The rows that could only be read in part (CSV only), by index in `heads`.
    problems: Vec<(u32, RowProblem)>,
}

/// A filled cell: its 0-based column, where its text ends in [`Rows::text`] (it starts where
/// the previous cell's ends), and how the workbook stores it when not as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    column: u32,
    end: u32,
    typed: Option<CellType>,
}

/// A row: its 0-based number and its first cell in [`Rows::cells`] (its cells run to the next
/// row's first).
#[derive(Debug, Clone, Copy)]
struct Head {
    row: u32,
    first: u32,
}

impl Rows {
    pub fn iter(&self) -> impl Iterator<Item = Row<'_>> + '_ {
        (0..self.heads.len()).map(|i| self.row(i))
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    fn row(&self, i: usize) -> Row<'_> {
        let first = self.heads[i].first as usize;
        let end = self.heads.get(i + 1).map_or(self.cells.len(), |h| h.first as usize);
        let problem = match self.problems.binary_search_by_key(&(i as u32), |(at, _)| *at) {
            Ok(p) => Some(self.problems[p].1),
            Err(_) => None,
        };
        Row {
            number: self.heads[i].row as usize + 1,
            problem,
            text: &self.text,
            start: first.checked_sub(1).map_or(0, |p| self.cells[p].end as usize),
            cells: &self.cells[first..end],
        }
    }
}

/// One row of cell text with its row number as Excel shows it (1-based), as a view of
/// [`Rows`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub number: usize,
    /// Why the row could not be read whole (CSV only).
    pub problem: Option<RowProblem>,
    /// The text of the sheet's cells, of which this row's start at `start`.
    text: &'a str,
    start: usize,
    /// The filled cells, in column order. Empty cells are left out.
    cells: &'a [Slot],
}

impl<'a> Row<'a> {
    /// A row with nothing but white space (and nothing wrong with it).
    pub fn is_blank(&self) -> bool {
        self.problem.is_none() && self.cells().all(|(_, c)| c.trim().is_empty())
    }

    /// The filled cells as (0-based column, text), in column order.
    pub fn cells(&self) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        let (text, mut start) = (self.text, self.start);
        self.cells.iter().map(move |s| {
            let cell = &text[start..s.end as usize];
            start = s.end as usize;
            (s.column as usize, cell)
        })
    }

    pub fn cell(&self, index: usize) -> &'a str {
        self.find(index).map(|i| self.text_of(i)).unwrap_or("")
    }

    /// How the workbook stores the cell, when not as text.
    pub fn cell_type(&self, index: usize) -> Option<CellType> {
        self.find(index).and_then(|i| self.cells[i].typed)
    }

    /// The cells from column A to the last filled one, empty ones included (for the header).
    pub fn dense(&self) -> Vec<String> {
        let width = self.cells.last().map(|s| s.column as usize + 1).unwrap_or(0);
        let mut dense = vec![String::new(); width];
        for (c, text) in self.cells() {
            dense[c] = text.to_string();
        }
        dense
    }

    fn find(&self, index: usize) -> Option<usize> {
        let index = u32::try_from(index).ok()?;
        self.cells.binary_search_by_key(&index, |s| s.column).ok()
    }

    fn text_of(&self, i: usize) -> &'a str {
        let start = i.checked_sub(1).map_or(self.start, |p| self.cells[p].end as usize);
        &self.text[start..self.cells[i].end as usize]
    }
}

/// Gathers filled cells into [`Rows`] as a reader produces them, within the file's
/// [`CellBudget`]. Readers give cells in row and column order, and then each cell is copied
/// once into place; a file that lists them in another order is sorted at the end. A cell
/// counts as filled when it has text or a type (a formula saved without its value has no text
/// but must be seen).
#[derive(Default)]
pub(super) struct RowsBuilder {
    rows: Rows,
    out_of_order: bool,
    budget: CellBudget,
}

impl RowsBuilder {
    /// Adds a cell (0-based row and column); `false` once the file is beyond the limits.
    pub fn push(&mut self, row: u32, col: u32, text: &str, typed: Option<CellType>) -> bool {
        if text.is_empty() && typed.is_none() {
            return true;
        }
        if !self.budget.take_cell(text.len()) {
            return false;
        }
        match self.rows.heads.last() {
            Some(open) if open.row == row => match self.rows.cells.last() {
                // The same cell twice: the later one wins.
                Some(last)
                    if last.column == col && !self.out_of_order && self.rows.cells.len() > open.first as usize =>
                {
                    self.rows.cells.pop();
                    self.rows.text.truncate(self.rows.cells.last().map_or(0, |s| s.end as usize));
                }
                Some(last) if last.column > col && self.rows.cells.len() > open.first as usize => {
                    self.out_of_order = true;
                }
                _ => {}
            },
            open => {
                self.out_of_order |= open.is_some_and(|h| h.row > row);
                self.open(row);
            }
        }
        self.rows.text.push_str(text);
        self.rows.cells.push(Slot { column: col, end: self.rows.text.len() as u32, typed });
        true
    }

    /// Marks the row being read (0-based `row`, the last pushed or a new one after it) as read
    /// only in part. CSV only: its rows come in order.
    pub fn mark(&mut self, row: u32, problem: RowProblem) {
        if self.rows.heads.last().is_none_or(|h| h.row != row) {
            self.open(row);
        }
        self.rows.problems.push((self.rows.heads.len() as u32 - 1, problem));
    }

    fn open(&mut self, row: u32) {
        self.rows.heads.push(Head { row, first: self.rows.cells.len() as u32 });
    }

    pub fn finish(self) -> Rows {
        let mut rows = if self.out_of_order { in_order(self.rows) } else { self.rows };
        rows.text.shrink_to_fit();
        rows.cells.shrink_to_fit();
        rows.heads.shrink_to_fit();
        rows
    }
}

/// `rows` sorted by row and column, the last read of two cells at one place kept. Only
/// workbooks come here; a CSV (the only kind with problems) is read in order.
fn in_order(rows: Rows) -> Rows {
    debug_assert!(rows.problems.is_empty());
    // (row, column, index in `rows.cells`): a stable sort keeps the cells of one place in the
    // order read.
    let mut order: Vec<(u32, u32, u32)> = Vec::with_capacity(rows.cells.len());
    for (i, head) in rows.heads.iter().enumerate() {
        let end = rows.heads.get(i + 1).map_or(rows.cells.len(), |h| h.first as usize);
        order.extend((head.first as usize..end).map(|c| (head.row, rows.cells[c].column, c as u32)));
    }
    order.sort_by_key(|&(row, column, _)| (row, column));
    let mut sorted = Rows { text: String::with_capacity(rows.text.len()), ..Rows::default() };
    for (i, &(row, column, at)) in order.iter().enumerate() {
        if order.get(i + 1).is_some_and(|&(r, c, _)| (r, c) == (row, column)) {
            continue;
        }
        if sorted.heads.last().is_none_or(|h| h.row != row) {
            sorted.heads.push(Head { row, first: sorted.cells.len() as u32 });
        }
        let at = at as usize;
        let start = at.checked_sub(1).map_or(0, |p| rows.cells[p].end as usize);
        sorted.text.push_str(&rows.text[start..rows.cells[at].end as usize]);
        sorted.cells.push(Slot { end: sorted.text.len() as u32, ..rows.cells[at] });
    }
    sorted
}

/// The rows of a file and what the file says about them.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Rows holding at least one filled cell (or a problem), in order.
    pub rows: Rows,
    /// Numbers of rows the workbook hides (by hand or by a filter). Known for xlsx/xlsm only:
    /// calamine does not expose row visibility for xls, xlsb and ods, and CSV has none.
    pub hidden: BTreeSet<usize>,
}

/// Which sheet to read: the one named, else the active sheet if it is visible, else the only
/// visible one. A hidden sheet (a template, a lookup list) is never read by default, and when
/// the workbook does not say which of several visible sheets is meant, the clerk must.
pub(super) fn choose_sheet(
    path: &Path,
    sheets: &[Sheet],
    wanted: Option<&str>,
    active: Option<usize>,
) -> Result<usize, IntakeError> {
    let listed = || {
        sheets
            .iter()
            .map(|s| match s.visible {
                SheetVisible::Visible => format!("「{}」", s.name),
                SheetVisible::Hidden | SheetVisible::VeryHidden => crate::msg!("intake.sheet.hidden", name = s.name),
            })
            .collect::<Vec<_>>()
            .join("")
    };
    if let Some(wanted) = wanted {
        return sheets.iter().position(|s| s.name == wanted).ok_or_else(|| IntakeError::SheetNotFound {
            path: path.to_path_buf(),
            sheet: wanted.to_string(),
            available: sheets
                .iter()
                .map(|s| crate::msg!("intake.sheet.name", name = s.name))
                .collect::<Vec<_>>()
                .join(&crate::msg!("intake.sheet.separator")),
        });
    }
    if sheets.is_empty() {
        return Err(IntakeError::Empty { path: path.to_path_buf() });
    }
    let visible: Vec<usize> = (0..sheets.len()).filter(|&i| sheets[i].visible == SheetVisible::Visible).collect();
    if let Some(i) = active.filter(|i| visible.contains(i)) {
        return Ok(i);
    }
    match visible.as_slice() {
        [only] => Ok(*only),
        _ => Err(IntakeError::AmbiguousSheet { path: path.to_path_buf(), sheets: listed() }),
    }
}

/// A number as the clerk typed it: integral ones without the fraction.
pub(super) fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { f.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(cells: &[(u32, u32, &str, Option<CellType>)]) -> Rows {
        let mut rows = RowsBuilder::default();
        for &(row, col, text, typed) in cells {
            assert!(rows.push(row, col, text, typed));
        }
        rows.finish()
    }

    fn cells<'a>(row: &Row<'a>) -> Vec<(usize, &'a str)> {
        row.cells().collect()
    }

    #[test]
    fn sparse_rows_keep_absolute_columns_and_skip_empty_cells() {
        let rows = read(&[
            (0, 2, "c", Some(CellType::Number)),
            (0, 0, "a", None),
            (5, 1, "", None),
            (1_048_575, 16_383, "z", None),
        ]);
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].dense(), ["a", "", "c"]);
        assert_eq!((rows[0].cell_type(0), rows[0].cell_type(2)), (None, Some(CellType::Number)));
        assert_eq!((rows[1].number, rows[1].cell(16_383)), (1_048_576, "z"));
    }

    #[test]
    fn cells_in_order_are_kept_as_read_and_a_cell_given_twice_keeps_the_later() {
        let rows = read(&[
            (0, 0, "申請番号", None),
            (0, 3, "x", Some(CellType::Number)),
            (0, 3, "yy", None),
            (1, 3, "", Some(CellType::Unsaved)),
            (1, 5, "#N/A", Some(CellType::Error)),
            (2, 5, "z", None),
        ]);
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(cells(&rows[0]), [(0, "申請番号"), (3, "yy")]);
        assert_eq!(rows[0].cell_type(3), None);
        assert_eq!(cells(&rows[1]), [(3, ""), (5, "#N/A")]);
        assert_eq!((rows[1].cell_type(3), rows[1].cell_type(5)), (Some(CellType::Unsaved), Some(CellType::Error)));
        assert_eq!((rows[1].cell(5), rows[1].cell(4), rows[1].cell(usize::MAX)), ("#N/A", "", ""));
        // A row's first cell in the column of the previous row's last is not a duplicate.
        assert_eq!(cells(&rows[2]), [(5, "z")]);
    }

    #[test]
    fn cells_out_of_order_are_sorted_and_the_last_read_of_a_place_wins() {
        let rows = read(&[
            (4, 1, "b", None),
            (4, 0, "a", None),
            (2, 5, "first", Some(CellType::Date)),
            (4, 1, "B", Some(CellType::Number)),
            (2, 5, "second", None),
            (2, 0, "z", None),
        ]);
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(rows.iter().map(|r| r.number).collect::<Vec<_>>(), [3, 5]);
        assert_eq!(cells(&rows[0]), [(0, "z"), (5, "second")]);
        assert_eq!(rows[0].cell_type(5), None);
        assert_eq!(cells(&rows[1]), [(0, "a"), (1, "B")]);
        assert_eq!((rows[1].cell_type(0), rows[1].cell_type(1)), (None, Some(CellType::Number)));
    }

    #[test]
    fn a_row_read_in_part_is_listed_even_without_cells() {
        let mut rows = RowsBuilder::default();
        assert!(rows.push(0, 0, "a", None));
        rows.mark(0, RowProblem::UnclosedQuote { column: 0 });
        rows.mark(2, RowProblem::UnclosedQuote { column: 1 });
        assert!(rows.push(3, 0, "b", None));
        let rows = rows.finish();
        let rows: Vec<Row> = rows.iter().collect();
        assert_eq!(
            rows.iter().map(|r| (r.number, r.problem)).collect::<Vec<_>>(),
            [
                (1, Some(RowProblem::UnclosedQuote { column: 0 })),
                (3, Some(RowProblem::UnclosedQuote { column: 1 })),
                (4, None)
            ]
        );
        assert_eq!((cells(&rows[0]), cells(&rows[1]), cells(&rows[2])), (vec![(0, "a")], vec![], vec![(0, "b")]));
    }

    #[test]
    fn a_cell_costs_twelve_bytes_beside_its_text_and_a_row_eight() {
        assert_eq!((std::mem::size_of::<Slot>(), std::mem::size_of::<Head>()), (12, 8));
        let rows = read(&[(0, 0, "a", None), (0, 1, "b", None), (7, 0, "c", None)]);
        assert_eq!((rows.text.as_str(), rows.cells.len(), rows.heads.len()), ("abc", 3, 2));
    }
}
