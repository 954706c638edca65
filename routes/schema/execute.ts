import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { localize, pickLang, t, type Localized } from '../../services/i18n.js'
import { answerRun, renderError, RETRY_AFTER_S, type Envelope } from './answer.js'
import type { SafetyLevel } from '../../services/safety/term-filter.js'
import { runLevel } from '../../services/safety/levels.js'
import type { Config } from '../../plugins/config.js'
import { ErrorBody, executeBody, executeParams, imageTokens, type ExecuteBody, type ExecuteParams } from './schemas.js'

/** The run's level: the deployment's, or a stricter one the request asks for (services/safety/levels.ts). */
export function safetyLevelOf (value: string | undefined, config: Pick<Config, 'SAFETY_LEVEL' | 'SAFETY_LEVELS_ALLOWED'>): SafetyLevel {
  return runLevel(value, config.SAFETY_LEVEL, config.SAFETY_LEVELS_ALLOWED)
}

/** `/api/schema/pipeline/execute`: the streaming run (GET, or POST with enable_streaming) and the JSON run. */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const limits = { input: fastify.config.INPUT_MAX_CHARS, context: fastify.config.CONTEXT_MAX_CHARS }
  const sse = { kind: 'manual', heartbeat: false } as const
  const errors = { 400: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody, 503: ErrorBody }

  // EventSource can only stream, so GET streams whatever enable_streaming says. The workshop's
  // app asks for the same run (Stages 1–2) under /interception.
  for (const path of ['/api/schema/pipeline/execute', '/api/schema/pipeline/interception']) {
    fastify.get(path, { sse, schema: { querystring: executeParams(limits), response: errors } }, async (request, reply) => {
      return await stream(request, reply, request.query)
    })
  }

  fastify.post('/api/schema/pipeline/execute', { sse, schema: { body: executeBody(limits), response: errors } }, async (request, reply) => {
    if (request.body.enable_streaming === true) return await stream(request, reply, request.body)
    return await json(request, reply, request.body)
  })

  /**
   * Everything that can be refused is refused as plain JSON before the first byte of the
   * stream; after that, every problem is an `error` event.
   */
  async function stream (request: FastifyRequest, reply: FastifyReply, p: ExecuteParams) {
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    const config = fastify.catalog.interceptionConfig(p.schema)
    if (config === undefined) return await reply.code(404).send({ status: 'error', error: t('unknownSchema', lang, { id: p.schema }), code: 'UNKNOWN_SCHEMA' })
    if (p.input_text.trim() === '') return await reply.code(400).send({ status: 'error', error: t('emptyInput', lang), code: 'BAD_REQUEST' })
    if (!fastify.queue.admits()) return await queueFull(reply, lang)
    const refused = fastify.queue.refusal(request.client, lang)
    if (refused !== undefined) return await reply.code(429).header('Retry-After', String(RETRY_AFTER_S)).send({ status: 'error', error: refused.message, code: refused.code })

    const runId = randomUUID()
    const log = request.log.child({ run_id: runId })
    const run = fastify.openRunStream(reply, runId)
    try {
      const level = safetyLevelOf(p.safety_level, fastify.config)
      log.info({ schema: config.id, safety_level: level, execution_mode: p.execution_mode ?? 'eco' }, 'streaming run started')
      const outcome = await fastify.pipeline.stream({ runId, client: request.client, config, inputText: p.input_text, contextPrompt: p.context_prompt, safetyLevel: level, executionMode: p.execution_mode ?? 'eco', lang, accumulated: p.accumulated === true }, run.sink, run.signal, log)
      fastify.metrics.run('stream', outcome.status)
    } finally {
      run.cleanup()
    }
    // Not `return reply`: a reply is a thenable that settles when the response has ended,
    // and @fastify/sse ends it only after this handler's promise settles.
    return undefined
  }

  /** All four stages, answered once (api.md §2). */
  async function json (request: FastifyRequest, reply: FastifyReply, p: ExecuteBody) {
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    const config = fastify.catalog.interceptionConfig(p.schema)
    if (config === undefined) return await reply.code(404).send({ status: 'error', error: t('unknownSchema', lang, { id: p.schema }), code: 'UNKNOWN_SCHEMA' })
    if (p.input_text.trim() === '') return await reply.code(400).send({ status: 'error', error: t('emptyInput', lang), code: 'BAD_REQUEST' })
    const badOutput = p.output_config === undefined ? undefined : await renderError(fastify, p.output_config, lang)
    if (badOutput !== undefined) return await reply.code(badOutput.status).send({ status: 'error', error: badOutput.error, code: badOutput.code })
    const runId = randomUUID()
    const log = request.log.child({ run_id: runId })
    const level = safetyLevelOf(p.safety_level, fastify.config)
    const envelope: Envelope = {
      fail: (error, code) => ({ status: 'error', error, code, run_id: runId }),
      blocked: (err) => ({ status: 'error', schema: config.id, error: err.message, code: 'BLOCKED', metadata: { stage: 'pre_interception', category: err.refusal.category, terms: err.refusal.terms }, run_id: runId })
    }
    return await answerRun(fastify, reply, { lang, envelope, log, runId }, async (signal) => {
      const given = p.optimization_result ?? p.interception_result ?? (p.stage4_only === true ? p.input_text : undefined)
      const r = await fastify.pipeline.execute({
        runId, client: request.client, config, inputText: p.input_text, contextPrompt: p.context_prompt, safetyLevel: level, executionMode: p.execution_mode ?? 'eco', lang, contextLang: p.context_language ?? 'en', outputConfig: p.output_config, given, givenIsOptimized: p.optimization_result !== undefined, seed: p.seed, images: imageTokens(p)
      }, signal, log)
      return {
        status: 'success',
        run_id: runId,
        schema: config.id,
        config_name: localize(config.name as Localized, lang),
        input_text: p.input_text,
        final_output: r.text.optimized,
        steps_completed: r.stepsCompleted,
        execution_time: r.executionMs / 1000,
        metadata: {
          model: r.text.model ?? null,
          interception_result: r.text.interception,
          optimized_prompt: r.text.optimizationApplied ? r.text.optimized : null,
          optimization_applied: r.text.optimizationApplied,
          safety_level: level,
          execution_mode: p.execution_mode ?? 'eco',
          stage1_time_ms: r.text.stage1Ms,
          stage2_time_ms: r.text.stage2Ms
        },
        ...(r.media === undefined ? {} : { media_output: r.media }),
        ...(r.outputs.length > 1 ? { media_outputs: r.outputs, media_output_count: r.outputs.length } : {})
      }
    })
  }
}

export async function queueFull (reply: FastifyReply, lang: 'de' | 'en') {
  return await reply.code(503).header('Retry-After', String(RETRY_AFTER_S)).send({ status: 'error', error: t('queueFull', lang), code: 'QUEUE_FULL' })
}

export default routes
