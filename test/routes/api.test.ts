import t from 'tap'
import { ADMIN, startServer } from '../helper.js'

t.test('bad input is answered as JSON before any stream', async (t) => {
  const s = await startServer({ INPUT_MAX_CHARS: '100' })
  t.teardown(s.close)
  const get = async (qs: string, headers: Record<string, string> = {}) => await s.app.inject({ method: 'GET', url: `/api/schema/pipeline/execute?${qs}`, headers })
  const cases: Array<[string, number, string]> = [
    ['input_text=x&enable_streaming=true', 400, 'BAD_REQUEST'],
    ['schema=overdrive&enable_streaming=true', 400, 'BAD_REQUEST'],
    ['schema=overdrive&input_text=&enable_streaming=true', 400, 'BAD_REQUEST'],
    ['schema=overdrive&input_text=%20%20&enable_streaming=true', 400, 'BAD_REQUEST'],
    [`schema=overdrive&input_text=${'a'.repeat(101)}&enable_streaming=true`, 400, 'BAD_REQUEST'],
    ['schema=overdrive&input_text=x&safety_level=none&enable_streaming=true', 400, 'BAD_REQUEST'],
    ['schema=overdrive&input_text=x&user_language=fr&enable_streaming=true', 400, 'BAD_REQUEST'],
    ['schema=nope&input_text=x&enable_streaming=true', 404, 'UNKNOWN_SCHEMA'],
    ['schema=pre_interception/stage1_safety&input_text=x&enable_streaming=true', 404, 'UNKNOWN_SCHEMA'],
    ['schema=../../etc/passwd&input_text=x&enable_streaming=true', 404, 'UNKNOWN_SCHEMA']
  ]
  for (const [qs, status, code] of cases) {
    const res = await get(qs)
    t.equal(res.statusCode, status, qs.slice(0, 80))
    t.match(res.headers['content-type'], /application\/json/)
    t.match(res.json(), { status: 'error', code, error: String })
  }
  t.match((await get('schema=nope&input_text=x&enable_streaming=true&user_language=en')).json().error, /Unknown configuration: nope/)
  t.match((await get('schema=nope&input_text=x', { 'accept-language': 'en-GB,en;q=0.8' })).json().error, /Unknown configuration/, 'Accept-Language')
  t.match((await get('schema=nope&input_text=x')).json().error, /Unbekannte Konfiguration/, 'German by default')

  const post = async (payload: string, type = 'application/json') => await s.app.inject({ method: 'POST', url: '/api/schema/pipeline/execute', payload, headers: { 'content-type': type } })
  t.equal((await post('{"schema": "overdrive"')).statusCode, 400, 'broken JSON')
  t.equal((await post('')).statusCode, 400, 'no body')
  t.equal((await post('{"input_text": "x", "enable_streaming": true}')).statusCode, 400)
  t.equal((await post('{"schema": "overdrive", "input_text": {"a": 1}, "enable_streaming": true}')).statusCode, 400)
  t.equal((await post('{"schema": "overdrive", "input_text": "x", "unknown_field": 1, "safety_level": "off", "output_config": "p5js_code"}')).statusCode, 200, 'unknown fields are ignored')
  t.equal((await post('{"schema": "overdrive", "input_text": "x", "__proto__": {"polluted": 1}}')).statusCode, 400, 'prototype poisoning is refused')
  t.equal(({} as Record<string, unknown>).polluted, undefined)
  t.equal((await post('{"schema": "overdrive", "input_text": "x", "output_config": "nope"}')).statusCode, 404, 'unknown output config')
  t.equal((await post('{"schema": "overdrive", "input_text": "x", "seed": -1}')).statusCode, 400, 'bad seed')
  t.equal(s.app.queue.counters.acquired, 1, 'only the valid run reached the queue')
})

t.test('catalog, health and queue routes', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const info = await s.app.inject('/api/schema/info')
  t.equal(info.statusCode, 200)
  const body = info.json()
  t.match(body, { status: 'success', engine_status: 'initialized' })
  t.equal(body.schemas_available, body.schemas.length)
  t.ok(body.schemas.includes('overdrive') && body.schemas.includes('user_defined'))
  t.notOk(body.schemas.includes('pre_interception/stage1_safety'), 'system configs are not offered')

  const schemas = (await s.app.inject('/api/schema/schemas')).json()
  const overdrive = schemas.schemas.find((x: { name: string }) => x.name === 'overdrive')
  t.match(overdrive, { name: 'overdrive', display_name: { en: 'Overdrive', de: 'Overdrive' }, description: { en: String, de: String }, pipeline_name: 'text_transformation', chunks: ['manipulate'], parameters: { temperature: Number }, meta: { stage: 'interception' } })

  t.match((await s.app.inject('/health')).json(), { status: 'ok', uptime_s: Number })
  const ready = await s.app.inject({ url: '/ready', headers: ADMIN })
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', reasons: [], catalog: { interception: Number }, ollama: { reachable: true, version: '0.0.0-simulated', missing_models: [] }, comfyui: { reachable: true, running: 0, pending: 0 } })

  t.same((await s.app.inject({ url: '/api/queue/status', headers: ADMIN })).json(), { max_concurrent: 3, active: 0, waiting: 0, max_waiting: 200, runs: [] })
  const missing = await s.app.inject('/nope')
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { status: 'error', code: 'NOT_FOUND' })
})
