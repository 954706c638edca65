import { AppError } from '../errors.js'
import { failClosed } from '../safety/fail-closed.js'
import type { Lang } from '../i18n.js'
import type { ChatRequest } from '../ollama/client.js'
import { fillTemplate } from '../catalog/placeholders.js'
import { findTerms, type SafetyLevel } from '../safety/term-filter.js'
import { refusalMessage } from '../safety/refusals.js'
import { checkSketch, stripFence } from '../safety/code-check.js'
import { EXTREMISM_RULE } from '../safety/extremism-prompt.js'
import type { Category } from '../safety/term-lists.js'
import type { ModelCaller } from './models.js'
import { describeHints, type Refusal } from './stage1.js'

export interface Stage3Prompts {
  model: string
  translateTemplate: string
  checkTemplate: string
  instruction: string
  request?: Pick<ChatRequest, 'options' | 'keep_alive'>
}

export interface Stage3Input {
  text: string
  level: SafetyLevel
  lang: Lang
  /** `code` outputs are parsed and checked (code-check.ts) instead of translated. */
  mediaType: string
  signal: AbortSignal
}

export type Stage3Result =
  | { refusal: undefined, positive: string, negative: string | undefined, translation: string, hits: string[], checked: boolean }
  | { refusal: Refusal, positive: undefined, negative: undefined, translation: string, hits: string[], checked: boolean }

export const PRE_OUTPUT_FORMAT = {
  type: 'object',
  properties: {
    safe: { type: 'boolean' },
    positive_prompt: { type: 'string' },
    negative_prompt: { type: 'string' },
    abort_reason: { type: 'string' }
  },
  required: ['safe', 'positive_prompt', 'negative_prompt', 'abort_reason']
} as const

const AUDIENCE: Record<SafetyLevel, string> = {
  kids: 'Children aged 6 to 12: no violence, weapons, gore, nudity, drugs or horror. ' + EXTREMISM_RULE,
  youth: 'Teenagers aged 13 to 17: no explicit violence, gore, nudity, hard drugs or self-harm. ' + EXTREMISM_RULE,
  adult: 'Adults: nothing illegal. ' + EXTREMISM_RULE,
  off: 'No audience rules.'
}

const CODE_REFUSAL: Record<Lang, (why: string) => string> = {
  de: (why) => `Der Code macht etwas, das im Browser auf deine Daten oder das Internet zugreifen könnte (${why}). Solche Skizzen laufen hier nicht, damit dein Computer sicher bleibt. Versuch es noch einmal!`,
  en: (why) => `The code does something that could reach your data or the internet from the browser (${why}). Such sketches do not run here, to keep your computer safe. Try again!`
}

type Verdict = { safe: boolean, positive_prompt: string, negative_prompt: string, abort_reason: string }

/**
 * Stage 3 (pipeline.md): translate to English for the media model, run the level's fast filter
 * on the translation, and ask the model for a context check that returns
 * `{safe, positive_prompt, negative_prompt, abort_reason}`: for kids and youth on every media
 * prompt (one short structured call), for adult only after a filter hit, for off never. An
 * unambiguous §86a hit refuses without the model, and the prompt that goes to the media model
 * is filtered once more (the model may have echoed a symbol back). Code is parsed and checked
 * instead (code-check.ts). A failing check fails closed for kids/youth.
 */
export async function preOutput (input: Stage3Input, llm: ModelCaller, p: Stage3Prompts): Promise<Stage3Result> {
  if (input.mediaType === 'code' || input.mediaType === 'p5') {
    const code = stripFence(input.text)
    const problems = checkSketch(code)
    if (problems.length > 0) {
      const why = problems.slice(0, 3).map((x) => x.what).join(', ')
      return { refusal: { category: 'other', terms: problems.map((x) => x.what), reason: `sketch refused: ${problems.map((x) => `${x.what} (line ${x.line})`).join('; ')}`, message: CODE_REFUSAL[input.lang](why) }, positive: undefined, negative: undefined, translation: code, hits: problems.map((x) => x.what), checked: false }
    }
    // Words in the sketch (a text() label, a comment) pass the §86a filter like any prompt.
    const banned = findTerms(code, input.level, { contexts: ['religion'] }).filter((h) => h.hard).map((h) => h.matched)
    if (banned.length > 0) {
      return { refusal: { category: 'symbols_86a', terms: banned, reason: `§86a StGB in the sketch: ${banned.join(', ')}`, message: refusalMessage('symbols_86a', input.lang) }, positive: undefined, negative: undefined, translation: code, hits: banned, checked: false }
    }
    return { refusal: undefined, positive: code, negative: undefined, translation: code, hits: [], checked: false }
  }

  const call = async (req: Omit<ChatRequest, 'model'>): Promise<string> =>
    (await llm.chat({ model: p.model, ...p.request, ...req, options: { temperature: 0, ...p.request?.options } }, input.signal)).text
  const translation = (await call({ messages: [{ role: 'user', content: fillTemplate(p.translateTemplate, { TARGET_LANGUAGE: 'English', INPUT_TEXT: input.text }) }] })).trim()

  const hits = findTerms(translation, input.level)
  const terms = [...new Set(hits.map((h) => h.matched))]
  const blocked = (category: Category, reason: string, checked: boolean): Stage3Result =>
    ({ refusal: { category, terms, reason, message: refusalMessage(category, input.lang) }, positive: undefined, negative: undefined, translation, hits: terms, checked })
  if (hits.some((h) => h.hard)) return blocked('symbols_86a', `§86a StGB: ${hits.filter((h) => h.hard).map((h) => h.matched).join(', ')}`, false)
  const ask = input.level === 'kids' || input.level === 'youth' || (input.level === 'adult' && hits.length > 0)
  if (!ask) return finalCheck(translation, undefined, false)

  let verdict: Verdict
  try {
    const text = await call({
      messages: [{ role: 'user', content: fillTemplate(p.checkTemplate, { TASK_INSTRUCTION: p.instruction, CONTEXT: AUDIENCE[input.level], PREVIOUS_OUTPUT: describeHints(hits), INPUT_TEXT: translation }) }],
      format: PRE_OUTPUT_FORMAT as unknown as Record<string, unknown>
    })
    verdict = parseVerdict(text)
  } catch (err) {
    failClosed(err, input.level, input.signal, 'pre-output safety check')
    return finalCheck(translation, undefined, false)
  }
  if (!verdict.safe) return blocked(hits[0]?.category ?? 'other', verdict.abort_reason || 'not suitable for this audience', true)
  const positive = verdict.positive_prompt.trim() === '' ? translation : verdict.positive_prompt.trim()
  return finalCheck(positive, verdict.negative_prompt.trim() === '' ? undefined : verdict.negative_prompt.trim(), true)

  /** What goes to the media model never carries an unambiguous §86a term, whatever the context. */
  function finalCheck (positive: string, negative: string | undefined, checked: boolean): Stage3Result {
    const banned = findTerms(positive, input.level, { contexts: ['religion'] }).filter((h) => h.hard)
    if (banned.length > 0) return blocked('symbols_86a', `§86a StGB in the media prompt: ${banned.map((h) => h.matched).join(', ')}`, checked)
    return { refusal: undefined, positive, negative, translation, hits: terms, checked }
  }
}

function parseVerdict (text: string): Verdict {
  let v: Record<string, unknown>
  try { v = JSON.parse(text) as Record<string, unknown> } catch { throw new AppError('UPSTREAM_BAD_RESPONSE', 'The pre-output safety model did not answer with JSON', 502) }
  if (typeof v !== 'object' || v === null || typeof v.safe !== 'boolean') throw new AppError('UPSTREAM_BAD_RESPONSE', 'The pre-output safety model answered without a boolean "safe"', 502)
  const str = (x: unknown): string => typeof x === 'string' ? x : ''
  return { safe: v.safe, positive_prompt: str(v.positive_prompt), negative_prompt: str(v.negative_prompt), abort_reason: str(v.abort_reason) }
}
