"""The README's Python example runs as written (from the repository root's layout)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, TRANSCRIPTS

README = Path(__file__).resolve().parents[1] / "README.md"
# The repository's README shows the same example; both must run.
ROOT_README = Path(__file__).resolve().parents[3] / "README.md"


def python_blocks(text: str) -> list[str]:
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)
    assert blocks, f"no ```python block in {README}"
    return blocks


def first_python_block(text: str) -> str:
    return python_blocks(text)[0]


@pytest.mark.parametrize("readme", [README, ROOT_README], ids=["binding", "root"])
def test_readme_example(readme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    code = first_python_block(readme.read_text())
    assert len(code.strip().splitlines()) <= 5
    # The example uses paths relative to the repository root: give it the same layout.
    shutil.copytree(TRANSCRIPTS, tmp_path / TRANSCRIPTS.relative_to(ROOT))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(readme), "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert out.strip(), "the example prints search hits"
    assert os.path.isdir(tmp_path / "demo-store")


def test_readme_event_store_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = next(b for b in python_blocks(README.read_text()) if "append(" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.split("\n")[:2] == [
        "stream is at 1",
        """b'{"total":30}' placed""",
    ]
