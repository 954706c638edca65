import { fillTemplate } from '../catalog/placeholders.js'
import type { ChatMessage } from '../ollama/client.js'

/** What the model is asked to do with the context (the TASK part of the prompt). */
export const TASK_INSTRUCTION = 'Transform the student\'s text below according to the rules in the context. ' +
  'Keep the entities of the original idea recognisable, and take the perspective the context describes instead of imitating a surface style.'

/** The short rule block: the browser shows the answer as it is, so no scaffolding. */
export const RULES = 'Answer with the transformed text only: one or two paragraphs of plain prose, in the language of the student\'s text. ' +
  'No meta remarks ("Here is ..."), no headings, no lists, no quotation marks around the whole answer.'

/** Used when a catalog has no template of its own for the interception chunk. */
export const DEFAULT_TEMPLATE = 'Task:\n{{TASK_INSTRUCTION}}\n\nContext:\n{{CONTEXT}}\n\nPrompt:\n{{INPUT_TEXT}}'

export interface InterceptionPrompt {
  template: string | undefined
  /** The config's context or the user's replacement for it. Empty for `user_defined` without rules. */
  context: string
  input: string
}

/**
 * The three labelled parts of pipeline.md (task / context / the student's text) filled into
 * the chunk's template in one pass, plus the rule block as the system message.
 */
export function interceptionMessages (p: InterceptionPrompt): ChatMessage[] {
  const context = p.context.trim() === '' ? 'No special rules: describe the student\'s idea as a vivid, concrete picture.' : p.context
  const user = fillTemplate(p.template ?? DEFAULT_TEMPLATE, {
    TASK_INSTRUCTION,
    CONTEXT: context,
    INPUT_TEXT: p.input,
    USER_INPUT: p.input,
    PREVIOUS_OUTPUT: p.input
  })
  return [{ role: 'system', content: RULES }, { role: 'user', content: user }]
}

const LANGUAGE_NAMES: Record<string, string> = Object.fromEntries(
  'de German,en English,fr French,es Spanish,it Italian,ja Japanese,sw Swahili,tr Turkish,ar Arabic,zh Chinese,pt Portuguese,pl Polish,uk Ukrainian,ru Russian,nl Dutch'
    .split(',').map((pair) => pair.split(' ') as [string, string])
)

/**
 * The target languages of a recursive config (the telephone game): `parameters.languages`,
 * cut to `iterations` when given, then `final_language`. Empty for an ordinary config.
 */
export function recursionLanguages (parameters: Record<string, unknown> | undefined, fallbackFinal: string): string[] {
  const languages = parameters?.languages
  if (!Array.isArray(languages)) return []
  const iterations = typeof parameters?.iterations === 'number' ? parameters.iterations : languages.length
  const steps = languages.filter((l): l is string => typeof l === 'string').slice(0, Math.max(0, iterations))
  const final = typeof parameters?.final_language === 'string' ? parameters.final_language : fallbackFinal
  return [...steps, final]
}

/** The context of one telephone step: the config's rules plus the language to write in. */
export function withTargetLanguage (context: string, code: string): string {
  return `${context}\n\nTarget language: ${LANGUAGE_NAMES[code] ?? code}`
}
