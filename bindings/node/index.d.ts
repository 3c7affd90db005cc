/**
 * Types of `index.js`, the public API of Mnemo for Node.js.
 *
 * The data shapes (sessions, prompts, log entries, stats...) are generated from the Rust
 * structs into `native.d.ts` by `npm run build`; this file declares the JS classes around
 * them. `test/types.test.js` type-checks a usage file against it and compares the
 * declared methods with the runtime classes, so the two cannot drift apart.
 */

/// <reference types="node" />

import type {
  AggregateLoad,
  AppendResult,
  ColumnFamilySize,
  CompactionReport,
  ContextRebuild,
  Counters,
  ImportedFile,
  ImportProgress,
  LogEntry,
  LogVerification,
  Message,
  MessageMatch,
  OpenOptions,
  ProjectionErrorInfo,
  ProjectionRebuild,
  ProjectionStatus,
  PromptTemplate,
  RenderedStep,
  SearchResult,
  Session,
  SessionInfo,
  Snapshot,
  Stats,
  ToolCall,
  TrainedDictionary,
  ViewEntry,
  Workflow,
  WorkflowStep,
} from './native'

export type {
  AggregateLoad,
  AppendResult,
  ColumnFamilySize,
  CompactionReport,
  ContextRebuild,
  Counters,
  ImportedFile,
  ImportProgress,
  LogEntry,
  LogVerification,
  Message,
  MessageMatch,
  OpenOptions,
  ProjectionErrorInfo,
  ProjectionRebuild,
  ProjectionStatus,
  PromptTemplate,
  RenderedStep,
  SearchResult,
  Session,
  SessionInfo,
  Snapshot,
  Stats,
  ToolCall,
  TrainedDictionary,
  Workflow,
  ViewEntry,
  WorkflowStep,
}

/** A time: milliseconds since the Unix epoch, or a `Date`. */
export type Time = number | Date

/** Filters for `listSessions` and `search`; absent fields match everything. */
export interface SessionFilter {
  /** Only sessions from this tool (`cursor`, `aider`, `claude-code`, `swe-agent`...). */
  sourceTool?: string | null
  /** Only sessions whose project contains this text. */
  project?: string | null
  /** Only sessions started at or after this time. */
  since?: Time | null
  /** Only sessions started before this time. */
  until?: Time | null
  /** At most this many results (`search`: default 10). */
  limit?: number | null
}

/** Options of `search`: a result limit and the `listSessions` filters. */
export type SearchOptions = SessionFilter

/** Values for template variables; numbers and booleans are turned into strings. */
export type TemplateValues =
  | Record<string, string | number | boolean | bigint>
  | Map<string, string | number | boolean | bigint>

/** A prompt version selector: a label (`production`, `latest`) or a version number. */
export type PromptSelector = string | number

/** One step of `addWorkflow`. */
export interface WorkflowStepInput {
  /** Step name, unique within the workflow. */
  name: string
  /** The prompt template this step renders. */
  prompt: string
  /** A label or version number of that prompt (default `latest`). */
  promptRef?: PromptSelector | null
  /** Values bound for this step. */
  values?: TemplateValues | null
}

/** The outcome of one file of `importPaths`. */
export interface FileReport {
  /** The file. */
  path: string
  /** What the import did, when it succeeded. */
  result: ImportedFile | null
  /** Why it failed (`UnknownFormatError`, `ImportError`, `IoError`...), when it failed. */
  error: MnemoError | null
}

/** The outcome of `importPaths`. */
export interface ImportSummary {
  /** One report per file, in order. */
  files: FileReport[]
  /** Sessions added. */
  sessionsImported: number
  /** Sessions that were already stored. */
  sessionsAlreadyStored: number
}

/** Options of `importPaths`. */
export interface ImportPathsOptions {
  /** Called after each file, on the JS thread. */
  onProgress?: ((progress: ImportProgress) => void) | null
}

/** The version a stream must be at for an append: no check, not existing yet, or exactly `n`. */
export type ExpectedVersion = 'any' | 'no_stream' | number

/** Bytes, stored as is; a string, stored as UTF-8; any other value, stored as JSON. */
export type EventBody = Uint8Array | ArrayBuffer | ArrayBufferView | string | object | number | boolean | null

/** An event to append. */
export interface EventInput {
  /** Event type, e.g. `order.placed`. */
  kind: string
  /** Body (default empty). */
  payload?: EventBody
  /** Host metadata (correlation ids, user...). */
  metadata?: EventBody
  /** Schema version of the payload (default 1). */
  schema?: number | null
}

/** Options of `append`. */
export interface AppendOptions {
  /** Default `'any'`. */
  expected?: ExpectedVersion | null
}

/** One batch of `appendMany`. */
export interface AppendBatch {
  stream: string
  events: EventInput[]
  /** Default `'any'`. */
  expected?: ExpectedVersion | null
}

/** Options of `readStream`. */
export interface ReadStreamOptions {
  /** First version read (default: the first, or the last when `backward`). */
  fromVersion?: number | null
  /** Newest first. */
  backward?: boolean | null
  /** At most this many events (default 1000). */
  limit?: number | null
}

/** Selects events of `readAll` and `subscribe`; absent fields match everything. */
export interface EventFilter {
  /** Only streams starting with this prefix. */
  streamPrefix?: string | null
  /** Only these event types. */
  kinds?: string[] | null
}

/** Options of `readAll`. */
export interface ReadAllOptions extends EventFilter {
  /** First sequence number (default 1). */
  fromSeq?: number | null
  /** At most this many entries (default 1000). */
  limit?: number | null
}

/** Options of `subscribe`. */
export interface SubscribeOptions extends EventFilter {
  /** First sequence number (default 1); ignored when `name` has a saved checkpoint. */
  from?: number | null
  /** Persist the position under this name (`sub.checkpoint()`) and resume after it. */
  name?: string | null
}

/** Node-style listener of `onChange`: `(null, entry)` per entry, `(err)` if the feed fails. */
export type ChangeListener = (err: Error | null, entry?: LogEntry) => void

/** Base class of every error the store reports; `code` is the core's `Error::code()`. */
export declare class MnemoError extends Error {
  constructor(message: string, code: string, options?: ErrorOptions)
  /** `locked`, `not_found`, `missing_variable`, `closed`, ... */
  readonly code: string
}

/** The store directory is open elsewhere (this process, a worker or another process). */
export declare class LockedError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'locked'
  static readonly code: 'locked'
}
/** The file is in no transcript format Mnemo knows. */
export declare class UnknownFormatError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'unknown_format'
  static readonly code: 'unknown_format'
}
/** A transcript file is malformed. */
export declare class ImportError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'import'
  static readonly code: 'import'
}
/** Reading or writing a file outside the store failed. */
export declare class IoError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'io'
  static readonly code: 'io'
}
/** The storage engine reported an error. */
export declare class StorageError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'storage'
  static readonly code: 'storage'
}
/** Stored bytes failed to decode. */
export declare class CorruptedError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'corrupted'
  static readonly code: 'corrupted'
}
/** A session, prompt, workflow or label that does not exist. */
export declare class NotFoundError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'not_found'
  static readonly code: 'not_found'
}
/** An id prefix that matches several items. */
export declare class AmbiguousError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'ambiguous'
  static readonly code: 'ambiguous'
}
/** Rendering a template without a value for one of its variables. */
export declare class MissingVariableError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'missing_variable'
  static readonly code: 'missing_variable'
}
/** An append whose expected stream version did not match; nothing was written. */
export declare class ConflictError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'conflict'
  /** The stream. */
  readonly stream?: string
  /** What the append expected (`any`, `no stream` or a version). */
  readonly expected?: string
  /** The stream's current version, `null` when it has no events. */
  readonly current?: number | null
  static readonly code: 'conflict'
}
/** An argument the store does not accept (empty name, bad template...). */
export declare class InvalidInputError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'invalid_input'
  static readonly code: 'invalid_input'
}
/** A value larger than the store accepts. */
export declare class TooLargeError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'too_large'
  static readonly code: 'too_large'
}
/** A host projection failed on an event. */
export declare class ProjectionFailedError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'projection_failed'
  /** The projection. */
  readonly projection?: string
  /** The event it failed on (not applied). */
  readonly seq?: number
  /** What the projection reported. */
  readonly reason?: string
  static readonly code: 'projection_failed'
}
/** An upcaster failed to convert an old event schema. */
export declare class UpcastError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'upcast'
  /** Event type. */
  readonly kind?: string
  /** The schema it was upcast from. */
  readonly schema?: number
  /** What the upcaster reported. */
  readonly reason?: string
  static readonly code: 'upcast'
}
/** The store was closed (or closed while a caller waited on the change feed). */
export declare class ClosedError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'closed'
  static readonly code: 'closed'
}
/** A panic inside the engine (a bug), reported instead of crashing the process. */
export declare class InternalError extends MnemoError {
  constructor(message: string, options?: ErrorOptions)
  readonly code: 'internal'
  static readonly code: 'internal'
}

/** Error code → class name, for every code the binding knows. */
export declare const ERROR_CODES: Readonly<Record<string, string>>

/** Names of the built-in projections, runnable by name with `runProjection` and `rebuildProjection`. */
export declare const BUILTIN_PROJECTIONS: readonly BuiltinProjection[]

/**
 * The change feed from a position: an async iterator of log entries, in order, that waits
 * at the end for new ones. It ends when the store closes or on `return()` / `close()`
 * (a `break` out of `for await` does that).
 */
export declare class Subscription implements AsyncIterableIterator<LogEntry> {
  private constructor()
  /** The sequence number of the next entry this subscription will return. */
  get position(): number
  next(): Promise<IteratorResult<LogEntry, undefined>>
  return(): Promise<IteratorResult<LogEntry, undefined>>
  /**
   * Persists the position of a named subscription (everything returned so far is done);
   * rejects with `InvalidInputError` for an unnamed one or while a `next()` is pending.
   */
  checkpoint(): Promise<void>
  /** Ends the subscription (synchronous form of `return()`). */
  close(): void
  [Symbol.dispose](): void
  [Symbol.asyncIterator](): this
}

/** The read model of a projection. */
export declare class View {
  private constructor()
  /** The projection's name. */
  get name(): string
  /** The value of `key`, or `null`. */
  get(key: Uint8Array | ArrayBuffer | ArrayBufferView | string): Promise<Buffer | null>
  /** Every entry whose key starts with `prefix` (default: all), in key order. */
  scan(prefix?: Uint8Array | ArrayBuffer | ArrayBufferView | string | null): Promise<ViewEntry[]>
}

/**
 * The pending read-model writes of a projection written in JS, passed to its
 * `apply(event, view)`; usable only until that call (or its promise) settles.
 */
export declare class ViewBatch {
  private constructor()
  /** The value of `key`, including this run's uncommitted writes, or `null`. */
  get(key: Uint8Array | ArrayBuffer | ArrayBufferView | string): Promise<Buffer | null>
  /** Sets `key` to `value` in the read model. */
  put(key: Uint8Array | ArrayBuffer | ArrayBufferView | string, value: Uint8Array | ArrayBuffer | ArrayBufferView | string): void
  /** Removes `key` from the read model. */
  delete(key: Uint8Array | ArrayBuffer | ArrayBufferView | string): void
}

/**
 * A projection written in JS: `apply` turns each event passing `filter` into read-model
 * writes (it may be async); they commit with the projection's checkpoint. A throw stops
 * the projection at that event (`ProjectionFailedError`, `cause`: the thrown value); the
 * next run retries it.
 */
export interface HostProjection {
  /** Unique name: the read model (`store.view(name)`) and checkpoint are kept under it. */
  readonly name: string
  /** Which events it gets (default: all). */
  readonly filter?: EventFilter | null
  apply(event: LogEntry, view: ViewBatch): void | Promise<void>
}

/** The built-in projections' names. */
export type BuiltinProjection = 'event-counts' | 'stream-heads' | 'search-index' | 'context-views'

/**
 * Turns a payload of one schema into the next, synchronously: bytes or a string are stored
 * as is, any other value as JSON. A throw makes the read reject with `UpcastError`.
 */
export type Upcaster = (payload: Buffer) => EventBody

/** A Mnemo store opened on a directory. */
export declare class Mnemo {
  private constructor()
  /**
   * Opens (or creates) the store in `path`. A second open of a directory that is open
   * (in this process, a worker thread or another process) rejects with `LockedError`.
   */
  static open(path: string, options?: OpenOptions | null): Promise<Mnemo>
  /** The store's directory. */
  get path(): string
  /** Whether `close()` was called. */
  get closed(): boolean
  /** Closes the store; later calls reject with `ClosedError`. Closing twice does nothing. */
  close(): void
  /** `close()` without blocking the JS thread for the final flush. */
  closeAsync(): Promise<void>
  [Symbol.dispose](): void
  [Symbol.asyncDispose](): Promise<void>

  /** Imports one transcript from memory (format detected from content). */
  importBytes(name: string, data: Uint8Array | ArrayBuffer | ArrayBufferView | string): Promise<ImportedFile>
  /**
   * `importBytes(name, data)`, synchronously: runs on the calling thread, which waits for the
   * commit (its fsync too with `syncWrites`), and throws instead of rejecting.
   */
  importBytesSync(name: string, data: Uint8Array | ArrayBuffer | ArrayBufferView | string): ImportedFile
  /** Imports one transcript file. */
  importFile(path: string): Promise<ImportedFile>
  /** Imports files and folders; each file is all-or-nothing, bad files are reported. */
  importPaths(paths: string | string[], options?: ImportPathsOptions | null): Promise<ImportSummary>
  /** A session with all its messages, by id or unique id prefix. */
  session(id: string): Promise<Session>
  /**
   * `session(id)`, synchronously. Runs on the calling thread (blocks it, like
   * better-sqlite3) and throws instead of rejecting: for hot reads, where a Promise's round trip
   * through libuv's pool costs more than the read.
   */
  sessionSync(id: string): Session
  /** A session's metadata only, by id or unique id prefix. */
  sessionInfo(id: string): Promise<SessionInfo>
  /** `sessionInfo(id)`, synchronously (on the calling thread, like `sessionSync`). */
  sessionInfoSync(id: string): SessionInfo
  /** Sessions passing `filter`, newest first. */
  listSessions(filter?: SessionFilter | null): Promise<SessionInfo[]>
  /** Keyword search over message text, best sessions first. */
  search(query: string, options?: SearchOptions | null): Promise<SearchResult[]>
  /** The original bytes of a session, byte-exact. */
  exportSession(id: string): Promise<Buffer>
  /** `exportSession(id)`, synchronously (on the calling thread, like `sessionSync`). */
  exportSessionSync(id: string): Buffer
  /** The whole original file a source id names, byte-exact. */
  exportSource(sourceId: string): Promise<Buffer>
  /** The source id of the file a session came from. */
  sessionSource(id: string): Promise<string>

  /** Adds a new version of prompt template `name`; variables are `{{name}}` placeholders. */
  addPrompt(name: string, body: string): Promise<PromptTemplate>
  /** `addPrompt(name, body)`, synchronously (on the calling thread, like `importBytesSync`). */
  addPromptSync(name: string, body: string): PromptTemplate
  /** Template `name` at a version number or label (default: the newest). */
  prompt(name: string, at?: PromptSelector | null): Promise<PromptTemplate>
  /**
   * `prompt(name, at)`, synchronously. Runs on the calling thread (blocks it, like
   * better-sqlite3) and throws instead of rejecting: for hot reads, where a Promise's round trip
   * through libuv's pool costs more than the read.
   */
  promptSync(name: string, at?: PromptSelector | null): PromptTemplate
  /** Every version of template `name`, oldest first. */
  promptVersions(name: string): Promise<PromptTemplate[]>
  /** Names of all prompt templates. */
  promptNames(): Promise<string[]>
  /** Points `label` of template `name` at `version`. */
  labelPrompt(name: string, label: string, version: number): Promise<void>
  /** `labelPrompt(name, label, version)`, synchronously (on the calling thread). */
  labelPromptSync(name: string, label: string, version: number): void
  /** Labels of template `name` with their versions, `latest` included. */
  promptLabels(name: string): Promise<Record<string, number>>
  /** `promptLabels(name)`, synchronously (on the calling thread, like `promptSync`). */
  promptLabelsSync(name: string): Record<string, number>
  /** Renders template `name`; a missing value rejects with `MissingVariableError`. */
  renderPrompt(name: string, values?: TemplateValues | null, at?: PromptSelector | null): Promise<string>
  /** `renderPrompt(...)`, synchronously (on the calling thread, like `promptSync`); throws `MissingVariableError`. */
  renderPromptSync(name: string, values?: TemplateValues | null, at?: PromptSelector | null): string

  /** Adds a new version of workflow `name`. */
  addWorkflow(name: string, steps: WorkflowStepInput[]): Promise<Workflow>
  /** Workflow `name` at `version` (default: the newest). */
  workflow(name: string, version?: number | null): Promise<Workflow>
  /** Every version of workflow `name`, oldest first. */
  workflowVersions(name: string): Promise<Workflow[]>
  /** Renders each step of workflow `name`; `values` override the steps' own values. */
  renderWorkflow(name: string, values?: TemplateValues | null, version?: number | null): Promise<RenderedStep[]>

  /** Up to `limit` (default 256) log entries with sequence number `>= from` (default 1). */
  readLog(from?: number | null, limit?: number | null): Promise<LogEntry[]>
  /** The last committed sequence number (0 for an empty log). */
  lastSeq(): number
  /** Resolves with the last sequence number once the log has an entry after `after`, or after `timeoutMs`. */
  waitFor(after: number, timeoutMs?: number | null): Promise<number>
  /**
   * The change feed as an async iterator, from sequence number `from` (default 1) or with
   * options: a filter and, with a `name`, a persisted checkpoint to resume after.
   */
  subscribe(from?: number | SubscribeOptions | null): Subscription
  /** The saved checkpoint (last sequence number done) of named subscription `name`, or `null`. */
  subscriptionCheckpoint(name: string): Promise<number | null>
  /** Calls `listener` for each log entry from `from` on; returns a function that stops it. */
  onChange(from: number | null | undefined, listener: ChangeListener): () => void

  /** Appends events to host stream `stream` atomically; `ConflictError` if not at `expected`. */
  append(stream: string, events: EventInput[], options?: AppendOptions | null): Promise<AppendResult>
  /** `append(stream, events, options)`, synchronously (on the calling thread, like `importBytesSync`). */
  appendSync(stream: string, events: EventInput[], options?: AppendOptions | null): AppendResult
  /** Appends to several streams in one atomic commit. */
  appendMany(batches: AppendBatch[]): Promise<AppendResult[]>
  /** Events of `stream`, forward or backward; `NotFoundError` for a stream with no events. */
  readStream(stream: string, options?: ReadStreamOptions | null): Promise<LogEntry[]>
  /** Log entries of every stream from `fromSeq`, filtered. */
  readAll(options?: ReadAllOptions | null): Promise<LogEntry[]>
  /** The current version of `stream`, or `null` when it has no events. */
  streamVersion(stream: string): Promise<number | null>
  /** Checks the log's hash chain; `CorruptedError` names the first bad entry. */
  verifyLog(): Promise<LogVerification>
  /**
   * Runs a projection up to the head of the log: a built-in one by name (`'event-counts'`,
   * `'stream-heads'`, `'search-index'`, `'context-views'`) or one written in JS. Rejects with `ProjectionFailedError` when an
   * event fails (the events before it stay applied; the next run retries it).
   */
  runProjection(projection: BuiltinProjection | HostProjection | (string & {})): Promise<ProjectionStatus>
  /** Rebuilds a projection into a new generation while readers keep the old one, then switches readers to it. */
  rebuildProjection(projection: BuiltinProjection | HostProjection | (string & {})): Promise<ProjectionStatus>
  /**
   * Registers `upcaster` for events of type `kind` at schema `fromSchema` (to
   * `fromSchema + 1`), applied on every read of this store; runs on the JS thread.
   */
  registerUpcaster(kind: string, fromSchema: number, upcaster: Upcaster): void
  /**
   * Rebuilds the context views (sessions, sources, prompts, workflows) from the log into a
   * new generation while the current one serves, then switches readers to it.
   */
  rebuildContextViews(): Promise<ContextRebuild>
  /** Brings the search index up to date with every imported session now. */
  updateSearchIndex(): Promise<ProjectionStatus>
  /** Where projection `name` stands (`NotFoundError` if it never ran). */
  projectionStatus(name: string): Promise<ProjectionStatus>
  /** Every projection that has run. */
  projections(): Promise<ProjectionStatus[]>
  /** The read model of projection `name`. */
  view(name: string): View
  /** Stores `state` as the snapshot of `stream` at `version` (one of its versions). */
  saveSnapshot(stream: string, version: number, state: EventBody): Promise<void>
  /** The newest snapshot of `stream`, or `null`. */
  loadSnapshot(stream: string): Promise<Snapshot | null>
  /** The newest snapshot of `stream` and the upcast events after it, to fold into an aggregate. */
  snapshotAndTail(stream: string): Promise<AggregateLoad>
  /** `snapshotAndTail(stream)`, synchronously (on the calling thread, like `sessionSync`). */
  snapshotAndTailSync(stream: string): AggregateLoad
  /** Whether at least `every` events have passed since the newest snapshot of `stream` at `version`. */
  snapshotDue(stream: string, version: number, every: number): Promise<boolean>
  /** `snapshotDue(...)`, synchronously (on the calling thread, like `sessionSync`). */
  snapshotDueSync(stream: string, version: number, every: number): boolean

  /** Counters and on-disk sizes. */
  stats(): Promise<Stats>
  /** Trains new zstd dictionaries from the values already stored. */
  retrainDictionaries(): Promise<TrainedDictionary[]>
  /** Recompresses stored sessions at zstd `level` (default 15); keeps each blob's smaller frame. */
  compact(level?: number | null): Promise<CompactionReport>
  /** Flushes memtables so on-disk sizes are final. */
  flush(): Promise<void>
}
