import { AppError } from './errors.js'

export interface WaitInfo {
  /** 1 = next in line. */
  position: number
  waitMs: number
  queueLength: number
}

export interface Slot {
  readonly runId: string
  /** How long the run waited for this slot. */
  readonly waitedMs: number
  /** Gives the slot back; calling it again does nothing. */
  release: () => void
}

export interface AcquireOptions {
  signal: AbortSignal
  /** Called when the run has to wait, then once per tick while it still waits. */
  onWait?: (info: WaitInfo) => void
}

export interface SlotQueueOptions {
  maxConcurrent: number
  maxWaiting: number
  tickMs?: number
  /** Called once per acquired slot, for the wait-time histogram. */
  onAcquired?: (waitedMs: number) => void
}

export interface QueueCounters { acquired: number, released: number, cancelled: number, rejected: number }

export interface QueueSnapshot {
  max_concurrent: number
  active: number
  waiting: number
  max_waiting: number
  runs: Array<{ run_id: string, state: 'active' | 'waiting', position: number | null, wait_time_ms: number }>
}

interface Waiter {
  runId: string
  enqueuedAt: number
  resolve: (slot: Slot) => void
  reject: (err: unknown) => void
  onWait: ((info: WaitInfo) => void) | undefined
  detach: () => void
}

interface Holder { runId: string, since: number }

/**
 * A FIFO of model slots. Unlike a plain semaphore (async-sema), a waiter can leave the line
 * (its client went away) and is removed at once, every waiter knows its position, and one
 * shared timer drives the once-a-second "still waiting" ticks for all of them: thousands of
 * waiting streams cost one interval, not one each.
 */
export class SlotQueue {
  readonly maxConcurrent: number
  readonly maxWaiting: number
  readonly counters: QueueCounters = { acquired: 0, released: 0, cancelled: 0, rejected: 0 }
  readonly #tickMs: number
  readonly #acquiredListeners: Array<(waitedMs: number) => void> = []
  readonly #waiters: Waiter[] = []
  readonly #holders = new Set<Holder>()
  #ticker: NodeJS.Timeout | undefined
  #closed: AppError | undefined

  constructor (opts: SlotQueueOptions) {
    if (!Number.isInteger(opts.maxConcurrent) || opts.maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer >= 1')
    this.maxConcurrent = opts.maxConcurrent
    this.maxWaiting = opts.maxWaiting
    this.#tickMs = opts.tickMs ?? 1000
    if (opts.onAcquired !== undefined) this.#acquiredListeners.push(opts.onAcquired)
  }

  /** Calls `listener` with the wait of every slot granted from now on (metrics). */
  onAcquired (listener: (waitedMs: number) => void): void {
    this.#acquiredListeners.push(listener)
  }

  get active (): number { return this.#holders.size }
  get waiting (): number { return this.#waiters.length }

  /** True when a new run would have to wait and the waiting line is already at its limit. */
  isFull (): boolean {
    return this.#holders.size >= this.maxConcurrent && this.#waiters.length >= this.maxWaiting
  }

  /**
   * Whether a new run may start (and later queue). A refusal is counted, so a route can turn
   * a run away before its stream starts instead of failing it after the headers.
   */
  admits (): boolean {
    if (!this.isFull() && this.#closed === undefined) return true
    this.counters.rejected++
    return false
  }

  acquire (runId: string, opts: AcquireOptions): Promise<Slot> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    if (opts.signal.aborted) return Promise.reject(abortError(opts.signal))
    if (this.#holders.size < this.maxConcurrent && this.#waiters.length === 0) {
      return Promise.resolve(this.#grant(runId, Date.now()))
    }
    if (this.#waiters.length >= this.maxWaiting) {
      this.counters.rejected++
      return Promise.reject(new AppError('QUEUE_FULL', 'The waiting line is full', 503))
    }
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter)
        if (i === -1) return
        this.#waiters.splice(i, 1)
        this.counters.cancelled++
        this.#stopTickerIfIdle()
        reject(abortError(opts.signal))
      }
      const waiter: Waiter = {
        runId,
        enqueuedAt: Date.now(),
        resolve,
        reject,
        onWait: opts.onWait,
        detach: () => opts.signal.removeEventListener('abort', onAbort)
      }
      opts.signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
      this.#notify(waiter, this.#waiters.length, Date.now())
      this.#startTicker()
    })
  }

  snapshot (): QueueSnapshot {
    const now = Date.now()
    const runs: QueueSnapshot['runs'] = []
    for (const h of this.#holders) runs.push({ run_id: h.runId, state: 'active', position: null, wait_time_ms: 0 })
    this.#waiters.forEach((w, i) => runs.push({ run_id: w.runId, state: 'waiting', position: i + 1, wait_time_ms: now - w.enqueuedAt }))
    return { max_concurrent: this.maxConcurrent, active: this.#holders.size, waiting: this.#waiters.length, max_waiting: this.maxWaiting, runs }
  }

  /** Refuses new runs and rejects every waiter (shutdown). Held slots are released by their runs. */
  close (err: AppError): void {
    this.#closed = err
    const waiters = this.#waiters.splice(0)
    for (const w of waiters) { w.detach(); w.reject(err) }
    this.#stopTickerIfIdle()
  }

  #grant (runId: string, enqueuedAt: number): Slot {
    const holder: Holder = { runId, since: Date.now() }
    this.#holders.add(holder)
    this.counters.acquired++
    const waitedMs = holder.since - enqueuedAt
    for (const listener of this.#acquiredListeners) listener(waitedMs)
    let released = false
    return {
      runId,
      waitedMs,
      release: () => {
        if (released) return
        released = true
        this.#holders.delete(holder)
        this.counters.released++
        this.#next()
      }
    }
  }

  #next (): void {
    while (this.#holders.size < this.maxConcurrent && this.#waiters.length > 0) {
      const w = this.#waiters.shift() as Waiter
      w.detach()
      w.resolve(this.#grant(w.runId, w.enqueuedAt))
    }
    this.#stopTickerIfIdle()
  }

  #notify (w: Waiter, position: number, now: number): void {
    if (w.onWait === undefined) return
    try {
      w.onWait({ position, waitMs: now - w.enqueuedAt, queueLength: this.#waiters.length })
    } catch {
      // A listener's failure is its run's business, never the queue's.
    }
  }

  #startTicker (): void {
    if (this.#ticker !== undefined) return
    this.#ticker = setInterval(() => {
      const now = Date.now()
      this.#waiters.slice().forEach((w, i) => this.#notify(w, i + 1, now))
    }, this.#tickMs)
    this.#ticker.unref()
  }

  #stopTickerIfIdle (): void {
    if (this.#waiters.length === 0 && this.#ticker !== undefined) {
      clearInterval(this.#ticker)
      this.#ticker = undefined
    }
  }
}

function abortError (signal: AbortSignal): AppError {
  const reason = signal.reason as unknown
  return reason instanceof AppError ? reason : new AppError('ABORTED', 'The run left the queue', 499)
}
