import { timingSafeEqual, createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../services/errors.js'

export interface Auth {
  /** Whether the request carries the admin token (`Authorization: Bearer <ADMIN_TOKEN>`). */
  isAdmin: (request: FastifyRequest) => boolean
  /** A preHandler for admin-only routes: 401 without the token, 404-free so the route is documented. */
  requireAdmin: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    auth: Auth
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest()

/**
 * The admin token. Compared in constant time (over digests, so lengths do not leak);
 * with no ADMIN_TOKEN set, nobody is an admin and admin routes answer 401.
 */
export default fp(async (fastify) => {
  const token = fastify.config.ADMIN_TOKEN
  const expected = token === '' ? undefined : digest(token)
  const isAdmin = (request: FastifyRequest): boolean => {
    if (expected === undefined) return false
    const header = request.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false
    return timingSafeEqual(digest(header.slice(7).trim()), expected)
  }
  fastify.decorate('auth', {
    isAdmin,
    requireAdmin: async (request) => {
      if (!isAdmin(request)) throw new AppError('UNAUTHORIZED', 'This route needs the admin token (Authorization: Bearer <ADMIN_TOKEN>)', 401)
    }
  })
}, { name: 'auth', dependencies: ['config'] })
