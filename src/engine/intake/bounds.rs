//! What a list file may cost. A workbook is a ZIP of XML (or a compound file of records) that
//! can claim, repeat or inflate far beyond what a clerk filled: a 2 KB file can describe a
//! billion cells or inflate to gigabytes of spaces. The readers stream, and these limits stop
//! them before memory follows a file's claims; a file beyond them is refused whole, with the
//! limit it broke, before anything is written.

use std::io::Read;
use std::path::Path;

use super::IntakeError;

/// The largest list file read (on disk).
pub const MAX_FILE_BYTES: u64 = 128 << 20;
/// The most filled cells a list may hold: every 介護事業所 of Japan (about 250,000) with a
/// dozen columns fits.
pub const MAX_CELLS: usize = 3_200_000;
/// The most text its cells may hold together (a list of all of Japan holds about 50 MiB).
pub const MAX_TEXT_BYTES: usize = 128 << 20;
/// The largest part of a workbook read whole (shared strings, styles, the workbook's own
/// parts): a list's shared strings are a few megabytes.
pub const MAX_PART_BYTES: u64 = 64 << 20;
/// The largest sheet XML streamed.
pub const MAX_SHEET_BYTES: u64 = 1 << 30;
/// The longest tag or text between two tags in a sheet's XML: a cell holds at most 32,767
/// characters, so Excel and LibreOffice never write a run near this.
pub const MAX_XML_RUN: usize = 1 << 20;

/// Why a file is refused as too large: the part and the limit, for the message.
pub fn too_large(path: &Path, what: String) -> IntakeError {
    IntakeError::TooLarge { path: path.to_path_buf(), what }
}

/// The limit on filled cells, as a refusal.
pub fn too_many_cells(path: &Path) -> IntakeError {
    too_large(
        path,
        crate::msg!("intake.limit.cells", limit = super::group_digits(MAX_CELLS), text = mib(MAX_TEXT_BYTES as u64)),
    )
}

/// Counts filled cells and their text as a reader produces them, refusing the file past
/// [`MAX_CELLS`] or [`MAX_TEXT_BYTES`]: a shared string of a megabyte referenced by a million
/// cells is a terabyte of text.
#[derive(Debug, Default)]
pub struct CellBudget {
    cells: usize,
    bytes: usize,
}

impl CellBudget {
    /// Takes `n` more cells; `false` once the file holds more than the limit.
    pub fn take(&mut self, n: u64) -> bool {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.cells = self.cells.saturating_add(n);
        self.cells <= MAX_CELLS
    }

    /// Takes one cell of `bytes` of text.
    pub fn take_cell(&mut self, bytes: usize) -> bool {
        self.bytes = self.bytes.saturating_add(bytes);
        self.take(1) && self.bytes <= MAX_TEXT_BYTES
    }
}

/// Streams an XML part through `tag` (called with the inside of every tag, `<` and `>` left
/// out, and whether text other than white space came before it since the previous tag), refusing it when it inflates beyond `limit` bytes or holds a tag or a text longer than
/// [`MAX_XML_RUN`]: the XML reader behind calamine would buffer such a run whole.
pub fn scan_xml(
    path: &Path,
    part: &str,
    mut reader: impl Read,
    limit: u64,
    mut tag: impl FnMut(&[u8], bool),
) -> Result<(), IntakeError> {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(IntakeError::Workbook { path: path.to_path_buf(), detail: format!("{part}: {e}") });
            }
        };
        total += n as u64;
        if total > limit {
            return Err(too_large(path, crate::msg!("intake.limit.part", part, limit = mib(limit))));
        }
        pending.extend_from_slice(&chunk[..n]);
        let mut done = 0;
        // `<` never occurs inside attribute values or text of well-formed XML, so each tag runs
        // from one `<` to the next `>`, and text from a `>` to the next `<`.
        while let Some(lt) = pending[done..].iter().position(|&b| b == b'<').map(|p| p + done) {
            if lt - done > MAX_XML_RUN {
                return Err(long_run(path, part));
            }
            let Some(gt) = pending[lt..].iter().position(|&b| b == b'>').map(|p| p + lt) else {
                done = lt;
                break;
            };
            let text = pending[done..lt].iter().any(|b| !b.is_ascii_whitespace());
            tag(&pending[lt + 1..gt], text);
            done = gt + 1;
        }
        if pending.len() - done > MAX_XML_RUN {
            return Err(long_run(path, part));
        }
        pending.drain(..done);
    }
    Ok(())
}

/// A tag or text longer than [`MAX_XML_RUN`], as a refusal.
pub fn long_run(path: &Path, part: &str) -> IntakeError {
    too_large(path, crate::msg!("intake.limit.run", part, limit = mib(MAX_XML_RUN as u64)))
}

/// Checks every entry of a ZIP workbook but its sheets (streamed later, under their own
/// limits) by inflating it: the parts a reader loads whole must be small once inflated, and a
/// header's claimed size is not trusted.
pub fn check_zip_parts(path: &Path, bytes: &[u8], is_sheet: impl Fn(&str) -> bool) -> Result<(), IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| broken(e.to_string()))?;
        let name = entry.name().to_string();
        if is_sheet(&name) || entry.is_dir() {
            continue;
        }
        let mut sink = std::io::sink();
        let copied = std::io::copy(&mut entry.take(MAX_PART_BYTES + 1), &mut sink)
            .map_err(|e| broken(format!("{name}: {e}")))?;
        if copied > MAX_PART_BYTES {
            return Err(too_large(path, crate::msg!("intake.limit.part", part = name, limit = mib(MAX_PART_BYTES))));
        }
    }
    Ok(())
}

/// `n` bytes in MiB, for messages.
pub fn mib(n: u64) -> String {
    format!("{} MiB", n >> 20)
}
