//! The files a batch wrote, opened from the page: the print bundle, the 発送リスト and the
//! 開封パスワード一覧 (the one file that shows passwords: like every response here it is sent
//! only to the session, with `Cache-Control: no-store`). Only these names, only in a batch
//! folder of this server's output root, never through a link.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::State as Shared;
use crate::msg;

/// Where a batch file is in the folder of the batch with this ID.
type InBatch = fn(&str) -> PathBuf;

/// The files of a batch the page links: (name in the URL, path in the batch folder).
pub const BATCH_FILES: &[(&str, InBatch)] = &[
    ("print", |id| Path::new("print").join(format!("{id}.pdf"))),
    ("mailing-list", |_| Path::new("print").join("発送リスト.xlsx")),
    ("presort", |_| Path::new("print").join(crate::engine::mailroom::PRESORT_LIST)),
    ("zip-passwords", |_| Path::new("secrets").join("開封パスワード一覧.pdf")),
];

/// The link text of a batch file.
pub fn label(which: &str) -> String {
    match which {
        "print" => msg!("web.files.print"),
        "mailing-list" => msg!("web.files.mailing_list"),
        "presort" => msg!("web.files.presort"),
        _ => msg!("web.files.zip_passwords"),
    }
}

/// Whether `id` can be a batch ID (a folder name of the output root, nothing more).
pub fn is_batch_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// GET /batch/{id}/{which}.
pub async fn batch_file(State(state): State<Arc<Shared>>, UrlPath((id, which)): UrlPath<(String, String)>) -> Response {
    let Some((_, relative)) = BATCH_FILES.iter().find(|(w, _)| *w == which).filter(|_| is_batch_id(&id)) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let dir = state.root().join(&id);
    // A batch folder: sealed with its manifest.
    if !dir.join("manifest.json").is_file() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = dir.join(relative(&id));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    send(&path, &name).await
}

/// The file at `path` as a download named `name` (a PDF opens in the browser).
pub async fn send(path: &Path, name: &str) -> Response {
    let path = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut file = crate::ground::fsutil::open_no_follow(&path, false)?;
        if !file.metadata()?.is_file() {
            return Err(std::io::ErrorKind::NotFound.into());
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await;
    let Ok(Ok(bytes)) = read else { return StatusCode::NOT_FOUND.into_response() };
    let (kind, disposition) = if name.ends_with(".pdf") {
        ("application/pdf", "inline")
    } else if name.ends_with(".xlsx") {
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment")
    } else {
        ("application/octet-stream", "attachment")
    };
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("{disposition}; filename*=UTF-8''{encoded}");
    ([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
}
