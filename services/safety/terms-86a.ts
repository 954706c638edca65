import type { Term } from './term-lists.js'

/**
 * Our own lists of extremist symbols, organisations, slogans and greetings, written for this
 * project from public descriptions of §86a StGB (the German offence of using the marks of
 * unconstitutional and terrorist organisations: NS organisations under §86 (1) no. 4, and
 * associations banned under the Vereinsgesetz under no. 2) and of the hate symbols used
 * around them. Sources read: the Bundestag research service's Infobrief "Das strafbare
 * Verwenden von Kennzeichen verfassungswidriger Organisationen" (WD 7 - 3010 - 028/14), the
 * German Wikipedia article on §86a and its list of banned associations, and the Federal
 * Interior Ministry's ban announcements (Blood & Honour 2000, Combat 18 2020, Nordadler 2020,
 * Hammerskins and Crew 38 2023).
 *
 * Two kinds of entries:
 * - `hard`: unambiguous. Blocks at every level without asking a model. Some name a `context`
 *   ("religion": a swastika in a Diwali rangoli; "history": a poster about why the symbol is
 *   banned) in which the entry only becomes a hint, and history only from `youth` up.
 * - hints: also a first name, a greeting, a number, heraldry, religion or history ("Sigrun",
 *   "deutscher Gruß", "Isis", "88", a black sun, a Wolfsangel in a coat of arms). They never
 *   block alone; the context model reads them as hints.
 */
const hard = (terms: string, context: Term['context'] = []): Term[] =>
  split(terms).map((term) => ({ term, category: 'symbols_86a', hard: true, context }))
const hint = (terms: string): Term[] =>
  split(terms).map((term) => ({ term, category: 'symbols_86a', hard: false }))
const split = (terms: string): string[] => terms.split(',').map((t) => t.trim()).filter(Boolean)

export const TERMS_86A: Term[] = [
  // Symbols. The swastika is also a sacred sign in Hinduism, Buddhism and Jainism.
  ...hard('hakenkreuz, swastika, hakenkreuzfahne, hakenkreuzflagge, nazi swastika', ['religion', 'history']),
  ...hard(`
    nazi flag, nazi flagge, naziflagge, nazifahne, nazi fahne, nazi banner, reichsflagge mit hakenkreuz,
    ss rune, ss runen, ss sigrune, ss sigrunen, doppelsigrune, doppelte sigrune, double sig rune, ss lightning bolts,
    ss blitze, ss totenkopf, ss abzeichen, ss uniform, ss helm, ss runes, totenkopfverband, totenkopfverbaende,
    hj abzeichen, hitlerjugend abzeichen, gauwinkel, parteiadler
  `, ['history']),
  // NS organisations (§86 (1) no. 4).
  ...hard(`
    nsdap, hitlerjugend, hitler youth, hitler jugend, bund deutscher maedel, waffen ss, schutzstaffel,
    sturmabteilung, leibstandarte, reichsfuehrer ss, ss division, ss offizier, ss mann, ss soldat, ss wachmann
  `, ['history']),
  // Associations banned in Germany (§86 (1) no. 2) and terrorist organisations.
  ...hard(`
    blood and honour, blood honour, blood and honor, combat 18, hammerskins, hammerskin, crew 38,
    wiking jugend, nationalistische front, freiheitliche deutsche arbeiterpartei,
    heimattreue deutsche jugend, weisse woelfe terrorcrew, white wolves terrorcrew, nordadler, altermedia, hizb ut tahrir, isis flag, isis flagge, islamic state flag,
    is flagge, flagge des islamischen staates, flag of the islamic state, daesh flag, daesh flagge
  `, ['history']),
  // Greetings, slogans and songs of NS organisations.
  ...hard(`
    heil hitler, sieg heil, hitlergruss, hitler gruss, hitler salute, nazi salute, nazigruss, nazi gruss,
    meine ehre heisst treue, unsere ehre heisst treue, blut und ehre, deutschland erwache,
    ein volk ein reich ein fuehrer, fuehrer befiehl wir folgen, horst wessel lied, horst wessel song,
    juden raus, white power salute
  `, ['history']),
  // Ambiguous: names, greetings, numbers, heraldry, religion, history, everyday phrases (the SA
  // slogan "Alles für Deutschland" is also what a sports report says of a team; banned groups
  // named "Deutsche Alternative", "Nationale Offensive" or "Sturm 18" share words with the news).
  ...hint(`
    alles fuer deutschland, deutsche alternative, nationale offensive, sturm 18,
    sigrun, sigrune, siegrune, sig rune, sieg rune, odal, odalrune, othala, lebensrune, tyrrune, tyr rune,
    wolfsangel, schwarze sonne, black sun, sonnenrad, keltenkreuz, celtic cross, triskele, totenkopf,
    deutscher gruss, deutschem gruss, mit deutschem gruss, die fahne hoch, reichskriegsflagge, reichsadler,
    hitler, adolf hitler, fuehrer, nazi, nazis, ss, hj, isis, islamischer staat, islamic state, daesh,
    al qaida, al qaeda, hamas, hisbollah, hezbollah, pkk, 88, 1488, 14 words, fourteen words, c18,
    white power, wpww, zyklon b, arbeit macht frei, kuehnengruss, kuehnen gruss, roman salute,
    reichsbuerger, happy merchant, ku klux klan, kkk
  `)
]

/**
 * The symbol characters themselves. Doubled SS runes and lightning letters are unambiguous;
 * a single rune is a letter of a runic alphabet (a child may write her name in runes), the
 * swastika characters are sacred signs in Asia (卍 marks a temple on Japanese maps), and two
 * lightning emoji may just mean "fast".
 */
export const SYMBOLS: Array<{ pattern: RegExp, term: string, hard: boolean, context?: Term['context'] }> = [
  { pattern: /ᛋ\s*ᛋ|ϟ\s*ϟ|ᛊ\s*ᛊ|ꓢ\s*ꓢ|\u{16CB}\u{16CB}/u, term: 'ss runes', hard: true, context: ['history'] },
  { pattern: /[卐卍࿕࿖࿗࿘]/u, term: 'swastika', hard: true, context: ['religion', 'history'] },
  { pattern: /⚡\s*⚡|🗲\s*🗲/u, term: 'double lightning bolt', hard: false },
  { pattern: /[ᛋᛊᛉᛟᛏᛦ]|ϟ/u, term: 'runic letter', hard: false },
  { pattern: /☀️?\s*🖤|⚫\s*☀/u, term: 'black sun', hard: false }
]

/**
 * Words that show a text is about religion (a swastika on a Diwali rangoli) or about
 * history and education (why a symbol is banned). They turn a hard entry with that context
 * into a hint for the model; history only from `youth` up.
 */
export const CONTEXT_CUES: Record<'religion' | 'history', string[]> = {
  religion: split(`
    diwali, rangoli, hindu, buddh, jain, jainismus, jainism, tempel, temple, manji, sanskrit, ganesha,
    glueckssymbol, gluecksbringer, indien, nepal, mandala
  `),
  history: split(`
    geschicht, histor, museum, gedenk, memorial, mahnmal, unterricht, lesson, aufklaer, warum, why,
    verbot, banned, forbidden, widerstand, resistance, holocaust, shoah, ausstellung, exhibition,
    dokument, documentary, referat, schulprojekt, stolperstein, erinnerung, remembrance
  `)
}

/** Cues of five letters or more also match as the start of a word ("Geschichtsplakat"). */
export const CUE_PREFIX_MIN = 5
