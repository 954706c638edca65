import type { Dispatcher } from 'undici'
import { AppError, UpstreamTimeoutError, type TimeoutPhase } from '../errors.js'
import type { OllamaTimeouts, StreamStats } from './client.js'

/**
 * The per-call timers. One internal controller is aborted by the caller's signal or by a
 * timeout; `reason()` tells which, so the error the caller sees names the real cause.
 */
export class CallGuard {
  readonly #controller = new AbortController()
  readonly #firstTokenTimer: NodeJS.Timeout
  #idleTimer: NodeJS.Timeout | undefined
  readonly #totalTimer: NodeJS.Timeout
  readonly #external: AbortSignal
  readonly #onExternal: () => void
  #timedOut: UpstreamTimeoutError | undefined
  #gotFirst = false

  constructor (readonly timeouts: OllamaTimeouts, readonly model: string, external: AbortSignal) {
    this.#external = external
    this.#onExternal = () => this.#controller.abort(external.reason)
    if (external.aborted) this.#controller.abort(external.reason)
    else external.addEventListener('abort', this.#onExternal, { once: true })
    this.#firstTokenTimer = setTimeout(() => this.#fire('first_token', timeouts.firstTokenMs), timeouts.firstTokenMs)
    this.#totalTimer = setTimeout(() => this.#fire('total', timeouts.totalMs), timeouts.totalMs)
  }

  get signal (): AbortSignal { return this.#controller.signal }

  /** A line arrived: the first ends the first-token phase, each one restarts the idle clock. */
  gotToken (): void {
    if (this.#idleTimer === undefined) {
      clearTimeout(this.#firstTokenTimer)
      this.#idleTimer = setTimeout(() => this.#fire('idle', this.timeouts.idleMs), this.timeouts.idleMs)
    } else {
      this.#idleTimer.refresh()
    }
  }

  reason (): AppError | undefined {
    if (this.#external.aborted) {
      const r = this.#external.reason as unknown
      return r instanceof AppError ? r : new AppError('ABORTED', 'The model call was cancelled', 499)
    }
    return this.#timedOut
  }

  dispose (): void {
    clearTimeout(this.#firstTokenTimer)
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#totalTimer)
    this.#external.removeEventListener('abort', this.#onExternal)
  }

  #fire (phase: TimeoutPhase, ms: number): void {
    if (this.#controller.signal.aborted) return
    this.#timedOut = new UpstreamTimeoutError(phase, ms, this.model)
    this.#controller.abort(this.#timedOut)
  }
}

export async function readBounded (body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = ''
  for await (const chunk of body) {
    text += Buffer.from(chunk as Uint8Array).toString('utf8')
    if (text.length > 8192) { body.destroy(); break }
  }
  return text
}

export function statusError (status: number, text: string, model: string): AppError {
  let detail = text.trim()
  try {
    const parsed = JSON.parse(detail) as { error?: unknown }
    if (typeof parsed.error === 'string') detail = parsed.error
  } catch {}
  if (status === 404) {
    return new AppError('MODEL_NOT_FOUND', `The model "${model}" is not available in Ollama (${detail || 'not found'}). Install it with: ollama pull ${model}`, 502, { model })
  }
  if (status === 503) return new AppError('UPSTREAM_BUSY', `Ollama is busy (its own queue is full): ${detail}`, 503, { model })
  if (status === 400) return new AppError('UPSTREAM_ERROR', `Ollama refused the request for model "${model}": ${detail}`, 502, { model })
  return new AppError('UPSTREAM_ERROR', `Ollama failed with HTTP ${status}: ${detail || 'no detail'}`, 502, { model })
}

export function toStats (line: Record<string, unknown>, fallbackModel: string): StreamStats {
  const num = (v: unknown): number | undefined => typeof v === 'number' ? v : undefined
  const evalCount = num(line.eval_count)
  const evalDuration = num(line.eval_duration)
  return {
    model: typeof line.model === 'string' ? line.model : fallbackModel,
    done_reason: typeof line.done_reason === 'string' ? line.done_reason : undefined,
    eval_count: evalCount,
    eval_duration_ns: evalDuration,
    prompt_eval_count: num(line.prompt_eval_count),
    total_duration_ns: num(line.total_duration),
    tokens_per_second: evalCount !== undefined && evalDuration !== undefined && evalDuration > 0 ? evalCount / (evalDuration / 1e9) : undefined
  }
}

/**
 * Reads the rest of a response whose `done` line came. Go's net/http writes the chunked
 * terminator after the last line, in a separate write; a body destroyed before it arrives
 * takes its socket with it, and the next call pays a new connection. Reading to the natural
 * end gives the socket back to the pool. Bounded: the body is destroyed when the end does not
 * come within `graceMs`, and at once when `signal` aborts.
 */
export async function drainToEnd (rest: AsyncIterator<unknown>, body: Dispatcher.ResponseData['body'], graceMs: number, signal: AbortSignal): Promise<void> {
  if (body.destroyed) return
  const stop = (): void => { body.destroy() }
  const timer = setTimeout(stop, graceMs)
  signal.addEventListener('abort', stop, { once: true })
  if (signal.aborted) stop()
  try {
    // Ollama sends nothing after `done`; anything that came would be ignored.
    let next = await rest.next()
    while (next.done !== true) next = await rest.next()
  } catch {
    body.destroy()
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', stop)
  }
}

/** An empty answer because the token budget ran out (often all of it spent thinking). */
export function truncatedError (model: string, options: Record<string, unknown> | undefined): AppError {
  const budget = options?.num_predict
  const what = typeof budget === 'number' ? `num_predict ${budget}` : 'its default num_predict'
  return new AppError('UPSTREAM_TRUNCATED',
    `Model "${model}" used up its token budget (${what}) before it gave an answer; a thinking model may have spent it all on reasoning (send think: false, or raise max_tokens)`,
    502, { model, num_predict: typeof budget === 'number' ? budget : null })
}
