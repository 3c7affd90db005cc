"""Shared fixtures: a fresh store per test and the sample transcripts of the repository;
helpers building test data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mnemo

#: bindings/python/tests -> repository root.
ROOT = Path(__file__).resolve().parents[3]
TRANSCRIPTS = ROOT / "examples" / "transcripts"


def transcript_files() -> list[Path]:
    files = sorted(p for p in TRANSCRIPTS.rglob("*") if p.is_file())
    assert len(files) >= 5, f"sample transcripts missing under {TRANSCRIPTS}"
    return files


@pytest.fixture
def files() -> list[Path]:
    return transcript_files()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_dir: Path) -> Iterator[mnemo.Mnemo]:
    # Syncing the WAL on each commit is the default; tests skip it for speed (one test
    # keeps the default).
    with mnemo.Mnemo(store_dir, sync_writes=False) as s:
        yield s


@pytest.fixture
def loaded(store: mnemo.Mnemo, files: list[Path]) -> mnemo.Mnemo:
    summary = store.import_paths([TRANSCRIPTS])
    assert not summary.failures
    return store


def aider_transcript(topic: str) -> bytes:
    """A small aider chat history about ``topic`` (a distinct session per topic)."""
    return (
        "\n# aider chat started at 2025-05-12 09:14:03\n\n"
        "> Aider v0.82.1  \n> Model: claude-3-5-sonnet with diff edit format  \n\n"
        f"#### Please explain {topic} in this repository.  \n\n"
        f"Sure: {topic} is handled in src/{topic}.py, where the main loop lives.\n\n"
    ).encode()


def ev(kind: str, **payload: Any) -> mnemo.EventData:
    """An event of ``kind`` whose payload is the keyword arguments as JSON."""
    return mnemo.EventData(kind, payload)
