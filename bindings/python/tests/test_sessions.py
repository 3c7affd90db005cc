"""Importing the sample transcripts; listing, reading, searching and exporting sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

import mnemo

from conftest import TRANSCRIPTS, aider_transcript


def test_import_each_sample_file(store: mnemo.Mnemo, files: list[Path]) -> None:
    formats = set()
    for path in files:
        imported = store.import_file(path)
        assert isinstance(imported, mnemo.ImportedFile)
        assert imported.bytes == path.stat().st_size
        assert len(imported.source_id) == 64
        assert imported.imported and imported.already_stored == 0
        formats.add(imported.format)
        # Byte-exact: the whole file, and a one-session file's session.
        assert store.export_source(imported.source_id) == path.read_bytes()
        if len(imported.imported) == 1:
            assert store.export_session(imported.imported[0]) == path.read_bytes()
        for sid in imported.imported:
            assert store.session_source(sid) == imported.source_id
    assert len(formats) == 5


def test_reimport_stores_nothing_new(store: mnemo.Mnemo, files: list[Path]) -> None:
    first = store.import_file(files[0])
    seq = store.last_seq()
    again = store.import_bytes(files[0], files[0].read_bytes())
    assert again.imported == []
    assert again.already_stored == len(first.imported)
    assert again.source_id == first.source_id
    assert store.last_seq() == seq


def test_import_bytes_accepts_str_and_path_names(store: mnemo.Mnemo) -> None:
    a = store.import_bytes("a.md", aider_transcript("caching"))
    b = store.import_bytes(Path("b.md"), aider_transcript("logging"))
    assert a.format == b.format == "aider-chat-history"
    assert store.export_source(a.source_id) == aider_transcript("caching")


def test_import_paths_reports_progress_and_failures(
    store: mnemo.Mnemo, tmp_path: Path, files: list[Path]
) -> None:
    bad = tmp_path / "notes.md"
    bad.write_text("just some notes, not a transcript\n")
    seen: list[tuple[int, int, Path]] = []
    summary = store.import_paths(
        [TRANSCRIPTS, bad], progress=lambda done, total, path: seen.append((done, total, path))
    )
    assert [d for d, _, _ in seen] == list(range(1, len(files) + 2))
    assert {t for _, t, _ in seen} == {len(files) + 1}
    assert {Path(p) for _, _, p in seen} == set(files) | {bad}
    assert len(summary.files) == len(files) + 1
    assert summary.sessions_imported == len(store.list_sessions())
    assert summary.sessions_already_stored == 0
    (failure,) = summary.failures
    assert failure.path == bad and not failure.ok and failure.imported is None
    assert isinstance(failure.error, mnemo.UnknownFormatError)
    assert failure.error.code == "unknown_format"
    ok = [f for f in summary.files if f.ok]
    assert all(f.error is None and f.imported is not None for f in ok)
    again = store.import_paths([TRANSCRIPTS])
    assert again.sessions_imported == 0
    assert again.sessions_already_stored == summary.sessions_imported


def test_import_paths_progress_exception_is_raised_after_import(store: mnemo.Mnemo) -> None:
    calls = []

    def progress(done: int, total: int, path: Path) -> None:
        calls.append(done)
        raise ValueError("stop")

    with pytest.raises(ValueError, match="stop"):
        store.import_paths([TRANSCRIPTS], progress=progress)
    assert calls == [1]
    # The import itself went on.
    assert len(store.list_sessions()) >= 5


def test_import_paths_missing_path(store: mnemo.Mnemo, tmp_path: Path) -> None:
    with pytest.raises(mnemo.IoError) as info:
        store.import_paths([tmp_path / "missing"])
    assert info.value.code == "io"


def test_list_sessions_and_filters(loaded: mnemo.Mnemo) -> None:
    infos = loaded.list_sessions()
    assert len(infos) >= 5
    started = [i.started_at for i in infos if i.started_at is not None]
    assert started == sorted(started, reverse=True)
    tools = {i.source_tool for i in infos}
    assert {"aider", "swe-agent"} <= tools
    aider = loaded.list_sessions(source_tool="aider")
    assert aider and all(i.source_tool == "aider" for i in aider)
    assert len(loaded.list_sessions(limit=2)) == 2
    assert loaded.list_sessions(source_tool="no-such-tool") == []
    dated = [i for i in infos if i.started_at is not None]
    t = dated[0].started_at
    assert t is not None
    assert all(i.started_at >= t for i in loaded.list_sessions(since=t))  # type: ignore[operator]
    assert all(i.started_at < t for i in loaded.list_sessions(until=t))  # type: ignore[operator]


def test_session_by_id_and_prefix(loaded: mnemo.Mnemo) -> None:
    for info in loaded.list_sessions():
        s = loaded.session(info.id)
        assert isinstance(s, mnemo.Session)
        assert s.info == info and s.id == info.id
        assert len(s) == len(s.messages) == info.message_count
        assert loaded.session(info.id[:12]).id == info.id
        assert loaded.session_info(info.id[:12]) == info
        assert info.raw_len > 0
        assert isinstance(info.metadata, dict) and isinstance(info.files_touched, list)
        for m in s.messages:
            assert m.role in {"user", "assistant", "system", "tool"}
            assert isinstance(m.text, str)
            for call in m.tool_calls:
                assert isinstance(call, mnemo.ToolCall) and call.name
    with pytest.raises(mnemo.NotFoundError) as info_:
        loaded.session("ffffffffffffffff0000")
    assert (info_.value.kind, info_.value.key) == ("session", "ffffffffffffffff0000")


def test_messages_keep_content(loaded: mnemo.Mnemo) -> None:
    (hit,) = [i for i in loaded.list_sessions() if i.title == "Debugging a flaky websocket test"]
    s = loaded.session(hit.id)
    assert s.messages[0].role == "user"
    assert "test_reconnect_after_server_restart" in s.messages[0].text
    with_tools = [
        i for i in loaded.list_sessions() if any(m.tool_calls for m in loaded.session(i.id).messages)
    ]
    assert with_tools, "the Claude Code sample has tool calls"


def test_ambiguous_prefix(store: mnemo.Mnemo) -> None:
    ids: list[str] = []
    for n in range(40):
        ids += store.import_bytes(f"t{n}.md", aider_transcript(f"topic{n}")).imported
    first: dict[str, list[str]] = {}
    for i in ids:
        first.setdefault(i[0], []).append(i)
    prefix = next(p for p, group in first.items() if len(group) > 1)
    with pytest.raises(mnemo.AmbiguousError) as info:
        store.session(prefix)
    assert info.value.code == "ambiguous"
    assert info.value.prefix == prefix and info.value.count >= 2


def test_search(loaded: mnemo.Mnemo) -> None:
    hits = loaded.search("websocket reconnect", limit=3)
    assert 1 <= len(hits) <= 3
    top = hits[0]
    assert isinstance(top, mnemo.SearchResult)
    assert top.session.title == "Debugging a flaky websocket test"
    assert top.score > 0
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    m = top.messages[0]
    assert isinstance(m, mnemo.MessageMatch) and m.score > 0 and m.snippet
    assert loaded.session(top.session.id).messages[m.index].role == m.role
    assert loaded.search("websocket", source_tool="aider") == []
    assert loaded.search("zzzqqqxxx") == []
    assert len(loaded.search("test", limit=1)) == 1


def test_export_unknown_ids(loaded: mnemo.Mnemo) -> None:
    with pytest.raises(mnemo.NotFoundError):
        loaded.export_session("ffffffffffff")
    with pytest.raises(mnemo.MnemoError):
        loaded.export_source("00" * 32)
