import { AppError } from '../errors.js'
import { failClosed } from '../safety/fail-closed.js'
import type { Lang } from '../i18n.js'
import type { ChatRequest } from '../ollama/client.js'
import { fillTemplate } from '../catalog/placeholders.js'
import { findTerms, type SafetyLevel, type TermHit } from '../safety/term-filter.js'
import { EXTREMISM_RULE } from '../safety/extremism-prompt.js'
import { asCategory, CATEGORIES, refusalMessage } from '../safety/refusals.js'
import type { Category } from '../safety/term-lists.js'
import type { ModelCaller } from './models.js'

export interface Refusal {
  category: Category
  terms: string[]
  /** For logs and teachers: why, in the model's or the filter's words. */
  reason: string
  /** For the child, in the user's language. */
  message: string
}

export type TermCheck = { refusal: Refusal, hits: TermHit[] } | { refusal: undefined, hits: TermHit[] }

/**
 * Stage 1 (a): the fast filter. An unambiguous §86a term (a `hard` hit) blocks at once in
 * every level, with no model call (and so without waiting for a slot). Every other hit,
 * ambiguous §86a words included ("Sigrun", "deutscher Gruß", "88"), is only a hint for (b).
 */
export function termCheck (text: string, level: SafetyLevel, lang: Lang): TermCheck {
  const hits = findTerms(text, level)
  const banned = hits.filter((h) => h.hard)
  if (banned.length > 0) {
    const terms = [...new Set(banned.map((h) => h.matched))]
    return { hits, refusal: { category: 'symbols_86a', terms, reason: `§86a StGB: ${terms.join(', ')}`, message: refusalMessage('symbols_86a', lang) } }
  }
  return { hits, refusal: undefined }
}

/** The filter's hits as the model reads them: what was found and how much it means. */
export function describeHints (hits: TermHit[]): string {
  if (hits.length === 0) return 'none'
  return hits.map((h) => {
    if (h.category !== 'symbols_86a') return `"${h.matched}" (${h.category})`
    if (h.hard) return `"${h.matched}" (symbols_86a: an extremist symbol or slogan, here in a religious or historical context; judge whether the text shows or glorifies it)`
    return `"${h.matched}" (symbols_86a hint: may be an extremist code, or just a first name, greeting, number, coat of arms, religious sign or history; judge the context)`
  }).join(', ')
}

export interface ContextCheckInput {
  text: string
  level: SafetyLevel
  lang: Lang
  hits: TermHit[]
  signal: AbortSignal
}

export interface ContextCheckDeps {
  llm: ModelCaller
  model: string
  /** The judge's instruction (the Stage 1 system config's context). */
  instruction: string
  /** The safety chunk's template, with TASK_INSTRUCTION, CONTEXT, PREVIOUS_OUTPUT, INPUT_TEXT. */
  template: string
  request?: Pick<ChatRequest, 'options' | 'keep_alive'>
}

export interface ContextCheckResult {
  refusal: Refusal | undefined
  /** False when the model call failed and the level lets the run go on (adult). */
  checked: boolean
  warning?: string
}

/** The JSON schema Ollama's `format` forces the answer into. */
export const SAFETY_FORMAT = {
  type: 'object',
  properties: {
    safe: { type: 'boolean' },
    category: { type: 'string', enum: ['none', ...CATEGORIES] },
    terms: { type: 'array', items: { type: 'string' } },
    explanation: { type: 'string' }
  },
  required: ['safe', 'category', 'terms', 'explanation']
} as const

export const AUDIENCE: Record<SafetyLevel, string> = {
  kids: 'Children aged 6 to 12 in a school workshop. ' + EXTREMISM_RULE + ' Refuse violence, weapons, gore, anything sexual or naked, drugs, alcohol, smoking, self-harm, horror that would frighten a young child, and personal data (full names of real private people, street addresses, phone numbers). Harmless everyday, fairy-tale and cartoon content is fine.',
  youth: 'Teenagers aged 13 to 17 in a school workshop. ' + EXTREMISM_RULE + ' Refuse explicit violence and gore, anything sexual or naked, hard drugs, self-harm, and personal data (full names of real private people, street addresses, phone numbers). Fantasy battles, monsters, mild tension and historical topics are fine.',
  adult: 'Adults in an art-education lab. ' + EXTREMISM_RULE + ' Refuse only content that is illegal, sexual content involving minors, and personal data of private people.',
  off: 'No audience rules.'
}

/**
 * Stage 1 (b): one model call that reads the input in context. It may clear a filter hint
 * ("a monster truck"); §86a never reaches it. When the call fails, kids and youth fail
 * closed (SAFETY_CHECK_FAILED); adult goes on with a warning.
 */
export async function contextCheck (input: ContextCheckInput, deps: ContextCheckDeps): Promise<ContextCheckResult> {
  const hints = describeHints(input.hits)
  const prompt = fillTemplate(deps.template, {
    TASK_INSTRUCTION: deps.instruction,
    CONTEXT: AUDIENCE[input.level],
    PREVIOUS_OUTPUT: hints,
    INPUT_TEXT: input.text
  })
  let verdict: { safe: boolean, category: Category, terms: string[], explanation: string }
  try {
    const { text } = await deps.llm.chat({
      model: deps.model,
      messages: [{ role: 'user', content: prompt }],
      format: SAFETY_FORMAT as unknown as Record<string, unknown>,
      ...deps.request,
      options: { temperature: 0, ...deps.request?.options }
    }, input.signal)
    verdict = parseVerdict(text)
  } catch (err) {
    return { refusal: undefined, checked: false, warning: failClosed(err, input.level, input.signal, 'safety check') }
  }
  if (verdict.safe) return { refusal: undefined, checked: true }
  const category = verdict.category === 'other' ? hintCategory(input.hits) : verdict.category
  const terms = verdict.terms.length > 0 ? verdict.terms : input.hits.map((h) => h.matched)
  return {
    checked: true,
    refusal: { category, terms, reason: verdict.explanation || category, message: refusalMessage(category, input.lang) }
  }
}

function hintCategory (hits: TermHit[]): Category {
  return hits[0]?.category ?? 'other'
}

function parseVerdict (text: string): { safe: boolean, category: Category, terms: string[], explanation: string } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new AppError('UPSTREAM_BAD_RESPONSE', 'The safety model did not answer with JSON', 502)
  }
  const v = raw as { safe?: unknown, category?: unknown, terms?: unknown, explanation?: unknown }
  if (typeof v !== 'object' || v === null || typeof v.safe !== 'boolean') {
    throw new AppError('UPSTREAM_BAD_RESPONSE', 'The safety model answered without a boolean "safe"', 502)
  }
  return {
    safe: v.safe,
    category: asCategory(v.category),
    terms: Array.isArray(v.terms) ? v.terms.filter((t): t is string => typeof t === 'string').slice(0, 10) : [],
    explanation: typeof v.explanation === 'string' ? v.explanation.slice(0, 500) : ''
  }
}
