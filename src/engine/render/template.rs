//! Templates: the wording of each notice (Tera, rendering to a small TOML document) and the
//! shared geometry (`layout.toml`). Built-in copies of `templates/` are compiled in; a
//! `[templates] dir` in tsuchi.toml replaces them without a compiler.
//!
//! Secrets never enter a template context: a template only names the slot (`secret =
//! "temp_password"`) and the layout fetches the secret from the notice.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;
use tera::{Context, Tera};

use super::RenderError;
use crate::engine::notice::SecretSlot;
use crate::ground::model::NoticeKind;

/// Every template, by its path under `templates/`.
const BUILTIN: [(&str, &str); 8] = [
    ("notices/_header.toml.tera", include_str!("../../../templates/notices/_header.toml.tera")),
    ("notices/registration.toml.tera", include_str!("../../../templates/notices/registration.toml.tera")),
    ("notices/login_reissue.toml.tera", include_str!("../../../templates/notices/login_reissue.toml.tera")),
    (
        "notices/cert_password_reissue.toml.tera",
        include_str!("../../../templates/notices/cert_password_reissue.toml.tera"),
    ),
    ("mailroom/cover.toml.tera", include_str!("../../../templates/mailroom/cover.toml.tera")),
    ("mailroom/calibrate.toml.tera", include_str!("../../../templates/mailroom/calibrate.toml.tera")),
    ("mailroom/zip_passwords.toml.tera", include_str!("../../../templates/mailroom/zip_passwords.toml.tera")),
    ("mailroom/slip.toml.tera", include_str!("../../../templates/mailroom/slip.toml.tera")),
];
const BUILTIN_LAYOUT: &str = include_str!("../../../templates/layout.toml");

/// The content of one notice after its template ran: text, in order, without geometry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub title: String,
    pub subject: String,
    pub address: AddressBlock,
    pub issuer: IssuerBlock,
    pub addressee: TextLine,
    pub footer: TextLine,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressBlock {
    pub postal: String,
    pub address: String,
    pub name: String,
    pub attention: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerBlock {
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextLine {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub label: String,
    pub value: String,
}

/// A block of the notice body, laid out top to bottom.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Paragraph { text: String },
    Center { text: String },
    Right { text: String },
    Heading { text: String },
    Table { rows: Vec<Vec<Field>> },
    Grid { label: String, secret: SecretSlot },
    Bullets { heading: String, items: Vec<String> },
}

/// The cover sheet of the print bundle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverDocument {
    pub title: String,
    pub rows: Vec<Vec<Field>>,
    pub notes: Vec<String>,
}

/// The envelope calibration sheet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalibrationDocument {
    pub title: String,
    pub notes: Vec<String>,
    pub fold: String,
    pub address: AddressBlock,
}

/// The list of ZIP opening passwords for the second channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZipPasswordsDocument {
    pub title: String,
    pub notes: Vec<String>,
    pub heading: String,
    /// One entry's label; `{office_no}`, `{office_name}` and `{file}` are filled in by tsuchi.
    pub entry: String,
}

fn template_name(kind: NoticeKind) -> String {
    format!("notices/{}.toml.tera", kind.alias())
}

/// Escapes a value for a TOML basic string, so that a name with `"` or `\` cannot break
/// (or inject into) the rendered document.
fn escape_toml(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The loaded templates and geometry.
pub struct Templates {
    tera: Tera,
    /// The template sources' characters: every fixed word a notice can print.
    source_chars: BTreeSet<char>,
    pub geometry: super::geometry::Geometry,
    origin: String,
}

impl Templates {
    /// The templates compiled into the binary.
    pub fn builtin() -> Result<Templates, RenderError> {
        let mut tera = Tera::default();
        tera.add_raw_templates(BUILTIN.to_vec()).map_err(|e| RenderError::Template {
            origin: crate::msg!("render.origin.builtin"),
            detail: tera_detail(&e),
        })?;
        let chars = BUILTIN.iter().flat_map(|(_, text)| text.chars()).collect();
        Self::finish(tera, chars, BUILTIN_LAYOUT, crate::msg!("render.origin.builtin"))
    }

    /// Templates from a folder laid out like the repository's `templates/`.
    pub fn from_dir(dir: &Path) -> Result<Templates, RenderError> {
        let origin = dir.display().to_string();
        let fail = |detail: String| RenderError::Template { origin: origin.clone(), detail };
        let mut tera = Tera::default();
        let mut chars = BTreeSet::new();
        for (name, _) in BUILTIN {
            let path = dir.join(name);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| fail(crate::msg!("render.detail_in", place = path.display(), detail = e)))?;
            tera.add_raw_template(name, &text).map_err(|e| fail(tera_detail(&e)))?;
            chars.extend(text.chars());
        }
        let layout_path = dir.join("layout.toml");
        let layout = std::fs::read_to_string(&layout_path)
            .map_err(|e| fail(crate::msg!("render.detail_in", place = layout_path.display(), detail = e)))?;
        Self::finish(tera, chars, &layout, origin)
    }

    fn finish(
        mut tera: Tera,
        source_chars: BTreeSet<char>,
        layout: &str,
        origin: String,
    ) -> Result<Templates, RenderError> {
        tera.autoescape_on(vec![".toml.tera"]);
        tera.set_escape_fn(escape_toml);
        tera.register_filter("honorific", super::honorific::honorific_filter);
        tera.register_filter("without_honorific", super::honorific::without_honorific_filter);
        let in_layout = |detail: String| RenderError::Template {
            origin: origin.clone(),
            detail: crate::msg!("render.detail_in", place = "layout.toml", detail),
        };
        let geometry: super::geometry::Geometry = toml::from_str(layout).map_err(|e| in_layout(e.to_string()))?;
        let min = geometry.page.min_pt;
        if let Some((key, size)) = geometry.type_sizes().into_iter().find(|(_, size)| *size < min - 1e-4) {
            return Err(in_layout(crate::msg!("render.too_small", key, size, min)));
        }
        Ok(Templates { tera, source_chars, geometry, origin })
    }

    /// Runs a mail-room template (`mailroom/<name>.toml.tera`) and parses it as `T`.
    pub fn sheet<T: serde::de::DeserializeOwned>(&self, name: &str, context: &Context) -> Result<T, RenderError> {
        let name = format!("mailroom/{name}.toml.tera");
        let fail = |detail: String| RenderError::Template {
            origin: self.origin.clone(),
            detail: crate::msg!("render.detail_in", place = &name, detail),
        };
        let text = self.tera.render(&name, context).map_err(|e| fail(tera_detail(&e)))?;
        toml::from_str(&text).map_err(|e| fail(e.to_string()))
    }

    /// Every character of the template sources.
    pub fn source_chars(&self) -> &BTreeSet<char> {
        &self.source_chars
    }

    /// Runs the template of `kind` with `context` and parses the result.
    pub fn document(&self, kind: NoticeKind, context: &Context) -> Result<Document, RenderError> {
        let name = template_name(kind);
        let fail = |detail: String| RenderError::Template {
            origin: self.origin.clone(),
            detail: crate::msg!("render.detail_in", place = &name, detail),
        };
        let text = self.tera.render(&name, context).map_err(|e| fail(tera_detail(&e)))?;
        let document: Document = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
        for block in &document.blocks {
            if let Block::Grid { secret, .. } = block
                && !SecretSlot::of(kind).contains(secret)
            {
                return Err(fail(crate::msg!("render.kind_lacks_secret", kind, secret = secret.label())));
            }
        }
        Ok(document)
    }
}

/// Tera's errors nest their cause; the clerk needs all of it on one line.
fn tera_detail(e: &tera::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = crate::msg!("render.detail_in", place = detail, detail = s);
        source = s.source();
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_for_toml() {
        assert_eq!(escape_toml(r#"a "b" \c"#), r#"a \"b\" \\c"#);
        assert_eq!(escape_toml("一行目\n二行目"), "一行目\\n二行目");
    }
}
