//! The `tsuchi` command: wires the stages together and prints. No business rules live here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

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

use chrono::NaiveDate;
use tsuchi::engine::audit::ledger::PeriodBasis;
use tsuchi::engine::batch::{self, BatchReport, Progress, RunOptions};
use tsuchi::engine::config::{self, Config};
use tsuchi::engine::intake::{self, Intake, NoticeKind, ReadOptions};
use tsuchi::engine::plan::{self, PlanInput, SecretSource};
use tsuchi::engine::render::Renderer;
use tsuchi::engine::report;
use tsuchi::ground::i18n::Lang;
use tsuchi::msg;

/// The command line. Its help, in the language of `--lang`, is in the catalogue
/// (`templates/messages/cli.toml`, `[help.<command>.<argument>]`), applied by [`localized`].
#[derive(Parser)]
#[command(name = "tsuchi", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[arg(long, global = true, value_name = "CSV")]
    postal_data: Option<PathBuf>,
    #[arg(long, global = true, value_name = "ja|en", value_parser = parse_lang)]
    lang: Option<Lang>,
}

#[derive(Subcommand)]
enum Command {
    Run {
        requests: PathBuf,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        new_ledger: bool,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long)]
        allow_date: bool,
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        include_hidden: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "reissue", value_name = "REQUEST_NUMBER")]
        reissue: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
    },
    Barcode {
        postal: String,
        address: String,
        #[arg(long)]
        address2: Option<String>,
    },
    Verify {
        batch: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_name = "COUNT:HASH")]
        head: Option<String>,
    },
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    Status {
        key: Option<String>,
        #[arg(long, value_name = "BATCH_ID")]
        batch: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    Purge {
        batch: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        reason: Option<String>,
    },
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    Calibrate {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, default_value = "output/calibrate.pdf")]
        out: PathBuf,
    },
    Ledgers {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    Init {
        #[arg(default_value = "tsuchi.toml")]
        path: PathBuf,
        #[arg(long)]
        force: bool,
    },
    Check {
        requests: PathBuf,
        #[arg(long)]
        sheet: Option<String>,
        #[arg(long)]
        include_hidden: bool,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        ledger: Option<PathBuf>,
        #[arg(long)]
        new_ledger: bool,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        #[arg(long)]
        allow_date: bool,
        #[arg(long)]
        json: bool,
        #[arg(long = "reissue", value_name = "REQUEST_NUMBER")]
        reissue: Vec<String>,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    Import {
        list: PathBuf,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        correct: bool,
        #[arg(long)]
        json: bool,
    },
    Returned {
        key: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_parser = parse_date)]
        from: Option<NaiveDate>,
        #[arg(long, value_parser = parse_date)]
        to: Option<NaiveDate>,
        #[arg(long, value_name = "issue-date|run-date", value_parser = parse_period_basis, default_value = "issue-date")]
        by: PeriodBasis,
        #[arg(long)]
        dest: Option<PathBuf>,
    },
}

fn parse_period_basis(value: &str) -> Result<PeriodBasis, String> {
    match value {
        "issue-date" => Ok(PeriodBasis::IssueDate),
        "run-date" => Ok(PeriodBasis::RunDate),
        _ => Err(msg!("cli.export.by_invalid", value)),
    }
}

fn parse_lang(value: &str) -> Result<Lang, String> {
    Lang::parse(value).ok_or_else(|| msg!("cli.lang_invalid", value))
}

/// The language to speak, read before clap so that its own messages can follow it:
/// `--lang X` / `--lang=X` anywhere on the line, else `TSUCHI_LANG`, else Japanese.
fn requested_lang() -> Lang {
    let mut args = std::env::args_os().skip(1);
    let mut chosen = None;
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        if arg == "--" {
            break;
        }
        if arg == "--lang" {
            chosen = args.next().and_then(|v| Lang::parse(&v.to_string_lossy()));
        } else if let Some(v) = arg.strip_prefix("--lang=") {
            chosen = Lang::parse(v);
        }
    }
    chosen.or_else(|| std::env::var("TSUCHI_LANG").ok().and_then(|v| Lang::parse(&v))).unwrap_or(Lang::Ja)
}

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| msg!("cli.date_invalid", value))
}

/// The command line with its help in the current language: every command's about, every
/// argument's help, the headings, the usage line and the help and version flags from the
/// catalogue. Value names are ASCII (`<REQUEST_NUMBER>`) in both languages, so clap, which
/// counts characters rather than terminal columns, keeps the help's columns aligned. `path`
/// names the command from the top: `""`, `"run"`, `"mail import"`.
fn localized(mut command: clap::Command, path: &str) -> clap::Command {
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
fn refused_command_line(error: clap::Error) -> ExitCode {
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
    let context = |kind: ContextKind| error.get(kind).map(|v| report::terminal_safe(&v.to_string()));
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
            let reason = error.source().map(|e| report::terminal_safe(&e.to_string())).unwrap_or_default();
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
fn help(path: &str, arg: &str) -> Option<String> {
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
        ("verify", "") => msg!("cli.help.verify.about"),
        ("verify", "batch") => msg!("cli.help.verify.batch"),
        ("verify", "out") => msg!("cli.help.verify.out"),
        ("verify", "config") => msg!("cli.help.verify.config"),
        ("verify", "head") => msg!("cli.help.verify.head"),
        ("mail", "") => msg!("cli.help.mail.about"),
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
        ("audit", "") => msg!("cli.help.audit.about"),
        ("audit export", "") => msg!("cli.help.audit.export.about"),
        ("audit export", "out") => msg!("cli.help.audit.export.out"),
        ("audit export", "config") => msg!("cli.help.audit.export.config"),
        ("audit export", "by") => msg!("cli.help.audit.export.by"),
        ("audit export", "from") => msg!("cli.help.audit.export.from"),
        ("audit export", "to") => msg!("cli.help.audit.export.to"),
        ("audit export", "dest") => msg!("cli.help.audit.export.dest"),
        ("calibrate", "") => msg!("cli.help.calibrate.about"),
        ("calibrate", "config") => msg!("cli.help.calibrate.config"),
        ("calibrate", "out") => msg!("cli.help.calibrate.out"),
        ("ledgers", "") => msg!("cli.help.ledgers.about"),
        ("ledgers", "config") => msg!("cli.help.ledgers.config"),
        ("init", "") => msg!("cli.help.init.about"),
        ("init", "path") => msg!("cli.help.init.path"),
        ("init", "force") => msg!("cli.help.init.force"),
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
        _ => return None,
    })
}

/// Exit codes: 0 every row fine, 1 some rows rejected, 2 the job could not be done.
const EXIT_REJECTED: u8 = 1;
const EXIT_FAILED: u8 = 2;

fn main() -> ExitCode {
    tsuchi::ground::i18n::set_lang(requested_lang());
    if let Some(dropped) = dropped_file() {
        return checked_and_waited(&dropped);
    }
    // The version names the embedded postal data's date (a newer file is named in each manifest).
    let version =
        msg!("cli.version", version = env!("CARGO_PKG_VERSION"), postal_date = tsuchi::ground::postal::embedded_date());
    let command = localized(Cli::command(), "").version(&*Box::leak(version.into_boxed_str()));
    let cli = match command.try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => return refused_command_line(e),
    };
    if let Some(data) = &cli.postal_data
        && let Err(e) = tsuchi::ground::postal::use_file(data, None)
    {
        return fail(e);
    }
    match cli.command {
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
        } => match load_config(config.as_deref()) {
            Ok((config, used)) => {
                let ledger = output_root(ledger.as_deref(), &config, used.as_deref());
                let out = out.unwrap_or_else(|| ledger.join("check"));
                let options = CheckOptions {
                    requests,
                    sheet,
                    include_hidden,
                    out,
                    ledger,
                    new_ledger,
                    date,
                    allow_date,
                    json,
                    reissue,
                    config: used,
                };
                check(&options, &config)
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
        } => {
            let options = RunOptions {
                input: requests,
                sheet,
                include_hidden,
                out_root: PathBuf::new(),
                config_path: None,
                issue_date: date,
                allow_date,
                dry_run,
                reissue,
                reissue_reason: reason,
                new_ledger,
                registry: tsuchi::engine::home::registry(),
            };
            run(options, out.as_deref(), config.as_deref(), json)
        }
        Command::Verify { batch, out, config, head } => {
            verify(batch.as_deref(), out.as_deref(), config.as_deref(), head.as_deref())
        }
        Command::Barcode { postal, address, address2 } => barcode(&postal, &address, address2.as_deref()),
        Command::Audit { command: AuditCommand::Export { out, config, from, to, by, dest } } => {
            match root_of(out.as_deref(), config.as_deref()) {
                Ok(root) => audit_export(&root, Period { from, to, by }, dest),
                Err(code) => code,
            }
        }
        Command::Calibrate { config, out } => calibrate(config.as_deref(), &out),
        Command::Init { path, force } => init(&path, force),
        Command::Ledgers { config } => match root_of(None, config.as_deref()) {
            Ok(root) => ledgers(&root),
            Err(code) => code,
        },
        Command::Mail { command } => mail(command),
        Command::Status { key, batch, json, out, config } => match root_of(out.as_deref(), config.as_deref()) {
            Ok(root) => {
                let code = status(&root, key.as_deref(), batch.as_deref(), json);
                if !json {
                    out!(
                        "{}",
                        msg!("cli.ledger", path = root.join(tsuchi::engine::audit::ledger::FILE_NAME).display())
                    );
                }
                code
            }
            Err(code) => code,
        },
        Command::Purge { batch, out, config, force, reason } => {
            // A folder as given, or a batch ID under the output root `run` uses.
            let batch = match batch.is_dir() {
                true => batch,
                false => match root_of(out.as_deref(), config.as_deref()) {
                    Ok(root) => root.join(batch),
                    Err(code) => return code,
                },
            };
            purge(&batch, force, reason.as_deref())
        }
    }
}

/// The output root from `--out`/`--config` as `run` finds it, or the exit code of a config error.
fn root_of(out: Option<&Path>, config: Option<&Path>) -> Result<PathBuf, ExitCode> {
    match load_config(config) {
        Ok((config, used)) => Ok(output_root(out, &config, used.as_deref())),
        Err(e) => Err(fail(e)),
    }
}

fn mail(command: MailCommand) -> ExitCode {
    use tsuchi::engine::lifecycle;
    let (out, config) = match &command {
        MailCommand::Import { out, config, .. } | MailCommand::Returned { out, config, .. } => (out, config),
    };
    let root = match root_of(out.as_deref(), config.as_deref()) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut ledger = match lifecycle::open(&root) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match command {
        MailCommand::Import { list, json, correct, .. } => match lifecycle::import(&mut ledger, &list, correct) {
            Err(e) => fail(e),
            Ok(r) => {
                if json {
                    let summary = serde_json::json!({
                        "list": list.display().to_string(),
                        "recorded": r.recorded(),
                        "corrected": r.corrected(),
                        "unchanged": r.unchanged(),
                        "not_yet": r.not_yet(),
                        "refused": r.refused(),
                        "rows": r.rows,
                        "ledger": ledger.path().display().to_string(),
                    });
                    out!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
                } else {
                    print_import(&list, &r);
                    out!("{}", msg!("cli.ledger", path = ledger.path().display()));
                }
                if r.refused() == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
            }
        },
        MailCommand::Returned { key, reason, .. } => match lifecycle::returned(&mut ledger, &key, &reason) {
            Err(e) => fail(e),
            Ok((batch, notice)) => {
                out!(
                    "{}",
                    msg!(
                        "cli.mail.returned",
                        batch,
                        control = notice.control_no.as_deref().unwrap_or("-"),
                        request = notice.request_id,
                        office = notice.office_no,
                        reason = shown(&reason)
                    )
                );
                ExitCode::SUCCESS
            }
        },
    }
}

/// A 書留番号 with its 発送日, if one was recorded.
fn sent_text(registered_no: &str, sent_on: Option<NaiveDate>) -> String {
    match sent_on {
        Some(sent_on) => msg!("cli.mail.number_on", registered_no, sent_on),
        None => registered_no.to_string(),
    }
}

/// What `mail import` did, row by row: recorded, recorded before, refused with the cell and why.
fn print_import(list: &Path, r: &tsuchi::engine::lifecycle::Import) {
    use tsuchi::engine::lifecycle::{Outcome, shown_at};
    out!("{}", msg!("cli.mail.list", path = list.display()));
    out!("{}", msg!("cli.mail.recorded", count = r.recorded()));
    if r.corrected() > 0 {
        out!("{}", msg!("cli.mail.corrected", count = r.corrected()));
    }
    out!("{}", msg!("cli.mail.unchanged", unchanged = r.unchanged(), not_yet = r.not_yet()));
    out!("{}", msg!("cli.mail.refused", count = r.refused()));
    for row in &r.rows {
        let (at, control) = (shown(&shown_at(&row.at)), shown(&row.control_no));
        match &row.outcome {
            Outcome::Recorded { registered_no, .. } => {
                out!("{}", msg!("cli.mail.recorded_row", at, control, registered = registered_no))
            }
            Outcome::Corrected { was_registered_no, was_sent_on, registered_no, sent_on } => {
                let (was, now) = (sent_text(was_registered_no, *was_sent_on), sent_text(registered_no, *sent_on));
                out!("{}", msg!("cli.mail.corrected_row", at, control, was, now))
            }
            Outcome::Unchanged { registered_no } => {
                out!("{}", msg!("cli.mail.unchanged_row", at, control, registered = registered_no))
            }
            Outcome::NotYet => {}
            Outcome::Refused(why) => out!(
                "{}",
                msg!(
                    "cli.mail.refused_row",
                    at,
                    column = why.column,
                    heading = why.heading,
                    value = shown(&why.value),
                    reason = shown_long(&why.reason)
                )
            ),
        }
    }
}

fn status(root: &Path, key: Option<&str>, batch: Option<&str>, json: bool) -> ExitCode {
    use tsuchi::engine::lifecycle::{self, Step};
    let ledger = match tsuchi::engine::audit::ledger::Ledger::open_read_only(root) {
        Ok(Some(l)) => l,
        Ok(None) => return fail(lifecycle::LifecycleError::NoLedger(root.to_path_buf())),
        Err(e) => return fail(e),
    };
    if let Some(batch) = batch {
        return match lifecycle::batch_status(&ledger, batch) {
            Err(e) => fail(e),
            Ok(s) if json => {
                out!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
                ExitCode::SUCCESS
            }
            Ok(s) => {
                let purged = match &s.purged_at {
                    Some(at) => msg!("cli.status.purged", at = tsuchi::engine::lifecycle::to_the_minute(at)),
                    None => String::new(),
                };
                out!(
                    "{}",
                    msg!(
                        "cli.status.batch",
                        batch = s.batch,
                        paper = s.paper,
                        sent = s.sent,
                        returned = s.returned,
                        not_yet = s.not_yet_sent.len(),
                        destroyed = s.destroyed,
                        electronic = s.electronic,
                        purged
                    )
                );
                if s.reissued > 0 {
                    out!("{}", msg!("cli.status.reissued", count = s.reissued));
                }
                if !s.not_yet_sent.is_empty() {
                    out!(
                        "{}",
                        msg!("cli.status.not_yet_sent", list = s.not_yet_sent.join(&msg!("cli.status.separator")))
                    );
                }
                ExitCode::SUCCESS
            }
        };
    }
    let Some(key) = key else {
        return fail(msg!("cli.status.need_key"));
    };
    let lives = match lifecycle::lives(&ledger) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let found = lifecycle::find(&lives, key);
    if json {
        out!("{}", serde_json::to_string_pretty(&found).unwrap_or_default());
        return if found.is_empty() { ExitCode::from(EXIT_REJECTED) } else { ExitCode::SUCCESS };
    }
    if found.is_empty() {
        out!("{}", msg!("cli.status.not_found", key = shown(key)));
        return ExitCode::from(EXIT_REJECTED);
    }
    for life in found {
        let n = &life.notice;
        let kind = NoticeKind::from_alias(&n.kind).map(|k| k.console_label()).unwrap_or_else(|| "?".into());
        let user_id = life.user_id.clone().unwrap_or_else(|| msg!("cli.status.not_recorded"));
        let prefecture = life.prefecture.clone().unwrap_or_else(|| msg!("cli.status.no_prefecture"));
        out!("{}", msg!("cli.status.notice", request = n.request_id, kind, office = n.office_no, user_id, prefecture));
        for (at, step) in &life.steps {
            let what = match step {
                Step::Issued { batch, issue_date, operator } => {
                    msg!("cli.status.step.issued", batch, issue_date, operator)
                }
                Step::Bundled { control_no } => msg!("cli.status.step.bundled", control_no),
                Step::Sent { registered_no, sent_on } => match sent_on {
                    Some(sent_on) => msg!("cli.status.step.sent_on", registered_no, sent_on),
                    None => msg!("cli.status.step.sent", registered_no),
                },
                Step::Corrected { was_registered_no, was_sent_on, registered_no, sent_on, operator } => msg!(
                    "cli.status.step.corrected",
                    was = sent_text(was_registered_no, *was_sent_on),
                    now = sent_text(registered_no, *sent_on),
                    operator
                ),
                Step::Returned { reason, operator } => msg!("cli.status.step.returned", reason, operator),
                Step::Reissued { batch } => msg!("cli.status.step.reissued", batch),
                Step::Purged { operator } => msg!("cli.status.step.purged", operator),
            };
            out!("{}", msg!("cli.status.step.line", at, what = shown_long(&what)));
        }
    }
    ExitCode::SUCCESS
}

fn purge(batch: &Path, force: bool, reason: Option<&str>) -> ExitCode {
    use tsuchi::engine::lifecycle;
    if force && reason.is_none_or(|r| r.trim().is_empty()) {
        return fail(msg!("cli.purge.need_reason"));
    }
    let dir = tsuchi::engine::home::absolute(batch);
    if !dir.is_dir() {
        return fail(msg!("cli.purge.no_folder", path = batch.display()));
    }
    let root = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut ledger = match lifecycle::open(&root) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match lifecycle::purge(&mut ledger, &dir, if force { reason } else { None }) {
        Err(e) => fail(e),
        Ok(p) if p.already_done().is_some() => {
            let at = lifecycle::to_the_minute(p.already_done().unwrap_or_default());
            out!("{}", msg!("cli.purge.already", batch = p.batch, at));
            out!("{}", msg!("cli.ledger", path = ledger.path().display()));
            ExitCode::SUCCESS
        }
        Ok(p) => {
            let forced = if p.forced { msg!("cli.purge.forced") } else { String::new() };
            out!("{}", msg!("cli.purge.done", batch = p.batch, count = p.files.len(), forced));
            out!("{}", msg!("cli.purge.overwritten"));
            out!("{}", msg!("cli.purge.kept"));
            out!("{}", msg!("cli.ledger", path = ledger.path().display()));
            if p.findings.is_empty() {
                return ExitCode::SUCCESS;
            }
            out!("{}", msg!("cli.purge.findings", count = p.findings.len()));
            for f in &p.findings {
                out!("{}", msg!("cli.purge.finding", path = shown(&f.path), why = shown_long(&f.why)));
            }
            ExitCode::from(EXIT_REJECTED)
        }
    }
}

/// `--config` if given, else `./tsuchi.toml` if present, else the defaults. Returns the file
/// used, for the manifest.
fn load_config(path: Option<&Path>) -> Result<(Config, Option<PathBuf>), config::ConfigError> {
    let default = Path::new("tsuchi.toml");
    let path = path.map(Path::to_path_buf).or_else(|| default.exists().then(|| default.to_path_buf()));
    let config = Config::load(path.as_deref())?;
    // `[postal] data`, relative to the config's folder, unless `--postal-data` came first.
    if let Some(data) = &config.postal.data
        && !tsuchi::ground::postal::loaded_from_file()
    {
        let dir = path.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let offices = config.postal.offices.as_ref().map(|o| dir.join(o));
        tsuchi::ground::postal::use_file(&dir.join(data), offices.as_deref())?;
    }
    Ok((config, path))
}

/// A request list dropped onto tsuchi.exe in Explorer: one argument, no subcommand, and it
/// names a file.
fn dropped_file() -> Option<PathBuf> {
    let mut args = std::env::args_os().skip(1);
    let (first, None) = (args.next()?, args.next()) else { return None };
    let path = PathBuf::from(first);
    (path.is_file() && path.extension().is_some()).then_some(path)
}

/// `check` on a dropped list with the settings `check` would use from its folder, then a pause
/// so that the window Explorer opened stays until the clerk has read it.
fn checked_and_waited(requests: &Path) -> ExitCode {
    out!("tsuchi check {}", requests.display());
    out!();
    let code = match load_config(None) {
        Ok((config, used)) => {
            let ledger = output_root(None, &config, used.as_deref());
            let options = CheckOptions {
                requests: requests.to_path_buf(),
                sheet: None,
                include_hidden: false,
                out: ledger.join("check"),
                ledger,
                new_ledger: false,
                date: None,
                allow_date: false,
                json: false,
                reissue: Vec::new(),
                config: used,
            };
            check(&options, &config)
        }
        Err(e) => fail(e),
    };
    out!();
    out!("{}", msg!("cli.press_enter"));
    let _ = std::io::stdin().read_line(&mut String::new());
    code
}

/// The output root (ledger and batches): `--out`, else `[output] root`, else `./output`.
fn output_root(cli: Option<&Path>, config: &Config, config_path: Option<&Path>) -> PathBuf {
    tsuchi::engine::home::output_root(cli, config.output.root.as_deref(), config_path)
}

/// `tsuchi ledgers`: the user's list of ledgers, the one used last marked, and the output root
/// a command started here would use.
fn ledgers(here: &Path) -> ExitCode {
    let Some(registry) = tsuchi::engine::home::registry() else {
        out!("{}", msg!("cli.ledgers.no_list"));
        return ExitCode::SUCCESS;
    };
    let listed = tsuchi::engine::home::listing(&registry);
    out!("{}", msg!("cli.ledgers.header", list = registry.display(), count = listed.len()));
    for l in &listed {
        let ledger = l.root.join(tsuchi::engine::audit::ledger::FILE_NAME);
        let what = match l.batches {
            Some(batches) => msg!("cli.ledgers.batches", batches),
            None => msg!("cli.ledgers.missing"),
        };
        let last = if l.last_used { msg!("cli.ledgers.last_used") } else { String::new() };
        out!("{}", msg!("cli.ledgers.entry", path = ledger.display(), what, last));
    }
    out!("{}", msg!("cli.ledgers.here", path = here.join(tsuchi::engine::audit::ledger::FILE_NAME).display()));
    ExitCode::SUCCESS
}

fn init(path: &Path, force: bool) -> ExitCode {
    if path.exists() && !force {
        return fail(msg!("cli.init.exists", path = path.display()));
    }
    if let Err(error) = tsuchi::ground::fsutil::write_atomic(path, config::DEFAULT_TOML.as_bytes()) {
        return fail(msg!("cli.cannot_write", path = path.display(), error));
    }
    out!("{}", msg!("cli.init.done", path = path.display()));
    ExitCode::SUCCESS
}

fn calibrate(config_path: Option<&Path>, out: &Path) -> ExitCode {
    let (config, _) = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let result = Renderer::new(&config).and_then(|renderer| {
        let frame = renderer.calibration()?;
        let fonts = renderer.fonts_for(&Default::default())?;
        renderer.check_fonts(&fonts, &frame)?;
        let meta = tsuchi::engine::render::pdf::Meta {
            title: "封筒の窓合わせ用紙",
            author: &config.issuer.name,
            subject: "長形3号 窓付き封筒の宛名位置の確認",
            created: tsuchi::ground::wareki::now_in_tokyo(),
        };
        Ok(tsuchi::engine::render::pdf::write(&[frame], &meta, &fonts)?)
    });
    let bytes = match result {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Err(error) = tsuchi::ground::fsutil::write_atomic(out, &bytes) {
        return fail(msg!("cli.cannot_write", path = out.display(), error));
    }
    let [dx, dy] = config.layout.address_offset_mm;
    let (dx, dy) = (format!("{dx:+.1}"), format!("{dy:+.1}"));
    out!("{}", msg!("cli.calibrate.done", path = out.display(), dx, dy));
    out!("{}", msg!("cli.calibrate.how"));
    ExitCode::SUCCESS
}

/// A progress bar on stderr that appears only when the batch takes longer than a second
/// (and only on a terminal).
struct Bar {
    bar: indicatif::ProgressBar,
    started: std::time::Instant,
}

impl Bar {
    fn new() -> Bar {
        let bar = indicatif::ProgressBar::hidden();
        bar.set_style(indicatif::ProgressStyle::with_template(&msg!("cli.progress")).expect("valid template"));
        Bar { bar, started: std::time::Instant::now() }
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        self.bar.set_length(total as u64);
    }

    fn advance(&self) {
        if self.bar.is_hidden() && self.started.elapsed().as_secs_f32() > 1.0 {
            self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn run(mut options: RunOptions, out: Option<&Path>, config_path: Option<&Path>, json: bool) -> ExitCode {
    let (config, used) = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    options.out_root = output_root(out, &config, used.as_deref());
    options.config_path = used;
    // Templates are checked before anything is read or issued.
    let renderer = match Renderer::new(&config) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let bar = Bar::new();
    let report = match batch::run(&options, &config, &renderer, &bar) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    for warning in &report.warnings {
        err!("{}", msg!("cli.warning", warning));
    }
    for note in &report.recovery_notes {
        err!("{}", msg!("cli.note", note));
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&summary_json(&report)).expect("serialises"));
    } else {
        let counts = batch::Counts::of(&report);
        print_intake(&options.input, &report.intake, &counts);
        print_batch(&report, &counts);
    }
    if report.rejections().is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
}

/// `run --json` (and `--dry-run --json`): the shape `docs/json/summary.schema.json` names `run`.
fn summary_json(report: &BatchReport) -> serde_json::Value {
    // A batch ID only for a batch that exists: a dry run or a run with nothing to issue made none.
    let made = !report.dry_run && !report.nothing_to_issue;
    serde_json::json!({
        "command": "run",
        "batch_id": made.then_some(&report.batch_id),
        "dir": made.then(|| report.dir.display().to_string()),
        "dry_run": report.dry_run,
        "issue_date": report.issue_date.to_string(),
        "counts": batch::Counts::of(report).to_map(),
        "issued": report.issued,
        "skipped": report.intake.skipped,
        "hidden": report.intake.hidden,
        "rejected": report.rejections(),
        "already_issued": report.already_issued,
        "notes": report.intake.notes,
        "warnings": report.warnings,
        "ledger": report.ledger_path.display().to_string(),
        "nothing_to_issue": report.nothing_to_issue,
        "handoff": report.handoff,
        "sample": report.sample,
    })
}

fn print_batch(report: &BatchReport, counts: &batch::Counts) {
    out!();
    print_already_issued(&report.already_issued);
    print_layout_rejections(&report.render_rejections);
    let ledger = msg!("cli.ledger", path = report.ledger_path.display());
    // Said in every summary: a sample batch, and passwords registered by hand.
    let settings = || {
        if report.sample {
            out!("{}", msg!("cli.summary.sample"));
        }
        if report.handoff == Some(tsuchi::engine::handoff::Outcome::Manual) {
            out!("{}", msg!("cli.summary.handoff_manual", text = tsuchi::engine::handoff::manual()));
        }
    };
    if report.nothing_to_issue {
        out!("{}", msg!("cli.batch.nothing"));
        settings();
        out!("  {ledger}");
        return;
    }
    if report.dry_run {
        out!("{}", msg!("cli.batch.dry_run"));
        print_counts(counts);
        settings();
        out!("  {ledger}");
        return;
    }
    let bytes: usize = report.issued.iter().map(|n| n.bytes).sum();
    out!("{}", msg!("cli.batch.header", batch = report.batch_id, issue_date = report.issue_date));
    print_counts(counts);
    out!("{}", msg!("cli.summary.pdf_size", kb = bytes / 1024));
    out!("{}", msg!("cli.summary.out", path = report.dir.display()));
    let print = Path::new("print");
    out!(
        "{}",
        msg!(
            "cli.summary.print",
            bundle = print.join(format!("{}.pdf", report.batch_id)).display(),
            list = print.join("発送リスト.xlsx").display()
        )
    );
    if counts.zip_separate > 0 {
        out!("{}", msg!("cli.summary.secrets", path = Path::new("secrets").join("開封パスワード一覧.pdf").display()));
    }
    match &report.handoff {
        Some(tsuchi::engine::handoff::Outcome::Written { file, rows, recipients, .. }) => {
            out!("{}", msg!("cli.summary.handoff", keys = recipients.len(), path = file.display(), rows))
        }
        Some(tsuchi::engine::handoff::Outcome::Manual) => {}
        _ => out!("{}", msg!("cli.summary.no_handoff")),
    }
    settings();
    out!("{}", msg!("cli.summary.files"));
    out!("  {ledger}");
}

/// The summary table of a batch, a dry run or `check`: every number from [`batch::Counts`].
fn print_counts(counts: &batch::Counts) {
    let mut rows: Vec<(String, String)> = NoticeKind::ALL
        .iter()
        .map(|k| (capitalized(k.console_label()), msg!("cli.summary.notices", count = counts.of_kind(*k))))
        .collect();
    let (paper, pages) = (counts.paper, counts.print_pages);
    rows.extend([
        (msg!("cli.summary.total"), msg!("cli.summary.notices", count = counts.issued)),
        (msg!("cli.summary.bundle"), msg!("cli.summary.bundle_value", paper, pages)),
        (msg!("cli.summary.zips_login"), msg!("cli.summary.items", count = counts.zip_login)),
        (msg!("cli.summary.zips"), msg!("cli.summary.items", count = counts.zip_separate)),
        (msg!("cli.summary.handoff_rows"), msg!("cli.summary.items", count = counts.handoff_rows)),
        (msg!("cli.summary.rejected"), msg!("cli.summary.rows", count = counts.rejected_rows)),
        (msg!("cli.summary.already_issued"), msg!("cli.summary.items", count = counts.already_issued)),
    ]);
    print_table(&rows);
}

/// A name at the start of a table row: `registration result` → `Registration result`.
fn capitalized(name: String) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// `登録結果 3／再発行 1／…`: the count of each kind, named as the console names kinds.
fn per_kind(count: impl Fn(NoticeKind) -> usize) -> String {
    let each: Vec<String> = NoticeKind::ALL.iter().map(|k| format!("{} {}", k.console_label(), count(*k))).collect();
    each.join(&msg!("cli.kinds_separator"))
}

/// Requests the ledger says were issued, with the batch that issued them (run and check alike).
fn print_already_issued(already_issued: &[tsuchi::engine::plan::AlreadyIssued]) {
    if !already_issued.is_empty() {
        out!("{}", msg!("cli.already.header"));
        for a in already_issued {
            let (request, kind) = (shown(&a.request_id), a.kind.console_label());
            out!("{}", msg!("cli.already.row", row = a.row, request, kind, batch = a.batch_id));
        }
        out!();
    }
}

/// Rows refused while preparing (a value that does not fit the notice), after intake's list.
fn print_layout_rejections(rejections: &[tsuchi::ground::model::Rejection]) {
    for r in rejections {
        out!("{}", msg!("cli.layout_rejection", line = intake::rejection_line(r, shown, shown_long)));
    }
}

/// Width of `s` on a terminal: East Asian wide characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

/// A two-column table framed for a terminal that shows Japanese double-width.
fn print_table(rows: &[(String, String)]) {
    let w0 = rows.iter().map(|(a, _)| display_width(a)).max().unwrap_or(0);
    let w1 = rows.iter().map(|(_, b)| display_width(b)).max().unwrap_or(0);
    let rule = |l: &str, m: &str, r: &str| out!("  {l}{}{m}{}{r}", "─".repeat(w0 + 2), "─".repeat(w1 + 2));
    rule("┌", "┬", "┐");
    for (a, b) in rows {
        let pad_a = " ".repeat(w0 - display_width(a));
        let pad_b = " ".repeat(w1 - display_width(b));
        out!("  │ {a}{pad_a} │ {pad_b}{b} │");
    }
    rule("└", "┴", "┘");
}

fn barcode(postal: &str, address: &str, address2: Option<&str>) -> ExitCode {
    let postal: String = tsuchi::engine::intake::text::normalize_code(postal).chars().filter(|c| *c != '-').collect();
    let table = tsuchi::ground::postal::table();
    let whole = tsuchi::engine::barcode::joined(address, address2);
    if let Ok(split) = tsuchi::engine::barcode::split(table, &postal, &whole) {
        out!("{}", msg!("cli.barcode.address_a", value = split.address_a.trim()));
        out!("{}", msg!("cli.barcode.address_b", value = split.address_b.trim()));
    }
    match tsuchi::engine::barcode::for_address_in(table, &postal, address, address2) {
        Ok(code) => {
            out!("{}", msg!("cli.barcode.postal", value = code.postal()));
            let data = if code.data().is_empty() { msg!("cli.barcode.no_data") } else { code.data().to_string() };
            out!("{}", msg!("cli.barcode.data", value = data));
            let symbols: Vec<String> = code.symbols().iter().map(|s| s.as_str().to_string()).collect();
            out!("{}", msg!("cli.barcode.symbols", value = symbols.join(" ")));
            out!("{}", msg!("cli.barcode.check_digit", value = code.check_digit()));
            out!("{}", msg!("cli.barcode.bars", value = code.bar_string()));
            ExitCode::SUCCESS
        }
        Err(reason) => {
            out!("{}", msg!("cli.barcode.none", reason = reason.reason()));
            out!("{}", msg!("cli.barcode.postal_data", date = table.date()));
            ExitCode::from(EXIT_REJECTED)
        }
    }
}

fn verify(batch: Option<&Path>, out: Option<&Path>, config: Option<&Path>, head: Option<&str>) -> ExitCode {
    let head: Option<tsuchi::engine::audit::ledger::Head> = match head.map(str::parse).transpose() {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    // A folder that holds the ledger is an output root, not a batch: the whole ledger.
    let (batch, out) = match batch {
        Some(b) if b.join(tsuchi::engine::audit::ledger::FILE_NAME).is_file() => (None, Some(b)),
        other => (other, out),
    };
    // A batch ID that names no folder here is looked for under the output root, as `purge` does.
    let batch = match batch {
        Some(b) if !b.is_dir() && b.components().count() == 1 => match root_of(out, config) {
            Ok(root) if root.join(b).is_dir() => Some(root.join(b)),
            Ok(_) => Some(b.to_path_buf()),
            Err(code) => return code,
        },
        other => other.map(Path::to_path_buf),
    };
    let (what, findings) = match batch {
        Some(batch) => match tsuchi::engine::audit::verify::verify(&batch, head.as_ref()) {
            Err(e) => return fail(e),
            Ok(findings) => (batch.display().to_string(), findings),
        },
        None => {
            let root = match root_of(out, config) {
                Ok(root) => root,
                Err(code) => return code,
            };
            match tsuchi::engine::audit::verify::verify_ledger(&root, head.as_ref()) {
                Err(e) => return fail(e),
                Ok(report) => {
                    let ledger = root.join(tsuchi::engine::audit::ledger::FILE_NAME);
                    out!("{}", msg!("cli.verify.ledger", path = ledger.display(), batches = report.batches));
                    if let Some(h) = &report.head {
                        out!("{}", msg!("cli.verify.head", head = h.grouped()));
                    }
                    (msg!("cli.verify.whole", root = root.display()), report.findings)
                }
            }
        }
    };
    let (failures, notes): (Vec<_>, Vec<_>) = findings.iter().partition(|f| f.is_failure());
    list(&notes);
    if failures.is_empty() {
        let also = if head.is_some() { msg!("cli.verify.head_also") } else { String::new() };
        out!("{}", msg!("cli.verify.ok", what, also));
        return ExitCode::SUCCESS;
    }
    out!("{}", msg!("cli.verify.failed", what, count = failures.len()));
    list(&failures);
    ExitCode::from(EXIT_REJECTED)
}

/// The period `audit export` writes: `--from`/`--to`, compared with the date `--by` names.
struct Period {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    by: PeriodBasis,
}

fn audit_export(root: &Path, period: Period, dest: Option<PathBuf>) -> ExitCode {
    let run = || -> Result<(PathBuf, usize, usize, Vec<tsuchi::engine::audit::verify::Finding>), String> {
        let text = |e: tsuchi::engine::audit::ledger::LedgerError| e.to_string();
        let ledger = tsuchi::engine::audit::ledger::Ledger::open_read_only(root)
            .map_err(text)?
            .ok_or_else(|| msg!("cli.export.no_ledger", root = root.display()))?;
        let (from, to) = (period.from.map(|d| d.to_string()), period.to.map(|d| d.to_string()));
        let batches = ledger.batches_by(from.as_deref(), to.as_deref(), period.by).map_err(text)?;
        let mut requests = Vec::new();
        let mut events = Vec::new();
        for b in &batches {
            requests.extend(ledger.requests(&b.id).map_err(text)?.into_iter().map(|r| (b.id.clone(), r)));
            events.extend(ledger.events(Some(&b.id)).map_err(text)?);
        }
        let dest = dest.unwrap_or_else(|| {
            root.join(format!("audit-{}", tsuchi::ground::wareki::now_in_tokyo().format("%Y%m%d-%H%M%S")))
        });
        std::fs::create_dir_all(&dest)
            .map_err(|error| msg!("cli.export.cannot_create", path = dest.display(), error))?;
        let head = ledger.head().map_err(text)?;
        let tagged: Vec<(&str, &tsuchi::engine::audit::ledger::RequestRecord)> =
            requests.iter().map(|(b, r)| (b.as_str(), r)).collect();
        tsuchi::engine::audit::log::write_xlsx(
            &dest.join("監査ログ.xlsx"),
            &batches,
            &tagged,
            events.iter().cloned(),
            head.as_ref(),
        )
        .map_err(|e| e.to_string())?;
        tsuchi::ground::fsutil::write_atomic(&dest.join("events.jsonl"), &tsuchi::engine::audit::log::jsonl(&events))
            .map_err(|error| msg!("cli.export.cannot_write_events", error))?;
        Ok((dest, batches.len(), events.len(), tsuchi::engine::audit::integrity::check(&ledger).map_err(text)?))
    };
    match run() {
        Err(e) => fail(e),
        Ok((dest, batches, events, findings)) => {
            out!("{}", msg!("cli.export.done", path = dest.display(), batches, events));
            let basis = match period.by {
                PeriodBasis::IssueDate => msg!("cli.export.by_issue_date"),
                PeriodBasis::RunDate => msg!("cli.export.by_run_date"),
            };
            let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            out!("{}", msg!("cli.export.period", basis, from = day(period.from), to = day(period.to)));
            if findings.is_empty() {
                out!("{}", msg!("cli.export.ok"));
                return ExitCode::SUCCESS;
            }
            out!("{}", msg!("cli.export.failed", count = findings.len()));
            list(&findings);
            ExitCode::from(EXIT_REJECTED)
        }
    }
}

/// A value from the request list as the terminal shows it: control and bidi characters as
/// `U+XXXX` (an escape sequence in a cell must not clear the screen or fake a summary), and a
/// very long value cut short (the whole of it is in rejected.xlsx).
fn shown(value: &str) -> String {
    const MAX: usize = 120;
    let safe = report::terminal_safe(value);
    match safe.char_indices().nth(MAX) {
        Some((cut, _)) => msg!("cli.cut", kept = &safe[..cut], count = value.chars().count()),
        None => safe,
    }
}

/// Findings of `verify` or `audit export`, one bullet each, whole and terminal-safe.
fn list(findings: &[impl std::fmt::Display]) {
    for f in findings {
        out!("{}", msg!("cli.bullet", item = shown_long(&f.to_string())));
    }
}

/// A finding or message as the terminal shows it, whole.
fn shown_long(value: &str) -> String {
    report::terminal_safe(value)
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    // Made terminal-safe line by line: the line breaks of a message that lists findings are
    // tsuchi's own, not `U+000A`.
    let message = message.to_string();
    let lines: Vec<String> = message.split('\n').map(report::terminal_safe).collect();
    err!("{}", msg!("cli.error", message = lines.join("\n")));
    ExitCode::from(EXIT_FAILED)
}

/// What `tsuchi check` was asked.
struct CheckOptions {
    requests: PathBuf,
    sheet: Option<String>,
    include_hidden: bool,
    out: PathBuf,
    ledger: PathBuf,
    new_ledger: bool,
    date: Option<NaiveDate>,
    allow_date: bool,
    json: bool,
    reissue: Vec<String>,
    /// The config file in use, for the messages.
    config: Option<PathBuf>,
}

/// `check` prepares the batch exactly as `run` would, with specimen secrets, and writes only
/// its reports: its verdict on every row is `run`'s.
fn check(options: &CheckOptions, config: &Config) -> ExitCode {
    // Its reports go beside a batch's sealed ones by name (rejected.xlsx/.csv): never into one.
    if let Some(batch) = tsuchi::engine::home::batch_or_ledger_at(&options.out) {
        return fail(msg!("cli.check.out_is_a_batch", out = options.out.display(), batch = batch.display()));
    }
    let renderer = match Renderer::new(config) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    // The ledger `run` would use, refused where it is damaged; a second ledger is only said.
    let registry = tsuchi::engine::home::registry().filter(|_| !config.sample);
    let (ledger, second_ledger) =
        match tsuchi::engine::home::consulted_ledger(&options.ledger, registry.as_deref(), options.new_ledger) {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
    let intake = match intake::read(
        &options.requests,
        &ReadOptions { sheet: options.sheet.clone(), include_hidden: options.include_hidden },
    ) {
        Ok(intake) => intake,
        Err(e) => return fail(e),
    };
    let issue_date = match batch::issue_date(options.date, config, options.allow_date) {
        Ok(d) => d.date,
        Err(e) => return fail(e),
    };
    let input = PlanInput {
        intake: &intake,
        ledger: ledger.as_ref(),
        reissue: &options.reissue,
        issue_date,
        secrets: SecretSource::Specimen,
    };
    let plan = match plan::prepare(&input, config, &renderer) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let rejections = plan::refused(&intake, &plan.rejections);
    let counts = batch::Counts::planned(&intake, &plan, config);
    if options.json {
        // `run --json`'s shape (`docs/json/summary.schema.json`, `check`): what `run` would issue.
        let openings = tsuchi::engine::pack::policy::openings(&plan.notices, config);
        let issued: Vec<batch::IssuedNotice> =
            plan.notices.iter().zip(openings).map(|(n, o)| batch::planned(n, o)).collect();
        let summary = serde_json::json!({
            "command": "check",
            "batch_id": null,
            "issue_date": issue_date.to_string(),
            "counts": counts.to_map(),
            "issued": issued,
            "skipped": intake.skipped,
            "hidden": intake.hidden,
            "rejected": rejections,
            "already_issued": plan.already_issued,
            "notes": intake.notes,
            "ledger": options.ledger.join(tsuchi::engine::audit::ledger::FILE_NAME).display().to_string(),
            "run_would_refuse": second_ledger.iter().chain(&config.not_ready(options.config.as_deref())).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
    } else {
        print_intake(&options.requests, &intake, &counts);
        print_layout_rejections(&plan.rejections);
        out!();
        print_already_issued(&plan.already_issued);
        out!("{}", msg!("cli.check.would_issue", count = counts.issued, already = counts.already_issued));
        print_counts(&counts);
        out!();
        out!("{}", msg!("cli.check.password_rules"));
        for (name, policy) in [
            (msg!("cli.check.temp_password"), &config.passwords.temp),
            (msg!("cli.check.cert_password"), &config.passwords.cert),
            (msg!("cli.check.zip_password"), &config.passwords.zip),
        ] {
            let (length, alphabet, bits) =
                (policy.length, policy.alphabet().len(), format!("{:.1}", policy.entropy_bits()));
            out!("{}", msg!("cli.check.policy", name, length, alphabet, bits));
            if policy.symbols {
                out!("{}", msg!("cli.check.symbols", symbols = policy.symbols()));
            }
        }
    }
    let xlsx = options.out.join("rejected.xlsx");
    let csv = options.out.join("rejected.csv");
    // Every row that would not be issued, as `run` lists it.
    let not_issued = plan::not_issued(&intake, &plan.rejections, &plan.already_issued);
    if let Err(e) =
        report::write_rejected_xlsx(&xlsx, &not_issued).and_then(|()| report::write_rejected_csv(&csv, &not_issued))
    {
        return fail(e);
    }
    if !options.json {
        out!();
        out!("{}", msg!("cli.check.rejected_lists", xlsx = xlsx.display(), csv = csv.display()));
        let ledger_file = options.ledger.join(tsuchi::engine::audit::ledger::FILE_NAME);
        match ledger_file.exists() {
            true => out!("{}", msg!("cli.check.consulted", path = ledger_file.display())),
            false => out!("{}", msg!("cli.check.no_ledger_yet", path = ledger_file.display())),
        }
        // What `run` would refuse, said before it does.
        for problem in second_ledger.iter().chain(&config.not_ready(options.config.as_deref())) {
            out!("{}", msg!("cli.check.run_would_refuse", problem = shown_long(problem)));
        }
    }
    if rejections.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
}

/// The list as read: its rows and what becomes of them, the numbers from [`batch::Counts`].
fn print_intake(path: &Path, intake: &Intake, counts: &batch::Counts) {
    out!("{}", msg!("cli.intake.list", path = path.display()));
    out!("{}", msg!("cli.intake.rows", count = counts.rows));
    let per_kind = per_kind(|k| counts.of_kind(k));
    out!("{}", msg!("cli.intake.to_issue", count = counts.issued, per_kind));
    out!("{}", msg!("cli.intake.already", count = counts.already_issued));
    out!("{}", msg!("cli.intake.skipped", count = counts.skipped));
    if counts.hidden > 0 {
        out!("{}", msg!("cli.intake.hidden", count = counts.hidden));
    }
    out!("{}", msg!("cli.intake.rejected", rows = counts.rejected_rows, problems = counts.rejections));
    if !intake.rejections.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.rejections_header"));
        for r in &intake.rejections {
            out!("  {}", intake::rejection_line(r, shown, shown_long));
        }
    }
    if !intake.skipped.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.skipped_header"));
        for s in &intake.skipped {
            let (request, office, status) = (shown(&s.request_id), shown(&s.office_no), shown(&s.status));
            out!("{}", msg!("cli.intake.skipped_row", row = s.row, request, office, status));
        }
    }
    if !intake.notes.is_empty() {
        out!();
        out!("{}", msg!("cli.intake.notes_header"));
        for n in &intake.notes {
            out!("  {}", intake::note_line(n, shown, shown_long));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsuchi::ground::i18n::with_lang;

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
