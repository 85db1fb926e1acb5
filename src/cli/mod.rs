//! The terminal face: reads the command line, calls the application ([`crate::app`]) and
//! turns each result into text or `--json`. One file per command; nothing else prints.

/// Prints a line to stdout. A closed or full stdout (`tsuchi run … | head -1`, a full disk)
/// must not panic after a batch is committed: the line is dropped, the exit code stands.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// Prints a line to stderr, likewise without panicking.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod args;
mod audit;
mod barcode;
mod check;
mod console;
mod help;
mod mail;
mod purge;
mod run;
mod settings;
mod spoil;
mod status;
mod summary;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::app::audit_export::Period;
use crate::app::check::CheckRequest;
use crate::app::run::RunRequest;
use crate::app::verify::VerifyRequest;
use crate::app::{self, Place};
use args::{AuditCommand, Cli, Command, MailCommand};
use console::fail;

/// `tsuchi` with the process's arguments; the exit code to end with.
pub fn main() -> ExitCode {
    crate::ground::i18n::set_lang(args::requested_lang());
    // Double-clicked in Explorer (no arguments), or a list dropped onto tsuchi.exe: the page.
    if std::env::args_os().len() == 1 {
        return serve(None, None, None, true, None);
    }
    if let Some(dropped) = dropped_file() {
        return serve(None, None, None, true, Some(dropped));
    }
    // The version names the embedded postal data's date (a newer file is named in each manifest).
    let version: &'static str = Box::leak(app::version().into_boxed_str());
    let command = help::localized(Cli::command(), "").version(version);
    let cli = match command.try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return help::refused_command_line(e),
    };
    if let Some(data) = &cli.postal_data
        && let Err(e) = app::use_postal_data(data)
    {
        return fail(e);
    }
    dispatch(cli.command)
}

fn dispatch(command: Command) -> ExitCode {
    match command {
        Command::Check {
            requests,
            sheet,
            include_hidden,
            out,
            config,
            ledger,
            new_ledger,
            date,
            allow_date,
            json,
            reissue,
        } => match Place::new(config, None).settings() {
            Ok(settings) => {
                let request = CheckRequest {
                    requests,
                    sheet,
                    include_hidden,
                    out,
                    ledger,
                    new_ledger,
                    date,
                    allow_date,
                    reissue,
                };
                check::check(&settings, &request, json)
            }
            Err(e) => fail(e),
        },
        Command::Run {
            requests,
            config,
            out,
            new_ledger,
            date,
            allow_date,
            dry_run,
            sheet,
            include_hidden,
            json,
            reissue,
            reason,
        } => match Place::new(config, None).settings() {
            Ok(settings) => {
                let request = RunRequest {
                    requests,
                    sheet,
                    include_hidden,
                    out,
                    new_ledger,
                    date,
                    allow_date,
                    dry_run,
                    reissue,
                    reason,
                };
                run::run(&settings, &request, json)
            }
            Err(e) => fail(e),
        },
        Command::Verify { batch, out, config, head, json } => {
            verify::verify(&VerifyRequest { batch, place: Place::new(config, out), head }, json)
        }
        Command::Barcode { postal, address, address2, json } => {
            barcode::barcode(&postal, &address, address2.as_deref(), json)
        }
        Command::Audit { command: AuditCommand::Export { out, config, from, to, by, dest, json } } => {
            audit::export(&Place::new(config, out), Period { from, to, by }, dest, json)
        }
        Command::Calibrate { config, out, json } => settings::calibrate(&Place::new(config, None), &out, json),
        Command::Init { path, force, json } => settings::init(&path, force, json),
        Command::Ledgers { config, json } => settings::ledgers(&Place::new(config, None), json),
        Command::Mail { command: MailCommand::Scan { batch, out, config, json } } => {
            mail::scan(&Place::new(config, out), batch.as_deref(), json)
        }
        Command::Spoil { control, reason, out, config, json } => {
            spoil::spoil(&Place::new(config, out), &control, &reason, json)
        }
        Command::Mail { command: MailCommand::Import { list, out, config, correct, json } } => {
            mail::import(&Place::new(config, out), &list, correct, json)
        }
        Command::Mail { command: MailCommand::Returned { key, reason, out, config, json } } => {
            mail::returned(&Place::new(config, out), &key, &reason, json)
        }
        Command::Status { key, batch, json, out, config } => {
            status::status(&Place::new(config, out), key.as_deref(), batch.as_deref(), json)
        }
        Command::Purge { batch, out, config, force, reason, json } => {
            purge::purge(&Place::new(config, out), &batch, force, reason.as_deref(), json)
        }
        // The browser face: its pages call the same operations.
        Command::Serve { no_open, port, config, out } => serve(port, config, out, !no_open, None),
    }
}

/// `tsuchi serve`: the page, until the clerk presses 「終了」 or Ctrl+C.
fn serve(
    port: Option<u16>,
    config: Option<PathBuf>,
    out: Option<PathBuf>,
    open_browser: bool,
    list: Option<PathBuf>,
) -> ExitCode {
    let lang = crate::ground::i18n::lang();
    match crate::web::serve(crate::web::ServeOptions { open_browser, port, config, out, lang, list }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// A request list dropped onto tsuchi.exe in Explorer: one argument, no subcommand, and it
/// names a file.
fn dropped_file() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    let (first, None) = (args.next()?, args.next()) else { return None };
    let path = PathBuf::from(first);
    (path.is_file() && path.extension().is_some()).then_some(path)
}
