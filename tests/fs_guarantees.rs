//! What tsuchi writes cannot be redirected or overwritten, and what it records names what it
//! did (issue 22): a link planted at a name tsuchi writes is not followed, `check` never writes
//! into a batch, a batch is never committed without its folder, the record hashes the bytes
//! that were parsed, a ledger that lost its rows is not a fresh one, and the settings are
//! checked as strictly as the rows.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tsuchi::engine::batch::{self, Progress, RunOptions};
use tsuchi::engine::render::Renderer;

use common::{batch_dirs, sample, text};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir` (links too, by their target's name) with its content's hash.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    common::files_under(dir)
        .into_iter()
        .map(|p| {
            let hash = match std::fs::symlink_metadata(&p).unwrap().file_type().is_symlink() {
                true => format!("link to {}", std::fs::read_link(&p).unwrap().display()),
                false => sha256(&std::fs::read(&p).unwrap()),
            };
            (p, hash)
        })
        .collect()
}

fn output(o: &std::process::Output) -> String {
    text(&o.stdout) + &text(&o.stderr)
}

/// The batch IDs a run started in the next `seconds` could take (Tokyo time, as tsuchi names them).
fn next_batch_ids(seconds: i64) -> Vec<String> {
    let now = tsuchi::ground::wareki::now_in_tokyo();
    (0..seconds).map(|s| (now + chrono::Duration::seconds(s)).format("%Y%m%d-%H%M%S").to_string()).collect()
}

fn batch_ids_in_ledger(out: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM batches ORDER BY id").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn event_kinds(out: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let mut stmt = conn.prepare("SELECT kind FROM events ORDER BY seq").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn verify_all(out: &Path, cwd: &Path) -> (i32, String) {
    let o = common::command().arg("verify").arg("--out").arg(out).current_dir(cwd).output().unwrap();
    (o.status.code().unwrap_or(-1), output(&o))
}

#[cfg(unix)]
#[test]
fn a_link_planted_at_a_name_check_or_run_writes_is_not_followed() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"someone else's file").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let victim_dir = dir.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    std::fs::set_permissions(&victim_dir, std::fs::Permissions::from_mode(0o755)).unwrap();

    // check's reports, and its temporary files as tsuchi used to name them (its pid is
    // unknown beforehand: every pid the machine could give).
    let check = out.join("check");
    std::fs::create_dir_all(&check).unwrap();
    for name in ["rejected.xlsx", "rejected.csv"] {
        symlink(&victim, check.join(name)).unwrap();
    }
    // A batch's staging folder and folder for every batch ID of the next minute.
    for id in next_batch_ids(60) {
        symlink(&victim_dir, out.join(format!(".staging-{id}"))).unwrap();
        symlink(&victim_dir, out.join(&id)).unwrap();
    }

    let checked = common::tsuchi(&["check", sample("requests.xlsx").to_str().unwrap(), "--ledger", "out"], dir.path());
    assert_eq!(checked.status.code(), Some(0), "{}", output(&checked));
    let ran = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(ran.status.code(), Some(0), "{}", output(&ran));

    assert_eq!(std::fs::read(&victim).unwrap(), b"someone else's file");
    assert_eq!(std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777, 0o644, "not chmodded");
    assert_eq!(std::fs::read_dir(&victim_dir).unwrap().count(), 0, "nothing written through a link");
    assert_eq!(std::fs::metadata(&victim_dir).unwrap().permissions().mode() & 0o777, 0o755, "not chmodded");
    // check's reports replaced the links; the batch went to a name of its own.
    for name in ["rejected.xlsx", "rejected.csv"] {
        let meta = std::fs::symlink_metadata(check.join(name)).unwrap();
        assert!(meta.file_type().is_file(), "{name} is check's own file");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let ids = batch_ids_in_ledger(&out);
    assert_eq!(ids.len(), 1);
    let batch = out.join(&ids[0]);
    assert!(std::fs::symlink_metadata(&batch).unwrap().file_type().is_dir(), "{batch:?} is a folder, not a link");
    let (code, said) = verify_all(&out, dir.path());
    assert_eq!(code, 0, "{said}");
}

#[test]
fn check_into_a_batch_folder_or_a_ledger_root_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = batch_dirs(&out).remove(0);
    let before = snapshot(&out);
    let list = sample("requests_with_mistakes.xlsx");
    let mut targets = vec![batch.clone(), batch.join("audit"), batch.join("new-sub"), out.clone()];
    #[cfg(unix)]
    {
        // A link to the batch is no way round.
        let link = dir.path().join("looks-harmless");
        std::os::unix::fs::symlink(&batch, &link).unwrap();
        targets.push(link);
    }
    for target in &targets {
        let o = common::tsuchi(
            &["check", list.to_str().unwrap(), "--ledger", "out", "--out", target.to_str().unwrap()],
            dir.path(),
        );
        let said = output(&o);
        assert_eq!(o.status.code(), Some(2), "{target:?}: {said}");
        assert!(said.contains(&target.display().to_string()), "the path given is named: {said}");
        let named = if target == &out { &out } else { &batch };
        assert!(said.contains(&named.display().to_string()), "the batch or ledger is named: {said}");
        assert_eq!(snapshot(&out), before, "{target:?}: nothing in the output root changed");
    }
    assert!(!batch.join("new-sub").exists());
    // check's own folder is still where check writes.
    let o = common::tsuchi(&["check", list.to_str().unwrap(), "--ledger", "out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", output(&o));
    assert!(out.join("check").join("rejected.csv").is_file());
}

/// A dangling link at the batch folder's name, planted while the batch is being written (after
/// its name was chosen): the run fails naming it, and nothing of the batch is recorded.
struct PlantsALink {
    out: PathBuf,
    planted: std::sync::Mutex<Option<PathBuf>>,
}

impl Progress for PlantsALink {
    fn start(&self, _: usize) {
        let staging = std::fs::read_dir(&self.out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with(".staging-"))
            .expect("the batch is being written in its staging folder");
        let at = self.out.join(staging.trim_start_matches(".staging-"));
        #[cfg(unix)]
        std::os::unix::fs::symlink(self.out.join("nowhere"), &at).unwrap();
        #[cfg(not(unix))]
        std::fs::write(&at, b"in the way").unwrap();
        *self.planted.lock().unwrap() = Some(at);
    }
    fn advance(&self) {}
    fn finish(&self) {}
}

fn options(input: &Path, out: &Path) -> RunOptions {
    RunOptions {
        input: input.to_path_buf(),
        sheet: None,
        include_hidden: false,
        out_root: out.to_path_buf(),
        config_path: None,
        issue_date: None,
        allow_date: false,
        dry_run: false,
        reissue: Vec::new(),
        reissue_reason: None,
        new_ledger: false,
        registry: None,
    }
}

#[test]
fn a_path_in_the_way_of_the_batch_folder_is_named_and_the_batch_is_not_committed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let config = common::test_settings();
    let renderer = Renderer::new(&config).unwrap();
    let progress = PlantsALink { out: out.clone(), planted: Default::default() };
    std::fs::create_dir_all(&out).unwrap();
    let error = batch::run(&options(&sample("requests.xlsx"), &out), &config, &renderer, &progress).unwrap_err();
    let planted = progress.planted.lock().unwrap().clone().unwrap();
    assert!(error.to_string().contains(&planted.display().to_string()), "{error}");
    assert!(batch_ids_in_ledger(&out).is_empty(), "committed without its folder");
    assert!(std::fs::symlink_metadata(&planted).is_ok(), "what was in the way is left as it was");
    // Nothing of the batch remains, and the next run issues everything under another name.
    let ran = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(ran.status.code(), Some(0), "{}", output(&ran));
    let ids = batch_ids_in_ledger(&out);
    assert_eq!(ids.len(), 1);
    assert!(out.join(&ids[0]).is_dir());
    let (code, said) = verify_all(&out, dir.path());
    assert_eq!(code, 0, "every batch in the ledger has its folder: {said}");
}

#[cfg(unix)]
#[test]
fn dangling_links_at_the_next_batch_names_never_leave_a_batch_without_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    for id in next_batch_ids(60) {
        std::os::unix::fs::symlink(dir.path().join("nowhere"), out.join(&id)).unwrap();
    }
    let ran = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(ran.status.code(), Some(0), "{}", output(&ran));
    for id in batch_ids_in_ledger(&out) {
        assert!(std::fs::symlink_metadata(out.join(&id)).unwrap().is_dir(), "batch {id} has its folder");
    }
    let (code, said) = verify_all(&out, dir.path());
    assert_eq!(code, 0, "{said}");
}

/// A batch committed but cut off before its folder was moved into place, and then something
/// put at the folder's name: the next run says which path is in the way.
#[cfg(unix)]
#[test]
fn a_path_in_the_way_of_a_recovered_batch_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    common::test_config(dir.path());
    let killed = common::command()
        .env("TSUCHI_CRASH_AT", "commit:after")
        .args(["run", sample("requests.xlsx").to_str().unwrap(), "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!killed.status.success());
    let ids = batch_ids_in_ledger(&out);
    assert_eq!(ids.len(), 1, "committed before it was cut off");
    let in_the_way = out.join(&ids[0]);
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &in_the_way).unwrap();
    let again = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", output(&again));
    assert!(output(&again).contains(&in_the_way.display().to_string()), "{}", output(&again));
    // Once it is removed, the batch is published.
    std::fs::remove_file(&in_the_way).unwrap();
    let again = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", output(&again));
    assert!(in_the_way.is_dir());
}

/// Saves another list over the input as soon as the batch starts writing (after the list was
/// read): the clerk saving the Excel file during a run.
struct SavesOverTheInput {
    input: PathBuf,
    other: Vec<u8>,
}

impl Progress for SavesOverTheInput {
    fn start(&self, _: usize) {
        std::fs::write(&self.input, &self.other).unwrap();
    }
    fn advance(&self) {}
    fn finish(&self) {}
}

#[test]
fn the_record_hashes_the_bytes_that_were_parsed_even_if_the_list_is_saved_during_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let input = dir.path().join("requests.xlsx");
    std::fs::copy(sample("requests.xlsx"), &input).unwrap();
    let parsed = std::fs::read(&input).unwrap();
    let other = std::fs::read(sample("requests_with_mistakes.xlsx")).unwrap();
    assert_ne!(sha256(&parsed), sha256(&other));

    // The library's reading: the hash given with the intake is of the bytes it parsed.
    let (intake, source) = batch::read_input(&options(&input, &out)).unwrap();
    assert_eq!(source.sha256, sha256(&parsed));
    assert_eq!(source.size, parsed.len() as u64);
    assert!(!intake.requests.is_empty());

    let config = common::test_settings();
    let renderer = Renderer::new(&config).unwrap();
    let progress = SavesOverTheInput { input: input.clone(), other: other.clone() };
    let report = batch::run(&options(&input, &out), &config, &renderer, &progress).unwrap();
    assert_eq!(std::fs::read(&input).unwrap(), other, "the list was saved over during the run");
    assert_eq!(report.input.sha256, sha256(&parsed));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["input"]["sha256"], sha256(&parsed));
    assert_eq!(manifest["input"]["size"], parsed.len() as u64);
    let conn = rusqlite::Connection::open(out.join("ledger.sqlite")).unwrap();
    let recorded: String = conn.query_row("SELECT input_sha256 FROM batches", [], |r| r.get(0)).unwrap();
    assert_eq!(recorded, sha256(&parsed));
    let started: String =
        conn.query_row("SELECT detail FROM events WHERE kind = 'batch.started'", [], |r| r.get(0)).unwrap();
    assert!(started.contains(&sha256(&parsed)), "{started}");
}

#[test]
fn a_wiped_ledger_beside_batch_folders_is_not_a_fresh_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = batch_dirs(&out).remove(0);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(out.join(format!("ledger.sqlite{suffix}")));
    }
    let before = snapshot(&out);
    // Another account: a list of ledgers of its own (common::command gives each run one).
    for extra in [&[][..], &["--new-ledger"][..]] {
        let o = common::run_sample(dir.path(), &out, extra);
        let said = output(&o);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: issued everything again: {said}");
        assert!(said.contains(&batch.display().to_string()), "the batch folder is named: {said}");
        assert!(!out.join("ledger.sqlite").exists(), "no new ledger was started");
        assert_eq!(snapshot(&out), before);
    }
    let o = common::tsuchi(&["check", sample("requests.xlsx").to_str().unwrap(), "--ledger", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2), "check agrees with run: {}", output(&o));
    assert!(output(&o).contains(&batch.display().to_string()));

    // The same when the ledger is there but lost the batch's rows.
    let dir = tempfile::tempdir().unwrap();
    let out = common::pristine(dir.path(), "out");
    let batch = batch_dirs(&out).remove(0);
    common::edit_ledger(&out, "DELETE FROM requests; DELETE FROM files; DELETE FROM batches; DELETE FROM events;");
    let o = common::run_sample(dir.path(), &out, &["--new-ledger"]);
    assert_eq!(o.status.code(), Some(2), "{}", output(&o));
    assert!(output(&o).contains(&batch.display().to_string()), "{}", output(&o));
    assert_eq!(batch_dirs(&out).len(), 1);
}

#[test]
fn an_issue_date_far_from_today_is_refused_unless_allowed_and_then_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let list = sample("requests.xlsx");
    let list = list.to_str().unwrap();
    common::test_config(dir.path());
    for args in [["run", list, "--out", "out"], ["check", list, "--ledger", "out"]] {
        let command = args[0];
        let o = common::command().args(args).args(["--date", "9999-12-31"]).current_dir(dir.path()).output().unwrap();
        let said = output(&o);
        assert_eq!(o.status.code(), Some(2), "{command}: {said}");
        assert!(said.contains("9999-12-31") && said.contains("--allow-date"), "{command}: {said}");
        assert!(!out.exists(), "{command}: nothing written");
    }
    // Also from the config file.
    std::fs::write(dir.path().join("tsuchi.toml"), common::config_with("[notice]\nissue_date = 1999-04-01\n")).unwrap();
    let o = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", output(&o));
    assert!(output(&o).contains("1999-04-01") && output(&o).contains("issue_date"), "{}", output(&o));
    assert!(!out.exists());
    std::fs::remove_file(dir.path().join("tsuchi.toml")).unwrap();

    let allowed = common::run_sample(dir.path(), &out, &["--date", "2030-04-01", "--allow-date"]);
    assert_eq!(allowed.status.code(), Some(0), "{}", output(&allowed));
    assert!(output(&allowed).contains("--allow-date"), "the clerk is warned: {}", output(&allowed));
    assert!(event_kinds(&out).contains(&"batch.issue_date_allowed".to_string()));
    let batch = batch_dirs(&out).remove(0);
    let events = std::fs::read_to_string(batch.join("audit").join("events.jsonl")).unwrap();
    assert!(events.contains("batch.issue_date_allowed") && events.contains("2030-04-01"), "{events}");
    // Today needs no flag and records nothing of the kind.
    let out = dir.path().join("today");
    let o = common::run_sample(dir.path(), &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", output(&o));
    assert!(!event_kinds(&out).contains(&"batch.issue_date_allowed".to_string()));
}

#[test]
fn an_address_offset_of_three_numbers_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsuchi.toml"), "[layout]\naddress_offset_mm = [1, 2, 3]\n").unwrap();
    let o = common::tsuchi(&["check", sample("requests.xlsx").to_str().unwrap()], dir.path());
    let said = output(&o);
    assert_eq!(o.status.code(), Some(2), "{said}");
    assert!(said.contains("tsuchi.toml") && said.contains("address_offset_mm") && said.contains('3'), "{said}");
    assert!(!dir.path().join("output").exists(), "nothing written");
}

#[test]
fn an_issuer_the_font_cannot_print_is_refused_naming_tsuchi_toml() {
    let dir = tempfile::tempdir().unwrap();
    // 𱁬 (U+3106C, CJK Extension G) is in no bundled font.
    std::fs::write(dir.path().join("tsuchi.toml"), "# 発行元\n[issuer]\nname = \"𱁬田国民健康保険団体連合会\"\n")
        .unwrap();
    for command in ["check", "run"] {
        let o = common::tsuchi(&[command, sample("requests.xlsx").to_str().unwrap()], dir.path());
        let said = output(&o);
        assert_eq!(o.status.code(), Some(2), "{command}: {said}");
        assert!(said.contains("tsuchi.toml") && said.contains("[issuer] name") && said.contains("𱁬"), "{said}");
        // The settings' line is named, and no row of the list is blamed.
        assert!(said.contains("3行目：[issuer] name"), "{said}");
        assert!(!said.contains("requests.xlsx") && !said.contains("列"), "no row is blamed: {said}");
        assert!(!dir.path().join("output").exists(), "nothing written");
    }
}
