//! Property: whatever the clerks do to a filled 発送リスト (delete or reorder rows, put error
//! values, words, dates or another row's number into 書留番号, odd 発送日), `mail import`
//! records exactly the rows whose number is one, unique in the list and sent on a plausible
//! date, never an invalid number; and `purge` without `--force` runs only when every paper
//! notice is recorded, touching nothing otherwise.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::mailing::{Row, Value, event_count, hashes, number, rows_of, sent_events, write_list};
use proptest::prelude::*;

/// One batch of the sample list, built once; each case works on a copy of its output folder.
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mailroom-props-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("out");
        let o = common::run_sample(&dir, &out, &["--date", "2026-04-01", "--allow-date"]);
        assert_eq!(o.status.code(), Some(0), "{}", common::text(&o.stderr));
        common::edit_ledger(&out, "PRAGMA wal_checkpoint(TRUNCATE);");
        let o = common::command().arg("verify").arg("--out").arg(&out).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", common::text(&o.stdout));
        out
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// What a clerk left in 書留番号, as the oracle sees it.
#[derive(Debug, Clone)]
enum Entry {
    /// A real number (its digits), typed as a number or as text with hyphens.
    Valid {
        digits: String,
        hyphenated: bool,
    },
    Blank,
    /// Anything that is not a number: an error value, a word, a date, too few digits.
    Junk(Value),
}

impl Entry {
    fn value(&self) -> Value {
        match self {
            Entry::Valid { digits, hyphenated: false } => Value::Number(digits.clone()),
            Entry::Valid { digits, hyphenated: true } => {
                Value::Text(format!("{}-{}-{}-{}", &digits[..3], &digits[3..5], &digits[5..10], &digits[10..]))
            }
            Entry::Blank => Value::Blank,
            Entry::Junk(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(prop::sample::Index),
    Swap(prop::sample::Index, prop::sample::Index),
    Junk(prop::sample::Index, Value),
    Blank(prop::sample::Index),
    Hyphenate(prop::sample::Index),
    /// Row a gets row b's 書留番号 (a copy-paste slip).
    CopyNumber(prop::sample::Index, prop::sample::Index),
    SentOn(prop::sample::Index, Value),
}

fn junk() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Error("#N/A")),
        Just(Value::Error("#REF!")),
        Just(Value::Text("未発送".into())),
        Just(Value::Text("保留".into())),
        Just(Value::Text("-".into())),
        Just(Value::Text("なし".into())),
        Just(Value::Text("×".into())),
        Just(Value::Text("00000000000".into())),
        Just(Value::Number("1234567".into())),
        Just(Value::Date(2026, 4, 3)),
    ]
}

/// 発送日 values: some plausible (blank, after the 2026-04-01 issue date and before today),
/// some not; [`plausible`] tells which.
fn sent_on() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Blank),
        Just(Value::Date(2026, 4, 5)),
        Just(Value::Text("2026/04/06".into())),
        Just(Value::Date(2026, 3, 1)),
        Just(Value::Date(2099, 1, 1)),
        Just(Value::Error("#N/A")),
        Just(Value::Text("明日".into())),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<prop::sample::Index>(), junk()).prop_map(|(a, v)| Edit::Junk(a, v)),
        any::<prop::sample::Index>().prop_map(Edit::Blank),
        any::<prop::sample::Index>().prop_map(Edit::Hyphenate),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(a, b)| Edit::CopyNumber(a, b)),
        (any::<prop::sample::Index>(), sent_on()).prop_map(|(a, v)| Edit::SentOn(a, v)),
    ]
}

fn plausible(v: &Value) -> bool {
    matches!(v, Value::Blank | Value::Date(2026, 4, 2) | Value::Date(2026, 4, 5))
        || *v == Value::Text("2026/04/06".into())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn clerk_edits_never_record_an_invalid_number_nor_let_purge_run_early(
        edits in proptest::collection::vec(edit(), 0..8)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        copy_dir(template(), &out);
        let batch = common::batch_dir(&out);
        let all = rows_of(&batch, |r| Value::Number(number(r)));
        let paper: Vec<String> = all.iter().map(|r| r.control().to_string()).collect();
        let mut rows: Vec<(Row, Entry)> = all
            .into_iter()
            .enumerate()
            .map(|(r, row)| (row, Entry::Valid { digits: number(r), hyphenated: false }))
            .collect();
        for edit in &edits {
            if rows.is_empty() {
                break;
            }
            let n = rows.len();
            match edit {
                Edit::Delete(a) => {
                    rows.remove(a.index(n));
                }
                Edit::Swap(a, b) => rows.swap(a.index(n), b.index(n)),
                Edit::Junk(a, v) => rows[a.index(n)].1 = Entry::Junk(v.clone()),
                Edit::Blank(a) => rows[a.index(n)].1 = Entry::Blank,
                Edit::Hyphenate(a) => {
                    if let Entry::Valid { hyphenated, .. } = &mut rows[a.index(n)].1 {
                        *hyphenated = true;
                    }
                }
                Edit::CopyNumber(a, b) => rows[a.index(n)].1 = rows[b.index(n)].1.clone(),
                Edit::SentOn(a, v) => rows[a.index(n)].0.sent_on = v.clone(),
            }
        }

        // The oracle: a row is recorded when its number is one, no other row has it, and its
        // 発送日 is blank or plausible; a row with junk, a shared number or a bad date is refused.
        let mut uses: BTreeMap<String, usize> = BTreeMap::new();
        for (_, entry) in &rows {
            if let Entry::Valid { digits, .. } = entry {
                *uses.entry(digits.clone()).or_default() += 1;
            }
        }
        let mut expected = Vec::new();
        let mut refused = 0;
        for (row, entry) in &rows {
            match entry {
                Entry::Valid { digits, .. } if uses[digits] == 1 && plausible(&row.sent_on) => {
                    expected.push((row.control().to_string(), digits.clone()));
                }
                Entry::Blank => {}
                _ => refused += 1,
            }
        }

        let list_rows: Vec<Row> = rows.iter().map(|(row, entry)| Row { registered: entry.value(), ..row.clone() }).collect();
        let list = write_list(dir.path(), "edited.xlsx", &[("発送リスト", &list_rows)]);
        let o = common::command().args(["mail", "import", list.to_str().unwrap(), "--out"]).arg(&out).output().unwrap();
        let said = common::text(&o.stdout);
        prop_assert_eq!(o.status.code(), Some(if refused == 0 { 0 } else { 1 }), "{}{}", said, common::text(&o.stderr));

        let recorded = sent_events(&out);
        let valid: Vec<String> = (0..paper.len()).map(number).collect();
        for (control, digits) in &recorded {
            prop_assert!(valid.contains(digits), "{} recorded with {}", control, digits);
        }
        let mut numbers: Vec<&String> = recorded.iter().map(|(_, d)| d).collect();
        numbers.sort();
        numbers.dedup();
        prop_assert_eq!(numbers.len(), recorded.len(), "a number recorded twice: {:?}", recorded);
        prop_assert_eq!(&recorded, &expected, "{}", said);

        // Purge without --force: only when every paper notice is recorded as sent.
        let before: BTreeMap<PathBuf, String> = hashes(&batch);
        let purge = common::command().arg("purge").arg(&batch).output().unwrap();
        let all_sent = paper.iter().all(|c| recorded.iter().any(|(r, _)| r == c));
        if all_sent {
            prop_assert_eq!(purge.status.code(), Some(0), "{}", common::text(&purge.stderr));
            prop_assert_eq!(event_count(&out, "batch.purged"), 1);
        } else {
            prop_assert_eq!(purge.status.code(), Some(2), "{}", common::text(&purge.stdout));
            prop_assert_eq!(event_count(&out, "batch.purged"), 0);
            prop_assert!(hashes(&batch) == before, "purge touched the batch while a notice was unaccounted for");
        }
    }
}
