//! Files the clerk sends from the page (a request list, a filled 発送リスト): streamed into the
//! server's private folder (0700, the file 0600), never larger than the readers accept, and
//! removed when used or replaced (the folder goes with the server).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use axum::extract::Multipart;

use crate::engine::intake::MAX_FILE_BYTES;
use crate::msg;

/// The multipart body limit of an upload route: the file and the form around it.
pub const BODY_LIMIT: usize = MAX_FILE_BYTES as usize + (1 << 20);

/// Why an upload was not taken, in the catalogue's words.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{}", msg!("web.upload.none"))]
    None,
    #[error("{}", msg!("web.upload.empty", name = .0))]
    Empty(String),
    #[error("{}", msg!("web.upload.too_large", mib = MAX_FILE_BYTES >> 20))]
    TooLarge,
    #[error("{}", msg!("web.upload.failed", error = .0))]
    Failed(String),
}

fn failed(e: impl std::fmt::Display) -> UploadError {
    UploadError::Failed(e.to_string())
}

/// One uploaded file in the private folder, removed on drop unless kept.
#[derive(Debug)]
pub struct Upload {
    /// The file on disk, named as the clerk's file was (its extension tells the reader).
    pub path: PathBuf,
    /// The clerk's file name, as shown on the page.
    pub name: String,
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Reads the form's file field `field` into `dir` (a folder of its own inside it); refused when
/// there is none, it is empty, too large, or cannot be written.
pub async fn receive(mut form: Multipart, field: &str, dir: &Path) -> Result<Upload, UploadError> {
    loop {
        let part = match form.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => return Err(UploadError::None),
            Err(e) => return Err(failed(e.body_text())),
        };
        if part.name() != Some(field) {
            continue;
        }
        let (upload, mut file) = private_copy(part.file_name().unwrap_or_default(), dir)?;
        let mut part = part;
        let mut written: u64 = 0;
        loop {
            match part.chunk().await {
                Ok(Some(chunk)) => {
                    written += chunk.len() as u64;
                    if written > MAX_FILE_BYTES {
                        return Err(UploadError::TooLarge);
                    }
                    file.write_all(&chunk).map_err(failed)?;
                }
                Ok(None) => break,
                Err(e) => return Err(failed(e.body_text())),
            }
        }
        return finished(upload, &file, written);
    }
}

/// A private folder of its own in `dir` and, in it, the file a copy of the clerk's `name` goes
/// to. From the moment it exists the upload removes itself, whatever happens.
fn private_copy(name: &str, dir: &Path) -> Result<(Upload, std::fs::File), UploadError> {
    let name = safe_name(name);
    if name.is_empty() {
        return Err(UploadError::None);
    }
    let folder = dir.join(super::token::random_hex().map_err(failed)?);
    crate::ground::fsutil::create_new_private_dir(&folder).map_err(failed)?;
    let path = folder.join(&name);
    let file = crate::ground::fsutil::create_private(&path);
    let upload = Upload { path, name };
    Ok((upload, file.map_err(failed)?))
}

/// The copy, once `written` bytes of it are in `file`: refused when empty, else on disk.
fn finished(upload: Upload, file: &std::fs::File, written: u64) -> Result<Upload, UploadError> {
    if written == 0 {
        return Err(UploadError::Empty(upload.name.clone()));
    }
    file.sync_all().map_err(failed)?;
    Ok(upload)
}

/// A list handed to the server when it starts (dropped onto tsuchi.exe), copied into `dir`
/// as an upload would be: the clerk's file is only read, and the copy goes when the upload does.
pub fn copy_local(source: &Path, dir: &Path) -> Result<Upload, UploadError> {
    let (upload, mut file) = private_copy(&source.file_name().unwrap_or_default().to_string_lossy(), dir)?;
    let mut input = std::fs::File::open(source).map_err(failed)?;
    let written = std::io::copy(&mut std::io::Read::take(&mut input, MAX_FILE_BYTES + 1), &mut file).map_err(failed)?;
    if written > MAX_FILE_BYTES {
        return Err(UploadError::TooLarge);
    }
    finished(upload, &file, written)
}

/// The last component of the name the browser sent, without anything a path could make of it.
fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|'))
        .take(120)
        .collect();
    cleaned.trim().trim_start_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_name_is_a_file_name_and_nothing_more() {
        assert_eq!(safe_name("C:\\Users\\clerk\\申請一覧.xlsx"), "申請一覧.xlsx");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name(".."), "");
        assert_eq!(safe_name("a\u{0}b.csv"), "ab.csv");
    }
}
