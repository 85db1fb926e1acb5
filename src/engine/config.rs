//! `tsuchi.toml`: who issues the notices, how dates and passwords look, where the address
//! block sits. Every field has a default, so tsuchi runs without a config file; unknown keys
//! are errors (a typo must not silently fall back to a default).

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::engine::secrets::PasswordPolicy;
use crate::ground::model::NoticeKind;
use crate::ground::wareki::DateStyle;

/// The commented default written by `tsuchi init`.
pub const DEFAULT_TOML: &str = include_str!("../../templates/tsuchi.toml");

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The sample settings of `samples/tsuchi.toml`: every page carries a 見本 watermark and the
    /// demo hand-off key is accepted. Never set in a real installation's file.
    pub sample: bool,
    pub issuer: Issuer,
    pub notice: NoticeSettings,
    pub passwords: Passwords,
    pub zip: ZipSettings,
    pub mailroom: MailroomSettings,
    pub layout: LayoutSettings,
    pub templates: TemplateSettings,
    pub output: OutputSettings,
    pub handoff: HandoffSettings,
    pub reissue: ReissueSettings,
    pub postal: PostalSettings,
}

/// Where the password that opens a notice's ZIP comes from (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordSource {
    /// The office's login password (仮パスワード) issued in this batch; a ZIP of an office whose
    /// login is not reissued in the batch falls back to `separate`.
    Login,
    /// A fresh 開封パスワード, listed in secrets/開封パスワード一覧.pdf for a second channel.
    Separate,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZipSettings {
    pub encryption: ZipEncryption,
    pub password_source: PasswordSources,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordSources {
    pub registration: PasswordSource,
    pub login_reissue: PasswordSource,
    pub cert_password_reissue: PasswordSource,
}

impl PasswordSources {
    pub fn of(&self, kind: NoticeKind) -> PasswordSource {
        match kind {
            NoticeKind::Registration => self.registration,
            NoticeKind::LoginReissue => self.login_reissue,
            NoticeKind::CertPasswordReissue => self.cert_password_reissue,
        }
    }
}

impl Default for ZipSettings {
    fn default() -> Self {
        Self { encryption: ZipEncryption::Aes256, password_source: PasswordSources::default() }
    }
}

impl Default for PasswordSources {
    fn default() -> Self {
        Self {
            registration: PasswordSource::Separate,
            login_reissue: PasswordSource::Separate,
            cert_password_reissue: PasswordSource::Login,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailroomSettings {
    /// A blank back after every page, for printing on both sides.
    pub duplex: bool,
    /// The Japan Post customer barcode under the addressee (バーコード付郵便物).
    pub customer_barcode: bool,
    /// A slip page (区分票) before each pre-sort bundle of the print bundle.
    pub bundle_slips: BundleSlips,
    /// The fewest envelopes of a pre-sort bundle: a smaller district goes into its region's
    /// bundle (upper two digits), a smaller region into 雑. 1 keeps every district apart.
    pub bundle_min: usize,
    /// Postage of one envelope without the 書留 fee, in yen, for the discount estimate.
    pub postage_yen: u32,
    /// How notices are sent: 簡易書留, 一般書留 or neither.
    pub registered: Registered,
}

/// How the mail room sends notices (which Japan Post discounts can apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Registered {
    /// 簡易書留.
    Simple,
    /// 一般書留.
    General,
    /// No 書留.
    None,
}

impl Registered {
    /// 「簡易書留」, in the current language.
    pub fn label(self) -> String {
        match self {
            Registered::Simple => crate::msg!("presort.registered.simple"),
            Registered::General => crate::msg!("presort.registered.general"),
            Registered::None => crate::msg!("presort.registered.none"),
        }
    }
}

/// `[mailroom] bundle_min` and `postage_yen`: what may be written there.
pub const BUNDLE_MIN_RANGE: std::ops::RangeInclusive<usize> = 1..=1_000;
pub const POSTAGE_RANGE: std::ops::RangeInclusive<u32> = 1..=10_000;

/// When the print bundle has a slip page (区分票) before each pre-sort bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BundleSlips {
    /// When the batch reaches 区分郵便物's minimum count (docs/japanpost-presort.md).
    Auto,
    Always,
    Never,
}

impl Default for MailroomSettings {
    fn default() -> Self {
        Self {
            duplex: false,
            customer_barcode: true,
            bundle_slips: BundleSlips::Auto,
            bundle_min: 10,
            postage_yen: 110,
            registered: Registered::Simple,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Issuer {
    pub name: String,
    pub helpdesk: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticeSettings {
    #[serde(deserialize_with = "date_or_string")]
    pub issue_date: Option<NaiveDate>,
    pub date_style: DateStyle,
    pub reading_row: bool,
    pub honorific_organization: String,
    pub honorific_person: String,
    pub honorific_addressee: String,
}

/// The three password policies. Each `[passwords.*]` section fills what it omits from its
/// own policy's defaults, not from another's: a `[passwords.cert]` that only sets `symbols`
/// keeps the 12 characters of a 証明書発行用パスワード.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "PasswordSections")]
pub struct Passwords {
    pub temp: PasswordPolicy,
    pub cert: PasswordPolicy,
    /// 開封パスワード of ZIPs whose password source is `separate`.
    pub zip: PasswordPolicy,
}

/// `[passwords]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct PasswordSections {
    temp: PolicyFields,
    cert: PolicyFields,
    zip: PolicyFields,
}

/// One `[passwords.*]` section as written: what it leaves out is `None`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct PolicyFields {
    length: Option<usize>,
    uppercase: Option<bool>,
    lowercase: Option<bool>,
    digits: Option<bool>,
    symbols: Option<bool>,
    exclude_lookalikes: Option<bool>,
}

impl PolicyFields {
    fn over(self, base: PasswordPolicy) -> PasswordPolicy {
        PasswordPolicy {
            length: self.length.unwrap_or(base.length),
            uppercase: self.uppercase.unwrap_or(base.uppercase),
            lowercase: self.lowercase.unwrap_or(base.lowercase),
            digits: self.digits.unwrap_or(base.digits),
            symbols: self.symbols.unwrap_or(base.symbols),
            exclude_lookalikes: self.exclude_lookalikes.unwrap_or(base.exclude_lookalikes),
        }
    }
}

impl From<PasswordSections> for Passwords {
    fn from(written: PasswordSections) -> Self {
        let defaults = Passwords::default();
        Passwords {
            temp: written.temp.over(defaults.temp),
            cert: written.cert.over(defaults.cert),
            zip: written.zip.over(defaults.zip),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayoutSettings {
    /// Shift of the address block (right, down) in millimetres: exactly two numbers.
    #[serde(deserialize_with = "two_numbers")]
    pub address_offset_mm: [f32; 2],
}

/// `[right, down]`: exactly two numbers. serde's own `[f32; 2]` takes the first two of a
/// longer list and drops the rest without a word.
fn two_numbers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[f32; 2], D::Error> {
    let values = Vec::<f32>::deserialize(d)?;
    match values.as_slice() {
        [right, down] => Ok([*right, *down]),
        _ => Err(serde::de::Error::custom(crate::msg!("config.offset_arity", count = values.len()))),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplateSettings {
    /// A folder of templates to use instead of the built-in ones.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSettings {
    /// The output root (the ledger and the batches), relative to this file's folder; `--out`
    /// beats it. Setting it keeps one ledger whatever folder tsuchi is started from.
    pub root: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoffSettings {
    /// The age public keys (X25519, `age1…`) of the 受付システム's operators: each batch's
    /// システム登録ファイル is encrypted to them. None: no file at all, never a plaintext one.
    pub recipients: Vec<Recipient>,
    /// `manual`: the operator registers the passwords by another route; no file, and every
    /// summary and audit log says so. `age` (the default) needs a recipient.
    pub mode: HandoffMode,
}

/// How the passwords a batch issues reach the 受付システム.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoffMode {
    /// An age-encrypted システム登録ファイル to `[handoff] recipients`.
    #[default]
    Age,
    /// By another route the clerk answers for: no file.
    Manual,
}

/// When a request for an office the ledger already issued to is held back for the clerk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReissueSettings {
    /// A second reissue of the same kind for the same (事業所番号, ユーザID) within this many days
    /// of the first is held back until `--reissue` confirms it.
    pub window_days: u32,
}

impl Default for ReissueSettings {
    fn default() -> Self {
        Self { window_days: 30 }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostalSettings {
    /// A newer Japan Post 郵便番号データ (utf_ken_all.csv or KEN_ALL.CSV) to use instead of the
    /// embedded table, relative to this file's folder; `--postal-data` beats it.
    pub data: Option<PathBuf>,
    /// Japan Post's JIGYOSYO.CSV to go with `data`; without it the embedded offices are kept.
    pub offices: Option<PathBuf>,
}

// The defaults are the values written in templates/tsuchi.toml (a test keeps them equal).

impl Default for Issuer {
    fn default() -> Self {
        Self {
            name: "〇〇〇国民健康保険団体連合会".into(),
            helpdesk: "介護保険課 電子請求担当　電話 000-000-0000（平日 9:00〜17:00）".into(),
        }
    }
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            issue_date: None,
            date_style: DateStyle::Padded,
            reading_row: false,
            honorific_organization: "御中".into(),
            honorific_person: "様".into(),
            honorific_addressee: "殿".into(),
        }
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self {
            temp: PasswordPolicy::temp_password(),
            cert: PasswordPolicy::cert_password(),
            zip: PasswordPolicy::zip_password(),
        }
    }
}

impl Default for LayoutSettings {
    fn default() -> Self {
        Self { address_offset_mm: [0.0, 0.0] }
    }
}

/// Accepts both a TOML date (`issue_date = 2026-01-10`) and a string (`"2026-01-10"`).
fn date_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Date(toml::value::Datetime),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Date(dt) => dt.to_string(),
        Raw::Text(s) => s,
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| serde::de::Error::custom(crate::msg!("config.issue_date", text)))
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Postal(#[from] crate::ground::postal::PostalError),
    #[error("{}", crate::msg!("config.error.read", path = .path.display(), detail = .detail))]
    Read { path: PathBuf, detail: String },
    #[error("{}", crate::msg!("config.error.parse", path = .path.display(), at = at_line(*.line), detail = .detail))]
    Parse { path: PathBuf, line: Option<usize>, detail: String },
    #[error("{}", crate::msg!("config.error.unknown_key", path = .path.display(), at = at_line(Some(*.line)), key = .key, allowed = .allowed))]
    UnknownKey { path: PathBuf, line: usize, key: String, allowed: String },
    #[error("{}", crate::msg!("config.error.unknown_value", path = .path.display(), at = at_line(Some(*.line)), value = with_key(.key, .value), allowed = .allowed))]
    UnknownValue { path: PathBuf, line: usize, key: Option<String>, value: String, allowed: String },
    #[error("{}", crate::msg!("config.error.zip_source", path = .path.display(), key = .key))]
    ZipSource { path: PathBuf, key: &'static str },
    #[error("{}", crate::msg!("config.error.policy", path = .path.display(), which = .which, reason = .reason))]
    Policy { path: PathBuf, which: &'static str, reason: String },
    #[error("{}", crate::msg!("config.error.offset", path = .path.display()))]
    Offset { path: PathBuf },
    #[error("{}", crate::msg!("config.error.range", path = .path.display(), key = .key, min = .min, max = .max))]
    Range { path: PathBuf, key: &'static str, min: u64, max: u64 },
    #[error("{}", crate::msg!("config.error.manual_with_recipients", path = .path.display()))]
    ManualWithRecipients { path: PathBuf },
    /// A printed setting (the issuer, the help desk, an honorific) with a character that cannot
    /// be printed: the setting is named, not the rows it would be printed on.
    #[error("{}", crate::msg!("config.error.unprintable", path = .path.display(), at = at_line(*.line), key = .key, reason = .reason))]
    Unprintable { path: PathBuf, line: Option<usize>, key: &'static str, reason: String },
}

/// `[mailroom] registered = yes`, or the value alone when the setting is not known.
fn with_key(key: &Option<String>, value: &str) -> String {
    match key {
        Some(key) => crate::msg!("config.key_value", key, value),
        None => value.to_string(),
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|line| crate::msg!("config.at_line", line)).unwrap_or_default()
}

impl ConfigError {
    /// Reads the toml crate's error as the clerk needs it: the line, and for a key or value
    /// tsuchi does not know, that key or value and what may be written there instead. The
    /// wording matched is serde's own (`unknown field `x`, expected one of `a`, `b``).
    fn from_toml(e: &toml::de::Error, text: &str, path: &Path) -> ConfigError {
        let path = path.to_path_buf();
        let line = e.span().map(|span| {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            before.iter().filter(|&&b| b == b'\n').count() + 1
        });
        let message = e.message();
        // Names between backticks: the offending one first, then the allowed ones.
        let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
        match (names.split_first(), line) {
            (Some((key, allowed)), Some(line)) if message.starts_with("unknown field") => {
                ConfigError::UnknownKey { path, line, key: key.to_string(), allowed: allowed.join(", ") }
            }
            (Some((value, allowed)), Some(line)) if message.starts_with("unknown variant") => {
                let key = key_at(text, line).map(|(key, _)| key);
                let value = shown_setting(value);
                ConfigError::UnknownValue { path, line, key, value, allowed: allowed.join(", ") }
            }
            _ => ConfigError::Parse {
                path,
                line,
                detail: hide_secret_keys(&readable(message.trim_end(), line.and_then(|l| key_at(text, l)))),
            },
        }
    }
}

/// `[section] key` of the setting written on `line` (from 1) of `text`, and what is written
/// after its `=`, when that line sets one. Only a plain `key = value` line under a plain
/// `[section]` is named; anything else (an inline table, a value over several lines) is left to
/// the parser's own words.
fn key_at(text: &str, line: usize) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().map(|l| l.trim_start_matches('\u{feff}')).collect();
    let (key, value) = lines.get(line.checked_sub(1)?)?.split_once('=')?;
    let key = key.trim();
    let bare = |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    let value = value.trim();
    if !bare(key) || value.starts_with('{') || value.starts_with("\"\"\"") || value.starts_with("'''") {
        return None;
    }
    // The value as written: a quoted string to its closing quote, else up to a comment.
    let value = match value.strip_prefix('"').and_then(|rest| rest.find('"')) {
        Some(end) => &value[..end + 2],
        None => value.split('#').next().unwrap_or(value).trim(),
    };
    let section = lines[..line - 1].iter().rev().map(|l| l.trim()).find(|l| l.starts_with('['))?;
    let section = section.split('#').next().unwrap_or(section).trim();
    let plain = section.strip_prefix('[').and_then(|s| s.strip_suffix(']')).is_some_and(bare);
    plain.then(|| (format!("{section} {key}"), shown_setting(value)))
}

/// What the settings file says, as an error may quote it: an age secret key is never shown
/// (a key pasted where the public key goes), and a long value is cut.
fn shown_setting(text: &str) -> String {
    const LONGEST: usize = 60;
    let text = hide_secret_keys(text);
    match text.char_indices().nth(LONGEST) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// `text` with every age secret key (`AGE-SECRET-KEY-1…`, any case) replaced by a notice.
fn hide_secret_keys(text: &str) -> String {
    const PREFIX: &str = "age-secret-key-";
    let lower = text.to_ascii_lowercase();
    let mut out = String::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find(PREFIX) {
        let start = at + found;
        out.push_str(&text[at..start]);
        out.push_str(&crate::msg!("config.secret_hidden"));
        let rest = &text[start + PREFIX.len()..];
        at = start + PREFIX.len() + rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    }
    out.push_str(&text[at..]);
    out
}

/// serde's 「invalid type: string "abc", expected usize」 as the clerk reads it: the setting,
/// what it takes, and what is written there; other messages as they are, after the setting.
fn readable(message: &str, setting: Option<(String, String)>) -> String {
    let Some((key, written)) = setting else { return message.to_string() };
    if message.starts_with("wanted string or table") {
        return crate::msg!("config.wrong_type", key, takes = crate::msg!("config.takes.text"), found = written);
    }
    if let Some((found, _)) = message.strip_prefix("invalid value: ").and_then(|rest| rest.split_once(", expected "))
        && found.starts_with("integer")
    {
        return crate::msg!("config.out_of_range", key, found = written);
    }
    let found = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "));
    let Some((_, expected)) = found else { return crate::msg!("config.key_detail", key, detail = message) };
    let expected = expected.trim_end_matches('.');
    let takes = if ["usize", "u64", "u32", "u16", "u8", "i64", "i32"].contains(&expected) {
        crate::msg!("config.takes.integer")
    } else if ["f32", "f64"].contains(&expected) || expected.contains("number") {
        crate::msg!("config.takes.number")
    } else if expected.contains("bool") {
        crate::msg!("config.takes.boolean")
    } else if expected.contains("string") || expected.contains("variant") {
        crate::msg!("config.takes.text")
    } else if expected.contains("sequence") || expected.contains("array") {
        crate::msg!("config.takes.list")
    } else {
        expected.to_string()
    };
    crate::msg!("config.wrong_type", key, takes, found = written)
}

impl Config {
    /// Loads a config file; `None` means the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.to_path_buf(), detail: e.to_string() })?;
        Self::parse(&text, path)
    }

    /// Parses config text; `path` is only used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let source = text;
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::from_toml(&e, text, path))?;
        let policies = [
            ("temp", config.passwords.temp.validate()),
            ("cert", config.passwords.cert.validate()),
            // ZIP opening passwords are never registered in the receiving system: their own limits.
            ("zip", config.passwords.zip.validate_zip()),
        ];
        for (which, checked) in policies {
            checked.map_err(|reason| ConfigError::Policy { path: path.to_path_buf(), which, reason })?;
        }
        // A ZIP must never open with the secret it carries: the registration and reissue
        // notices carry the login password itself.
        for (kind, key) in [(NoticeKind::Registration, "registration"), (NoticeKind::LoginReissue, "login_reissue")] {
            if config.zip.password_source.of(kind) == PasswordSource::Login {
                return Err(ConfigError::ZipSource { path: path.to_path_buf(), key });
            }
        }
        if config.handoff.mode == HandoffMode::Manual && !config.handoff.recipients.is_empty() {
            return Err(ConfigError::ManualWithRecipients { path: path.to_path_buf() });
        }
        if config.layout.address_offset_mm.iter().any(|v| !(-30.0..=30.0).contains(v)) {
            return Err(ConfigError::Offset { path: path.to_path_buf() });
        }
        let mailroom = &config.mailroom;
        let range = |key, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::Range { path: path.to_path_buf(), key, min, max })
            }
        };
        let (b, p) = (BUNDLE_MIN_RANGE, POSTAGE_RANGE);
        range("[mailroom] bundle_min", mailroom.bundle_min as u64, *b.start() as u64, *b.end() as u64)?;
        range("[mailroom] postage_yen", u64::from(mailroom.postage_yen), u64::from(*p.start()), u64::from(*p.end()))?;
        // Checked as strictly as a row's printed fields: every notice prints them.
        let (issuer, notice) = (&config.issuer, &config.notice);
        for (key, text) in [
            ("[issuer] name", &issuer.name),
            ("[issuer] helpdesk", &issuer.helpdesk),
            ("[notice] honorific_organization", &notice.honorific_organization),
            ("[notice] honorific_person", &notice.honorific_person),
            ("[notice] honorific_addressee", &notice.honorific_addressee),
        ] {
            if let Some(bad) = crate::engine::intake::text::first_unprintable(text) {
                let line = line_of(source, key, bad.character());
                return Err(ConfigError::Unprintable { path: path.to_path_buf(), line, key, reason: bad.reason() });
            }
        }
        Ok(config)
    }
}

/// The line of the settings text `source` that sets `key` (`[issuer] name`) to a value holding
/// `bad`: the first line after the table's header that starts with the key's name, or else the
/// first line holding the character.
fn line_of(source: &str, key: &str, bad: char) -> Option<usize> {
    let (table, name) = key.split_once(' ').unwrap_or(("", key));
    let mut in_table = false;
    for (i, line) in source.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line.split('#').next().is_some_and(|h| h.trim() == table);
        } else if in_table && line.strip_prefix(name).is_some_and(|rest| rest.trim_start().starts_with('=')) {
            return Some(i + 1);
        }
    }
    source.lines().position(|line| line.contains(bad)).map(|i| i + 1)
}

/// The placeholder phone number of the template's help-desk line.
const PLACEHOLDER_PHONE: &str = "000-000-0000";

impl Config {
    /// Why a real batch must not be issued with these settings, one sentence each (empty:
    /// ready). Notices whose passwords no operator will register, or that name an issuer no
    /// office can call, must not reach the post. `file` is the config file in use, for the
    /// messages.
    pub fn not_ready(&self, file: Option<&Path>) -> Vec<String> {
        let file = match file {
            Some(path) => crate::msg!("config.ready.file", path = path.display()),
            None => crate::msg!("config.ready.no_file"),
        };
        let mut problems = Vec::new();
        let placeholder = Issuer::default();
        if self.issuer.name == placeholder.name {
            problems.push(crate::msg!("config.ready.placeholder_issuer", file, name = &self.issuer.name));
        }
        if self.issuer.helpdesk.contains(PLACEHOLDER_PHONE) {
            problems.push(crate::msg!("config.ready.placeholder_phone", file, phone = PLACEHOLDER_PHONE));
        }
        let handoff = &self.handoff;
        if handoff.mode == HandoffMode::Age && handoff.recipients.is_empty() {
            problems.push(crate::msg!("config.ready.no_recipient", file));
        }
        for key in &handoff.recipients {
            // The demo key belongs to the sample settings, whose every page says 見本.
            if key.is_example() && !(self.sample && key.is_demo()) {
                problems.push(crate::msg!("config.ready.example_key", file, key));
            }
        }
        problems
    }
}

/// The example key written (commented out) in `tsuchi init`'s template: nobody holds its
/// identity, so a file encrypted to it opens for no one.
pub const TEMPLATE_EXAMPLE_KEY: &str = "age1wpsqv27fgrwam7y094rd2swcqnqydjuluh8tar9dxqyug9ldlqmsvpgq88";

/// The demo operator of the sample settings: its identity is `samples/demo-operator.key`,
/// public in the repository, so a file encrypted to it opens for anyone.
pub const DEMO_KEY: &str = "age1557dr9nwem5jscas9u8rc9tm05muy4rzvul80wy4q9xsmvpf0snqwuvnnq";

/// One X25519 recipient (`age1…`), checked when the config file is read.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct Recipient(crate::engine::age::Recipient);

impl TryFrom<String> for Recipient {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let text = text.trim();
        // An identity pasted by mistake is a secret: say what it is, never echo it.
        if text.get(..15).is_some_and(|head| head.eq_ignore_ascii_case("AGE-SECRET-KEY-")) {
            return Err(crate::msg!("run.age_secret_key_given"));
        }
        text.parse().map(Recipient).map_err(|_| crate::msg!("run.not_an_age_key", text))
    }
}

impl Recipient {
    /// The template's example key or the sample settings' demo key: a file to it is no
    /// hand-off to a real operator.
    pub fn is_example(&self) -> bool {
        [TEMPLATE_EXAMPLE_KEY, DEMO_KEY].contains(&self.to_string().as_str())
    }

    pub fn is_demo(&self) -> bool {
        self.to_string() == DEMO_KEY
    }

    /// The key the hand-off file is encrypted to.
    pub(crate) fn key(&self) -> &crate::engine::age::Recipient {
        &self.0
    }
}

/// A public key: printing it reveals nothing secret.
impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// How the ZIP entry is encrypted.
///
/// AES-256 is the default although Windows Explorer cannot open AES archives (the recipient
/// needs 7-Zip, Lhaplus or similar): ZipCrypto falls to a known-plaintext attack (bkcrack needs
/// 12 known bytes), and a PDF's first bytes (`%PDF-1.x` and the usual header objects) are
/// predictable, so a ZipCrypto archive of a PDF is only as strong as the attacker's patience.
/// Choose `ZipCrypto` only deliberately, for recipients who cannot install an extractor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZipEncryption {
    /// WinZip AES with a 256-bit key and a random salt per archive, written as AE-2: no
    /// CRC-32 of the plaintext is stored (it would let anyone test a guess at the notice
    /// without the password); the AES authentication code checks the content instead.
    #[default]
    Aes256,
    /// Traditional PKWARE encryption; weak, but Explorer opens it.
    ZipCrypto,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_default_is_the_default() {
        let parsed = Config::parse(DEFAULT_TOML, Path::new("tsuchi.toml")).unwrap();
        assert_eq!(parsed, Config::default());
        assert_eq!(parsed.passwords.temp, PasswordPolicy::temp_password());
        assert_eq!(parsed.passwords.cert, PasswordPolicy::cert_password());
        assert_eq!(parsed.notice, NoticeSettings::default());
    }

    #[test]
    fn the_commented_settings_of_the_default_parse_when_uncommented() {
        let uncommented = DEFAULT_TOML
            .replace("# issue_date = ", "issue_date = ")
            .replace("# dir = ", "dir = ")
            .replace("# root = ", "root = ")
            .replace("# recipients = ", "recipients = ");
        assert_ne!(uncommented, DEFAULT_TOML);
        let config = parse(&uncommented).unwrap();
        // The example key parses, but no batch is issued to it.
        assert!(config.not_ready(None).iter().any(|p| p.contains(TEMPLATE_EXAMPLE_KEY)));
        let manual = parse(&DEFAULT_TOML.replace("# mode = ", "mode = ")).unwrap();
        assert_eq!(manual.handoff.mode, HandoffMode::Manual);
        assert_eq!(config.notice.issue_date, NaiveDate::from_ymd_opt(2026, 1, 10));
        assert_eq!(config.templates.dir, Some(PathBuf::from("templates")));
        assert_eq!(config.output.root, Some(PathBuf::from("output")));
        assert_eq!(config.handoff.recipients.len(), 1, "the example recipient is a real age public key");
    }

    #[test]
    fn the_defaults_are_not_ready_and_a_real_installation_is() {
        let problems = Config::default().not_ready(None);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let issuer = "[issuer]\nname = \"試験県国民健康保険団体連合会\"\nhelpdesk = \"電話 03-1111-2222\"\n";
        let real = format!("{issuer}[handoff]\nrecipients = [\"{KEY}\"]\n");
        assert_eq!(parse(&real).unwrap().not_ready(None), Vec::<String>::new());
        let manual = format!("{issuer}[handoff]\nmode = \"manual\"\n");
        assert!(parse(&manual).unwrap().not_ready(None).is_empty());
        // The demo key only in the sample settings; the template's example key never.
        let demo = format!("{issuer}[handoff]\nrecipients = [\"{}\"]\n", DEMO_KEY);
        assert_eq!(parse(&demo).unwrap().not_ready(None).len(), 1);
        assert!(parse(&format!("sample = true\n{demo}")).unwrap().not_ready(None).is_empty());
        let example = format!("sample = true\n{issuer}[handoff]\nrecipients = [\"{}\"]\n", TEMPLATE_EXAMPLE_KEY);
        assert_eq!(parse(&example).unwrap().not_ready(None).len(), 1);
        // Manual with a recipient is a contradiction in the file itself.
        let both = format!("[handoff]\nmode = \"manual\"\nrecipients = [\"{KEY}\"]\n");
        assert!(matches!(parse(&both), Err(ConfigError::ManualWithRecipients { .. })));
    }

    const KEY: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    #[test]
    fn the_sample_settings_shipped_in_samples_are_ready() {
        let text = include_str!("../../samples/tsuchi.toml");
        let config = Config::parse(text, Path::new("samples/tsuchi.toml")).unwrap();
        assert!(config.sample);
        assert!(config.not_ready(None).is_empty(), "{:?}", config.not_ready(None));
    }

    #[test]
    fn an_empty_file_means_defaults() {
        assert_eq!(Config::parse("", Path::new("t.toml")).unwrap(), Config::default());
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("t.toml"))
    }

    #[test]
    fn a_typo_is_an_error_naming_the_key_and_its_line() {
        let err = parse("[issuer]\nname = \"連合会\"\n\n[notice]\nreading_rows = true\n").unwrap_err();
        let message = err.to_string();
        assert!(matches!(&err, ConfigError::UnknownKey { line: 5, key, .. } if key == "reading_rows"), "{message}");
        assert!(message.contains("5行目") && message.contains("「reading_rows」"), "{message}");
        assert!(
            message.contains("reading_row,") || message.contains("reading_row）"),
            "lists the allowed keys: {message}"
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_in_every_section() {
        let cases = [
            ("colour = \"red\"\n", "colour", 1),
            ("[issuer]\nnmae = \"x\"\n", "nmae", 2),
            ("[passwords]\nlogin = 1\n", "login", 2),
            ("# 証明書\n[passwords.cert]\nsymbols = true\nlenght = 12\n", "lenght", 4),
            ("[zip]\nencryption = \"aes256\"\n[zip.password_source]\ncert = \"login\"\n", "cert", 4),
            ("[mailroom]\nduplx = true\n", "duplx", 2),
            ("[layout]\noffset = [0.0, 0.0]\n", "offset", 2),
            ("[templates]\n\ndirectory = \"t\"\n", "directory", 3),
            ("[output]\nroot = \"o\"\nledger = \"l\"\n", "ledger", 3),
            ("[notice]\nhonorific = \"様\"\n", "honorific", 2),
            ("[handoff]\nrecipients = []\nrecipient = \"age1\"\n", "recipient", 3),
        ];
        for (text, key, line) in cases {
            let err = parse(text).unwrap_err();
            let message = err.to_string();
            assert!(
                matches!(&err, ConfigError::UnknownKey { line: l, key: k, .. } if k == key && *l == line),
                "{text:?}: {message}"
            );
            assert!(message.contains(&format!("{line}行目")) && message.contains(&format!("「{key}」")), "{message}");
        }
    }

    #[test]
    fn an_unknown_value_names_the_value_its_line_and_the_choices() {
        let err = parse("[zip]\n\nencryption = \"none\"\n").unwrap_err();
        let message = err.to_string();
        assert!(matches!(&err, ConfigError::UnknownValue { line: 3, value, .. } if value == "none"), "{message}");
        assert!(message.contains("aes256, zip_crypto"), "{message}");
    }

    #[test]
    fn other_mistakes_name_their_line() {
        let err = parse("[mailroom]\nduplex = \"yes\"\n").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: Some(2), .. }), "{err}");
        assert!(err.to_string().contains("2行目"), "{err}");
        let err = parse("[notice]\nissue_date = \"2026/01/10\"\n").unwrap_err();
        assert!(err.to_string().contains("2行目") && err.to_string().contains("YYYY-MM-DD"), "{err}");
    }

    #[test]
    fn each_password_policy_fills_omitted_fields_from_its_own_defaults() {
        let config = parse("[passwords.cert]\nsymbols = true\n").unwrap();
        assert_eq!(config.passwords.cert, PasswordPolicy { symbols: true, ..PasswordPolicy::cert_password() });
        assert_eq!(config.passwords.cert.length, 12);
        assert_eq!(config.passwords.temp, PasswordPolicy::temp_password());
        assert_eq!(config.passwords.zip, PasswordPolicy::zip_password());

        let config = parse("[passwords.temp]\nexclude_lookalikes = false\n[passwords.zip]\nlength = 20\n").unwrap();
        assert_eq!(
            config.passwords.temp,
            PasswordPolicy { exclude_lookalikes: false, ..PasswordPolicy::temp_password() }
        );
        assert_eq!(config.passwords.cert, PasswordPolicy::cert_password());
        assert_eq!(config.passwords.zip, PasswordPolicy { length: 20, ..PasswordPolicy::zip_password() });

        // An empty section, or none at all, is the policy's defaults.
        assert_eq!(parse("[passwords.cert]\n").unwrap().passwords, Passwords::default());
        assert_eq!(parse("[passwords]\n").unwrap().passwords, Passwords::default());
    }

    #[test]
    fn the_mail_rooms_bundle_minimum_postage_and_registered_mail_are_read_and_bounded() {
        let m = parse("[mailroom]\nbundle_min = 1\npostage_yen = 140\nregistered = \"general\"\n").unwrap().mailroom;
        assert_eq!((m.bundle_min, m.postage_yen, m.registered), (1, 140, Registered::General));
        assert_eq!(parse("").unwrap().mailroom, MailroomSettings::default());
        for (text, key) in [
            ("[mailroom]\nbundle_min = 0\n", "bundle_min"),
            ("[mailroom]\nbundle_min = 1001\n", "bundle_min"),
            ("[mailroom]\npostage_yen = 0\n", "postage_yen"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(matches!(&err, ConfigError::Range { key: k, .. } if k.ends_with(key)), "{text}: {err}");
            assert!(err.to_string().contains(key), "{err}");
        }
        let err = parse("[mailroom]\nregistered = \"yes\"\n").unwrap_err();
        assert!(matches!(&err, ConfigError::UnknownValue { value, .. } if value == "yes"), "{err}");
        assert!(err.to_string().contains("[mailroom] registered = yes"), "{err}");
        // A value of the wrong kind names the setting, what it takes and what is written.
        crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || {
            for (text, says) in [
                ("[mailroom]\npostage_yen = -5\n", "[mailroom] postage_yen の -5 は使えません"),
                (
                    "[mailroom]\nbundle_min = \"abc\"  # 束\n",
                    "[mailroom] bundle_min には整数（例：10）を書いてください（書かれているもの：\"abc\"）",
                ),
                ("[mailroom]\nduplex = \"yes\"\n", "[mailroom] duplex には「true」か「false」を書いてください"),
                ("[mailroom]\nbundle_slips = true\n", "[mailroom] bundle_slips には\"\" で囲んだ文字"),
            ] {
                let err = parse(text).unwrap_err();
                assert!(
                    matches!(err, ConfigError::Parse { line: Some(2), .. }) && err.to_string().contains(says),
                    "{err}"
                );
            }
        });
    }

    #[test]
    fn a_secret_key_written_by_mistake_is_never_quoted_and_odd_lines_are_not_misnamed() {
        let key = "AGE-SECRET-KEY-1Q7QDXY7ZK3P6H9V2M8W4R5T0N6C3J2L9S8D7F6G5H4J3K2L1Q0QSZ8KX";
        for text in [
            format!("[handoff]\nrecipients = \"{key}\"\n"),
            format!("[handoff]\nrecipients = [5, \"{key}\"]\n"),
            format!("[handoff]\nrecipients = {{ key = \"{key}\" }}\n"),
            format!("[handoff]\nmode = \"{}\"\n", key.to_lowercase()),
        ] {
            let message = parse(&text).unwrap_err().to_string();
            assert!(!message.to_uppercase().contains("Q7QDXY7ZK3P6"), "{message}");
        }
        crate::ground::i18n::with_lang(crate::ground::i18n::Lang::Ja, || {
            // Notepad's byte-order mark before the section still names it.
            let err = parse("\u{feff}[mailroom]\nduplex = \"yes\"\n").unwrap_err().to_string();
            assert!(err.contains("[mailroom] duplex には"), "{err}");
            // An inline table: the parser's words, not a wrong name.
            let err = parse("mailroom = { bundle_min = \"x\" }\n").unwrap_err().to_string();
            assert!(!err.contains("mailroom には"), "{err}");
            // A long value is cut.
            let err = parse(&format!("[mailroom]\nduplex = \"{}\"\n", "y".repeat(500))).unwrap_err().to_string();
            assert!(err.len() < 400 && err.contains('…'), "{err}");
        });
    }

    #[test]
    fn a_policy_outside_the_system_rules_is_an_error() {
        let err = Config::parse("[passwords.temp]\nlength = 20\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("passwords.temp"), "{err}");
    }

    #[test]
    fn a_zip_password_shorter_than_14_is_an_error_that_says_why() {
        for length in [8, 10, 13] {
            let text = format!("[passwords.zip]\nlength = {length}\n");
            let err = Config::parse(&text, Path::new("t.toml")).unwrap_err().to_string();
            assert!(
                err.contains("passwords.zip") && err.contains("14文字以上") && err.contains("PBKDF2-SHA1"),
                "{err}"
            );
        }
        let err = Config::parse("[passwords.zip]\nlength = 33\n", Path::new("t.toml")).unwrap_err().to_string();
        assert!(err.contains("passwords.zip") && err.contains("32文字以下"), "{err}");
        for length in [14, 16, 20, 32] {
            let text = format!("[passwords.zip]\nlength = {length}\nsymbols = true\n");
            assert_eq!(Config::parse(&text, Path::new("t.toml")).unwrap().passwords.zip.length, length);
        }
        // The system's limits stay for the passwords registered there.
        assert!(Config::parse("[passwords.cert]\nlength = 20\n", Path::new("t.toml")).is_err());
    }

    #[test]
    fn a_zip_cannot_open_with_the_secret_it_carries() {
        let err = Config::parse("[zip.password_source]\nlogin_reissue = \"login\"\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("login_reissue"), "{err}");
        let ok = Config::parse(
            "[zip]\nencryption = \"zip_crypto\"\n[zip.password_source]\ncert_password_reissue = \"separate\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(ok.zip.encryption, ZipEncryption::ZipCrypto);
        assert_eq!(ok.zip.password_source.of(NoticeKind::CertPasswordReissue), PasswordSource::Separate);
    }

    #[test]
    fn a_handoff_recipient_that_is_no_age_key_names_its_line() {
        let err = parse("[handoff]\n\nrecipients = [\"ssh-ed25519 AAAAC3\"]\n").unwrap_err();
        assert!(matches!(err, ConfigError::Parse { line: Some(3), .. }), "{err}");
        assert!(err.to_string().contains("age1"), "{err}");
        assert!(parse("[handoff]\nrecipients = []\n").unwrap().handoff.recipients.is_empty());
    }

    #[test]
    fn the_address_offset_takes_exactly_two_numbers_in_range() {
        for text in ["[layout]\naddress_offset_mm = [1, 2, 3]\n", "[layout]\naddress_offset_mm = [1.5]\n"] {
            let err = parse(text).unwrap_err();
            assert!(matches!(err, ConfigError::Parse { line: Some(2), .. }), "{text}: {err}");
            assert!(err.to_string().contains("address_offset_mm"), "{err}");
        }
        assert_eq!(parse("[layout]\naddress_offset_mm = [1, -2.5]\n").unwrap().layout.address_offset_mm, [1.0, -2.5]);
        for text in ["[layout]\naddress_offset_mm = [31, 0]\n", "[layout]\naddress_offset_mm = [0, nan]\n"] {
            assert!(matches!(parse(text).unwrap_err(), ConfigError::Offset { .. }), "{text}");
        }
    }

    #[test]
    fn a_printed_setting_the_font_lacks_is_refused_naming_the_file_and_the_key() {
        let cases = [
            ("[issuer]\nname = \"吉田\u{2FFFD}連合会\"\n", "[issuer] name", 2),
            ("# 発行元\n[issuer]\nname = \"連合会\"\nhelpdesk = \"電話\u{E000}\"\n", "[issuer] helpdesk", 4),
            ("[notice]\nhonorific_person = \"\\u0007\"\n", "[notice] honorific_person", 2),
        ];
        for (text, key, line) in cases {
            let err = Config::parse(text, Path::new("/srv/tsuchi.toml")).unwrap_err();
            assert!(
                matches!(&err, ConfigError::Unprintable { key: k, line: l, .. } if *k == key && *l == Some(line)),
                "{err}"
            );
            let message = err.to_string();
            assert!(message.contains("/srv/tsuchi.toml") && message.contains(key), "{message}");
            assert!(message.contains(&crate::msg!("config.at_line", line)), "{message}");
        }
        // What IPAex lacks prints from the fallback face; a variation sequence is no error.
        assert!(parse("[issuer]\nname = \"髙橋連合会\"\n").is_ok());
        assert!(parse("[issuer]\nname = \"𠮷田連合会\"\nhelpdesk = \"葛\u{E0100}飾 03-0000-0000\"\n").is_ok());
    }

    #[test]
    fn settings_are_read() {
        let quoted = "[notice]\nissue_date = \"2026-01-10\"\n";
        let config = Config::parse(quoted, Path::new("t.toml")).unwrap();
        assert_eq!(config.notice.issue_date, NaiveDate::from_ymd_opt(2026, 1, 10));
        let text = "[notice]\nissue_date = 2026-01-10\ndate_style = \"gannen\"\n[passwords.cert]\nlength = 10\n";
        let config = Config::parse(text, Path::new("t.toml")).unwrap();
        assert_eq!(config.notice.issue_date, NaiveDate::from_ymd_opt(2026, 1, 10));
        assert_eq!(config.notice.date_style, DateStyle::Gannen);
        assert_eq!(config.passwords.cert.length, 10);
        assert!(config.passwords.cert.digits);
    }
}
