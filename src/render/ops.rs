//! The one translation from a laid-out [`Frame`] (millimetres from the top-left corner) to PDF
//! content-stream operators (points from the bottom-left corner). Every PDF tsuchi writes —
//! notice, print bundle, password list, calibration sheet — draws its pages through
//! [`content_stream`]; text is shown as glyph ids of the document's subset fonts (Identity-H).

use std::fmt::Write as _;

use super::fonts::PdfFonts;
use super::layout::{Area, Frame, Item};
use crate::font::Face;

pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// The page resource name of a face, fixed so the output carries no random ids; also the
/// six-letter subset tag of its embedded font.
pub fn font_name(face: Face) -> &'static str {
    match face {
        Face::Gothic => "TSGOTH",
        Face::Mono => "TSMONO",
    }
}

/// The page's drawing operators, text set in `fonts` (which must hold every character; see
/// [`PdfFonts::missing_char`]).
pub fn content_stream(frame: &Frame, fonts: &PdfFonts) -> String {
    let mut s = String::with_capacity(frame.items.len() * 48);
    let flip = |y: f32| (frame.height - y) * PT_PER_MM;
    let re = |a: &Area| {
        format!("{:.3} {:.3} {:.3} {:.3} re", a.x * PT_PER_MM, flip(a.bottom()), a.w * PT_PER_MM, a.h * PT_PER_MM)
    };
    for item in &frame.items {
        match item {
            Item::Text(run) => {
                let font = fonts.get(run.face);
                let _ = write!(
                    s,
                    "BT/{} {:.2} Tf 1 0 0 1 {:.2} {:.2} Tm<",
                    font_name(run.face),
                    run.size_pt,
                    run.x * PT_PER_MM,
                    flip(run.baseline)
                );
                for c in run.text.chars() {
                    let _ = write!(s, "{:04X}", font.gid(c).unwrap_or(0));
                }
                s.push_str(">Tj ET\n");
            }
            Item::Rect { area, fill_grey, line_pt } => {
                let rect = re(area);
                let _ = match fill_grey {
                    Some(g) => writeln!(s, "q {line_pt} w {g} g {rect} B Q"),
                    None => writeln!(s, "q {line_pt} w {rect} S Q"),
                };
            }
            Item::Fill { area } => {
                let _ = writeln!(s, "0 g {} f", re(area));
            }
            Item::Line { from, to, line_pt } => {
                let _ = writeln!(
                    s,
                    "q {line_pt} w {:.2} {:.2} m {:.2} {:.2} l S Q",
                    from.0 * PT_PER_MM,
                    flip(from.1),
                    to.0 * PT_PER_MM,
                    flip(to.1)
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::layout::TextRun;

    fn fonts() -> PdfFonts {
        PdfFonts::for_chars(&"通知".chars().collect()).unwrap()
    }

    #[test]
    fn a_frame_is_drawn_in_points_from_the_bottom_left_with_glyph_ids() {
        let fonts = fonts();
        let frame = Frame {
            width: 210.0,
            height: 297.0,
            items: vec![
                Item::Fill { area: Area { x: 10.0, y: 20.0, w: 1.0, h: 5.0 } },
                Item::Text(TextRun {
                    x: 25.4,
                    baseline: 297.0 - 25.4,
                    size_pt: 10.5,
                    face: Face::Gothic,
                    text: zeroize::Zeroizing::new("通知".into()),
                    width: 7.4,
                    container: Area { x: 0.0, y: 0.0, w: 210.0, h: 297.0 },
                    role: "test".into(),
                }),
            ],
        };
        let ops = content_stream(&frame, &fonts);
        let gids: String = "通知".chars().map(|c| format!("{:04X}", fonts.gothic.gid(c).unwrap())).collect();
        // The bar's foot is 25 mm below the top: 272 mm, 771.02 pt, above the page's foot.
        assert!(ops.starts_with("0 g 28.346 771.024 2.835 14.173 re f\n"), "{ops}");
        assert!(ops.contains(&format!("BT/TSGOTH 10.50 Tf 1 0 0 1 72.00 72.00 Tm<{gids}>Tj ET")), "{ops}");
    }
}
