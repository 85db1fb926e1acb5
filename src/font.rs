//! The bundled Japanese font (IPAexゴシック, IPA Font License, see `fonts/`).
//!
//! It is compiled into the binary so that a clerk's PC needs no font installed and nothing is
//! fetched at run time. This module answers one question for intake: can the font draw a
//! character? A character it cannot draw must never reach a mailed notice as tofu.

use std::sync::OnceLock;

/// The font program, as shipped in `fonts/ipaexg.ttf`.
pub const FONT_BYTES: &[u8] = include_bytes!("../fonts/ipaexg.ttf");

/// The font's name as clerks know it, used in messages.
pub const FONT_NAME: &str = "IPAexゴシック";

/// The parsed font face, parsed once per process.
pub fn face() -> &'static ttf_parser::Face<'static> {
    static FACE: OnceLock<ttf_parser::Face<'static>> = OnceLock::new();
    FACE.get_or_init(|| {
        ttf_parser::Face::parse(FONT_BYTES, 0)
            .expect("the bundled font in fonts/ is a valid TrueType font")
    })
}

/// Whether the bundled font has a glyph for `ch`.
pub fn covers(ch: char) -> bool {
    face().glyph_index(ch).is_some_and(|g| g.0 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_covers_kana_kanji_and_ascii() {
        for ch in "あア亜漢字髙﨑ABCxyz0123456789〒－ー　 ".chars() {
            assert!(covers(ch), "{ch:?} should be covered");
        }
    }

    #[test]
    fn font_lacks_characters_outside_jis() {
        assert!(!covers('𠮷'));
        assert!(!covers('\u{E001}'));
    }
}
