/** One open event stream, as the registry sees it. */
export interface OpenStream {
  /** `sse` for an event stream, `json` for a JSON run waiting for its answer. */
  kind: 'sse' | 'json'
  /** When the stream last sent a byte. */
  lastWrite: number
  /** Writes a keep-alive comment. */
  ping: () => void
  /** Ends the run (shutdown); the run sends its last event and closes the stream. */
  abort: (reason: Error) => void
  /** Settles when the stream is closed. */
  closed: Promise<void>
  /** The run this stream serves, when the route knows it (the room view lists and stops runs by it). */
  runId?: string
  /** The stage the run last announced (`stage_start`), for the room view. */
  stage?: number
  /** When the stream opened (ms since the epoch). */
  openedAt?: number
}

export interface StreamRegistryOptions {
  /** A comment line goes out after this much silence. */
  pingMs: number
}

/**
 * Every open stream of the server. One shared timer sends the `: ping` keep-alives (a
 * Cloudflare tunnel cuts a response that is silent for 100 s), so an idle stream costs an
 * entry in a Set, not a timer of its own; shutdown ends all of them.
 */
export class StreamRegistry {
  readonly #streams = new Set<OpenStream>()
  readonly #pingMs: number
  #timer: NodeJS.Timeout | undefined

  constructor (opts: StreamRegistryOptions) {
    this.#pingMs = opts.pingMs
  }

  get size (): number { return this.#streams.size }

  count (kind: OpenStream['kind']): number {
    let n = 0
    for (const s of this.#streams) if (s.kind === kind) n++
    return n
  }

  add (stream: OpenStream): () => void {
    this.#streams.add(stream)
    if (this.#timer === undefined) {
      // Check often enough that no stream stays silent much past pingMs.
      this.#timer = setInterval(() => this.#pingSilent(), Math.max(5, Math.floor(this.#pingMs / 5)))
      this.#timer.unref()
    }
    return () => {
      this.#streams.delete(stream)
      if (this.#streams.size === 0 && this.#timer !== undefined) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  /** Every open stream that belongs to a run, oldest first. */
  runs (): OpenStream[] {
    return [...this.#streams].filter((s) => s.runId !== undefined)
  }

  /** Aborts the stream of one run (a teacher's Stop); false when no such run is open. */
  /** A run that turned out to continue another takes that run's id (the room view shows and stops it by that). */
  rename (from: string, to: string): void {
    for (const s of this.#streams) if (s.runId === from) s.runId = to
  }

  abortRun (runId: string, reason: Error): boolean {
    let found = false
    for (const s of this.#streams) {
      if (s.runId === runId) { s.abort(reason); found = true }
    }
    return found
  }

  /** Aborts every stream with `reason` and waits up to `graceMs` for them to close. */
  async closeAll (reason: Error, graceMs: number): Promise<void> {
    const streams = [...this.#streams]
    for (const s of streams) s.abort(reason)
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled(streams.map((s) => s.closed)),
      new Promise((resolve) => { timer = setTimeout(resolve, graceMs) })
    ])
    clearTimeout(timer)
  }

  #pingSilent (): void {
    const now = Date.now()
    for (const s of this.#streams) {
      if (now - s.lastWrite >= this.#pingMs) {
        s.lastWrite = now
        s.ping()
      }
    }
  }
}
