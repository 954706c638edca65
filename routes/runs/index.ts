import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { pickLang, t } from '../../services/i18n.js'
import { parseRange } from '../../services/byte-range.js'
import { contentTypeOf, isRunFileName, isRunId, type EntityRecord, type RunMetadata } from '../../services/run-store.js'

const RunParams = Type.Object({ run_id: Type.String({ maxLength: 200 }) })
/** `/api/media/<media_type>/...` → the entity type it serves; the p5.js sketch is `code` (and `p5`, as the workshop's app also says). */
const MEDIA_ENTITY: Record<string, string> = { image: 'output_image', audio: 'output_audio', music: 'output_music', video: 'output_video', code: 'p5', p5: 'p5' }

/**
 * The run store over HTTP (api.md §5). Every id and file name is checked against the
 * server's own forms before it comes near a path; reading never writes. A run is private to
 * the browser that made it (plugins/auth.ts): to anyone else, without the admin token, it
 * answers exactly as a run that does not exist.
 */
const routes: FastifyPluginAsyncTypebox = async (fastify) => {
  const store = fastify.runs
  const fileUrl = (runId: string, e: EntityRecord): string => `/api/pipeline/${runId}/file/${e.filename}`

  /** The run's metadata if this request may read it, or a 400/404 already sent. */
  async function load (request: FastifyRequest, runId: string, reply: FastifyReply, lang: 'de' | 'en'): Promise<RunMetadata | undefined> {
    if (!isRunId(runId)) { await reply.code(400).send({ status: 'error', error: t('badRunId', lang), code: 'BAD_REQUEST' }); return undefined }
    const found = await store.metadata(runId)
    const meta = found !== undefined && fastify.auth.mayRead(request, found.owner) ? found : undefined
    if (meta === undefined) await reply.code(404).send({ status: 'error', error: t('unknownRun', lang, { id: runId }), code: 'NOT_FOUND' })
    return meta
  }

  /** A stored file, whole or (audio and video players seeking) one byte range of it. */
  async function sendFile (reply: FastifyReply, runId: string, filename: string, lang: 'de' | 'en') {
    const path = await store.filePath(runId, filename)
    if (path === undefined) {
      // A run in progress keeps its small entities in memory until its end.
      const held = store.heldFile(runId, filename)
      if (held !== undefined) return await reply.type(contentTypeOf(filename)).header('Cache-Control', 'no-store').header('X-Content-Type-Options', 'nosniff').send(held)
    }
    const size = path === undefined ? undefined : (await stat(path).catch(() => undefined))?.size
    if (path === undefined || size === undefined) return await reply.code(404).send({ status: 'error', error: t('unknownRun', lang, { id: `${runId}/${filename}` }), code: 'NOT_FOUND' })
    reply.header('Accept-Ranges', 'bytes').header('X-Content-Type-Options', 'nosniff')
    const range = parseRange(reply.request.headers.range, size)
    if (range.kind === 'unsatisfiable') return await reply.code(416).header('Content-Range', `bytes */${size}`).send({ status: 'error', error: 'Range not satisfiable', code: 'BAD_REQUEST' })
    reply.type(contentTypeOf(filename)).header('Cache-Control', 'private, max-age=3600')
    if (range.kind === 'whole') return await reply.header('Content-Length', size).send(createReadStream(path))
    return await reply.code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', range.end - range.start + 1)
      .send(createReadStream(path, { start: range.start, end: range.end }))
  }

  fastify.get('/api/pipeline/:run_id/status', { schema: { params: RunParams } }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const meta = await load(request, request.params.run_id, reply, lang)
    if (meta === undefined) return reply
    const types = new Set(meta.entities.map((e) => e.type))
    const completed = meta.expected_outputs.filter((o) => types.has(o) || types.has(MEDIA_ENTITY[o] ?? `output_${o}`))
    return {
      run_id: meta.run_id,
      current_state: meta.current_state,
      expected_outputs: meta.expected_outputs,
      completed_outputs: completed,
      next_expected: meta.expected_outputs.find((o) => !completed.includes(o)) ?? null,
      entities: meta.entities.map((e) => e.type)
    }
  })

  fastify.get('/api/pipeline/:run_id/entities', { schema: { params: RunParams } }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const meta = await load(request, request.params.run_id, reply, lang)
    if (meta === undefined) return reply
    return { run_id: meta.run_id, entity_count: meta.entities.length, entities: meta.entities.map((e) => ({ ...e, url: fileUrl(meta.run_id, e) })) }
  })

  fastify.get('/api/pipeline/:run_id/entity/:type', {
    schema: { params: Type.Object({ run_id: Type.String({ maxLength: 200 }), type: Type.String({ pattern: '^[a-z0-9_]{1,40}$' }) }) }
  }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const meta = await load(request, request.params.run_id, reply, lang)
    if (meta === undefined) return reply
    const entity = meta.entities.filter((e) => e.type === request.params.type).at(-1)
    if (entity === undefined) return await reply.code(404).send({ status: 'error', error: `no ${request.params.type} in this run`, code: 'NOT_FOUND' })
    return await sendFile(reply, meta.run_id, entity.filename, lang)
  })

  fastify.get('/api/pipeline/:run_id/file/:filename', {
    schema: { params: Type.Object({ run_id: Type.String({ maxLength: 200 }), filename: Type.String({ maxLength: 200 }) }) }
  }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const { run_id: runId, filename } = request.params
    if (!isRunId(runId) || !isRunFileName(filename)) return await reply.code(400).send({ status: 'error', error: t('badRunId', lang), code: 'BAD_REQUEST' })
    if (await load(request, runId, reply, lang) === undefined) return reply
    return await sendFile(reply, runId, filename, lang)
  })

  fastify.get('/api/media/images/:run_id', { schema: { params: RunParams } }, async (request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const meta = await load(request, request.params.run_id, reply, lang)
    if (meta === undefined) return reply
    const images = meta.entities.filter((e) => e.type === 'output_image')
    return { run_id: meta.run_id, count: images.length, images: images.map((e, index) => ({ index, filename: e.filename, url: `/api/media/image/${meta.run_id}/${index}`, metadata: e.metadata })) }
  })

  const mediaParams = Type.Object({
    media_type: Type.Union(Object.keys(MEDIA_ENTITY).map((k) => Type.Literal(k))),
    run_id: Type.String({ maxLength: 200 }),
    index: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 }))
  })
  const media = async (request: FastifyRequest<{ Params: { media_type: string, run_id: string, index?: number | undefined } }>, reply: FastifyReply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    const meta = await load(request, request.params.run_id, reply, lang)
    if (meta === undefined) return reply
    const entity = meta.entities.filter((e) => e.type === MEDIA_ENTITY[request.params.media_type])[request.params.index ?? 0]
    if (entity === undefined) return await reply.code(404).send({ status: 'error', error: `no ${request.params.media_type} in this run`, code: 'NOT_FOUND' })
    return await sendFile(reply, meta.run_id, entity.filename, lang)
  }
  fastify.get('/api/media/:media_type/:run_id', { schema: { params: mediaParams } }, media)
  fastify.get('/api/media/:media_type/:run_id/:index', { schema: { params: mediaParams } }, media)
}

export default routes
