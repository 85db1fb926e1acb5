//! The control number (管理番号) as a Code 128 symbol, the code a mail-room scanner reads off
//! each mailed page (a USB scanner types it and Enter). Encoding only, by `barcoders`; the
//! bars are placed by `render::sheets` and drawn like the customer barcode's.

/// Why a text has no Code 128 symbol: a character outside printable ASCII. Control numbers
/// are made of digits, letters and hyphens, so this is a bug, never a row's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", crate::msg!("barcode.control_unencodable", text = .0))]
pub struct Unencodable(pub String);

/// The dark bars of `text`'s Code 128 symbol (start, data, check symbol, stop), each as its
/// first module and its width in modules, from the first bar; no quiet zone.
pub fn bars(text: &str) -> Result<Vec<(usize, usize)>, Unencodable> {
    let fail = || Unencodable(text.to_string());
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(fail());
    }
    let symbol = barcoders::sym::code128::Code128::new(sets(text)).map_err(|_| fail())?;
    let modules = symbol.encode();
    let mut bars = Vec::new();
    let mut at = 0;
    while at < modules.len() {
        if modules[at] == 1 {
            let start = at;
            while at < modules.len() && modules[at] == 1 {
                at += 1;
            }
            bars.push((start, at - start));
        } else {
            at += 1;
        }
    }
    Ok(bars)
}

/// Width of `text`'s symbol in modules, from its first bar to its last.
pub fn width(bars: &[(usize, usize)]) -> usize {
    bars.last().map_or(0, |&(start, w)| start + w)
}

/// `text` with `barcoders`' set markers: runs of digits in set C (two digits a symbol), the
/// rest in set B, so that `20261207-170102-00003` takes 17 symbols instead of 21.
fn sets(text: &str) -> String {
    const B: char = 'Ɓ';
    const C: char = 'Ć';
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut current = None;
    let mut at = 0;
    while at < chars.len() {
        let run = chars[at..].iter().take_while(|c| c.is_ascii_digit()).count();
        // A switch costs a symbol each way: set C pays for four digits at either end and six
        // inside; an odd digit is left to set B, the first one of a run that ends the text.
        let edge = at == 0 || at + run == chars.len();
        let even = run - run % 2;
        let odd_first = run % 2 == 1 && at > 0 && at + run == chars.len();
        if even >= if edge { 4 } else { 6 } && !odd_first {
            if current != Some(C) {
                out.push(C);
                current = Some(C);
            }
            out.extend(&chars[at..at + even]);
            at += even;
            continue;
        }
        let take = if odd_first && even >= 4 { 1 } else { run.max(1) };
        if current != Some(B) {
            out.push(B);
            current = Some(B);
        }
        out.extend(&chars[at..at + take]);
        at += take;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_go_in_set_c_and_the_rest_in_set_b() {
        assert_eq!(sets("20261207-170102-00003"), "Ć20261207Ɓ-Ć170102Ɓ-0Ć0003");
        assert_eq!(sets("20260110-0901-7Q-00012"), "Ć20260110Ɓ-0901-7Q-0Ć0012");
        assert_eq!(sets("A1"), "ƁA1");
    }

    #[test]
    fn a_control_number_is_a_start_symbol_data_check_and_stop() {
        let bars = bars("20261207-170102-00003").unwrap();
        // 16 symbols of data, start, check: 11 modules each, 3 bars each; stop: 13 modules, 4 bars.
        assert_eq!(width(&bars), 18 * 11 + 13);
        assert_eq!(bars.len(), 18 * 3 + 4);
        // Start C is 11010011100.
        assert_eq!(&bars[..3], &[(0, 2), (3, 1), (6, 3)]);
    }

    #[test]
    fn only_printable_ascii_is_encoded() {
        assert!(bars("管理番号").is_err());
        assert!(bars("").is_err());
    }
}
