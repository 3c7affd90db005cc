"""Async iteration of the change feed: ``async for entry in store.subscribe(...)``.

``Subscription.__anext__`` (in Rust) returns ``anext(sub)``. The wait for new log entries
runs on a worker thread (``Subscription.wait``, which releases the GIL), so the event loop
never blocks on it; the entry itself is taken on the loop's thread with ``sub.next(0)``.
A cancelled ``__anext__`` therefore loses no entry: at worst a worker thread finishes its
current wait (at most ``_POLL_SECONDS``) with nothing to hand over.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

from ._mnemo import ClosedError, LogEntry, Subscription

# Longest single wait on a worker thread; bounds how long a cancelled wait holds a thread.
_POLL_SECONDS = 0.5
# Worker threads shared by all subscriptions (created on demand); more concurrent waiters
# than this take turns, each wait lasting at most _POLL_SECONDS.
_MAX_WAITERS = 64

_lock = threading.Lock()
_executor: Optional[ThreadPoolExecutor] = None


def _waiters() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=_MAX_WAITERS, thread_name_prefix="mnemo-feed"
            )
        return _executor


async def anext(sub: Subscription) -> LogEntry:
    """The next entry of ``sub``; ``StopAsyncIteration`` once the store is closed."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            entry = sub.next(0)
            if entry is not None:
                return entry
            await loop.run_in_executor(_waiters(), sub.wait, _POLL_SECONDS)
    except ClosedError:
        raise StopAsyncIteration from None
