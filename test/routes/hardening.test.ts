import t from 'tap'
import { ADMIN, eventually, openSse, startServer } from '../helper.js'

t.test('GET /metrics is Prometheus text with the metrics of api.md §6', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  await openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' }).done
  const leaver = openSse(s.url, { schema: 'overdrive', input_text: 'ein Baum', safety_level: 'off' })
  await leaver.waitFor('chunk')
  leaver.leave()
  await eventually(() => s.app.streams.size === 0)
  await eventually(async () => /artsed_runs_aborted_total 1/.test(await (await fetch(`${s.url}/metrics`, { headers: ADMIN })).text()))

  const res = await fetch(`${s.url}/metrics`, { headers: ADMIN })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const text = await res.text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) (-?[0-9.e+-]+|NaN|[+-]Inf)$/i.exec(line)
    if (m === null) { t.fail(`not a Prometheus sample line: ${line}`); continue }
    samples.set(m[1] as string, Number(m[2]))
  }
  for (const name of ['artsed_queue_waiting', 'artsed_queue_active_slots', 'artsed_sse_open_streams', 'artsed_queue_wait_seconds_count', 'artsed_upstream_time_to_first_token_seconds_count', 'artsed_runs_aborted_total', 'artsed_process_resident_memory_bytes']) {
    t.ok(samples.has(name), name)
  }
  t.equal(samples.get('artsed_runs_total{mode="stream",outcome="completed"}'), 1)
  t.equal(samples.get('artsed_runs_total{mode="stream",outcome="aborted"}'), 1)
  t.equal(samples.get('artsed_runs_aborted_total'), 1)
  t.equal(samples.get('artsed_upstream_requests_total{outcome="ok"}'), 2, 'the safety call and the interception')
  t.equal(samples.get('artsed_upstream_requests_total{outcome="ABORTED"}'), 1)
  t.equal(samples.get('artsed_queue_wait_seconds_count'), 2)
  t.equal(samples.get('artsed_sse_open_streams'), 0)
})

t.test('rate limiting per client address; CF-Connecting-IP only behind a trusted proxy', async (t) => {
  for (const trust of [false, true]) {
    const s = await startServer({ RATE_LIMIT_MAX: '3', TRUST_PROXY: String(trust) })
    const get = async (ip?: string) => await fetch(`${s.url}/api/schema/info`, { headers: ip === undefined ? {} : { 'cf-connecting-ip': ip } })
    for (let i = 0; i < 3; i++) t.equal((await get('203.0.113.1')).status, 200)
    const limited = await get('203.0.113.1')
    t.equal(limited.status, 429, `over the limit (TRUST_PROXY=${trust})`)
    t.match(await limited.json(), { status: 'error', code: 'RATE_LIMITED', error: /Zu viele Anfragen/ })
    t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After')
    const other = await get('203.0.113.2')
    t.equal(other.status, trust ? 200 : 429, trust ? 'behind a trusted proxy each CF-Connecting-IP has its own bucket' : 'untrusted: the header cannot buy a new bucket')
    if (trust) t.equal((await get('not an ip')).status, 200, 'a malformed header falls back to the socket address')
    t.equal((await fetch(`${s.url}/health`)).status, 200, '/health is never limited')
    await s.close()
  }
  const off = await startServer({ RATE_LIMIT_MAX: '0' })
  for (let i = 0; i < 20; i++) await fetch(`${off.url}/api/schema/info`)
  t.equal((await fetch(`${off.url}/api/schema/info`)).status, 200, 'RATE_LIMIT_MAX=0 switches it off')
  await off.close()
})

t.test('CORS for CORS_ORIGINS only; body size limit', async (t) => {
  const s = await startServer({ CORS_ORIGINS: 'https://kunst.example.org', BODY_LIMIT_BYTES: '2048' })
  t.teardown(s.close)
  const pre = async (origin: string) => await s.app.inject({ method: 'OPTIONS', url: '/api/schema/pipeline/execute', headers: { origin, 'access-control-request-method': 'POST' } })
  t.equal((await pre('https://kunst.example.org')).headers['access-control-allow-origin'], 'https://kunst.example.org')
  t.equal((await pre('https://evil.example.com')).headers['access-control-allow-origin'], undefined)
  const big = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ schema: 'overdrive', input_text: 'x'.repeat(3000) }) })
  t.equal(big.statusCode, 413)
  t.match(big.json(), { status: 'error', code: 'PAYLOAD_TOO_LARGE' })
})

t.test('the run id is on every log line of a run, and no input text is logged at info level', async (t) => {
  const lines: string[] = []
  const s = await startServer({}, {}, {}, { logLines: lines })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'Geheimnis Zuckerwatte', safety_level: 'kids' })
  await c.done
  const runId = c.events[0]?.data.run_id as string
  const entries = lines.map((l) => JSON.parse(l) as { level: number, msg: string, run_id?: string, reqId?: string })
  const runReq = entries.find((e) => e.run_id === runId)?.reqId
  const ofRun = entries.filter((e) => e.reqId === runReq && e.msg !== 'incoming request' && e.msg !== 'request completed')
  t.ok(ofRun.length >= 2, `${ofRun.length} lines of the run`)
  for (const e of ofRun) t.equal(e.run_id, runId, e.msg)
  const info = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 30)
  t.notOk(info.some((l) => l.includes('Zuckerwatte')), 'no input text at info level')
})
