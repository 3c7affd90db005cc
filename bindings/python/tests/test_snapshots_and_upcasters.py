"""Rebuilding state from the event store: snapshots (aggregates loaded from the newest
snapshot and the events after it) and upcasters (old event schemas read as new ones)."""

from __future__ import annotations

import json
from typing import Any, Optional

import pytest

import mnemo

from conftest import ev


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
