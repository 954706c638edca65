import t from 'tap'
import { eventually, openSse, startServer } from '../helper.js'
import { QueueHistory } from '../../routes/admin/history.js'
import { TicketSigner } from '../../routes/admin/tickets.js'

const TOKEN = 'admin-test-token-0123456789'
const bearer = { authorization: `Bearer ${TOKEN}` }

t.test('every room view route needs the admin token; the stream needs a valid ticket', async (t) => {
  const s = await startServer({ ADMIN_TOKEN: TOKEN })
  t.teardown(s.close)
  const routes: Array<['GET' | 'POST', string]> = [
    ['POST', '/api/admin/ticket'],
    ['GET', '/api/admin/runs'],
    ['GET', '/api/admin/upstreams'],
    ['GET', '/api/admin/history'],
    ['POST', '/api/admin/runs/00000000-0000-4000-8000-000000000000/stop']
  ]
  for (const [method, url] of routes) {
    const none = await s.app.inject({ method, url })
    t.equal(none.statusCode, 401, `${method} ${url} without a token`)
    t.equal(none.json().code, 'UNAUTHORIZED')
    const wrong = await s.app.inject({ method, url, headers: { authorization: 'Bearer nope' } })
    t.equal(wrong.statusCode, 401, `${method} ${url} with a wrong token`)
  }
  for (const ticket of ['', 'x', '99999999999.abc', `${Date.now() + 60_000}.forged`]) {
    const res = await s.app.inject({ method: 'GET', url: `/api/admin/stream?ticket=${encodeURIComponent(ticket)}` })
    t.equal(res.statusCode, 401, `ticket "${ticket}" is refused`)
  }
  t.equal((await s.app.inject({ method: 'GET', url: '/api/admin/stream?token=' + TOKEN })).statusCode, 400, 'the token itself is no ticket')
  const issued = await s.app.inject({ method: 'POST', url: '/api/admin/ticket', headers: bearer })
  t.equal(issued.statusCode, 200)
  t.match(issued.json(), { ticket: /^\d+\.[\w-]+$/, expires_in_s: 60 })
  t.equal((await s.app.inject({ method: 'POST', url: '/api/admin/runs/not-a-run/stop', headers: bearer })).statusCode, 400)
  const unknown = await s.app.inject({ method: 'POST', url: '/api/admin/runs/00000000-0000-4000-8000-000000000000/stop', headers: bearer })
  t.equal(unknown.statusCode, 404)
})

t.test('runs, stop, upstreams and history over real sockets', async (t) => {
  const s = await startServer({ ADMIN_TOKEN: TOKEN, QUEUE_MAX_CONCURRENT: '1', OLLAMA_IDLE_TIMEOUT_MS: '60000', OLLAMA_TOTAL_TIMEOUT_MS: '120000' }, { failure: (req) => req.prompt.includes('HOLD') ? 'stall' : 'none' })
  t.teardown(s.close)
  const get = async (path: string): Promise<Record<string, any>> => await (await fetch(`${s.url}${path}`, { headers: bearer })).json() as Record<string, any>

  const holder = openSse(s.url, { schema: 'overdrive', input_text: 'HOLD eine Sanduhr' })
  const holderId = String((await holder.waitFor('connected')).data.run_id)
  await holder.waitFor('queue_status', (e) => e.data.status === 'acquired')
  const waiter = openSse(s.url, { schema: 'overdrive', input_text: 'ein Kaktus' })
  const waiterId = String((await waiter.waitFor('connected')).data.run_id)
  await waiter.waitFor('queue_status', (e) => e.data.status === 'waiting')

  const room = await get('/api/admin/runs')
  t.match(room, { max_concurrent: 1, active: 1, waiting: 1 })
  t.match(room.runs, [
    { run_id: waiterId, kind: 'sse', state: 'waiting', queue: 'model', stage: 1, position: 1, wait_time_ms: Number },
    { run_id: holderId, kind: 'sse', state: 'running', queue: 'model', stage: 1, position: null }
  ])
  t.notMatch(JSON.stringify(room), /Kaktus|Sanduhr/, 'no idea texts')

  // The stream: a ticket opens it, the runs arrive, closing frees it.
  const { ticket } = await (await fetch(`${s.url}/api/admin/ticket`, { method: 'POST', headers: bearer })).json() as { ticket: string }
  const events: Array<{ event: string, data: string }> = []
  const controller = new AbortController()
  const res = await fetch(`${s.url}/api/admin/stream?ticket=${encodeURIComponent(ticket)}`, { signal: controller.signal })
  t.match(res.headers.get('content-type'), /^text\/event-stream/)
  const reader = (async () => {
    const decoder = new TextDecoder()
    let buf = ''
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true })
        let i = buf.indexOf('\n\n')
        while (i !== -1) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? ''
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? ''
          events.push({ event, data })
          i = buf.indexOf('\n\n')
        }
      }
    } catch {}
  })()
  t.ok(await eventually(() => ['history', 'runs', 'upstreams'].every((name) => events.some((e) => e.event === name)), 20_000), 'history, runs and upstreams arrive')
  const runsEvent = JSON.parse(events.find((e) => e.event === 'runs')?.data ?? '{}') as { runs: Array<{ run_id: string }> }
  t.same(runsEvent.runs.map((r) => r.run_id).sort(), [holderId, waiterId].sort())
  const up = JSON.parse(events.find((e) => e.event === 'upstreams')?.data ?? '{}')
  t.match(up, { ollama: { reachable: true, loaded: ['qwen3:4b'] }, comfyui: { reachable: true } })

  const stop = await fetch(`${s.url}/api/admin/runs/${waiterId}/stop`, { method: 'POST', headers: bearer })
  t.same(await stop.json(), { stopped: true, run_id: waiterId })
  t.match((await waiter.waitFor('error')).data, { code: 'STOPPED', run_id: waiterId })
  await waiter.done
  t.ok(await eventually(() => s.app.queue.waiting === 0))

  const cancelled = s.sim.counters.cancelled
  t.equal((await fetch(`${s.url}/api/admin/runs/${holderId}/stop`, { method: 'POST', headers: bearer })).status, 200)
  t.match((await holder.waitFor('error')).data, { code: 'STOPPED' })
  await holder.done
  t.ok(await eventually(() => s.sim.counters.cancelled === cancelled + 1 && s.app.queue.active === 0, 20_000), 'the model call is closed, the slot free')
  t.same((await get('/api/admin/runs')).runs, [])

  const history = await get('/api/admin/history')
  t.ok(history.minutes.length >= 1)
  t.match(history.minutes.at(-1), { t: Number, waiting_max: Number, acquired: Number, wait_avg_ms: Number })
  // The holder got a slot; the waiter was stopped before it got one.
  t.equal(history.minutes.reduce((n: number, m: { acquired: number }) => n + m.acquired, 0), 1, 'the granted slot is counted')

  controller.abort()
  await reader
  t.ok(await eventually(() => s.app.streams.size === 0, 20_000), 'the room stream is gone when its client leaves')
})

t.test('a JSON run is listed and stopped too: it answers 409 STOPPED', async (t) => {
  const s = await startServer({ ADMIN_TOKEN: TOKEN, OLLAMA_IDLE_TIMEOUT_MS: '60000', OLLAMA_TOTAL_TIMEOUT_MS: '120000' }, { failure: (req) => req.prompt.includes('HOLD') ? 'stall' : 'none' })
  t.teardown(s.close)
  const answer = fetch(`${s.url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'en' }, body: JSON.stringify({ schema: 'overdrive', input_text: 'HOLD a lighthouse' }) })
  let runId = ''
  t.ok(await eventually(async () => {
    const r = await (await fetch(`${s.url}/api/admin/runs`, { headers: bearer })).json() as { runs: Array<{ run_id: string, kind: string }> }
    runId = r.runs.find((x) => x.kind === 'json')?.run_id ?? ''
    return runId !== '' && s.sim.counters.activeGenerations === 1
  }, 20_000), 'the JSON run is listed while its model call runs')
  t.equal((await fetch(`${s.url}/api/admin/runs/${runId}/stop`, { method: 'POST', headers: bearer })).status, 200)
  const res = await answer
  t.equal(res.status, 409)
  t.match(await res.json(), { status: 'error', code: 'STOPPED', error: 'Your teacher stopped this run.', run_id: runId })
  t.ok(await eventually(() => s.sim.counters.activeGenerations === 0 && s.app.queue.active === 0, 20_000), 'its model call is closed and the slot free')
})

t.test('app.close() ends an open room stream', async (t) => {
  const s = await startServer({ ADMIN_TOKEN: TOKEN })
  t.teardown(s.close)
  const { ticket } = await (await fetch(`${s.url}/api/admin/ticket`, { method: 'POST', headers: bearer })).json() as { ticket: string }
  const res = await fetch(`${s.url}/api/admin/stream?ticket=${encodeURIComponent(ticket)}`)
  const body = res.text()
  t.ok(await eventually(() => s.app.streams.size === 1))
  await s.app.close()
  await body.catch(() => '')
  t.equal(s.app.streams.size, 0)
})

t.test('QueueHistory keeps one sample a minute for the last hour', async (t) => {
  const h = new QueueHistory(60)
  const t0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000)
  h.sample(3, 1, t0 + 1000)
  h.sample(5, 1, t0 + 2000)
  h.acquired(1000, t0 + 3000)
  h.acquired(3000, t0 + 4000)
  h.sample(0, 0, t0 + 61_000)
  t.same(h.snapshot(t0 + 61_000), [
    { t: t0, waiting_max: 5, active_max: 1, acquired: 2, wait_avg_ms: 2000, wait_max_ms: 3000 },
    { t: t0 + 60_000, waiting_max: 0, active_max: 0, acquired: 0, wait_avg_ms: 0, wait_max_ms: 0 }
  ])
  for (let m = 2; m < 70; m++) h.sample(1, 1, t0 + m * 60_000)
  const hour = h.snapshot(t0 + 69 * 60_000)
  t.equal(hour.length, 60, 'an hour, no more')
  t.equal(hour[0]?.t, t0 + 10 * 60_000)
})

t.test('TicketSigner: a ticket is valid until it expires and cannot be forged', async (t) => {
  const a = new TicketSigner(1000)
  const b = new TicketSigner(1000)
  const ticket = a.issue(5000)
  t.ok(a.verify(ticket, 5500))
  t.notOk(a.verify(ticket, 6001), 'expired')
  t.notOk(b.verify(ticket, 5500), 'another key (a restart) voids it')
  const [exp, sig] = ticket.split('.')
  t.notOk(a.verify(`${Number(exp) + 100000}.${sig ?? ''}`, 5500), 'a later expiry breaks the signature')
})
