import t from 'tap'
import { openSse, startServer } from '../helper.js'

t.test('a streaming run: headers at once, events in order, payloads as api.md §1', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 10, tokenDelayMs: 2 })
  t.teardown(s.close)
  const input = 'ein Superheld mit einem Umhang aus Zuckerwatte'
  const c = openSse(s.url, { schema: 'overdrive', input_text: input, safety_level: 'kids', user_language: 'de' })
  t.equal(await c.status, 200)
  const h = await c.headers
  t.match(h['content-type'], /^text\/event-stream/)
  t.equal(h['cache-control'], 'no-cache, no-transform')
  t.equal(h['x-accel-buffering'], 'no')
  await c.done

  const names = c.events.map((e) => e.event)
  const chunks = c.events.filter((e) => e.event === 'chunk')
  t.same(names, ['connected', 'stage_start', 'queue_status', 'stage_complete', 'stage_start', ...chunks.map(() => 'chunk'), 'complete'])
  t.ok(chunks.length > 5, 'one event per streamed piece')

  const byName = (n: string) => c.events.filter((e) => e.event === n).map((e) => e.data)
  const runId = byName('connected')[0]?.run_id
  t.match(runId, /^[0-9a-f-]{36}$/)
  t.same(byName('connected')[0], { run_id: runId, schema: 'overdrive', stages: 2 })
  t.same(byName('stage_start'), [
    { stage: 1, name: 'Sicherheitsprüfung', description: '§86a StGB Check' },
    { stage: 2, name: 'KI kombiniert deine Idee', description: 'Prompt Interception' }
  ])
  t.same(byName('queue_status')[0], { status: 'acquired', message: 'Verarbeitung gestartet', run_id: runId, wait_time_ms: 0 })
  const done = byName('stage_complete')[0]
  t.equal(done?.text, input, 'stage_complete carries the original text')
  t.type(done?.duration_ms, 'number')

  let acc = ''
  chunks.forEach((e, i) => {
    acc += e.data.text_chunk as string
    if ('accumulated' in e.data || e.data.chunk_count !== i + 1 || e.data.stage !== 2) t.fail(`chunk ${i} inconsistent`)
  })
  const complete = byName('complete')[0]
  t.equal(complete?.final_text, acc, 'final_text is the concatenation of all text_chunks')
  t.match(acc, /Zuckerwatte/)
  t.match(acc, /✨/, 'multi-byte characters survive split upstream writes')
  t.same(complete, { stage: 2, final_text: acc, char_count: acc.length, chunk_count: chunks.length, run_id: runId, duration_ms: complete?.duration_ms, model: 'mistral-nemo:12b' })
  t.equal(s.app.queue.active, 0, 'slot released')
  t.equal(s.app.streams.size, 0, 'stream unregistered')

  const recorded = await (await fetch(`${s.url}/api/pipeline/${String(runId)}/entities`)).json() as { entities: Array<{ type: string }> }
  t.same(recorded.entities.map((e) => e.type), ['input', 'config_used', 'safety', 'stage1_output', 'interception'], 'the streaming run is recorded')
  t.equal(await (await fetch(`${s.url}/api/pipeline/${String(runId)}/entity/interception`)).text(), acc)
})

t.test('POST with enable_streaming streams the same way; English texts with user_language=en', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'bauhaus', input_text: 'a red chair', user_language: 'en' }, { method: 'POST' })
  await c.done
  t.equal(c.events[1]?.data.name, 'Safety check')
  t.equal(c.events.at(-1)?.event, 'complete')
})

t.test('context_prompt replaces the config context; user_defined runs with its empty context', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const prompts: string[] = []
  s.sim.set({ reply: (req) => { prompts.push(req.prompt); return 'ok' } })
  await openSse(s.url, { schema: 'user_defined', input_text: 'ein Baum', context_prompt: 'Alles ist aus Glas.' }).done
  await openSse(s.url, { schema: 'user_defined', input_text: 'ein Baum' }).done
  t.match(prompts[0], /Context:\nAlles ist aus Glas\.\n\nPrompt:\nein Baum$/)
  t.match(prompts[1], /Context:\nNo special rules/)
})

t.test('a ping comment keeps a silent stream alive', async (t) => {
  const s = await startServer({ SSE_PING_MS: '100' }, { firstTokenDelayMs: 400 })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'off' })
  await c.done
  t.ok(c.comments.filter((x) => x === 'ping').length >= 2, `pings: ${c.comments.length}`)
})

t.test('the telephone config chains its steps through its languages; only the last one streams', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 1, tokenDelayMs: 1 })
  t.teardown(s.close)
  const prompts: string[] = []
  let n = 0
  s.sim.set({ reply: (req) => { prompts.push(req.prompt); return `Schritt ${n++}` } })
  const c = openSse(s.url, { schema: 'telephone', input_text: 'ein Hund im Schnee', safety_level: 'off' })
  await c.done
  t.equal(prompts.length, 5, 'four languages, then the final language')
  t.match(prompts[0], /Target language: French\n\nPrompt:\nein Hund im Schnee$/)
  for (let i = 1; i < 5; i++) t.match(prompts[i], new RegExp(`Prompt:\\nSchritt ${i - 1}$`), `step ${i} gets step ${i - 1}'s output`)
  t.match(prompts[4], /Target language: German/)
  t.equal(c.events.at(-1)?.data.final_text, 'Schritt 4')
})

t.test('accumulated=true repeats the text so far in every chunk (api.md §1: only when asked)', async (t) => {
  const s = await startServer({}, { firstTokenDelayMs: 5, tokenDelayMs: 1 })
  t.teardown(s.close)
  const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids', accumulated: 'true' })
  await c.done
  let acc = ''
  const chunks = c.events.filter((e) => e.event === 'chunk')
  t.ok(chunks.length > 1)
  for (const e of chunks) {
    acc += e.data.text_chunk as string
    t.equal(e.data.accumulated, acc)
  }
})
