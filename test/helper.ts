import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import http from 'node:http'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'
import app from '../app.js'
import { logOptions } from '../log-options.js'
import { OllamaSimulator, type SimulatorOptions } from '../simulators/ollama-simulator.js'
import { ComfyUiSimulator, type ComfySimOptions } from '../simulators/comfyui-simulator.js'

export interface TestServer {
  app: FastifyInstance
  sim: OllamaSimulator
  comfy: ComfyUiSimulator
  /** The run store of this server (a fresh temporary directory). */
  runsDir: string
  /** http://127.0.0.1:PORT of the app (listening on a real socket). */
  url: string
  port: number
  close: () => Promise<void>
}

/** Fast settings for tests; each test overrides what it is about. */
export const TEST_ENV = {
  LOG_LEVEL: 'silent',
  STAGE1_MODEL: 'qwen3:4b',
  STAGE2_INTERCEPTION_MODEL: 'mistral-nemo:12b',
  STAGE3_MODEL: 'qwen3:4b',
  OLLAMA_CONNECT_TIMEOUT_MS: '2000',
  OLLAMA_FIRST_TOKEN_TIMEOUT_MS: '5000',
  OLLAMA_IDLE_TIMEOUT_MS: '5000',
  OLLAMA_TOTAL_TIMEOUT_MS: '20000',
  SSE_PING_MS: '15000',
  SHUTDOWN_GRACE_MS: '3000',
  SAFETY_LEVELS_ALLOWED: 'youth,adult,off',
  ADMIN_TOKEN: 'test-admin-token',
  // The suite is one browser at one address (below); tests of the per-client caps set their own.
  QUEUE_MAX_WAITING_PER_BROWSER: '1000000',
  QUEUE_MAX_WAITING_PER_ADDRESS: '1000000'
}

/** The Authorization header of the admin token in TEST_ENV. */
export const ADMIN = { authorization: 'Bearer test-admin-token' }

/**
 * The test suite's browser: its cookie jar holds one anonymous id, sent with every request that
 * brings no cookie of its own (fetch, inject, openSse alike), so the suite's runs belong to it.
 * A test about other browsers sends its own `cookie` header; `{ browser: false }` turns it off.
 */
export const TEST_BROWSER_COOKIE = 'artsed_browser=the-test-suite-browser-0001'

/** The app on 127.0.0.1 with its own Ollama simulator, both on real sockets. */
export async function startServer (env: Record<string, string> = {}, sim: Partial<SimulatorOptions> = {}, comfy: Partial<ComfySimOptions> = {}, opts: { logLines?: string[], browser?: boolean, fastify?: FastifyServerOptions } = {}): Promise<TestServer> {
  const simulator = new OllamaSimulator(sim)
  const simUrl = await simulator.listen()
  const comfySim = new ComfyUiSimulator(comfy)
  const comfyUrl = await comfySim.listen()
  const runsDir = await mkdtemp(join(tmpdir(), 'artsed-runs-'))
  const lines = opts.logLines
  const fastify = Fastify({
    logger: lines === undefined ? false : logOptions('debug', { write: (line: string) => { lines.push(line) } }),
    forceCloseConnections: true,
    ...opts.fastify
  })
  // fp() lifts the app's decorators to this instance, so tests can read app.queue & co.
  let closed = false
  fastify.addHook('onClose', async () => { closed = true })
  if (opts.browser !== false) {
    fastify.addHook('onRequest', async (request) => { request.headers.cookie ??= TEST_BROWSER_COOKIE })
  }
  await fastify.register(fp(app), { env: { ...TEST_ENV, OLLAMA_URL: simUrl, COMFYUI_URL: comfyUrl, RUNS_DIR: runsDir, ...(lines === undefined ? {} : { LOG_LEVEL: 'debug' }), ...env } })
  await fastify.listen({ port: 0, host: '127.0.0.1' })
  const address = fastify.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    app: fastify,
    sim: simulator,
    comfy: comfySim,
    runsDir,
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      if (!closed) await fastify.close()
      closed = true
      await simulator.close()
      await comfySim.close()
      await rm(runsDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })
    }
  }
}

export interface SseEvent { event: string, data: Record<string, unknown> }

export interface SseClient {
  events: SseEvent[]
  comments: string[]
  status: Promise<number>
  headers: Promise<http.IncomingHttpHeaders>
  /** Resolves when the server ended the stream. */
  done: Promise<void>
  /** Resolves with the first event of that name (or one matching the predicate). */
  waitFor: (event: string, pred?: (e: SseEvent) => boolean) => Promise<SseEvent>
  /** Stop reading from the socket (backpressure builds up on the server). */
  pause: () => void
  /** Leave: destroy the socket, as a closed tab does. */
  leave: () => void
  req: http.ClientRequest
}

/** A streaming run over a real socket, parsed as EventSource would. */
export function openSse (base: string, params: Record<string, string>, opts: { method?: 'GET' | 'POST', headers?: Record<string, string>, onEvent?: (e: SseEvent) => void } = {}): SseClient {
  const method = opts.method ?? 'GET'
  const url = new URL('/api/schema/pipeline/execute', base)
  let body: string | undefined
  if (method === 'GET') {
    for (const [k, v] of Object.entries({ enable_streaming: 'true', ...params })) url.searchParams.set(k, v)
  } else {
    body = JSON.stringify({ enable_streaming: true, ...params })
  }
  const events: SseEvent[] = []
  const comments: string[] = []
  const waiters: Array<{ event: string, pred: ((e: SseEvent) => boolean) | undefined, resolve: (e: SseEvent) => void }> = []
  let resolveStatus!: (n: number) => void
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void
  let resolveDone!: () => void
  const status = new Promise<number>((resolve) => { resolveStatus = resolve })
  const headers = new Promise<http.IncomingHttpHeaders>((resolve) => { resolveHeaders = resolve })
  const done = new Promise<void>((resolve) => { resolveDone = resolve })
  let res: http.IncomingMessage | undefined

  const req = http.request(url, {
    method,
    agent: false,
    headers: { accept: 'text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers }
  }, (response) => {
    res = response
    resolveStatus(response.statusCode ?? 0)
    resolveHeaders(response.headers)
    response.setEncoding('utf8')
    let buf = ''
    response.on('data', (chunk: string) => {
      buf += chunk
      let i = buf.indexOf('\n\n')
      while (i !== -1) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        let event = 'message'
        let data = ''
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim())
          else if (line.startsWith('event: ')) event = line.slice(7)
          else if (line.startsWith('data: ')) data += line.slice(6)
        }
        if (data !== '') {
          const e = { event, data: JSON.parse(data) as Record<string, unknown> }
          events.push(e)
          opts.onEvent?.(e)
          for (const w of [...waiters]) {
            if (w.event === e.event && (w.pred === undefined || w.pred(e))) {
              waiters.splice(waiters.indexOf(w), 1)
              w.resolve(e)
            }
          }
        }
        i = buf.indexOf('\n\n')
      }
    })
    response.on('end', () => resolveDone())
    response.on('close', () => resolveDone())
  })
  req.on('error', () => { resolveStatus(0); resolveDone() })
  req.end(body)

  return {
    events,
    comments,
    status,
    headers,
    done,
    req,
    waitFor: async (event, pred) => {
      const found = events.find((e) => e.event === event && (pred === undefined || pred(e)))
      if (found !== undefined) return found
      return await new Promise((resolve) => waiters.push({ event, pred, resolve }))
    },
    pause: () => { res?.pause(); (res?.socket ?? req.socket)?.pause() },
    leave: () => { req.destroy(); res?.destroy() }
  }
}

/** Polls `check` until it is true or `ms` pass; returns whether it became true. */
export async function eventually (check: () => boolean | Promise<boolean>, ms = 10_000, step = 10): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, step))
  }
  return await check()
}

/**
 * TCP sockets in CLOSE_WAIT (the peer closed and this end never did), read from
 * /proc/net/tcp{,6} (state 08): `local` counts sockets whose own port is `port` (a server's
 * accepted sockets), `remote` those connected to `port` (a client's sockets to that server).
 */
export function closeWaitSockets (port: number, side: 'local' | 'remote'): number {
  let count = 0
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(file, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 4) continue
      const localPort = parseInt((cols[1] ?? '').split(':')[1] ?? '', 16)
      const remotePort = parseInt((cols[2] ?? '').split(':')[1] ?? '', 16)
      if (cols[3] === '08' && (side === 'local' ? localPort : remotePort) === port) count++
    }
  }
  return count
}

export const sleep = async (ms: number): Promise<void> => await new Promise((resolve) => setTimeout(resolve, ms))
