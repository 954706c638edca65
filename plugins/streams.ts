import fp from 'fastify-plugin'
import sseModule, { type SSEPluginOptions } from '@fastify/sse'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { AppError } from '../services/errors.js'
import { StreamRegistry } from '../services/stream-registry.js'
import type { EventSink } from '../services/pipeline/engine.js'

declare module 'fastify' {
  interface FastifyInstance {
    streams: StreamRegistry
    /** Starts an event stream on this reply; see RunStream. */
    openRunStream: (reply: FastifyReply) => RunStream
  }
}

export interface RunStream {
  sink: EventSink
  /** Aborted when the client leaves before the stream ended, or at shutdown. */
  signal: AbortSignal
  /** Idempotent; call from every exit path. */
  cleanup: () => void
}

/**
 * SSE infrastructure: @fastify/sse for the framing, and around it what the field learned:
 * headers go out at once (the plugin would wait for the first write), keep-alive comments
 * come from one shared timer, a client that leaves aborts its run (`reply.raw` 'close'
 * before the response ended), and a send that waits on backpressure is raced against that
 * close so it can never hang. `preClose` ends every open stream so `app.close()` returns.
 */
// Under ESM the default import is module.exports: the fastify-plugin-wrapped (global)
// plugin, while the types describe the unwrapped function.
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>

export default fp(async (fastify) => {
  await fastify.register(sse, { heartbeatInterval: 0 })
  const registry = new StreamRegistry({ pingMs: fastify.config.SSE_PING_MS })
  fastify.decorate('streams', registry)

  fastify.decorate('openRunStream', (reply: FastifyReply): RunStream => {
    const raw = reply.raw
    const controller = new AbortController()
    let markClosed!: () => void
    const closed = new Promise<void>((resolve) => { markClosed = resolve })
    const clientGone = new AppError('ABORTED', 'The client closed the stream', 499)
    const onClose = (): void => {
      if (!raw.writableEnded) controller.abort(clientGone)
      markClosed()
    }
    raw.on('close', onClose)

    reply.header('Cache-Control', 'no-cache, no-transform')
    reply.header('X-Accel-Buffering', 'no')
    reply.sse.sendHeaders()
    raw.flushHeaders()

    const entry = {
      lastWrite: Date.now(),
      ping: () => { if (!raw.destroyed && !raw.writableEnded) raw.write(': ping\n\n') },
      abort: (reason: Error) => controller.abort(reason),
      closed
    }
    const unregister = registry.add(entry)
    let cleaned = false

    const sink: EventSink = {
      async send (event, data) {
        // After a shutdown abort the socket is still open and the run's last `error` event
        // must still go out; after the client left there is nobody to send to.
        if (raw.destroyed || raw.writableEnded) throw clientGone
        entry.lastWrite = Date.now()
        const sent = reply.sse.send({ event, data })
        // Only a write that hit backpressure waits (for 'drain', which never comes when the
        // client is gone); race just those against the close, the rest settle at once.
        if (raw.writableNeedDrain) await Promise.race([sent, closed.then(() => { throw clientGone })])
        else await sent
      }
    }
    return {
      sink,
      signal: controller.signal,
      cleanup: () => {
        if (cleaned) return
        cleaned = true
        unregister()
        raw.off('close', onClose)
        markClosed()
      }
    }
  })

  fastify.addHook('preClose', async () => {
    await registry.closeAll(new AppError('SHUTTING_DOWN', 'The server is shutting down', 503), fastify.config.SHUTDOWN_GRACE_MS)
  })
}, { name: 'streams', dependencies: ['config'] })
