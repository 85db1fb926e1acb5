//! The command line's help and refusals in the current language, from the catalogue
//! (`templates/messages/cli.toml`, `[help.<command>.<argument>]`), never clap's English.

use std::process::ExitCode;

use super::console::{EXIT_FAILED, terminal_safe};
use crate::msg;

/// The command line with its help in the current language: every command's about, every
/// argument's help, the headings, the usage line and the help and version flags from the
/// catalogue. Value names are ASCII (`<REQUEST_NUMBER>`) in both languages, so clap, which
/// counts characters rather than terminal columns, keeps the help's columns aligned. `path`
/// names the command from the top: `""`, `"run"`, `"mail import"`.
pub fn localized(mut command: clap::Command, path: &str) -> clap::Command {
    use clap::{Arg, ArgAction};
    if let Some(about) = help(path, "") {
        command = command.about(about);
    }
    // clap keeps headings as `&'static str` (a few short strings once per process).
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let (arguments, options) = (leak(msg!("cli.help.heading.arguments")), leak(msg!("cli.help.heading.options")));
    let usage = msg!("cli.help.heading.usage");
    let template = format!("{{about-with-newline}}\n{usage} {{usage}}\n\n{{all-args}}{{after-help}}");
    command = command
        .help_template(template)
        .subcommand_help_heading(leak(msg!("cli.help.heading.commands")))
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help(msg!("cli.help.help"))
                .help_heading(options),
        );
    if path.is_empty() {
        command = command.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(msg!("cli.help.version"))
                .help_heading(options),
        );
    }
    let ids: Vec<String> = command.get_arguments().map(|a| a.get_id().to_string()).collect();
    for id in ids {
        let text = help(path, &id);
        command = command.mut_arg(&id, |mut arg| {
            if let Some(text) = text {
                arg = arg.help(text);
            }
            let heading = if arg.is_positional() { arguments } else { options };
            arg.help_heading(heading)
        });
    }
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        let inner = if path.is_empty() { name.clone() } else { format!("{path} {name}") };
        command = command.mut_subcommand(&name, |c| localized(c, &inner));
    }
    command
}

/// A command line clap refused, said in the current language from the catalogue (never clap's
/// English), with the usage line and where to find help: exit code 2. Help and version are
/// printed as clap laid them out.
pub fn refused_command_line(error: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ErrorKind};
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = error.print();
            return ExitCode::from(EXIT_FAILED);
        }
        _ => {}
    }
    let context = |kind: ContextKind| error.get(kind).map(|v| terminal_safe(&v.to_string()));
    let arg = context(ContextKind::InvalidArg).unwrap_or_default();
    let value = context(ContextKind::InvalidValue).unwrap_or_default();
    let message = match error.kind() {
        ErrorKind::UnknownArgument => msg!("cli.clap.unknown_argument", arg),
        ErrorKind::InvalidSubcommand => {
            msg!("cli.clap.unknown_command", command = context(ContextKind::InvalidSubcommand).unwrap_or_default())
        }
        ErrorKind::InvalidValue if value.is_empty() => msg!("cli.clap.missing_value", arg),
        ErrorKind::InvalidValue => {
            let valid = context(ContextKind::ValidValue).unwrap_or_default();
            msg!("cli.clap.invalid_value", arg, value, valid)
        }
        ErrorKind::ValueValidation => {
            use std::error::Error as _;
            let reason = error.source().map(|e| terminal_safe(&e.to_string())).unwrap_or_default();
            msg!("cli.clap.value_refused", arg, value, reason)
        }
        ErrorKind::MissingRequiredArgument => msg!("cli.clap.missing_argument", arg),
        ErrorKind::MissingSubcommand => msg!("cli.clap.missing_command"),
        ErrorKind::ArgumentConflict => {
            msg!("cli.clap.conflict", arg, other = context(ContextKind::PriorArg).unwrap_or_default())
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            msg!("cli.clap.value_count", arg)
        }
        ErrorKind::NoEquals => msg!("cli.clap.value_count", arg),
        ErrorKind::InvalidUtf8 => msg!("cli.clap.invalid_utf8"),
        _ => msg!("cli.clap.other"),
    };
    err!("{}", msg!("cli.error", message));
    if let Some(suggested) = context(ContextKind::SuggestedArg).or_else(|| context(ContextKind::SuggestedSubcommand)) {
        err!("{}", msg!("cli.clap.did_you_mean", suggested));
    }
    if let Some(usage) = context(ContextKind::Usage) {
        // clap's usage starts with its own English heading.
        let usage = usage.trim_start().strip_prefix("Usage:").unwrap_or(&usage).trim();
        err!();
        err!("{}", msg!("cli.clap.usage", heading = msg!("cli.help.heading.usage"), usage));
    }
    err!();
    err!("{}", msg!("cli.clap.more"));
    ExitCode::from(EXIT_FAILED)
}

/// The help of the command `path` (`arg` empty: its about) or of its argument `arg`.
pub fn help(path: &str, arg: &str) -> Option<String> {
    Some(match (path, arg) {
        ("", "") => msg!("cli.help.about"),
        ("", "postal_data") => msg!("cli.help.postal_data"),
        ("", "lang") => msg!("cli.help.lang"),
        ("run", "") => msg!("cli.help.run.about"),
        ("run", "requests") => msg!("cli.help.run.requests"),
        ("run", "config") => msg!("cli.help.run.config"),
        ("run", "out") => msg!("cli.help.run.out"),
        ("run", "new_ledger") => msg!("cli.help.run.new_ledger"),
        ("run", "date") => msg!("cli.help.run.date"),
        ("run", "allow_date") => msg!("cli.help.run.allow_date"),
        ("run", "dry_run") => msg!("cli.help.run.dry_run"),
        ("run", "sheet") => msg!("cli.help.run.sheet"),
        ("run", "include_hidden") => msg!("cli.help.run.include_hidden"),
        ("run", "json") => msg!("cli.help.run.json"),
        ("run", "reissue") => msg!("cli.help.run.reissue"),
        ("run", "reason") => msg!("cli.help.run.reason"),
        ("barcode", "") => msg!("cli.help.barcode.about"),
        ("barcode", "postal") => msg!("cli.help.barcode.postal"),
        ("barcode", "address") => msg!("cli.help.barcode.address"),
        ("barcode", "address2") => msg!("cli.help.barcode.address2"),
        ("barcode", "json") => msg!("cli.help.barcode.json"),
        ("verify", "") => msg!("cli.help.verify.about"),
        ("verify", "batch") => msg!("cli.help.verify.batch"),
        ("verify", "out") => msg!("cli.help.verify.out"),
        ("verify", "config") => msg!("cli.help.verify.config"),
        ("verify", "head") => msg!("cli.help.verify.head"),
        ("verify", "json") => msg!("cli.help.verify.json"),
        ("mail", "") => msg!("cli.help.mail.about"),
        ("mail scan", "") => msg!("cli.help.mail.scan.about"),
        ("mail scan", "batch") => msg!("cli.help.mail.scan.batch"),
        ("mail scan", "out") => msg!("cli.help.mail.scan.out"),
        ("mail scan", "config") => msg!("cli.help.mail.scan.config"),
        ("mail scan", "json") => msg!("cli.help.mail.scan.json"),
        ("spoil", "") => msg!("cli.help.spoil.about"),
        ("spoil", "control") => msg!("cli.help.spoil.control"),
        ("spoil", "reason") => msg!("cli.help.spoil.reason"),
        ("spoil", "out") => msg!("cli.help.spoil.out"),
        ("spoil", "config") => msg!("cli.help.spoil.config"),
        ("spoil", "json") => msg!("cli.help.spoil.json"),
        ("mail import", "") => msg!("cli.help.mail.import.about"),
        ("mail import", "list") => msg!("cli.help.mail.import.list"),
        ("mail import", "out") => msg!("cli.help.mail.import.out"),
        ("mail import", "config") => msg!("cli.help.mail.import.config"),
        ("mail import", "json") => msg!("cli.help.mail.import.json"),
        ("mail import", "correct") => msg!("cli.help.mail.import.correct"),
        ("mail returned", "") => msg!("cli.help.mail.returned.about"),
        ("mail returned", "key") => msg!("cli.help.mail.returned.key"),
        ("mail returned", "reason") => msg!("cli.help.mail.returned.reason"),
        ("mail returned", "out") => msg!("cli.help.mail.returned.out"),
        ("mail returned", "config") => msg!("cli.help.mail.returned.config"),
        ("mail returned", "json") => msg!("cli.help.mail.returned.json"),
        ("status", "") => msg!("cli.help.status.about"),
        ("status", "key") => msg!("cli.help.status.key"),
        ("status", "batch") => msg!("cli.help.status.batch"),
        ("status", "json") => msg!("cli.help.status.json"),
        ("status", "out") => msg!("cli.help.status.out"),
        ("status", "config") => msg!("cli.help.status.config"),
        ("purge", "") => msg!("cli.help.purge.about"),
        ("purge", "batch") => msg!("cli.help.purge.batch"),
        ("purge", "out") => msg!("cli.help.purge.out"),
        ("purge", "config") => msg!("cli.help.purge.config"),
        ("purge", "force") => msg!("cli.help.purge.force"),
        ("purge", "reason") => msg!("cli.help.purge.reason"),
        ("purge", "json") => msg!("cli.help.purge.json"),
        ("audit", "") => msg!("cli.help.audit.about"),
        ("audit export", "") => msg!("cli.help.audit.export.about"),
        ("audit export", "out") => msg!("cli.help.audit.export.out"),
        ("audit export", "config") => msg!("cli.help.audit.export.config"),
        ("audit export", "by") => msg!("cli.help.audit.export.by"),
        ("audit export", "from") => msg!("cli.help.audit.export.from"),
        ("audit export", "to") => msg!("cli.help.audit.export.to"),
        ("audit export", "dest") => msg!("cli.help.audit.export.dest"),
        ("audit export", "json") => msg!("cli.help.audit.export.json"),
        ("calibrate", "") => msg!("cli.help.calibrate.about"),
        ("calibrate", "config") => msg!("cli.help.calibrate.config"),
        ("calibrate", "out") => msg!("cli.help.calibrate.out"),
        ("calibrate", "json") => msg!("cli.help.calibrate.json"),
        ("ledgers", "") => msg!("cli.help.ledgers.about"),
        ("ledgers", "config") => msg!("cli.help.ledgers.config"),
        ("ledgers", "json") => msg!("cli.help.ledgers.json"),
        ("init", "") => msg!("cli.help.init.about"),
        ("init", "path") => msg!("cli.help.init.path"),
        ("init", "force") => msg!("cli.help.init.force"),
        ("init", "json") => msg!("cli.help.init.json"),
        ("check", "") => msg!("cli.help.check.about"),
        ("check", "requests") => msg!("cli.help.check.requests"),
        ("check", "sheet") => msg!("cli.help.check.sheet"),
        ("check", "include_hidden") => msg!("cli.help.check.include_hidden"),
        ("check", "out") => msg!("cli.help.check.out"),
        ("check", "config") => msg!("cli.help.check.config"),
        ("check", "ledger") => msg!("cli.help.check.ledger"),
        ("check", "new_ledger") => msg!("cli.help.check.new_ledger"),
        ("check", "date") => msg!("cli.help.check.date"),
        ("check", "allow_date") => msg!("cli.help.check.allow_date"),
        ("check", "json") => msg!("cli.help.check.json"),
        ("check", "reissue") => msg!("cli.help.check.reissue"),
        ("serve", "") => msg!("cli.help.serve.about"),
        ("serve", "no_open") => msg!("cli.help.serve.no_open"),
        ("serve", "port") => msg!("cli.help.serve.port"),
        ("serve", "config") => msg!("cli.help.serve.config"),
        ("serve", "out") => msg!("cli.help.serve.out"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::args::Cli;
    use crate::ground::i18n::Lang;
    use crate::ground::i18n::with_lang;
    use clap::CommandFactory;

    /// Every command (`arg` empty) and every argument of the command line, by command path.
    fn everything(command: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
        out.push((path.to_string(), String::new()));
        for arg in command.get_arguments() {
            out.push((path.to_string(), arg.get_id().to_string()));
        }
        for sub in command.get_subcommands() {
            let inner = if path.is_empty() { sub.get_name().to_string() } else { format!("{path} {}", sub.get_name()) };
            everything(sub, &inner, out);
        }
    }

    #[test]
    fn every_command_and_argument_has_help_in_the_catalogue_in_both_languages() {
        let mut all = Vec::new();
        everything(&Cli::command(), "", &mut all);
        assert!(all.len() > 60, "{all:?}");
        for (path, arg) in &all {
            let ja = with_lang(Lang::Ja, || help(path, arg));
            let en = with_lang(Lang::En, || help(path, arg));
            let (Some(ja), Some(en)) = (ja, en) else { panic!("no help for `tsuchi {path}` {arg}") };
            assert_ne!(ja, en, "`tsuchi {path}` {arg}");
        }
    }

    #[test]
    fn the_command_line_speaks_the_language_it_is_told() {
        for (lang, run_about, reissue_value) in [
            (Lang::Ja, "申請一覧からパスワードを発行し", "REQUEST_NUMBER"),
            (Lang::En, "Issues passwords", "REQUEST_NUMBER"),
        ] {
            let cli = with_lang(lang, || localized(Cli::command(), ""));
            cli.clone().debug_assert();
            let run = cli.find_subcommand("run").unwrap();
            assert!(run.get_about().unwrap().to_string().starts_with(run_about), "{lang:?}");
            let reissue = run.get_arguments().find(|a| a.get_id() == "reissue").unwrap();
            assert_eq!(reissue.get_value_names().unwrap()[0].as_str(), reissue_value);
            let export = cli.find_subcommand("audit").and_then(|a| a.find_subcommand("export")).unwrap();
            let dest = export.get_arguments().find(|a| a.get_id() == "dest").unwrap();
            assert_eq!(dest.get_help().unwrap().to_string(), with_lang(lang, || msg!("cli.help.audit.export.dest")));
        }
    }
}
