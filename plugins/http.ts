import { isIP } from 'node:net'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import cors from '@fastify/cors'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../services/errors.js'
import { pickLang } from '../services/i18n.js'

/**
 * The client's address: behind a proxy (TRUST_PROXY=true, e.g. a Cloudflare tunnel) the
 * address Cloudflare saw (CF-Connecting-IP); otherwise the socket's peer. Without
 * TRUST_PROXY the header is ignored, so nobody can pick their own rate-limit bucket.
 */
export function clientAddress (request: FastifyRequest, trustProxy: boolean): string {
  const header = request.headers['cf-connecting-ip']
  if (trustProxy && typeof header === 'string' && isIP(header.trim()) !== 0) return header.trim()
  return request.socket.remoteAddress ?? request.ip
}

const RATE_LIMITED = {
  de: 'Zu viele Anfragen von dieser Adresse. Bitte warte kurz.',
  en: 'Too many requests from this address. Please wait a moment.'
}

/**
 * HTTP hygiene for every route: a body size limit, rate limiting per client address
 * (RATE_LIMIT_MAX per minute; 0 switches it off) and CORS for CORS_ORIGINS.
 */
export default fp(async (fastify) => {
  const c = fastify.config
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= c.BODY_LIMIT_BYTES
  })
  if (c.RATE_LIMIT_MAX > 0) {
    await fastify.register(rateLimit, {
      global: true,
      max: c.RATE_LIMIT_MAX,
      timeWindow: 60_000,
      keyGenerator: (request) => clientAddress(request, c.TRUST_PROXY),
      // Probes and the scraper must never be locked out; /ready has its own, smaller limit.
      allowList: (request) => ['/health', '/metrics'].includes(request.url.split('?')[0] ?? ''),
      errorResponseBuilder: (request, context) => new AppError('RATE_LIMITED', RATE_LIMITED[pickLang(undefined, request.headers['accept-language'])], context.statusCode, { retry_after_s: Math.ceil(context.ttl / 1000) })
    })
  }
  const origins = c.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean)
  if (origins.length > 0) {
    await fastify.register(cors, { origin: origins.includes('*') ? true : origins, methods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 })
  }
}, { name: 'http', dependencies: ['config'] })
