import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Short-lived signed tickets for the admin event stream. EventSource cannot send an
 * Authorization header, and the admin token must never stand in a URL (it would land in
 * proxy logs and the browser history), so the room view trades its token for a ticket
 * (POST, with the token) and opens the stream with `?ticket=`. A ticket is an expiry time
 * signed with a key that lives only in this process: a restart voids every ticket.
 */
export class TicketSigner {
  readonly #key = randomBytes(32)
  readonly ttlMs: number

  constructor (ttlMs = 60_000) {
    this.ttlMs = ttlMs
  }

  issue (now = Date.now()): string {
    const exp = String(now + this.ttlMs)
    return `${exp}.${this.#sign(exp)}`
  }

  verify (ticket: string, now = Date.now()): boolean {
    const [exp, sig, extra] = ticket.split('.')
    if (exp === undefined || sig === undefined || extra !== undefined || !/^\d{1,15}$/.test(exp)) return false
    const expected = Buffer.from(this.#sign(exp))
    const given = Buffer.from(sig)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
    return Number(exp) > now
  }

  #sign (exp: string): string {
    return createHmac('sha256', this.#key).update(`admin-stream:${exp}`).digest('base64url')
  }
}
