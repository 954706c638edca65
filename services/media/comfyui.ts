import { randomUUID } from 'node:crypto'
import { FormData, Pool, type Dispatcher } from 'undici'
import { AppError } from '../errors.js'
import { ComfySocket, outcomeError } from './comfyui-socket.js'
import { historyError, outputFiles, type ComfyOutputFile } from './outputs.js'
import type { ObjectInfo } from './availability.js'

/** Submitting only queues the job; ComfyUI answers at once unless it is in trouble. */
const SUBMIT_TIMEOUT_MS = 30_000
/** How long a read of /object_info may take (the availability report keeps its answer a while). */
const OBJECT_INFO_TIMEOUT_MS = 4000

export interface ComfyResult {
  promptId: string
  files: Array<ComfyOutputFile & { data: Buffer }>
  progress: 'websocket' | 'polling'
}

/** What POST /upload/image answers: the name to put into a LoadImage node. */
export interface ComfyUpload { name: string, subfolder: string, type: string }

export interface ComfyUiOptions {
  baseUrl: string
  timeoutMs: number
  /** First wait between GET /history polls; it doubles up to `maxPollMs` (default 250). */
  pollMs?: number
  /** Longest wait between polls (default 5000). */
  maxPollMs?: number
  /** Use ComfyUI's websocket for progress when it offers one (default true). */
  websocket?: boolean
  dispatcher?: Dispatcher
}

/**
 * ComfyUI over its HTTP API, as read in its server.py and execution.py:
 * - we choose the prompt_id (randomUUID) and send it with POST /prompt (honoured since mid-2025:
 *   `prompt_id = str(json_data.get("prompt_id", uuid.uuid4()))`), so even a submit whose answer
 *   never came can be cancelled by id;
 * - the websocket is open and heard before the submit (see ComfySocket);
 * - without a websocket, or after it drops, GET /history/<id> is polled with back-off, and a job
 *   found in neither /history nor /queue is reported lost (ComfyUI restarted: both are in memory);
 * - files come from /view, every saved output of every node.
 * When the caller's signal aborts or the timeout passes, the job is cancelled (see `cancel`).
 */
export class ComfyUiClient {
  readonly baseUrl: string
  readonly #timeoutMs: number
  readonly #pollMs: number
  readonly #maxPollMs: number
  readonly #websocket: boolean
  readonly #dispatcher: Dispatcher
  readonly #ownsDispatcher: boolean
  #objectInfo: Promise<ObjectInfo | undefined> | undefined

  constructor (opts: ComfyUiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '')
    this.#timeoutMs = opts.timeoutMs
    this.#pollMs = opts.pollMs ?? 250
    this.#maxPollMs = Math.max(this.#pollMs, opts.maxPollMs ?? 5000)
    this.#websocket = opts.websocket ?? true
    this.#ownsDispatcher = opts.dispatcher === undefined
    this.#dispatcher = opts.dispatcher ?? new Pool(this.baseUrl, { connections: 4, connect: { timeout: 10_000 } })
  }

  async close (): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.destroy()
  }

  async run (workflow: Record<string, unknown>, signal: AbortSignal): Promise<ComfyResult> {
    const clientId = randomUUID()
    const promptId = randomUUID()
    const timeout = AbortSignal.timeout(this.#timeoutMs)
    const combined = AbortSignal.any([signal, timeout])
    const ws = this.#websocket ? await ComfySocket.open(this.baseUrl, clientId, combined) : undefined
    let sent = false
    let id: string = promptId
    try {
      if (combined.aborted) throw combined.reason
      // The submit is not cut by the caller's signal (only by the timeouts): an answer cut off
      // would leave us unsure whether the job was queued. Since the id is ours, even then it
      // can be taken off again; a caller that left meanwhile is handled right after.
      sent = true
      const submitted = await this.#json('POST', '/prompt', { prompt: workflow, client_id: clientId, prompt_id: promptId }, AbortSignal.any([timeout, AbortSignal.timeout(SUBMIT_TIMEOUT_MS)])) as { prompt_id?: unknown }
      // A ComfyUI older than mid-2025 ignores our id and makes its own.
      if (typeof submitted.prompt_id === 'string' && submitted.prompt_id !== '') id = submitted.prompt_id
      else throw new AppError('UPSTREAM_BAD_RESPONSE', 'ComfyUI accepted the workflow without a prompt_id', 502)
      if (combined.aborted) throw combined.reason
      let progress: ComfyResult['progress'] = 'polling'
      if (ws !== undefined) {
        const outcome = await ws.wait(id, combined)
        if (outcome !== undefined) {
          const err = outcomeError(outcome)
          if (err !== undefined) throw err
          progress = 'websocket'
        }
      }
      const entry = await this.#waitHistory(id, combined)
      const files: ComfyResult['files'] = []
      for (const file of outputFiles(entry)) {
        const q = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type })
        files.push({ ...file, data: await this.#bytes(`/view?${q.toString()}`, combined) })
      }
      if (files.length === 0) throw new AppError('UPSTREAM_ERROR', 'ComfyUI finished the workflow without an output file', 502)
      return { promptId: id, files, progress }
    } catch (err) {
      if (sent && combined.aborted) {
        await this.cancel(id)
        // Our id was sent; if ComfyUI made its own, ours names nothing there, and vice versa.
        if (id !== promptId) await this.cancel(promptId)
      }
      if (timeout.aborted && !signal.aborted) throw new AppError('UPSTREAM_TIMEOUT', `ComfyUI did not finish within ${this.#timeoutMs} ms`, 504, { phase: 'total' })
      if (signal.aborted) throw signal.reason instanceof AppError ? signal.reason : new AppError('ABORTED', 'The media job was cancelled', 499)
      throw mapError(err, this.baseUrl)
    } finally {
      ws?.close()
    }
  }

  /**
   * POST /upload/image (multipart: `image` file, `type=input`, `overwrite`), as server.py's
   * image_upload reads it; answers {name, subfolder, type}. The name goes into a LoadImage node.
   */
  async uploadImage (image: { data: Buffer, filename: string }, signal: AbortSignal): Promise<ComfyUpload> {
    const form = new FormData()
    form.append('image', new Blob([new Uint8Array(image.data)]), image.filename)
    form.append('type', 'input')
    form.append('overwrite', 'true')
    try {
      const res = await this.#dispatcher.request({ origin: this.baseUrl, path: '/upload/image', method: 'POST', body: form, signal: AbortSignal.any([signal, AbortSignal.timeout(SUBMIT_TIMEOUT_MS)]) })
      const text = await res.body.text()
      if (res.statusCode !== 200) throw new AppError('UPSTREAM_ERROR', `ComfyUI refused the uploaded image (${res.statusCode} on /upload/image): ${text.slice(0, 300)}`, 502)
      let body: Partial<ComfyUpload>
      try { body = JSON.parse(text) } catch { throw new AppError('UPSTREAM_BAD_RESPONSE', 'ComfyUI answered /upload/image with something that is not JSON', 502) }
      if (typeof body.name !== 'string' || body.name === '') throw new AppError('UPSTREAM_BAD_RESPONSE', 'ComfyUI answered /upload/image without a name', 502)
      return { name: body.name, subfolder: typeof body.subfolder === 'string' ? body.subfolder : '', type: typeof body.type === 'string' ? body.type : 'input' }
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof AppError ? signal.reason : new AppError('ABORTED', 'The media job was cancelled', 499)
      throw mapError(err, this.baseUrl)
    }
  }

  /**
   * GET /object_info (every node class with its inputs, model file lists included); callers at
   * the same time share one request (the availability report keeps the answer for a while).
   * Never throws: undefined when ComfyUI does not answer in time or answers nonsense.
   */
  async objectInfo (): Promise<ObjectInfo | undefined> {
    this.#objectInfo ??= this.#json('GET', '/object_info', undefined, AbortSignal.timeout(OBJECT_INFO_TIMEOUT_MS))
      .then((info) => (typeof info === 'object' && info !== null && !Array.isArray(info) ? info as ObjectInfo : undefined))
      .catch(() => undefined)
      .finally(() => { this.#objectInfo = undefined })
    return await this.#objectInfo
  }

  /** Whether ComfyUI answers, and how many jobs it runs and holds (for /ready). */
  async status (): Promise<{ reachable: boolean, url: string, running?: number, pending?: number, error?: string }> {
    try {
      const q = await this.#queue(AbortSignal.timeout(3000))
      return { reachable: true, url: this.baseUrl, running: q.running.length, pending: q.pending.length }
    } catch (err) {
      return { reachable: false, url: this.baseUrl, error: mapError(err, this.baseUrl).message }
    }
  }

  /**
   * Takes a job off, never throws. First deleted from the pending queue (from then on it cannot
   * start), then /queue is read: only if it is the running one is it interrupted, with its
   * prompt_id. Current ComfyUI honours that id (server.py post_interrupt interrupts only when
   * the running prompt matches); an older one interrupts whatever runs, which is why we never
   * send the interrupt blind. Reading /queue first and deleting after (the old way) misses a job
   * that starts in between.
   */
  async cancel (promptId: string): Promise<void> {
    const quick = AbortSignal.timeout(5000)
    try {
      await this.#json('POST', '/queue', { delete: [promptId] }, quick)
      const q = await this.#queue(quick)
      if (q.running.includes(promptId)) await this.#json('POST', '/interrupt', { prompt_id: promptId }, quick)
    } catch {
      // ComfyUI gone or the job already finished: nothing left to cancel.
    }
  }

  async #queue (signal: AbortSignal): Promise<{ running: string[], pending: string[] }> {
    const q = await this.#json('GET', '/queue', undefined, signal) as { queue_running?: unknown, queue_pending?: unknown }
    // Items are [number, prompt_id, prompt, extra_data, outputs_to_execute, ...].
    const ids = (list: unknown): string[] => (Array.isArray(list) ? list : []).map((item) => (Array.isArray(item) ? item[1] : undefined)).filter((x): x is string => typeof x === 'string')
    return { running: ids(q.queue_running), pending: ids(q.queue_pending) }
  }

  /**
   * The job's history entry, polled with back-off. A job in neither history nor queue is lost:
   * ComfyUI keeps both in memory, so that is a restart. History is asked again after the queue,
   * because a job that finishes between the two reads moves from one to the other.
   */
  async #waitHistory (promptId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    let wait = this.#pollMs
    for (;;) {
      let entry: Record<string, unknown> | undefined
      try {
        entry = await this.#historyEntry(promptId, signal)
        if (entry === undefined) {
          const q = await this.#queue(signal)
          if (!q.running.includes(promptId) && !q.pending.includes(promptId)) {
            entry = await this.#historyEntry(promptId, signal)
            if (entry === undefined) throw new AppError('UPSTREAM_ERROR', `ComfyUI lost the job ${promptId}: it is neither queued nor in the history (ComfyUI restarted?)`, 502)
          }
        }
      } catch (err) {
        // ComfyUI restarting refuses connections for a while: keep asking until the timeout.
        const code = mapError(err, this.baseUrl).code
        if (signal.aborted || (code !== 'UPSTREAM_UNAVAILABLE' && code !== 'UPSTREAM_CLOSED')) throw err
      }
      if (entry !== undefined) {
        const status = entry.status as { status_str?: string, completed?: boolean, messages?: unknown } | undefined
        if (status?.status_str === 'error') throw new AppError('UPSTREAM_ERROR', historyError(status), 502)
        if (status === undefined || status.completed === true) return entry
      }
      await sleep(wait, signal)
      wait = Math.min(wait * 2, this.#maxPollMs)
    }
  }

  async #historyEntry (promptId: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined> {
    const history = await this.#json('GET', `/history/${encodeURIComponent(promptId)}`, undefined, signal) as Record<string, unknown>
    const entry = history[promptId]
    return typeof entry === 'object' && entry !== null ? entry as Record<string, unknown> : undefined
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
      throw new AppError(res.statusCode === 503 ? 'UPSTREAM_BUSY' : 'UPSTREAM_ERROR', `ComfyUI answered ${res.statusCode} on ${path}: ${text.slice(0, 1000)}`, 502)
    }
    if (text.trim() === '') return {}
    try { return JSON.parse(text) } catch { throw new AppError('UPSTREAM_BAD_RESPONSE', `ComfyUI answered ${path} with something that is not JSON`, 502) }
  }

  async #bytes (path: string, signal: AbortSignal): Promise<Buffer> {
    const res = await this.#dispatcher.request({ origin: this.baseUrl, path, method: 'GET', signal })
    if (res.statusCode !== 200) {
      await res.body.text().catch(() => {})
      throw new AppError('UPSTREAM_ERROR', `ComfyUI answered ${res.statusCode} on ${path}`, 502)
    }
    return Buffer.from(await res.body.arrayBuffer())
  }
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
