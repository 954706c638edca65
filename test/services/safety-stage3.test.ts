import t from 'tap'
import { preOutput, type Stage3Prompts } from '../../services/stages/stage3.js'
import type { ModelCaller } from '../../services/stages/models.js'
import type { ChatRequest } from '../../services/ollama/client.js'
import { runLevel } from '../../services/safety/levels.js'

/** A model that translates by echoing and judges with `verdict`; it records the checks it was asked. */
function model (verdict: (prompt: string) => Record<string, unknown>): ModelCaller & { checks: string[] } {
  const checks: string[] = []
  return {
    checks,
    chat: async (req: ChatRequest) => {
      const prompt = String(req.messages.at(-1)?.content ?? '')
      if (req.format === undefined) return { text: prompt.slice(prompt.lastIndexOf('\n') + 1), stats: undefined }
      checks.push(prompt)
      return { text: JSON.stringify(verdict(prompt)), stats: undefined }
    },
    chatStream: () => { throw new Error('not used') }
  }
}
const prompts: Stage3Prompts = { model: 'm', translateTemplate: 'Translate:\n{{INPUT_TEXT}}', checkTemplate: '{{TASK_INSTRUCTION}} {{CONTEXT}} {{PREVIOUS_OUTPUT}}\n{{INPUT_TEXT}}', instruction: 'check' }
const run = async (llm: ModelCaller, text: string, level: 'kids' | 'youth' | 'adult' | 'off') =>
  await preOutput({ text, level, lang: 'en', mediaType: 'image', signal: new AbortController().signal }, llm, prompts)
const safe = (p: string) => ({ safe: true, positive_prompt: p.slice(p.lastIndexOf('\n') + 1), negative_prompt: 'swastika', abort_reason: '' })

t.test('hole 1: Stage 3 asks the model on every media prompt for kids and youth, after a hit for adult, never for off', async (t) => {
  for (const [level, expected] of [['kids', 1], ['youth', 1], ['adult', 0], ['off', 0]] as const) {
    const llm = model(safe)
    const r = await run(llm, 'a small red house by a lake', level)
    t.equal(llm.checks.length, expected, level)
    t.equal(r.refusal, undefined)
  }
  const adult = model(safe)
  await run(adult, 'a knight with a gun', 'adult')
  t.equal(adult.checks.length, 0, 'the adult list is only §86a')
  const hinted = model(safe)
  await run(hinted, 'a black sun over the sea', 'adult')
  t.equal(hinted.checks.length, 1, 'adult: a §86a hint goes to the model')
})

t.test('the media prompt never carries an unambiguous §86a term, even when the model echoes one', async (t) => {
  const echo = model(() => ({ safe: true, positive_prompt: 'a poster with a big swastika', negative_prompt: '', abort_reason: '' }))
  const r = await run(echo, 'a history poster about why some symbols are banned', 'youth')
  t.equal(r.refusal?.category, 'symbols_86a')
  const rangoli = model(safe)
  t.equal((await run(rangoli, 'a Diwali rangoli with a swastika and oil lamps', 'kids')).refusal, undefined, 'religious context passes to the model, and the model decides')
})

t.test('the deployment level wins over a looser request', async (t) => {
  t.equal(runLevel(undefined, 'kids', ''), 'kids')
  t.equal(runLevel('off', 'kids', ''), 'kids')
  t.equal(runLevel('open', 'youth', ''), 'youth')
  t.equal(runLevel('kids', 'adult', ''), 'kids', 'stricter is fine')
  t.equal(runLevel('open', 'kids', 'adult'), 'adult', '`open` means adult, and adult is allowed')
  t.equal(runLevel('off', 'kids', 'adult'), 'kids', 'off is not listed')
  t.equal(runLevel('off', 'kids', 'adult, off'), 'off')
})

t.test('a sketch is parsed, and its words pass the §86a filter too', async (t) => {
  const llm = model(safe)
  const code = async (text: string) => await preOutput({ text, level: 'adult', lang: 'de', mediaType: 'p5', signal: new AbortController().signal }, llm, prompts)
  t.equal((await code("function draw () { text('Sonne', 10, 10) }")).refusal, undefined)
  t.equal((await code("function draw () { text('S1eg He1l', 10, 10) }")).refusal?.category, 'symbols_86a')
  const escape = await code("function draw () { window['fe' + 'tch']('https://x') }")
  t.match(escape.refusal, { category: 'other', message: /Internet/ })
  t.equal(llm.checks.length, 0, 'code is checked without a model')
})
