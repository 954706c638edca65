import t from 'tap'
import { findTerms } from '../../services/safety/term-filter.js'
import { termCheck } from '../../services/stages/stage1.js'
import { refusalMessage } from '../../services/safety/refusals.js'

const hard = (text: string, level: 'kids' | 'youth' | 'adult' | 'off' = 'kids') => findTerms(text, level).filter((h) => h.hard).map((h) => h.term)

t.test('hole 2: §86a organisations, slogans and greetings of the lists block in every level', async (t) => {
  for (const text of [
    'Blood & Honour Konzert', 'Combat 18', 'Hammerskins Logo', 'Meine Ehre heißt Treue',
    'Deutschland erwache', 'Hitlerjugend Abzeichen', 'Waffen-SS Uniform', 'SS-Totenkopf', 'Flagge des Islamischen Staates', 'Horst-Wessel-Lied'
  ]) {
    for (const level of ['kids', 'youth', 'adult', 'off'] as const) t.ok(hard(text, level).length > 0, `${text} (${level})`)
  }
})

t.test('hole 3: names, greetings, numbers, heraldry and religion are hints, never a block alone', async (t) => {
  for (const text of [
    'Sigrunes Katze spielt im Garten', 'Sigrun malt ein Pferd', 'ein deutscher Gruß aus Berlin auf einer Postkarte',
    'die Göttin Isis am Nil', 'ein Klavier mit 88 Tasten', 'eine schwarze Sonne über dem Meer', 'das Stadtwappen mit der Wolfsangel',
    'eine Rangoli zu Diwali mit Swastika', 'a Hindu temple with a swastika', 'ein Piratenschiff mit Totenkopf',
    'Die Fußballer geben alles für Deutschland', 'eine deutsche Alternative zum Fahrrad', 'Mission Combat 1 im Spiel'
  ]) {
    for (const level of ['kids', 'youth', 'adult'] as const) {
      t.same(hard(text, level), [], `${text} (${level})`)
      t.equal(termCheck(text, level, 'de').refusal, undefined)
    }
  }
  t.ok(findTerms('Sigrunes Katze spielt im Garten', 'kids').some((h) => h.category === 'symbols_86a' && !h.hard), 'still a hint for the model')
})

t.test('hole 3: a history poster is a hint from youth up, a block for kids', async (t) => {
  const text = 'Ein Geschichtsplakat: warum die SS-Runen in Deutschland verboten sind'
  t.same(hard(text, 'youth'), [])
  t.same(hard(text, 'adult'), [])
  t.ok(hard(text, 'kids').length > 0)
  t.ok(hard('SS-Runen auf dem Helm', 'youth').length > 0, 'without the history context it blocks at youth too')
})

t.test('hole 3: the refusal names neither the found word nor the child', async (t) => {
  for (const lang of ['de', 'en'] as const) {
    const r = termCheck('Hakenkreuz an der Wand', 'kids', lang).refusal
    t.ok(r !== undefined)
    t.notMatch(r?.message, /hakenkreuz/i)
    t.match(r?.message, lang === 'de' ? /verboten.*§86a.*Versuch es/ : /banned.*§86a.*Try another/)
    t.same(r?.terms, ['hakenkreuz'], 'the terms stay in the record for teachers')
  }
  t.notMatch(refusalMessage('violence', 'en'), /"/)
})

t.test('plain words still match whole, not inside other words', async (t) => {
  t.same(findTerms('a painting of grapes', 'kids'), [])
  t.same(findTerms('Herr Grossmann malt', 'kids'), [], '"ss mann" is not inside Grossmann')
  t.same(findTerms('die Klasse isst Kuchen', 'kids'), [])
})
