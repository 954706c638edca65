import { foldVariants, foldWords } from './fold.js'
import { nearMiss, nearMissInside } from './near-miss.js'
import { TERMS_KIDS, TERMS_YOUTH, type Category, type Term } from './term-lists.js'
import { CONTEXT_CUES, CUE_PREFIX_MIN, SYMBOLS, TERMS_86A } from './terms-86a.js'

export type SafetyLevel = 'kids' | 'youth' | 'adult' | 'off'

/**
 * One filter hit. `hard` hits block without a model (§86a, unambiguous, not in a context
 * that makes them a hint); all others are hints for the context model.
 */
export interface TermHit { term: string, category: Category, matched: string, hard: boolean }

/** Endings that turn a listed word into its plural or inflected form ("killer" → "killers"). */
const ENDINGS = ['', 's', 'es', 'e', 'en', 'er', 'n', 'ed', 'ing', 'ern', 'ens', 'em']

/**
 * Terms this long (folded, without spaces) also match with one letter wrong, added or missing;
 * not those with digits ("combat 18" is not "combat 1").
 */
export const NEAR_MISS_MIN = 7

interface CompiledTerm extends Term { words: string[], joined: string, compound: boolean, prefix: boolean }

function compile (terms: Term[]): CompiledTerm[] {
  return terms.map((t) => {
    const words = foldWords(t.term)
    // Only distinctive hard words match inside longer words ("Hakenkreuzflagge"); "ss mann"
    // must not match inside "Grossmann".
    const compound = t.hard === true && words.length === 1 && (words[0] as string).length >= 5
    // A hard phrase's last word may start a compound: "SS-Runenflagge".
    const prefix = t.hard === true && words.length > 1 && (words.at(-1) as string).length >= 4
    return { ...t, words, joined: words.join(''), compound, prefix }
  })
}

const LISTS: Record<'86a' | 'kids' | 'youth', CompiledTerm[]> = {
  '86a': compile(TERMS_86A),
  kids: compile(TERMS_KIDS),
  youth: compile(TERMS_YOUTH)
}

/**
 * The fast filter of Stage 1 and Stage 3. The text is folded (fold.ts) and read plain and as
 * leetspeak. Words are matched whole ("painting" never matches "pain"), with inflection
 * endings; neighbouring pieces are joined only where the joined form is a term ("S S - R u n e",
 * "Haken-kreuz"), never ordinary words with each other; long terms also match with one letter
 * off; distinctive §86a words also match inside compounds. The symbol characters are matched
 * as they are. `contexts` limits the contexts that turn a hard entry into a hint (Stage 3's
 * check of the final media prompt allows only religion: an image never shows the Nazi sign,
 * not even for a history poster).
 */
export function findTerms (text: string, level: SafetyLevel, opts: { contexts?: Array<'religion' | 'history'> } = {}): TermHit[] {
  const variants = foldVariants(text)
  const cues = contextCues(variants[0] ?? [], level, opts.contexts ?? ['religion', 'history'])
  const lists = [LISTS['86a']]
  if (level === 'kids') lists.push(LISTS.kids)
  if (level === 'youth') lists.push(LISTS.youth)
  const hits: TermHit[] = []
  const seen = new Set<string>()
  const add = (term: Term, matched: string): void => {
    if (seen.has(term.term)) return
    seen.add(term.term)
    const hard = term.hard === true && !(term.context ?? []).some((c) => cues.has(c))
    hits.push({ term: term.term, category: term.category, matched, hard })
  }
  const normalized = text.normalize('NFKC').replace(/[\p{Cf}]/gu, '')
  for (const s of SYMBOLS) {
    if (s.pattern.test(normalized)) add({ term: s.term, category: 'symbols_86a', hard: s.hard, context: s.context }, s.term)
  }
  for (const words of variants) {
    const pieces = withLetterRuns(words)
    // Once per text, not once per term: the distinct words a compound or a letter run may hide a term in.
    const distinct = [...new Set([...words, ...pieces])]
    for (const list of lists) {
      for (const term of list) {
        if (seen.has(term.term)) continue
        const matched = matchTerm(words, pieces, distinct, term)
        if (matched !== undefined) add(term, matched)
      }
    }
  }
  // A hard hit says more than a hint for the same words.
  return hits.sort((a, b) => Number(b.hard) - Number(a.hard))
}

/** Which contexts the text is in; history counts only from `youth` up. */
function contextCues (words: string[], level: SafetyLevel, kinds: Array<'religion' | 'history'>): Set<'religion' | 'history'> {
  const found = new Set<'religion' | 'history'>()
  for (const kind of kinds) {
    if (kind === 'history' && level === 'kids') continue
    if (CONTEXT_CUES[kind].some((cue) => words.some((w) => w === cue || (cue.length >= CUE_PREFIX_MIN && w.startsWith(cue))))) found.add(kind)
  }
  return found
}

/** Runs of three or more one-character words joined ("h a k e n k r e u z f a h n e"). */
function withLetterRuns (words: string[]): string[] {
  const runs: string[] = []
  let run = ''
  let count = 0
  for (const w of [...words, '']) {
    if (w.length === 1) { run += w; count++; continue }
    if (count >= 3) runs.push(run)
    run = ''
    count = 0
  }
  return runs
}

function matchTerm (words: string[], runs: string[], distinct: string[], term: CompiledTerm): string | undefined {
  const n = term.words.length
  if (n === 0) return undefined
  const fuzzy = term.joined.length >= NEAR_MISS_MIN && !/\d/.test(term.joined)
  const [c0, c1] = [term.joined[0], term.joined[1]]
  for (let i = 0; i < words.length; i++) {
    const first = words[i] as string
    // A near miss keeps the first letter, drops it, or adds one in front; else no match can start here.
    const exactStart = first[0] === c0
    if (!exactStart && !(fuzzy && (first[0] === c1 || first[1] === c0))) continue
    // The term's own words in order; the last one inflects, or starts a compound.
    if (exactStart && i + n <= words.length) {
      let ok = true
      for (let k = 0; k < n && ok; k++) {
        const w = words[i + k] as string
        const tw = term.words[k] as string
        ok = k < n - 1 ? w === tw : inflects(w, tw) || (term.prefix && w.startsWith(tw))
      }
      if (ok) return words.slice(i, i + n).join(' ')
    }
    // Pieces joined: a split or spaced spelling whose joined form is the term.
    for (const near of fuzzy ? [false, true] : [false]) {
      if (!near && !exactStart) continue
      let joined = ''
      for (let j = i; j < words.length && joined.length <= term.joined.length + 3; j++) {
        joined += words[j] as string
        if (j > i && term.joined.length < 5) continue
        if (near ? nearMiss(stripEnding(joined, term.joined), term.joined) : inflects(joined, term.joined)) return words.slice(i, j + 1).join(' ')
      }
    }
  }
  if (!term.compound && runs.length === 0) return undefined
  for (const w of distinct) {
    if (runs.length > 0 && runs.includes(w) && inflects(w, term.joined)) return w
    if (!term.compound || w.length <= term.joined.length) continue
    if (w.includes(term.joined) || (fuzzy && nearMissInside(term.joined, w))) return w
  }
  return undefined
}

function inflects (word: string, stem: string): boolean {
  return word.startsWith(stem) && ENDINGS.includes(word.slice(stem.length))
}

/** The word without an inflection ending, when what is left is about the term's length. */
function stripEnding (word: string, stem: string): string {
  for (const e of ENDINGS) {
    if (e !== '' && word.endsWith(e) && Math.abs(word.length - e.length - stem.length) <= 1) return word.slice(0, -e.length)
  }
  return word
}
