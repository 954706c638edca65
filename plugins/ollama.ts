import fp from 'fastify-plugin'
import { OllamaClient } from '../services/ollama/client.js'
import { toAppError } from '../services/errors.js'

export interface OllamaStatus {
  reachable: boolean
  url: string
  version?: string
  models?: string[]
  /** Configured stage models Ollama does not have. */
  missing_models?: string[]
  error?: string
  checked_at: string
}

declare module 'fastify' {
  interface FastifyInstance {
    ollama: OllamaClient
    /** Asks Ollama for its version and models; cached for a few seconds. */
    ollamaStatus: (opts?: { fresh?: boolean }) => Promise<OllamaStatus>
  }
}

export interface OllamaPluginOptions {
  /** Inject a client (tests); the plugin then does not close it. */
  client?: OllamaClient
}

const CACHE_MS = 5000

/**
 * Owns the Ollama client. At start it checks, without blocking the start, which configured
 * models are missing (a warning: Ollama may come up later); `/ready` asks again.
 */
export default fp<OllamaPluginOptions>(async (fastify, opts) => {
  const c = fastify.config
  const client = opts.client ?? new OllamaClient({
    baseUrl: c.OLLAMA_URL,
    // Every slot may hold one streaming call; two more for /api/tags and friends.
    connections: c.QUEUE_MAX_CONCURRENT + 2,
    timeouts: {
      connectMs: c.OLLAMA_CONNECT_TIMEOUT_MS,
      firstTokenMs: c.OLLAMA_FIRST_TOKEN_TIMEOUT_MS,
      idleMs: c.OLLAMA_IDLE_TIMEOUT_MS,
      totalMs: c.OLLAMA_TOTAL_TIMEOUT_MS
    }
  })
  const wanted = [...new Set([c.STAGE1_MODEL, c.STAGE2_INTERCEPTION_MODEL, c.STAGE3_MODEL].map((m) => m.replace(/^local\//, '')))]
  let cached: { at: number, status: OllamaStatus } | undefined
  let inflight: Promise<OllamaStatus> | undefined

  async function check (): Promise<OllamaStatus> {
    const checkedAt = new Date().toISOString()
    try {
      const [version, tags] = await Promise.all([client.version(), client.tags()])
      const names = tags.map((t) => t.name)
      const has = (m: string): boolean => names.includes(m) || names.includes(`${m}:latest`)
      return { reachable: true, url: client.baseUrl, version, models: names, missing_models: wanted.filter((m) => !has(m)), checked_at: checkedAt }
    } catch (err) {
      return { reachable: false, url: client.baseUrl, error: toAppError(err).message, checked_at: checkedAt }
    }
  }

  fastify.decorate('ollama', client)
  fastify.decorate('ollamaStatus', async ({ fresh = false } = {}) => {
    if (!fresh && cached !== undefined && Date.now() - cached.at < CACHE_MS) return cached.status
    inflight ??= check().then((status) => {
      cached = { at: Date.now(), status }
      inflight = undefined
      return status
    })
    return await inflight
  })

  fastify.addHook('onReady', async () => {
    // Not awaited: a missing Ollama must not keep the server from starting.
    fastify.ollamaStatus({ fresh: true }).then((s) => {
      if (!s.reachable) fastify.log.warn({ ollama: s.url, error: s.error }, 'Ollama is not reachable yet; runs will fail until it is')
      else if ((s.missing_models ?? []).length > 0) {
        fastify.log.warn({ missing: s.missing_models }, `Ollama lacks configured models; install them with: ${(s.missing_models ?? []).map((m) => `ollama pull ${m}`).join(' && ')}`)
      } else fastify.log.info({ ollama: s.url, version: s.version }, 'Ollama is ready')
    }, () => {})
  })

  fastify.addHook('onClose', async () => {
    if (opts.client === undefined) await client.close()
  })
}, { name: 'ollama', dependencies: ['config'] })
