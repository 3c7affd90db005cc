"""Mnemo: an embeddable engine for AI coding context.

Open a store on a directory, import transcripts of AI coding sessions (aider, Claude Code,
Cursor/Copilot via SpecStory, SWE-agent) byte-exact, read, list, search and export them,
keep versioned prompt templates and workflows, follow every change through the
change feed, and keep your own event streams with projections, snapshots and upcasters
(``append``, ``read_stream``, ``subscribe``, ``run_projection``)::

    import mnemo

    with mnemo.Mnemo("/tmp/store") as store:
        store.import_file("transcript.md")
        for hit in store.search("database is locked", limit=5):
            print(hit.session.id, hit.score, hit.session.title)

Everything is implemented by the Rust core; this package is its binding. Errors are
``MnemoError`` subclasses with a stable ``code``. The handle can be shared by threads:
calls release the GIL while they do I/O.
"""

from ._mnemo import (
    ANY,
    BUILTIN_PROJECTIONS,
    NO_STREAM,
    AmbiguousError,
    AppendResult,
    ClosedError,
    ConflictError,
    CorruptedError,
    Counters,
    EventData,
    Expected,
    FileReport,
    ImportedFile,
    ImportSummary,
    InvalidInputError,
    IoError,
    LockedError,
    LogEntry,
    LogVerification,
    Message,
    MessageMatch,
    MissingVariableError,
    Mnemo,
    MnemoError,
    NotFoundError,
    ProjectionFailedError,
    ProjectionFailure,
    ProjectionStatus,
    PromptTemplate,
    RenderedStep,
    SearchResult,
    Session,
    SessionInfo,
    Snapshot,
    Stats,
    StorageError,
    Subscription,
    TooLargeError,
    ToolCall,
    TranscriptImportError,
    UnknownFormatError,
    UpcastError,
    ViewBatch,
    ViewReader,
    Workflow,
    WorkflowStep,
    __version__,
)

__all__ = [
    "Mnemo",
    "Subscription",
    "Session",
    "SessionInfo",
    "Message",
    "ToolCall",
    "ImportedFile",
    "ImportSummary",
    "FileReport",
    "SearchResult",
    "MessageMatch",
    "PromptTemplate",
    "WorkflowStep",
    "Workflow",
    "RenderedStep",
    "LogEntry",
    "Stats",
    "Counters",
    "EventData",
    "Expected",
    "ANY",
    "NO_STREAM",
    "AppendResult",
    "LogVerification",
    "Snapshot",
    "ProjectionStatus",
    "ProjectionFailure",
    "ViewReader",
    "ViewBatch",
    "BUILTIN_PROJECTIONS",
    "MnemoError",
    "LockedError",
    "UnknownFormatError",
    "TranscriptImportError",
    "IoError",
    "StorageError",
    "CorruptedError",
    "NotFoundError",
    "AmbiguousError",
    "MissingVariableError",
    "ConflictError",
    "InvalidInputError",
    "TooLargeError",
    "ProjectionFailedError",
    "UpcastError",
    "ClosedError",
    "__version__",
]
