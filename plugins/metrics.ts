import fp from 'fastify-plugin'
import { Metrics } from '../services/metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

/** Wires the metrics to the queues, the Ollama client and the open streams; serves GET /metrics. */
export default fp(async (fastify) => {
  const { queue, media, streams, ollama } = fastify
  const metrics = new Metrics({
    queueWaiting: () => queue.waiting,
    queueActive: () => queue.active,
    queueMax: () => queue.maxConcurrent,
    mediaWaiting: () => media.queue.waiting,
    mediaActive: () => media.queue.active,
    openStreams: () => streams.count('sse'),
    openJsonRuns: () => streams.count('json')
  })
  queue.onAcquired((ms) => metrics.queueWait.observe(ms / 1000))
  ollama.onOutcome((o) => {
    metrics.upstreamRequests.inc({ outcome: o.outcome })
    if (o.ttftMs !== undefined) metrics.upstreamTtft.observe(o.ttftMs / 1000)
  })
  fastify.decorate('metrics', metrics)
  // Admin only: queue depths and outcomes are operations data, not for every visitor.
  fastify.get('/metrics', { config: { rateLimit: false }, preHandler: fastify.auth.requireAdmin }, async (_request, reply) => {
    return await reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
}, { name: 'metrics', dependencies: ['auth', 'queue', 'media', 'streams', 'ollama'] })
