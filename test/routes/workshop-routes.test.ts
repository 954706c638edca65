import t from 'tap'
import { ADMIN, openSse, startServer, type TestServer } from '../helper.js'

/** Reads a whole event stream (GET, as EventSource does) into its events. */
async function events (s: TestServer, path: string, query: Record<string, string>): Promise<Array<{ event: string, data: Record<string, any> }>> {
  const res = await fetch(`${s.url}${path}?${new URLSearchParams(query).toString()}`)
  const text = await res.text()
  return text.split('\n\n').filter((b) => b.startsWith('event:')).map((b) => {
    const [head, data] = b.split('\n')
    return { event: (head ?? '').slice(7), data: JSON.parse((data ?? '').slice(6)) as Record<string, any> }
  })
}

t.test("the workshop app's generation stream: Stage 3-4 with its events, continuing the browser's run", async (t) => {
  const s = await startServer({}, {}, { renderMs: 20 })
  t.teardown(s.close)
  const sse = openSse(s.url, { schema: 'bauhaus', input_text: 'ein roter Stuhl', safety_level: 'adult' })
  const runId = (await sse.waitFor('complete')).data.run_id as string
  const got = await events(s, '/api/schema/pipeline/generation', { prompt: 'a red chair', output_config: 'sd35_large', run_id: runId, safety_level: 'adult', seed: '5', device_id: 'x' })
  t.same(got.map((e) => e.event), ['connected', 'stage3_start', 'stage3_complete', 'stage4_start', 'complete'])
  t.equal(got[0]?.data.run_id, runId, 'connected names the run it continues')
  t.match(got[2]?.data, { safe: true })
  t.match(got[4]?.data, { run_id: runId, media_output: { status: 'success', media_type: 'image', run_id: runId, index: 0, url: `/api/media/image/${runId}` } })
  const img = await fetch(`${s.url}${got[4]?.data.media_output.url as string}`)
  t.match(img.headers.get('content-type'), /^image\/png/)
})

t.test('a §86a prompt on the generation stream is a blocked event, nothing reaches ComfyUI', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const got = await events(s, '/api/schema/pipeline/generation', { prompt: 'eine Hakenkreuzfahne', output_config: 'sd35_large' })
  t.equal(got.at(-1)?.event, 'blocked')
  t.equal(s.comfy.submitted.length, 0)
})

t.test('optimize, as JSON and as the app\'s stream: the client\'s text passes Stage 1 first', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const blocked = await fetch(`${s.url}/api/schema/pipeline/optimize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_text: 'ein Hakenkreuz auf einer Fahne', output_config: 'sd35_large' }) })
  t.equal(blocked.status, 403)
  t.match(await blocked.json(), { success: false, code: 'BLOCKED', blocked_at_stage: 1 })
  const streamed = await events(s, '/api/schema/pipeline/optimize', { input_text: 'ein Hakenkreuz auf einer Fahne', output_config: 'sd35_large' })
  t.same(streamed.map((e) => e.event), ['connected', 'blocked'])
  t.equal(s.sim.counters.requests, 0, 'no model saw the text')
  const ok = await events(s, '/api/schema/pipeline/optimize', { input_text: 'ein Leuchtturm im Sturm', output_config: 'sd35_large', safety_level: 'adult' })
  t.same(ok.map((e) => e.event), ['connected', 'chunk', 'complete'])
  t.type(ok[2]?.data.final_text, 'string')
  const runs = await (await fetch(`${s.url}/api/pipeline/${ok[0]?.data.run_id as string}/entities`)).json() as { entities: Array<{ type: string }> }
  t.same(runs.entities.map((e) => e.type).filter((x) => x !== 'safety'), ['input', 'optimization'], 'the optimization is a recorded run')
})

t.test('/interception streams the same run as /execute', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const got = await events(s, '/api/schema/pipeline/interception', { schema: 'overdrive', input_text: 'ein Haus', enable_streaming: 'true', device_id: 'abc' })
  t.equal(got[0]?.event, 'connected')
  t.equal(got.at(-1)?.event, 'complete')
})

t.test('a JSON refusal speaks the user_language, whatever context_language says', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const res = await fetch(`${s.url}/api/schema/pipeline/execute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'bauhaus', input_text: 'eine Hakenkreuzfahne', user_language: 'de' }) })
  t.equal(res.status, 403)
  const error = (await res.json() as { error: string }).error
  t.match(error, /[äöüß]|nicht|Idee/)
  t.notMatch(error, /\b(the|your|idea)\b/i, 'not English')
})

t.test('the room view lists a generation run and can stop it', async (t) => {
  const s = await startServer({}, {}, { renderMs: 60_000 })
  t.teardown(s.close)
  const res = fetch(`${s.url}/api/schema/pipeline/generation?${new URLSearchParams({ prompt: 'a red chair', output_config: 'sd35_large', safety_level: 'adult' }).toString()}`).then(async (r) => await r.text())
  let listed: Array<{ run_id: string }> = []
  for (let i = 0; i < 500 && listed.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    listed = ((await (await fetch(`${s.url}/api/admin/runs`, { headers: ADMIN })).json()) as { runs: Array<{ run_id: string }> }).runs
  }
  t.equal(listed.length, 1)
  const stop = await fetch(`${s.url}/api/admin/runs/${listed[0]?.run_id as string}/stop`, { method: 'POST', headers: ADMIN })
  t.equal(stop.status, 200)
  t.match(await res, /event: error\ndata: [^\n]*"code":"STOPPED"/)
})
