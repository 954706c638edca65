import { connect } from 'node:net'
import t from 'tap'
import { loadConfig } from '../../plugins/config.js'
import { serverOptions } from '../../plugins/http.js'
import { openSse, startServer, TEST_ENV } from '../helper.js'

// Issue 9, hole 5: security headers, slow-loris timeouts, a head size that fits INPUT_MAX_CHARS.

/** The app built as server.ts builds it (timeouts, head size), with these settings. */
async function start (env: Record<string, string> = {}) {
  return await startServer(env, { firstTokenDelayMs: 5, tokenDelayMs: 5 }, {}, { fastify: serverOptions(loadConfig({ ...TEST_ENV, ...env })) })
}

t.test('security headers on JSON and on every file served', async (t) => {
  const s = await start()
  t.teardown(s.close)
  const info = await fetch(`${s.url}/api/schema/info`)
  const csp = info.headers.get('content-security-policy') ?? ''
  for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "media-src 'self' blob:", "connect-src 'self'", "frame-ancestors 'none'", "object-src 'none'"]) {
    t.ok(csp.includes(d), `CSP has ${d}`)
  }
  t.equal(info.headers.get('x-frame-options'), 'DENY')
  t.equal(info.headers.get('x-content-type-options'), 'nosniff')
  const run = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', payload: { schema: 'overdrive', input_text: 'ein Baum', output_config: 'sd35_large', safety_level: 'off' } })
  const runId = run.json().run_id as string
  for (const path of [`/api/pipeline/${runId}/entity/input`, `/api/pipeline/${runId}/file/02_config_used.json`, `/api/media/image/${runId}`]) {
    const res = await fetch(`${s.url}${path}`)
    t.equal(res.status, 200)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff', `nosniff on ${path}`)
    await res.arrayBuffer()
  }
  const missing = await fetch(`${s.url}/<script>alert(1)</script>`)
  t.notMatch(await missing.text(), /<script>/, 'the path is not echoed back as markup')
  const schema = await fetch(`${s.url}/api/schema/pipeline/execute?schema=${encodeURIComponent('<img src=x onerror=alert(1)>')}&input_text=x&enable_streaming=true`)
  t.notMatch(await schema.text(), /<img/, 'nor a parameter')
})

/** Opens a raw socket, sends `head`, then one byte of `trickle` every `everyMs`; resolves whether the server closed it. */
async function trickle (port: number, head: string, drip: string, everyMs: number, boundMs: number): Promise<{ closed: boolean, sent: number, answer: string }> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let sent = 0
    let answer = ''
    const timer = setInterval(() => { if (sent < drip.length && !socket.destroyed) socket.write(drip[sent++] ?? '') }, everyMs)
    const bound = setTimeout(() => { finish(false) }, boundMs)
    const finish = (closed: boolean): void => {
      clearInterval(timer)
      clearTimeout(bound)
      socket.destroy()
      resolve({ closed, sent, answer })
    }
    socket.on('data', (d) => { answer += d.toString() })
    socket.on('close', () => finish(true))
    socket.on('error', () => {})
    socket.write(head)
  })
}

t.test('a request body or head that trickles in is cut off and its connection closed', async (t) => {
  const s = await start({ HEADERS_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1000' })
  t.teardown(s.close)
  const body = JSON.stringify({ schema: 'overdrive', input_text: 'x'.repeat(500) })
  // One byte every 100 ms would take 50 s; the bound of 20 s is generous for a 1 s timeout.
  const slowBody = await trickle(s.port, `POST /api/schema/pipeline/stage2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`, body, 100, 20_000)
  t.ok(slowBody.closed, 'the server closed the slow body\'s connection')
  t.ok(slowBody.sent < body.length, `after ${slowBody.sent} of ${body.length} bytes`)
  t.match(slowBody.answer, /^HTTP\/1\.1 408/)
  const slowHead = await trickle(s.port, 'GET /health HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(500), 100, 20_000)
  t.ok(slowHead.closed, 'the server closed the slow head\'s connection')
  t.equal((await fetch(`${s.url}/health`)).status, 200, 'and serves the others')
})

t.test('the streaming GET takes INPUT_MAX_CHARS of any UTF-8; longer is the documented JSON 400', async (t) => {
  const s = await start()
  t.teardown(s.close)
  // 3,000 umlauts: 18,000 bytes percent-encoded, past node's default 16 KiB head (old: bare 431).
  const idea = 'ü'.repeat(3000)
  const c = openSse(s.url, { schema: 'overdrive', input_text: idea, safety_level: 'off' })
  t.equal(await c.status, 200, 'a 3,000-character German idea gets through')
  await c.done
  // The worst case the setting allows: 4,000 three-byte characters (36,000 bytes).
  const euros = openSse(s.url, { schema: 'overdrive', input_text: '€'.repeat(4000), safety_level: 'off' })
  t.equal(await euros.status, 200)
  euros.leave()
  for (const [name, text] of [['one character too many', 'ü'.repeat(4001)], ['far too many', '€'.repeat(50_000)]] as const) {
    const res = await fetch(`${s.url}/api/schema/pipeline/execute?schema=overdrive&enable_streaming=true&input_text=${encodeURIComponent(text)}`)
    t.equal(res.status, 400, `${name}: 400`)
    t.match(await res.json(), { status: 'error', code: 'BAD_REQUEST', error: String }, `${name}: the JSON error`)
  }
})
