/**
 * One HTTP byte range (RFC 9110 §14.1.2) against a file of `size` bytes: `bytes=0-99`,
 * `bytes=100-` or `bytes=-500` (the last 500). Browsers' <video> and <audio> send exactly one
 * range; a list of several is answered whole (200), as the RFC allows. `unsatisfiable` asks
 * for a 416.
 */
export type RangeResult = { kind: 'whole' } | { kind: 'partial', start: number, end: number } | { kind: 'unsatisfiable' }

export function parseRange (header: string | undefined, size: number): RangeResult {
  if (header === undefined) return { kind: 'whole' }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (m === null) return { kind: 'whole' }
  const [, from = '', to = ''] = m
  if (from === '' && to === '') return { kind: 'whole' }
  if (from === '') {
    const suffix = Number(to)
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' }
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(from)
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  if (start >= size || end < start) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start, end }
}
