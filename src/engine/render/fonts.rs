//! The fonts of one batch: subsets of the two bundled faces holding every character the
//! batch can print (see [`crate::ground::font::subset`]), made once and shared by reference across
//! threads. The PDF writer embeds them whole in the print bundle, and [`PdfFonts::subset_to`]
//! cuts them down again to the characters of one small document (a notice).

use std::collections::BTreeSet;

use super::layout::Frame;
use crate::ground::font::{Face, subset};

/// One face subset for the batch.
#[derive(Clone)]
pub struct SubsetFont {
    pub face: Face,
    /// The subset font program (TrueType, no hinting, no cmap: see [`subset`]).
    pub bytes: Vec<u8>,
    /// Glyph id of each character the subset holds.
    /// (character, glyph id), sorted by character: a few hundred entries, looked up for every
    /// character a page sets, where a binary search beats hashing.
    gids: Vec<(char, u16)>,
    /// Advance of every glyph, in thousandths of an em.
    pub widths: Vec<u16>,
    /// Font bounding box, ascender, descender, cap height, in thousandths of an em.
    pub bbox: [i32; 4],
    pub ascent: i32,
    pub descent: i32,
    pub cap_height: i32,
    /// The PostScript name of the face.
    pub name: String,
}

impl SubsetFont {
    /// The bundled `face` cut down to `chars` (characters it lacks are left out).
    fn from_face(face: Face, chars: &BTreeSet<char>) -> Result<SubsetFont, String> {
        let ttf = ttf_parser::Face::parse(face.bytes(), 0).map_err(|e| e.to_string())?;
        let per_mille = |v: f32| (v * 1000.0 / ttf.units_per_em() as f32).round() as i32;
        let old: Vec<(char, u16)> =
            chars.iter().filter_map(|&c| ttf.glyph_index(c).map(|g| (c, g.0))).filter(|(_, g)| *g != 0).collect();
        let b = ttf.global_bounding_box();
        let whole = SubsetFont {
            face,
            bytes: Vec::new(),
            gids: Vec::new(),
            widths: Vec::new(),
            bbox: [
                per_mille(b.x_min as f32),
                per_mille(b.y_min as f32),
                per_mille(b.x_max as f32),
                per_mille(b.y_max as f32),
            ],
            ascent: per_mille(ttf.ascender() as f32),
            descent: per_mille(ttf.descender() as f32),
            cap_height: per_mille(ttf.capital_height().unwrap_or(ttf.ascender()) as f32),
            name: face.postscript_name().to_string(),
        };
        whole.cut(face.bytes(), &old)
    }

    /// A font of this face cut from the program `source` down to `glyphs` (each character with
    /// its glyph id in `source`).
    fn cut(&self, source: &[u8], glyphs: &[(char, u16)]) -> Result<SubsetFont, String> {
        let cut = subset::subset(source, glyphs.iter().map(|&(_, g)| g))?;
        let units = cut.units_per_em.max(1) as f32;
        Ok(SubsetFont {
            face: self.face,
            gids: {
                let mut gids: Vec<(char, u16)> =
                    glyphs.iter().filter_map(|&(c, g)| cut.new_id(g).map(|new| (c, new))).collect();
                gids.sort_unstable();
                gids.dedup_by_key(|(c, _)| *c);
                gids
            },
            widths: cut.advances.iter().map(|&a| (a as f32 * 1000.0 / units).round() as u16).collect(),
            bytes: cut.bytes,
            bbox: self.bbox,
            ascent: self.ascent,
            descent: self.descent,
            cap_height: self.cap_height,
            name: self.name.clone(),
        })
    }

    /// This subset cut down again to `chars` (which it must hold; others are left out).
    pub fn cut_to(&self, chars: &BTreeSet<char>) -> Result<SubsetFont, String> {
        let glyphs: Vec<(char, u16)> = chars.iter().filter_map(|&c| self.gid(c).map(|g| (c, g))).collect();
        self.cut(&self.bytes, &glyphs)
    }

    /// The glyph id of `c`, if the subset holds it.
    pub fn gid(&self, c: char) -> Option<u16> {
        self.gids.binary_search_by_key(&c, |&(c, _)| c).ok().map(|i| self.gids[i].1)
    }

    /// Every (glyph id, character) pair, for the ToUnicode map.
    pub fn mappings(&self) -> impl Iterator<Item = (u16, char)> + '_ {
        self.gids.iter().map(|&(c, g)| (g, c))
    }
}

/// Both faces of a batch.
pub struct PdfFonts {
    pub gothic: SubsetFont,
    pub mono: SubsetFont,
}

impl PdfFonts {
    /// Subsets the bundled fonts: the Japanese face to `gothic_chars`, the password face to
    /// printable ASCII and the archive copy's mark.
    pub fn for_chars(gothic_chars: &BTreeSet<char>) -> Result<PdfFonts, String> {
        let ascii: BTreeSet<char> = (' '..='~').chain([super::layout::MASK]).collect();
        Ok(PdfFonts {
            gothic: SubsetFont::from_face(Face::Gothic, gothic_chars)?,
            mono: SubsetFont::from_face(Face::Mono, &ascii)?,
        })
    }

    /// These fonts cut down to the characters `frames` show, for a document of a page or two:
    /// a notice embeds a few hundred glyphs instead of every glyph the batch may print.
    pub fn subset_to(&self, frames: &[Frame]) -> Result<PdfFonts, String> {
        let chars = |face: Face| -> BTreeSet<char> {
            frames.iter().flat_map(|f| f.texts()).filter(|t| t.face == face).flat_map(|t| t.text.chars()).collect()
        };
        Ok(PdfFonts { gothic: self.gothic.cut_to(&chars(Face::Gothic))?, mono: self.mono.cut_to(&chars(Face::Mono))? })
    }

    pub fn get(&self, face: Face) -> &SubsetFont {
        match face {
            Face::Gothic => &self.gothic,
            Face::Mono => &self.mono,
        }
    }

    /// The first character of `frame` that the batch fonts cannot draw (a bug if ever `Some`:
    /// the batch's character set missed it, and it would print as a blank box).
    pub fn missing_char(&self, frame: &Frame) -> Option<char> {
        frame.texts().find_map(|run| run.text.chars().find(|&c| self.get(run.face).gid(c).is_none()))
    }
}
