//! The message catalogue: both languages for every key, the same placeholders in each, every
//! key the code asks for exists and every key in the files is asked for.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use tsuchi::ground::i18n::{self, Entry, Lang};

mod common;

fn rust_sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// Every key the code names: the first literal of `msg!(` and of `i18n::text(`, and the key of
/// `t(key="…")` in the pages.
fn keys_in_code() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut keys = BTreeSet::new();
    for (name, text) in &files {
        if name.ends_with("i18n.rs") {
            continue;
        }
        for opener in ["msg!(", "i18n::text("] {
            for (at, _) in text.match_indices(opener) {
                let rest = text[at + opener.len()..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    panic!("{name}: {opener} must name its key as a literal");
                };
                keys.insert(rest[..rest.find('"').unwrap()].to_string());
            }
        }
    }
    // The browser's pages name theirs as `t(key="web.…")` (templates/web/).
    let pages = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates").join("web");
    for entry in std::fs::read_dir(pages).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for (at, _) in text.match_indices("t(key=\"") {
            let rest = &text[at + "t(key=\"".len()..];
            keys.insert(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    keys
}

#[test]
fn every_message_has_japanese_and_english_with_the_same_placeholders() {
    let catalogue = i18n::catalogue();
    for (key, Entry { ja, en }) in catalogue {
        assert!(!ja.trim().is_empty() && !en.trim().is_empty(), "{key}: empty text");
        let (mut a, mut b) = (i18n::placeholders(ja), i18n::placeholders(en));
        a.sort();
        b.sort();
        assert_eq!(a, b, "{key}: the placeholders of ja and en differ");
        // English quotes a Japanese word (a column name, a value a clerk types) in 「」.
        let found = common::japanese_outside_quotes(en);
        assert!(found.is_empty(), "{key}: Japanese outside 「」 ({found}) in the English text: {en}");
    }
}

#[test]
fn a_message_in_one_language_only_is_refused() {
    let only_ja = "[done]\nja = \"終わりました\"\n";
    let err = i18n::parse(&[("cli", only_ja)]).unwrap_err();
    assert!(err.0.contains("cli.done") && err.0.contains("en"), "{}", err.0);
    let only_en = "[done]\nen = \"Done\"\n";
    assert!(i18n::parse(&[("cli", only_en)]).is_err());
    let both = "[done]\nja = \"終わりました\"\nen = \"Done\"\n";
    let parsed: HashMap<String, Entry> = i18n::parse(&[("cli", both)]).unwrap();
    assert_eq!(parsed["cli.done"].en, "Done");
}

#[test]
fn every_key_in_the_code_is_in_the_catalogue_and_every_entry_is_used() {
    let catalogue = i18n::catalogue();
    let used = keys_in_code();
    let missing: Vec<_> = used.iter().filter(|k| !catalogue.contains_key(*k)).collect();
    assert!(missing.is_empty(), "keys used in src/ but not in templates/messages: {missing:?}");
    let unused: Vec<_> = catalogue.keys().filter(|k| !used.contains(*k)).collect();
    assert!(unused.is_empty(), "messages no code uses: {unused:?}");
}

#[test]
fn the_language_of_a_thread_picks_the_text() {
    for lang in Lang::ALL {
        assert_eq!(Lang::parse(lang.code()), Some(lang));
    }
    assert_eq!(Lang::parse(" EN "), Some(Lang::En));
    assert_eq!(Lang::parse("fr"), None);
}
