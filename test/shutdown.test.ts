import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { eventually, openSse } from './helper.js'
import { exited, freePort, startProcess, waitUp } from './server-process.js'

t.test('SIGTERM with streams open (running and waiting): they hear SHUTTING_DOWN, the process exits 0 in time', async (t) => {
  const runsDir = await mkdtemp(join(tmpdir(), 'artsed-shutdown-'))
  t.teardown(() => rm(runsDir, { recursive: true, force: true }))
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const child = startProcess(port, { RUNS_DIR: runsDir, QUEUE_MAX_CONCURRENT: '1', SHUTDOWN_GRACE_MS: '30000' })
  t.teardown(() => { child.kill('SIGKILL') })
  t.ok(await waitUp(base))
  const running = openSse(base, { schema: 'overdrive', input_text: 'eins', safety_level: 'off' })
  await running.waitFor('chunk')
  const waiting = openSse(base, { schema: 'overdrive', input_text: 'zwei', safety_level: 'off' })
  await waiting.waitFor('queue_status', (e) => e.data.status === 'waiting')
  const json = fetch(`${base}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'bauhaus', input_text: 'drei', safety_level: 'off' }) })

  t.ok(await eventually(async () => (await (await fetch(`${base}/api/queue/status`)).json() as { waiting: number }).waiting === 2), 'the JSON run waits too')

  const started = Date.now()
  child.kill('SIGTERM')
  const code = await exited(child)
  const took = Date.now() - started
  t.equal(code, 0, 'exit code 0')
  // Exit code 0 already rules out close-with-grace's forced exit; the bound, half the grace, that it waited it out.
  t.ok(took < 15_000, `exited after ${took} ms, without waiting out SHUTDOWN_GRACE_MS`)
  await Promise.all([running.done, waiting.done])
  for (const c of [running, waiting]) t.match(c.events.at(-1), { event: 'error', data: { code: 'SHUTTING_DOWN' } })
  const res = await json
  t.equal(res.status, 503, 'a JSON run waiting for a slot is answered 503')
  t.match(await res.json(), { status: 'error', code: 'SHUTTING_DOWN' })
})
