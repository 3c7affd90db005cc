"""The type stubs match the module (mypy's stubtest), when mypy is installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import mnemo

PACKAGE = Path(mnemo.__file__).parent


def test_package_files() -> None:
    assert (PACKAGE / "py.typed").exists()
    assert (PACKAGE / "_mnemo.pyi").exists()
    assert set(mnemo.__all__) == set(mnemo._mnemo.__all__)  # type: ignore[attr-defined]


def test_stubtest(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "mnemo", "--mypy-config-file", "/dev/null"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr
