import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const started = Date.now()
/** How long the public /ready answer is reused: probes and visitors never cause an upstream call each. */
const READY_CACHE_MS = 5000
/** Public /ready calls per minute per client address (a probe needs a few). */
const READY_RATE_MAX = 60

type ReadyWord = 'ok' | 'ollama' | 'models' | 'catalog'

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  /** The process is up. */
  fastify.get('/health', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok'), uptime_s: Type.Number() }) } }
  }, async () => ({ status: 'ok' as const, uptime_s: Math.round((Date.now() - started) / 1000) }))

  let cached: { at: number, word: ReadyWord } | undefined
  /** Ready or not, and why in one word; from the cached Ollama check, never ComfyUI. */
  const readyWord = async (): Promise<ReadyWord> => {
    if (cached !== undefined && Date.now() - cached.at < READY_CACHE_MS) return cached.word
    const ollama = await fastify.ollamaStatus()
    const word: ReadyWord = !ollama.reachable ? 'ollama' : (ollama.missing_models ?? []).length > 0 ? 'models' : fastify.catalog.counts().interception === 0 ? 'catalog' : 'ok'
    cached = { at: Date.now(), word }
    return word
  }

  /**
   * Ready to serve runs: catalog loaded, Ollama answers and has the configured models. For
   * everyone: `{status, reason}` in one word (cached, rate-limited). With the admin token: the
   * details (URLs, versions, models, ComfyUI, catalog problems), which help an attacker too.
   * ComfyUI is reported but does not decide: text runs work without it.
   */
  fastify.get('/ready', { config: { rateLimit: { max: READY_RATE_MAX, timeWindow: 60_000 } } }, async (request, reply) => {
    if (!fastify.auth.isAdmin(request)) {
      const word = await readyWord()
      const body = { status: word === 'ok' ? 'ready' as const : 'not_ready' as const, reason: word }
      return await reply.code(word === 'ok' ? 200 : 503).send(body)
    }
    const [ollama, comfyui] = await Promise.all([fastify.ollamaStatus(), fastify.media.comfyui.status()])
    const reasons: string[] = []
    if (!ollama.reachable) reasons.push(`Ollama at ${ollama.url} does not answer: ${ollama.error ?? 'unknown error'}`)
    for (const m of ollama.missing_models ?? []) reasons.push(`model "${m}" is missing; run: ollama pull ${m}`)
    const ready = reasons.length === 0
    return await reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      reasons,
      catalog: fastify.catalog.counts(),
      // The entries the catalog loader skipped, where it reports them (api.md §6).
      catalog_problems: fastify.catalog.problems,
      outputs_unavailable_now: (await fastify.availability.report()).reasons,
      ollama,
      comfyui,
      queue: { active: fastify.queue.active, waiting: fastify.queue.waiting, max_concurrent: fastify.queue.maxConcurrent },
      media_queue: { active: fastify.media.queue.active, waiting: fastify.media.queue.waiting, max_concurrent: fastify.media.queue.maxConcurrent }
    })
  })
}

export default routes
