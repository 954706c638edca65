import { StringDecoder } from 'node:string_decoder'
import { AppError } from '../errors.js'

/**
 * Splits a byte stream into NDJSON objects. Network chunks cut lines anywhere, and a
 * multi-byte UTF-8 character may straddle two chunks: the streaming TextDecoder keeps
 * the partial bytes, and only complete lines are parsed. A line that is not JSON is a
 * protocol failure (UPSTREAM_BAD_RESPONSE), not something to skip silently.
 */
export async function * parseNdjson (body: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder('utf-8')
  let buffered = ''
  for await (const chunk of body) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let nl = buffered.indexOf('\n')
    while (nl !== -1) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      const parsed = parseLine(line)
      if (parsed !== undefined) yield parsed
      nl = buffered.indexOf('\n')
    }
  }
  buffered += decoder.decode()
  const last = parseLine(buffered)
  if (last !== undefined) yield last
}

function parseLine (line: string): unknown {
  const trimmed = line.trim()
  if (trimmed === '') return undefined
  try {
    return JSON.parse(trimmed)
  } catch {
    throw new AppError('UPSTREAM_BAD_RESPONSE', `Ollama sent a line that is not JSON: ${JSON.stringify(trimmed.slice(0, 120))}`, 502)
  }
}

/**
 * The push form of parseNdjson, for the hot path: bytes go in from a body's `data` callback,
 * each complete line comes out parsed, synchronously, to `onLine`. A StringDecoder keeps a
 * character split across two chunks whole (a body's `setEncoding` would too, but it also
 * changes what every other reader of the body gets). No async machinery per line.
 */
export class NdjsonSplitter {
  readonly #decoder = new StringDecoder('utf8')
  #buffered = ''

  push (chunk: Buffer, onLine: (value: unknown) => void): void {
    let text = this.#decoder.write(chunk)
    if (this.#buffered !== '') { text = this.#buffered + text; this.#buffered = '' }
    let from = 0
    let nl = text.indexOf('\n')
    while (nl !== -1) {
      const parsed = parseLine(text.slice(from, nl))
      from = nl + 1
      // A throw (a line that is not JSON, or the consumer's) ends the stream: nothing to keep.
      if (parsed !== undefined) onLine(parsed)
      nl = text.indexOf('\n', from)
    }
    this.#buffered = from < text.length ? text.slice(from) : ''
  }

  /** The end of the body: a last line without a newline, if any. */
  end (onLine: (value: unknown) => void): void {
    const rest = this.#buffered + this.#decoder.end()
    this.#buffered = ''
    const parsed = parseLine(rest)
    if (parsed !== undefined) onLine(parsed)
  }
}
