//! `manifest.json`: every file of a batch with its SHA-256 and size, the input and config
//! hashes, counts, tool version, postal data date, 発行日 and batch id. Written last, from the files on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::ground::digest::hex;

#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path relative to the batch folder, with `/` separators.
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub tool: String,
    pub batch_id: String,
    pub issue_date: String,
    pub created: String,
    pub operator: String,
    pub host: String,
    pub input: Source,
    /// `None` when tsuchi ran on its defaults.
    pub config: Option<Source>,
    pub zip_encryption: String,
    /// The postal table the addresses were checked and the barcodes made with.
    pub postal_data: PostalData,
    pub counts: BTreeMap<String, usize>,
    pub files: Vec<FileEntry>,
}

/// The data date and source of the postal table in use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostalData {
    pub date: String,
    pub source: String,
}

impl PostalData {
    pub fn in_use() -> PostalData {
        let table = crate::ground::postal::table();
        PostalData { date: table.date().to_string(), source: table.source().to_string() }
    }
}

/// Hashes a source file (input list, config).
pub fn source(path: &Path) -> std::io::Result<Source> {
    let (sha256, size) = hash_file(path)?;
    Ok(Source { path: path.display().to_string(), sha256, size })
}

/// The source read from `path` whose bytes are `bytes`: the input list is hashed from the
/// bytes that were parsed, not read again (the clerk may save the file during the run).
pub fn source_of(path: &Path, bytes: &[u8]) -> Source {
    use sha2::Digest;
    Source { path: path.display().to_string(), sha256: hex(&sha2::Sha256::digest(bytes)), size: bytes.len() as u64 }
}

/// Every file under `dir`, sorted by path, hashed.
pub fn files(dir: &Path) -> std::io::Result<Vec<FileEntry>> {
    files_with(dir, &Hashed::default())
}

/// The SHA-256 and size of files as they were written, by path relative to the batch folder
/// (with `/` separators): the batch hashes its notices and ZIPs from memory, in parallel with
/// making them, rather than reading a gigabyte back for the manifest.
pub type Hashed = std::collections::HashMap<String, ([u8; 32], u64)>;

/// A path relative to the batch folder as the manifest names it, with `/` separators.
pub fn relative_name(relative: &Path) -> String {
    let parts: Vec<String> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    parts.join("/")
}

/// [`files`], taking the hash of a file from `known` when it lists the file with the size it
/// has on disk, and reading the file otherwise.
pub fn files_with(dir: &Path, known: &Hashed) -> std::io::Result<Vec<FileEntry>> {
    // Names relative to `dir`, not whole paths: a batch of 100,000 notices has 300,000 files.
    let mut names = Vec::new();
    collect(dir, "", false, &mut names)?;
    let mut entries = names
        .into_par_iter()
        .map(|(name, exact)| {
            let path = exact.unwrap_or_else(|| name.split('/').fold(dir.to_path_buf(), |path, part| path.join(part)));
            if let Some((sha256, size)) = known.get(&name)
                && std::fs::metadata(&path)?.len() == *size
            {
                return Ok(FileEntry { path: name, sha256: hex(sha256), size: *size });
            }
            let (sha256, size) = hash_file(&path)?;
            Ok(FileEntry { path: name, sha256, size })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// SHA-256 (hex) and size of the file at `path`, read a block at a time: a print bundle of
/// 100,000 notices is hundreds of megabytes.
fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hashing = crate::ground::digest::Hashing::new(std::io::sink());
    std::io::copy(&mut std::fs::File::open(path)?, &mut hashing)?;
    let size = hashing.written();
    Ok((hashing.finish().1, size))
}

/// The files under `dir`, by name relative to the batch folder (`prefix` is `dir`'s), each
/// with its whole path when a name on the way is not Unicode (`lossy`): its name then cannot
/// lead back to it (a file planted in a batch folder must be listed, not stop `verify`).
fn collect(dir: &Path, prefix: &str, lossy: bool, out: &mut Vec<(String, Option<PathBuf>)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let file_name = entry.file_name();
        let name = format!("{prefix}{}", file_name.to_string_lossy());
        let lossy = lossy || file_name.to_str().is_none();
        if entry.file_type()?.is_dir() {
            collect(&entry.path(), &format!("{name}/"), lossy, out)?;
        } else {
            out.push((name, lossy.then(|| entry.path())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_file_whose_name_is_not_unicode_is_listed_not_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"odd\xff");
        std::fs::write(dir.path().join(odd), b"a").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("sub").join(odd)).unwrap();
        std::fs::write(dir.path().join("sub").join(odd).join("x.txt"), b"bc").unwrap();
        std::fs::write(dir.path().join("sub").join("y.txt"), b"def").unwrap();
        let listed: Vec<(String, u64)> = files(dir.path()).unwrap().into_iter().map(|f| (f.path, f.size)).collect();
        assert_eq!(
            listed,
            vec![("odd\u{FFFD}".into(), 1), ("sub/odd\u{FFFD}/x.txt".into(), 2), ("sub/y.txt".into(), 3)]
        );
    }
}
