import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename, dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { SKETCH_CSP } from '../services/safety/code-check.js'

export interface WebPluginOptions {
  /** The built page folder; default `dist/web` of the project (see scripts/build-web.ts). */
  dir?: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8'
}

/**
 * The pages' own policy (the same as the server-wide security headers, spelled out here so
 * the pages are safe on their own): scripts and styles only from built files, media and
 * the sketch frame only from this server, pictures also as data: URLs (an upload's preview).
 */
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

/**
 * The sketch frame runs a model's p5.js code for a child. It is loaded sandboxed
 * (`allow-scripts` only: an opaque origin, no cookies, no storage, no popups, no top
 * navigation) and its policy forbids every request: no connect-src, nothing but inline
 * scripts (its runtime and the sketch itself) and data: pictures.
 */

function defaultDir (): string {
  // From dist/plugins/web.js the build is next door (dist/web); from the sources, in dist/web.
  const here = dirname(fileURLToPath(import.meta.url))
  const root = dirname(here)
  return basename(root) === 'dist' ? join(root, 'web') : join(root, 'dist', 'web')
}

/**
 * Serves the student page at `/`, the room view at `/room`, the sketch frame at `/sketch`
 * and their built assets under `/assets/`. Pages are revalidated on every load (a rebuild
 * shows at once); assets carry a content hash in their name and are cached for a year.
 * Not a fastify-plugin: its routes and hooks stay local.
 */
const web: FastifyPluginAsync<WebPluginOptions> = async (fastify, opts) => {
  const dir = opts.dir ?? defaultDir()

  async function page (reply: FastifyReply, file: string, csp: string) {
    let body: Buffer
    try {
      body = await readFile(join(dir, file))
    } catch {
      // 404, not 5xx: nothing is broken, the page just does not exist until it is built.
      return await reply.code(404).type('text/plain; charset=utf-8').send('The web page is not built yet: run `npm run build` (or `node dist/scripts/build-web.js`).\n')
    }
    // no-cache with an ETag: a browser asks each time and gets a 304 while the build is the same
    // (the sketch frame carries p5.js inline, about 1 MB).
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    reply.header('ETag', etag)
    if (reply.request.headers['if-none-match'] === etag) return await reply.code(304).header('Cache-Control', 'no-cache').send()
    return await reply
      .type(TYPES['.html'] as string)
      .header('Cache-Control', 'no-cache')
      .header('Content-Security-Policy', csp)
      .header('X-Content-Type-Options', 'nosniff')
      .send(body)
  }

  fastify.get('/', async (_request, reply) => await page(reply, 'index.html', PAGE_CSP))
  fastify.get('/room', async (_request, reply) => await page(reply, 'room.html', PAGE_CSP))
  // The sketch frame must keep its own policy (its runtime and the sketch are inline), so
  // the server-wide security headers (@fastify/helmet, when registered) skip this route;
  // the ones that matter here are set below.
  fastify.get('/sketch', { config: { helmet: { skipRoute: true } } }, async (_request, reply) => {
    reply.header('X-Frame-Options', 'SAMEORIGIN').header('Referrer-Policy', 'no-referrer')
    return await page(reply, 'sketch.html', SKETCH_CSP)
  })

  fastify.get<{ Params: { file: string } }>('/assets/:file', {
    schema: { params: { type: 'object', properties: { file: { type: 'string', pattern: '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9]+)+$', maxLength: 120 } }, required: ['file'] } }
  }, async (request, reply) => {
    const file = request.params.file
    const type = TYPES[extname(file)]
    let body: Buffer | undefined
    if (type !== undefined) body = await readFile(join(dir, 'assets', file)).catch(() => undefined)
    if (type === undefined || body === undefined) return await reply.code(404).send({ status: 'error', error: `No asset ${file}`, code: 'NOT_FOUND' })
    return await reply
      .type(type)
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .header('X-Content-Type-Options', 'nosniff')
      .send(body)
  })
}

export default web
