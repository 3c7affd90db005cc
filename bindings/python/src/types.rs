//! The data classes: read-only Python views of the core's value types.
//!
//! Each class wraps the Rust value and converts a field when it is read, so returning one
//! from a call costs a single allocation. Sequences read as fresh `list`s, maps as fresh
//! `dict`s, times as `int` milliseconds since the Unix epoch (UTC), byte strings as `bytes`.
//! Classes whose Rust type compares by value also compare by value in Python (`==`).
//! [`Session`] and [`SearchResult`] convert their nested objects once, when built.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyMapping};

fn role(r: mnemo::Role) -> &'static str {
    r.as_str()
}

/// `s` as Python writes a `str` literal (`'text'`).
pub(crate) fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push('"'),
            c => out.extend(c.escape_debug()),
        }
    }
    out.push('\'');
    out
}

/// An optional string as Python writes it (`None` or `'text'`).
fn qo(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_string(), q)
}

/// A list of strings as Python writes it.
fn ql(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

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
    /// Human title, when known.
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

/// A version of a prompt template.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct PromptTemplate(pub mnemo::PromptTemplate);

#[pymethods]
impl PromptTemplate {
    /// Template name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Version number, from 1.
    #[getter]
    fn version(&self) -> u32 {
        self.0.version
    }
    /// The template text with `{{variable}}` placeholders.
    #[getter]
    fn body(&self) -> &str {
        &self.0.body
    }
    /// Variables the body uses, in order of first appearance.
    #[getter]
    fn variables(&self) -> Vec<&str> {
        self.0.variables.iter().map(String::as_str).collect()
    }
    /// When this version was added (ms since the epoch).
    #[getter]
    fn created_at(&self) -> i64 {
        self.0.created_at
    }
    fn __repr__(&self) -> String {
        format!(
            "PromptTemplate(name={}, version={}, variables={})",
            q(&self.0.name),
            self.0.version,
            ql(&self.0.variables)
        )
    }
}

/// A prompt version given as a number or a label (`"production"`, `"latest"`).
#[derive(FromPyObject)]
pub(crate) enum Selector {
    Version(u32),
    Label(String),
}

impl Selector {
    pub(crate) fn into_string(self) -> String {
        match self {
            Selector::Version(v) => v.to_string(),
            Selector::Label(l) => l,
        }
    }
}

/// One step of a workflow: a prompt template to render, with fixed values.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct WorkflowStep(pub mnemo::WorkflowStep);

#[pymethods]
impl WorkflowStep {
    /// A step named `name` rendering template `prompt` at `prompt_ref` (a label or version
    /// number; `None` = latest) with `values`.
    #[new]
    #[pyo3(signature = (name, prompt, prompt_ref = None, values = None))]
    fn new(
        name: String,
        prompt: String,
        prompt_ref: Option<Selector>,
        values: Option<BTreeMap<String, String>>,
    ) -> Self {
        WorkflowStep(mnemo::WorkflowStep {
            name,
            prompt,
            prompt_ref: prompt_ref.map(Selector::into_string),
            values: values.unwrap_or_default(),
        })
    }
    /// Step name, unique within the workflow.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// The prompt template this step renders.
    #[getter]
    fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// A label or version number of that prompt; `None` means `latest`.
    #[getter]
    fn prompt_ref(&self) -> Option<&str> {
        self.0.prompt_ref.as_deref()
    }
    /// Values bound for this step.
    #[getter]
    fn values(&self) -> &BTreeMap<String, String> {
        &self.0.values
    }
    fn __repr__(&self) -> String {
        format!(
            "WorkflowStep(name={}, prompt={}, prompt_ref={})",
            q(&self.0.name),
            q(&self.0.prompt),
            qo(self.0.prompt_ref.as_deref())
        )
    }
}

/// A workflow step as given to `Mnemo.add_workflow`: a `WorkflowStep` or a mapping with
/// the same keys.
pub(crate) struct StepArg(pub mnemo::WorkflowStep);

impl<'a, 'py> FromPyObject<'a, 'py> for StepArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(step) = ob.cast::<WorkflowStep>() {
            return Ok(StepArg(step.get().0.clone()));
        }
        let map = ob.cast::<PyMapping>().map_err(|_| {
            PyTypeError::new_err(format!(
                "a workflow step must be a WorkflowStep or a mapping, not {}",
                ob.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        // A missing or None optional key means "not given".
        let get = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> {
            if !map.contains(key)? {
                return Ok(None);
            }
            let v = map.get_item(key)?;
            Ok((!v.is_none()).then_some(v))
        };
        let required = |key: &str| -> PyResult<String> {
            get(key)?
                .ok_or_else(|| {
                    PyTypeError::new_err(format!("a workflow step mapping needs a {key:?} key"))
                })?
                .extract()
        };
        let name = required("name")?;
        let prompt = required("prompt")?;
        let prompt_ref = get("prompt_ref")?
            .map(|v| v.extract::<Selector>())
            .transpose()?
            .map(Selector::into_string);
        let values = get("values")?
            .map(|v| v.extract::<BTreeMap<String, String>>())
            .transpose()?
            .unwrap_or_default();
        Ok(StepArg(mnemo::WorkflowStep {
            name,
            prompt,
            prompt_ref,
            values,
        }))
    }
}

/// A version of a workflow.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Workflow(pub mnemo::Workflow);

#[pymethods]
impl Workflow {
    /// Workflow name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Version number, from 1.
    #[getter]
    fn version(&self) -> u32 {
        self.0.version
    }
    /// Ordered steps.
    #[getter]
    fn steps(&self) -> Vec<WorkflowStep> {
        self.0.steps.iter().cloned().map(WorkflowStep).collect()
    }
    /// When this version was added (ms since the epoch).
    #[getter]
    fn created_at(&self) -> i64 {
        self.0.created_at
    }
    fn __repr__(&self) -> String {
        format!(
            "Workflow(name={}, version={}, steps={})",
            q(&self.0.name),
            self.0.version,
            self.0.steps.len()
        )
    }
}

/// One rendered step of a workflow.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct RenderedStep(pub mnemo::workflows::RenderedStep);

#[pymethods]
impl RenderedStep {
    /// Step name.
    #[getter]
    fn step(&self) -> &str {
        &self.0.step
    }
    /// Template name.
    #[getter]
    fn prompt(&self) -> &str {
        &self.0.prompt
    }
    /// Version of the template used.
    #[getter]
    fn prompt_version(&self) -> u32 {
        self.0.prompt_version
    }
    /// The rendered text.
    #[getter]
    fn text(&self) -> &str {
        &self.0.text
    }
    fn __repr__(&self) -> String {
        format!(
            "RenderedStep(step={}, prompt={}, prompt_version={})",
            q(&self.0.step),
            q(&self.0.prompt),
            self.0.prompt_version
        )
    }
}

/// One entry of the log (the change feed).
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct LogEntry(pub mnemo::LogEntry);

#[pymethods]
impl LogEntry {
    /// Global sequence number, from 1, gap-free.
    #[getter]
    fn seq(&self) -> u64 {
        self.0.seq
    }
    /// The stream the event belongs to (`session/<id>`, `prompt/<name>`, a host stream...).
    #[getter]
    fn stream(&self) -> &str {
        &self.0.stream
    }
    /// The stream's version after this event, from 1.
    #[getter]
    fn version(&self) -> u64 {
        self.0.version
    }
    /// Event type (`session.imported`, `prompt.added`, a host event type...).
    #[getter]
    fn kind(&self) -> &str {
        &self.0.kind
    }
    /// Schema version of the payload.
    #[getter]
    fn schema(&self) -> u32 {
        self.0.schema
    }
    /// When it was committed (ms since the epoch).
    #[getter]
    fn timestamp(&self) -> i64 {
        self.0.timestamp
    }
    /// Event body; its encoding depends on `kind`.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.payload)
    }
    /// Host metadata (opaque bytes); empty for Mnemo's own events.
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.metadata)
    }
    /// The hash chain link of the commit holding this entry (32 bytes, BLAKE3; shared by
    /// every entry of one commit).
    #[getter]
    fn hash<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.0.hash)
    }
    fn __repr__(&self) -> String {
        format!(
            "LogEntry(seq={}, stream={}, version={}, kind={})",
            self.0.seq,
            q(&self.0.stream),
            self.0.version,
            q(&self.0.kind)
        )
    }
}

/// Running totals of a store.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Counters(pub mnemo::Counters);

macro_rules! counter_getters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        #[pymethods]
        impl Counters {
            $(
                $(#[$doc])*
                #[getter]
                fn $name(&self) -> u64 {
                    self.0.$name
                }
            )*
            fn __repr__(&self) -> String {
                let fields: Vec<String> = vec![$(format!("{}={}", stringify!($name), self.0.$name)),*];
                format!("Counters({})", fields.join(", "))
            }
        }
    };
}

counter_getters!(
    /// Sessions stored.
    sessions,
    /// Messages stored.
    messages,
    /// Distinct source files imported.
    sources,
    /// Bytes of the imported source files (each distinct file counted once).
    raw_bytes,
    /// Distinct session blobs stored.
    blobs,
    /// Uncompressed bytes of the distinct blobs.
    blob_bytes,
    /// Bytes of the stored blob frames (after compression).
    blob_stored_bytes,
    /// Bytes of log entries written (after compression).
    log_stored_bytes,
    /// Blob bytes not stored because the same content was already stored.
    dedup_bytes,
    /// Indexed tokens over all messages.
    tokens,
    /// Prompt template versions stored.
    prompt_versions,
    /// Workflow versions stored.
    workflow_versions,
);

/// A snapshot of a store's statistics.
#[pyclass(frozen, eq, module = "mnemo")]
#[derive(PartialEq)]
pub struct Stats(pub mnemo::Stats);

#[pymethods]
impl Stats {
    /// Running counters.
    #[getter]
    fn counters(&self) -> Counters {
        Counters(self.0.counters.clone())
    }
    /// Last log sequence number.
    #[getter]
    fn last_seq(&self) -> u64 {
        self.0.last_seq
    }
    /// Trained dictionaries.
    #[getter]
    fn dictionaries(&self) -> u32 {
        self.0.dictionaries
    }
    /// Bytes stored for context content: compressed session blobs plus compressed log entries.
    #[getter]
    fn stored_content_bytes(&self) -> u64 {
        self.0.stored_content_bytes
    }
    /// On-disk bytes (SST files + memtables) per column family.
    #[getter]
    fn column_families(&self) -> BTreeMap<&str, u64> {
        self.0
            .column_families
            .iter()
            .map(|c| (c.name.as_str(), c.bytes))
            .collect()
    }
    /// Raw imported bytes divided by stored content bytes (higher is better).
    #[getter]
    fn compression_ratio(&self) -> f64 {
        self.0.compression_ratio()
    }
    /// Total on-disk bytes over all column families.
    #[getter]
    fn disk_bytes(&self) -> u64 {
        self.0.disk_bytes()
    }
    fn __repr__(&self) -> String {
        format!(
            "Stats(sessions={}, last_seq={}, compression_ratio={:.2}, disk_bytes={})",
            self.0.counters.sessions,
            self.0.last_seq,
            self.0.compression_ratio(),
            self.0.disk_bytes()
        )
    }
}
