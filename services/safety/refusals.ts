import type { Lang } from '../i18n.js'
import type { Category } from './term-lists.js'

/**
 * What a child is told when an idea is refused: what was found, and why the rule exists,
 * in words a 6-year-old can follow. Never a bare "blocked".
 */
const WHY: Record<Category, Record<Lang, string>> = {
  symbols_86a: {
    de: 'Zeichen von verbotenen Gruppen wie den Nationalsozialisten dürfen in Deutschland nicht gezeigt werden (§86a Strafgesetzbuch). Sie stehen für Hass und für schlimme Verbrechen an Menschen, und wer sie zeigt, macht anderen Angst.',
    en: 'Symbols of banned groups such as the Nazis may not be shown in Germany (§86a of the criminal code). They stand for hate and for terrible crimes against people, and showing them frightens others.'
  },
  violence: {
    de: 'Bilder, in denen Menschen oder Tiere verletzt werden, können anderen Angst machen oder wehtun. Deshalb machen wir sie hier nicht.',
    en: 'Pictures of people or animals getting hurt can scare or upset others. That is why we do not make them here.'
  },
  weapons: {
    de: 'Waffen sind dazu da, jemanden zu verletzen. Deshalb malen wir hier keine.',
    en: 'Weapons are made to hurt someone. That is why we do not draw them here.'
  },
  sexual: {
    de: 'Nackte oder erotische Bilder gehören nicht in den Unterricht. Jeder Mensch hat ein Recht darauf, dass sein Körper privat bleibt.',
    en: 'Naked or sexy pictures do not belong in class. Everyone has the right to keep their body private.'
  },
  drugs: {
    de: 'Drogen, Alkohol und Zigaretten schaden der Gesundheit. Darum machen wir dazu keine Bilder.',
    en: 'Drugs, alcohol and cigarettes harm your health. So we do not make pictures about them.'
  },
  self_harm: {
    de: 'Darüber sprichst du am besten mit einem Menschen, dem du vertraust. Wenn es dir nicht gut geht: Die Nummer gegen Kummer (116 111) hilft kostenlos.',
    en: 'This is best talked about with a person you trust. If you are not feeling well, please talk to a grown-up or call a helpline.'
  },
  scary: {
    de: 'Gruselige Bilder können jüngeren Kindern Angst machen.',
    en: 'Scary pictures can frighten younger children.'
  },
  personal_data: {
    de: 'Namen und Adressen von echten Menschen sind privat. Sie gehören nicht in ein KI-Bild, damit niemand bloßgestellt wird.',
    en: 'Names and addresses of real people are private. They do not belong in an AI picture, so that nobody gets exposed.'
  },
  other: {
    de: 'Das passt nicht zu den Regeln für diese Altersgruppe.',
    en: 'This does not fit the rules for this age group.'
  }
}

/**
 * The opening names the kind of problem, never the words that were found: repeating a slur or
 * a symbol's name back helps nobody, and a first name that happens to be a symbol's name
 * must not be called one. No accusation either: many children do not know these rules.
 */
const FOUND: Record<Category, Record<Lang, string>> = {
  symbols_86a: {
    de: 'Deine Idee erinnert an ein Zeichen, einen Spruch oder eine Gruppe, die in Deutschland verboten sind. Vielleicht wusstest du das nicht, das ist in Ordnung.',
    en: 'Your idea reminds us of a sign, a slogan or a group that is banned in Germany. Maybe you did not know that, and that is okay.'
  },
  violence: { de: 'In deiner Idee wird jemand verletzt.', en: 'In your idea someone gets hurt.' },
  weapons: { de: 'In deiner Idee kommen Waffen vor.', en: 'Your idea has weapons in it.' },
  sexual: { de: 'Deine Idee passt so nicht in den Unterricht.', en: 'Your idea does not fit in class like this.' },
  drugs: { de: 'In deiner Idee geht es um Drogen, Alkohol oder Rauchen.', en: 'Your idea is about drugs, alcohol or smoking.' },
  self_harm: { de: 'In deiner Idee geht es darum, sich selbst wehzutun.', en: 'Your idea is about hurting yourself.' },
  scary: { de: 'Deine Idee ist ziemlich gruselig.', en: 'Your idea is quite scary.' },
  personal_data: { de: 'In deiner Idee stehen Angaben über echte Menschen.', en: 'Your idea has details about real people in it.' },
  other: { de: 'Deine Idee passt so leider nicht.', en: 'Sorry, your idea does not work like this.' }
}

const TRY: Record<Lang, string> = {
  de: 'Versuch es mit einer anderen Idee!',
  en: 'Try another idea!'
}

export const CATEGORIES = Object.keys(WHY) as Category[]

/** What the child reads: the kind of problem, why the rule exists, and an invitation to go on. */
export function refusalMessage (category: Category, lang: Lang): string {
  return `${FOUND[category][lang]} ${WHY[category][lang]} ${TRY[lang]}`
}

export function asCategory (value: unknown): Category {
  return typeof value === 'string' && (CATEGORIES as string[]).includes(value) ? value as Category : 'other'
}
