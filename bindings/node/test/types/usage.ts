// Type-checked (never run) by test/types.test.js: the public API as a TypeScript user
// writes it. Lines marked @ts-expect-error must fail to compile.
import {
  Mnemo,
  MnemoError,
  NotFoundError,
  MissingVariableError,
  Subscription,
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
  const vars: string[] = t.variables
  await store.labelPrompt('review', 'production', t.version)
  await store.prompt('review', 'production')
  await store.prompt('review', 1)
  const labels: Record<string, number> = await store.promptLabels('review')
  const rendered: string = await store.renderPrompt('review', { file: 'a.rs', n: 3 }, 'production')
  const names: string[] = await store.promptNames()
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
