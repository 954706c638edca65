import unhomoglyph from 'unhomoglyph'

/**
 * Folding for term matching, in the order that makes disguises fall apart:
 *
 * 1. Unicode NFKC: mathematical alphanumerics (𝐇𝐚𝐤𝐞𝐧), fullwidth letters and ligatures become
 *    plain letters, and decomposed umlauts (a + U+0308) become one precomposed letter again.
 * 2. Invisible and formatting characters (category Cf: zero-width space and joiners, soft
 *    hyphen, word joiner, bidi marks; plus the Hangul and braille fillers) are removed, so
 *    "Haken\u200Bkreuz" is one word again.
 * 3. German umlauts and ß become ae/oe/ue/ss, in either case.
 * 4. Look-alike letters from other scripts (Cyrillic "а", Greek "Η", small capitals) become
 *    their Latin skeleton through Unicode's confusables data (the `unhomoglyph` package).
 *    Only non-ASCII characters are mapped: the confusables skeleton would otherwise turn
 *    plain "m" into "rn" and "l" into "I".
 * 5. Lower case, then other diacritics are dropped (é → e).
 *
 * Leetspeak is a separate, optional step (see `foldVariants`), because "88" and "18" are
 * numbers first.
 */
export function normalizeText (text: string): string {
  let s = text.normalize('NFKC').replace(INVISIBLE, '')
  s = s.replace(/[ÄäÖöÜüß]/g, (c) => UMLAUTS[c] as string)
  s = s.replace(/[^ -~\s]/gu, skeleton)
  return s.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '')
}

/** Format characters plus the fillers that render as nothing but are not Cf. */
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800\u180E]/gu

const UMLAUTS: Record<string, string> = { Ä: 'Ae', ä: 'ae', Ö: 'Oe', ö: 'oe', Ü: 'Ue', ü: 'ue', ß: 'ss' }

/** Letters the confusables data leaves outside ASCII (mostly small capitals). */
const EXTRA: Record<string, string> = {
  ᴀ: 'a', ʙ: 'b', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ᴊ: 'j', ᴋ: 'k', ĸ: 'k', ʟ: 'l', ʍ: 'm', ɴ: 'n', ᴘ: 'p', ᴛ: 't', ᴎ: 'n', ᴙ: 'r', ɜ: 'e', π: 'n', д: 'd', л: 'l', ж: 'zh', ч: 'ch', ш: 'sh', щ: 'sh', ц: 'c', ё: 'e', й: 'i', э: 'e', ю: 'yu'
}

const ASCII = /^[ -~]+$/

function skeleton (c: string): string {
  const direct = unhomoglyph(c)
  if (ASCII.test(direct)) return direct
  // The confusables data is case-sensitive: Cyrillic "к" has no Latin twin, "К" has "K".
  const upper = c.toUpperCase()
  if (upper !== c) {
    const viaUpper = unhomoglyph(upper)
    if (ASCII.test(viaUpper)) return viaUpper.toLowerCase()
  }
  return EXTRA[c] ?? EXTRA[direct] ?? c
}

/** Splits normalized text into words of letters and digits; everything else separates. */
function words (normalized: string): string[] {
  const folded = normalized.replace(/[^\p{L}\p{N}]+/gu, ' ').trim()
  return folded === '' ? [] : folded.split(' ')
}

/** The folded words of a text (steps 1–5, no leetspeak). */
export function foldWords (text: string): string[] {
  return words(normalizeText(text))
}

const LEET: Record<string, string> = { 0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 7: 't', 8: 'b', 9: 'g', '@': 'a', $: 's', '!': 'i', '|': 'l', '€': 'e', '£': 'l' }

/**
 * The folded words, plus leetspeak readings when the text has any: "h4k3nkr3uz",
 * "$$-Rune", "H 4 K E N". A whole number of two or more digits ("88", "2024") stays a
 * number in every reading. "1" reads as i and, in a second reading, as l.
 */
export function foldVariants (text: string): string[][] {
  const base = normalizeText(text)
  const plain = words(base)
  if (!/[0-9@$!|€£]/.test(base)) return [plain]
  const leet = (one: string): string[] => words(base.split(/(\s+)/).map((tok) => {
    if (/^\d{2,}[.,;:!?]*$/.test(tok)) return tok
    return tok.replace(/[0-9@$!|€£]/g, (c) => c === '1' ? one : LEET[c] ?? c)
  }).join(''))
  const out = [plain]
  for (const variant of [leet('i'), leet('l')]) {
    if (!out.some((v) => v.join(' ') === variant.join(' '))) out.push(variant)
  }
  return out
}
