//! `tsuchi.toml`: who issues the notices, how dates and passwords look, where the address
//! block sits. Every field has a default, so tsuchi runs without a config file; unknown keys
//! are errors (a typo must not silently fall back to a default).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::model::NoticeKind;
use crate::pack::ZipEncryption;
use crate::secrets::PasswordPolicy;
use crate::wareki::DateStyle;

/// The commented default written by `tsuchi init`.
pub const DEFAULT_TOML: &str = include_str!("../templates/tsuchi.toml");

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub issuer: Issuer,
    pub notice: NoticeSettings,
    pub passwords: Passwords,
    pub zip: ZipSettings,
    pub mailroom: MailroomSettings,
    pub layout: LayoutSettings,
    pub templates: TemplateSettings,
    pub output: OutputSettings,
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
}

impl Default for MailroomSettings {
    fn default() -> Self {
        Self { duplex: false, customer_barcode: true }
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

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Passwords {
    pub temp: PasswordPolicy,
    pub cert: PasswordPolicy,
    /// 開封パスワード of ZIPs whose password source is `separate`.
    pub zip: PasswordPolicy,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LayoutSettings {
    /// Shift of the address block (right, down) in millimetres.
    pub address_offset_mm: [f32; 2],
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
            zip: PasswordPolicy::temp_password(),
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
        .map_err(|_| serde::de::Error::custom(format!("発行日「{text}」は YYYY-MM-DD で書いてください")))
}

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("設定ファイル「{}」を読めません：{detail}", .path.display())]
    Read { path: PathBuf, detail: String },
    #[error("設定ファイル「{}」の書き方に誤りがあります：{detail}", .path.display())]
    Parse { path: PathBuf, detail: String },
    #[error("設定ファイル「{}」の [zip.password_source] {key} に login は使えません（ZIPの中身が仮パスワードそのものです）。separate にしてください", .path.display())]
    ZipSource { path: PathBuf, key: &'static str },
    #[error("設定ファイル「{}」の [passwords.{which}]：{reason}", .path.display())]
    Policy { path: PathBuf, which: &'static str, reason: String },
    #[error("設定ファイル「{}」の [layout] address_offset_mm は -30〜30 mm にしてください", .path.display())]
    Offset { path: PathBuf },
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
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), detail: e.to_string() })?;
        for (which, policy) in
            [("temp", &config.passwords.temp), ("cert", &config.passwords.cert), ("zip", &config.passwords.zip)]
        {
            policy.validate().map_err(|reason| ConfigError::Policy { path: path.to_path_buf(), which, reason })?;
        }
        // A ZIP must never open with the secret it carries: the registration and reissue
        // notices carry the login password itself.
        for (kind, key) in [(NoticeKind::Registration, "registration"), (NoticeKind::LoginReissue, "login_reissue")] {
            if config.zip.password_source.of(kind) == PasswordSource::Login {
                return Err(ConfigError::ZipSource { path: path.to_path_buf(), key });
            }
        }
        if config.layout.address_offset_mm.iter().any(|v| !(-30.0..=30.0).contains(v)) {
            return Err(ConfigError::Offset { path: path.to_path_buf() });
        }
        Ok(config)
    }
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
    fn an_empty_file_means_defaults() {
        assert_eq!(Config::parse("", Path::new("t.toml")).unwrap(), Config::default());
    }

    #[test]
    fn a_typo_is_an_error_not_a_silent_default() {
        let err = Config::parse("[notice]\nreading_rows = true\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("reading_rows"), "{err}");
    }

    #[test]
    fn a_policy_outside_the_system_rules_is_an_error() {
        let err = Config::parse("[passwords.temp]\nlength = 20\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("passwords.temp"), "{err}");
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
