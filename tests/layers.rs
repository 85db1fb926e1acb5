//! The architecture holds (ARCHITECTURE.md): the imports draw no circle, and nothing below the
//! faces prints.

use std::path::{Path, PathBuf};
use std::process::Command;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without `//` comments (doc comments name `println!` when they forbid it).
fn code_of(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

#[test]
fn nothing_below_the_faces_prints() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for floor in ["ground", "engine", "app"] {
        sources(&src.join(floor), &mut files);
    }
    assert!(files.len() > 50, "{} files", files.len());
    let forbidden = ["println!", "print!(", "eprintln!", "eprint!(", "dbg!", "stdout()", "stderr()", "process::exit"];
    let mut found = Vec::new();
    for file in &files {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for (n, line) in code.lines().enumerate() {
            for word in forbidden {
                if line.contains(word) {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "printing below the faces:\n{}", found.join("\n"));
}

#[test]
fn the_checker_finds_a_planted_print() {
    // The scan above reads code, not comments: a print in code is seen, one in a comment is not.
    assert!(code_of("let x = 1; println!(\"{x}\");").contains("println!"));
    assert!(!code_of("/// never println! here").contains("println!"));
}

#[test]
fn nothing_below_the_faces_knows_the_terminal_or_http() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for floor in ["ground", "engine", "app"] {
        sources(&src.join(floor), &mut files);
    }
    let mut found = Vec::new();
    for file in &files {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        for word in ["clap::", "ExitCode", "indicatif", "axum", "hyper", "crate::cli", "crate::web"] {
            if code.contains(word) {
                found.push(format!("{}: {word}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_module_imports_draw_no_circle() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join("imports");
    for args in [&[][..], &["--depth", "1"][..], &["--depth", "2"][..]] {
        let out = Command::new("python3").arg(&script).args(args).output().expect("python3 runs scripts/imports");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "scripts/imports {args:?} found a circle:\n{text}");
        assert!(text.contains("app") && text.contains("engine"), "{text}");
    }
}
