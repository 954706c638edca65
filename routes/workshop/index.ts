import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { pickLang, type Lang } from '../../services/i18n.js'
import { toAppError } from '../../services/errors.js'
import { userMessage } from '../../services/pipeline/error-messages.js'
import { isRunId } from '../../services/run-store.js'
import { BlockedError } from '../../services/pipeline/engine.js'
import type { SafetyLevel as Level } from '../../services/safety/term-filter.js'
import type { RunStream } from '../../plugins/streams.js'
import { renderError } from '../schema/answer.js'
import { queueFull, safetyLevelOf } from '../schema/execute.js'
import { ErrorBody, imageTokens, InputImages, Language, SafetyLevel } from '../schema/schemas.js'

interface Opened { run: RunStream, runId: string, lang: Lang, level: Level }

/**
 * The streaming routes the workshop's Vue app uses on its main path besides api.md's: it
 * follows Stage 3–4 over `GET /api/schema/pipeline/generation` (EventSource, so every field
 * in the query) and the optimization over `GET /api/schema/pipeline/optimize`. Same engine,
 * lifecycle, safety stages and admission as the documented routes; only the events differ.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const limits = { input: fastify.config.INPUT_MAX_CHARS, context: fastify.config.CONTEXT_MAX_CHARS }
  const sse = { kind: 'manual', heartbeat: false } as const
  const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 429: ErrorBody, 503: ErrorBody }
  const Common = { output_config: Type.String({ minLength: 1, maxLength: 200 }), safety_level: Type.Optional(SafetyLevel), user_language: Type.Optional(Language) }

  /**
   * What both routes refuse as plain JSON before the stream (unknown or unavailable output,
   * too many waiting runs of this client, a full queue), then the stream, registered under a
   * fresh run id so the room view lists it and its Stop reaches it.
   */
  async function open (request: FastifyRequest, reply: FastifyReply, q: { output_config: string, safety_level?: string, user_language?: 'de' | 'en' }): Promise<Opened | undefined> {
    const lang = pickLang(q.user_language, request.headers['accept-language'])
    const bad = await renderError(fastify, q.output_config, lang)
    if (bad !== undefined) { await reply.code(bad.status as 404 | 409).send({ status: 'error', error: bad.error, code: bad.code }); return undefined }
    const refused = fastify.queue.refusal(request.client, lang)
    if (refused !== undefined) { await reply.code(429).header('Retry-After', '30').send({ status: 'error', error: refused.message, code: refused.code }); return undefined }
    if (!fastify.queue.admits()) { await queueFull(reply, lang); return undefined }
    const runId = randomUUID()
    return { run: fastify.openRunStream(reply, runId), runId, lang, level: safetyLevelOf(q.safety_level, fastify.config) }
  }

  async function fail (o: Opened, err: unknown, runId: string): Promise<void> {
    const e = toAppError(err)
    fastify.metrics.run('stream', err instanceof BlockedError ? 'blocked' : o.run.signal.aborted ? 'aborted' : 'error')
    if (o.run.signal.aborted && e.code !== 'SHUTTING_DOWN' && e.code !== 'STOPPED') return
    if (err instanceof BlockedError) {
      await o.run.sink.send('blocked', { stage: err.stage, reason: err.refusal.reason, message: err.refusal.message, found_terms: err.refusal.terms, code: 'BLOCKED', run_id: runId }).catch(() => {})
      return
    }
    await o.run.sink.send('error', { message: userMessage(e, o.lang), code: e.code, run_id: runId }).catch(() => {})
  }

  fastify.get('/api/schema/pipeline/generation', {
    sse,
    schema: {
      querystring: Type.Object({
        ...Common,
        prompt: Type.String({ minLength: 1, maxLength: limits.input * 4 }),
        seed: Type.Optional(Type.String({ maxLength: 20 })),
        run_id: Type.Optional(Type.String({ maxLength: 100 })),
        ...InputImages
      }, { additionalProperties: true }),
      response: errors
    }
  }, async (request, reply) => {
    const q = request.query
    const o = await open(request, reply, q)
    if (o === undefined) return reply
    let runId = o.runId
    const log = request.log.child({ run_id: runId })
    const send = (event: string, data: Record<string, unknown>): void => { o.run.sink.send(event, data).catch(() => {}) }
    try {
      const r = await fastify.pipeline.stage34({
        runId,
        client: request.client,
        // Continues the browser's own finished run when it names one; otherwise a new run (as stage3-4).
        continues: q.run_id !== undefined && isRunId(q.run_id) ? q.run_id : undefined,
        text: q.prompt,
        outputConfig: q.output_config,
        seed: seedOf(q.seed),
        images: imageTokens(q),
        safetyLevel: o.level,
        executionMode: 'eco',
        lang: o.lang,
        onStart: (id) => {
          if (id !== runId) { fastify.streams.rename(runId, id); log.info({ continues: id }, 'continues a run') }
          runId = id
          send('connected', { run_id: id, output_config: q.output_config })
          send('stage3_start', { stage: 3 })
        },
        onStage3: (s) => {
          send('stage3_complete', { stage: 3, safe: s.safe, was_translated: s.translation.trim() !== q.prompt.trim() })
          if (s.safe) send('stage4_start', { stage: 4 })
        }
      }, o.run.signal, log)
      if (r.media.status === 'blocked') {
        await o.run.sink.send('blocked', { stage: 3, reason: r.media.reason, message: r.media.message, found_terms: [], code: 'BLOCKED', run_id: r.runId })
      } else if (r.media.status === 'error') {
        await o.run.sink.send('error', { message: r.media.error, code: r.media.code, run_id: r.runId })
      } else {
        const outputs = r.outputs.map((m) => m.status !== 'success' ? m : { ...m, url: m.media_type === 'code' ? `/api/media/code/${r.runId}` : m.output, ...(m.media_type === 'code' ? { code: m.output } : {}) })
        await o.run.sink.send('complete', { media_output: outputs[0], ...(outputs.length > 1 ? { media_outputs: outputs } : {}), run_id: r.runId })
      }
      fastify.metrics.run('stream', r.media.status === 'success' ? 'completed' : r.media.status)
    } catch (err) {
      await fail(o, err, runId)
    } finally {
      o.run.cleanup()
    }
    return undefined
  })

  fastify.get('/api/schema/pipeline/optimize', {
    sse,
    schema: { querystring: Type.Object({ ...Common, input_text: Type.String({ minLength: 1, maxLength: limits.input * 4 }) }, { additionalProperties: true }), response: errors }
  }, async (request, reply) => {
    const q = request.query
    const o = await open(request, reply, q)
    if (o === undefined) return reply
    const log = request.log.child({ run_id: o.runId })
    try {
      await o.run.sink.send('connected', { run_id: o.runId })
      // The text passes Stage 1 in the engine; the instruction is the output's own, from the catalog.
      const r = await fastify.pipeline.optimize({ runId: o.runId, client: request.client, text: q.input_text, outputConfig: q.output_config, safetyLevel: o.level, executionMode: 'eco', lang: o.lang }, o.run.signal, log)
      await o.run.sink.send('chunk', { text_chunk: r.text, chunk_count: 1 })
      await o.run.sink.send('complete', { final_text: r.text, optimization_applied: r.applied, run_id: o.runId })
      fastify.metrics.run('stream', 'completed')
    } catch (err) {
      await fail(o, err, o.runId)
    } finally {
      o.run.cleanup()
    }
    return undefined
  })
}

/** The app sends the seed as text (sometimes empty or -1 for "random"). */
function seedOf (value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : undefined
}

export default routes
