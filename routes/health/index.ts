import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const started = Date.now()

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  /** The process is up. */
  fastify.get('/health', {
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok'), uptime_s: Type.Number() }) } }
  }, async () => ({ status: 'ok' as const, uptime_s: Math.round((Date.now() - started) / 1000) }))

  /**
   * Ready to serve runs: catalog loaded, Ollama answers and has the configured models.
   * ComfyUI is reported but does not decide: text runs work without it.
   */
  fastify.get('/ready', async (_request, reply) => {
    const [ollama, comfyui] = await Promise.all([fastify.ollamaStatus(), fastify.media.comfyui.status()])
    const reasons: string[] = []
    if (!ollama.reachable) reasons.push(`Ollama at ${ollama.url} does not answer: ${ollama.error ?? 'unknown error'}`)
    for (const m of ollama.missing_models ?? []) reasons.push(`model "${m}" is missing; run: ollama pull ${m}`)
    const ready = reasons.length === 0
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      reasons,
      catalog: fastify.catalog.counts(),
      ollama,
      comfyui,
      queue: { active: fastify.queue.active, waiting: fastify.queue.waiting, max_concurrent: fastify.queue.maxConcurrent }
    })
  })
}

export default routes
