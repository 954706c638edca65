import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AppError } from '../../services/errors.js'
import { QueueHistory } from './history.js'
import { TicketSigner } from './tickets.js'
import { roomRuns, upstreams } from './runs.js'

const RunParams = Type.Object({ run_id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) })
const TicketQuery = Type.Object({ ticket: Type.String({ maxLength: 200 }) })

/** How often the room stream sends the runs, and every how many of those the upstream status. */
const TICK_MS = 1000
const UPSTREAM_EVERY = 5
/** How often the queue is sampled for the hour chart. */
const SAMPLE_MS = 5000

/**
 * The teacher's room view (`/room`): who waits and runs, a Stop per run, whether Ollama and
 * ComfyUI answer, and the queue over the last hour. Every route needs the admin token; the
 * event stream takes a short-lived ticket instead, since EventSource cannot send headers.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const history = new QueueHistory(60)
  const tickets = new TicketSigner(60_000)
  fastify.queue.onAcquired((waitedMs) => history.acquired(waitedMs))
  const sampler = setInterval(() => history.sample(fastify.queue.waiting, fastify.queue.active), SAMPLE_MS)
  sampler.unref()
  fastify.addHook('onClose', async () => clearInterval(sampler))

  const admin = { preHandler: fastify.auth.requireAdmin }

  fastify.post('/api/admin/ticket', admin, async () => ({ ticket: tickets.issue(), expires_in_s: Math.round(tickets.ttlMs / 1000) }))

  fastify.get('/api/admin/runs', admin, async () => roomRuns(fastify))

  fastify.get('/api/admin/upstreams', admin, async () => await upstreams(fastify))

  fastify.get('/api/admin/history', admin, async () => {
    history.sample(fastify.queue.waiting, fastify.queue.active)
    return { minutes: history.snapshot() }
  })

  fastify.post('/api/admin/runs/:run_id/stop', { ...admin, schema: { params: RunParams } }, async (request) => {
    const { run_id: runId } = request.params
    const stopped = fastify.streams.abortRun(runId, new AppError('STOPPED', 'Stopped by the teacher', 409))
    if (!stopped) throw new AppError('NOT_FOUND', `No open run ${runId}`, 404)
    request.log.info({ run_id: runId }, 'run stopped from the room view')
    return { stopped: true, run_id: runId }
  })

  fastify.get('/api/admin/stream', {
    sse: { kind: 'manual', heartbeat: false },
    schema: { querystring: TicketQuery },
    preHandler: async (request) => {
      if (!tickets.verify(request.query.ticket)) throw new AppError('UNAUTHORIZED', 'This stream needs a valid ticket from POST /api/admin/ticket', 401)
    }
  }, async (_request, reply) => {
    const stream = fastify.openRunStream(reply)
    try {
      history.sample(fastify.queue.waiting, fastify.queue.active)
      await stream.sink.send('history', { minutes: history.snapshot() })
      for (let n = 0; !stream.signal.aborted; n++) {
        await stream.sink.send('runs', { ...roomRuns(fastify) })
        if (n % UPSTREAM_EVERY === 0) await stream.sink.send('upstreams', { ...await upstreams(fastify) })
        if (n > 0 && n % 60 === 0) await stream.sink.send('history', { minutes: history.snapshot() })
        await sleep(TICK_MS, undefined, { signal: stream.signal })
      }
    } catch {
      // The teacher closed the page or the server shuts down: nothing more to send.
    } finally {
      stream.cleanup()
    }
    return undefined
  })
}

export default routes
