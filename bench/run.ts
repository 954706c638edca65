/**
 * Benchmarks, each side by side with its limit in the same run:
 *   relay   time to first token and per-token delay through the server vs. the same simulator read directly
 *   abort   time from a client leaving to the simulator seeing its generation's socket close
 * `npm run bench` (full) or `npm run bench -- --quick`. Writes BENCHMARKS.md.
 */
import { cpus, totalmem } from 'node:os'
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { request } from 'undici'
import { openSse, startServer, type TestServer } from '../test/helper.js'

const quick = process.argv.includes('--quick')
const now = (): number => performance.now()

function pct (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}
const ms = (v: number): string => v.toFixed(2)

/** Per-token delay: when the client saw token i minus when the simulator wrote it. */
function trackTokens (s: TestServer): Map<string, number[]> {
  const written = new Map<string, number[]>()
  s.sim.events.on('token', (prompt: string, i: number) => {
    const key = /Prompt:\n(.*)$/s.exec(prompt)?.[1] ?? prompt
    let list = written.get(key)
    if (list === undefined) { list = []; written.set(key, list) }
    list[i] = now()
  })
  return written
}

async function direct (s: TestServer, idea: string): Promise<{ ttft: number, arrivals: number[] }> {
  const start = now()
  const res = await request(`${s.sim.url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mistral-nemo:12b', stream: true, messages: [{ role: 'user', content: `Prompt:\n${idea}` }] })
  })
  const arrivals: number[] = []
  let buf = ''
  for await (const chunk of res.body) {
    buf += String(chunk)
    let nl = buf.indexOf('\n')
    while (nl !== -1) {
      const line = JSON.parse(buf.slice(0, nl)) as { done?: boolean }
      buf = buf.slice(nl + 1)
      if (line.done !== true) arrivals.push(now())
      nl = buf.indexOf('\n')
    }
  }
  return { ttft: (arrivals[0] ?? now()) - start, arrivals }
}

async function relayed (s: TestServer, idea: string): Promise<{ ttft: number, arrivals: number[] }> {
  const arrivals: number[] = []
  const start = now()
  const c = openSse(s.url, { schema: 'user_defined', input_text: idea, safety_level: 'off' }, {
    onEvent: (e) => { if (e.event === 'chunk') arrivals.push(now()) }
  })
  await c.done
  return { ttft: (arrivals[0] ?? now()) - start, arrivals }
}

async function relayBench (concurrency: number, rounds: number): Promise<Record<string, number>> {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: String(concurrency), QUEUE_MAX_WAITING: '10000' }, { firstTokenDelayMs: 50, tokenDelayMs: 20, splitWrites: false })
  const written = trackTokens(s)
  const out: Record<string, number[]> = { directTtft: [], relayTtft: [], directDelay: [], relayDelay: [] }
  let n = 0
  for (let r = 0; r < rounds; r++) {
    for (const [kind, run] of [['direct', direct], ['relay', relayed]] as const) {
      const ideas = Array.from({ length: concurrency }, () => `idea-${kind}-${n++}`)
      const results = await Promise.all(ideas.map(async (idea) => ({ idea, ...(await run(s, idea)) })))
      for (const res of results) {
        out[`${kind}Ttft`]?.push(res.ttft)
        const w = written.get(res.idea) ?? []
        res.arrivals.forEach((t, i) => { if (w[i] !== undefined) out[`${kind}Delay`]?.push(t - (w[i] as number)) })
      }
    }
  }
  await s.close()
  return {
    directTtftP50: pct(out.directTtft ?? [], 50),
    relayTtftP50: pct(out.relayTtft ?? [], 50),
    directDelayP50: pct(out.directDelay ?? [], 50),
    relayDelayP50: pct(out.relayDelay ?? [], 50),
    directDelayP99: pct(out.directDelay ?? [], 99),
    relayDelayP99: pct(out.relayDelay ?? [], 99)
  }
}

interface AbortResult { p50: number, p99: number, max: number, n: number, burstP50: number, burstMax: number }

/**
 * Clients leave mid-stream while the others of their batch keep streaming. One at a time:
 * each gap is from one client destroying its socket to the simulator seeing that run's
 * upstream socket close. In a burst (a whole batch at once): how long until the last of them
 * closed upstream. Client, server and simulator share one process here, so a burst's closes
 * are handled one after another on one event loop.
 */
async function abortBench (clients: number, batch: number): Promise<AbortResult> {
  const s = await startServer({ QUEUE_MAX_CONCURRENT: String(batch) }, { firstTokenDelayMs: 5, tokenDelayMs: 20, splitWrites: false })
  const waiting = new Map<string, () => void>()
  s.sim.events.on('cancelled', (prompt: string) => {
    waiting.get(/Prompt:\n(.*)$/s.exec(prompt)?.[1] ?? '')?.()
  })
  const cancelled = async (idea: string): Promise<void> => await new Promise((resolve) => waiting.set(idea, resolve))
  const gaps: number[] = []
  const bursts: number[] = []
  let n = 0
  for (let done = 0; done < clients; done += batch) {
    const open = async (): Promise<Array<{ idea: string, c: ReturnType<typeof openSse> }>> => {
      const cs = Array.from({ length: batch }, () => `leaver-${n++}`).map((idea) => ({ idea, c: openSse(s.url, { schema: 'user_defined', input_text: idea, safety_level: 'off' }) }))
      await Promise.all(cs.map(async ({ c }) => await c.waitFor('chunk')))
      return cs
    }
    for (const { idea, c } of await open()) {
      const closed = cancelled(idea)
      const t0 = now()
      c.leave()
      await closed
      gaps.push(now() - t0)
    }
    const burst = await open()
    const all = Promise.all(burst.map(async ({ idea }) => await cancelled(idea)))
    const t0 = now()
    for (const { c } of burst) c.leave()
    await all
    bursts.push(now() - t0)
  }
  await s.close()
  return { p50: pct(gaps, 50), p99: pct(gaps, 99), max: Math.max(...gaps), n: gaps.length, burstP50: pct(bursts, 50), burstMax: Math.max(...bursts) }
}

const date = new Date().toISOString().slice(0, 10)
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`
console.log(`machine: ${machine}; ${quick ? 'quick' : 'full'} run`)

const rounds = quick ? 5 : 20
const relay1 = await relayBench(1, rounds * 4)
console.log('relay, 1 stream', relay1)
const relay100 = await relayBench(100, quick ? 1 : 3)
console.log('relay, 100 streams', relay100)
const abort = await abortBench(quick ? 200 : 1000, 50)
console.log('abort', abort)

const row = (name: string, r: Record<string, number>): string =>
  `| ${name} | ${ms(r.directTtftP50 as number)} | ${ms(r.relayTtftP50 as number)} | ${ms((r.relayTtftP50 as number) - (r.directTtftP50 as number))} | ${ms(r.directDelayP50 as number)} / ${ms(r.directDelayP99 as number)} | ${ms(r.relayDelayP50 as number)} / ${ms(r.relayDelayP99 as number)} |`

writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), `# Benchmarks

Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${date}, machine: ${machine}.
The machine is shared and noisy: medians (p50) and p99 of one run; compare within a row, not across runs.
The upstream is the in-repo Ollama simulator (50 ms to the first token, then a token every 20 ms),
read once directly with undici and once through the server, in the same run.

## Relay overhead

Time to first token (TTFT): from sending the request to the first token (direct) or the first
\`chunk\` event (through the server, which first sends \`connected\`, \`stage_start\`, takes a slot and
opens the upstream request; Stage 1 off). Per-token delay: when the client received token *i* minus
when the simulator wrote it.

| streams at once | direct TTFT p50 ms | relayed TTFT p50 ms | added TTFT ms | direct token delay p50 / p99 ms | relayed token delay p50 / p99 ms |
|---|---|---|---|---|---|
${row('1', relay1)}
${row('100', relay100)}

## Abort cost

${abort.n} clients left mid-stream one at a time, each while 49 other streams of its batch kept
streaming: time from the client destroying its socket to the simulator seeing that run's upstream
socket close. Then the same number again in bursts of 50 leaving at once: time until the last of
the 50 had closed upstream (client, server and simulator share one event loop in this benchmark,
so a burst's closes are handled one after another).

| one at a time p50 ms | p99 ms | max ms | burst of 50, all closed, p50 ms | max ms |
|---|---|---|---|---|
| ${ms(abort.p50)} | ${ms(abort.p99)} | ${ms(abort.max)} | ${ms(abort.burstP50)} | ${ms(abort.burstMax)} |

## What these numbers do not say yet

The load generator, the server and the simulator run in one Node process on one event loop, so
with 100 streams the three compete for the same thread and the relayed numbers include the
client's own parsing of 100 event streams. A fairer load test puts the clients in another process;
memory and CPU per stream, throughput at 50 tokens/s and the 5,000-waiter case are not measured here.
`)
console.log('written BENCHMARKS.md')
process.exit(0)
