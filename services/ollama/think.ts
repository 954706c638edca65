const OPEN = '<think>'
const CLOSE = '</think>'

/**
 * Removes a leading `<think>…</think>` block from streamed content. Ollama 0.9–0.12.3 (and a
 * newer one asked with `think` unset for a model it does not parse) leave a thinking model's
 * reasoning inside `content`; the answer is what follows the block. The start of a stream is
 * held back until it is clear whether a block opens, so reasoning never reaches a child.
 * A `<think>` later in the text is answer and passes untouched.
 */
export class ThinkFilter {
  #state: 'start' | 'think' | 'after' | 'pass' = 'start'
  #held = ''

  /** Takes a content piece; returns the part that may be shown ('' while undecided or thinking). */
  push (piece: string): string {
    if (this.#state === 'pass') return piece
    this.#held += piece
    if (this.#state === 'start') {
      const lead = this.#held.trimStart()
      if (lead.startsWith(OPEN)) {
        this.#state = 'think'
        this.#held = lead.slice(OPEN.length)
      } else if (OPEN.startsWith(lead)) {
        return '' // nothing yet, or a beginning of "<think>": wait for more
      } else {
        return this.#pass(this.#held)
      }
    }
    if (this.#state === 'think') {
      const end = this.#held.indexOf(CLOSE)
      if (end === -1) {
        // Keep only what could be the start of a closing tag cut across pieces.
        this.#held = this.#held.slice(-(CLOSE.length - 1))
        return ''
      }
      this.#held = this.#held.slice(end + CLOSE.length)
      this.#state = 'after'
    }
    // The blank lines between the block and the answer are not part of the answer.
    const rest = this.#held.trimStart()
    if (rest === '') { this.#held = ''; return '' }
    return this.#pass(rest)
  }

  /** At the end of the stream: text held back that turned out to be answer after all. */
  flush (): string {
    const out = this.#state === 'start' ? this.#held : ''
    this.#held = ''
    return out
  }

  /** True while inside an unclosed block (the budget may have run out mid-reasoning). */
  get thinking (): boolean { return this.#state === 'think' }

  #pass (text: string): string {
    this.#state = 'pass'
    this.#held = ''
    return text
  }
}

/** The same for a whole answer. */
export function stripThink (text: string): string {
  const f = new ThinkFilter()
  return f.push(text) + f.flush()
}
