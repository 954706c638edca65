import { Pool, type Dispatcher } from 'undici'
import { AppError, UpstreamTimeoutError } from '../errors.js'
import { CallGuard, readBounded, statusError } from './call.js'
import { readPushed, type PieceSink } from './push.js'

export type { PieceSink } from './push.js'

export interface OllamaTimeouts {
  connectMs: number
  firstTokenMs: number
  idleMs: number
  totalMs: number
}

export interface OllamaClientOptions {
  baseUrl: string
  /** Sockets the pool may open: the model slots plus a little room for /api/tags and friends. */
  connections: number
  timeouts: OllamaTimeouts
  /** Inject a dispatcher (tests); the client then does not own or close it. */
  dispatcher?: Dispatcher
  /** How long to wait for the end of a response after its `done` line (default 1000 ms). */
  drainGraceMs?: number
}

/**
 * Whether a thinking model reasons before it answers (Ollama 0.9+). Unset, Ollama 0.12.4+
 * lets a thinking model think, so the client sends `false` unless the caller asks otherwise.
 */
export type Think = boolean | 'low' | 'medium' | 'high'

export interface ChatMessage { role: 'system' | 'user' | 'assistant', content: string }

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  /** `'json'` or a JSON schema: Ollama's structured output. */
  format?: 'json' | Record<string, unknown>
  options?: Record<string, unknown>
  keep_alive?: string | number
  /** Default `false`: the callers want an answer, not reasoning. */
  think?: Think
}

export interface GenerateRequest {
  model: string
  prompt: string
  system?: string
  format?: 'json' | Record<string, unknown>
  options?: Record<string, unknown>
  keep_alive?: string | number
  /** Default `false`, as for chat. */
  think?: Think
}

export interface StreamStats {
  model: string
  done_reason: string | undefined
  eval_count: number | undefined
  eval_duration_ns: number | undefined
  prompt_eval_count: number | undefined
  total_duration_ns: number | undefined
  tokens_per_second: number | undefined
}

export interface PoolStats { connected: number, free: number, pending: number, queued: number, running: number, size: number }

/** A streamed model answer: iterate the text pieces, then read `stats`. */
export interface TokenStream extends AsyncIterable<string> {
  readonly stats: StreamStats | undefined
}

export interface ModelTag { name: string, model?: string, size?: number }

/** How one streamed model call ended: `ok` or the error code; `ttftMs` once a first answer piece came (thinking does not count). */
export interface CallOutcome { path: string, model: string, outcome: string, ttftMs: number | undefined, durationMs: number }

type Pick = (line: Record<string, unknown>) => unknown

// Only the answer: reasoning (`message.thinking`, `thinking`) is read as activity, never passed on.
const pickChat: Pick = (line) => (line.message as { content?: unknown } | undefined)?.content
const pickGenerate: Pick = (line) => line.response

/**
 * Ollama over HTTP with undici. Cancelling is closing: when the caller's signal aborts,
 * undici destroys the socket and Ollama stops generating. Every response body is either
 * read to the end or destroyed, so no socket is left half-read in the pool.
 */
export class OllamaClient {
  readonly baseUrl: string
  readonly timeouts: OllamaTimeouts
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  readonly #listeners: Array<(o: CallOutcome) => void> = []
  readonly #drainGraceMs: number

  constructor (opts: OllamaClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.timeouts = opts.timeouts
    this.#ownsDispatcher = opts.dispatcher === undefined
    this.#drainGraceMs = opts.drainGraceMs ?? 1000
    this.#dispatcher = opts.dispatcher ?? new Pool(this.baseUrl, {
      connections: opts.connections,
      connect: { timeout: opts.timeouts.connectMs },
      // Our own timers below give typed errors; undici's would fire first with generic ones.
      headersTimeout: 0,
      bodyTimeout: 0
    })
  }

  /** The pool's live counters: `running` is requests holding a socket right now. */
  poolStats (): PoolStats | undefined {
    const stats = (this.#dispatcher as Partial<Pool>).stats
    if (stats === undefined) return undefined
    return { connected: stats.connected, free: stats.free, pending: stats.pending, queued: stats.queued, running: stats.running, size: stats.size }
  }

  /** Calls `listener` when each streamed call ends (metrics). */
  onOutcome (listener: (o: CallOutcome) => void): void {
    this.#listeners.push(listener)
  }

  chatStream (req: ChatRequest, signal: AbortSignal): TokenStream {
    return this.#stream('/api/chat', { ...req, think: req.think ?? false, stream: true }, req.model, pickChat, signal)
  }

  generateStream (req: GenerateRequest, signal: AbortSignal): TokenStream {
    return this.#stream('/api/generate', { ...req, think: req.think ?? false, stream: true }, req.model, pickGenerate, signal)
  }

  /** The whole answer of a chat call, still streamed underneath so the idle timeout applies. */
  async chat (req: ChatRequest, signal: AbortSignal): Promise<{ text: string, stats: StreamStats | undefined }> {
    const stream = this.chatStream(req, signal)
    let text = ''
    for await (const piece of stream) text += piece
    return { text, stats: stream.stats }
  }

  async version (signal?: AbortSignal): Promise<string> {
    const body = await this.#getJson('/api/version', signal) as { version?: unknown }
    return typeof body.version === 'string' ? body.version : 'unknown'
  }

  async tags (signal?: AbortSignal): Promise<ModelTag[]> {
    const body = await this.#getJson('/api/tags', signal) as { models?: unknown }
    return Array.isArray(body.models) ? body.models.filter((m): m is ModelTag => typeof m?.name === 'string') : []
  }

  /** The models Ollama holds in memory right now (`/api/ps`), by name. */
  async ps (signal?: AbortSignal): Promise<string[]> {
    const body = await this.#getJson('/api/ps', signal) as { models?: unknown }
    return Array.isArray(body.models) ? body.models.map((m: { name?: unknown }) => m?.name).filter((n): n is string => typeof n === 'string') : []
  }

  async close (): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.destroy()
  }

  async #getJson (path: string, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.timeouts.connectMs + 5000)
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout])
    let res: Dispatcher.ResponseData
    try {
      res = await this.#dispatcher.request({ origin: this.baseUrl, path, method: 'GET', signal: combined })
    } catch (err) {
      throw this.#mapTransportError(err, '')
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text().catch(() => '')
      throw new AppError('UPSTREAM_ERROR', `Ollama answered ${res.statusCode} on ${path}: ${text.slice(0, 200)}`, 502)
    }
    try {
      return await res.body.json()
    } catch {
      throw new AppError('UPSTREAM_BAD_RESPONSE', `Ollama answered ${path} with something that is not JSON`, 502)
    }
  }

  /**
   * The hot path: each answer piece goes to `onPiece` from the body's data callback, with no
   * generator or promise per token; return a promise from it only when full (the body then
   * pauses). Resolves with the stats once the answer is complete.
   */
  chatPush (req: ChatRequest, signal: AbortSignal, onPiece: PieceSink): Promise<StreamStats> {
    return this.#call('/api/chat', { ...req, think: req.think ?? false, stream: true }, req.model, pickChat, signal, onPiece)
  }

  async #call (path: string, payload: { options?: Record<string, unknown>, [key: string]: unknown }, model: string, pick: Pick, signal: AbortSignal, onPiece: PieceSink): Promise<StreamStats> {
    const guard = new CallGuard(this.timeouts, model, signal)
    let outcome = 'ok'
    const started = performance.now()
    let ttftMs: number | undefined
    try {
      let res: Dispatcher.ResponseData
      try {
        res = await this.#dispatcher.request({
          origin: this.baseUrl,
          path,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: guard.signal
        })
      } catch (err) {
        throw guard.reason() ?? this.#mapTransportError(err, model)
      }
      if (res.statusCode !== 200) {
        const text = await readBounded(res.body).catch(() => '')
        if (!res.body.destroyed) res.body.destroy()
        throw statusError(res.statusCode, text, model)
      }
      return await readPushed(res.body, {
        guard,
        model,
        pick,
        options: payload.options,
        drainGraceMs: this.#drainGraceMs,
        onPiece,
        onFirst: () => { ttftMs = performance.now() - started },
        mapError: (err) => this.#mapTransportError(err, model)
      })
    } catch (err) {
      outcome = (err as { code?: string }).code ?? 'UPSTREAM_ERROR'
      throw err
    } finally {
      guard.dispose()
      // Listeners after the body is settled, each guarded: a throwing one must not leak a body or mask the result.
      const o: CallOutcome = { path, model, outcome, ttftMs, durationMs: performance.now() - started }
      for (const listener of this.#listeners) {
        try { listener(o) } catch {}
      }
    }
  }

  /**
   * The pull form over the push path, for callers that iterate (the JSON routes, `chat`).
   * Starts on the first `next()`; a caller that leaves early cancels the call.
   */
  #stream (path: string, payload: { options?: Record<string, unknown>, [key: string]: unknown }, model: string, pick: Pick, signal: AbortSignal): TokenStream {
    const client = this
    let stats: StreamStats | undefined
    async function * run (): AsyncGenerator<string> {
      const own = new AbortController()
      const combined = AbortSignal.any([signal, own.signal])
      const queue: string[] = []
      let wake: (() => void) | undefined
      let resumeProducer: (() => void) | undefined
      let ended = false
      let failure: unknown
      const call = client.#call(path, payload, model, pick, combined, (piece) => {
        queue.push(piece)
        wake?.()
        // A slow reader holds the body after a few pieces, as a pulled generator did.
        if (queue.length >= 8) return new Promise<void>((resolve) => { resumeProducer = resolve })
      }).then((s) => { stats = s }, (err: unknown) => { failure = err }).finally(() => { ended = true; wake?.() })
      try {
        while (true) {
          if (queue.length > 0) {
            const piece = queue.shift() as string
            if (queue.length === 0 && resumeProducer !== undefined) { const r = resumeProducer; resumeProducer = undefined; r() }
            yield piece
            continue
          }
          if (ended) {
            if (failure !== undefined) throw failure
            return
          }
          await new Promise<void>((resolve) => { wake = resolve })
          wake = undefined
        }
      } finally {
        if (!ended) {
          own.abort(new AppError('ABORTED', 'The caller stopped reading', 499))
          await call
        }
      }
    }
    const iterable = run()
    return {
      [Symbol.asyncIterator]: () => iterable,
      get stats () { return stats }
    }
  }

  #mapTransportError (err: unknown, model: string): AppError {
    if (err instanceof AppError) return err
    const e = err as { code?: string, name?: string, message?: string }
    switch (e.code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new UpstreamTimeoutError('connect', this.timeouts.connectMs, model)
      case 'ECONNREFUSED':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EHOSTUNREACH':
        return new AppError('UPSTREAM_UNAVAILABLE', `Ollama is not reachable at ${this.baseUrl} (${e.code})`, 502)
      case 'UND_ERR_SOCKET':
      case 'ECONNRESET':
      case 'EPIPE':
        return new AppError('UPSTREAM_CLOSED', `The connection to Ollama broke off (${e.code})`, 502, model === '' ? undefined : { model })
    }
    if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') return new AppError('ABORTED', 'The model call was cancelled', 499)
    if (e.name === 'TimeoutError') return new AppError('UPSTREAM_UNAVAILABLE', `Ollama at ${this.baseUrl} did not answer in time`, 502)
    return new AppError('UPSTREAM_ERROR', `Ollama call failed: ${e.message ?? String(err)}`, 502)
  }
}
