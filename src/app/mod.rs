//! The application: one module per thing a person does with tsuchi, each a function from a
//! typed request to a typed result. The faces (the terminal in `crate::cli`, the browser) call
//! only these. Nothing here prints: results are plain data (serde-serialisable) that carry
//! every count and finding a face shows, progress goes through [`Progress`], and errors are
//! [`AppError`]s whose display is the catalogue's message.
//!
//! | operation | module |
//! |---|---|
//! | check a request list | [`check`] |
//! | issue a batch (or a dry run) | [`run`] |
//! | verify the ledger or a batch | [`verify`] |
//! | a notice's life, a batch's state | [`status`] |
//! | scan pages into envelopes, import the 発送リスト, record a 返戻 | [`mail`] |
//! | withdraw a spoiled notice (to be reissued) | [`spoil`] |
//! | purge a batch's secrets | [`purge`] |
//! | export the audit log | [`audit_export`] |
//! | write the settings file | [`settings`] |
//! | print the envelope calibration sheet | [`calibrate`] |
//! | one customer barcode | [`barcode`] |
//! | the user's ledgers | [`ledgers`] |

pub mod audit_export;
pub mod barcode;
pub mod calibrate;
pub mod check;
mod error;
pub mod ledgers;
pub mod mail;
pub mod purge;
pub mod run;
pub mod settings;
pub mod spoil;
pub mod status;
pub mod verify;

use std::path::{Path, PathBuf};

pub use crate::engine::outcome::{Progress, Silent};
pub use error::AppError;

use crate::engine::config::Config;

/// Where a command finds its settings and its ledger: `--config` and `--out` of the terminal,
/// the settings folder of the browser face.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The settings file; `None`: `./tsuchi.toml` if present, else the defaults.
    pub config: Option<PathBuf>,
    /// The output root (ledger and batches); `None`: the settings', else the default.
    pub out: Option<PathBuf>,
}

impl Place {
    pub fn new(config: Option<PathBuf>, out: Option<PathBuf>) -> Place {
        Place { config, out }
    }

    /// The settings this place names.
    pub fn settings(&self) -> Result<Settings, AppError> {
        Settings::load(self.config.as_deref())
    }

    /// The output root (ledger and batches) as `run` finds it.
    pub fn root(&self) -> Result<PathBuf, AppError> {
        Ok(self.settings()?.output_root(self.out.as_deref()))
    }
}

/// The settings a command runs with, and the file they came from (for the manifest).
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub file: Option<PathBuf>,
}

impl Settings {
    /// `path` if given, else `./tsuchi.toml` if present, else the defaults; `[postal] data`
    /// (relative to the file's folder) is loaded unless a postal data file was loaded before.
    pub fn load(path: Option<&Path>) -> Result<Settings, AppError> {
        let default = Path::new("tsuchi.toml");
        let path = path.map(Path::to_path_buf).or_else(|| default.exists().then(|| default.to_path_buf()));
        let config = Config::load(path.as_deref())?;
        if let Some(data) = &config.postal.data
            && !crate::ground::postal::loaded_from_file()
        {
            let dir = path.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
            let offices = config.postal.offices.as_ref().map(|o| dir.join(o));
            crate::ground::postal::use_file(&dir.join(data), offices.as_deref())?;
        }
        Ok(Settings { config, file: path })
    }

    /// The output root: `out`, else `[output] root`, else the default beside the file.
    pub fn output_root(&self, out: Option<&Path>) -> PathBuf {
        crate::engine::home::output_root(out, self.config.output.root.as_deref(), self.file.as_deref())
    }
}

/// Loads a postal data file (`--postal-data`) in place of the embedded table.
pub fn use_postal_data(path: &Path) -> Result<(), AppError> {
    crate::ground::postal::use_file(path, None)?;
    Ok(())
}

/// The version line: the program's version and the date of the embedded postal data.
pub fn version() -> String {
    crate::msg!(
        "cli.version",
        version = env!("CARGO_PKG_VERSION"),
        postal_date = crate::ground::postal::embedded_date()
    )
}
