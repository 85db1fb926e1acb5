//! The command line as clap reads it. Its help, in the language of `--lang`, comes from the
//! catalogue (see [`super::help`]).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::engine::audit::ledger::PeriodBasis;
use crate::ground::i18n::Lang;
use crate::msg;

/// The command line. Its help, in the language of `--lang`, is in the catalogue
/// (`templates/messages/cli.toml`, `[help.<command>.<argument>]`), applied by [`super::help::localized`].
#[derive(Parser)]
#[command(name = "tsuchi", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[arg(long, global = true, value_name = "CSV")]
    pub postal_data: Option<PathBuf>,
    #[arg(long, global = true, value_name = "ja|en", value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

#[derive(Subcommand)]
pub enum Command {
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
        #[arg(long)]
        json: bool,
    },
    Verify {
        batch: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long, value_name = "COUNT:HASH")]
        head: Option<String>,
        #[arg(long)]
        json: bool,
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
    Spoil {
        #[arg(value_name = "CONTROL_NUMBER")]
        control: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
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
        #[arg(long)]
        json: bool,
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
        #[arg(long)]
        json: bool,
    },
    Ledgers {
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    Init {
        #[arg(default_value = "tsuchi.toml")]
        path: PathBuf,
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
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
    // The browser face (`crate::web`).
    Serve {
        #[arg(long)]
        no_open: bool,
        #[arg(long)]
        port: Option<u16>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum MailCommand {
    Scan {
        #[arg(long, value_name = "BATCH_ID")]
        batch: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
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
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
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
        #[arg(long)]
        json: bool,
    },
}

pub fn parse_period_basis(value: &str) -> Result<PeriodBasis, String> {
    match value {
        "issue-date" => Ok(PeriodBasis::IssueDate),
        "run-date" => Ok(PeriodBasis::RunDate),
        _ => Err(msg!("cli.export.by_invalid", value)),
    }
}

pub fn parse_lang(value: &str) -> Result<Lang, String> {
    Lang::parse(value).ok_or_else(|| msg!("cli.lang_invalid", value))
}

/// The language to speak, read before clap so that its own messages can follow it:
/// `--lang X` / `--lang=X` anywhere on the line, else `TSUCHI_LANG`, else Japanese.
pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| msg!("cli.date_invalid", value))
}

/// The language to speak, read before clap so that its own messages can follow it:
/// `--lang X` / `--lang=X` anywhere on the line, else `TSUCHI_LANG`, else Japanese.
pub fn requested_lang() -> Lang {
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
