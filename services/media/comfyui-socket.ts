import { WebSocket, type MessageEvent } from 'undici'
import { AppError } from '../errors.js'
import { describeExecutionError } from './outputs.js'

/** How a job ended according to the websocket. */
export type SocketOutcome = { kind: 'success' } | { kind: 'error', message: string } | { kind: 'interrupted' }

/** Prompt ids whose outcome is kept while nobody asks (one socket serves one run; a bound anyway). */
const MAX_BUFFERED = 64

/**
 * ComfyUI's /ws for one client id. The message handler is attached the moment the socket is
 * made, before anything is submitted, and every terminal event is kept by `prompt_id`: a fully
 * cached graph finishes at once (execution_start, execution_cached, execution_success in one
 * go, possibly before the answer to POST /prompt arrives), and that must not be missed.
 */
export class ComfySocket {
  readonly #ws: WebSocket
  readonly #outcomes = new Map<string, SocketOutcome>()
  readonly #waiters = new Set<() => void>()
  #closed = false

  private constructor (ws: WebSocket) {
    this.#ws = ws
    ws.addEventListener('message', (ev: MessageEvent) => { this.#onMessage(ev) })
    ws.addEventListener('close', () => { this.#closed = true; this.#wake() })
    ws.addEventListener('error', () => { this.#closed = true; this.#wake() })
  }

  /** Opens /ws?clientId=…; undefined when ComfyUI offers none (then the client polls). */
  static async open (baseUrl: string, clientId: string, signal: AbortSignal, timeoutMs = 3000): Promise<ComfySocket | undefined> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/ws?clientId=${encodeURIComponent(clientId)}`
    let ws: WebSocket
    try { ws = new WebSocket(url) } catch { return undefined }
    // Listening starts here, synchronously after construction: nothing can arrive unheard.
    const socket = new ComfySocket(ws)
    return await new Promise((resolve) => {
      const done = (value: ComfySocket | undefined): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (value === undefined) ws.close()
        resolve(value)
      }
      const onAbort = (): void => { done(undefined) }
      const timer = setTimeout(() => { done(undefined) }, timeoutMs)
      signal.addEventListener('abort', onAbort, { once: true })
      ws.addEventListener('open', () => { done(socket) }, { once: true })
      ws.addEventListener('error', () => { done(undefined) }, { once: true })
      ws.addEventListener('close', () => { done(undefined) }, { once: true })
    })
  }

  get closed (): boolean { return this.#closed }

  /**
   * Resolves with the job's outcome, or with undefined when the socket drops first (the caller
   * then asks /history). Rejects when the signal aborts.
   */
  async wait (promptId: string, signal: AbortSignal): Promise<SocketOutcome | undefined> {
    return await new Promise((resolve, reject) => {
      const check = (): void => {
        const outcome = this.#outcomes.get(promptId)
        if (outcome !== undefined) { cleanup(); this.#outcomes.delete(promptId); resolve(outcome); return }
        if (this.#closed) { cleanup(); resolve(undefined) }
      }
      const onAbort = (): void => { cleanup(); reject(signal.reason) }
      const cleanup = (): void => { this.#waiters.delete(check); signal.removeEventListener('abort', onAbort) }
      if (signal.aborted) { reject(signal.reason); return }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(check)
      check()
    })
  }

  close (): void {
    this.#closed = true
    try { this.#ws.close() } catch {}
    this.#wake()
  }

  #onMessage (ev: MessageEvent): void {
    // Binary frames are preview images; only JSON text frames carry job events.
    if (typeof ev.data !== 'string') return
    let msg: { type?: unknown, data?: Record<string, unknown> }
    try { msg = JSON.parse(ev.data) } catch { return }
    const data = msg.data
    const promptId = data?.prompt_id
    if (typeof promptId !== 'string' || data === undefined) return
    let outcome: SocketOutcome | undefined
    if (msg.type === 'execution_success' || (msg.type === 'executing' && data.node === null)) outcome = { kind: 'success' }
    else if (msg.type === 'execution_error') outcome = { kind: 'error', message: describeExecutionError(data) }
    else if (msg.type === 'execution_interrupted') outcome = { kind: 'interrupted' }
    if (outcome === undefined || this.#outcomes.has(promptId)) return
    this.#outcomes.set(promptId, outcome)
    if (this.#outcomes.size > MAX_BUFFERED) this.#outcomes.delete(this.#outcomes.keys().next().value as string)
    this.#wake()
  }

  #wake (): void {
    for (const w of [...this.#waiters]) w()
  }
}

/** The error for an outcome that is not success. */
export function outcomeError (outcome: SocketOutcome): AppError | undefined {
  if (outcome.kind === 'error') return new AppError('UPSTREAM_ERROR', outcome.message, 502)
  if (outcome.kind === 'interrupted') return new AppError('UPSTREAM_ERROR', 'ComfyUI interrupted the job', 502)
  return undefined
}
