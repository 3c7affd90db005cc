"""One handle used from several Python threads at once; blocking calls release the GIL."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mnemo

from conftest import aider_transcript


def test_eight_threads_share_one_handle(store: mnemo.Mnemo, files: list[Path]) -> None:
    store.add_prompt("shared", "Hello {{who}}")
    per_thread = 25
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(t: int) -> list[str]:
        barrier.wait()
        ids = []
        try:
            for i in range(per_thread):
                imported = store.import_bytes(f"t{t}-{i}.md", aider_transcript(f"thread{t}item{i}"))
                ids += imported.imported
                assert store.render_prompt("shared", {"who": f"t{t}"}) == f"Hello t{t}"
                store.add_prompt(f"p{t}", f"v{i}")
                assert store.prompt(f"p{t}").body == f"v{i}"
                assert store.session(ids[-1]).id == ids[-1]
                store.search(f"thread{t}item{i}", limit=1)
                store.import_file(files[i % len(files)])
                store.stats()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        return ids

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert not errors, errors
    all_ids = [i for ids in results for i in ids]
    assert len(all_ids) == len(set(all_ids)) == 8 * per_thread
    for t in range(8):
        assert [p.body for p in store.prompt_versions(f"p{t}")] == [
            f"v{i}" for i in range(per_thread)
        ]
    # The log is gap-free and ordered after concurrent commits.
    seqs = [e.seq for e in store.read_log(1, 100_000)]
    assert seqs == list(range(1, store.last_seq() + 1))


def test_blocking_wait_releases_the_gil(store: mnemo.Mnemo) -> None:
    # While one thread waits on the feed, another runs Python code at full speed.
    waiter = threading.Thread(target=store.wait_for, args=(0, 1.0))
    waiter.start()
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.3:
        n += 1
    waiter.join()
    assert n > 10_000


def test_threads_and_close(store_dir: Path) -> None:
    # Closing while other threads use the handle raises ClosedError in them, never crashes.
    s = mnemo.Mnemo(store_dir, sync_writes=False)
    s.add_prompt("p", "x")
    outcomes: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                s.prompt("p")
                s.add_prompt("p", "y")
            except mnemo.ClosedError:
                outcomes.append("closed")
                return

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.1)
    s.close()
    for t in threads:
        t.join(timeout=10)
    stop.set()
    assert outcomes == ["closed"] * 8
