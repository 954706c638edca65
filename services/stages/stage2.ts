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
