import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { pickLang } from '../../services/i18n.js'
import { toAppError } from '../../services/errors.js'
import { userMessage } from '../../services/pipeline/error-messages.js'
import { isRunId } from '../../services/run-store.js'
import { BlockedError } from '../../services/pipeline/engine.js'
import { outputError, renderError } from '../schema/answer.js'
import { queueFull, safetyLevelOf } from '../schema/execute.js'
import { ErrorBody, imageTokens, InputImages, Language, SafetyLevel } from '../schema/schemas.js'

/**
 * The streaming routes the workshop's Vue app uses on its main path besides api.md's: it
 * follows Stage 3–4 over `GET /api/schema/pipeline/generation` (EventSource, so every field
 * in the query) and the optimization over `GET /api/schema/pipeline/optimize`. Same engine,
 * same lifecycle, same safety stages as the documented routes; only the events differ.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const limits = { input: fastify.config.INPUT_MAX_CHARS, context: fastify.config.CONTEXT_MAX_CHARS }
  const sse = { kind: 'manual', heartbeat: false } as const
  const errors = { 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody }
  const Seed = Type.Optional(Type.String({ maxLength: 20 }))

  fastify.get('/api/schema/pipeline/generation', {
    sse,
    schema: {
      querystring: Type.Object({
        prompt: Type.String({ minLength: 1, maxLength: limits.input * 4 }),
        output_config: Type.String({ minLength: 1, maxLength: 200 }),
        safety_level: Type.Optional(SafetyLevel),
        seed: Seed,
        run_id: Type.Optional(Type.String({ maxLength: 100 })),
        user_language: Type.Optional(Language),
        ...InputImages
      }, { additionalProperties: true }),
      response: errors
    }
  }, async (request, reply) => {
    const q = request.query
    const lang = pickLang(q.user_language, request.headers['accept-language'])
    const bad = await renderError(fastify, q.output_config, lang)
    if (bad !== undefined) return await reply.code(bad.status as 404 | 409).send({ status: 'error', error: bad.error, code: bad.code })
    if (!fastify.queue.admits()) return await queueFull(reply, lang)
    // Continues the browser's own finished run when it names one; otherwise a new run (see stage3-4).
    const continues = q.run_id !== undefined && isRunId(q.run_id) ? q.run_id : undefined
    const runId = randomUUID()
    const log = request.log.child({ run_id: runId, ...(continues === undefined ? {} : { continues }) })
    const run = fastify.openRunStream(reply)
    const send = (event: string, data: Record<string, unknown>): void => { run.sink.send(event, data).catch(() => {}) }
    try {
      send('connected', { run_id: continues ?? runId, output_config: q.output_config })
      send('stage3_start', { stage: 3 })
      const r = await fastify.pipeline.stage34({
        runId,
        text: q.prompt,
        outputConfig: q.output_config,
        seed: seedOf(q.seed),
        images: imageTokens(q),
        client: request.client,
        continues,
        safetyLevel: safetyLevelOf(q.safety_level, fastify.config),
        executionMode: 'eco',
        lang,
        onStage3: (s) => {
          send('stage3_complete', { stage: 3, safe: s.safe, was_translated: s.translation.trim() !== q.prompt.trim() })
          if (s.safe) send('stage4_start', { stage: 4 })
        }
      }, run.signal, log)
      if (r.media.status === 'blocked') {
        await run.sink.send('blocked', { stage: 3, reason: r.media.reason, message: r.media.message, found_terms: [], code: 'BLOCKED', run_id: r.runId })
      } else if (r.media.status === 'error') {
        await run.sink.send('error', { message: r.media.error, code: r.media.code, run_id: r.runId })
      } else {
        const outputs = r.outputs.map((m) => m.status !== 'success' ? m : { ...m, url: m.media_type === 'code' ? `/api/media/code/${r.runId}` : m.output, ...(m.media_type === 'code' ? { code: m.output } : {}) })
        await run.sink.send('complete', { media_output: outputs[0], ...(outputs.length > 1 ? { media_outputs: outputs } : {}), run_id: r.runId })
      }
      fastify.metrics.run('stream', r.media.status === 'success' ? 'completed' : r.media.status)
    } catch (err) {
      await sendFailure(run, err, runId, lang)
    } finally {
      run.cleanup()
    }
    return undefined
  })

  fastify.get('/api/schema/pipeline/optimize', {
    sse,
    schema: {
      querystring: Type.Object({
        input_text: Type.String({ minLength: 1, maxLength: limits.input * 4 }),
        output_config: Type.String({ minLength: 1, maxLength: 200 }),
        user_language: Type.Optional(Language)
      }, { additionalProperties: true }),
      response: errors
    }
  }, async (request, reply) => {
    const q = request.query
    const lang = pickLang(q.user_language, request.headers['accept-language'])
    const bad = outputError(fastify.catalog, q.output_config, lang)
    if (bad !== undefined) return await reply.code(bad.status as 404 | 409).send({ status: 'error', error: bad.error, code: bad.code })
    if (!fastify.queue.admits()) return await queueFull(reply, lang)
    const runId = randomUUID()
    const run = fastify.openRunStream(reply)
    try {
      await run.sink.send('connected', { run_id: runId })
      // The instruction is the output's own from the catalog: a client's text never becomes a model's instructions here.
      const r = await fastify.pipeline.optimize({ runId, text: q.input_text, outputConfig: q.output_config }, run.signal)
      await run.sink.send('chunk', { text_chunk: r.text, chunk_count: 1 })
      await run.sink.send('complete', { final_text: r.text, optimization_applied: r.applied, run_id: runId })
    } catch (err) {
      await sendFailure(run, err, runId, lang)
    } finally {
      run.cleanup()
    }
    return undefined
  })

  async function sendFailure (run: { sink: { send: (e: string, d: Record<string, unknown>) => Promise<void> }, signal: AbortSignal }, err: unknown, runId: string, lang: 'de' | 'en'): Promise<void> {
    if (run.signal.aborted && toAppError(err).code !== 'SHUTTING_DOWN') return
    if (err instanceof BlockedError) {
      await run.sink.send('blocked', { stage: err.stage, reason: err.refusal.reason, message: err.refusal.message, found_terms: err.refusal.terms, code: 'BLOCKED', run_id: runId }).catch(() => {})
      return
    }
    const e = toAppError(err)
    await run.sink.send('error', { message: userMessage(e, lang), code: e.code, run_id: runId }).catch(() => {})
  }
}

/** The app sends the seed as text (sometimes empty or -1 for "random"). */
function seedOf (value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}$/.test(value)) return undefined
  const n = Number(value)
  return Number.isSafeInteger(n) ? n : undefined
}

export default routes
