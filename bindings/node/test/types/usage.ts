// Type-checked (never run) by test/types.test.js: the public API as a TypeScript user
// writes it. Lines marked @ts-expect-error must fail to compile.
import {
  BUILTIN_PROJECTIONS,
  Mnemo,
  MnemoError,
  NotFoundError,
  MissingVariableError,
  Subscription,
  ConflictError,
  View,
  ViewBatch,
  ProjectionFailedError,
  type HostProjection,
  type AggregateLoad,
  type AppendResult,
  type ContextRebuild,
  type ProjectionStatus,
  type ImportedFile,
  type ImportSummary,
  type LogEntry,
  type PromptTemplate,
  type SearchResult,
  type Session,
  type SessionInfo,
  type Stats,
  type Workflow,
} from 'mnemo-node'

export async function usage(): Promise<void> {
  const store: Mnemo = await Mnemo.open('/tmp/mnemo-types', { syncWrites: false, blockCacheBytes: 1 << 20 })
  const path: string = store.path
  const closed: boolean = store.closed

  const imported = await store.importBytes('a.md', Buffer.from('# x'))
  const ids: string[] = imported.imported
  await store.importBytes('b.md', 'text')
  await store.importFile('/tmp/a.md')
  const summary: ImportSummary = await store.importPaths(['/tmp'], { onProgress: (p) => p.done / p.total })
  for (const f of summary.files) {
    if (f.error) {
      const code: string = f.error.code
    } else if (f.result) {
      const source: string = f.result.sourceId
    }
  }

  const session: Session = await store.session(ids[0])
  const title: string | null = session.info.title
  const text: string = session.messages[0].text
  const started: number | null = session.info.startedAt
  const infos: SessionInfo[] = await store.listSessions({ sourceTool: 'aider', since: new Date(), limit: 5 })
  const hits: SearchResult[] = await store.search('lock', { limit: 3, project: 'app' })
  const score: number = hits[0].score
  const raw: Buffer = await store.exportSession(ids[0])
  const file: Buffer = await store.exportSource(await store.sessionSource(ids[0]))

  const t: PromptTemplate = await store.addPrompt('review', 'Review {{file}}')
  const t2: PromptTemplate = store.addPromptSync('review', 'Review {{file}} again')
  const labeled: void = store.labelPromptSync('review', 'production', t2.version)
  const synced: ImportedFile = store.importBytesSync('a.md', Buffer.from('# x'))
  const appendedNow: AppendResult = store.appendSync('order-0', [{ kind: 'placed' }])
  void t2
  void synced
  void labeled
  void appendedNow
  const vars: string[] = t.variables
  await store.labelPrompt('review', 'production', t.version)
  await store.prompt('review', 'production')
  await store.prompt('review', 1)
  const labels: Record<string, number> = await store.promptLabels('review')
  const rendered: string = await store.renderPrompt('review', { file: 'a.rs', n: 3 }, 'production')
  const names: string[] = await store.promptNames()
  // The synchronous reads return values, not promises.
  const now: PromptTemplate = store.promptSync('review', 'production')
  const nowLabels: Record<string, number> = store.promptLabelsSync('review')
  const nowText: string = store.renderPromptSync('review', { file: 'a.rs' }, 1)
  const nowSession: Session = store.sessionSync(ids[0])
  const nowInfo: SessionInfo = store.sessionInfoSync(ids[0])
  const nowRaw: Buffer = store.exportSessionSync(ids[0])
  // @ts-expect-error: a synchronous read is not a promise
  store.promptSync('review').then(() => {})
  const w: Workflow = await store.addWorkflow('flow', [
    { name: 'plan', prompt: 'review', promptRef: 'production', values: { file: 'x' } },
    { name: 'again', prompt: 'review', promptRef: 2 },
  ])
  const steps = await store.renderWorkflow('flow', { file: 'y' }, w.version)
  const stepText: string = steps[0].text

  const log: LogEntry[] = await store.readLog(1, 10)
  const last: number = store.lastSeq()
  const after: number = await store.waitFor(last, 100)
  const sub: Subscription = store.subscribe(1)
  for await (const entry of sub) {
    const seq: number = entry.seq
    const payload: Buffer = entry.payload
    break
  }
  const stop: () => void = store.onChange(null, (err, entry) => {
    if (err) throw err
    const kind: string | undefined = entry?.kind
  })
  stop()
  const stats: Stats = await store.stats()
  const ratio: number = stats.compressionRatio
  const sessionsCount: number = stats.counters.sessions
  const saved: number = (await store.compact(15)).bytesBefore

  try {
    await store.session('nope')
  } catch (e) {
    if (e instanceof NotFoundError) {
      const code: 'not_found' = e.code
    } else if (e instanceof MnemoError) {
      const code: string = e.code
    }
  }
  const err = new MissingVariableError('x')
  const code: 'missing_variable' = err.code

  const appended: AppendResult = await store.append('order-1', [{ kind: 'placed', payload: { id: 1 } }], { expected: 'no_stream' })
  await store.append('order-1', [{ kind: 'paid', payload: Buffer.from('x'), metadata: { user: 'a' }, schema: 2 }], { expected: appended.version })
  try {
    await store.append('order-1', [{ kind: 'paid' }], { expected: 1 })
  } catch (e) {
    if (e instanceof ConflictError) {
      const current: number | null | undefined = e.current
    }
  }
  await store.appendMany([{ stream: 'a', events: [{ kind: 'k' }], expected: 'any' }])
  const back: LogEntry[] = await store.readStream('order-1', { backward: true, limit: 10 })
  const filtered: LogEntry[] = await store.readAll({ fromSeq: 1, streamPrefix: 'order-', kinds: ['paid'] })
  const version: number | null = await store.streamVersion('order-1')
  const head: string = (await store.verifyLog()).head
  const named: Subscription = store.subscribe({ name: 'mailer', kinds: ['placed'] })
  await named.checkpoint()
  const cp: number | null = await store.subscriptionCheckpoint('mailer')
  const ps: ProjectionStatus = await store.runProjection('event-counts')
  const lag: number = ps.lag
  await store.rebuildProjection('stream-heads')
  const statuses: ProjectionStatus[] = await store.projections()
  const view: View = store.view('event-counts')
  const count: Buffer | null = await view.get('placed')
  const keys: Buffer[] = (await view.scan('pl')).map((e) => e.key)
  const totals: HostProjection = {
    name: 'totals',
    filter: { streamPrefix: 'order-', kinds: ['placed'] },
    async apply(event: LogEntry, v: ViewBatch) {
      const before: Buffer | null = await v.get(event.stream)
      v.put(event.stream, event.payload)
      v.delete('stale')
    },
  }
  try {
    const hs: ProjectionStatus = await store.runProjection(totals)
    await store.rebuildProjection({ name: 'sync', apply: (e: LogEntry, v: ViewBatch) => v.put(e.stream, 'x') })
  } catch (e) {
    if (e instanceof ProjectionFailedError) {
      const seq: number | undefined = e.seq
    }
  }
  store.registerUpcaster('placed', 1, (payload: Buffer) => ({ ...JSON.parse(payload.toString()), currency: 'EUR' }))
  // @ts-expect-error a projection needs apply
  await store.runProjection({ name: 'no-apply' })
  // @ts-expect-error fromSchema is a number
  store.registerUpcaster('placed', '1', (p: Buffer) => p)
  await store.saveSnapshot('order-1', 1, { total: 3 })
  const snap = await store.loadSnapshot('order-1')
  const state: Buffer | undefined = snap?.state
  const loaded: AggregateLoad = await store.snapshotAndTail('order-1')
  const tail: LogEntry[] = loaded.events
  const from: number | undefined = loaded.snapshot?.version
  const loadedNow: AggregateLoad = store.snapshotAndTailSync('order-1')
  const due: boolean = await store.snapshotDue('order-1', loaded.version, 100)
  const dueNow: boolean = store.snapshotDueSync('order-1', loaded.version, 100)
  const rebuild: ContextRebuild = await store.rebuildContextViews()
  const views: number = rebuild.generation + rebuild.sessions + rebuild.promptVersions
  const index: ProjectionStatus = await store.updateSearchIndex()
  await store.runProjection('context-views')
  for (const name of BUILTIN_PROJECTIONS) await store.rebuildProjection(name)
  // @ts-expect-error the list is read-only
  BUILTIN_PROJECTIONS.push('mine')
  // @ts-expect-error expected is 'any', 'no_stream' or a number
  await store.append('s', [{ kind: 'k' }], { expected: 'none' })

  // @ts-expect-error ids are strings
  await store.session(42)
  // @ts-expect-error a prompt body is a string
  await store.addPrompt('x', 42)
  // @ts-expect-error the constructor is private: use Mnemo.open
  new Mnemo()
  // @ts-expect-error no such method
  store.sessions()

  store[Symbol.dispose]()
  await store[Symbol.asyncDispose]()
  await store.closeAsync()
  store.close()
}
