//! Where the ledger lives. One installation has one ledger, found the same way from any folder:
//! the output root is `--out`, else `[output] root` in tsuchi.toml (relative to the config
//! file's folder), else the folder of the tsuchi.toml in use, else the user's data folder
//! ([`data_dir`]). So that a run with another `--out` or another tsuchi.toml cannot silently
//! start a fresh, empty ledger (and issue everything again), each user keeps a short list of the
//! ledgers tsuchi has written to, the one used last at the end; a run that would start a new
//! ledger while another one on the list holds batches is refused, naming the one used last and
//! how many are listed (`tsuchi ledgers` lists them), unless the clerk asks for `--new-ledger`.

use std::path::{Path, PathBuf};

use crate::engine::audit::ledger::{self, Head, Ledger, LedgerError};

/// The output root for a run: `cli` if given, else `configured` relative to the config file's
/// folder, else the config file's folder, else the user's data folder (`output` here only on a
/// machine that names none); always absolute.
pub fn output_root(cli: Option<&Path>, configured: Option<&Path>, config_path: Option<&Path>) -> PathBuf {
    let config_dir =
        || config_path.and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let chosen = match (cli, configured, config_path) {
        (Some(p), _, _) => p.to_path_buf(),
        (None, Some(p), _) if p.is_relative() => config_dir().join(p),
        (None, Some(p), _) => p.to_path_buf(),
        (None, None, Some(_)) => config_dir().to_path_buf(),
        (None, None, None) => data_dir().unwrap_or_else(|| PathBuf::from("output")),
    };
    absolute(&chosen)
}

/// An environment variable naming a folder, if set and not empty.
fn var(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The user's data folder, the output root when no tsuchi.toml says otherwise:
/// `$TSUCHI_HOME/data` if set; else `%LOCALAPPDATA%\tsuchi` on Windows, `$XDG_DATA_HOME/tsuchi`
/// or `~/.local/share/tsuchi` elsewhere. `None` when the machine gives no such folder.
pub fn data_dir() -> Option<PathBuf> {
    if let Some(home) = var("TSUCHI_HOME") {
        return Some(home.join("data"));
    }
    if cfg!(windows) {
        var("LOCALAPPDATA").map(|d| d.join("tsuchi"))
    } else {
        var("XDG_DATA_HOME")
            .map(|d| d.join("tsuchi"))
            .or_else(|| var("HOME").map(|h| h.join(".local").join("share").join("tsuchi")))
    }
}

/// `path` made absolute against the current folder, without resolving links (a folder that
/// does not exist yet stays as named).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The user's list of ledgers: `$TSUCHI_HOME/ledgers.txt` if set; else under the user's state
/// folder (`$XDG_STATE_HOME/tsuchi` or `~/.local/state/tsuchi`; `%LOCALAPPDATA%\tsuchi` on
/// Windows). `None` when the machine gives no such folder.
pub fn registry() -> Option<PathBuf> {
    let dir = var("TSUCHI_HOME").or_else(|| {
        if cfg!(windows) {
            var("LOCALAPPDATA").map(|d| d.join("tsuchi"))
        } else {
            var("XDG_STATE_HOME")
                .map(|d| d.join("tsuchi"))
                .or_else(|| var("HOME").map(|h| h.join(".local").join("state").join("tsuchi")))
        }
    })?;
    Some(dir.join("ledgers.txt"))
}

/// The ledgers on the list, as written, each with the chain head it had when this user's
/// last run left it (`<path>\t<count>:<hash>`; a line without a head is a path alone).
fn entries(registry: &Path) -> Vec<(PathBuf, Option<Head>)> {
    std::fs::read_to_string(registry)
        .map(|text| {
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| match l.split_once('\t') {
                    Some((path, head)) => (PathBuf::from(path), head.parse().ok()),
                    None => (PathBuf::from(l), None),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn listed(registry: &Path) -> Vec<PathBuf> {
    entries(registry).into_iter().map(|(p, _)| p).collect()
}

/// The ledger at `root` as `run` (and `check`, which must agree with it) may use it: refused
/// when it would silently be a second ledger ([`guard`]), when its chain or any row does not
/// verify, or when it no longer extends this user's last run. `write` opens it with the output
/// root's lock, creating it if new; otherwise read-only (`None` when there is none yet).
pub fn verified_ledger(
    root: &Path,
    registry: Option<&Path>,
    new_ledger: bool,
    write: bool,
) -> Result<Option<Ledger>, LedgerError> {
    guard(root, registry, new_ledger)?;
    ensure_no_unrecorded_batches(root)?;
    let ledger = if write { Some(Ledger::open(root)?) } else { Ledger::open_read_only(root)? };
    if let Some(ledger) = &ledger {
        crate::engine::audit::integrity::ensure_intact(ledger)?;
        ensure_extends_last_run(root, ledger, registry, new_ledger)?;
    }
    Ok(ledger)
}

/// Fails when the output root holds batch folders its ledger does not record (the folders
/// `verify` lists as not in the ledger), whether the ledger lost its rows or its file is gone:
/// those batches' requests would be issued again. `--new-ledger` does not override this; the
/// clerk restores the ledger or moves the folders away.
fn ensure_no_unrecorded_batches(root: &Path) -> Result<(), LedgerError> {
    if !root.is_dir() {
        return Ok(());
    }
    let ledger = Ledger::open_read_only(root)?;
    let batches = match &ledger {
        Some(l) => l.batches(None, None)?,
        None => Vec::new(),
    };
    let recorded = batches.iter().map(|b| b.id.as_str()).collect();
    let unrecorded: Vec<String> = crate::engine::audit::verify::unrecorded_folders(root, &recorded)
        .map_err(|e| LedgerError::Open { path: root.to_path_buf(), detail: e.to_string() })?
        .into_iter()
        .filter_map(|f| match f {
            crate::engine::audit::verify::Finding::ExtraFolder(name) => Some(name),
            _ => None,
        })
        .collect();
    if unrecorded.is_empty() {
        return Ok(());
    }
    Err(LedgerError::UnrecordedBatches {
        ledger: root.join(ledger::FILE_NAME),
        folders: unrecorded.iter().map(|name| root.join(name).display().to_string()).collect::<Vec<_>>().join("\n"),
    })
}

/// The batch folder or ledger root that `check` would write its reports into at `out` (or
/// inside): `check` never writes into a batch (its sealed reports) nor beside a ledger.
/// Links are resolved, so a link to a batch folder is no way round.
pub fn batch_or_ledger_at(out: &Path) -> Option<PathBuf> {
    let out = resolved(&absolute(out));
    let mut child: Option<&std::ffi::OsStr> = None;
    for dir in out.ancestors() {
        let here = |name: &str| std::fs::symlink_metadata(dir.join(name)).is_ok();
        if here(ledger::FILE_NAME) {
            match child {
                // The ledger root itself.
                None => return Some(dir.to_path_buf()),
                // A batch folder (or a staging one) of this ledger; check's own folders are fine.
                Some(name) if !crate::engine::audit::verify::is_tool_folder(&name.to_string_lossy()) => {
                    return Some(dir.join(name));
                }
                Some(_) => {}
            }
        }
        // A batch folder away from its ledger (a copy) still holds its sealed record.
        if here("manifest.json") && dir.join("audit").is_dir() {
            return Some(dir.to_path_buf());
        }
        child = dir.file_name();
    }
    None
}

/// `path` with its longest existing part resolved (links followed); the rest as written.
fn resolved(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut existing = path;
    loop {
        if let Ok(real) = existing.canonicalize() {
            return rest.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// Fails unless the ledger at `root` still extends the head this user's last run left it at:
/// a ledger file replaced, truncated by its last batches or deleted would otherwise issue those
/// requests again. (`new_ledger`: a deliberate fresh start at an empty ledger.)
fn ensure_extends_last_run(
    root: &Path,
    ledger: &Ledger,
    registry: Option<&Path>,
    new_ledger: bool,
) -> Result<(), LedgerError> {
    let Some(registry) = registry else { return Ok(()) };
    let Some((_, Some(head))) = entries(registry).into_iter().find(|(p, _)| same(p, root)) else { return Ok(()) };
    if new_ledger && ledger.head()?.is_none() {
        return Ok(());
    }
    if ledger.extends(&head)? {
        return Ok(());
    }
    Err(LedgerError::Damaged {
        path: ledger.path(),
        findings: vec![crate::msg!(
            "run.not_extending_last_run",
            count = head.count,
            hash = &head.hash[..16],
            list = registry.display()
        )],
    })
}

fn same(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Refuses to start a new ledger at `root` while another listed ledger holds batches, unless
/// `new_ledger`. A ledger that exists with batches at `root` is always fine. The refusal names
/// the listed ledger this user used last and how many others are listed.
pub fn guard(root: &Path, registry: Option<&Path>, new_ledger: bool) -> Result<(), LedgerError> {
    if new_ledger || batches_at(root)? > 0 {
        return Ok(());
    }
    let Some(registry) = registry else { return Ok(()) };
    let others: Vec<PathBuf> = listed(registry).into_iter().filter(|other| !same(other, root)).collect();
    // The list keeps the one used last at its end.
    for other in others.iter().rev() {
        let batches = batches_at(other)?;
        if batches > 0 {
            return Err(LedgerError::Elsewhere {
                root: root.to_path_buf(),
                other: other.clone(),
                batches,
                listed: others.len(),
            });
        }
    }
    Ok(())
}

/// One ledger on the user's list, as `tsuchi ledgers` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub root: PathBuf,
    /// Batches it records; `None` when there is no ledger there (any more).
    pub batches: Option<usize>,
    /// The one this user used last (the list's last entry).
    pub last_used: bool,
}

/// The ledgers on the user's list, oldest use first.
pub fn listing(registry: &Path) -> Vec<Listed> {
    let roots = listed(registry);
    let last = roots.len().saturating_sub(1);
    roots
        .into_iter()
        .enumerate()
        .map(|(i, root)| {
            let batches = root.join(ledger::FILE_NAME).exists().then(|| batches_at(&root).unwrap_or(1));
            Listed { root, batches, last_used: i == last }
        })
        .collect()
}

/// The ledger at `root` as `check` consults it: refused where `run` would find it damaged or
/// not extending this user's last run, but never for being a second ledger — that comes back
/// as a note (the refusal `run` would give), since `check` writes nothing to it.
pub fn consulted_ledger(
    root: &Path,
    registry: Option<&Path>,
    new_ledger: bool,
) -> Result<(Option<Ledger>, Option<String>), LedgerError> {
    let note = guard(root, registry, new_ledger).err().map(|e| e.to_string());
    ensure_no_unrecorded_batches(root)?;
    let ledger = Ledger::open_read_only(root)?;
    if let Some(ledger) = &ledger {
        crate::engine::audit::integrity::ensure_intact(ledger)?;
        ensure_extends_last_run(root, ledger, registry, new_ledger)?;
    }
    Ok((ledger, note))
}

/// How many batches the ledger under `root` records (0 when there is none). A ledger another
/// run holds or that does not open counts as holding batches: better to refuse than to guess.
fn batches_at(root: &Path) -> Result<usize, LedgerError> {
    if !root.join(ledger::FILE_NAME).exists() {
        return Ok(0);
    }
    match Ledger::open_read_only(root) {
        Ok(Some(l)) => Ok(l.batches(None, None).map(|b| b.len()).unwrap_or(1)),
        Ok(None) => Ok(0),
        Err(_) => Ok(1),
    }
}

/// Puts `root` on the list (once), with the ledger's current chain head. A list that cannot
/// be written costs a warning, not the batch. The list's folder is private to the user.
pub fn remember(root: &Path, registry: Option<&Path>, head: Option<&Head>) -> Result<(), String> {
    let Some(registry) = registry else { return Ok(()) };
    let mut entries = entries(registry);
    // The one used last goes to the end of the list, where the guard looks first.
    let at = entries.iter().position(|(p, _)| same(p, root));
    let last = at.is_some_and(|i| i + 1 == entries.len());
    match at {
        Some(i) if last && (entries[i].1.as_ref() == head || head.is_none()) => return Ok(()),
        Some(i) => {
            let (path, old) = entries.remove(i);
            entries.push((path, head.cloned().or(old)));
        }
        None => entries.push((root.to_path_buf(), head.cloned())),
    }
    let mut text = String::new();
    for (path, head) in &entries {
        text.push_str(&path.to_string_lossy());
        if let Some(head) = head {
            text.push_str(&format!("\t{head}"));
        }
        text.push('\n');
    }
    let fail = |error: std::io::Error| crate::msg!("run.registry_unwritable", path = registry.display(), error);
    if let Some(dir) = registry.parent().filter(|d| !d.exists()) {
        crate::ground::fsutil::create_private_dir(dir).map_err(fail)?;
    }
    crate::ground::fsutil::write_atomic(registry, text.as_bytes()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_root_is_relative_to_the_config_file() {
        let root = output_root(None, Some(Path::new("out")), Some(Path::new("/srv/tsuchi/tsuchi.toml")));
        assert_eq!(root, Path::new("/srv/tsuchi/out"));
        let cli = output_root(Some(Path::new("/x")), Some(Path::new("out")), Some(Path::new("/srv/tsuchi.toml")));
        assert_eq!(cli, Path::new("/x"));
        assert!(output_root(None, None, None).is_absolute());
    }

    #[test]
    fn the_list_remembers_a_root_once() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("home").join("ledgers.txt");
        let head = |n: i64| Head { count: n, hash: format!("{n:064x}") };
        remember(Path::new("/a/output"), Some(&list), Some(&head(3))).unwrap();
        remember(Path::new("/a/output"), Some(&list), None).unwrap();
        remember(Path::new("/b/output"), Some(&list), None).unwrap();
        remember(Path::new("/a/output"), Some(&list), Some(&head(9))).unwrap();
        // The one used last is at the end, its head kept when a later use names none.
        assert_eq!(listed(&list), [PathBuf::from("/b/output"), PathBuf::from("/a/output")]);
        assert_eq!(entries(&list)[1].1, Some(head(9)));
        assert_eq!(entries(&list)[0].1, None);
        remember(Path::new("/b/output"), Some(&list), None).unwrap();
        assert_eq!(listed(&list), [PathBuf::from("/a/output"), PathBuf::from("/b/output")]);
        assert_eq!(entries(&list)[0].1, Some(head(9)));
    }

    #[test]
    fn without_a_config_the_root_is_the_users_data_folder_and_with_one_its_folder() {
        let root = output_root(None, None, Some(Path::new("/srv/tsuchi/tsuchi.toml")));
        assert_eq!(root, Path::new("/srv/tsuchi"));
        if let Some(data) = data_dir() {
            assert_eq!(output_root(None, None, None), absolute(&data));
        }
    }
}
