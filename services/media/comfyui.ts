import { randomUUID } from 'node:crypto'
import { Pool, WebSocket, type Dispatcher, type MessageEvent } from 'undici'
import { AppError } from '../errors.js'

/** Submitting only queues the job; ComfyUI answers at once unless it is in trouble. */
const SUBMIT_TIMEOUT_MS = 30_000

export interface ComfyFile { filename: string, subfolder: string, type: string }
export interface ComfyResult { promptId: string, files: Array<ComfyFile & { data: Buffer }>, progress: 'websocket' | 'polling' }

export interface ComfyUiOptions {
  baseUrl: string
  timeoutMs: number
  /** Poll interval of GET /history when no websocket is available. */
  pollMs?: number
  /** Use ComfyUI's websocket for progress when it offers one (default true). */
  websocket?: boolean
  dispatcher?: Dispatcher
}

/**
 * ComfyUI over its HTTP API: submit a workflow graph (POST /prompt), follow it over the
 * websocket (/ws) or, when there is none, by polling GET /history/<id>, then fetch the files
 * (GET /view). When the caller's signal aborts or the timeout passes, the job is taken off
 * ComfyUI's queue (POST /queue {delete}) or, if it already runs, interrupted (POST /interrupt).
 */
export class ComfyUiClient {
  readonly baseUrl: string
  readonly #timeoutMs: number
  readonly #pollMs: number
  readonly #websocket: boolean
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean

  constructor (opts: ComfyUiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#timeoutMs = opts.timeoutMs
    this.#pollMs = opts.pollMs ?? 500
    this.#websocket = opts.websocket ?? true
    this.#ownsDispatcher = opts.dispatcher === undefined
    this.#dispatcher = opts.dispatcher ?? new Pool(this.baseUrl, { connections: 4, connect: { timeout: 10_000 } })
  }

  async close (): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.destroy()
  }

  async run (workflow: Record<string, unknown>, signal: AbortSignal): Promise<ComfyResult> {
    const clientId = randomUUID()
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const combined = AbortSignal.any([signal, timeout])
    const ws = this.#websocket ? await this.#openSocket(clientId, combined) : undefined
    let promptId: string | undefined
    try {
      // The submit is not cut by the caller's signal: a job ComfyUI queued while its answer
      // was cut off would run for nobody, since only its prompt_id lets us take it off again.
      // It has its own short timeout; a caller that left meanwhile is handled right after.
      const submitted = await this.#json('POST', '/prompt', { prompt: workflow, client_id: clientId }, AbortSignal.any([timeout, AbortSignal.timeout(SUBMIT_TIMEOUT_MS)])) as { prompt_id?: string, error?: unknown, node_errors?: unknown }
      if (typeof submitted.prompt_id !== 'string') throw new AppError('UPSTREAM_BAD_RESPONSE', 'ComfyUI accepted the workflow without a prompt_id', 502)
      promptId = submitted.prompt_id
      if (combined.aborted) throw combined.reason
      if (ws !== undefined) await this.#waitSocket(ws, promptId, combined)
      const entry = await this.#waitHistory(promptId, combined, ws === undefined ? this.#pollMs : 100)
      const files: ComfyResult['files'] = []
      for (const file of outputFiles(entry)) {
        const q = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type })
        files.push({ ...file, data: await this.#bytes(`/view?${q.toString()}`, combined) })
      }
      if (files.length === 0) throw new AppError('UPSTREAM_ERROR', 'ComfyUI finished the workflow without an output file', 502)
      return { promptId, files, progress: ws === undefined ? 'polling' : 'websocket' }
    } catch (err) {
      if (promptId !== undefined && combined.aborted) await this.cancel(promptId)
      if (timeout.aborted && !signal.aborted) throw new AppError('UPSTREAM_TIMEOUT', `ComfyUI did not finish within ${this.#timeoutMs} ms`, 504, { phase: 'total' })
      if (signal.aborted) throw signal.reason instanceof AppError ? signal.reason : new AppError('ABORTED', 'The media job was cancelled', 499)
      throw mapError(err, this.baseUrl)
    } finally {
      ws?.close()
    }
  }

  /** Whether ComfyUI answers, and how many jobs it runs and holds (for /ready). */
  async status (): Promise<{ reachable: boolean, url: string, running?: number, pending?: number, error?: string }> {
    try {
      const q = await this.#json('GET', '/queue', undefined, AbortSignal.timeout(3000)) as { queue_running?: unknown[], queue_pending?: unknown[] }
      return { reachable: true, url: this.baseUrl, running: q.queue_running?.length ?? 0, pending: q.queue_pending?.length ?? 0 }
    } catch (err) {
      return { reachable: false, url: this.baseUrl, error: mapError(err, this.baseUrl).message }
    }
  }

  /** ComfyUI's node classes and their inputs (GET /object_info), or undefined when it does not answer. */
  async objectInfo (): Promise<Record<string, { input?: { required?: Record<string, unknown>, optional?: Record<string, unknown> } }> | undefined> {
    try {
      return await this.#json('GET', '/object_info', undefined, AbortSignal.timeout(5000)) as Record<string, { input?: { required?: Record<string, unknown> } }>
    } catch {
      return undefined
    }
  }

  /** Takes a job off the queue, or interrupts it when it is the one running. Never throws. */
  async cancel (promptId: string): Promise<void> {
    const quick = AbortSignal.timeout(5000)
    try {
      const queue = await this.#json('GET', '/queue', undefined, quick) as { queue_running?: unknown[][] }
      const running = (queue.queue_running ?? []).some((item) => item[1] === promptId)
      if (running) await this.#json('POST', '/interrupt', { prompt_id: promptId }, quick)
      else await this.#json('POST', '/queue', { delete: [promptId] }, quick)
    } catch {
      // ComfyUI gone or the job already finished: nothing left to cancel.
    }
  }

  async #openSocket (clientId: string, signal: AbortSignal): Promise<WebSocket | undefined> {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/ws?clientId=${clientId}`
    return await new Promise((resolve) => {
      let ws: WebSocket
      try { ws = new WebSocket(url) } catch { resolve(undefined); return }
      const done = (value: WebSocket | undefined): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      }
      const onAbort = (): void => { ws.close(); done(undefined) }
      const timer = setTimeout(() => { ws.close(); done(undefined) }, 3000)
      signal.addEventListener('abort', onAbort, { once: true })
      ws.addEventListener('open', () => done(ws), { once: true })
      ws.addEventListener('error', () => done(undefined), { once: true })
    })
  }

  /** Resolves when the websocket says our prompt finished; rejects on its error or an abort. */
  async #waitSocket (ws: WebSocket, promptId: string, signal: AbortSignal): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        ws.removeEventListener('message', onMessage)
        ws.removeEventListener('close', onClose)
        signal.removeEventListener('abort', onAbort)
      }
      const onAbort = (): void => { cleanup(); reject(signal.reason) }
      // The socket closing early is not a failure: /history still knows the outcome.
      const onClose = (): void => { cleanup(); resolve() }
      const onMessage = (ev: MessageEvent): void => {
        if (typeof ev.data !== 'string') return
        let msg: { type?: string, data?: { prompt_id?: string, node?: unknown, exception_message?: string } }
        try { msg = JSON.parse(ev.data) } catch { return }
        if (msg.data?.prompt_id !== promptId) return
        if (msg.type === 'execution_error') { cleanup(); reject(new AppError('UPSTREAM_ERROR', `ComfyUI failed: ${msg.data.exception_message ?? 'execution error'}`, 502)) }
        if (msg.type === 'execution_interrupted') { cleanup(); reject(new AppError('UPSTREAM_ERROR', 'ComfyUI interrupted the job', 502)) }
        if (msg.type === 'execution_success' || (msg.type === 'executing' && msg.data.node === null)) { cleanup(); resolve() }
      }
      if (signal.aborted) { onAbort(); return }
      signal.addEventListener('abort', onAbort, { once: true })
      ws.addEventListener('message', onMessage)
      ws.addEventListener('close', onClose)
    })
  }

  async #waitHistory (promptId: string, signal: AbortSignal, pollMs: number): Promise<Record<string, unknown>> {
    for (;;) {
      const history = await this.#json('GET', `/history/${encodeURIComponent(promptId)}`, undefined, signal) as Record<string, Record<string, unknown>>
      const entry = history[promptId]
      const status = entry?.status as { status_str?: string, completed?: boolean, messages?: unknown[] } | undefined
      if (entry !== undefined && status?.status_str === 'error') throw new AppError('UPSTREAM_ERROR', `ComfyUI failed: ${JSON.stringify(status.messages ?? []).slice(0, 300)}`, 502)
      if (entry !== undefined && (status === undefined || status.completed === true)) return entry
      await sleep(pollMs, signal)
    }
  }

  async #json (method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const res = await this.#dispatcher.request({
      origin: this.baseUrl,
      path,
      method,
      signal,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    })
    const text = await res.body.text()
    if (res.statusCode >= 400) {
      throw new AppError(res.statusCode === 503 ? 'UPSTREAM_BUSY' : 'UPSTREAM_ERROR', `ComfyUI answered ${res.statusCode} on ${path}: ${text.slice(0, 300)}`, 502)
    }
    if (text.trim() === '') return {}
    try { return JSON.parse(text) } catch { throw new AppError('UPSTREAM_BAD_RESPONSE', `ComfyUI answered ${path} with something that is not JSON`, 502) }
  }

  async #bytes (path: string, signal: AbortSignal): Promise<Buffer> {
    const res = await this.#dispatcher.request({ origin: this.baseUrl, path, method: 'GET', signal })
    if (res.statusCode !== 200) {
      await res.body.dump().catch(() => {})
      throw new AppError('UPSTREAM_ERROR', `ComfyUI answered ${res.statusCode} on ${path}`, 502)
    }
    return Buffer.from(await res.body.arrayBuffer())
  }
}

function outputFiles (entry: Record<string, unknown>): ComfyFile[] {
  const outputs = (entry.outputs ?? {}) as Record<string, Record<string, unknown>>
  const files: ComfyFile[] = []
  for (const node of Object.values(outputs)) {
    for (const key of ['images', 'gifs', 'audio', 'videos']) {
      const list = node[key]
      if (!Array.isArray(list)) continue
      for (const f of list as Array<Partial<ComfyFile>>) {
        if (typeof f.filename === 'string' && (f.type ?? 'output') !== 'temp') files.push({ filename: f.filename, subfolder: f.subfolder ?? '', type: f.type ?? 'output' })
      }
    }
  }
  return files
}

function mapError (err: unknown, baseUrl: string): AppError {
  if (err instanceof AppError) return err
  const e = err as { code?: string, message?: string }
  if (e.code === 'ECONNREFUSED' || e.code === 'UND_ERR_CONNECT_TIMEOUT') return new AppError('UPSTREAM_UNAVAILABLE', `ComfyUI is not reachable at ${baseUrl} (${e.code})`, 502)
  if (e.code === 'UND_ERR_SOCKET' || e.code === 'ECONNRESET') return new AppError('UPSTREAM_CLOSED', `The connection to ComfyUI broke off (${e.code})`, 502)
  return new AppError('UPSTREAM_ERROR', `ComfyUI call failed: ${e.message ?? String(err)}`, 502)
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    if (signal.aborted) { reject(signal.reason); return }
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
