//! `tsuchi init`, `tsuchi ledgers` and `tsuchi calibrate`: the settings file, the user's
//! ledgers, the envelope calibration sheet.

use std::path::Path;
use std::process::ExitCode;

use super::console::{fail, json};
use crate::app::{self, Place};
use crate::msg;

pub fn init(path: &Path, force: bool, as_json: bool) -> ExitCode {
    match app::settings::init(path, force) {
        Err(e) => fail(e),
        Ok(written) if as_json => {
            json(&written);
            ExitCode::SUCCESS
        }
        Ok(written) => {
            out!("{}", msg!("cli.init.done", path = written.path.display()));
            ExitCode::SUCCESS
        }
    }
}

pub fn ledgers(place: &Place, as_json: bool) -> ExitCode {
    let found = match app::ledgers::ledgers(place) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    if as_json {
        json(&found);
        return ExitCode::SUCCESS;
    }
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

pub fn calibrate(place: &Place, out: &Path, as_json: bool) -> ExitCode {
    let result = place.settings().and_then(|settings| app::calibrate::calibrate(&settings, out));
    match result {
        Err(e) => fail(e),
        Ok(sheet) if as_json => {
            json(&sheet);
            ExitCode::SUCCESS
        }
        Ok(sheet) => {
            let [dx, dy] = sheet.offset_mm;
            let (dx, dy) = (format!("{dx:+.1}"), format!("{dy:+.1}"));
            out!("{}", msg!("cli.calibrate.done", path = sheet.path.display(), dx, dy));
            out!("{}", msg!("cli.calibrate.how"));
            ExitCode::SUCCESS
        }
    }
}
