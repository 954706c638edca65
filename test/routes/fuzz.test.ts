import t from 'tap'
import type { InjectOptions } from 'fastify'
import { startServer } from '../helper.js'

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261126)
const COUNT = Number(process.env.FUZZ_COUNT ?? 3000)
const RUN = '7853eac5-482e-4a6c-965e-d0ce5ba934c4'

t.test(`${COUNT} seeded malformed requests: never a 5xx (seed ${SEED})`, async (t) => {
  const s = await startServer({ RATE_LIMIT_MAX: '0', INPUT_MAX_CHARS: '500' }, { firstTokenDelayMs: 0, tokenDelayMs: 0 }, { renderMs: 1 })
  t.teardown(s.close)
  const rnd = prng(SEED)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  const weird = (): string => pick([
    '', ' ', 'overdrive', 'bauhaus', 'user_defined', 'sd35_large', 'p5js_code', '../../etc/passwd', '..%2F..%2F', '%00', '\u0000', 'null', 'undefined', '[]', '{}',
    '__proto__', 'constructor', 'prototype', RUN, 'ä'.repeat(300), '😀'.repeat(50), 'x'.repeat(5000), '-1', '1e309', 'NaN', 'true', '<script>', "' OR 1=1 --", '%', '%%', '%zz', '\\', '/'
  ])
  const value = (depth = 0): unknown => {
    const r = rnd()
    if (r < 0.25) return weird()
    if (r < 0.4) return Math.floor(rnd() * 1e6) * (rnd() < 0.5 ? -1 : 1)
    if (r < 0.5) return rnd() < 0.5
    if (r < 0.55) return null
    if (r < 0.7 && depth < 4) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1))
    if (depth < 4) return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 4) }, () => [pick(KEYS), value(depth + 1)]))
    return weird()
  }
  const KEYS = ['schema', 'input_text', 'safety_level', 'user_language', 'enable_streaming', 'context_prompt', 'output_config', 'seed', 'stage2_result', 'run_id', 'interception_result', 'stage4_only', 'execution_mode', 'context_language', 'x', '__proto__', 'constructor']
  const PATHS = [
    '/api/schema/pipeline/execute', '/api/schema/pipeline/stage2', '/api/schema/pipeline/stage3-4', '/api/schema/pipeline/optimize',
    '/api/schema/pipeline/optimize/meta/{w}', '/api/schema/info', '/api/schema/schemas', '/api/schema/chunk-metadata', '/pipeline_configs_metadata',
    '/pipeline_configs_with_properties', '/api/config/{w}/context', '/api/config/{w}/pipeline', '/api/pipeline/{w}/status', '/api/pipeline/{w}/entities',
    '/api/pipeline/{w}/entity/{w}', '/api/pipeline/{w}/file/{w}', '/api/media/{w}/{w}', '/api/media/{w}/{w}/{w}', '/api/media/images/{w}',
    '/api/media/upload/image', '/api/queue/status', '/health', '/ready', '/metrics', '/{w}', '/api/{w}/{w}'
  ]
  const statuses = new Map<number, number>()
  for (let i = 0; i < COUNT; i++) {
    const path = pick(PATHS).replace(/\{w\}/g, () => encodeURIComponent(weird()).slice(0, 300))
    const query = rnd() < 0.5 ? '' : '?' + Array.from({ length: Math.floor(rnd() * 5) }, () => `${encodeURIComponent(pick(KEYS))}=${encodeURIComponent(String(value(3)))}`).join('&')
    const method = pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const)
    const url = path + query
    const opts: InjectOptions = { method, url }
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const r = rnd()
      const type = pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json; charset=latin1', ''])
      opts.headers = type === '' ? {} : { 'content-type': type }
      opts.payload = r < 0.6 ? JSON.stringify(value()) : r < 0.8 ? JSON.stringify(value()).slice(0, Math.floor(rnd() * 40)) : weird()
    }
    const res = await s.app.inject(opts)
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
    if (res.statusCode >= 500) t.fail(`#${i} ${method} ${url.slice(0, 200)} ${String(opts.payload ?? '').slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`)
  }
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`)
  t.equal((await s.app.inject('/health')).statusCode, 200, 'still healthy')
  t.same(({} as Record<string, unknown>).polluted, undefined)
})
