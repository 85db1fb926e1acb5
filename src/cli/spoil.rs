//! `tsuchi spoil`: a spoiled page's notice withdrawn, to be issued again with new passwords.

use std::process::ExitCode;

use super::console::{fail, shown};
use crate::app::{self, Place};
use crate::msg;

pub fn spoil(place: &Place, control: &str, reason: &str, as_json: bool) -> ExitCode {
    match app::spoil::spoil(place, control, reason) {
        Err(e) => fail(e),
        Ok(s) if as_json => {
            super::console::json(&s);
            ExitCode::SUCCESS
        }
        Ok(s) => {
            let n = &s.notice;
            let control = n.control_no.as_deref().unwrap_or("-");
            let (request, office) = (&n.request_id, &n.office_no);
            out!("{}", msg!("cli.spoil.done", batch = s.batch, control, request, office, reason = shown(&s.reason)));
            out!("{}", msg!("cli.spoil.next", request = shown(request)));
            out!("{}", msg!("cli.ledger", path = s.ledger.display()));
            ExitCode::SUCCESS
        }
    }
}
