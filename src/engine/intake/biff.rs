//! What an Excel 97–2003 workbook (.xls, BIFF8) holds before calamine reads it. calamine
//! parses every sheet of an xls into full rectangles when it opens the file (reserving what a
//! sheet's DIMENSIONS record claims, then the box from its first to its last cell), and it does
//! not tell which rows are hidden. One pass over the records, without decoding a value, gives
//! both: the rectangles calamine would allocate, refused beyond the cell limit, and the rows
//! each sheet hides.

use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};
use std::path::Path;

use super::IntakeError;
use super::bounds;

/// What the records of an xls say.
#[derive(Debug, Default)]
pub struct Biff {
    /// Rows (1-based) each sheet hides, by sheet name.
    pub hidden: HashMap<String, BTreeSet<usize>>,
    /// A new compound file holding only the workbook stream, written by the `cfb` crate.
    pub repacked: Vec<u8>,
}

/// Reads the record headers of the workbook stream; an encrypted workbook or one whose sheets
/// would need more than [`bounds::MAX_CELLS`] cells of memory is refused.
pub fn scan(path: &Path, bytes: &[u8]) -> Result<Biff, IntakeError> {
    let broken = |detail: String| IntakeError::Workbook { path: path.to_path_buf(), detail };
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| broken(e.to_string()))?;
    let name =
        ["/Workbook", "/Book"].into_iter().find(|n| file.is_stream(n)).ok_or_else(|| broken("Workbook".into()))?;
    let stream = {
        let mut s = file.open_stream(name).map_err(|e| broken(e.to_string()))?;
        if s.len() > bounds::MAX_FILE_BYTES {
            return Err(bounds::too_large(
                path,
                crate::msg!("intake.limit.part", part = "Workbook", limit = bounds::mib(bounds::MAX_FILE_BYTES)),
            ));
        }
        let mut out = Vec::new();
        s.read_to_end(&mut out).map_err(|e| broken(e.to_string()))?;
        out
    };
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for (typ, data) in records(&stream, 0) {
        match typ {
            // FILEPASS: the workbook is encrypted with a password.
            0x002F => return Err(IntakeError::Encrypted { path: path.to_path_buf() }),
            // BOUNDSHEET8: where a sheet's records start, and its name.
            0x0085 if data.len() >= 8 => {
                let at = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
                sheets.push((at, short_string(&data[6..])));
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut biff = Biff::default();
    let mut area = 0u64;
    for (at, name) in sheets {
        let mut values = Bounds::default();
        let mut formulas = Bounds::default();
        let mut hidden = BTreeSet::new();
        for (typ, data) in records(&stream, at) {
            let row = u16_at(data, 0);
            let col = u16_at(data, 2);
            match typ {
                // DIMENSIONS: calamine reserves this many cells.
                0x0200 => area = area.saturating_add(reserved(data)),
                // ROW: bit 5 of its flags (fDyZero) hides it, by hand or by a filter.
                0x0208 if data.len() >= 13 && data[12] & 0x20 != 0 => {
                    hidden.insert(row as usize + 1);
                }
                0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD | 0x00D6 if data.len() >= 4 => values.add(row, col),
                0x0006 if data.len() >= 4 => {
                    values.add(row, col);
                    formulas.add(row, col);
                }
                // MULRK: one row, columns from the first to the last.
                0x00BD if data.len() >= 6 => {
                    values.add(row, col);
                    values.add(row, u16_at(data, data.len() - 2));
                }
                0x000A => break,
                _ => {}
            }
        }
        area = area.saturating_add(values.area()).saturating_add(formulas.area());
        biff.hidden.insert(name, hidden);
    }
    if area > bounds::MAX_CELLS as u64 {
        return Err(bounds::too_many_cells(path));
    }
    biff.repacked = repack(name, &stream).map_err(|e| broken(e.to_string()))?;
    Ok(biff)
}

/// The cells calamine reserves for a DIMENSIONS record, computed as calamine computes them
/// (`parse_dimensions`, then `(end - start + 1)` of rows times columns in wrapping `u32`
/// arithmetic): a record whose last row comes before its first claims four billion rows.
fn reserved(data: &[u8]) -> u64 {
    let u32_at = |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (u16_at(data, 0) as u32, u16_at(data, 2) as u32, u16_at(data, 4) as u32, u16_at(data, 6) as u32),
        14 => (u32_at(0), u32_at(4), u16_at(data, 8) as u32, u16_at(data, 10) as u32),
        _ => return 0,
    };
    if 0xFF < first_col || last_col < first_col {
        first_col = 0;
    }
    let (start, end) = if last_row >= 1 && last_col >= 1 {
        ((first_row, first_col), (last_row - 1, last_col - 1))
    } else {
        ((first_row, first_col), (first_row, first_col))
    };
    let rows = end.0.wrapping_sub(start.0).wrapping_add(1) as u64;
    let cols = end.1.wrapping_sub(start.1).wrapping_add(1) as u64;
    rows.saturating_mul(cols)
}

/// A compound file holding `stream` under `name`, and nothing else.
fn repack(name: &str, stream: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    // Version 3 (512-byte sectors), as Excel writes: calamine refuses a version 4 file whose
    // root holds no mini stream.
    let mut file =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::with_capacity(stream.len() + 4096)))?;
    file.create_stream(name)?.write_all(stream)?;
    file.flush()?;
    Ok(file.into_inner().into_inner())
}

/// The box from the first to the last cell, as `Range::from_sparse` allocates it.
#[derive(Default)]
struct Bounds(Option<(u16, u16, u16, u16)>);

impl Bounds {
    fn add(&mut self, row: u16, col: u16) {
        self.0 = Some(match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        });
    }

    fn area(&self) -> u64 {
        // In u64: a box from row 0 to row 65535 is 65,536 rows, which u16 arithmetic wraps to 0.
        self.0.map_or(0, |(r0, r1, c0, c1)| (u64::from(r1) - u64::from(r0) + 1) * (u64::from(c1) - u64::from(c0) + 1))
    }
}

/// The records from `at` on: (type, data). Stops at the end of the stream or at a record
/// that runs past it.
fn records(stream: &[u8], at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = at;
    std::iter::from_fn(move || {
        let header = stream.get(pos..pos + 4)?;
        let typ = u16::from_le_bytes([header[0], header[1]]);
        let len = u16::from_le_bytes([header[2], header[3]]) as usize;
        let data = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, data))
    })
}

fn u16_at(data: &[u8], at: usize) -> u16 {
    match data.get(at..at + 2) {
        Some(b) => u16::from_le_bytes([b[0], b[1]]),
        None => 0,
    }
}

/// A ShortXLUnicodeString: a length, a flag for 16-bit characters, the characters.
fn short_string(data: &[u8]) -> String {
    let (Some(&len), Some(&flags)) = (data.first(), data.get(1)) else { return String::new() };
    let chars = &data[2.min(data.len())..];
    if flags & 1 == 0 {
        chars.iter().take(len as usize).map(|&b| char::from(b)).collect()
    } else {
        let units: Vec<u16> =
            chars.chunks_exact(2).take(len as usize).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_over_the_whole_grid_is_counted_whole() {
        let mut b = Bounds::default();
        b.add(0, 0);
        b.add(u16::MAX, u16::MAX);
        assert_eq!(b.area(), 65_536 * 65_536);
    }

    #[test]
    fn dimensions_are_counted_as_calamine_reserves_them() {
        let record = |first: u32, last: u32, c0: u16, c1: u16| {
            let mut d = Vec::new();
            d.extend_from_slice(&first.to_le_bytes());
            d.extend_from_slice(&last.to_le_bytes());
            d.extend_from_slice(&c0.to_le_bytes());
            d.extend_from_slice(&c1.to_le_bytes());
            d.extend_from_slice(&[0, 0]);
            d
        };
        assert_eq!(reserved(&record(0, 21, 0, 12)), 21 * 12);
        // The last row before the first: calamine's u32 subtraction wraps to four billion rows.
        assert!(reserved(&record(10, 5, 0, 1)) > u64::from(u32::MAX) / 2);
    }
}
