/**
 * Folds text for term matching: case, umlauts (ä → ae, ß → ss), other diacritics,
 * hyphens, underscores and punctuation all disappear, so "SS-Rune", "ss rune" and
 * "SS_Rune" are the same two words. Returns the words in order.
 */
export function foldWords (text: string): string[] {
  const folded = text
    .toLowerCase()
    .replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss')
    .normalize('NFKD').replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
  return folded === '' ? [] : folded.split(' ')
}
