import type { FastifyServerOptions } from 'fastify'

/**
 * pino settings for the server (and the tests that check them): the query string of a GET
 * run holds the student's text, so request lines carry only the path; authorization headers
 * and cookies are redacted wherever they appear.
 */
export function logOptions (level: string, stream?: { write: (line: string) => void }): NonNullable<FastifyServerOptions['logger']> {
  return {
    level,
    ...(stream === undefined ? {} : { stream }),
    serializers: {
      req: (req: { method: string, url: string, ip?: string }) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip })
    },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["cf-access-jwt-assertion"]', 'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]'
    }
  }
}
