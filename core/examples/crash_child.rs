//! Child process for the kill -9 crash test (`tests/crash.rs`): imports the files listed
//! (one path per line) in FILE_LIST into the store in STORE_DIR, printing an acknowledgement
//! as soon as each import is durable. Mode `single` commits file by file
//! (`import_file`, prints `ACK <source-id> <path>`); mode `group` uses the pipelined group
//! commit of `import_paths` (prints `ACKPATH <path>` from the progress callback).

use std::io::{BufRead, Write};
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, dir, list] = args.as_slice() else {
        eprintln!("usage: crash_child single|group STORE_DIR FILE_LIST");
        std::process::exit(2);
    };
    let store = match mnemo::Mnemo::open(dir, mnemo::Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("open: {e}");
            std::process::exit(1);
        }
    };
    let list = std::fs::File::open(list).expect("file list");
    let paths: Vec<PathBuf> = std::io::BufReader::new(list)
        .lines()
        .map_while(Result::ok)
        .map(PathBuf::from)
        .collect();
    let stdout = std::io::stdout();
    if mode == "group" {
        let _ = store.import_paths(&paths, |p| {
            let mut out = stdout.lock();
            let _ = writeln!(out, "ACKPATH {}", p.path.display());
            let _ = out.flush();
        });
        return;
    }
    for path in paths {
        if let Ok(r) = store.import_file(&path) {
            let mut out = stdout.lock();
            let _ = writeln!(out, "ACK {} {}", r.source_id, path.display());
            let _ = out.flush();
        }
    }
}
