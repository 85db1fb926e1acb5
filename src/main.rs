//! The `tsuchi` command: wires the stages together and prints. No business rules live here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tsuchi::intake::{self, Intake, NoticeKind, ReadOptions};
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
    },
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
        } => check(&requests, sheet, &out),
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("エラー：{message}");
    ExitCode::from(EXIT_FAILED)
}

fn check(requests: &Path, sheet: Option<String>, out: &Path) -> ExitCode {
    let intake = match intake::read(requests, &ReadOptions { sheet }) {
        Ok(intake) => intake,
        Err(e) => return fail(e),
    };
    print_intake(requests, &intake);
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
