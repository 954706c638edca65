/** Human-readable texts in the two languages the browser app speaks (de is the default). */
export type Lang = 'de' | 'en'

export function pickLang (userLanguage: unknown, acceptLanguage?: string): Lang {
  if (userLanguage === 'en' || userLanguage === 'de') return userLanguage
  if (typeof acceptLanguage === 'string') {
    const first = acceptLanguage.split(',')[0]?.trim().toLowerCase() ?? ''
    if (first.startsWith('en')) return 'en'
  }
  return 'de'
}

/** A value that is either a plain string or a `{en, de}` pair, as catalogs write names. */
export type Localized = string | { en?: string, de?: string, [k: string]: string | undefined }

export function localize (value: Localized | undefined, lang: Lang): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  return value[lang] ?? value.en ?? value.de ?? Object.values(value).find((v) => typeof v === 'string') ?? ''
}

export function bilingual (value: Localized | undefined): { en: string, de: string } {
  return { en: localize(value, 'en'), de: localize(value, 'de') }
}

const texts = {
  stage1Name: { de: 'Sicherheitsprüfung', en: 'Safety check' },
  stage1Description: { de: '§86a StGB Check', en: '§86a StGB check' },
  stage2Name: { de: 'KI kombiniert deine Idee', en: 'AI combines your idea' },
  stage2Description: { de: 'Prompt Interception', en: 'Prompt Interception' },
  waiting: { de: 'Warte auf freien Slot... ({s}s)', en: 'Waiting for a free slot... ({s}s)' },
  acquired: { de: 'Verarbeitung gestartet', en: 'Processing started' },
  queueFull: {
    de: 'Gerade sind sehr viele Anfragen unterwegs. Bitte versuche es in einer Minute noch einmal.',
    en: 'Too many requests are waiting right now. Please try again in a minute.'
  },
  unknownSchema: { de: 'Unbekannte Konfiguration: {id}', en: 'Unknown configuration: {id}' },
  unknownOutput: { de: 'Unbekannte Ausgabe-Konfiguration: {id}', en: 'Unknown output configuration: {id}' },
  outputNotNow: { de: '{id} kann gerade nicht erzeugt werden: ComfyUI fehlt ein Modell oder Baustein dafür. Wähle ein anderes Medium.', en: '{id} cannot be made right now: ComfyUI lacks a model or node it needs. Choose another medium.' },
  emptyInput: { de: 'input_text ist leer', en: 'input_text is empty' },
  unknownRun: { de: 'Unbekannter Lauf: {id}', en: 'Unknown run: {id}' },
  badRunId: { de: 'Das ist keine gültige Lauf-ID', en: 'That is not a valid run id' }
} as const

export type TextKey = keyof typeof texts

export function t (key: TextKey, lang: Lang, vars: Record<string, string | number> = {}): string {
  let s: string = texts[key][lang]
  for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, echo(String(v)))
  return s
}

/**
 * A client's value as it may appear in a message: letters, digits and `_ . : / -` only
 * (anything else becomes `?`), at most 100 characters. Never markup, never a control character.
 */
export function echo (value: string): string {
  const safe = value.replace(/[^\p{L}\p{N} _.:/-]/gu, '?')
  return safe.length > 100 ? `${safe.slice(0, 100)}…` : safe
}
