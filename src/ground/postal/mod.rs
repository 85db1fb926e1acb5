//! Japan Post's 郵便番号データ (KEN_ALL) and 事業所の個別郵便番号 (jigyosyo) as one table:
//! which 都道府県・市区町村・町域 (or office) a 郵便番号 belongs to, and where in an address
//! that 町域 ends. Intake checks a row's 郵便番号 against its address with it; the barcode
//! takes the 住所表示番号 from what follows the 町域.
//!
//! The table is embedded (`data/postal/table.bin`, made by `scripts/postal-data`) and is
//! read lazily, one chunk of codes (first two digits) at a time, so a batch from one region
//! decompresses a few tens of kilobytes. `[postal] data` / `--postal-data` replaces it with a
//! Japan Post CSV read at start-up. No network is ever used.

pub mod address;
pub mod compact;
pub mod japanpost;
pub mod numerals;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use address::{Fit, Located};

/// The embedded table. Japan Post claims no copyright on this data (see
/// `data/postal/NOTICE.md`).
pub static EMBEDDED: &[u8] = include_bytes!("../../../data/postal/table.bin");

/// What one row of the table describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A 町域 (KEN_ALL); an empty town means the 番地 follows the 市区町村 directly
    /// (「…の次に番地がくる場合」).
    Area,
    /// 「以下に掲載がない場合」: the code of a 市区町村 as a whole. No barcode.
    Representative,
    /// A floor of a high-rise building with its own code: `town` is the 町域 the building
    /// stands in, `name` the building, `note` the floor.
    Building,
    /// 事業所の個別郵便番号: `town` is the 町域 of the office's address.
    Office,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Area => 'A',
            Kind::Representative => 'R',
            Kind::Building => 'B',
            Kind::Office => 'O',
        }
    }

    fn from_letter(c: &str) -> Option<Kind> {
        Some(match c {
            "A" => Kind::Area,
            "R" => Kind::Representative,
            "B" => Kind::Building,
            "O" => Kind::Office,
            _ => return None,
        })
    }
}

/// One row: a code and one place it covers (a code covering several towns has several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The seven digits as a number (0600906 → 600906).
    pub code: u32,
    pub kind: Kind,
    pub prefecture: String,
    pub city: String,
    pub town: String,
    /// Japan Post's remark on the town (「1〜7丁目」, 「その他」, a floor); may be empty.
    pub note: String,
    /// Building name; empty for an area. Offices' names are not kept (a third of the
    /// table's size for names no check needs).
    pub name: String,
}

impl Entry {
    /// 「123-4567」.
    pub fn code_text(&self) -> String {
        format_code(self.code)
    }

    /// The place as the clerk reads it: 「大阪府大阪市北区梅田」, 「東京都千代田区大手町（事業所の個別番号）」;
    /// in English the Japanese name is quoted in 「」.
    pub fn place(&self) -> String {
        let area = format!("{}{}{}", self.prefecture, self.city, self.town);
        let (name, note) = (&self.name, &self.note);
        match self.kind {
            Kind::Office => crate::msg!("postal.place.office", area),
            Kind::Building => crate::msg!("postal.place.building", area, name, note),
            Kind::Area if !self.note.is_empty() => crate::msg!("postal.place.noted", area, note),
            Kind::Area | Kind::Representative => crate::msg!("postal.place.area", area),
        }
    }
}

/// 「1234567」 as a number; `None` unless seven ASCII digits.
pub fn parse_code(digits: &str) -> Option<u32> {
    (digits.len() == 7 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.parse().ok()).flatten()
}

pub fn format_code(code: u32) -> String {
    format!("{:03}-{:04}", code / 10_000, code % 10_000)
}

/// A postal table file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PostalError {
    #[error("{}", crate::msg!("postal.read", path = .path.display(), detail = .detail))]
    Read { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("postal.line", path = .path.display(), line = .line, detail = .detail))]
    Line { path: PathBuf, line: usize, detail: String },
    #[error("{}", crate::msg!("postal.empty", path = .path.display()))]
    Empty { path: PathBuf },
    #[error("{}", crate::msg!("postal.embedded", detail = .0))]
    Embedded(String),
}

/// The postal table in use: its entries, sorted by code, in 100 chunks by the first two
/// digits, each parsed on first use.
pub struct PostalTable {
    /// Data date (YYYY-MM-DD): of Japan Post's files, as the generator or the file says.
    date: String,
    /// Where the data came from, for the manifest and `--version`.
    source: String,
    chunks: Vec<OnceLock<Vec<Entry>>>,
    /// Compressed chunks of the embedded table (`None` for a table read from CSV, whose
    /// chunks are all filled at load).
    packed: Option<compact::Packed<'static>>,
}

impl PostalTable {
    /// The embedded table: reads its header only.
    pub fn embedded() -> Result<PostalTable, PostalError> {
        let packed = compact::Packed::parse(EMBEDDED).map_err(PostalError::Embedded)?;
        Ok(PostalTable {
            date: packed.date.to_string(),
            source: packed.source.to_string(),
            chunks: (0..100).map(|_| OnceLock::new()).collect(),
            packed: Some(packed),
        })
    }

    /// A table of the given entries (any order).
    pub fn from_entries(date: String, source: String, mut entries: Vec<Entry>) -> PostalTable {
        entries.sort_by_key(|e| e.code);
        let mut chunks: Vec<Vec<Entry>> = (0..100).map(|_| Vec::new()).collect();
        for e in entries {
            chunks[(e.code / 100_000) as usize].push(e);
        }
        PostalTable { date, source, chunks: chunks.into_iter().map(OnceLock::from).collect(), packed: None }
    }

    /// Japan Post's CSV (utf_ken_all.csv or KEN_ALL.CSV), with the offices of `offices`
    /// (JIGYOSYO.CSV) or, without it, those of the embedded table. The data date is the
    /// file's modification date (Japan Post's ZIP keeps it).
    pub fn from_japan_post_csv(areas: &Path, offices: Option<&Path>) -> Result<PostalTable, PostalError> {
        let mut entries = japanpost::read_file(areas)?;
        if entries.is_empty() {
            return Err(PostalError::Empty { path: areas.to_path_buf() });
        }
        let mut source = format!("{}（{}）", areas.display(), file_sha256(areas)?);
        match offices {
            Some(path) => {
                entries.extend(japanpost::read_file(path)?);
                source.push_str(&format!("、{}（{}）", path.display(), file_sha256(path)?));
            }
            None => {
                let embedded = PostalTable::embedded()?;
                entries.extend(embedded.all().into_iter().filter(|e| e.kind == Kind::Office).cloned());
                source.push_str(&format!("、事業所は組み込みデータ {}", embedded.date));
            }
        }
        japanpost::mark_buildings(&mut entries);
        Ok(PostalTable::from_entries(modified_date(areas)?, source, entries))
    }

    pub fn date(&self) -> &str {
        &self.date
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    fn chunk(&self, index: usize) -> &[Entry] {
        self.chunks[index].get_or_init(|| match &self.packed {
            // The embedded bytes are checked by the tests (every chunk parses); a failure
            // here would be a broken build, and an empty chunk refuses its codes instead of
            // guessing.
            Some(packed) => packed.chunk(index).unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// Every entry of `code` (empty when the code is not in the data).
    pub fn lookup(&self, code: u32) -> &[Entry] {
        if code >= 10_000_000 {
            return &[];
        }
        let chunk = self.chunk((code / 100_000) as usize);
        let start = chunk.partition_point(|e| e.code < code);
        let end = chunk.partition_point(|e| e.code <= code);
        &chunk[start..end]
    }

    /// Every entry, parsing all chunks (for tests and the generator).
    pub fn all(&self) -> Vec<&Entry> {
        (0..100).flat_map(|i| self.chunk(i).iter()).collect()
    }
}

fn file_sha256(path: &Path) -> Result<String, PostalError> {
    let bytes =
        std::fs::read(path).map_err(|e| PostalError::Read { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(format!("SHA-256 {}", crate::ground::digest::sha256_hex(&bytes)))
}

fn modified_date(path: &Path) -> Result<String, PostalError> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| PostalError::Read { path: path.to_path_buf(), detail: e.to_string() })?;
    let local: chrono::DateTime<chrono::Local> = modified.into();
    Ok(local.format("%Y-%m-%d").to_string())
}

static ACTIVE: OnceLock<PostalTable> = OnceLock::new();

/// The table in use: the one [`use_file`] loaded, else the embedded one.
pub fn table() -> &'static PostalTable {
    ACTIVE.get_or_init(|| {
        // The embedded header is checked by the tests; an unreadable one gives an empty
        // table, which refuses every code rather than passing them unchecked.
        PostalTable::embedded().unwrap_or_else(|e| PostalTable::from_entries(String::new(), e.to_string(), Vec::new()))
    })
}

/// Uses a Japan Post CSV instead of the embedded table for the rest of the process. Called
/// once, before any row is read (`--postal-data`, `[postal] data`); a second call with
/// another file is refused rather than letting rows of one run see two tables.
pub fn use_file(areas: &Path, offices: Option<&Path>) -> Result<&'static PostalTable, PostalError> {
    let loaded = PostalTable::from_japan_post_csv(areas, offices)?;
    let source = loaded.source.clone();
    let active = ACTIVE.get_or_init(|| loaded);
    if active.source != source {
        return Err(PostalError::Read {
            path: areas.to_path_buf(),
            detail: crate::msg!("postal.already_loaded", source = &active.source),
        });
    }
    Ok(active)
}

/// Whether a Japan Post file replaced the embedded table (`--postal-data` was applied, so
/// `[postal] data` of the config gives way).
pub fn loaded_from_file() -> bool {
    ACTIVE.get().is_some_and(|t| t.packed.is_none())
}

/// The embedded table's data date, from its header alone (for `--version`).
pub fn embedded_date() -> String {
    compact::Packed::parse(EMBEDDED).map(|p| p.date.to_string()).unwrap_or_else(|e| e)
}

/// What the table says about a 郵便番号 and its address: the verdict intake gives a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The address has the code's 町域; `entry` is the one it matched.
    Matches(Entry),
    /// The address starts with the code's 町域 (after its 都道府県, if any) but names no
    /// 市区町村: clear enough to split, not enough to deliver.
    NoCity(Vec<Entry>),
    /// The 市区町村 fits but no 町域 of the code is in the address: a warning.
    OtherTown(Vec<Entry>),
    /// The address names another 都道府県 or 市区町村: the letter would go astray.
    OtherCity(Vec<Entry>),
    /// Not in the data: abolished or mistyped.
    Unknown,
}

impl PostalTable {
    /// Judges `address` (住所1 and 住所2 joined) against `code`.
    pub fn verdict(&self, code: u32, address: &str) -> (Verdict, Option<Located>) {
        let entries = self.lookup(code);
        if entries.is_empty() {
            return (Verdict::Unknown, None);
        }
        let folded = address::Folded::new(address);
        let mut best: Option<(Fit, &Entry)> = None;
        for entry in entries {
            let fit = folded.fit(entry);
            if best.as_ref().is_none_or(|(b, _)| fit.better_than(b)) {
                best = Some((fit, entry));
            }
        }
        let Some((fit, entry)) = best else { return (Verdict::Unknown, None) };
        match fit {
            Fit::Town(located) => (Verdict::Matches(entry.clone()), Some(located)),
            Fit::TownWithoutCity(located) => (Verdict::NoCity(vec![entry.clone()]), Some(located)),
            Fit::CityOnly => (Verdict::OtherTown(entries.to_vec()), None),
            Fit::OtherCity => (Verdict::OtherCity(entries.to_vec()), None),
        }
    }
}

/// 「大阪府大阪市北区梅田」, or the first two places and a count for a code with many (in
/// English each place quoted: 「大阪府大阪市北区梅田」 or 「…」).
pub fn places(entries: &[Entry]) -> String {
    let mut names: Vec<String> = Vec::new();
    for e in entries {
        let p = e.place();
        if !names.contains(&p) {
            names.push(p);
        }
    }
    match names.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [first, second] => crate::msg!("postal.places.two", first, second),
        [first, second, rest @ ..] => crate::msg!("postal.places.more", first, second, more = rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chunk_of_the_embedded_table_parses_and_is_sorted() {
        let table = PostalTable::embedded().unwrap();
        assert!(table.date().len() == 10 && table.date().starts_with("20"), "{}", table.date());
        let packed = table.packed.as_ref().unwrap();
        let mut total = 0;
        for i in 0..100 {
            let chunk = packed.chunk(i).unwrap();
            assert!(chunk.windows(2).all(|w| w[0].code <= w[1].code));
            assert!(chunk.iter().all(|e| e.code / 100_000 == i as u32));
            total += chunk.len();
        }
        assert!(total > 140_000, "{total}");
    }

    #[test]
    fn looks_up_areas_offices_and_representative_codes() {
        let t = table();
        let umeda = t.lookup(5_300_001);
        assert_eq!(umeda.len(), 1);
        assert_eq!(umeda[0].place(), "大阪府大阪市北区梅田");
        assert_eq!(t.lookup(1_050_000)[0].kind, Kind::Representative);
        assert!(t.lookup(608_797).iter().any(|e| e.kind == Kind::Office), "ゆうちょ銀行 札幌支店の個別番号");
        assert!(t.lookup(1_234_567).is_empty());
        assert!(t.lookup(99_999_999).is_empty());
    }

    #[test]
    fn a_code_covering_several_towns_has_them_all() {
        let towns: Vec<&str> = table().lookup(680_546).iter().map(|e| e.town.as_str()).collect();
        assert!(towns.contains(&"南部青葉町") && towns.contains(&"南部菊水町"), "{towns:?}");
    }

    #[test]
    fn codes_read_and_print_with_their_leading_zero() {
        assert_eq!(parse_code("0600906"), Some(600_906));
        assert_eq!(format_code(600_906), "060-0906");
        assert_eq!(parse_code("060-906"), None);
        assert_eq!(parse_code("06009061"), None);
    }
}
