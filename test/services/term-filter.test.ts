import t from 'tap'
import { findTerms } from '../../services/safety/term-filter.js'
import { foldWords } from '../../services/safety/fold.js'
import { termCheck } from '../../services/stages/stage1.js'

const cats = (text: string, level: 'kids' | 'youth' | 'adult' | 'off') => findTerms(text, level).map((h) => h.category)

t.test('folding: case, umlauts, hyphens and spacing', async (t) => {
  t.same(foldWords('SS-Rune  Größe_Über'), ['ss', 'rune', 'groesse', 'ueber'])
})

t.test('§86a terms block in every level, also inflected and in compounds', async (t) => {
  for (const text of [
    'ein Hakenkreuz an der Wand', 'zwei HAKENKREUZE', 'eine Hakenkreuzflagge', 'des Hakenkreuzes',
    'swastikas everywhere', 'a Swastika-tattoo', 'SS-Runen auf dem Helm', 'Sig rune', 'er zeigt den Hitlergruß',
    'sieg heil', 'die Wolfsangel'
  ]) {
    for (const level of ['kids', 'youth', 'adult', 'off'] as const) {
      t.ok(cats(text, level).includes('symbols_86a'), `${text} (${level})`)
    }
  }
})

t.test('whole words: harmless words that contain a listed word do not match', async (t) => {
  t.same(findTerms('a painting of grapes', 'kids'), [], 'painting is not pain, grapes is not rape')
  t.same(findTerms('skills and a deadline', 'kids'), [])
  t.same(findTerms('die Totale einer Landschaft', 'kids'), [], 'Totale is not tot')
})

t.test('level lists: kids stricter than youth, adult only §86a', async (t) => {
  t.same(cats('a monster truck', 'kids'), ['scary'])
  t.same(cats('a monster truck', 'youth'), [])
  t.same(cats('three killers', 'kids'), ['violence'], 'plural of a listed word')
  t.same(cats('naked', 'adult'), [])
})

t.test('termCheck refuses §86a with a child-friendly message in the user language', async (t) => {
  const de = termCheck('ein Hakenkreuz', 'adult', 'de')
  t.equal(de.refusal?.category, 'symbols_86a')
  t.match(de.refusal?.message, /verboten.*§86a/)
  const en = termCheck('a swastika', 'kids', 'en')
  t.match(en.refusal?.message, /banned.*Nazis/)
  t.equal(termCheck('a monster truck', 'kids', 'en').refusal, undefined, 'other hits are only hints')
})
