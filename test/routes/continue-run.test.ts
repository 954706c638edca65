import t from 'tap'
import { openSse, startServer } from '../helper.js'

async function post (url: string, body: unknown): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}

// A streaming run, then stage3-4 on its run_id right after `complete`, twice at once (a double
// click). Before, the run record was finished after `complete` went out and the first
// continuation to end forgot the shared record: the other's media was rendered, its answer an
// error. Now one continues the run, the other (the run is in progress) becomes a run of its own.
t.test('a run continued at once by two stage3-4 calls keeps every output', async (t) => {
  const server = await startServer({ MEDIA_MAX_CONCURRENT: '1' }, {}, { renderMs: 150 })
  t.teardown(server.close)
  const sse = openSse(server.url, { schema: 'overdrive', input_text: 'ein Drache aus Wolken', safety_level: 'adult' })
  const complete = await sse.waitFor('complete')
  const runId = complete.data.run_id as string
  const body = { stage2_result: complete.data.final_text, output_config: 'sd35_large', run_id: runId, safety_level: 'adult' }
  const [a, b] = await Promise.all([post(`${server.url}/api/schema/pipeline/stage3-4`, body), post(`${server.url}/api/schema/pipeline/stage3-4`, body)])
  for (const r of [a, b]) {
    t.equal(r.status, 200)
    t.match(r.body, { success: true, media_output: { status: 'success', media_type: 'image' } })
  }
  const ids = [a.body.run_id, b.body.run_id] as string[]
  t.equal(ids.filter((id) => id === runId).length, 1, 'one continues the run, the other is a run of its own')
  const status = await (await fetch(`${server.url}/api/pipeline/${runId}/status`)).json() as { expected_outputs: string[], entities: string[], current_state: { step: string } }
  t.same(status.expected_outputs, ['interception', 'image'], 'the continued run expects its image too')
  t.equal(status.entities.filter((e) => e === 'output_image').length, 1, 'its image is in the run')
  t.ok(status.entities.includes('interception'), 'the first part of the run is still there')
  t.equal(status.current_state.step, 'done')
  const other = ids.find((id) => id !== runId) as string
  const second = await (await fetch(`${server.url}/api/pipeline/${other}/status`)).json() as { entities: string[] }
  t.equal(second.entities.filter((e) => e === 'output_image').length, 1, 'the other image is in its own run')
})

t.test('the run record is complete on disk when `complete` arrives', async (t) => {
  const server = await startServer()
  t.teardown(server.close)
  const sse = openSse(server.url, { schema: 'bauhaus', input_text: 'a red chair', safety_level: 'adult' })
  const complete = await sse.waitFor('complete')
  // Read at once, no waiting: every entity and the end state are already written.
  const status = await (await fetch(`${server.url}/api/pipeline/${complete.data.run_id as string}/status`)).json() as { entities: string[], current_state: { step: string } }
  t.same(status.entities, ['input', 'config_used', 'safety', 'stage1_output', 'interception'])
  t.equal(status.current_state.step, 'done')
})

t.test('a child who leaves while waiting in line leaves nothing on disk', async (t) => {
  const server = await startServer({ QUEUE_MAX_CONCURRENT: '1' }, { firstTokenDelayMs: 5, tokenDelayMs: 50 })
  t.teardown(server.close)
  const first = openSse(server.url, { schema: 'overdrive', input_text: 'ein langer Text', safety_level: 'adult' })
  await first.waitFor('queue_status')
  const second = openSse(server.url, { schema: 'overdrive', input_text: 'Ich heiße Lena und warte', safety_level: 'adult' })
  const waiting = await second.waitFor('queue_status', (e) => e.data.status === 'waiting')
  second.leave()
  await first.done
  const { readdir } = await import('node:fs/promises')
  const dirs = (await readdir(server.runsDir)).filter((d) => /^[0-9a-f-]{36}$/.test(d))
  t.notOk(dirs.includes(waiting.data.run_id as string), 'no record of the run that never began')
  t.equal(dirs.length, 1, 'only the run that ran')
})
