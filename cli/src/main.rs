//! `mnemo`: the command-line interface to a Mnemo store, for people and scripts.
//!
//! Every command reads or writes the store in `--dir` (default: `$MNEMO_DIR`, else
//! `$XDG_DATA_HOME/mnemo`, else `~/.local/share/mnemo`). Output is for people by default;
//! `--json` prints machine-readable JSON instead. Errors go to stderr with exit code 1.

mod commands;
mod events;
mod output;
mod prompts;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Mnemo: a store for AI coding sessions, prompt templates and workflows.
#[derive(Parser, Debug)]
#[command(name = "mnemo", version, about)]
pub struct Cli {
    /// Store directory (default: $MNEMO_DIR, else $XDG_DATA_HOME/mnemo, else ~/.local/share/mnemo).
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Print JSON for scripts instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import transcript files or folders (aider, Claude Code, SpecStory, SWE-agent).
    Import(commands::ImportArgs),
    /// List, show, search and export sessions.
    #[command(subcommand)]
    Sessions(commands::SessionsCmd),
    /// Manage versioned prompt templates.
    #[command(subcommand)]
    Prompt(prompts::PromptCmd),
    /// Manage workflows (ordered prompt steps).
    #[command(subcommand)]
    Workflow(prompts::WorkflowCmd),
    /// Read the log (change feed).
    #[command(subcommand)]
    Log(commands::LogCmd),
    /// Append, read and subscribe to host event streams.
    #[command(subcommand)]
    Events(events::EventsCmd),
    /// Run, rebuild and inspect projections.
    #[command(subcommand)]
    Projections(events::ProjectionsCmd),
    /// Counts, raw vs stored bytes and compression ratio.
    Stats,
    /// Recompress stored sessions harder (smaller store; safe while in use).
    Compact {
        /// zstd level, 1-22 (higher is smaller and slower).
        #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i32).range(1..=22))]
        level: i32,
    },
}

/// The default store directory.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("MNEMO_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("mnemo");
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".local/share/mnemo")
}

fn main() -> ExitCode {
    // Behave like other Unix tools when the reader goes away (`mnemo log tail | head`):
    // end quietly on SIGPIPE instead of panicking on a failed write.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("mnemo: error: {e}");
            ExitCode::from(1)
        }
    }
}
