import http from 'node:http'

/**
 * A client of a running server, as a browser's EventSource reads it, over a real socket. Shared
 * by the tests and the benchmarks (which drive the server from outside, in its own process).
 */
export interface SseEvent { event: string, data: Record<string, unknown> }

export interface SseClient {
  events: SseEvent[]
  comments: string[]
  status: Promise<number>
  headers: Promise<http.IncomingHttpHeaders>
  /** Resolves when the server ended the stream. */
  done: Promise<void>
  /** Resolves with the first event of that name (or one matching the predicate). */
  waitFor: (event: string, pred?: (e: SseEvent) => boolean) => Promise<SseEvent>
  /** Stop reading from the socket (backpressure builds up on the server). */
  pause: () => void
  /** Leave: destroy the socket, as a closed tab does. */
  leave: () => void
  req: http.ClientRequest
}

/** A streaming run over a real socket, parsed as EventSource would. */
export function openSse (base: string, params: Record<string, string>, opts: { method?: 'GET' | 'POST', headers?: Record<string, string>, onEvent?: (e: SseEvent) => void } = {}): SseClient {
  const method = opts.method ?? 'GET'
  const url = new URL('/api/schema/pipeline/execute', base)
  let body: string | undefined
  if (method === 'GET') {
    for (const [k, v] of Object.entries({ enable_streaming: 'true', ...params })) url.searchParams.set(k, v)
  } else {
    body = JSON.stringify({ enable_streaming: true, ...params })
  }
  const events: SseEvent[] = []
  const comments: string[] = []
  const waiters: Array<{ event: string, pred: ((e: SseEvent) => boolean) | undefined, resolve: (e: SseEvent) => void }> = []
  let resolveStatus!: (n: number) => void
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void
  let resolveDone!: () => void
  const status = new Promise<number>((resolve) => { resolveStatus = resolve })
  const headers = new Promise<http.IncomingHttpHeaders>((resolve) => { resolveHeaders = resolve })
  const done = new Promise<void>((resolve) => { resolveDone = resolve })
  let res: http.IncomingMessage | undefined

  const req = http.request(url, {
    method,
    agent: false,
    headers: { accept: 'text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers }
  }, (response) => {
    res = response
    resolveStatus(response.statusCode ?? 0)
    resolveHeaders(response.headers)
    response.setEncoding('utf8')
    let buf = ''
    response.on('data', (chunk: string) => {
      buf += chunk
      let i = buf.indexOf('\n\n')
      while (i !== -1) {
        const block = buf.slice(0, i)
        buf = buf.slice(i + 2)
        let event = 'message'
        let data = ''
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim())
          else if (line.startsWith('event: ')) event = line.slice(7)
          else if (line.startsWith('data: ')) data += line.slice(6)
        }
        if (data !== '') {
          const e = { event, data: JSON.parse(data) as Record<string, unknown> }
          events.push(e)
          opts.onEvent?.(e)
          for (const w of [...waiters]) {
            if (w.event === e.event && (w.pred === undefined || w.pred(e))) {
              waiters.splice(waiters.indexOf(w), 1)
              w.resolve(e)
            }
          }
        }
        i = buf.indexOf('\n\n')
      }
    })
    response.on('end', () => resolveDone())
    response.on('close', () => resolveDone())
  })
  req.on('error', () => { resolveStatus(0); resolveDone() })
  req.end(body)

  return {
    events,
    comments,
    status,
    headers,
    done,
    req,
    waitFor: async (event, pred) => {
      const found = events.find((e) => e.event === event && (pred === undefined || pred(e)))
      if (found !== undefined) return found
      return await new Promise((resolve) => waiters.push({ event, pred, resolve }))
    },
    pause: () => { res?.pause(); (res?.socket ?? req.socket)?.pause() },
    leave: () => { req.destroy(); res?.destroy() }
  }
}
