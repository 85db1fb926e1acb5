//! `tsuchi init`, `tsuchi ledgers` and `tsuchi calibrate`: the settings file, the user's
//! ledgers, the envelope calibration sheet.

use std::path::Path;
use std::process::ExitCode;

use super::console::fail;
use crate::app::{self, Place};
use crate::msg;

pub fn init(path: &Path, force: bool) -> ExitCode {
    match app::settings::init(path, force) {
        Err(e) => fail(e),
        Ok(written) => {
            out!("{}", msg!("cli.init.done", path = written.path.display()));
            ExitCode::SUCCESS
        }
    }
}

pub fn ledgers(place: &Place) -> ExitCode {
    let found = match app::ledgers::ledgers(place) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let Some(list) = &found.list else {
        out!("{}", msg!("cli.ledgers.no_list"));
        return ExitCode::SUCCESS;
    };
    out!("{}", msg!("cli.ledgers.header", list = list.display(), count = found.ledgers.len()));
    for l in &found.ledgers {
        let what = match l.batches {
            Some(batches) => msg!("cli.ledgers.batches", batches),
            None => msg!("cli.ledgers.missing"),
        };
        let last = if l.last_used { msg!("cli.ledgers.last_used") } else { String::new() };
        out!("{}", msg!("cli.ledgers.entry", path = l.ledger.display(), what, last));
    }
    out!("{}", msg!("cli.ledgers.here", path = found.here.display()));
    ExitCode::SUCCESS
}

pub fn calibrate(place: &Place, out: &Path) -> ExitCode {
    let result = place.settings().and_then(|settings| app::calibrate::calibrate(&settings, out));
    match result {
        Err(e) => fail(e),
        Ok(sheet) => {
            let [dx, dy] = sheet.offset_mm;
            let (dx, dy) = (format!("{dx:+.1}"), format!("{dy:+.1}"));
            out!("{}", msg!("cli.calibrate.done", path = sheet.path.display(), dx, dy));
            out!("{}", msg!("cli.calibrate.how"));
            ExitCode::SUCCESS
        }
    }
}
