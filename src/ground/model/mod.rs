//! The domain on the ground floor: a request as tsuchi understands it, its typed codes, and a
//! row-level rejection. Every stage may import this module; `intake` produces these values,
//! `render`, `barcode`, `audit` and the ledger consume them, and none of them owns them.

pub mod fields;
pub mod honorific;

use unicode_normalization::UnicodeNormalization;

pub use fields::{
    NoticeKind, OfficeNo, PhoneNo, PostalCode, Prefecture, RegisteredNo, RequestId, ReviewStatus, UserId,
};

/// Normalises a code field (事業所番号, 郵便番号, 電話番号, ユーザID …): NFKC, invisible
/// format characters dropped (a zero-width space typed or pasted into a 申請番号 must not make
/// it a new one), the hyphen look-alikes that NFKC leaves alone mapped to `-`, surrounding
/// white space removed.
pub fn normalize_code(raw: &str) -> String {
    raw.nfkc()
        .filter(|&c| !is_format_char(c))
        .map(|c| match c {
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{30FC}'
            | '\u{FF0D}' | '\u{FF70}' | '\u{FE63}' => '-',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Whether `c` is an invisible format character (Unicode general category Cf): zero-width
/// spaces and joiners, the soft hyphen, the BOM, bidi controls, tags. The table is Unicode
/// 16's; unicode-normalization does not expose general categories, and a crate for one
/// category is not worth its weight.
///
/// Also the other default-ignorable code points, which are just as invisible but not Cf: the
/// combining grapheme joiner, variation selectors (a pasted `R08-0001` may carry U+FE0F), the
/// Hangul fillers and the Mongolian free variation selectors. Without them a 申請番号 retyped
/// with one of these would be a new request and issued twice.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c as u32,
        0x034F
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180B..=0x180D
            | 0x180F
            | 0x3164
            | 0xFE00..=0xFE0F
            | 0xFFA0
            | 0xFFF0..=0xFFF8
            // Tags (Cf) and variation selectors supplement, with the unassigned between.
            | 0xE0000..=0xE0FFF
            | 0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
    )
}

/// One validated request, ready for secrets and a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Row number in the file, as Excel shows it.
    pub row: usize,
    pub request_id: RequestId,
    pub kind: NoticeKind,
    pub office_no: OfficeNo,
    /// Printed exactly as given.
    pub office_name: String,
    pub postal_code: PostalCode,
    /// Printed exactly as given.
    pub address: String,
    /// The part of the address after the 町域 (番地, building), when the list gives it in its
    /// own column; printed after the address.
    pub address2: Option<String>,
    pub phone: Option<PhoneNo>,
    pub fax: Option<PhoneNo>,
    pub user_id: UserId,
    pub prefecture: Option<Prefecture>,
    /// A person to address (e.g. 管理者 氏名); printed as given.
    pub attention: Option<String>,
}

impl Request {
    /// The address as printed: 住所, then 番地/住所2 when the list gives it separately.
    pub fn printed_address(&self) -> String {
        match &self.address2 {
            Some(rest) => format!("{} {rest}", self.address),
            None => self.address.clone(),
        }
    }
}

/// One problem with one cell (or one row). A row with several problems has several.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub row: usize,
    /// The column as the clerk wrote its header.
    pub column: String,
    /// Excel letter of the column, when the file has it.
    pub column_letter: Option<String>,
    /// The cell as written.
    pub value: String,
    pub reason: String,
}

/// How a notice's ZIP opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ZipOpening {
    /// With the office's login password from this batch's paper notice.
    Login,
    /// With a 開封パスワード from secrets/開封パスワード一覧.pdf.
    Separate,
}
