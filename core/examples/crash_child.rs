//! Child process for the kill -9 crash test (`tests/crash.rs`): imports the files listed
//! (one path per line) in the file given as the second argument into the store in the
//! first argument, printing `ACK <source-id>` after each import returns.

use std::io::{BufRead, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(list)) = (args.next(), args.next()) else {
        eprintln!("usage: crash_child STORE_DIR FILE_LIST");
        std::process::exit(2);
    };
    let store = match mnemo::Mnemo::open(&dir, mnemo::Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(1);
        }
    };
    let list = std::fs::File::open(&list).expect("file list");
    let stdout = std::io::stdout();
    for line in std::io::BufReader::new(list).lines() {
        let Ok(path) = line else { break };
        if let Ok(r) = store.import_file(&path) {
            let mut out = stdout.lock();
            let _ = writeln!(out, "ACK {} {}", r.source_id, path);
            let _ = out.flush();
        }
    }
}
