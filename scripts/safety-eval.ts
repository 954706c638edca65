/**
 * `npm run safety:eval`: how much of the safety gate the server's own rules carry. Every
 * text of scripts/safety-eval-set.json goes through Stage 1 (the term filter, then the context
 * check) at each level, with an in-process model that always answers "safe". So a refusal here
 * is the filter's alone, and what a real model adds is not measured: the numbers are a floor
 * for recall and a ceiling for false alarms. Prints precision and recall per class, and how
 * many texts reached the model with a §86a hint (where a real model decides).
 */
import { readFileSync } from 'node:fs'
import { contextCheck, termCheck } from '../services/stages/stage1.js'
import type { ModelCaller } from '../services/stages/models.js'
import type { SafetyLevel } from '../services/safety/term-filter.js'

interface Item { text: string, label: 'harmless' | 'extremist' }

const set = JSON.parse(readFileSync(new URL('./safety-eval-set.json', import.meta.url), 'utf8')) as { items: Item[] }

/** A model that finds everything harmless. */
const sayssafe: ModelCaller = {
  chat: async () => ({ text: JSON.stringify({ safe: true, category: 'none', terms: [], explanation: 'harmless' }), stats: undefined }),
  chatStream: () => { throw new Error('not used') }
}

async function stage1 (text: string, level: SafetyLevel): Promise<{ blocked: boolean, hinted: boolean }> {
  const terms = termCheck(text, level, 'de')
  const hinted = terms.hits.some((h) => h.category === 'symbols_86a')
  if (terms.refusal !== undefined) return { blocked: true, hinted }
  if (level === 'off') return { blocked: false, hinted }
  const check = await contextCheck({ text, level, lang: 'de', hits: terms.hits, signal: new AbortController().signal }, {
    llm: sayssafe, model: 'stub', instruction: 'judge', template: '{{TASK_INSTRUCTION}}\n{{CONTEXT}}\n{{PREVIOUS_OUTPUT}}\nText to judge:\n{{INPUT_TEXT}}'
  })
  return { blocked: check.refusal !== undefined, hinted }
}

const pct = (n: number, d: number): string => d === 0 ? '   n/a' : `${(100 * n / d).toFixed(1).padStart(5)}%`
const verbose = process.argv.includes('--verbose')
const counts = { harmless: set.items.filter((i) => i.label === 'harmless').length, extremist: set.items.filter((i) => i.label === 'extremist').length }
console.log(`safety:eval: ${set.items.length} texts (${counts.harmless} harmless, ${counts.extremist} extremist), Stage 1 with a model that always says "safe"\n`)
console.log('level  class      precision  recall   (tp/fp/fn)   reached the model with a §86a hint')
for (const level of ['kids', 'youth', 'adult', 'off'] as const) {
  const results = await Promise.all(set.items.map(async (item) => ({ item, ...await stage1(item.text, level) })))
  // Class "extremist" is predicted by a refusal, class "harmless" by a pass.
  for (const cls of ['extremist', 'harmless'] as const) {
    const predicted = (r: { blocked: boolean }): boolean => cls === 'extremist' ? r.blocked : !r.blocked
    const tp = results.filter((r) => r.item.label === cls && predicted(r)).length
    const fp = results.filter((r) => r.item.label !== cls && predicted(r)).length
    const fn = results.filter((r) => r.item.label === cls && !predicted(r)).length
    const hinted = results.filter((r) => r.item.label === cls && !r.blocked && r.hinted).length
    console.log(`${level.padEnd(6)} ${cls.padEnd(10)} ${pct(tp, tp + fp)}    ${pct(tp, tp + fn)}   (${tp}/${fp}/${fn})${' '.repeat(Math.max(1, 9 - `${tp}/${fp}/${fn}`.length))}${hinted} of the ${cls} texts that passed`)
  }
  if (verbose) {
    for (const r of results.filter((x) => (x.item.label === 'extremist') !== x.blocked)) console.log(`  ${level} ${r.item.label === 'extremist' ? 'missed' : 'false alarm'}${r.hinted ? ' (hint)' : ''}: ${r.item.text}`)
  }
}
