import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'

const QueueStatus = Type.Object({
  max_concurrent: Type.Integer(),
  active: Type.Integer(),
  waiting: Type.Integer(),
  max_waiting: Type.Integer(),
  runs: Type.Array(Type.Object({
    run_id: Type.String(),
    state: Type.Union([Type.Literal('active'), Type.Literal('waiting')]),
    position: Type.Union([Type.Integer(), Type.Null()]),
    wait_time_ms: Type.Integer()
  }))
})

/** api.md §6: who holds a slot and who waits, without any input text. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/api/queue/status', { schema: { response: { 200: QueueStatus } } }, async () => fastify.queue.snapshot())
}

export default routes
