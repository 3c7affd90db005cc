"""The README's Python example runs as written (from the repository root's layout)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, TRANSCRIPTS

README = Path(__file__).resolve().parents[1] / "README.md"


def first_python_block(text: str) -> str:
    m = re.search(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert m, f"no ```python block in {README}"
    return m.group(1)


def test_readme_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    code = first_python_block(README.read_text())
    assert len(code.strip().splitlines()) <= 5
    # The example uses paths relative to the repository root: give it the same layout.
    shutil.copytree(TRANSCRIPTS, tmp_path / TRANSCRIPTS.relative_to(ROOT))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert out.strip(), "the example prints search hits"
    assert os.path.isdir(tmp_path / "demo-store")
