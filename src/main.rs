//! The `tsuchi` command. The terminal face lives in `tsuchi::cli`, the operations it calls in
//! `tsuchi::app`; see ARCHITECTURE.md.

fn main() -> std::process::ExitCode {
    tsuchi::cli::main()
}
