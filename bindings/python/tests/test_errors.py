"""Error classes and their codes, and bad input from Python."""

from __future__ import annotations

from pathlib import Path

import pytest

import mnemo

CODES = {
    mnemo.LockedError: "locked",
    mnemo.UnknownFormatError: "unknown_format",
    mnemo.TranscriptImportError: "import",
    mnemo.IoError: "io",
    mnemo.StorageError: "storage",
    mnemo.CorruptedError: "corrupted",
    mnemo.NotFoundError: "not_found",
    mnemo.AmbiguousError: "ambiguous",
    mnemo.MissingVariableError: "missing_variable",
    mnemo.ConflictError: "conflict",
    mnemo.InvalidInputError: "invalid_input",
    mnemo.TooLargeError: "too_large",
    mnemo.ProjectionFailedError: "projection_failed",
    mnemo.UpcastError: "upcast",
    mnemo.ClosedError: "closed",
}


def test_hierarchy_and_codes() -> None:
    assert issubclass(mnemo.MnemoError, Exception)
    for cls, code in CODES.items():
        assert issubclass(cls, mnemo.MnemoError)
        assert cls.code == code
        assert cls.__module__ == "mnemo"
    assert len(set(CODES.values())) == len(CODES)


def test_unknown_format(store: mnemo.Mnemo) -> None:
    with pytest.raises(mnemo.UnknownFormatError) as info:
        store.import_bytes("notes.txt", b"hello world")
    assert info.value.code == "unknown_format"
    assert info.value.path == Path("notes.txt")
    assert "notes.txt" in str(info.value)


def test_malformed_transcript(store: mnemo.Mnemo) -> None:
    with pytest.raises(mnemo.TranscriptImportError) as info:
        store.import_bytes("bad.traj", b'{"trajectory": 5}')
    err = info.value
    assert err.code == "import" and err.path == Path("bad.traj")
    assert "swe-agent" in err.reason


def test_io_error(store: mnemo.Mnemo, tmp_path: Path) -> None:
    with pytest.raises(mnemo.IoError) as info:
        store.import_file(tmp_path / "missing.md")
    assert info.value.code == "io" and info.value.errno == 2
    assert info.value.path == tmp_path / "missing.md"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.import_bytes("x.md", "text, not bytes"),
        lambda s: s.import_bytes(3, b"x"),
        lambda s: s.import_file(None),
        lambda s: s.import_paths("a/single/str"),
        lambda s: s.session(42),
        lambda s: s.search(b"bytes"),
        lambda s: s.search("q", limit="ten"),
        lambda s: s.add_prompt("name", 5),
        lambda s: s.prompt("name", 1.5),
        lambda s: s.render_prompt("name", {"x": 1}),
        lambda s: s.render_prompt("name", ["x"]),
        lambda s: s.label_prompt("name", "production", "1"),
        lambda s: s.add_workflow("w", [42]),
        lambda s: s.add_workflow("w", [{"name": "a"}]),
        lambda s: s.add_workflow("w", "steps"),
        lambda s: s.workflow("w", "1"),
        lambda s: s.read_log("1"),
        lambda s: s.wait_for(0, "1"),
        lambda s: s.subscribe("1"),
        lambda s: s.list_sessions(since="yesterday"),
        lambda s: mnemo.WorkflowStep("a", "b", values={"k": 1}),  # type: ignore[dict-item]
        lambda s: mnemo.Mnemo(3),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_raise_type_error(store: mnemo.Mnemo, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        call(store)


def test_bad_values(store: mnemo.Mnemo) -> None:
    with pytest.raises(OverflowError):
        store.read_log(-1)
    with pytest.raises(OverflowError):
        store.label_prompt("p", "production", -1)
    with pytest.raises(ValueError):
        store.wait_for(0, -1.0)
    with pytest.raises(ValueError):
        store.wait_for(0, float("nan"))
    with pytest.raises(ValueError):
        store.subscribe().next(timeout=-1)


def test_positional_only_and_keyword_only(store: mnemo.Mnemo) -> None:
    with pytest.raises(TypeError):
        mnemo.Mnemo("x", False)  # type: ignore[misc]
    with pytest.raises(TypeError):
        store.search("q", 5)  # type: ignore[misc]
    with pytest.raises(TypeError):
        store.list_sessions("aider")  # type: ignore[misc]


def test_prompt_selectors_of_the_wrong_type_or_range(store: mnemo.Mnemo) -> None:
    store.add_prompt("p", "body")
    assert store.prompt("p", 1).version == 1
    assert store.prompt("p", "latest").version == 1
    for bad in (1.5, b"1", None.__class__, [1]):
        with pytest.raises(TypeError, match="prompt selector"):
            store.prompt("p", bad)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        store.prompt("p", -1)
    with pytest.raises(OverflowError):
        store.prompt("p", 2**40)
