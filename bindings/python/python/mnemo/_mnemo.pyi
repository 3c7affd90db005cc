"""Type stubs of the native module ``mnemo._mnemo`` (re-exported by ``mnemo``)."""

import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Final, Literal, Optional, TypedDict, Union, final

from typing_extensions import NotRequired, Self

__all__ = [
    "__version__",
    "AmbiguousError",
    "ClosedError",
    "ConflictError",
    "CorruptedError",
    "Counters",
    "FileReport",
    "ImportSummary",
    "ImportedFile",
    "InvalidInputError",
    "IoError",
    "LockedError",
    "LogEntry",
    "Message",
    "MessageMatch",
    "MissingVariableError",
    "Mnemo",
    "MnemoError",
    "NotFoundError",
    "ProjectionFailedError",
    "PromptTemplate",
    "RenderedStep",
    "SearchResult",
    "Session",
    "SessionInfo",
    "Stats",
    "StorageError",
    "Subscription",
    "TooLargeError",
    "ToolCall",
    "TranscriptImportError",
    "UnknownFormatError",
    "UpcastError",
    "Workflow",
    "WorkflowStep",
]

__version__: Final[str]

_StrPath = Union[str, "os.PathLike[str]"]
_Role = Literal["user", "assistant", "system", "tool"]
#: A prompt version number or label (``"production"``, ``"latest"``).
_Selector = Union[int, str]

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
    ``sync_writes=True``, ``compression_level=3``, ``dictionary_training_bytes=1 MiB``,
    ``block_cache_bytes=64 MiB``.
    """

    def __new__(
        cls,
        path: _StrPath,
        *,
        create_if_missing: Optional[bool] = None,
        sync_writes: Optional[bool] = None,
        compression_level: Optional[int] = None,
        dictionary_training_bytes: Optional[int] = None,
        block_cache_bytes: Optional[int] = None,
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
    def subscribe(self, from_seq: int = 1) -> Subscription: ...
    def stats(self) -> Stats: ...
    def retrain_dictionaries(self) -> list[tuple[str, int]]: ...
    def flush(self) -> None: ...

@final
class Subscription:
    """The change feed: a blocking iterator and an async iterator of ``LogEntry``."""

    @property
    def position(self) -> int: ...
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
