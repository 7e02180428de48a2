//! `cargo run -p conformance -- ../shared/corpus`: checks against the shared corpus. Prints what
//! it checked and exits non-zero on any regression. The corpus is read, never copied.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod engine_check;
mod kql_rules;
mod pipeline;
mod rules_check;

/// One check's outcome: what was counted and what failed.
pub struct Report {
    pub name: &'static str,
    pub lines: Vec<String>,
    pub failures: Vec<String>,
}

fn main() -> ExitCode {
    let corpus = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "../shared/corpus".into()));
    if !corpus.is_dir() {
        eprintln!("conformance: no corpus at {}", corpus.display());
        return ExitCode::from(2);
    }
    let checks: Vec<fn(&Path) -> anyhow::Result<Report>> =
        vec![kql_rules::check, pipeline::check, rules_check::check, engine_check::check];
    let mut failed = 0;
    for check in checks {
        match check(&corpus) {
            Ok(r) => {
                println!("[{}]", r.name);
                for l in &r.lines {
                    println!("  {l}");
                }
                for f in &r.failures {
                    println!("  FAIL {f}");
                }
                println!("  {}", if r.failures.is_empty() { "ok" } else { "FAILED" });
                failed += r.failures.len();
            }
            Err(e) => {
                println!("FAIL: {e:#}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        println!("conformance: {failed} failure(s)");
        ExitCode::FAILURE
    } else {
        println!("conformance: all checks passed");
        ExitCode::SUCCESS
    }
}

/// Every `*.toml` file directly in `dir`, sorted.
pub fn toml_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}
