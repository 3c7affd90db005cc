//! Finding the transcripts AI coding tools keep on a machine, in their usual places:
//! Claude Code's project logs under `~/.claude/projects/*/*.jsonl`, and, under each given
//! root, aider's `.aider.chat.history.md` files and SpecStory's `.specstory/history/*.md`.
//!
//! Uses `std::fs` only; unreadable directories are skipped silently and symbolic links to
//! directories are not followed.

use std::fs;
use std::path::{Path, PathBuf};

/// How deep below a root the walk descends.
const MAX_DEPTH: usize = 6;

/// Directory names never descended into.
const SKIPPED_DIRS: [&str; 3] = ["node_modules", ".git", "target"];

/// Transcript files found under `home` (Claude Code logs) and under each of `roots` (aider
/// and SpecStory histories), sorted and without duplicates.
pub fn discover(home: &Path, roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut found = claude_logs(home);
    for root in roots {
        walk(root, 0, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

/// `home/.claude/projects/*/*.jsonl`.
fn claude_logs(home: &Path) -> Vec<PathBuf> {
    let projects = home.join(".claude").join("projects");
    let mut found = Vec::new();
    for project in entries(&projects).filter(|p| is_real_dir(p)) {
        found.extend(entries(&project).filter(|p| has_extension(p, "jsonl") && p.is_file()));
    }
    found
}

/// Collects aider and SpecStory histories under `dir`, down to [`MAX_DEPTH`].
fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    for path in entries(dir) {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if meta.is_file() && name == ".aider.chat.history.md" {
            found.push(path);
        } else if meta.is_dir() && !SKIPPED_DIRS.contains(&name) {
            if name == "history" && dir.file_name().is_some_and(|d| d == ".specstory") {
                found.extend(entries(&path).filter(|p| has_extension(p, "md") && p.is_file()));
            }
            walk(&path, depth + 1, found);
        }
    }
}

/// The entries of a directory; nothing when it cannot be read.
fn entries(dir: &Path) -> impl Iterator<Item = PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
}

/// A directory that is not a symbolic link.
fn is_real_dir(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// Whether `path` ends in `.ext`.
fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|e| e == ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x").unwrap();
    }

    #[test]
    fn finds_histories_in_usual_places() {
        let base = std::env::temp_dir().join(format!("mnemo-discover-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let home = base.join("home");
        let root = base.join("code");
        let expected = [
            home.join(".claude/projects/-code-app/1111.jsonl"),
            root.join("app/.aider.chat.history.md"),
            root.join("app/.specstory/history/2025-01-01_chat.md"),
            root.join("a/b/c/d/.aider.chat.history.md"),
        ];
        for p in &expected {
            touch(p);
        }
        for p in [
            home.join(".claude/projects/-code-app/notes.txt"),
            home.join(".claude/projects/top.jsonl"),
            root.join("app/node_modules/x/.aider.chat.history.md"),
            root.join("app/.specstory/other/x.md"),
            root.join("1/2/3/4/5/6/7/.aider.chat.history.md"),
        ] {
            touch(&p);
        }
        let mut want = expected.to_vec();
        want.sort();
        assert_eq!(discover(&home, std::slice::from_ref(&root)), want);
        assert!(discover(&base.join("missing"), &[base.join("nope")]).is_empty());
        let _ = fs::remove_dir_all(&base);
    }
}
