//! The `trailhound` command line. Thin: every command's logic lives in a library crate.

use clap::{Parser, Subcommand};

/// mimalloc: normalization allocates many small maps; measured faster than the system allocator
/// (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

mod bundled;
mod generate;
mod hunt;
mod input;
mod normalize;
mod rules_cmd;
mod run;
mod search;

#[derive(Parser)]
#[command(
    name = "trailhound",
    version,
    about = "Elastic Security detection rules over AWS CloudTrail, anywhere"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with Kibana Query Language queries.
    Kql {
        #[command(subcommand)]
        command: KqlCommand,
    },
    /// Print the documents that match a KQL query as NDJSON: ECS input unchanged, raw CloudTrail
    /// normalized. Exit 0 if any matched, 1 if none did, 2 on errors (like grep).
    Search(search::Args),
    /// Normalize CloudTrail to ECS NDJSON as Elastic's aws.cloudtrail integration would index it.
    Normalize(normalize::Args),
    /// Write realistic synthetic CloudTrail, deterministic for a seed.
    Generate(generate::Args),
    /// Run detection rules over CloudTrail logs and report Elastic-shaped alerts. Exit 0 without
    /// alerts, 1 with alerts, 2 on errors.
    Hunt(hunt::Args),
    /// The detection service: follow a directory of CloudTrail files, run each rule on its
    /// schedule (Kibana's semantics), keep alerts in a SQLite store, notify a webhook.
    Run(run::RunArgs),
    /// List, show, acknowledge and close alerts in a `run` store; show execution history.
    Alerts {
        #[command(subcommand)]
        command: run::AlertsCommand,
    },
    /// Load, validate, lint, show and test detection rules.
    Rules {
        #[command(subcommand)]
        command: rules_cmd::Command,
    },
}

#[derive(Subcommand)]
enum KqlCommand {
    /// Parse a query and print its normalized form, or the error with a caret under it.
    Parse {
        /// The query.
        query: String,
        /// Print the syntax tree instead of the normalized query.
        #[arg(long)]
        tree: bool,
    },
}

/// Exit status like grep's: 0 found, 1 not found, 2 trouble.
pub const EXIT_FOUND: u8 = 0;
pub const EXIT_NOT_FOUND: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Kql { command: KqlCommand::Parse { query, tree } } => match kql::parse(&query) {
            Ok(node) => {
                if tree {
                    println!("{node:#?}");
                } else {
                    println!("{}", kql::print(&node));
                }
                EXIT_FOUND
            }
            Err(e) => {
                eprintln!("error: invalid KQL: {e}");
                EXIT_ERROR
            }
        },
        Command::Search(args) => search::run(args),
        Command::Normalize(args) => normalize::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Rules { command } => rules_cmd::run(command),
        Command::Run(args) => run::run(args),
        Command::Alerts { command } => run::alerts(command),
    };
    ExitCode::from(code)
}
