//! The context store's peer: [`SqliteStore`], SQLite in WAL mode holding one row per
//! session and one per message, message texts and tool calls compressed with zstd.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use mnemo::import;
use mnemo::{Message, Role, SessionInfo, ToolCall};
use rusqlite::{params, Connection, OptionalExtension};

use crate::{Result, ZSTD_LEVEL};

fn role_code(role: Role) -> i64 {
    match role {
        Role::User => 0,
        Role::Assistant => 1,
        Role::System => 2,
        Role::Tool => 3,
    }
}

fn role_from_code(code: i64) -> Result<Role> {
    Ok(match code {
        0 => Role::User,
        1 => Role::Assistant,
        2 => Role::System,
        3 => Role::Tool,
        other => return Err(format!("unknown role code {other}").into()),
    })
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions(
    id TEXT PRIMARY KEY,
    source_tool TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT,
    project TEXT,
    started_at INTEGER,
    ended_at INTEGER,
    files_touched TEXT NOT NULL, -- JSON array
    metadata TEXT NOT NULL,      -- JSON object
    message_count INTEGER NOT NULL,
    raw_len INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages(
    session_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    role INTEGER NOT NULL,       -- 0 user, 1 assistant, 2 system, 3 tool
    ts INTEGER,
    text BLOB NOT NULL,          -- zstd level 3 of the text
    tool_calls BLOB,             -- zstd level 3 of the JSON array of tool calls; NULL when none
    tool_call_id TEXT,
    PRIMARY KEY(session_id, idx)
);
";

/// The optional full-text index: a contentless FTS5 table (default tokenizer and detail) over
/// message texts, keyed by the `messages` rowid. It is what a SQLite user would add for
/// keyword search, the counterpart of Mnemo's postings.
const FTS_SCHEMA: &str =
    "CREATE VIRTUAL TABLE IF NOT EXISTS message_fts USING fts5(text, content='');";

/// The SQLite peer: sessions and messages in two tables, message texts (and tool calls)
/// compressed with zstd level 3, one transaction per imported file.
///
/// Opened with `journal_mode=WAL` and `synchronous=FULL` when durable (every commit fsyncs
/// the WAL, like Mnemo's default) or `synchronous=OFF` when not. The page cache is set to
/// 64 MiB, the size of Mnemo's default block cache, so both stores get the same memory.
/// [`SqliteStore::open_with_search`] also keeps an FTS5 index of message texts.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    search: bool,
    compressor: zstd::bulk::Compressor<'static>,
    decompressor: RefCell<zstd::bulk::Decompressor<'static>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (or creates) the database file `path`; `durable` selects `synchronous=FULL`
    /// (fsync per commit) over `synchronous=OFF`.
    pub fn open(path: impl AsRef<Path>, durable: bool) -> Result<SqliteStore> {
        Self::open_inner(path.as_ref(), durable, false)
    }

    /// Like [`SqliteStore::open`], and every imported message text is also indexed in a
    /// contentless FTS5 table (what keyword search over SQLite needs).
    pub fn open_with_search(path: impl AsRef<Path>, durable: bool) -> Result<SqliteStore> {
        Self::open_inner(path.as_ref(), durable, true)
    }

    fn open_inner(path: &Path, durable: bool, search: bool) -> Result<SqliteStore> {
        let path = path.to_path_buf();
        let conn = Connection::open(&path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(format!("journal_mode is {mode}, not wal").into());
        }
        conn.execute_batch(if durable {
            "PRAGMA synchronous=FULL;"
        } else {
            "PRAGMA synchronous=OFF;"
        })?;
        conn.execute_batch("PRAGMA cache_size=-65536;")?;
        conn.execute_batch(SCHEMA)?;
        if search {
            conn.execute_batch(FTS_SCHEMA)?;
        }
        Ok(SqliteStore {
            conn,
            path,
            search,
            compressor: zstd::bulk::Compressor::new(ZSTD_LEVEL)?,
            decompressor: RefCell::new(zstd::bulk::Decompressor::new()?),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Parses `bytes` with Mnemo's parser and stores every session of the file in one
    /// transaction. Session ids are `<name>#<index in file>`; returns them in file order.
    pub fn import_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<Vec<String>> {
        let parsed = import::parse(bytes)?;
        let tx = self.conn.transaction()?;
        let ids = insert_parsed(&tx, &mut self.compressor, self.search, name, &parsed)?;
        tx.commit()?;
        Ok(ids)
    }

    /// Group commit, the counterpart of Mnemo's `import_paths`: stores `files` (name, bytes)
    /// in one transaction (one fsync), each file inside its own savepoint so a file that
    /// fails leaves no trace and the others go on. Returns one outcome per file, in order.
    pub fn import_group(&mut self, files: &[(&str, &[u8])]) -> Result<Vec<Result<Vec<String>>>> {
        let mut tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            let parsed = match import::parse(bytes) {
                Ok(p) => p,
                Err(e) => {
                    out.push(Err(e.into()));
                    continue;
                }
            };
            let sp = tx.savepoint()?;
            match insert_parsed(&sp, &mut self.compressor, self.search, name, &parsed) {
                Ok(ids) => {
                    sp.commit()?;
                    out.push(Ok(ids));
                }
                // Dropping the savepoint rolls the file back.
                Err(e) => out.push(Err(e)),
            }
        }
        tx.commit()?;
        Ok(out)
    }

    fn decompress(&self, frame: &[u8]) -> Result<Vec<u8>> {
        let len = zstd::zstd_safe::get_frame_content_size(frame)
            .ok()
            .flatten()
            .ok_or("zstd frame without content size")?;
        Ok(self
            .decompressor
            .borrow_mut()
            .decompress(frame, len as usize)?)
    }

    /// Every message of session `id`, in order, texts decompressed (empty when the id is
    /// unknown).
    pub fn get_session(&self, id: &str) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT role, ts, text, tool_calls, tool_call_id FROM messages \
             WHERE session_id = ?1 ORDER BY idx",
        )?;
        let mut rows = stmt.query([id])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let text = self.decompress(row.get_ref(2)?.as_blob()?)?;
            let tool_calls: Vec<ToolCall> = match row.get_ref(3)?.as_blob_or_null()? {
                None => Vec::new(),
                Some(z) => serde_json::from_slice(&self.decompress(z)?)?,
            };
            out.push(Message {
                role: role_from_code(row.get(0)?)?,
                text: String::from_utf8(text)?,
                timestamp: row.get(1)?,
                tool_calls,
                tool_call_id: row.get(4)?,
            });
        }
        Ok(out)
    }

    /// The `sessions` row of `id` as a [`SessionInfo`], if stored.
    pub fn session_info(&self, id: &str) -> Result<Option<SessionInfo>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source_tool, format, title, project, started_at, ended_at, files_touched, \
             metadata, message_count, raw_len FROM sessions WHERE id = ?1",
        )?;
        let row = stmt
            .query_row([id], |r| {
                Ok((
                    SessionInfo {
                        id: id.to_string(),
                        source_tool: r.get(0)?,
                        format: r.get(1)?,
                        title: r.get(2)?,
                        project: r.get(3)?,
                        started_at: r.get(4)?,
                        ended_at: r.get(5)?,
                        files_touched: Vec::new(),
                        metadata: Default::default(),
                        message_count: r.get(8)?,
                        raw_len: r.get::<_, i64>(9)? as u64,
                    },
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .optional()?;
        let Some((mut info, files, metadata)) = row else {
            return Ok(None);
        };
        info.files_touched = serde_json::from_str(&files)?;
        info.metadata = serde_json::from_str(&metadata)?;
        Ok(Some(info))
    }

    /// Checkpoints the WAL into the database file (`wal_checkpoint(TRUNCATE)`) and returns
    /// the size of the database file plus whatever is left in the WAL.
    pub fn checkpointed_bytes(&self) -> Result<u64> {
        crate::checkpointed_bytes(&self.conn, &self.path)
    }
}

/// Inserts every session of `parsed` (from file `name`) through `conn`, which is inside a
/// transaction; returns the session ids (`<name>#<index>`).
fn insert_parsed(
    conn: &Connection,
    compressor: &mut zstd::bulk::Compressor<'static>,
    search: bool,
    name: &str,
    parsed: &import::ParsedFile,
) -> Result<Vec<String>> {
    let format = parsed.format.name();
    let mut ids = Vec::with_capacity(parsed.sessions.len());
    let mut insert_session = conn.prepare_cached(
        "INSERT INTO sessions(id, source_tool, format, title, project, started_at, \
         ended_at, files_touched, metadata, message_count, raw_len) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut insert_message = conn.prepare_cached(
        "INSERT INTO messages(session_id, idx, role, ts, text, tool_calls, tool_call_id) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut insert_fts = if search {
        Some(conn.prepare_cached("INSERT INTO message_fts(rowid, text) VALUES (?1, ?2)")?)
    } else {
        None
    };
    for (i, s) in parsed.sessions.iter().enumerate() {
        let id = format!("{name}#{i}");
        insert_session.execute(params![
            id,
            s.source_tool,
            format,
            s.title,
            s.project,
            s.started_at,
            s.ended_at,
            serde_json::to_string(&s.files_touched)?,
            serde_json::to_string(&s.metadata)?,
            s.messages.len() as i64,
            s.span.len() as i64,
        ])?;
        for (idx, pm) in s.messages.iter().enumerate() {
            let m = &pm.message;
            let text = compressor.compress(m.text.as_bytes())?;
            let tool_calls = if m.tool_calls.is_empty() {
                None
            } else {
                Some(compressor.compress(&serde_json::to_vec(&m.tool_calls)?)?)
            };
            insert_message.execute(params![
                id,
                idx as i64,
                role_code(m.role),
                m.timestamp,
                text,
                tool_calls,
                m.tool_call_id,
            ])?;
            if let Some(fts) = insert_fts.as_mut() {
                fts.execute(params![conn.last_insert_rowid(), m.text])?;
            }
        }
        ids.push(id);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{mnemo_options, workspace_dir, Transcript};

    /// The sample transcripts shipped with the repository.
    fn samples() -> Vec<Transcript> {
        let root = workspace_dir().join("examples/transcripts");
        let mut out = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
                let p = f.unwrap().path();
                out.push(Transcript {
                    bytes: std::fs::read(&p).unwrap(),
                    path: p.strip_prefix(&root).unwrap().to_path_buf(),
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    #[test]
    fn sqlite_and_mnemo_return_the_same_messages() {
        let dir = tempfile::tempdir().unwrap();
        let mut sqlite = SqliteStore::open(dir.path().join("peer.sqlite"), false).unwrap();
        let mnemo = mnemo::Mnemo::open(dir.path().join("mnemo"), mnemo_options(false)).unwrap();
        let files = samples();
        assert!(!files.is_empty());
        let mut compared = 0;
        for f in &files {
            let name = f.path.to_string_lossy();
            let sqlite_ids = sqlite.import_bytes(&name, &f.bytes).unwrap();
            let imported = mnemo.import_bytes(&*f.path, &f.bytes).unwrap();
            assert_eq!(imported.imported.len(), sqlite_ids.len());
            for (m, s) in imported.imported.iter().zip(&sqlite_ids) {
                let from_mnemo = mnemo.session(m).unwrap();
                assert_eq!(from_mnemo.messages, sqlite.get_session(s).unwrap());
                let mut info = sqlite.session_info(s).unwrap().unwrap();
                info.id = m.clone();
                assert_eq!(from_mnemo.info, info);
                compared += 1;
            }
        }
        assert!(compared >= files.len());
        assert!(sqlite.checkpointed_bytes().unwrap() > 0);
        assert!(sqlite.get_session("missing").unwrap().is_empty());

        let mut fts = SqliteStore::open_with_search(dir.path().join("fts.sqlite"), false).unwrap();
        for f in &files {
            fts.import_bytes(&f.path.to_string_lossy(), &f.bytes)
                .unwrap();
        }
        let hits: i64 = fts
            .conn
            .query_row(
                "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'jitter'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(hits > 0);

        let mut grouped = SqliteStore::open(dir.path().join("group.sqlite"), true).unwrap();
        let mut batch: Vec<(String, &[u8])> = files
            .iter()
            .map(|f| (f.path.to_string_lossy().into_owned(), &f.bytes[..]))
            .collect();
        batch.push(("not-a-transcript".into(), b"hello"));
        let batch: Vec<(&str, &[u8])> = batch.iter().map(|(n, b)| (n.as_str(), *b)).collect();
        let outcomes = grouped.import_group(&batch).unwrap();
        assert!(outcomes[..files.len()].iter().all(Result::is_ok));
        assert!(outcomes[files.len()].is_err());
        let first = outcomes[0].as_ref().unwrap();
        assert!(!grouped.get_session(&first[0]).unwrap().is_empty());
    }
}
