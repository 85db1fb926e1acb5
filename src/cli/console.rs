//! What every command's text shares: exit codes, values made safe for a terminal, bullet
//! lists, a framed table, the error line.

use std::process::ExitCode;

pub use crate::engine::report::terminal_safe;
use crate::ground::model::NoticeKind;
use crate::msg;

/// Exit codes: 0 every row fine, 1 some rows rejected, 2 the job could not be done.
pub const EXIT_REJECTED: u8 = 1;
pub const EXIT_FAILED: u8 = 2;

/// 0 when `fine`, else 1 (some rows or findings refused).
pub fn code(fine: bool) -> ExitCode {
    if fine { ExitCode::SUCCESS } else { ExitCode::from(EXIT_REJECTED) }
}

/// A value from the request list as the terminal shows it: control and bidi characters as
/// `U+XXXX` (an escape sequence in a cell must not clear the screen or fake a summary), and a
/// very long value cut short (the whole of it is in rejected.xlsx).
pub fn shown(value: &str) -> String {
    const MAX: usize = 120;
    let safe = terminal_safe(value);
    match safe.char_indices().nth(MAX) {
        Some((cut, _)) => msg!("cli.cut", kept = &safe[..cut], count = value.chars().count()),
        None => safe,
    }
}

/// A finding or message as the terminal shows it, whole.
pub fn shown_long(value: &str) -> String {
    terminal_safe(value)
}

/// Findings of `verify` or `audit export`, one bullet each, whole and terminal-safe.
pub fn list(findings: &[impl std::fmt::Display]) {
    for f in findings {
        out!("{}", msg!("cli.bullet", item = shown_long(&f.to_string())));
    }
}

/// The error line on stderr, exit code 2.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    // Made terminal-safe line by line: the line breaks of a message that lists findings are
    // tsuchi's own, not `U+000A`.
    let message = message.to_string();
    let lines: Vec<String> = message.split('\n').map(terminal_safe).collect();
    err!("{}", msg!("cli.error", message = lines.join("\n")));
    ExitCode::from(EXIT_FAILED)
}

/// A value as pretty JSON on stdout (`--json`).
pub fn json(value: &impl serde::Serialize) {
    out!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A name at the start of a table row: `registration result` → `Registration result`.
pub fn capitalized(name: String) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// `登録結果 3／再発行 1／…`: the count of each kind, named as the console names kinds.
pub fn per_kind(count: impl Fn(NoticeKind) -> usize) -> String {
    let each: Vec<String> = NoticeKind::ALL.iter().map(|k| format!("{} {}", k.console_label(), count(*k))).collect();
    each.join(&msg!("cli.kinds_separator"))
}

/// Width of `s` on a terminal: East Asian wide characters take two columns.
fn display_width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

/// A two-column table framed for a terminal that shows Japanese double-width.
pub fn print_table(rows: &[(String, String)]) {
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
