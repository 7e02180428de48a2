//! `trailhound rules validate|lint|show|test|coverage`

use crate::{bundled, EXIT_ERROR};

/// Rule commands exit 0 when clean, 1 when they found problems (2 on usage errors).
const EXIT_CLEAN: u8 = 0;
const EXIT_PROBLEMS: u8 = 1;
use clap::Subcommand;
use rules::{Diagnostic, Level, Loaded};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Command {
    /// Check rules against the schema: required keys, enums, durations, date math, query syntax.
    Validate {
        /// Rule files or folders (TOML, NDJSON export, package JSON, rule page); the bundled
        /// rule set when none is given.
        paths: Vec<PathBuf>,
    },
    /// Find rules that can never fire or look wrong (stable codes, one line each, a fix).
    Lint {
        paths: Vec<PathBuf>,
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Print a rule the way Elastic's rule page shows it.
    Show {
        /// Rule id, name (or part of it), or a rule file.
        rule: String,
        /// Where to look for the rule (default: the bundled rule set).
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Run the example events rules carry (`[[tests]]`) and report per rule.
    Test { paths: Vec<PathBuf> },
    /// Write an ATT&CK Navigator layer of the rules' MITRE mapping.
    Coverage {
        paths: Vec<PathBuf>,
        /// The layer file to write.
        #[arg(long)]
        navigator: PathBuf,
    },
}

/// Load rules from paths, or the bundled set when there are none; print load errors.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let loaded = if paths.is_empty() { bundled::load() } else { rules::load_paths(paths) };
    for e in &loaded.errors {
        eprintln!("error: {e}");
    }
    loaded
}

fn print_diagnostics(diags: &[Diagnostic], format: &str, rules: usize) {
    if format == "json" {
        let v: Vec<_> = diags.iter().map(Diagnostic::to_json).collect();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return;
    }
    for d in diags {
        println!("{}", d.to_line());
    }
    let errors = diags.iter().filter(|d| d.level == Level::Error).count();
    let warnings = diags.len() - errors;
    eprintln!("{rules} rule(s) checked: {errors} error(s), {warnings} warning(s)");
}

pub fn run(cmd: Command) -> u8 {
    match cmd {
        Command::Validate { paths } => {
            let loaded = load(&paths);
            let diags: Vec<Diagnostic> = loaded.rules.iter().flat_map(rules::validate::validate).collect();
            print_diagnostics(&diags, "text", loaded.rules.len());
            if diags.is_empty() && loaded.errors.is_empty() {
                EXIT_CLEAN
            } else {
                EXIT_PROBLEMS
            }
        }
        Command::Lint { paths, format } => {
            let loaded = load(&paths);
            let diags: Vec<Diagnostic> = loaded.rules.iter().flat_map(rules::lint::lint).collect();
            print_diagnostics(&diags, &format, loaded.rules.len());
            if diags.iter().any(|d| d.level == Level::Error) || !loaded.errors.is_empty() {
                EXIT_PROBLEMS
            } else {
                EXIT_CLEAN
            }
        }
        Command::Show { rule, rules } => {
            let (loaded, needle) = if std::path::Path::new(&rule).is_file() {
                (load(std::slice::from_ref(&PathBuf::from(&rule))), None)
            } else {
                (load(&rules), Some(rule.to_lowercase()))
            };
            let found: Vec<&rules::Rule> = loaded
                .rules
                .iter()
                .filter(|r| match &needle {
                    None => true,
                    Some(n) => {
                        r.rule_id().to_lowercase() == *n || r.name().to_lowercase().contains(n.as_str())
                    }
                })
                .collect();
            match found.as_slice() {
                [] => {
                    eprintln!("error: no rule matches {rule:?}");
                    EXIT_ERROR
                }
                [one] => {
                    print!("{}", rules::show::render(one));
                    EXIT_CLEAN
                }
                many => {
                    eprintln!("{} rules match {rule:?}; be more specific:", many.len());
                    for r in many {
                        eprintln!("  {}  {}", r.rule_id(), r.name());
                    }
                    EXIT_ERROR
                }
            }
        }
        Command::Test { paths } => {
            let loaded = load(&paths);
            let results = engine::ruletest::run_tests(&loaded.rules);
            let mut by_rule: Vec<(String, usize, usize)> = Vec::new();
            for r in &results {
                println!(
                    "{} {} :: {} ({})",
                    if r.passed { "PASS" } else { "FAIL" },
                    r.rule,
                    r.test,
                    r.detail
                );
                match by_rule.last_mut() {
                    Some((name, p, f)) if *name == r.rule => {
                        *p += usize::from(r.passed);
                        *f += usize::from(!r.passed);
                    }
                    _ => by_rule.push((r.rule.clone(), usize::from(r.passed), usize::from(!r.passed))),
                }
            }
            let passed = results.iter().filter(|r| r.passed).count();
            let failed = results.len() - passed;
            let untested = loaded.rules.iter().filter(|r| r.tests.is_empty()).count();
            println!("\n{} rule(s) with tests, {untested} without", by_rule.len());
            println!("{passed} passed, {failed} failed");
            if failed > 0 || !loaded.errors.is_empty() {
                EXIT_PROBLEMS
            } else {
                EXIT_CLEAN
            }
        }
        Command::Coverage { paths, navigator } => {
            let loaded = load(&paths);
            let layer = rules::coverage::navigator_layer(&loaded.rules, "trailhound rule coverage");
            let n = layer["techniques"].as_array().map_or(0, Vec::len);
            match std::fs::write(&navigator, serde_json::to_string_pretty(&layer).unwrap_or_default()) {
                Ok(()) => {
                    eprintln!(
                        "wrote {n} techniques from {} rules to {}",
                        loaded.rules.len(),
                        navigator.display()
                    );
                    EXIT_CLEAN
                }
                Err(e) => {
                    eprintln!("error: {}: {e}", navigator.display());
                    EXIT_ERROR
                }
            }
        }
    }
}
