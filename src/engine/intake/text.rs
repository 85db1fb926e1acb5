//! Text rules for cells: code fields are normalised, names and addresses are never rewritten,
//! only checked for characters that cannot be printed. The one exception is the line break:
//! in a printed field a line break is a line-break opportunity, never a glyph, so CRLF and a
//! lone CR (Excel's `_x000D_`) become LF at intake and the layout sees one kind of break.

use crate::ground::font;

pub use crate::ground::model::normalize_code;

/// Why a character of a printed field (name, address) cannot be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadChar {
    /// A private-use code point: CP932 外字 or a vendor character.
    PrivateUse(char),
    /// A control character other than a line break.
    Control(char),
    /// No bundled font has a glyph for it (IPAex Gothic nor the fallback).
    NotInFont(char),
}

impl BadChar {
    /// The character that cannot be printed.
    pub fn character(&self) -> char {
        match *self {
            BadChar::PrivateUse(c) | BadChar::Control(c) | BadChar::NotInFont(c) => c,
        }
    }

    /// The reason, naming the character and its code point.
    pub fn reason(&self) -> String {
        match *self {
            BadChar::PrivateUse(c) => crate::msg!("intake.private_use", code = code_point(c)),
            BadChar::Control(c) => crate::msg!("intake.control", code = code_point(c)),
            BadChar::NotInFont(c) => {
                crate::msg!("intake.not_in_font", character = c, code = code_point(c), font = font::FONT_NAMES)
            }
        }
    }
}

/// `U+` is the message's; the hex digits, at least four, are these.
fn code_point(c: char) -> String {
    format!("{:04X}", c as u32)
}

/// Finds the first character of a printed field that cannot be printed.
/// Line breaks (Alt+Enter in an Excel cell) are allowed; the layout treats them as breaks. A
/// variation selector after a character is no character of its own: the variant prints, or
/// its base character (see [`variants_not_printed`]). Characters IPAex lacks print from the
/// fallback face.
pub fn first_unprintable(text: &str) -> Option<BadChar> {
    font::beyond_gothic(text).find_map(|(cluster, source)| {
        let c = cluster.base;
        if is_private_use(c) {
            Some(BadChar::PrivateUse(c))
        } else if c == '\n' || c == '\r' {
            None
        } else if c.is_control() {
            Some(BadChar::Control(c))
        } else if source.is_none() {
            Some(BadChar::NotInFont(c))
        } else {
            None
        }
    })
}

/// The variation sequences of a printable text that no bundled font has: each prints as its
/// base character, and the clerk is told.
pub fn variants_not_printed(text: &str) -> impl Iterator<Item = font::Cluster> + '_ {
    font::beyond_gothic(text).filter(|(_, source)| source.is_some_and(|s| !s.exact)).map(|(c, _)| c)
}

fn is_private_use(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Excel's limit for the text of one cell; anything longer was not typed into a cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// The first control character (C0, DEL, C1) of a cell, line breaks excepted when
/// `line_breaks` (printed fields); code fields allow none.
pub fn first_control(text: &str, line_breaks: bool) -> Option<char> {
    text.chars().find(|&c| c.is_control() && !(line_breaks && (c == '\n' || c == '\r')))
}

/// CRLF and lone CR become LF: the one rewrite of a printed field (see the module docs).
/// Whether a cell's whole text is one of Excel's error values. A CSV that Excel exported keeps
/// a formula's error as this text, and no name, address or code is written this way.
pub fn is_error_value(text: &str) -> bool {
    const ERRORS: [&str; 15] = [
        "#N/A",
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    ];
    let text = text.trim();
    text.starts_with('#') && ERRORS.iter().any(|e| e.eq_ignore_ascii_case(text))
}

pub fn normalize_line_breaks(text: &str) -> String {
    if text.contains('\r') { text.replace("\r\n", "\n").replace('\r', "\n") } else { text.to_string() }
}

/// A printed field is blank when it has nothing but white space.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fields_get_nfkc_and_hyphen_lookalikes_mapped() {
        assert_eq!(normalize_code("１３１１１１１１１４"), "1311111114");
        assert_eq!(normalize_code("100‐0013"), "100-0013");
        assert_eq!(normalize_code("100−0013"), "100-0013");
        assert_eq!(normalize_code("100―0013"), "100-0013");
        assert_eq!(normalize_code("100ー0013"), "100-0013");
        assert_eq!(normalize_code("100－0013"), "100-0013");
        assert_eq!(normalize_code(" ＫＪ１３ "), "KJ13");
    }

    #[test]
    fn code_fields_lose_invisible_format_characters() {
        for cf in ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{202E}', '\u{E0041}'] {
            assert_eq!(normalize_code(&format!("{cf}R-1{cf}2{cf}")), "R-12", "U+{:04X}", cf as u32);
        }
        // Lower case stays: only the 申請番号 is upper-cased, and a ユーザID must be typed right.
        assert_eq!(normalize_code("kj13"), "kj13");
    }

    #[test]
    fn private_use_characters_are_gaiji() {
        assert_eq!(first_unprintable("髙橋\u{E05A}"), Some(BadChar::PrivateUse('\u{E05A}')));
    }

    #[test]
    fn characters_missing_from_every_font_are_named() {
        assert_eq!(first_unprintable("𠮷野家ケアセンター"), None);
        // U+2FFFD: a noncharacter no font draws.
        let bad = first_unprintable("野\u{2FFFD}家").unwrap();
        assert_eq!(bad, BadChar::NotInFont('\u{2FFFD}'));
        assert!(bad.reason().contains("U+2FFFD"));
    }

    #[test]
    fn a_variation_selector_is_never_unprintable() {
        assert_eq!(first_unprintable("葛\u{E0100}飾区"), None);
        assert_eq!(variants_not_printed("葛\u{E0100}飾区").count(), 0);
        // A sequence no font lists prints its base, and is said.
        let text = "葛\u{E01EF}飾区";
        assert_eq!(first_unprintable(text), None);
        assert_eq!(variants_not_printed(text).map(|c| c.to_string()).collect::<Vec<_>>(), ["葛\u{E01EF}"]);
        // A selector with nothing before it has no glyph.
        assert_eq!(first_unprintable("\u{FE00}葛"), Some(BadChar::NotInFont('\u{FE00}')));
    }

    #[test]
    fn every_kind_of_line_break_becomes_lf() {
        assert_eq!(normalize_line_breaks("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(normalize_line_breaks("\r\r\n"), "\n\n");
    }

    #[test]
    fn control_characters_are_found_and_line_breaks_only_where_allowed() {
        assert_eq!(first_control("ab\0c", true), Some('\0'));
        assert_eq!(first_control("a\r\nb", true), None);
        assert_eq!(first_control("a\nb", false), Some('\n'));
        assert_eq!(first_control("a\u{85}b\u{7F}", true), Some('\u{85}'));
        assert_eq!(first_control("東京都", false), None);
    }

    #[test]
    fn line_breaks_are_allowed_but_tabs_are_not() {
        assert_eq!(first_unprintable("東京都千代田区\n霞が関1-2-2"), None);
        assert_eq!(first_unprintable("a\tb"), Some(BadChar::Control('\t')));
    }
}
