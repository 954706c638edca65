import fp from 'fastify-plugin'
import sseModule, { type SSEPluginOptions } from '@fastify/sse'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { AppError } from '../services/errors.js'
import { StreamRegistry, type OpenStream } from '../services/stream-registry.js'
import type { EventSink } from '../services/pipeline/engine.js'

declare module 'fastify' {
  interface FastifyInstance {
    streams: StreamRegistry
    /** Starts an event stream on this reply; see RunStream. */
    openRunStream: (reply: FastifyReply, runId?: string) => RunStream
    /** For a JSON run: a signal aborted when the client leaves before the answer, or at shutdown. */
    watchRequest: (reply: FastifyReply, runId?: string) => WatchedRequest
  }
}

export interface WatchedRequest {
  /** Aborted when the client leaves before the response ended, or at shutdown. */
  signal: AbortSignal
  /** Idempotent; call from every exit path. */
  cleanup: () => void
}

export interface RunStream extends WatchedRequest {
  sink: EventSink
}

// Under ESM the default import is module.exports: the fastify-plugin-wrapped (global)
// plugin, while the types describe the unwrapped function.
const sse = sseModule as unknown as FastifyPluginAsync<SSEPluginOptions>

/**
 * Client-gone detection and SSE infrastructure. Every run (streaming or JSON) gets one
 * AbortController, aborted when `reply.raw` closes before the response ended (the client
 * left) or by shutdown. For streams, @fastify/sse sends the headers and ends the response; the
 * events are framed here and written to the socket directly (a token's frame comes pre-built,
 * `sink.frame`): headers go out at once, keep-alive comments come from one shared timer, a
 * write waits only when the socket says it is full, and that wait is raced against the close
 * so it can never hang. `preClose` ends every run so `app.close()`
 * returns.
 */
export default fp(async (fastify) => {
  await fastify.register(sse, { heartbeatInterval: 0 })
  const registry = new StreamRegistry({ pingMs: fastify.config.SSE_PING_MS })
  fastify.decorate('streams', registry)

  function watch (reply: FastifyReply, ping: (() => void) | undefined, runId: string | undefined): WatchedRequest & { closed: Promise<void>, entry: OpenStream, clientGone: () => AppError } {
    const raw = reply.raw
    const controller = new AbortController()
    // Made when needed: an error's stack costs more than the rest of a run's setup here.
    let gone: AppError | undefined
    const clientGone = (): AppError => (gone ??= new AppError('ABORTED', 'The client left', 499))
    let markClosed!: () => void
    const closed = new Promise<void>((resolve) => { markClosed = resolve })
    const onClose = (): void => {
      if (!raw.writableEnded) controller.abort(clientGone())
      markClosed()
    }
    raw.on('close', onClose)
    const entry: OpenStream = {
      kind: ping === undefined ? 'json' : 'sse',
      // A JSON run never needs a keep-alive comment: it starts silent and answers once.
      lastWrite: ping === undefined ? Number.POSITIVE_INFINITY : Date.now(),
      ping: ping ?? (() => {}),
      abort: (reason) => controller.abort(reason),
      closed,
      ...(runId === undefined ? {} : { runId }),
      openedAt: Date.now()
    }
    const unregister = registry.add(entry)
    let cleaned = false
    return {
      signal: controller.signal,
      closed,
      entry,
      clientGone,
      cleanup: () => {
        if (cleaned) return
        cleaned = true
        unregister()
        raw.off('close', onClose)
        markClosed()
      }
    }
  }

  fastify.decorate('watchRequest', (reply: FastifyReply, runId?: string): WatchedRequest => {
    const { signal, cleanup } = watch(reply, undefined, runId)
    return { signal, cleanup }
  })

  fastify.decorate('openRunStream', (reply: FastifyReply, runId?: string): RunStream => {
    const raw = reply.raw
    const w = watch(reply, () => { flush(); if (!raw.destroyed && !raw.writableEnded) raw.write(': ping\n\n') }, runId)
    reply.header('Cache-Control', 'no-cache, no-transform')
    reply.header('X-Accel-Buffering', 'no')
    // The body ends with the connection (Connection: close), not in chunked framing: each
    // token's write is then its frame alone, 6 bytes and one buffer less. An event stream is
    // one long response; its connection is not reused for another request anyway.
    raw.useChunkedEncodingByDefault = false
    reply.sse.sendHeaders()
    raw.flushHeaders()

    // A write the socket could not take waits for 'drain', raced against the close (the
    // client gone never drains), so it can never hang.
    const drained = async (): Promise<void> => await new Promise<void>((resolve, reject) => {
      const done = (): void => { raw.off('drain', onDrain); raw.off('close', onClose) }
      const onDrain = (): void => { done(); resolve() }
      const onClose = (): void => { done(); reject(w.clientGone()) }
      raw.on('drain', onDrain)
      raw.on('close', onClose)
    })
    // Events that come in one turn of the event loop (those before the first token, mostly)
    // are joined and go out in one write (one chunk on the wire); a token's frame takes any
    // waiting events along, and the run's cleanup flushes the rest before the response ends.
    let pending = ''
    let scheduled = false
    const flush = (): void => {
      scheduled = false
      if (pending === '') return
      const text = pending
      pending = ''
      if (!raw.destroyed && !raw.writableEnded) raw.write(text)
    }
    const sink: EventSink = {
      async send (event, data) {
        // After a shutdown abort the socket is still open and the run's last `error` event
        // must still go out; after the client left there is nobody to send to.
        if (raw.destroyed || raw.writableEnded) throw w.clientGone()
        w.entry.lastWrite = Date.now()
        // The room view shows where each run is; the events already say it.
        if (event === 'stage_start' && typeof data.stage === 'number') w.entry.stage = data.stage
        // JSON.stringify never writes a raw line break, so the data is one `data:` line.
        pending += `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
        if (!scheduled) { scheduled = true; setImmediate(flush) }
        if (raw.writableNeedDrain) await drained()
      },
      frame (text) {
        if (raw.destroyed || raw.writableEnded) throw w.clientGone()
        w.entry.lastWrite = Date.now()
        if (pending !== '') { text = pending + text; pending = '' }
        return raw.write(text) ? undefined : drained()
      }
    }
    return { sink, signal: w.signal, cleanup: () => { flush(); w.cleanup() } }
  })

  fastify.addHook('preClose', async () => {
    await registry.closeAll(new AppError('SHUTTING_DOWN', 'The server is shutting down', 503), fastify.config.SHUTDOWN_GRACE_MS)
  })
}, { name: 'streams', dependencies: ['config'] })
