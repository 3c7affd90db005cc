"""The event store: appends with expected versions, reads, filtered and named
subscriptions, built-in and Python projections (failure, resume, blue-green rebuild),
snapshots and upcasters."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Optional

import pytest

import mnemo


def ev(kind: str, **payload: Any) -> mnemo.EventData:
    return mnemo.EventData(kind, payload)


def count(v: Optional[bytes]) -> int:
    assert v is not None
    return int.from_bytes(v, "big")


# -- appending and reading ------------------------------------------------------------------


def test_event_data() -> None:
    e = mnemo.EventData("placed", b"\x00raw", b"meta", 2)
    assert (e.kind, e.payload, e.metadata, e.schema) == ("placed", b"\x00raw", b"meta", 2)
    d = mnemo.EventData("placed", {"id": 1, "name": "é", "tags": [1, 2]})
    # Compact JSON, UTF-8 as is (what the core's EventData::json writes).
    assert d.payload == '{"id":1,"name":"é","tags":[1,2]}'.encode()
    assert d.metadata == b"" and d.schema == 1
    assert mnemo.EventData("k", bytearray(b"ab")).payload == b"ab"
    assert mnemo.EventData("k", "text").payload == b'"text"'
    assert mnemo.EventData("k", None, None).payload == b"" == mnemo.EventData("k", [], None).metadata
    assert mnemo.EventData("k", [None]).payload == b"[null]"
    assert mnemo.EventData("k", b"", metadata={"user": "ann"}).metadata == b'{"user":"ann"}'
    assert d == mnemo.EventData("placed", d.payload) and d != e
    assert "placed" in repr(d)
    with pytest.raises(TypeError):
        mnemo.EventData("k", object())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        mnemo.EventData("k", {"x": float("nan")})
    with pytest.raises(OverflowError):
        mnemo.EventData("k", b"", schema=-1)


def test_append_and_read_stream(store: mnemo.Mnemo) -> None:
    assert store.stream_version("order-1") is None
    r = store.append("order-1", [ev("placed", id=1), ev("paid", amount=5)], expected=mnemo.NO_STREAM)
    assert isinstance(r, mnemo.AppendResult)
    assert (r.first_seq, r.last_seq, r.version) == (1, 2, 2)
    r = store.append(
        "order-1",
        [{"kind": "shipped", "payload": b"box", "metadata": b"m", "schema": 3}],
        expected=2,
    )
    assert (r.first_seq, r.last_seq, r.version) == (3, 3, 3)
    assert store.append("order-1", [ev("noted")]).version == 4  # default: ANY
    assert store.stream_version("order-1") == 4

    events = store.read_stream("order-1")
    assert [(e.version, e.kind) for e in events] == [
        (1, "placed"),
        (2, "paid"),
        (3, "shipped"),
        (4, "noted"),
    ]
    assert all(e.stream == "order-1" for e in events)
    assert json.loads(events[1].payload) == {"amount": 5}
    shipped = events[2]
    assert (shipped.payload, shipped.metadata, shipped.schema, shipped.seq) == (b"box", b"m", 3, 3)
    assert [e.version for e in store.read_stream("order-1", 2, limit=2)] == [2, 3]
    assert [e.version for e in store.read_stream("order-1", backward=True)] == [4, 3, 2, 1]
    assert [e.version for e in store.read_stream("order-1", 2, backward=True)] == [2, 1]
    assert [e.version for e in store.read_stream("order-1", backward=True, limit=1)] == [4]
    assert store.read_stream("order-1", 5) == []
    with pytest.raises(mnemo.NotFoundError) as info:
        store.read_stream("order-2")
    assert info.value.kind == "stream" and info.value.key == "order-2"


def test_conflict(store: mnemo.Mnemo) -> None:
    store.append("acct", [ev("opened"), ev("credited")], expected=mnemo.NO_STREAM)
    last = store.last_seq()
    with pytest.raises(mnemo.ConflictError) as info:
        store.append("acct", [ev("credited")], expected=mnemo.NO_STREAM)
    err = info.value
    assert err.code == "conflict" and err.stream == "acct" and err.current == 2
    assert err.expected == "no stream"
    with pytest.raises(mnemo.ConflictError) as info:
        store.append("acct", [ev("credited")], expected=1)
    assert info.value.current == 2 and info.value.expected == "1"
    with pytest.raises(mnemo.ConflictError) as info:
        store.append("other", [ev("x")], expected=3)
    assert info.value.current is None
    # Nothing was written by the failed appends.
    assert store.last_seq() == last and store.stream_version("acct") == 2
    assert store.stream_version("other") is None
    # A writer that read version 2 wins; the one holding the same stale version loses.
    assert store.append("acct", [ev("debited")], expected=2).version == 3
    with pytest.raises(mnemo.ConflictError) as info:
        store.append("acct", [ev("debited")], expected=2)
    assert info.value.current == 3


def test_concurrent_writers_with_optimistic_retry(store: mnemo.Mnemo) -> None:
    """Writers in threads (appends release the GIL) retry from `ConflictError.current`."""
    threads, per_thread = 4, 25
    conflicts = [0] * threads

    def writer(i: int) -> None:
        known: mnemo.Expected | int = mnemo.NO_STREAM
        for n in range(per_thread):
            while True:
                try:
                    r = store.append("counter", [ev("incremented", by=i, n=n)], expected=known)
                    known = r.version
                    break
                except mnemo.ConflictError as e:
                    conflicts[i] += 1
                    known = mnemo.NO_STREAM if e.current is None else e.current

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    events = store.read_stream("counter")
    assert [e.version for e in events] == list(range(1, threads * per_thread + 1))
    for i in range(threads):
        mine = [json.loads(e.payload)["n"] for e in events if json.loads(e.payload)["by"] == i]
        assert mine == list(range(per_thread))


def test_append_many_is_atomic(store: mnemo.Mnemo) -> None:
    store.append("a", [ev("x")])
    with pytest.raises(mnemo.ConflictError) as info:
        store.append_many(
            [("b", mnemo.NO_STREAM, [ev("y")]), ("a", mnemo.NO_STREAM, [ev("x")])]
        )
    assert info.value.stream == "a"
    assert store.stream_version("b") is None and store.last_seq() == 1
    results = store.append_many(
        [("b", mnemo.NO_STREAM, [ev("y"), ev("z")]), ("a", 1, [{"kind": "x", "payload": b""}])]
    )
    assert [(r.first_seq, r.last_seq, r.version) for r in results] == [(2, 3, 2), (4, 4, 2)]


def test_invalid_input(store: mnemo.Mnemo) -> None:
    for stream in ["session/x", "source/x", "prompt/x", "workflow/x"]:
        with pytest.raises(mnemo.InvalidInputError) as info:
            store.append(stream, [ev("x")])
        assert "reserved" in info.value.reason
    with pytest.raises(mnemo.InvalidInputError):
        store.append_many([("ok", mnemo.ANY, [ev("x")]), ("prompt/p", mnemo.ANY, [ev("x")])])
    with pytest.raises(mnemo.InvalidInputError):
        store.append("s", [])
    with pytest.raises(mnemo.InvalidInputError):
        store.append("", [ev("x")])
    with pytest.raises(mnemo.InvalidInputError):
        store.append("s", [mnemo.EventData("x", b"", schema=0)])
    with pytest.raises(mnemo.InvalidInputError):
        store.append("s", [mnemo.EventData("", b"")])
    with pytest.raises(mnemo.TooLargeError):
        store.append("s", [mnemo.EventData("x", bytes(5 << 20))])
    assert store.last_seq() == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.append("s", ev("x")),
        lambda s: s.append("s", [42]),
        lambda s: s.append("s", [{"payload": b""}]),
        lambda s: s.append("s", [ev("x")], expected="1"),
        lambda s: s.append("s", [ev("x")], expected=True),
        lambda s: s.append("s", [ev("x")], expected=None),
        lambda s: s.append("s", [ev("x")], mnemo.ANY),
        lambda s: s.append_many(["s", mnemo.ANY, [ev("x")]]),
        lambda s: s.read_stream("s", "1"),
        lambda s: s.read_all(kinds="placed"),
        lambda s: s.subscribe(kinds="placed"),
        lambda s: s.run_projection(42),
        lambda s: s.run_projection(object()),
        lambda s: s.view("v").get("key"),
        lambda s: s.save_snapshot("s", 1, "state"),
        lambda s: s.register_upcaster("k", 1, b"not callable"),
    ],
)
def test_wrong_types_raise_type_error(store: mnemo.Mnemo, call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError):
        call(store)


def test_bad_values(store: mnemo.Mnemo) -> None:
    with pytest.raises(ValueError):
        store.append_many([("s", [ev("x")])])  # type: ignore[list-item]
    with pytest.raises(OverflowError):
        store.append("s", [ev("x")], expected=-1)
    assert repr(mnemo.ANY) == "mnemo.ANY" and repr(mnemo.NO_STREAM) == "mnemo.NO_STREAM"
    assert mnemo.ANY != mnemo.NO_STREAM and isinstance(mnemo.ANY, mnemo.Expected)


def test_read_all_and_verify_log(store: mnemo.Mnemo) -> None:
    store.add_prompt("p", "x")
    store.append("order-1", [ev("placed"), ev("paid")])
    store.append("order-2", [ev("placed")])
    store.append("cart-1", [ev("placed")])
    every = store.read_all()
    assert [e.seq for e in every] == list(range(1, store.last_seq() + 1))
    assert every == store.read_log()
    orders = store.read_all(stream_prefix="order-")
    assert [(e.stream, e.kind) for e in orders] == [
        ("order-1", "placed"),
        ("order-1", "paid"),
        ("order-2", "placed"),
    ]
    placed = store.read_all(kinds=["placed"])
    assert [e.stream for e in placed] == ["order-1", "order-2", "cart-1"]
    assert [e.stream for e in store.read_all(stream_prefix="order-", kinds=["placed"])] == [
        "order-1",
        "order-2",
    ]
    assert [e.stream for e in store.read_all(orders[1].seq + 1, 1, kinds=["placed"])] == [
        "order-2"
    ]
    v = store.verify_log()
    assert isinstance(v, mnemo.LogVerification)
    assert v.entries == store.last_seq() == 5
    assert v.head == every[-1].hash.hex()


# -- subscriptions --------------------------------------------------------------------------


def test_filtered_subscription(store: mnemo.Mnemo) -> None:
    store.append("order-1", [ev("placed"), ev("paid")])
    store.add_prompt("p", "x")
    store.append("cart-1", [ev("placed")])
    sub = store.subscribe(kinds=["placed"])
    assert sub.name is None
    assert [sub.next(0).stream for _ in range(2)] == ["order-1", "cart-1"]  # type: ignore[union-attr]
    assert sub.next(0) is None
    sub = store.subscribe(2, stream_prefix="order-")
    e = sub.next(0)
    assert e is not None and (e.seq, e.kind) == (2, "paid") and sub.next(0) is None
    # The original call still works: every entry from a position.
    assert store.subscribe(3).next(0).stream == "prompt/p"  # type: ignore[union-attr]
    with pytest.raises(mnemo.InvalidInputError):
        sub.checkpoint()  # only a named subscription has one


def test_named_subscription_resumes_across_reopen(store_dir: Path) -> None:
    with mnemo.Mnemo(store_dir, sync_writes=False) as store:
        store.append("order-1", [ev("placed"), ev("paid")])
        store.append("order-2", [ev("placed")])
        store.append("order-3", [ev("placed")])
        assert store.subscription_checkpoint("mailer") is None
        sub = store.subscribe(name="mailer", kinds=["placed"])
        assert sub.name == "mailer" and "mailer" in repr(sub)
        first, second = sub.next(0), sub.next(0)
        assert first is not None and second is not None
        assert (first.stream, second.stream) == ("order-1", "order-2")
        sub.checkpoint()
        assert store.subscription_checkpoint("mailer") == second.seq
        # Taken but not checkpointed: delivered again after the restart.
        assert sub.next(0).stream == "order-3"  # type: ignore[union-attr]
        with pytest.raises(mnemo.InvalidInputError):
            store.subscribe(name="")
    with mnemo.Mnemo(store_dir, sync_writes=False) as store:
        assert store.subscription_checkpoint("mailer") == second.seq
        # from_seq is ignored once the name has a checkpoint.
        sub = store.subscribe(1, name="mailer", kinds=["placed"])
        assert sub.position == second.seq + 1
        e = sub.next(0)
        assert e is not None and e.stream == "order-3"
        assert sub.next(0) is None
        sub.checkpoint()
        store.append("order-4", [ev("placed")])
        assert store.subscribe(name="mailer", kinds=["placed"]).next(0).stream == "order-4"  # type: ignore[union-attr]


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


# -- snapshots and upcasters ----------------------------------------------------------------


def test_snapshots(store: mnemo.Mnemo) -> None:
    store.append("cart", [ev("added"), ev("added"), ev("removed")])
    assert store.load_snapshot("cart") is None
    store.save_snapshot("cart", 2, b"\x02items")
    s = store.load_snapshot("cart")
    assert isinstance(s, mnemo.Snapshot)
    assert (s.version, s.state) == (2, b"\x02items")
    store.save_snapshot("cart", 3, b"\x01item")
    latest = store.load_snapshot("cart")
    assert latest is not None and (latest.version, latest.state) == (3, b"\x01item")
    for version in (0, 4):
        with pytest.raises(mnemo.InvalidInputError):
            store.save_snapshot("cart", version, b"x")
    with pytest.raises(mnemo.InvalidInputError):
        store.save_snapshot("empty", 1, b"x")


class Cart:
    """An aggregate: the items in a cart, folded from `added` / `removed` events. Its
    snapshot state is its JSON."""

    def __init__(self, items: Optional[dict[str, int]] = None) -> None:
        self.items: dict[str, int] = dict(items or {})

    def apply(self, event: mnemo.LogEntry) -> None:
        item = json.loads(event.payload)["item"]
        step = 1 if event.kind == "added" else -1
        self.items[item] = self.items.get(item, 0) + step
        if self.items[item] == 0:
            del self.items[item]

    @classmethod
    def load(cls, store: mnemo.Mnemo, stream: str) -> tuple[Cart, int]:
        """The newest snapshot's state with the events after it folded over it."""
        loaded = store.snapshot_and_tail(stream)
        snap = loaded.snapshot
        cart = cls(json.loads(snap.state)) if snap is not None else cls()
        for event in loaded.events:
            cart.apply(event)
        return cart, loaded.version

    def save_if_due(self, store: mnemo.Mnemo, stream: str, version: int, every: int) -> bool:
        if not store.snapshot_due(stream, version, every):
            return False
        store.save_snapshot(stream, version, json.dumps(self.items).encode())
        return True


def test_aggregate_with_snapshots_every_n_events(store: mnemo.Mnemo) -> None:
    loaded = store.snapshot_and_tail("cart-9")
    assert (loaded.snapshot, loaded.events, loaded.version) == (None, [], 0)
    items = ["tea", "jam", "tea", "bread", "jam", "tea", "milk"]
    saved = []
    for i in range(25):
        item = items[i % len(items)]
        kind = "removed" if i % 4 == 3 else "added"
        store.append("cart-9", [ev(kind, item=item)])
        cart, version = Cart.load(store, "cart-9")
        assert version == i + 1
        if cart.save_if_due(store, "cart-9", version, every=10):
            saved.append(version)
    assert saved == [10, 20]

    loaded = store.snapshot_and_tail("cart-9")
    assert loaded.snapshot is not None and loaded.snapshot.version == 20
    assert [e.version for e in loaded.events] == [21, 22, 23, 24, 25]
    assert all(isinstance(e, mnemo.LogEntry) for e in loaded.events)
    assert loaded.version == 25 and "AggregateLoad(" in repr(loaded)
    replay = Cart()
    for event in store.read_stream("cart-9"):
        replay.apply(event)
    cart, version = Cart.load(store, "cart-9")
    assert (cart.items, version) == (replay.items, 25)
    assert not store.snapshot_due("cart-9", 25, 0)


def test_upcasters(store: mnemo.Mnemo) -> None:
    store.append("user-1", [mnemo.EventData("renamed", {"name": "Ann"})])
    store.append("user-1", [mnemo.EventData("renamed", {"title": "Bea"}, schema=2)])

    def v1_to_v2(payload: bytes) -> bytes:
        data = json.loads(payload)
        return json.dumps({"title": data.pop("name")}).encode()

    def v2_to_v3(payload: bytes) -> dict[str, Any]:
        return {**json.loads(payload), "lang": "en"}  # returned as JSON

    store.register_upcaster("renamed", 1, v1_to_v2)
    events = store.read_stream("user-1")
    assert [(e.schema, json.loads(e.payload)) for e in events] == [
        (2, {"title": "Ann"}),
        (2, {"title": "Bea"}),
    ]
    store.register_upcaster("renamed", 2, v2_to_v3)
    events = store.read_all(kinds=["renamed"])
    assert [(e.schema, json.loads(e.payload)) for e in events] == [
        (3, {"title": "Ann", "lang": "en"}),
        (3, {"title": "Bea", "lang": "en"}),
    ]
    # Projections and subscriptions see upcast events too.
    seen: list[int] = []

    class Schemas:
        name = "schemas"

        def apply(self, event: mnemo.LogEntry, view: mnemo.ViewBatch) -> None:
            seen.append(event.schema)

    store.run_projection(Schemas())
    assert seen == [3, 3]
    assert store.subscribe().next(0).schema == 3  # type: ignore[union-attr]

    def broken(payload: bytes) -> bytes:
        raise KeyError("amount")

    store.append("pay-1", [mnemo.EventData("paid", b"{}")])
    store.register_upcaster("paid", 1, broken)
    with pytest.raises(mnemo.UpcastError) as info:
        store.read_stream("pay-1")
    err = info.value
    assert err.code == "upcast" and err.kind == "paid" and err.schema == 1
    assert "KeyError" in err.reason and "amount" in err.reason
    store.register_upcaster("paid", 1, lambda p: 42)  # not bytes: stored as JSON `42`
    assert store.read_stream("pay-1")[0].payload == b"42"
    store.register_upcaster("paid", 1, lambda p: object())  # type: ignore[arg-type, return-value]
    with pytest.raises(mnemo.UpcastError) as info:
        store.read_stream("pay-1")
    assert "TypeError" in info.value.reason
    # Upcasters belong to the handle: stored events are never rewritten.
    store.close()
    with mnemo.Mnemo(store.path, sync_writes=False) as reopened:
        first = reopened.read_stream("user-1")[0]
        assert (first.schema, json.loads(first.payload)) == (1, {"name": "Ann"})


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
