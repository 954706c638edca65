import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify'
import { t, type Lang } from '../../services/i18n.js'
import { toAppError } from '../../services/errors.js'
import { BlockedError } from '../../services/pipeline/engine.js'
import type { Catalog } from '../../services/catalog/catalog.js'
import { userMessage } from '../../services/pipeline/error-messages.js'

/** How long a client refused for a full queue should wait before trying again, in seconds. */
export const RETRY_AFTER_S = 30

export interface Envelope {
  /** The error body of this route family: `{status: 'error', ...}` or `{success: false, ...}`. */
  fail: (error: string, code: string) => Record<string, unknown>
  /** The 403 body for a refusal. */
  blocked: (err: BlockedError) => Record<string, unknown>
}

/**
 * One JSON run, answered once: admitted or refused with 503 before any work, aborted when
 * the client leaves or the server shuts down, counted in the metrics, and every failure
 * mapped to its status and this route family's envelope. The watch is released on every path.
 */
export async function answerRun (
  fastify: FastifyInstance,
  reply: FastifyReply,
  a: { lang: Lang, envelope: Envelope, log: FastifyBaseLogger, runId?: string },
  work: (signal: AbortSignal) => Promise<Record<string, unknown>>
) {
  const { lang, envelope } = a
  if (!fastify.queue.admits()) {
    return await reply.code(503).header('Retry-After', String(RETRY_AFTER_S)).send(envelope.fail(t('queueFull', lang), 'QUEUE_FULL'))
  }
  const refused = fastify.queue.refusal(reply.request.client, lang)
  if (refused !== undefined) return await reply.code(429).header('Retry-After', String(RETRY_AFTER_S)).send(envelope.fail(refused.message, refused.code))
  const watched = fastify.watchRequest(reply, a.runId)
  try {
    const result = await work(watched.signal)
    fastify.metrics.run('json', 'completed')
    return await reply.send(result)
  } catch (err) {
    fastify.metrics.run('json', err instanceof BlockedError ? 'blocked' : watched.signal.aborted ? 'aborted' : 'error')
    if (err instanceof BlockedError) return await reply.code(403).send(envelope.blocked(err))
    const e = toAppError(err)
    // Nobody reads this answer any more; 499 (nginx's "client closed request") marks it in the log.
    if (watched.signal.aborted && e.code === 'ABORTED') return await reply.code(499).send(envelope.fail(e.message, 'ABORTED'))
    if (e.code === 'QUEUE_FULL' || e.code === 'TOO_MANY_WAITING') reply.header('Retry-After', String(RETRY_AFTER_S))
    a.log.info({ code: e.code, detail: e.message }, 'run failed')
    const status = e.statusCode >= 400 && e.statusCode < 600 && e.statusCode !== 499 ? e.statusCode : 500
    return await reply.code(status).send(envelope.fail(userMessage(e, lang), e.code))
  } finally {
    watched.cleanup()
  }
}

/**
 * Why an output config cannot be used, as a status and message, or undefined when it can:
 * unknown (404), or known but unable to run here (409, with the catalog's reason).
 */
export function outputError (catalog: Catalog, id: string, lang: Lang): { status: number, error: string, code: string } | undefined {
  if (catalog.outputConfig(id) !== undefined) return undefined
  const why = catalog.unavailableReason(id)
  if (why !== undefined) return { status: 409, error: `${t('unknownOutput', lang, { id })}: ${why}`, code: 'OUTPUT_UNAVAILABLE' }
  return { status: 404, error: t('unknownOutput', lang, { id }), code: 'UNKNOWN_SCHEMA' }
}

/**
 * `outputError`, and for a run that will render: an output ComfyUI cannot run right now (a node
 * type or model file missing, from the cached availability report) is refused before any
 * model work, with the reason, instead of failing after Stages 1–3.
 */
export async function renderError (fastify: FastifyInstance, id: string, lang: Lang): Promise<{ status: number, error: string, code: string } | undefined> {
  const bad = outputError(fastify.catalog, id, lang)
  if (bad !== undefined) return bad
  const now = await fastify.availability.report()
  const why = now.reasons[id]
  // Which file or node is missing is for the admin's /ready, not for every visitor.
  if (now.comfyui_reachable && why !== undefined) return { status: 409, error: t('outputNotNow', lang, { id }), code: 'OUTPUT_UNAVAILABLE' }
  return undefined
}
