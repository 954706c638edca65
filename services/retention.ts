import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { RunStore } from './run-store.js'

export interface RetentionOptions {
  /** Runs older than this are deleted; 0 keeps them forever. */
  runsMaxAgeMs: number
  /** Past this many bytes in the run store, the oldest finished runs go; 0: no limit. */
  runsMaxBytes: number
  /** Where uploads are kept, and how long. */
  uploadsDir: string
  uploadsMaxAgeMs: number
  /** The clock (tests). */
  now?: () => number
}

export interface SweepResult { runsRemoved: string[], uploadsRemoved: number, bytes: number }

/**
 * Runs by age, then the oldest runs until the store fits its size limit. A run in progress is
 * never deleted (the store refuses), whatever its age: it is skipped and counted.
 */
export async function sweepRuns (store: RunStore, opts: Pick<RetentionOptions, 'runsMaxAgeMs' | 'runsMaxBytes' | 'now'>): Promise<{ removed: string[], bytes: number }> {
  const now = (opts.now ?? Date.now)()
  const removed: string[] = []
  const kept: Array<{ runId: string, bytes: number }> = []
  for (const run of await store.list()) {
    if (opts.runsMaxAgeMs > 0 && now - run.timestamp > opts.runsMaxAgeMs && await store.remove(run.runId)) removed.push(run.runId)
    else kept.push({ runId: run.runId, bytes: opts.runsMaxBytes > 0 ? await store.size(run.runId) : 0 })
  }
  let bytes = kept.reduce((sum, r) => sum + r.bytes, 0)
  if (opts.runsMaxBytes > 0) {
    // `kept` is oldest first (store.list sorts by timestamp).
    for (const run of kept) {
      if (bytes <= opts.runsMaxBytes) break
      if (await store.remove(run.runId)) { removed.push(run.runId); bytes -= run.bytes }
    }
  }
  return { removed, bytes }
}

/** Uploads older than the limit, by their file time; temporary files too. */
export async function sweepUploads (dir: string, maxAgeMs: number, now = Date.now()): Promise<number> {
  let removed = 0
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name)
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile() !== true || now - info.mtimeMs <= maxAgeMs) continue
    await rm(path, { force: true })
    removed++
  }
  return removed
}

const HOUR_MS = 3_600_000

/**
 * Keeps the data-protection promise of the README: sweeps at start and every hour. The timer
 * is unref'd (it never keeps the process alive) and stopped on close; sweeps never overlap.
 */
export class Retention {
  #timer: NodeJS.Timeout | undefined
  #running: Promise<SweepResult> | undefined

  constructor (readonly store: RunStore, readonly opts: RetentionOptions, readonly onError: (err: unknown) => void = () => {}) {}

  async sweep (): Promise<SweepResult> {
    this.#running ??= (async () => {
      const now = (this.opts.now ?? Date.now)()
      const runs = await sweepRuns(this.store, this.opts)
      const uploadsRemoved = await sweepUploads(this.opts.uploadsDir, this.opts.uploadsMaxAgeMs, now)
      return { runsRemoved: runs.removed, uploadsRemoved, bytes: runs.bytes }
    })().finally(() => { this.#running = undefined })
    return await this.#running
  }

  /** Sweeps every `everyMs` (default an hour) until stop(). */
  start (everyMs = HOUR_MS, onSwept: (r: SweepResult) => void = () => {}): void {
    if (this.#timer !== undefined) return
    this.#timer = setInterval(() => { this.sweep().then(onSwept, this.onError) }, everyMs)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => {})
  }
}
