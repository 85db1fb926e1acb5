//! `tsuchi verify`: the verdict, then what was found.

use std::process::ExitCode;

use super::console::{EXIT_REJECTED, fail, list};
use crate::app::verify::{Scope, VerifyRequest};
use crate::msg;

pub fn verify(request: &VerifyRequest, as_json: bool) -> ExitCode {
    let outcome = match crate::app::verify::verify(request) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    if as_json {
        super::console::json(&outcome);
        return super::console::code(outcome.verified());
    }
    let what = match &outcome.scope {
        Scope::Batch { dir } => dir.display().to_string(),
        Scope::Ledger { root, ledger, batches, head } => {
            out!("{}", msg!("cli.verify.ledger", path = ledger.display(), batches));
            if let Some(head) = head {
                out!("{}", msg!("cli.verify.head", head));
            }
            msg!("cli.verify.whole", root = root.display())
        }
    };
    list(&outcome.notes);
    if outcome.verified() {
        let also = if outcome.head_checked { msg!("cli.verify.head_also") } else { String::new() };
        out!("{}", msg!("cli.verify.ok", what, also));
        return ExitCode::SUCCESS;
    }
    out!("{}", msg!("cli.verify.failed", what, count = outcome.failures.len()));
    list(&outcome.failures);
    ExitCode::from(EXIT_REJECTED)
}
