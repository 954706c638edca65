import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

export { openSse, type SseClient, type SseEvent } from '../tools/sse-client.js'
export { eventually, sleep } from '../tools/wait.js'

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
