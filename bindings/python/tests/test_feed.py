"""The log and the change feed: read_log, wait_for, and subscriptions (sync and async)."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from pathlib import Path

import pytest

import mnemo

from conftest import aider_transcript


def test_read_log_and_last_seq(store: mnemo.Mnemo, files: list[Path]) -> None:
    assert store.last_seq() == 0
    assert store.read_log() == []
    store.import_file(files[0])
    p = store.add_prompt("p", "x")
    last = store.last_seq()
    entries = store.read_log()
    assert [e.seq for e in entries] == list(range(1, last + 1))
    e = entries[-1]
    assert isinstance(e, mnemo.LogEntry)
    assert e.stream == "prompt/p" and e.version == 1 and e.kind.startswith("prompt")
    assert e.timestamp >= p.created_at - 1000
    assert isinstance(e.payload, bytes) and e.payload
    assert isinstance(e.metadata, bytes) and isinstance(e.hash, bytes) and len(e.hash) == 32
    assert e.schema >= 1
    assert store.read_log(last, 10) == [e]
    assert store.read_log(1, 1) == entries[:1]
    assert store.read_log(last + 1) == []


def test_wait_for(store: mnemo.Mnemo) -> None:
    t0 = time.monotonic()
    assert store.wait_for(0, 0.05) == 0
    assert time.monotonic() - t0 >= 0.04
    store.add_prompt("p", "x")
    assert store.wait_for(0, 5.0) == 1

    def later() -> None:
        time.sleep(0.1)
        store.add_prompt("p", "y")

    threading.Thread(target=later).start()
    t0 = time.monotonic()
    assert store.wait_for(1, 10.0) == 2
    assert time.monotonic() - t0 < 5


def test_subscription_sync_iterator_with_writer_thread(store: mnemo.Mnemo) -> None:
    store.add_prompt("p", "before")
    sub = store.subscribe(1)
    assert isinstance(sub, mnemo.Subscription) and sub.position == 1
    assert iter(sub) is sub
    first = next(sub)
    assert first.seq == 1 and sub.position == 2
    assert sub.next(timeout=0.05) is None

    n = 20

    def writer() -> None:
        for i in range(n):
            store.add_prompt("p", f"v{i}")
            time.sleep(0.002)

    t = threading.Thread(target=writer)
    t.start()
    got = [next(sub) for _ in range(n)]
    t.join()
    assert [e.seq for e in got] == list(range(2, n + 2))
    assert all(e.stream == "prompt/p" for e in got)
    # A subscription from the middle sees the rest in order.
    mid = store.subscribe(n)
    assert [e.seq for e in (mid.next(0), mid.next(0))] == [n, n + 1]  # type: ignore[union-attr]
    assert mid.next(0) is None


def test_subscription_iteration_ends_when_store_closes(store_dir: Path) -> None:
    s = mnemo.Mnemo(store_dir)
    s.add_prompt("p", "x")
    seen: list[int] = []

    def consume() -> None:
        for e in s.subscribe(1):
            seen.append(e.seq)

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.2)
    s.close()
    t.join(timeout=10)
    assert not t.is_alive()
    assert seen == [1]


def test_next_timeout_and_closed(store_dir: Path) -> None:
    s = mnemo.Mnemo(store_dir)
    sub = s.subscribe()
    t0 = time.monotonic()
    assert sub.next(0.1) is None
    assert 0.09 <= time.monotonic() - t0 < 5
    assert sub.next(0) is None
    threading.Timer(0.1, s.close).start()
    with pytest.raises(mnemo.ClosedError):
        sub.next()  # waits without a timeout until the store closes


def test_blocking_next_sees_signals(store: mnemo.Mnemo) -> None:
    class Interrupted(Exception):
        pass

    def handler(signum, frame):  # type: ignore[no-untyped-def]
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        t0 = time.monotonic()
        with pytest.raises(Interrupted):
            next(store.subscribe())
        assert time.monotonic() - t0 < 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_async_iteration(store: mnemo.Mnemo) -> None:
    n = 15

    async def main() -> list[int]:
        sub = store.subscribe(1)
        assert sub.__aiter__() is sub

        async def writer() -> None:
            for i in range(n):
                await asyncio.to_thread(store.add_prompt, "p", f"v{i}")
                await asyncio.sleep(0.002)

        # The loop stays free while the consumer waits: a ticker keeps running.
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.005)

        tick_task = asyncio.create_task(ticker())
        write_task = asyncio.create_task(writer())
        got = []
        async for entry in sub:
            got.append(entry.seq)
            if len(got) == n:
                break
        await write_task
        tick_task.cancel()
        assert ticks > 3
        return got

    assert asyncio.run(main()) == list(range(1, n + 1))


def test_async_iteration_ends_when_store_closes(store_dir: Path) -> None:
    s = mnemo.Mnemo(store_dir)
    s.add_prompt("p", "x")

    async def main() -> list[int]:
        asyncio.get_running_loop().call_later(0.2, s.close)
        return [e.seq async for e in s.subscribe(1)]

    assert asyncio.run(main()) == [1]


def test_async_cancelled_wait_loses_no_entry(store: mnemo.Mnemo) -> None:
    async def main() -> list[int]:
        sub = store.subscribe(1)
        # Time out (cancel) waits on an empty feed a few times, then write and read.
        for _ in range(3):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(sub.__anext__(), 0.05)
        await asyncio.to_thread(store.add_prompt, "p", "a")
        await asyncio.to_thread(store.add_prompt, "p", "b")
        return [(await sub.__anext__()).seq, (await sub.__anext__()).seq]

    assert asyncio.run(main()) == [1, 2]


def test_many_async_subscribers(store: mnemo.Mnemo) -> None:
    async def main() -> list[list[int]]:
        async def consume() -> list[int]:
            out = []
            async for e in store.subscribe(1):
                out.append(e.seq)
                if len(out) == 3:
                    return out
            return out

        tasks = [asyncio.create_task(consume()) for _ in range(10)]
        await asyncio.sleep(0.05)
        for i in range(3):
            await asyncio.to_thread(store.import_bytes, f"t{i}.md", aider_transcript(f"x{i}"))
        return await asyncio.wait_for(asyncio.gather(*tasks), 20)

    results = asyncio.run(main())
    assert all(r == results[0] and len(r) == 3 for r in results)
    assert results[0] == sorted(results[0])


def test_wait_for_sees_signals(store: mnemo.Mnemo) -> None:
    class Interrupted(Exception):
        pass

    def handler(signum, frame):  # type: ignore[no-untyped-def]
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        t0 = time.monotonic()
        with pytest.raises(Interrupted):
            store.wait_for(0, 3600.0)
        assert time.monotonic() - t0 < 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
