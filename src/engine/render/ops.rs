//! The one translation from a laid-out [`Frame`] (millimetres from the top-left corner) to PDF
//! content-stream operators (points from the bottom-left corner). Every PDF tsuchi writes —
//! notice, print bundle, password list, calibration sheet — draws its pages through
//! [`content_stream`]; text is shown as glyph ids of the document's subset fonts (Identity-H),
//! and every number goes through [`push_number`].

use super::fonts::PdfFonts;
use super::layout::{Area, Frame, Item, TextRun};
use crate::ground::font::{self, Face};

pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// The grey of a watermark: light enough that every character over it stays legible.
const WATERMARK_GREY: f32 = 0.85;

/// The page resource name of a face, fixed so the output carries no random ids; also the
/// six-letter subset tag of its embedded font.
pub fn font_name(face: Face) -> &'static str {
    match face {
        Face::Gothic => "TSGOTH",
        Face::Mono => "TSMONO",
        Face::Fallback => "TSMINC",
    }
}

/// The face that draws the first character of `run`: the text object selects it first.
fn first_face(run: &TextRun, fonts: &PdfFonts) -> Face {
    font::clusters(&run.text).next().and_then(|c| fonts.glyph(run.face, c)).map_or(run.face, |(face, _)| face)
}

/// Sets `run`'s text from the current text position, its first character's face selected: the
/// glyph ids of its characters in hex, switching to the fallback face (same size, so the same
/// baseline) for what Gothic lacks and back, within the one text object.
fn show_text(s: &mut String, run: &TextRun, fonts: &PdfFonts) -> Result<(), MissingGlyph> {
    let mut current = first_face(run, fonts);
    s.push('<');
    for c in font::clusters(&run.text) {
        let (face, gid) = fonts.glyph(run.face, c).ok_or(MissingGlyph(c.base))?;
        if face != current {
            s.push_str(">Tj/");
            s.push_str(font_name(face));
            s.push(' ');
            push_number(s, run.size_pt, 2);
            s.push_str(" Tf<");
            current = face;
        }
        push_hex4(s, gid);
    }
    s.push_str(">Tj");
    Ok(())
}

/// A character the page sets that its font subset does not hold: drawn, it would be glyph 0
/// (a blank box or nothing), so the page is refused instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::msg!("render.missing_glyph", character = .0, code = format!("{:04X}", *.0 as u32)))]
pub struct MissingGlyph(pub char);

/// The page's drawing operators, text set in `fonts`; an error names the first character that
/// `fonts` cannot draw (see [`PdfFonts::missing_char`]).
pub fn content_stream(frame: &Frame, fonts: &PdfFonts) -> Result<String, MissingGlyph> {
    // The operators may hold a password's glyphs: wiped when a missing glyph stops them.
    let mut s = zeroize::Zeroizing::new(String::with_capacity(frame.items.len() * 48));
    let s = &mut *s;
    let flip = |y: f32| (frame.height - y) * PT_PER_MM;
    let re = |s: &mut String, a: &Area| {
        for v in [a.x * PT_PER_MM, flip(a.bottom()), a.w * PT_PER_MM, a.h * PT_PER_MM] {
            push_number(s, v, 3);
            s.push(' ');
        }
        s.push_str("re");
    };
    for item in &frame.items {
        match item {
            Item::Text(run) => {
                s.push_str("BT/");
                s.push_str(font_name(first_face(run, fonts)));
                s.push(' ');
                push_number(s, run.size_pt, 2);
                s.push_str(" Tf 1 0 0 1 ");
                push_number(s, run.x * PT_PER_MM, 2);
                s.push(' ');
                push_number(s, flip(run.baseline), 2);
                s.push_str(" Tm");
                show_text(s, run, fonts)?;
                s.push_str(" ET\n");
            }
            Item::Rect { area, fill_grey, line_pt } => {
                s.push_str("q ");
                push_number(s, *line_pt, 3);
                s.push_str(" w ");
                if let Some(g) = fill_grey {
                    push_number(s, *g, 3);
                    s.push_str(" g ");
                }
                re(s, area);
                s.push_str(if fill_grey.is_some() { " B Q\n" } else { " S Q\n" });
            }
            Item::Watermark(run) => {
                // Turned 45° about the page's centre, its middle on the centre: the start of the
                // baseline lies half its width back along the diagonal and a little below.
                let (cos, sin) = (std::f32::consts::FRAC_1_SQRT_2, std::f32::consts::FRAC_1_SQRT_2);
                let (cx, cy) = (frame.width / 2.0 * PT_PER_MM, frame.height / 2.0 * PT_PER_MM);
                let (half, drop) = (run.width * PT_PER_MM / 2.0, run.size_pt * 0.38);
                s.push_str("q ");
                push_number(s, WATERMARK_GREY, 2);
                s.push_str(" g BT/");
                s.push_str(font_name(first_face(run, fonts)));
                s.push(' ');
                push_number(s, run.size_pt, 2);
                s.push_str(" Tf ");
                for v in [cos, sin, -sin, cos, cx - half * cos + drop * sin, cy - half * sin - drop * cos] {
                    push_number(s, v, 4);
                    s.push(' ');
                }
                s.push_str("Tm");
                show_text(s, run, fonts)?;
                s.push_str(" ET Q\n");
            }
            Item::Fill { area } => {
                s.push_str("0 g ");
                re(s, area);
                s.push_str(" f\n");
            }
            Item::Line { from, to, line_pt } => {
                s.push_str("q ");
                push_number(s, *line_pt, 3);
                s.push_str(" w ");
                for (v, end) in [
                    (from.0 * PT_PER_MM, " "),
                    (flip(from.1), " m "),
                    (to.0 * PT_PER_MM, " "),
                    (flip(to.1), " l S Q\n"),
                ] {
                    push_number(s, v, 2);
                    s.push_str(end);
                }
            }
        }
    }
    Ok(std::mem::take(s))
}

/// Appends `v` with `decimals` digits after the point, as `format!("{v:.decimals$}")` would
/// (rounded to nearest), without the general float formatter: a page has hundreds of numbers.
/// The one way a number reaches a PDF.
///
/// # Panics
/// If `v` is NaN or infinite. Layout only makes finite positions and sizes from a checked
/// geometry, so such a value is a bug; written, it would be a PDF no reader can draw (or a
/// huge number silently clamped), and printing must stop rather than send that page.
pub fn push_number(s: &mut String, v: f32, decimals: u32) {
    assert!(v.is_finite(), "a PDF number must be finite, got {v}: a layout bug");
    let scale = 10i64.pow(decimals);
    let n = (v as f64 * scale as f64).round() as i64;
    if n < 0 {
        s.push('-');
    }
    let n = n.unsigned_abs();
    push_uint(s, n / scale as u64);
    s.push('.');
    let fraction = n % scale as u64;
    // Leading zeros of the fraction, then its digits ("0" when there are no decimals).
    for place in (1..decimals).rev() {
        if fraction < 10u64.pow(place) {
            s.push('0');
        }
    }
    push_uint(s, fraction);
}

/// Appends `n` in decimal.
pub fn push_uint(s: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    s.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// Appends `v` as four upper-case hexadecimal digits.
pub fn push_hex4(s: &mut String, v: u16) {
    s.extend((0..4).rev().map(|i| char::from(b"0123456789ABCDEF"[(v >> (4 * i) & 15) as usize])));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::render::layout::TextRun;

    fn fonts() -> PdfFonts {
        PdfFonts::for_chars(&font::clusters("通知").collect()).unwrap()
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
        let ops = content_stream(&frame, &fonts).unwrap();
        let gids: String = "通知".chars().map(|c| format!("{:04X}", fonts.gothic.char_gid(c).unwrap())).collect();
        // The bar's foot is 25 mm below the top: 272 mm, 771.02 pt, above the page's foot.
        assert!(ops.starts_with("0 g 28.346 771.024 2.835 14.173 re f\n"), "{ops}");
        assert!(ops.contains(&format!("BT/TSGOTH 10.50 Tf 1 0 0 1 72.00 72.00 Tm<{gids}>Tj ET")), "{ops}");
    }

    #[test]
    fn fixed_point_numbers_read_as_the_float_formatter_writes_them() {
        for v in [0.0f32, 1.0, -1.5, 12.345, 771.0236, 0.004, -0.004, 595.2756, 841.8898, 28.346457] {
            for decimals in [2, 3] {
                let mut s = String::new();
                push_number(&mut s, v, decimals);
                let expected = format!("{v:.prec$}", prec = decimals as usize);
                // "-0.00" and "0.00" draw alike; the formatter keeps the sign of a tiny negative.
                assert_eq!(s.trim_start_matches('-'), expected.trim_start_matches('-'), "{v}");
            }
        }
    }

    fn text_frame(text: &str) -> Frame {
        Frame {
            width: 210.0,
            height: 297.0,
            items: vec![Item::Text(TextRun {
                x: 25.4,
                baseline: 100.0,
                size_pt: 10.5,
                face: Face::Gothic,
                text: zeroize::Zeroizing::new(text.into()),
                width: 7.4,
                container: Area { x: 0.0, y: 0.0, w: 210.0, h: 297.0 },
                role: "test".into(),
            })],
        }
    }

    #[test]
    fn a_character_absent_from_the_subset_is_an_error_never_glyph_zero() {
        let fonts = fonts();
        assert_eq!(content_stream(&text_frame("通知書"), &fonts), Err(MissingGlyph('書')));
        let message = MissingGlyph('書').to_string();
        assert!(message.contains("書") && message.contains("U+66F8"), "{message}");
        assert!(content_stream(&text_frame("通知"), &fonts).unwrap().contains("Tj"));
    }

    #[test]
    fn what_gothic_lacks_is_set_in_the_fallback_face_at_the_same_size() {
        let fonts = PdfFonts::for_chars(&font::clusters("株式会社𠮷野 葛\u{E0102}飾").collect()).unwrap();
        let fallback = fonts.fallback.as_ref().expect("𠮷 needs the fallback");
        let ops = content_stream(&text_frame("株式会社𠮷野"), &fonts).unwrap();
        let hex = |font: &super::super::fonts::SubsetFont, text: &str| -> String {
            font::clusters(text).map(|c| format!("{:04X}", font.gid(c).unwrap())).collect()
        };
        let expected = format!(
            "<{}>Tj/TSMINC 10.50 Tf<{}>Tj/TSGOTH 10.50 Tf<{}>Tj ET",
            hex(&fonts.gothic, "株式会社"),
            hex(fallback, "𠮷"),
            hex(&fonts.gothic, "野")
        );
        assert!(ops.contains(&expected), "{ops}");
        // This variant of 葛 comes from the fallback: a run that starts with it starts in it.
        let ops = content_stream(&text_frame("葛\u{E0102}飾"), &fonts).unwrap();
        assert!(ops.starts_with("BT/TSMINC 10.50 Tf 1 0 0 1 ") && ops.contains(">Tj/TSGOTH 10.50 Tf<"), "{ops}");
    }

    #[test]
    fn rules_and_grey_fills_are_written_by_the_number_formatter() {
        let frame = Frame {
            width: 210.0,
            height: 297.0,
            items: vec![
                Item::Rect { area: Area { x: 0.0, y: 0.0, w: 10.0, h: 10.0 }, fill_grey: Some(0.9), line_pt: 0.5 },
                Item::Line { from: (0.0, 0.0), to: (10.0, 0.0), line_pt: 0.25 },
            ],
        };
        let ops = content_stream(&frame, &fonts()).unwrap();
        assert!(ops.starts_with("q 0.500 w 0.900 g 0.000 813.543 28.346 28.346 re B Q\n"), "{ops}");
        assert!(ops.contains("q 0.250 w 0.00 841.89 m 28.35 841.89 l S Q\n"), "{ops}");
    }

    #[test]
    #[should_panic(expected = "a PDF number must be finite, got NaN")]
    fn a_nan_never_reaches_a_pdf() {
        push_number(&mut String::new(), f32::NAN, 2);
    }

    #[test]
    fn no_non_finite_number_reaches_a_pdf() {
        for v in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN] {
            let frame = Frame {
                width: 210.0,
                height: 297.0,
                items: vec![Item::Fill { area: Area { x: v, y: 0.0, w: 1.0, h: 1.0 } }],
            };
            let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| content_stream(&frame, &fonts())));
            assert!(drawn.is_err(), "{v} was drawn");
        }
    }
}
