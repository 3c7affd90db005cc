"""Projections over the event store: the built-in ones (event counts, stream heads, the
search index, the context views) and Python projections (filters, failure and resume,
blue-green rebuild)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import pytest

import mnemo

from conftest import ev


def count(v: Optional[bytes]) -> int:
    assert v is not None
    return int.from_bytes(v, "big")


# -- projections ----------------------------------------------------------------------------


def test_builtin_projections(store: mnemo.Mnemo) -> None:
    assert mnemo.BUILTIN_PROJECTIONS == (
        "event-counts",
        "stream-heads",
        "search-index",
        "context-views",
    )
    store.append("order-1", [ev("placed"), ev("paid")])
    store.append("order-2", [ev("placed")])
    status = store.run_projection("event-counts")
    assert isinstance(status, mnemo.ProjectionStatus)
    assert (status.name, status.generation, status.checkpoint) == ("event-counts", 0, 3)
    assert status.head == 3 and status.lag == 0
    assert status.error is None and status.rebuilding is None
    view = store.view("event-counts")
    assert view.name == "event-counts"
    assert count(view.get(b"placed")) == 2 and count(view.get(b"paid")) == 1
    assert view.get(b"refunded") is None
    assert [k for k, _ in view.scan()] == [b"paid", b"placed"]
    assert [k for k, _ in view.scan(b"pl")] == [b"placed"]

    store.append("order-1", [ev("shipped")])
    assert store.projection_status("event-counts").lag == 1
    assert store.run_projection("event-counts").checkpoint == 4
    assert count(view.get(b"shipped")) == 1

    store.run_projection("stream-heads")
    head = json.loads(store.view("stream-heads").get(b"order-1") or b"")
    assert head == {"version": 3, "seq": 4, "kind": "shipped"}
    # The context views are applied with every commit, so always listed (first).
    assert [p.name for p in store.projections()] == ["context-views", "event-counts", "stream-heads"]

    rebuilt = store.rebuild_projection("event-counts")
    assert rebuilt.generation == 1 and rebuilt.checkpoint == 4 and rebuilt.rebuilding is None
    assert count(view.get(b"placed")) == 2

    with pytest.raises(mnemo.NotFoundError) as info:
        store.run_projection("no-such-projection")
    assert info.value.key.startswith("no-such-projection")
    with pytest.raises(mnemo.NotFoundError):
        store.rebuild_projection("no-such-projection")
    with pytest.raises(mnemo.NotFoundError):
        store.projection_status("never-ran")


class Totals:
    """Sums `amount` per order; fails on an event with `"bad": true` until fixed."""

    name = "totals"
    filter = ("order-", ["placed", "added"])

    def __init__(self) -> None:
        self.fixed = False
        self.calls = 0
        self.views: list[mnemo.ViewBatch] = []

    def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None:
        self.calls += 1
        self.views.append(view)
        data = json.loads(event.payload)
        if data.get("bad") and not self.fixed:
            raise ValueError(f"bad amount in {event.stream}")
        key = event.stream.encode()
        current = view.get(key)
        total = int(current) if current is not None else 0
        view.put(key, str(total + data.get("amount", 0)).encode())
        if data.get("reset"):
            view.delete(key)


def test_python_projection_failure_and_resume(store: mnemo.Mnemo) -> None:
    store.append("order-1", [ev("placed", amount=10), ev("added", amount=5)])
    store.append("cart-1", [ev("added", amount=1000)])  # outside the filter's prefix
    store.append("order-1", [ev("paid", amount=1000)])  # outside the filter's kinds
    store.append("order-2", [ev("placed", amount=7)])
    bad = store.append("order-1", [ev("added", amount=3, bad=True)]).last_seq
    store.append("order-2", [ev("added", amount=1)])

    p = Totals()
    with pytest.raises(mnemo.ProjectionFailedError) as info:
        store.run_projection(p)
    err = info.value
    assert err.code == "projection_failed" and err.name == "totals" and err.seq == bad
    assert "ValueError: bad amount in order-1" in err.reason
    assert isinstance(err.__cause__, ValueError)
    assert p.calls == 4  # the filter kept cart-1 and `paid` away
    # The view passed to apply is unusable once apply returned.
    with pytest.raises(RuntimeError):
        p.views[0].put(b"k", b"v")
    with pytest.raises(RuntimeError):
        p.views[0].get(b"k")

    status = store.projection_status("totals")
    assert status.checkpoint == bad - 1
    assert status.error is not None and status.error.seq == bad
    assert "bad amount" in status.error.reason
    view = store.view("totals")
    # Everything before the failing event is applied, nothing after it.
    assert view.get(b"order-1") == b"15" and view.get(b"order-2") == b"7"

    # Still failing: the same event again, nothing skipped.
    with pytest.raises(mnemo.ProjectionFailedError) as info:
        store.run_projection(p)
    assert info.value.seq == bad

    p.fixed = True
    status = store.run_projection(p)
    assert status.error is None and status.checkpoint == store.last_seq() and status.lag == 0
    assert view.get(b"order-1") == b"18" and view.get(b"order-2") == b"8"
    assert view.scan(b"cart") == []
    # Run again: nothing new, nothing applied twice.
    calls = p.calls
    store.run_projection(p)
    assert p.calls == calls and view.get(b"order-1") == b"18"
    store.append("order-2", [ev("added", reset=True)])
    store.run_projection(p)
    assert view.get(b"order-2") is None


def test_projection_base_exception_is_raised_as_is(store: mnemo.Mnemo) -> None:
    class Stop(BaseException):
        pass

    class Stopper:
        name = "stopper"

        def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None:
            view.put(str(event.seq).encode(), b"")
            if event.seq == 2:
                raise Stop()

    store.append("s", [ev("a"), ev("b"), ev("c")])
    with pytest.raises(Stop):
        store.run_projection(Stopper())
    status = store.projection_status("stopper")
    assert status.checkpoint == 1 and status.error is not None and status.error.seq == 2
    assert [k for k, _ in store.view("stopper").scan()] == [b"1"]


def test_projection_object_checks(store: mnemo.Mnemo) -> None:
    class NoApply:
        name = "x"

    class BadFilter:
        name = "x"
        filter = "order-"

        def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None: ...

    class MethodFilter:
        name = "method-filter"
        seen: list[str] = []

        def filter(self) -> tuple[Optional[str], Optional[list[str]]]:
            return (None, ["b"])

        def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None:
            self.seen.append(event.kind)

    with pytest.raises(TypeError):
        store.run_projection(NoApply())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.run_projection(BadFilter())
    store.append("s", [ev("a"), ev("b")])
    m = MethodFilter()
    store.run_projection(m)
    assert m.seen == ["b"]


class Balances:
    """Generation 1 keeps `balance/<stream>`; the fixed logic (`v2`) keeps `cents/<stream>`."""

    name = "balances"

    def __init__(self, store: mnemo.Mnemo, v2: bool = False) -> None:
        self.store = store
        self.v2 = v2
        self.seen_during_rebuild: list[Optional[bytes]] = []
        self.rebuilding: list[Optional[tuple[int, int]]] = []

    def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None:
        amount = json.loads(event.payload)["amount"]
        if self.v2:
            # Readers still see the old generation while the new one is built.
            self.seen_during_rebuild.append(self.store.view(self.name).get(b"balance/acct"))
            self.rebuilding.append(self.store.projection_status(self.name).rebuilding)
            key = b"cents/" + event.stream.encode()
            old = view.get(key)
            view.put(key, str(int(old or 0) + amount * 100).encode())
        else:
            key = b"balance/" + event.stream.encode()
            old = view.get(key)
            view.put(key, str(int(old or 0) + amount).encode())


def test_blue_green_rebuild(store: mnemo.Mnemo) -> None:
    store.append("acct", [ev("credited", amount=5), ev("credited", amount=7)])
    v1 = store.run_projection(Balances(store))
    assert v1.generation == 0
    view = store.view("balances")
    assert view.get(b"balance/acct") == b"12"

    v2 = Balances(store, v2=True)
    status = store.rebuild_projection(v2)
    assert v2.seen_during_rebuild == [b"12", b"12"]
    assert [r[0] if r else None for r in v2.rebuilding] == [1, 1]
    assert status.generation == 1 and status.rebuilding is None and status.checkpoint == 2
    # Readers switched to the new generation; the old one is gone.
    assert view.scan() == [(b"cents/acct", b"1200")]
    assert view.get(b"balance/acct") is None
    # The rebuilt projection keeps running from its checkpoint.
    store.append("acct", [ev("debited", amount=-2)])
    v2.v2 = True
    assert store.run_projection(v2).checkpoint == 3
    assert view.get(b"cents/acct") == b"1000"


def test_failed_rebuild_keeps_serving_and_resumes(store: mnemo.Mnemo) -> None:
    store.append("order-1", [ev("placed", amount=1), ev("added", amount=2, bad=True)])
    fixed = Totals()
    fixed.fixed = True
    store.run_projection(fixed)
    view = store.view("totals")
    assert view.get(b"order-1") == b"3"

    broken = Totals()
    with pytest.raises(mnemo.ProjectionFailedError):
        store.rebuild_projection(broken)
    status = store.projection_status("totals")
    assert status.generation == 0 and status.rebuilding == (1, 1)
    assert view.get(b"order-1") == b"3"  # still the old generation
    broken.fixed = True
    status = store.rebuild_projection(broken)
    assert status.generation == 1 and status.rebuilding is None and status.error is None
    assert view.get(b"order-1") == b"3"


# -- built-in projections over imported transcripts -----------------------------------------


def test_search_index_is_a_builtin_projection(store: mnemo.Mnemo, files: list[Path]) -> None:
    sample, other = files[0], files[1]
    store.import_file(str(sample))
    # A search catches the index up first, so its status shows no lag afterwards.
    store.search("the")
    status = store.projection_status("search-index")
    assert status.lag == 0 and status.error is None
    rebuilt = store.rebuild_projection("search-index")
    assert rebuilt.generation == status.generation + 1
    store.import_file(str(other))
    updated = store.update_search_index()
    assert updated.name == "search-index" and updated.lag == 0
    assert updated.generation == rebuilt.generation


def test_context_views_rebuild_by_name_keeps_everything_readable(
    store: mnemo.Mnemo, files: list[Path]
) -> None:
    imported = store.import_paths([str(f) for f in files])
    sessions = store.list_sessions()
    assert sessions and imported.sessions_imported == len(sessions)
    first = store.session(sessions[0].id)
    store.add_prompt("review", "Review {{file}}")
    store.label_prompt("review", "production", 1)
    store.add_workflow("ship", [{"name": "review", "prompt": "review"}])
    status = store.projection_status("context-views")
    assert status.lag == 0 and status.generation == 0
    assert store.projections()[0].name == "context-views"
    assert store.run_projection("context-views") == store.projection_status("context-views")

    report = store.rebuild_context_views()
    assert isinstance(report, mnemo.ContextRebuild)
    assert report.generation == 1 and report.entries == store.last_seq()
    assert (report.sessions, report.prompt_versions, report.workflow_versions) == (len(sessions), 1, 1)
    assert report.sources >= 1 and "ContextRebuild(generation=1" in repr(report)

    rebuilt = store.rebuild_projection("context-views")
    assert rebuilt.name == "context-views" and rebuilt.generation == 2 and rebuilt.lag == 0
    assert [s.id for s in store.list_sessions()] == [s.id for s in sessions]
    again = store.session(first.id)
    assert again.info == first.info and again.messages == first.messages
    assert store.render_prompt("review", {"file": "a.rs"}, selector="production") == "Review a.rs"
    assert store.workflow("ship").version == 1
