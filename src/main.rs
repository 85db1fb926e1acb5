//! The `tsuchi` command: wires the stages together and prints. No business rules live here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use chrono::NaiveDate;
use tsuchi::batch::{self, BatchReport, RunOptions};
use tsuchi::config::{self, Config};
use tsuchi::intake::{self, Intake, NoticeKind, ReadOptions};
use tsuchi::render::Renderer;
use tsuchi::report;

/// tsuchi（通知）: 電子請求受付システムのログイン情報を発行し、通知書を作成します。
#[derive(Parser)]
#[command(name = "tsuchi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 申請一覧からパスワードを発行し、通知書（PDF）を作成します。
    Run {
        /// 申請一覧（.xlsx / .xlsm / .xls / .ods / .csv）
        requests: PathBuf,
        /// 設定ファイル（省略時はカレントフォルダの tsuchi.toml、なければ既定値）
        #[arg(long)]
        config: Option<PathBuf>,
        /// 出力先のフォルダ（この下にバッチごとのフォルダを作ります）
        #[arg(long, default_value = "output")]
        out: PathBuf,
        /// 発行日（YYYY-MM-DD）。省略時は設定ファイル、なければ今日（日本時間）
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// 何も書き出さず、発行されるものだけを表示します
        #[arg(long)]
        dry_run: bool,
        /// 読むシート名（省略時は先頭のシート）
        #[arg(long)]
        sheet: Option<String>,
    },
    /// コメント付きの設定ファイル tsuchi.toml を作ります。
    Init {
        /// 書き出す先
        #[arg(default_value = "tsuchi.toml")]
        path: PathBuf,
        /// 既にあっても上書きします
        #[arg(long)]
        force: bool,
    },
    /// 申請一覧を検査だけします（発行・印刷はしません）。差戻し一覧を書き出します。
    Check {
        /// 申請一覧（.xlsx / .xlsm / .xls / .ods / .csv）
        requests: PathBuf,
        /// 読むシート名（省略時は先頭のシート）
        #[arg(long)]
        sheet: Option<String>,
        /// 差戻し一覧（rejected.xlsx / rejected.csv）を書き出すフォルダ
        #[arg(long, default_value = "output/check")]
        out: PathBuf,
        /// 設定ファイル（パスワードの規則の表示に使います）
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("日付「{s}」は YYYY-MM-DD で指定してください"))
}

/// Exit codes: 0 every row fine, 1 some rows rejected, 2 the job could not be done.
const EXIT_REJECTED: u8 = 1;
const EXIT_FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            requests,
            sheet,
            out,
            config,
        } => match load_config(config.as_deref()) {
            Ok(config) => check(&requests, sheet, &out, &config),
            Err(e) => fail(e),
        },
        Command::Run {
            requests,
            config,
            out,
            date,
            dry_run,
            sheet,
        } => {
            let options = RunOptions {
                input: requests,
                sheet,
                out_root: out,
                issue_date: date,
                dry_run,
            };
            run(&options, config.as_deref())
        }
        Command::Init { path, force } => init(&path, force),
    }
}

/// `--config` if given, else `./tsuchi.toml` if present, else the defaults.
fn load_config(path: Option<&Path>) -> Result<Config, config::ConfigError> {
    let default = Path::new("tsuchi.toml");
    match path {
        Some(p) => Config::load(Some(p)),
        None if default.exists() => Config::load(Some(default)),
        None => Config::load(None),
    }
}

fn init(path: &Path, force: bool) -> ExitCode {
    if path.exists() && !force {
        return fail(format!(
            "「{}」は既にあります。上書きするときは --force を付けてください",
            path.display()
        ));
    }
    if let Err(e) = tsuchi::fsutil::write_atomic(path, config::DEFAULT_TOML.as_bytes()) {
        return fail(format!("「{}」を書き込めません：{e}", path.display()));
    }
    println!(
        "設定ファイル「{}」を作りました。発行者名などを書き換えてください。",
        path.display()
    );
    ExitCode::SUCCESS
}

fn run(options: &RunOptions, config_path: Option<&Path>) -> ExitCode {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // Templates are checked before anything is read or issued.
    let renderer = match Renderer::new(&config) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let report = match batch::run(options, &config, &renderer) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print_intake(&options.input, &report.intake);
    print_batch(&report);
    if report.rejections().is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REJECTED)
    }
}

fn print_batch(report: &BatchReport) {
    println!();
    for r in &report.render_rejections {
        println!(
            "  差戻し（レイアウト） {}行目 値「{}」：{}",
            r.row, r.value, r.reason
        );
    }
    let per_kind: Vec<String> = NoticeKind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                k,
                report.issued.iter().filter(|n| n.kind == *k).count()
            )
        })
        .collect();
    if report.dry_run {
        println!("■ 試行（--dry-run）：何も書き出していません");
        println!(
            "  発行される通知書：{}件（{}）",
            report.issued.len(),
            per_kind.join("／")
        );
        return;
    }
    let bytes: usize = report.issued.iter().map(|n| n.bytes).sum();
    println!(
        "■ バッチ {}（発行日 {}）",
        report.batch_id, report.issue_date
    );
    println!(
        "  作成した通知書：{}件（{}）、計 {} KB",
        report.issued.len(),
        per_kind.join("／"),
        bytes / 1024
    );
    println!("  出力先：{}", report.dir.display());
    println!(
        "  差戻し一覧：{}",
        report.dir.join("rejected.xlsx").display()
    );
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("エラー：{message}");
    ExitCode::from(EXIT_FAILED)
}

fn check(requests: &Path, sheet: Option<String>, out: &Path, config: &Config) -> ExitCode {
    let intake = match intake::read(requests, &ReadOptions { sheet }) {
        Ok(intake) => intake,
        Err(e) => return fail(e),
    };
    print_intake(requests, &intake);
    println!();
    println!("■ パスワードの規則");
    for (name, policy) in [
        ("仮パスワード", &config.passwords.temp),
        ("証明書発行用パスワード", &config.passwords.cert),
    ] {
        println!(
            "  {name}：{}文字、使う文字 {}種類、強さ 約{:.1}ビット",
            policy.length,
            policy.alphabet().len(),
            policy.entropy_bits()
        );
    }
    let xlsx = out.join("rejected.xlsx");
    let csv = out.join("rejected.csv");
    if let Err(e) = report::write_rejected_xlsx(&xlsx, &intake.rejections)
        .and_then(|()| report::write_rejected_csv(&csv, &intake.rejections))
    {
        return fail(e);
    }
    println!();
    println!("差戻し一覧：{}、{}", xlsx.display(), csv.display());
    if intake.rejections.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_REJECTED)
    }
}

fn print_intake(path: &Path, intake: &Intake) {
    println!("申請一覧：{}", path.display());
    println!("データ行：{}行", intake.data_rows);
    let per_kind: Vec<String> = NoticeKind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                k,
                intake.requests.iter().filter(|r| r.kind == *k).count()
            )
        })
        .collect();
    println!(
        "  発行対象　　：{}件（{}）",
        intake.requests.len(),
        per_kind.join("／")
    );
    println!("  承認以外　　：{}件（発行しません）", intake.skipped.len());
    println!(
        "  差戻し　　　：{}行（問題 {}件）",
        intake.rejected_rows(),
        intake.rejections.len()
    );
    if !intake.rejections.is_empty() {
        println!();
        println!("■ 差戻し（直して再実行してください）");
        for r in &intake.rejections {
            let letter = r
                .column_letter
                .as_deref()
                .map(|l| format!("{l}列"))
                .unwrap_or_default();
            println!(
                "  {}行目 {letter}「{}」 値「{}」：{}",
                r.row, r.column, r.value, r.reason
            );
        }
    }
    if !intake.skipped.is_empty() {
        println!();
        println!("■ 審査結果が承認でないため発行しない行");
        for s in &intake.skipped {
            println!(
                "  {}行目 申請番号「{}」 事業所番号「{}」：審査結果「{}」",
                s.row, s.request_id, s.office_no, s.status
            );
        }
    }
    if !intake.notes.is_empty() {
        println!();
        println!("■ 確認事項（発行は止めません）");
        for n in &intake.notes {
            let place = match (n.row, &n.column) {
                (Some(row), Some(col)) => format!("{row}行目「{col}」："),
                (Some(row), None) => format!("{row}行目："),
                _ => String::new(),
            };
            println!("  {place}{}", n.message);
        }
    }
}
