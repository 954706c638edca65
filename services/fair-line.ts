/** Who a waiting run belongs to: the client address, and the browser (anonymous cookie) behind it. */
export interface QueueClient { address: string, browser: string }

/** Everyone without an identity shares one bucket (services and tests that pass none). */
export const ANONYMOUS_CLIENT: QueueClient = { address: 'anonymous', browser: 'anonymous' }

interface Ring<T> { key: string, items: T }

/**
 * A waiting line served round-robin: one run per client address in turn, and within an
 * address one run per browser in turn, each browser's runs in the order they came. A client
 * that queues 200 runs thus holds one place per round, not the next 200 slots.
 *
 * A newcomer joins at the end of the current round (just before the cursor), so with A
 * addresses waiting it is served within A grants, and within an address with B browsers within
 * A·B grants, however many runs the others have queued.
 */
export class FairLine<T extends { client: QueueClient }> {
  readonly #addresses: Array<Ring<{ cursor: number, browsers: Array<Ring<T[]>> }>> = []
  #cursor = 0
  #size = 0
  readonly #perBrowser = new Map<string, number>()
  readonly #perAddress = new Map<string, number>()

  get size (): number { return this.#size }
  waitingOf (client: QueueClient): { browser: number, address: number } {
    return { browser: this.#perBrowser.get(browserKey(client)) ?? 0, address: this.#perAddress.get(client.address) ?? 0 }
  }

  push (item: T): void {
    const { address, browser } = item.client
    let a = this.#addresses.find((x) => x.key === address)
    if (a === undefined) {
      a = { key: address, items: { cursor: 0, browsers: [] } }
      this.#cursor = insertBeforeCursor(this.#addresses, this.#cursor, a)
    }
    let b = a.items.browsers.find((x) => x.key === browser)
    if (b === undefined) {
      b = { key: browser, items: [] }
      a.items.cursor = insertBeforeCursor(a.items.browsers, a.items.cursor, b)
    }
    b.items.push(item)
    this.#count(item.client, 1)
  }

  /** The next run to serve, taken off the line; the cursors move on to the next address and browser. */
  shift (): T | undefined {
    const a = this.#addresses[this.#cursor]
    if (a === undefined) return undefined
    const browsers = a.items.browsers
    const b = browsers[a.items.cursor] as Ring<T[]>
    const item = b.items.shift() as T
    this.#count(item.client, -1)
    if (b.items.length === 0) browsers.splice(a.items.cursor, 1)
    else a.items.cursor++
    if (a.items.cursor >= browsers.length) a.items.cursor = 0
    if (browsers.length === 0) this.#addresses.splice(this.#cursor, 1)
    else this.#cursor++
    if (this.#cursor >= this.#addresses.length) this.#cursor = 0
    return item
  }

  /** Takes a run off the line wherever it stands (its client left); false if it is not there. */
  remove (item: T): boolean {
    const ai = this.#addresses.findIndex((x) => x.key === item.client.address)
    const a = this.#addresses[ai]
    if (a === undefined) return false
    const bi = a.items.browsers.findIndex((x) => x.key === item.client.browser)
    const b = a.items.browsers[bi]
    const i = b === undefined ? -1 : b.items.indexOf(item)
    if (b === undefined || i === -1) return false
    b.items.splice(i, 1)
    this.#count(item.client, -1)
    if (b.items.length === 0) a.items.cursor = removeAt(a.items.browsers, a.items.cursor, bi)
    if (a.items.browsers.length === 0) this.#cursor = removeAt(this.#addresses, this.#cursor, ai)
    return true
  }

  /** Every waiting run in the order it will be served if nobody else comes: index 0 is next. */
  order (): T[] {
    const perAddress = rotate(this.#addresses, this.#cursor).map((a) => interleave(rotate(a.items.browsers, a.items.cursor).map((b) => b.items)))
    return interleave(perAddress)
  }

  /** Empties the line, returning everything that waited. */
  drain (): T[] {
    const all = this.order()
    this.#addresses.length = 0
    this.#cursor = 0
    this.#size = 0
    this.#perBrowser.clear()
    this.#perAddress.clear()
    return all
  }

  #count (client: QueueClient, d: number): void {
    this.#size += d
    bump(this.#perBrowser, browserKey(client), d)
    bump(this.#perAddress, client.address, d)
  }
}

const browserKey = (c: QueueClient): string => `${c.address}\u0000${c.browser}`

function bump (map: Map<string, number>, key: string, d: number): void {
  const n = (map.get(key) ?? 0) + d
  if (n <= 0) map.delete(key)
  else map.set(key, n)
}

/** Inserts `item` as the last of the current round; returns the cursor, still on the same element. */
function insertBeforeCursor<U> (ring: U[], cursor: number, item: U): number {
  if (ring.length === 0) { ring.push(item); return 0 }
  ring.splice(cursor, 0, item)
  return cursor + 1
}

/** Removes ring[i]; returns the cursor, on the same element (or the one after a removed cursor). */
function removeAt<U> (ring: U[], cursor: number, i: number): number {
  ring.splice(i, 1)
  const c = i < cursor ? cursor - 1 : cursor
  return c >= ring.length ? 0 : c
}

function rotate<U> (ring: U[], cursor: number): U[] {
  return [...ring.slice(cursor), ...ring.slice(0, cursor)]
}

/** Round-robin merge: the first of each list, then the second of each, ... */
function interleave<U> (lists: U[][]): U[] {
  const out: U[] = []
  const longest = Math.max(0, ...lists.map((l) => l.length))
  for (let r = 0; r < longest; r++) {
    for (const l of lists) if (r < l.length) out.push(l[r] as U)
  }
  return out
}
