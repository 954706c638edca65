/**
 * "One letter off": one letter changed, added, dropped, or two neighbours swapped
 * (optimal string alignment distance ≤ 1). Used for long terms only (term-filter.ts).
 */
export function nearMiss (a: string, b: string): boolean {
  if (a === b) return true
  if (Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2)
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1)
}

/**
 * Whether `pattern` occurs inside `text` with at most one edit (Sellers' algorithm: the edit
 * distance of the pattern to the best-matching substring). Catches a misspelt term inside a
 * compound ("Hakenkreutzfahne").
 */
export function nearMissInside (pattern: string, text: string): boolean {
  const m = pattern.length
  // One edit spoils at most one half of the pattern, so the other half is in the text as it is:
  // a cheap test that spares the full alignment for almost every word.
  const h = m >> 1
  if (m >= 4 && !text.includes(pattern.slice(0, h)) && !text.includes(pattern.slice(h))) return false
  let prev = Array.from({ length: m + 1 }, (_, k) => k)
  for (let j = 1; j <= text.length; j++) {
    const cur = [0]
    for (let k = 1; k <= m; k++) {
      const cost = pattern[k - 1] === text[j - 1] ? 0 : 1
      cur.push(Math.min((prev[k - 1] as number) + cost, (prev[k] as number) + 1, (cur[k - 1] as number) + 1))
    }
    if ((cur[m] as number) <= 1) return true
    prev = cur
  }
  return false
}
