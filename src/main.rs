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
use tsuchi::batch::{self, BatchReport, Progress, RunOptions};
use tsuchi::config::{self, Config};
use tsuchi::i18n::Lang;
use tsuchi::intake::{self, Intake, NoticeKind, ReadOptions};
use tsuchi::pack::policy::ZipOpening;
use tsuchi::plan::{self, PlanInput, SecretSource};
use tsuchi::render::Renderer;
use tsuchi::report;

/// tsuchi（通知）: 電子請求受付システムのログイン情報を発行し、通知書を作成します。
#[derive(Parser)]
#[command(name = "tsuchi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// 組み込みの郵便番号データの代わりに使う日本郵便の utf_ken_all.csv（tsuchi.toml の [postal] data より優先）
    #[arg(long, global = true, value_name = "CSV")]
    postal_data: Option<PathBuf>,
    /// 画面とレポートの言語：ja（既定）か en。通知書は常に日本語です（環境変数 TSUCHI_LANG でも指定できます）
    #[arg(long, global = true, value_name = "ja|en", value_parser = parse_lang)]
    lang: Option<Lang>,
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
        /// 出力先のフォルダ（台帳とバッチごとのフォルダ）。省略時は tsuchi.toml の [output] root、なければ ./output
        #[arg(long)]
        out: Option<PathBuf>,
        /// 別の台帳にバッチがあっても、この出力先で新しい台帳を始めます
        #[arg(long)]
        new_ledger: bool,
        /// 発行日（YYYY-MM-DD）。省略時は設定ファイル、なければ今日（日本時間）
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// 何も書き出さず、発行されるものだけを表示します
        #[arg(long)]
        dry_run: bool,
        /// 読むシート名（省略時は表示中のシート）
        #[arg(long)]
        sheet: Option<String>,
        /// 非表示の行・フィルターで隠れた行も発行します
        #[arg(long)]
        include_hidden: bool,
        /// 結果を JSON で標準出力に書きます（機械処理用）
        #[arg(long)]
        json: bool,
        /// 発行済みの申請番号をもう一度発行します（複数指定可。--reason が必要）
        #[arg(long = "reissue", value_name = "申請番号")]
        reissue: Vec<String>,
        /// --reissue の理由（台帳に記録します）
        #[arg(long)]
        reason: Option<String>,
    },
    /// 住所1件のカスタマバーコード（住所表示番号・チェックデジット・バー）を表示します。
    Barcode {
        /// 郵便番号（NNN-NNNN または7桁）
        postal: String,
        /// 住所（町域の後の部分だけでも可）
        address: String,
        /// 番地・住所2（別の列で持っているとき）
        #[arg(long)]
        address2: Option<String>,
    },
    /// 監査：台帳のすべての行とイベントの連鎖、バッチのファイルのハッシュを確かめ、違いをすべて表示します。
    Verify {
        /// バッチのフォルダ（例：output/20260110-093000）。省略時は台帳全体とすべてのバッチ
        batch: Option<PathBuf>,
        /// 出力先のフォルダ（台帳 ledger.sqlite がある所）。省略時は run と同じ
        #[arg(long)]
        out: Option<PathBuf>,
        /// 紙の控え（印刷束の表紙・監査ログ）の連鎖の先頭「件数:ハッシュ」から台帳が続いていることも確かめます
        #[arg(long, value_name = "件数:ハッシュ")]
        head: Option<String>,
    },
    /// 郵送の記録：書留番号の取り込み（import）と返戻（returned）
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
    /// 通知書の経過（発行・印刷束・発送・返戻・再発行・廃棄）を表示します
    Status {
        /// 申請番号・事業所番号・ユーザID・管理番号
        key: Option<String>,
        /// バッチの発送状況の集計
        #[arg(long, value_name = "バッチID")]
        batch: Option<String>,
        /// 結果を JSON で標準出力に書きます
        #[arg(long)]
        json: bool,
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// 発送後、パスワードが載った・パスワードで開くファイル（通知書・印刷束・開封パスワード一覧・ZIP）を消去します
    Purge {
        /// バッチのフォルダ（例：output/20260110-093000）またはバッチID（--out の下）
        batch: PathBuf,
        /// 出力先のフォルダ（バッチIDで指定するとき）。省略時は run と同じ
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        /// 発送も返戻も記録されていない通知書があっても消去します（--reason が必要）
        #[arg(long)]
        force: bool,
        /// --force の理由（台帳に記録します）
        #[arg(long)]
        reason: Option<String>,
    },
    /// 監査ログ（監査ログ.xlsx と events.jsonl）を期間を指定して台帳から書き出します。
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// 封筒の窓合わせ用紙（宛名の位置・折り線・mm 目盛り）の PDF を作ります。
    Calibrate {
        /// 設定ファイル（address_offset_mm を反映します）
        #[arg(long)]
        config: Option<PathBuf>,
        /// 書き出す PDF
        #[arg(long, default_value = "output/calibrate.pdf")]
        out: PathBuf,
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
        /// 読むシート名（省略時は表示中のシート）
        #[arg(long)]
        sheet: Option<String>,
        /// 非表示の行・フィルターで隠れた行も発行対象として検査します
        #[arg(long)]
        include_hidden: bool,
        /// 差戻し一覧（rejected.xlsx / rejected.csv）を書き出すフォルダ（省略時は <出力先>/check）
        #[arg(long)]
        out: Option<PathBuf>,
        /// 設定ファイル（run と同じ設定で検査します）
        #[arg(long)]
        config: Option<PathBuf>,
        /// run の出力先（台帳 ledger.sqlite があれば、発行済みの申請を調べます）。省略時は run と同じ
        #[arg(long)]
        ledger: Option<PathBuf>,
        /// run --new-ledger と同じ：新しい台帳で発行するものとして検査します
        #[arg(long)]
        new_ledger: bool,
        /// 発行日（YYYY-MM-DD）。run と同じ日付で検査します
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
        /// 結果を JSON で標準出力に書きます（run --json と同じ形）
        #[arg(long)]
        json: bool,
        /// run --reissue と同じ：発行済みの申請番号をもう一度発行するものとして検査します
        #[arg(long = "reissue", value_name = "申請番号")]
        reissue: Vec<String>,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// 発送室が書留番号（と発送日）を記入した発送リスト.xlsx を読み、発送を台帳に記録します
    Import {
        /// 記入済みの 発送リスト.xlsx
        list: PathBuf,
        /// 出力先のフォルダ（台帳 ledger.sqlite がある所）。省略時は run と同じ
        #[arg(long)]
        out: Option<PathBuf>,
        /// 設定ファイル（[output] root を使うとき）
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// 返戻（宛所不明・受取拒否など）を台帳に記録します
    Returned {
        /// 管理番号（バッチID-連番）または申請番号
        key: String,
        /// 返戻の理由
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
    /// 期間の監査ログを書き出します
    Export {
        /// 出力先のフォルダ（台帳 ledger.sqlite がある所）。省略時は run と同じ
        #[arg(long)]
        out: Option<PathBuf>,
        /// この日から（YYYY-MM-DD、バッチの開始日）
        #[arg(long, value_parser = parse_date)]
        from: Option<NaiveDate>,
        /// この日まで（YYYY-MM-DD）
        #[arg(long, value_parser = parse_date)]
        to: Option<NaiveDate>,
        /// 書き出すフォルダ（省略時は <出力先>/audit-<日時>）
        #[arg(long)]
        dest: Option<PathBuf>,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("--lang は ja か en です（「{s}」） / --lang takes ja or en (\"{s}\")"))
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

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("日付「{s}」は YYYY-MM-DD で指定してください"))
}

/// Exit codes: 0 every row fine, 1 some rows rejected, 2 the job could not be done.
const EXIT_REJECTED: u8 = 1;
const EXIT_FAILED: u8 = 2;

fn main() -> ExitCode {
    tsuchi::i18n::set_lang(requested_lang());
    if let Some(dropped) = dropped_file() {
        return checked_and_waited(&dropped);
    }
    // The version names the embedded postal data's date (a newer file is named in each manifest).
    let version = format!("{}（郵便番号データ {}）", env!("CARGO_PKG_VERSION"), tsuchi::postal::embedded_date());
    let matches = Cli::command().version(&*Box::leak(version.into_boxed_str())).get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(data) = &cli.postal_data
        && let Err(e) = tsuchi::postal::use_file(data, None)
    {
        return fail(e);
    }
    match cli.command {
        Command::Check { requests, sheet, include_hidden, out, config, ledger, new_ledger, date, json, reissue } => {
            match load_config(config.as_deref()) {
                Ok((config, used)) => {
                    let ledger = output_root(ledger.as_deref(), &config, used.as_deref());
                    let out = out.unwrap_or_else(|| ledger.join("check"));
                    let options =
                        CheckOptions { requests, sheet, include_hidden, out, ledger, new_ledger, date, json, reissue };
                    check(&options, &config)
                }
                Err(e) => fail(e),
            }
        }
        Command::Run {
            requests,
            config,
            out,
            new_ledger,
            date,
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
                dry_run,
                reissue,
                reissue_reason: reason,
                new_ledger,
                registry: tsuchi::home::registry(),
            };
            run(options, out.as_deref(), config.as_deref(), json)
        }
        Command::Verify { batch, out, head } => verify(batch.as_deref(), out.as_deref(), head.as_deref()),
        Command::Barcode { postal, address, address2 } => barcode(&postal, &address, address2.as_deref()),
        Command::Audit { command: AuditCommand::Export { out, from, to, dest } } => match load_config(None) {
            Ok((config, used)) => audit_export(&output_root(out.as_deref(), &config, used.as_deref()), from, to, dest),
            Err(e) => fail(e),
        },
        Command::Calibrate { config, out } => calibrate(config.as_deref(), &out),
        Command::Init { path, force } => init(&path, force),
        Command::Mail { command } => mail(command),
        Command::Status { key, batch, json, out, config } => match root_of(out.as_deref(), config.as_deref()) {
            Ok(root) => status(&root, key.as_deref(), batch.as_deref(), json),
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
    use tsuchi::lifecycle;
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
        MailCommand::Import { list, .. } => match lifecycle::import(&mut ledger, &list) {
            Err(e) => fail(e),
            Ok(r) => {
                out!("発送リスト：{}", list.display());
                out!("  記録した発送：{}通", r.recorded.len());
                for (control, registered) in &r.recorded {
                    out!("    {control}　書留番号 {}", shown(registered));
                }
                out!("  記録済み（変更なし）：{}通　書留番号が空欄（未発送）：{}通", r.unchanged, r.not_yet);
                for (row, control) in &r.unmatched {
                    out!("  {row}行目：管理番号「{}」は台帳にありません（記録しません）", shown(control));
                }
                for (row, control, was, now) in &r.changed {
                    out!(
                        "  {row}行目：管理番号 {control} は前回 {} で記録済みです。今回の {} は記録しません",
                        shown(was),
                        shown(now)
                    );
                }
                for (row, message) in &r.invalid {
                    out!("  {row}行目：{}（記録しません）", shown(message));
                }
                out!("台帳：{}", ledger.path().display());
                let problems = r.unmatched.len() + r.changed.len() + r.invalid.len();
                if problems == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
            }
        },
        MailCommand::Returned { key, reason, .. } => match lifecycle::returned(&mut ledger, &key, &reason) {
            Err(e) => fail(e),
            Ok((batch, notice)) => {
                out!(
                    "返戻を記録しました：バッチ {batch} 管理番号 {} 申請番号 {} 事業所番号 {}（{}）",
                    notice.control_no.as_deref().unwrap_or("-"),
                    notice.request_id,
                    notice.office_no,
                    shown(&reason)
                );
                ExitCode::SUCCESS
            }
        },
    }
}

fn status(root: &Path, key: Option<&str>, batch: Option<&str>, json: bool) -> ExitCode {
    use tsuchi::lifecycle::{self, Step};
    let ledger = match tsuchi::ledger::Ledger::open_read_only(root) {
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
                out!(
                    "バッチ {}：郵送 {}通（発送 {}・返戻 {}・未発送 {}）、電子送付 {}通{}",
                    s.batch,
                    s.paper,
                    s.sent,
                    s.returned,
                    s.not_yet_sent.len(),
                    s.electronic,
                    if s.purged { "、廃棄済み" } else { "" }
                );
                if !s.not_yet_sent.is_empty() {
                    out!("  未発送：{}", s.not_yet_sent.join("、"));
                }
                ExitCode::SUCCESS
            }
        };
    }
    let Some(key) = key else {
        return fail("申請番号・事業所番号・ユーザID・管理番号か、--batch バッチID を指定してください");
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
        out!("「{}」に当たる通知書は台帳にありません", shown(key));
        return ExitCode::from(EXIT_REJECTED);
    }
    for life in found {
        let n = &life.notice;
        let kind = NoticeKind::from_alias(&n.kind).map(|k| k.label()).unwrap_or("?");
        out!("■ 申請番号 {} {kind} 事業所番号 {}", n.request_id, n.office_no);
        for (at, step) in &life.steps {
            let what = match step {
                Step::Issued { batch, issue_date, operator } => {
                    format!("発行　　バッチ {batch}（発行日 {issue_date}、実行者 {operator}）")
                }
                Step::Bundled { control_no } => format!("印刷束　管理番号 {control_no}"),
                Step::Sent { registered_no, sent_on } => match sent_on {
                    Some(d) => format!("発送　　書留番号 {registered_no}（発送日 {d}）"),
                    None => format!("発送　　書留番号 {registered_no}"),
                },
                Step::Returned { reason, operator } => format!("返戻　　{reason}（記録 {operator}）"),
                Step::Reissued { batch } => format!("再発行　バッチ {batch} で発行し直しました"),
                Step::Purged { operator } => format!("廃棄　　パスワードの載ったファイルを消去（{operator}）"),
            };
            out!("  {at}　{}", shown_long(&what));
        }
    }
    ExitCode::SUCCESS
}

fn purge(batch: &Path, force: bool, reason: Option<&str>) -> ExitCode {
    use tsuchi::lifecycle;
    if force && reason.is_none_or(|r| r.trim().is_empty()) {
        return fail("--force には --reason で理由を付けてください（台帳に記録します）");
    }
    let dir = tsuchi::home::absolute(batch);
    if !dir.is_dir() {
        return fail(format!("バッチのフォルダ「{}」が見つかりません", batch.display()));
    }
    let root = dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut ledger = match lifecycle::open(&root) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    match lifecycle::purge(&mut ledger, &dir, if force { reason } else { None }) {
        Err(e) => fail(e),
        Ok(p) => {
            out!(
                "バッチ {}：パスワードが載った・パスワードで開くファイルを {}件消去しました{}",
                p.batch,
                p.files.len(),
                if p.forced { "（未発送の通知書あり・理由を記録）" } else { "" }
            );
            out!(
                "  上書きしてから削除しています。SSD やコピーオンライトのファイルシステムでは元のデータが残ることがあります。"
            );
            out!(
                "  監査用の記録（監査ログ・manifest・台帳）と発送リストは残ります。tsuchi verify は消去したファイルを「廃棄済み」と表示します。"
            );
            ExitCode::SUCCESS
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
        && !tsuchi::postal::loaded_from_file()
    {
        let dir = path.as_deref().and_then(Path::parent).unwrap_or(Path::new(""));
        let offices = config.postal.offices.as_ref().map(|o| dir.join(o));
        tsuchi::postal::use_file(&dir.join(data), offices.as_deref())?;
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
                json: false,
                reissue: Vec::new(),
            };
            check(&options, &config)
        }
        Err(e) => fail(e),
    };
    out!();
    out!("Enter キーを押すと閉じます。");
    let _ = std::io::stdin().read_line(&mut String::new());
    code
}

/// The output root (ledger and batches): `--out`, else `[output] root`, else `./output`.
fn output_root(cli: Option<&Path>, config: &Config, config_path: Option<&Path>) -> PathBuf {
    tsuchi::home::output_root(cli, config.output.root.as_deref(), config_path)
}

fn init(path: &Path, force: bool) -> ExitCode {
    if path.exists() && !force {
        return fail(format!("「{}」は既にあります。上書きするときは --force を付けてください", path.display()));
    }
    if let Err(e) = tsuchi::fsutil::write_atomic(path, config::DEFAULT_TOML.as_bytes()) {
        return fail(format!("「{}」を書き込めません：{e}", path.display()));
    }
    out!("設定ファイル「{}」を作りました。発行者名などを書き換えてください。", path.display());
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
        let meta = tsuchi::render::pdf::Meta {
            title: "封筒の窓合わせ用紙",
            author: &config.issuer.name,
            subject: "長形3号 窓付き封筒の宛名位置の確認",
            created: batch::now_in_tokyo(),
        };
        Ok(tsuchi::render::pdf::write(&[frame], &meta, &fonts))
    });
    let bytes = match result {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    if let Err(e) = tsuchi::fsutil::write_atomic(out, &bytes) {
        return fail(format!("「{}」を書き込めません：{e}", out.display()));
    }
    let [dx, dy] = config.layout.address_offset_mm;
    out!("窓合わせ用紙：{}（現在の調整値 右へ {dx:+.1} mm、下へ {dy:+.1} mm）", out.display());
    out!("実際のサイズ（100%）で印刷し、三つ折りにして封筒に入れて確かめてください。");
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
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 通 {per_sec} 残り {eta}")
                .expect("valid template"),
        );
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
        err!("警告：{warning}");
    }
    for note in &report.recovery_notes {
        err!("お知らせ：{note}");
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&summary_json(&report)).expect("serialises"));
    } else {
        print_intake(&options.input, &report.intake);
        print_batch(&report);
    }
    if report.rejections().is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
}

fn summary_json(report: &BatchReport) -> serde_json::Value {
    serde_json::json!({
        "batch_id": report.batch_id,
        "dir": (!report.dry_run && !report.nothing_to_issue).then(|| report.dir.display().to_string()),
        "dry_run": report.dry_run,
        "issue_date": report.issue_date.to_string(),
        "counts": batch::counts(report),
        "issued": report.issued,
        "skipped": report.intake.skipped,
        "hidden": report.intake.hidden,
        "rejected": report.rejections(),
        "notes": report.intake.notes,
        "warnings": report.warnings,
        "ledger": report.ledger_path.display().to_string(),
        "nothing_to_issue": report.nothing_to_issue,
        "handoff": report.handoff,
    })
}

fn print_batch(report: &BatchReport) {
    out!();
    print_already_issued(&report.already_issued);
    print_layout_rejections(&report.render_rejections);
    let count = |k: NoticeKind| report.issued.iter().filter(|n| n.kind == k).count();
    if report.dry_run {
        out!("■ 試行（--dry-run）：何も書き出していません");
        let per_kind: Vec<String> = NoticeKind::ALL.iter().map(|k| format!("{k} {}", count(*k))).collect();
        out!("  発行される通知書：{}件（{}）", report.issued.len(), per_kind.join("／"));
        out!("  台帳：{}", report.ledger_path.display());
        return;
    }
    if report.nothing_to_issue {
        out!("■ 発行するものはありません（バッチは作りませんでした）");
        out!("  台帳：{}", report.ledger_path.display());
        return;
    }
    let zips_separate = report.issued.iter().filter(|n| n.zip_opening == ZipOpening::Separate).count();
    let paper = report.issued.iter().filter(|n| n.control_no.is_some()).count();
    let bytes: usize = report.issued.iter().map(|n| n.bytes).sum();
    out!("■ バッチ {}（発行日 {}）", report.batch_id, report.issue_date);
    let rejected_rows = intake::distinct_rows(&report.rejections());
    let mut rows: Vec<(String, String)> =
        NoticeKind::ALL.iter().map(|k| (k.label().to_string(), format!("{}通", count(*k)))).collect();
    rows.extend([
        ("通知書の合計".to_string(), format!("{}通", report.issued.len())),
        ("印刷束（郵送分）".to_string(), format!("{paper}通・{}頁", report.bundle_pages)),
        ("ZIP（開封パスワード別送）".to_string(), format!("{zips_separate}件")),
        ("差戻し".to_string(), format!("{rejected_rows}行")),
        ("発行済み（発行しません）".to_string(), format!("{}件", report.already_issued.len())),
    ]);
    print_table(&rows);
    out!("  通知書 PDF：計 {} KB", bytes / 1024);
    out!("  出力先：{}", report.dir.display());
    let print = Path::new("print");
    out!(
        "    印刷束：{}　発送リスト：{}",
        print.join(format!("{}.pdf", report.batch_id)).display(),
        print.join("発送リスト.xlsx").display()
    );
    if zips_separate > 0 {
        out!(
            "    開封パスワード一覧（別経路で送付・取扱注意）：{}",
            Path::new("secrets").join("開封パスワード一覧.pdf").display()
        );
    }
    match &report.handoff {
        Some(tsuchi::handoff::Outcome::Written { file, rows, recipients, .. }) => out!(
            "    システム登録ファイル（受付システムの運用担当へ・age で暗号化、公開鍵 {}件）：{}（{rows}件）",
            recipients.len(),
            file.display()
        ),
        _ => out!("    システム登録ファイル：作っていません（[handoff] recipients に公開鍵がありません）"),
    }
    out!("    差戻し一覧：rejected.xlsx　改ざん確認用：manifest.json");
    out!("  台帳：{}", report.ledger_path.display());
}

/// Requests the ledger says were issued, with the batch that issued them (run and check alike).
fn print_already_issued(already_issued: &[tsuchi::plan::AlreadyIssued]) {
    if !already_issued.is_empty() {
        out!("■ 発行済みのため発行しない申請（もう一度発行するときは --reissue 申請番号 --reason 理由）");
        for a in already_issued {
            out!("  {}行目 申請番号「{}」 {}：バッチ {} で発行済み", a.row, shown(&a.request_id), a.kind, a.batch_id);
        }
        out!();
    }
}

/// Rows refused while preparing (a value that does not fit the notice), after intake's list.
fn print_layout_rejections(rejections: &[tsuchi::model::Rejection]) {
    for r in rejections {
        out!(
            "  差戻し（レイアウト） {}行目「{}」 値「{}」：{}",
            r.row,
            shown(&r.column),
            shown(&r.value),
            shown(&r.reason)
        );
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
    let postal: String = tsuchi::intake::text::normalize_code(postal).chars().filter(|c| *c != '-').collect();
    let table = tsuchi::postal::table();
    let whole = tsuchi::barcode::joined(address, address2);
    if let Ok(split) = tsuchi::barcode::split(table, &postal, &whole) {
        out!("住所A（町域まで）：{}", split.address_a.trim());
        out!("住所B　　　：{}", split.address_b.trim());
    }
    match tsuchi::barcode::for_address_in(table, &postal, address, address2) {
        Ok(code) => {
            out!("郵便番号　　：{}", code.postal());
            out!("住所表示番号：{}", if code.data().is_empty() { "（なし）" } else { code.data() });
            let symbols: Vec<String> = code.symbols().iter().map(|s| s.as_str().to_string()).collect();
            out!("記号（20）　：{}", symbols.join(" "));
            out!("チェックデジット：{}", code.check_digit());
            out!("バー（67本）：{}", code.bar_string());
            ExitCode::SUCCESS
        }
        Err(reason) => {
            out!("バーコードなし：{}", reason.reason());
            out!("（郵便番号データ {}）", table.date());
            ExitCode::from(EXIT_REJECTED)
        }
    }
}

fn verify(batch: Option<&Path>, out: Option<&Path>, head: Option<&str>) -> ExitCode {
    let head: Option<tsuchi::ledger::Head> = match head.map(str::parse).transpose() {
        Ok(h) => h,
        Err(e) => return fail(e),
    };
    // A folder that holds the ledger is an output root, not a batch: the whole ledger.
    let (batch, out) = match batch {
        Some(b) if b.join(tsuchi::ledger::FILE_NAME).is_file() => (None, Some(b)),
        other => (other, out),
    };
    let (what, findings) = match batch {
        Some(batch) => match tsuchi::audit::verify::verify(batch, head.as_ref()) {
            Err(e) => return fail(e),
            Ok(findings) => (batch.display().to_string(), findings),
        },
        None => {
            let (config, used) = match load_config(None) {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            let root = output_root(out, &config, used.as_deref());
            match tsuchi::audit::verify::verify_ledger(&root, head.as_ref()) {
                Err(e) => return fail(e),
                Ok(report) => {
                    let ledger = root.join(tsuchi::ledger::FILE_NAME);
                    out!("台帳：{}（バッチ {}件）", ledger.display(), report.batches);
                    if let Some(h) = &report.head {
                        out!("連鎖の先頭：{}", h.grouped());
                    }
                    (format!("台帳全体とすべてのバッチ（{}）", root.display()), report.findings)
                }
            }
        }
    };
    let (failures, notes): (Vec<_>, Vec<_>) = findings.iter().partition(|f| f.is_failure());
    list(&notes);
    if failures.is_empty() {
        let also = if head.is_some() { "・紙の控えの先頭" } else { "" };
        out!("検証：{what} — 台帳の全行・イベントの連鎖{also}・ファイルのハッシュ・manifest はすべて一致しました");
        return ExitCode::SUCCESS;
    }
    out!("検証：{what} — {}件の相違があります", failures.len());
    list(&failures);
    ExitCode::from(EXIT_REJECTED)
}

fn audit_export(root: &Path, from: Option<NaiveDate>, to: Option<NaiveDate>, dest: Option<PathBuf>) -> ExitCode {
    let run = || -> Result<(PathBuf, usize, usize, Vec<tsuchi::audit::verify::Finding>), String> {
        let text = |e: tsuchi::ledger::LedgerError| e.to_string();
        let ledger = tsuchi::ledger::Ledger::open_read_only(root)
            .map_err(text)?
            .ok_or_else(|| format!("「{}」に台帳がありません", root.display()))?;
        let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
        let batches = ledger.batches(from.as_deref(), to.as_deref()).map_err(text)?;
        let mut requests = Vec::new();
        let mut events = Vec::new();
        for b in &batches {
            requests.extend(ledger.requests(&b.id).map_err(text)?.into_iter().map(|r| (b.id.clone(), r)));
            events.extend(ledger.events(Some(&b.id)).map_err(text)?);
        }
        let dest =
            dest.unwrap_or_else(|| root.join(format!("audit-{}", batch::now_in_tokyo().format("%Y%m%d-%H%M%S"))));
        std::fs::create_dir_all(&dest).map_err(|e| format!("「{}」を作れません：{e}", dest.display()))?;
        let head = ledger.head().map_err(text)?;
        tsuchi::audit::log::write_xlsx(&dest.join("監査ログ.xlsx"), &batches, &requests, &events, head.as_ref())
            .map_err(|e| e.to_string())?;
        tsuchi::fsutil::write_atomic(&dest.join("events.jsonl"), &tsuchi::audit::log::jsonl(&events))
            .map_err(|e| format!("events.jsonl を書き込めません：{e}"))?;
        Ok((dest, batches.len(), events.len(), tsuchi::audit::integrity::check(&ledger).map_err(text)?))
    };
    match run() {
        Err(e) => fail(e),
        Ok((dest, batches, events, findings)) => {
            out!("監査ログ：{}（バッチ {batches}件、イベント {events}件）", dest.display());
            if findings.is_empty() {
                out!("台帳の全行とイベントの連鎖：すべて一致しました");
                return ExitCode::SUCCESS;
            }
            out!("台帳の全行とイベントの連鎖：{}件の相違があります", findings.len());
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
        Some((cut, _)) => format!("{}…（全{}文字）", &safe[..cut], value.chars().count()),
        None => safe,
    }
}

/// Findings of `verify` or `audit export`, one bullet each, whole and terminal-safe.
fn list(findings: &[impl std::fmt::Display]) {
    for f in findings {
        out!("  ・{}", shown_long(&f.to_string()));
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
    err!("エラー：{}", lines.join("\n"));
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
    json: bool,
    reissue: Vec<String>,
}

/// `check` prepares the batch exactly as `run` would, with specimen secrets, and writes only
/// its reports: its verdict on every row is `run`'s.
fn check(options: &CheckOptions, config: &Config) -> ExitCode {
    let renderer = match Renderer::new(config) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    // The ledger `run` would use, refused where `run` would refuse it.
    let registry = tsuchi::home::registry();
    let ledger = match tsuchi::home::verified_ledger(&options.ledger, registry.as_deref(), options.new_ledger, false) {
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
    let issue_date = options.date.or(config.notice.issue_date).unwrap_or_else(tsuchi::wareki::today_in_tokyo);
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
    if options.json {
        let issued: Vec<serde_json::Value> = plan
            .notices
            .iter()
            .map(|n| {
                serde_json::json!({ "row": n.request.row, "request_id": n.request.request_id.as_str(), "kind": n.kind() })
            })
            .collect();
        let summary = serde_json::json!({
            "issued": issued,
            "skipped": intake.skipped,
            "hidden": intake.hidden,
            "rejected": rejections,
            "already_issued": plan.already_issued,
            "notes": intake.notes,
        });
        out!("{}", serde_json::to_string_pretty(&summary).unwrap_or_default());
    } else {
        print_intake(&options.requests, &intake);
        print_layout_rejections(&plan.rejections);
        out!();
        print_already_issued(&plan.already_issued);
        out!("  発行される通知書：{}件（発行済み {}件）", plan.notices.len(), plan.already_issued.len());
        out!();
        out!("■ パスワードの規則");
        for (name, policy) in
            [("仮パスワード", &config.passwords.temp), ("証明書発行用パスワード", &config.passwords.cert)]
        {
            out!(
                "  {name}：{}文字、使う文字 {}種類、強さ 約{:.1}ビット",
                policy.length,
                policy.alphabet().len(),
                policy.entropy_bits()
            );
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
        out!("差戻し一覧：{}、{}", xlsx.display(), csv.display());
        let ledger_file = options.ledger.join(tsuchi::ledger::FILE_NAME);
        match ledger_file.exists() {
            true => out!("台帳：{}", ledger_file.display()),
            false => out!("台帳：{}（まだありません。最初の run で作ります）", ledger_file.display()),
        }
    }
    if rejections.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
}

fn print_intake(path: &Path, intake: &Intake) {
    out!("申請一覧：{}", path.display());
    out!("データ行：{}行", intake.data_rows);
    let per_kind: Vec<String> = NoticeKind::ALL
        .iter()
        .map(|k| format!("{} {}", k, intake.requests.iter().filter(|r| r.kind == *k).count()))
        .collect();
    out!("  発行対象　　：{}件（{}）", intake.requests.len(), per_kind.join("／"));
    out!("  承認以外　　：{}件（発行しません）", intake.skipped.len());
    out!("  差戻し　　　：{}行（問題 {}件）", intake.rejected_rows(), intake.rejections.len());
    if !intake.rejections.is_empty() {
        out!();
        out!("■ 差戻し（直して再実行してください）");
        for r in &intake.rejections {
            let letter = r.column_letter.as_deref().map(|l| format!("{l}列")).unwrap_or_default();
            out!("  {}行目 {letter}「{}」 値「{}」：{}", r.row, shown(&r.column), shown(&r.value), shown(&r.reason));
        }
    }
    if !intake.skipped.is_empty() {
        out!();
        out!("■ 審査結果が承認でないため発行しない行");
        for s in &intake.skipped {
            out!(
                "  {}行目 申請番号「{}」 事業所番号「{}」：審査結果「{}」",
                s.row,
                shown(&s.request_id),
                shown(&s.office_no),
                shown(&s.status)
            );
        }
    }
    if !intake.notes.is_empty() {
        out!();
        out!("■ 確認事項（発行は止めません）");
        for n in &intake.notes {
            let place = match (n.row, &n.column) {
                (Some(row), Some(col)) => format!("{row}行目「{col}」："),
                (Some(row), None) => format!("{row}行目："),
                _ => String::new(),
            };
            out!("  {place}{}", shown(&n.message));
        }
    }
}
