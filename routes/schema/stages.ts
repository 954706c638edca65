import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from '@sinclair/typebox'
import { pickLang, t } from '../../services/i18n.js'
import { BlockedError } from '../../services/pipeline/engine.js'
import { isRunId } from '../../services/run-store.js'
import { answerRun, outputError, renderError, type Envelope } from './answer.js'
import { safetyLevelOf } from './execute.js'
import { FailBody, imageTokens, optimizeBody, stage2Body, stage34Body } from './schemas.js'

/** Tells the error handler to answer in the `{success: false, error, code}` envelope. */
const SUCCESS_ENVELOPE = { envelope: 'success' }

/** The stage routes of api.md §3, with the `{success: ...}` envelope. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const limits = { input: fastify.config.INPUT_MAX_CHARS, context: fastify.config.CONTEXT_MAX_CHARS }
  const fails = { 400: FailBody, 403: FailBody, 404: FailBody, 409: FailBody, 503: FailBody }

  const fail = async (reply: FastifyReply, status: number, error: string, code: string, extra: Record<string, unknown> = {}) =>
    await reply.code(status).send({ success: false, error, code, ...extra })

  /** The stage routes' envelope; a refusal names the stage and the level. */
  const envelope = (level: string): Envelope => ({
    fail: (error, code) => ({ success: false, error, code }),
    blocked: (err) => ({ success: false, error: err.message, code: 'BLOCKED', blocked_at_stage: err.stage, safety_level: level, category: err.refusal.category, terms: err.refusal.terms })
  })

  fastify.post('/api/schema/pipeline/stage2', { config: SUCCESS_ENVELOPE, schema: { body: stage2Body(limits), response: fails } }, async (request, reply) => {
    const p = request.body
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    const config = fastify.catalog.interceptionConfig(p.schema)
    if (config === undefined) return await fail(reply, 404, t('unknownSchema', lang, { id: p.schema }), 'UNKNOWN_SCHEMA')
    { const bad = p.output_config === undefined ? undefined : outputError(fastify.catalog, p.output_config, lang); if (bad !== undefined) return await fail(reply, bad.status, bad.error, bad.code) }
    if (p.input_text.trim() === '') return await fail(reply, 400, t('emptyInput', lang), 'BAD_REQUEST')
    const level = safetyLevelOf(p.safety_level, fastify.config)
    const runId = randomUUID()
    const log = request.log.child({ run_id: runId })
    const started = Date.now()
    return await answerRun(fastify, reply, { lang, envelope: envelope(level), log, runId }, async (signal) => {
      const r = await fastify.pipeline.stage2({ runId, client: request.client, config, inputText: p.input_text, contextPrompt: p.context_prompt, outputConfig: p.output_config, safetyLevel: level, executionMode: p.execution_mode ?? 'eco', lang }, signal, log)
      return {
        success: true,
        stage2_result: r.optimized,
        interception_result: r.interception,
        optimized_prompt: r.optimizationApplied ? r.optimized : null,
        optimization_applied: r.optimizationApplied,
        run_id: runId,
        model_used: r.model,
        execution_time_ms: Date.now() - started,
        stage1_time_ms: r.stage1Ms,
        stage2_time_ms: r.stage2Ms
      }
    })
  })

  fastify.post('/api/schema/pipeline/stage3-4', { config: SUCCESS_ENVELOPE, schema: { body: stage34Body(limits), response: fails } }, async (request, reply) => {
    const p = request.body
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    { const bad = await renderError(fastify, p.output_config, lang); if (bad !== undefined) return await fail(reply, bad.status, bad.error, bad.code) }
    if (p.run_id !== undefined && !isRunId(p.run_id)) return await fail(reply, 400, t('badRunId', lang), 'BAD_REQUEST')
    const level = safetyLevelOf(p.safety_level, fastify.config)
    // The run continues p.run_id only if that is this browser's own finished run; otherwise
    // (unknown, someone else's, in progress) it is a new run under this fresh id.
    const runId = randomUUID()
    const log = request.log.child({ run_id: runId, ...(p.run_id === undefined ? {} : { continues: p.run_id }) })
    const started = Date.now()
    return await answerRun(fastify, reply, { lang, envelope: envelope(level), log, runId }, async (signal) => {
      const r = await fastify.pipeline.stage34({
        runId,
        client: request.client,
        continues: p.run_id,
        text: p.stage2_result,
        outputConfig: p.output_config,
        seed: p.seed,
        images: imageTokens(p),
        safetyLevel: level,
        executionMode: 'eco',
        lang,
        onStart: (id) => { if (id !== runId) fastify.streams.rename(runId, id) }
      }, signal, log)
      if (r.media.status === 'blocked') throw new BlockedError(3, { category: 'other', terms: [], reason: r.media.reason, message: r.media.message })
      return { success: true, media_output: r.media, ...(r.outputs.length > 1 ? { media_outputs: r.outputs, media_output_count: r.outputs.length } : {}), stage3_result: r.stage3, run_id: r.runId, execution_time_ms: Date.now() - started, stage3_time_ms: r.stage3Ms, stage4_time_ms: r.stage4Ms }
    })
  })

  fastify.get('/api/schema/pipeline/optimize/meta/:output_config', {
    config: SUCCESS_ENVELOPE,
    schema: {
      params: Type.Object({ output_config: Type.String({ minLength: 1, maxLength: 200 }) }),
      response: { 200: Type.Object({ success: Type.Literal(true), optimization_instruction: Type.String(), estimated_duration_seconds: Type.String() }), 404: FailBody }
    }
  }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    { const bad = outputError(fastify.catalog, request.params.output_config, lang); if (bad !== undefined) return await fail(reply, bad.status, bad.error, bad.code) }
    const meta = fastify.pipeline.optimizeMeta(request.params.output_config)
    return { success: true as const, optimization_instruction: meta.instruction, estimated_duration_seconds: meta.seconds }
  })

  fastify.post('/api/schema/pipeline/optimize', { config: SUCCESS_ENVELOPE, schema: { body: optimizeBody(limits), response: fails } }, async (request, reply) => {
    const p = request.body
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    { const bad = outputError(fastify.catalog, p.output_config, lang); if (bad !== undefined) return await fail(reply, bad.status, bad.error, bad.code) }
    const started = Date.now()
    const level = safetyLevelOf(p.safety_level, fastify.config)
    const runId = randomUUID()
    const log = request.log.child({ run_id: runId })
    return await answerRun(fastify, reply, { lang, envelope: envelope(level), log, runId }, async (signal) => {
      const r = await fastify.pipeline.optimize({ runId, client: request.client, text: p.input_text, outputConfig: p.output_config, safetyLevel: level, executionMode: 'eco', lang }, signal, log)
      return { success: true, optimized_prompt: r.text, optimization_applied: r.applied, estimated_duration_seconds: fastify.pipeline.optimizeMeta(p.output_config).seconds, execution_time_ms: Date.now() - started }
    })
  })
}

export default routes
