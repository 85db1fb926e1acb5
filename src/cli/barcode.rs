//! `tsuchi barcode`: one address's customer barcode, part by part.

use std::process::ExitCode;

use super::console::EXIT_REJECTED;
use crate::msg;

pub fn barcode(postal: &str, address: &str, address2: Option<&str>, as_json: bool) -> ExitCode {
    let b = crate::app::barcode::barcode(postal, address, address2);
    if as_json {
        super::console::json(&b);
        return super::console::code(b.code.is_some());
    }
    if let (Some(a), Some(b)) = (&b.address_a, &b.address_b) {
        out!("{}", msg!("cli.barcode.address_a", value = a));
        out!("{}", msg!("cli.barcode.address_b", value = b));
    }
    match &b.code {
        Some(code) => {
            out!("{}", msg!("cli.barcode.postal", value = code.postal));
            let data = if code.data.is_empty() { msg!("cli.barcode.no_data") } else { code.data.clone() };
            out!("{}", msg!("cli.barcode.data", value = data));
            out!("{}", msg!("cli.barcode.symbols", value = code.symbols.join(" ")));
            out!("{}", msg!("cli.barcode.check_digit", value = code.check_digit));
            out!("{}", msg!("cli.barcode.bars", value = code.bars));
            ExitCode::SUCCESS
        }
        None => {
            out!("{}", msg!("cli.barcode.none", reason = b.reason.as_deref().unwrap_or_default()));
            out!("{}", msg!("cli.barcode.postal_data", date = b.postal_data));
            ExitCode::from(EXIT_REJECTED)
        }
    }
}
