//! How tsuchi writes to disk, in one place: atomic replacement of a single file, the files of
//! a staging folder (made durable together before the folder is published), and private files
//! and folders. Every file tsuchi writes is created private from its first byte (0600 on Unix,
//! whatever the umask; folders 0700): the notices, the bundle and the ZIPs hold or open with
//! passwords. Every file is created new, never opened through a link: a name someone planted
//! beforehand (a symbolic link to another file, a file of their own) makes the write fail
//! rather than go where they point, and temporary names are random, so they cannot be planted
//! at all. Every function reports a plain `io::Error`; the caller adds which file and why it
//! mattered.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` so that a reader sees either the old file or the whole new one:
/// the bytes go to a temporary file beside it, are flushed to disk, and are renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// [`write_atomic`] with the content written by `write` into the temporary file.
pub fn write_atomic_with(path: &Path, write: impl FnOnce(&mut fs::File) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // A name nobody can guess, created new: a link planted beside the file is never written
    // through. The rename then replaces whatever entry `path` is (a link included) and never
    // writes where a link points.
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{file_name}.{:016x}.tmp", random_u64()?));
        match create_private(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        write(&mut f)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    crate::ground::failpoint::file_written();
    result
}

fn random_u64() -> io::Result<u64> {
    use rand::rand_core::TryRng as _;
    let mut bytes = [0u8; 8];
    rand::rngs::SysRng.try_fill_bytes(&mut bytes).map_err(io::Error::other)?;
    Ok(u64::from_le_bytes(bytes))
}

/// Writes a file of a staging folder. It is durable once [`sync_staging`] has run: on Linux
/// the whole folder is flushed with one `syncfs` then (thousands of `fsync`s cost more than
/// the rendering); elsewhere each file is flushed here.
pub fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = create_private(path)?;
    file.write_all(bytes)?;
    #[cfg(not(target_os = "linux"))]
    file.sync_all()?;
    crate::ground::failpoint::file_written();
    Ok(())
}

/// Ends a large file of a staging folder written through a handle (print bundle, password
/// list, hand-off, audit events, manifest): flushed here, one by one, on every platform. A
/// handful of `fsync`s costs little, and each reports its own write errors, which `syncfs`
/// does not on Linux before 5.8 or on some network shares.
pub fn staged(file: &fs::File) -> io::Result<()> {
    file.sync_all()?;
    crate::ground::failpoint::file_written();
    Ok(())
}

/// Makes every file and folder entry under `staging` durable before the rename that
/// publishes it: one `syncfs` of the file system on Linux, then each folder's own entries.
pub fn sync_staging(staging: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let dir = fs::File::open(staging)?;
        rustix::fs::syncfs(&dir)?;
    }
    sync_dirs(staging)
}

/// A flush of the file system under `staging` going on in the background.
pub struct Flush(Option<std::thread::JoinHandle<io::Result<()>>>);

impl Flush {
    /// Waits for the flush and reports how it went.
    pub fn join(self) -> io::Result<()> {
        match self.0 {
            Some(handle) => handle.join().unwrap_or_else(|_| Err(io::Error::other("the flush thread panicked"))),
            None => Ok(()),
        }
    }
}

/// Starts writing the files of `staging` to disk on a thread of its own (one `syncfs` on
/// Linux, where [`write_synced`] leaves them in memory; nothing elsewhere, where each file was
/// flushed as it was written). The thread mostly waits for the disk, so the batch's other
/// work goes on meanwhile; [`sync_staging`] still makes everything durable at the end.
pub fn flush_in_background(staging: &Path) -> Flush {
    #[cfg(target_os = "linux")]
    {
        let staging = staging.to_path_buf();
        Flush(Some(std::thread::spawn(move || {
            let dir = fs::File::open(&staging)?;
            Ok(rustix::fs::syncfs(&dir)?)
        })))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = staging;
        Flush(None)
    }
}

fn sync_dirs(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_dirs(&entry.path())?;
        }
    }
    sync_dir(dir);
    Ok(())
}

/// Flushes a folder's own entries (a rename into it, a new file in it) where the platform
/// allows: `fsync` of the folder on Unix; on Windows a folder opens only with backup semantics
/// and NTFS may still refuse to flush it, which is fine: its metadata journal makes the entries
/// durable itself. Never an error: what matters was flushed file by file.
pub fn sync_dir(dir: &Path) {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(windows)]
    {
        // FILE_FLAG_BACKUP_SEMANTICS: the only way to open a folder as a file on Windows.
        std::os::windows::fs::OpenOptionsExt::custom_flags(&mut options, 0x0200_0000);
        options.write(true);
    }
    if let Ok(handle) = options.open(dir) {
        let _ = handle.sync_all();
    }
}

/// Makes `dir`, and everything later created in it, open to the current user only: mode 0700
/// on Unix; on Windows a protected ACL (no inherited entries) granting the current user alone
/// full control, inherited by every file and folder made inside.
pub fn restrict_to_owner(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    return tighten_dir(dir);
    #[cfg(windows)]
    return crate::ground::os::restrict_to_owner(dir);
    #[cfg(not(any(unix, windows)))]
    return Err(io::Error::new(io::ErrorKind::Unsupported, "no owner-only permissions on this platform"));
}

/// Creates `path`, which must not exist yet (not even as a link), for writing, readable by its
/// owner only from the first byte: created 0600 on Unix, then set to 0600 on the open handle
/// (never by path, which could be swapped for a link), whatever the umask. On Windows the file
/// inherits the folder's permissions: keep the output folder on a drive only the clerks can
/// open.
pub fn create_private(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    // O_EXCL: an existing entry (a file, a link, dangling or not) is an error, not a target.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // O_EXCL already refuses a final link; O_NOFOLLOW says so on its own.
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(windows)]
    {
        // FILE_FLAG_OPEN_REPARSE_POINT: a reparse point (link, junction) is opened itself, never
        // followed; with create_new, one in the way is an error.
        std::os::windows::fs::OpenOptionsExt::custom_flags(
            &mut options,
            windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT,
        );
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(file)
}

/// Opens an existing file without following a link at its last component (`O_NOFOLLOW`; on
/// Windows the reparse point itself is opened), so that a link put in a file's place is opened
/// as itself or not at all, never its target. The caller checks the handle is a regular file.
pub fn open_no_follow(path: &Path, write: bool) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true).write(write);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    #[cfg(windows)]
    {
        std::os::windows::fs::OpenOptionsExt::custom_flags(
            &mut options,
            windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT,
        );
    }
    options.open(path)
}

/// Writes a new file only its owner can read (0600 on Unix), flushed to disk ([`create_private`]).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = create_private(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    crate::ground::failpoint::file_written();
    Ok(())
}

/// Creates `path` (and missing parents) as a folder only its owner can enter (0700 on Unix;
/// inherited permissions on Windows, as with [`write_private`]). An existing folder is kept and
/// tightened; a link at `path` is refused, not followed.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)?;
    // An existing folder keeps its mode through `create`; tighten it, through a handle opened
    // without following a link.
    tighten_dir(path)
}

/// Creates the folder `path`, which must not exist yet (not even as a link), only its owner
/// can enter (0700 on Unix). Its parent must exist. For staging folders: whatever stands at
/// the name is someone else's, and nothing of a batch may land there.
pub fn create_new_private_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    let builder = {
        let mut builder = fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
    };
    #[cfg(not(unix))]
    let builder = fs::DirBuilder::new();
    builder.create(path)?;
    tighten_dir(path)
}

/// Sets an existing folder to 0700 through a handle opened without following a link (a link
/// at `path` is an error); nothing to do elsewhere.
fn tighten_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY).open(path)?;
        dir.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    {
        if fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, "a link stands at this name"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn private_files_and_folders_are_for_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("staging").join("secrets");
        create_private_dir(&secrets).unwrap();
        write_private(&secrets.join("list.pdf"), b"x").unwrap();
        assert_eq!(fs::metadata(&secrets).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(fs::metadata(secrets.join("list.pdf")).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_private_file_is_never_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.pdf");
        write_private(&path, b"first").unwrap();
        assert!(write_private(&path, b"second").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"first");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_a_name_tsuchi_writes_is_never_followed() {
        use std::os::unix::fs::{PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, b"theirs").unwrap();
        fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
        let victim_dir = dir.path().join("victim-dir");
        fs::create_dir(&victim_dir).unwrap();
        fs::set_permissions(&victim_dir, fs::Permissions::from_mode(0o755)).unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();

        // A new file at a link, dangling or not: refused.
        symlink(&victim, out.join("list.pdf")).unwrap();
        symlink(dir.path().join("nowhere"), out.join("dangling.pdf")).unwrap();
        for name in ["list.pdf", "dangling.pdf"] {
            assert_eq!(create_private(&out.join(name)).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
            assert!(write_private(&out.join(name), b"secret").is_err());
            assert!(write_synced(&out.join(name), b"secret").is_err());
        }
        assert!(!dir.path().join("nowhere").exists());
        // A folder at a link: refused, and its target is not chmodded.
        symlink(&victim_dir, out.join("staging")).unwrap();
        assert!(create_new_private_dir(&out.join("staging")).is_err());
        assert!(create_private_dir(&out.join("staging")).is_err());
        assert!(restrict_to_owner(&out.join("staging")).is_err());
        // The temporary name tsuchi used to use (predictable from the pid) is not used.
        symlink(&victim, out.join(format!(".report.csv.{}.tmp", std::process::id()))).unwrap();
        write_atomic(&out.join("report.csv"), b"mine").unwrap();
        assert_eq!(fs::read(out.join("report.csv")).unwrap(), b"mine");
        // Replacing a link at the final name replaces the link, not its target.
        symlink(&victim, out.join("rejected.csv")).unwrap();
        write_atomic(&out.join("rejected.csv"), b"mine").unwrap();
        assert!(fs::symlink_metadata(out.join("rejected.csv")).unwrap().file_type().is_file());
        assert_eq!(fs::metadata(out.join("rejected.csv")).unwrap().permissions().mode() & 0o777, 0o600);

        assert_eq!(fs::read(&victim).unwrap(), b"theirs");
        assert_eq!(fs::metadata(&victim).unwrap().permissions().mode() & 0o777, 0o644);
        assert_eq!(fs::read_dir(&victim_dir).unwrap().count(), 0);
        assert_eq!(fs::metadata(&victim_dir).unwrap().permissions().mode() & 0o777, 0o755);
        // No temporary file is left behind.
        let left: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp") && !n.contains(&std::process::id().to_string()))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_staging_folder_with_nested_folders_syncs() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("audit").join("deep")).unwrap();
        write_synced(&dir.path().join("audit").join("events.jsonl"), b"{}\n").unwrap();
        sync_staging(dir.path()).unwrap();
    }
}
