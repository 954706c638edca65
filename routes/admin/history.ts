/** One minute of the queue, as the room view's chart draws it. */
export interface MinuteSample {
  /** Start of the minute (ms since the epoch). */
  t: number
  /** Most runs waiting at once in this minute (sampled). */
  waiting_max: number
  /** Most slots in use at once in this minute (sampled). */
  active_max: number
  /** Slots granted in this minute. */
  acquired: number
  /** Mean and longest wait of the slots granted in this minute (0 when none). */
  wait_avg_ms: number
  wait_max_ms: number
}

/**
 * A ring buffer of one-minute samples of the slot queue: the last hour, in memory. Framework
 * free; the admin routes feed it (a sample every few seconds, each granted wait) and read it.
 */
export class QueueHistory {
  readonly #minutes: MinuteSample[] = []
  readonly #size: number
  #waitSum = 0

  constructor (size = 60) {
    this.#size = size
  }

  /** The queue's depth and active slots right now. */
  sample (waiting: number, active: number, now = Date.now()): void {
    const m = this.#current(now)
    m.waiting_max = Math.max(m.waiting_max, waiting)
    m.active_max = Math.max(m.active_max, active)
  }

  /** A slot was granted after `waitedMs`. */
  acquired (waitedMs: number, now = Date.now()): void {
    const m = this.#current(now)
    m.acquired++
    this.#waitSum += waitedMs
    m.wait_avg_ms = Math.round(this.#waitSum / m.acquired)
    m.wait_max_ms = Math.max(m.wait_max_ms, waitedMs)
  }

  /** The minutes of the last hour, oldest first; the current minute last. */
  snapshot (now = Date.now()): MinuteSample[] {
    const from = minuteOf(now) - (this.#size - 1) * 60_000
    return this.#minutes.filter((m) => m.t >= from).map((m) => ({ ...m }))
  }

  #current (now: number): MinuteSample {
    const t = minuteOf(now)
    const last = this.#minutes[this.#minutes.length - 1]
    if (last !== undefined && last.t === t) return last
    const m: MinuteSample = { t, waiting_max: 0, active_max: 0, acquired: 0, wait_avg_ms: 0, wait_max_ms: 0 }
    this.#minutes.push(m)
    this.#waitSum = 0
    while (this.#minutes.length > this.#size) this.#minutes.shift()
    return m
  }
}

function minuteOf (ms: number): number {
  return ms - (ms % 60_000)
}
