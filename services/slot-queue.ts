import { AppError } from './errors.js'
import { ANONYMOUS_CLIENT, FairLine, type QueueClient } from './fair-line.js'

export { ANONYMOUS_CLIENT, type QueueClient }

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
  /** Whose run this is; slots go round-robin between addresses, then browsers. Default: one anonymous bucket. */
  client?: QueueClient
}

export interface SlotQueueOptions {
  maxConcurrent: number
  maxWaiting: number
  /** Waiting runs one browser / one address may have (default: no limit but maxWaiting). */
  maxWaitingPerBrowser?: number
  maxWaitingPerAddress?: number
  /** The Retry-After (seconds) a refusal for too many waiting runs suggests. */
  retryAfterS?: number
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
  client: QueueClient
  enqueuedAt: number
  resolve: (slot: Slot) => void
  reject: (err: unknown) => void
  onWait: ((info: WaitInfo) => void) | undefined
  detach: () => void
}

interface Holder { runId: string, since: number }

/**
 * The model slots (or media slots). Unlike a plain semaphore (async-sema), a waiter can leave
 * the line (its client went away) and is removed at once, every waiter knows its position, and
 * one shared timer drives the once-a-second "still waiting" ticks for all of them: thousands of
 * waiting streams cost one interval, not one each. The line is fair (services/fair-line.ts):
 * round-robin between client addresses, then browsers, with a cap on each one's waiting runs.
 */
export class SlotQueue {
  readonly maxConcurrent: number
  readonly maxWaiting: number
  readonly counters: QueueCounters = { acquired: 0, released: 0, cancelled: 0, rejected: 0 }
  readonly #tickMs: number
  readonly #acquiredListeners: Array<(waitedMs: number) => void> = []
  readonly maxWaitingPerBrowser: number
  readonly maxWaitingPerAddress: number
  readonly #retryAfterS: number
  readonly #waiters = new FairLine<Waiter>()
  readonly #holders = new Set<Holder>()
  #ticker: NodeJS.Timeout | undefined
  #closed: AppError | undefined

  constructor (opts: SlotQueueOptions) {
    if (!Number.isInteger(opts.maxConcurrent) || opts.maxConcurrent < 1) throw new RangeError('maxConcurrent must be an integer >= 1')
    this.maxConcurrent = opts.maxConcurrent
    this.maxWaiting = opts.maxWaiting
    this.maxWaitingPerBrowser = opts.maxWaitingPerBrowser ?? Number.MAX_SAFE_INTEGER
    this.maxWaitingPerAddress = opts.maxWaitingPerAddress ?? Number.MAX_SAFE_INTEGER
    this.#retryAfterS = opts.retryAfterS ?? 30
    this.#tickMs = opts.tickMs ?? 1000
    if (opts.onAcquired !== undefined) this.#acquiredListeners.push(opts.onAcquired)
  }

  /** Calls `listener` with the wait of every slot granted from now on (metrics). */
  onAcquired (listener: (waitedMs: number) => void): void {
    this.#acquiredListeners.push(listener)
  }

  get active (): number { return this.#holders.size }
  get waiting (): number { return this.#waiters.size }

  /** True when a new run would have to wait and the waiting line is already at its limit. */
  isFull (): boolean {
    return this.#holders.size >= this.maxConcurrent && this.#waiters.size >= this.maxWaiting
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

  /**
   * Whether this client may queue one more run: undefined if so, else the 429 TOO_MANY_WAITING
   * to answer (a refusal is counted). A route asks before its stream starts.
   */
  refusal (client: QueueClient = ANONYMOUS_CLIENT, lang: 'de' | 'en' = 'en'): AppError | undefined {
    if (this.#holders.size < this.maxConcurrent && this.#waiters.size === 0) return undefined
    const n = this.#waiters.waitingOf(client)
    if (n.browser < this.maxWaitingPerBrowser && n.address < this.maxWaitingPerAddress) return undefined
    this.counters.rejected++
    const which = n.browser >= this.maxWaitingPerBrowser ? 'browser' : 'address'
    return new AppError('TOO_MANY_WAITING', TOO_MANY[which][lang], 429, { retry_after_s: this.#retryAfterS })
  }

  acquire (runId: string, opts: AcquireOptions): Promise<Slot> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    if (opts.signal.aborted) return Promise.reject(abortError(opts.signal))
    const client = opts.client ?? ANONYMOUS_CLIENT
    if (this.#holders.size < this.maxConcurrent && this.#waiters.size === 0) {
      const slot = this.#grant(runId, Date.now())
      this.#emitAcquired(slot.waitedMs)
      return Promise.resolve(slot)
    }
    if (this.#waiters.size >= this.maxWaiting) {
      this.counters.rejected++
      return Promise.reject(new AppError('QUEUE_FULL', 'The waiting line is full', 503))
    }
    const refused = this.refusal(client)
    if (refused !== undefined) return Promise.reject(refused)
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#waiters.remove(waiter)) return
        this.counters.cancelled++
        this.#stopTickerIfIdle()
        reject(abortError(opts.signal))
      }
      const waiter: Waiter = {
        runId,
        client,
        enqueuedAt: Date.now(),
        resolve,
        reject,
        onWait: opts.onWait,
        detach: () => opts.signal.removeEventListener('abort', onAbort)
      }
      opts.signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
      this.#notify(waiter, this.#waiters.order().indexOf(waiter) + 1, Date.now())
      this.#startTicker()
    })
  }

  snapshot (): QueueSnapshot {
    const now = Date.now()
    const runs: QueueSnapshot['runs'] = []
    for (const h of this.#holders) runs.push({ run_id: h.runId, state: 'active', position: null, wait_time_ms: 0 })
    this.#waiters.order().forEach((w, i) => runs.push({ run_id: w.runId, state: 'waiting', position: i + 1, wait_time_ms: now - w.enqueuedAt }))
    return { max_concurrent: this.maxConcurrent, active: this.#holders.size, waiting: this.#waiters.size, max_waiting: this.maxWaiting, runs }
  }

  /** Refuses new runs and rejects every waiter (shutdown). Held slots are released by their runs. */
  close (err: AppError): void {
    this.#closed = err
    const waiters = this.#waiters.drain()
    for (const w of waiters) { w.detach(); w.reject(err) }
    this.#stopTickerIfIdle()
  }

  /** Hands out a slot. Listeners are told afterwards (#emitAcquired), so none can lose it. */
  #grant (runId: string, enqueuedAt: number): Slot {
    const holder: Holder = { runId, since: Date.now() }
    this.#holders.add(holder)
    this.counters.acquired++
    const waitedMs = holder.since - enqueuedAt
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

  /** Tells the listeners (metrics) of a granted slot; a listener that throws costs nothing but its own call. */
  #emitAcquired (waitedMs: number): void {
    for (const listener of this.#acquiredListeners) {
      try { listener(waitedMs) } catch { /* the slot is already the run's */ }
    }
  }

  #next (): void {
    const granted: number[] = []
    while (this.#holders.size < this.maxConcurrent && this.#waiters.size > 0) {
      const w = this.#waiters.shift() as Waiter
      w.detach()
      const slot = this.#grant(w.runId, w.enqueuedAt)
      w.resolve(slot)
      granted.push(slot.waitedMs)
    }
    this.#stopTickerIfIdle()
    for (const ms of granted) this.#emitAcquired(ms)
  }

  #notify (w: Waiter, position: number, now: number): void {
    if (w.onWait === undefined) return
    try {
      w.onWait({ position, waitMs: now - w.enqueuedAt, queueLength: this.#waiters.size })
    } catch {
      // A listener's failure is its run's business, never the queue's.
    }
  }

  #startTicker (): void {
    if (this.#ticker !== undefined) return
    this.#ticker = setInterval(() => {
      const now = Date.now()
      this.#waiters.order().forEach((w, i) => this.#notify(w, i + 1, now))
    }, this.#tickMs)
    this.#ticker.unref()
  }

  #stopTickerIfIdle (): void {
    if (this.#waiters.size === 0 && this.#ticker !== undefined) {
      clearInterval(this.#ticker)
      this.#ticker = undefined
    }
  }
}

const TOO_MANY = {
  browser: {
    de: 'Du hast schon mehrere Läufe in der Warteschlange. Warte, bis einer fertig ist, und versuche es dann noch einmal.',
    en: 'You already have several runs waiting. Wait until one has finished, then try again.'
  },
  address: {
    de: 'Von diesem Netz warten schon sehr viele Läufe. Bitte versuche es gleich noch einmal.',
    en: 'Very many runs from this network are already waiting. Please try again shortly.'
  }
}

function abortError (signal: AbortSignal): AppError {
  const reason = signal.reason as unknown
  return reason instanceof AppError ? reason : new AppError('ABORTED', 'The run left the queue', 499)
}
