import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { pickLang, t } from '../../services/i18n.js'
import type { SafetyLevel } from '../../services/safety/term-filter.js'
import { ErrorBody, executeParams, InfoResponse, SchemasResponse, type ExecuteParams } from './schemas.js'

/** How long a client refused for a full queue should wait before trying again, in seconds. */
const RETRY_AFTER_S = 30

const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const params = executeParams({ input: fastify.config.INPUT_MAX_CHARS, context: fastify.config.CONTEXT_MAX_CHARS })
  const sse = { kind: 'manual', heartbeat: false } as const
  const errors = { 400: ErrorBody, 404: ErrorBody, 501: ErrorBody, 503: ErrorBody }

  fastify.get('/api/schema/pipeline/execute', { sse, schema: { querystring: params, response: errors } }, async (request, reply) => {
    // EventSource can only stream, so GET streams whatever enable_streaming says.
    return await execute(request, reply, request.query, true)
  })

  fastify.post('/api/schema/pipeline/execute', { sse, schema: { body: params, response: errors } }, async (request, reply) => {
    return await execute(request, reply, request.body, request.body.enable_streaming === true)
  })

  fastify.get('/api/schema/info', { schema: { response: { 200: InfoResponse } } }, async () => {
    const ids = fastify.catalog.interceptionConfigs().map((c) => c.id)
    return { status: 'success' as const, schemas_available: ids.length, schemas: ids, engine_status: 'initialized' as const }
  })

  fastify.get('/api/schema/schemas', { schema: { response: { 200: SchemasResponse } } }, async () => {
    const catalog = fastify.catalog
    return { status: 'success' as const, schemas: catalog.interceptionConfigs().map((c) => catalog.describe(c)) as never }
  })

  /**
   * Everything that can be refused is refused as plain JSON before the first byte of the
   * stream; after that, every problem is an `error` event.
   */
  async function execute (request: FastifyRequest, reply: FastifyReply, p: ExecuteParams, streaming: boolean) {
    const lang = pickLang(p.user_language, request.headers['accept-language'])
    const config = fastify.catalog.interceptionConfig(p.schema)
    if (config === undefined) {
      return reply.code(404).send({ status: 'error', error: t('unknownSchema', lang, { id: p.schema }), code: 'UNKNOWN_SCHEMA' })
    }
    if (p.input_text.trim() === '') {
      return reply.code(400).send({ status: 'error', error: lang === 'de' ? 'input_text ist leer' : 'input_text is empty', code: 'BAD_REQUEST' })
    }
    if (!streaming) {
      return reply.code(501).send({ status: 'error', error: t('notStreamingYet', lang), code: 'NOT_IMPLEMENTED' })
    }
    if (!fastify.queue.admits()) {
      return reply.code(503).header('Retry-After', String(RETRY_AFTER_S)).send({ status: 'error', error: t('queueFull', lang), code: 'QUEUE_FULL' })
    }

    const runId = randomUUID()
    const log = request.log.child({ run_id: runId })
    const stream = fastify.openRunStream(reply)
    try {
      const level = (p.safety_level === 'open' ? 'adult' : p.safety_level ?? 'youth') as SafetyLevel
      log.info({ schema: config.id, safety_level: level, execution_mode: p.execution_mode ?? 'eco' }, 'streaming run started')
      await fastify.pipeline.stream({
        runId,
        config,
        inputText: p.input_text,
        contextPrompt: p.context_prompt,
        safetyLevel: level,
        executionMode: p.execution_mode ?? 'eco',
        lang
      }, stream.sink, stream.signal, log)
    } finally {
      stream.cleanup()
    }
    // Not `return reply`: a reply is a thenable that settles when the response has ended,
    // and @fastify/sse ends it only after this handler's promise settles.
    return undefined
  }
}

export default routes
