"""Mnemo: an embeddable engine for AI coding context.

Open a store on a directory, import transcripts of AI coding sessions (aider, Claude Code,
Cursor/Copilot via SpecStory, SWE-agent) byte-exact, read, list, search and export them,
keep versioned prompt templates and workflows, and follow every change through the
change feed::

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
    AmbiguousError,
    ClosedError,
    ConflictError,
    CorruptedError,
    Counters,
    FileReport,
    ImportedFile,
    ImportSummary,
    InvalidInputError,
    IoError,
    LockedError,
    LogEntry,
    Message,
    MessageMatch,
    MissingVariableError,
    Mnemo,
    MnemoError,
    NotFoundError,
    ProjectionFailedError,
    PromptTemplate,
    RenderedStep,
    SearchResult,
    Session,
    SessionInfo,
    Stats,
    StorageError,
    Subscription,
    TooLargeError,
    ToolCall,
    TranscriptImportError,
    UnknownFormatError,
    UpcastError,
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
