//! The output root's locks, and who holds them. One tsuchi at a time writes a ledger
//! ([`LEDGER`], taken by `Ledger::open` for `run`, `mail`, `purge` …, whether typed in a
//! terminal or started from the page), and one `tsuchi serve` at a time shows it ([`SERVE`]).
//! The holder writes a line beside its lock saying who it is (the command, the account, the
//! machine, the process, since when), so that the one refused can name it rather than say only
//! "busy". The line is read only while the lock is held, so a line left by an earlier holder
//! is never believed for long.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::msg;

/// The lock of the ledger itself.
pub const LEDGER: &str = ".tsuchi.lock";
/// The lock of the one `tsuchi serve` showing this output root.
pub const SERVE: &str = ".tsuchi-serve.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another tsuchi holds the ledger's lock.
    #[error("{}", msg!("audit.ledger.busy", path = .path.display(), holder = .holder))]
    Busy { path: PathBuf, holder: String },
    /// Another `tsuchi serve` shows this output root.
    #[error("{}", msg!("audit.lock.served", path = .path.display(), holder = .holder))]
    Served { path: PathBuf, holder: String },
    #[error("{}", msg!("audit.ledger.cannot_open", path = .path.display(), detail = .detail))]
    Open { path: PathBuf, detail: String },
}

/// A lock held until dropped.
#[derive(Debug)]
pub struct Held {
    _file: File,
}

impl Held {
    /// Takes the lock `name` (a constant of this module) of the output root `root`, creating
    /// the root (private) if it does not exist yet.
    pub fn take(root: &Path, name: &str) -> Result<Held, LockError> {
        let open_error =
            |path: &Path, e: std::io::Error| LockError::Open { path: path.to_path_buf(), detail: e.to_string() };
        if !root.exists() {
            crate::ground::fsutil::create_private_dir(root).map_err(|e| open_error(root, e))?;
        }
        let path = root.join(name);
        let mut options = File::options();
        options.create(true).truncate(false).write(true);
        // The lock file is only locked, never written; still, a link planted at its name is
        // not opened (nor created through).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600),
            libc::O_NOFOLLOW,
        );
        let file = options.open(&path).map_err(|e| open_error(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = holder_of(&path);
                let path = root.to_path_buf();
                return Err(if name == SERVE {
                    LockError::Served { path, holder }
                } else {
                    LockError::Busy { path, holder }
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(open_error(&path, e)),
        }
        // Who holds it, for the next one refused; a line that cannot be written costs only the
        // name in that message.
        let _ = write_holder(&holder_path(&path), &whoami());
        Ok(Held { _file: file })
    }
}

/// Replaces the holder's line in place (never through a link), private to the account. Not one
/// of a batch's files: no crash point counts it.
fn write_holder(path: &Path, line: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = File::options();
    options.create(true).truncate(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600),
        libc::O_NOFOLLOW,
    );
    let mut file = options.open(path)?;
    writeln!(file, "{line}")
}

fn holder_path(lock: &Path) -> PathBuf {
    let mut name = lock.file_name().unwrap_or_default().to_os_string();
    name.push(".holder");
    lock.with_file_name(name)
}

/// The holder's line, or "another tsuchi" when it left none.
fn holder_of(lock: &Path) -> String {
    std::fs::read_to_string(holder_path(lock))
        .ok()
        .map(|text| text.lines().next().unwrap_or_default().chars().filter(|c| !c.is_control()).take(300).collect())
        .filter(|line: &String| !line.trim().is_empty())
        .unwrap_or_else(|| msg!("audit.lock.unknown_holder"))
}

/// This process, as the one refused reads it: `tsuchi serve`, its account and machine, its
/// process number and since when.
fn whoami() -> String {
    // The command's name (`run`, `serve` …), never its other arguments (paths, reasons).
    let command = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .filter(|a| !a.is_empty() && a.len() <= 16 && a.bytes().all(|b| b.is_ascii_lowercase()))
        .map(|a| format!("tsuchi {a}"))
        .unwrap_or_else(|| "tsuchi".to_string());
    let since = chrono::Local::now().format("%Y-%m-%d %H:%M").to_string();
    msg!("audit.lock.holder", command, user = super::operator(), host = super::host(), pid = std::process::id(), since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_refused_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = Held::take(dir.path(), SERVE).unwrap();
        let Err(LockError::Served { holder, .. }) = Held::take(dir.path(), SERVE) else { panic!("not refused") };
        assert!(holder.contains(&std::process::id().to_string()), "{holder}");
        assert!(holder.contains(&super::super::operator()), "{holder}");
        // The two locks are independent: a page may run a batch while it serves.
        let ledger = Held::take(dir.path(), LEDGER).unwrap();
        drop((first, ledger));
        assert!(Held::take(dir.path(), SERVE).is_ok());
    }
}
