//! Mnemo's main job on the embedded default: open a store, import the sample transcripts
//! shipped in `examples/transcripts`, search them, version and render a prompt, follow the
//! change feed, and print stats.
//!
//! `cargo run --release -p mnemo --example demo [-- STORE_DIR [EXTRA_TRANSCRIPT_DIR...]]`
//! (default store: a fresh temporary directory).

use std::collections::BTreeMap;
use std::path::PathBuf;

use mnemo::{Mnemo, Options, SessionFilter};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let temp;
    let dir = match args.next() {
        Some(d) => PathBuf::from(d),
        None => {
            temp = std::env::temp_dir().join(format!("mnemo-demo-{}", std::process::id()));
            temp
        }
    };
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/transcripts");
    let mut paths = vec![samples];
    paths.extend(args.map(PathBuf::from));

    let store = Mnemo::open(&dir, Options::default())?;
    println!("store: {}", dir.display());

    let summary = store.import_paths(&paths, |_| {})?;
    println!(
        "imported {} session(s) from {} file(s) ({} already stored)",
        summary.sessions_imported(),
        summary.files.len(),
        summary.sessions_already_stored()
    );
    for (path, err) in summary.failures() {
        println!("  skipped {}: {err}", path.display());
    }

    println!("\nsessions:");
    for s in store.list_sessions(&SessionFilter {
        limit: Some(10),
        ..Default::default()
    })? {
        println!(
            "  {}  {:<12} {:>3} msgs  {}",
            &s.id[..12],
            s.source_tool,
            s.message_count,
            s.title
                .as_deref()
                .or(s.project.as_deref())
                .unwrap_or("(untitled)")
        );
    }

    for query in [
        "database locked tests",
        "retry backoff 503",
        "cache invalidation price",
    ] {
        println!("\nsearch {query:?}:");
        for hit in store.search(query, &SessionFilter::default(), 3)? {
            let best = hit
                .messages
                .first()
                .map(|m| m.snippet.as_str())
                .unwrap_or("");
            println!(
                "  {:5.2}  {}  {:<12} {best}",
                hit.score,
                &hit.session.id[..12],
                hit.session.source_tool
            );
        }
    }

    let feed_start = store.last_seq() + 1;
    store.add_prompt("fix-test", "Fix the failing test {{test}} in {{file}}.")?;
    let v2 = store.add_prompt(
        "fix-test",
        "Find why {{test}} fails in {{file}}, fix it, and explain the cause.",
    )?;
    store.label_prompt("fix-test", "production", 1)?;
    let mut values = BTreeMap::new();
    values.insert("test".to_string(), "test_reconnect".to_string());
    values.insert("file".to_string(), "tests/test_ws.py".to_string());
    println!("\nprompt fix-test: latest is v{}", v2.version);
    println!(
        "  production: {}",
        store.render_prompt("fix-test", Some("production"), &values)?
    );
    println!(
        "  latest:     {}",
        store.render_prompt("fix-test", None, &values)?
    );

    println!("\nchange feed from seq {feed_start}:");
    for e in store.read_log(feed_start, 10)? {
        println!("  {:>4} {:<16} {} v{}", e.seq, e.kind, e.stream, e.version);
    }

    store.flush()?;
    let imported = store.stats()?;
    // Imports are written at a fast level; a background thread recompresses them once
    // imports pause. `compact` does that work now, so the stats show the settled size.
    store.compact(Options::default().recompress_level)?;
    let st = store.stats()?;
    println!(
        "\nstats: {} sessions, {} messages, raw {} B -> stored {} B (ratio {:.2}x; {:.2}x as imported, before the recompression), {} dictionaries, log at seq {}",
        st.counters.sessions,
        st.counters.messages,
        st.counters.raw_bytes,
        st.stored_content_bytes,
        st.compression_ratio(),
        imported.compression_ratio(),
        st.dictionaries,
        st.last_seq
    );
    Ok(())
}
