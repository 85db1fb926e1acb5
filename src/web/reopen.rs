//! Opening the page again while it runs: a browser closed by mistake, a second double-click on
//! tsuchi.exe. The running server keeps its next opening URL (a fresh one-time token each time
//! one is used) in a file beside its lock that only its account can read; a second `tsuchi
//! serve` on the same output root, refused the lock, opens that URL instead of failing. Another
//! account cannot read the file and is told who holds the page, as before.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The file, in the output root beside the serve lock.
const FILE: &str = ".tsuchi-serve.open";

fn path(root: &Path) -> PathBuf {
    root.join(FILE)
}

/// The opening URL of the server on `port` for `token`.
pub fn url(port: u16, token: &str) -> String {
    format!("http://127.0.0.1:{port}/?token={token}")
}

/// Keeps `url` as the page's next opening URL: the old file removed, a new one created for
/// the owner alone (never through a link).
pub fn publish(root: &Path, url: &str) -> std::io::Result<()> {
    let path = path(root);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = crate::ground::fsutil::create_private(&path)?;
    writeln!(file, "{url}")
}

/// The running page's opening URL, when this account can read one that looks like it.
pub fn read(root: &Path) -> Option<String> {
    let mut file = crate::ground::fsutil::open_no_follow(&path(root), false).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    Read::by_ref(&mut file).take(256).read_to_string(&mut text).ok()?;
    let url = text.lines().next()?.trim();
    let (port, token) = url.strip_prefix("http://127.0.0.1:")?.split_once("/?token=")?;
    let port: u16 = port.parse().ok()?;
    let token_ok = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    token_ok.then(|| self::url(port, token))
}

/// Removes the file when the server stops.
pub fn withdraw(root: &Path) {
    let _ = std::fs::remove_file(path(root));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_opening_url_is_kept_for_the_owner_and_read_back_only_in_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path()), None);
        let token = "ab".repeat(32);
        publish(dir.path(), &url(8123, &token)).unwrap();
        assert_eq!(read(dir.path()).as_deref(), Some(url(8123, &token).as_str()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // A new one replaces it; anything else in the file is not an address to open.
        publish(dir.path(), &url(8124, &"cd".repeat(32))).unwrap();
        assert!(read(dir.path()).unwrap().starts_with("http://127.0.0.1:8124/?token=cdcd"));
        for bad in ["http://evil.example/?token=", "http://127.0.0.1:1/?token=zz", "file:///etc/passwd"] {
            std::fs::remove_file(dir.path().join(FILE)).unwrap();
            std::fs::write(dir.path().join(FILE), format!("{bad}{}\n", "ab".repeat(32))).unwrap();
            assert_eq!(read(dir.path()), None, "{bad}");
        }
        withdraw(dir.path());
        assert_eq!(read(dir.path()), None);
    }
}
