"""Benchmark of the Python binding: Mnemo vs diskcache vs sqlite3, and per-call overhead.

    python bindings/python/bench/bench.py [--seconds 0.5] [--no-rust]

Measures operations per second of a put and a get of

* a session: ``import_bytes`` of a small transcript (1.2 KB, the SpecStory sample with one
  line varied so that every put is a new session) and ``session(id)`` (the session parsed
  into objects) or ``export_session(id)`` (its bytes);
* a prompt template: ``add_prompt(name, body)`` and ``prompt(name)``, also each read right
  after a small write: a host ``append`` and a new version of another template (both leave
  Mnemo's cache of recently read templates valid for the template read), a new version of
  the template read itself (``add_prompt`` leaves that version in the cache), and a read by
  label right after that label moved (``label_prompt`` leaves what it names in the cache).
  Only the reads are timed; they are compared with diskcache's plain get. And reads that
  nothing cached: the first read by label of each of 30,000 templates in a handle opened
  after they were written;

against the same bytes (or the template as a JSON object) put into and got from
``diskcache.Cache`` and a ``sqlite3`` key-value table. Every put is its own commit.
Durability differs by default, so puts are shown both ways: Mnemo fsyncs its WAL on each
commit (``sync_writes=True``, like SQLite's ``synchronous=FULL``); diskcache runs SQLite in
WAL mode with ``synchronous=NORMAL`` (no fsync per commit, like ``sync_writes=False``).

Then the per-call cost of the binding: the same calls timed in Rust (the example
``rust_baseline`` of this crate, run with cargo) next to Python, and ``last_seq()`` (an
atomic load in Rust) as the cost of a bare binding call.

Needs ``pip install diskcache`` (its rows are skipped without it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

import mnemo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SAMPLE = ROOT / "examples/transcripts/specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md"
PROMPT_BODY = "Review {{file}} for {{concern}} and report {{format}}."

try:
    import diskcache  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - optional
    diskcache = None


def transcripts(n: int) -> list[bytes]:
    """``n`` distinct small transcripts (the sample with its first question varied)."""
    base = SAMPLE.read_bytes()
    marker = b"Can you find out why?"
    assert marker in base
    return [base.replace(marker, marker + b" (run %d)" % i) for i in range(n)]


def ops_per_sec(op: Callable[[int], object], seconds: float, limit: int = 10**9) -> float:
    """Best rate of ``op(i)`` for i = 0, 1, ... over 3 rounds of about ``seconds`` each;
    ``limit`` caps the calls of one round (for puts of distinct items)."""
    best = 0.0
    start_i = 0
    for _ in range(3):
        n = 0
        t0 = time.perf_counter()
        deadline = t0 + seconds
        while n + 50 <= limit:
            for _ in range(50):
                op(start_i + n)
                n += 1
            if time.perf_counter() >= deadline:
                break
        elapsed = time.perf_counter() - t0
        best = max(best, n / elapsed)
        start_i += n
    return best


def cold_label_reads(path: Path, seconds: float, n: int = 30_000) -> float:
    """Reads/s of the first read by label of each of ``n`` templates, in a handle opened after
    they were written, so that nothing is in its cache of templates: a point read of the
    label row, one of the version row and a decode each (3 rounds of ``n / 3`` templates)."""
    names = [f"c{i}" for i in range(n)]
    with mnemo.Mnemo(path, sync_writes=False) as store:
        for name in names:
            store.add_prompt(name, PROMPT_BODY)
            store.label_prompt(name, "bench", 1)
    with mnemo.Mnemo(path, sync_writes=False) as store:
        prompt = store.prompt
        return ops_per_sec(lambda i: prompt(names[i], "bench"), seconds, n // 3)


def after_write(write: Callable[[int], object], read: Callable[[int], object], seconds: float) -> float:
    """Reads/s of ``read`` when each read follows a small ``write``: only the reads are timed,
    each on its own, less the timer's own cost; best of 3 rounds of about ``seconds``."""
    clock = time.perf_counter_ns
    t0 = clock()
    for _ in range(10_000):
        clock()
    timer = (clock() - t0) / 10_000  # one clock() call: the per-read overhead below
    best = 0.0
    i = 0
    for _ in range(3):
        spent = 0
        n = 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            for _ in range(50):
                write(i)
                t = clock()
                read(i)
                spent += clock() - t
                n += 1
                i += 1
        best = max(best, n / max((spent - n * timer) / 1e9, 1e-12))
    return best


def ns_per_call(stmt: str, f: Callable[..., object] | None, a: object = None) -> float:
    """Nanoseconds per call of ``stmt`` (``f()`` or ``f(a)``): best of 5 timeit runs, so
    only the call itself (no harness) is counted."""
    timer = timeit.Timer(stmt, globals={"f": f, "a": a})
    n, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=n)) / n * 1e9


class Sqlite:
    """A key-value table in SQLite, one commit per put."""

    def __init__(self, path: Path, synchronous: str) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)")

    def put(self, k: str, v: bytes) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (k, v))

    def get(self, k: str) -> bytes:
        return self.db.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()[0]


def python_calls(tmp: Path, rounds: int = 3) -> dict[str, float]:
    """ns per call in Python (best of ``rounds``), on a store set up exactly like the Rust
    baseline's."""
    best: dict[str, float] = {}
    with mnemo.Mnemo(tmp / "overhead", sync_writes=False) as store:
        sid = store.import_file(SAMPLE).imported[0]
        store.add_prompt("review", PROMPT_BODY)
        sub = store.subscribe()
        base = SAMPLE.read_text()
        marker = "Can you find out why?"
        for r in range(rounds):
            items = [base.replace(marker, f"{marker} (python {r}-{i})").encode() for i in range(2000)]
            put = store.import_bytes
            t0 = time.perf_counter()
            for item in items:
                put("t.md", item)
            ns = (time.perf_counter() - t0) / len(items) * 1e9
            best["import_bytes"] = min(ns, best.get("import_bytes", ns))
            names = [f"p{i % 1000}" for i in range(5000)]
            add = store.add_prompt
            t0 = time.perf_counter()
            for name in names:
                add(name, PROMPT_BODY)
            ns = (time.perf_counter() - t0) / len(names) * 1e9
            best["add_prompt"] = min(ns, best.get("add_prompt", ns))
            for key, ns in {
                "prompt": ns_per_call("f(a)", store.prompt, "review"),
                "session": ns_per_call("f(a)", store.session, sid),
                "session_info": ns_per_call("f(a)", store.session_info, sid),
                "export_session": ns_per_call("f(a)", store.export_session, sid),
                "last_seq": ns_per_call("f()", store.last_seq),
                "position": ns_per_call("a.position", None, sub),
            }.items():
                best[key] = min(ns, best.get(key, ns))
    return best


def rust_baseline(rounds: int = 3) -> dict[str, float] | None:
    """ns per call of the same operations in Rust (best of ``rounds`` runs), or None when
    cargo is unavailable."""
    if shutil.which("cargo") is None:
        return None
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", str(ROOT / "target"))
    build = ["cargo", "build", "--release", "--quiet", "-p", "mnemo-python"]
    build += ["--example", "rust_baseline", "--message-format", "json"]
    r = subprocess.run(build, cwd=ROOT, capture_output=True, text=True, env=env)
    exe = None
    for line in r.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "rust_baseline":
            exe = msg.get("executable")
    if r.returncode != 0 or exe is None:
        print(f"(rust baseline not built: {r.stderr.strip()[-500:]})", file=sys.stderr)
        return None
    best: dict[str, float] = {}
    for _ in range(rounds):
        out = subprocess.run([exe, str(SAMPLE)], capture_output=True, text=True, check=True)
        for key, ns in json.loads(out.stdout.strip().splitlines()[-1]).items():
            best[key] = min(ns, best.get(key, ns))
    return best


def stale_module_warning() -> None:
    """The Rust baseline is built from the current sources; warn when the installed module
    is older than them (the comparison would mix two versions of the core)."""
    so = Path(mnemo._mnemo.__file__)  # type: ignore[attr-defined]
    sources = [*ROOT.joinpath("core/src").rglob("*.rs"), *HERE.parent.joinpath("src").rglob("*.rs")]
    newest = max((p.stat().st_mtime for p in sources), default=0)
    if newest > so.stat().st_mtime:
        print(
            "warning: the installed module is older than the Rust sources; rebuild it "
            "(bindings/python/test.sh) so both sides run the same core\n",
            file=sys.stderr,
        )


def wait_for_recompression(store: mnemo.Mnemo) -> float:
    """Seconds until the background recompression has caught up with the log."""
    start = time.perf_counter()
    while True:
        st = store.stats()
        if st.recompressed_through == st.last_seq:
            return time.perf_counter() - start
        time.sleep(0.02)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one timing round")
    ap.add_argument("--no-rust", action="store_true", help="skip the Rust baseline")
    args = ap.parse_args()
    secs = args.seconds
    tmp = Path(tempfile.mkdtemp(prefix="mnemo-bench-"))
    rows: list[tuple[str, str, float]] = []  # (operation, system, ops/s)

    items = transcripts(20_000)
    prompts = [{"name": f"p{i}", "body": PROMPT_BODY} for i in range(1000)]
    prompt_json = [json.dumps(p).encode() for p in prompts]

    # --- Mnemo -------------------------------------------------------------------------
    for sync in (True, False):
        label = f"mnemo (sync_writes={sync})"
        with mnemo.Mnemo(tmp / f"mnemo-{sync}", sync_writes=sync) as store:
            ids: list[str] = []
            put = store.import_bytes

            def put_session(i: int) -> None:
                ids.extend(put("t.md", items[i]).imported)

            rows.append(("put session", label, ops_per_sec(put_session, secs, len(items) // 3)))
            # Once puts pause, a low-priority thread recompresses the sessions just imported
            # (Options.recompress_level); the next rows are timed after it has finished.
            waited = wait_for_recompression(store)
            print(f"{label}: background recompression of {len(ids)} sessions done {waited:.2f} s after the puts")
            rows.append(
                ("put prompt", label, ops_per_sec(lambda i: store.add_prompt(f"p{i % 1000}", PROMPT_BODY), secs))
            )
            if not sync:
                get, export, prompt = store.session, store.export_session, store.prompt
                k = min(len(ids), 1000)
                rows.append(("get session (parsed)", "mnemo", ops_per_sec(lambda i: get(ids[i % k]), secs)))
                rows.append(("get session (bytes)", "mnemo", ops_per_sec(lambda i: export(ids[i % k]), secs)))
                # 1000 templates of one version each; then the newest of many versions.
                names = [f"g{i}" for i in range(1000)]
                for name in names:
                    store.add_prompt(name, PROMPT_BODY)
                rows.append(("get prompt", "mnemo", ops_per_sec(lambda i: prompt(names[i % 1000]), secs)))
                event = [mnemo.EventData("tick", b"")]
                rows.append(
                    (
                        "get prompt (right after a host append)",
                        "mnemo",
                        after_write(lambda i: store.append("bench-ticks", event), lambda i: prompt(names[i % 1000]), secs),
                    )
                )
                # A template's cache entries are dropped by writes to its own stripe of names (a
                # new version or label): a write to another template mostly leaves them, a write
                # to the template read does not.
                rows.append(
                    (
                        "get prompt (right after a write to another template)",
                        "mnemo",
                        after_write(
                            lambda i: store.add_prompt("bench-w", PROMPT_BODY), lambda i: prompt(names[i % 1000]), secs
                        ),
                    )
                )
                # A new version is left in the cache as its template's newest (add_prompt
                # writes through), and a moved label as what it names (label_prompt does).
                rows.append(
                    (
                        "get prompt (right after a new version of it)",
                        "mnemo",
                        after_write(
                            lambda i: store.add_prompt(names[i % 1000], PROMPT_BODY),
                            lambda i: prompt(names[i % 1000]),
                            secs,
                        ),
                    )
                )
                rows.append(
                    (
                        "get prompt (by label, right after that label moved)",
                        "mnemo",
                        after_write(
                            lambda i: store.label_prompt(names[i % 1000], "bench", 1),
                            lambda i: prompt(names[i % 1000], "bench"),
                            secs,
                        ),
                    )
                )
                rows.append(
                    (
                        "get prompt (by label, first read of each: uncached)",
                        "mnemo",
                        cold_label_reads(tmp / "mnemo-cold", secs),
                    )
                )
                for v in range(50):
                    store.add_prompt("many", PROMPT_BODY + str(v))
                rows.append(
                    ("get prompt (newest of 50 versions)", "mnemo", ops_per_sec(lambda i: prompt("many"), secs))
                )

    # --- diskcache -----------------------------------------------------------------------
    if diskcache is not None:
        cache = diskcache.Cache(str(tmp / "diskcache"))
        rows.append(
            ("put session", "diskcache", ops_per_sec(lambda i: cache.set(f"s{i}", items[i]), secs, len(items) // 3))
        )
        rows.append(("get session (bytes)", "diskcache", ops_per_sec(lambda i: cache.get(f"s{i % 1000}"), secs)))
        rows.append(("put prompt", "diskcache", ops_per_sec(lambda i: cache.set(f"p{i % 1000}", prompts[i % 1000]), secs)))
        rows.append(("get prompt", "diskcache", ops_per_sec(lambda i: cache.get(f"p{i % 1000}"), secs)))
        cache.close()

    # --- sqlite3 -------------------------------------------------------------------------
    for synchronous in ("FULL", "NORMAL"):
        db = Sqlite(tmp / f"sqlite-{synchronous}.db", synchronous)
        label = f"sqlite3 (WAL, synchronous={synchronous})"
        rows.append(("put session", label, ops_per_sec(lambda i: db.put(f"s{i}", items[i]), secs, len(items) // 3)))
        rows.append(("put prompt", label, ops_per_sec(lambda i: db.put(f"p{i % 1000}", prompt_json[i % 1000]), secs)))
        if synchronous == "NORMAL":
            rows.append(("get session (bytes)", "sqlite3", ops_per_sec(lambda i: db.get(f"s{i % 1000}"), secs)))
            rows.append(
                ("get prompt", "sqlite3", ops_per_sec(lambda i: json.loads(db.get(f"p{i % 1000}")), secs))
            )
        db.db.close()

    py_ns = python_calls(tmp)
    shutil.rmtree(tmp, ignore_errors=True)

    # --- report --------------------------------------------------------------------------
    dc = {op: v for op, sys_, v in rows if sys_ == "diskcache"}
    print(f"Python {sys.version.split()[0]}, mnemo {mnemo.__version__}, {os.cpu_count()} cores")
    print()
    print(
        "(diskcache runs SQLite in WAL mode with synchronous=NORMAL: no fsync per commit. "
        "Its ratios are given at equal durability only: Mnemo with sync_writes=False.)\n"
    )
    print("| operation | system | ops/s | vs diskcache |\n|---|---|---:|---:|")
    for op, sys_, v in rows:
        base = dc.get(op) or dc.get(op.replace("(parsed)", "(bytes)")) or dc.get(op.split(" (")[0])
        if "sync_writes=True" in sys_ or "synchronous=FULL" in sys_:
            ratio = "(fsync per commit)"
        else:
            ratio = f"{v / base:.2f}x" if base else ""
        print(f"| {op} | {sys_} | {v:,.0f} | {ratio} |")

    if not args.no_rust:
        stale_module_warning()
    rust = None if args.no_rust else rust_baseline()
    print("\n| call | Python ns/call | Rust ns/call | difference ns |\n|---|---:|---:|---:|")
    calls = ("prompt", "session", "session_info", "export_session", "last_seq", "import_bytes", "add_prompt")
    for call in calls:
        py = py_ns[call]
        if rust:
            print(f"| {call}() | {py:,.0f} | {rust[call]:,.0f} | {py - rust[call]:,.0f} |")
        else:
            print(f"| {call}() | {py:,.0f} | n/a | n/a |")
    if rust and "rocksdb_put_session" in rust:
        print(
            "\nThe floor under any put of a store on RocksDB: one bare `put` of the same bytes in a "
            "plain RocksDB (default options, WAL without fsync), from Rust, no binding:\n"
        )
        print("| put | bare RocksDB ns/put | its ops/s | ÷ diskcache put | Mnemo ns/call in Rust |\n|---|---:|---:|---:|---:|")
        for label, floor_key, dc_key, call in (
            ("session (1.2 KB)", "rocksdb_put_session", "put session", "import_bytes"),
            ("prompt (93 B)", "rocksdb_put_prompt", "put prompt", "add_prompt"),
        ):
            floor = rust[floor_key]
            ratio = f"{1e9 / floor / dc[dc_key]:.2f}x" if dc.get(dc_key) else "n/a"
            print(f"| {label} | {floor:,.0f} | {1e9 / floor:,.0f} | {ratio} | {rust[call]:,.0f} |")
    print(
        f"\nA bare binding call (last_seq) costs {py_ns['last_seq']:.0f} ns; releasing and "
        f"re-acquiring the GIL around a call adds {py_ns['position'] - py_ns['last_seq']:.0f} ns "
        "(Subscription.position: GIL release + a mutex)."
    )


if __name__ == "__main__":
    main()
