//! The envelope calibration sheet: a page that shows where the address lands in the window of
//! a 長形3号 envelope with the settings' offset.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{AppError, Settings};
use crate::engine::render::{Renderer, pdf};

/// The sheet written, and the offset it was drawn with (mm, right and down).
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub path: PathBuf,
    pub offset_mm: [f32; 2],
}

/// Writes the calibration sheet to `out`.
pub fn calibrate(settings: &Settings, out: &Path) -> Result<Calibration, AppError> {
    let config = &settings.config;
    let renderer = Renderer::new(config)?;
    let frame = renderer.calibration()?;
    let fonts = renderer.fonts_for(&Default::default())?;
    renderer.check_fonts(&fonts, &frame)?;
    let meta = pdf::Meta {
        title: "封筒の窓合わせ用紙",
        author: &config.issuer.name,
        subject: "長形3号 窓付き封筒の宛名位置の確認",
        created: crate::ground::wareki::now_in_tokyo(),
    };
    let bytes = pdf::write(&[frame], &meta, &fonts).map_err(crate::engine::render::RenderError::from)?;
    crate::ground::fsutil::write_atomic(out, &bytes)
        .map_err(|error| AppError::refused(crate::msg!("cli.cannot_write", path = out.display(), error)))?;
    Ok(Calibration { path: out.to_path_buf(), offset_mm: config.layout.address_offset_mm })
}
