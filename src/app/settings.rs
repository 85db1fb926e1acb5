//! The settings file: `tsuchi init` writes the commented template.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::AppError;

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
