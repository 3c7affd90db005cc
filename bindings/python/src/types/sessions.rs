//! Sessions, their messages and tool calls, import reports and search results.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::{q, ql, qo, role};

/// A tool invocation made by the assistant inside a message.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct ToolCall(pub mnemo::ToolCall);

#[pymethods]
impl ToolCall {
    /// Tool-assigned call id, when the source format has one.
    #[getter]
    fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }
    /// Tool name (`Read`, `Bash`, `edit_file`, ...).
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// The call's input as the source recorded it (usually JSON text).
    #[getter]
    fn input(&self) -> &str {
        &self.0.input
    }
    fn __repr__(&self) -> String {
        format!(
            "ToolCall(name={}, id={})",
            q(&self.0.name),
            qo(self.0.id.as_deref())
        )
    }
}

/// One message of a session.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Message(pub mnemo::Message);

#[pymethods]
impl Message {
    /// Who spoke: `user`, `assistant`, `system` or `tool`.
    #[getter]
    fn role(&self) -> &'static str {
        role(self.0.role)
    }
    /// The message text (for tool results: the tool's output).
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }
    /// When it was said (ms since the epoch), if the source records it.
    #[getter]
    fn timestamp(&self) -> Option<i64> {
        self.0.timestamp
    }
    /// Tool calls the assistant made in this message.
    #[getter]
    fn tool_calls(&self) -> Vec<ToolCall> {
        self.0.tool_calls.iter().cloned().map(ToolCall).collect()
    }
    /// For a `tool` message: the id of the call it answers, when known.
    #[getter]
    fn tool_call_id(&self) -> Option<&str> {
        self.0.tool_call_id.as_deref()
    }
    fn __repr__(&self) -> String {
        let mut text: String = self.0.text.chars().take(40).collect();
        if text.len() < self.0.text.len() {
            text.push('…');
        }
        format!("Message(role={}, text={})", q(role(self.0.role)), q(&text))
    }
}

/// A session's metadata.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct SessionInfo(pub mnemo::SessionInfo);

#[pymethods]
impl SessionInfo {
    /// Stable id (hex); any unique prefix of it names the session.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The AI tool that produced it (`cursor`, `claude-code`, `aider`, `swe-agent`, ...).
    #[getter]
    fn source_tool(&self) -> &str {
        &self.0.source_tool
    }
    /// The transcript format it was imported from.
    #[getter]
    fn format(&self) -> &str {
        &self.0.format
    }
    /// Project or repository the session worked on, when known.
    #[getter]
    fn project(&self) -> Option<&str> {
        self.0.project.as_deref()
    }
    /// Human title: the file's, else the first line of the first user message (then
    /// `metadata["title_source"]` is `first user message`), else none.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// Start time (ms since the epoch), when known.
    #[getter]
    fn started_at(&self) -> Option<i64> {
        self.0.started_at
    }
    /// End time (ms since the epoch), when known.
    #[getter]
    fn ended_at(&self) -> Option<i64> {
        self.0.ended_at
    }
    /// Files the session read or changed, as named by its tool calls.
    #[getter]
    fn files_touched(&self) -> Vec<&str> {
        self.0.files_touched.iter().map(String::as_str).collect()
    }
    /// Free-form metadata from the source (model name, agent id, ...).
    #[getter]
    fn metadata(&self) -> &BTreeMap<String, String> {
        &self.0.metadata
    }
    /// Number of messages.
    #[getter]
    fn message_count(&self) -> u32 {
        self.0.message_count
    }
    /// Length in bytes of the original transcript bytes of this session.
    #[getter]
    fn raw_len(&self) -> u64 {
        self.0.raw_len
    }
    fn __repr__(&self) -> String {
        format!(
            "SessionInfo(id={}, source_tool={}, title={}, message_count={})",
            q(&self.0.id),
            q(&self.0.source_tool),
            qo(self.0.title.as_deref()),
            self.0.message_count
        )
    }
}

/// A session with all its messages.
#[pyclass(frozen, module = "mnemo")]
pub struct Session {
    info: Py<SessionInfo>,
    messages: Vec<Py<Message>>,
}

impl Session {
    pub(crate) fn new(py: Python<'_>, s: mnemo::Session) -> PyResult<Self> {
        Ok(Session {
            info: Py::new(py, SessionInfo(s.info))?,
            messages: s
                .messages
                .into_iter()
                .map(|m| Py::new(py, Message(m)))
                .collect::<PyResult<_>>()?,
        })
    }
}

#[pymethods]
impl Session {
    /// Metadata.
    #[getter]
    fn info(&self, py: Python<'_>) -> Py<SessionInfo> {
        self.info.clone_ref(py)
    }
    /// The session id (same as `info.id`).
    #[getter]
    fn id(&self) -> &str {
        &self.info.get().0.id
    }
    /// Messages in order.
    #[getter]
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, &self.messages)
    }
    fn __len__(&self) -> usize {
        self.messages.len()
    }
    fn __repr__(&self) -> String {
        let info = &self.info.get().0;
        format!(
            "Session(id={}, title={}, messages={})",
            q(&info.id),
            qo(info.title.as_deref()),
            self.messages.len()
        )
    }
}

/// What importing one file did.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct ImportedFile(pub mnemo::ImportedFile);

#[pymethods]
impl ImportedFile {
    /// BLAKE3 of the file, hex: the id for `Mnemo.export_source`.
    #[getter]
    fn source_id(&self) -> &str {
        &self.0.source_id
    }
    /// Detected format.
    #[getter]
    fn format(&self) -> &str {
        &self.0.format
    }
    /// Ids of the sessions added by this import.
    #[getter]
    fn imported(&self) -> Vec<&str> {
        self.0.imported.iter().map(String::as_str).collect()
    }
    /// Sessions of the file that were already stored.
    #[getter]
    fn already_stored(&self) -> usize {
        self.0.already_stored
    }
    /// File size in bytes.
    #[getter]
    fn bytes(&self) -> u64 {
        self.0.bytes
    }
    fn __repr__(&self) -> String {
        format!(
            "ImportedFile(format={}, imported={}, already_stored={}, bytes={})",
            q(&self.0.format),
            ql(&self.0.imported),
            self.0.already_stored,
            self.0.bytes
        )
    }
}

/// The outcome of importing one file of `Mnemo.import_paths`.
#[pyclass(frozen, module = "mnemo")]
pub struct FileReport {
    path: PathBuf,
    imported: Option<Py<ImportedFile>>,
    error: Option<Py<PyAny>>,
}

#[pymethods]
impl FileReport {
    /// The file.
    #[getter]
    fn path(&self) -> &PathBuf {
        &self.path
    }
    /// What the import did, or `None` when it failed.
    #[getter]
    fn imported(&self, py: Python<'_>) -> Option<Py<ImportedFile>> {
        self.imported.as_ref().map(|i| i.clone_ref(py))
    }
    /// The error (a `MnemoError`), or `None` when the import succeeded.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.error.as_ref().map(|e| e.clone_ref(py))
    }
    /// Whether the file was imported.
    #[getter]
    fn ok(&self) -> bool {
        self.error.is_none()
    }
    fn __repr__(&self) -> String {
        format!(
            "FileReport(path={}, ok={})",
            q(&self.path.to_string_lossy()),
            if self.error.is_none() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The outcome of `Mnemo.import_paths`.
#[pyclass(frozen, module = "mnemo")]
pub struct ImportSummary {
    files: Vec<Py<FileReport>>,
    sessions_imported: usize,
    sessions_already_stored: usize,
}

impl ImportSummary {
    pub(crate) fn new(py: Python<'_>, s: mnemo::ImportSummary) -> PyResult<Self> {
        let sessions_imported = s.sessions_imported();
        let sessions_already_stored = s.sessions_already_stored();
        let files = s
            .files
            .into_iter()
            .map(|f| {
                let (imported, error) = match f.outcome {
                    Ok(i) => (Some(Py::new(py, ImportedFile(i))?), None),
                    Err(e) => (
                        None,
                        Some(crate::errors::to_py(py, e).into_value(py).into_any()),
                    ),
                };
                Py::new(
                    py,
                    FileReport {
                        path: f.path,
                        imported,
                        error,
                    },
                )
            })
            .collect::<PyResult<_>>()?;
        Ok(ImportSummary {
            files,
            sessions_imported,
            sessions_already_stored,
        })
    }
}

#[pymethods]
impl ImportSummary {
    /// One report per file, in order.
    #[getter]
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, &self.files)
    }
    /// The reports of the files that failed.
    #[getter]
    fn failures<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.files.iter().filter(|f| !f.get().ok()))
    }
    /// Sessions added.
    #[getter]
    fn sessions_imported(&self) -> usize {
        self.sessions_imported
    }
    /// Sessions that were already stored.
    #[getter]
    fn sessions_already_stored(&self) -> usize {
        self.sessions_already_stored
    }
    fn __repr__(&self) -> String {
        format!(
            "ImportSummary(files={}, sessions_imported={}, sessions_already_stored={})",
            self.files.len(),
            self.sessions_imported,
            self.sessions_already_stored
        )
    }
}

/// A message that matched a search.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct MessageMatch(pub mnemo::MessageMatch);

#[pymethods]
impl MessageMatch {
    /// Index of the message in the session.
    #[getter]
    fn index(&self) -> u32 {
        self.0.index
    }
    /// Who spoke.
    #[getter]
    fn role(&self) -> &'static str {
        role(self.0.role)
    }
    /// BM25 score.
    #[getter]
    fn score(&self) -> f64 {
        self.0.score
    }
    /// A short excerpt around the first matching term.
    #[getter]
    fn snippet(&self) -> &str {
        &self.0.snippet
    }
    fn __repr__(&self) -> String {
        format!(
            "MessageMatch(index={}, role={}, score={:.3})",
            self.0.index,
            q(role(self.0.role)),
            self.0.score
        )
    }
}

/// A session that matched a search, with its best messages.
#[pyclass(frozen, module = "mnemo")]
pub struct SearchResult {
    session: Py<SessionInfo>,
    score: f64,
    messages: Vec<Py<MessageMatch>>,
}

impl SearchResult {
    pub(crate) fn new(py: Python<'_>, r: mnemo::SearchResult) -> PyResult<Self> {
        Ok(SearchResult {
            session: Py::new(py, SessionInfo(r.session))?,
            score: r.score,
            messages: r
                .messages
                .into_iter()
                .map(|m| Py::new(py, MessageMatch(m)))
                .collect::<PyResult<_>>()?,
        })
    }
}

#[pymethods]
impl SearchResult {
    /// The session.
    #[getter]
    fn session(&self, py: Python<'_>) -> Py<SessionInfo> {
        self.session.clone_ref(py)
    }
    /// Relevance (higher is better).
    #[getter]
    fn score(&self) -> f64 {
        self.score
    }
    /// Best matching messages (up to 3).
    #[getter]
    fn messages<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, &self.messages)
    }
    fn __repr__(&self) -> String {
        format!(
            "SearchResult(session={}, score={:.3}, messages={})",
            q(&self.session.get().0.id),
            self.score,
            self.messages.len()
        )
    }
}
