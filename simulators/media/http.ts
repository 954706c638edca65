import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** Small HTTP helpers for the simulated ComfyUI (no framework, like the real aiohttp server's surface). */
export async function readBody (req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const c of req) parts.push(c as Buffer)
  return Buffer.concat(parts)
}

export async function readJson (req: IncomingMessage): Promise<unknown> {
  try { return JSON.parse((await readBody(req)).toString('utf8')) } catch { return {} }
}

export function json (res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

export interface FormPart { name: string, filename?: string, data: Buffer }

/** A multipart/form-data body split into its parts (enough for /upload/image). */
export function parseMultipart (body: Buffer, contentType: string | undefined): FormPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '')
  const boundary = m?.[1] ?? m?.[2]
  if (boundary === undefined) return []
  const delim = Buffer.from(`--${boundary}`)
  const parts: FormPart[] = []
  let pos = body.indexOf(delim)
  while (pos !== -1) {
    const start = pos + delim.length
    if (body.subarray(start, start + 2).toString() === '--') break
    const next = body.indexOf(delim, start)
    if (next === -1) break
    const part = body.subarray(start + 2, next - 2) // skip CRLF after the delimiter and before the next
    const headEnd = part.indexOf('\r\n\r\n')
    if (headEnd !== -1) {
      const head = part.subarray(0, headEnd).toString('utf8')
      const name = /name="([^"]*)"/i.exec(head)?.[1]
      const filename = /filename="([^"]*)"/i.exec(head)?.[1]
      if (name !== undefined) parts.push({ name, ...(filename === undefined ? {} : { filename }), data: part.subarray(headEnd + 4) })
    }
    pos = next
  }
  return parts
}

/** Completes a websocket handshake on a raw upgraded socket; false when it is not one. */
export function acceptWebSocket (req: IncomingMessage, socket: Socket): boolean {
  const key = req.headers['sec-websocket-key']
  if (typeof key !== 'string') return false
  const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64')
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
  socket.on('data', (buf: Buffer) => {
    // A close frame from the client: answer it and end.
    if (((buf[0] ?? 0) & 0x0f) === 0x8) socket.end(Buffer.from([0x88, 0]))
  })
  socket.on('error', () => socket.destroy())
  return true
}

/** One unmasked text frame (server to client). */
export function textFrame (text: string): Buffer {
  const payload = Buffer.from(text)
  if (payload.length < 126) return Buffer.concat([Buffer.from([0x81, payload.length]), payload])
  if (payload.length < 65536) return Buffer.concat([Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]), payload])
  const head = Buffer.alloc(10)
  head[0] = 0x81
  head[1] = 127
  head.writeBigUInt64BE(BigInt(payload.length), 2)
  return Buffer.concat([head, payload])
}
