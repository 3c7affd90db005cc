#!/usr/bin/env node
'use strict'
/**
 * ops/s of put/get of a session and of a prompt template: Mnemo's Node binding against
 * SQLite through better-sqlite3@12 (the embedded store a Node user would otherwise pick),
 * on the same data, at the same durability.
 *
 * - session put: Mnemo `importBytes(name, transcript)` (parse, store byte-exact,
 *   compress, index) of a new small transcript each time; SQLite inserts the same bytes
 *   plus the parsed session as JSON (parsed beforehand: the peer does not pay for parsing).
 * - session get: Mnemo `session(id)`; SQLite selects the session's JSON by id and
 *   `JSON.parse`s it. Both stores hold the same 2,000 sessions and return equal objects.
 * - session get (bytes): Mnemo `exportSession(id)` (the original bytes, a Buffer); SQLite
 *   selects the same bytes (a Buffer) by id.
 * - prompt put: Mnemo `addPrompt(name, body)` over 100 names; SQLite inserts (name, next
 *   version, body, variables, time) in one statement.
 * - prompt get: Mnemo `prompt(name)` (newest version); SQLite selects the newest version
 *   by name. Both stores hold 100 names x 5 versions. "after a write": each `promptSync`
 *   follows an `append` (awaited, or `appendSync`), a new version of another template, a
 *   new version of the template read (left in Mnemo's prompt cache by the add), or (a read
 *   by label) the label moved (left in the cache by the move); only the reads are timed
 *   (`performance.now()` around each), against SQLite's plain get. And reads that nothing
 *   cached: the first `promptSync` by label of each of 30,000 templates in a handle opened
 *   after they were written.
 *
 * Puts run twice: "durable" = Mnemo `syncWrites: true` (fsync per commit, the default) vs
 * SQLite WAL + `synchronous=FULL` (fsync per commit); "no fsync" = `syncWrites: false` vs
 * WAL + `synchronous=NORMAL`. Mnemo's async calls are measured one at a time (`await`
 * each) and with 32 in flight; its synchronous calls (`importBytesSync`, `addPromptSync`,
 * `sessionSync`, `promptSync`..., which run on the JS thread like every better-sqlite3
 * call) one at a time.
 *
 * Usage: `npm run bench` in bindings/node (installs better-sqlite3 into bench/ first), or
 * `node bench/bench.js [seconds per case, default 2]`.
 */

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const { Mnemo } = require('..')
const Database = require('better-sqlite3')

const SECONDS = Number(process.argv[2] || process.env.BENCH_SECONDS || 2)
const IN_FLIGHT = 32
const TRANSCRIPT = fs.readFileSync(
  path.resolve(__dirname, '../../../examples/transcripts/specstory/2025-06-02_14-05-debugging-a-flaky-websocket-test.md'),
  'utf8',
)
const PROMPT_NAMES = 100
/** Versions of each prompt in the store the gets read (the newest is read). */
const PROMPT_VERSIONS = 5
/** Sessions in the store the gets read. */
const GET_SESSIONS = 2000
const PROMPT_BODY = 'Review {{file}} for {{concern}}; answer in {{language}} with at most {{limit}} findings.'

/** The i-th distinct small transcript (the sample with a numbered line appended). */
function transcript(i) {
  return Buffer.from(`${TRANSCRIPT}\nvariant ${i}\n`)
}

const TMP_DIRS = []
process.on('exit', () => {
  for (const d of TMP_DIRS) fs.rmSync(d, { recursive: true, force: true })
})

function tmp(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mnemo-bench-${name}-`))
  TMP_DIRS.push(dir)
  return dir
}

/** Runs `op(i)` for `SECONDS`, one at a time; returns ops/s. */
async function sequential(op) {
  const end = performance.now() + SECONDS * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) {
    await op(n++)
  }
  return n / ((performance.now() - start) / 1000)
}

/** Runs `op(i)` for `SECONDS` with `IN_FLIGHT` calls in flight; returns ops/s. */
async function concurrent(op) {
  const end = performance.now() + SECONDS * 1000
  let n = 0
  const start = performance.now()
  const lane = async () => {
    while (performance.now() < end) await op(n++)
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  return n / ((performance.now() - start) / 1000)
}

/** Runs the synchronous `op(i)` for `SECONDS`; returns ops/s. */
function syncLoop(op) {
  const end = performance.now() + SECONDS * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) {
    // Check the clock every 64 ops: a read takes microseconds.
    for (let k = 0; k < 64; k++) op(n++)
  }
  return n / ((performance.now() - start) / 1000)
}

function variables(body) {
  const out = []
  for (const m of body.matchAll(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1])
  return out
}

function openSqlite(durable) {
  const db = new Database(path.join(tmp('sqlite'), 'bench.db'))
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${durable ? 'FULL' : 'NORMAL'}`)
  db.exec(`
    CREATE TABLE sessions (id TEXT PRIMARY KEY, raw BLOB NOT NULL, session TEXT NOT NULL);
    CREATE TABLE prompts (name TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
                          variables TEXT NOT NULL, created_at INTEGER NOT NULL,
                          PRIMARY KEY (name, version));
  `)
  const putSession = db.prepare('INSERT INTO sessions (id, raw, session) VALUES (?, ?, ?)')
  const getSession = db.prepare('SELECT session FROM sessions WHERE id = ?').pluck()
  const getRaw = db.prepare('SELECT raw FROM sessions WHERE id = ?').pluck()
  const putPrompt = db.prepare(`
    INSERT INTO prompts (name, version, body, variables, created_at)
    SELECT @name, COALESCE(MAX(version), 0) + 1, @body, @variables, @now FROM prompts WHERE name = @name`)
  const getPrompt = db.prepare(
    'SELECT name, version, body, variables, created_at FROM prompts WHERE name = ? ORDER BY version DESC LIMIT 1',
  )
  return {
    db,
    putSession: (id, raw, json) => putSession.run(id, raw, json),
    getSession: (id) => JSON.parse(getSession.get(id)),
    getRaw: (id) => getRaw.get(id),
    putPrompt: (name, body) =>
      putPrompt.run({ name, body, variables: JSON.stringify(variables(body)), now: Date.now() }),
    getPrompt: (name) => {
      const r = getPrompt.get(name)
      return { name: r.name, version: r.version, body: r.body, variables: JSON.parse(r.variables), createdAt: r.created_at }
    },
  }
}

/** The parsed session the SQLite peer stores, made once by Mnemo (not timed). */
async function parsedSession() {
  const scratch = await Mnemo.open(tmp('scratch'), { syncWrites: false })
  const base = await scratch.session((await scratch.importBytes('v.md', transcript(0))).imported[0])
  scratch.close()
  return { json: JSON.stringify(base), id: base.info.id }
}

/**
 * Seconds until the background recompression that follows imports (`recompressLevel`) has
 * caught up with the log: the rows are timed on the store's steady state.
 */
async function recompressed(store) {
  const start = performance.now()
  for (;;) {
    const s = await store.stats()
    if (s.recompressedThrough === s.lastSeq) return (performance.now() - start) / 1000
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * Lets the background work of the puts timed before (search indexing, recompression) finish,
 * so that each timed phase shares the 2 cores only with the background work of its own puts.
 */
async function quiesce(store) {
  await store.updateSearchIndex()
  await recompressed(store)
}

/** Each SQLite row gets its own id inside the same session JSON. */
const idOf = (i) => i.toString(16).padStart(32, '0')

async function puts(durable, base) {
  const mode = durable ? 'durable' : 'no fsync'
  const opts = { syncWrites: durable }
  const rows = []

  let store = await Mnemo.open(tmp('mnemo'), opts)
  let next = 0
  const seq = await sequential(() => store.importBytes(`v${next}.md`, transcript(next++)))
  await quiesce(store)
  const conc = await concurrent(() => store.importBytes(`v${next}.md`, transcript(next++)))
  await quiesce(store)
  const now = syncLoopBounded(() => store.importBytesSync(`v${next}.md`, transcript(next++)))
  store.close()
  let sqlite = openSqlite(durable)
  const peer = syncLoopBounded((i) => {
    const id = idOf(i)
    sqlite.putSession(id, transcript(i), base.json.replace(base.id, id))
  })
  sqlite.db.close()
  rows.push(['session put', mode, seq, conc, now, peer])

  store = await Mnemo.open(tmp('mnemo'), opts)
  const pSeq = await sequential((i) => store.addPrompt(`p${i % PROMPT_NAMES}`, `${PROMPT_BODY} #${i}`))
  const pConc = await concurrent((i) => store.addPrompt(`p${i % PROMPT_NAMES}`, `${PROMPT_BODY} #${i}`))
  const pNow = syncLoopBounded((i) => store.addPromptSync(`p${i % PROMPT_NAMES}`, `${PROMPT_BODY} #${i}`))
  store.close()
  sqlite = openSqlite(durable)
  const pPeer = syncLoopBounded((i) => sqlite.putPrompt(`p${i % PROMPT_NAMES}`, `${PROMPT_BODY} #${i}`))
  sqlite.db.close()
  rows.push(['prompt put', mode, pSeq, pConc, pNow, pPeer])
  return rows
}

/** Gets from stores holding the same data: GET_SESSIONS sessions, PROMPT_NAMES x PROMPT_VERSIONS prompts. */
async function gets() {
  const rows = []
  const store = await Mnemo.open(tmp('mnemo'), { syncWrites: false })
  const sqlite = openSqlite(false)
  const ids = []
  for (let i = 0; i < GET_SESSIONS; i++) {
    ids.push((await store.importBytes(`v${i}.md`, transcript(i))).imported[0])
    sqlite.putSession(ids[i], transcript(i), JSON.stringify(await store.session(ids[i])))
  }
  for (let v = 0; v < PROMPT_VERSIONS; v++) {
    for (let n = 0; n < PROMPT_NAMES; n++) {
      await store.addPrompt(`p${n}`, `${PROMPT_BODY} v${v}`)
      sqlite.putPrompt(`p${n}`, `${PROMPT_BODY} v${v}`)
    }
  }
  await store.flush()
  console.error(`gets: background recompression done ${(await recompressed(store)).toFixed(2)} s after the imports`)
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
  if (!same(await store.session(ids[7]), sqlite.getSession(ids[7]))) throw new Error('session data differ')
  if (!same(store.sessionSync(ids[7]), sqlite.getSession(ids[7]))) throw new Error('session data differ')
  const mp = await store.prompt('p7')
  const sp = sqlite.getPrompt('p7')
  if (mp.body !== sp.body || mp.version !== sp.version || !same(mp.variables, sp.variables)) throw new Error('prompt data differ')
  if (!same(store.promptSync('p7'), mp)) throw new Error('prompt data differ')

  const seq = await sequential((i) => store.session(ids[i % ids.length]))
  const conc = await concurrent((i) => store.session(ids[i % ids.length]))
  const now = syncLoop((i) => store.sessionSync(ids[i % ids.length]))
  const peer = syncLoop((i) => sqlite.getSession(ids[i % ids.length]))
  rows.push(['session get', '-', seq, conc, now, peer])

  if (!store.exportSessionSync(ids[7]).equals(sqlite.getRaw(ids[7]))) throw new Error('session bytes differ')
  const rSeq = await sequential((i) => store.exportSession(ids[i % ids.length]))
  const rConc = await concurrent((i) => store.exportSession(ids[i % ids.length]))
  const rNow = syncLoop((i) => store.exportSessionSync(ids[i % ids.length]))
  const rPeer = syncLoop((i) => sqlite.getRaw(ids[i % ids.length]))
  rows.push(['session get (bytes)', '-', rSeq, rConc, rNow, rPeer])

  const pSeq = await sequential((i) => store.prompt(`p${i % PROMPT_NAMES}`))
  const pConc = await concurrent((i) => store.prompt(`p${i % PROMPT_NAMES}`))
  const pNow = syncLoop((i) => store.promptSync(`p${i % PROMPT_NAMES}`))
  const pPeer = syncLoop((i) => sqlite.getPrompt(`p${i % PROMPT_NAMES}`))
  rows.push(['prompt get', '-', pSeq, pConc, pNow, pPeer])

  // Each read right after a small write (a host `append`): only the reads are timed;
  // compared with better-sqlite3's plain get. The write awaited (it ran on libuv's pool),
  // then written with `appendSync` (on the JS thread, as a better-sqlite3 write is).
  for (const [label, write, read = (i) => store.promptSync(`p${i % PROMPT_NAMES}`)] of [
    ['prompt get, after an awaited write', () => store.append('bench-ticks', [{ kind: 'tick' }])],
    ['prompt get, after a sync write', () => store.appendSync('bench-ticks', [{ kind: 'tick' }])],
    // A new version of another template mostly leaves the read template cached (cache
    // entries are dropped by writes to their own stripe of names); a new version of the
    // template read drops its entry: the read after it is uncached.
    ['prompt get, after a sync write to another template', () => store.addPromptSync('bench-w', 'x {{y}}')],
    // A new version of the template read is left in the cache by `addPromptSync`, and a
    // moved label as what it names by `labelPromptSync`.
    ['prompt get, after a sync new version of it', (i) => store.addPromptSync(`p${i % PROMPT_NAMES}`, 'x {{y}}')],
    [
      'prompt get by label, right after a sync move of it',
      (i) => store.labelPromptSync(`p${i % PROMPT_NAMES}`, 'bench', 1),
      (i) => store.promptSync(`p${i % PROMPT_NAMES}`, 'bench'),
    ],
  ]) {
    let spent = 0
    let reads = 0
    const end = performance.now() + SECONDS * 1000
    while (performance.now() < end) {
      await write(reads)
      const t = performance.now()
      read(reads)
      spent += performance.now() - t
      reads++
    }
    rows.push([label, '-', null, null, reads / (spent / 1000), pPeer])
  }
  store.close()
  sqlite.db.close()
  rows.push(['prompt get by label, first read of each (uncached)', '-', null, null, await coldLabelReads(), pPeer])
  return rows
}

/**
 * Reads/s of the first `promptSync` by label of each of `n` templates, in a handle opened
 * after they were written, so that nothing is in its cache of templates: a point read of
 * the label row, one of the version row and a decode each.
 */
async function coldLabelReads(n = 30000) {
  const dir = tmp('mnemo-cold')
  const names = Array.from({ length: n }, (_, i) => `c${i}`)
  let store = await Mnemo.open(dir, { syncWrites: false })
  for (const name of names) {
    store.addPromptSync(name, PROMPT_BODY)
    store.labelPromptSync(name, 'bench', 1)
  }
  store.close()
  store = await Mnemo.open(dir, { syncWrites: false })
  const start = performance.now()
  for (const name of names) store.promptSync(name, 'bench')
  const rate = n / ((performance.now() - start) / 1000)
  store.close()
  return rate
}

/** `syncLoop` for writes (one at a time, checking the clock every op). */
function syncLoopBounded(op) {
  const end = performance.now() + SECONDS * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < end) op(n++)
  return n / ((performance.now() - start) / 1000)
}

function fmt(n) {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)
}

async function main() {
  console.log(
    `mnemo-node vs better-sqlite3 ${require('better-sqlite3/package.json').version} (SQLite ${new Database(':memory:').prepare('select sqlite_version()').pluck().get()}), ` +
      `Node ${process.version}, ${os.cpus().length} CPUs, ${SECONDS}s per case, ${IN_FLIGHT} in flight for "concurrent"`,
  )
  console.log(
    `session: ${TRANSCRIPT.length + 12}-byte SpecStory transcript (gets: ${GET_SESSIONS} stored); ` +
      `prompt: ${PROMPT_BODY.length + 5}-byte template, ${PROMPT_NAMES} names (gets: ${PROMPT_VERSIONS} versions each, newest read)\n`,
  )
  const base = await parsedSession()
  const rows = [...(await puts(true, base)), ...(await puts(false, base)), ...(await gets())]
  const header = [
    'operation',
    'durability',
    'mnemo await-each',
    `mnemo ${IN_FLIGHT} in flight`,
    'mnemo sync',
    'better-sqlite3',
    'mnemo best / sqlite',
  ]
  const table = rows.map(([op, mode, seq, conc, now, peer]) => [
    op,
    mode,
    seq === null ? '-' : fmt(seq),
    conc === null ? '-' : fmt(conc),
    now === null ? '-' : fmt(now),
    fmt(peer),
    `${(Math.max(seq, conc, now || 0) / peer).toFixed(2)}x`,
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`)
  for (const r of table) console.log(line(r))
  console.log('\nops/s; higher is better.')
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
