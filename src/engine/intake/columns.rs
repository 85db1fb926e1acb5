//! The columns of a request list: Japanese headers with English aliases, in any order.

use unicode_normalization::UnicodeNormalization;

/// A column tsuchi reads. Anything else in the header row is listed once as unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    RequestId,
    Kind,
    Status,
    OfficeNo,
    OfficeName,
    PostalCode,
    Address,
    Phone,
    Fax,
    UserId,
    Prefecture,
    Attention,
    Address2,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::RequestId,
        Column::Kind,
        Column::Status,
        Column::OfficeNo,
        Column::OfficeName,
        Column::PostalCode,
        Column::Address,
        Column::Phone,
        Column::Fax,
        Column::UserId,
        Column::Prefecture,
        Column::Attention,
        Column::Address2,
    ];

    /// The header as SPEC §2 writes it, used in messages.
    pub fn header(self) -> &'static str {
        match self {
            // The folded spellings lose the case a clerk sees in the template.
            Column::UserId => "ユーザID",
            Column::Fax => "FAX番号",
            _ => self.names()[0],
        }
    }

    /// The column a header cell names, in any of its accepted spellings.
    pub fn of_header(cell: &str) -> Option<Column> {
        let folded = fold_header(cell);
        Column::ALL.into_iter().find(|col| col.names().contains(&folded.as_str()))
    }

    /// `heading` (the column as the clerk wrote it) quoted for a message: 「事業所番号」, and in
    /// English with what the column is, 「事業所番号」 (office number).
    pub fn named(self, heading: &str) -> String {
        match self {
            Column::RequestId => crate::msg!("intake.column.request_id", heading),
            Column::Kind => crate::msg!("intake.column.kind", heading),
            Column::Status => crate::msg!("intake.column.status", heading),
            Column::OfficeNo => crate::msg!("intake.column.office_no", heading),
            Column::OfficeName => crate::msg!("intake.column.office_name", heading),
            Column::PostalCode => crate::msg!("intake.column.postal_code", heading),
            Column::Address => crate::msg!("intake.column.address", heading),
            Column::Phone => crate::msg!("intake.column.phone", heading),
            Column::Fax => crate::msg!("intake.column.fax", heading),
            Column::UserId => crate::msg!("intake.column.user_id", heading),
            Column::Prefecture => crate::msg!("intake.column.prefecture", heading),
            Column::Attention => crate::msg!("intake.column.attention", heading),
            Column::Address2 => crate::msg!("intake.column.address2", heading),
        }
    }

    /// Accepted header spellings, already in the folded form of [`fold_header`].
    fn names(self) -> &'static [&'static str] {
        match self {
            Column::RequestId => &["申請番号", "requestid", "申請id"],
            Column::Kind => &["通知種別", "kind", "種別"],
            Column::Status => &["審査結果", "status"],
            Column::OfficeNo => &["事業所番号", "officeno", "officenumber"],
            Column::OfficeName => &["事業所名", "officename", "事業所名称"],
            Column::PostalCode => &["郵便番号", "postalcode", "zip", "〒"],
            Column::Address => &["住所", "address", "所在地"],
            Column::Phone => &["電話番号", "phone", "tel", "電話"],
            Column::Fax => &["fax番号", "fax", "ファクス番号"],
            Column::UserId => &["ユーザid", "userid", "ユーザーid"],
            Column::Prefecture => &["請求先都道府県", "prefecture", "都道府県"],
            Column::Attention => &["宛名", "attention", "担当者"],
            Column::Address2 => &["番地", "住所2", "address2", "住所２"],
        }
    }

    /// Whether a file without this column cannot be read at all.
    pub fn required(self) -> bool {
        !matches!(
            self,
            Column::Status | Column::Phone | Column::Fax | Column::Prefecture | Column::Attention | Column::Address2
        )
    }

    /// Whether a value in this column makes a row a request. The others (通知種別, 審査結果,
    /// 請求先都道府県) often carry a template's defaults or drop-down values all the way down
    /// the sheet; a row holding only those is blank.
    pub fn holds_data(self) -> bool {
        !matches!(self, Column::Kind | Column::Status | Column::Prefecture)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Folds a header cell for matching: NFKC, lower case, no white space, `_` or `-`.
pub fn fold_header(raw: &str) -> String {
    raw.nfkc().flat_map(char::to_lowercase).filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '・')).collect()
}

/// Where each known column is in the header row.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    positions: [Option<usize>; 13],
    /// The header cells as written in the file, by position.
    pub headers: Vec<String>,
    /// Header cells that name no known column, as written.
    pub unknown: Vec<String>,
}

/// A header row that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    Missing(Vec<Column>),
    /// Two header cells (0-based positions) name the same field.
    Duplicate {
        field: Column,
        first: usize,
        second: usize,
    },
}

impl HeaderMap {
    /// Counts the cells of a row that name a known column (to find the header row).
    pub fn known_count<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
        cells.into_iter().filter(|c| Self::identify(c).is_some()).count()
    }

    fn identify(cell: &str) -> Option<Column> {
        Column::of_header(cell)
    }

    pub fn from_cells(cells: &[String]) -> Result<HeaderMap, HeaderProblem> {
        let mut positions = [None; 13];
        let mut unknown = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            if cell.trim().is_empty() {
                continue;
            }
            match Self::identify(cell) {
                Some(col) => {
                    if let Some(first) = positions[col.index()] {
                        return Err(HeaderProblem::Duplicate { field: col, first, second: i });
                    }
                    positions[col.index()] = Some(i);
                }
                None => unknown.push(cell.trim().to_string()),
            }
        }
        let missing: Vec<Column> =
            Column::ALL.into_iter().filter(|c| c.required() && positions[c.index()].is_none()).collect();
        if !missing.is_empty() {
            return Err(HeaderProblem::Missing(missing));
        }
        Ok(HeaderMap { positions, headers: cells.iter().map(|c| c.trim().to_string()).collect(), unknown })
    }

    /// The position of a column in the row, if the file has it.
    pub fn position(&self, col: Column) -> Option<usize> {
        self.positions[col.index()]
    }

    /// The columns the file has, with their positions.
    pub fn present(&self) -> impl Iterator<Item = (Column, usize)> + '_ {
        Column::ALL.into_iter().filter_map(|c| self.position(c).map(|p| (c, p)))
    }

    /// The header of a column as the clerk wrote it (falls back to the canonical name).
    pub fn header_of(&self, col: Column) -> String {
        self.position(col).map(|i| self.headers[i].clone()).unwrap_or_else(|| col.header().to_string())
    }
}

/// Spreadsheet column letters for a 0-based index: 0 → A, 25 → Z, 26 → AA.
pub fn column_letter(mut index: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push((b'A' + (index % 26) as u8) as char);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_are_found_by_japanese_header_or_english_alias_in_any_order() {
        let map = HeaderMap::from_cells(&cells(&[
            "User ID",
            "住所",
            "申請番号",
            "kind",
            "office_no",
            "事業所名",
            "郵便番号",
            "ＦＡＸ番号",
            "備考",
        ]))
        .unwrap();
        assert_eq!(map.position(Column::UserId), Some(0));
        assert_eq!(map.position(Column::Kind), Some(3));
        assert_eq!(map.position(Column::Fax), Some(7));
        assert_eq!(map.position(Column::Status), None);
        assert_eq!(map.unknown, vec!["備考".to_string()]);
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = HeaderMap::from_cells(&cells(&["申請番号", "通知種別"])).unwrap_err();
        let HeaderProblem::Missing(missing) = err else { panic!("{err:?}") };
        assert!(missing.contains(&Column::OfficeNo));
        assert!(!missing.contains(&Column::Status));
    }

    #[test]
    fn a_column_given_twice_is_a_problem() {
        let err = HeaderMap::from_cells(&cells(&["申請番号", "request_id"])).unwrap_err();
        assert_eq!(err, HeaderProblem::Duplicate { field: Column::RequestId, first: 0, second: 1 });
    }

    #[test]
    fn column_letters_follow_excel() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
