//! Font subsets: a TrueType font cut down to the glyphs of some characters, with the glyphs
//! renumbered from 0 and their TrueType hinting removed. A batch cuts the bundled 6 MB faces
//! once; each notice is then cut again from that small font, which costs a few microseconds
//! (copying glyph records) instead of a scan of the whole face.
//!
//! The result keeps only what a PDF's CIDFontType2 (glyph ids, Identity mapping) draws with:
//! `glyf`, `loca`, `head`, `hhea`, `hmtx`, `maxp` and `OS/2`. No `cmap` (the PDF maps codes to
//! glyph ids itself and its ToUnicode map gives the text), no `name` or `post`, and no hinting
//! bytecode (about 40 % of IPAex's glyph data; printers and PDF viewers rasterise at resolutions
//! where it does nothing).

/// A subset: the font program, and for each new glyph id (the index) the old one.
pub struct Subset {
    pub bytes: Vec<u8>,
    pub old_ids: Vec<u16>,
    /// Old ids of the glyphs copied after those of `old_ids` (new ids from `old_ids.len()` on):
    /// a second glyph id for the same drawing, so that a PDF can map it to other text.
    pub copies: Vec<u16>,
    /// Advance of each new glyph, in font units.
    pub advances: Vec<u16>,
    pub units_per_em: u16,
}

impl Subset {
    /// The new glyph id of the old glyph `old`.
    pub fn new_id(&self, old: u16) -> Option<u16> {
        self.old_ids.binary_search(&old).ok().map(|i| i as u16)
    }
}

/// A TrueType font's tables, found.
struct Tables<'a> {
    head: &'a [u8],
    hhea: &'a [u8],
    maxp: &'a [u8],
    hmtx: &'a [u8],
    loca: &'a [u8],
    glyf: &'a [u8],
    os2: Option<&'a [u8]>,
    long_loca: bool,
    glyphs: usize,
    metrics: usize,
}

impl<'a> Tables<'a> {
    fn find(font: &'a [u8]) -> Result<Tables<'a>, String> {
        let num_tables = u16_at(font, 4)? as usize;
        let mut found: [Option<&[u8]>; 7] = [None; 7];
        for i in 0..num_tables {
            let rec = 12 + 16 * i;
            let tag = font.get(rec..rec + 4).ok_or("truncated font")?;
            let (offset, length) = (u32_at(font, rec + 8)? as usize, u32_at(font, rec + 12)? as usize);
            let slot = match tag {
                b"head" => 0,
                b"hhea" => 1,
                b"maxp" => 2,
                b"hmtx" => 3,
                b"loca" => 4,
                b"glyf" => 5,
                b"OS/2" => 6,
                _ => continue,
            };
            found[slot] = Some(font.get(offset..offset + length).ok_or("table outside the font")?);
        }
        let [Some(head), Some(hhea), Some(maxp), Some(hmtx), Some(loca), Some(glyf), os2] = found else {
            return Err("not a TrueType font with glyf outlines".into());
        };
        Ok(Tables {
            long_loca: u16_at(head, 50)? == 1,
            glyphs: u16_at(maxp, 4)? as usize,
            metrics: u16_at(hhea, 34)? as usize,
            head,
            hhea,
            maxp,
            hmtx,
            loca,
            glyf,
            os2,
        })
    }

    fn glyph(&self, id: u16) -> Result<&'a [u8], String> {
        let at = |i: usize| -> Result<usize, String> {
            Ok(if self.long_loca { u32_at(self.loca, 4 * i)? as usize } else { u16_at(self.loca, 2 * i)? as usize * 2 })
        };
        let (start, end) = (at(id as usize)?, at(id as usize + 1)?);
        self.glyf.get(start..end).ok_or_else(|| "glyph outside glyf".into())
    }

    /// Advance and left side bearing of glyph `id`.
    fn metrics(&self, id: u16) -> Result<(u16, [u8; 2]), String> {
        let id = id as usize;
        let last = self.metrics.max(1) - 1;
        let advance = u16_at(self.hmtx, 4 * id.min(last))?;
        let lsb_at = if id <= last { 4 * id + 2 } else { 4 * self.metrics + 2 * (id - self.metrics) };
        let lsb = self.hmtx.get(lsb_at..lsb_at + 2).map_or([0, 0], |b| [b[0], b[1]]);
        Ok((advance, lsb))
    }
}

/// Cuts `font` down to the glyphs `ids` (glyph 0, `.notdef`, is always kept; so are the
/// components of composite glyphs), renumbered in order of their old ids, without hinting.
pub fn subset(font: &[u8], ids: impl IntoIterator<Item = u16>) -> Result<Subset, String> {
    subset_with_copies(font, ids, &[])
}

/// [`subset`], followed by a copy of each glyph of `copies` (see [`Subset::copies`]).
pub fn subset_with_copies(font: &[u8], ids: impl IntoIterator<Item = u16>, copies: &[u16]) -> Result<Subset, String> {
    let t = Tables::find(font)?;
    let copies: Vec<u16> = copies.iter().copied().filter(|&g| (g as usize) < t.glyphs).collect();
    let mut keep: Vec<u16> =
        std::iter::once(0).chain(ids).chain(copies.iter().copied()).filter(|&g| (g as usize) < t.glyphs).collect();
    keep.sort_unstable();
    keep.dedup();
    // Composite glyphs draw other glyphs: keep those too (to any depth).
    loop {
        let mut components = Vec::new();
        for &g in &keep {
            for_each_component(t.glyph(g)?, |_, id| components.push(id))?;
        }
        let before = keep.len();
        keep.extend(components.into_iter().filter(|&g| (g as usize) < t.glyphs));
        keep.sort_unstable();
        keep.dedup();
        if keep.len() == before {
            break;
        }
    }
    let n = keep.len() + copies.len();
    let all = || keep.iter().chain(&copies);
    let mut glyf = Vec::with_capacity(all().map(|&g| t.glyph(g).map_or(0, <[u8]>::len) + 3).sum());
    let mut loca = Vec::with_capacity(4 * (n + 1));
    let mut hmtx = Vec::with_capacity(4 * n);
    let mut advances = Vec::with_capacity(n);
    for &old in all() {
        loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
        let glyph = t.glyph(old)?;
        if !glyph.is_empty() {
            let start = glyf.len();
            strip_glyph(glyph, &mut glyf)?;
            if (u16_at(glyph, 0)? as i16) < 0 {
                let mut components = Vec::new();
                for_each_component(&glyf[start..], |at, id| components.push((at, id)))?;
                for (at, id) in components {
                    let new =
                        keep.binary_search(&id).map_err(|_| format!("component {id} of glyph {old} is missing"))?;
                    glyf[start + at..start + at + 2].copy_from_slice(&(new as u16).to_be_bytes());
                }
            }
            while glyf.len() % 4 != 0 {
                glyf.push(0);
            }
        }
        let (advance, lsb) = t.metrics(old)?;
        hmtx.extend_from_slice(&advance.to_be_bytes());
        hmtx.extend_from_slice(&lsb);
        advances.push(advance);
    }
    loca.extend_from_slice(&(glyf.len() as u32).to_be_bytes());
    let mut head = t.head.to_vec();
    head[50..52].copy_from_slice(&1u16.to_be_bytes()); // long loca
    head[8..12].copy_from_slice(&[0; 4]); // checkSumAdjustment, set when assembled
    let mut hhea = t.hhea.to_vec();
    hhea[34..36].copy_from_slice(&(n as u16).to_be_bytes());
    let mut maxp = t.maxp.to_vec();
    maxp[4..6].copy_from_slice(&(n as u16).to_be_bytes());
    if maxp.len() >= 28 {
        maxp[26..28].copy_from_slice(&[0, 0]); // maxSizeOfInstructions
    }
    let units_per_em = u16_at(t.head, 18)?;
    let mut tables = vec![
        (*b"glyf", glyf),
        (*b"head", head),
        (*b"hhea", hhea),
        (*b"hmtx", hmtx),
        (*b"loca", loca),
        (*b"maxp", maxp),
    ];
    if let Some(os2) = t.os2 {
        tables.push((*b"OS/2", os2.to_vec()));
    }
    Ok(Subset { bytes: assemble(tables), old_ids: keep, copies, advances, units_per_em })
}

/// Calls `f(offset, glyph id)` for each component of a composite glyph (none for a simple one);
/// `offset` is where the component's glyph id sits in `glyph`.
fn for_each_component(glyph: &[u8], mut f: impl FnMut(usize, u16)) -> Result<(), String> {
    if glyph.is_empty() || (u16_at(glyph, 0)? as i16) >= 0 {
        return Ok(());
    }
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        f(at + 2, u16_at(glyph, at + 2)?);
        at += component_len(flags);
        if at > glyph.len() {
            return Err("composite glyph truncated".into());
        }
        if flags & MORE_COMPONENTS == 0 {
            return Ok(());
        }
    }
}

const ARGS_ARE_WORDS: u16 = 0x0001;
const HAVE_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const HAVE_XY_SCALE: u16 = 0x0040;
const HAVE_TWO_BY_TWO: u16 = 0x0080;
const HAVE_INSTRUCTIONS: u16 = 0x0100;

/// Bytes of one component record with these flags.
fn component_len(flags: u16) -> usize {
    4 + if flags & ARGS_ARE_WORDS != 0 { 4 } else { 2 }
        + if flags & HAVE_SCALE != 0 {
            2
        } else if flags & HAVE_XY_SCALE != 0 {
            4
        } else if flags & HAVE_TWO_BY_TWO != 0 {
            8
        } else {
            0
        }
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2).map(|s| u16::from_be_bytes([s[0], s[1]])).ok_or_else(|| "truncated font".to_string())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4).map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "truncated font".to_string())
}

fn checksum(data: &[u8]) -> u32 {
    let words = data.chunks_exact(4);
    let mut tail = [0u8; 4];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    let sum = words.fold(0u32, |sum, w| sum.wrapping_add(u32::from_be_bytes([w[0], w[1], w[2], w[3]])));
    sum.wrapping_add(u32::from_be_bytes(tail))
}

/// Writes a font file from its tables (sorted by tag, 4-byte aligned, checksummed).
fn assemble(mut tables: Vec<([u8; 4], Vec<u8>)>) -> Vec<u8> {
    tables.sort_by_key(|t| t.0);
    let n = tables.len() as u16;
    let entry_selector = 15 - n.leading_zeros() as u16;
    let search_range = (1u16 << entry_selector) * 16;
    let directory = 12 + 16 * tables.len();
    let mut out = Vec::with_capacity(directory + tables.iter().map(|t| t.1.len() + 3).sum::<usize>());
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    for v in [n, search_range, entry_selector, n * 16 - search_range] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut offset = directory;
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        offset += data.len().next_multiple_of(4);
    }
    let mut head_at = 0;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = out.len();
        }
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    // head.checkSumAdjustment makes the whole file sum to 0xB1B0AFBA.
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_at + 8..head_at + 12].copy_from_slice(&adjustment.to_be_bytes());
    out
}

/// Appends one glyph without its instructions to `out`.
fn strip_glyph(glyph: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let contours = u16_at(glyph, 0)? as i16;
    if contours >= 0 {
        let len_at = 10 + 2 * contours as usize;
        let instructions = u16_at(glyph, len_at)? as usize;
        let rest = glyph.get(len_at + 2 + instructions..).ok_or("glyph shorter than its instructions")?;
        out.extend_from_slice(&glyph[..len_at]);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(rest);
        return Ok(());
    }
    // Composite: clear WE_HAVE_INSTRUCTIONS on every component, drop what follows them.
    let start = out.len();
    let mut end = 10;
    for_each_component(glyph, |at, _| end = at - 2 + component_len(u16_at(glyph, at - 2).unwrap_or(0)))?;
    out.extend_from_slice(&glyph[..end]);
    let mut at = 10;
    while at < end {
        let flags = u16_at(glyph, at)?;
        out[start + at..start + at + 2].copy_from_slice(&(flags & !HAVE_INSTRUCTIONS).to_be_bytes());
        at += component_len(flags);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ground::font::{GOTHIC_BYTES, MONO_BYTES};

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

    fn outline(face: &ttf_parser::Face, g: u16) -> (Path, u16) {
        let mut path = Path::default();
        face.outline_glyph(ttf_parser::GlyphId(g), &mut path);
        (path, face.glyph_hor_advance(ttf_parser::GlyphId(g)).unwrap())
    }

    fn ids(font: &ttf_parser::Face, text: &str) -> Vec<u16> {
        text.chars().map(|c| font.glyph_index(c).unwrap().0).collect()
    }

    #[test]
    fn subset_keeps_the_outlines_and_advances_of_its_glyphs() {
        let text = "電子請求登録結果に関するお知らせ〒髙﨑AZaz09-（）";
        let full = ttf_parser::Face::parse(GOTHIC_BYTES, 0).unwrap();
        let cut = subset(GOTHIC_BYTES, ids(&full, text)).unwrap();
        assert!(cut.bytes.len() < 40_000, "{}", cut.bytes.len());
        let sub = ttf_parser::Face::parse(&cut.bytes, 0).unwrap();
        assert_eq!(sub.number_of_glyphs() as usize, cut.old_ids.len());
        for old in ids(&full, text) {
            let new = cut.new_id(old).unwrap();
            assert_eq!(outline(&full, old), outline(&sub, new));
            assert_eq!(cut.advances[new as usize], full.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap());
        }
        assert!(checksum(&cut.bytes) == 0xB1B0_AFBA);
        // Cut again from the subset (as a notice is cut from its batch's font): same outlines.
        let again = subset(&cut.bytes, ids(&full, "請求").iter().map(|&g| cut.new_id(g).unwrap())).unwrap();
        let twice = ttf_parser::Face::parse(&again.bytes, 0).unwrap();
        assert_eq!(twice.number_of_glyphs(), 3);
        for old in ids(&full, "請求") {
            let new = again.new_id(cut.new_id(old).unwrap()).unwrap();
            assert_eq!(outline(&full, old), outline(&twice, new));
        }
    }

    #[test]
    fn a_copied_glyph_draws_as_its_original() {
        let full = ttf_parser::Face::parse(GOTHIC_BYTES, 0).unwrap();
        let [a, b]: [u16; 2] = ids(&full, "葛飾").try_into().unwrap();
        let cut = subset_with_copies(GOTHIC_BYTES, [a, b], &[a]).unwrap();
        let sub = ttf_parser::Face::parse(&cut.bytes, 0).unwrap();
        assert_eq!(sub.number_of_glyphs(), 4);
        assert_eq!(cut.copies, [a]);
        assert_eq!(outline(&sub, 3), outline(&full, a));
        assert_eq!(cut.advances.len(), 4);
    }

    #[test]
    fn composite_glyphs_keep_their_components() {
        // JetBrains Mono builds its accented letters from components (IPAex has none).
        let full = ttf_parser::Face::parse(MONO_BYTES, 0).unwrap();
        let t = Tables::find(MONO_BYTES).unwrap();
        let components = |g: u16| {
            let mut ids = Vec::new();
            for_each_component(t.glyph(g).unwrap(), |_, id| ids.push(id)).unwrap();
            ids
        };
        let composite = (0..full.number_of_glyphs()).find(|&g| !components(g).is_empty()).expect("a composite glyph");
        let cut = subset(MONO_BYTES, [composite]).unwrap();
        for id in components(composite) {
            assert!(cut.new_id(id).is_some(), "component {id} kept");
        }
        let sub = ttf_parser::Face::parse(&cut.bytes, 0).unwrap();
        assert_eq!(outline(&full, composite), outline(&sub, cut.new_id(composite).unwrap()));
    }

    #[test]
    fn hinting_and_unused_tables_are_gone() {
        let face = ttf_parser::Face::parse(MONO_BYTES, 0).unwrap();
        let cut = subset(MONO_BYTES, ids(&face, "ABCabc123")).unwrap();
        let face = ttf_parser::Face::parse(&cut.bytes, 0).unwrap();
        for tag in [b"fpgm", b"prep", b"cvt ", b"hdmx", b"LTSH", b"cmap", b"name", b"post"] {
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
