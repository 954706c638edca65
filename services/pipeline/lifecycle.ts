import type { QueueClient, Slot, WaitInfo } from '../slot-queue.js'
import type { SafetyLevel } from '../safety/term-filter.js'
import type { Logger, PipelineDeps } from './deps.js'
import { RunRecorder } from './recorder.js'

export type RunEnd = 'done' | 'blocked' | 'error' | 'aborted'

export interface RunInfo {
  /** The server's fresh id; the run's id unless it continues one. */
  runId: string
  /** Whose run: its fair-queue bucket, and (browser) the owner the run store records. */
  client?: QueueClient | undefined
  configName: string
  executionMode: string
  safetyLevel: SafetyLevel
  /** What the run will produce (`interception`, `image` ...); a continued run adds to its list. */
  expected: string[]
  /**
   * A run id the client asks to continue (stage3-4 after stage2): taken only when it is this
   * browser's own finished run, else the run is new under `runId` (nothing is revealed).
   */
  continues?: string | undefined
  /** What a new run's record begins with (its input, its config), whenever the record starts. */
  first?: (rec: RunRecorder) => void
}

/**
 * One run's life, whatever route started it: begin the record (lazily, so thousands of runs
 * waiting in line cost no disk writes), take a model slot, release it, end the record with
 * how the run ended, and wait until the record is on disk before the caller answers (so a
 * client that continues the run at once finds it complete). Every exit path goes through
 * `end`, which is idempotent. A run whose client left before it began leaves no record at all.
 */
export class RunScope {
  #rec: RunRecorder
  #runId: string
  #started: Promise<void> | undefined
  #slot: Slot | undefined
  #ended = false
  /** How the run ends when its work returns normally (a Stage 3 refusal is not an exception). */
  outcome: 'done' | 'blocked' | 'error' = 'done'

  constructor (readonly deps: PipelineDeps, readonly info: RunInfo, readonly log: Logger) {
    this.#runId = info.runId
    this.#rec = new RunRecorder(deps.store, info.runId, log)
  }

  /** The run's id: the continued run's once `start` took it up, else the fresh one. */
  get runId (): string { return this.#runId }
  get rec (): RunRecorder { return this.#rec }
  get slot (): Slot | undefined { return this.#slot }

  /**
   * Starts (or takes up again) the run's record; a new one begins with `info.first`. A new
   * record exists in memory at once (its files follow in order), so what the caller records
   * next always comes after `first`.
   */
  start (): Promise<void> {
    if (this.#started !== undefined) return this.#started
    const continues = this.info.continues
    this.#started = continues === undefined ? Promise.resolve(this.#create()) : this.#continueOrCreate(continues)
    return this.#started
  }

  async #continueOrCreate (runId: string): Promise<void> {
    const { store } = this.deps
    if (await store.continueRun(runId, this.#owner(), this.info.expected)) {
      this.#runId = runId
      this.#rec = new RunRecorder(store, runId, this.log)
      return
    }
    this.#create()
  }

  #create (): void {
    const i = this.info
    this.deps.store.create(i.runId, { config_name: i.configName, execution_mode: i.executionMode, safety_level: i.safetyLevel, expected_outputs: i.expected, owner: this.#owner() })
      .catch((err: unknown) => this.log.warn({ err }, 'could not create the run record'))
    i.first?.(this.#rec)
  }

  #owner (): string { return this.info.client?.browser ?? 'anonymous' }

  async acquire (signal: AbortSignal, onWait?: (w: WaitInfo) => void): Promise<Slot> {
    this.#slot = await this.deps.queue.acquire(this.#runId, { signal, ...(onWait === undefined ? {} : { onWait }), ...(this.info.client === undefined ? {} : { client: this.info.client }) })
    return this.#slot
  }

  releaseSlot (): void { this.#slot?.release() }

  /** Records how the run ended (an error first), then waits for the record to reach the disk. */
  async end (how: RunEnd, err?: { code?: string, message?: string }): Promise<void> {
    if (this.#ended) return
    this.#ended = true
    this.releaseSlot()
    // Left while waiting in line: nothing of the child's is stored, nothing written.
    if (this.#started === undefined && how === 'aborted') return
    await this.start()
    if (err !== undefined && how !== 'blocked') this.rec.record('error', { code: err.code ?? 'INTERNAL_ERROR', message: err.message ?? String(err) })
    this.rec.ended(how)
    await this.deps.store.finish(this.#runId)
  }
}

/** How a failed run ended: refused, left by its client, or failed. */
export function endOf (err: unknown, signal: AbortSignal): RunEnd {
  const code = (err as { code?: string }).code
  if (code === 'BLOCKED') return 'blocked'
  // Shutdown and a teacher's Stop end the run from the server side: the client is still there.
  return signal.aborted && code !== 'SHUTTING_DOWN' && code !== 'STOPPED' ? 'aborted' : 'error'
}

/** Runs `work` in a RunScope that is ended on every path, before the result goes back to the client. */
export async function inRun<T> (deps: PipelineDeps, info: RunInfo, signal: AbortSignal, log: Logger, work: (scope: RunScope) => Promise<T>): Promise<T> {
  const scope = new RunScope(deps, info, log)
  try {
    const result = await work(scope)
    await scope.end(scope.outcome)
    return result
  } catch (err) {
    await scope.end(endOf(err, signal), err as Error)
    throw err
  } finally {
    scope.releaseSlot()
  }
}
