import t from 'tap'
import { openSse, startServer, type SseClient } from '../helper.js'

// Issue 9, hole 3 over HTTP: one client cannot make the others wait behind all of its runs.

const as = (browser: string, ip: string) => ({ cookie: `artsed_browser=${browser.padEnd(24, '0')}`, 'cf-connecting-ip': ip, 'accept-language': 'de' })
const waiting = async (c: SseClient) => await c.waitFor('queue_status', (e) => e.data.status === 'waiting')

t.test('too many waiting runs of one browser or one address: 429 TOO_MANY_WAITING with Retry-After; others still get in', async (t) => {
  const s = await startServer({ TRUST_PROXY: 'true', QUEUE_MAX_CONCURRENT: '1', QUEUE_MAX_WAITING_PER_BROWSER: '1', QUEUE_MAX_WAITING_PER_ADDRESS: '2' }, { firstTokenDelayMs: 5, tokenDelayMs: 50 })
  t.teardown(s.close)
  const open: SseClient[] = []
  const run = (headers: Record<string, string>) => { const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' }, { headers }); open.push(c); return c }
  t.teardown(() => { for (const c of open) c.leave() })
  await run(as('a', '10.0.0.1')).waitFor('chunk')
  await waiting(run(as('a', '10.0.0.1')))

  const third = await fetch(`${s.url}/api/schema/pipeline/execute?schema=overdrive&input_text=Haus&enable_streaming=true`, { headers: as('a', '10.0.0.1') })
  t.equal(third.status, 429, 'a second waiting run of the same browser is refused before its stream starts')
  t.equal(third.headers.get('retry-after'), '30')
  t.match(await third.json(), { status: 'error', code: 'TOO_MANY_WAITING', error: /Warteschlange/ })
  const json = await fetch(`${s.url}/api/schema/pipeline/stage2`, { method: 'POST', headers: { ...as('a', '10.0.0.1'), 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'overdrive', input_text: 'Haus', safety_level: 'off' }) })
  t.equal(json.status, 429, 'the JSON routes too')
  t.equal(json.headers.get('retry-after'), '30')
  t.match(await json.json(), { success: false, code: 'TOO_MANY_WAITING' })

  await waiting(run(as('b', '10.0.0.1')))
  const c = await fetch(`${s.url}/api/schema/pipeline/execute?schema=overdrive&input_text=Haus&enable_streaming=true`, { headers: as('c', '10.0.0.1') })
  t.equal(c.status, 429, 'a third browser behind the same address: the address is at its cap')
  t.match(await c.json(), { code: 'TOO_MANY_WAITING', error: /Netz/ })
  const elsewhere = run(as('d', '10.0.0.2'))
  t.match((await waiting(elsewhere)).data, { position: 2 }, 'another address gets in, and ahead of the busy address\'s second run')
})

t.test('a newcomer waits one round of the addresses, not behind every run of a busy one', async (t) => {
  const s = await startServer({ TRUST_PROXY: 'true', QUEUE_MAX_CONCURRENT: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 50 })
  t.teardown(s.close)
  const open: SseClient[] = []
  const run = (headers: Record<string, string>) => { const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' }, { headers }); open.push(c); return c }
  t.teardown(() => { for (const c of open) c.leave() })
  await run(as('busy', '10.0.0.1')).waitFor('chunk')
  for (let i = 0; i < 6; i++) await waiting(run(as(`busy${i}`, '10.0.0.1')))
  const newcomer = run(as('new', '10.0.0.9'))
  // Old code (FIFO): position 7, behind all six. Fair: second, right after the busy address's next run.
  t.match((await waiting(newcomer)).data, { position: 2 })
  open[0]?.leave()
  const next = await Promise.race(open.slice(1).map(async (c, i) => await c.waitFor('queue_status', (e) => e.data.status === 'acquired').then(() => i)))
  t.equal(next, 0, 'the busy address\'s oldest run was next')
  await newcomer.waitFor('queue_status', (e) => e.data.status === 'acquired')
  t.equal(open.slice(2, 7).filter((c) => c.events.some((e) => e.data.status === 'acquired')).length, 0, 'then the newcomer, before the other five')
})
