//! `mnemo events ...` and `mnemo projections ...`: the event store from the command line.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;
use mnemo::{
    Error, EventData, EventFilter, Expected, LogEntry, Mnemo, ReadDirection, SubscribeOptions,
};
use serde_json::json;

use crate::output::time;

/// `mnemo events ...`.
#[derive(Subcommand, Debug)]
pub enum EventsCmd {
    /// Append one event to a stream.
    Append {
        /// Stream name (the prefixes session/, source/, prompt/, workflow/ are reserved).
        stream: String,
        /// Event type.
        kind: String,
        /// Payload text (e.g. JSON); default empty.
        #[arg(long, conflicts_with = "file")]
        data: Option<String>,
        /// Read the payload from a file.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// Metadata text (e.g. JSON).
        #[arg(long)]
        metadata: Option<String>,
        /// Expected stream version: `any`, `none` (stream must not exist) or a number.
        #[arg(long, default_value = "any")]
        expected: String,
    },
    /// Read a stream forward (default) or backward.
    Read {
        /// Stream name.
        stream: String,
        /// First version to read (default: 1 forward, the last backward).
        #[arg(long)]
        from: Option<u64>,
        /// Read newest first.
        #[arg(long)]
        backward: bool,
        /// At most this many events.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Print log entries as they come: catch up from a position, then follow live.
    Subscribe {
        /// First sequence number (default 1; a named subscription resumes after its checkpoint).
        #[arg(long)]
        from: Option<u64>,
        /// Persist the position under this name after each entry.
        #[arg(long)]
        name: Option<String>,
        /// Only streams starting with this prefix.
        #[arg(long)]
        stream_prefix: Option<String>,
        /// Only these event types (repeatable).
        #[arg(long = "type")]
        kinds: Vec<String>,
        /// Stop after this many entries.
        #[arg(long)]
        limit: Option<usize>,
        /// Stop when no entry arrives for this many seconds (default: wait forever).
        #[arg(long)]
        idle_timeout: Option<u64>,
    },
}

/// `mnemo projections ...`.
#[derive(Subcommand, Debug)]
pub enum ProjectionsCmd {
    /// List projections that have run, with their position and errors.
    List,
    /// Status of one projection.
    Status {
        /// Projection name.
        name: String,
    },
    /// Bring a built-in projection (event-counts, stream-heads, search-index,
    /// context-views) up to date; host projections run in the host.
    Run {
        /// Projection name.
        name: String,
    },
    /// Rebuild a built-in projection into a new generation, then switch to it
    /// (`context-views` rebuilds the sessions, sources, prompts and workflows views).
    Rebuild {
        /// Projection name.
        name: String,
    },
    /// Print a projection's read model (keys and values as text).
    Show {
        /// Projection name.
        name: String,
    },
}

fn parse_expected(s: &str) -> Result<Expected, Error> {
    match s {
        "any" => Ok(Expected::Any),
        "none" => Ok(Expected::NoStream),
        n => n.parse().map(Expected::Exact).map_err(|_| {
            Error::InvalidInput(format!(
                "--expected takes any, none or a version number, not {n:?}"
            ))
        }),
    }
}

fn entry_json(e: &LogEntry) -> serde_json::Value {
    json!({
        "seq": e.seq, "stream": e.stream, "version": e.version, "kind": e.kind,
        "schema": e.schema, "timestamp": e.timestamp,
        "payload": String::from_utf8_lossy(&e.payload),
        "metadata": String::from_utf8_lossy(&e.metadata),
    })
}

fn print_event(e: &LogEntry, json: bool) {
    if json {
        println!("{}", entry_json(e));
    } else {
        println!(
            "{:>8}  {}  {} v{}  {}  {}",
            e.seq,
            time(Some(e.timestamp)),
            e.stream,
            e.version,
            e.kind,
            crate::output::clip(&String::from_utf8_lossy(&e.payload), 80)
        );
    }
}

/// Run `mnemo events ...`.
pub fn events(store: &Mnemo, cmd: EventsCmd, json: bool) -> Result<ExitCode, Error> {
    match cmd {
        EventsCmd::Append {
            stream,
            kind,
            data,
            file,
            metadata,
            expected,
        } => {
            let payload = match (data, file) {
                (Some(d), _) => d.into_bytes(),
                (None, Some(path)) => {
                    std::fs::read(&path).map_err(|source| Error::Io { path, source })?
                }
                (None, None) => Vec::new(),
            };
            let mut event = EventData::new(kind, payload);
            if let Some(m) = metadata {
                event = event.with_metadata(m.into_bytes());
            }
            let r = store.append(&stream, parse_expected(&expected)?, vec![event])?;
            if json {
                println!("{}", json!({"seq": r.last_seq, "version": r.version}));
            } else {
                println!("{stream} v{} (seq {})", r.version, r.last_seq);
            }
        }
        EventsCmd::Read {
            stream,
            from,
            backward,
            limit,
        } => {
            let (direction, from) = if backward {
                let last = store.stream_version(&stream)?.unwrap_or(0);
                (ReadDirection::Backward, from.unwrap_or(last))
            } else {
                (ReadDirection::Forward, from.unwrap_or(1))
            };
            for e in store.read_stream(&stream, from, direction, limit)? {
                print_event(&e, json);
            }
        }
        EventsCmd::Subscribe {
            from,
            name,
            stream_prefix,
            kinds,
            limit,
            idle_timeout,
        } => {
            let named = name.is_some();
            let mut sub = store.subscribe_with(SubscribeOptions {
                from,
                name,
                filter: EventFilter {
                    stream_prefix,
                    kinds,
                },
            })?;
            let wait = Duration::from_secs(idle_timeout.unwrap_or(u64::MAX / 4));
            let mut printed = 0;
            while limit.is_none_or(|l| printed < l) {
                let Some(e) = sub.next_timeout(wait)? else {
                    break;
                };
                print_event(&e, json);
                printed += 1;
                if named {
                    sub.checkpoint()?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(s: &mnemo::events::projection::ProjectionStatus, json: bool) {
    if json {
        println!("{}", serde_json::to_string(s).unwrap_or_default());
        return;
    }
    let error = s
        .error
        .as_ref()
        .map(|e| format!("  FAILED at {}: {}", e.seq, e.reason))
        .unwrap_or_default();
    let rebuilding = s
        .rebuilding
        .map(|(g, c)| format!("  rebuilding gen {g} at {c}"))
        .unwrap_or_default();
    println!(
        "{:<20} gen {}  at {}  lag {}{rebuilding}{error}",
        s.name,
        s.generation,
        s.checkpoint,
        s.lag()
    );
}

/// Run `mnemo projections ...`.
pub fn projections(store: &Mnemo, cmd: ProjectionsCmd, json: bool) -> Result<ExitCode, Error> {
    match cmd {
        ProjectionsCmd::List => {
            for s in store.projections()? {
                print_status(&s, json);
            }
        }
        ProjectionsCmd::Status { name } => print_status(&store.projection_status(&name)?, json),
        ProjectionsCmd::Run { name } => {
            print_status(&store.run_builtin(&name)?, json);
        }
        ProjectionsCmd::Rebuild { name } => {
            print_status(&store.rebuild_builtin(&name)?, json);
        }
        ProjectionsCmd::Show { name } => {
            if name == mnemo::context_views::CONTEXT_VIEWS {
                return Err(Error::InvalidInput(
                    "the context views are read with `mnemo sessions`, `mnemo prompt` and \
                     `mnemo workflow`"
                        .into(),
                ));
            }
            store.projection_status(&name)?;
            for (k, v) in store.view(&name).scan(b"")? {
                let value = match <[u8; 8]>::try_from(v.as_slice()) {
                    Ok(n) if name == "event-counts" => u64::from_be_bytes(n).to_string(),
                    _ => String::from_utf8_lossy(&v).into_owned(),
                };
                if json {
                    println!(
                        "{}",
                        json!({"key": String::from_utf8_lossy(&k), "value": value})
                    );
                } else {
                    println!("{}  {value}", String::from_utf8_lossy(&k));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
