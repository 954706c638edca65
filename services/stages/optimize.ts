import type { ChatMessage } from '../ollama/client.js'

/**
 * The Stage 2 optimization prompt: the interception text adapted to the output model's
 * needs, as its chunk's `optimization_instruction` describes them.
 */
export function optimizationMessages (instruction: string, text: string): ChatMessage[] {
  return [
    { role: 'system', content: 'You adapt a picture description for a specific generator. Answer with the adapted text only, no remarks.' },
    { role: 'user', content: `${instruction}\n\nText:\n${text}` }
  ]
}
