import { timingSafeEqual, createHash, randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import cookie from '@fastify/cookie'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../services/errors.js'
import type { QueueClient } from '../services/fair-line.js'
import { clientAddress } from './http.js'

/** Who sent a request: the client address and the browser's anonymous id, hashed. */
export interface RequestClient extends QueueClient {
  /** sha256 of the browser cookie (never the cookie itself): what a run records as its owner. */
  browser: string
}

export interface Auth {
  /** Whether the request carries the admin token (`Authorization: Bearer <ADMIN_TOKEN>`). */
  isAdmin: (request: FastifyRequest) => boolean
  /** A preHandler for admin-only routes: 401 without the token, 404-free so the route is documented. */
  requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** Whether this request may read a run with this owner: its own browser, the admin token, or RUNS_PRIVATE=false. */
  mayRead: (request: FastifyRequest, owner: string | undefined) => boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: Auth
  }
  interface FastifyRequest {
    client: RequestClient
  }
}

/** The browser cookie: an anonymous random id, no personal data. */
export const BROWSER_COOKIE = 'artsed_browser'
const COOKIE_VALUE = /^[A-Za-z0-9_-]{22,64}$/

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/** The owner recorded for a browser id: a hash, so the run store never holds a working cookie. */
export function browserOwner (cookieValue: string): string {
  return createHash('sha256').update(`artsed-browser:${cookieValue}`).digest('hex').slice(0, 32)
}

/**
 * The admin token, and who a request comes from. The token is compared in constant time
 * (over digests, so lengths do not leak); with no ADMIN_TOKEN set, nobody is an admin.
 *
 * Every browser gets an anonymous random id in an HttpOnly, SameSite=Lax cookie on first
 * contact (Secure when the request came over https, directly or through a trusted proxy).
 * The header is set on the reply at once rather than in onSend, so an event stream, whose
 * headers are written by hand, carries it too.
 */
export default fp(async (fastify) => {
  const c = fastify.config
  const token = c.ADMIN_TOKEN
  const expected = token === '' ? undefined : digest(token)
  const isAdmin = (request: FastifyRequest): boolean => {
    if (expected === undefined) return false
    const header = request.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false
    return timingSafeEqual(digest(header.slice(7).trim()), expected)
  }
  const maxAgeS = (c.RUNS_RETENTION_DAYS === 0 ? 365 : c.RUNS_RETENTION_DAYS) * 86_400

  await fastify.register(cookie)
  fastify.decorateRequest('client', null as unknown as RequestClient)
  fastify.addHook('onRequest', async (request, reply) => {
    let id = request.cookies[BROWSER_COOKIE]
    if (id === undefined || !COOKIE_VALUE.test(id)) {
      id = randomBytes(18).toString('base64url')
      const secure = (request.socket as { encrypted?: boolean }).encrypted === true ||
        (c.TRUST_PROXY && String(request.headers['x-forwarded-proto'] ?? '').split(',')[0]?.trim() === 'https')
      reply.header('set-cookie', fastify.serializeCookie(BROWSER_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeS }))
    }
    request.client = { address: clientAddress(request, c.TRUST_PROXY), browser: browserOwner(id) }
  })

  fastify.decorate('auth', {
    isAdmin,
    requireAdmin: async (request) => {
      if (!isAdmin(request)) throw new AppError('UNAUTHORIZED', 'This route needs the admin token (Authorization: Bearer <ADMIN_TOKEN>)', 401)
    },
    mayRead: (request, owner) => !c.RUNS_PRIVATE || isAdmin(request) || (owner !== undefined && owner === request.client.browser)
  })
}, { name: 'auth', dependencies: ['config'] })
