// Swift end-to-end test, run by test.sh only where a Swift toolchain (`swiftc`) exists.
// It is compiled in one module with the generated Mnemo.swift, hence no `import Mnemo`:
//
//   swiftc -module-name MnemoSwiftTest -Xcc -fmodule-map-file=GEN/MnemoFFI.modulemap -I GEN \
//     GEN/Mnemo.swift main.swift -L target/release -lmnemo_ffi -o swift-test
//   LD_LIBRARY_PATH=target/release ./swift-test TRANSCRIPT STORE_DIR
//
// Prints one line per check and "N passed, N failed"; exits 1 if any check failed.

import Foundation

struct Failure: Error, CustomStringConvertible {
    let description: String
}

var passed = 0
var failed = 0

func check(_ name: String, _ body: () throws -> Void) {
    do {
        try body()
        passed += 1
        print("ok - \(name)")
    } catch {
        failed += 1
        print("FAILED - \(name): \(error)")
    }
}

func expect(_ condition: Bool, _ what: String) throws {
    if !condition { throw Failure(description: what) }
}

let arguments = CommandLine.arguments
let transcript = arguments.count > 1 ? arguments[1] : "examples/transcripts/aider/aider.chat.history.md"
let dir = arguments.count > 2 ? arguments[2] : NSTemporaryDirectory() + "mnemo-swift-test"

check("README example: open, import, search, close") {
    // README-EXAMPLE-BEGIN
    let store = try MnemoStore.open(path: dir)
    defer { store.closeStore() }
    _ = try store.importBytes(name: "aider.chat.history.md", bytes: try Data(contentsOf: URL(fileURLWithPath: transcript)))
    for hit in try store.search(query: "exponential backoff", filter: nil, limit: 5) {
        print(hit.session.id, hit.score, hit.session.title ?? "-")
    }
    // README-EXAMPLE-END
}

check("errors are MnemoError cases; Subscription.next pulls the feed") {
    let store = try MnemoStore.open(path: dir)
    defer { store.closeStore() }
    try expect(try store.listSessions().count == 2, "two sessions")
    do {
        _ = try MnemoStore.open(path: dir)
        throw Failure(description: "second open succeeded")
    } catch MnemoError.Locked(let message) {
        try expect(message.contains("locked"), message)
    }
    _ = try store.addPrompt(name: "review", body: "Review {{file}} for {{concern}}")
    do {
        _ = try store.renderPrompt(name: "review", selector: nil, values: ["file": "db.rs"])
        throw Failure(description: "rendered without a value for concern")
    } catch MnemoError.MissingVariable(let message) {
        try expect(message.contains("concern"), message)
    }
    let event = EventData(kind: "order.placed", payload: Data("{}".utf8), metadata: Data())
    let first = try store.append(stream: "orders/1", expected: .noStream, events: [event])
    try expect(first.version == 1, "version \(first.version)")
    do {
        _ = try store.append(stream: "orders/1", expected: .noStream, events: [event])
        throw Failure(description: "no conflict")
    } catch MnemoError.Conflict(let message) {
        try expect(message.contains("orders/1"), message)
    }
    let subscription = store.subscribe(from: first.firstSeq)
    let entry = try subscription.next(timeoutMs: 1000)
    try expect(entry?.stream == "orders/1", "entry \(String(describing: entry))")
}

/// A projection written in Swift: counts events per stream (as the length of its value);
/// throws on payload "boom" while `broken`.
final class PerStream: HostProjection {
    var broken = true
    func apply(event: LogEntry, view: ViewBatch) throws {
        let key = Data(event.stream.utf8)
        let count = try view.get(key: key)?.count ?? 0
        try view.put(key: key, value: Data(repeating: 1, count: count + 1))
        if broken && event.payload == Data("boom".utf8) {
            throw CallbackError.Failed(reason: "cannot handle boom")
        }
    }
}

/// An upcaster written in Swift: schema 1 -> 2 appends "+v2".
final class Suffix: Upcaster {
    func upcast(payload: Data) throws -> Data {
        return payload + Data("+v2".utf8)
    }
}

check("host projection and upcaster written in Swift") {
    let store = try MnemoStore.open(path: dir)
    defer { store.closeStore() }
    let filter = EventFilter(streamPrefix: "carts/")
    _ = try store.append(stream: "carts/1", expected: .anyVersion, events: [
        EventData(kind: "add", payload: Data("a".utf8), metadata: Data()),
        EventData(kind: "add", payload: Data("boom".utf8), metadata: Data()),
    ])
    let projection = PerStream()
    do {
        _ = try store.runHostProjection(name: "carts", projection: projection, filter: filter)
        throw Failure(description: "no ProjectionFailed")
    } catch MnemoError.ProjectionFailed(let message) {
        try expect(message.contains("cannot handle boom"), message)
    }
    projection.broken = false
    let status = try store.runHostProjection(name: "carts", projection: projection, filter: filter)
    try expect(status.lag == 0 && status.error == nil, "status \(status)")
    try expect(try store.view(name: "carts").get(key: Data("carts/1".utf8))?.count == 2, "count")
    store.registerUpcaster(kind: "add", fromSchema: 1, upcaster: Suffix())
    let read = try store.readStream(stream: "carts/1", from: 1, direction: .forward, limit: 1)
    try expect(read.first?.payload == Data("a+v2".utf8) && read.first?.schema == 2, "upcast \(read)")
}

/// An aggregate written in Swift: the items in a cart, folded from "added" / "removed"
/// events (payload: the item); its snapshot state is its JSON.
struct Cart: Equatable, Codable {
    var items: [String: Int] = [:]

    func applying(_ event: LogEntry) -> Cart {
        var next = self
        let item = String(decoding: event.payload, as: UTF8.self)
        let n = (items[item] ?? 0) + (event.kind == "added" ? 1 : -1)
        next.items[item] = n == 0 ? nil : n
        return next
    }

    /// The newest snapshot's state with the events after it folded over it, and the version reached.
    static func load(_ store: MnemoStore, _ stream: String) throws -> (Cart, UInt64) {
        let loaded = try store.snapshotAndTail(stream: stream)
        let start = try loaded.snapshot.map { try JSONDecoder().decode(Cart.self, from: $0.state) } ?? Cart()
        return (loaded.events.reduce(start) { $0.applying($1) }, loaded.version)
    }
}

check("an aggregate in Swift: fold snapshotAndTail, snapshot every 10 events, reload equals a full replay") {
    let store = try MnemoStore.open(path: dir)
    defer { store.closeStore() }
    let items = ["tea", "jam", "tea", "bread", "jam", "tea", "milk"]
    var saved: [UInt64] = []
    for i in 0..<25 {
        let kind = i % 4 == 3 ? "removed" : "added"
        _ = try store.append(stream: "cart-9", expected: .anyVersion, events: [
            EventData(kind: kind, payload: Data(items[i % items.count].utf8), metadata: Data()),
        ])
        let (cart, version) = try Cart.load(store, "cart-9")
        if try store.snapshotDue(stream: "cart-9", version: version, every: 10) {
            try store.saveSnapshot(stream: "cart-9", version: version, state: try JSONEncoder().encode(cart))
            saved.append(version)
        }
    }
    try expect(saved == [10, 20], "saved \(saved)")
    let replay = try store.readStream(stream: "cart-9", from: 1, direction: .forward, limit: 1000)
        .reduce(Cart()) { $0.applying($1) }
    let (cart, version) = try Cart.load(store, "cart-9")
    try expect(cart == replay && version == 25, "reload \(cart) at \(version) vs replay \(replay)")
}

check("async functions: openStoreAsync, searchAsync, appendAsync, Subscription.nextAsync") {
    let done = DispatchSemaphore(value: 0)
    var outcome: Result<String, Error> = .failure(Failure(description: "did not run"))
    // Detached: top-level code runs on the main actor, which the semaphore blocks.
    Task.detached {
        do {
            let store = try await openStoreAsync(path: dir, options: nil)
            defer { store.closeStore() }
            let hits = try await store.searchAsync(query: "exponential backoff", filter: nil, limit: 5)
            let appended = try await store.appendAsync(stream: "jobs/1", expected: .anyVersion, events: [
                EventData(kind: "queued", payload: Data(), metadata: Data()),
            ])
            let entry = try await store.subscribe(from: appended.firstSeq).nextAsync()
            outcome = .success("\(hits.isEmpty ? "no hits" : "hits") \(entry.stream)")
        } catch {
            outcome = .failure(error)
        }
        done.signal()
    }
    done.wait()
    let summary = try outcome.get()
    try expect(summary == "hits jobs/1", summary)
}

try? FileManager.default.removeItem(atPath: dir)
print("\(passed) passed, \(failed) failed")
exit(failed == 0 ? 0 : 1)
