import t from 'tap'
import { openSse, startServer } from '../helper.js'

t.test('Stage 1 over the stream', async (t) => {
  const s = await startServer()
  t.teardown(s.close)
  const judged: string[] = []
  const judge = s.sim.options.judge
  s.sim.set({ judge: (req) => { judged.push(req.prompt); return judge(req) } })

  await t.test('§86a blocks at once, without a model call or a slot, in every level', async (t) => {
    for (const level of ['kids', 'youth', 'adult', 'off']) {
      const before = s.sim.counters.requests
      const c = openSse(s.url, { schema: 'overdrive', input_text: 'eine Fahne mit Hakenkreuz', safety_level: level })
      await c.done
      t.same(c.events.map((e) => e.event), ['connected', 'stage_start', 'blocked'], level)
      const b = c.events[2]?.data
      t.match(b, { stage: 1, code: 'BLOCKED', category: 'symbols_86a', terms: ['hakenkreuz'], run_id: c.events[0]?.data.run_id })
      t.match(b?.message, /verboten.*§86a.*Versuch es mit einer anderen Idee/)
      t.notMatch(b?.message, /hakenkreuz/i, 'the word is not repeated back')
      t.equal(s.sim.counters.requests, before, 'no model call')
    }
  })

  await t.test('"a painting of grapes" passes for kids', async (t) => {
    const c = openSse(s.url, { schema: 'overdrive', input_text: 'a painting of grapes', safety_level: 'kids', user_language: 'en' })
    await c.done
    t.equal(c.events.at(-1)?.event, 'complete')
    t.match(judged.at(-1), /Word-filter hints \(may be false alarms\):\nnone/)
  })

  await t.test('a kids-list word that the model clears in context passes', async (t) => {
    const c = openSse(s.url, { schema: 'overdrive', input_text: 'a monster truck jumping over a hill', safety_level: 'kids', user_language: 'en' })
    await c.done
    t.match(judged.at(-1), /"monster" \(scary\)/, 'the filter hit reached the model as a hint')
    t.equal(c.events.at(-1)?.event, 'complete')
    t.equal(c.events.find((e) => e.event === 'stage_complete')?.data.text, 'a monster truck jumping over a hill')
  })

  await t.test('a text the model refuses is blocked with its category, explained to the child', async (t) => {
    const c = openSse(s.url, { schema: 'overdrive', input_text: 'a knight covered in blood', safety_level: 'kids', user_language: 'en' })
    await c.done
    const b = c.events.at(-1)
    t.equal(b?.event, 'blocked')
    t.match(b?.data, { stage: 1, code: 'BLOCKED', category: 'violence', terms: ['blood'] })
    t.match(b?.data.message, /In your idea someone gets hurt\. Pictures of people or animals getting hurt/)
  })

  await t.test('a failing safety call fails closed for kids and youth, and goes on with a warning for adult', async (t) => {
    s.sim.set({ failure: (req) => req.format !== undefined ? 'http_500' : 'none' })
    t.teardown(() => s.sim.set({ failure: 'none' }))
    for (const level of ['kids', 'youth']) {
      const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: level })
      await c.done
      t.match(c.events.at(-1), { event: 'error', data: { code: 'SAFETY_CHECK_FAILED' } }, level)
      t.notOk(c.events.some((e) => e.event === 'stage_complete'), `${level}: Stage 2 never starts`)
    }
    const adult = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'adult' })
    await adult.done
    t.equal(adult.events.at(-1)?.event, 'complete', 'adult continues')
  })

  await t.test('a safety answer that is not the asked JSON also fails closed', async (t) => {
    s.sim.set({ failure: (req) => req.format !== undefined ? 'bad_line' : 'none' })
    t.teardown(() => s.sim.set({ failure: 'none' }))
    const c = openSse(s.url, { schema: 'overdrive', input_text: 'ein Haus', safety_level: 'kids' })
    await c.done
    t.match(c.events.at(-1), { event: 'error', data: { code: 'SAFETY_CHECK_FAILED' } })
  })

  await t.test('off skips the model check (but never §86a)', async (t) => {
    const before = judged.length
    const c = openSse(s.url, { schema: 'overdrive', input_text: 'a knight covered in blood', safety_level: 'off' })
    await c.done
    t.equal(c.events.at(-1)?.event, 'complete')
    t.equal(judged.length, before)
  })
})
