"""Opening, closing, the context manager, locking and use after close."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import mnemo


def test_open_creates_directory_and_closes(store_dir: Path) -> None:
    s = mnemo.Mnemo(store_dir)
    assert store_dir.is_dir()
    assert s.path == store_dir
    assert repr(s) == f"Mnemo({str(store_dir)!r})"
    s.close()
    s.close()  # closing twice is harmless
    with pytest.raises(mnemo.ClosedError):
        s.stats()


def test_context_manager_closes_on_exit(store_dir: Path) -> None:
    with mnemo.Mnemo(str(store_dir)) as s:
        assert isinstance(s, mnemo.Mnemo)
        s.add_prompt("p", "body")
    with pytest.raises(mnemo.ClosedError):
        s.prompt("p")
    # The lock is released: the directory opens again, with the data kept.
    with mnemo.Mnemo(store_dir) as again:
        assert again.prompt("p").body == "body"


def test_context_manager_closes_when_body_raises(store_dir: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with mnemo.Mnemo(store_dir) as s:
            raise RuntimeError("boom")
    with pytest.raises(mnemo.ClosedError):
        s.prompt_names()


def test_second_open_of_same_directory_is_locked(store_dir: Path) -> None:
    with mnemo.Mnemo(store_dir):
        with pytest.raises(mnemo.LockedError) as info:
            mnemo.Mnemo(store_dir)
    assert info.value.code == "locked"
    assert info.value.path == store_dir


def test_options(store_dir: Path) -> None:
    with pytest.raises(mnemo.NotFoundError) as info:
        mnemo.Mnemo(store_dir, create_if_missing=False)
    assert info.value.kind == "store"
    with mnemo.Mnemo(
        store_dir,
        sync_writes=True,
        compression_level=9,
        blob_write_level=-5,
        dictionary_training_bytes=0,
        block_cache_bytes=1 << 20,
        recompress_level=0,
    ) as s:
        s.add_prompt("p", "x")
        assert s.prompt("p").version == 1


def test_every_call_after_close_raises_closed(files: list[Path], store_dir: Path) -> None:
    s = mnemo.Mnemo(store_dir)
    imported = s.import_file(files[0])
    sid = imported.imported[0]
    s.add_prompt("p", "{{x}}")
    s.add_workflow("w", [mnemo.WorkflowStep("a", "p")])
    s.close()
    calls = [
        lambda: s.import_bytes("x.md", files[0].read_bytes()),
        lambda: s.import_file(files[0]),
        lambda: s.session(sid),
        lambda: s.session_info(sid),
        lambda: s.list_sessions(),
        lambda: s.search("retry"),
        lambda: s.export_session(sid),
        lambda: s.export_source(imported.source_id),
        lambda: s.session_source(sid),
        lambda: s.add_prompt("p", "y"),
        lambda: s.prompt("p"),
        lambda: s.prompt_versions("p"),
        lambda: s.prompt_names(),
        lambda: s.label_prompt("p", "production", 1),
        lambda: s.prompt_labels("p"),
        lambda: s.render_prompt("p", {"x": "1"}),
        lambda: s.add_workflow("w", [mnemo.WorkflowStep("a", "p")]),
        lambda: s.workflow("w"),
        lambda: s.workflow_versions("w"),
        lambda: s.render_workflow("w", {"x": "1"}),
        lambda: s.read_log(),
        lambda: s.wait_for(0, 0.01),
        lambda: s.stats(),
        lambda: s.retrain_dictionaries(),
        lambda: s.flush(),
        lambda: s.subscribe().next(0),
    ]
    for n, call in enumerate(calls):
        with pytest.raises(mnemo.ClosedError, match="closed") as info:
            call()
        assert info.value.code == "closed", n
    # A multi-file import reports each file's failure instead of raising.
    (report,) = s.import_paths([files[0]]).files
    assert isinstance(report.error, mnemo.ClosedError)
    # Iterating a feed of a closed store simply ends.
    assert list(s.subscribe(1)) == []
    # The sequence number stays readable (the core keeps it in memory).
    assert s.last_seq() >= 1


def test_stats(loaded: mnemo.Mnemo, files: list[Path]) -> None:
    loaded.add_prompt("p", "x")
    loaded.flush()
    st = loaded.stats()
    c = st.counters
    assert c.sessions == len(loaded.list_sessions()) >= 5
    assert c.sources == len(files)
    assert c.raw_bytes == sum(p.stat().st_size for p in files)
    assert c.messages > 0 and c.tokens > 0
    assert c.prompt_versions == 1 and c.workflow_versions == 0
    assert st.last_seq == loaded.last_seq()
    assert st.stored_content_bytes > 0
    assert st.compression_ratio > 0
    assert "log" in st.column_families and "blobs" in st.column_families
    assert st.disk_bytes == sum(st.column_families.values())
    assert st == loaded.stats()
    assert "Stats(" in repr(st) and "sessions=" in repr(c)


def test_retrain_dictionaries(loaded: mnemo.Mnemo) -> None:
    trained = loaded.retrain_dictionaries()
    assert isinstance(trained, list)
    for kind, dict_id in trained:
        assert kind in {"transcript", "record", "prompt", "other"}
        assert dict_id >= 1
    # Everything stays readable.
    for info in loaded.list_sessions():
        assert loaded.session(info.id).info == info


def test_compact_keeps_exports_byte_exact(loaded: mnemo.Mnemo, files: list[Path]) -> None:
    before = loaded.stats().stored_content_bytes
    report = loaded.compact(15)
    assert report["blobs"] == loaded.stats().counters.blobs
    assert report["bytes_after"] <= report["bytes_before"]
    assert loaded.stats().stored_content_bytes <= before
    for s in loaded.list_sessions():
        assert loaded.export_session(s.id)
    with pytest.raises(TypeError):
        loaded.compact(level="high")  # type: ignore[arg-type]


def test_sessions_are_recompressed_in_the_background(files: list[Path], tmp_path: Path) -> None:
    # The size as imported, from a store with the recompression off (in the store below it
    # may already have started by the time a first `stats()` returns, on a busy machine).
    with mnemo.Mnemo(tmp_path / "off", sync_writes=False, recompress_level=0) as s:
        for f in files:
            s.import_file(f)
        imported = s.stats()
    with mnemo.Mnemo(tmp_path / "on", sync_writes=False, recompress_level=19) as s:
        for f in files:
            s.import_file(f)
        st = s.stats()
        deadline = time.monotonic() + 120
        while st.recompressed_through != st.last_seq:
            assert time.monotonic() < deadline, (st.recompressed_through, st.last_seq)
            time.sleep(0.05)
            st = s.stats()
        assert st.counters.blob_stored_bytes < imported.counters.blob_stored_bytes
        assert st.counters.blob_bytes == imported.counters.blob_bytes
