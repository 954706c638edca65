import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError } from './errors.js'
import { atomicWrite, entitiesAfter, syncDir, syncFiles } from './run-files.js'

export { contentTypeOf } from './run-files.js'

/** Run ids are UUIDs made by the server; nothing else ever names a run directory. */
const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Entity files are `NN_type.ext`; the only other file is metadata.json. */
const FILE_NAME = /^(\d{2,4}_[a-z0-9_]{1,40}\.[a-z0-9]{1,8}|metadata\.json)$/

export function isRunId (id: string): boolean { return RUN_ID.test(id) }
export function isRunFileName (name: string): boolean { return FILE_NAME.test(name) }

export interface EntityRecord {
  sequence: number
  type: string
  filename: string
  timestamp: string
  metadata: Record<string, unknown>
}

interface Held { entity: EntityRecord, data: string | Buffer }

export interface RunState { stage: number, step: string, progress: string }

export interface RunMetadata {
  run_id: string
  timestamp: string
  config_name: string
  execution_mode: string
  safety_level: string
  user_id: string
  /** The browser that made the run (a hash of its anonymous cookie); absent on runs of older versions. */
  owner?: string
  expected_outputs: string[]
  current_state: RunState
  entities: EntityRecord[]
}

export interface NewRun {
  config_name: string
  execution_mode: string
  safety_level: string
  expected_outputs: string[]
  user_id?: string
  /** The browser that made the run (plugins/auth.ts browserOwner). */
  owner?: string
}

/**
 * The run store of pipeline.md: a directory per run, one file per entity, a metadata.json.
 * Every file is written to a temporary name and renamed into place, so a crash at any moment
 * leaves each file either old or new, never half-written. Off the hot path:
 * - during a run an entity is one file created and renamed into place, no flush and no
 *   metadata rewrite; metadata.json is written at the end of the run, with every entity (and
 *   when a finished run is continued and expects more);
 * - at its end the run is made durable against a power cut in one commit: its files are
 *   flushed, then metadata.json (flushed, renamed), then the directory;
 * - a reader of a run in progress in this process gets the metadata from memory (each entity
 *   listed once its file is in place); a run killed before its first end has no metadata.json
 *   and is no run (its files go with retention); a continued run killed before its new end
 *   is read from its metadata plus the entity files written after it, found by their names.
 * Writes of one run are chained, so they keep their order. Reading never writes.
 */
export class RunStore {
  readonly dir: string
  readonly #chains = new Map<string, Promise<unknown>>()
  readonly #meta = new Map<string, RunMetadata>()
  /** How many of a run's entities have their file on disk (they are written in list order). */
  readonly #onDisk = new Map<string, number>()
  /** Entities noted but not written yet. */
  readonly #held = new Map<string, Held[]>()
  /** Files a run wrote without a flush since its last commit. */
  readonly #unsynced = new Map<string, string[]>()
  /** Runs being deleted by the retention sweep: nobody may take them up meanwhile. */
  readonly #removing = new Set<string>()

  constructor (dir: string) {
    this.dir = dir
  }

  async init (): Promise<void> {
    await mkdir(this.dir, { recursive: true })
  }

  /** Starts a run's record; its metadata exists in memory at once, the files follow in order. */
  async create (runId: string, run: NewRun): Promise<void> {
    assertRunId(runId)
    const meta: RunMetadata = {
      run_id: runId,
      timestamp: new Date().toISOString(),
      config_name: run.config_name,
      execution_mode: run.execution_mode,
      safety_level: run.safety_level,
      user_id: run.user_id ?? 'anonymous',
      ...(run.owner === undefined ? {} : { owner: run.owner }),
      expected_outputs: run.expected_outputs,
      current_state: { stage: 0, step: 'created', progress: '0/4' },
      entities: []
    }
    this.#meta.set(runId, meta)
    this.#onDisk.set(runId, 0)
    this.#unsynced.set(runId, [])
    // metadata.json comes at the end: every file created costs (0.7 ms of CPU on the ext4 of
    // the benchmark machine), and a run killed before its end is then no run, cleanly.
    await this.#chain(runId, async () => { await mkdir(join(this.dir, runId), { recursive: true }) })
  }

  /**
   * Takes up an existing, finished run of this owner again (stage3-4 after stage2), so new
   * entities follow its old ones. False, and nothing taken, when there is no such run, when it
   * belongs to another browser (or to none), or when it is in progress: a run is never written
   * by two requests at once, nor by a stranger who learned its id.
   */
  async continueRun (runId: string, owner: string, expected: string[] = []): Promise<boolean> {
    if (!isRunId(runId) || this.isOpen(runId)) return false
    const meta = await this.metadata(runId)
    if (meta?.owner === undefined || meta.owner !== owner) return false
    // Checked again after the read: another request may have taken it up meanwhile.
    if (this.isOpen(runId)) return false
    this.#meta.set(runId, meta)
    this.#onDisk.set(runId, meta.entities.length)
    this.#unsynced.set(runId, [])
    // A continued run expects what the continuation produces too.
    const added = expected.filter((o) => !meta.expected_outputs.includes(o))
    if (added.length > 0) {
      meta.expected_outputs.push(...added)
      await this.#chain(runId, async () => await this.#writeMeta(meta, false))
    }
    return true
  }

  /** Whether a run is in progress in this process (or being deleted). */
  isOpen (runId: string): boolean {
    return this.#meta.has(runId) || this.#removing.has(runId)
  }

  /** Every run directory's id, oldest first by its metadata timestamp (retention). */
  async list (): Promise<Array<{ runId: string, timestamp: number }>> {
    const out: Array<{ runId: string, timestamp: number }> = []
    for (const runId of await readdir(this.dir).catch(() => [] as string[])) {
      if (!isRunId(runId)) continue
      const meta = await this.metadata(runId)
      const ts = meta === undefined ? NaN : Date.parse(meta.timestamp)
      // A run without readable metadata is dated by its directory.
      out.push({ runId, timestamp: Number.isFinite(ts) ? ts : (await stat(join(this.dir, runId)).catch(() => undefined))?.mtimeMs ?? 0 })
    }
    return out.sort((a, b) => a.timestamp - b.timestamp)
  }

  /** Bytes a run's files take. */
  async size (runId: string): Promise<number> {
    if (!isRunId(runId)) return 0
    let bytes = 0
    for (const name of await readdir(join(this.dir, runId)).catch(() => [] as string[])) {
      bytes += (await stat(join(this.dir, runId, name)).catch(() => undefined))?.size ?? 0
    }
    return bytes
  }

  /** Deletes a run with its files; never one in progress (false then). */
  async remove (runId: string): Promise<boolean> {
    if (!isRunId(runId) || this.isOpen(runId)) return false
    this.#removing.add(runId)
    try {
      await rm(join(this.dir, runId), { recursive: true, force: true })
      return true
    } finally {
      this.#removing.delete(runId)
    }
  }

  /**
   * Records an entity now: text as .txt, objects as .json, buffers with the given extension.
   * Resolves when its file (and every noted entity before it) is in place, not yet flushed.
   */
  async record (runId: string, type: string, content: string | Buffer | object, opts: { ext?: string, metadata?: Record<string, unknown> } = {}): Promise<EntityRecord> {
    const { entity, data } = this.#entity(runId, type, content, opts)
    const batch = [...this.#take(runId), { entity, data }]
    await this.#chain(runId, async () => await this.#writeEntities(runId, batch, false))
    return entity
  }

  /**
   * Notes an entity to be written with the run's next `record` or at its end (`finish`), with
   * no disk work now: the small entities of a run's start (its input, its config, Stage 1's
   * output) then cost nothing while it starts and streams. A run killed before its end leaves
   * them unwritten (it has no metadata.json either: no run).
   */
  note (runId: string, type: string, content: string | Buffer | object, opts: { ext?: string, metadata?: Record<string, unknown> } = {}): EntityRecord {
    const held = this.#held.get(runId)
    const { entity, data } = this.#entity(runId, type, content, opts)
    if (held === undefined) this.#held.set(runId, [{ entity, data }])
    else held.push({ entity, data })
    return entity
  }

  #entity (runId: string, type: string, content: string | Buffer | object, opts: { ext?: string, metadata?: Record<string, unknown> }): Held {
    const meta = this.#meta.get(runId)
    if (meta === undefined) throw new AppError('INTERNAL_ERROR', `run ${runId} was not created in this process`, 500)
    const safeType = type.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40)
    const ext = opts.ext ?? (typeof content === 'string' ? 'txt' : Buffer.isBuffer(content) ? 'bin' : 'json')
    const sequence = meta.entities.length + 1
    const entity: EntityRecord = {
      sequence,
      type: safeType,
      filename: `${String(sequence).padStart(2, '0')}_${safeType}.${ext}`,
      timestamp: new Date().toISOString(),
      metadata: opts.metadata ?? {}
    }
    meta.entities.push(entity)
    return { entity, data: typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2) }
  }

  /** The noted entities not written yet, in order; taken when the write is queued, so the order holds. */
  #take (runId: string): Held[] {
    const held = this.#held.get(runId)
    if (held === undefined) return []
    this.#held.delete(runId)
    return held
  }

  /** Writes entities in order: flushed at once at the run's end (`sync`), else left for the end's commit. */
  async #writeEntities (runId: string, batch: Held[], sync: boolean): Promise<void> {
    for (const { entity, data } of batch) {
      const path = join(this.dir, runId, entity.filename)
      await atomicWrite(path, data, sync)
      if (!sync) this.#unsynced.get(runId)?.push(path)
      this.#onDisk.set(runId, (this.#onDisk.get(runId) ?? 0) + 1)
    }
  }

  /** Sets the run's state; fields left out keep their values (the stage reached stays). */
  async setState (runId: string, state: Partial<RunState>): Promise<void> {
    const meta = this.#meta.get(runId)
    if (meta === undefined) return
    // In memory until the end: readers of a run in progress read the memory.
    meta.current_state = { ...meta.current_state, ...state }
  }

  /**
   * The run is done: commits it (its files flushed, metadata.json with every entity written
   * and flushed, the directory flushed), then forgets its in-memory metadata (the files
   * stay), so it may be continued. False when the commit failed (a full disk).
   */
  async finish (runId: string): Promise<boolean> {
    const meta = this.#meta.get(runId)
    try {
      if (meta === undefined) {
        await this.#chains.get(runId)
        return false
      }
      const batch = this.#take(runId)
      // Never thrown: a full disk costs the record of a run, never the run.
      return await this.#chain(runId, async () => {
        await this.#writeEntities(runId, batch, true).catch(() => {})
        await syncFiles(this.#unsynced.get(runId) ?? [])
        await this.#writeMeta(meta, true)
        await syncDir(join(this.dir, runId))
        return true
      }).catch(() => false)
    } finally {
      this.#meta.delete(runId)
      this.#onDisk.delete(runId)
      this.#unsynced.delete(runId)
      this.#held.delete(runId)
      this.#chains.delete(runId)
    }
  }

  /**
   * A run's metadata: from memory while it is in progress here (each entity once its file is
   * in place), else from disk, with the entity files of a run that never ended added.
   */
  async metadata (runId: string): Promise<RunMetadata | undefined> {
    if (!isRunId(runId)) return undefined
    const live = this.#meta.get(runId)
    // A run in progress: what is on disk, and what is noted in memory (served by heldFile).
    if (live !== undefined) return structuredClone({ ...live, entities: [...this.#listed(live), ...(this.#held.get(runId) ?? []).map((h) => h.entity)] })
    let meta: RunMetadata
    try {
      meta = JSON.parse(await readFile(join(this.dir, runId, 'metadata.json'), 'utf8')) as RunMetadata
    } catch {
      return undefined
    }
    if (!Array.isArray(meta.entities)) return meta
    const last = meta.entities.reduce((max, e) => Math.max(max, e.sequence), 0)
    for (const e of await entitiesAfter(join(this.dir, runId), last)) meta.entities.push({ ...e, metadata: {} })
    return meta
  }

  /** The absolute path of a run's file, or undefined; ids and names are checked, never joined raw. */
  /** A noted entity of a run in progress, not written yet (a teacher's room view reads a running run's idea). */
  heldFile (runId: string, filename: string): string | Buffer | undefined {
    return this.#held.get(runId)?.find((h) => h.entity.filename === filename)?.data
  }

  async filePath (runId: string, filename: string): Promise<string | undefined> {
    if (!isRunId(runId) || !isRunFileName(filename)) return undefined
    // Both names passed the server's own patterns, so the joined path cannot leave the store.
    const path = join(this.dir, runId, filename)
    const info = await stat(path).catch(() => undefined)
    return info?.isFile() === true ? path : undefined
  }

  /** Removes temporary files a crash left behind (they are never referenced). */
  async sweep (): Promise<number> {
    let removed = 0
    for (const run of await readdir(this.dir).catch(() => [] as string[])) {
      if (!isRunId(run)) continue
      for (const name of await readdir(join(this.dir, run)).catch(() => [] as string[])) {
        if (name.startsWith('.tmp-')) { await rm(join(this.dir, run, name), { force: true }); removed++ }
      }
    }
    return removed
  }

  /** The entities whose file is in place (they are written in list order). */
  #listed (meta: RunMetadata): EntityRecord[] {
    return meta.entities.slice(0, this.#onDisk.get(meta.run_id) ?? meta.entities.length)
  }

  async #writeMeta (meta: RunMetadata, sync: boolean): Promise<void> {
    // Only entities whose file is written: one recorded while this write waited in the chain
    // would be listed before its file exists, and a crash then leaves a dangling entry.
    await atomicWrite(join(this.dir, meta.run_id, 'metadata.json'), JSON.stringify({ ...meta, entities: this.#listed(meta) }, null, 2), sync)
  }

  async #chain<T> (runId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(runId) ?? Promise.resolve()
    const next = prev.then(work, work)
    this.#chains.set(runId, next.catch(() => {}))
    return await next
  }
}

function assertRunId (runId: string): void {
  if (!isRunId(runId)) throw new AppError('BAD_REQUEST', `not a run id: ${runId}`, 400)
}
