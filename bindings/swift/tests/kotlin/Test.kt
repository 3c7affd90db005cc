// End-to-end test of the generated Kotlin binding on the JVM (JNA + libmnemo_ffi.so).
//
// Run by bindings/swift/test.sh:
//   kotlinc mnemo/mnemo.kt MnemoFlow.kt Test.kt -cp jna.jar:kotlinx-coroutines-core-jvm.jar -d test.jar
//   java -Djna.library.path=target/release \
//     -cp test.jar:jna.jar:kotlin-stdlib.jar:kotlinx-coroutines-core-jvm.jar TestKt TRANSCRIPT
// Prints one line per check and ends with "N passed, N failed"; exits 1 if any check failed.

import java.io.File
import java.nio.file.Files
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import mnemo.*

var passed = 0
var failed = 0

fun check(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok - $name")
    } catch (e: Throwable) {
        failed++
        println("FAILED - $name: $e")
        e.printStackTrace(System.out)
    }
}

fun expect(condition: Boolean, what: () -> String) {
    if (!condition) throw AssertionError(what())
}

/** Runs `body` and returns the exception of type `T` it throws (fails if it throws none). */
inline fun <reified T : Throwable> assertThrows(body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

/** The README's Kotlin example, verbatim between the markers (test.sh checks they match). */
fun readmeExample(dir: String, transcript: String) {
    // README-EXAMPLE-BEGIN
    MnemoStore.open(dir).use { store ->  // use {} closes the store
        store.importBytes("aider.chat.history.md", File(transcript).readBytes())
        for (hit in store.search("exponential backoff", null, 5u))
            println("${hit.session.id} ${"%.2f".format(hit.score)} ${hit.session.title}")
    }
    // README-EXAMPLE-END
}

fun long(bytes: ByteArray?): Long = bytes?.let { java.nio.ByteBuffer.wrap(it).long } ?: 0L
fun bytesOf(n: Long): ByteArray = java.nio.ByteBuffer.allocate(8).putLong(n).array()

/** A projection written in Kotlin: counts events per stream; throws on payload "boom" while `broken`. */
class PerStream(var broken: Boolean) : HostProjection {
    var lent: ViewBatch? = null
    override fun apply(event: LogEntry, view: ViewBatch) {
        lent = view
        val key = event.stream.toByteArray()
        view.put(key, bytesOf(long(view.get(key)) + 1))
        if (broken && String(event.payload) == "boom") throw IllegalStateException("cannot handle boom")
    }
}

fun event(kind: String, payload: String, schema: UInt = 1u) =
    EventData(kind, payload.toByteArray(), ByteArray(0), schema)

/**
 * An aggregate written in Kotlin: the items in a cart, folded from `added` / `removed` events
 * (payload: the item). Its snapshot state is `item=count` pairs joined by `;`.
 */
data class Cart(val items: Map<String, Int> = emptyMap()) {
    fun apply(event: LogEntry): Cart {
        val item = String(event.payload)
        val n = (items[item] ?: 0) + if (event.kind == "added") 1 else -1
        return Cart(if (n == 0) items - item else items + (item to n))
    }

    fun toSnapshot(): ByteArray = items.entries.joinToString(";") { "${it.key}=${it.value}" }.toByteArray()

    companion object {
        fun fromSnapshot(state: ByteArray): Cart = Cart(
            String(state).split(";").filter { it.isNotEmpty() }
                .associate { it.substringBefore("=") to it.substringAfter("=").toInt() },
        )

        /** The newest snapshot's state with the events after it folded over it, and the version reached. */
        fun load(store: MnemoStore, stream: String): Pair<Cart, ULong> {
            val loaded = store.snapshotAndTail(stream)
            val start = loaded.snapshot?.let { fromSnapshot(it.state) } ?: Cart()
            return loaded.events.fold(start) { cart, e -> cart.apply(e) } to loaded.version
        }
    }
}

fun main(args: Array<String>) {
    val transcript = args.getOrElse(0) { "examples/transcripts/aider/aider.chat.history.md" }
    val bytes = File(transcript).readBytes()
    val tmp = Files.createTempDirectory("mnemo-kotlin-test").toFile()
    try {
        run(tmp, transcript, bytes)
    } finally {
        tmp.deleteRecursively()
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}

fun run(tmp: File, transcript: String, bytes: ByteArray) {
    check("README example: open, import, search, close (use {})") {
        readmeExample(File(tmp, "readme").path, transcript)
        // `use {}` closed the store, so the directory can be opened again.
        MnemoStore.open(File(tmp, "readme").path).use { again ->
            expect(again.listSessions().size == 2) { "sessions after reopen" }
            expect(again.search("exponential backoff", null, 5u).isNotEmpty()) { "no hit" }
        }
    }

    check("the default options recompress imported sessions at level 15") {
        expect(defaultStoreOptions().recompressLevel == 15) { "${defaultStoreOptions()}" }
    }

    check("the default options write imported sessions at the fast level -30") {
        expect(defaultStoreOptions().blobWriteLevel == -30) { "${defaultStoreOptions()}" }
    }

    val options = defaultStoreOptions().copy(syncWrites = false)
    val store = MnemoStore.openWithOptions(File(tmp, "store").path, options)

    check("a second open of the same directory is MnemoException.Locked") {
        assertThrows<MnemoException.Locked> { MnemoStore.open(File(tmp, "store").path) }
    }

    var sessionIds = listOf<String>()
    var sourceId = ""
    check("importBytes detects the aider format and stores its sessions") {
        val imported = store.importBytes("aider.chat.history.md", bytes)
        expect(imported.format == "aider-chat-history") { "format ${imported.format}" }
        expect(imported.imported.size == 2) { "imported ${imported.imported}" }
        expect(imported.bytes == bytes.size.toULong()) { "bytes ${imported.bytes}" }
        sessionIds = imported.imported
        sourceId = imported.sourceId
        val again = store.importBytes("aider.chat.history.md", bytes)
        expect(again.imported.isEmpty() && again.alreadyStored == 2uL) { "re-import $again" }
    }

    check("listSessions, session, sessionInfo, export byte-exact") {
        val sessions = store.listSessions()
        expect(sessions.map { it.id }.toSet() == sessionIds.toSet()) { "ids ${sessions.map { it.id }}" }
        expect(sessions.all { it.sourceTool == "aider" }) { "tools" }
        val filtered = store.listSessions(SessionFilter(sourceTool = "cursor"))
        expect(filtered.isEmpty()) { "filter by tool" }
        val limited = store.listSessions(SessionFilter(limit = 1u))
        expect(limited.size == 1) { "limit" }
        val session = store.session(sessionIds[0].take(12))
        expect(session.info.id == sessionIds[0]) { "prefix lookup" }
        expect(session.messages.size.toUInt() == session.info.messageCount) { "message count" }
        expect(session.messages.any { it.role == Role.USER }) { "a user message" }
        expect(store.exportSource(sourceId).contentEquals(bytes)) { "exportSource differs" }
        expect(store.sessionSource(sessionIds[1]) == sourceId) { "sessionSource" }
        val info = store.sessionInfo(sessionIds[1])
        expect(store.exportSession(sessionIds[1]).size.toULong() == info.rawLen) { "exportSession length" }
    }

    check("search finds the backoff session with a snippet") {
        val hits = store.search("exponential backoff", null, 5u)
        expect(hits.isNotEmpty()) { "no hit" }
        expect(hits[0].score > 0.0) { "score" }
        expect(hits[0].messages.any { it.snippet.contains("backoff", ignoreCase = true) }) {
            "snippets ${hits[0].messages.map { it.snippet }}"
        }
        expect(store.search("zzzunmatchedterm", null, 5u).isEmpty()) { "unmatched term" }
    }

    check("unknown session id is MnemoException.NotFound") {
        val e = assertThrows<MnemoException.NotFound> { store.session("ffffffffffffffff") }
        expect(e.message!!.contains("not found")) { "message ${e.message}" }
    }

    check("unknown format is MnemoException.UnknownFormat") {
        assertThrows<MnemoException.UnknownFormat> {
            store.importBytes("notes.txt", "just some notes".toByteArray())
        }
    }

    check("importPaths reports progress through a callback interface") {
        val seen = mutableListOf<String>()
        val summary = store.importPaths(listOf(transcript), object : ImportProgressListener {
            override fun onFile(done: ULong, total: ULong, path: String) {
                seen.add("$done/$total")
            }
        })
        expect(summary.files.size == 1 && summary.files[0].error == null) { "summary $summary" }
        expect(summary.sessionsAlreadyStored == 2uL) { "already stored" }
        expect(seen == listOf("1/1")) { "progress $seen" }
    }

    check("prompts: add, label, render; a missing variable is MnemoException.MissingVariable") {
        val v1 = store.addPrompt("review", "Review {{file}} for {{concern}}")
        expect(v1.version == 1u && v1.variables == listOf("file", "concern")) { "v1 $v1" }
        store.addPrompt("review", "Review {{file}} carefully for {{concern}}")
        store.labelPrompt("review", "production", 1u)
        expect(store.promptLabels("review") == mapOf("latest" to 2u, "production" to 1u)) {
            "labels ${store.promptLabels("review")}"
        }
        val values = mapOf("file" to "db.rs", "concern" to "races")
        expect(store.renderPrompt("review", "production", values) == "Review db.rs for races") { "render" }
        expect(store.prompt("review").version == 2u) { "latest" }
        expect(store.promptNames() == listOf("review")) { "names" }
        val e = assertThrows<MnemoException.MissingVariable> {
            store.renderPrompt("review", null, mapOf("file" to "db.rs"))
        }
        expect(e.message!!.contains("concern")) { "message ${e.message}" }
        assertThrows<MnemoException.NotFound> { store.prompt("review", "staging") }
    }

    check("workflows: add and render") {
        val steps = listOf(
            WorkflowStep("review", "review", "production", mapOf("concern" to "races")),
        )
        val wf = store.addWorkflow("ship", steps)
        expect(wf.version == 1u && wf.steps == steps) { "workflow $wf" }
        val rendered = store.renderWorkflow("ship", null, mapOf("file" to "db.rs"))
        expect(rendered.single().text == "Review db.rs for races") { "rendered $rendered" }
    }

    check("event store: append with a conflict check, read the stream") {
        val placed = EventData("order.placed", """{"id":1}""".toByteArray(), ByteArray(0))
        val first = store.append("orders/1", ExpectedVersion.NoStream, listOf(placed))
        expect(first.version == 1uL) { "first $first" }
        val e = assertThrows<MnemoException.Conflict> {
            store.append("orders/1", ExpectedVersion.NoStream, listOf(placed))
        }
        expect(e.message!!.contains("orders/1")) { "message ${e.message}" }
        val paid = EventData("order.paid", "{}".toByteArray(), "user=7".toByteArray(), 2u)
        store.append("orders/1", ExpectedVersion.Exact(1uL), listOf(paid))
        expect(store.streamVersion("orders/1") == 2uL) { "version" }
        expect(store.streamVersion("orders/none") == null) { "missing stream" }
        val events = store.readStream("orders/1", 1uL, ReadDirection.FORWARD, 10u)
        expect(events.map { it.kind } == listOf("order.placed", "order.paid")) { "kinds" }
        expect(String(events[1].metadata) == "user=7" && events[1].schema == 2u) { "metadata/schema" }
        expect(events[0].hash.size == 32) { "hash" }
        assertThrows<MnemoException.InvalidInput> {
            store.append("session/x", ExpectedVersion.AnyVersion, listOf(placed))
        }
        val many = store.appendMany(listOf(
            AppendBatch("orders/2", ExpectedVersion.NoStream, listOf(placed)),
            AppendBatch("orders/1", ExpectedVersion.Exact(2uL), listOf(paid)),
        ))
        expect(many.map { it.version } == listOf(1uL, 3uL)) { "appendMany $many" }
    }

    check("the log: readLog, readAll with a filter, lastSeq, verifyLog") {
        val log = store.readLog(1uL, 1000u)
        expect(log.size.toULong() == store.lastSeq()) { "log size ${log.size} vs ${store.lastSeq()}" }
        expect(log.zipWithNext().all { (a, b) -> b.seq == a.seq + 1uL }) { "gap-free" }
        expect(log.any { it.kind == "session.imported" }) { "import events" }
        val orders = store.readAll(1uL, 100u, EventFilter(streamPrefix = "orders/"))
        expect(orders.size == 4) { "orders ${orders.size}" }
        expect(store.verifyLog().entries == store.lastSeq()) { "verifyLog" }
    }

    check("built-in projection and its view") {
        expect(builtinProjections() == listOf("event-counts", "stream-heads", "search-index", "context-views")) {
            "builtins ${builtinProjections()}"
        }
        val status = store.runProjection("event-counts")
        expect(status.checkpoint == store.lastSeq() && status.lag == 0uL) { "status $status" }
        val count = store.view("event-counts").get("order.paid".toByteArray())!!
        expect(java.nio.ByteBuffer.wrap(count).long == 2L) { "count" }
        assertThrows<MnemoException.NotFound> { store.runProjection("mine") }
        for (name in builtinProjections()) {
            val run = store.runProjection(name)
            val rebuilt = store.rebuildProjection(name)
            expect(run.name == name && rebuilt.generation == run.generation + 1u && rebuilt.lag == 0uL) {
                "$name: $run then $rebuilt"
            }
        }
    }

    check("context views: a rebuild keeps sessions, prompts and workflows readable and bumps the generation") {
        val sessions = store.listSessions()
        val session = store.session(sessions[0].id)
        expect(store.projections().first().name == "context-views") { "listed first" }
        val before = store.projectionStatus("context-views")
        val report = store.rebuildContextViews()
        expect(report.generation == before.generation + 1u && report.sessions == sessions.size.toULong()) { "report $report" }
        expect(report.promptVersions == 2uL && report.workflowVersions == 1uL && report.entries > 0uL) { "report $report" }
        val rebuilt = store.rebuildProjection("context-views")
        expect(rebuilt.generation == before.generation + 2u && rebuilt.lag == 0uL) { "rebuilt $rebuilt" }
        expect(store.listSessions() == sessions && store.session(sessions[0].id) == session) { "sessions" }
        val values = mapOf("file" to "db.rs", "concern" to "races")
        expect(store.renderPrompt("review", "production", values) == "Review db.rs for races") { "prompt" }
        expect(store.workflow("ship").version == 1u) { "workflow" }
        val index = store.updateSearchIndex()
        expect(index.name == "search-index" && index.lag == 0uL) { "search index $index" }
        expect(store.search("exponential backoff", null, 5u).isNotEmpty()) { "search after the rebuild" }
    }

    check("an aggregate in Kotlin: fold snapshotAndTail, snapshot every 10 events, reload equals a full replay") {
        val stream = "cart-9"
        val empty = store.snapshotAndTail(stream)
        expect(empty.snapshot == null && empty.events.isEmpty() && empty.version == 0uL) { "empty $empty" }
        val items = listOf("tea", "jam", "tea", "bread", "jam", "tea", "milk")
        val saved = mutableListOf<ULong>()
        for (i in 0 until 25) {
            val kind = if (i % 4 == 3) "removed" else "added"
            store.append(stream, ExpectedVersion.AnyVersion, listOf(event(kind, items[i % items.size])))
            val (cart, version) = Cart.load(store, stream)
            expect(version == (i + 1).toULong()) { "version $version" }
            if (store.snapshotDue(stream, version, 10uL)) {
                store.saveSnapshot(stream, version, cart.toSnapshot())
                saved.add(version)
            }
        }
        expect(saved == listOf(10uL, 20uL)) { "saved $saved" }
        val loaded = store.snapshotAndTail(stream)
        expect(loaded.snapshot?.version == 20uL && loaded.version == 25uL) { "loaded $loaded" }
        expect(loaded.events.map { it.version } == (21uL..25uL).toList()) { "tail ${loaded.events.map { it.version }}" }
        val replay = store.readStream(stream, 1uL, ReadDirection.FORWARD, 1000u).fold(Cart()) { c, e -> c.apply(e) }
        expect(Cart.load(store, stream) == replay to 25uL) { "reload ${Cart.load(store, stream)} vs replay $replay" }
        expect(!store.snapshotDue(stream, 25uL, 0uL)) { "every = 0 is never due" }
    }

    check("Subscription.next(timeoutMs) pulls the change feed; named checkpoints resume") {
        val from = store.lastSeq() + 1uL
        store.subscribeWith(SubscribeOptions(from = from, name = "kotlin")).use { sub ->
            expect(sub.next(10uL) == null) { "nothing yet" }
            store.append("orders/3", ExpectedVersion.AnyVersion, listOf(EventData("order.placed", ByteArray(0), ByteArray(0))))
            val entry = sub.next(5000uL)!!
            expect(entry.stream == "orders/3" && entry.seq == from) { "entry $entry" }
            sub.checkpoint()
        }
        expect(store.subscriptionCheckpoint("kotlin") == from) { "checkpoint" }
    }

    check("host projection in Kotlin: a throw stops it at that event (ProjectionFailed), a fix resumes it") {
        store.append("carts/1", ExpectedVersion.AnyVersion, listOf(event("cart.add", "a")))
        val boom = store.append("carts/1", ExpectedVersion.AnyVersion, listOf(event("cart.add", "boom")))
        store.append("carts/2", ExpectedVersion.AnyVersion, listOf(event("cart.add", "b")))
        val filter = EventFilter(streamPrefix = "carts/")
        val p = PerStream(broken = true)
        val e = assertThrows<MnemoException.ProjectionFailed> { store.runHostProjection("carts", p, filter) }
        expect(e.message!!.contains("cannot handle boom")) { "message ${e.message}" }
        val failed = store.projectionStatus("carts")
        expect(failed.error?.seq == boom.firstSeq && failed.checkpoint == boom.firstSeq - 1uL) { "status $failed" }
        val view = store.view("carts")
        expect(long(view.get("carts/1".toByteArray())) == 1L) { "the failing event's write is discarded" }
        // Again without a fix: the same event fails, nothing is skipped.
        assertThrows<MnemoException.ProjectionFailed> { store.runHostProjection("carts", p, filter) }
        p.broken = false
        val ok = store.runHostProjection("carts", p, filter)
        expect(ok.error == null && ok.lag == 0uL) { "status $ok" }
        expect(long(view.get("carts/1".toByteArray())) == 2L && long(view.get("carts/2".toByteArray())) == 1L) { "counts" }
        // Exactly once: another run applies nothing twice.
        store.runHostProjection("carts", p, filter)
        expect(long(view.get("carts/1".toByteArray())) == 2L) { "applied twice" }
        // The ViewBatch is only usable during apply.
        assertThrows<MnemoException.InvalidInput> { p.lent!!.put("x".toByteArray(), ByteArray(0)) }
        val rebuilt = store.rebuildHostProjection("carts", p, filter)
        expect(rebuilt.generation == 1u && rebuilt.rebuilding == null) { "rebuilt $rebuilt" }
        expect(long(view.get("carts/1".toByteArray())) == 2L) { "rebuilt counts" }
    }

    check("upcasters in Kotlin: old schemas are upcast on read; a throw is MnemoException.Upcast") {
        store.append("legacy/1", ExpectedVersion.NoStream, listOf(event("legacy.note", "old")))
        store.registerUpcaster("legacy.note", 1u, object : Upcaster {
            override fun upcast(payload: ByteArray) = (String(payload) + "+v2").toByteArray()
        })
        store.registerUpcaster("legacy.note", 2u, object : Upcaster {
            override fun upcast(payload: ByteArray) = (String(payload) + "+v3").toByteArray()
        })
        val read = store.readStream("legacy/1", 1uL, ReadDirection.FORWARD, 10u).single()
        expect(read.schema == 3u && String(read.payload) == "old+v2+v3") { "upcast $read" }
        store.append("legacy/2", ExpectedVersion.NoStream, listOf(event("legacy.bad", "x")))
        store.registerUpcaster("legacy.bad", 1u, object : Upcaster {
            override fun upcast(payload: ByteArray): ByteArray = throw CallbackException.Failed("unreadable payload")
        })
        val e = assertThrows<MnemoException.Upcast> { store.readStream("legacy/2", 1uL, ReadDirection.FORWARD, 10u) }
        expect(e.message!!.contains("unreadable payload")) { "message ${e.message}" }
        // A fixed upcaster replaces it (the rest of this test reads the whole log).
        store.registerUpcaster("legacy.bad", 1u, object : Upcaster {
            override fun upcast(payload: ByteArray) = payload
        })
        expect(store.readStream("legacy/2", 1uL, ReadDirection.FORWARD, 10u).single().schema == 2u) { "fixed" }
    }

    check("LogWatch pushes entries to a LogListener and ends with `closed`") {
        val queue = LinkedBlockingQueue<String>()
        val watch = store.watch(SubscribeOptions(from = store.lastSeq() + 1uL), object : LogListener {
            override fun onEntry(entry: LogEntry): Boolean {
                queue.add("entry ${entry.stream}")
                return true
            }
            override fun onEnd(error: ErrorInfo?) {
                queue.add("end ${error?.code}")
            }
        })
        store.append("orders/4", ExpectedVersion.AnyVersion, listOf(EventData("order.placed", ByteArray(0), ByteArray(0))))
        expect(queue.poll(10, TimeUnit.SECONDS) == "entry orders/4") { "watched entry" }
        val stats = store.stats()
        expect(stats.counters.sessions == 2uL && stats.lastSeq == store.lastSeq()) { "stats $stats" }
        expect(stats.recompressedThrough <= stats.lastSeq) { "recompressed through $stats" }
        store.closeStore()
        expect(queue.poll(10, TimeUnit.SECONDS) == "end closed") { "end of watch" }
        watch.stop()
        expect(!watch.isRunning()) { "still running" }
        watch.close()
    }

    check("suspend functions and the change feed as a Flow") {
        runBlocking {
            val st = openStoreAsync(File(tmp, "async").path, options)
            st.use {
                val imported = st.importBytesAsync("aider.chat.history.md", bytes)
                expect(imported.imported.size == 2) { "imported $imported" }
                expect(st.searchAsync("exponential backoff", null, 5u).isNotEmpty()) { "searchAsync" }
                expect(st.listSessionsAsync().size == 2) { "listSessionsAsync" }
                st.appendAsync("jobs/1", ExpectedVersion.NoStream, listOf(event("job.queued", "1")))
                assertThrows<MnemoException.Conflict> {
                    runBlocking { st.appendAsync("jobs/1", ExpectedVersion.NoStream, listOf(event("job.queued", "1"))) }
                }
                val stream = st.readStreamAsync("jobs/1", 1uL, ReadDirection.FORWARD, 10u)
                expect(stream.single().kind == "job.queued") { "readStreamAsync $stream" }
                val last = st.lastSeq()
                expect(st.readLogAsync(1uL, 1000u).size.toULong() == last) { "readLogAsync" }
                expect(st.waitForAsync(last, 20uL) == last) { "waitForAsync times out with the last seq" }
                val waiter = async { st.waitForAsync(last, 10_000uL) }
                val feed = async { st.changes(SubscribeOptions(from = last + 1uL, filter = EventFilter(streamPrefix = "jobs/"))).take(3).toList() }
                delay(50)
                st.appendAsync("other/1", ExpectedVersion.AnyVersion, listOf(event("noise", "")))
                st.appendAsync("jobs/2", ExpectedVersion.AnyVersion, listOf(event("job.queued", "2"), event("job.done", "2")))
                st.appendAsync("jobs/1", ExpectedVersion.Exact(1uL), listOf(event("job.done", "1")))
                expect(withTimeout(10_000) { waiter.await() } > last) { "waitForAsync woke" }
                val entries = withTimeout(10_000) { feed.await() }
                expect(entries.map { "${it.stream} ${it.kind}" } == listOf("jobs/2 job.queued", "jobs/2 job.done", "jobs/1 job.done")) { "flow $entries" }
                val p = PerStream(broken = false)
                val status = st.runHostProjectionAsync("jobs", p, EventFilter(streamPrefix = "jobs/"))
                expect(status.lag == 0uL && long(st.view("jobs").getAsync("jobs/2".toByteArray())) == 2L) { "runHostProjectionAsync $status" }
                // Every other blocking call has an *Async form too.
                val id = imported.imported[0]
                expect(st.sessionInfoAsync(id).id == id) { "sessionInfoAsync" }
                val source = st.sessionSourceAsync(id)
                expect(st.exportSourceAsync(source).contentEquals(bytes)) { "exportSourceAsync" }
                st.addPromptAsync("greet", "Hello {{name}}")
                st.labelPromptAsync("greet", "production", 1u)
                expect(st.promptAsync("greet", "production").version == 1u) { "promptAsync" }
                expect(st.promptVersionsAsync("greet").size == 1 && st.promptNamesAsync() == listOf("greet")) { "prompt listings" }
                expect(st.promptLabelsAsync("greet") == mapOf("latest" to 1u, "production" to 1u)) { "promptLabelsAsync" }
                val wf = st.addWorkflowAsync("hello", listOf(WorkflowStep("greet", "greet", null, mapOf("name" to "Ann"))))
                expect(st.workflowAsync("hello").version == wf.version && st.workflowVersionsAsync("hello").size == 1) { "workflowAsync" }
                expect(st.renderWorkflowAsync("hello", null, mapOf()).single().text == "Hello Ann") { "renderWorkflowAsync" }
                expect(st.streamVersionAsync("jobs/1") == 2uL) { "streamVersionAsync" }
                expect(st.verifyLogAsync().entries == st.lastSeq()) { "verifyLogAsync" }
                expect(st.projectionStatusAsync("jobs").checkpoint == status.checkpoint) { "projectionStatusAsync" }
                val names = st.projectionsAsync().map { it.name }
                expect(names.first() == "context-views" && "jobs" in names) { "projectionsAsync $names" }
                expect(st.view("jobs").scanAsync("jobs/".toByteArray()).size == 2) { "scanAsync" }
                val counts = st.rebuildProjectionAsync("event-counts")
                expect(counts.name == "event-counts" && counts.lag == 0uL) { "rebuildProjectionAsync $counts" }
                expect(st.rebuildContextViewsAsync().generation == 1u) { "rebuildContextViewsAsync" }
                expect(st.updateSearchIndexAsync().lag == 0uL) { "updateSearchIndexAsync" }
                st.saveSnapshotAsync("jobs/1", 1uL, "queued".toByteArray())
                val tail = st.snapshotAndTailAsync("jobs/1")
                expect(tail.snapshot?.version == 1uL && tail.events.single().kind == "job.done" && tail.version == 2uL) { "snapshotAndTailAsync $tail" }
                expect(!st.snapshotDueAsync("jobs/1", 2uL, 5uL)) { "snapshotDueAsync" }
                st.retrainDictionariesAsync()
                st.subscribeWithAsync(SubscribeOptions(from = 1uL, name = "async-reader")).use { named ->
                    expect(named.nextAsync().seq == 1uL) { "first entry" }
                    named.checkpointAsync()
                }
                expect(st.subscriptionCheckpointAsync("async-reader") == 1uL) { "subscriptionCheckpointAsync" }
                // A Flow that is waiting completes when the store closes.
                val sub = st.subscribe(st.lastSeq() + 1uL)
                val open = async { sub.asFlow().toList() }
                delay(50)
                st.closeStoreAsync()
                expect(withTimeout(10_000) { open.await() }.isEmpty()) { "flow ended" }
                assertThrows<MnemoException.Closed> { runBlocking { st.searchAsync("x", null, 1u) } }
            }
        }
    }

    check("after closeStore every call is MnemoException.Closed") {
        assertThrows<MnemoException.Closed> { store.listSessions() }
        store.close()
        assertThrows<IllegalStateException> { store.listSessions() }
    }
}
