import type { FastifyError, FastifyInstance } from 'fastify'
import configPlugin, { type ConfigPluginOptions } from './plugins/config.js'
import ollamaPlugin, { type OllamaPluginOptions } from './plugins/ollama.js'
import queuePlugin from './plugins/queue.js'
import catalogPlugin from './plugins/catalog.js'
import pipelinePlugin from './plugins/pipeline.js'
import mediaPlugin, { type MediaPluginOptions } from './plugins/media.js'
import runsPlugin from './plugins/runs.js'
import httpPlugin from './plugins/http.js'
import authPlugin from './plugins/auth.js'
import metricsPlugin from './plugins/metrics.js'
import streamsPlugin from './plugins/streams.js'
import availabilityPlugin from './plugins/availability.js'
import schemaRoutes from './routes/schema/index.js'
import healthRoutes from './routes/health/index.js'
import queueRoutes from './routes/queue/index.js'
import configRoutes from './routes/config/index.js'
import runRoutes from './routes/runs/index.js'
import uploadRoutes from './routes/uploads/index.js'
import modelRoutes from './routes/models/index.js'
import workshopRoutes from './routes/workshop/index.js'
import adminRoutes from './routes/admin/index.js'
import webPlugin, { type WebPluginOptions } from './plugins/web.js'
import { isAppError } from './services/errors.js'
import { echo, pickLang } from './services/i18n.js'

/** Stable codes for Fastify's own 4xx errors (its FST_ERR_* names are not a contract). */
const CLIENT_ERROR_CODES: Record<number, string> = { 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED' }

export interface AppOptions extends ConfigPluginOptions, OllamaPluginOptions, MediaPluginOptions {
  /** The built pages' folder (default dist/web). */
  web?: WebPluginOptions
}

/**
 * The app as a plugin: infrastructure first (each plugin declares what it depends on),
 * then the routes that compose it. Plugins are registered explicitly rather than
 * autoloaded, so the same code runs from TypeScript sources (tests) and from dist/.
 */
export default async function app (fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(configPlugin, { ...(opts.env === undefined ? {} : { env: opts.env }) })
  await fastify.register(httpPlugin)
  await fastify.register(authPlugin)
  await fastify.register(ollamaPlugin, { ...(opts.client === undefined ? {} : { client: opts.client }) })
  await fastify.register(queuePlugin)
  await fastify.register(catalogPlugin)
  await fastify.register(runsPlugin)
  await fastify.register(mediaPlugin, { ...(opts.comfyui === undefined ? {} : { comfyui: opts.comfyui }) })
  await fastify.register(pipelinePlugin)
  await fastify.register(streamsPlugin)
  await fastify.register(availabilityPlugin)
  await fastify.register(metricsPlugin)

  // api.md: bad input is a 4xx JSON with `status`, `error` and `code`, never a 5xx.
  fastify.setErrorHandler((err: FastifyError, request, reply) => {
    const lang = pickLang(undefined, request.headers['accept-language'])
    // The stage routes answer `{success: false, ...}`, the others `{status: 'error', ...}`.
    const envelope = (request.routeOptions.config as { envelope?: string } | undefined)?.envelope === 'success' ? { success: false } : { status: 'error' }
    const send = (status: number, error: string, code: string) => reply.code(status).send({ ...envelope, error, code })
    if (err.validation !== undefined) return send(400, err.message, 'BAD_REQUEST')
    if (isAppError(err)) return send(err.statusCode, err.message, err.code)
    const status = err.statusCode ?? 500
    if (status < 500) return send(status, err.message, CLIENT_ERROR_CODES[status] ?? 'BAD_REQUEST')
    request.log.error({ err }, 'unhandled error')
    return send(500, lang === 'de' ? 'Interner Fehler' : 'Internal error', 'INTERNAL_ERROR')
  })

  fastify.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ status: 'error', error: `Route ${request.method} ${echo(request.url.split('?')[0] ?? '')} not found`, code: 'NOT_FOUND' })
  })

  // After the handlers: a route context takes the error handler in force when it is created.
  await fastify.register(healthRoutes)
  await fastify.register(queueRoutes)
  await fastify.register(schemaRoutes)
  await fastify.register(configRoutes)
  await fastify.register(runRoutes)
  await fastify.register(uploadRoutes)
  await fastify.register(modelRoutes)
  await fastify.register(workshopRoutes)
  await fastify.register(adminRoutes)
  await fastify.register(webPlugin, opts.web ?? {})
}
