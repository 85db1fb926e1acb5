//! The bundled fonts, compiled into the binary so that a clerk's PC needs no font installed
//! and nothing is fetched at run time (licences in `fonts/`).
//!
//! - IPAexゴシック (IPA Font License v1.0): every Japanese text on the notices.
//! - JetBrains Mono Bold (Apache-2.0): the password characters only, because its 0/O and
//!   1/l/I differ at a glance (dotted zero, serifed I, tailed l).
//!
//! This module measures text and answers whether a character can be drawn; it knows nothing
//! of PDFs.

pub mod subset;

use std::sync::OnceLock;

/// The Japanese font program, as shipped in `fonts/ipaexg.ttf`.
pub const GOTHIC_BYTES: &[u8] = include_bytes!("../../../fonts/ipaexg.ttf");
/// The password font program, as shipped in `fonts/JetBrainsMono-Bold.ttf`.
pub const MONO_BYTES: &[u8] = include_bytes!("../../../fonts/JetBrainsMono-Bold.ttf");

/// The Japanese font's name as clerks know it, used in messages.
pub const FONT_NAME: &str = "IPAexゴシック";

/// Which of the two bundled faces a text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Gothic,
    Mono,
}

/// A parsed face with the metrics layout needs, per em.
pub struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    /// Distance from baseline to the top of the em box, in ems.
    pub ascender: f32,
    /// Distance from baseline to the bottom (negative), in ems.
    pub descender: f32,
    /// Advance of every BMP character in ems, negative where the face has no glyph: layout
    /// measures the same characters thousands of times per batch.
    bmp_advances: Vec<f32>,
}

impl Face {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Gothic => GOTHIC_BYTES,
            Face::Mono => MONO_BYTES,
        }
    }

    /// The PostScript name, as the PDF names the embedded font.
    pub fn postscript_name(self) -> &'static str {
        match self {
            Face::Gothic => "IPAexGothic",
            Face::Mono => "JetBrainsMono-Bold",
        }
    }

    /// The face parsed once per process.
    pub fn metrics(self) -> &'static Metrics {
        static GOTHIC: OnceLock<Metrics> = OnceLock::new();
        static MONO: OnceLock<Metrics> = OnceLock::new();
        let cell = match self {
            Face::Gothic => &GOTHIC,
            Face::Mono => &MONO,
        };
        cell.get_or_init(|| {
            let face = ttf_parser::Face::parse(self.bytes(), 0).expect("the bundled fonts are valid TrueType fonts");
            let units_per_em = face.units_per_em() as f32;
            let bmp_advances = (0..=0xFFFFu32)
                .map(|u| {
                    char::from_u32(u)
                        .and_then(|c| face.glyph_index(c))
                        .filter(|g| g.0 != 0)
                        .map(|g| face.glyph_hor_advance(g).unwrap_or(0) as f32 / units_per_em)
                        .unwrap_or(-1.0)
                })
                .collect();
            Metrics {
                ascender: face.ascender() as f32 / units_per_em,
                descender: face.descender() as f32 / units_per_em,
                units_per_em,
                face,
                bmp_advances,
            }
        })
    }
}

impl Metrics {
    /// Whether the face has a glyph for `ch`.
    pub fn covers(&self, ch: char) -> bool {
        match self.bmp_advances.get(ch as usize) {
            Some(&a) => a >= 0.0,
            None => self.face.glyph_index(ch).is_some_and(|g| g.0 != 0),
        }
    }

    /// Advance width of `ch` in ems (0 for a character the face lacks).
    pub fn advance(&self, ch: char) -> f32 {
        match self.bmp_advances.get(ch as usize) {
            Some(&a) => a.max(0.0),
            None => self
                .face
                .glyph_index(ch)
                .and_then(|g| self.face.glyph_hor_advance(g))
                .map(|a| a as f32 / self.units_per_em)
                .unwrap_or(0.0),
        }
    }

    /// Width of `text` set at `size_pt`, in millimetres.
    pub fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size_pt * MM_PER_PT
    }
}

/// Millimetres in a PostScript point.
pub const MM_PER_PT: f32 = 25.4 / 72.0;

/// Whether the Japanese font can draw `ch` (names and addresses are set in it).
pub fn covers(ch: char) -> bool {
    Face::Gothic.metrics().covers(ch)
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

    #[test]
    fn password_font_covers_every_password_character() {
        let mono = Face::Mono.metrics();
        for c in (b'!'..=b'~').map(char::from) {
            assert!(mono.covers(c), "{c}");
        }
        // Monospaced: every character has the same advance.
        assert_eq!(mono.advance('W'), mono.advance('i'));
    }

    #[test]
    fn full_width_characters_are_one_em() {
        let w = Face::Gothic.metrics().width_mm("漢字", 10.0);
        assert!((w - 2.0 * 10.0 * MM_PER_PT).abs() < 0.01, "{w}");
    }
}
