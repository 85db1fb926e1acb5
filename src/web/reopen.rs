//! Opening the page again while it runs: a browser closed by mistake, a second double-click on
//! tsuchi.exe. The running server keeps its next opening URL (a fresh one-time token each time
//! one is used) in a file of the user's own data folder (`%LOCALAPPDATA%\tsuchi\serve` on
//! Windows, `~/.local/share/tsuchi/serve` elsewhere; owner-only: 0700/0600, a protected ACL on
//! Windows), named after the output root. A second `tsuchi serve` on the same output root,
//! refused the serve lock, opens that URL instead of failing. Another account, or another
//! computer sharing the output folder, has no such file and is told who holds the page.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The longest file read back: one URL.
const LIMIT: u64 = 256;

/// The file of the page serving the output root `root`, in the user's data folder.
fn path(root: &Path) -> Option<PathBuf> {
    Some(path_in(&crate::engine::home::data_dir()?, root))
}

/// The file of the page serving `root`, under the data folder `base`.
fn path_in(base: &Path, root: &Path) -> PathBuf {
    base.join(".serve").join(format!("{}.open", key(root)))
}

/// The name the page serving `root` keeps its files under.
fn key(root: &Path) -> String {
    let root = crate::engine::home::absolute(root);
    crate::ground::digest::sha256_hex(root.to_string_lossy().as_bytes())[..32].to_string()
}

/// The folder uploads to the page serving `root` are to be received in, in the user's data
/// folder beside the reopening URL, cleared of what a server killed outright left there (the
/// caller holds `root`'s serve lock) and not yet made; `None` when the machine gives no such
/// folder.
pub fn fresh_uploads_dir(root: &Path) -> Option<std::io::Result<PathBuf>> {
    let uploads = crate::engine::home::data_dir()?.join(".serve").join(format!("{}.uploads", key(root)));
    Some(in_own_folder(&uploads).and_then(|()| match std::fs::remove_dir_all(&uploads) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(uploads),
    }))
}

/// Makes the folder `path` lies in (`.serve` in the user's data folder) open to its owner only.
fn in_own_folder(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::ground::fsutil::create_private_dir(dir)?;
        crate::ground::fsutil::restrict_to_owner(dir)?;
    }
    Ok(())
}

/// The opening URL of the server on `port` for `token`.
pub fn url(port: u16, token: &str) -> String {
    format!("http://127.0.0.1:{port}/?token={token}")
}

/// Keeps `url` as the next opening URL of the page serving `root`: the folder made owner-only,
/// the old file removed, a new one created for the owner alone (never through a link).
pub fn publish(root: &Path, url: &str) -> std::io::Result<()> {
    let path = path(root).ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no user data folder"))?;
    publish_at(&path, url)
}

fn publish_at(path: &Path, url: &str) -> std::io::Result<()> {
    in_own_folder(path)?;
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = crate::ground::fsutil::create_private(path)?;
    writeln!(file, "{url}")
}

/// The running page's opening URL, when this account keeps one that looks like it: a regular
/// file (never a link, a folder or a pipe), short, private to its owner.
pub fn read(root: &Path) -> Option<String> {
    read_at(&path(root)?)
}

fn read_at(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > LIMIT {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = std::fs::symlink_metadata(path.parent()?).ok()?;
        if meta.mode() & 0o077 != 0 || meta.uid() != dir.uid() || dir.mode() & 0o077 != 0 {
            return None;
        }
    }
    let file = crate::ground::fsutil::open_no_follow(path, false).ok()?;
    let mut text = String::new();
    file.take(LIMIT).read_to_string(&mut text).ok()?;
    let url = text.lines().next()?.trim();
    let (port, token) = url.strip_prefix("http://127.0.0.1:")?.split_once("/?token=")?;
    let port_ok = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    let port: u16 = port.parse().ok().filter(|_| port_ok)?;
    let token_ok = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    token_ok.then(|| self::url(port, token))
}

/// Removes the file: when the server stops, when it starts (an earlier server's, left by a
/// crash), and when a new URL cannot be kept (never a stale one).
pub fn withdraw(root: &Path) {
    if let Some(path) = path(root) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_opening_url_is_kept_for_the_owner_and_read_back_only_in_its_shape() {
        let home = tempfile::tempdir().unwrap();
        let file = path_in(home.path(), &home.path().join("output"));
        assert_ne!(file, path_in(home.path(), &home.path().join("other")), "a file per output root");
        assert_eq!(read_at(&file), None);
        let token = "ab".repeat(32);
        publish_at(&file, &url(8123, &token)).unwrap();
        assert_eq!(read_at(&file).as_deref(), Some(url(8123, &token).as_str()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(file.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        publish_at(&file, &url(8124, &"cd".repeat(32))).unwrap();
        assert!(read_at(&file).unwrap().starts_with("http://127.0.0.1:8124/?token=cdcd"));
        // Anything else in the file is not an address to open.
        for bad in ["http://evil.example/?token=", "http://127.0.0.1:1/?token=zz", "http://127.0.0.1:+80/?token="] {
            std::fs::remove_file(&file).unwrap();
            std::fs::write(&file, format!("{bad}{}\n", "ab".repeat(32))).unwrap();
            #[cfg(unix)]
            std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            assert_eq!(read_at(&file), None, "{bad}");
        }
        #[cfg(unix)]
        {
            // Readable by others, or a pipe: not believed (and never waited on).
            publish_at(&file, &url(8125, &token)).unwrap();
            std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
            assert_eq!(read_at(&file), None);
            std::fs::remove_file(&file).unwrap();
            assert!(std::process::Command::new("mkfifo").arg(&file).status().unwrap().success());
            assert_eq!(read_at(&file), None);
            std::fs::remove_file(&file).unwrap();
        }
        publish_at(&file, &url(8126, &token)).unwrap();
        std::fs::remove_file(&file).unwrap();
        assert_eq!(read_at(&file), None);
    }
}
