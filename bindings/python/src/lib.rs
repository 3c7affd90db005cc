//! Python binding of Mnemo: the extension module `mnemo._mnemo`, re-exported by the
//! `mnemo` package (`python/mnemo/__init__.py`).
//!
//! The binding holds no logic: it converts arguments and results between Python and the
//! core's types, maps [`mnemo::Error`] to one exception class per variant, and runs every
//! blocking call detached from the interpreter so other Python threads keep running.
//!
//! - `store`: the `Mnemo` handle.
//! - `types`: read-only data classes (sessions, messages, prompts, workflows, log entries...).
//! - `feed`: the change feed (`Subscription`).
//! - `events`: the event store's classes (events, projections, snapshots) and the Python
//!   callbacks the core calls (host projections, upcasters).
//! - `errors`: the exception classes and the error mapping.

use pyo3::prelude::*;

mod errors;
mod events;
mod feed;
mod store;
mod types;

/// The native part of the `mnemo` package; import `mnemo`, not this module.
#[pymodule]
fn _mnemo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<store::Mnemo>()?;
    m.add_class::<feed::Subscription>()?;
    m.add_class::<types::Session>()?;
    m.add_class::<types::SessionInfo>()?;
    m.add_class::<types::Message>()?;
    m.add_class::<types::ToolCall>()?;
    m.add_class::<types::ImportedFile>()?;
    m.add_class::<types::ImportSummary>()?;
    m.add_class::<types::FileReport>()?;
    m.add_class::<types::SearchResult>()?;
    m.add_class::<types::MessageMatch>()?;
    m.add_class::<types::PromptTemplate>()?;
    m.add_class::<types::WorkflowStep>()?;
    m.add_class::<types::Workflow>()?;
    m.add_class::<types::RenderedStep>()?;
    m.add_class::<types::LogEntry>()?;
    m.add_class::<types::Stats>()?;
    m.add_class::<types::Counters>()?;
    m.add_class::<events::EventData>()?;
    m.add_class::<events::Expected>()?;
    m.add_class::<events::AppendResult>()?;
    m.add_class::<events::LogVerification>()?;
    m.add_class::<events::Snapshot>()?;
    m.add_class::<events::AggregateLoad>()?;
    m.add_class::<events::ContextRebuild>()?;
    m.add_class::<events::ProjectionStatus>()?;
    m.add_class::<events::ProjectionFailure>()?;
    m.add_class::<events::ViewReader>()?;
    m.add_class::<events::ViewBatch>()?;
    events::register(m)?;
    errors::register(m)?;
    Ok(())
}
