import { AppError } from '../errors.js'
import { failClosed } from '../safety/fail-closed.js'
import type { Lang } from '../i18n.js'
import type { ChatRequest } from '../ollama/client.js'
import { fillTemplate } from '../catalog/placeholders.js'
import { findTerms, type SafetyLevel } from '../safety/term-filter.js'
import { refusalMessage } from '../safety/refusals.js'
import { scanCode, stripFence } from '../safety/code-scan.js'
import type { ModelCaller } from './models.js'
import type { Refusal } from './stage1.js'

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
  /** `code` outputs are scanned for dangerous browser APIs instead of translated. */
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
  kids: 'Children aged 6 to 12: no violence, weapons, gore, nudity, drugs or horror.',
  youth: 'Teenagers aged 13 to 17: no explicit violence, gore, nudity, hard drugs or self-harm.',
  adult: 'Adults: nothing illegal.',
  off: 'No audience rules.'
}

const CODE_REFUSAL: Record<Lang, (apis: string) => string> = {
  de: (apis) => `Der Code benutzt Dinge, die im Browser auf deine Daten oder das Internet zugreifen könnten (${apis}). Solche Skizzen laufen hier nicht, damit dein Computer sicher bleibt. Versuch es noch einmal!`,
  en: (apis) => `The code uses things that could reach your data or the internet from the browser (${apis}). Such sketches do not run here, to keep your computer safe. Try again!`
}

/**
 * Stage 3 (pipeline.md): translate to English for the media model, run the level's fast filter
 * on the translation, and only on a hit ask the model for a context check that returns
 * `{safe, positive_prompt, negative_prompt, abort_reason}`. A §86a hit always refuses. Code
 * is scanned for dangerous browser APIs instead. A failing check fails closed for kids/youth.
 */
export async function preOutput (input: Stage3Input, llm: ModelCaller, p: Stage3Prompts): Promise<Stage3Result> {
  if (input.mediaType === 'code' || input.mediaType === 'p5') {
    const code = stripFence(input.text)
    const apis = scanCode(code)
    if (apis.length > 0) {
      return { refusal: { category: 'other', terms: apis, reason: `dangerous browser APIs: ${apis.join(', ')}`, message: CODE_REFUSAL[input.lang](apis.join(', ')) }, positive: undefined, negative: undefined, translation: code, hits: apis, checked: false }
    }
    return { refusal: undefined, positive: code, negative: undefined, translation: code, hits: [], checked: false }
  }

  const call = async (req: Omit<ChatRequest, 'model'>): Promise<string> =>
    (await llm.chat({ model: p.model, ...p.request, ...req, options: { temperature: 0, ...p.request?.options } }, input.signal)).text
  const translation = (await call({ messages: [{ role: 'user', content: fillTemplate(p.translateTemplate, { TARGET_LANGUAGE: 'English', INPUT_TEXT: input.text }) }] })).trim()

  const hits = findTerms(translation, input.level)
  const terms = hits.map((h) => h.matched)
  const banned = hits.find((h) => h.category === 'symbols_86a')
  if (banned !== undefined) {
    return { refusal: { category: 'symbols_86a', terms, reason: `§86a StGB: ${terms.join(', ')}`, message: refusalMessage('symbols_86a', terms, input.lang) }, positive: undefined, negative: undefined, translation, hits: terms, checked: false }
  }
  if (hits.length === 0 || input.level === 'off') {
    return { refusal: undefined, positive: translation, negative: undefined, translation, hits: terms, checked: false }
  }

  let verdict: { safe: boolean, positive_prompt: string, negative_prompt: string, abort_reason: string }
  try {
    const text = await call({
      messages: [{ role: 'user', content: fillTemplate(p.checkTemplate, { TASK_INSTRUCTION: p.instruction, CONTEXT: AUDIENCE[input.level], PREVIOUS_OUTPUT: terms.join(', '), INPUT_TEXT: translation }) }],
      format: PRE_OUTPUT_FORMAT as unknown as Record<string, unknown>
    })
    verdict = parseVerdict(text)
  } catch (err) {
    failClosed(err, input.level, input.signal, 'pre-output safety check')
    return { refusal: undefined, positive: translation, negative: undefined, translation, hits: terms, checked: false }
  }
  if (!verdict.safe) {
    const category = hits[0]?.category ?? 'other'
    return { refusal: { category, terms, reason: verdict.abort_reason || category, message: refusalMessage(category, terms, input.lang) }, positive: undefined, negative: undefined, translation, hits: terms, checked: true }
  }
  return {
    refusal: undefined,
    positive: verdict.positive_prompt.trim() === '' ? translation : verdict.positive_prompt.trim(),
    negative: verdict.negative_prompt.trim() === '' ? undefined : verdict.negative_prompt.trim(),
    translation,
    hits: terms,
    checked: true
  }
}

function parseVerdict (text: string): { safe: boolean, positive_prompt: string, negative_prompt: string, abort_reason: string } {
  let v: Record<string, unknown>
  try { v = JSON.parse(text) as Record<string, unknown> } catch { throw new AppError('UPSTREAM_BAD_RESPONSE', 'The pre-output safety model did not answer with JSON', 502) }
  if (typeof v !== 'object' || v === null || typeof v.safe !== 'boolean') throw new AppError('UPSTREAM_BAD_RESPONSE', 'The pre-output safety model answered without a boolean "safe"', 502)
  const str = (x: unknown): string => typeof x === 'string' ? x : ''
  return { safe: v.safe, positive_prompt: str(v.positive_prompt), negative_prompt: str(v.negative_prompt), abort_reason: str(v.abort_reason) }
}
