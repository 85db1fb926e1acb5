//! The settings file: `tsuchi init` writes the commented template.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::AppError;
use crate::engine::config::Config;
use crate::ground::wareki::DateStyle;

/// The settings file written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub path: PathBuf,
}

/// Writes the commented template of the settings to `path`; an existing file only with `force`.
pub fn init(path: &Path, force: bool) -> Result<Written, AppError> {
    if path.exists() && !force {
        return Err(AppError::refused(crate::msg!("cli.init.exists", path = path.display())));
    }
    crate::ground::fsutil::write_atomic(path, crate::engine::config::DEFAULT_TOML.as_bytes())
        .map_err(|error| AppError::refused(crate::msg!("cli.cannot_write", path = path.display(), error)))?;
    Ok(Written { path: path.to_path_buf() })
}

/// The settings the page edits; `None` leaves the file's line as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub issuer_name: Option<String>,
    pub helpdesk: Option<String>,
    /// The hand-off's public keys (`age1…`), one each.
    pub recipients: Option<Vec<String>>,
    /// `[output] root`, relative to the file's folder or absolute.
    pub output_root: Option<String>,
    pub date_style: Option<DateStyle>,
    pub temp_length: Option<usize>,
    pub cert_length: Option<usize>,
    /// The address block's offset for the envelope window (mm, right and down).
    pub address_offset_mm: Option<[f32; 2]>,
}

/// Writes `changes` into the settings file `path` (the commented template first, when there is
/// none), keeping every comment and every other line. Refused, writing nothing, when the result
/// would not load, or names the template's example hand-off key.
pub fn update(path: &Path, changes: &Changes) -> Result<Written, AppError> {
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => crate::engine::config::DEFAULT_TOML.to_string(),
        Err(error) => return Err(AppError::refused(crate::msg!("cli.cannot_write", path = path.display(), error))),
    };
    let mut put = |section: &str, key: &str, value: Option<String>| {
        if let Some(value) = value {
            text = set(&text, section, key, &value);
        }
    };
    put("issuer", "name", changes.issuer_name.as_deref().map(quoted));
    put("issuer", "helpdesk", changes.helpdesk.as_deref().map(quoted));
    put(
        "handoff",
        "recipients",
        changes
            .recipients
            .as_ref()
            .map(|keys| format!("[{}]", keys.iter().map(|k| quoted(k)).collect::<Vec<_>>().join(", "))),
    );
    put("output", "root", changes.output_root.as_deref().map(quoted));
    put("notice", "date_style", changes.date_style.map(|s| quoted(date_style_name(s))));
    put("passwords.temp", "length", changes.temp_length.map(|n| n.to_string()));
    put("passwords.cert", "length", changes.cert_length.map(|n| n.to_string()));
    put("layout", "address_offset_mm", changes.address_offset_mm.map(|[x, y]| format!("[{x:?}, {y:?}]")));
    let config = Config::parse(&text, path)?;
    if let Some(key) = config.handoff.recipients.iter().find(|k| k.is_example() && !config.sample) {
        let file = crate::msg!("config.ready.file", path = path.display());
        return Err(AppError::refused(crate::msg!("config.ready.example_key", file, key)));
    }
    crate::ground::fsutil::write_atomic(path, text.as_bytes())
        .map_err(|error| AppError::refused(crate::msg!("cli.cannot_write", path = path.display(), error)))?;
    Ok(Written { path: path.to_path_buf() })
}

fn date_style_name(style: DateStyle) -> &'static str {
    match style {
        DateStyle::Padded => "padded",
        DateStyle::Plain => "plain",
        DateStyle::Gannen => "gannen",
    }
}

/// `value` as a TOML basic string.
fn quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` with `key = value` in `[section]`: the key's line replaced (a value spread over lines
/// with it), else written after the commented example of the key, else first in the section;
/// a missing section is added at the end. Every other line stays as it was.
fn set(text: &str, section: &str, key: &str, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = format!("{key} = {value}");
    let header = format!("[{section}]");
    let Some(start) = lines.iter().position(|l| l.trim() == header) else {
        return format!("{}\n\n{header}\n{line}\n", text.trim_end());
    };
    let end =
        lines[start + 1..].iter().position(|l| l.trim_start().starts_with('[')).map_or(lines.len(), |i| start + 1 + i);
    let names_key = |l: &str| l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='));
    let is_set = |l: &String| names_key(l.trim_start());
    let is_example = |l: &String| l.trim_start().strip_prefix('#').is_some_and(|rest| names_key(rest.trim_start()));
    if let Some(at) = (start + 1..end).find(|&i| is_set(&lines[i])) {
        // A value spread over several lines (an array) goes whole.
        let mut last = at;
        if lines[at].matches('[').count() > lines[at].matches(']').count() {
            while last + 1 < end {
                last += 1;
                if lines[last].contains(']') {
                    break;
                }
            }
        }
        lines.splice(at..=last, [line]);
    } else if let Some(at) = (start + 1..end).find(|&i| is_example(&lines[i])) {
        lines.insert(at + 1, line);
    } else {
        lines.insert(start + 1, line);
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_written_where_the_template_has_it_and_every_comment_stays() {
        let template = crate::engine::config::DEFAULT_TOML;
        let text = set(template, "issuer", "name", &quoted("試験県国民健康保険団体連合会"));
        assert!(text.contains("name = \"試験県国民健康保険団体連合会\""));
        assert!(!text.contains("name = \"〇〇〇国民健康保険団体連合会\""));
        let text = set(&text, "handoff", "recipients", "[\"age1x\"]");
        // After the commented example, which stays.
        let example = text.find("# recipients = ").unwrap();
        let set_at = text.find("\nrecipients = [\"age1x\"]").unwrap();
        assert!(set_at > example);
        let comments = |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#')).count();
        assert_eq!(comments(&text), comments(template));
        // A value over several lines is replaced whole.
        let spread = "[handoff]\nrecipients = [\n  \"a\",\n  \"b\",\n]\n[x]\ny = 1\n";
        assert_eq!(set(spread, "handoff", "recipients", "[\"c\"]"), "[handoff]\nrecipients = [\"c\"]\n[x]\ny = 1\n");
        assert_eq!(set("[a]\n", "b", "c", "1"), "[a]\n\n[b]\nc = 1\n");
        assert_eq!(quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000A\"");
    }
}
