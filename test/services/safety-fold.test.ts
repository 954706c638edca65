import t from 'tap'
import { foldVariants, foldWords, normalizeText } from '../../services/safety/fold.js'
import { findTerms } from '../../services/safety/term-filter.js'

const hard = (text: string, level: 'kids' | 'youth' | 'adult' | 'off' = 'kids') => findTerms(text, level).filter((h) => h.hard).map((h) => h.term)
const any = (text: string, level: 'kids' | 'youth' | 'adult' | 'off' = 'kids') => findTerms(text, level).map((h) => h.term)

// Each folding step, with a disguise it undoes and an ordinary text it leaves alone.
t.test('NFKC: mathematical and fullwidth letters become plain letters', async (t) => {
  t.equal(normalizeText('𝐇𝐚𝐤𝐞𝐧𝐤𝐫𝐞𝐮𝐳'), 'hakenkreuz')
  t.equal(normalizeText('Ｓｗａｓｔｉｋａ'), 'swastika')
  t.ok(hard('ein 𝓗𝓪𝓴𝓮𝓷𝓴𝓻𝓮𝓾𝔃').includes('hakenkreuz'))
  t.same(hard('ein 𝐇𝐚𝐮𝐬 mit Garten'), [], 'a mathematical "Haus" is a house')
})

t.test('NFKC before umlaut folding: a decomposed ü is an ü', async (t) => {
  t.same(foldWords('Gru\u0308ße'), ['gruesse'])
  t.same(foldWords('Grüße'), ['gruesse'])
  t.ok(hard('Hitlergru\u00DF').includes('hitlergruss'))
  t.ok(hard('Meine Ehre hei\u00DFt Treue').length > 0)
  t.same(hard('Grüße aus Berlin'), [])
})

t.test('invisible and formatting characters are removed', async (t) => {
  for (const c of ['\u200B', '\u00AD', '\u200D', '\u2060', '\uFEFF', '\u200E']) {
    t.ok(hard(`Haken${c}kreuz`).includes('hakenkreuz'), `U+${c.charCodeAt(0).toString(16)}`)
  }
  t.same(foldWords('Sonnen\u00ADblume'), ['sonnenblume'])
  t.same(hard('Sonnen\u00ADblume'), [])
})

t.test('look-alike letters map to their Latin skeleton (confusables)', async (t) => {
  t.equal(normalizeText('Нakenkreuz'), 'hakenkreuz', 'Cyrillic capital En')
  t.equal(normalizeText('hаkеnkrеuz'), 'hakenkreuz', 'Cyrillic a and e')
  t.equal(normalizeText('ΗΑΚΕΝkreuz'), 'hakenkreuz', 'Greek capitals that look Latin')
  t.equal(normalizeText('ѕwаѕtіkа'), 'swastika', 'Cyrillic dze, a, i')
  t.equal(normalizeText('sᴡᴀsᴛɪᴋᴀ'), 'swastika', 'small capitals')
  t.ok(hard('nѕdар').includes('nsdap'))
  t.equal(normalizeText('mein Haus'), 'mein haus', 'plain ASCII is not skeletonised (m stays m)')
  t.same(hard('Привет, мир'), [], 'Russian text is just text')
})

t.test('leetspeak is folded, numbers stay numbers', async (t) => {
  t.ok(hard('h4k3nkr3uz').includes('hakenkreuz'))
  t.ok(hard('$$-Rune').includes('ss rune'))
  t.ok(hard('S1eg He1l').includes('sieg heil'))
  t.ok(hard('N$D@P').includes('nsdap'))
  t.ok(foldVariants('88 Tasten').every((v) => v[0] === '88'), '88 stays 88')
  t.same(hard('Ich habe 3 Katzen und 4 Hunde'), [])
  t.same(hard('Mein Fahrrad hat 18 Gänge'), [])
})

t.test('letter-spaced, dotted and hyphen-split words are joined only into terms', async (t) => {
  t.ok(hard('H a k e n k r e u z').includes('hakenkreuz'))
  t.ok(hard('H.a.k.e.n.k.r.e.u.z').includes('hakenkreuz'))
  t.ok(hard('Haken-kreuz').includes('hakenkreuz'))
  t.ok(hard('S-I-E-G H-E-I-L').includes('sieg heil'))
  t.ok(hard('h a k e n k r e u z f a h n e').includes('hakenkreuz'), 'spaced compound')
  t.same(any('ein Haken und ein Kreuz'), [], 'ordinary words stay two words')
  t.same(any('Plan A B C für das Bild'), [])
  t.same(any('Der Kreuzritter hat einen Haken'), [])
})

t.test('a near miss of one letter counts for long terms only', async (t) => {
  t.ok(hard('Hakenkreutz').includes('hakenkreuz'), 'one added letter')
  t.ok(hard('Hackenkreuz').includes('hakenkreuz'), 'one added letter')
  t.ok(hard('Hakenkruez').includes('hakenkreuz'), 'two letters swapped')
  t.ok(hard('swastka').includes('swastika'), 'one letter dropped')
  t.ok(hard('Hakenkreutzfahne').includes('hakenkreuz'), 'misspelt inside a compound')
  t.same(hard('Hakenkreis'), [], 'two letters off')
  t.same(hard('nsdop'), [], 'short terms need the exact spelling')
})

t.test('the symbol characters themselves', async (t) => {
  t.ok(hard('卐').includes('swastika'))
  t.ok(hard('ein Banner mit ᛋᛋ').includes('ss runes'))
  t.ok(hard('ϟϟ auf dem Kragen').includes('ss runes'))
  t.ok(any('⚡⚡').includes('double lightning bolt'), 'two lightning emoji: a hint')
  t.same(hard('⚡⚡ schnell wie der Blitz'), [], 'never a block alone')
  t.same(hard('mein Name in Runen: ᛋᛁᚷᚱᚢᚾ'), [], 'a single rune is a letter')
  t.same(hard('ein Rangoli zu Diwali mit 卐'), [], 'religious context: a hint for the model')
})
