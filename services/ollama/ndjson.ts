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
