/**
 * Our own term lists, written for this project. They are hints for the context check,
 * not verdicts: a kids/youth hit goes to the model, which may clear it ("a monster
 * truck"). The §86a lists are in terms-86a.ts.
 *
 * Categories name the reason a child is told about (see refusals.ts).
 */
export type Category = 'symbols_86a' | 'violence' | 'weapons' | 'sexual' | 'drugs' | 'self_harm' | 'scary' | 'personal_data' | 'other'

export interface Term {
  term: string
  category: Category
  /** §86a entries only: blocks without a model (see terms-86a.ts). */
  hard?: boolean
  /** A context in which a hard entry is only a hint. */
  context?: Array<'religion' | 'history'>
}

const list = (category: Category, terms: string): Term[] =>
  terms.split(',').map((t) => t.trim()).filter(Boolean).map((term) => ({ term, category }))

/** 6–12: whole words plus common inflection endings (see term-filter.ts). */
export const TERMS_KIDS: Term[] = [
  ...list('violence', `
    blood, bloody, gore, gory, kill, killer, murder, murderer, dead, death, corpse, violence, torture,
    massacre, war crime, beheading, stab, shoot, shooting,
    blut, blutig, toeten, toetet, getoetet, mord, moerder, tot, tote, leiche, gewalt, folter, massaker,
    erschiessen, erstechen, schlaegt, verpruegeln, krieg
  `),
  ...list('weapons', `
    weapon, gun, pistol, rifle, knife, bomb, grenade, machine gun,
    waffe, pistole, gewehr, messer, bombe, granate, maschinengewehr
  `),
  ...list('sexual', `
    naked, nude, sex, sexy, porn, erotic, lingerie, nackt, nackte, nackig, porno, erotisch, unterwaesche
  `),
  ...list('drugs', `
    drug, drugs, cocaine, heroin, meth, weed, alcohol, beer, vodka, whisky, cigarette, smoking, drunk,
    droge, drogen, kokain, alkohol, bier, schnaps, zigarette, rauchen, betrunken, kiffen
  `),
  ...list('self_harm', 'suicide, self harm, selbstmord, suizid, selbstverletzung, ritzen'),
  ...list('scary', `
    horror, zombie, demon, devil, monster, nightmare, creepy, gruselig, daemon, teufel, albtraum, horrorfilm
  `)
]

/** 13–17: what stays off-limits for teenagers. */
export const TERMS_YOUTH: Term[] = [
  ...list('violence', `
    gore, gory, torture, massacre, beheading, dismember, dismembered, mutilation, execution video,
    folter, massaker, enthauptung, enthauptet, zerstueckelt, verstuemmelung
  `),
  ...list('sexual', 'naked, nude, porn, sex, sexual, nsfw, nackt, nackte, porno, sexuell'),
  ...list('drugs', 'cocaine, heroin, meth, crack, kokain, heroin, crystal meth'),
  ...list('self_harm', 'suicide, self harm, selbstmord, suizid, selbstverletzung, ritzen')
]

export { TERMS_86A } from './terms-86a.js'
