import t from 'tap'
import { startServer } from '../helper.js'

t.test('stage2, optimize and optimize/meta answer their documented shapes', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const inject = s.app.inject.bind(s.app)
  const stage2 = await inject({ method: 'POST', url: '/api/schema/pipeline/stage2', payload: { schema: 'bauhaus', input_text: 'ein roter Stuhl', output_config: 'sd35_large' } })
  t.equal(stage2.statusCode, 200)
  t.match(stage2.json(), { success: true, stage2_result: String, interception_result: /roter Stuhl/, optimized_prompt: String, optimization_applied: true, run_id: String, model_used: 'mistral-nemo:12b', execution_time_ms: Number, stage1_time_ms: Number, stage2_time_ms: Number })
  const plain = await inject({ method: 'POST', url: '/api/schema/pipeline/stage2', payload: { schema: 'bauhaus', input_text: 'ein roter Stuhl' } })
  t.match(plain.json(), { success: true, optimization_applied: false, optimized_prompt: null })

  // stage3-4 continues the run stage2 started: its entities follow the earlier ones.
  const runId = stage2.json().run_id as string
  const s34 = await inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', payload: { stage2_result: stage2.json().stage2_result, output_config: 'sd35_large', run_id: runId, seed: 1 } })
  t.match(s34.json(), { success: true, run_id: runId, media_output: { status: 'success', metadata: { seed: 1 } } })
  const types = (await inject(`/api/pipeline/${runId}/entities`)).json().entities.map((e: { type: string }) => e.type)
  t.same(types.slice(0, 2), ['input', 'safety'])
  t.same(types.slice(-2), ['safety_pre_output', 'output_image'])

  t.match((await inject('/api/schema/pipeline/optimize/meta/sd35_large')).json(), { success: true, optimization_instruction: /Stable Diffusion 3\.5/, estimated_duration_seconds: '30' })
  t.equal((await inject('/api/schema/pipeline/optimize/meta/nope')).statusCode, 404)
  const opt = await inject({ method: 'POST', url: '/api/schema/pipeline/optimize', payload: { input_text: 'a red chair', output_config: 'p5js_code' } })
  t.match(opt.json(), { success: true, optimized_prompt: String, optimization_applied: true, estimated_duration_seconds: '5', execution_time_ms: Number })

  for (const [url, payload] of [
    ['/api/schema/pipeline/stage2', { input_text: 'x' }],
    ['/api/schema/pipeline/stage3-4', { output_config: 'sd35_large' }],
    ['/api/schema/pipeline/stage3-4', { stage2_result: 'x', output_config: 'sd35_large', run_id: '../../etc' }],
    ['/api/schema/pipeline/optimize', { input_text: 'x' }]
  ] as const) {
    const res = await inject({ method: 'POST', url, payload })
    t.equal(res.statusCode, 400, `${url} ${JSON.stringify(payload)}`)
    t.match(res.json(), { success: false, code: 'BAD_REQUEST', error: String })
  }
  t.equal((await inject({ method: 'POST', url: '/api/schema/pipeline/stage2', payload: { schema: 'nope', input_text: 'x' } })).statusCode, 404)
  t.match((await inject({ method: 'POST', url: '/api/schema/pipeline/stage3-4', payload: { stage2_result: 'x', output_config: 'nope' } })).json(), { success: false, code: 'UNKNOWN_SCHEMA' })
})

t.test('catalog routes answer their documented shapes', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const get = async (url: string) => await s.app.inject(url)
  const chunks = (await get('/api/schema/chunk-metadata')).json()
  t.match(chunks.output_image_sd35_large, { name: 'output_image_sd35_large', meta: { estimated_duration_seconds: '30', quality_rating: 4, gpu_vram_mb: 16000, optimization_instruction: String } })
  t.ok(chunks.output_code_p5js)
  t.notOk(chunks.manipulate, 'only output chunks')

  const meta = (await get('/pipeline_configs_metadata')).json()
  t.ok(meta.configs.length >= 12)
  t.match(meta.configs.find((c: { id: string }) => c.id === 'bauhaus'), { id: 'bauhaus', name: { en: String, de: String }, description: { en: String, de: String }, category: { en: String, de: String }, pipeline: 'text_transformation', display: { icon: String }, tags: { en: Array, de: Array }, audience: { min_age: Number }, media_preferences: { default_output: 'image' }, meta: { stage: 'interception' } })

  const props = (await get('/pipeline_configs_with_properties')).json()
  t.match(props, { configs: Array, property_pairs: Array, symbols_enabled: false })
  t.match(props.configs.find((c: { id: string }) => c.id === 'overdrive'), { id: 'overdrive', properties: ['playful', 'loud'], short_description: { en: String, de: String }, icon: '🚀', color: String, difficulty: 1, owner: 'system' })
  const used = new Set(props.configs.flatMap((c: { properties: string[] }) => c.properties))
  for (const p of used) t.ok(props.property_pairs.flat().includes(p), `property ${String(p)} is in a pair`)

  t.same((await get('/api/config/bauhaus/context')).json().config_id, 'bauhaus')
  t.match((await get('/api/config/bauhaus/context')).json().context, /Bauhaus/)
  t.equal((await get('/api/config/user_defined/context')).statusCode, 404, 'a config without context')
  t.equal((await get('/api/config/nope/context')).statusCode, 404)
  t.same((await get('/api/config/telephone/pipeline')).json(), {
    config_id: 'telephone', pipeline_name: 'text_transformation_recursive', pipeline_type: 'prompt_interception', pipeline_stage: '2', requires_interception_prompt: true, input_requirements: { texts: 1 }, description: String((await get('/api/config/telephone/pipeline')).json().description)
  })
  t.equal((await get('/api/config/nope/pipeline')).statusCode, 404)
})

t.test('run routes: shapes, and ids or names that are not the server\'s own are 400s, never paths', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const run = await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', payload: { schema: 'overdrive', input_text: 'ein Baum', seed: 9 } })
  const runId = run.json().run_id as string
  const get = async (url: string) => await s.app.inject(url)
  t.match((await get(`/api/pipeline/${runId}/status`)).json(), { run_id: runId, current_state: { stage: 4, step: 'done' }, expected_outputs: ['interception', 'image'], completed_outputs: ['interception', 'image'], next_expected: null, entities: Array })
  const list = (await get(`/api/pipeline/${runId}/entities`)).json()
  t.equal(list.entity_count, list.entities.length)
  t.match(list.entities[0], { sequence: 1, type: 'input', filename: '01_input.txt', timestamp: String, metadata: {}, url: `/api/pipeline/${runId}/file/01_input.txt` })
  const input = await get(`/api/pipeline/${runId}/entity/input`)
  t.equal(input.body, 'ein Baum')
  t.match(input.headers['content-type'], /^text\/plain/)
  t.match((await get(`/api/pipeline/${runId}/file/02_config_used.json`)).headers['content-type'], /^application\/json/)
  t.match((await get(`/api/media/images/${runId}`)).json(), { run_id: runId, count: 1, images: [{ index: 0, url: `/api/media/image/${runId}/0` }] })

  const other = '00000000-0000-4000-8000-000000000000'
  const cases: Array<[string, number]> = [
    ['/api/pipeline/..%2F..%2Fetc/status', 400],
    ['/api/pipeline/not-a-run/entities', 400],
    [`/api/pipeline/${other}/status`, 404],
    [`/api/pipeline/${runId}/file/..%2F..%2Fpackage.json`, 400],
    [`/api/pipeline/${runId}/file/metadata.json%00.png`, 400],
    [`/api/pipeline/${runId}/file/.tmp-1-1`, 400],
    [`/api/pipeline/${runId}/file/99_nothing.txt`, 404],
    [`/api/pipeline/${runId}/entity/..`, 404], // the URL parser resolves `..`: no such route
    [`/api/pipeline/${runId}/entity/output_audio`, 404],
    [`/api/media/image/${runId}/5`, 404],
    [`/api/media/picture/${runId}`, 400],
    ['/api/media/image/..%2F..%2F', 400],
    [`/api/media/images/${other}`, 404]
  ]
  for (const [url, status] of cases) {
    const res = await get(url)
    t.equal(res.statusCode, status, url)
    t.match(res.headers['content-type'], /application\/json/, `${url} answers JSON`)
  }
})
