/**
 * BENCHMARK BASELINE, NOT PART OF THE SERVER: the least a relay can do per token, to measure
 * artsed-server against (issue 12's "limit" row). Plain node:http and an undici Pool: each
 * GET opens one streamed /api/chat call, each NDJSON line of the answer is parsed and sent on
 * as one SSE `chunk` event of the same shape as the server's; a full socket pauses the upstream
 * body until it drains. No queue, no safety, no run store, no logging, no limits.
 *   PORT=8080 OLLAMA_URL=http://127.0.0.1:11434 tsx bench/minimal-relay.ts
 */
import http from 'node:http'
import { StringDecoder } from 'node:string_decoder'
import { Pool } from 'undici'

const port = Number(process.env.PORT ?? '8080')
const upstream = process.env.OLLAMA_URL ?? 'http://127.0.0.1:11434'
const pool = new Pool(upstream, { connections: 1000, headersTimeout: 0, bodyTimeout: 0 })

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  if (url.pathname === '/health') { res.end('ok'); return }
  const idea = url.searchParams.get('input_text') ?? ''
  const ac = new AbortController()
  res.on('close', () => { if (!res.writableEnded) ac.abort() })
  // The same framing as the server's event streams: the body ends with the connection, no chunked encoding.
  res.useChunkedEncodingByDefault = false
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  res.write('event: connected\ndata: {}\n\n')
  pool.request({
    path: '/api/chat',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mistral-nemo:12b', stream: true, messages: [{ role: 'user', content: `Prompt:\n${idea}` }] }),
    signal: ac.signal
  }).then(({ body }) => {
    const decoder = new StringDecoder('utf8')
    let carry = ''
    let count = 0
    let text = ''
    body.on('data', (chunk: Buffer) => {
      let s = carry + decoder.write(chunk)
      let nl = s.indexOf('\n')
      while (nl !== -1) {
        const line = JSON.parse(s.slice(0, nl)) as { message?: { content?: string }, done?: boolean }
        s = s.slice(nl + 1)
        nl = s.indexOf('\n')
        const piece = line.message?.content ?? ''
        if (piece !== '') {
          text += piece
          const ok = res.write(`event: chunk\ndata: {"stage":2,"text_chunk":${JSON.stringify(piece)},"chunk_count":${++count}}\n\n`)
          if (!ok) { body.pause(); res.once('drain', () => body.resume()) }
        }
      }
      carry = s
    })
    body.on('end', () => res.end(`event: complete\ndata: ${JSON.stringify({ stage: 2, final_text: text, chunk_count: count })}\n\n`))
    body.on('error', () => res.destroy())
  }, () => res.destroy())
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1')
process.on('SIGTERM', () => { server.close(); pool.close().catch(() => {}); setTimeout(() => process.exit(0), 200).unref() })
