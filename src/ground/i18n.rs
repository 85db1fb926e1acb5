//! The message catalogue: every line tsuchi says to a person (the console, the summary, the
//! reasons in the rejection lists) is looked up here by key, in Japanese or, with `--lang en`,
//! in English. The wording is data in `templates/messages/*.toml`, the two languages side by
//! side, so a clerk's words change without touching the code paths that say them. The notices
//! themselves are documents for Japanese offices and stay Japanese (`templates/notices/`).

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language tsuchi speaks to the person at the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Ja, Lang::En];

    /// `ja` / `en` (what `--lang` and `TSUCHI_LANG` take), case and width folded.
    pub fn parse(value: &str) -> Option<Lang> {
        let folded: String = value.trim().chars().map(|c| c.to_ascii_lowercase()).collect();
        match folded.as_str() {
            "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
            "en" | "english" | "英語" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// The process's language, set once by the binary before it says anything.
static LANG: AtomicU8 = AtomicU8::new(0);

thread_local! {
    /// A test's language for the current thread only, so tests in one process do not race.
    static THREAD_LANG: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// Sets the language of the whole process (the binary, after reading `--lang`).
pub fn set_lang(lang: Lang) {
    LANG.store(lang as u8, Ordering::Relaxed);
}

/// The language messages are produced in now.
pub fn lang() -> Lang {
    if let Some(lang) = THREAD_LANG.with(Cell::get) {
        return lang;
    }
    match LANG.load(Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Ja,
    }
}

/// Runs `f` with messages in `lang` on this thread (tests, and work that must speak one
/// language whatever the process was told).
pub fn with_lang<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    let before = THREAD_LANG.with(|l| l.replace(Some(lang)));
    let out = f();
    THREAD_LANG.with(|l| l.set(before));
    out
}

/// The catalogue's files, by the prefix their keys take (`cli.toml` holds `cli.*`).
pub const FILES: &[(&str, &str)] = &[
    ("cli", include_str!("../../templates/messages/cli.toml")),
    ("run", include_str!("../../templates/messages/run.toml")),
    ("lifecycle", include_str!("../../templates/messages/lifecycle.toml")),
    ("audit", include_str!("../../templates/messages/audit.toml")),
    ("config", include_str!("../../templates/messages/config.toml")),
    ("intake", include_str!("../../templates/messages/intake.toml")),
    ("field", include_str!("../../templates/messages/field.toml")),
    ("secret", include_str!("../../templates/messages/secret.toml")),
    ("postal", include_str!("../../templates/messages/postal.toml")),
    ("barcode", include_str!("../../templates/messages/barcode.toml")),
    ("render", include_str!("../../templates/messages/render.toml")),
    ("web", include_str!("../../templates/messages/web.toml")),
    ("presort", include_str!("../../templates/messages/presort.toml")),
];

/// One message in both languages.
#[derive(Debug, Clone)]
pub struct Entry {
    pub ja: String,
    pub en: String,
}

impl Entry {
    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

/// Why a catalogue file cannot be read (a bug caught by the catalogue's own tests).
#[derive(Debug)]
pub struct CatalogueError(pub String);

/// Reads every catalogue file: a table whose values are `ja` and `en` strings is a message;
/// other tables nest, their names joined by dots after the file's prefix.
pub fn parse(files: &[(&str, &str)]) -> Result<HashMap<String, Entry>, CatalogueError> {
    let mut out = HashMap::new();
    for (prefix, text) in files {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| CatalogueError(format!("templates/messages/{prefix}.toml: {e}")))?;
        flatten(prefix, &table, &mut out)?;
    }
    Ok(out)
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, Entry>) -> Result<(), CatalogueError> {
    let is_message = table.values().any(|v| v.is_str());
    if is_message {
        let text = |lang: &str| -> Result<String, CatalogueError> {
            match table.get(lang) {
                Some(toml::Value::String(s)) => Ok(s.clone()),
                _ => Err(CatalogueError(format!("{prefix}: no `{lang}` text"))),
            }
        };
        if let Some(extra) = table.keys().find(|k| !matches!(k.as_str(), "ja" | "en")) {
            return Err(CatalogueError(format!("{prefix}: unexpected key `{extra}` (a message has `ja` and `en`)")));
        }
        out.insert(prefix.to_string(), Entry { ja: text("ja")?, en: text("en")? });
        return Ok(());
    }
    for (name, value) in table {
        match value {
            toml::Value::Table(inner) => flatten(&format!("{prefix}.{name}"), inner, out)?,
            _ => return Err(CatalogueError(format!("{prefix}.{name}: not a message table"))),
        }
    }
    Ok(())
}

static CATALOGUE: LazyLock<HashMap<String, Entry>> = LazyLock::new(|| match parse(FILES) {
    Ok(catalogue) => catalogue,
    // The files are compiled in and checked by tests; a broken one is a build defect.
    Err(CatalogueError(e)) => panic!("message catalogue: {e}"),
});

/// The catalogue (for its tests).
pub fn catalogue() -> &'static HashMap<String, Entry> {
    &CATALOGUE
}

/// The message `key` in the current language with its `{name}` placeholders filled.
/// Prefer the [`msg!`](crate::msg) macro.
pub fn text(key: &str, args: &[(&str, &dyn Display)]) -> String {
    match CATALOGUE.get(key) {
        Some(entry) => fill(entry.get(lang()), args),
        // Tests prove every key used exists; should one slip through, say the key, not nothing.
        None => {
            let mut out = key.to_string();
            for (name, value) in args {
                out.push_str(&format!(" {name}={value}"));
            }
            out
        }
    }
}

/// Replaces `{name}` by its argument; `{{` and `}}` stand for braces.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(close) = tail.find('}').filter(|_| tail.starts_with('{')) {
            let name = &tail[1..close];
            if let Some((_, value)) = args.iter().find(|(n, _)| *n == name) {
                out.push_str(&value.to_string());
                rest = &tail[close + 1..];
                continue;
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a template, in order of first appearance.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('{')
            && let Some(close) = tail.find('}')
        {
            let name = tail[1..close].to_string();
            if !names.contains(&name) {
                names.push(name);
            }
            rest = &tail[close + 1..];
            continue;
        }
        rest = &tail[1..];
    }
    names
}

/// A message from the catalogue in the current language:
/// `msg!("field.office_no.length", digits = n)`, or `msg!("cli.done", count)` for a
/// variable of the placeholder's name.
#[macro_export]
macro_rules! msg {
    ($key:literal $(,)?) => {
        $crate::ground::i18n::text($key, &[])
    };
    ($key:literal, $($name:ident $(= $value:expr)?),+ $(,)?) => {
        $crate::ground::i18n::text($key, &[$((stringify!($name), &$crate::msg!(@value $name $(= $value)?) as &dyn ::std::fmt::Display)),+])
    };
    (@value $name:ident = $value:expr) => { $value };
    (@value $name:ident) => { $name };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_named_placeholders_and_escaped_braces() {
        let n = 9;
        assert_eq!(fill("{n}桁 {{x}} {missing}", &[("n", &n)]), "9桁 {x} {missing}");
        assert_eq!(placeholders("a {x} b {y} {x} {{z}}"), vec!["x".to_string(), "y".to_string()]);
    }

    #[test]
    fn a_thread_can_speak_english_while_the_process_speaks_japanese() {
        let entry = Entry { ja: "日本語".into(), en: "English".into() };
        assert_eq!(with_lang(Lang::En, || entry.get(lang())), "English");
        assert_eq!(with_lang(Lang::Ja, || entry.get(lang())), "日本語");
    }
}
