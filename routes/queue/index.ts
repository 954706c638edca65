import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const QueueStatus = Type.Object({
  max_concurrent: Type.Integer(),
  active: Type.Integer(),
  waiting: Type.Integer(),
  max_waiting: Type.Integer(),
  runs: Type.Optional(Type.Array(Type.Object({
    run_id: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('waiting')]),
    position: Type.Union([Type.Integer(), Type.Null()]),
    wait_time_ms: Type.Integer()
  })))
})

/**
 * api.md §6: how full the line is, for everyone; which runs hold a slot and which wait (never
 * an input text) only with the admin token, since a run id is the key to a child's run.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/queue/status', { schema: { response: { 200: QueueStatus } } }, async (request) => {
    const { runs, ...counts } = fastify.queue.snapshot()
    return fastify.auth.isAdmin(request) ? { ...counts, runs } : counts
  })
}

export default routes
