"""Type stubs of the native module ``mnemo._mnemo`` (re-exported by ``mnemo``)."""

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Optional, Protocol, TypedDict, Union, final

from typing_extensions import NotRequired, Self

__all__ = [
    "__version__",
    "ANY",
    "BUILTIN_PROJECTIONS",
    "NO_STREAM",
    "AggregateLoad",
    "AmbiguousError",
    "AppendResult",
    "ClosedError",
    "ConflictError",
    "CorruptedError",
    "ContextRebuild",
    "Counters",
    "EventData",
    "Expected",
    "FileReport",
    "ImportSummary",
    "ImportedFile",
    "InvalidInputError",
    "IoError",
    "LockedError",
    "LogEntry",
    "LogVerification",
    "Message",
    "MessageMatch",
    "MissingVariableError",
    "Mnemo",
    "MnemoError",
    "NotFoundError",
    "ProjectionFailedError",
    "ProjectionFailure",
    "ProjectionStatus",
    "PromptTemplate",
    "RenderedStep",
    "SearchResult",
    "Session",
    "SessionInfo",
    "Snapshot",
    "Stats",
    "StorageError",
    "Subscription",
    "TooLargeError",
    "ToolCall",
    "TranscriptImportError",
    "UnknownFormatError",
    "UpcastError",
    "ViewBatch",
    "ViewReader",
    "Workflow",
    "WorkflowStep",
]

__version__: Final[str]
#: Expected version of an append: no check.
ANY: Final[Expected]
#: Expected version of an append: the stream must not exist yet.
NO_STREAM: Final[Expected]
#: Names of the built-in projections (``run_projection("event-counts")``): ``event-counts``,
#: ``stream-heads``, ``search-index`` and ``context-views``.
BUILTIN_PROJECTIONS: Final[tuple[str, ...]]

_StrPath = Union[str, "os.PathLike[str]"]
_Role = Literal["user", "assistant", "system", "tool"]
#: A prompt version number or label (``"production"``, ``"latest"``).
_Selector = Union[int, str]

#: Event payload or metadata: bytes as they are, ``None`` as empty, any other value as its
#: compact JSON.
_Payload = Union[bytes, bytearray, Mapping[str, Any], Sequence[Any], str, int, float, bool, None]
#: An append's expected stream version: ``ANY``, ``NO_STREAM`` or a version number.
_Expected = Union[Expected, int]

class _EventDict(TypedDict):
    """An event given as a mapping to ``Mnemo.append``."""

    kind: str
    payload: _Payload
    metadata: NotRequired[_Payload]
    schema: NotRequired[int]

_Event = Union[EventData, _EventDict]

class _Projection(Protocol):
    """A projection written in Python: ``apply`` writes the read model through ``view``
    (usable only during the call). An optional ``filter`` attribute or method gives
    ``(stream_prefix, kinds)``; either may be ``None``."""

    @property
    def name(self) -> str: ...
    def apply(self, event: LogEntry, view: ViewBatch, /) -> object: ...

class _StepDict(TypedDict):
    """A workflow step given as a mapping to ``Mnemo.add_workflow``."""

    name: str
    prompt: str
    prompt_ref: NotRequired[Optional[_Selector]]
    values: NotRequired[Optional[Mapping[str, str]]]

@final
class Mnemo:
    """A Mnemo store opened on a directory; a context manager that closes it on exit.

    Options left at ``None`` keep the engine's defaults: ``create_if_missing=True``,
    ``sync_writes=True``, ``compression_level=1``, ``blob_write_level=-30`` (the fast zstd
    level imported sessions are written at while the background recompression is on),
    ``dictionary_training_bytes=1 MiB``, ``block_cache_bytes=64 MiB``,
    ``recompress_level=15`` (imported sessions are recompressed at that zstd level in the
    background once imports pause; 0 turns it off).
    """

    def __new__(
        cls,
        path: _StrPath,
        *,
        create_if_missing: Optional[bool] = None,
        sync_writes: Optional[bool] = None,
        compression_level: Optional[int] = None,
        blob_write_level: Optional[int] = None,
        dictionary_training_bytes: Optional[int] = None,
        block_cache_bytes: Optional[int] = None,
        recompress_level: Optional[int] = None,
    ) -> Self: ...
    @property
    def path(self) -> Path: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None: ...
    def import_bytes(self, name: _StrPath, data: bytes) -> ImportedFile: ...
    def import_file(self, path: _StrPath) -> ImportedFile: ...
    def import_paths(
        self,
        paths: Sequence[_StrPath],
        progress: Optional[Callable[[int, int, Path], object]] = None,
    ) -> ImportSummary: ...
    def session(self, id: str) -> Session: ...
    def session_info(self, id: str) -> SessionInfo: ...
    def list_sessions(
        self,
        *,
        source_tool: Optional[str] = None,
        project: Optional[str] = None,
        since: Optional[int] = None,
        until: Optional[int] = None,
        limit: Optional[int] = None,
    ) -> list[SessionInfo]: ...
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        source_tool: Optional[str] = None,
        project: Optional[str] = None,
        since: Optional[int] = None,
        until: Optional[int] = None,
    ) -> list[SearchResult]: ...
    def export_session(self, id: str) -> bytes: ...
    def export_source(self, source_id: str) -> bytes: ...
    def session_source(self, id: str) -> str: ...
    def add_prompt(self, name: str, body: str) -> PromptTemplate: ...
    def prompt(self, name: str, selector: Optional[_Selector] = None) -> PromptTemplate: ...
    def prompt_versions(self, name: str) -> list[PromptTemplate]: ...
    def prompt_names(self) -> list[str]: ...
    def label_prompt(self, name: str, label: str, version: int) -> None: ...
    def prompt_labels(self, name: str) -> dict[str, int]: ...
    def render_prompt(
        self,
        name: str,
        values: Optional[Mapping[str, str]] = None,
        *,
        selector: Optional[_Selector] = None,
    ) -> str: ...
    def add_workflow(
        self, name: str, steps: Sequence[Union[WorkflowStep, _StepDict]]
    ) -> Workflow: ...
    def workflow(self, name: str, version: Optional[int] = None) -> Workflow: ...
    def workflow_versions(self, name: str) -> list[Workflow]: ...
    def render_workflow(
        self,
        name: str,
        values: Optional[Mapping[str, str]] = None,
        *,
        version: Optional[int] = None,
    ) -> list[RenderedStep]: ...
    def read_log(self, from_seq: int = 1, limit: int = 1000) -> list[LogEntry]: ...
    def last_seq(self) -> int: ...
    def wait_for(self, after: int, timeout: float) -> int: ...
    def subscribe(
        self,
        from_seq: int = 1,
        *,
        name: Optional[str] = None,
        stream_prefix: Optional[str] = None,
        kinds: Optional[Sequence[str]] = None,
    ) -> Subscription: ...
    def subscription_checkpoint(self, name: str) -> Optional[int]: ...
    def append(
        self, stream: str, events: Sequence[_Event], *, expected: _Expected = ...
    ) -> AppendResult: ...
    def append_many(
        self, batches: Sequence[tuple[str, _Expected, Sequence[_Event]]]
    ) -> list[AppendResult]: ...
    def read_stream(
        self,
        stream: str,
        from_version: Optional[int] = None,
        *,
        backward: bool = False,
        limit: int = 1000,
    ) -> list[LogEntry]: ...
    def read_all(
        self,
        from_seq: int = 1,
        limit: int = 1000,
        *,
        stream_prefix: Optional[str] = None,
        kinds: Optional[Sequence[str]] = None,
    ) -> list[LogEntry]: ...
    def stream_version(self, stream: str) -> Optional[int]: ...
    def verify_log(self) -> LogVerification: ...
    def run_projection(self, projection: Union[str, _Projection]) -> ProjectionStatus: ...
    def rebuild_projection(self, projection: Union[str, _Projection]) -> ProjectionStatus: ...
    def rebuild_context_views(self) -> ContextRebuild: ...
    def update_search_index(self) -> ProjectionStatus: ...
    def projection_status(self, name: str) -> ProjectionStatus: ...
    def projections(self) -> list[ProjectionStatus]: ...
    def view(self, name: str) -> ViewReader: ...
    def save_snapshot(self, stream: str, version: int, state: bytes) -> None: ...
    def load_snapshot(self, stream: str) -> Optional[Snapshot]: ...
    def snapshot_and_tail(self, stream: str) -> AggregateLoad: ...
    def snapshot_due(self, stream: str, version: int, every: int) -> bool: ...
    def register_upcaster(
        self, kind: str, from_schema: int, upcaster: Callable[[bytes], _Payload]
    ) -> None: ...
    def stats(self) -> Stats: ...
    def retrain_dictionaries(self) -> list[tuple[str, int]]: ...
    def compact(self, level: int = 15) -> dict[str, int]: ...
    def flush(self) -> None: ...

@final
class Subscription:
    """The change feed: a blocking iterator and an async iterator of ``LogEntry``."""

    @property
    def position(self) -> int: ...
    @property
    def name(self) -> Optional[str]: ...
    def checkpoint(self) -> None: ...
    def next(self, timeout: Optional[float] = None) -> Optional[LogEntry]: ...
    def wait(self, timeout: float) -> bool: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> LogEntry: ...
    def __aiter__(self) -> Self: ...
    def __anext__(self) -> Awaitable[LogEntry]: ...

@final
class ToolCall:
    @property
    def id(self) -> Optional[str]: ...
    @property
    def name(self) -> str: ...
    @property
    def input(self) -> str: ...

@final
class Message:
    @property
    def role(self) -> _Role: ...
    @property
    def text(self) -> str: ...
    @property
    def timestamp(self) -> Optional[int]: ...
    @property
    def tool_calls(self) -> list[ToolCall]: ...
    @property
    def tool_call_id(self) -> Optional[str]: ...

@final
class SessionInfo:
    @property
    def id(self) -> str: ...
    @property
    def source_tool(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def project(self) -> Optional[str]: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def started_at(self) -> Optional[int]: ...
    @property
    def ended_at(self) -> Optional[int]: ...
    @property
    def files_touched(self) -> list[str]: ...
    @property
    def metadata(self) -> dict[str, str]: ...
    @property
    def message_count(self) -> int: ...
    @property
    def raw_len(self) -> int: ...

@final
class Session:
    @property
    def info(self) -> SessionInfo: ...
    @property
    def id(self) -> str: ...
    @property
    def messages(self) -> list[Message]: ...
    def __len__(self) -> int: ...

@final
class ImportedFile:
    @property
    def source_id(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def imported(self) -> list[str]: ...
    @property
    def already_stored(self) -> int: ...
    @property
    def bytes(self) -> int: ...

@final
class FileReport:
    @property
    def path(self) -> Path: ...
    @property
    def imported(self) -> Optional[ImportedFile]: ...
    @property
    def error(self) -> Optional[MnemoError]: ...
    @property
    def ok(self) -> bool: ...

@final
class ImportSummary:
    @property
    def files(self) -> list[FileReport]: ...
    @property
    def failures(self) -> list[FileReport]: ...
    @property
    def sessions_imported(self) -> int: ...
    @property
    def sessions_already_stored(self) -> int: ...

@final
class MessageMatch:
    @property
    def index(self) -> int: ...
    @property
    def role(self) -> _Role: ...
    @property
    def score(self) -> float: ...
    @property
    def snippet(self) -> str: ...

@final
class SearchResult:
    @property
    def session(self) -> SessionInfo: ...
    @property
    def score(self) -> float: ...
    @property
    def messages(self) -> list[MessageMatch]: ...

@final
class PromptTemplate:
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def variables(self) -> list[str]: ...
    @property
    def created_at(self) -> int: ...

@final
class WorkflowStep:
    def __new__(
        cls,
        name: str,
        prompt: str,
        prompt_ref: Optional[_Selector] = None,
        values: Optional[Mapping[str, str]] = None,
    ) -> Self: ...
    @property
    def name(self) -> str: ...
    @property
    def prompt(self) -> str: ...
    @property
    def prompt_ref(self) -> Optional[str]: ...
    @property
    def values(self) -> dict[str, str]: ...

@final
class Workflow:
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def steps(self) -> list[WorkflowStep]: ...
    @property
    def created_at(self) -> int: ...

@final
class RenderedStep:
    @property
    def step(self) -> str: ...
    @property
    def prompt(self) -> str: ...
    @property
    def prompt_version(self) -> int: ...
    @property
    def text(self) -> str: ...

@final
class LogEntry:
    @property
    def seq(self) -> int: ...
    @property
    def stream(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def schema(self) -> int: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def metadata(self) -> bytes: ...
    @property
    def hash(self) -> bytes: ...

@final
class EventData:
    """An event to append; ``payload`` and ``metadata`` are bytes, ``None`` (empty), or any
    other value ``json.dumps`` accepts, stored as its compact JSON text."""

    def __new__(
        cls, kind: str, payload: _Payload, metadata: _Payload = b"", schema: int = 1
    ) -> Self: ...
    @property
    def kind(self) -> str: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def metadata(self) -> bytes: ...
    @property
    def schema(self) -> int: ...

@final
class Expected:
    """``ANY`` or ``NO_STREAM``; a version number is given as an ``int``."""

@final
class AppendResult:
    @property
    def first_seq(self) -> int: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def version(self) -> int: ...

@final
class LogVerification:
    @property
    def entries(self) -> int: ...
    @property
    def head(self) -> str: ...

@final
class Snapshot:
    @property
    def version(self) -> int: ...
    @property
    def state(self) -> bytes: ...

@final
class AggregateLoad:
    """A stream's newest snapshot and the events after it (``Mnemo.snapshot_and_tail``)."""

    @property
    def snapshot(self) -> Optional[Snapshot]: ...
    @property
    def events(self) -> list[LogEntry]: ...
    @property
    def version(self) -> int: ...

@final
class ContextRebuild:
    """What ``Mnemo.rebuild_context_views`` did."""

    @property
    def generation(self) -> int: ...
    @property
    def entries(self) -> int: ...
    @property
    def sessions(self) -> int: ...
    @property
    def sources(self) -> int: ...
    @property
    def prompt_versions(self) -> int: ...
    @property
    def workflow_versions(self) -> int: ...

@final
class ProjectionFailure:
    @property
    def seq(self) -> int: ...
    @property
    def reason(self) -> str: ...

@final
class ProjectionStatus:
    @property
    def name(self) -> str: ...
    @property
    def generation(self) -> int: ...
    @property
    def checkpoint(self) -> int: ...
    @property
    def rebuilding(self) -> Optional[tuple[int, int]]: ...
    @property
    def error(self) -> Optional[ProjectionFailure]: ...
    @property
    def head(self) -> int: ...
    @property
    def lag(self) -> int: ...

@final
class ViewReader:
    """The read model of a projection (its active generation)."""

    @property
    def name(self) -> str: ...
    def get(self, key: bytes) -> Optional[bytes]: ...
    def scan(self, prefix: bytes = b"") -> list[tuple[bytes, bytes]]: ...

@final
class ViewBatch:
    """A projection's pending writes, passed to ``apply``; usable only during that call."""

    def get(self, key: bytes) -> Optional[bytes]: ...
    def put(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...

@final
class Counters:
    @property
    def sessions(self) -> int: ...
    @property
    def messages(self) -> int: ...
    @property
    def sources(self) -> int: ...
    @property
    def raw_bytes(self) -> int: ...
    @property
    def blobs(self) -> int: ...
    @property
    def blob_bytes(self) -> int: ...
    @property
    def blob_stored_bytes(self) -> int: ...
    @property
    def log_stored_bytes(self) -> int: ...
    @property
    def dedup_bytes(self) -> int: ...
    @property
    def tokens(self) -> int: ...
    @property
    def prompt_versions(self) -> int: ...
    @property
    def workflow_versions(self) -> int: ...

@final
class Stats:
    @property
    def counters(self) -> Counters: ...
    @property
    def last_seq(self) -> int: ...
    @property
    def dictionaries(self) -> int: ...
    @property
    def recompressed_through(self) -> int: ...
    @property
    def stored_content_bytes(self) -> int: ...
    @property
    def column_families(self) -> dict[str, int]: ...
    @property
    def compression_ratio(self) -> float: ...
    @property
    def disk_bytes(self) -> int: ...

class MnemoError(Exception):
    """Base class of every Mnemo error; ``code`` is the core's stable error code."""

    #: The core's error code: ``"locked"``, ``"not_found"``, ... (also a class attribute of
    #: each subclass).
    code: str

class LockedError(MnemoError):
    path: Path

class UnknownFormatError(MnemoError):
    path: Path

class TranscriptImportError(MnemoError):
    path: Path
    reason: str

class IoError(MnemoError):
    path: Path
    errno: Optional[int]

class StorageError(MnemoError):
    reason: str

class CorruptedError(MnemoError):
    what: str
    reason: str

class NotFoundError(MnemoError):
    kind: str
    key: str

class AmbiguousError(MnemoError):
    kind: str
    prefix: str
    count: int

class MissingVariableError(MnemoError):
    name: str

class ConflictError(MnemoError):
    stream: str
    expected: str
    current: Optional[int]

class InvalidInputError(MnemoError):
    reason: str

class TooLargeError(MnemoError):
    what: str
    size: int
    limit: int

class ProjectionFailedError(MnemoError):
    name: str
    seq: int
    reason: str

class UpcastError(MnemoError):
    kind: str
    schema: int
    reason: str

class ClosedError(MnemoError): ...
