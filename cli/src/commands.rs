//! The subcommands: argument definitions and what each one does.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use mnemo::{Error, Mnemo, Options, SessionFilter, SessionInfo};
use serde_json::json;

use crate::output::{bytes, clip, parse_time, time};
use crate::Cli;

pub(crate) type CmdResult = Result<ExitCode, Error>;

/// `mnemo import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files or folders to import (folders are searched for .md, .traj, .jsonl, .json files).
    pub paths: Vec<PathBuf>,
    /// Also find the histories AI tools keep on this machine: Claude Code's project logs
    /// under the home directory, and aider / SpecStory histories below each --root.
    #[arg(long)]
    pub discover: bool,
    /// Folder to search with --discover (repeatable; default: the current directory).
    #[arg(long = "root")]
    pub roots: Vec<PathBuf>,
    /// Exit with code 1 when any file failed to import.
    #[arg(long)]
    pub strict: bool,
}

/// Session filters shared by `list` and `search`.
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Only sessions from this tool (cursor, claude-code, aider, swe-agent, copilot, specstory).
    #[arg(long)]
    pub tool: Option<String>,
    /// Only sessions whose project contains this text.
    #[arg(long)]
    pub project: Option<String>,
    /// Only sessions started on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only sessions started before this date.
    #[arg(long)]
    pub until: Option<String>,
    /// At most this many results.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

impl FilterArgs {
    fn filter(&self) -> Result<SessionFilter, Error> {
        let t = |s: &Option<String>| {
            s.as_deref()
                .map(parse_time)
                .transpose()
                .map_err(Error::InvalidInput)
        };
        Ok(SessionFilter {
            source_tool: self.tool.clone(),
            project: self.project.clone(),
            since: t(&self.since)?,
            until: t(&self.until)?,
            limit: Some(self.limit),
        })
    }
}

/// `mnemo sessions ...`.
#[derive(Subcommand, Debug)]
pub enum SessionsCmd {
    /// List sessions, newest first.
    List(FilterArgs),
    /// Show one session's messages (id or unique id prefix).
    Show {
        /// Session id or unique prefix.
        id: String,
        /// Print whole messages instead of the first lines.
        #[arg(long)]
        full: bool,
    },
    /// Keyword search over message text, best first.
    Search {
        /// Words to look for.
        query: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Write a session's original bytes, byte-exact (to stdout or --output).
    Export {
        /// Session id or unique prefix.
        id: String,
        /// Export the whole file the session came from (for files holding many sessions).
        #[arg(long)]
        whole_file: bool,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

/// `mnemo log ...`.
#[derive(Subcommand, Debug)]
pub enum LogCmd {
    /// Print log entries from a sequence number; with --follow, keep printing new ones.
    Tail {
        /// First sequence number (default: the last 20 entries).
        #[arg(long)]
        from: Option<u64>,
        /// Keep waiting for new entries.
        #[arg(long)]
        follow: bool,
        /// Stop after this many entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Check the log's hash chain from the first entry to the last.
    Verify,
}

pub(crate) fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected key=value, got {s:?}"))
}

pub(crate) fn print_json(v: &impl serde::Serialize) -> Result<(), Error> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::InvalidInput(e.to_string()))?;
    println!("{s}");
    Ok(())
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> CmdResult {
    let dir = cli.dir.clone().unwrap_or_else(crate::default_dir);
    let store = Mnemo::open(&dir, Options::default())?;
    let json = cli.json;
    match cli.command {
        crate::Command::Import(args) => import(&store, args, json),
        crate::Command::Sessions(cmd) => sessions(&store, cmd, json),
        crate::Command::Prompt(cmd) => crate::prompts::prompt(&store, cmd, json),
        crate::Command::Workflow(cmd) => crate::prompts::workflow(&store, cmd, json),
        crate::Command::Log(cmd) => log(&store, cmd, json),
        crate::Command::Events(cmd) => crate::events::events(&store, cmd, json),
        crate::Command::Projections(cmd) => crate::events::projections(&store, cmd, json),
        crate::Command::Stats => stats(&store, json),
        crate::Command::Compact { level } => {
            let r = store.compact(level)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "{} of {} session blobs rewritten: {} -> {}",
                    r.rewritten,
                    r.blobs,
                    bytes(r.bytes_before),
                    bytes(r.bytes_after)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(store: &Mnemo, args: ImportArgs, json: bool) -> CmdResult {
    let mut paths = args.paths.clone();
    if args.discover {
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        let roots = if args.roots.is_empty() {
            vec![std::env::current_dir().map_err(|source| Error::Io {
                path: PathBuf::from("."),
                source,
            })?]
        } else {
            args.roots.clone()
        };
        let found = mnemo::import::discover(&home, &roots);
        if !json {
            eprintln!("discovered {} history file(s)", found.len());
        }
        paths.extend(found);
    }
    if paths.is_empty() {
        return Err(Error::InvalidInput(
            "nothing to import: give files or folders, or --discover".into(),
        ));
    }
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let summary = store.import_paths(&paths, |p| {
        if let Some(b) = &bar {
            b.set_length(p.total as u64);
            b.set_position(p.done as u64);
            b.set_message(p.path.display().to_string());
        }
    })?;
    if let Some(b) = &bar {
        b.set_message("updating the search index");
    }
    // The index follows imports in the background; finish it before exiting so the next
    // search starts at once.
    store.update_search_index()?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let failed = summary.failures().count();
    if json {
        let files: Vec<_> = summary
            .files
            .iter()
            .map(|f| match &f.outcome {
                Ok(r) => {
                    json!({"path": f.path, "ok": true, "format": r.format, "source_id": r.source_id,
                                "imported": r.imported, "already_stored": r.already_stored})
                }
                Err(e) => {
                    json!({"path": f.path, "ok": false, "code": e.code(), "error": e.to_string()})
                }
            })
            .collect();
        print_json(&json!({
            "files": files,
            "sessions_imported": summary.sessions_imported(),
            "sessions_already_stored": summary.sessions_already_stored(),
            "files_failed": failed,
        }))?;
    } else {
        println!(
            "imported {} session(s) from {} file(s); {} already stored; {} file(s) skipped",
            summary.sessions_imported(),
            summary.files.len() - failed,
            summary.sessions_already_stored(),
            failed
        );
        for (path, e) in summary.failures() {
            println!("  skipped {}: {}", path.display(), skip_reason(e));
        }
        if summary.sessions_imported() > 0 {
            println!(
                "stored at the fast compression level: `mnemo compact` recompresses them about \
                 a fifth smaller now (an application keeping the store open does it in the \
                 background)"
            );
        }
    }
    Ok(if args.strict && failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn skip_reason(e: &Error) -> String {
    match e {
        Error::UnknownFormat { .. } => "unknown format".to_string(),
        Error::Import { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

/// What a listing shows for a session: its title, else its project, else `(untitled)`.
fn display_title(s: &SessionInfo) -> &str {
    s.title
        .as_deref()
        .or(s.project.as_deref())
        .unwrap_or("(untitled)")
}

fn sessions(store: &Mnemo, cmd: SessionsCmd, json: bool) -> CmdResult {
    match cmd {
        SessionsCmd::List(f) => {
            let list = store.list_sessions(&f.filter()?)?;
            if json {
                print_json(&list)?;
            } else {
                for s in &list {
                    println!(
                        "{}  {}  {:<12} {:>4} msgs  {}",
                        &s.id[..12],
                        time(s.started_at),
                        s.source_tool,
                        s.message_count,
                        clip(display_title(s), 60)
                    );
                }
            }
        }
        SessionsCmd::Show { id, full } => {
            let s = store.session(&id)?;
            if json {
                print_json(&s)?;
            } else {
                let i = &s.info;
                println!("session  {}", i.id);
                println!("tool     {} ({})", i.source_tool, i.format);
                println!("title    {}", i.title.as_deref().unwrap_or("-"));
                println!("project  {}", i.project.as_deref().unwrap_or("-"));
                println!("time     {} .. {}", time(i.started_at), time(i.ended_at));
                if !i.files_touched.is_empty() {
                    println!("files    {}", i.files_touched.join(", "));
                }
                for (n, m) in s.messages.iter().enumerate() {
                    println!(
                        "\n[{n}] {}{}",
                        m.role.as_str(),
                        m.timestamp
                            .map(|t| format!(" {}", time(Some(t))))
                            .unwrap_or_default()
                    );
                    if full {
                        println!("{}", m.text);
                    } else {
                        println!("{}", clip(&m.text, 300));
                    }
                    for c in &m.tool_calls {
                        println!("  -> {}({})", c.name, clip(&c.input, 120));
                    }
                }
            }
        }
        SessionsCmd::Search { query, filter } => {
            let hits = store.search(&query, &filter.filter()?, filter.limit)?;
            if json {
                print_json(&hits)?;
            } else if hits.is_empty() {
                println!("no matches");
            } else {
                for h in &hits {
                    println!(
                        "{:6.2}  {}  {:<12} {}",
                        h.score,
                        &h.session.id[..12],
                        h.session.source_tool,
                        clip(display_title(&h.session), 60)
                    );
                    for m in &h.messages {
                        println!(
                            "        [{}] {}: {}",
                            m.index,
                            m.role.as_str(),
                            clip(&m.snippet, 110)
                        );
                    }
                }
            }
        }
        SessionsCmd::Export {
            id,
            whole_file,
            output,
        } => {
            let bytes = if whole_file {
                store.export_source(&store.session_source(&id)?)?
            } else {
                store.export_session(&id)?
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, &bytes).map_err(|source| Error::Io { path, source })?
                }
                None => std::io::stdout()
                    .write_all(&bytes)
                    .map_err(|source| Error::Io {
                        path: "<stdout>".into(),
                        source,
                    })?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_entry(e: &mnemo::LogEntry, json: bool) {
    if json {
        let line = json!({"seq": e.seq, "stream": e.stream, "version": e.version, "kind": e.kind,
                          "timestamp": e.timestamp, "payload_bytes": e.payload.len()});
        println!("{line}");
    } else {
        println!(
            "{:>8}  {}  {:<18} {} v{}  ({})",
            e.seq,
            time(Some(e.timestamp)),
            e.kind,
            e.stream,
            e.version,
            bytes(e.payload.len() as u64)
        );
    }
}

fn log(store: &Mnemo, cmd: LogCmd, json: bool) -> CmdResult {
    let (from, follow, limit) = match cmd {
        LogCmd::Tail {
            from,
            follow,
            limit,
        } => (from, follow, limit),
        LogCmd::Verify => {
            let v = store.verify_log()?;
            if json {
                print_json(&v)?;
            } else {
                println!("log ok: {} entries, head {}", v.entries, v.head);
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    let from = from.unwrap_or_else(|| store.last_seq().saturating_sub(19).max(1));
    let mut printed = 0usize;
    let done = |n: usize| limit.is_some_and(|l| n >= l);
    let mut sub = store.subscribe(from);
    loop {
        if done(printed) {
            break;
        }
        let wait = if follow {
            Duration::from_secs(3600)
        } else {
            Duration::ZERO
        };
        match sub.next_timeout(wait)? {
            Some(e) => {
                print_entry(&e, json);
                printed += 1;
            }
            None if follow => continue,
            None => break,
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(store: &Mnemo, json: bool) -> CmdResult {
    let s = store.stats()?;
    if json {
        print_json(&json!({
            "sessions": s.counters.sessions,
            "messages": s.counters.messages,
            "sources": s.counters.sources,
            "raw_bytes": s.counters.raw_bytes,
            "stored_content_bytes": s.stored_content_bytes,
            "compression_ratio": s.compression_ratio(),
            "dedup_bytes": s.counters.dedup_bytes,
            "dictionaries": s.dictionaries,
            "recompressed_through": s.recompressed_through,
            "prompt_versions": s.counters.prompt_versions,
            "workflow_versions": s.counters.workflow_versions,
            "last_seq": s.last_seq,
            "disk_bytes": s.disk_bytes(),
            "column_families": s.column_families,
        }))?;
    } else {
        let c = &s.counters;
        println!("sessions        {}", c.sessions);
        println!("messages        {}", c.messages);
        println!("source files    {}", c.sources);
        println!("raw bytes       {}", bytes(c.raw_bytes));
        println!(
            "stored content  {} (sessions {} + log {})",
            bytes(s.stored_content_bytes),
            bytes(c.blob_stored_bytes),
            bytes(c.log_stored_bytes)
        );
        println!("ratio           {:.2}x", s.compression_ratio());
        println!("deduplicated    {}", bytes(c.dedup_bytes));
        println!("dictionaries    {}", s.dictionaries);
        if s.recompressed_through < s.last_seq {
            println!(
                "recompression   through log entry {} of {} (goes on in the background \
                 while the store is open; `mnemo compact` does it now)",
                s.recompressed_through, s.last_seq
            );
        }
        println!("prompts         {} version(s)", c.prompt_versions);
        println!("workflows       {} version(s)", c.workflow_versions);
        println!("log             {} entries", s.last_seq);
        println!("on disk         {}", bytes(s.disk_bytes()));
        for cf in &s.column_families {
            println!("  {:<10} {}", cf.name, bytes(cf.bytes));
        }
    }
    Ok(ExitCode::SUCCESS)
}
