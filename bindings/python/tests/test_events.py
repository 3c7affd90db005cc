"""Appending to and reading the event store: event data, appends with expected versions
(conflicts, concurrent writers, atomic multi-stream appends), input checks, reads of a
stream and of the whole log, and filtered and named subscriptions."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import mnemo

from conftest import ev


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
