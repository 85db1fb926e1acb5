//! Geometry from `templates/layout.toml`: page, boxes and type sizes in millimetres and points.
//! Plain data, read by the templates loader and used by layout; it depends on neither.

use serde::Deserialize;

/// Geometry from `templates/layout.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geometry {
    pub page: PageGeometry,
    pub address: AddressGeometry,
    pub issuer: IssuerGeometry,
    pub addressee: AddresseeGeometry,
    pub title: TitleGeometry,
    pub flow: FlowGeometry,
    pub paragraph: ParagraphGeometry,
    pub table: TableGeometry,
    pub grid: GridGeometry,
    pub bullets: BulletsGeometry,
    pub footer: FooterGeometry,
    pub barcode: BarcodeGeometry,
    /// Absent from an older custom `layout.toml`: then where the built-in one puts it.
    #[serde(default)]
    pub control_code: ControlCodeGeometry,
}

/// The control number's Code 128 symbol on every mailed page, for the mail room's scanner:
/// right-aligned at `right_mm`, its bars from `top_mm`, outside the envelope window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlCodeGeometry {
    pub right_mm: f32,
    pub top_mm: f32,
    pub module_mm: f32,
    pub height_mm: f32,
    pub quiet_mm: f32,
}

impl Default for ControlCodeGeometry {
    fn default() -> Self {
        ControlCodeGeometry { right_mm: 190.0, top_mm: 44.0, module_mm: 0.25, height_mm: 8.0, quiet_mm: 2.5 }
    }
}

/// The customer barcode at the 10 pt size (DOMAIN §6).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarcodeGeometry {
    pub bar_width_mm: f32,
    pub pitch_mm: f32,
    pub long_mm: f32,
    pub timing_mm: f32,
    pub quiet_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageGeometry {
    pub width_mm: f32,
    pub height_mm: f32,
    pub margin_left_mm: f32,
    pub margin_right_mm: f32,
    pub margin_bottom_mm: f32,
    pub leading: f32,
    /// No text on any page is set smaller: what does not fit wraps instead.
    pub min_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressGeometry {
    pub x_mm: f32,
    pub y_mm: f32,
    pub width_mm: f32,
    pub height_mm: f32,
    pub postal_pt: f32,
    pub address_pt: f32,
    pub name_pt: f32,
    pub min_scale: f32,
    /// Text and barcode stay this far inside the window frame on every side.
    pub inset_mm: f32,
    /// How far the folded sheet can move in the envelope from where the calibration put it:
    /// the salutation below the window starts at least this far below the frame.
    pub play_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerGeometry {
    pub top_mm: f32,
    pub width_mm: f32,
    pub size_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddresseeGeometry {
    pub top_mm: f32,
    pub width_mm: f32,
    pub size_pt: f32,
    pub min_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleGeometry {
    pub top_mm: f32,
    pub size_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowGeometry {
    pub top_mm: f32,
    pub gap_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParagraphGeometry {
    pub size_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableGeometry {
    pub label_width_mm: f32,
    pub row_min_height_mm: f32,
    pub padding_mm: f32,
    pub size_pt: f32,
    pub min_pt: f32,
    pub max_lines: usize,
    pub label_grey: f32,
    pub line_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridGeometry {
    pub label_pt: f32,
    pub cell_width_mm: f32,
    pub class_row_mm: f32,
    pub char_row_mm: f32,
    pub reading_row_mm: f32,
    pub class_pt: f32,
    pub char_pt: f32,
    pub reading_pt: f32,
    /// Line pitch of a reading that takes two or three lines in its cell.
    pub reading_line_mm: f32,
    pub class_grey: f32,
    pub line_pt: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulletsGeometry {
    pub heading_pt: f32,
    pub size_pt: f32,
    pub indent_mm: f32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FooterGeometry {
    pub bottom_mm: f32,
    pub size_pt: f32,
}

impl Geometry {
    /// Every type size of the geometry, by its key: none may be below `[page] min_pt`.
    pub fn type_sizes(&self) -> [(&'static str, f32); 14] {
        [
            ("address.postal_pt", self.address.postal_pt),
            ("address.address_pt", self.address.address_pt),
            ("address.name_pt", self.address.name_pt),
            (
                "address.min_scale",
                self.address.postal_pt.min(self.address.address_pt).min(self.address.name_pt) * self.address.min_scale,
            ),
            ("issuer.size_pt", self.issuer.size_pt),
            ("addressee.min_pt", self.addressee.min_pt),
            ("title.size_pt", self.title.size_pt),
            ("paragraph.size_pt", self.paragraph.size_pt),
            ("table.min_pt", self.table.min_pt),
            ("grid.class_pt", self.grid.class_pt),
            ("grid.reading_pt", self.grid.reading_pt),
            ("grid.label_pt", self.grid.label_pt),
            ("bullets.size_pt", self.bullets.size_pt),
            ("footer.size_pt", self.footer.size_pt),
        ]
    }
}
