import type { ServerOptions } from 'node:http'
import { isIP, type Socket } from 'node:net'
import fp from 'fastify-plugin'
import rateLimit from '@fastify/rate-limit'
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import type { FastifyRequest, FastifyServerOptions } from 'fastify'
import { AppError } from '../services/errors.js'
import { pickLang } from '../services/i18n.js'
import type { Config } from './config.js'

/**
 * The largest request head: the streaming GET carries input_text and context_prompt in its
 * URL (EventSource can only GET), percent-encoded: up to 9 bytes per character (a 3-byte
 * UTF-8 character is %XX%XX%XX; a 4-byte one is 12 bytes for 2 UTF-16 characters). Plus room
 * for the other parameters and headers. Anything longer than this cannot be a valid run.
 */
export function maxHeaderBytes (c: Pick<Config, 'INPUT_MAX_CHARS' | 'CONTEXT_MAX_CHARS'>): number {
  return (c.INPUT_MAX_CHARS + c.CONTEXT_MAX_CHARS) * 9 + 16_384
}

/**
 * The server's own limits, for server.ts (and tests that build the server the same way):
 * headers and the whole request (body included) must arrive within HEADERS_TIMEOUT_MS and
 * REQUEST_TIMEOUT_MS, or the connection is closed (a slow-loris client holds nothing for
 * long); a response that streams for minutes is not limited by either. Checked every second.
 */
export function serverOptions (c: Config): FastifyServerOptions & { http: ServerOptions } {
  const requestTimeout = Math.max(c.REQUEST_TIMEOUT_MS, c.HEADERS_TIMEOUT_MS)
  return {
    requestTimeout,
    http: {
      maxHeaderSize: maxHeaderBytes(c),
      headersTimeout: c.HEADERS_TIMEOUT_MS,
      requestTimeout,
      connectionsCheckingInterval: Math.min(1000, c.HEADERS_TIMEOUT_MS)
    },
    // An over-long request head is the documented JSON 400, not a bare 431; the rest as Fastify does.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (socket.destroyed) return
      const [status, body] = err.code === 'HPE_HEADER_OVERFLOW'
        ? ['400 Bad Request', { status: 'error', error: `The request is too long: input_text may have at most ${c.INPUT_MAX_CHARS} characters, context_prompt ${c.CONTEXT_MAX_CHARS}`, code: 'BAD_REQUEST' }]
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? ['408 Request Timeout', { status: 'error', error: 'The request did not arrive in time', code: 'BAD_REQUEST' }]
          : ['400 Bad Request', { status: 'error', error: 'Malformed request', code: 'BAD_REQUEST' }]
      const text = JSON.stringify(body)
      if (socket.writable) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(text)}\r\nContent-Type: application/json; charset=utf-8\r\n\r\n${text}`)
      socket.destroy()
    }
  }
}

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
 * HTTP hygiene for every route: security headers, a body size limit, rate limiting per client
 * address (RATE_LIMIT_MAX per minute; 0 switches it off) and CORS for CORS_ORIGINS.
 *
 * The CSP fits what the server serves: JSON, media files and a same-origin browser page
 * (scripts and styles from the server only, images and media from it or as data:/blob:,
 * no plugins, never in a frame). nosniff on every answer: a stored text or a p5.js sketch is
 * never taken for a page or script by a browser that guesses.
 */
export default fp(async (fastify) => {
  const c = fastify.config
  await fastify.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        mediaSrc: ["'self'", 'blob:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"]
      }
    },
    frameguard: { action: 'deny' },
    // Media are fetched by the same-origin page; a cross-origin app is allowed by CORS_ORIGINS.
    crossOriginResourcePolicy: { policy: c.CORS_ORIGINS === '' ? 'same-origin' : 'cross-origin' },
    crossOriginEmbedderPolicy: false
  })
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
