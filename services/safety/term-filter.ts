import { foldWords } from './fold.js'
import { TERMS_86A, TERMS_KIDS, TERMS_YOUTH, type Category, type Term } from './term-lists.js'

export type SafetyLevel = 'kids' | 'youth' | 'adult' | 'off'

export interface TermHit { term: string, category: Category, matched: string }

/** Endings that turn a listed word into its plural or inflected form ("killer" → "killers"). */
const ENDINGS = ['', 's', 'es', 'e', 'en', 'er', 'n', 'ed', 'ing', 'ern', 'ens', 'em']

interface CompiledTerm extends Term { words: string[], joined: string, compound: boolean }

function compile (terms: Term[], compound: boolean): CompiledTerm[] {
  return terms.map((t) => {
    const words = foldWords(t.term)
    return { ...t, words, joined: words.join(''), compound }
  })
}

const LISTS: Record<'86a' | 'kids' | 'youth', CompiledTerm[]> = {
  '86a': compile(TERMS_86A, true),
  kids: compile(TERMS_KIDS, false),
  youth: compile(TERMS_YOUTH, false)
}

/**
 * The fast filter of Stage 1 and Stage 3. Words are matched whole ("painting" never
 * matches "pain"), with inflection endings; §86a terms also match inside a longer word,
 * so compounds and plurals of a symbol's name are caught.
 */
export function findTerms (text: string, level: SafetyLevel): TermHit[] {
  const words = foldWords(text)
  const lists = [LISTS['86a']]
  if (level === 'kids') lists.push(LISTS.kids)
  if (level === 'youth') lists.push(LISTS.youth)
  const hits: TermHit[] = []
  const seen = new Set<string>()
  for (const list of lists) {
    for (const term of list) {
      const matched = matchTerm(words, term)
      if (matched !== undefined && !seen.has(term.term)) {
        seen.add(term.term)
        hits.push({ term: term.term, category: term.category, matched })
      }
    }
  }
  return hits
}

function matchTerm (words: string[], term: CompiledTerm): string | undefined {
  const n = term.words.length
  if (n === 0) return undefined
  for (let i = 0; i + n <= words.length; i++) {
    let ok = true
    for (let k = 0; k < n && ok; k++) {
      const w = words[i + k] as string
      const tw = term.words[k] as string
      // Only the last word of a phrase inflects ("sieg heils", "ss runen").
      ok = k < n - 1 ? w === tw : inflects(w, tw)
    }
    if (ok) return words.slice(i, i + n).join(' ')
  }
  if (term.compound && term.joined.length >= 5) {
    const found = words.find((w) => w.includes(term.joined))
    if (found !== undefined) return found
  }
  return undefined
}

function inflects (word: string, stem: string): boolean {
  if (!word.startsWith(stem)) return false
  const ending = word.slice(stem.length)
  return ENDINGS.includes(ending)
}
