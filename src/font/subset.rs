//! Font subsets made once per batch: the glyphs of every character the batch can print, with
//! TrueType hinting removed. Each notice is then subset again from this small font instead of
//! the whole 6 MB IPAexゴシック (whose cmap scan dominated the cost), and the embedded fonts
//! carry no hinting bytecode (about 40 % of IPAex's glyph data; printers and PDF viewers
//! rasterise at resolutions where it does nothing).

use std::collections::BTreeSet;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{CmapTarget, SubsetProfile, subset};

/// Subsets `font` to the glyphs of `chars` (characters the font lacks are left out) and
/// strips its hinting. The result is a complete TrueType font with a Unicode cmap.
pub fn subset_for(font: &[u8], chars: &BTreeSet<char>) -> Result<Vec<u8>, String> {
    let face = ttf_parser::Face::parse(font, 0).map_err(|e| e.to_string())?;
    let mut ids: Vec<u16> =
        chars.iter().filter_map(|&c| face.glyph_index(c)).map(|g| g.0).filter(|&g| g != 0).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.insert(0, 0); // .notdef must come first
    let scope = ReadScope::new(font);
    let data = scope.read::<FontData<'_>>().map_err(|e| e.to_string())?;
    let provider = data.table_provider(0).map_err(|e| e.to_string())?;
    let subset = subset(&provider, &ids, &SubsetProfile::Minimal, CmapTarget::Unicode).map_err(|e| e.to_string())?;
    strip_hinting(&subset)
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]])).ok_or_else(|| "truncated font".to_string())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "truncated font".to_string())
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// Tables that only carry hinting (or device metrics computed from it).
const HINTING_TABLES: [&[u8; 4]; 5] = [b"fpgm", b"prep", b"cvt ", b"hdmx", b"LTSH"];

/// Removes every glyph's instructions and the hinting tables; rewrites `loca` in long format.
pub fn strip_hinting(font: &[u8]) -> Result<Vec<u8>, String> {
    let num_tables = u16_at(font, 4)? as usize;
    let mut tables: Vec<([u8; 4], Vec<u8>)> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4).ok_or("truncated font")?.try_into().expect("4 bytes");
        let (offset, length) = (u32_at(font, rec + 8)? as usize, u32_at(font, rec + 12)? as usize);
        let data = font.get(offset..offset + length).ok_or("table outside the font")?;
        if !HINTING_TABLES.contains(&&tag) {
            tables.push((tag, data.to_vec()));
        }
    }
    let find = |tag: &[u8; 4]| tables.iter().position(|(t, _)| t == tag);
    let (head, loca, glyf, maxp) = match (find(b"head"), find(b"loca"), find(b"glyf"), find(b"maxp")) {
        (Some(h), Some(l), Some(g), Some(m)) => (h, l, g, m),
        _ => return Err("not a TrueType font with glyf outlines".into()),
    };
    let long_loca = u16_at(&tables[head].1, 50)? == 1;
    let num_glyphs = u16_at(&tables[maxp].1, 4)? as usize;
    let offset = |i: usize| -> Result<usize, String> {
        let loca = &tables[loca].1;
        Ok(if long_loca { u32_at(loca, 4 * i)? as usize } else { u16_at(loca, 2 * i)? as usize * 2 })
    };
    let mut new_glyf = Vec::with_capacity(tables[glyf].1.len());
    let mut new_loca = Vec::with_capacity(4 * (num_glyphs + 1));
    for i in 0..num_glyphs {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        let (start, end) = (offset(i)?, offset(i + 1)?);
        let glyph = tables[glyf].1.get(start..end).ok_or("glyph outside glyf")?;
        if !glyph.is_empty() {
            new_glyf.extend_from_slice(&strip_glyph(glyph)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    tables[glyf].1 = new_glyf;
    tables[loca].1 = new_loca;
    let head_table = &mut tables[head].1;
    head_table[50..52].copy_from_slice(&1u16.to_be_bytes());
    head_table[8..12].copy_from_slice(&[0; 4]);
    if tables[maxp].1.len() >= 28 {
        tables[maxp].1[26..28].copy_from_slice(&[0, 0]); // maxSizeOfInstructions
    }
    Ok(assemble(font, tables, head))
}

/// Writes a font file from its tables (sorted by tag, 4-byte aligned, checksummed).
fn assemble(original: &[u8], mut tables: Vec<([u8; 4], Vec<u8>)>, head_index: usize) -> Vec<u8> {
    let head_tag = tables[head_index].0;
    tables.sort_by_key(|t| t.0);
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = (1u16 << entry_selector) * 16;
    let mut out = Vec::new();
    out.extend_from_slice(&original[0..4]);
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = 12 + 16 * tables.len();
    let mut body = Vec::new();
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        offset = 12 + 16 * tables.len() + body.len();
    }
    out.extend_from_slice(&body);
    // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
    let head_offset = tables.iter().position(|(t, _)| *t == head_tag).map(|i| 12 + 16 * i + 8).expect("head kept");
    let head_at = u32::from_be_bytes(out[head_offset..head_offset + 4].try_into().expect("4 bytes")) as usize;
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    out
}

/// One glyph without its instructions.
fn strip_glyph(glyph: &[u8]) -> Result<Vec<u8>, String> {
    let contours = u16_at(glyph, 0)? as i16;
    if contours >= 0 {
        let n = contours as usize;
        let len_at = 10 + 2 * n;
        let instructions = u16_at(glyph, len_at)? as usize;
        let rest = glyph.get(len_at + 2 + instructions..).ok_or("glyph shorter than its instructions")?;
        let mut out = Vec::with_capacity(glyph.len() - instructions);
        out.extend_from_slice(&glyph[..len_at]);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Ok(out);
    }
    // Composite: walk the components, clear WE_HAVE_INSTRUCTIONS, drop what follows them.
    const ARGS_ARE_WORDS: u16 = 0x0001;
    const HAVE_SCALE: u16 = 0x0008;
    const MORE_COMPONENTS: u16 = 0x0020;
    const HAVE_XY_SCALE: u16 = 0x0040;
    const HAVE_TWO_BY_TWO: u16 = 0x0080;
    const HAVE_INSTRUCTIONS: u16 = 0x0100;
    let mut out = glyph.to_vec();
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        out[at..at + 2].copy_from_slice(&(flags & !HAVE_INSTRUCTIONS).to_be_bytes());
        at += 4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 };
        at += if flags & HAVE_SCALE != 0 {
            2
        } else if flags & HAVE_XY_SCALE != 0 {
            4
        } else if flags & HAVE_TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        if at > glyph.len() {
            return Err("composite glyph truncated".into());
        }
        if flags & MORE_COMPONENTS == 0 {
            break;
        }
    }
    out.truncate(at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::font::{GOTHIC_BYTES, MONO_BYTES};

    #[derive(Default, PartialEq, Debug)]
    struct Path(Vec<(char, i32, i32)>);

    impl ttf_parser::OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(('M', x as i32, y as i32));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(('L', x as i32, y as i32));
        }
        fn quad_to(&mut self, _: f32, _: f32, x: f32, y: f32) {
            self.0.push(('Q', x as i32, y as i32));
        }
        fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, x: f32, y: f32) {
            self.0.push(('C', x as i32, y as i32));
        }
        fn close(&mut self) {
            self.0.push(('Z', 0, 0));
        }
    }

    fn outline(face: &ttf_parser::Face, c: char) -> (Path, u16) {
        let g = face.glyph_index(c).unwrap();
        let mut path = Path::default();
        face.outline_glyph(g, &mut path);
        (path, face.glyph_hor_advance(g).unwrap())
    }

    #[test]
    fn subset_keeps_the_outlines_and_advances_of_its_characters() {
        let text = "電子請求登録結果に関するお知らせ〒髙﨑AZaz09-（）";
        let chars: BTreeSet<char> = text.chars().collect();
        let bytes = subset_for(GOTHIC_BYTES, &chars).unwrap();
        assert!(bytes.len() < 40_000, "{}", bytes.len());
        let full = ttf_parser::Face::parse(GOTHIC_BYTES, 0).unwrap();
        let sub = ttf_parser::Face::parse(&bytes, 0).unwrap();
        for c in chars {
            assert_eq!(outline(&full, c), outline(&sub, c), "{c}");
        }
        assert!(sub.glyph_index('漢').is_none());
        assert!(checksum(&bytes) == 0xB1B0_AFBA);
    }

    #[test]
    fn hinting_is_gone() {
        let chars: BTreeSet<char> = "ABCabc123".chars().collect();
        let bytes = subset_for(MONO_BYTES, &chars).unwrap();
        let face = ttf_parser::Face::parse(&bytes, 0).unwrap();
        for tag in HINTING_TABLES {
            assert!(face.raw_face().table(ttf_parser::Tag::from_bytes(tag)).is_none());
        }
        let glyf = face.raw_face().table(ttf_parser::Tag::from_bytes(b"glyf")).unwrap();
        let loca = face.raw_face().table(ttf_parser::Tag::from_bytes(b"loca")).unwrap();
        for i in 0..face.number_of_glyphs() as usize {
            let start = u32_at(loca, 4 * i).unwrap() as usize;
            let end = u32_at(loca, 4 * i + 4).unwrap() as usize;
            let glyph = &glyf[start..end];
            if glyph.len() >= 10 && (u16_at(glyph, 0).unwrap() as i16) >= 0 {
                let n = u16_at(glyph, 0).unwrap() as usize;
                assert_eq!(u16_at(glyph, 10 + 2 * n).unwrap(), 0, "glyph {i} keeps instructions");
            }
        }
    }
}
